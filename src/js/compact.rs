//! The compact re-emitter: the same program with comments and spare whitespace gone.
//!
//! Used when the readable function would exceed the 10 KB budget (cloudfront-runtime.md §7). swc
//! parses and prints it back in minify mode, which changes layout and literal spelling only, never
//! names or structure, so the result means what the input meant; the caller checks it with
//! `gate::gate` again all the same. The first-line `cloudfront` import is kept byte for byte, because
//! the harness swaps exactly that line for a stub (§1 [R]). The output is deterministic.

use std::fmt;

use swc_common::sync::Lrc;
use swc_ecma_ast::{EsVersion, IdentName, Module, ModuleDecl, ModuleItem, PropName};
use swc_ecma_codegen::{
    Config, Emitter,
    text_writer::{JsWriter, omit_trailing_semi},
};
use swc_ecma_visit::{VisitMut, VisitMutWith};

use crate::js::gate::{self, CLOUDFRONT_IMPORT, Violation};
use crate::runtime::Runtime;

/// Why `compact` produced nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompactError {
    /// The input does not parse; each error is a `syntax-error` violation.
    Syntax(Vec<Violation>),
    /// swc failed to print the program (a bug, not the input's fault).
    Codegen(String),
}

/// Re-emits `source` minified. On 2.0 a first-line `import cf from 'cloudfront';` stays the first line,
/// unchanged and followed by a line break; everything else is printed on one line.
pub fn compact(source: &str, runtime: Runtime) -> Result<String, CompactError> {
    gate::with_stack_for(source, || compact_here(source, runtime))
}

fn compact_here(source: &str, runtime: Runtime) -> Result<String, CompactError> {
    let mut parsed = gate::parse(source).map_err(CompactError::Syntax)?;
    bare_keys(&mut parsed.module);
    let keep_import = runtime == Runtime::Js2 && gate::first_line_is_import(source);
    if keep_import && starts_with_import(&parsed.module) {
        parsed.module.body.remove(0);
        let code = emit(&parsed.module, &parsed.source_map)?;
        return Ok(format!("{CLOUDFRONT_IMPORT}\n{code}"));
    }
    emit(&parsed.module, &parsed.source_map)
}

impl fmt::Display for CompactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompactError::Syntax(violations) => {
                write!(f, "cannot compact code that does not parse")?;
                violations
                    .iter()
                    .try_for_each(|violation| write!(f, "\n{violation}"))
            }
            CompactError::Codegen(message) => {
                write!(f, "swc could not print the compacted code: {message}")
            }
        }
    }
}

impl std::error::Error for CompactError {}

/// Re-prints `source` in swc's readable layout, one statement per line, for diffs of compact files
/// (`build --check`); the code is unchanged.
pub fn readable(source: &str) -> Result<String, CompactError> {
    gate::with_stack_for(source, || {
        let parsed = gate::parse(source).map_err(CompactError::Syntax)?;
        print(&parsed.module, &parsed.source_map, false)
    })
}

/// Every string property key that is a plain identifier written as that identifier.
pub(crate) fn bare_keys(module: &mut Module) {
    module.visit_mut_with(&mut BareKeys);
}

/// Writes a string property key that is a plain identifier as that identifier (`{"k":1}` →
/// `{k:1}`): the same property. Reserved words (ES3 engines refuse them) and `__proto__` (which is
/// special either way) keep their quotes.
struct BareKeys;

impl VisitMut for BareKeys {
    fn visit_mut_prop_name(&mut self, name: &mut PropName) {
        if let PropName::Str(key) = name
            && let Some(text) = key.value.as_str()
            && is_plain_identifier(text)
        {
            *name = PropName::Ident(IdentName::new(text.into(), key.span));
        }
    }
}

fn is_plain_identifier(text: &str) -> bool {
    const RESERVED: &[&str] = &[
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "implements",
        "import",
        "in",
        "instanceof",
        "interface",
        "let",
        "new",
        "null",
        "package",
        "private",
        "protected",
        "public",
        "return",
        "static",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "__proto__",
    ];
    let mut bytes = text.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'$')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        && !RESERVED.contains(&text)
}

pub(crate) fn starts_with_import(module: &Module) -> bool {
    matches!(
        module.body.first(),
        Some(ModuleItem::ModuleDecl(ModuleDecl::Import(_)))
    )
}

/// Prints `module` without comments and with minimal whitespace.
pub(crate) fn emit(
    module: &Module,
    source_map: &Lrc<swc_common::SourceMap>,
) -> Result<String, CompactError> {
    print(module, source_map, true)
}

