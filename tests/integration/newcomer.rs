//! A new user's first steps: the version, a starter rules file, the code reference, the help.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{edgeroute, root, text};

#[test]
fn version_names_the_version_and_the_commit() {
    let output = edgeroute(&["--version"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0));
    let prefix = format!("edgeroute {} (commit ", env!("CARGO_PKG_VERSION"));
    let commit = stdout
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{stdout:?}"));
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match head {
        // Built from this work tree: the commit checked out.
        Some(head) if std::env::var_os("EDGEROUTE_COMMIT").is_none() => assert_eq!(commit, head),
        _ => assert!(
            commit == "unknown" || commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{commit}"
        ),
    }
}

/// Runs the real CLI in `dir`, without colour.
fn edgeroute_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_edgeroute"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run edgeroute")
}

#[test]
fn init_writes_a_starter_that_check_passes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = edgeroute_in(dir.path(), &["init"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "wrote edgeroute.yaml: one server, two locations, two test cases\n\
         next: edit it, then run `edgeroute check`\n"
    );
    let starter = std::fs::read_to_string(dir.path().join("edgeroute.yaml")).expect("written");
    assert!(starter.starts_with("# "), "commented: {starter}");
    assert_eq!(starter.matches("- server_name:").count(), 1);
    assert_eq!(starter.matches("- location:").count(), 2);
    assert_eq!(starter.matches("- url:").count(), 2);

    // The default FILE; the strictest flags: no warning, every location covered.
    let output = edgeroute_in(
        dir.path(),
        &["check", "--deny", "warnings", "--require-coverage"],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.starts_with("2 passed, 0 failed\nok: edgeroute.yaml → "),
        "{stdout}"
    );
    assert_eq!(stderr, "");

    // Never over an existing file: exit 2, the file untouched.
    std::fs::write(dir.path().join("edgeroute.yaml"), "mine\n").expect("write");
    let output = edgeroute_in(dir.path(), &["init"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert_eq!(
        stderr,
        "error: edgeroute.yaml already exists; init writes a new file only (name another: edgeroute init FILE)\n"
    );
    let kept = std::fs::read_to_string(dir.path().join("edgeroute.yaml")).expect("kept");
    assert_eq!(kept, "mine\n");

    // Another name, in a folder that does not exist yet.
    let output = edgeroute_in(dir.path(), &["init", "site/rules.yaml"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.ends_with("run `edgeroute check site/rules.yaml`\n"),
        "{stdout}"
    );
    let output = edgeroute_in(dir.path(), &["check", "site/rules.yaml"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn edgeroute_yml_is_the_default_when_edgeroute_yaml_is_absent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = edgeroute_in(dir.path(), &["init", "edgeroute.yml"]);
    assert_eq!(output.status.code(), Some(0));

    let output = edgeroute_in(dir.path(), &["check"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("ok: edgeroute.yml → "), "{stdout}");
    for args in [
        &["test"][..],
        &["export", "nginx"],
        &["explain", "https://pr-1.preview.example.com/"],
    ] {
        let output = edgeroute_in(dir.path(), args);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stdout}{stderr}");
    }
    let output = edgeroute_in(dir.path(), &["build", "-o", "router.js"]);
    assert_eq!(output.status.code(), Some(0));

    // `init` with no FILE does not start a second rules file beside it.
    let output = edgeroute_in(dir.path(), &["init"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.starts_with("error: edgeroute.yml already exists"),
        "{stderr}"
    );
    assert!(!dir.path().join("edgeroute.yaml").exists());

    // With both, edgeroute.yaml is read.
    std::fs::write(dir.path().join("edgeroute.yaml"), "edgeroute: 1\n").expect("write");
    let output = edgeroute_in(dir.path(), &["check"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("edgeroute.yaml"), "{stderr}");
}

#[test]
fn explain_sends_cookies_as_a_case_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = "\
edgeroute: 1
servers:
  - server_name: www.example.com
    root: /site
    locations:
      - location: /
        rewrite: /variants/$cookie_variant/index.html
tests:
  - url: https://www.example.com/
    cookies: { variant: b }
    uri: /site/variants/b/index.html
";
    std::fs::write(dir.path().join("edgeroute.yaml"), rules).expect("write");
    let output = edgeroute_in(dir.path(), &["check"]);
    assert_eq!(output.status.code(), Some(0));

    let url = "https://www.example.com/";
    let output = edgeroute_in(
        dir.path(),
        &["explain", url, "--cookie", "variant=b", "--cookie", "x=1=2"],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.starts_with(
            "request: GET https://www.example.com/ from 198.51.100.10\n  cookie variant=b\n  cookie x=1=2\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("result: passed to the origin as /site/variants/b/index.html\n"),
        "{stdout}"
    );
    // without it, the variable is empty, as in nginx
    let output = edgeroute_in(dir.path(), &["explain", url]);
    let (stdout, _) = text(&output);
    assert!(
        stdout.ends_with("result: passed to the origin as /site/variants/index.html\n"),
        "{stdout}"
    );
    let output = edgeroute_in(
        dir.path(),
        &["--format", "json", "explain", url, "--cookie", "variant=b"],
    );
    let (stdout, _) = text(&output);
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(
        report["request"]["cookies"],
        serde_json::json!([["variant", "b"]])
    );

    let output = edgeroute_in(dir.path(), &["explain", url, "--cookie", "variant"]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr,
        "error: --cookie \"variant\": a cookie is `name=value`\n"
    );
}
