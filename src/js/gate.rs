//! The JavaScript gate: will this code load and run on the chosen CloudFront runtime, and does it fit?
//!
//! `gate` parses with swc and walks the tree, rejecting every construct and built-in the runtime lacks
//! (cloudfront-runtime.md §2–§4): the feature pages claim to be complete, so unlisted means absent.
//! Two profiles: `Runtime` is the runtime's whole documented dialect (for `lint-js` on hand-written
//! functions); `Es5` is what edgeroute itself emits, plain ES 5.1 plus the 2.0 `cloudfront` import and,
//! on 2.0, `async`/`await` for KeyValueStore (§1 [R]). Code is always parsed as a strict module: both
//! runtimes run in strict mode, and a module parse turns a stray `import`/`export` into a positioned
//! violation instead of one opaque syntax error. The size budget (§7) lives here too.
//! Nothing in this module prints: callers render `Violation`s.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use swc_common::{BytePos, FileName, SourceMap, Span, Spanned, sync::Lrc};
use swc_ecma_ast::{
    ArrowExpr, AssignExpr, AssignOp, AssignTargetPat, AwaitExpr, BigInt, BinExpr, BinaryOp,
    CallExpr, Callee, CatchClause, Class, EsVersion, Expr, ExprOrSpread, FnDecl, FnExpr, ForOfStmt,
    Function, Import, ImportDecl, ImportDefaultSpecifier, ImportPhase, ImportSpecifier, Lit,
    MemberExpr, MemberProp, MetaPropExpr, MetaPropKind, MethodProp, Module, ModuleDecl, ModuleItem,
    NewExpr, Number, OptChainExpr, Pat, Prop, PropName, PropOrSpread, Regex, Str, TaggedTpl, Tpl,
    TplElement, VarDecl, VarDeclKind, YieldExpr,
};
use swc_ecma_parser::{EsSyntax, Parser, StringInput, Syntax, lexer::Lexer};
use swc_ecma_visit::{Visit, VisitWith};

use crate::runtime::Runtime;
use Avail::{Both, Js1, Js2, Js2Emit, Never};

/// Above this many UTF-8 bytes CloudFront rejects the function with 413 (§7; 10,240 assumed).
pub const SIZE_LIMIT: usize = 10_240;

/// Above this many bytes `check` warns: the published "10 KB" might mean 10,000 (§7, §11.2).
pub const SIZE_WARN: usize = 10_000;

/// The only import either runtime loads, and only on 2.0 and only as the very first line: the test
/// harness swaps exactly this line for a stub (§1 [R]).
pub const CLOUDFRONT_IMPORT: &str = "import cf from 'cloudfront';";

/// Which dialect the gate accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// edgeroute's own output: ES 5.1, plus on 2.0 the `cloudfront` import line and `async`/`await`.
    Es5,
    /// Everything the runtime documents, e.g. arrow functions and template literals on 1.0.
    Runtime,
}

/// One construct the runtime would reject, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: Rule,
    pub message: String,
    /// Byte offsets into the checked source.
    pub start: usize,
    pub end: usize,
    /// 1-based line; 1-based column counted in characters.
    pub line: usize,
    pub column: usize,
    /// The whole source line the violation starts on, without its line break.
    pub snippet: String,
}

/// How a function's size compares with the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeStatus {
    /// At most `SIZE_WARN` bytes; `headroom` bytes left below `SIZE_LIMIT`.
    Ok { headroom: usize },
    /// Above `SIZE_WARN` but within `SIZE_LIMIT`.
    Warn { headroom: usize },
    /// Above `SIZE_LIMIT` by `excess` bytes: the upload would fail with 413.
    Over { excess: usize },
}

macro_rules! rules {
    ($($variant:ident $name:literal $description:literal,)*) => {
        /// Every check the gate makes, alphabetical.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($variant,)*
        }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The kebab-case name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Rule::$variant => $name,)*
                }
            }

            /// What the rule rejects, as a plural noun phrase; messages start with it.
            pub fn description(self) -> &'static str {
                match self {
                    $(Rule::$variant => $description,)*
                }
            }
        }
    };
}

rules! {
    ArrowFunction "arrow-function" "arrow functions",
    AsyncClosure "async-closure" "async arrows, async function expressions and methods, nested async functions",
    AsyncFunction "async-function" "`async` functions",
    Await "await" "`await`",
    BigIntLiteral "bigint-literal" "BigInt literals such as `1n`",
    BinaryOctalLiteral "binary-octal-literal" "`0b` and `0o` number literals",
    Class "class" "classes",
    ComputedKey "computed-key" "computed property keys `{[k]: v}`",
    ConsoleLogArguments "console-log-arguments" "`console.log` with more than one argument",
    ConsoleMethod "console-method" "`console` methods other than `log`",
    DefaultParameter "default-parameter" "default parameter values",
    Destructuring "destructuring" "destructuring patterns",
    Eval "eval" "`eval`",
    ExponentOperator "exponent-operator" "the `**` and `**=` operators",
    Export "export" "`export` of anything",
    ForOf "for-of" "`for…of` loops",
    FunctionConstructor "function-constructor" "the `Function` constructor",
    Generator "generator" "generators and `yield`",
    Import "import" "imports other than default imports of 2.0's built-in modules",
    LetConst "let-const" "`let` and `const`",
    LogicalAssignment "logical-assignment" "the `&&=`, `||=` and `??=` operators",
    NewTarget "new-target" "`new.target`",
    NullishCoalescing "nullish-coalescing" "the `??` operator",
    NumericSeparator "numeric-separator" "numeric separators such as `1_000`",
    ObjectMethod "object-method" "method shorthand in object literals `{f() {}}`",
    OptionalCatchBinding "optional-catch-binding" "`catch` without a binding",
    OptionalChaining "optional-chaining" "optional chaining `?.`",
    Process "process" "`process` and environment variables",
    RegexFlag "regex-flag" "regex flags other than `g`, `i`, `m` and `y`",
    RegexLookbehind "regex-lookbehind" "regex lookbehind `(?<=…)` and `(?<!…)`",
    RegexNamedGroup "regex-named-group" "regex named groups `(?<n>…)`",
    Require "require" "`require` of modules other than `crypto` and `querystring`",
    RestParameter "rest-parameter" "rest parameters `...args`",
    ShorthandProperty "shorthand-property" "shorthand properties `{a}`",
    Spread "spread" "spread `...` in arrays, calls and object literals",
    StringBytes "string-bytes" "the non-standard `String.bytesFrom` family",
    SyntaxError "syntax-error" "code that does not parse as strict JavaScript",
    TaggedTemplate "tagged-template" "tagged templates",
    TemplateLiteral "template-literal" "template literals",
    Timer "timer" "timers such as `setTimeout`",
    UnicodeEscape "unicode-escape" "code point escapes `\\u{…}`; use `\\uXXXX`",
    UnsupportedBuiltin "unsupported-builtin" "built-in methods and statics the runtime lacks",
    UnsupportedGlobal "unsupported-global" "globals the runtime lacks, such as `Map`",
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: [{}] {}",
            self.line, self.column, self.rule, self.message
        )
    }
}

/// Checks that `source` would load on `runtime` and uses nothing it lacks; reports every violation,
/// sorted by position.
pub fn gate(source: &str, runtime: Runtime, profile: Profile) -> Result<(), Vec<Violation>> {
    with_stack_for(source, || gate_here(source, runtime, profile))
}

