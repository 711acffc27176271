//! `replay`: real traffic through the rules. Logged requests (`read`: CloudFront standard logs or
//! request lists, deduplicated with their counts) run once each through the exact function bytes
//! on every core (`run`), and the report says where the traffic goes: per outcome, per server and
//! location, what the router itself refused, and the locations no request reached. `diff` runs the
//! same requests through two versions of the rules and groups the ones that change.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::error::Error;
use crate::harness::{Decision, Harness, OriginCall, Outcome, RunError, parallel};
use crate::ir::Program;

pub mod diff;
pub mod read;

pub use read::{DEFAULT_MAX_REQUESTS, LineProblem, LogFormat, Logged, Reader, Requests};

/// Origin path segments an outcome keeps by default (`/<id>/<app>/…`).
pub const DEFAULT_DEPTH: usize = 2;
/// Origin prefixes the text report lists; JSON has them all.
const SHOWN_ORIGINS: usize = 20;

/// Log lines and distinct requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub lines: u64,
    pub requests: u64,
}

impl Count {
    fn add(&mut self, lines: u64) {
        self.lines += lines;
        self.requests += 1;
    }

    fn json(self) -> Value {
        json!({ "lines": self.lines, "requests": self.requests })
    }
}

impl std::fmt::Display for Count {
    /// `2 lines, 1 request`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = |n: u64| if n == 1 { "" } else { "s" };
        write!(
            f,
            "{} line{}, {} request{}",
            self.lines,
            s(self.lines),
            self.requests,
            s(self.requests)
        )
    }
}

/// What one distinct request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    pub server: Option<usize>,
    pub location: Option<usize>,
    /// `answered 403`, `origin /a/b/…`, or the kind of harness error.
    pub class: String,
    /// The status the function answered with, if it answered.
    pub status: Option<u16>,
    /// The harness error, if the request produced no outcome.
    pub error: Option<String>,
}

/// Options of a replay.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Origin path segments an outcome keeps.
    pub depth: usize,
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            depth: DEFAULT_DEPTH,
            threads: parallel::threads(),
        }
    }
}

/// A group of requests that the router answered 4xx/5xx, or that failed in the harness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `403`, or the harness error's kind.
    pub what: String,
    /// `location `/x/` in server `y``, `server `y``, `no server`.
    pub rule: String,
    pub count: Count,
    /// The request of the group seen on the most lines.
    pub example: String,
}

/// The whole replay.
#[derive(Debug, Clone)]
pub struct Report {
    pub read: Requests,
    pub by_status: Vec<(String, Count)>,
    pub by_origin: Vec<(String, Count)>,
    /// Every server, in order, with `no server` last when any request reached none.
    pub by_server: Vec<(String, Count)>,
    /// (server, location) reached, in rule order.
    pub by_location: Vec<(String, String, Count)>,
    pub refused: Vec<Refusal>,
    pub unused_locations: Vec<(String, String)>,
    pub unused_servers: Vec<String>,
    pub max_requests: usize,
}

/// Loads the function once per thread and routes every distinct request.
pub fn route_all(
    js: &str,
    program: &Program,
    requests: &[Logged],
    options: Options,
) -> Result<Vec<Routed>, Error> {
    parallel::map_parallel(
        requests,
        options.threads,
        || load(js, program),
        |harness, logged| {
            let result = harness.route_untraced(&logged.request());
            routed(&result, options.depth)
        },
    )
}

/// The harness for `js` with the program's KeyValueStore (`kvs: true`); a function that does not
/// load is edgeroute's own bug here (it was checked).
pub(crate) fn load(js: &str, program: &Program) -> Result<Harness, Error> {
    let mut harness = Harness::load(js, program.runtime).map_err(|e| Error::Generated {
        message: e.to_string(),
        snippet: String::new(),
    })?;
    harness.set_kvs(program.store.clone());
    Ok(harness)
}

/// The summary of one request's result.
pub fn routed(result: &Result<Decision, RunError>, depth: usize) -> Routed {
    match result {
        Ok(decision) => Routed {
            server: decision.server,
            location: decision.location,
            class: outcome_class(&decision.outcome, depth),
            status: match decision.outcome {
                Outcome::Answer { status, .. } => Some(status),
                Outcome::Pass { .. } => None,
            },
            error: None,
        },
        Err(error) => Routed {
            server: None,
            location: None,
            class: error_kind(error).to_owned(),
            status: None,
            error: Some(error.to_string()),
        },
    }
}

