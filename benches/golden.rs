//! Golden-test throughput and whole-process time of `edgeroute check` (docs/performance.md).
//!
//! A plain `std::time::Instant` benchmark (`harness = false`): it prints figures, it asserts no timing.
//! Run it with `cargo bench --bench golden`; cargo builds the release `edgeroute` binary it spawns.
//!
//! 1. Generates 10,000 golden cases over the servers of the bundled example
//!    (`fixtures/ok/monorepo-previews.yaml`) with varied URLs: every location, query strings,
//!    percent-encoding, runs of slashes, traversal (400), bad hosts (404) and viewers outside the
//!    ranges (403). Reading the YAML, compiling and generating are timed apart from the golden run.
//! 2. Runs them with `golden::run` (one boa context per core, each loading the same bytes) and
//!    prints cases per second.
//! 3. Spawns `target/release/edgeroute check` on the example and prints the median wall time.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a bench program prints its figures

mod common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use edgeroute::diagnostic::Diagnostics;
use edgeroute::golden;
use edgeroute::model::Case;
use edgeroute::pipeline;
use edgeroute::source::SourceFile;

/// Golden cases in the generated file.
const CASES: usize = 10_000;
/// Cases per generated cases file: a rules or cases file is at most 1 MiB (src/read/yaml.rs).
const CASES_PER_FILE: usize = 2_000;
/// Timed golden runs over the 10,000 cases; the best and the median are printed.
const GOLDEN_RUNS: usize = 5;
/// Spawns of `edgeroute check`, after one warm-up.
const PROCESS_RUNS: usize = 30;

const EXAMPLE: &str = "fixtures/ok/monorepo-previews.yaml";
/// The case throughput and whole-process targets of the issue.
const TARGET_CASES_PER_SECOND: f64 = 50_000.0;
const TARGET_PROCESS_MS: f64 = 30.0;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("machine: {} logical cores", cores());
    golden_throughput(root);
    process_time(root);
}

fn golden_throughput(root: &Path) {
    let example = std::fs::read_to_string(root.join(EXAMPLE)).expect("read the bundled example");
    let rules_text = example
        .split("\ntests:")
        .next()
        .expect("the example's rules");

    let started = Instant::now();
    let mut cases = Vec::with_capacity(CASES);
    for chunk in 0..CASES.div_ceil(CASES_PER_FILE) {
        let first = chunk * CASES_PER_FILE;
        let last = CASES.min(first + CASES_PER_FILE);
        cases.extend(load_cases(&cases_yaml(first..last)));
    }
    let mut loaded = pipeline::load_bytes("generated.yaml", rules_text.as_bytes().to_vec());
    let rules = loaded.rules.take().expect("the example's rules are valid");
    let js = pipeline::generate(&rules, &mut loaded.diagnostics).expect("generate");
    let prepared = started.elapsed();
    assert_eq!(cases.len(), CASES);

    let mut runs = Vec::with_capacity(GOLDEN_RUNS);
    for _ in 0..GOLDEN_RUNS {
        let started = Instant::now();
        let report = golden::run(&js.js, &js.program, &cases).expect("the function loads");
        runs.push(started.elapsed());
        assert_eq!(
            (report.passed(), report.failed()),
            (CASES, 0),
            "{}",
            report.failures().next().map_or("", String::as_str)
        );
        assert!(report.uncovered().is_empty(), "{:?}", report.uncovered());
    }
    runs.sort();
    let per_second = |d: Duration| CASES as f64 / d.as_secs_f64();
    let (best, median) = (runs[0], runs[runs.len() / 2]);
    println!(
        "golden: {CASES} cases, {} bytes of JavaScript; YAML read + compile + generate {:.1} ms",
        js.js.len(),
        common::ms(prepared)
    );
    println!(
        "golden: on {} threads, median {:.0} cases/s ({:.1} ms, {:.2} µs/case), best {:.0} cases/s; target ≥ {TARGET_CASES_PER_SECOND:.0}",
        edgeroute::harness::parallel::threads(),
        per_second(median),
        common::ms(median),
        median.as_secs_f64() * 1e6 / CASES as f64,
        per_second(best),
    );
}