/// Where `bytes` (UTF-8 bytes of the function as uploaded, comments included) stands against §7.
pub fn size_report(bytes: usize) -> SizeStatus {
    if bytes > SIZE_LIMIT {
        SizeStatus::Over {
            excess: bytes - SIZE_LIMIT,
        }
    } else if bytes > SIZE_WARN {
        SizeStatus::Warn {
            headroom: SIZE_LIMIT - bytes,
        }
    } else {
        SizeStatus::Ok {
            headroom: SIZE_LIMIT - bytes,
        }
    }
}

fn gate_here(source: &str, runtime: Runtime, profile: Profile) -> Result<(), Vec<Violation>> {
    let parsed = parse(source)?;
    let mut walker = Walker::new(runtime, profile, declared_names(&parsed.module));
    walker.check_module_items(&parsed.module, first_line_is_import(source));
    parsed.module.visit_with(&mut walker);
    let violations = parsed.locate_all(source, walker.findings);
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

/// Runs `work` on a thread whose stack grows with the input. swc's parser, visitor, printer and
/// `Drop` recurse once per nesting level, up to about 15 KB per level in debug builds: a few hundred
/// nested parentheses would overflow a default 2 MB thread stack and abort the whole process.
pub(crate) fn with_stack_for<T: Send>(source: &str, work: impl FnOnce() -> T + Send) -> T {
    let size = source
        .len()
        .saturating_mul(STACK_PER_BYTE)
        .saturating_add(STACK_BASE)
        .min(STACK_MAX);
    let slot = Mutex::new(Some(work));
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .stack_size(size)
            .spawn_scoped(scope, || take_once(&slot)());
        match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No memory for a big stack: the current one is enough for all but pathological input.
            Err(_) => take_once(&slot)(),
        }
    })
}

/// Stack for `with_stack_for`: a base, plus enough per source byte for the deepest nesting a byte
/// can open (`(` measured at about 7.5 KB in debug builds), capped.
const STACK_BASE: usize = 8 << 20;
const STACK_PER_BYTE: usize = 8 << 10;
const STACK_MAX: usize = 1 << 30;

fn take_once<F>(slot: &Mutex<Option<F>>) -> F {
    let mut guard = slot.lock().unwrap_or_else(PoisonError::into_inner);
    guard.take().expect("with_stack_for runs its work once")
}

/// A parsed program and what is needed to turn its spans back into positions.
pub(crate) struct Parsed {
    pub(crate) module: Module,
    pub(crate) source_map: Lrc<SourceMap>,
    start: BytePos,
}

/// Parses `source` as a strict module; syntax errors become `syntax-error` violations.
pub(crate) fn parse(source: &str) -> Result<Parsed, Vec<Violation>> {
    let source_map: Lrc<SourceMap> = Lrc::default();
    let file = source_map.new_source_file(Lrc::new(FileName::Anon), source.to_owned());
    let start = file.start_pos;
    // Parse everything, then decide in the walk: the parser's own target would reject with less
    // precise messages, or accept what the runtime lacks.
    let lexer = Lexer::new(
        Syntax::Es(EsSyntax::default()),
        EsVersion::latest(),
        StringInput::from(&*file),
        None,
    );
    let mut parser = Parser::new_from(lexer);
    let result = parser.parse_module();
    let mut errors = parser.take_errors();
    let parsed = Parsed {
        module: Module::default(),
        source_map,
        start,
    };
    let module = match result {
        Ok(module) if errors.is_empty() => module,
        Ok(_) => return Err(parsed.syntax_errors(source, errors)),
        Err(fatal) => {
            errors.push(fatal);
            return Err(parsed.syntax_errors(source, errors));
        }
    };
    Ok(Parsed { module, ..parsed })
}

/// Whether the first line is exactly the `cloudfront` import (trailing blanks aside).
pub(crate) fn first_line_is_import(source: &str) -> bool {
    source
        .lines()
        .next()
        .is_some_and(|line| line.trim_end() == CLOUDFRONT_IMPORT)
}

impl Parsed {
    fn syntax_errors(
        &self,
        source: &str,
        errors: Vec<swc_ecma_parser::error::Error>,
    ) -> Vec<Violation> {
        let findings = errors
            .into_iter()
            .map(|error| Finding {
                rule: Rule::SyntaxError,
                message: format!("does not parse: {}", error.kind().msg()),
                span: error.span(),
            })
            .collect();
        self.locate_all(source, findings)
    }

    /// Turns findings into sorted, de-duplicated violations with line, column and snippet.
    fn locate_all(&self, source: &str, findings: Vec<Finding>) -> Vec<Violation> {
        let mut violations: Vec<Violation> = findings
            .into_iter()
            .map(|finding| self.locate(source, finding))
            .collect();
        violations
            .sort_by(|a, b| (a.start, a.rule, &a.message).cmp(&(b.start, b.rule, &b.message)));
        violations.dedup();
        violations
    }

    fn locate(&self, source: &str, finding: Finding) -> Violation {
        let offset = |pos: BytePos| (pos.0.saturating_sub(self.start.0) as usize).min(source.len());
        let start = floor_char_boundary(source, offset(finding.span.lo));
        let end = floor_char_boundary(source, offset(finding.span.hi)).max(start);
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        Violation {
            rule: finding.rule,
            message: finding.message,
            start,
            end,
            line: source[..start].matches('\n').count() + 1,
            column: source[line_start..start].chars().count() + 1,
            snippet: source[line_start..line_end]
                .trim_end_matches('\r')
                .to_owned(),
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// A violation before it has a line and column.
struct Finding {
    rule: Rule,
    message: String,
    span: Span,
}

/// Where a construct exists, per the tables of §2 and §3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Avail {
    /// Neither runtime documents it.
    Never,
    /// Both runtimes, but not ES 5.1: rejected under `Profile::Es5`.
    Both,
    /// 2.0 only, and not ES 5.1.
    Js2,
    /// 2.0 only, and edgeroute may emit it there (KeyValueStore, 2.0-only built-ins).
    Js2Emit,
    /// 1.0 only, and never emitted (the `String.bytesFrom` family).
    Js1,
}

/// Why a construct was rejected.
enum Reason {
    Undocumented,
    Missing(Runtime),
    NotEs5,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Undocumented => {
                f.write_str("not supported by either CloudFront Functions runtime")
            }
            Reason::Missing(runtime) => write!(f, "not available in {runtime}"),
            Reason::NotEs5 => f.write_str("not ES 5.1, which edgeroute's own output must be"),
        }
    }
}

/// Globals the runtimes lack (§3, §4). Checked only where the program declares no such name.
const GLOBALS: &[(&str, Rule, Avail)] = &[
    ("AggregateError", Rule::UnsupportedGlobal, Never),
    ("Atomics", Rule::UnsupportedGlobal, Never),
    ("BigInt", Rule::UnsupportedGlobal, Never),
    ("Buffer", Rule::UnsupportedGlobal, Js2Emit),
    ("DataView", Rule::UnsupportedGlobal, Js2Emit),
    ("FinalizationRegistry", Rule::UnsupportedGlobal, Never),
    ("Intl", Rule::UnsupportedGlobal, Never),
    ("Map", Rule::UnsupportedGlobal, Never),
    ("MemoryError", Rule::UnsupportedGlobal, Js1),
    ("Proxy", Rule::UnsupportedGlobal, Never),
    ("Reflect", Rule::UnsupportedGlobal, Never),
    ("Set", Rule::UnsupportedGlobal, Never),
    ("SharedArrayBuffer", Rule::UnsupportedGlobal, Never),
    ("TextDecoder", Rule::UnsupportedGlobal, Js2Emit),
    ("TextEncoder", Rule::UnsupportedGlobal, Js2Emit),
    ("WeakMap", Rule::UnsupportedGlobal, Never),
    ("WeakRef", Rule::UnsupportedGlobal, Never),
    ("WeakSet", Rule::UnsupportedGlobal, Never),
    ("XMLHttpRequest", Rule::UnsupportedGlobal, Never),
    ("atob", Rule::UnsupportedGlobal, Js2Emit),
    ("btoa", Rule::UnsupportedGlobal, Js2Emit),
    ("clearImmediate", Rule::Timer, Never),
    ("clearInterval", Rule::Timer, Never),
    ("clearTimeout", Rule::Timer, Never),
    ("eval", Rule::Eval, Never),
    ("exports", Rule::UnsupportedGlobal, Never),
    ("fetch", Rule::UnsupportedGlobal, Never),
    ("module", Rule::UnsupportedGlobal, Never),
    ("process", Rule::Process, Never),
    ("queueMicrotask", Rule::Timer, Never),
    ("setImmediate", Rule::Timer, Never),
    ("setInterval", Rule::Timer, Never),
    ("setTimeout", Rule::Timer, Never),
];

