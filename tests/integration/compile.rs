//! Rules → JavaScript: the generated function of every ok fixture, the dialect gate, rule text
//! kept as data, the size budget, and the `build` and `lint-js` commands on the real binary.

use std::fs;
use std::path::{Path, PathBuf};

use edgeroute::diagnostic::{Code, Severity};
use edgeroute::golden;
use edgeroute::harness::event::Request;
use edgeroute::harness::{Harness, Outcome};
use edgeroute::js::gate::{self, Profile, Rule, SIZE_LIMIT, SIZE_WARN};
use edgeroute::pipeline::{self, Generated, Loaded};
use edgeroute::runtime::Runtime;

use crate::common::{edgeroute, fixtures, root, stem, text};

// ---- the generated function of every ok fixture ----

/// Every ok fixture, for every runtime it compiles for: the readable function is snapshotted, both
/// forms gate as ES 5.1, fit the budget and pass the file's own golden cases.
#[test]
fn ok_fixtures_compile_to_the_snapshotted_function() {
    insta::glob!("../../fixtures", "ok/*.yaml", |path| {
        let declared = declared_runtime(path);
        for runtime in Runtime::ALL {
            let source = source_for(path, runtime);
            let loaded = pipeline::load_bytes(&path.display().to_string(), source.clone().into());
            let Some(rules) = &loaded.rules else {
                assert_ne!(
                    runtime,
                    declared,
                    "{}: {:?}",
                    path.display(),
                    loaded.diagnostics
                );
                assert_only_origin_needs_js2(&loaded);
                continue;
            };
            let mut diagnostics = loaded.diagnostics.clone();
            let generated = pipeline::generate(rules, &mut diagnostics).expect("generates");
            assert!(
                !diagnostics.has_errors(),
                "{}: {diagnostics:?}",
                path.display()
            );
            assert_eq!(generated.program.runtime, runtime);
            for (form, js) in [("compact", &generated.js), ("pretty", &generated.pretty)] {
                assert_eq!(
                    gate::gate(js, runtime, Profile::Es5),
                    Ok(()),
                    "{} {form} on {runtime}",
                    path.display()
                );
                let report = golden::run(js, &generated.program, &rules.tests).expect("loads");
                let failures: Vec<&String> = report.failures().collect();
                assert!(
                    failures.is_empty(),
                    "{} {form} on {runtime}: {failures:#?}",
                    path.display()
                );
                assert!(report.passed() > 0, "{} has golden cases", path.display());
            }
            assert!(generated.js.len() <= SIZE_LIMIT, "{}", generated.js.len());
            assert!(generated.js.len() < generated.pretty.len());
            insta::with_settings!({
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => source.as_str(),
            }, {
                insta::assert_snapshot!(format!("compile__pretty_{runtime}"), compiled_part(&generated));
            });
        }
    });
}

/// What a fixture compiles to: the readable function up to the router (header, regexes, computed
/// values, tables), then the names of the router's helpers that reach the upload. The router itself
/// is snapshotted once (`the_router_is_snapshotted_once`), so a template edit changes one snapshot.
fn compiled_part(generated: &edgeroute::pipeline::Generated) -> String {
    let (program, _) = generated
        .pretty
        .split_once(ROUTER_START)
        .expect("the router's first line");
    let helpers = helpers(&generated.pretty)
        .into_iter()
        .filter(|name| helper_reaches(name, &generated.pretty))
        .collect::<Vec<_>>();
    format!(
        "{program}// router helpers in the upload: {}\n",
        helpers.join(", ")
    )
}

/// The first line of the router template.
const ROUTER_START: &str = "// ---- edgeroute router";

/// The top-level functions the router declares, in order.
fn helpers(pretty: &str) -> Vec<String> {
    let router = pretty.split_once(ROUTER_START).map_or("", |(_, r)| r);
    router
        .lines()
        .filter_map(|line| {
            line.strip_prefix("function ")
                .or_else(|| line.strip_prefix("async function "))
        })
        .filter_map(|rest| rest.split('(').next())
        .map(str::to_owned)
        .collect()
}

/// Whether the readable form calls `name` anywhere but in its own declaration: what the minifier
/// keeps (it drops a helper nothing calls).
fn helper_reaches(name: &str, pretty: &str) -> bool {
    let call = format!("{name}(");
    let calls = pretty
        .match_indices(&call)
        .filter(|(at, _)| {
            let before = pretty[..*at].chars().next_back().unwrap_or(' ');
            let declaration = pretty[..*at].ends_with("function ");
            !(before.is_ascii_alphanumeric() || "_$.".contains(before) || declaration)
        })
        .count();
    calls > 0 || ["handler", "route"].contains(&name)
}

/// The router, once: the rule set that uses every feature, on the runtime that has every feature.
#[test]
fn the_router_is_snapshotted_once() {
    let path = root().join("fixtures/ok/every-feature.yaml");
    let (_, generated) = generate_with_diagnostics(&read(&path));
    let (_, router) = generated
        .pretty
        .split_once(ROUTER_START)
        .expect("the router's first line");
    insta::with_settings!({
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("compile__router", format!("{ROUTER_START}{router}"));
    });
}

/// The upload bytes: the header comment, then the compacted program on one line (the import first,
/// on 2.0 with `origin` or `kvs`). They are the pretty form minus comments and layout, nothing else.
#[test]
fn the_upload_bytes_are_the_minified_pretty_form() {
    for path in fixtures("ok") {
        let (_, generated) = generate(&path, declared_runtime(&path));
        let runtime = generated.program.runtime;
        let mut lines = generated.js.lines();
        let mut first = lines.next().expect("a first line");
        if generated.program.features.origin || generated.program.kvs {
            assert_eq!(first, gate::CLOUDFRONT_IMPORT);
            first = lines.next().expect("the header");
        }
        assert_eq!(
            first,
            format!("// {}", edgeroute::js::emit::header(&generated.program))
        );
        let code: Vec<&str> = lines.collect();
        assert_eq!(code.len(), 1, "{}: one line of code", path.display());
        let minified = edgeroute::js::minify::minify(&generated.pretty, runtime).expect("minifies");
        assert!(minified.ends_with(code[0]), "{}", path.display());
        assert!(generated.js.ends_with('\n'));
        // the router in one function scope (its names are slots, not global properties), the
        // entry points outside; a store-backed function keeps its async handler at the top
        let scoped = code[0].starts_with("var route=function(){")
            && code[0].contains(";return route}();function handler(");
        assert_eq!(scoped, !generated.program.kvs, "{}", path.display());
    }
}

