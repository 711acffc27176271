//! Findings for machines that annotate code: SARIF 2.1.0 (code scanning) and GitHub Actions
//! workflow commands (`::warning file=…::…`).
//!
//! Both take [`Record`]s: a diagnostic of the rules or a `lint-js` violation, placed by line and
//! column. SARIF is one document per run, so the caller collects records and renders them once.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::js::gate::Violation;
use crate::source::{SourceFile, Span};

/// Where rule help lives, relative to the repository root (SARIF `helpUri`).
const LINTS_DOC: &str = "docs/lints.md";
const CODES_DOC: &str = "docs/codes.md";

/// One finding, placed in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub file: String,
    pub code: &'static str,
    /// One line about the rule (`shortDescription`).
    pub description: &'static str,
    /// The docs page that explains the rule, with its anchor.
    pub help_uri: String,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    /// How to fix any finding of the rule (`edgeroute codes`), for the rule's `help`.
    pub fix: Option<&'static str>,
    /// 1-based line and column (in characters) of the start and the end; `None`: the whole file.
    pub region: Option<(usize, usize, usize, usize)>,
}

fn region(file: &SourceFile, span: Span) -> (usize, usize, usize, usize) {
    let (line, col) = file.line_col(span.start);
    let (end_line, end_col) = file.line_col(span.end.max(span.start));
    (
        line,
        col,
        end_line,
        end_col.max(col + usize::from(end_line == line)),
    )
}

/// A diagnostic of the rules as a record.
pub fn record(file: &SourceFile, diagnostic: &Diagnostic) -> Record {
    let code = diagnostic.code;
    let help_uri = if crate::lints::CODES.contains(&code) {
        format!("{LINTS_DOC}#{}", code.name())
    } else {
        format!("{CODES_DOC}#rules")
    };
    Record {
        file: file.name().to_owned(),
        code: code.name(),
        description: code.description(),
        help_uri,
        severity: diagnostic.severity,
        message: diagnostic.message.clone(),
        help: diagnostic.help.clone(),
        fix: None,
        region: diagnostic.span.map(|s| region(file, s)),
    }
}

/// A `lint-js` violation as a record.
pub fn violation(file: &SourceFile, v: &Violation) -> Record {
    Record {
        file: file.name().to_owned(),
        code: v.rule.name(),
        description: v.rule.description(),
        help_uri: format!("{CODES_DOC}#javascript-lint-js"),
        severity: Severity::Error,
        message: v.message.clone(),
        help: None,
        fix: None,
        region: Some(region(file, Span::new(v.start, v.end.max(v.start + 1)))),
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The records of a run as one SARIF 2.1.0 log, pretty-printed, ending in a newline.
pub fn document(records: &[Record]) -> String {
    let mut rules: BTreeMap<&str, &Record> = BTreeMap::new();
    for r in records {
        rules.entry(r.code).or_insert(r);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let rules: Vec<Value> = rules
        .values()
        .map(|r| {
            let mut rule = json!({
                "id": r.code,
                "name": r.code,
                "shortDescription": { "text": r.description },
                "helpUri": r.help_uri,
                "defaultConfiguration": {
                    "level": level(Code::ALL.iter().find(|c| c.name() == r.code).map_or(r.severity, |c| c.severity())),
                },
            });
            if let Some(fix) = r.fix {
                rule["help"] = json!({ "text": fix });
            }
            rule
        })
        .collect();
    let results: Vec<Value> = records
        .iter()
        .map(|r| {
            let text = match &r.help {
                Some(help) => format!("{}\nhelp: {help}", r.message),
                None => r.message.clone(),
            };
            let (line, col, end_line, end_col) = r.region.unwrap_or((1, 1, 1, 1));
            json!({
                "ruleId": r.code,
                "ruleIndex": index[r.code],
                "level": level(r.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&r.file) },
                        "region": {
                            "startLine": line,
                            "startColumn": col,
                            "endLine": end_line,
                            "endColumn": end_col,
                        },
                    },
                }],
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "edgeroute",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).expect("plain JSON");
    text.push('\n');
    text
}

/// A file name as a relative URI reference: `/` separators, spaces and `%` escaped.
fn uri(name: &str) -> String {
    let mut out = String::new();
    for c in name.replace('\\', "/").chars() {
        match c {
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}

/// One GitHub Actions workflow command (`::warning file=…,line=…,col=…,title=CODE::message`).
pub fn github(r: &Record) -> String {
    let command = match r.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut props = format!("file={}", property(&r.file));
    if let Some((line, col, end_line, end_col)) = r.region {
        props.push_str(&format!(
            ",line={line},col={col},endLine={end_line},endColumn={end_col}"
        ));
    }
    props.push_str(&format!(",title={}", property(r.code)));
    let text = match &r.help {
        Some(help) => format!("{}\nhelp: {help}", r.message),
        None => r.message.clone(),
    };
    format!("::{command} {props}::{}\n", data(&text))
}

/// Escape a workflow command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            file: "rules/edge route.yaml".to_owned(),
            code: "open-redirect",
            description: Code::OpenRedirect.description(),
            help_uri: "docs/lints.md#open-redirect".to_owned(),
            severity: Severity::Warning,
            message: "takes 100%: a, b".to_owned(),
            help: Some("start with `/`".to_owned()),
            fix: Some("Start the target with a literal `/`."),
            region: Some((7, 17, 7, 30)),
        }
    }

    #[test]
    fn github_commands_escape_their_parts() {
        assert_eq!(
            github(&sample()),
            "::warning file=rules/edge route.yaml,line=7,col=17,endLine=7,endColumn=30,title=open-redirect::takes 100%25: a, b%0Ahelp: start with `/`\n"
        );
    }

    #[test]
    fn sarif_names_each_rule_once_and_points_results_at_them() {
        let mut other = sample();
        other.region = None;
        let log: Value = serde_json::from_str(&document(&[sample(), other])).unwrap();
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 1);
        assert_eq!(
            run["tool"]["driver"]["rules"][0]["helpUri"],
            "docs/lints.md#open-redirect"
        );
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "open-redirect");
        assert_eq!(result["level"], "warning");
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "rules/edge%20route.yaml"
        );
        assert_eq!(location["region"]["startLine"], 7);
        assert_eq!(location["region"]["startColumn"], 17);
    }
}