fn print(
    module: &Module,
    source_map: &Lrc<swc_common::SourceMap>,
    minify: bool,
) -> Result<String, CompactError> {
    let mut buffer = Vec::new();
    {
        // Target ES5 so that swc spells re-encoded literals the ES5 way (no `\u{…}`, no `0b…`).
        // Minified literals are re-spelled from their values, which would undo emit.rs's escaping of
        // `</script>` and `<!--` (rules.md Safety); `inline_script` makes swc escape them again.
        let config = Config::default()
            .with_minify(minify)
            .with_target(EsVersion::Es5)
            .with_inline_script(true);
        let writer = JsWriter::new(source_map.clone(), "\n", &mut buffer, None);
        let mut emitter = Emitter {
            cfg: config,
            cm: source_map.clone(),
            comments: None,
            wr: omit_trailing_semi(writer),
        };
        emitter
            .emit_module(module)
            .map_err(|error| CompactError::Codegen(error.to_string()))?;
    }
    String::from_utf8(buffer).map_err(|error| CompactError::Codegen(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::js::gate::{Profile, gate};

    const READABLE: &str = r#"// edgeroute: generated, do not edit
/* The rules, in order. */
var ROUTES = [
  { prefix: "/img/", target: "/static/img/" },
  { prefix: "/old/", status: 301, location: "https://example.com/new/" }
];
var RE_ID = /^\/item\/([0-9]+)(?:\/|$)/i;

function redirect(status, location) {
  // A direct answer: no cache lookup, no origin.
  return {
    statusCode: status,
    statusDescription: status === 301 ? "Moved Permanently" : "Found",
    headers: { location: { value: location } }
  };
}

function handler(event) {
  var request = event.request;
  var uri = request.uri;
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
  if (m !== null) {
    request.uri = "/items/" + m[1] + ".html" + "\u00e9";
  }
  var big = 1000000, half = 0.5, text = 'it\'s';
  return request;
}
"#;

    #[test]
    fn compact_output_passes_the_gate_and_is_smaller() {
        for runtime in Runtime::ALL {
            let compacted = compact(READABLE, runtime).unwrap();
            assert_eq!(
                gate(&compacted, runtime, Profile::Es5),
                Ok(()),
                "{compacted}"
            );
            assert!(compacted.len() < READABLE.len() * 3 / 4, "{compacted}");
            assert!(
                !compacted.contains("do not edit") && !compacted.contains("no origin"),
                "{compacted}"
            );
            assert!(!compacted.contains('\n'), "{compacted}");
        }
    }

    #[test]
    fn compact_is_deterministic_and_idempotent() {
        let once = compact(READABLE, Runtime::Js1).unwrap();
        assert_eq!(compact(READABLE, Runtime::Js1).unwrap(), once);
        assert_eq!(compact(&once, Runtime::Js1).unwrap(), once);
    }

    #[test]
    fn compact_keeps_the_cloudfront_import_line() {
        let source = format!("{CLOUDFRONT_IMPORT}\n\n// pick the origin\n{READABLE}");
        let compacted = compact(&source, Runtime::Js2).unwrap();
        let (first, rest) = compacted.split_once('\n').unwrap();
        assert_eq!(first, CLOUDFRONT_IMPORT);
        assert!(!rest.contains('\n') && !rest.contains("import"), "{rest}");
        assert_eq!(gate(&compacted, Runtime::Js2, Profile::Es5), Ok(()));
        assert_eq!(compact(&compacted, Runtime::Js2).unwrap(), compacted);
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        // on a thread of the default 2 MiB, whatever RUST_MIN_STACK the tests run with
        let small = std::thread::Builder::new().stack_size(2 << 20);
        let run = small.spawn(|| {
            let source = format!("var a = {}1{};", "(".repeat(3000), ")".repeat(3000));
            let compacted = compact(&source, Runtime::Js1).unwrap();
            assert_eq!(
                compacted.len(),
                source.len() - 2,
                "only the spaces around `=` go"
            );
        });
        run.unwrap().join().unwrap();
    }

    #[test]
    fn compact_keeps_html_markers_and_line_separators_escaped() {
        let source = "var s = \"<\\/script><\\!--x-->\\u2028\\u2029\";\n";
        let compacted = compact(source, Runtime::Js1).unwrap();
        assert_eq!(gate(&compacted, Runtime::Js1, Profile::Es5), Ok(()));
        for raw in ["</script", "<!--", "-->", "\u{2028}", "\u{2029}"] {
            assert!(!compacted.contains(raw), "{raw:?} in {compacted}");
        }
        assert!(compacted.contains("\\u2028\\u2029"), "{compacted}");
    }

    #[test]
    fn compact_reports_syntax_errors() {
        let Err(CompactError::Syntax(violations)) = compact("function handler( {", Runtime::Js1)
        else {
            panic!("expected a syntax error");
        };
        assert_eq!(violations[0].rule, gate::Rule::SyntaxError);
    }

    #[test]
    fn compact_keeps_literal_meaning() {
        let compacted = compact(
            "var a = 'x\\ny', b = \"q\\\"\", c = 1e3, d = /a\\/b/g;\n",
            Runtime::Js1,
        )
        .unwrap();
        assert_eq!(gate(&compacted, Runtime::Js1, Profile::Es5), Ok(()));
        for fragment in ["\\n", "/a\\/b/g", "1e3"] {
            assert!(compacted.contains(fragment), "{fragment} in {compacted}");
        }
    }
}
