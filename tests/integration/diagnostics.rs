//! Rules that are wrong: every diagnostic code, rendered as users see it, through the real CLI.

use std::collections::BTreeSet;
use std::path::Path;

use edgeroute::diagnostic::{Code, Severity};
use edgeroute::pipeline;

use crate::common::{edgeroute, fixtures, root, stem, text};

/// The codes a file reports, through `--format json` (one object per line on stderr).
fn reported_codes(path: &Path) -> (Option<i32>, BTreeSet<String>) {
    let output = edgeroute(&["check", &path.display().to_string(), "--format", "json"]);
    let (_, stderr) = text(&output);
    let codes = stderr
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            value["code"].as_str().expect("code").to_owned()
        })
        .collect();
    (output.status.code(), codes)
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .expect("inside the crate")
        .display()
        .to_string()
}

#[test]
fn every_error_fixture_renders_as_snapshotted() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path(root().join("tests/integration/snapshots/err"));
    let _guard = settings.bind_to_scope();
    for path in fixtures("err") {
        let output = edgeroute(&["check", &relative(&path)]);
        let (stdout, stderr) = text(&output);
        let shown = format!(
            "exit: {:?}\n--- stderr\n{stderr}--- stdout\n{stdout}",
            output.status.code()
        );
        assert!(!stderr.contains("panicked"), "{}: {stderr}", path.display());
        insta::assert_snapshot!(stem(&path), shown);
    }
}

/// The fixtures of a code: `fixtures/err/CODE.yaml` or `fixtures/err/CODE-VARIANT.yaml`.
fn fixtures_of(code: Code) -> Vec<std::path::PathBuf> {
    let variant = format!("{}-", code.name());
    fixtures("err")
        .into_iter()
        .filter(|p| {
            let name = stem(p);
            name == code.name()
                || name
                    .strip_prefix(&variant)
                    .is_some_and(|rest| !rest.is_empty())
        })
        .collect()
}

#[test]
fn every_code_has_a_fixture_that_reports_it() {
    for &code in Code::ALL {
        let paths = fixtures_of(code);
        assert!(
            !paths.is_empty(),
            "fixtures/err/{}.yaml is missing: every code needs a fixture",
            code.name()
        );
        for path in paths {
            let (status, codes) = reported_codes(&path);
            assert!(
                codes.contains(code.name()),
                "{} reports {codes:?}",
                path.display()
            );
            let expected = if code.severity() == Severity::Error {
                1
            } else {
                0
            };
            assert_eq!(status, Some(expected), "{}: exit status", path.display());
        }
    }
}

#[test]
fn error_fixtures_exit_1_and_name_file_line_and_column() {
    for path in fixtures("err") {
        let name = stem(&path);
        let code = Code::ALL.iter().find(|c| name.starts_with(c.name()));
        if code.is_some_and(|c| c.severity() == Severity::Warning) {
            continue;
        }
        let file = relative(&path);
        let output = edgeroute(&["check", &file]);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{file}: {stderr}");
        let located = stderr.lines().any(|line| {
            line.trim_start()
                .strip_prefix(&format!("--> {file}:"))
                .is_some_and(|pos| {
                    pos.split(':')
                        .all(|n| n.parse::<usize>().is_ok_and(|n| n > 0))
                })
        });
        assert!(
            located || name == "size-budget",
            "{file}: no `--> file:line:col` in\n{stderr}"
        );
    }
}

#[test]
fn warnings_pass_unless_denied() {
    for code in Code::ALL
        .iter()
        .filter(|c| c.severity() == Severity::Warning)
    {
        let file = format!("fixtures/err/{}.yaml", code.name());
        let allowed = edgeroute(&["check", &file]);
        assert_eq!(
            allowed.status.code(),
            Some(0),
            "{file}: {:?}",
            text(&allowed)
        );
        assert!(
            text(&allowed)
                .1
                .contains(&format!("warning[{}]", code.name()))
        );
        let denied = edgeroute(&["check", &file, "--deny", "warnings"]);
        assert_eq!(denied.status.code(), Some(1), "{file} with --deny warnings");
        assert!(text(&denied).1.contains("(warnings denied)"));
    }
}

#[test]
fn ok_fixtures_report_no_errors() {
    for path in fixtures("ok") {
        let file = relative(&path);
        let output = edgeroute(&["check", &file]);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{file}:\n{stderr}\n{stdout}");
        assert!(!stderr.contains("error"), "{file}:\n{stderr}");
        assert!(stdout.contains(" passed, 0 failed\n"), "{file}:\n{stdout}");
    }
}

