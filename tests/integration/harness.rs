//! The golden-test harness as a user meets it: `edgeroute test`/`check`/`build` on rules files, and
//! hand-written functions loaded into `run::Harness` (cloudfront-runtime.md §3, §5–§8).
//!
//! `src/harness/` and its modules hold the fine-grained unit tests (every 502 field, the event shape,
//! KeyValueStore); here each behaviour is asserted once, end to end, with the exact text people read.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use edgeroute::diagnostic::Diagnostics;
use edgeroute::golden;
use edgeroute::harness::event::Request;
use edgeroute::harness::{
    CF_IMPORT, Decision, FIXED_NOW_MS, Harness, LOOP_ITERATION_LIMIT, OriginCall, Outcome,
    RECURSION_LIMIT, RunError,
};
use edgeroute::pipeline;
use edgeroute::runtime::Runtime;
use edgeroute::source::SourceFile;

use crate::common::{edgeroute, root, text};

const PREVIEWS: &str = "fixtures/ok/monorepo-previews.yaml";
const OPENFAAS: &str = "fixtures/ok/openfaas-previews.yaml";

// ---- golden runs through the real CLI ----

/// Three expectations made wrong: a `uri`, a `status` and a `matched`.
const WRONG_EXPECTATIONS: [(&str, &str); 3] = [
    (
        "    uri: /kahoot-1234/app1/app2/assets/chunk.js\n",
        "    uri: /kahoot-1234/app1/app2/assets/main.js\n",
    ),
    (
        "    ip: 192.0.2.10\n    status: 400\n  - url: https://kahoot-1234.group1.example.com/assets/abc.png   # outside",
        "    ip: 192.0.2.10\n    status: 404\n  - url: https://kahoot-1234.group1.example.com/assets/abc.png   # outside",
    ),
    (
        "    uri: /kahoot-1234/app3/index.html\n    matched: /\n",
        "    uri: /kahoot-1234/app3/index.html\n    matched: /assets/\n",
    ),
];

