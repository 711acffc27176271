//! Differential tests: the generated function against real nginx, and against itself in boa, njs
//! and node, on probe requests derived from each rule set (fixtures/ok and seeded random sets).
//!
//! How a decision is compared (one nginx per rule set, configured by `edgeroute export nginx` with
//! every root and alias under the instance's html folder; oracle.rs keeps that folder equal to the
//! `extension` files model, each file holding its own path):
//!
//! | the function | nginx must answer |
//! | --- | --- |
//! | passes the request on with `uri` K whose last segment has a `.` (the key exists) | 200, body K (percent-decoded: the file served is root/alias + URI) |
//! | passes it on with a K that does not exist under the model (the origin answers 404) | 404, after looking for exactly K |
//! | either, with a query string | `$args` (an `X-Edgeroute-Args` header) equal as a multiset of pairs |
//! | a redirect | the same status and Location; nginx's `http://host/…` (`port_in_redirect off`) read as `https://host/…` (rules.md: redirects are based on `https://$host`) |
//! | `return CODE TEXT` | the same status and body |
//! | any other status (400, 403, 404, 500, `return CODE`) | the same status |
//!
//! Where rules.md deliberately differs from nginx ("Deviations from nginx"), the function's answer
//! stands and the case is counted under its name in [`DEVIATIONS`], the allow-list that
//! docs/nginx-fidelity.md documents; each entry matches only when the function's own trace shows
//! that rule deciding. Anything else is a disagreement, and the suite fails.
//!
//! Engine agreement: the same requests run through the same bytes in boa, njs and node; outcome,
//! server, location and trace must be equal. Missing programs print a loud SKIPPED line, and fail
//! the test under `EDGEROUTE_CI=1`. More random sets: `EDGEROUTE_DIFF_SETS=500` (and
//! `EDGEROUTE_DIFF_SEED`), or the ignored `many_random_rule_sets_agree_with_nginx_and_all_engines`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;

use edgeroute::diagnostic::Diagnostics;
use edgeroute::harness::engines::{self, Engine};
use edgeroute::harness::event::{Request, query_pairs};
use edgeroute::harness::{Decision, Harness, Outcome, RunError};
use edgeroute::ir::Program;
use edgeroute::js::emit::{Shape, emit_shaped};
use edgeroute::model::{Part, Rules, Server, ServerName, Var};
use edgeroute::{pipeline, review::export_nginx};

use crate::common::{edgeroute, fixtures, root, stem, text};
use crate::oracle::{self, Answer, Nginx};
use crate::probes::{self, Probe};
use crate::rulegen::{self, Rng};

/// The fixed seed CI runs, and the number of valid random rule sets it compares.
const SEED: u64 = 0xED6E_2026;
const SETS: usize = 50;
/// Probes per rule set (fixtures keep all their golden URLs on top).
const RANDOM_PROBES: usize = 64;
const FIXTURE_PROBES: usize = 400;

/// rules.md "Deviations from nginx": the cases where the function's answer differs on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Deviation {
    /// Access is checked on entering a location (and gates server-level answers); nginx runs
    /// `rewrite`/`return` first. The function answered 403 from an access step.
    AccessFirst,
    /// An unset param answers 404; nginx substitutes "". The server's params were not all set.
    UnsetParam,
    /// nginx sees a folder on disk that the `extension` model says does not exist.
    FilesModel,
    /// The origin path had a `.`/`..` segment after root/alias: 404 (nginx's alias climbs out).
    OriginPath,
    /// Control characters in the path, host labels over 63 characters: 400.
    ControlChars,
    /// `$uri`, captures and params are percent-encoded in a Location, and request data in its
    /// query string escaped; nginx 1.22 writes `return` values raw and re-escapes rewrite
    /// captures its own way. Equal once both are decoded.
    LocationEscaping,
    /// Request data put into a query string is escaped (non-ASCII bytes, space, `#`, `&`, `+`,
    /// `;`); nginx writes it raw. Equal once both are percent-decoded.
    QueryEscaping,
    /// A new `$uri` that does not start with `/`, or an origin path outside the value of its root
    /// or alias up to the last param: 404 (the tenant boundary); nginx concatenates.
    TenantBoundary,
    /// A Host with a char outside ASCII letters, digits and `_.-:[]`: 400; nginx accepts more.
    HostChars,
}

const DEVIATIONS: [(Deviation, &str); 9] = [
    (Deviation::AccessFirst, "access-first"),
    (Deviation::UnsetParam, "unset-param"),
    (Deviation::FilesModel, "files-model"),
    (Deviation::OriginPath, "origin-path"),
    (Deviation::ControlChars, "control-chars"),
    (Deviation::LocationEscaping, "location-escaping"),
    (Deviation::QueryEscaping, "query-escaping"),
    (Deviation::TenantBoundary, "tenant-boundary"),
    (Deviation::HostChars, "host-chars"),
];

fn deviation_name(d: Deviation) -> &'static str {
    DEVIATIONS.iter().find(|(x, _)| *x == d).expect("listed").1
}

#[test]
fn fixtures_agree_with_nginx_and_all_engines() {
    let tools = Tools::find("the fixtures differential suite");
    let mut tally = Tally::default();
    for path in fixtures("ok") {
        let loaded = pipeline::load(&path).expect("readable fixture");
        let rules = loaded.rules.expect("valid fixture");
        let probes = probes::probes(&rules, SEED, FIXTURE_PROBES);
        check_set(
            &stem(&path),
            &rules,
            None,
            &probes,
            &tools,
            true,
            &mut tally,
        );
    }
    tally.report("fixtures/ok", &tools);
    tally.assert_clean();
    if tools.nginx.is_some() {
        assert!(tally.compared >= 150, "{} probes", tally.compared);
    }
}

#[test]
fn random_rule_sets_agree_with_nginx_and_all_engines() {
    let sets = env_number("EDGEROUTE_DIFF_SETS").unwrap_or(SETS as u64) as usize;
    let seed = env_number("EDGEROUTE_DIFF_SEED").unwrap_or(SEED);
    let tally = random_suite(seed, sets, "the random differential suite");
    if tally.nginx_ran && sets >= SETS {
        assert!(tally.sets >= SETS, "only {} rule sets", tally.sets);
        assert!(
            tally.compared >= 2000,
            "only {} probes compared",
            tally.compared
        );
    }
}

