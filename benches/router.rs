//! Performance issue 8: what the generated function costs per request, and its size
//! (docs/performance.md). A plain program (`harness = false`): it prints figures and asserts no
//! timing; a missed target prints `NOT met`. Run it with `cargo bench --bench router`.
//!
//! - P1: per-request cost in njs of the function generated for `fixtures/ok/monorepo-previews.yaml`
//!   over that of the hand-written `benches/baselines/monorepo-previews.js`, on the file's test
//!   requests (and on its ordinary ones alone); both are first checked to give the same answers.
//! - P2: per-request cost of generated rule sets of 10, 100 and 1,000 prefix locations per server
//!   and 1, 10 and 100 servers (`{id}.groupK.example.com`), relative to 10 locations and 1 server.
//! - P3: bytes of the compact output for the example, and the most prefix-rewrite locations that
//!   fit in 10,240 bytes.
//!
//! Timing: njs never collects garbage within a script (its heap grows by 15–25 KB per request), so
//! each round is a fresh process. For each function in turn (the order rotates per round) it times
//! building the events alone, then building them and calling `handler`, over fixed request counts
//! with `Date.now()` (njs has nothing finer); the figure is common::median(handler) − common::median(events) over
//! the rounds, per request. node, when present, runs the same scripts; without njs or node the
//! figures that need them print a SKIPPED line.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a bench program prints its figures

mod common;
#[path = "../tests/integration/rulegen.rs"]
#[allow(dead_code)] // the bench uses the generator, not its feature plan
mod rulegen;

use std::path::Path;
use std::process::Command;

use edgeroute::harness::engines::Engine;
use edgeroute::harness::event::{query_pairs, split_url};
use edgeroute::js::gate::SIZE_LIMIT;
use edgeroute::pipeline::Generated;

const FIXTURE: &str = "fixtures/ok/monorepo-previews.yaml";
const BASELINE: &str = "benches/baselines/monorepo-previews.js";
/// ../shared/reference/preview-function.js, the hand-written router P1 is measured against.
const REFERENCE: &str = "benches/baselines/reference-preview-function.js";
/// The reference's request mix (its README): host, path; viewer 192.0.2.10.
const REFERENCE_MIX: [(&str, &str); 8] = [
    ("kahoot-1234.group1.example.com", "/assets/abc.png"),
    ("kahoot-1234.group1.example.com", "/"),
    ("kahoot-1234.group1.example.com", "/app2/settings"),
    ("kahoot-1234.group1.example.com", "/app2/assets/x.js"),
    ("kahoot-1234.group2.example.com", "/app4/x"),
    ("kahoot-1234.group2.example.com", "/foo/bar"),
    ("kahoot-1234.group2.example.com", "/assets/img/logo.svg"),
    ("kahoot-1234.group1.example.com", "/quiz/play/42"),
];
const EVERY_FEATURE: &str = "fixtures/ok/every-feature.yaml";
const P1_TARGET: f64 = 0.25;
const P2_TARGET: f64 = 2.0;
const P3_BYTES_TARGET: usize = 2_905;
const P3_ROUTER_TARGET: usize = 4_500;
const P3_RANDOM_TARGET: f64 = 98.0;
const P3_RANDOM_SETS: usize = 300;
const P3_LOCATIONS_TARGET: usize = 500;

/// A request of a mix as the driver reads it: host, raw path, viewer IP, query pairs, and the
/// expected answer (`uri /…` or `status N`).
type Item = (String, String, String, Vec<(String, String)>, String);

/// How an engine is driven: requests per timed block of handler calls, events per block of event
/// construction alone (more: it is cheap), untimed warm-up requests, rounds.
struct Run {
    engine: Engine,
    requests: usize,
    events: usize,
    warm: usize,
    rounds: usize,
}

const RUNS: [Run; 2] = [
    Run {
        engine: Engine::Njs,
        requests: 2_000,
        events: 10_000,
        warm: 34,
        rounds: 7,
    },
    Run {
        engine: Engine::Node,
        requests: 50_000,
        events: 1_000_000,
        warm: 20_000,
        rounds: 5,
    },
];