/// Static members the runtimes lack, as `(object, property)`.
const STATICS: &[(&str, &str, Rule, Avail)] = &[
    ("Array", "from", Rule::UnsupportedBuiltin, Never),
    ("Object", "fromEntries", Rule::UnsupportedBuiltin, Never),
    (
        "Object",
        "getOwnPropertyDescriptors",
        Rule::UnsupportedBuiltin,
        Js2Emit,
    ),
    ("Object", "hasOwn", Rule::UnsupportedBuiltin, Never),
    ("Promise", "all", Rule::UnsupportedBuiltin, Js2Emit),
    ("Promise", "allSettled", Rule::UnsupportedBuiltin, Js2Emit),
    ("Promise", "any", Rule::UnsupportedBuiltin, Js2Emit),
    ("Promise", "race", Rule::UnsupportedBuiltin, Js2Emit),
    ("String", "raw", Rule::UnsupportedBuiltin, Never),
    ("Symbol", "for", Rule::UnsupportedBuiltin, Js2Emit),
    ("Symbol", "keyFor", Rule::UnsupportedBuiltin, Js2Emit),
];

/// Methods the runtimes lack, matched by name on any receiver when called (`x.flat(…)`).
const METHODS: &[(&str, Rule, Avail)] = &[
    ("at", Rule::UnsupportedBuiltin, Never),
    ("bytesFrom", Rule::StringBytes, Js1),
    ("findLast", Rule::UnsupportedBuiltin, Never),
    ("findLastIndex", Rule::UnsupportedBuiltin, Never),
    ("flat", Rule::UnsupportedBuiltin, Never),
    ("flatMap", Rule::UnsupportedBuiltin, Never),
    ("fromBytes", Rule::StringBytes, Js1),
    ("fromUTF8", Rule::StringBytes, Js1),
    ("matchAll", Rule::UnsupportedBuiltin, Never),
    ("normalize", Rule::UnsupportedBuiltin, Never),
    ("rawQueryString", Rule::UnsupportedBuiltin, Js2Emit),
    ("replaceAll", Rule::UnsupportedBuiltin, Js2Emit),
    ("toBytes", Rule::StringBytes, Js1),
    ("toUTF8", Rule::StringBytes, Js1),
];

/// The modules `require` may load (§4).
const REQUIRABLE: &[&str] = &["crypto", "querystring"];

/// The built-in modules cloudfront-js-2.0 loads with a default `import` (§2, §4).
const IMPORTABLE: &[&str] = &["cloudfront", "crypto", "querystring"];

/// Every name the program binds anywhere. Scopes are ignored on purpose: a global such as `Map` is
/// only reported when no declaration could shadow it, so the gate errs towards silence, never noise.
fn declared_names(module: &Module) -> HashSet<String> {
    let mut collector = Declared::default();
    module.visit_with(&mut collector);
    collector.names
}

#[derive(Default)]
struct Declared {
    names: HashSet<String>,
}

impl Visit for Declared {
    fn visit_binding_ident(&mut self, node: &swc_ecma_ast::BindingIdent) {
        self.names.insert(node.id.sym.to_string());
    }

    fn visit_fn_decl(&mut self, node: &FnDecl) {
        self.names.insert(node.ident.sym.to_string());
        node.visit_children_with(self);
    }

    fn visit_fn_expr(&mut self, node: &FnExpr) {
        if let Some(ident) = &node.ident {
            self.names.insert(ident.sym.to_string());
        }
        node.visit_children_with(self);
    }

    fn visit_import_default_specifier(&mut self, node: &ImportDefaultSpecifier) {
        self.names.insert(node.local.sym.to_string());
    }
}

/// The AST walk that collects findings.
struct Walker {
    runtime: Runtime,
    profile: Profile,
    declared: HashSet<String>,
    /// One entry per enclosing function: whether it is async.
    functions: Vec<bool>,
    findings: Vec<Finding>,
}

impl Walker {
    fn new(runtime: Runtime, profile: Profile, declared: HashSet<String>) -> Walker {
        Walker {
            runtime,
            profile,
            declared,
            functions: Vec::new(),
            findings: Vec::new(),
        }
    }

    fn report(&mut self, rule: Rule, span: Span, message: String) {
        self.findings.push(Finding {
            rule,
            message,
            span,
        });
    }

    /// Reports `rule` at `span` unless `avail` allows it for this runtime and profile.
    fn check(&mut self, avail: Avail, rule: Rule, span: Span) {
        self.check_named(avail, rule, span, rule.description());
    }

    /// `check` for a finding more specific than its rule, such as one global or one regex flag.
    fn check_named(&mut self, avail: Avail, rule: Rule, span: Span, what: &str) {
        if let Some(reason) = self.reason(avail) {
            self.report(rule, span, format!("{what}: {reason}"));
        }
    }

    fn reason(&self, avail: Avail) -> Option<Reason> {
        let es5 = self.profile == Profile::Es5;
        match (avail, self.runtime) {
            (Never, _) => Some(Reason::Undocumented),
            (Js2 | Js2Emit, Runtime::Js1) | (Js1, Runtime::Js2) => {
                Some(Reason::Missing(self.runtime))
            }
            (Both | Js2 | Js1, _) if es5 => Some(Reason::NotEs5),
            _ => None,
        }
    }

    fn is_global(&self, name: &str) -> bool {
        !self.declared.contains(name)
    }

    /// Import and export declarations (§1, §2, §4). 2.0 loads default imports of its built-in modules;
    /// edgeroute's own output has at most the `cloudfront` import, as the first line, because the
    /// harness swaps exactly that line for a stub.
    fn check_module_items(&mut self, module: &Module, import_line: bool) {
        for (index, item) in module.body.iter().enumerate() {
            let ModuleItem::ModuleDecl(decl) = item else {
                continue;
            };
            match decl {
                ModuleDecl::Import(import)
                    if self.import_loads(import, index == 0 && import_line) => {}
                ModuleDecl::Import(import) => self.report_import(import.span),
                _ => self.report(
                    Rule::Export,
                    decl.span(),
                    "`export` stops the function from loading: every request would get 503"
                        .to_owned(),
                ),
            }
        }
    }

    /// Whether an import declaration is one this runtime and profile accept.
    fn import_loads(&self, import: &ImportDecl, exact_first_line: bool) -> bool {
        match (self.runtime, self.profile) {
            (Runtime::Js1, _) => false,
            (Runtime::Js2, Profile::Es5) => exact_first_line,
            (Runtime::Js2, Profile::Runtime) => {
                let default_only =
                    matches!(import.specifiers.as_slice(), [ImportSpecifier::Default(_)]);
                let module = import.src.value.as_atom().map(|atom| atom.as_str());
                default_only
                    && !import.type_only
                    && import.phase == ImportPhase::Evaluation
                    && import.with.is_none()
                    && module.is_some_and(|name| IMPORTABLE.contains(&name))
            }
        }
    }