#[test]
#[ignore = "500 random rule sets, a few minutes: cargo test --locked many_random -- --ignored"]
fn many_random_rule_sets_agree_with_nginx_and_all_engines() {
    let sets = env_number("EDGEROUTE_DIFF_SETS").unwrap_or(500) as usize;
    let seed = env_number("EDGEROUTE_DIFF_SEED").unwrap_or(SEED ^ 0xFFFF);
    random_suite(seed, sets, "the large random differential suite");
}

/// The router is a family of programs, one per combination of `ir::Features`: the CI run's random
/// sets (the same seed, count and validity filter as `random_rule_sets_agree_with_nginx_and_all_engines`)
/// must hold every pair of features in all four on/off combinations, as the compiler reports them.
/// A combination is exempt only where the compiler makes one feature imply the other, and each
/// such implication is shown on a minimal rule set (when it stops holding, the exemption goes).
#[test]
fn the_ci_sets_cover_every_pair_of_router_features() {
    let mut rng = Rng::new(SEED);
    let mut rows: Vec<BTreeMap<String, bool>> = Vec::new();
    let mut n = 0;
    while rows.len() < SETS && n < SETS * 4 {
        let text = rulegen::rules_file(&mut rng, n);
        n += 1;
        let Some(rules) = valid(&text) else { continue };
        rows.push(feature_map(edgeroute::compile::compile(&rules).features));
    }
    assert_eq!(rows.len(), SETS, "valid sets among {n} generated");
    // (a, b): a set with `a` on has `b` on, shown by the rules after them
    let implied = [
        (
            "ipv6",
            "access",
            "servers:\n  - server_name: a.test\n    root: /r\n    access: [allow 2001:db8::/32]\n    locations:\n      - location: /\n",
        ),
        (
            "rewrite",
            "args",
            "servers:\n  - server_name: a.test\n    root: /r\n    locations:\n      - location: /\n        rewrite: '^/a$ /b last'\n",
        ),
    ];
    for (a, b, body) in implied {
        let rules = valid(&format!("edgeroute: 1\n{body}")).expect("valid minimal rules");
        let f = feature_map(edgeroute::compile::compile(&rules).features);
        assert!(
            f[a] && f[b],
            "the compiler no longer turns `{b}` on with `{a}` ({f:?}): drop the exemption"
        );
    }
    let names: Vec<&String> = rows[0].keys().collect();
    let word = |on: bool| if on { "on" } else { "off" };
    let mut missing = Vec::new();
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            for (va, vb) in [(true, true), (true, false), (false, true), (false, false)] {
                let exempt = implied.iter().any(|(x, y, _)| {
                    (x == a && y == b && va && !vb) || (x == b && y == a && vb && !va)
                });
                if !exempt && !rows.iter().any(|r| r[*a] == va && r[*b] == vb) {
                    missing.push(format!("({a}, {b}, {}, {})", word(va), word(vb)));
                }
            }
        }
    }
    let count = |name: &String| rows.iter().filter(|r| r[name]).count();
    let on: Vec<String> = names.iter().map(|n| format!("{n} {}", count(n))).collect();
    say(&format!(
        "feature pairs: {} sets (seed {SEED:#x}); sets with each feature: {}\n",
        rows.len(),
        on.join(", ")
    ));
    assert!(
        missing.is_empty(),
        "{} combinations of two router features appear in none of the {} CI sets \
         (feature, feature, on/off, on/off):\n{}",
        missing.len(),
        rows.len(),
        missing.join("\n")
    );
}

/// Each feature by its name in `ir::Features` (all of them, as the IR serializes them).
fn feature_map(features: edgeroute::ir::Features) -> BTreeMap<String, bool> {
    let serde_json::Value::Object(map) = serde_json::to_value(features).expect("serializable")
    else {
        panic!("features serialize as an object");
    };
    map.into_iter()
        .map(|(k, v)| (k, v.as_bool().expect("a bool per feature")))
        .collect()
}

/// Header and cookie text is Unicode; put into a new `$uri` (try_files, a rewrite target) it names
/// the file as nginx does, by its UTF-8 bytes: `/été.js` → `/ab-1/%C3%A9t%C3%A9.js` (the router
/// once wrote one byte per char, `/ab-1/%E9t%E9.js`, where `€` did come out as UTF-8). Against
/// nginx and between engines when they are installed, and on the expected path in boa.
#[test]
fn non_ascii_header_text_in_a_path_is_its_utf8_bytes() {
    let text = "edgeroute: 1\nservers:\n  - server_name: '{id}.t.example.com'\n    root: /$id\n    locations:\n\
                \x20     - location: /hdr/\n        try_files: [$http_x_file, /index.html]\n\
                \x20     - location: /ck/\n        try_files: [$cookie_f, /index.html]\n\
                \x20     - location: /rw/\n        rewrite: '^/rw/(.*)$ /x/$http_x_file last'\n\
                \x20     - location: /x/\n";
    let rules = valid(text).expect("valid rules");
    let probe = |target: &str, header: bool, value: &str| {
        let mut p = Probe::new(
            "ab-1.t.example.com",
            target,
            edgeroute::model::DEFAULT_IP,
            format!("non-ASCII text {value:?}"),
        );
        let pair = vec![(
            if header { "x-file" } else { "f" }.to_owned(),
            value.to_owned(),
        )];
        if header {
            p.headers = pair;
        } else {
            p.cookies = pair;
        }
        p
    };
    let probes = [
        probe("/hdr/", true, "/\u{e9}t\u{e9}.js"),
        probe("/ck/", false, "/\u{e9}t\u{e9}.js"),
        probe("/rw/a", true, "\u{e9}t\u{e9}.js"),
    ];
    let expected = [
        "/ab-1/%C3%A9t%C3%A9.js",
        "/ab-1/%C3%A9t%C3%A9.js",
        "/ab-1/x/%C3%A9t%C3%A9.js",
    ];
    let mut diagnostics = Diagnostics::default();
    let generated = pipeline::generate(&rules, &mut diagnostics).expect("generates");
    let requests: Vec<Request> = probes.iter().map(Probe::request).collect();
    let boa = engines::route_all(
        Engine::Boa,
        &generated.js,
        generated.program.runtime,
        &requests,
    )
    .expect("boa runs");
    let wrong: Vec<String> = boa
        .iter()
        .zip(expected)
        .filter_map(|(d, want)| match d {
            Ok(Decision {
                outcome: Outcome::Pass { uri, .. },
                ..
            }) if uri == want => None,
            other => Some(format!("expected {want}, got {other:?}")),
        })
        .collect();
    let tools = Tools::find("non-ASCII header text in a path");
    let mut tally = Tally::default();
    check_set(
        "non-ASCII text",
        &rules,
        None,
        &probes,
        &tools,
        true,
        &mut tally,
    );
    tally.report("non-ASCII header text in a path", &tools);
    assert_none(&wrong, 3, "wrong origin paths");
    tally.assert_clean();
}