/// The script's tail: `CASES = [[name, handler, mix], …]` comes before it. Round 0 also reports,
/// per case, how many answers match the mix's expectations and (for a case sharing the first
/// case's mix) the first case's answers.
/// `mk(item)`: the viewer-request event of a mix item, built fresh (the function mutates it).
macro_rules! event_maker {
    () => {
        r#"
function mk(d) {
  var qs = {}, i;
  for (i = 0; i < d[3].length; i++) qs[d[3][i][0]] = { value: d[3][i][1] };
  return { version: '1.0', context: { distributionDomainName: 'd111111abcdef8.cloudfront.net',
      distributionId: 'EDFDVBD6EXAMPLE', eventType: 'viewer-request', requestId: 'bench' },
    viewer: { ip: d[2] }, request: { method: 'GET', uri: d[1], querystring: qs,
      headers: { host: { value: d[0] } }, cookies: {} } };
}
"#
    };
}

const DRIVER: &str = concat!(
    event_maker!(),
    r#"function none(e) { return e; }
function answer(r) { return r && r.statusCode ? 'status ' + r.statusCode : 'uri ' + (r && r.uri); }
function block(f, mix, n) {
  var t = Date.now(), s = 0, i;
  for (i = 0; i < n; i++) if (f(mk(mix[i % mix.length]))) s++;
  return Date.now() - t + (s < 0 ? 1 : 0);
}
(function () {
  var round = +process.argv[process.argv.length - 1], out = { check: [], cost: [] }, k, c, i, a, first;
  for (k = 0; round == 0 && k < CASES.length; k++) {
    c = CASES[k];
    a = { name: c[0], total: c[2].length, expected: 0, same: -1, differ: [] };
    for (i = 0; i < c[2].length; i++) {
      var got = answer(c[1](mk(c[2][i])));
      if (got == c[2][i][4]) a.expected++;
      else if (a.differ.length < 3) a.differ.push(c[2][i][0] + c[2][i][1] + ' -> ' + got);
      if (k == 0) (first = first || []).push(got);
      else if (c[2] === CASES[0][2]) a.same += (a.same < 0 ? 1 : 0) + (got == first[i] ? 1 : 0);
    }
    out.check.push(a);
  }
  for (k = 0; k < CASES.length; k++) {
    c = CASES[(k + round) % CASES.length];
    block(c[1], c[2], WARM);
    out.cost.push([c[0], block(none, c[2], EVENTS), block(c[1], c[2], REQUESTS)]);
  }
  console.log(JSON.stringify(out));
})();
"#
);

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules =
        common::load(&std::fs::read_to_string(root.join(FIXTURE)).expect("read the fixture"));
    let generated = common::generate(&rules);
    let baseline = std::fs::read_to_string(root.join(BASELINE)).expect("read the baseline");
    // EDGEROUTE_BENCH_SCRIPTS=DIR keeps the njs and node scripts there, to time pieces by hand
    let temp = tempfile::tempdir().expect("tempdir");
    let kept = std::env::var_os("EDGEROUTE_BENCH_SCRIPTS").map(std::path::PathBuf::from);
    let dir = kept.as_deref().unwrap_or(temp.path());
    std::fs::create_dir_all(dir).expect("the scripts folder");
    p1(&rules, &generated, &baseline, dir);
    p2(dir);
    p3(&generated);
}

fn p1(rules: &edgeroute::model::Rules, generated: &Generated, baseline: &str, dir: &Path) {
    let all: Vec<Item> = rules.tests.iter().map(fixture_item).collect();
    // ordinary traffic: lower-case host without port or dot, a plain path, answered with a URI
    let plain: Vec<Item> = all
        .iter()
        .filter(|(host, path, _, _, want)| {
            let plain_host = host == &host.to_lowercase() && !host.contains([':', '%', '_']);
            let plain_path = path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/.-".contains(&b));
            plain_host
                && !host.ends_with('.')
                && plain_path
                && !path.contains("..")
                && !path.contains("//")
                && want.starts_with("uri ")
        })
        .cloned()
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference = std::fs::read_to_string(root.join(REFERENCE)).expect("read the reference");
    let mix: Vec<Item> = REFERENCE_MIX
        .iter()
        .map(|(host, path)| {
            let viewer = "192.0.2.10".to_owned();
            let want = answer_in_boa(generated, host, path, &viewer);
            (host.to_string(), path.to_string(), viewer, Vec::new(), want)
        })
        .collect();
    println!(
        "P1  per-request cost of the generated function / the reference router ({REFERENCE}, its README's mix)"
    );
    let functions = [
        ("generated", generated.js.as_str()),
        ("reference", reference.as_str()),
    ];
    let reference_script = script(&functions, &mix);
    for run in &RUNS {
        let Some(costs) = measure(run, dir, "p1-reference", &[reference_script.as_str()]) else {
            continue;
        };
        let (g, r) = (&costs[0], &costs[1]);
        let ratio = g.net / r.net;
        println!(
            "    {:<5} generated {:.2} µs, reference {:.2} µs per request: ratio {ratio:.3}",
            run.engine.name(),
            g.net,
            r.net
        );
        if run.engine == Engine::Njs {
            println!(
                "          P1 = {ratio:.3} (target ≤ {P1_TARGET}): {}",
                common::verdict(ratio <= P1_TARGET)
            );
        }
    }
    p1_instructions(&functions, &mix, dir);
    println!("    and / the hand-written baseline with the same checks ({BASELINE}), ({FIXTURE})");
    for (i, (label, mix)) in [
        ("the file's test requests", &all),
        ("its ordinary ones", &plain),
    ]
    .into_iter()
    .enumerate()
    {
        let functions = [("generated", generated.js.as_str()), ("baseline", baseline)];
        let script = script(&functions, mix);
        println!("    mix: {label} ({} requests)", mix.len());
        for run in &RUNS {
            let Some(costs) = measure(run, dir, &format!("p1-{i}"), &[script.as_str()]) else {
                continue;
            };
            let (g, b) = (&costs[0], &costs[1]);
            let ratio = g.net / b.net;
            println!(
                "    {:<5} generated {:.2} µs, baseline {:.2} µs per request (events {:.2} µs subtracted): ratio {:.3}",
                run.engine.name(),
                g.net,
                b.net,
                g.events,
                ratio
            );
        }
    }
}