#[test]
fn json_lines_carry_file_code_and_position() {
    let output = edgeroute(&[
        "check",
        "fixtures/err/undefined-variable.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let (stdout, stderr) = text(&output);
    assert_eq!(stdout, "", "diagnostics go to stderr");
    let first: serde_json::Value =
        serde_json::from_str(stderr.lines().next().expect("a line")).expect("JSON");
    assert_eq!(first["file"], "fixtures/err/undefined-variable.yaml");
    assert_eq!(first["severity"], "error");
    assert!(first["span"]["line"].as_u64().is_some_and(|n| n > 0));
    assert!(first["span"]["column"].as_u64().is_some_and(|n| n > 0));
    assert!(
        stderr.lines().all(|line| line.starts_with('{')),
        "only JSON lines:\n{stderr}"
    );
}

#[test]
fn undefined_variable_suggests_the_defined_one() {
    let (_, stderr) = text(&edgeroute(&[
        "check",
        "fixtures/err/undefined-variable.yaml",
    ]));
    assert!(
        stderr.contains("error[undefined-variable]: undefined variable `$idd`"),
        "{stderr}"
    );
    assert!(stderr.contains("help: did you mean `$id`?"), "{stderr}");
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let file = "fixtures/err/invalid-cidr.yaml";
    let plain = text(&edgeroute(&["check", file])).1;
    assert!(!plain.contains('\u{1b}'), "NO_COLOR is set by the helper");
    let forced = text(&edgeroute(&["--color", "always", "check", file])).1;
    assert!(forced.contains("\u{1b}["), "--color always colours");
    let never = text(&edgeroute(&["--color", "never", "check", file])).1;
    assert_eq!(never, plain);
}

#[test]
fn the_command_could_not_run_exits_2() {
    let missing = edgeroute(&["check", "no-such-rules.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing).1.contains("no-such-rules.yaml"));
    let folder = edgeroute(&["check", "fixtures"]);
    assert_eq!(folder.status.code(), Some(2));
    let bad_flag = edgeroute(&["check", "--no-such-flag"]);
    assert_eq!(bad_flag.status.code(), Some(2));
    let bad_runtime = edgeroute(&["lint-js", "x.js", "--runtime", "cloudfront-js-3.0"]);
    assert_eq!(bad_runtime.status.code(), Some(2));
}

/// Inputs that must end in one clean diagnostic, never a panic or a hang.
#[test]
fn pathological_inputs_get_a_clean_error() {
    let big_server = "  - server_name: a.example.com\n    root: /x\n".repeat(250_000);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "missing-key"),
        (
            "not UTF-8",
            b"edgeroute: 1\nservers: \xff\xfe\n".to_vec(),
            "invalid-encoding",
        ),
        (
            "10 MB",
            format!("edgeroute: 1\nservers:\n{big_server}").into_bytes(),
            "input-too-large",
        ),
        (
            "deep flow nesting",
            "[".repeat(100_000).into_bytes(),
            "yaml-syntax",
        ),
        (
            "deep block nesting",
            (0..200)
                .map(|i| format!("{}k:\n", "  ".repeat(i)))
                .collect::<String>()
                .into_bytes(),
            "input-too-large",
        ),
        (
            "alias bomb",
            std::fs::read(root().join("fixtures/err/input-too-large-aliases.yaml"))
                .expect("fixture"),
            "input-too-large",
        ),
        ("only white space", b"\t\n  \n".to_vec(), "missing-key"),
        ("NUL bytes", b"edgeroute: 1\0\0".to_vec(), "yaml-syntax"),
    ];
    for (what, bytes, code) in cases {
        let loaded = pipeline::load_bytes("input.yaml", bytes.clone());
        let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code.name()).collect();
        assert!(loaded.rules.is_none(), "{what}: accepted");
        assert!(
            codes.contains(&code),
            "{what}: expected {code}, got {codes:?}"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("input.yaml");
        std::fs::write(&path, bytes).expect("write");
        let output = edgeroute(&["check", &path.display().to_string()]);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{what}: {stderr}");
        assert!(
            stderr.contains(&format!("error[{code}]")),
            "{what}: {stderr}"
        );
    }
}
