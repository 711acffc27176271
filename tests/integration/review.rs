//! Rule review: `explain` for one request and `diff` between two rule files, through the real CLI.

use crate::common::{edgeroute, root, text};

fn snapshot_settings() -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(root().join("tests/integration/snapshots/review"));
    settings.bind_to_scope()
}

/// Requests that together exercise every kind of trace step.
const EXPLAINED: &[(&str, &str, &[&str])] = &[
    // host-try with a failing param, pattern server, prefix, access allowed, one-arg rewrite, path
    (
        "pattern-rewrite",
        "fixtures/ok/monorepo-previews.yaml",
        &[
            "https://KAHOOT-1234.group1.example.com:443/app2//x/../settings?a=1",
            "--ip",
            "192.0.2.4",
        ],
    ),
    // access denied by the final `deny all`
    (
        "access-denied",
        "fixtures/ok/monorepo-previews.yaml",
        &[
            "https://kahoot-1234.group1.example.com/",
            "--ip",
            "203.0.113.9",
        ],
    ),
    // exact location with `return`
    (
        "exact-return",
        "fixtures/ok/spec-example.yaml",
        &[
            "https://kahoot-1234.group2.example.com/healthz",
            "--ip",
            "10.1.2.3",
        ],
    ),
    // regex tried and matched, a header added
    (
        "regex-header",
        "fixtures/ok/spec-example.yaml",
        &[
            "https://kahoot-1234.group2.example.com/img/Photo.JPG",
            "--ip",
            "10.1.2.3",
        ],
    ),
    // a redirecting rewrite
    (
        "rewrite-redirect",
        "fixtures/ok/spec-example.yaml",
        &[
            "https://kahoot-1234.group2.example.com/old/x?y=1",
            "--ip",
            "10.1.2.3",
        ],
    ),
    // try_files candidates, then the fallback as an internal redirect
    (
        "try-files-fallback",
        "fixtures/ok/spec-example.yaml",
        &[
            "https://kahoot-1234.group2.example.com/docs",
            "--ip",
            "10.1.2.3",
        ],
    ),
    // `$uri/` with the index file
    (
        "try-files-index",
        "fixtures/ok/spec-example.yaml",
        &[
            "https://kahoot-1234.group2.example.com/docs/",
            "--ip",
            "10.1.2.3",
        ],
    ),
    // normalization refuses a path above the root
    (
        "above-root",
        "fixtures/ok/spec-example.yaml",
        &["https://kahoot-1234.group2.example.com/%2e%2e/x"],
    ),
    // the 2.0 origin
    (
        "origin",
        "fixtures/ok/openfaas-previews.yaml",
        &["https://pr-42.preview.example.com/graphql"],
    ),
];

#[test]
fn explain_names_every_step() {
    let _guard = snapshot_settings();
    for (name, file, request) in EXPLAINED {
        let mut args = vec!["explain", file];
        args.extend_from_slice(request);
        let output = edgeroute(&args);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{name}: {stderr}");
        assert!(
            !stdout.contains("step ["),
            "{name}: a step without words:\n{stdout}"
        );
        insta::assert_snapshot!(format!("explain-{name}"), stdout);
    }
}