    fn report_import(&mut self, span: Span) {
        let message = match (self.runtime, self.profile) {
            (Runtime::Js1, _) => format!("`import`: {}", Reason::Missing(Runtime::Js1)),
            (Runtime::Js2, Profile::Es5) => format!(
                "the only import edgeroute emits is `{CLOUDFRONT_IMPORT}`, exactly, as the first line"
            ),
            (Runtime::Js2, Profile::Runtime) => format!(
                "cloudfront-js-2.0 loads only default imports of `cloudfront`, `crypto` and \
                 `querystring`, such as `{CLOUDFRONT_IMPORT}`"
            ),
        };
        self.report(Rule::Import, span, message);
    }

    fn check_async(&mut self, is_async: bool, span: Span, nested_ok: bool) {
        if !is_async {
            return;
        }
        match self.runtime {
            Runtime::Js1 => self.check(Js2Emit, Rule::AsyncFunction, span),
            Runtime::Js2 if nested_ok && self.functions.is_empty() => {}
            Runtime::Js2 => self.report(
                Rule::AsyncClosure,
                span,
                "only top-level `async function` declarations: cloudfront-js-2.0 has no async arrows or closures"
                    .to_owned(),
            ),
        }
    }

    /// Rest and default parameters; destructured ones are reported by `visit_pat`.
    fn check_params<'a>(&mut self, params: impl Iterator<Item = &'a Pat>) {
        for param in params {
            match param {
                Pat::Rest(rest) => {
                    self.check(Both, Rule::RestParameter, rest.span);
                }
                Pat::Assign(assign) => self.check(Never, Rule::DefaultParameter, assign.span),
                _ => {}
            }
        }
    }

    /// Visits a function body with `is_async` on the stack of enclosing functions.
    fn enter_function<N: VisitWith<Self>>(&mut self, is_async: bool, node: &N) {
        self.functions.push(is_async);
        node.visit_children_with(self);
        self.functions.pop();
    }

    fn check_ident_use(&mut self, ident: &swc_ecma_ast::Ident) {
        let name = ident.sym.as_str();
        let Some(&(_, rule, avail)) = GLOBALS.iter().find(|(global, ..)| *global == name) else {
            return;
        };
        if self.is_global(name) {
            self.check_named(avail, rule, ident.span, &format!("`{name}`"));
        }
    }

    fn check_member(&mut self, member: &MemberExpr) {
        let (Expr::Ident(object), Some(property)) = (&*member.obj, member_name(&member.prop))
        else {
            return;
        };
        let object = object.sym.as_str();
        if !self.is_global(object) {
            return;
        }
        if object == "console" && property != "log" {
            let message = format!("`console.{property}`: only `console.log` exists");
            self.report(Rule::ConsoleMethod, member.span, message);
        }
        let found = STATICS
            .iter()
            .find(|(o, p, ..)| *o == object && *p == property);
        if let Some(&(_, _, rule, avail)) = found {
            self.check_named(avail, rule, member.span, &format!("`{object}.{property}`"));
        }
    }

    fn check_call(&mut self, call: &CallExpr) {
        let Callee::Expr(callee) = &call.callee else {
            return;
        };
        match &**callee {
            Expr::Ident(ident) => self.check_global_call(ident, call),
            Expr::Member(member) => self.check_method_call(member, call),
            _ => {}
        }
    }

    fn check_global_call(&mut self, ident: &swc_ecma_ast::Ident, call: &CallExpr) {
        match ident.sym.as_str() {
            "require" if self.is_global("require") => self.check_require(call),
            "Function" if self.is_global("Function") => {
                self.check(Never, Rule::FunctionConstructor, call.span);
            }
            "RegExp" if self.is_global("RegExp") => self.check_regexp_call(&call.args, call.span),
            _ => {}
        }
    }

    fn check_require(&mut self, call: &CallExpr) {
        if self.profile == Profile::Es5 {
            let message = "`require`: edgeroute's own output never loads a module".to_owned();
            return self.report(Rule::Require, call.span, message);
        }
        let module = match call.args.as_slice() {
            [ExprOrSpread { spread: None, expr }] => string_value(expr),
            _ => None,
        };
        if !module.is_some_and(|name| REQUIRABLE.contains(&name)) {
            let message =
                "`require` loads only 'crypto' and 'querystring', named by a string literal"
                    .to_owned();
            self.report(Rule::Require, call.span, message);
        }
    }

    fn check_method_call(&mut self, member: &MemberExpr, call: &CallExpr) {
        let Some(name) = member_name(&member.prop) else {
            return;
        };
        if let Some(&(_, rule, avail)) = METHODS.iter().find(|(method, ..)| *method == name) {
            self.check_named(avail, rule, member.prop.span(), &format!("`.{name}()`"));
        }
        // `RegExp.prototype[@@split]` is 2.0 only (§3); a regex argument is visible when written inline.
        if name == "split"
            && call
                .args
                .first()
                .is_some_and(|arg| is_regex_expr(&arg.expr))
        {
            let what = "`.split()` with a regex";
            self.check_named(Js2Emit, Rule::UnsupportedBuiltin, call.span, what);
        }
        let is_console_log =
            matches!(&*member.obj, Expr::Ident(o) if o.sym == "console") && name == "log";
        if is_console_log
            && self.is_global("console")
            && self.runtime == Runtime::Js2
            && call.args.len() > 1
        {
            let message =
                "`console.log` takes one argument in cloudfront-js-2.0; concatenate instead"
                    .to_owned();
            self.report(Rule::ConsoleLogArguments, call.span, message);
        }
    }

    /// Flags and group syntax of a regex literal, or of `RegExp(pattern, flags)` given literals.
    fn check_regex(&mut self, pattern: &str, flags: &str, span: Span) {
        for flag in flags.chars() {
            let avail = match flag {
                'g' | 'i' | 'm' => continue,
                'y' => Js2,
                _ => Never,
            };
            let what = format!("regex flag `{flag}`");
            self.check_named(avail, Rule::RegexFlag, span, &what);
        }
        let groups = scan_groups(pattern);
        if groups.lookbehind {
            self.check(Never, Rule::RegexLookbehind, span);
        }
        if groups.named {
            self.check(Both, Rule::RegexNamedGroup, span);
        }
    }

    /// `RegExp(…)` and `new RegExp(…)`: edgeroute builds its regexes this way (emit.rs).
    fn check_regexp_call(&mut self, args: &[ExprOrSpread], span: Span) {
        let literal = |index: usize| match args.get(index) {
            Some(ExprOrSpread { spread: None, expr }) => string_value(expr),
            _ => None,
        };
        if let Some(pattern) = literal(0) {
            self.check_regex(pattern, literal(1).unwrap_or(""), span);
        }
    }

    fn check_number(&mut self, number: &Number) {
        let Some(raw) = &number.raw else { return };
        if raw.contains('_') {
            self.check(Js2, Rule::NumericSeparator, number.span);
        }
        let prefix = raw.get(..2).map(str::to_ascii_lowercase);
        if matches!(prefix.as_deref(), Some("0b" | "0o")) {
            self.check(Never, Rule::BinaryOctalLiteral, number.span);
        }
    }

    fn check_escapes(&mut self, raw: &str, span: Span) {
        if has_code_point_escape(raw) {
            self.check(Never, Rule::UnicodeEscape, span);
        }
    }

    fn check_prop(&mut self, prop: &Prop) {
        match prop {
            Prop::Shorthand(ident) => self.check(Never, Rule::ShorthandProperty, ident.span),
            Prop::Method(method) => self.check(Never, Rule::ObjectMethod, method.function.span),
            _ => {}
        }
    }
}