/// `answered 301`, or `origin /a/b/…`: the origin path cut after `depth` segments.
pub fn outcome_class(outcome: &Outcome, depth: usize) -> String {
    match outcome {
        Outcome::Answer { status, .. } => format!("answered {status}"),
        Outcome::Pass { uri, origin, .. } => {
            let mut out = format!("origin {}", path_prefix(uri, depth));
            match origin {
                OriginCall::Default => {}
                OriginCall::ById(id) => {
                    let _ = write!(out, " (origin id {id})");
                }
                OriginCall::ByDomain(domain) => {
                    let _ = write!(out, " (origin domain {domain})");
                }
            }
            out
        }
    }
}

/// `/a/b/c/d` at depth 2 is `/a/b/…`; a path of `depth` segments or fewer is kept whole.
pub fn path_prefix(path: &str, depth: usize) -> String {
    let mut ends = path
        .char_indices()
        .filter(|(i, c)| *c == '/' && *i > 0)
        .map(|(i, _)| i);
    match ends.nth(depth.saturating_sub(1)) {
        Some(end) if depth > 0 && end + 1 < path.len() => format!("{}/…", &path[..end]),
        Some(_) => path.to_owned(),
        None if depth == 0 => "/…".to_owned(),
        None => path.to_owned(),
    }
}

/// The kind of a harness error, as CloudFront would answer it.
pub fn error_kind(error: &RunError) -> &'static str {
    match error {
        RunError::WouldNotLoad(_) => "error: would not load (503)",
        RunError::Exception(_) => "error: exception (503)",
        RunError::InvalidResult(_) => "error: invalid return (502)",
        RunError::Limit(_) => "error: harness limit (503)",
        RunError::BadRequest(_) => "error: bad request",
    }
}

/// `location `/x/` in server `y``, `server `y``, or `no server`.
pub fn rule_text(program: &Program, server: Option<usize>, location: Option<usize>) -> String {
    let Some(names) = server.and_then(|s| program.names.get(s)) else {
        return "no server".to_owned();
    };
    match location.and_then(|l| names.locations.get(l)) {
        Some(text) => format!("location `{text}` in server `{}`", names.label),
        None => format!("server `{}`", names.label),
    }
}

impl Report {
    /// The report of `routed`, one per distinct request of `read`, in the same order.
    pub fn build(
        program: &Program,
        read: Requests,
        routed: &[Routed],
        max_requests: usize,
    ) -> Report {
        let mut by_status: HashMap<String, Count> = HashMap::new();
        let mut by_origin: HashMap<String, Count> = HashMap::new();
        let mut servers = vec![Count::default(); program.names.len()];
        let mut no_server = Count::default();
        let mut locations: Vec<Vec<Count>> = program
            .names
            .iter()
            .map(|s| vec![Count::default(); s.locations.len()])
            .collect();
        // (what, rule) → count and the most frequent request
        let mut refused: HashMap<(String, String), (Count, usize)> = HashMap::new();
        for (i, (logged, routed)) in read.distinct.iter().zip(routed).enumerate() {
            let lines = logged.count;
            let status = match (&routed.status, &routed.error) {
                (Some(status), _) => status.to_string(),
                (None, Some(_)) => "error".to_owned(),
                (None, None) => "origin".to_owned(),
            };
            by_status.entry(status).or_default().add(lines);
            if routed.status.is_none() && routed.error.is_none() {
                let path = routed
                    .class
                    .strip_prefix("origin ")
                    .unwrap_or(&routed.class);
                by_origin.entry(path.to_owned()).or_default().add(lines);
            }
            match routed.server.and_then(|s| servers.get_mut(s)) {
                Some(count) => count.add(lines),
                None => no_server.add(lines),
            }
            if let (Some(s), Some(l)) = (routed.server, routed.location)
                && let Some(count) = locations.get_mut(s).and_then(|v| v.get_mut(l))
            {
                count.add(lines);
            }
            let what = match (routed.status, &routed.error) {
                (Some(status), _) if status >= 400 => Some(status.to_string()),
                (_, Some(error)) => Some(error.clone()),
                _ => None,
            };
            if let Some(what) = what {
                let rule = rule_text(program, routed.server, routed.location);
                let entry = refused.entry((what, rule)).or_insert((Count::default(), i));
                entry.0.add(lines);
                if lines > read.distinct[entry.1].count {
                    entry.1 = i;
                }
            }
        }
        let by_count = |map: HashMap<String, Count>| {
            let mut list: Vec<(String, Count)> = map.into_iter().collect();
            list.sort_by(|a, b| b.1.lines.cmp(&a.1.lines).then_with(|| a.0.cmp(&b.0)));
            list
        };
        let mut by_server = Vec::new();
        let mut by_location = Vec::new();
        let mut unused_locations = Vec::new();
        let mut unused_servers = Vec::new();
        for (s, names) in program.names.iter().enumerate() {
            by_server.push((names.label.clone(), servers[s]));
            if servers[s].requests == 0 {
                unused_servers.push(names.label.clone());
            }
            for (l, text) in names.locations.iter().enumerate() {
                let count = locations[s][l];
                if count.requests == 0 {
                    unused_locations.push((names.label.clone(), text.clone()));
                } else {
                    by_location.push((names.label.clone(), text.clone(), count));
                }
            }
        }
        if no_server.requests > 0 {
            by_server.push(("no server".to_owned(), no_server));
        }
        let mut refused: Vec<Refusal> = refused
            .into_iter()
            .map(|((what, rule), (count, example))| Refusal {
                what,
                rule,
                count,
                example: read.distinct[example].describe(),
            })
            .collect();
        refused.sort_by(|a, b| {
            b.count
                .lines
                .cmp(&a.count.lines)
                .then_with(|| (&a.what, &a.rule).cmp(&(&b.what, &b.rule)))
        });
        Report {
            by_status: by_count(by_status),
            by_origin: by_count(by_origin),
            by_server,
            by_location,
            refused,
            unused_locations,
            unused_servers,
            read,
            max_requests,
        }
    }