/// rules.md "Safety": every request-derived value written into a query string is escaped, a
/// redirect's as well: `return 302 /y?ua=$http_user_agent` with `User-Agent: x&admin=1 é` must not
/// make an `admin` pair or carry raw text (the router once wrote header and cookie text raw there,
/// and a capture as a path: `$1` = `a&admin=1` made a pair). nginx writes them raw, so this is
/// checked on the function's own answers (`unsafe_answer`), against nginx as a
/// `location-escaping` deviation, and between engines.
#[test]
fn request_data_in_a_return_query_is_escaped() {
    let text = "edgeroute: 1\nservers:\n  - server_name: a.test\n    root: /r\n    locations:\n\
                \x20     - location: /p/\n        return: '302 /y?ua=$http_user_agent&c=$cookie_sid&f=$arg_f'\n\
                \x20     - location: /s/\n        return: '302 https://$host/s?ua=$http_user_agent'\n\
                \x20     - location: '~ ^/re/(.*)$'\n        return: '302 /y?c=$1'\n";
    let rules = valid(text).expect("valid rules");
    let mut probes = Vec::new();
    for (target, ua) in [
        ("/p/a?f=x", "x&admin=1"),
        ("/p/a?f=x", "caf\u{e9} 1#2"),
        ("/s/a", "x&admin=1"),
        ("/re/a&admin=1", "x"),
    ] {
        let mut p = Probe::new(
            "a.test",
            target,
            edgeroute::model::DEFAULT_IP,
            format!("request data {ua:?} in a return's query"),
        );
        p.headers = vec![("user-agent".to_owned(), ua.to_owned())];
        p.cookies = vec![("sid".to_owned(), "s&admin=1".to_owned())];
        probes.push(p);
    }
    let tools = Tools::find("request data in a return's query");
    let mut tally = Tally::default();
    check_set(
        "return query",
        &rules,
        None,
        &probes,
        &tools,
        true,
        &mut tally,
    );
    tally.report("request data in a return's query", &tools);
    tally.assert_clean();
    assert!(tally.safety_checked == probes.len());
}

/// The suite must notice a wrong router: prefixes taken first-match in file order, and `^~`
/// ignored. Both are run through the very comparison the suite uses.
#[test]
fn a_wrong_generated_function_fails_the_suite() {
    let mut tools = Tools::find("the suite's self-test");
    if tools.nginx.is_none() {
        return;
    }
    tools.njs = false;
    tools.node = false;
    for (what, mutate, edit) in [
        (
            "first-match prefixes",
            first_match_prefixes as fn(&mut Program),
            as_emitted as fn(String) -> String,
        ),
        ("`^~` ignored", ignore_stop_prefixes, as_emitted),
        (
            "the tenant boundary not checked",
            unchanged,
            cross_tenant_boundary,
        ),
    ] {
        let mut tally = Tally::default();
        let mut rng = Rng::new(SEED);
        for n in 0..40 {
            let text = rulegen::rules_file(&mut rng, n);
            let Some(rules) = valid(&text) else { continue };
            let mut program = edgeroute::compile::compile(&rules);
            mutate(&mut program);
            // the mutants break the IR's order and kinds, which the table form reads as they are
            // (the compiled searches sort by length themselves, and are held to the table form by
            // `compiled_code_decides_as_the_tables_do`)
            let js = edit(emit_shaped(&program, true, Shape::Tables).expect("emit"));
            let probes = probes::probes(&rules, SEED + n as u64, RANDOM_PROBES);
            check_set(
                &format!("mutant {n}"),
                &rules,
                Some(js),
                &probes,
                &tools,
                false,
                &mut tally,
            );
            if !tally.disagreements.is_empty() {
                break;
            }
        }
        assert!(
            !tally.disagreements.is_empty(),
            "the suite did not notice {what} in {} probes",
            tally.compared
        );
        say(&format!(
            "differential self-test: {what} caught after {} rule sets ({} disagreements)\n",
            tally.sets,
            tally.disagreements.len()
        ));
    }
}

/// The compiled location searches and host patterns (src/js/search.rs, hosts.rs) decide every
/// probe exactly as the tables read by the runtime's general helpers, which the suites above hold
/// to nginx: the same answer, server, location and trace steps, on every fixture, on random rule
/// sets, and on one with more host patterns and locations than compile to code.
#[test]
fn compiled_code_decides_as_the_tables_do() {
    let mut sets: Vec<(String, Rules)> = fixtures("ok")
        .iter()
        .map(|path| {
            let rules = pipeline::load(path)
                .expect("readable")
                .rules
                .expect("valid");
            (stem(path), rules)
        })
        .collect();
    let mut rng = Rng::new(SEED ^ 0xC0DE);
    for n in 0..SETS {
        if let Some(rules) = valid(&rulegen::rules_file(&mut rng, n)) {
            sets.push((format!("random set {n}"), rules));
        }
    }
    sets.push((
        "many patterns and locations".to_owned(),
        valid(&many_patterns()).expect("valid"),
    ));
    let (mut compared, mut code, mut tables) = (0, 0, 0);
    for (n, (name, rules)) in sets.iter().enumerate() {
        let program = edgeroute::compile::compile(rules);
        let chosen = emit_shaped(&program, true, Shape::Chosen).expect("emit");
        let general = emit_shaped(&program, true, Shape::Tables).expect("emit");
        code += usize::from(chosen.contains("function locate0()"));
        tables += usize::from(chosen.contains("function findLocation()"));
        let load = |js: &str| {
            let mut harness = Harness::load(js, program.runtime).expect("loads");
            harness.set_kvs(program.store.clone());
            harness
        };
        let (mut compiled, mut read) = (load(&chosen), load(&general));
        for probe in probes::probes(rules, SEED + n as u64, RANDOM_PROBES) {
            let request = probe.request();
            let seen = |d: Result<Decision, RunError>| {
                d.map(|d| {
                    format!(
                        "{:?} {:?} {:?} {:?}",
                        d.outcome, d.server, d.location, d.trace
                    )
                })
                .map_err(|e| e.to_string())
            };
            assert_eq!(
                seen(compiled.route(&request)),
                seen(read.route(&request)),
                "{name}: {}{}",
                probe.host,
                probe.target
            );
            compared += 1;
        }
    }
    say(&format!(
        "compiled code and tables: {compared} probes over {} rule sets, all alike; {code} with \
         compiled searches, {tables} with table searches\n",
        sets.len()
    ));
    assert!(code > 0 && tables > 0, "both kinds of search were compared");
}

