//! `--format sarif` and `--format github`: findings for code scanning and for annotations on a
//! pull request, and `allow:` accepting a lint on purpose.

use serde_json::Value;

use crate::common::{edgeroute, root, text};

/// The SARIF 2.1.0 schema, vendored (tests/sarif/README.md says where it comes from).
fn sarif_schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/sarif/sarif-schema-2.1.0.json"))
        .expect("the vendored schema");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

/// Run edgeroute with `--format sarif`; the log on standard output, validated.
fn sarif(args: &[&str]) -> (Option<i32>, Value) {
    let mut all = args.to_vec();
    all.extend(["--format", "sarif"]);
    let output = edgeroute(&all);
    let (stdout, stderr) = text(&output);
    let log: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{stdout}\n{stderr}"));
    let validator = sarif_schema();
    assert!(
        !validator.is_valid(&serde_json::json!({ "runs": [] })),
        "the schema checks something"
    );
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not SARIF 2.1.0: {errors:#?}");
    (output.status.code(), log)
}

#[test]
fn check_writes_a_valid_sarif_log_with_rules_and_places() {
    let (status, log) = sarif(&["check", "fixtures/err/redos.yaml"]);
    assert_eq!(status, Some(0), "warnings alone pass");
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["id"], "redos");
    assert_eq!(rules[0]["helpUri"], "docs/lints.md#redos");
    assert!(
        rules[0]["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("backtracking")
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let first = &results[0];
    assert_eq!(first["ruleId"], "redos");
    assert_eq!(first["level"], "warning");
    assert!(
        first["message"]["text"]
            .as_str()
            .unwrap()
            .contains("/tags/aaaa")
    );
    let place = &first["locations"][0]["physicalLocation"];
    assert_eq!(place["artifactLocation"]["uri"], "fixtures/err/redos.yaml");
    assert_eq!(place["region"]["startLine"], 6);
    assert_eq!(place["region"]["startColumn"], 19);
}

#[test]
fn errors_build_and_lint_js_write_valid_sarif_logs_too() {
    let (status, log) = sarif(&["check", "fixtures/err/invalid-value-allow.yaml"]);
    assert_eq!(status, Some(1));
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(
        results
            .iter()
            .all(|r| r["level"] == "error" && r["ruleId"] == "invalid-value")
    );
    assert_eq!(results.len(), 2);

    let out = tempfile::tempdir().unwrap();
    let js = out.path().join("f.js");
    let (status, log) = sarif(&[
        "build",
        "fixtures/err/open-redirect.yaml",
        "-o",
        js.to_str().unwrap(),
    ]);
    assert_eq!(status, Some(0));
    assert!(js.exists());
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 4);

    let (status, log) = sarif(&["lint-js", "tests/cmd/old-router.js"]);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(status == Some(0), results.is_empty());
    for r in results {
        assert!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                >= 1
        );
    }
}

#[test]
fn github_format_prints_one_workflow_command_per_finding() {
    let output = edgeroute(&[
        "check",
        "fixtures/err/alias-prefix-mismatch.yaml",
        "--format",
        "github",
    ]);
    let (stdout, _) = text(&output);
    let commands: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(commands.len(), 2, "{stdout}");
    assert!(commands[0].starts_with(
        "::warning file=fixtures/err/alias-prefix-mismatch.yaml,line=7,col=16,endLine=7,endColumn=26,title=alias-prefix-mismatch::the location `/img`"
    ), "{}", commands[0]);
    assert!(
        commands
            .iter()
            .all(|c| !c[2..].contains('\n') && c.contains("%0Ahelp: "))
    );
    let output = edgeroute(&[
        "check",
        "fixtures/err/invalid-value-allow.yaml",
        "--format",
        "github",
    ]);
    let (stdout, _) = text(&output);
    assert!(
        stdout.starts_with("::error file=fixtures/err/invalid-value-allow.yaml,line=5,col=13,"),
        "{stdout}"
    );
}

#[test]
fn allow_accepts_a_lint_where_it_is_written_and_deny_warnings_still_fails_on_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let rules = |allow_server: &str, allow_location: &str| {
        format!(
            "edgeroute: 1\nservers:\n  - server_name: www.example.com\n    root: /site\n{allow_server}    locations:\n      - location: /go\n{allow_location}        return: 302 $arg_to\n      - location: /img\n        alias: /data/img/\n"
        )
    };
    let run = |rules_text: String| {
        let path = dir.path().join("edgeroute.yaml");
        std::fs::write(&path, rules_text).unwrap();
        let output = edgeroute(&[
            "check",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--deny",
            "warnings",
        ]);
        let (_, stderr) = text(&output);
        let codes: Vec<String> = stderr
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .map(|v| v["code"].as_str().unwrap().to_owned())
            .collect();
        (output.status.code(), codes)
    };
    assert_eq!(
        run(rules("", "")),
        (
            Some(1),
            vec![
                "open-redirect".to_owned(),
                "alias-prefix-mismatch".to_owned()
            ]
        )
    );
    // On the location: that location's open-redirect only; the other warning still fails the run.
    assert_eq!(
        run(rules("", "        allow: [open-redirect]\n")),
        (Some(1), vec!["alias-prefix-mismatch".to_owned()])
    );
    // On the server: its locations' findings of that code too.
    assert_eq!(
        run(rules(
            "    allow: [alias-prefix-mismatch, open-redirect]\n",
            ""
        )),
        (Some(0), vec![])
    );
}