/// edgeroute's own output is plain ES 5.1 (README "Choices"): the strict `Es5` profile accepts it,
/// and without `origin` or `kvs` the very same bytes are valid on both runtimes. With `kvs` the only
/// other constructs are the 2.0 import and top-level `async function`s with `await`.
#[test]
fn generated_output_is_es5_only() {
    for path in fixtures("ok") {
        let (_, generated) = generate(&path, declared_runtime(&path));
        let kvs = generated.program.kvs;
        let portable = !generated.program.features.origin && !kvs;
        for js in [&generated.js, &generated.pretty] {
            for runtime in Runtime::ALL {
                let result = gate::gate(js, runtime, Profile::Es5);
                if portable || runtime == Runtime::Js2 {
                    assert_eq!(result, Ok(()), "{} on {runtime}", path.display());
                } else if kvs {
                    let rules = violated(result);
                    assert_eq!(
                        rules,
                        [Rule::Import, Rule::AsyncFunction, Rule::Await],
                        "{}: only the 2.0 import and KeyValueStore reads",
                        path.display()
                    );
                } else {
                    let rules = violated(result);
                    assert_eq!(
                        rules,
                        [Rule::Import],
                        "{}: only the 2.0 import",
                        path.display()
                    );
                }
            }
        }
    }
}

#[test]
fn generation_is_deterministic() {
    for path in fixtures("ok") {
        let (_, once) = generate(&path, declared_runtime(&path));
        let (_, twice) = generate(&path, declared_runtime(&path));
        assert_eq!(once.js, twice.js, "{}", path.display());
        assert_eq!(once.pretty, twice.pretty, "{}", path.display());
    }
}

// ---- the gate ----

/// What the gate says about one sample in the order Js1/Runtime, Js1/Es5, Js2/Runtime, Js2/Es5:
/// `None` accepted, `Some(rule)` rejected with exactly that rule (cloudfront-runtime.md §2–§4).
type Verdicts = [Option<Rule>; 4];

const COMBOS: [(Runtime, Profile); 4] = [
    (Runtime::Js1, Profile::Runtime),
    (Runtime::Js1, Profile::Es5),
    (Runtime::Js2, Profile::Runtime),
    (Runtime::Js2, Profile::Es5),
];

/// Accepted by both runtimes and by edgeroute's own profile.
const ALWAYS: Verdicts = [None; 4];

/// Neither runtime documents it.
fn never(rule: Rule) -> Verdicts {
    [Some(rule); 4]
}

/// Both runtimes have it, but it is not ES 5.1.
fn both(rule: Rule) -> Verdicts {
    [None, Some(rule), None, Some(rule)]
}

/// 2.0 syntax that is not ES 5.1.
fn js2(rule: Rule) -> Verdicts {
    [Some(rule), Some(rule), None, Some(rule)]
}

/// A 2.0 built-in, which edgeroute may use there.
fn js2_builtin(rule: Rule) -> Verdicts {
    [Some(rule), Some(rule), None, None]
}

/// 1.0 only, and never emitted.
fn js1(rule: Rule) -> Verdicts {
    [None, Some(rule), Some(rule), Some(rule)]
}

/// `body` as the body of a handler.
fn inside(body: &str) -> String {
    format!("function handler(event) {{\n  {body}\n  return event.request;\n}}\n")
}