impl Visit for Walker {
    fn visit_var_decl(&mut self, node: &VarDecl) {
        if node.kind != VarDeclKind::Var {
            self.check_named(Js2, Rule::LetConst, node.span, &format!("`{}`", node.kind));
        }
        node.visit_children_with(self);
    }

    fn visit_fn_decl(&mut self, node: &FnDecl) {
        self.check_async(node.function.is_async, node.function.span, true);
        node.visit_children_with(self);
    }

    fn visit_fn_expr(&mut self, node: &FnExpr) {
        self.check_async(node.function.is_async, node.function.span, false);
        node.visit_children_with(self);
    }

    fn visit_method_prop(&mut self, node: &MethodProp) {
        self.check_async(node.function.is_async, node.function.span, false);
        node.visit_children_with(self);
    }

    fn visit_function(&mut self, node: &Function) {
        if node.is_generator {
            self.check(Never, Rule::Generator, node.span);
        }
        self.check_params(node.params.iter().map(|param| &param.pat));
        self.enter_function(node.is_async, node);
    }

    fn visit_arrow_expr(&mut self, node: &ArrowExpr) {
        self.check(Both, Rule::ArrowFunction, node.span);
        self.check_async(node.is_async, node.span, false);
        self.check_params(node.params.iter());
        self.enter_function(node.is_async, node);
    }

    fn visit_await_expr(&mut self, node: &AwaitExpr) {
        if self.runtime == Runtime::Js1 {
            self.check(Js2Emit, Rule::Await, node.span);
        } else if self.functions.last() != Some(&true) {
            self.report(
                Rule::Await,
                node.span,
                "`await` works only inside an async function".to_owned(),
            );
        }
        node.visit_children_with(self);
    }

    fn visit_yield_expr(&mut self, node: &YieldExpr) {
        self.check(Never, Rule::Generator, node.span);
        node.visit_children_with(self);
    }

    fn visit_pat(&mut self, node: &Pat) {
        if let Pat::Array(_) | Pat::Object(_) = node {
            self.check(Never, Rule::Destructuring, node.span());
        }
        node.visit_children_with(self);
    }

    fn visit_assign_target_pat(&mut self, node: &AssignTargetPat) {
        self.check(Never, Rule::Destructuring, node.span());
        node.visit_children_with(self);
    }

    fn visit_expr_or_spread(&mut self, node: &ExprOrSpread) {
        if let Some(span) = node.spread {
            self.check(Never, Rule::Spread, span);
        }
        node.visit_children_with(self);
    }

    fn visit_prop_or_spread(&mut self, node: &PropOrSpread) {
        match node {
            PropOrSpread::Spread(spread) => self.check(Never, Rule::Spread, spread.dot3_token),
            PropOrSpread::Prop(prop) => self.check_prop(prop),
        }
        node.visit_children_with(self);
    }

    fn visit_prop_name(&mut self, node: &PropName) {
        if let PropName::Computed(computed) = node {
            self.check(Never, Rule::ComputedKey, computed.span);
        }
        node.visit_children_with(self);
    }

    fn visit_bin_expr(&mut self, node: &BinExpr) {
        match node.op {
            BinaryOp::Exp => self.check(Both, Rule::ExponentOperator, node.span),
            BinaryOp::NullishCoalescing => {
                self.check(Never, Rule::NullishCoalescing, node.span);
            }
            _ => {}
        }
        node.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, node: &AssignExpr) {
        match node.op {
            AssignOp::ExpAssign => self.check(Both, Rule::ExponentOperator, node.span),
            AssignOp::AndAssign | AssignOp::OrAssign | AssignOp::NullishAssign => {
                let what = format!("`{}`", node.op);
                self.check_named(Never, Rule::LogicalAssignment, node.span, &what);
            }
            _ => {}
        }
        node.visit_children_with(self);
    }

    fn visit_for_of_stmt(&mut self, node: &ForOfStmt) {
        self.check(Never, Rule::ForOf, node.span);
        node.visit_children_with(self);
    }

    fn visit_class(&mut self, node: &Class) {
        self.check(Never, Rule::Class, node.span);
        node.visit_children_with(self);
    }

    fn visit_tagged_tpl(&mut self, node: &TaggedTpl) {
        self.check(Never, Rule::TaggedTemplate, node.span);
        // Not `visit_tpl`: one construct, one finding.
        node.tag.visit_with(self);
        node.tpl.exprs.visit_with(self);
    }

    fn visit_tpl(&mut self, node: &Tpl) {
        self.check(Both, Rule::TemplateLiteral, node.span);
        node.visit_children_with(self);
    }

    fn visit_tpl_element(&mut self, node: &TplElement) {
        self.check_escapes(&node.raw, node.span);
    }

    fn visit_opt_chain_expr(&mut self, node: &OptChainExpr) {
        self.check(Never, Rule::OptionalChaining, node.span);
        node.visit_children_with(self);
    }

    fn visit_meta_prop_expr(&mut self, node: &MetaPropExpr) {
        match node.kind {
            MetaPropKind::NewTarget => {
                self.check(Never, Rule::NewTarget, node.span);
            }
            MetaPropKind::ImportMeta => self.report_import(node.span),
        }
    }

    fn visit_import(&mut self, node: &Import) {
        self.report_import(node.span);
    }

    fn visit_catch_clause(&mut self, node: &CatchClause) {
        if node.param.is_none() {
            self.check(Never, Rule::OptionalCatchBinding, node.span);
        }
        node.visit_children_with(self);
    }

    fn visit_expr(&mut self, node: &Expr) {
        match node {
            Expr::Ident(ident) => self.check_ident_use(ident),
            Expr::Member(member) => self.check_member(member),
            Expr::Call(call) => self.check_call(call),
            _ => {}
        }
        node.visit_children_with(self);
    }

    fn visit_new_expr(&mut self, node: &NewExpr) {
        let callee = match &*node.callee {
            Expr::Ident(ident) if self.is_global(&ident.sym) => ident.sym.as_str(),
            _ => "",
        };
        match (callee, &node.args) {
            ("Function", _) => self.check(Never, Rule::FunctionConstructor, node.span),
            ("RegExp", Some(args)) => self.check_regexp_call(args, node.span),
            _ => {}
        }
        node.visit_children_with(self);
    }

    fn visit_regex(&mut self, node: &Regex) {
        self.check_regex(&node.exp, &node.flags, node.span);
    }

    fn visit_number(&mut self, node: &Number) {
        self.check_number(node);
    }

    fn visit_big_int(&mut self, node: &BigInt) {
        self.check(Never, Rule::BigIntLiteral, node.span);
    }

    fn visit_str(&mut self, node: &Str) {
        if let Some(raw) = &node.raw {
            self.check_escapes(raw, node.span);
        }
    }
}

/// The property name of `a.b` or `a['b']`.
fn member_name(prop: &MemberProp) -> Option<&str> {
    match prop {
        MemberProp::Ident(name) => Some(name.sym.as_str()),
        MemberProp::Computed(computed) => string_value(&computed.expr),
        MemberProp::PrivateName(_) => None,
    }
}

