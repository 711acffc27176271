//! Hostile requests (issue 14): what the worst request anyone can send costs, as a multiple of an
//! ordinary request of the same rule set, in njs (CloudFront's runtime is built on it) and node,
//! and the memory each adds in njs, which frees nothing within a request. A plain program
//! (`harness = false`): it prints figures and asserts no timing; a missed target prints `NOT met`.
//! Run it with `cargo bench --bench hostile`.
//!
//! Every request is first checked in both engines: no exception, a valid answer (a response with a
//! status, or the request with a `uri` starting with `/`), the same answer in njs and node.
//! Timing: a fresh process per request kind and round; it times building the events alone, then
//! building them and calling `handler`, and takes common::median(handler) − common::median(events) over the rounds.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a bench program prints its figures

mod common;

use std::process::Command;

use edgeroute::harness::engines::Engine;

const TARGET_RATIO: f64 = 10.0;
const TARGET_BYTES: f64 = 1_048_576.0;
const ROUNDS: usize = 3;

/// A rule set and its ordinary request: host, path.
const SETS: [(&str, &str, &str); 5] = [
    (
        "fixtures/ok/monorepo-previews.yaml",
        "kahoot-1234.group1.example.com",
        "/assets/abc.png",
    ),
    (
        "fixtures/ok/openfaas-previews.yaml",
        "pr-42.preview.example.com",
        "/static/js/main.3f2a.js",
    ),
    (
        "fixtures/ok/spec-example.yaml",
        "kahoot-1234.group1.example.com",
        "/assets/abc.png",
    ),
    ("fixtures/ok/many-apps.yaml", "", ""),
    (
        "fixtures/ok/every-feature.yaml",
        "ab-1.t.example.com",
        "/assets/abc.png",
    ),
];

/// One request: a label, host, raw path, query pairs, viewer, headers, cookies.
#[derive(Clone, serde::Serialize)]
struct Req {
    label: String,
    host: String,
    path: String,
    query: Vec<(String, String)>,
    ip: String,
    headers: Vec<(String, String)>,
    cookies: Vec<(String, String)>,
}

fn hostile(host: &str, path: &str) -> Vec<Req> {
    let ordinary = Req {
        label: format!("ordinary: {path}"),
        host: host.to_owned(),
        path: path.to_owned(),
        query: Vec::new(),
        ip: "192.0.2.10".to_owned(),
        headers: Vec::new(),
        cookies: Vec::new(),
    };
    let with_path = |label: &str, p: String| Req {
        label: label.to_owned(),
        path: p,
        ..ordinary.clone()
    };
    let mut out = vec![
        ordinary.clone(),
        with_path("/ + %41 × 2,700", format!("/{}", "%41".repeat(2700))),
        with_path(
            "/assets/ + %E4%B8%AD × 900",
            format!("/assets/{}", "%E4%B8%AD".repeat(900)),
        ),
        with_path(
            "/assets/ + %G × 2,700",
            format!("/assets/{}", "%G".repeat(2700)),
        ),
        with_path(
            "/assets/ + raw é中 × 1,300",
            format!("/assets/{}", "é中".repeat(1300)),
        ),
        with_path("/ab × 2,700", "/ab".repeat(2700)),
        with_path(
            "/assets + / × 8,000 + x.png",
            format!("/assets{}x.png", "/".repeat(8000)),
        ),
        with_path("/a/. × 2,000", "/a/.".repeat(2000)),
        with_path("/a/b/.. × 1,150", "/a/b/..".repeat(1150)),
        with_path(
            "/assets/ + \" × 8,180",
            format!("/assets/{}", "\"".repeat(8180)),
        ),
        with_path("/assets/aaaaa%C3%A9", "/assets/aaaaa%C3%A9".to_owned()),
        with_path(
            "/assets/ + a × 23 + raw 中 (32 chars)",
            format!("/assets/{}中", "a".repeat(23)),
        ),
        with_path(
            "/assets/ + %2F × 2,700",
            format!("/assets/{}", "%2F".repeat(2700)),
        ),
        with_path(
            "/assets/ + %FF × 2,700 (not UTF-8)",
            format!("/assets/{}", "%FF".repeat(2700)),
        ),
    ];
    let label = |s: &str| s.to_owned();
    out.push(Req {
        label: label("253-char host"),
        host: format!("{}.{}", "a".repeat(63), "b".repeat(189)),
        ..ordinary.clone()
    });
    out.push(Req {
        label: label("host of 126 one-char labels"),
        host: vec!["a"; 126].join("."),
        ..ordinary.clone()
    });
    out.push(Req {
        label: label("IPv6 literal host with a port"),
        host: "[2001:db8::1]:443".to_owned(),
        ..ordinary.clone()
    });
    out.push(Req {
        label: label("300 query parameters"),
        query: (0..300)
            .map(|i| (format!("k{i}"), format!("v{i}")))
            .collect(),
        ..ordinary.clone()
    });
    out.push(Req {
        label: label("60 headers of 100 chars"),
        headers: (0..60)
            .map(|i| (format!("x-h{i}"), "v".repeat(100)))
            .collect(),
        ..ordinary.clone()
    });
    out.push(Req {
        label: label("cookies of 4 KB"),
        cookies: (0..40)
            .map(|i| (format!("c{i}"), "z".repeat(100)))
            .collect(),
        ..ordinary.clone()
    });
    out.push(Req {
        label: label("uncompressed IPv6 viewer"),
        ip: "2001:0db8:0000:0000:0000:ff00:0042:8329".to_owned(),
        ..ordinary.clone()
    });
    out.push(Req {
        label: label("300-char junk viewer"),
        ip: ":.".repeat(150),
        ..ordinary
    });
    out
}

