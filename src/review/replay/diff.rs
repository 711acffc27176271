//! `diff --requests`: logged requests through two versions of the rules. Each distinct request runs
//! once through each version's exact bytes (both loaded in every thread); the ones whose outcome
//! differs are grouped by (old outcome → new outcome, the rules that decided), with how many log
//! lines each stands for.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Count, Logged, Options, Requests, outcome_class, read_json};
use crate::error::Error;
use crate::harness::{Decision, RunError, parallel};
use crate::js::gate::SIZE_LIMIT;
use crate::pipeline::Generated;
use crate::review::semantic_diff::{Verdict, rule_changes, verdict};

/// Requests shown per group, the most frequent first.
pub const SHOWN_EXAMPLES: usize = 5;

/// One distinct request whose outcome changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub request: Logged,
    pub old: Verdict,
    pub new: Verdict,
}

/// Changed requests with the same outcomes and rules on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub old_outcome: String,
    pub new_outcome: String,
    pub old_rule: String,
    pub new_rule: String,
    pub count: Count,
    /// The [`SHOWN_EXAMPLES`] requests of the group seen on the most lines.
    pub examples: Vec<Changed>,
}

/// The comparison on logged traffic.
#[derive(Debug, Clone)]
pub struct Report {
    pub read: Requests,
    pub max_requests: usize,
    pub changed: Count,
    pub groups: Vec<Group>,
    /// `+ …`, `- …`, `~ …`: rules added, removed, changed.
    pub rules: Vec<String>,
    pub old_bytes: usize,
    pub new_bytes: usize,
}

/// What one request did on one side: the verdict and its coarse outcome.
type Side = (Verdict, String);

fn side(generated: &Generated, result: &Result<Decision, RunError>, depth: usize) -> Side {
    let class = match result {
        Ok(decision) => outcome_class(&decision.outcome, depth),
        Err(error) => super::error_kind(error).to_owned(),
    };
    (verdict(&generated.program, result), class)
}

/// Runs every distinct request of `read` through `old` and `new`.
pub fn compare(
    old: &Generated,
    new: &Generated,
    read: Requests,
    max_requests: usize,
    options: Options,
) -> Result<Report, Error> {
    let changes = parallel::map_parallel(
        &read.distinct,
        options.threads,
        || {
            let a = super::load(&old.js, &old.program)?;
            let b = super::load(&new.js, &new.program)?;
            Ok((a, b))
        },
        |(a, b), logged| {
            let request = logged.request();
            let before = side(old, &a.route_untraced(&request), options.depth);
            let after = side(new, &b.route_untraced(&request), options.depth);
            (before.0.result != after.0.result).then(|| Box::new((before, after)))
        },
    )?;
    let mut groups: HashMap<(String, String, String, String), Group> = HashMap::new();
    let mut changed = Count::default();
    for (logged, change) in read.distinct.iter().zip(changes) {
        let Some(change) = change else { continue };
        let ((old_verdict, old_outcome), (new_verdict, new_outcome)) = *change;
        changed.add(logged.count);
        let key = (
            old_outcome.clone(),
            new_outcome.clone(),
            old_verdict.rule.clone(),
            new_verdict.rule.clone(),
        );
        let group = groups.entry(key).or_insert_with(|| Group {
            old_outcome,
            new_outcome,
            old_rule: old_verdict.rule.clone(),
            new_rule: new_verdict.rule.clone(),
            count: Count::default(),
            examples: Vec::new(),
        });
        group.count.add(logged.count);
        let example = Changed {
            request: logged.clone(),
            old: old_verdict,
            new: new_verdict,
        };
        // Keep the most frequent: a stable insertion into a short sorted list.
        let at = group
            .examples
            .iter()
            .position(|e| e.request.count < logged.count)
            .unwrap_or(group.examples.len());
        if at < SHOWN_EXAMPLES {
            group.examples.insert(at, example);
            group.examples.truncate(SHOWN_EXAMPLES);
        }
    }
    let mut groups: Vec<Group> = groups.into_values().collect();
    groups.sort_by(|a, b| {
        b.count.lines.cmp(&a.count.lines).then_with(|| {
            (&a.old_outcome, &a.new_outcome, &a.old_rule, &a.new_rule).cmp(&(
                &b.old_outcome,
                &b.new_outcome,
                &b.old_rule,
                &b.new_rule,
            ))
        })
    });
    Ok(Report {
        read,
        max_requests,
        changed,
        groups,
        rules: rule_changes(&old.program, &new.program),
        old_bytes: old.js.len(),
        new_bytes: new.js.len(),
    })
}

