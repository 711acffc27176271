//! Issue 16: a rule set past 10 KB, its exact tables in CloudFront KeyValueStore (docs/performance.md).
//! A plain program (`harness = false`): it prints figures and asserts no timing; a missed target
//! prints `NOT met`. Run it with `cargo bench --bench kvs`.
//!
//! The rules: 5,000 exact customer hosts on one server, and a second server with 20,000 exact-path
//! redirects read from a CSV (`redirects:`), with `kvs: true`. Figures: the function's bytes
//! (≤ 10,240), the store's bytes (≤ 5 MB), the build (load, validate, compile, emit, minify, gate:
//! ≤ 2 s), 10,000 cases through the function and its store in boa (all pass), and the per-request
//! cost in njs and node with an in-memory store against the same request kinds on a 10-location rule
//! set without a store (≤ 2×).
//!
//! Timing in njs and node: each round is a fresh process (njs never collects garbage within a
//! script); it builds the events alone, then builds them and awaits `handler` for each in turn, with
//! `Date.now()`; the figure is median(handler) − median(events) over the rounds, per request. Each
//! process first runs every request kind once untimed, so that node's compiler has warmed up on all
//! of them, not on the last ones only (njs has no compiler: the same for both).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a bench program prints its figures

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use edgeroute::harness::engines::Engine;
use edgeroute::harness::event::Request;
use edgeroute::harness::{Harness, Outcome};
use edgeroute::js::gate::SIZE_LIMIT;
use edgeroute::js::store::{self, STORE_LIMIT};

const HOSTS: usize = 5_000;
const REDIRECTS: usize = 20_000;
const CASES: usize = 10_000;
const ROUNDS: usize = 7;
/// Requests per kind and round: njs keeps every allocation to the end of a script, node collects
/// and runs 10 times as many for the resolution of `Date.now()` (1 ms)
fn requests(engine: Engine) -> usize {
    match engine {
        Engine::Njs => 2_000,
        _ => 20_000,
    }
}

fn host(i: usize) -> String {
    format!("customer-{i:04}.shops.example.net")
}

fn from(i: usize) -> String {
    format!("/catalog/2019/item-{i:05}.html")
}

fn to(i: usize) -> String {
    format!("/p/item-{i:05}")
}

/// The store-backed rules and their CSV, written into `dir`; the rules file's path.
fn write_rules(dir: &Path) -> std::path::PathBuf {
    let mut csv = String::from("from,to,status\n");
    for i in 0..REDIRECTS {
        let status = if i.is_multiple_of(10) { "302" } else { "" };
        writeln!(csv, "{},{},{status}", from(i), to(i)).unwrap();
    }
    std::fs::write(dir.join("legacy.csv"), csv).unwrap();
    let mut rules = String::from(
        "edgeroute: 1\nruntime: cloudfront-js-2.0\nkvs: true\nservers:\n  - server_name:\n",
    );
    for i in 0..HOSTS {
        writeln!(rules, "      - {}", host(i)).unwrap();
    }
    rules.push_str(
        "    root: /sites/$host\n    locations:\n      - location: = /healthz\n        return: 200 ok\n      - location: /assets/\n      - location: /\n        try_files: [$uri, /index.html]\n",
    );
    rules.push_str(
        "  - server_name: www.example.com\n    root: /www\n    redirects: legacy.csv\n    locations:\n      - location: /\n",
    );
    let path = dir.join("rules.yaml");
    std::fs::write(&path, rules).unwrap();
    path
}

/// Ten locations, one server, no store: the comparison rule set, with the same request kinds.
const TEN: &str = "edgeroute: 1\nruntime: cloudfront-js-2.0\nservers:\n  - server_name: [customer-0001.shops.example.net, www.example.com]\n    root: /sites/$host\n    locations:\n      - location: = /catalog/2019/item-00001.html\n        return: 301 /p/item-00001\n      - location: = /healthz\n        return: 200 ok\n      - location: /assets/\n      - location: /img/\n      - location: /api/\n        return: 404\n      - location: /docs/\n      - location: /blog/\n      - location: ~ \\.php$\n        return: 403\n      - location: ^~ /static/\n      - location: /\n        try_files: [$uri, /index.html]\n";