/// One sample per construct, as whole programs.
#[rustfmt::skip]
fn gate_table() -> Vec<(String, Verdicts)> {
    use Rule::*;
    let bodies: &[(&str, Verdicts)] = &[
        // ES 5.1 and what both runtimes document
        ("var f = function (x) { return x; }; var o = { get a() { return 1; } };", ALWAYS),
        ("for (var k in event) {} outer: while (true) { break outer; }", ALWAYS),
        ("var a = Object.assign({}, Object.entries({})); var e = 'ab'.endsWith('b');", ALWAYS),
        ("var p = 'a,b'.split(','); var f = [1].find(function (x) { return x; });", ALWAYS),
        ("var p = Promise.resolve(1).then(function (v) { return v; });", ALWAYS),
        ("console.log('a'); var g = globalThis; var n = parseInt('1', 10);", ALWAYS),
        ("var r = /a/gim; var t = new RegExp('a', 'i');", ALWAYS),
        // syntax by runtime (§2)
        ("let a = 1;", js2(LetConst)),
        ("const a = 1;", js2(LetConst)),
        ("var f = x => x;", both(ArrowFunction)),
        ("var s = `a${1}`;", both(TemplateLiteral)),
        ("var f = function (...a) { return a; };", both(RestParameter)),
        ("var n = 2 ** 3;", both(ExponentOperator)),
        ("var r = /(?<d>[0-9])/;", both(RegexNamedGroup)),
        ("var n = 1_000;", js2(NumericSeparator)),
        ("var r = /a/y;", js2(RegexFlag)),
        ("var r = /a/s;", never(RegexFlag)),
        ("var r = new RegExp('a', 'u');", never(RegexFlag)),
        ("var r = /(?<=a)b/;", never(RegexLookbehind)),
        ("var r = RegExp('(?<!a)b');", never(RegexLookbehind)),
        ("var c = require('crypto');", both(Require)),
        ("var q = require('querystring');", both(Require)),
        ("var fs = require('fs');", never(Require)),
        ("var m = import('crypto');", never(Import)),
        ("var [a] = [1];", never(Destructuring)),
        ("var { a } = {};", never(Destructuring)),
        ("var a = [1], b = [...a];", never(Spread)),
        ("var m = Math.max(...[1, 2]);", never(Spread)),
        ("var o = { ...{} };", never(Spread)),
        ("var f = function (a = 1) { return a; };", never(DefaultParameter)),
        ("class A {}", never(Class)),
        ("var g = function* () { yield 1; };", never(Generator)),
        ("for (var x of []) {}", never(ForOf)),
        ("var a = event.b?.c;", never(OptionalChaining)),
        ("var t = tag`a`;", never(TaggedTemplate)),
        ("var a = event.x ?? 1;", never(NullishCoalescing)),
        ("var a = {}; a.b ||= 1;", never(LogicalAssignment)),
        ("var a = 1, o = { a };", never(ShorthandProperty)),
        ("var o = { m() { return 1; } };", never(ObjectMethod)),
        ("var o = { ['k']: 1 };", never(ComputedKey)),
        ("try { event.x(); } catch { }", never(OptionalCatchBinding)),
        ("var n = 10n;", never(BigIntLiteral)),
        ("var n = 0b101;", never(BinaryOctalLiteral)),
        ("var s = '\\u{1F600}';", never(UnicodeEscape)),
        ("var f = async function () {};", [Some(AsyncFunction), Some(AsyncFunction), Some(AsyncClosure), Some(AsyncClosure)]),
        ("with (event) {}", never(SyntaxError)),
        ("var n = 010;", never(SyntaxError)),
        ("if (event) function f() {}", never(SyntaxError)),
        // built-ins by runtime (§3)
        ("var m = new Map();", never(UnsupportedGlobal)),
        ("var s = new Set();", never(UnsupportedGlobal)),
        ("var w = new WeakMap();", never(UnsupportedGlobal)),
        ("var w = new WeakSet();", never(UnsupportedGlobal)),
        ("var p = new Proxy({}, {});", never(UnsupportedGlobal)),
        ("var k = Reflect.ownKeys({});", never(UnsupportedGlobal)),
        ("var b = BigInt(1);", never(UnsupportedGlobal)),
        ("var i = Intl.DateTimeFormat;", never(UnsupportedGlobal)),
        ("var a = Array.from('ab');", never(UnsupportedBuiltin)),
        ("var o = Object.fromEntries([]);", never(UnsupportedBuiltin)),
        ("var h = Object.hasOwn({}, 'a');", never(UnsupportedBuiltin)),
        ("var a = [[1]].flat();", never(UnsupportedBuiltin)),
        ("var a = [1].flatMap(function (x) { return [x]; });", never(UnsupportedBuiltin)),
        ("var a = [1].at(-1);", never(UnsupportedBuiltin)),
        ("var a = [1].findLast(function () { return true; });", never(UnsupportedBuiltin)),
        ("var m = 'a'.matchAll(/a/g);", never(UnsupportedBuiltin)),
        ("var n = 'a'.normalize();", never(UnsupportedBuiltin)),
        ("var p = Promise.all([]);", js2_builtin(UnsupportedBuiltin)),
        ("var p = Promise.any([]);", js2_builtin(UnsupportedBuiltin)),
        ("var s = Symbol.for('a');", js2_builtin(UnsupportedBuiltin)),
        ("var r = 'aa'.replaceAll('a', 'b');", js2_builtin(UnsupportedBuiltin)),
        ("var p = 'a,b'.split(/,/);", js2_builtin(UnsupportedBuiltin)),
        ("var d = Object.getOwnPropertyDescriptors({});", js2_builtin(UnsupportedBuiltin)),
        ("var q = event.request.rawQueryString();", js2_builtin(UnsupportedBuiltin)),
        ("var b = Buffer.from('a');", js2_builtin(UnsupportedGlobal)),
        ("var t = new TextEncoder();", js2_builtin(UnsupportedGlobal)),
        ("var s = atob('YQ==');", js2_builtin(UnsupportedGlobal)),
        ("var d = new DataView(new ArrayBuffer(1));", js2_builtin(UnsupportedGlobal)),
        ("var s = String.bytesFrom([1]);", js1(StringBytes)),
        ("var b = 'a'.toUTF8();", js1(StringBytes)),
        ("var e = MemoryError;", js1(UnsupportedGlobal)),
        ("console.error('x');", never(ConsoleMethod)),
        ("console.log('a', 'b');", [None, None, Some(ConsoleLogArguments), Some(ConsoleLogArguments)]),
        // forbidden in both (§4)
        ("var v = eval('1');", never(Eval)),
        ("var f = new Function('return 1');", never(FunctionConstructor)),
        ("var f = Function('return 1');", never(FunctionConstructor)),
        ("setTimeout(function () {}, 1);", never(Timer)),
        ("setInterval(function () {}, 1);", never(Timer)),
        ("var e = process.env.SECRET;", never(Process)),
        ("var r = fetch('https://example.com');", never(UnsupportedGlobal)),
        ("module.exports = handler;", never(UnsupportedGlobal)),
    ];
    // Whole programs: the entry point, modules and top-level code.
    let handler = inside("");
    let first = |line: &str| format!("{line}\n{handler}");
    let programs = [
        ("async function handler(event) {\n  return event.request;\n}\n".to_owned(), [Some(AsyncFunction), Some(AsyncFunction), None, None]),
        (first("var v = await 1;"), never(Await)),
        (first("import cf from 'cloudfront';"), [Some(Import), Some(Import), None, None]),
        (first("\nimport cf from 'cloudfront';"), [Some(Import), Some(Import), None, Some(Import)]),
        (first("import crypto from 'crypto';"), js2(Import)),
        (first("import qs from 'querystring';"), js2(Import)),
        (first("import fs from 'fs';"), never(Import)),
        (first("import { kvs } from 'cloudfront';"), never(Import)),
        (first("import * as crypto from 'crypto';"), never(Import)),
        ("export function handler(event) {\n  return event.request;\n}\n".to_owned(), never(Export)),
        (format!("{handler}export default handler;\n"), never(Export)),
    ];
    let bodies = bodies.iter().map(|&(body, verdicts)| (inside(body), verdicts));
    bodies.chain(programs).collect()
}