fn p2(dir: &Path) {
    println!("P2  per-request cost by locations per server × servers, relative to 10 × 1");
    let grid: Vec<(usize, usize)> = [1, 10, 100]
        .iter()
        .flat_map(|&hosts| [10, 100, 1000].map(|n| (n, hosts)))
        .collect();
    let mut scripts = Vec::new();
    for &(n, hosts) in &grid {
        let generated = common::generate(&grid_model(n, hosts));
        let mix = grid_mix(n, hosts);
        scripts.push(script(&[(&format!("{n}x{hosts}"), &generated.js)], &mix));
        println!(
            "    {n:>4} locations × {hosts:>3} servers: {:>9} bytes",
            generated.js.len()
        );
    }
    let scripts: Vec<&str> = scripts.iter().map(String::as_str).collect();
    for run in &RUNS {
        let Some(costs) = measure(run, dir, "p2", &scripts) else {
            continue;
        };
        println!(
            "    {}: µs per request (events subtracted) and × the 10 × 1 cost",
            run.engine.name()
        );
        println!("    locations |  1 server        | 10 servers       | 100 servers");
        for n in [10, 100, 1000] {
            let row: Vec<String> = [1, 10, 100]
                .iter()
                .map(|&h| {
                    let i = grid.iter().position(|&c| c == (n, h)).expect("in grid");
                    format!(
                        "{:7.2} ({:5.2}×)",
                        costs[i].net,
                        costs[i].net / costs[0].net
                    )
                })
                .collect();
            println!("    {n:>9} | {}", row.join(" | "));
        }
        if run.engine == Engine::Njs {
            let worst = costs[grid.len() - 1].net / costs[0].net;
            println!(
                "          P2 = {worst:.2}× at 1,000 × 100 (target ≤ {P2_TARGET}×): {}",
                common::verdict(worst <= P2_TARGET)
            );
        }
    }
}

