//! Comparing a decision with a case's expectations (rules.md "Tests"), and the report of a failed case.
//!
//! Only the fields a case lists (`model::Expect`) are checked. Query strings compare as multisets of
//! `name=value` pairs, header names in any case, `matched` with spaces collapsed. The report shows
//! expected against actual as a unified diff, so a failure reads like `build --check` output.

use std::fmt::Write as _;

use crate::harness::event::{Request, query_pairs};
use crate::harness::{Decision, OriginCall, Outcome, RunError};
use crate::model::{Expect, ExpectOrigin};
use crate::review::text_diff;

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub field: &'static str,
    pub expected: String,
    pub actual: String,
}

/// Every listed expectation that `decision` fails; `matched_text` is the text of the deciding location.
pub fn compare(expect: &Expect, decision: &Decision, matched_text: Option<&str>) -> Vec<Mismatch> {
    let checks = checks(expect, decision, matched_text)
        .into_iter()
        .filter(|c| !c.holds);
    checks
        .map(|c| Mismatch {
            field: c.field,
            expected: c.expected,
            actual: c.actual,
        })
        .collect()
}

/// Who decided a case, as the rules file spells it: the server's label and the location's text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decider<'a> {
    pub server: Option<&'a str>,
    /// The text of the deciding location (`matched`).
    pub location: Option<&'a str>,
}

/// A readable report of one case: the request, expected against actual as a diff, who decided.
pub fn render_failure(
    req: &Request,
    expect: &Expect,
    result: &Result<Decision, RunError>,
    decider: Decider<'_>,
) -> String {
    let mut out = render_request(req);
    match result {
        Err(error) => {
            let _ = writeln!(out, "error: {error}");
        }
        Ok(decision) => {
            out.push_str(&render_diff(&checks(expect, decision, decider.location)));
            out.push_str(&render_decider(decision, decider));
            for line in &decision.log {
                let _ = writeln!(out, "console.log: {line}");
            }
        }
    }
    out
}

/// The query of `text` as a sorted multiset of pairs, `a` and `a=` alike.
pub fn query_multiset(text: &str) -> Vec<(String, String)> {
    let mut pairs = query_pairs(text);
    pairs.sort();
    pairs
}

/// One listed expectation with both sides as text.
struct Check {
    field: &'static str,
    expected: String,
    actual: String,
    holds: bool,
}

impl Check {
    fn exact(field: &'static str, expected: String, actual: String) -> Check {
        let holds = expected == actual;
        Check {
            field,
            expected,
            actual,
            holds,
        }
    }
}

fn checks(expect: &Expect, decision: &Decision, matched_text: Option<&str>) -> Vec<Check> {
    let outcome = &decision.outcome;
    let mut out = Vec::new();
    if let Some(uri) = &expect.uri {
        out.push(Check::exact(
            "uri",
            uri.clone(),
            pass_field(outcome, |uri, _, _| uri.to_owned()),
        ));
    }
    if let Some(query) = &expect.querystring {
        out.push(query_check(query, outcome));
    }
    if let Some(origin) = &expect.origin {
        let holds =
            matches!(outcome, Outcome::Pass { origin: actual, .. } if same_origin(origin, actual));
        let actual = pass_field(outcome, |_, _, actual| origin_text(actual));
        let expected = origin_text(&expected_origin(origin));
        out.push(Check {
            field: "origin",
            expected,
            actual,
            holds,
        });
    }
    if let Some(status) = expect.status {
        out.push(Check::exact(
            "status",
            status.to_string(),
            answer_field(outcome, |status| status.to_string()),
        ));
    }
    if let Some(location) = &expect.location {
        let actual = answer_field(outcome, |_| header_text(outcome, "location"));
        out.push(Check::exact("location", location.clone(), actual));
    }
    if let Some(body) = &expect.body {
        // Quoted, so that white space and line breaks show; no body at all is `""`.
        let quote = |text: &str| serde_json::Value::from(text).to_string();
        let actual = match outcome {
            Outcome::Answer { body: actual, .. } => quote(actual.as_deref().unwrap_or_default()),
            Outcome::Pass { .. } => answer_field(outcome, |_| String::new()),
        };
        out.push(Check::exact("body", quote(body), actual));
    }
    for (name, value) in &expect.headers {
        let expected = format!(
            "{}: {}",
            name.to_ascii_lowercase(),
            value.as_deref().unwrap_or(ABSENT)
        );
        let actual = format!(
            "{}: {}",
            name.to_ascii_lowercase(),
            header_text(outcome, name)
        );
        out.push(Check::exact("headers", expected, actual));
    }
    if let Some(matched) = &expect.matched {
        out.push(Check::exact(
            "matched",
            collapse(matched),
            collapse(matched_text.unwrap_or("none")),
        ));
    }
    out
}