#[test]
fn the_gate_accepts_each_construct_exactly_where_the_runtime_has_it() {
    let mut wrong = Vec::new();
    for (sample, verdicts) in gate_table() {
        for ((runtime, profile), expected) in COMBOS.into_iter().zip(verdicts) {
            let found = violated(gate::gate(&sample, runtime, profile));
            let expected: Vec<Rule> = expected.into_iter().collect();
            if found != expected {
                wrong.push(format!(
                    "{sample:?} on {runtime} {profile:?}: expected {expected:?}, found {found:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn gate_violations_name_line_column_and_reason() {
    let source = "\
function handler(event) {
  var r = event.request;
  const kept = r.uri;
  return r;
}
";
    let violations = gate::gate(source, Runtime::Js1, Profile::Runtime).unwrap_err();
    assert_eq!(violations.len(), 1);
    let violation = &violations[0];
    assert_eq!(
        (violation.rule, violation.line, violation.column),
        (Rule::LetConst, 3, 3)
    );
    assert_eq!(violation.snippet, "  const kept = r.uri;");
    assert!(
        violation.message.contains("cloudfront-js-1.0"),
        "{}",
        violation.message
    );
    assert!(source[violation.start..violation.end].starts_with("const kept"));
}

// ---- `lint-js` on the real binary ----

#[test]
fn lint_js_reports_each_violation_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "modern.js",
        "\
function handler(event) {
  var uri = event.request.uri;
  const seen = new Map();
  return event.request;
}
",
    );
    let output = edgeroute(&["lint-js", path_str(&file), "--runtime", "cloudfront-js-1.0"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let file = file.display();
    let let_const = stderr.find("error[let-const]").expect(&stderr);
    let map = stderr.find("error[unsupported-global]").expect(&stderr);
    assert!(let_const < map, "sorted by position: {stderr}");
    assert!(stderr.contains(&format!("--> {file}:3:3\n")), "{stderr}");
    assert!(stderr.contains(&format!("--> {file}:3:20\n")), "{stderr}");
    assert!(stderr.contains("|   const seen = new Map();"), "{stderr}");
}

#[test]
fn lint_js_accepts_a_clean_function_for_its_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let es5 = write(
        dir.path(),
        "es5.js",
        "\
function handler(event) {
  var r = event.request;
  if (r.uri.slice(-1) === '/') {
    r.uri += 'index.html';
  }
  return r;
}
",
    );
    let modern = write(
        dir.path(),
        "modern.js",
        "\
import crypto from 'crypto';

async function handler(event) {
  const r = event.request;
  const hash = crypto.createHash('sha256').update(r.uri).digest('hex');
  r.headers['x-hash'] = { value: hash };
  return r;
}
",
    );
    for runtime in ["cloudfront-js-1.0", "cloudfront-js-2.0"] {
        let output = edgeroute(&["lint-js", path_str(&es5), "--runtime", runtime]);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(stderr.is_empty(), "{stderr}");
        let expected = format!("ok: {} is valid {runtime} (", es5.display());
        assert!(stdout.starts_with(&expected), "{stdout}");
    }
    let on_2_0 = edgeroute(&[
        "lint-js",
        path_str(&modern),
        "--runtime",
        "cloudfront-js-2.0",
    ]);
    assert_eq!(on_2_0.status.code(), Some(0), "{}", text(&on_2_0).1);
    let on_1_0 = edgeroute(&[
        "lint-js",
        path_str(&modern),
        "--runtime",
        "cloudfront-js-1.0",
    ]);
    let (_, stderr) = text(&on_1_0);
    assert_eq!(on_1_0.status.code(), Some(1));
    for rule in ["import", "let-const", "async-function"] {
        assert!(
            stderr.contains(&format!("error[{rule}]")),
            "{rule}: {stderr}"
        );
    }
}

#[test]
fn lint_js_enforces_the_size_budget_and_needs_a_readable_file() {
    let dir = tempfile::tempdir().unwrap();
    let padding = "// padding\n".repeat(SIZE_LIMIT / 11 + 1);
    let big = write(dir.path(), "big.js", &format!("{}{padding}", inside("")));
    let output = edgeroute(&["lint-js", path_str(&big), "--runtime", "cloudfront-js-2.0"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[size-budget]") && stderr.contains("10240"),
        "{stderr}"
    );

    let missing = dir.path().join("missing.js");
    let output = edgeroute(&["lint-js", path_str(&missing)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).1.contains("missing.js"));
}

// ---- rule text is data, never code ----

/// Text that would end a JavaScript string, a line, or an HTML script element early.
const HOSTILE: &str =
    "\"); throw 1; (\" 'single' back\\slash \u{2028}line\u{2029}para </script><!-- -->";
/// The same without whitespace, for values read as words (rewrite rules, location paths).
const HOSTILE_WORD: &str = "\");throw(1);(\"'\\</script><!--";
/// A root holds only path characters, so its breakout attempt uses single quotes.
const HOSTILE_ROOT: &str = "/r');throw(1);('";
const HOSTILE_ALIAS: &str = "/a');throw(1);('/";
const HOSTILE_INDEX: &str = "x\");throw(1);(\"'\\<!--.html";
const HOST: &str = "hostile.example.com";

/// Rules with hostile text in every string a user controls, with golden cases expecting it back.
fn hostile_rules(runtime: Runtime, expected_header: &str) -> String {
    let prefix = format!("/{HOSTILE_WORD}");
    let redirect = format!("https://example.com/{HOSTILE}");
    let rewrite_target = format!("https://example.com/{HOSTILE_WORD}");
    let y = yaml_str;
    format!(
        r#"edgeroute: 1
runtime: {runtime}
servers:
  - server_name: {HOST}
    root: {root}
    index: {index}
    add_request_headers:
      x-hostile: {header}
    locations:
      - location: {location}
        return: {body}
      - location: /redirect/
        return: {ret}
      - location: /rewrite/
        rewrite: {rewrite}
      - location: /internal/
        rewrite: {internal}
      - location: /alias/
        alias: {alias}
      - location: /fallback/
        try_files: [$uri, {fallback}]
      - location: /echo
        return: "200 $http_x_evil"
      - location: /
tests:
  - url: https://{HOST}/page.html
    headers: {{ x-hostile: {expected_header} }}
  - url: {location_url}
    status: 200
    matched: {location}
  - url: https://{HOST}/redirect/
    location: {ret_url}
  - url: https://{HOST}/rewrite/x
    location: {rewrite_url}
  - url: https://{HOST}/echo
    request_headers: {{ x-evil: {header} }}
    status: 200
"#,
        root = y(HOSTILE_ROOT),
        index = y(HOSTILE_INDEX),
        header = y(HOSTILE),
        expected_header = y(expected_header),
        location = y(&prefix),
        body = y(&format!("200 {HOSTILE}")),
        ret = y(&format!("302 {redirect}")),
        ret_url = y(&redirect),
        rewrite = y(&format!(
            "^/rewrite/(.*)$ {rewrite_target}/$1?h={HOSTILE_WORD} redirect"
        )),
        rewrite_url = y(&format!("{rewrite_target}/x?h={HOSTILE_WORD}")),
        internal = y(&format!("^/internal/(.*)$ /{HOSTILE_WORD}/$1 break")),
        alias = y(HOSTILE_ALIAS),
        fallback = y(&format!("/{HOSTILE}")),
        location_url = y(&format!("https://{HOST}{prefix}/x")),
    )
}

#[test]
fn hostile_rule_text_compiles_to_string_data_only() {
    for runtime in Runtime::ALL {
        let (loaded, generated) = generate_with_diagnostics(&hostile_rules(runtime, HOSTILE));
        assert!(!loaded.diagnostics.has_errors(), "{:?}", loaded.diagnostics);
        let tests = &loaded.rules.as_ref().expect("valid").tests;
        // The one place rule text becomes code writes it as an escaped literal (emit.rs).
        let literal = edgeroute::js::emit::js_string(HOSTILE);
        assert!(generated.pretty.contains(&literal), "{literal}");
        for (form, js) in [("compact", &generated.js), ("pretty", &generated.pretty)] {
            let what = format!("{form} on {runtime}");
            assert_eq!(gate::gate(js, runtime, Profile::Es5), Ok(()), "{what}");
            for raw in ["\u{2028}", "\u{2029}", "<!--"] {
                assert!(!js.contains(raw), "{raw:?} raw in {what}");
            }
            assert!(!js.to_ascii_lowercase().contains("</script"), "{what}");
            let report = golden::run(js, &generated.program, tests).expect("loads");
            let failures: Vec<&String> = report.failures().collect();
            assert!(failures.is_empty(), "{what}: {failures:#?}");
            assert_hostile_routes(js, runtime, &what);
        }
    }
}

/// The hostile expectations are compared, not skipped: one character off fails its case.
#[test]
fn hostile_expectations_are_compared_exactly() {
    let rules = hostile_rules(Runtime::Js1, &format!("{HOSTILE}!"));
    let (loaded, generated) = generate_with_diagnostics(&rules);
    let tests = &loaded.rules.as_ref().expect("valid").tests;
    let report = golden::run(&generated.js, &generated.program, tests).expect("loads");
    assert_eq!((report.passed(), report.failed()), (tests.len() - 1, 1));
}

/// Runs the hostile function and checks every hostile value comes back exactly as written.
fn assert_hostile_routes(js: &str, runtime: Runtime, what: &str) {
    let mut harness = Harness::load(js, runtime).expect(what);
    let mut route = |path: &str, headers: &[(&str, &str)]| {
        let mut request = Request::get(&format!("https://{HOST}{path}"));
        request.headers = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        harness.route(&request).expect(what).outcome
    };
    let passed = |uri: String| Outcome::Pass {
        uri,
        querystring: Vec::new(),
        headers: vec![
            ("host".to_owned(), HOST.to_owned()),
            ("x-hostile".to_owned(), HOSTILE.to_owned()),
        ],
        origin: edgeroute::harness::OriginCall::Default,
    };
    let text_answer = |body: &str| Outcome::Answer {
        status: 200,
        headers: vec![(
            "content-type".to_owned(),
            "text/plain; charset=utf-8".to_owned(),
        )],
        body: Some(body.to_owned()),
    };
    let redirect = |location: String| Outcome::Answer {
        status: 302,
        headers: vec![("location".to_owned(), location)],
        body: None,
    };
    let origin = |path: &str| passed(origin_encoded(path));
    let cases = [
        (
            route("/page.html", &[]),
            origin(&format!("{HOSTILE_ROOT}/page.html")),
        ),
        (
            route("/dir/", &[]),
            origin(&format!("{HOSTILE_ROOT}/dir/{HOSTILE_INDEX}")),
        ),
        (
            route(&format!("/{HOSTILE_WORD}/x"), &[]),
            text_answer(HOSTILE),
        ),
        (
            route("/redirect/", &[]),
            redirect(format!("https://example.com/{HOSTILE}")),
        ),
        (
            route("/rewrite/a%22b", &[]),
            redirect(format!(
                "https://example.com/{HOSTILE_WORD}/a%22b?h={HOSTILE_WORD}"
            )),
        ),
        (
            route("/internal/z", &[]),
            origin(&format!("{HOSTILE_ROOT}/{HOSTILE_WORD}/z")),
        ),
        (
            route("/alias/y.js", &[]),
            origin(&format!("{HOSTILE_ALIAS}y.js")),
        ),
        (
            route("/fallback/page", &[]),
            origin(&format!("{HOSTILE_ROOT}/{HOSTILE}")),
        ),
        (route("/echo", &[("x-evil", HOSTILE)]), text_answer(HOSTILE)),
    ];
    for (index, (found, expected)) in cases.into_iter().enumerate() {
        assert_eq!(found, expected, "case {index} of {what}");
    }
}

/// Positions that cannot hold such text are refused before any JavaScript is written.
#[test]
fn hostile_text_where_rules_forbid_it_is_a_diagnostic() {
    let y = yaml_str;
    let cases = [
        (
            one_location(HOST, &[&format!("root: {}", y("/r\"oot"))], "/", &[]),
            Code::InvalidPath,
        ),
        (
            one_location(HOST, &[&format!("root: {}", y("/r\\oot"))], "/", &[]),
            Code::InvalidPath,
        ),
        (
            one_location(HOST, &[&format!("root: {}", y("/r\u{2028}"))], "/", &[]),
            Code::InvalidPath,
        ),
        (
            one_location(
                HOST,
                &["root: /r", &format!("index: {}", y("</script>.html"))],
                "/",
                &[],
            ),
            Code::InvalidIndex,
        ),
        (
            one_location(
                HOST,
                &[
                    "root: /r",
                    &format!("add_request_headers: {{ {}: x }}", y("x\"y")),
                ],
                "/",
                &[],
            ),
            Code::ForbiddenHeader,
        ),
        (
            one_location(HOST, &["root: /r"], &y("/caf\u{e9}"), &[]),
            Code::InvalidLocation,
        ),
        (
            one_location(&y("a\"b.example.com"), &["root: /r"], "/", &[]),
            Code::InvalidServerName,
        ),
    ];
    for (rules, code) in cases {
        let loaded = pipeline::load_bytes("rejected.yaml", rules.clone().into());
        let codes: Vec<Code> = loaded.diagnostics.iter().map(|d| d.code).collect();
        assert!(loaded.rules.is_none(), "{rules}");
        assert_eq!(codes, [code], "{rules}");
    }
}

// ---- the size budget ----

#[test]
fn an_over_budget_rule_set_fails_with_a_per_rule_breakdown() {
    let path = root().join("fixtures/err/size-budget.yaml");
    assert!(
        fs::metadata(&path).unwrap().len() < 4096,
        "the fixture stays small"
    );
    let (loaded, generated) = generate_with_diagnostics(&read(&path));
    let errors: Vec<_> = loaded.diagnostics.iter().collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let diagnostic = errors[0];
    assert_eq!(
        (diagnostic.code, diagnostic.severity),
        (Code::SizeBudget, Severity::Error)
    );
    let bytes = generated.js.len();
    assert!(bytes > SIZE_LIMIT);
    assert_eq!(
        diagnostic.message,
        format!("the generated function is {bytes} bytes; CloudFront accepts at most 10240")
    );
    let help = diagnostic.help.as_deref().expect("a breakdown");
    let lines: Vec<&str> = help.lines().collect();
    assert_eq!(lines[0], "biggest contributors:");
    // the two servers and the runtime, in the order of their sizes (checked below)
    for part in [
        "B  server `app.example.com` (all its locations)",
        "B  server `docs.example.com` (all its locations)",
        "B  the runtime (the helpers the rules need)",
    ] {
        assert!(
            lines[1..4].iter().any(|line| line.ends_with(part)),
            "{part}: {help}"
        );
    }
    assert!(
        lines[4].ends_with("B  location `/a/` in server `app.example.com`"),
        "{help}"
    );
    // then the runtime's largest helpers, each with its share of the runtime's bytes
    let helpers = lines.last().expect("a helpers line");
    assert!(
        helpers
            .trim_start()
            .starts_with("of the runtime, the largest helpers: "),
        "{help}"
    );
    for helper in ["normalizePath", "encodeBytes", "toOrigin"] {
        assert!(helpers.contains(&format!("{helper} ")), "{helpers}");
    }
    let sizes: Vec<usize> = lines[1..lines.len() - 1]
        .iter()
        .map(|line| line.trim().split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        sizes.windows(2).all(|pair| pair[0] >= pair[1]),
        "largest first: {help}"
    );
    assert_eq!(sizes.len(), 8);

    let output = edgeroute(&["check", "fixtures/err/size-budget.yaml"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("error[size-budget]: the generated function is"),
        "{stderr}"
    );
    assert!(stderr.contains("biggest contributors:"), "{stderr}");
    assert!(
        !stdout.contains("passed"),
        "no golden run over budget: {stdout}"
    );
}

/// §7: at most 10,240 bytes is accepted, warned about above 10,000; one byte more is an error.
#[test]
fn the_budget_boundary_is_10240_bytes() {
    let rules = |text_len: usize| {
        let ret = format!("return: 200 {}", "x".repeat(text_len));
        one_location("example.com", &[], "/", &[&ret])
    };
    let base = generate_with_diagnostics(&rules(1)).1.js.len() - 1;
    for (target, severity) in [
        (SIZE_WARN, None),
        (SIZE_WARN + 1, Some(Severity::Warning)),
        (SIZE_LIMIT, Some(Severity::Warning)),
        (SIZE_LIMIT + 1, Some(Severity::Error)),
    ] {
        let (loaded, generated) = generate_with_diagnostics(&rules(target - base));
        assert_eq!(
            generated.js.len(),
            target,
            "the text grows the function byte for byte"
        );
        let found: Vec<(Code, Severity)> = loaded
            .diagnostics
            .iter()
            .map(|d| (d.code, d.severity))
            .collect();
        let expected: Vec<(Code, Severity)> = severity
            .map(|s| (Code::SizeBudget, s))
            .into_iter()
            .collect();
        assert_eq!(found, expected, "{target} bytes");
    }
}

// ---- `build` ----

#[test]
fn build_writes_the_checked_function_and_replaces_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = previous_output(dir.path());
    // A second name for the old file: a rewrite in place would change it too, a rename does not.
    let old_link = dir.path().join("old.js");
    fs::hard_link(&out, &old_link).unwrap();
    let output = build(&["fixtures/ok/spec-example.yaml", "-o", path_str(&out)]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let (_, generated) = generate(&root().join("fixtures/ok/spec-example.yaml"), Runtime::Js1);
    let written = fs::read_to_string(&out).unwrap();
    assert_eq!(written, generated.js);
    assert!(
        stdout.contains(&format!(
            "wrote {} ({} bytes)",
            out.display(),
            written.len()
        )),
        "{stdout}"
    );
    // A new file took the old one's name, and no temp file is left beside it.
    assert_eq!(fs::read(&old_link).unwrap(), PREVIOUS);
    assert_eq!(entries(dir.path()), ["function.js", "old.js"]);

    let pretty = dir.path().join("pretty.js");
    let output = build(&[
        "fixtures/ok/spec-example.yaml",
        "--pretty",
        "-o",
        path_str(&pretty),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    assert_eq!(fs::read_to_string(&pretty).unwrap(), generated.pretty);
}

#[test]
fn build_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    for path in fixtures("ok") {
        let name = stem(&path);
        let outputs: Vec<Vec<u8>> = ["a", "b"]
            .iter()
            .map(|run| {
                let out = dir.path().join(format!("{name}-{run}.js"));
                let output = build(&[path_str(&path), "-o", path_str(&out)]);
                assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
                fs::read(&out).unwrap()
            })
            .collect();
        assert_eq!(outputs[0], outputs[1], "{name}");
    }
}

#[test]
fn build_keeps_the_previous_output_when_the_rules_have_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = previous_output(dir.path());
    for rules in [
        "fixtures/err/undefined-variable.yaml",
        "fixtures/err/size-budget.yaml",
    ] {
        let output = build(&[rules, "-o", path_str(&out)]);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{rules}: {stderr}");
        assert!(stderr.contains("error["), "{stderr}");
        assert_eq!(fs::read(&out).unwrap(), PREVIOUS, "{rules}");
        assert_eq!(entries(dir.path()), ["function.js"]);
    }
}

#[test]
fn build_keeps_the_previous_output_when_a_golden_case_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = previous_output(dir.path());
    let rules = write(
        dir.path(),
        "failing.yaml",
        "\
edgeroute: 1
servers:
  - server_name: example.com
    root: /site
    locations:
      - location: /
tests:
  - url: https://example.com/a.js
    uri: /elsewhere/a.js
",
    );
    let output = build(&[path_str(&rules), "-o", path_str(&out)]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("0 passed, 1 failed"), "{stdout}");
    assert!(stdout.contains("+uri: /site/a.js"), "{stdout}");
    assert!(stderr.contains("was not written: tests failed"), "{stderr}");
    assert_eq!(fs::read(&out).unwrap(), PREVIOUS);
    assert_eq!(entries(dir.path()), ["failing.yaml", "function.js"]);
}

#[test]
fn build_keeps_the_previous_output_when_the_rules_file_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let out = previous_output(dir.path());
    let missing = dir.path().join("missing.yaml");
    let output = build(&[path_str(&missing), "-o", path_str(&out)]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output).1);
    assert!(text(&output).1.contains("missing.yaml"));
    assert_eq!(fs::read(&out).unwrap(), PREVIOUS);
}