fn p3(generated: &Generated) {
    let js = &generated.js;
    println!("P3  size of the upload");
    println!(
        "    {FIXTURE}: {} bytes (target ≤ {P3_BYTES_TARGET}): {}",
        js.len(),
        common::verdict(js.len() <= P3_BYTES_TARGET)
    );
    let tables = tables_bytes(generated);
    println!(
        "      data tables (D) and regexes (R), as JSON: {tables} B; router code and header: {} B",
        js.len() - tables
    );
    let every = common::generate(&common::load_file(EVERY_FEATURE));
    let router = every.js.len() - tables_bytes(&every);
    println!(
        "    router code for a rule set that uses every feature ({EVERY_FEATURE}): {router} bytes \
         (target ≤ {P3_ROUTER_TARGET}): {}",
        common::verdict(router <= P3_ROUTER_TARGET)
    );
    let mut rng = rulegen::Rng::new(0x51CE);
    let (mut valid, mut fit) = (0, 0);
    for n in 0..P3_RANDOM_SETS {
        let text = rulegen::rules_file(&mut rng, n);
        let loaded = edgeroute::pipeline::load_bytes("random.yaml", text.into_bytes());
        let Some(rules) = loaded.rules else { continue };
        valid += 1;
        if common::generate(&rules).js.len() <= SIZE_LIMIT {
            fit += 1;
        }
    }
    let percent = 100.0 * fit as f64 / valid.max(1) as f64;
    println!(
        "    random valid rule sets (tests/integration/rulegen.rs, every feature) within {SIZE_LIMIT} \
         bytes: {fit} of {valid} ({percent:.1} %) (target ≥ {P3_RANDOM_TARGET} %): {}",
        common::verdict(percent >= P3_RANDOM_TARGET)
    );
    let sites = common::generate(&common::load(&sites_rules(40))).js.len();
    println!(
        "    40 exact-host sites (a /section/ rewrite, /assets/, a / SPA fallback each): {sites} bytes: {}",
        common::verdict(sites <= SIZE_LIMIT)
    );
    let size = |n: usize| common::generate(&common::load(&rewrite_rules(n))).js.len();
    let (mut fits, mut over) = (1, 2);
    while size(over) <= SIZE_LIMIT {
        (fits, over) = (over, over * 2);
    }
    while over - fits > 1 {
        let mid = (fits + over) / 2;
        if size(mid) <= SIZE_LIMIT {
            fits = mid;
        } else {
            over = mid;
        }
    }
    let (one, most) = (size(1), size(fits));
    println!(
        "    prefix-rewrite locations in one server within {SIZE_LIMIT} bytes: {fits} ({most} bytes; \
         {one} with one location, about {:.0} B per location) (target ≥ {P3_LOCATIONS_TARGET}): {}",
        (most - one) as f64 / (fits - 1).max(1) as f64,
        common::verdict(fits >= P3_LOCATIONS_TARGET)
    );
}

/// The generated function's answer in boa (`uri …` or `status …`), the answer the engines must give.
fn answer_in_boa(generated: &Generated, host: &str, path: &str, viewer: &str) -> String {
    let mut harness = edgeroute::harness::Harness::load(&generated.js, generated.program.runtime)
        .expect("the function loads");
    let request = edgeroute::harness::event::Request {
        url: format!("https://{host}{path}"),
        method: "GET".to_owned(),
        ip: viewer.to_owned(),
        headers: Vec::new(),
        cookies: Vec::new(),
    };
    match harness.route_untraced(&request).expect("routes").outcome {
        edgeroute::harness::Outcome::Pass { uri, .. } => format!("uri {uri}"),
        edgeroute::harness::Outcome::Answer { status, .. } => format!("status {status}"),
    }
}

/// Bytes of the data tables and regexes, as the JSON they are written from.
fn tables_bytes(generated: &Generated) -> usize {
    let data = serde_json::to_string(&generated.program.data)
        .expect("json")
        .len();
    let regexes: usize = generated
        .program
        .regexes
        .iter()
        .map(|(source, _)| source.len() + 12)
        .sum();
    data + regexes
}

/// `n` exact-host sites alike but for their names and roots.
fn sites_rules(n: usize) -> String {
    let mut out = String::from("edgeroute: 1\nservers:\n");
    for i in 0..n {
        out.push_str(&format!(
            "  - server_name: site{i}.example.com\n    root: /site{i}\n    locations:\n\
             \x20     - location: /section/\n        rewrite: ^/section/(.*)$ /s/$1 last\n\
             \x20     - location: /assets/\n\
             \x20     - location: /\n        try_files: [$uri, /index.html]\n"
        ));
    }
    out
}

fn fixture_item(case: &edgeroute::model::Case) -> Item {
    let parts = split_url(&case.url).expect("a test URL");
    let want = match (&case.expect.uri, case.expect.status) {
        (Some(uri), _) => format!("uri {uri}"),
        (None, Some(status)) => format!("status {status}"),
        (None, None) => String::new(),
    };
    (
        parts.host.to_owned(),
        parts.path.to_owned(),
        case.ip.clone(),
        parts.query.map(query_pairs).unwrap_or_default(),
        want,
    )
}

/// `hosts` servers `{id}.groupK.example.com`, each with `n` prefix locations `/pJ/`; every even
/// one is an app (`rewrite: /pJ/index.html`), every odd one serves files as they are. 1,000 × 100
/// is over the rules file's limits (1 MiB, 100,000 YAML nodes), so the servers (with one location)
/// and the locations (in one server) are validated apart and joined in the model.
fn grid_model(n: usize, hosts: usize) -> edgeroute::model::Rules {
    let mut rules = common::load(&grid_rules(1, hosts));
    let locations = common::load(&grid_rules(n, 1)).servers.remove(0).locations;
    for server in &mut rules.servers {
        server.locations = locations.clone();
    }
    rules
}