/// Twenty `{id}.siteN` servers (more patterns than compile to code), the first with twelve prefix
/// locations (more than a search compiles to).
fn many_patterns() -> String {
    let mut text = String::from("edgeroute: 1\nservers:\n");
    for i in 0..20 {
        text.push_str(&format!(
            "  - server_name: \"{{id}}.site{i}.example.com\"\n    params: {{ id: \"[a-z]+-[0-9]+\" }}\n\
             \x20   root: /$id/site{i}\n    locations:\n"
        ));
        let prefixes = if i == 0 { 12 } else { 2 };
        for p in 0..prefixes {
            text.push_str(&format!("      - location: /p{p}/\n"));
        }
        text.push_str("      - location: /\n        rewrite: /index.html\n");
    }
    text.push_str(
        "tests:\n  - url: https://pr-1.site0.example.com/p11/x\n    uri: /pr-1/site0/p11/x\n",
    );
    text
}

#[test]
fn export_nginx_writes_server_blocks_atomically_or_to_stdout() {
    let output = edgeroute(&["export", "nginx", "fixtures/ok/spec-example.yaml"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("# nginx configuration exported by edgeroute"));
    for needle in [
        "    listen 80;\n",
        r#"    server_name "~^(?=(?:[a-z][a-z0-9]*-[0-9]+)\.group2\.example\.com$)(?<id>[^.]{1,63})\.group2\.example\.com$";"#,
        "    root /$id/app3;\n    allow 10.0.0.0/8;\n    allow 2001:db8::/32;\n    deny all;\n",
        "    location ~* \\.(png|jpe?g)$ {\n",
        "        rewrite ^/old/(.*)$ /new/$1 permanent;\n",
        "        try_files $uri $uri/ /index.html;\n",
        "    location ^~ /app2/assets {\n",
        "        rewrite ^ /app2/index.html break;\n",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in\n{stdout}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nginx.conf");
    let output = edgeroute(&[
        "export",
        "nginx",
        "fixtures/ok/monorepo-previews.yaml",
        "-o",
        out.to_str().unwrap(),
        "--listen",
        "127.0.0.1:8080",
        "--root-prefix",
        "/srv/bucket/",
    ]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stdout.starts_with("wrote "), "{stdout}");
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("    listen 127.0.0.1:8080;\n    server_name"));
    assert!(written.contains("    root /srv/bucket/$id/app3;\n"));
    let bad = edgeroute(&["export", "nginx", "fixtures/err/invalid-regex.yaml"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad).0.is_empty(),
        "nothing exported from invalid rules"
    );
}

#[test]
fn test_runs_golden_cases_in_the_chosen_engine() {
    for (engine, program) in [("njs", "njs"), ("node", "node")] {
        if oracle::require_tool(program, &format!("edgeroute test --engine {engine}")).is_none() {
            continue;
        }
        for path in fixtures("ok") {
            let path = path.to_str().unwrap().to_owned();
            let output = edgeroute(&["test", &path, "--engine", engine]);
            let (stdout, stderr) = text(&output);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{engine} {path}: {stdout}{stderr}"
            );
            assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
        }
    }
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_edgeroute"))
        .args(["test", "fixtures/ok/spec-example.yaml", "--engine", "njs"])
        .current_dir(root())
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let (stdout, stderr) = text(&missing);
    assert_eq!(missing.status.code(), Some(2), "{stdout}{stderr}");
    assert_eq!(
        stderr,
        "error: the njs engine is not installed: `njs` is not on the PATH (Debian and Ubuntu: apt-get install njs)\n"
    );
}

/// The outside programs, found once per test (with SKIPPED lines for the missing ones).
struct Tools {
    nginx: Option<PathBuf>,
    njs: bool,
    node: bool,
}

impl Tools {
    fn find(what: &str) -> Tools {
        Tools {
            nginx: oracle::require_tool("nginx", what),
            njs: oracle::require_tool("njs", what).is_some(),
            node: oracle::require_tool("node", what).is_some(),
        }
    }
}

/// What a suite compared.
#[derive(Default)]
struct Tally {
    sets: usize,
    /// Rule sets whose upload keeps `$uri` as text (src/js/text_form.rs) while the traced build
    /// keeps byte form.
    text_sets: usize,
    /// Rule sets whose roots are clean as written (src/js/roots.rs): both builds skip the origin
    /// checks for a normalized `$uri`, and nginx, which has no such shortcut, checks them.
    clean_root_sets: usize,
    /// Of those, the ones whose rewrite targets are clean too (`roots::clean_targets`).
    clean_target_sets: usize,
    invalid_sets: usize,
    invalid_examples: Vec<String>,
    nginx_ran: bool,
    /// Probes compared with nginx.
    compared: usize,
    agreed: usize,
    deviations: BTreeMap<&'static str, usize>,
    unrepresentable: usize,
    /// Probes nginx cannot receive as the function does (`Probe::not_for_nginx`): engines only.
    engines_only: usize,
    /// Function answers checked against rules.md "Safety" on their own ([`unsafe_answer`]).
    safety_checked: usize,
    rounds: usize,
    disagreements: Vec<String>,
    /// Requests compared between boa and each other engine.
    engine_compared: usize,
    engine_disagreements: Vec<String>,
}