/// The event maker, shared by the timing and the counting drivers.
macro_rules! event_maker {
    () => {
        r#"
function mk(d) {
  var qs = {}, hd = { host: { value: d.host } }, cs = {}, i;
  for (i = 0; i < d.query.length; i++) qs[d.query[i][0]] = { value: d.query[i][1] };
  for (i = 0; i < d.headers.length; i++) hd[d.headers[i][0]] = { value: d.headers[i][1] };
  for (i = 0; i < d.cookies.length; i++) cs[d.cookies[i][0]] = { value: d.cookies[i][1] };
  return { version: '1.0', context: { distributionDomainName: 'd111111abcdef8.cloudfront.net',
      distributionId: 'EDFDVBD6EXAMPLE', eventType: 'viewer-request', requestId: 'bench' },
    viewer: { ip: d.ip }, request: { method: 'GET', uri: d.path, querystring: qs,
      headers: hd, cookies: cs } };
}
"#
    };
}

const DRIVER: &str = concat!(
    event_maker!(),
    r#"
function answer(r) {
  if (r && typeof r.statusCode == 'number') return 'status ' + r.statusCode;
  if (r && typeof r.uri == 'string' && r.uri.charAt(0) == '/') return 'uri ' + r.uri.slice(0, 60);
  return 'INVALID ' + JSON.stringify(r).slice(0, 80);
}
(function () {
  var out = {}, i, t, e, s = 0, mem = typeof njs != 'undefined' && njs.memoryStats;
  e = mk(BENCH_REQ);
  var before = mem ? njs.memoryStats.size : 0;
  try { out.answer = answer(handler(e)); } catch (x) { out.answer = 'EXCEPTION ' + x; }
  out.memory = mem ? njs.memoryStats.size - before : -1;
  t = Date.now();
  for (i = 0; i < BENCH_N; i++) if (mk(BENCH_REQ)) s++;
  out.events = Date.now() - t;
  t = Date.now();
  for (i = 0; i < BENCH_N; i++) if (handler(mk(BENCH_REQ))) s++;
  out.calls = Date.now() - t + (s < 0 ? 1 : 0);
  console.log(JSON.stringify(out));
})();
"#
);