fn main() {
    let dir = tempfile::tempdir().expect("temp folder");
    let path = write_rules(dir.path());
    println!("kvs: {HOSTS} exact hosts, {REDIRECTS} redirects from a CSV (issue 16)");

    let start = Instant::now();
    let loaded = edgeroute::pipeline::load(&path).expect("readable");
    let rules = loaded
        .rules
        .unwrap_or_else(|| panic!("valid rules: {:?}", loaded.diagnostics));
    let generated = common::generate(&rules);
    let build = start.elapsed();
    let function = generated.js.len();
    let entries = &generated.program.store;
    let store_bytes: usize = entries.iter().map(store::entry_bytes).sum();
    let file_bytes = store::import_json(entries).len();
    println!(
        "  function: {function} bytes (≤ {SIZE_LIMIT}): {}",
        common::verdict(function <= SIZE_LIMIT)
    );
    println!(
        "  store: {} keys, {store_bytes} bytes of keys and values ({file_bytes} bytes as the import file) (≤ {STORE_LIMIT}): {}",
        entries.len(),
        common::verdict(store_bytes <= STORE_LIMIT)
    );
    println!(
        "  build (load, validate, compile, emit, minify, gate): {:.0} ms (≤ 2,000): {}",
        common::ms(build),
        common::verdict(build.as_secs_f64() <= 2.0)
    );

    // 10,000 cases: redirects (every tenth a 302) and customer hosts
    let mut harness = Harness::load(&generated.js, generated.program.runtime).expect("loads");
    harness.set_kvs(entries.clone());
    let start = Instant::now();
    let mut passed = 0;
    for c in 0..CASES {
        let ok = if c.is_multiple_of(2) {
            let i = (c * 7) % REDIRECTS;
            let d = harness
                .route(&Request::get(&format!(
                    "https://www.example.com{}",
                    from(i)
                )))
                .expect("routes");
            let status = if i.is_multiple_of(10) { 302 } else { 301 };
            let location = format!("https://www.example.com{}", to(i));
            matches!(&d.outcome, Outcome::Answer { status: s, headers, .. }
                if *s == status && headers.iter().any(|(n, v)| n == "location" && *v == location))
        } else {
            let h = host((c * 13) % HOSTS);
            let d = harness
                .route(&Request::get(&format!("https://{h}/assets/app.js")))
                .expect("routes");
            let uri = format!("/sites/{h}/assets/app.js");
            matches!(&d.outcome, Outcome::Pass { uri: u, .. } if *u == uri)
        };
        passed += usize::from(ok);
    }
    println!(
        "  cases in boa: {passed} of {CASES} pass ({:.0} ms): {}",
        common::ms(start.elapsed()),
        common::verdict(passed == CASES)
    );

    let ten = common::generate(&common::load(TEN));
    let kinds = [
        (
            "redirect",
            "www.example.com",
            "/catalog/2019/item-00001.html",
        ),
        ("pass", "customer-0001.shops.example.net", "/assets/app.js"),
        (
            "try_files",
            "customer-0001.shops.example.net",
            "/account/orders",
        ),
    ];
    for engine in [Engine::Njs, Engine::Node] {
        let Some(program) = engine.locate() else {
            println!("  {}: SKIPPED — not on the PATH", engine.name());
            continue;
        };
        let n = requests(engine);
        let kvs = cost(&program, n, &generated.js, entries, &kinds, dir.path());
        let base = cost(&program, n, &ten.js, &[], &kinds, dir.path());
        for ((name, _, _), (a, b)) in kinds.iter().zip(kvs.iter().zip(&base)) {
            let ratio = a / b;
            println!(
                "  {:<5} {name:<9} store-backed {a:.2} µs, 10 locations {b:.2} µs per request: ratio {ratio:.2} (≤ 2): {}",
                engine.name(),
                common::verdict(ratio <= 2.0)
            );
        }
        // what no store-backed router can go below: the redirect's two awaited reads alone
        let floor = cost(
            &program,
            n,
            &floor_js(entries, kinds[0].1, kinds[0].2),
            entries,
            &kinds[..1],
            dir.path(),
        );
        println!(
            "  {:<5} floor     the redirect's two store reads alone {:.2} µs: {:.2}× the 10-location redirect",
            engine.name(),
            floor[0],
            floor[0] / base[0]
        );
    }
}