impl Tally {
    fn report(&self, what: &str, tools: &Tools) {
        let deviations: usize = self.deviations.values().sum();
        let listed: Vec<String> = self
            .deviations
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        let engines: Vec<&str> = [("njs", tools.njs), ("node", tools.node)]
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect();
        say(&format!(
            "differential [{what}]: {} rule sets ({} generated sets invalid, skipped; {} uploads \
             keep $uri as text; {} have clean roots, {} of them clean rewrite targets); \
             nginx: {} probe requests compared in {} rounds: {} agree, {deviations} listed deviations \
             ({}), {} disagreements, {} not representable on disk, {} not sendable to nginx; \
             {} answers checked against the safety rules; \
             engines boa+{}: {} requests compared, {} disagreements\n",
            self.sets,
            self.invalid_sets,
            self.text_sets,
            self.clean_root_sets,
            self.clean_target_sets,
            self.compared,
            self.rounds,
            self.agreed,
            if listed.is_empty() {
                "none".to_owned()
            } else {
                listed.join(", ")
            },
            self.disagreements.len(),
            self.unrepresentable,
            self.engines_only,
            self.safety_checked,
            if engines.is_empty() {
                "none".to_owned()
            } else {
                engines.join("+")
            },
            self.engine_compared,
            self.engine_disagreements.len(),
        ));
    }

    fn assert_clean(&self) {
        assert_none(&self.disagreements, 400, "disagreements with nginx");
        assert_none(
            &self.engine_disagreements,
            8,
            "disagreements between engines",
        );
        assert!(
            self.unrepresentable * 50 <= self.compared.max(1),
            "too many probes not representable on disk: {}",
            self.unrepresentable
        );
    }
}

/// Fails with the count and the first `shown` entries when `found` is not empty.
fn assert_none(found: &[String], shown: usize, what: &str) {
    assert!(
        found.is_empty(),
        "{} {what}; the first ones:\n{}",
        found.len(),
        found[..found.len().min(shown)].join("\n")
    );
}

fn random_suite(seed: u64, sets: usize, what: &str) -> Tally {
    let tools = Tools::find(what);
    let mut tally = Tally::default();
    let mut rng = Rng::new(seed);
    let mut n = 0;
    while tally.sets < sets && n < sets * 4 {
        let text = rulegen::rules_file(&mut rng, n);
        n += 1;
        let Some(rules) = valid(&text) else {
            tally.invalid_sets += 1;
            if tally.invalid_examples.len() < 3 {
                tally.invalid_examples.push(invalid_summary(&text));
            }
            continue;
        };
        let probes = probes::probes(&rules, seed.wrapping_add(n as u64), RANDOM_PROBES);
        let before = tally.disagreements.len() + tally.engine_disagreements.len();
        check_set(
            &format!("random set {n}"),
            &rules,
            None,
            &probes,
            &tools,
            true,
            &mut tally,
        );
        if tally.disagreements.len() + tally.engine_disagreements.len() > before
            && let Some(first) = tally.disagreements.get_mut(before)
        {
            first.push_str(&format!("\n--- the rule set ---\n{text}"));
        }
    }
    tally.report(&format!("random, seed {seed:#x}"), &tools);
    for example in &tally.invalid_examples {
        say(&format!("  an invalid generated set: {example}\n"));
    }
    assert!(
        tally.invalid_sets * 3 <= tally.sets,
        "the generator made {} invalid sets for {} valid ones",
        tally.invalid_sets,
        tally.sets
    );
    tally.assert_clean();
    tally
}

fn valid(text: &str) -> Option<Rules> {
    pipeline::load_bytes("generated.yaml", text.as_bytes().to_vec()).rules
}

fn invalid_summary(text: &str) -> String {
    let loaded = pipeline::load_bytes("generated.yaml", text.as_bytes().to_vec());
    let first = loaded.diagnostics.iter().next();
    first.map_or_else(String::new, |d| d.message.clone())
}

/// Runs `probes` through the function (boa), the other engines, and nginx; tallies the verdicts.
fn check_set(
    name: &str,
    rules: &Rules,
    js: Option<String>,
    probes: &[Probe],
    tools: &Tools,
    engines: bool,
    tally: &mut Tally,
) {
    tally.sets += 1;
    let mut diagnostics = Diagnostics::default();
    let generated =
        pipeline::generate(rules, &mut diagnostics).unwrap_or_else(|e| panic!("{name}: {e}"));
    // nginx is compared with the traced build (its trace names the deviation behind a difference);
    // the upload, which carries no trace code, must decide every probe exactly as it does, and is
    // what the other engines run
    let (traced, upload) = match js {
        Some(js) => (js.clone(), js),
        None => {
            if !edgeroute::js::text_form::mode(&generated.program, false).is_empty() {
                tally.text_sets += 1;
            }
            if edgeroute::js::roots::clean_roots(&generated.program) {
                tally.clean_root_sets += 1;
                if edgeroute::js::roots::clean_targets(&generated.program) {
                    tally.clean_target_sets += 1;
                }
            }
            (generated.traced, generated.js)
        }
    };
    let js = upload;
    let program = generated.program;
    let requests: Vec<Request> = probes.iter().map(Probe::request).collect();
    // a `kvs: true` build runs against its own KeyValueStore
    let store = &program.store;
    let boa =
        engines::route_all_with_store(Engine::Boa, &traced, program.runtime, store, &requests)
            .expect("boa runs");
    let uploaded =
        engines::route_all_with_store(Engine::Boa, &js, program.runtime, store, &requests)
            .expect("boa runs");
    for ((request, a), b) in requests.iter().zip(&boa).zip(&uploaded) {
        tally.engine_compared += 1;
        let same = match (a, b) {
            (Ok(a), Ok(b)) => {
                a.outcome == b.outcome && a.server == b.server && a.location == b.location
            }
            (a, b) => format!("{a:?}") == format!("{b:?}"),
        };
        if !same {
            tally.engine_disagreements.push(format!(
                "{name}: {:?} from {:?}: traced build {a:?}\n  upload {b:?}",
                request.url, request.ip
            ));
        }
    }
    for (probe, decision) in probes.iter().zip(&boa) {
        if let Ok(decision) = decision {
            tally.safety_checked += 1;
            if let Some(why) = unsafe_answer(probe, decision, rules) {
                tally.disagreements.push(format!(
                    "{name}: {:?}{:?} from {} headers {:?} cookies {:?} ({}): rules.md Safety: \
                     {why}: {:?}\n  trace: {}",
                    probe.host,
                    probe.target,
                    probe.ip,
                    probe.headers,
                    probe.cookies,
                    probe.why,
                    decision.outcome,
                    serde_json::Value::Array(decision.trace.clone())
                ));
            }
        }
    }
    if engines {
        for (engine, on) in [(Engine::Njs, tools.njs), (Engine::Node, tools.node)] {
            if on {
                compare_engines(name, engine, &js, &program, &requests, &uploaded, tally);
            }
        }
    }
    if let Some(binary) = &tools.nginx {
        tally.nginx_ran = true;
        compare_with_nginx(name, binary, rules, &program, probes, &boa, tally);
    }
}

