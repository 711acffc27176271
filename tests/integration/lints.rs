//! The security lints' examples are real: each request a lint names, run through the generated
//! function in boa (`edgeroute explain`), does what the message says.

use serde_json::Value;

use crate::common::{edgeroute, text};

/// The `(message, line)` of each finding of `code` in a fixture.
fn findings(file: &str, code: &str) -> Vec<String> {
    let output = edgeroute(&["check", file, "--format", "json"]);
    let (_, stderr) = text(&output);
    let found: Vec<String> = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["code"] == code)
        .map(|v| v["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(!found.is_empty(), "{file}: no {code}");
    found
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

fn explain(file: &str, url: &str, extra: &[&str]) -> String {
    let mut args = vec!["explain", file, url];
    args.extend(extra);
    let output = edgeroute(&args);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{url}: {stderr}");
    stdout
}

#[test]
fn open_redirect_examples_redirect_where_they_say() {
    let file = "fixtures/err/open-redirect.yaml";
    let found = findings(file, "open-redirect");
    assert_eq!(found.len(), 4, "{found:#?}");
    for message in found {
        let request = between(&message, "e.g. GET ", " → Location: ").expect(&message);
        let location = message.rsplit(" → Location: ").next().unwrap();
        let (url, extra): (&str, Vec<String>) = match request.split_once(" with `") {
            Some((url, header)) => {
                let header = header.trim_end_matches('`');
                (url, vec!["-H".to_owned(), header.to_owned()])
            }
            None => (request, Vec::new()),
        };
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let shown = explain(file, url, &extra);
        assert!(
            shown.contains(&format!("→ {location}\n")),
            "{message}\n---\n{shown}"
        );
        assert!(
            location.starts_with("https://evil.net")
                || location.starts_with("https://back.evil.net")
        );
    }
}

#[test]
fn shadowed_location_examples_select_the_other_location() {
    for file in [
        "fixtures/err/shadowed-location.yaml",
        "fixtures/err/shadowed-location-unreachable.yaml",
    ] {
        for message in findings(file, "shadowed-location") {
            let url = between(&message, "e.g. GET ", " selects `").expect(&message);
            let winner = between(&message, " selects `", "`").unwrap();
            let shown = explain(file, url, &[]);
            assert!(
                shown.contains(&format!("location: {winner}\n")),
                "{message}\n---\n{shown}"
            );
        }
    }
}

#[test]
fn alias_prefix_mismatch_examples_reach_the_paths_named() {
    let file = "fixtures/err/alias-prefix-mismatch.yaml";
    let found = findings(file, "alias-prefix-mismatch");
    assert_eq!(found.len(), 2);
    for message in found {
        let url = between(&message, "e.g. GET ", " → `").expect(&message);
        let path = between(&message, &format!("{url} → `"), "`").unwrap();
        let shown = explain(file, url, &[]);
        assert!(
            shown.contains(&format!("passed to the origin as {path}\n")),
            "{message}\n---\n{shown}"
        );
    }
}

#[test]
fn access_widened_examples_get_in_where_the_server_refuses_them() {
    let file = "fixtures/err/access-widened.yaml";
    for message in findings(file, "access-widened") {
        let ip = between(&message, "a viewer at ", " gets `").expect(&message);
        let location = between(&message, &format!("{ip} gets `"), "`").unwrap();
        let inside = explain(
            file,
            &format!("https://intranet.example.com{location}"),
            &["--ip", ip],
        );
        assert!(
            inside.contains("passed to the origin"),
            "{message}\n---\n{inside}"
        );
        let elsewhere = explain(file, "https://intranet.example.com/", &["--ip", ip]);
        assert!(elsewhere.contains("403"), "{message}\n---\n{elsewhere}");
    }
}

#[test]
fn unanchored_host_regex_examples_reach_the_server() {
    let file = "fixtures/err/unanchored-host-regex.yaml";
    let found = findings(file, "unanchored-host-regex");
    assert_eq!(found.len(), 2);
    for message in found {
        let host = between(&message, "such as `", "`").expect(&message);
        let shown = explain(file, &format!("https://{host}/"), &[]);
        assert!(
            shown.contains("passed to the origin"),
            "{message}\n---\n{shown}"
        );
        // Chosen by its pattern, not as the server for hosts nothing matches.
        assert!(shown.contains("` (pattern)\n"), "{message}\n---\n{shown}");
    }
}