/// Whether `expr` is a regex literal or a `RegExp(…)`/`new RegExp(…)` call.
fn is_regex_expr(expr: &Expr) -> bool {
    let is_regexp = |callee: &Expr| matches!(callee, Expr::Ident(ident) if ident.sym == "RegExp");
    match expr {
        Expr::Lit(Lit::Regex(_)) => true,
        Expr::New(new) => is_regexp(&new.callee),
        Expr::Call(call) => matches!(&call.callee, Callee::Expr(callee) if is_regexp(callee)),
        Expr::Paren(paren) => is_regex_expr(&paren.expr),
        _ => false,
    }
}

/// The value of a string literal expression.
fn string_value(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Lit(Lit::Str(string)) => string.value.as_atom().map(|atom| atom.as_str()),
        _ => None,
    }
}

/// Whether `raw` source text of a literal holds an unescaped `\u{`.
fn has_code_point_escape(raw: &str) -> bool {
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.next() == Some('u') && chars.clone().next() == Some('{') {
            return true;
        }
    }
    false
}

/// Group syntax found in a regex pattern.
#[derive(Debug, Default, PartialEq, Eq)]
struct Groups {
    named: bool,
    lookbehind: bool,
}

/// Finds `(?<name>` and `(?<=`/`(?<!` outside escapes and character classes.
fn scan_groups(pattern: &str) -> Groups {
    let mut groups = Groups::default();
    let bytes = pattern.as_bytes();
    let (mut i, mut in_class) = (0, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'(' if !in_class && bytes[i + 1..].starts_with(b"?<") => match bytes.get(i + 3) {
                Some(b'=' | b'!') => groups.lookbehind = true,
                _ => groups.named = true,
            },
            _ => {}
        }
        i += 1;
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    use Profile::{Es5, Runtime as Rt};
    use Runtime::{Js1, Js2};

    /// Wraps a snippet in a minimal handler so each sample reads as a whole function.
    fn function(body: &str) -> String {
        format!("function handler(event) {{\n  {body}\n  return event.request;\n}}\n")
    }

    fn rules(source: &str, runtime: Runtime, profile: Profile) -> Vec<Rule> {
        match gate(source, runtime, profile) {
            Ok(()) => Vec::new(),
            Err(violations) => violations.into_iter().map(|v| v.rule).collect(),
        }
    }

    /// Which (runtime, profile) pairs accept a sample: Js1/Runtime, Js1/Es5, Js2/Runtime, Js2/Es5.
    const NEVER: [bool; 4] = [false, false, false, false];
    const BOTH: [bool; 4] = [true, false, true, false];
    const JS2: [bool; 4] = [false, false, true, false];
    const JS2_EMIT: [bool; 4] = [false, false, true, true];
    const JS1: [bool; 4] = [true, false, false, false];
    const JS1_ANY: [bool; 4] = [true, true, false, false];
    const COMBOS: [(Runtime, Profile); 4] = [(Js1, Rt), (Js1, Es5), (Js2, Rt), (Js2, Es5)];

    /// One sample per construct: the statement, the rule it breaks, and where it is accepted.
    #[rustfmt::skip]
    const SAMPLES: &[(&str, Rule, [bool; 4])] = &[
        ("var f = x => x;", Rule::ArrowFunction, BOTH),
        ("var f = function (...a) { return a; };", Rule::RestParameter, BOTH),
        ("var n = 2 ** 3;", Rule::ExponentOperator, BOTH),
        ("var n = 2; n **= 3;", Rule::ExponentOperator, BOTH),
        ("var s = `a${1}`;", Rule::TemplateLiteral, BOTH),
        ("var r = /(?<d>[0-9])/;", Rule::RegexNamedGroup, BOTH),
        ("let a = 1;", Rule::LetConst, JS2),
        ("const a = 1;", Rule::LetConst, JS2),
        ("var n = 1_000;", Rule::NumericSeparator, JS2),
        ("var r = /a/y;", Rule::RegexFlag, JS2),
        ("var r = /a/u;", Rule::RegexFlag, NEVER),
        ("var r = /a/s;", Rule::RegexFlag, NEVER),
        ("var r = /(?<=a)b/;", Rule::RegexLookbehind, NEVER),
        ("var r = /(?<!a)b/;", Rule::RegexLookbehind, NEVER),
        ("var r = new RegExp('(?<d>x)');", Rule::RegexNamedGroup, BOTH),
        ("var r = new RegExp('a', 'gu');", Rule::RegexFlag, NEVER),
        ("var r = RegExp('(?<=a)b', 'i');", Rule::RegexLookbehind, NEVER),
        ("var o = { async m() {} };", Rule::ObjectMethod, NEVER),
        ("var [a] = [1];", Rule::Destructuring, NEVER),
        ("var { a } = {};", Rule::Destructuring, NEVER),
        ("var a, b; [a, b] = [1, 2];", Rule::Destructuring, NEVER),
        ("var f = function ({ a }) { return a; };", Rule::Destructuring, NEVER),
        ("var a = [1], b = [...a];", Rule::Spread, NEVER),
        ("var a = [1]; Math.max(...a);", Rule::Spread, NEVER),
        ("var o = { ...{} };", Rule::Spread, NEVER),
        ("var f = function (a = 1) { return a; };", Rule::DefaultParameter, NEVER),
        ("class A {}", Rule::Class, NEVER),
        ("var A = class {};", Rule::Class, NEVER),
        ("var g = function* () { yield 1; };", Rule::Generator, NEVER),
        ("for (var x of []) {}", Rule::ForOf, NEVER),
        ("var a = event.b?.c;", Rule::OptionalChaining, NEVER),
        ("var t = String.raw`a`;", Rule::TaggedTemplate, NEVER),
        ("var a = event.x ?? 1;", Rule::NullishCoalescing, NEVER),
        ("var a = {}; a.b ||= 1;", Rule::LogicalAssignment, NEVER),
        ("var a = 1, o = { a };", Rule::ShorthandProperty, NEVER),
        ("var o = { m() { return 1; } };", Rule::ObjectMethod, NEVER),
        ("var o = { ['k']: 1 };", Rule::ComputedKey, NEVER),
        ("try { x(); } catch { }", Rule::OptionalCatchBinding, NEVER),
        ("var n = 0b101;", Rule::BinaryOctalLiteral, NEVER),
        ("var n = 0o17;", Rule::BinaryOctalLiteral, NEVER),
        ("var n = 10n;", Rule::BigIntLiteral, NEVER),
        ("var s = '\\u{1F600}';", Rule::UnicodeEscape, NEVER),
        ("var f = function () { return new.target; };", Rule::NewTarget, NEVER),
        ("var m = import('x');", Rule::Import, NEVER),
        ("var m = new Map();", Rule::UnsupportedGlobal, NEVER),
        ("var s = new Set();", Rule::UnsupportedGlobal, NEVER),
        ("var w = new WeakMap();", Rule::UnsupportedGlobal, NEVER),
        ("var w = new WeakSet();", Rule::UnsupportedGlobal, NEVER),
        ("var p = new Proxy({}, {});", Rule::UnsupportedGlobal, NEVER),
        ("var k = Reflect.ownKeys({});", Rule::UnsupportedGlobal, NEVER),
        ("var b = BigInt(1);", Rule::UnsupportedGlobal, NEVER),
        ("var i = Intl.DateTimeFormat;", Rule::UnsupportedGlobal, NEVER),
        ("var t = TextEncoder;", Rule::UnsupportedGlobal, JS2_EMIT),
        ("var b = Buffer.from('a');", Rule::UnsupportedGlobal, JS2_EMIT),
        ("var s = atob('YQ==');", Rule::UnsupportedGlobal, JS2_EMIT),
        ("var e = MemoryError;", Rule::UnsupportedGlobal, JS1),
        ("var a = Array.from('ab');", Rule::UnsupportedBuiltin, NEVER),
        ("var o = Object.fromEntries([]);", Rule::UnsupportedBuiltin, NEVER),
        ("var h = Object.hasOwn({}, 'a');", Rule::UnsupportedBuiltin, NEVER),
        ("var d = Object.getOwnPropertyDescriptors({});", Rule::UnsupportedBuiltin, JS2_EMIT),
        ("var p = Promise.all([]);", Rule::UnsupportedBuiltin, JS2_EMIT),
        ("var s = Symbol.for('a');", Rule::UnsupportedBuiltin, JS2_EMIT),
        ("var a = [[1]].flat();", Rule::UnsupportedBuiltin, NEVER),
        ("var a = [1].flatMap(function (x) { return [x]; });", Rule::UnsupportedBuiltin, NEVER),
        ("var a = [1].at(-1);", Rule::UnsupportedBuiltin, NEVER),
        ("var a = [1].findLast(function () { return true; });", Rule::UnsupportedBuiltin, NEVER),
        ("var m = 'a'.matchAll(/a/g);", Rule::UnsupportedBuiltin, NEVER),
        ("var n = 'a'.normalize();", Rule::UnsupportedBuiltin, NEVER),
        ("var r = 'aa'.replaceAll('a', 'b');", Rule::UnsupportedBuiltin, JS2_EMIT),
        ("var p = 'a,b'.split(/,/);", Rule::UnsupportedBuiltin, JS2_EMIT),
        ("var p = 'a,b'.split(new RegExp(','));", Rule::UnsupportedBuiltin, JS2_EMIT),
        ("var q = event.request.rawQueryString();", Rule::UnsupportedBuiltin, JS2_EMIT),
        ("var s = String.bytesFrom([1]);", Rule::StringBytes, JS1),
        ("var b = 'a'.toUTF8();", Rule::StringBytes, JS1),
        ("var b = 'a'.toBytes();", Rule::StringBytes, JS1),
        ("var b = 'a'.fromUTF8();", Rule::StringBytes, JS1),
        ("var v = eval('1');", Rule::Eval, NEVER),
        ("var f = new Function('return 1');", Rule::FunctionConstructor, NEVER),
        ("var f = Function('return 1');", Rule::FunctionConstructor, NEVER),
        ("var fs = require('fs');", Rule::Require, NEVER),
        ("var c = require('cry' + 'pto');", Rule::Require, NEVER),
        ("var c = require('crypto');", Rule::Require, BOTH),
        ("var q = require('querystring');", Rule::Require, BOTH),
        ("var e = process.env.SECRET;", Rule::Process, NEVER),
        ("setTimeout(function () {}, 1);", Rule::Timer, NEVER),
        ("setInterval(function () {}, 1);", Rule::Timer, NEVER),
        ("var r = fetch('https://example.com');", Rule::UnsupportedGlobal, NEVER),
        ("module.exports = handler;", Rule::UnsupportedGlobal, NEVER),
        ("console.error('x');", Rule::ConsoleMethod, NEVER),
        ("console.log('a', 'b');", Rule::ConsoleLogArguments, JS1_ANY),
        ("with (event) {}", Rule::SyntaxError, NEVER),
        ("var n = 010;", Rule::SyntaxError, NEVER),
        ("if (event) function f() {}", Rule::SyntaxError, NEVER),
        ("undefinedFn(;", Rule::SyntaxError, NEVER),
    ];

    #[test]
    fn each_sample_is_accepted_exactly_where_documented() {
        for (sample, rule, accepted) in SAMPLES {
            let source = function(sample);
            for ((runtime, profile), accept) in COMBOS.into_iter().zip(accepted) {
                let found = rules(&source, runtime, profile);
                let expected = if *accept { Vec::new() } else { vec![*rule] };
                assert!(
                    if *accept {
                        found.is_empty()
                    } else {
                        found.contains(rule)
                    },
                    "{sample:?} on {runtime} {profile:?}: expected {expected:?}, got {found:?}"
                );
            }
        }
    }

    #[test]
    fn async_and_await_follow_the_runtime() {
        let kvs = "async function handler(event) {\n  var v = await Promise.resolve(1);\n  return event.request;\n}\n";
        for (runtime, profile) in COMBOS {
            let found = rules(kvs, runtime, profile);
            let expected: &[Rule] = match runtime {
                Js1 => &[Rule::AsyncFunction, Rule::Await],
                Js2 => &[],
            };
            assert_eq!(found, expected, "{runtime} {profile:?}");
        }
    }

    #[test]
    fn async_closures_are_rejected_on_both_runtimes() {
        let samples = [
            "var f = async () => 1;",
            "var f = async function () {};",
            "async function inner() {}",
        ];
        for sample in samples {
            let source = function(sample);
            for profile in [Rt, Es5] {
                assert!(
                    rules(&source, Js1, profile).contains(&Rule::AsyncFunction),
                    "{sample}"
                );
                assert!(
                    rules(&source, Js2, profile).contains(&Rule::AsyncClosure),
                    "{sample}"
                );
            }
        }
    }

    #[test]
    fn top_level_await_is_rejected_on_2_0() {
        let source = "var v = await Promise.resolve(1);\nfunction handler(event) { return event.request; }\n";
        assert_eq!(rules(source, Js2, Rt), [Rule::Await]);
    }

    #[test]
    fn the_cloudfront_import_is_allowed_only_as_the_first_line_on_2_0() {
        let body = "function handler(event) {\n  cf.selectRequestOriginById('a');\n  return event.request;\n}\n";
        let good = format!("{CLOUDFRONT_IMPORT}\n{body}");
        for profile in [Rt, Es5] {
            assert_eq!(gate(&good, Js2, profile), Ok(()));
            assert_eq!(rules(&good, Js1, profile), [Rule::Import]);
        }
        // 2.0 loads these (§2: default imports of built-in modules); edgeroute never emits them.
        let loadable = [
            format!("\n{CLOUDFRONT_IMPORT}\n{body}"),
            format!("import cf from \"cloudfront\";\n{body}"),
            format!("import crypto from 'crypto';\n{body}"),
            format!("{CLOUDFRONT_IMPORT}\nimport qs from 'querystring';\n{body}"),
        ];
        for source in loadable {
            assert_eq!(gate(&source, Js2, Rt), Ok(()), "{source}");
            assert!(rules(&source, Js2, Es5).contains(&Rule::Import), "{source}");
            assert!(rules(&source, Js1, Rt).contains(&Rule::Import), "{source}");
        }
        let never = [
            format!("import fs from 'fs';\n{body}"),
            format!("import {{ createHash }} from 'crypto';\n{body}"),
            format!("import * as crypto from 'crypto';\n{body}"),
            format!("import 'crypto';\n{body}"),
            format!("import cf, {{ kvs }} from 'cloudfront';\n{body}"),
        ];
        for source in never {
            for (runtime, profile) in COMBOS {
                assert!(
                    rules(&source, runtime, profile).contains(&Rule::Import),
                    "{source} on {runtime} {profile:?}"
                );
            }
        }
    }

    #[test]
    fn export_fails_to_load_on_both_runtimes() {
        let sources = [
            "export function handler(event) { return event.request; }\n",
            "function handler(event) { return event.request; }\nexport default handler;\n",
            "function handler(event) { return event.request; }\nexport { handler };\n",
        ];
        for source in sources {
            for (runtime, profile) in COMBOS {
                let violations = gate(source, runtime, profile).unwrap_err();
                assert_eq!(violations[0].rule, Rule::Export, "{source}");
                assert!(violations[0].message.contains("503"));
            }
        }
    }

    #[test]
    fn local_declarations_shadow_missing_globals() {
        let source = function("var Map = {}; var m = Map; function process() {} process();");
        assert_eq!(gate(&source, Js1, Es5), Ok(()));
    }

    #[test]
    fn violations_carry_position_and_snippet() {
        let source =
            "function handler(event) {\n  var  m = new Map();\n  return event.request;\n}\n";
        let violations = gate(source, Js1, Rt).unwrap_err();
        assert_eq!(violations.len(), 1);
        let violation = &violations[0];
        assert_eq!(
            (violation.rule.name(), violation.line, violation.column),
            ("unsupported-global", 2, 16)
        );
        assert_eq!(violation.snippet, "  var  m = new Map();");
        assert_eq!(&source[violation.start..violation.end], "Map");
    }

    #[test]
    fn syntax_errors_are_positioned_violations() {
        let source = "function handler(event) {\n  return event.request +;\n}\n";
        let violations = gate(source, Js2, Rt).unwrap_err();
        assert_eq!(violations[0].rule, Rule::SyntaxError);
        assert_eq!(violations[0].line, 2);
        assert!(violations[0].message.starts_with("does not parse"));
    }

    #[test]
    fn columns_count_characters() {
        let source =
            "var s = 'é'; var m = new Map();\nfunction handler(event) { return event.request; }\n";
        let violations = gate(source, Js2, Rt).unwrap_err();
        assert_eq!((violations[0].line, violations[0].column), (1, 26));
    }

    const ES5_FUNCTION: &str = r#"// edgeroute: generated, do not edit
var ROUTES = [
  { prefix: "/img/", target: "/static/img/" },
  { prefix: "/old/", status: 301, location: "https://example.com/new/" }
];
var RE_ID = /^\/item\/([0-9]+)(?:\/|$)/i;

function redirect(status, location) {
  return {
    statusCode: status,
    statusDescription: status === 301 ? "Moved Permanently" : "Found",
    headers: { location: { value: location }, "cache-control": { value: "max-age=60" } }
  };
}

function handler(event) {
  var request = event.request;
  var uri = request.uri;
  var host = request.headers.host ? request.headers.host.value.toLowerCase() : "";
  var i, route, m;
  for (i = 0; i < ROUTES.length; i++) {
    route = ROUTES[i];
    if (uri.indexOf(route.prefix) !== 0) {
      continue;
    }
    if (route.status) {
      return redirect(route.status, route.location + uri.slice(route.prefix.length));
    }
    request.uri = route.target + uri.slice(route.prefix.length);
    return request;
  }
  m = RE_ID.exec(uri);
  if (m !== null && host !== "") {
    request.uri = "/items/" + m[1] + ".html";
  }
  for (var key in request.querystring) {
    if (Object.prototype.hasOwnProperty.call(request.querystring, key) && key.charAt(0) === "_") {
      delete request.querystring[key];
    }
  }
  outer: while (true) {
    switch (uri.length) {
      case 0:
        break outer;
      default:
        break outer;
    }
  }
  try {
    request.headers["x-path-hash"] = { value: String(uri.length) };
  } catch (e) {
    console.log("hash failed: " + e);
  }
  return request;
}
"#;

    #[test]
    fn a_realistic_es5_function_passes_everywhere() {
        for (runtime, profile) in COMBOS {
            assert_eq!(
                gate(ES5_FUNCTION, runtime, profile),
                Ok(()),
                "{runtime} {profile:?}"
            );
        }
    }

    const MODERN_FUNCTION: &str = r#"import cf from 'cloudfront';

const kvs = cf.kvs();
const PREFIXES = ['/a/', '/b/'];

async function handler(event) {
  const request = event.request;
  let target = request.uri;
  const hit = PREFIXES.find((p) => target.startsWith(p));
  if (hit) {
    target = `/static${target}`;
  }
  try {
    const value = await kvs.get(request.uri, { format: 'string' });
    target = value;
  } catch (err) {
    console.log(`kvs miss: ${err}`);
  }
  const size = 2 ** 10;
  request.headers['x-size'] = { value: String(size) };
  request.uri = target;
  return request;
}
"#;

    #[test]
    fn a_hand_written_2_0_function_passes_only_the_2_0_runtime_profile() {
        assert_eq!(gate(MODERN_FUNCTION, Js2, Rt), Ok(()));
        let es5 = rules(MODERN_FUNCTION, Js2, Es5);
        assert!(
            es5.contains(&Rule::LetConst) && es5.contains(&Rule::TemplateLiteral),
            "{es5:?}"
        );
        let js1 = rules(MODERN_FUNCTION, Js1, Rt);
        for rule in [
            Rule::Import,
            Rule::LetConst,
            Rule::AsyncFunction,
            Rule::Await,
        ] {
            assert!(js1.contains(&rule), "{rule} missing from {js1:?}");
        }
        assert!(!js1.contains(&Rule::ArrowFunction) && !js1.contains(&Rule::TemplateLiteral));
    }

    #[test]
    fn arrow_functions_and_templates_pass_1_0_under_the_runtime_profile() {
        let source = "function handler(event) {\n  var f = (u) => `${u}/index.html`;\n  event.request.uri = f(event.request.uri);\n  return event.request;\n}\n";
        assert_eq!(gate(source, Js1, Rt), Ok(()));
        assert_eq!(
            rules(source, Js1, Es5),
            [Rule::ArrowFunction, Rule::TemplateLiteral]
        );
    }

    #[test]
    fn regex_group_scanner_skips_escapes_and_classes() {
        assert_eq!(scan_groups(r"\(?<a>"), Groups::default());
        assert_eq!(scan_groups(r"[(?<a>]"), Groups::default());
        assert_eq!(scan_groups(r"(?:a)(b)"), Groups::default());
        assert!(scan_groups(r"(?<n>a)").named);
        assert!(scan_groups(r"x(?<=a)").lookbehind);
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        // on a thread of the default 2 MiB, whatever RUST_MIN_STACK the tests run with
        let small = std::thread::Builder::new().stack_size(2 << 20);
        let run = small.spawn(|| {
            let parens = format!("var a = {}1{};", "(".repeat(3000), ")".repeat(3000));
            assert_eq!(gate(&parens, Js1, Es5), Ok(()));
            let arrays = format!("var a = {}1{};", "[".repeat(3000), "]".repeat(3000));
            assert_eq!(gate(&arrays, Js1, Es5), Ok(()));
        });
        run.unwrap().join().unwrap();
    }

    #[test]
    fn code_point_escapes_respect_backslash_parity() {
        assert!(has_code_point_escape(r"a\u{61}"));
        assert!(!has_code_point_escape(r"a\\u{61}"));
        assert!(!has_code_point_escape(r"\u0061"));
    }

    #[test]
    fn size_report_thresholds() {
        assert_eq!(size_report(0), SizeStatus::Ok { headroom: 10_240 });
        assert_eq!(size_report(SIZE_WARN), SizeStatus::Ok { headroom: 240 });
        assert_eq!(
            size_report(SIZE_WARN + 1),
            SizeStatus::Warn { headroom: 239 }
        );
        assert_eq!(size_report(SIZE_LIMIT), SizeStatus::Warn { headroom: 0 });
        assert_eq!(size_report(SIZE_LIMIT + 5), SizeStatus::Over { excess: 5 });
    }

    #[test]
    fn rule_catalogue_is_sorted_and_unique() {
        let names: Vec<&str> = Rule::ALL.iter().map(|rule| rule.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert!(Rule::ALL.iter().all(|rule| !rule.description().is_empty()));
    }
}