/// A handler that does nothing but await the two reads a store-backed redirect to `host` and `path`
/// needs (the host's key and the exact path's key) and answer a constant redirect.
fn floor_js(entries: &[(String, String)], host: &str, path: &str) -> String {
    let host = format!("v1:h:{host}");
    let suffix = format!(":{path}");
    let exact = entries
        .iter()
        .map(|(k, _)| k)
        .find(|k| k.starts_with("v1:x:") && k.ends_with(&suffix))
        .expect("the redirect's exact path is in the store");
    assert!(
        entries.iter().any(|(k, _)| *k == host),
        "{host} is in the store"
    );
    format!(
        "async function handler(e) {{\n  var s = cf.kvs(), h, x;\n  h = await s.get({host:?}, {{ format: 'json' }});\n  x = await s.get({exact:?}, {{ format: 'json' }});\n  return {{ statusCode: 301, headers: {{ location: {{ value: 'https://www.example.com/p' }} }} }};\n}}\n"
    )
}

/// µs per request of each request kind, events subtracted, median over fresh processes.
fn cost(
    program: &Path,
    requests: usize,
    js: &str,
    entries: &[(String, String)],
    kinds: &[(&str, &str, &str)],
    dir: &Path,
) -> Vec<f64> {
    let mut map = serde_json::Map::new();
    for (k, v) in entries {
        map.insert(k.clone(), serde_json::Value::String(v.clone()));
    }
    let kv = serde_json::Value::Object(map);
    let body = js
        .strip_prefix("import cf from 'cloudfront';\n")
        .unwrap_or(js);
    let kinds_json =
        serde_json::to_string(&kinds.iter().map(|(_, h, p)| [*h, *p]).collect::<Vec<_>>()).unwrap();
    // every name of the driver starts with "__": the minified function's own top-level names are
    // short (`S`, `N`, …)
    let script = format!(
        "var __KV = {kv};\n\
         var cf = {{ kvs: function () {{ return __S; }} }}, __S = {{\n\
           get: function (k, o) {{ if (!Object.prototype.hasOwnProperty.call(__KV, k)) return Promise.reject(new Error('KeyValueStore: key not found'));\n\
             var v = __KV[k]; if (o && o.format == 'json') v = JSON.parse(v); return Promise.resolve(v); }},\n\
           exists: function (k) {{ return Promise.resolve(Object.prototype.hasOwnProperty.call(__KV, k)); }} }};\n\
         {body}\n\
         var __KINDS = {kinds_json}, __N = {requests}, __out = [], __kind = 0;\n\
         function __ev(k) {{ return {{ version: '1.0', context: {{}}, viewer: {{ ip: '192.0.2.10' }}, request: {{ method: 'GET', uri: k[1], querystring: {{}}, headers: {{ host: {{ value: k[0] }} }}, cookies: {{}} }} }}; }}\n\
         function __events(k) {{ var t = Date.now(), i; for (i = 0; i < __N; i++) __ev(k); return Date.now() - t; }}\n\
         function __calls(k, i, t, done) {{\n\
           for (; i < __N; i++) {{ var r = handler(__ev(k)); if (r && typeof r.then == 'function') {{ r.then(function () {{ __calls(k, i + 1, t, done); }}); return; }} }}\n\
           done(Date.now() - t);\n\
         }}\n\
         function __next() {{\n\
           if (__kind >= 2 * __KINDS.length) {{ console.log(JSON.stringify(__out)); return; }}\n\
           var k = __KINDS[__kind % __KINDS.length], e = __events(k);\n\
           __calls(k, 0, Date.now(), function (c) {{ if (__kind >= __KINDS.length) __out.push([e, c]); __kind++; __next(); }});\n\
         }}\n\
         __next();\n"
    );
    let file = dir.join(format!("cost-{}.js", entries.len()));
    std::fs::write(&file, script).unwrap();
    let mut events = vec![Vec::new(); kinds.len()];
    let mut calls = vec![Vec::new(); kinds.len()];
    for _ in 0..ROUNDS {
        let output = Command::new(program).arg(&file).output().expect("runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let line = stdout.lines().last().unwrap_or_default();
        let value: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|_| panic!("{stdout}{}", String::from_utf8_lossy(&output.stderr)));
        for (i, pair) in value.as_array().unwrap().iter().enumerate() {
            events[i].push(pair[0].as_f64().unwrap());
            calls[i].push(pair[1].as_f64().unwrap());
        }
    }
    events
        .into_iter()
        .zip(calls)
        .map(|(e, c)| (common::median(c) - common::median(e)) * 1000.0 / requests as f64)
        .collect()
}