#[test]
fn explain_json_carries_the_raw_trace_and_outcome() {
    let output = edgeroute(&[
        "explain",
        "fixtures/ok/monorepo-previews.yaml",
        "https://kahoot-1234.group1.example.com/assets/a.png",
        "--ip",
        "192.0.2.4",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(0));
    let value: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(value["location"], "/assets/");
    assert_eq!(
        value["outcome"]["pass"]["uri"],
        "/kahoot-1234/app1/assets/a.png"
    );
    let steps = value["steps"].as_array().expect("steps");
    assert!(
        steps.iter().any(|s| s["step"][0] == "location"),
        "{steps:?}"
    );
}

#[test]
fn explain_agrees_with_the_golden_tests() {
    // Every golden case of the example: explain's result names the same origin path the case expects.
    let loaded = edgeroute::pipeline::load(&root().join("fixtures/ok/monorepo-previews.yaml"))
        .expect("read");
    let rules = loaded.rules.expect("valid");
    for case in rules.tests.iter().filter(|c| c.expect.uri.is_some()) {
        let output = edgeroute(&[
            "explain",
            "fixtures/ok/monorepo-previews.yaml",
            &case.url,
            "--ip",
            &case.ip,
        ]);
        let (stdout, _) = text(&output);
        let uri = case.expect.uri.as_deref().expect("filtered");
        assert!(
            stdout.contains(&format!("result: passed to the origin as {uri}")),
            "{}: explain says\n{stdout}",
            case.url
        );
    }
}

#[test]
fn explain_rejects_a_bad_header_and_url() {
    let header = edgeroute(&[
        "explain",
        "fixtures/ok/spec-example.yaml",
        "https://example.com/",
        "-H",
        "no colon",
    ]);
    assert_eq!(header.status.code(), Some(2));
    let url = edgeroute(&[
        "explain",
        "fixtures/ok/spec-example.yaml",
        "ftp://example.com/",
    ]);
    assert_eq!(url.status.code(), Some(2), "{:?}", text(&url));
}

/// Each fixtures/diff case and one request whose outcome must change, with the new result.
const DIFFS: &[(&str, &str, &str)] = &[
    (
        "changed-root",
        "https://pr-12.preview.example.com/static/app.js",
        "/pr-12/www/static/app.js",
    ),
    (
        "prefix-takeover",
        "https://pr-12.preview.example.com/static/legacy/a.js",
        "answered 410",
    ),
    (
        "redirect-code",
        "https://pr-12.preview.example.com/old-home",
        "answered 308",
    ),
    (
        "removed-allow",
        "https://pr-12.preview.example.com/ from 198.51.100.1",
        "answered 403",
    ),
    (
        "reordered-regex",
        "https://pr-12.preview.example.com/media/a.png",
        "/pr-12/site/media.html",
    ),
    (
        "tightened-param",
        "https://a.preview.example.com/",
        "answered 404",
    ),
];

#[test]
fn diff_finds_each_kind_of_change() {
    let _guard = snapshot_settings();
    for (case, request, after) in DIFFS {
        let old = format!("fixtures/diff/{case}/old.yaml");
        let new = format!("fixtures/diff/{case}/new.yaml");
        let output = edgeroute(&["diff", &old, &new, "--exit-code"]);
        let (stdout, stderr) = text(&output);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{case}: --exit-code with changes\n{stderr}"
        );
        let block = stdout
            .split("\n  https://")
            .map(|b| format!("https://{b}"))
            .find(|b| b.starts_with(request))
            .unwrap_or_else(|| panic!("{case}: {request} not reported:\n{stdout}"));
        assert!(
            block.contains(&format!("+ {after}"))
                || block.contains(&format!("+ passed to the origin as {after}")),
            "{case}:\n{block}"
        );
        insta::assert_snapshot!(format!("diff-{case}"), stdout);
        let markdown = text(&edgeroute(&["diff", &old, &new, "--format", "markdown"])).0;
        assert!(
            markdown.starts_with("### edgeroute: "),
            "{case}: {markdown}"
        );
        insta::assert_snapshot!(format!("diff-{case}-markdown"), markdown);
    }
}

#[test]
fn diff_of_a_file_with_itself_changes_nothing() {
    let file = "fixtures/ok/monorepo-previews.yaml";
    let output = edgeroute(&["diff", file, file, "--exit-code", "--js"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("0 of "), "{stdout}");
    assert!(!stdout.contains("rules:"), "{stdout}");
}

#[test]
fn diff_json_lists_changes_and_sizes() {
    let output = edgeroute(&[
        "diff",
        "fixtures/diff/redirect-code/old.yaml",
        "fixtures/diff/redirect-code/new.yaml",
        "--format",
        "json",
        "--js",
    ]);
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(value["changes"].as_array().map(Vec::len), Some(1));
    assert_eq!(value["bytes"]["limit"], 10240);
    assert!(
        value["js_diff"]
            .as_str()
            .is_some_and(|d| d.contains("+++ new"))
    );
}

#[test]
fn diff_reads_the_old_file_from_git() {
    let dir = tempfile::tempdir().expect("tempdir");
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git");
        assert!(status.status.success(), "git {args:?}: {:?}", status);
    };
    let fixture = |name: &str| {
        std::fs::read(root().join("fixtures/diff/redirect-code").join(name)).expect("fixture")
    };
    git(&["init", "-q"]);
    std::fs::write(dir.path().join("edgeroute.yaml"), fixture("old.yaml")).expect("write");
    git(&["add", "edgeroute.yaml"]);
    git(&["commit", "-qm", "old"]);
    std::fs::write(dir.path().join("edgeroute.yaml"), fixture("new.yaml")).expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_edgeroute"))
        .args(["diff", "--base", "HEAD", "--exit-code"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stdout.contains("+ answered 308"), "{stdout}");
    let missing = std::process::Command::new(env!("CARGO_BIN_EXE_edgeroute"))
        .args(["diff", "--base", "no-such-rev"])
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert_eq!(missing.status.code(), Some(2));
}