fn compare_engines(
    name: &str,
    engine: Engine,
    js: &str,
    program: &Program,
    requests: &[Request],
    boa: &[Result<Decision, RunError>],
    tally: &mut Tally,
) {
    let other =
        engines::route_all_with_store(engine, js, program.runtime, &program.store, requests)
            .unwrap_or_else(|e| panic!("{name}: {}: {e}", engine.name()));
    for ((request, a), b) in requests.iter().zip(boa).zip(&other) {
        tally.engine_compared += 1;
        if !same_decision(a, b) {
            tally.engine_disagreements.push(format!(
                "{name}: {:?} from {:?} headers {:?} cookies {:?}: boa {a:?}\n  {} {b:?}",
                request.url,
                request.ip,
                request.headers,
                request.cookies,
                engine.name()
            ));
        }
    }
}

fn same_decision(a: &Result<Decision, RunError>, b: &Result<Decision, RunError>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => {
            let trace = |d: &Decision| d.trace.iter().map(engines::normalize).collect::<Vec<_>>();
            a.outcome == b.outcome
                && a.server == b.server
                && a.location == b.location
                && trace(a) == trace(b)
                && a.log == b.log
        }
        (Err(a), Err(b)) => std::mem::discriminant(a) == std::mem::discriminant(b),
        _ => false,
    }
}

fn compare_with_nginx(
    name: &str,
    binary: &std::path::Path,
    rules: &Rules,
    program: &Program,
    probes: &[Probe],
    boa: &[Result<Decision, RunError>],
    tally: &mut Tally,
) {
    let conf = |listen: &str, html: &str| {
        let options = export_nginx::Options {
            listen: listen.to_owned(),
            root_prefix: html.to_owned(),
            source: name.to_owned(),
        };
        export_nginx::nginx(rules, &options)
    };
    let mut nginx = match Nginx::start(binary, conf) {
        Ok(nginx) => nginx,
        Err(e) => {
            tally
                .disagreements
                .push(format!("{name}: nginx rejected the export: {e}"));
            return;
        }
    };
    let boa_len = boa.len();
    for decision in boa {
        if let Ok(Decision {
            outcome: Outcome::Pass { uri, .. },
            ..
        }) = decision
        {
            nginx.seed(&percent_decode(uri));
        }
    }
    // what nginx cannot receive as the function does is compared between the engines only
    let (probes, boa): (Vec<&Probe>, Vec<&Result<Decision, RunError>>) = probes
        .iter()
        .zip(boa)
        .filter(|(p, _)| p.not_for_nginx().is_none())
        .unzip();
    tally.engines_only += boa_len - probes.len();
    let mut answers: Vec<Answer> = Vec::new();
    for _ in 0..8 {
        tally.rounds += 1;
        answers = probes
            .iter()
            .map(|p| {
                nginx
                    .ask(&p.http())
                    .unwrap_or_else(|e| panic!("{name}: nginx on {p:?}: {e}"))
            })
            .collect();
        if answers.iter().all(|a| a.created == 0) {
            break;
        }
    }
    let verbose = std::env::var_os("EDGEROUTE_DIFF_VERBOSE").is_some();
    for ((probe, decision), answer) in probes.iter().zip(boa).zip(&answers) {
        tally.compared += 1;
        let verdict = verdict(probe, decision, answer, rules, program);
        if verbose {
            say(&format!(
                "{name}: {:?} {:?} from {} ({}; headers {:?} cookies {:?}): {} | function {:?} | nginx {}\n",
                probe.host,
                probe.target,
                probe.ip,
                probe.why,
                probe.headers,
                probe.cookies,
                match &verdict {
                    Verdict::Agree => "agree".to_owned(),
                    Verdict::Deviation(d) => deviation_name(*d).to_owned(),
                    Verdict::Unrepresentable => "not representable".to_owned(),
                    Verdict::Disagree(_) => "DISAGREE".to_owned(),
                },
                decision.as_ref().map(|d| &d.outcome),
                describe(answer)
            ));
        }
        match verdict {
            Verdict::Agree => tally.agreed += 1,
            Verdict::Deviation(d) => *tally.deviations.entry(deviation_name(d)).or_default() += 1,
            Verdict::Unrepresentable => tally.unrepresentable += 1,
            Verdict::Disagree(why) => tally.disagreements.push(format!(
                "{name}: {} {:?}{:?} from {} headers {:?} cookies {:?} ({}): {why}",
                "GET", probe.host, probe.target, probe.ip, probe.headers, probe.cookies, probe.why
            )),
        }
    }
}

enum Verdict {
    Agree,
    Deviation(Deviation),
    Unrepresentable,
    Disagree(String),
}

fn verdict(
    probe: &Probe,
    decision: &Result<Decision, RunError>,
    answer: &Answer,
    rules: &Rules,
    program: &Program,
) -> Verdict {
    let decision = match decision {
        Ok(d) => d,
        Err(e) => return Verdict::Disagree(format!("the function failed: {e}")),
    };
    let Err(why) = same(&decision.outcome, answer) else {
        return Verdict::Agree;
    };
    if answer.conflict {
        return Verdict::Unrepresentable;
    }
    match deviation(probe, decision, answer, rules, program) {
        Some(d) => Verdict::Deviation(d),
        None => Verdict::Disagree(format!(
            "{why}\n  trace: {}",
            serde_json::Value::Array(decision.trace.clone())
        )),
    }
}

/// Whether nginx's answer is the one the function's outcome maps to (the table at the top).
fn same(outcome: &Outcome, answer: &Answer) -> Result<(), String> {
    let nginx = describe(answer);
    match outcome {
        Outcome::Pass {
            uri, querystring, ..
        } => {
            let key = percent_decode(uri);
            let served = if oracle::has_dot_in_last_segment(&key) {
                answer.status == 200 && answer.body == key
            } else {
                answer.status == 404 && answer.filename.as_deref() == Some(&key[..])
            };
            let mut ours = querystring.clone();
            ours.sort();
            let mut theirs = query_pairs(answer.args.as_deref().unwrap_or(""));
            theirs.sort();
            if served && ours == theirs {
                return Ok(());
            }
            Err(format!(
                "function passes uri {uri} query {ours:?}; nginx {nginx} args {theirs:?}"
            ))
        }
        Outcome::Answer {
            status,
            headers,
            body,
        } => {
            let location = headers
                .iter()
                .find(|(n, _)| n == "location")
                .map(|(_, v)| v.clone());
            let ok = answer.status == *status
                && match (&location, body) {
                    (Some(ours), _) => nginx_location(answer, ours).as_deref() == Some(ours),
                    (None, Some(text)) => answer.body == text.as_bytes(),
                    (None, None) => true,
                };
            if ok {
                return Ok(());
            }
            Err(format!(
                "function answers {status} location {location:?} body {body:?}; nginx {nginx}"
            ))
        }
    }
}