const ABSENT: &str = "(absent)";

fn query_check(expected: &str, outcome: &Outcome) -> Check {
    let holds = match outcome {
        Outcome::Pass { querystring, .. } => query_multiset(expected) == sorted(querystring),
        Outcome::Answer { .. } => false,
    };
    let actual = pass_field(outcome, |_, pairs, _| join_query(pairs));
    Check {
        field: "querystring",
        expected: expected.to_owned(),
        actual,
        holds,
    }
}

fn sorted(pairs: &[(String, String)]) -> Vec<(String, String)> {
    let mut pairs = pairs.to_vec();
    pairs.sort();
    pairs
}

fn join_query(pairs: &[(String, String)]) -> String {
    let items: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
    items.join("&")
}

/// A field of a passed request, or a note that the function answered instead.
fn pass_field(
    outcome: &Outcome,
    f: impl Fn(&str, &[(String, String)], &OriginCall) -> String,
) -> String {
    match outcome {
        Outcome::Pass {
            uri,
            querystring,
            origin,
            ..
        } => f(uri, querystring, origin),
        Outcome::Answer { status, .. } => format!("(no request passed on: answered {status})"),
    }
}

/// A field of a response, or a note that the request was passed on instead.
fn answer_field(outcome: &Outcome, f: impl Fn(u16) -> String) -> String {
    match outcome {
        Outcome::Answer { status, .. } => f(*status),
        Outcome::Pass { uri, .. } => format!("(no response: request passed on as {uri})"),
    }
}

/// All values of header `name` (any case), joined with `, `; `(absent)` when there are none.
fn header_text(outcome: &Outcome, name: &str) -> String {
    let headers = match outcome {
        Outcome::Pass { headers, .. } | Outcome::Answer { headers, .. } => headers,
    };
    let values: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect();
    if values.is_empty() {
        ABSENT.to_owned()
    } else {
        values.join(", ")
    }
}

fn same_origin(expected: &ExpectOrigin, actual: &OriginCall) -> bool {
    expected_origin(expected) == *actual
}

fn expected_origin(origin: &ExpectOrigin) -> OriginCall {
    match origin {
        ExpectOrigin::Default => OriginCall::Default,
        ExpectOrigin::Id(id) => OriginCall::ById(id.clone()),
        ExpectOrigin::Domain(domain) => OriginCall::ByDomain(domain.clone()),
    }
}