    pub fn text(&self) -> String {
        let read = &self.read;
        let mut out = String::new();
        for file in &read.files {
            let format = file.format.map_or("no requests", LogFormat::name);
            let gz = if file.gzip { ", gzip" } else { "" };
            let _ = writeln!(out, "{}: {format}{gz}, {} lines", file.name, file.lines);
        }
        let _ = writeln!(
            out,
            "{} lines, {} distinct requests; {} malformed lines",
            read.lines,
            read.distinct.len(),
            read.malformed
        );
        out.push_str(&problems_text(read));
        let width = |rows: &mut dyn Iterator<Item = usize>| rows.max().unwrap_or(0);
        let table = |out: &mut String, title: &str, rows: &[(String, Count)], shown: usize| {
            let _ = writeln!(out, "\n{title} (log lines, distinct requests):");
            let w = width(&mut rows.iter().take(shown).map(|(k, _)| k.chars().count()));
            for (name, count) in rows.iter().take(shown) {
                let pad = w - name.chars().count();
                let _ = writeln!(
                    out,
                    "  {name}{:pad$}  {:>8}  {:>8}",
                    "", count.lines, count.requests
                );
            }
            if rows.len() > shown {
                let _ = writeln!(
                    out,
                    "  … {} more (--format json lists all)",
                    rows.len() - shown
                );
            }
        };
        table(&mut out, "by status", &self.by_status, usize::MAX);
        if !self.by_origin.is_empty() {
            table(&mut out, "by origin path", &self.by_origin, SHOWN_ORIGINS);
        }
        let servers: Vec<(String, Count)> = self
            .by_server
            .iter()
            .map(|(label, count)| (label_text(label), *count))
            .collect();
        table(&mut out, "by server", &servers, usize::MAX);
        let locations: Vec<(String, Count)> = self
            .by_location
            .iter()
            .map(|(server, location, count)| (format!("`{location}` in `{server}`"), *count))
            .collect();
        table(&mut out, "by location", &locations, usize::MAX);
        if !self.refused.is_empty() {
            let _ = writeln!(out, "\nanswered 4xx/5xx by the router:");
            for r in &self.refused {
                let _ = writeln!(
                    out,
                    "  {} by {}: {}; e.g. {}",
                    r.what, r.rule, r.count, r.example
                );
            }
        }
        if self.unused_servers.is_empty() && self.unused_locations.is_empty() {
            let _ = writeln!(out, "\nevery server and location was reached");
        } else {
            let _ = writeln!(out, "\nreached by no request:");
            for server in &self.unused_servers {
                let _ = writeln!(out, "  server `{server}`");
            }
            for (server, location) in &self.unused_locations {
                let _ = writeln!(out, "  location `{location}` in server `{server}`");
            }
        }
        out
    }