/// Counting: `N` events built (arguments `N`), each routed too (arguments `N call`).
const COUNTING_DRIVER: &str = concat!(
    event_maker!(),
    r#"
(function () {
  var a = process.argv, call = a[a.length - 1] == 'call', n = +a[a.length - (call ? 2 : 1)], i, e;
  for (i = 0; i < n; i++) {
    e = mk(BENCH_REQ);
    if (call) handler(e);
  }
})();
"#
);

/// Requests per callgrind run: an ordinary request, a hostile one.
const COUNTED: [usize; 2] = [40, 4];

/// njs instructions per request of each request of `requests` through `js` (callgrind: a run that
/// builds and routes the events less one that only builds them), or None without valgrind.
fn njs_instructions(js: &str, requests: &[Req], dir: &std::path::Path) -> Option<Vec<f64>> {
    let (njs, valgrind) = (Engine::Njs.locate()?, common::which("valgrind")?);
    let mut out = Vec::new();
    for (i, req) in requests.iter().enumerate() {
        let n = COUNTED[usize::from(i > 0)];
        let script = format!(
            "var BENCH_REQ = {};\n{}\n{COUNTING_DRIVER}",
            serde_json::to_string(req).expect("json"),
            stub_import(js)
        );
        let path = dir.join(format!("count-{i}.js"));
        std::fs::write(&path, script).expect("write");
        let n_text = n.to_string();
        let events = common::instructions(&valgrind, &njs, &path, &[&n_text])?;
        let all = common::instructions(&valgrind, &njs, &path, &[&n_text, "call"])?;
        out.push((all - events) / n as f64);
    }
    Some(out)
}

/// `js` with its 2.0 import line replaced by a stub `cf`.
fn stub_import(js: &str) -> String {
    js.replace(
        "import cf from 'cloudfront';",
        "var cf = { selectRequestOriginById: function () {}, updateRequestOrigin: function () {} };",
    )
}

/// The first rule set's requests by njs instructions, the figure to compare between commits.
fn counted_table(js: &str, requests: &[Req], dir: &std::path::Path) {
    let Some(counts) = njs_instructions(js, requests, dir) else {
        println!(
            "    njs instructions: SKIPPED — needs njs and valgrind (Debian: apt-get install njs valgrind)"
        );
        return;
    };
    println!(
        "    njs instructions per request (callgrind; events subtracted; does not move with the load):"
    );
    let ordinary = counts[0].max(1.0);
    let over = counts
        .iter()
        .skip(1)
        .filter(|c| **c / ordinary > TARGET_RATIO)
        .count();
    for (req, count) in requests.iter().zip(&counts) {
        println!(
            "    {:<40} {:>12.0} ({:5.1}×)",
            req.label,
            count,
            count / ordinary
        );
    }
    println!(
        "    by instructions: {over} of {} hostile requests over {TARGET_RATIO}× an ordinary one",
        counts.len() - 1
    );
}