fn process_time(root: &Path) {
    let binary = Path::new(env!("CARGO_BIN_EXE_edgeroute"));
    let run = || {
        let started = Instant::now();
        let output = Command::new(binary)
            .args(["check", EXAMPLE])
            .current_dir(root)
            .output()
            .expect("spawn edgeroute");
        let elapsed = started.elapsed();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{stdout}");
        assert!(stdout.contains("34 passed, 0 failed"), "{stdout}");
        elapsed
    };
    run();
    let mut times: Vec<Duration> = (0..PROCESS_RUNS).map(|_| run()).collect();
    times.sort();
    println!(
        "process: `{} check {EXAMPLE}`: median {:.1} ms, min {:.1} ms, max {:.1} ms over {PROCESS_RUNS} runs; target ≤ {TARGET_PROCESS_MS:.0} ms",
        binary.display(),
        common::ms(times[PROCESS_RUNS / 2]),
        common::ms(times[0]),
        common::ms(times[PROCESS_RUNS - 1]),
    );
}

/// A `tests:` file with the cases numbered `range`.
fn cases_yaml(range: std::ops::Range<usize>) -> String {
    let mut out = String::from("tests:\n");
    for i in range {
        let case = case(i);
        let _ = writeln!(out, "  - {{{case}}}");
    }
    out
}

fn load_cases(text: &str) -> Vec<Case> {
    let file = SourceFile::new("cases.yaml", text.to_owned());
    let mut diagnostics = Diagnostics::default();
    let cases = golden::load_cases(&file, &mut diagnostics).expect("cases parse");
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    cases
}

/// Case `i` as YAML flow-mapping entries, with the outcome the example's rules give it.
fn case(i: usize) -> String {
    let id = format!("pr-{i}");
    // group2 serves app3 (app4 under /app4); group1 and any other group serve app1 (app2 under /app2)
    let (group, app, sub) = match i % 3 {
        0 => ("group1".to_owned(), "app1", "app2"),
        1 => ("group2".to_owned(), "app3", "app4"),
        _ => (format!("g{}", i % 50), "app1", "app2"),
    };
    let host = format!("{id}.{group}.example.com");
    let base = format!("/{id}/{app}");
    let ip = if i.is_multiple_of(2) {
        "192.0.2.10"
    } else {
        "2001:db8::7"
    };
    let pass =
        |path: &str, uri: &str| format!("url: 'https://{host}{path}', ip: '{ip}', uri: '{uri}'");
    match (i / 3) % 12 {
        0 => {
            pass(
                &format!("/assets/f{i}.png"),
                &format!("{base}/assets/f{i}.png"),
            ) + ", matched: /assets/"
        }
        1 => pass(
            &format!("/{sub}/assets/c{i}.js"),
            &format!("{base}/{sub}/assets/c{i}.js"),
        ),
        2 => pass(
            &format!("/{sub}/page/{i}"),
            &format!("{base}/{sub}/index.html"),
        ),
        3 => {
            pass(&format!("/{sub}"), &format!("{base}/{sub}/index.html"))
                + &format!(", matched: '= /{sub}'")
        }
        4 => {
            pass(
                &format!("/dash/{i}?v={i}&lang=nb"),
                &format!("{base}/index.html"),
            ) + &format!(", querystring: 'v={i}&lang=nb'")
        }
        5 => pass(
            &format!("/assets/caf%C3%A9%20{i}.png"),
            &format!("{base}/assets/caf%C3%A9%20{i}.png"),
        ),
        6 => pass(
            &format!("//assets//a{i}.png"),
            &format!("{base}/assets/a{i}.png"),
        ),
        7 => pass(
            &format!("/{sub}/../assets/b{i}.js"),
            &format!("{base}/assets/b{i}.js"),
        ),
        8 => format!("url: 'https://{host}/assets/../../other-1/{i}.js', ip: '{ip}', status: 400"),
        9 => format!(
            "url: 'https://{host}/assets/x{i}.png', ip: '198.51.100.{}', status: 403",
            i % 200
        ),
        10 => format!(
            "url: 'https://x_{i}.{group}.example.com/assets/a.png', ip: '{ip}', status: 404"
        ),
        _ => pass(
            &format!("/{sub}/assets/%2e%2e/y{i}.js"),
            &format!("{base}/{sub}/index.html"),
        ),
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