/// nginx's Location, its `http://` read as `https://` when ours is https (rules.md: `https://$host`).
fn nginx_location(answer: &Answer, ours: &str) -> Option<String> {
    let theirs = answer.location.clone()?;
    match (
        ours.strip_prefix("https://"),
        theirs.strip_prefix("http://"),
    ) {
        (Some(_), Some(rest)) => Some(format!("https://{rest}")),
        _ => Some(theirs),
    }
}

fn describe(answer: &Answer) -> String {
    format!(
        "{} location {:?} body {:?} looked for {:?}",
        answer.status,
        answer.location,
        String::from_utf8_lossy(&answer.body[..answer.body.len().min(120)]),
        answer.filename.as_deref().map(String::from_utf8_lossy)
    )
}

/// The allow-list: the deviation that explains a difference, judged from the function's trace.
fn deviation(
    probe: &Probe,
    decision: &Decision,
    answer: &Answer,
    rules: &Rules,
    program: &Program,
) -> Option<Deviation> {
    let status = match &decision.outcome {
        Outcome::Answer { status, .. } => Some(*status),
        Outcome::Pass { .. } => None,
    };
    if status == Some(400) && has_control_or_long_label(probe) {
        return Some(Deviation::ControlChars);
    }
    if status == Some(400) && has_bad_host_char(probe) {
        return Some(Deviation::HostChars);
    }
    if status == Some(404) && steps(decision, "boundary").next().is_some() {
        return Some(Deviation::TenantBoundary);
    }
    if status == Some(403) && last_access_denied(decision) {
        return Some(Deviation::AccessFirst);
    }
    if status == Some(404) && unset_param(decision, rules, program) {
        return Some(Deviation::UnsetParam);
    }
    if status == Some(404) && dot_segment_path(decision) {
        return Some(Deviation::OriginPath);
    }
    if answer.folder {
        return Some(Deviation::FilesModel);
    }
    if let Outcome::Pass { .. } = &decision.outcome
        && let Some(args) = &answer.args
        && !args.is_ascii()
    {
        let escaped = Answer {
            args: Some(escape_non_ascii(args)),
            ..answer.clone()
        };
        if same(&decision.outcome, &escaped).is_ok() {
            return Some(Deviation::QueryEscaping);
        }
    }
    if let Outcome::Pass { querystring, .. } = &decision.outcome
        && let Some(args) = &answer.args
    {
        // the same query, pair by pair in order, once both are percent-decoded (nginx's raw `&`
        // in a value makes more pairs: equal once joined), and the same answer with ours in place
        let joined = |pairs: &[(String, String)]| {
            let pairs: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            pairs.join("&")
        };
        let ours = joined(querystring);
        let with_ours = Answer {
            args: Some(ours.clone()),
            ..answer.clone()
        };
        if percent_decode(&ours) == percent_decode(&joined(&query_pairs(args)))
            && same(&decision.outcome, &with_ours).is_ok()
        {
            return Some(Deviation::QueryEscaping);
        }
    }
    if let Outcome::Answer {
        status, headers, ..
    } = &decision.outcome
        && let Some((_, ours)) = headers.iter().find(|(n, _)| n == "location")
        && answer.status == *status
        && let Some(theirs) = nginx_location(answer, ours)
        && same_decoded(ours, &theirs)
    {
        return Some(Deviation::LocationEscaping);
    }
    None
}

/// Equal once percent-decoded; nginx 1.22 also loses a decoded `%` from a redirect's captures
/// when the request held escapes (`/x%25y.js` → `/moved/xy.js`), so `%` is not compared.
fn same_decoded(ours: &str, theirs: &str) -> bool {
    let plain = |s: &str| {
        let mut bytes = percent_decode(s);
        bytes.retain(|&b| b != b'%');
        bytes
    };
    plain(ours) == plain(theirs)
}