impl Group {
    fn title(&self) -> String {
        let rules = if self.old_rule == self.new_rule {
            self.old_rule.clone()
        } else {
            format!("{} → {}", self.old_rule, self.new_rule)
        };
        format!("{} → {} ({rules})", self.old_outcome, self.new_outcome)
    }
}

impl Report {
    fn headline(&self) -> String {
        format!(
            "{} of {} log lines ({} of {} distinct requests) change outcome",
            self.changed.lines,
            self.read.replayed_lines(),
            self.changed.requests,
            self.read.distinct.len()
        )
    }

    fn size_line(&self) -> String {
        crate::review::semantic_diff::size_line(self.old_bytes, self.new_bytes)
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "{} lines read, {} malformed\n",
            self.read.lines, self.read.malformed
        );
        out.push_str(&super::problems_text(&self.read));
        let _ = writeln!(out, "{}", self.headline());
        for group in &self.groups {
            let _ = writeln!(out, "\n{}: {}", group.title(), group.count);
            for e in &group.examples {
                let _ = writeln!(out, "  {}× {}", e.request.count, e.request.describe());
                let _ = writeln!(out, "    - {}", e.old.result);
                let _ = writeln!(out, "    + {}", e.new.result);
            }
            let more = group.count.requests - group.examples.len() as u64;
            if more > 0 {
                let _ = writeln!(out, "  … {more} more requests");
            }
        }
        if !self.rules.is_empty() {
            let _ = writeln!(out, "\nrules:");
            for line in &self.rules {
                let _ = writeln!(out, "  {line}");
            }
        }
        let _ = writeln!(out, "\n{}", self.size_line());
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = format!("### edgeroute: {} in the logs\n", self.headline());
        if self.read.malformed > 0 || !self.read.stopped.is_empty() || self.read.over_cap > 0 {
            let _ = writeln!(
                out,
                "\n{} lines read; {} malformed, {} over the cap of {} distinct requests{}",
                self.read.lines,
                self.read.malformed,
                self.read.over_cap,
                self.max_requests,
                if self.read.stopped.is_empty() {
                    String::new()
                } else {
                    format!("; {} files stopped early", self.read.stopped.len())
                }
            );
        }
        for group in &self.groups {
            let _ = writeln!(
                out,
                "\n**{}**: {}\n\n| lines | request | before | after |\n| ---: | --- | --- | --- |",
                cell(&group.title()),
                group.count
            );
            for e in &group.examples {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} |",
                    e.request.count,
                    cell(&e.request.describe()),
                    cell(&e.old.result),
                    cell(&e.new.result)
                );
            }
            let more = group.count.requests - group.examples.len() as u64;
            if more > 0 {
                let _ = writeln!(out, "\n… {more} more requests");
            }
        }
        if !self.rules.is_empty() {
            let _ = writeln!(out, "\n**Rules**\n");
            for line in &self.rules {
                let (sign, what) = line.split_at(1);
                let word = match sign {
                    "+" => "added",
                    "-" => "removed",
                    _ => "changed",
                };
                let _ = writeln!(out, "- {word}:{what}");
            }
        }
        let _ = writeln!(out, "\n{}", self.size_line());
        out
    }

    pub fn json(&self) -> Value {
        let mut value = read_json(&self.read, self.max_requests);
        let request = |l: &Logged| {
            let r = l.request();
            let cookie = r.headers.first().map(|(_, v)| v.clone());
            json!({ "method": r.method, "url": r.url, "ip": r.ip, "cookie": cookie })
        };
        let verdict = |v: &Verdict| json!({ "rule": v.rule, "result": v.result });
        let extra = json!({
            "changed_requests": self.changed.requests,
            "changed_lines": self.changed.lines,
            "groups": self.groups.iter().map(|g| json!({
                "old_outcome": g.old_outcome,
                "new_outcome": g.new_outcome,
                "old_rule": g.old_rule,
                "new_rule": g.new_rule,
                "lines": g.count.lines,
                "requests": g.count.requests,
                "examples": g.examples.iter().map(|e| json!({
                    "request": request(&e.request),
                    "lines": e.request.count,
                    "old": verdict(&e.old),
                    "new": verdict(&e.new),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "rules": self.rules,
            "bytes": { "old": self.old_bytes, "new": self.new_bytes, "limit": SIZE_LIMIT },
        });
        if let (Value::Object(into), Value::Object(from)) = (&mut value, extra) {
            into.extend(from);
        }
        value
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