struct Figure {
    answer: String,
    net_us: f64,
    memory: f64,
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let engines: Vec<(Engine, std::path::PathBuf)> = [Engine::Njs, Engine::Node]
        .into_iter()
        .filter_map(|e| match e.locate() {
            Some(p) => Some((e, p)),
            None => {
                println!(
                    "SKIPPED {}: not on the PATH (Debian: apt-get install njs nodejs)",
                    e.name()
                );
                None
            }
        })
        .collect();
    let mut worst: Vec<(String, f64)> = Vec::new();
    let mut all_ok = true;
    for (file, host, path) in SETS {
        let rules = common::load_file(file);
        let generated = common::generate(&rules);
        let (host, path) = if host.is_empty() {
            let url = &rules.tests[0].url;
            let parts = edgeroute::harness::event::split_url(url).expect("a test url");
            (parts.host.to_owned(), parts.path.to_owned())
        } else {
            (host.to_owned(), path.to_owned())
        };
        println!("{file} ({} bytes)", generated.js.len());
        let requests = hostile(&host, &path);
        let mut table: Vec<Vec<Figure>> = Vec::new();
        for (engine, program) in &engines {
            let n_ordinary = if *engine == Engine::Njs {
                2_000
            } else {
                20_000
            };
            let figures: Vec<Figure> = requests
                .iter()
                .enumerate()
                .map(|(i, req)| {
                    let n = if i == 0 { n_ordinary } else { n_ordinary / 20 };
                    let script = format!(
                        "var BENCH_N = {n}, BENCH_REQ = {};\n{}\n{DRIVER}",
                        serde_json::to_string(req).expect("json"),
                        stub_import(&generated.js)
                    );
                    let path = dir.path().join(format!("h-{}-{i}.js", engine.name()));
                    std::fs::write(&path, script).expect("write");
                    let mut events = Vec::new();
                    let mut calls = Vec::new();
                    let (mut answer, mut memory) = (String::new(), 0.0);
                    for _ in 0..ROUNDS {
                        let output = Command::new(program).arg(&path).output().expect("run");
                        let stdout = String::from_utf8_lossy(&output.stdout);
                        let line = stdout.lines().last().unwrap_or_default();
                        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| {
                            serde_json::json!({"answer": format!("NO OUTPUT {}", String::from_utf8_lossy(&output.stderr).chars().take(200).collect::<String>()), "memory": -1, "events": 0, "calls": 0})
                        });
                        answer = v["answer"].as_str().unwrap_or_default().to_owned();
                        memory = v["memory"].as_f64().unwrap_or(-1.0);
                        events.push(v["events"].as_f64().unwrap_or(0.0));
                        calls.push(v["calls"].as_f64().unwrap_or(0.0));
                    }
                    let net = (common::median(calls) - common::median(events)) * 1000.0 / n as f64;
                    Figure { answer, net_us: net.max(0.0), memory }
                })
                .collect();
            table.push(figures);
        }
        println!(
            "    {:<40} {}",
            "request",
            engines
                .iter()
                .map(|(e, _)| format!(
                    "{:<32}",
                    format!(
                        "{}: µs (× ordinary){}",
                        e.name(),
                        if *e == Engine::Njs { ", memory" } else { "" }
                    )
                ))
                .collect::<String>()
        );
        for (i, req) in requests.iter().enumerate() {
            let mut line = format!("    {:<40}", req.label);
            for (k, (engine, _)) in engines.iter().enumerate() {
                let f = &table[k][i];
                let ratio = f.net_us / table[k][0].net_us.max(0.01);
                let mut cell = format!("{:8.1} ({:5.1}×)", f.net_us, ratio);
                if *engine == Engine::Njs {
                    cell.push_str(&format!(" {:6.0} KB", f.memory / 1024.0));
                    if f.memory > TARGET_BYTES {
                        all_ok = false;
                    }
                }
                if i > 0 {
                    worst.push((format!("{} {} {}", engine.name(), file, req.label), ratio));
                }
                line.push_str(&format!("{cell:<32}"));
            }
            let answers: Vec<&str> = table.iter().map(|t| t[i].answer.as_str()).collect();
            let valid = answers
                .iter()
                .all(|a| a.starts_with("status") || a.starts_with("uri"));
            let agree = answers.windows(2).all(|w| w[0] == w[1]);
            if !valid || !agree {
                all_ok = false;
            }
            line.push_str(&format!(
                " {}{}",
                answers.first().copied().unwrap_or_default(),
                if !valid {
                    "  INVALID"
                } else if !agree {
                    "  ENGINES DISAGREE"
                } else {
                    ""
                }
            ));
            println!("{line}");
        }
        if file == SETS[0].0 {
            counted_table(&generated.js, &requests, dir.path());
        }
    }
    worst.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("worst hostile requests (× an ordinary request of the same rule set):");
    for (label, ratio) in worst.iter().take(8) {
        println!("    {ratio:6.1}×  {label}");
    }
    let over: Vec<_> = worst.iter().filter(|(_, r)| *r > TARGET_RATIO).collect();
    println!(
        "≤ {TARGET_RATIO}× an ordinary request: {} ({} of {} over)",
        if over.is_empty() {
            "target met"
        } else {
            "NOT met"
        },
        over.len(),
        worst.len()
    );
    println!(
        "valid answers, engines agree, ≤ 1 MB in njs: {}",
        if all_ok { "yes" } else { "NO" }
    );
}