    pub fn json(&self) -> Value {
        let read = &self.read;
        let map = |rows: &[(String, Count)]| -> Value {
            let object: serde_json::Map<String, Value> =
                rows.iter().map(|(k, c)| (k.clone(), c.json())).collect();
            Value::Object(object)
        };
        let mut value = read_json(read, self.max_requests);
        let extra = json!({
            "by_status": map(&self.by_status),
            "by_origin": map(&self.by_origin),
            "by_server": self.by_server.iter().map(|(s, c)| json!({
                "server": s, "lines": c.lines, "requests": c.requests,
            })).collect::<Vec<_>>(),
            "by_location": self.by_location.iter().map(|(s, l, c)| json!({
                "server": s, "location": l, "lines": c.lines, "requests": c.requests,
            })).collect::<Vec<_>>(),
            "refused": self.refused.iter().map(|r| json!({
                "what": r.what, "rule": r.rule, "lines": r.count.lines,
                "requests": r.count.requests, "example": r.example,
            })).collect::<Vec<_>>(),
            "unused_servers": self.unused_servers,
            "unused_locations": self.unused_locations.iter().map(|(s, l)| json!({
                "server": s, "location": l,
            })).collect::<Vec<_>>(),
        });
        if let (Value::Object(into), Value::Object(from)) = (&mut value, extra) {
            into.extend(from);
        }
        value
    }
}

/// A server label in backticks, as the other reports write it (`no server` as is).
fn label_text(label: &str) -> String {
    if label == "no server" {
        label.to_owned()
    } else {
        format!("`{label}`")
    }
}

/// Malformed lines, stopped files and the cap, as text lines.
pub fn problems_text(read: &Requests) -> String {
    let mut out = String::new();
    for p in &read.first_malformed {
        let _ = writeln!(out, "  malformed: {}:{}: {}", p.file, p.line, p.reason);
    }
    if read.malformed > read.first_malformed.len() as u64 {
        let _ = writeln!(
            out,
            "  … {} more malformed lines",
            read.malformed - read.first_malformed.len() as u64
        );
    }
    for p in &read.stopped {
        let _ = writeln!(out, "warning: {}:{}: {}", p.file, p.line, p.reason);
    }
    if let Some(p) = &read.cap_reached {
        let _ = writeln!(
            out,
            "warning: {}:{}: {}; {} such lines (raise the cap with --max-requests)",
            p.file, p.line, p.reason, read.over_cap
        );
    }
    out
}

/// What was read, as the fields every JSON report starts with.
pub fn read_json(read: &Requests, max_requests: usize) -> Value {
    let problem = |p: &LineProblem| json!({ "file": p.file, "line": p.line, "reason": p.reason });
    json!({
        "files": read.files.iter().map(|f| json!({
            "name": f.name,
            "format": f.format.map(|f| match f {
                LogFormat::CloudFront => "cloudfront",
                LogFormat::RequestList => "request-list",
            }),
            "gzip": f.gzip,
            "lines": f.lines,
        })).collect::<Vec<_>>(),
        "lines": read.lines,
        "requests": read.distinct.len(),
        "replayed_lines": read.replayed_lines(),
        "malformed": {
            "lines": read.malformed,
            "first": read.first_malformed.iter().map(problem).collect::<Vec<_>>(),
        },
        "stopped": read.stopped.iter().map(problem).collect::<Vec<_>>(),
        "cap": {
            "max_requests": max_requests,
            "reached": read.cap_reached.as_ref().map(problem),
            "over_cap_lines": read.over_cap,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::path_prefix;

    #[test]
    fn origin_paths_are_cut_after_their_first_segments() {
        assert_eq!(path_prefix("/pr-1/app1/assets/a.png", 2), "/pr-1/app1/…");
        assert_eq!(path_prefix("/pr-1/app1/index.html", 2), "/pr-1/app1/…");
        assert_eq!(path_prefix("/pr-1/index.html", 2), "/pr-1/index.html");
        assert_eq!(path_prefix("/pr-1/app1/", 2), "/pr-1/app1/");
        assert_eq!(path_prefix("/a/b", 1), "/a/…");
        assert_eq!(path_prefix("/a", 0), "/…");
        assert_eq!(path_prefix("/", 2), "/");
    }
}