/// Each byte above 0x7F as `%XX` (upper-case hex), as the function writes it.
fn escape_non_ascii(text: &str) -> String {
    let mut out = String::new();
    for &b in text.as_bytes() {
        if b.is_ascii() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// rules.md "Safety", on the function's own answer: nginx shares the faults these rules exclude
/// (it concatenates across the tenant boundary, writes request data raw into query strings,
/// accepts any Host byte), so agreeing with it proves nothing here. The probes mark what they
/// test: `-2/secret.js` after a tenant's own name, `admin=1` inside a header or cookie value.
fn unsafe_answer(probe: &Probe, decision: &Decision, rules: &Rules) -> Option<&'static str> {
    let control = |s: &str| s.chars().any(|c| c.is_control());
    let refused = has_bad_host_char(probe) || control(&probe.host) || control(&probe.target);
    match &decision.outcome {
        Outcome::Answer { status: 400, .. } => None,
        _ if refused => Some("a Host or request line it refuses was not answered 400"),
        Outcome::Answer { headers, .. } => {
            let location = headers.iter().find(|(n, _)| n == "location");
            let query = location.and_then(|(_, v)| v.split_once('?'));
            query.and_then(|(_, q)| unsafe_query(probe, &query_pairs(q)))
        }
        Outcome::Pass {
            uri, querystring, ..
        } => {
            if let Some(why) = unsafe_query(probe, querystring) {
                return Some(why);
            }
            // the host's first label is a tenant when a name with params matched it
            let server = decision.server.and_then(|s| rules.servers.get(s));
            let host = probe.host.to_ascii_lowercase();
            let by_params = server.is_some_and(|s| {
                s.names.iter().any(|n| match n {
                    ServerName::Pattern { regex, params, .. } => {
                        params.iter().any(|p| p.name.is_some()) && probes::matches(regex, &host)
                    }
                    _ => false,
                })
            });
            let tenant = if by_params {
                host.split(['.', ':']).next().unwrap_or_default()
            } else {
                ""
            };
            let path = String::from_utf8_lossy(&percent_decode(uri)).into_owned();
            let sent = |s: &str| s.contains("-2/secret");
            let crossing = sent(&probe.target)
                || probe
                    .headers
                    .iter()
                    .chain(&probe.cookies)
                    .any(|(_, v)| sent(v));
            let boundary = server.and_then(|s| boundary_segment(s, decision.location));
            let named = |k: usize| {
                path.split('/')
                    .nth(k)
                    .is_some_and(|seg| seg.contains(&format!("{tenant}-2")))
            };
            if crossing && !tenant.is_empty() && boundary.is_some_and(named) {
                return Some("the origin path crossed into another tenant's prefix");
            }
            None
        }
    }
}

/// The tenant boundary of the path a location passes on (rules.md Safety): the index of the
/// `/`-separated segment in which the value of its alias or root (else the server's root) ends
/// its last param, the tenant's own name (`/$s1/site1`: 1); `None` when that value has no param.
/// A path that crossed into tenant `ID-2` holds `ID-2` in that segment; one that only names
/// `ID-2` further down (`/a/site1/x/a-2/secret.js`) stays in tenant `ID`.
fn boundary_segment(server: &Server, location: Option<usize>) -> Option<usize> {
    let block = location
        .and_then(|i| server.locations.get(i))
        .map(|l| &l.block);
    let value = block
        .and_then(|b| b.alias.as_ref().or(b.root.as_ref()))
        .or(server.block.root.as_ref())?;
    let last = value
        .parts
        .iter()
        .rposition(|p| matches!(p, Part::Var(Var::Param(_))))?;
    let slashes = value.parts[..last]
        .iter()
        .map(|p| match p {
            Part::Lit(text) => text.matches('/').count(),
            Part::Var(_) => 0,
        })
        .sum();
    Some(slashes)
}

/// A query string (passed on, or a redirect's) that request data reshaped: an `admin` pair the
/// request's own query did not hold (the probes hide `&admin=1` in header, cookie and path
/// values), or a raw space, `#`, control or non-ASCII char.
fn unsafe_query(probe: &Probe, pairs: &[(String, String)]) -> Option<&'static str> {
    let own_query = probe.target.split_once('?').map_or("", |(_, q)| q);
    let own = query_pairs(own_query);
    if pairs
        .iter()
        .any(|(k, _)| k == "admin" && !own.iter().any(|(o, _)| o == "admin"))
    {
        return Some("request data added a pair to the query string");
    }
    if pairs
        .iter()
        .flat_map(|(k, v)| k.chars().chain(v.chars()))
        .any(|c| !c.is_ascii_graphic() || c == '#')
    {
        return Some("a query string with a raw space, `#`, control or non-ASCII char");
    }
    None
}

/// A Host char rules.md refuses (400) that nginx accepts.
fn has_bad_host_char(probe: &Probe) -> bool {
    probe
        .host
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || "_.-:[]".contains(c)))
        || probe.host.contains("..")
}

fn has_control_or_long_label(probe: &Probe) -> bool {
    let path = probe.target.split('?').next().unwrap_or_default();
    let decoded = percent_decode(path);
    let control = decoded.iter().any(|&b| (1..0x20).contains(&b) || b == 0x7f);
    let long = probe.host.split(['.', ':']).any(|l| l.len() > 63);
    control || long
}

fn steps<'d>(
    decision: &'d Decision,
    name: &'d str,
) -> impl Iterator<Item = &'d [serde_json::Value]> {
    decision
        .trace
        .iter()
        .filter_map(|s| s.as_array())
        .filter(move |s| s.first().and_then(|n| n.as_str()) == Some(name))
        .map(Vec::as_slice)
}

fn last_access_denied(decision: &Decision) -> bool {
    steps(decision, "access")
        .last()
        .is_some_and(|s| s.get(2) == Some(&serde_json::Value::Bool(false)))
}

/// The deciding server declares a param this host did not set.
fn unset_param(decision: &Decision, rules: &Rules, program: &Program) -> bool {
    let Some(server) = decision.server.and_then(|s| rules.servers.get(s)) else {
        return false;
    };
    let declared: Vec<&str> = server
        .names
        .iter()
        .flat_map(|n| match n {
            ServerName::Pattern { params, .. } => {
                params.iter().filter_map(|p| p.name.as_deref()).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    let matched = steps(decision, "host-try")
        .filter(|s| s.get(2) == Some(&serde_json::Value::Bool(true)))
        .last()
        .and_then(|s| s.get(1)?.as_u64());
    let set: Vec<&str> = matched
        .and_then(|i| program.data.p.get(i as usize))
        .map(|p| p.params.iter().filter_map(|(n, _)| n.as_deref()).collect())
        .unwrap_or_default();
    declared.iter().any(|d| !set.contains(d))
}

fn dot_segment_path(decision: &Decision) -> bool {
    steps(decision, "path").any(|s| {
        let path = format!("{}/", s.get(1).and_then(|p| p.as_str()).unwrap_or(""));
        path.contains("/./") || path.contains("/../")
    })
}

fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn unchanged(_: &mut Program) {}

fn as_emitted(js: String) -> String {
    js
}

/// The function with its tenant-boundary test taken out: an origin path that leaves the value of
/// its root or alias up to the last param (`alias: /$id` and a rest of `-2/secret.js`) passes on.
fn cross_tenant_boundary(js: String) -> String {
    let test = "y.lastIndexOf(b + '/', 0)) return outsideBoundary(y)";
    assert!(
        js.contains(test),
        "the runtime's boundary test is not where this mutant looks"
    );
    js.replace(test, "0) return outsideBoundary(y)")
}

/// Mutant: prefix lists in file order, so the first matching prefix wins, not the longest.
fn first_match_prefixes(program: &mut Program) {
    for server in &mut program.data.s {
        server.q.sort_by_key(|(_, l)| *l);
        for (_, bucket) in &mut server.b.0 {
            bucket.sort_by_key(|(_, l)| *l);
        }
    }
}

/// Mutant: `^~` treated as a plain prefix, so regexes are tried after it.
fn ignore_stop_prefixes(program: &mut Program) {
    for server in &mut program.data.s {
        for location in &mut server.l {
            if location.k == edgeroute::ir::KIND_STOP_PREFIX {
                location.k = edgeroute::ir::KIND_PREFIX;
            }
        }
    }
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Straight to stderr: libtest captures `eprintln!`, and these lines belong in every CI log.
fn say(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}
