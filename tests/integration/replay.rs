//! `replay` and `diff --requests` through the real CLI, on the logs of fixtures/logs/ for the
//! monorepo example: each log format, gzip, malformed lines, a truncated gzip file, and the diff
//! of two rule versions on the same requests.

use std::io::Write;

use serde_json::Value;

use crate::common::{edgeroute, root, text};

const RULES: &str = "fixtures/ok/monorepo-previews.yaml";
const NEXT: &str = "fixtures/logs/monorepo-previews-next.yaml";
const LOG: &str = "fixtures/logs/monorepo-cloudfront.log";
const LIST: &str = "fixtures/logs/monorepo-requests.txt";

/// `edgeroute --format json ARGS…`: the exit status and the report.
fn json(args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["--format", "json"];
    all.extend(args);
    let output = edgeroute(&all);
    let (stdout, stderr) = text(&output);
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {stdout:?}, stderr {stderr:?}"));
    (output.status.code(), value)
}

/// `{ "lines": l, "requests": r }` of a `by_*` entry.
fn count(value: &Value) -> (u64, u64) {
    (
        value["lines"].as_u64().expect("lines"),
        value["requests"].as_u64().expect("requests"),
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

#[test]
fn a_cloudfront_log_is_read_in_its_header_order_and_grouped() {
    let (status, report) = json(&["replay", RULES, LOG]);
    assert_eq!(status, Some(0));
    assert_eq!(report["files"][0]["format"], "cloudfront");
    // 17 request lines, two of them malformed; the two lines of one 403 and the three of one asset
    // are one request each
    assert_eq!(report["lines"], 17);
    assert_eq!(report["malformed"]["lines"], 2);
    let malformed: Vec<(u64, &str)> = report["malformed"]["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64().unwrap(), p["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        malformed,
        [
            (14, "4 tab-separated fields; the #Fields: header names 33"),
            (19, "no x-host-header (the Host the viewer sent)")
        ]
    );
    assert_eq!(report["replayed_lines"], 15);
    assert_eq!(report["requests"], 12);
    let by_status = &report["by_status"];
    // the viewer outside the ranges, twice; the climb out of the preview; an id that fails its pattern
    assert_eq!(count(&by_status["403"]), (2, 1));
    assert_eq!(count(&by_status["400"]), (1, 1));
    assert_eq!(count(&by_status["404"]), (1, 1));
    assert_eq!(count(&by_status["origin"]), (11, 9));
    let origins = &report["by_origin"];
    assert_eq!(count(&origins["/kahoot-1234/app1/…"]), (8, 6));
    assert_eq!(count(&origins["/quiz-77/app3/…"]), (3, 3));
    let assets = report["by_location"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["location"] == "/assets/" && l["server"] == "{id}.group1.example.com")
        .expect("group1's /assets/ was reached");
    // `?v=3` three times from one viewer: one request
    assert_eq!(count(assets), (3, 1));
    let unused: Vec<&str> = report["unused_locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["location"].as_str().unwrap())
        .collect();
    assert_eq!(unused, ["/app4/assets/", "/assets/", "/app4/", "= /app2"]);
    let refused = &report["refused"][0];
    assert_eq!(refused["what"], "403");
    assert_eq!(
        refused["example"],
        "GET https://kahoot-1234.group1.example.com/ from 198.51.100.7"
    );
}

#[test]
fn a_request_list_takes_method_url_and_ip() {
    let (status, report) = json(&["replay", RULES, LIST]);
    assert_eq!(status, Some(0));
    assert_eq!(report["files"][0]["format"], "request-list");
    assert_eq!(report["lines"], 16);
    assert_eq!(report["malformed"]["lines"], 2);
    let lines: Vec<u64> = report["malformed"]["first"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [16, 17], "line numbers count the comment line");
    // three lines of app.js from one viewer, one from the default address: two requests
    assert_eq!(report["requests"], 11);
    assert_eq!(count(&report["by_status"]["403"]), (1, 1));
    assert_eq!(count(&report["by_status"]["400"]), (1, 1));
    assert_eq!(count(&report["by_status"]["404"]), (1, 1));
    assert_eq!(count(&report["by_status"]["origin"]), (11, 8));
}

#[test]
fn the_text_report_names_every_part() {
    let output = edgeroute(&["replay", RULES, LOG, LIST]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    for needle in [
        "fixtures/logs/monorepo-cloudfront.log: CloudFront standard log, 17 lines\n",
        "fixtures/logs/monorepo-requests.txt: request list, 16 lines\n",
        "33 lines, 18 distinct requests; 4 malformed lines\n",
        "  malformed: fixtures/logs/monorepo-cloudfront.log:14: 4 tab-separated fields",
        "\nby status (log lines, distinct requests):\n",
        "\nby origin path (log lines, distinct requests):\n",
        "\nby server (log lines, distinct requests):\n",
        "\nanswered 4xx/5xx by the router:\n  400 by no server: 2 lines, 2 requests; e.g. GET https://kahoot-1234.group1.example.com/assets/%2e%2e/",
        "  403 by location `/` in server `{id}.group1.example.com`: 2 lines, 1 request; e.g. GET https://kahoot-1234.group1.example.com/ from 198.51.100.7\n",
        "\nreached by no request:\n  location `/app4/assets/` in server `{id}.group2.example.com`\n",
    ] {
        assert!(stdout.contains(needle), "{needle:?} in\n{stdout}");
    }
}

#[test]
fn a_gzip_log_reads_as_the_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("E2EXAMPLE.2026-12-01-09.abcd1234.gz");
    let plain = std::fs::read(root().join(LOG)).unwrap();
    std::fs::write(&gz, gzip(&plain)).unwrap();
    let (_, from_plain) = json(&["replay", RULES, LOG]);
    let (status, from_gz) = json(&["replay", RULES, gz.to_str().unwrap()]);
    assert_eq!(status, Some(0));
    assert_eq!(from_gz["files"][0]["gzip"], true);
    for key in [
        "lines",
        "requests",
        "by_status",
        "by_origin",
        "by_server",
        "by_location",
        "unused_locations",
    ] {
        assert_eq!(from_gz[key], from_plain[key], "{key}");
    }
}

#[test]
fn a_truncated_gzip_log_says_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.log.gz");
    let mut list = String::new();
    for i in 0..5000 {
        list.push_str(&format!(
            "https://kahoot-{i}.group1.example.com/assets/{i}.js 192.0.2.10\n"
        ));
    }
    let gz = gzip(list.as_bytes());
    std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
    let output = edgeroute(&["replay", RULES, path.to_str().unwrap()]);
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let warning = stdout
        .lines()
        .find(|l| l.starts_with("warning: "))
        .unwrap_or_else(|| panic!("a warning in\n{stdout}"));
    let at = format!("warning: {}:", path.display());
    let line: u64 = warning
        .strip_prefix(&at)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{warning}"));
    assert!(warning.contains("the gzip stream ends early"), "{warning}");
    assert!((2..5000).contains(&line), "{warning}");
    let read = format!("{} lines, {} distinct requests", line - 1, line - 1);
    assert!(stdout.contains(&read), "{read:?} in\n{stdout}");
}

#[test]
fn unreadable_and_headerless_logs_stop_with_a_message() {
    let output = edgeroute(&["replay", RULES, "fixtures/logs/no-such.log"]);
    assert_eq!(output.status.code(), Some(2));
    let output = edgeroute(&["replay", RULES]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("replay needs a LOG"), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("fields.log");
    std::fs::write(&log, "#Version: 1.0\n#Fields: date time cs-uri-stem\n").unwrap();
    let output = edgeroute(&["replay", RULES, log.to_str().unwrap()]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains("fields.log:2: the #Fields: header has no `x-host-header`"),
        "{stderr}"
    );
}

#[test]
fn diff_on_logged_requests_groups_the_changes_with_their_lines() {
    let (status, report) = json(&["diff", RULES, NEXT, "--requests", LOG, LIST]);
    assert_eq!(status, Some(0));
    assert_eq!(report["requests"], 18);
    // the IPv6 viewer of app2, once in each log, loses the preview; the IPv4 one gets app.html
    assert_eq!(report["changed_requests"], 2);
    assert_eq!(report["changed_lines"], 3);
    let groups: Vec<(&str, &str, u64, u64)> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["old_outcome"].as_str().unwrap(),
                g["new_outcome"].as_str().unwrap(),
                g["lines"].as_u64().unwrap(),
                g["requests"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("origin /kahoot-1234/app1/…", "answered 403", 2, 1),
            (
                "origin /kahoot-1234/app1/…",
                "origin /kahoot-1234/app1/…",
                1,
                1
            ),
        ]
    );
    let moved = &report["groups"][1]["examples"][0];
    assert_eq!(
        moved["request"]["url"],
        "https://kahoot-1234.group1.example.com/app2/orders"
    );
    assert_eq!(
        moved["old"]["result"],
        "passed to the origin as /kahoot-1234/app1/app2/index.html"
    );
    assert_eq!(
        moved["new"]["result"],
        "passed to the origin as /kahoot-1234/app1/app2/app.html"
    );
    assert_eq!(
        moved["new"]["rule"],
        "location `/app2/` in server `{id}.group1.example.com`"
    );

    let output = edgeroute(&[
        "--format",
        "markdown",
        "diff",
        RULES,
        NEXT,
        "--requests",
        LOG,
        "--exit-code",
    ]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "--exit-code with changes");
    assert!(
        stdout.starts_with("### edgeroute: 2 of 15 log lines (2 of 12 distinct requests) change outcome in the logs\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| 1 | `GET https://kahoot-1234.group1.example.com/app2/settings from 2001:db8::7` | passed to the origin as /kahoot-1234/app1/app2/index.html | answered 403 |"),
        "{stdout}"
    );
    let same = edgeroute(&["diff", RULES, RULES, "--requests", LIST, "--exit-code"]);
    let (stdout, stderr) = text(&same);
    assert!(same.status.success(), "{stderr}");
    assert!(
        stdout.contains("0 of 14 log lines (0 of 11 distinct requests) change outcome"),
        "{stdout}"
    );
}

#[test]
fn diff_base_on_logged_requests_reads_the_old_rules_from_git() {
    let dir = tempfile::tempdir().unwrap();
    let run = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .output()
            .expect("run")
    };
    let copy = |from: &str, to: &str| {
        std::fs::copy(root().join(from), dir.path().join(to)).unwrap();
    };
    copy(RULES, "edgeroute.yaml");
    copy(LOG, "cloudfront.log");
    let git = |args: &[&str]| {
        let mut all = vec![
            "-c",
            "user.name=edgeroute",
            "-c",
            "user.email=edgeroute@example.com",
        ];
        all.extend(args);
        let output = run("git", &all);
        assert!(output.status.success(), "git {args:?}: {output:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "edgeroute.yaml"]);
    git(&["commit", "-q", "-m", "rules"]);
    copy(NEXT, "edgeroute.yaml");
    let output = run(
        env!("CARGO_BIN_EXE_edgeroute"),
        &[
            "--format",
            "json",
            "diff",
            "--base",
            "HEAD",
            "--requests",
            "cloudfront.log",
        ],
    );
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["changed_requests"], 2);
    assert_eq!(report["changed_lines"], 2);
    assert_eq!(report["requests"], 12);
}

#[test]
fn a_store_backed_function_reads_its_key_value_store() {
    // exact hosts and locations live in the KeyValueStore (`kvs: true`): without the store every
    // request would miss its server
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("shop.txt");
    let requests = "https://shop.example.com/old-shop/summer-sale\n\
                    https://shop.example.com/healthz\n\
                    https://shop.example.com/assets/app.js\n\
                    https://shop.example.com/assets/app.js\n";
    std::fs::write(&list, requests).unwrap();
    let (status, report) = json(&[
        "replay",
        "fixtures/ok/store-backed-shops.yaml",
        list.to_str().unwrap(),
    ]);
    assert_eq!(status, Some(0));
    assert_eq!(count(&report["by_status"]["301"]), (1, 1));
    assert_eq!(count(&report["by_status"]["200"]), (1, 1));
    assert_eq!(count(&report["by_status"]["origin"]), (2, 1));
    let reached: Vec<&str> = report["by_location"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["location"].as_str().unwrap())
        .collect();
    // in rule order: the redirect map's rows come after the declared locations
    assert_eq!(
        reached,
        ["= /healthz", "/assets/", "= /old-shop/summer-sale"]
    );
}