fn grid_rules(n: usize, hosts: usize) -> String {
    let mut out = String::from("edgeroute: 1\nservers:\n");
    for k in 0..hosts {
        out.push_str(&format!(
            "  - server_name: \"{{id}}.group{k}.example.com\"\n    params: {{ id: \"pr-[0-9]+\" }}\n    root: /$id/app{k}\n    locations:\n"
        ));
        for j in 0..n {
            out.push_str(&format!("      - location: /p{j}/\n"));
            if j % 2 == 0 {
                out.push_str(&format!("        rewrite: /p{j}/index.html\n"));
            }
        }
    }
    out
}

/// 200 requests spread evenly over the servers and locations of `grid_model(n, hosts)`.
fn grid_mix(n: usize, hosts: usize) -> Vec<Item> {
    (0..200)
        .map(|i| {
            let (k, j) = (i % hosts, i * 37 % n);
            let path = if i % 4 < 2 {
                format!("/p{j}/static/app.{i}.js")
            } else {
                format!("/p{j}/route/{i}")
            };
            let served = if j % 2 == 0 {
                format!("/p{j}/index.html")
            } else {
                path.clone()
            };
            let want = format!("uri /pr-{i}/app{k}{served}");
            let host = format!("pr-{i}.group{k}.example.com");
            (host, path, "192.0.2.10".to_owned(), Vec::new(), want)
        })
        .collect()
}

/// One server with `n` prefix-rewrite locations (nginx: `location /pJ/ { rewrite ^ /pJ/index.html break; }`).
fn rewrite_rules(n: usize) -> String {
    let mut out = String::from(
        "edgeroute: 1\nservers:\n  - server_name: \"{id}.preview.example.com\"\n    params: { id: \"pr-[0-9]+\" }\n    root: /$id\n    locations:\n",
    );
    for j in 0..n {
        out.push_str(&format!(
            "      - location: /p{j}/\n        rewrite: /p{j}/index.html\n"
        ));
    }
    out
}

/// A script timing each function's `handler` (each in its own scope) over `mix`.
fn script(functions: &[(&str, &str)], mix: &[Item]) -> String {
    let mut out = format!(
        "var MIX = {};\nvar CASES = [];\n",
        serde_json::to_string(mix).expect("json")
    );
    for (name, js) in functions {
        out.push_str(&format!(
            "CASES.push([{}, (function () {{\n{js}\nreturn handler;\n}})(), MIX]);\n",
            serde_json::to_string(name).expect("json")
        ));
    }
    out
}

/// A case's name and its block times in ms over the rounds: events alone, handler calls.
type Blocks = (String, Vec<f64>, Vec<f64>);

/// Costs of one case, µs per request: events alone, and handler calls less events.
struct Cost {
    events: f64,
    net: f64,
}

/// Runs every script once per round (a fresh process each), interleaved; the costs of their cases
/// in order. The scripts are written to `dir` as `TAG-I-ENGINE.js`. `None` (with a SKIPPED line) when the engine is not installed.
fn measure(run: &Run, dir: &Path, tag: &str, scripts: &[&str]) -> Option<Vec<Cost>> {
    let Some(program) = run.engine.locate() else {
        println!(
            "    {}: SKIPPED — `{}` is not on the PATH (Debian: apt-get install {})",
            run.engine.name(),
            run.engine.program().unwrap_or_default(),
            if run.engine == Engine::Node {
                "nodejs"
            } else {
                "njs"
            }
        );
        return None;
    };
    let settings = format!(
        "var REQUESTS = {}, EVENTS = {}, WARM = {};\n",
        run.requests, run.events, run.warm
    );
    let mut files = Vec::new();
    for (i, text) in scripts.iter().enumerate() {
        let path = dir.join(format!("{tag}-{i}-{}.js", run.engine.name()));
        std::fs::write(&path, format!("{settings}{text}{DRIVER}")).expect("write the script");
        files.push(path);
    }
    let mut times: Vec<Vec<Blocks>> = vec![Vec::new(); files.len()];
    for round in 0..run.rounds {
        for (file, cases) in files.iter().zip(&mut times) {
            let output = Command::new(&program)
                .arg(file)
                .arg(round.to_string())
                .output()
                .expect("run the engine");
            let stdout = String::from_utf8_lossy(&output.stdout);
            let line = stdout.lines().last().unwrap_or_default();
            let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| {
                panic!(
                    "{} printed {stdout}{}",
                    run.engine.name(),
                    String::from_utf8_lossy(&output.stderr)
                )
            });
            for check in value["check"].as_array().into_iter().flatten() {
                report_check(run.engine, check);
            }
            for cost in value["cost"].as_array().into_iter().flatten() {
                let name = cost[0].as_str().unwrap_or_default().to_owned();
                let i = cases.iter().position(|c| c.0 == name).unwrap_or_else(|| {
                    cases.push((name, Vec::new(), Vec::new()));
                    cases.len() - 1
                });
                cases[i].1.push(cost[1].as_f64().unwrap_or(f64::NAN));
                cases[i].2.push(cost[2].as_f64().unwrap_or(f64::NAN));
            }
        }
    }
    let cases = times.into_iter().flatten();
    Some(
        cases
            .map(|(_, events, calls)| {
                let events = common::median(events) * 1000.0 / run.events as f64;
                let calls = common::median(calls) * 1000.0 / run.requests as f64;
                Cost {
                    events,
                    net: calls - events,
                }
            })
            .collect(),
    )
}