/// The rules-file spelling: `default`, an id, or `{domain: NAME}`.
fn origin_text(origin: &OriginCall) -> String {
    match origin {
        OriginCall::Default => "default".to_owned(),
        OriginCall::ById(id) => id.clone(),
        OriginCall::ByDomain(domain) => format!("{{domain: {domain}}}"),
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn render_request(req: &Request) -> String {
    let mut out = format!("request: {} {}\n  from {}\n", req.method, req.url, req.ip);
    for (name, value) in &req.headers {
        let _ = writeln!(out, "  header {name}: {value}");
    }
    for (name, value) in &req.cookies {
        let _ = writeln!(out, "  cookie {name}={value}");
    }
    out
}

fn render_diff(checks: &[Check]) -> String {
    let side = |pick: fn(&Check) -> &String| -> String {
        checks
            .iter()
            .map(|c| format!("{}: {}\n", c.field, pick(c)))
            .collect()
    };
    let (expected, actual) = (side(|c| &c.expected), side(|c| &c.actual));
    let mut out = text_diff::unified(&expected, &actual, "expected", "actual");
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// `decided by: server 1 `a.example.com`, location 0 `/assets/``; indices as in `explain`.
fn render_decider(decision: &Decision, decider: Decider<'_>) -> String {
    let server = match (decision.server, decider.server) {
        (Some(s), Some(label)) => format!("server {s} `{label}`"),
        (Some(s), None) => format!("server {s}"),
        (None, _) => "no server".to_owned(),
    };
    let location = match (decision.location, decider.location) {
        (Some(l), Some(text)) => format!("location {l} `{}`", collapse(text)),
        (Some(l), None) => format!("location {l}"),
        (None, _) => "no location".to_owned(),
    };
    format!("decided by: {server}, {location}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(
        uri: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        origin: OriginCall,
    ) -> Decision {
        let pairs = |items: &[(&str, &str)]| {
            items
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        let outcome = Outcome::Pass {
            uri: uri.into(),
            querystring: pairs(query),
            headers: pairs(headers),
            origin,
        };
        Decision {
            outcome,
            server: Some(0),
            location: Some(1),
            trace: Vec::new(),
            log: Vec::new(),
        }
    }

    fn answer(status: u16, location: Option<&str>) -> Decision {
        let headers = location
            .map(|l| vec![("location".to_owned(), l.to_owned())])
            .unwrap_or_default();
        let outcome = Outcome::Answer {
            status,
            headers,
            body: None,
        };
        Decision {
            outcome,
            server: Some(0),
            location: None,
            trace: Vec::new(),
            log: Vec::new(),
        }
    }

    fn answer_with_body(status: u16, body: Option<&str>) -> Decision {
        Decision {
            outcome: Outcome::Answer {
                status,
                headers: Vec::new(),
                body: body.map(str::to_owned),
            },
            server: Some(0),
            location: None,
            trace: Vec::new(),
            log: Vec::new(),
        }
    }

    #[test]
    fn body_is_compared_exactly_and_quoted_in_the_report() {
        let expect = Expect {
            body: Some("gone\n".into()),
            ..Expect::default()
        };
        assert!(compare(&expect, &answer_with_body(410, Some("gone\n")), None).is_empty());
        let wrong = compare(&expect, &answer_with_body(410, Some("gone")), None);
        assert_eq!(
            wrong,
            vec![Mismatch {
                field: "body",
                expected: "\"gone\\n\"".into(),
                actual: "\"gone\"".into(),
            }]
        );
        // no body is the empty body, and a passed request has none
        let empty = Expect {
            body: Some(String::new()),
            ..Expect::default()
        };
        assert!(compare(&empty, &answer_with_body(204, None), None).is_empty());
        let passed = compare(&empty, &pass("/a", &[], &[], OriginCall::Default), None);
        assert_eq!(passed[0].actual, "(no response: request passed on as /a)");
    }

    fn expect_query(query: &str) -> Expect {
        Expect {
            querystring: Some(query.to_owned()),
            ..Expect::default()
        }
    }

    #[test]
    fn querystring_is_a_multiset_of_pairs() {
        let decision = pass(
            "/",
            &[("b", "2"), ("a", ""), ("b", "1")],
            &[],
            OriginCall::Default,
        );
        assert!(compare(&expect_query("b=1&a&b=2"), &decision, None).is_empty());
        assert!(compare(&expect_query("a=&b=2&b=1"), &decision, None).is_empty());
        let missing = compare(&expect_query("a&b=1"), &decision, None);
        assert_eq!(missing.len(), 1);
        assert_eq!(
            (missing[0].field, missing[0].actual.as_str()),
            ("querystring", "b=2&a=&b=1")
        );
        assert_eq!(
            compare(&expect_query("a=1&b=2&b=1"), &decision, None).len(),
            1
        );
    }

    #[test]
    fn empty_querystring_expects_none() {
        let none = pass("/", &[], &[], OriginCall::Default);
        assert!(compare(&expect_query(""), &none, None).is_empty());
        let some = pass("/", &[("a", "1")], &[], OriginCall::Default);
        assert_eq!(compare(&expect_query(""), &some, None).len(), 1);
    }

    #[test]
    fn uri_origin_and_headers() {
        let decision = pass(
            "/a",
            &[],
            &[("X-Up", "1"), ("host", "h")],
            OriginCall::ById("s3".into()),
        );
        let expect = Expect {
            uri: Some("/a".into()),
            origin: Some(ExpectOrigin::Id("s3".into())),
            headers: vec![("x-up".into(), Some("1".into())), ("X-Gone".into(), None)],
            ..Expect::default()
        };
        assert!(compare(&expect, &decision, None).is_empty());
        let expect = Expect {
            origin: Some(ExpectOrigin::Default),
            headers: vec![("x-up".into(), None)],
            ..expect
        };
        let fields: Vec<&str> = compare(&expect, &decision, None)
            .iter()
            .map(|m| m.field)
            .collect();
        assert_eq!(fields, ["origin", "headers"]);
        let domain = Expect {
            origin: Some(ExpectOrigin::Domain("api.example.com".into())),
            ..Expect::default()
        };
        let mismatch = &compare(&domain, &decision, None)[0];
        assert_eq!(
            (mismatch.expected.as_str(), mismatch.actual.as_str()),
            ("{domain: api.example.com}", "s3")
        );
    }

    #[test]
    fn status_and_location_need_a_response() {
        let expect = Expect {
            status: Some(301),
            location: Some("https://e/".into()),
            ..Expect::default()
        };
        assert!(compare(&expect, &answer(301, Some("https://e/")), None).is_empty());
        let passed = compare(&expect, &pass("/x", &[], &[], OriginCall::Default), None);
        assert_eq!(passed.len(), 2);
        assert_eq!(passed[0].actual, "(no response: request passed on as /x)");
        let uri = Expect {
            uri: Some("/x".into()),
            ..Expect::default()
        };
        assert_eq!(
            compare(&uri, &answer(404, None), None)[0].actual,
            "(no request passed on: answered 404)"
        );
    }

    #[test]
    fn matched_collapses_spaces_and_defaults_to_none() {
        let expect = Expect {
            matched: Some("location  ~ \\.png$".into()),
            ..Expect::default()
        };
        assert!(compare(&expect, &answer(404, None), Some("location ~   \\.png$")).is_empty());
        let none = Expect {
            matched: Some("none".into()),
            ..Expect::default()
        };
        assert!(compare(&none, &answer(404, None), None).is_empty());
        assert_eq!(
            compare(&none, &answer(404, None), Some("location /"))[0].actual,
            "location /"
        );
    }

    #[test]
    fn failure_report_shows_request_diff_and_decider() {
        let expect = Expect {
            uri: Some("/a".into()),
            status: Some(301),
            ..Expect::default()
        };
        let mut req = Request::get("https://h/a");
        req.headers.push(("X-Test".into(), "1".into()));
        let decider = Decider {
            server: Some("*.example.com"),
            location: None,
        };
        let report = render_failure(&req, &expect, &Ok(answer(404, None)), decider);
        let expected = "request: GET https://h/a\n  from 198.51.100.10\n  header X-Test: 1\n\
                        --- expected\n+++ actual\n@@ -1,2 +1,2 @@\n-uri: /a\n-status: 301\n\
                        +uri: (no request passed on: answered 404)\n+status: 404\n\
                        decided by: server 0 `*.example.com`, no location\n";
        assert_eq!(report, expected);
        let error = Err(RunError::Exception("TypeError: boom".into()));
        assert!(
            render_failure(&req, &expect, &error, Decider::default())
                .ends_with("error: exception → 503: TypeError: boom\n")
        );
    }
}