#[cfg(unix)]
#[test]
fn build_into_an_unwritable_folder_fails_with_status_2_and_changes_nothing() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    let out = previous_output(&locked);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    // Tests often run as root, which ignores folder permissions: probe whether the lock holds.
    let read_only = fs::File::create(locked.join("probe")).is_err();
    let _ = fs::remove_file(locked.join("probe"));
    if read_only {
        let output = build(&["fixtures/ok/spec-example.yaml", "-o", path_str(&out)]);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(&locked.display().to_string()), "{stderr}");
        assert_eq!(fs::read(&out).unwrap(), PREVIOUS);
        assert_eq!(entries(&locked), ["function.js"]);
    }
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();

    // As root the lock above does not hold, so make the write fail another way too: an OUT whose
    // parent is a regular file. Checked for every user, so status 2 is always covered.
    let not_a_folder = write(dir.path(), "not-a-folder", "a file\n");
    let out = not_a_folder.join("function.js");
    let output = build(&["fixtures/ok/spec-example.yaml", "-o", path_str(&out)]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(fs::read_to_string(&not_a_folder).unwrap(), "a file\n");
    assert_eq!(entries(dir.path()), ["locked", "not-a-folder"]);
}

#[test]
fn build_check_reports_staleness_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("function.js");
    let rules = "fixtures/ok/spec-example.yaml";
    assert_eq!(build(&[rules, "-o", path_str(&out)]).status.code(), Some(0));
    let current = fs::read(&out).unwrap();

    let output = build(&[rules, "-o", path_str(&out), "--check"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains(&format!("{} is up to date", out.display())),
        "{stdout}"
    );
    assert_eq!(fs::read(&out).unwrap(), current);

    // The readable form is not what was written: stale.
    let output = build(&[rules, "-o", path_str(&out), "--check", "--pretty"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(fs::read(&out).unwrap(), current, "--check writes nothing");

    let stale = String::from_utf8(current.clone())
        .unwrap()
        .replace("/index.html", "/old.html");
    fs::write(&out, &stale).unwrap();
    let output = build(&[rules, "-o", path_str(&out), "--check"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("is stale"), "{stderr}");
    let changed = |sign: char, text: &str| {
        stdout.lines().any(|line| {
            line.starts_with(sign)
                && !line.starts_with("---")
                && !line.starts_with("+++")
                && line.contains(text)
        })
    };
    assert!(
        changed('-', "/old.html") && changed('+', "/index.html"),
        "{stdout}"
    );
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        stale,
        "--check writes nothing"
    );

    let absent = dir.path().join("absent.js");
    let output = build(&[rules, "-o", path_str(&absent), "--check"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output).1);
    assert!(!absent.exists(), "--check creates nothing");
    assert_eq!(entries(dir.path()), ["function.js"]);
}

// ---- helpers ----

const PREVIOUS: &[u8] =
    b"// the previous, known-good function\nfunction handler(event) { return event.request; }\n";

/// `dir/function.js` holding `PREVIOUS`.
fn previous_output(dir: &Path) -> PathBuf {
    let out = dir.join("function.js");
    fs::write(&out, PREVIOUS).unwrap();
    out
}

/// `edgeroute build …`.
fn build(args: &[&str]) -> std::process::Output {
    let mut all = vec!["build"];
    all.extend_from_slice(args);
    edgeroute(&all)
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    path
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// The names in a folder, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The runtime a fixture names (default 1.0).
fn declared_runtime(path: &Path) -> Runtime {
    let loaded = pipeline::load(path).expect("readable");
    loaded.rules.map_or(Runtime::Js1, |rules| rules.runtime)
}

/// A fixture's text as written for its own runtime; for another, with `runtime:` changed.
fn source_for(path: &Path, runtime: Runtime) -> String {
    let text = read(path);
    if runtime == declared_runtime(path) {
        return text;
    }
    let mut out: String = text
        .lines()
        .filter(|line| !line.starts_with("runtime:"))
        .flat_map(|line| [line, "\n"])
        .collect();
    out.push_str(&format!("runtime: {runtime}\n"));
    out
}

/// Loads and generates a fixture for `runtime`; it must be free of errors.
fn generate(path: &Path, runtime: Runtime) -> (Loaded, Generated) {
    // named as the fixture: a `redirects:` map is read relative to it
    let (loaded, generated) =
        generate_named(&path.display().to_string(), &source_for(path, runtime));
    assert!(
        !loaded.diagnostics.has_errors(),
        "{}: {:?}",
        path.display(),
        loaded.diagnostics
    );
    (loaded, generated)
}

/// Loads and generates rules given as text; the diagnostics include those of generation.
fn generate_with_diagnostics(rules_text: &str) -> (Loaded, Generated) {
    generate_named("rules.yaml", rules_text)
}

/// [`generate_with_diagnostics`] for a file of that name.
fn generate_named(name: &str, rules_text: &str) -> (Loaded, Generated) {
    let mut loaded = pipeline::load_bytes(name, rules_text.as_bytes().to_vec());
    let rules = loaded
        .rules
        .take()
        .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
    let generated = pipeline::generate(&rules, &mut loaded.diagnostics).expect("generates");
    loaded.rules = Some(rules);
    (loaded, generated)
}

/// A rules file with one server and one location, each with extra lines of YAML.
fn one_location(server_name: &str, server: &[&str], location: &str, inside: &[&str]) -> String {
    let mut rules = format!("edgeroute: 1\nservers:\n  - server_name: {server_name}\n");
    for line in server {
        rules.push_str(&format!("    {line}\n"));
    }
    rules.push_str(&format!("    locations:\n      - location: {location}\n"));
    for line in inside {
        rules.push_str(&format!("        {line}\n"));
    }
    rules
}

/// A fixture that only loads on its own runtime fails elsewhere only for using `origin` or `kvs`.
fn assert_only_origin_needs_js2(loaded: &Loaded) {
    let codes: Vec<Code> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect();
    assert!(
        !codes.is_empty()
            && codes
                .iter()
                .all(|c| [Code::OriginNeedsJs2, Code::KvsNeedsJs2].contains(c)),
        "{codes:?}"
    );
}

/// The distinct rules a gate result names, in order of first appearance.
fn violated(result: Result<(), Vec<gate::Violation>>) -> Vec<Rule> {
    let mut rules = Vec::new();
    for violation in result.err().unwrap_or_default() {
        if !rules.contains(&violation.rule) {
            rules.push(violation.rule);
        }
    }
    rules
}

/// A YAML double-quoted scalar for any text.
fn yaml_str(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' ' => out.push(' '),
            c if c.is_ascii_graphic() => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

/// The origin-URI encoding of rules.md Safety, written independently of the router: unreserved
/// characters, `/` and `!$&'()*+,;=:@` stay; every other byte becomes `%XX`.
fn origin_encoded(path: &str) -> String {
    path.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Locations written exactly as location 0 at the end of a server's list are left out of `l`
/// (src/ir.rs `written_locations`); the router reads each missing one as location 0, so each still
/// routes, and reports itself as matched, exactly as when written out.
#[test]
fn locations_left_out_of_the_tables_route_as_location_0() {
    let location =
        |path: &str, target: &str| format!("      - location: {path}\n        rewrite: {target}\n");
    let case = |path: &str, uri: &str, matched: &str| {
        format!(
            "  - url: https://pr-7.preview.example.com{path}\n    uri: {uri}\n    matched: {matched}\n"
        )
    };
    let mut rules = String::from(
        "edgeroute: 1\nservers:\n  - server_name: \"{id}.preview.example.com\"\n    params: { id: \"pr-[0-9]+\" }\n    root: /$id\n    locations:\n",
    );
    let mut tests = String::from("tests:\n");
    for (j, path) in ["/p0/", "/own/", "/p1/", "/p2/", "/p3/"].iter().enumerate() {
        let own = j == 1;
        rules.push_str(&location(path, if own { "/own.html" } else { "/app.html" }));
        let uri = if own {
            "/pr-7/own.html"
        } else {
            "/pr-7/app.html"
        };
        tests.push_str(&case(&format!("{path}x"), uri, path));
    }
    let loaded = pipeline::load_bytes("left-out.yaml", (rules + &tests).into_bytes());
    let rules = loaded.rules.as_ref().expect("valid rules");
    let mut diagnostics = loaded.diagnostics.clone();
    let generated = pipeline::generate(rules, &mut diagnostics).expect("generates");
    // /p0/ is location 0; /p1/ to /p3/ are written as it, after /own/: two are written
    let tables = generated
        .pretty
        .lines()
        .find(|l| l.starts_with("var D = "))
        .expect("D");
    assert!(
        tables.contains(
            "\"l\":[{\"rw\":[[-1,\"/app.html\",0,2]]},{\"rw\":[[-1,\"/own.html\",0,2]]}]"
        ),
        "{tables}"
    );
    let report = golden::run(&generated.js, &generated.program, &rules.tests).expect("loads");
    assert_eq!(
        report.failures().count(),
        0,
        "{:#?}",
        report.failures().collect::<Vec<_>>()
    );
    assert_eq!(report.passed(), 5);
}