fn report_check(engine: Engine, check: &serde_json::Value) {
    let (total, expected, same) = (&check["total"], &check["expected"], &check["same"]);
    let differ = check["differ"].as_array().map_or(0, Vec::len);
    if engine == Engine::Njs || differ > 0 {
        print!(
            "    {:<5} {}: {expected} of {total} answers (uri or status) as the rules file expects",
            engine.name(),
            check["name"].as_str().unwrap_or_default()
        );
        if same.as_i64().is_some_and(|s| s >= 0) {
            print!("; {same} of {total} agree with the generated function");
        }
        println!();
        for d in check["differ"].as_array().into_iter().flatten() {
            println!("          differs: {}", d.as_str().unwrap_or_default());
        }
    }
}

/// Requests per callgrind run of `p1_instructions`.
const COUNTED_REQUESTS: usize = 400;

/// P1 by instructions: each function's instructions per request in njs under valgrind's callgrind,
/// less those of building the events (a function that returns the request), as a ratio. Unlike the
/// timed figure it does not move with the machine's load (docs/performance.md).
fn p1_instructions(functions: &[(&str, &str)], mix: &[Item], dir: &Path) {
    let (Some(njs), Some(valgrind)) = (Engine::Njs.locate(), common::which("valgrind")) else {
        println!(
            "    instructions: SKIPPED — needs njs and valgrind (Debian: apt-get install njs valgrind)"
        );
        return;
    };
    let empty = (
        "events alone",
        "function handler(event) { return event.request; }",
    );
    let mut per_request = Vec::new();
    for (name, js) in functions.iter().chain([&empty]) {
        let path = dir.join(format!("p1-instructions-{}.js", name.replace(' ', "-")));
        std::fs::write(&path, counting_script(js, mix)).expect("write the script");
        let count = |n: usize| common::instructions(&valgrind, &njs, &path, &[&n.to_string()]);
        let (Some(base), Some(all)) = (count(0), count(COUNTED_REQUESTS)) else {
            println!("    instructions: valgrind did not report a count for {name}");
            return;
        };
        per_request.push((name.to_string(), (all - base) / COUNTED_REQUESTS as f64));
    }
    let events = per_request.last().map_or(0.0, |(_, n)| *n);
    let net = |i: usize| per_request[i].1 - events;
    println!(
        "    njs   instructions per request (callgrind, events' {events:.0} subtracted): generated {:.0}, reference {:.0}: ratio {:.3}",
        net(0),
        net(1),
        net(0) / net(1)
    );
}

/// A script that routes each request of `mix` once, then `argv[last]` more, through `js`.
fn counting_script(js: &str, mix: &[Item]) -> String {
    format!(
        "var MIX = {};\nvar H_ = (function () {{\n{js}\nreturn handler;\n}})();\n{COUNTING_DRIVER}",
        serde_json::to_string(mix).expect("json")
    )
}

const COUNTING_DRIVER: &str = concat!(
    event_maker!(),
    r#"var N = +process.argv[process.argv.length - 1], i, ev = [];
for (i = 0; i < MIX.length; i++) H_(mk(MIX[i]));
for (i = 0; i < N; i++) ev.push(mk(MIX[i % MIX.length]));
for (i = 0; i < N; i++) H_(ev[i]);
"#
);