#[test]
fn a_failing_case_shows_request_diff_and_decider_and_exits_1() {
    let (dir, rules) = edited_copy(PREVIEWS, &WRONG_EXPECTATIONS);
    let output = edgeroute(&["test", path_str(&rules)]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert_eq!(stderr, "");
    let summary = format!("{} passed, 3 failed", own_cases(PREVIEWS) - 3);
    assert_eq!(stdout.lines().last(), Some(summary.as_str()));
    for needle in [
        "request: GET https://kahoot-1234.group1.example.com/app2/assets/chunk.js\n  from 192.0.2.10\n",
        "-uri: /kahoot-1234/app1/app2/assets/main.js\n+uri: /kahoot-1234/app1/app2/assets/chunk.js\n",
        "decided by: server 1 `{id}.group1.example.com`, location 0 `/app2/assets/`\n",
        "-status: 404\n+status: 400\n",
        "-matched: /assets/\n+matched: /\n",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
    snapshot("failure_report", &redact(&stdout, dir.path()));
}

#[test]
fn check_and_build_run_the_same_golden_tests() {
    let (dir, rules) = edited_copy(PREVIEWS, &WRONG_EXPECTATIONS[..1]);
    let tested = text(&edgeroute(&["test", path_str(&rules)])).0;

    let output = edgeroute(&["check", path_str(&rules)]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with(&tested),
        "check prints the test report:\n{stdout}"
    );

    let out = dir.path().join("function.js");
    let output = edgeroute(&["build", path_str(&rules), "-o", path_str(&out)]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    let summary = format!("{} passed, 1 failed\n", own_cases(PREVIEWS) - 1);
    assert!(stdout.ends_with(&summary), "{stdout}");
    assert!(stderr.contains("was not written: tests failed"), "{stderr}");
    assert!(
        !out.exists(),
        "a function that fails its tests is never written"
    );
}

#[test]
fn the_bundled_examples_pass_with_full_coverage() {
    for fixture in [PREVIEWS, OPENFAAS] {
        assert!(own_cases(fixture) > 10, "{fixture}");
    }
}

#[test]
fn extra_cases_files_run_against_the_same_function() {
    let dir = tempfile::tempdir().expect("temp dir");
    let more = write(
        dir.path(),
        "more.yaml",
        "tests:\n  - url: https://pr-1.group2.example.com/app4/assets/x.js\n    ip: 192.0.2.1\n    \
         uri: /pr-1/app3/app4/assets/x.js\n    matched: /app4/assets/\n  \
         - url: https://pr-1.group2.example.com/app4/assets/x.js\n    status: 403\n",
    );
    let wrong = write(
        dir.path(),
        "wrong.yaml",
        "tests:\n  - url: https://pr-2.group9.example.com/x?a=1\n    ip: 2001:db8::1\n    \
         uri: /pr-2/app3/index.html\n    querystring: a=1\n",
    );
    let output = edgeroute(&["test", PREVIEWS, "--cases", path_str(&more)]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    let own = own_cases(PREVIEWS);
    assert_eq!(stdout, format!("{} passed, 0 failed\n", own + 2));

    let output = edgeroute(&[
        "test",
        PREVIEWS,
        "--cases",
        path_str(&more),
        "--cases",
        path_str(&wrong),
    ]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with(&format!(
            "FAILED case {} (https://pr-2.group9.example.com/x?a=1)\n",
            own + 3
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("-uri: /pr-2/app3/index.html\n+uri: /pr-2/app1/index.html\n"),
        "{stdout}"
    );
    let summary = format!("{} passed, 1 failed\n", own + 2);
    assert!(stdout.ends_with(&summary), "{stdout}");

    let broken = write(
        dir.path(),
        "broken.yaml",
        "tests:\n  - url: example.com/x\n    status: 404\n",
    );
    let output = edgeroute(&["test", PREVIEWS, "--cases", path_str(&broken)]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("error[invalid-url]"), "{stderr}");
    assert!(
        stdout.is_empty(),
        "no case runs when a cases file is invalid: {stdout}"
    );

    let missing = dir.path().join("missing.yaml");
    let output = edgeroute(&["test", PREVIEWS, "--cases", path_str(&missing)]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "an unreadable cases file: the command could not run"
    );
}

/// Two servers; the one test reaches only `location /` of the first.
const PARTLY_COVERED: &str = "edgeroute: 1
runtime: cloudfront-js-1.0
servers:
  - server_name: a.example.com
    root: /a
    locations:
      - location: /assets/
      - location: /
  - server_name: b.example.com
    root: /b
    locations:
      - location: /
tests:
  - url: https://a.example.com/x
    uri: /a/x
    matched: /
";

#[test]
fn coverage_lists_servers_and_locations_no_case_reached() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = write(dir.path(), "rules.yaml", PARTLY_COVERED);
    let listing = "  location `/assets/` in server `a.example.com`\n  server `b.example.com`\n  \
                   location `/` in server `b.example.com`\n";

    let output = edgeroute(&["test", path_str(&rules)]);
    let (stdout, _) = text(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "uncovered rules are a note: {stdout}"
    );
    assert_eq!(
        stdout,
        format!("note: not covered by any test case:\n{listing}1 passed, 0 failed\n")
    );

    for command in ["test", "check"] {
        let output = edgeroute(&[command, path_str(&rules), "--require-coverage"]);
        let (stdout, _) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{command}: {stdout}");
        assert!(
            stdout.starts_with(&format!(
                "error: not covered by any test case:\n{listing}1 passed, 0 failed\n"
            )),
            "{command}: {stdout}"
        );
    }

    // cases from `--cases` files count towards coverage
    let rest = write(
        dir.path(),
        "rest.yaml",
        "tests:\n  - url: https://a.example.com/assets/x.png\n    uri: /a/assets/x.png\n  \
         - url: https://b.example.com/\n    uri: /b/index.html\n",
    );
    let output = edgeroute(&[
        "test",
        path_str(&rules),
        "--cases",
        path_str(&rest),
        "--require-coverage",
    ]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert_eq!(stdout, "3 passed, 0 failed\n");
}

#[test]
fn the_origin_a_case_expects_is_the_one_the_function_selected() {
    let edit = [(
        "    uri: /function/pr-42\n    origin: openfaas-gateway\n    matched: = /graphql\n",
        "    uri: /function/pr-42\n    origin: default\n    matched: = /graphql\n",
    )];
    let (_dir, rules) = edited_copy(OPENFAAS, &edit);
    let output = edgeroute(&["test", path_str(&rules)]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("request: POST https://pr-42.preview.example.com/graphql\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("-origin: default\n+origin: openfaas-gateway\n"),
        "{stdout}"
    );
    let summary = format!("{} passed, 1 failed\n", own_cases(OPENFAAS) - 1);
    assert!(stdout.ends_with(&summary), "{stdout}");
}

#[test]
fn a_function_that_throws_fails_its_case_with_the_503_and_the_message() {
    let text = std::fs::read_to_string(root().join(PREVIEWS)).expect("read the example");
    let mut loaded = pipeline::load_bytes(PREVIEWS, text.into_bytes());
    let rules = loaded.rules.take().expect("valid rules");
    let generated = pipeline::generate(&rules, &mut loaded.diagnostics).expect("generate");
    // the entry point, whatever names the minifier gave its parameters
    let start = generated
        .js
        .find("function route(")
        .expect("the router's entry point");
    let open = start + generated.js[start..].find('{').expect("its body");
    let event = &generated.js[start + "function route(".len()..open]
        .split([',', ')'])
        .next()
        .expect("its first parameter");
    let boom = format!("if({event}.request.uri=='/boom')throw new TypeError('boom at the edge');");
    let mut js = generated.js.clone();
    js.insert_str(open + 1, &boom);
    let cases = cases(
        "tests:\n  - url: https://kahoot-1234.group1.example.com/boom\n    ip: 192.0.2.10\n    \
         uri: /kahoot-1234/app1/index.html\n  - url: https://kahoot-1234.group1.example.com/ok\n    \
         ip: 192.0.2.10\n    uri: /kahoot-1234/app1/index.html\n",
    );
    let report = golden::run(&js, &generated.program, &cases).expect("the function loads");
    assert_eq!((report.passed(), report.failed()), (1, 1));
    let failure = report.failures().next().expect("one failure");
    // the column moves whenever the generated code changes; the line is the router's
    let (before, after) = failure
        .split_once("(function.js:2:")
        .expect("the message names the throwing line");
    let (_column, rest) = after.split_once(')').expect("a closing parenthesis");
    snapshot(
        "exception_report",
        &format!("{before}(function.js:2:[column]){rest}"),
    );
}

/// More cases than one thread takes at a time: they run on every core (one context each), and
/// each result is reported at its own case.
#[test]
fn many_cases_run_on_every_core_and_report_at_their_own_case() {
    let loaded = pipeline::load(&root().join(PREVIEWS)).expect("the example loads");
    let rules = loaded.rules.expect("valid rules");
    let generated = pipeline::generate(&rules, &mut Diagnostics::default()).expect("generated");
    let wrong = [3, 64, 65, 127, 299];
    let mut yaml = String::from("tests:\n");
    for i in 0..300 {
        let uri = if wrong.contains(&i) {
            "/elsewhere".to_owned()
        } else {
            format!("/pr-{i}/app1/assets/f{i}.png")
        };
        yaml.push_str(&format!(
            "  - url: https://pr-{i}.group1.example.com/assets/f{i}.png\n    ip: 192.0.2.10\n    uri: {uri}\n"
        ));
    }
    let report = golden::run(&generated.js, &generated.program, &cases(&yaml)).expect("loads");
    assert_eq!((report.passed(), report.failed()), (295, 5));
    let first_lines: Vec<&str> = report
        .failures()
        .map(|f| f.lines().next().expect("a first line"))
        .collect();
    let expected: Vec<String> = wrong
        .iter()
        .map(|i| {
            format!(
                "FAILED case {} (https://pr-{i}.group1.example.com/assets/f{i}.png)",
                i + 1
            )
        })
        .collect();
    assert_eq!(first_lines, expected);
}

// ---- hand-written functions in the harness ----

/// `route` runs `body` with `event` and `request` in scope; `handler` returns its `r`.
fn with_body(body: &str) -> String {
    format!(
        "function route(event, T) {{ var request = event.request;\n{body}\n}}\n\
         function handler(event) {{ return route(event).r; }}\n"
    )
}

fn load(js: &str, runtime: Runtime) -> Harness {
    Harness::load(js, runtime).unwrap_or_else(|e| panic!("{e}\n{js}"))
}

fn handle(body: &str, runtime: Runtime) -> Result<Outcome, RunError> {
    load(&with_body(body), runtime).handler(&Request::get("https://h.example.com/a?x=1"))
}

/// The body of the response `handle` answered with.
fn answered(body: &str, runtime: Runtime) -> String {
    match handle(body, runtime) {
        Ok(Outcome::Answer {
            body: Some(body), ..
        }) => body,
        other => panic!("{body}: {other:?}"),
    }
}

#[test]
fn an_exception_is_a_503_with_the_javascript_error() {
    let error = handle(
        "if (request.uri === '/a') throw new RangeError('index out of range');",
        Runtime::Js1,
    )
    .unwrap_err();
    assert!(matches!(error, RunError::Exception(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("exception → 503: RangeError: index out of range (function.js:2:"),
        "{message}"
    );
    let error = handle("return { r: request.headers.missing.value };", Runtime::Js2).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("exception → 503: TypeError: "),
        "{error}"
    );
}

#[test]
fn each_kind_of_invalid_return_is_a_502_with_its_reason() {
    let cases = [
        (
            "return { r: 42 };",
            "returned 42; return event.request or a response",
        ),
        (
            "return { r: event };",
            "returned the whole event; return event.request or a response",
        ),
        (
            "return { r: { body: 'x' } };",
            "returned an object that is neither a request (`uri`) nor a response (`statusCode`)",
        ),
        (
            "request.uri = 'a/b'; return { r: request };",
            "request.uri must start with `/`: `a/b`",
        ),
        (
            "request.method = 'POST'; return { r: request };",
            "request.method is read-only: `GET` became `POST`",
        ),
        (
            "request.headers['x-up'] = 'v'; return { r: request };",
            "request.headers.x-up must be { value: string }",
        ),
        (
            "request.headers['x-up'] = { multiValue: [{ value: 1 }] }; return { r: request };",
            "request.headers.x-up.multiValue[0] must be { value: string }",
        ),
        (
            "request.headers['x-real-ip'] = { value: '203.0.113.1' }; return { r: request };",
            "header rule: disallowed header `x-real-ip` cannot be added",
        ),
        (
            "request.headers.host = { value: 'other.example.com' }; return { r: request };",
            "header rule: read-only header `host` changed from [\"h.example.com\"] to [\"other.example.com\"]",
        ),
        (
            "return { r: { statusCode: 301.5 } };",
            "statusCode must be an integer 200–599, got 301.5",
        ),
        (
            "return { r: { statusCode: '404' } };",
            "statusCode must be an integer 200–599, got the string \"404\"",
        ),
    ];
    for runtime in [Runtime::Js1, Runtime::Js2] {
        for (body, reason) in cases {
            let error = handle(body, runtime).unwrap_err();
            assert_eq!(
                error.to_string(),
                format!("invalid return → 502: {reason}"),
                "{runtime} {body}"
            );
        }
    }
}

/// `typeof` of each name, as `name=type` lines.
fn type_table(names: &[&str], runtime: Runtime) -> String {
    let list: Vec<String> = names
        .iter()
        .map(|n| format!("\"{n}=\" + typeof {n}"))
        .collect();
    let body = format!(
        "return {{ r: {{ statusCode: 200, body: [{}].join('\\n') }} }};",
        list.join(", ")
    );
    answered(&body, runtime)
}

fn expected_table(names: &[&str], kind: &str) -> String {
    let lines: Vec<String> = names.iter().map(|n| format!("{n}={kind}")).collect();
    lines.join("\n")
}

#[test]
fn globals_follow_the_runtime() {
    // unlisted in both runtimes (cloudfront-runtime.md §3, last two rows), and what no edge has
    let absent = [
        "Map",
        "Set",
        "WeakMap",
        "WeakSet",
        "Proxy",
        "Reflect",
        "BigInt",
        "Intl",
        "Object.fromEntries",
        "Object.hasOwn",
        "Array.from",
        "[].flat",
        "[].flatMap",
        "[].at",
        "[].findLast",
        "''.matchAll",
        "''.normalize",
        "String.raw",
        "require",
        "process",
        "setTimeout",
        "setInterval",
        "module",
        "exports",
        "cf",
    ];
    // listed for 2.0 only
    let js2_only = [
        "''.replaceAll",
        "Promise.all",
        "Promise.allSettled",
        "Promise.any",
        "Promise.race",
        "Symbol.for",
        "Symbol.keyFor",
        "DataView",
        "Object.getOwnPropertyDescriptors",
    ];
    // listed for both
    let present = [
        "Object.assign",
        "Object.entries",
        "''.padStart",
        "''.includes",
        "[].includes",
        "[].find",
        "Array.of",
        "Number.isInteger",
        "Math.trunc",
        "JSON.stringify",
        "encodeURIComponent",
        "decodeURIComponent",
        "parseInt",
        "Promise.resolve",
        "Uint8Array",
        "''.charCodeAt",
        "console.log",
    ];
    for (runtime, js2) in [(Runtime::Js1, "undefined"), (Runtime::Js2, "function")] {
        assert_eq!(
            type_table(&absent, runtime),
            expected_table(&absent, "undefined"),
            "{runtime}"
        );
        assert_eq!(
            type_table(&js2_only, runtime),
            expected_table(&js2_only, js2),
            "{runtime}"
        );
        assert_eq!(
            type_table(&present, runtime),
            expected_table(&present, "function"),
            "{runtime}"
        );
    }
    let error = handle("new Map(); return { r: request };", Runtime::Js2).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("exception → 503: ReferenceError: Map is not defined"),
        "{error}"
    );
}

#[test]
fn eval_and_the_function_constructor_throw() {
    for code in [
        "eval('1')",
        "(0, eval)('1')",
        "new Function('return 1')",
        "Function('return 1')()",
        "(function () {}).constructor('return 1')",
    ] {
        for runtime in [Runtime::Js1, Runtime::Js2] {
            let error = handle(&format!("{code}; return {{ r: request }};"), runtime).unwrap_err();
            let message = error.to_string();
            assert!(
                message.starts_with(
                    "exception → 503: TypeError: eval and new Function are not allowed in CloudFront Functions"
                ),
                "{runtime} {code}: {message}"
            );
        }
    }
}

#[test]
fn console_has_only_log_and_its_output_comes_back_per_case() {
    let body = "console.log('saw', request.uri, 2); return { r: request, s: 0, l: -1 };";
    let mut js1 = load(&with_body(body), Runtime::Js1);
    let decision = js1.route(&Request::get("https://h/one")).expect("routes");
    assert_eq!(decision.log, ["saw /one 2"]);
    let decision = js1.route(&Request::get("https://h/two")).expect("routes");
    assert_eq!(
        decision.log,
        ["saw /two 2"],
        "the log starts empty for each case"
    );

    let mut js2 = load(&with_body(body), Runtime::Js2);
    let decision = js2.route(&Request::get("https://h/one")).expect("routes");
    assert_eq!(
        decision.log,
        ["saw"],
        "2.0's console.log takes one argument"
    );

    let keys = "return { r: { statusCode: 200, body: Object.getOwnPropertyNames(console).join() + ' ' + typeof console.error } };";
    for runtime in [Runtime::Js1, Runtime::Js2] {
        assert_eq!(answered(keys, runtime), "log undefined", "{runtime}");
        let error = handle("console.error('x'); return { r: request };", runtime).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("exception → 503: TypeError: "),
            "{runtime}: {error}"
        );
    }
}

#[test]
fn a_runaway_loop_is_stopped_quickly_with_a_clear_message() {
    let body = "if (request.uri === '/spin') { while (true) {} }\n\
                if (request.uri === '/nested') { for (;;) { for (var i = 0; i < 10; i++) {} } }\n\
                return { r: request, s: 0, l: -1 };";
    let mut harness = load(&with_body(body), Runtime::Js1);
    let message = format!(
        "harness limit hit (the edge would likely answer 503): a loop ran more than {LOOP_ITERATION_LIMIT} iterations in one call"
    );
    for url in ["https://h/spin", "https://h/nested"] {
        let started = Instant::now();
        let error = harness.route(&Request::get(url)).unwrap_err();
        let took = started.elapsed();
        assert_eq!(error.to_string(), message, "{url}");
        assert!(took < Duration::from_secs(1), "{url} took {took:?}");
        let next = harness.route(&Request::get("https://h/fine"));
        assert!(next.is_ok(), "the next case runs normally: {next:?}");
    }
}

#[test]
fn deep_recursion_is_stopped() {
    let body = "function down(n) { return n === 0 ? 0 : 1 + down(n - 1); }\n\
                var depth = +request.uri.slice(1);\n\
                return { r: { statusCode: 200, body: '' + down(depth) }, s: 0, l: -1 };";
    let mut harness = load(&with_body(body), Runtime::Js1);
    let started = Instant::now();
    let error = harness
        .route(&Request::get("https://h/100000"))
        .unwrap_err();
    assert_eq!(
        error,
        RunError::Limit(format!(
            "calls nested more than {RECURSION_LIMIT} deep (recursion)"
        ))
    );
    assert!(started.elapsed() < Duration::from_secs(1));
    let fine = harness
        .route(&Request::get("https://h/150"))
        .expect("150 deep is fine");
    assert!(
        matches!(&fine.outcome, Outcome::Answer { body: Some(b), .. } if b == "150"),
        "{fine:?}"
    );
}

#[test]
fn origin_calls_are_recorded_on_js2() {
    let js = format!(
        "{CF_IMPORT}\n{}",
        with_body(
            "if (request.uri === '/api') cf.selectRequestOriginById('api-gateway');\n\
             if (request.uri === '/bucket') cf.updateRequestOrigin({ domainName: 'b.s3.amazonaws.com' });\n\
             return { r: request, s: 0, l: 0 };"
        )
    );
    let mut harness = load(&js, Runtime::Js2);
    let mut origin = |url: &str| match harness.route(&Request::get(url)) {
        Ok(decision) => match decision.outcome {
            Outcome::Pass { origin, .. } => origin,
            other => panic!("{url}: {other:?}"),
        },
        Err(error) => panic!("{url}: {error}"),
    };
    assert_eq!(
        origin("https://h/api"),
        OriginCall::ById("api-gateway".into())
    );
    assert_eq!(
        origin("https://h/other"),
        OriginCall::Default,
        "no call: the cache behavior's origin, whatever the last case chose"
    );
    assert_eq!(
        origin("https://h/bucket"),
        OriginCall::ByDomain("b.s3.amazonaws.com".into())
    );
    match Harness::load(&js, Runtime::Js1) {
        Err(RunError::WouldNotLoad(why)) => assert!(why.contains("syntax error"), "{why}"),
        other => panic!("an import on 1.0 must not load: {:?}", other.map(|_| ())),
    }
}

#[test]
fn time_is_frozen_and_random_is_seeded_per_case() {
    let body = "var seen = Date.now() + ' ' + new Date().toISOString() + ' ' + Math.random() + ' ' + Math.random();\n\
                return { r: { statusCode: 200, body: seen }, s: 0, l: -1 };";
    let run = |harness: &mut Harness| match harness.route(&Request::get("https://h/")) {
        Ok(Decision {
            outcome: Outcome::Answer {
                body: Some(body), ..
            },
            ..
        }) => body,
        other => panic!("{other:?}"),
    };
    let mut harness = load(&with_body(body), Runtime::Js1);
    let first = run(&mut harness);
    assert_eq!(run(&mut harness), first, "the same in every case");
    assert_eq!(
        run(&mut load(&with_body(body), Runtime::Js2)),
        first,
        "the same in every run"
    );
    let parts: Vec<&str> = first.split(' ').collect();
    assert_eq!(
        parts[..2],
        [
            FIXED_NOW_MS.to_string().as_str(),
            "2024-01-01T00:00:00.000Z"
        ]
    );
    let draws: Vec<f64> = parts[2..]
        .iter()
        .map(|d| d.parse().expect("a number"))
        .collect();
    assert!(draws.iter().all(|d| (0.0..1.0).contains(d)), "{draws:?}");
    assert_ne!(draws[0], draws[1], "a sequence, not a constant");
}

#[test]
fn one_context_serves_every_case_of_a_file() {
    let js = "var calls = 0;\nfunction route(event, T) { calls++; \
              return { r: { statusCode: 200, body: calls + ' ' + Math.random() }, s: 0, l: -1 }; }\n\
              function handler(event) { return route(event).r; }\n";
    let mut harness = load(js, Runtime::Js1);
    let bodies: Vec<String> = (0..3)
        .map(|_| match harness.route(&Request::get("https://h/")) {
            Ok(Decision {
                outcome:
                    Outcome::Answer {
                        body: Some(body), ..
                    },
                ..
            }) => body,
            other => panic!("{other:?}"),
        })
        .collect();
    let (counts, draws): (Vec<&str>, Vec<&str>) = bodies
        .iter()
        .map(|b| b.split_once(' ').expect("two parts"))
        .unzip();
    assert_eq!(
        counts,
        ["1", "2", "3"],
        "module state lives on, as in a warm instance"
    );
    assert!(
        draws.iter().all(|d| *d == draws[0]),
        "Math.random restarts: {draws:?}"
    );
}

// ---- helpers ----

/// Snapshots `value` as `tests/integration/snapshots/harness__NAME.snap`.
fn snapshot(name: &str, value: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(format!("harness__{name}"), value);
    });
}

/// How many cases `fixture` holds; all of them pass, and they exercise every server and location.
fn own_cases(fixture: &str) -> usize {
    let output = edgeroute(&["test", fixture, "--require-coverage"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{fixture}: {stdout}{stderr}");
    let passed = stdout.strip_suffix(" passed, 0 failed\n");
    let count = passed.and_then(|n| n.parse().ok());
    count.unwrap_or_else(|| panic!("{fixture}: only the summary line expected, got {stdout}"))
}

/// A copy of `fixture` in a temporary folder with each `(from, to)` replaced once.
fn edited_copy(fixture: &str, edits: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let mut text = std::fs::read_to_string(root().join(fixture)).expect("read fixture");
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "edit {from:?} must match once"
        );
        text = text.replacen(from, to, 1);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let name = Path::new(fixture).file_name().expect("file name");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write the copy");
    (dir, path)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

/// `text` with the temporary folder replaced by `[TMP]`.
fn redact(text: &str, dir: &Path) -> String {
    text.replace(path_str(dir), "[TMP]")
}

fn cases(yaml: &str) -> Vec<edgeroute::model::Case> {
    let file = SourceFile::new("cases.yaml", yaml.to_owned());
    let mut diagnostics = Diagnostics::default();
    let cases = golden::load_cases(&file, &mut diagnostics).expect("cases parse");
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    cases
}

// ---- values in bodies and query strings (found by the differential suite) ----

const ENCODING_RULES: &str = r#"edgeroute: 1
servers:
  - server_name: example.com
    root: /site
    locations:
      - location: ~ ^/echo(/.*)$
        return: 200 uri=$uri capture=$1
      - location: ~ ^/q/(.*)$
        rewrite: ^/q/(.*)$ /page.html?x=$1 break
      - location: /
"#;

fn route_encoding(url: &str) -> Outcome {
    let loaded = pipeline::load_bytes("encoding.yaml", ENCODING_RULES.as_bytes().to_vec());
    let rules = loaded.rules.expect("valid rules");
    let generated = pipeline::generate(&rules, &mut Diagnostics::default()).expect("generated");
    let mut harness = load(&generated.js, generated.program.runtime);
    harness.route(&Request::get(url)).expect("routed").outcome
}

#[test]
fn a_return_body_holds_the_uri_as_text_not_as_bytes() {
    for url in [
        "https://example.com/echo/caf%C3%A9.png",
        "https://example.com/echo/caf\u{e9}.png",
    ] {
        let Outcome::Answer { status, body, .. } = route_encoding(url) else {
            panic!("{url}: not answered");
        };
        assert_eq!(status, 200);
        assert_eq!(
            body.as_deref(),
            Some("uri=/echo/caf\u{e9}.png capture=/caf\u{e9}.png"),
            "{url}"
        );
    }
    // invalid UTF-8 cannot be text: one char per byte, as before
    let Outcome::Answer { body, .. } = route_encoding("https://example.com/echo/%FF") else {
        panic!("not answered");
    };
    assert_eq!(body.as_deref(), Some("uri=/echo/\u{ff} capture=/\u{ff}"));
}

#[test]
fn a_capture_in_a_query_string_cannot_add_pairs() {
    for (path, query) in [
        ("/q/a+b.js", "x=a%2Bb.js"),
        ("/q/a&admin=1", "x=a%26admin=1"),
        ("/q/a;b", "x=a%3Bb"),
        ("/q/caf%C3%A9", "x=caf%C3%A9"),
        ("/q/plain-1.0", "x=plain-1.0"),
    ] {
        let url = format!("https://example.com{path}");
        let Outcome::Pass {
            uri, querystring, ..
        } = route_encoding(&url)
        else {
            panic!("{url}: not passed on");
        };
        assert_eq!(uri, "/site/page.html", "{url}");
        let pairs: Vec<String> = querystring
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(pairs.join("&"), query, "{url}");
    }
}

// ---- the Host header ----

fn route_host(host: &str) -> String {
    let rules = "edgeroute: 1\nservers:\n  - server_name: \"{id}.example.com\"\n    root: /$id\n    \
                 locations:\n      - location: /\n";
    let loaded = pipeline::load_bytes("hosts.yaml", rules.as_bytes().to_vec());
    let rules = loaded.rules.expect("valid rules");
    let generated = pipeline::generate(&rules, &mut Diagnostics::default()).expect("generated");
    let mut harness = load(&generated.js, generated.program.runtime);
    match harness
        .route(&Request::get(&format!("https://{host}/x.js")))
        .expect("routed")
        .outcome
    {
        Outcome::Pass { uri, .. } => uri,
        Outcome::Answer { status, .. } => status.to_string(),
    }
}

#[test]
fn hosts_are_normalized_and_bad_ones_answer_400() {
    let long = "a".repeat(63);
    let cases = [
        ("pr-1.example.com", "/pr-1/x.js".to_owned()),
        ("PR-1.Example.COM.", "/pr-1/x.js".to_owned()),
        ("pr-1.example.com:8443", "/pr-1/x.js".to_owned()),
        (long.as_str(), "404".to_owned()),
        // a param label of 63 chars is one; 64 is not a label
        (&format!("{long}.example.com"), format!("/{long}/x.js")),
        (&format!("{long}a.example.com"), "400".to_owned()),
        ("pr-1..example.com", "400".to_owned()),
        ("a b.example.com", "400".to_owned()),
        ("pr-1.example.com\t", "400".to_owned()),
        ("pr\\1.example.com", "400".to_owned()),
        // "_" reaches the server search, which it does not pass (the default server, whose
        // param is then unset: 404); any char outside ASCII letters, digits and "_.-:[]" is 400,
        // before lower-casing, so no engine's Unicode case folding decides (U+017F, U+212A)
        ("pr_1.example.com", "404".to_owned()),
        ("pr~1.example.com", "400".to_owned()),
        ("caf\u{e9}.example.com", "400".to_owned()),
        ("pr-1.exampl\u{17f}.com", "400".to_owned()),
        ("pr-1.\u{212a}ahoot.com", "400".to_owned()),
        ("pr-1.example.com\n", "400".to_owned()),
        ("%2e%2e.example.com", "400".to_owned()),
    ];
    for (host, want) in cases {
        assert_eq!(route_host(host), want, "{host:?}");
    }
}
