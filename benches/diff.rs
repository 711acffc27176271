//! `edgeroute diff` on two 200-rule files (docs/performance.md): in-process and whole-process time.
//!
//! A plain `std::time::Instant` benchmark (`harness = false`) that prints figures and asserts no
//! timing. Run it with `cargo bench --bench diff`. The two files differ by a changed root, a new
//! prefix and two swapped regexes; both are far over the 10 KB budget (200 locations), which `diff`
//! reports in its size line and otherwise ignores.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a bench program prints its figures

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use edgeroute::review::semantic_diff::{self, Side};

const LOCATIONS: usize = 200;
const RUNS: usize = 7;
const TARGET_MS: f64 = 1000.0;

fn main() {
    let old = rules(false);
    let new = rules(true);
    let mut times = Vec::new();
    let mut summary = String::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let (a, b) = (common::load(&old), common::load(&new));
        let (ga, gb) = (common::generate(&a), common::generate(&b));
        let report = semantic_diff::compare(
            &Side {
                rules: &a,
                generated: &ga,
            },
            &Side {
                rules: &b,
                generated: &gb,
            },
            false,
        )
        .expect("compare");
        times.push(started.elapsed());
        summary = format!(
            "{} of {} probes changed",
            report.changes.len(),
            report.probes
        );
    }
    println!(
        "diff of two {LOCATIONS}-rule files, in process: median {:.0} ms ({summary}; target < {TARGET_MS:.0} ms)",
        common::ms(common::median_duration(&mut times))
    );

    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/edgeroute");
    if !binary.exists() {
        println!(
            "whole process: skipped, build target/release/edgeroute first (cargo build --release)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (old_path, new_path) = (dir.path().join("old.yaml"), dir.path().join("new.yaml"));
    std::fs::write(&old_path, &old).expect("write");
    std::fs::write(&new_path, &new).expect("write");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let output = Command::new(&binary)
            .arg("diff")
            .arg(&old_path)
            .arg(&new_path)
            .output()
            .expect("run");
        times.push(started.elapsed());
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    println!(
        "diff of two {LOCATIONS}-rule files, whole process: median {:.0} ms",
        common::ms(common::median_duration(&mut times))
    );
}

/// A server with 200 locations: prefixes, exact paths and regexes; `changed` moves three things.
fn rules(changed: bool) -> String {
    let mut out = String::from(
        "edgeroute: 1\nservers:\n  - server_name: \"{id}.preview.example.com\"\n    params: { id: \"pr-[0-9]+\" }\n",
    );
    out.push_str(if changed {
        "    root: /$id/www\n"
    } else {
        "    root: /$id/site\n"
    });
    out.push_str("    locations:\n");
    let regexes = LOCATIONS / 5;
    let exact = LOCATIONS / 5;
    let prefixes = LOCATIONS - regexes - exact - usize::from(changed);
    for i in 0..prefixes {
        out.push_str(&format!("      - location: /p{i}/\n"));
        if i % 2 == 0 {
            out.push_str(&format!("        rewrite: /p{i}/index.html\n"));
        }
    }
    if changed {
        out.push_str("      - location: /p1/new/\n        return: 410\n");
    }
    for i in 0..exact {
        out.push_str(&format!(
            "      - location: = /e{i}\n        return: 301 /p{i}/\n"
        ));
    }
    for i in 0..regexes {
        let i = if changed && i < 2 { 1 - i } else { i };
        out.push_str(&format!(
            "      - location: ~ ^/r{i}/.*\\.(png|jpg)$\n        alias: /img/{i}.png\n"
        ));
    }
    out.push_str("tests:\n  - url: https://pr-1.preview.example.com/p0/\n    uri: /pr-1/site/p0/index.html\n");
    out
}
