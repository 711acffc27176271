//! `diff`: which requests change outcome between two rule files, and which rules changed.
//!
//! Probe requests are synthesized from both rule sets (each server's hosts, each location's path and
//! its boundaries, each access entry's network, every golden URL of both files) and run through both
//! generated functions in the harness. Nothing is predicted: a change is reported only when the two
//! sets of uploaded bytes answer a probe differently.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::error::Error;
use crate::harness::event::Request;
use crate::harness::{Decision, Harness, RunError};
use crate::ir::{Location, Program, Server};
use crate::js::gate::SIZE_LIMIT;
use crate::model::{DEFAULT_IP, Rules, ServerName};
use crate::pipeline::Generated;
use crate::review::explain::outcome_text;
use crate::review::probes::{Rng, location_paths};

/// One side of the comparison.
pub struct Side<'a> {
    pub rules: &'a Rules,
    pub generated: &'a Generated,
}

/// What one probe did on one side, in words.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Verdict {
    /// `location `/x/` in server `a.example.com``, or `no location`.
    pub rule: String,
    pub result: String,
}

/// A probe whose outcome changed.
#[derive(Debug, Clone)]
pub struct Change {
    pub request: Request,
    pub old: Verdict,
    pub new: Verdict,
}

/// The whole comparison.
#[derive(Debug, Clone)]
pub struct Report {
    pub probes: usize,
    pub changes: Vec<Change>,
    /// `+ …`, `- …`, `~ …` lines: rules added, removed, changed.
    pub rules: Vec<String>,
    pub old_bytes: usize,
    pub new_bytes: usize,
    /// Unified diff of the readable JavaScript, when asked for.
    pub js_diff: Option<String>,
}

/// Compare two compiled rule sets.
pub fn compare(old: &Side<'_>, new: &Side<'_>, with_js: bool) -> Result<Report, Error> {
    let mut old_harness = load(old.generated)?;
    let mut new_harness = load(new.generated)?;
    // A host reaches a server when that side's function routes `https://host/` to it.
    let mut reaches = |new_side: bool, host: &str, server: usize| {
        let harness = if new_side {
            &mut new_harness
        } else {
            &mut old_harness
        };
        let request = Request::get(&format!("https://{host}/"));
        harness
            .route(&request)
            .is_ok_and(|d| d.server == Some(server))
    };
    let probes = probes(old.rules, new.rules, &mut reaches);
    let mut changes = Vec::new();
    for request in &probes {
        let before = verdict(&old.generated.program, &old_harness.route(request));
        let after = verdict(&new.generated.program, &new_harness.route(request));
        if before.result != after.result {
            changes.push(Change {
                request: request.clone(),
                old: before,
                new: after,
            });
        }
    }
    let js_diff = with_js.then(|| {
        crate::review::text_diff::unified(
            &old.generated.pretty,
            &new.generated.pretty,
            "old",
            "new",
        )
    });
    Ok(Report {
        probes: probes.len(),
        changes,
        rules: rule_changes(&old.generated.program, &new.generated.program),
        old_bytes: old.generated.js.len(),
        new_bytes: new.generated.js.len(),
        js_diff,
    })
}

fn load(generated: &Generated) -> Result<Harness, Error> {
    let mut harness = Harness::load(&generated.traced, generated.program.runtime).map_err(|e| {
        Error::Generated {
            message: e.to_string(),
            snippet: String::new(),
        }
    })?;
    harness.set_kvs(generated.program.store.clone());
    Ok(harness)
}

pub(crate) fn verdict(program: &Program, result: &Result<Decision, RunError>) -> Verdict {
    match result {
        Ok(decision) => {
            let server = decision.server.and_then(|s| program.names.get(s));
            let rule = match (server, crate::golden::matched_text(program, decision)) {
                (Some(s), Some(l)) => format!("location `{l}` in server `{}`", s.label),
                (Some(s), None) => format!("server `{}`", s.label),
                _ => "no server".to_owned(),
            };
            Verdict {
                rule,
                result: outcome_text(&decision.outcome),
            }
        }
        Err(e) => Verdict {
            rule: "no decision".to_owned(),
            result: e.to_string(),
        },
    }
}

/// The seed of the probe paths: the same rules always give the same probes.
const PROBE_SEED: u64 = 0xD1FF;

/// Probe requests from both rule sets, deduplicated, in a stable order. `reaches(new_side, host,
/// server)` says whether a host is routed to that server, to pick the host for location probes.
pub fn probes(
    a: &Rules,
    b: &Rules,
    reaches: &mut dyn FnMut(bool, &str, usize) -> bool,
) -> Vec<Request> {
    let golden: Vec<&str> = a
        .tests
        .iter()
        .chain(&b.tests)
        .map(|c| c.url.as_str())
        .collect();
    let golden_hosts: BTreeSet<&str> = golden.iter().filter_map(|u| host_of(u)).collect();
    let mut ips: BTreeSet<String> = BTreeSet::from([DEFAULT_IP.to_owned()]);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut push = |url: String, ip: &str| {
        if seen.insert((url.clone(), ip.to_owned())) {
            let mut request = Request::get(&url);
            ip.clone_into(&mut request.ip);
            out.push(request);
        }
    };
    for rules in [a, b] {
        for case in &rules.tests {
            ips.insert(case.ip.clone());
        }
        for server in &rules.servers {
            for entry in server.block.access.iter().flatten() {
                if let (true, Some(net)) = (entry.allow, entry.net) {
                    ips.insert(net.hosts().next().unwrap_or(net.addr()).to_string());
                }
            }
        }
    }
    let allowed: Vec<String> = ips
        .iter()
        .filter(|ip| ip.as_str() != DEFAULT_IP)
        .cloned()
        .collect();
    let location_ip = allowed
        .first()
        .map_or(DEFAULT_IP, String::as_str)
        .to_owned();
    for url in &golden {
        for ip in &ips {
            push((*url).to_owned(), ip);
        }
    }
    for (new_side, rules) in [(false, a), (true, b)] {
        for (index, server) in rules.servers.iter().enumerate() {
            let hosts = hosts_for(server, &golden_hosts);
            for host in &hosts {
                for ip in &ips {
                    push(format!("https://{host}/"), ip);
                }
            }
            let Some(host) = hosts.iter().find(|h| reaches(new_side, h, index)) else {
                continue;
            };
            for location in [a, b]
                .iter()
                .flat_map(|r| r.servers.iter())
                .flat_map(|s| &s.locations)
            {
                let mut rng = Rng::new(PROBE_SEED);
                for path in location_paths(&location.kind, &mut rng) {
                    push(format!("https://{host}{path}"), &location_ip);
                }
            }
        }
    }
    out
}

/// `https://HOST/…` → HOST without the port.
fn host_of(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("https://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    Some(rest[..end].split(':').next().unwrap_or_default())
}

/// Hosts that reach `server` (if it wins them), and near misses of its patterns.
fn hosts_for(server: &crate::model::Server, golden_hosts: &BTreeSet<&str>) -> Vec<String> {
    let mut out = Vec::new();
    for name in &server.names {
        match name {
            ServerName::Exact(host) => out.push(host.clone()),
            ServerName::Leading(suffix) => out.push(format!("a{suffix}")),
            ServerName::Trailing(prefix) => out.push(format!("{prefix}com")),
            ServerName::Pattern { regex, .. } => {
                let Ok(re) = regress::Regex::with_flags(&regex.source, "i") else {
                    continue;
                };
                for host in golden_hosts.iter().filter(|h| re.find(h).is_some()) {
                    out.push((*host).to_owned());
                    // The same host with first labels that patterns often accept or refuse.
                    if let Some((_, rest)) = host.split_once('.') {
                        for label in ["a", "1234", "x-1", "abc-def", "a_b", "xn--d1a"] {
                            out.push(format!("{label}.{rest}"));
                        }
                    }
                }
            }
        }
    }
    out.dedup();
    out
}

/// A location with the values it takes from its server (`a`, `ro`, `i`) written out.
fn effective(server: &Server, location: &Location) -> Location {
    let mut out = location.clone();
    out.a = out.a.or(server.a);
    if out.al.is_none() {
        out.ro = out.ro.or_else(|| server.ro.clone());
    }
    out.i = out.i.or_else(|| server.i.clone());
    out
}

/// Locations and servers added, removed and changed, keyed by their texts.
pub(crate) fn rule_changes(old: &Program, new: &Program) -> Vec<String> {
    let table = |p: &Program| -> BTreeMap<(String, String), String> {
        let mut map = BTreeMap::new();
        for (s, names) in p.names.iter().enumerate() {
            let server = &p.data.s[s];
            // The server's own directives; the lookup tables only follow its locations.
            let mut head = server.clone();
            head.l.clear();
            head.x = Default::default();
            head.b = Default::default();
            head.q.clear();
            head.r.clear();
            // Defaults the locations fall back to: shown as changes of those locations.
            head.ro = None;
            head.i = None;
            map.insert(
                (names.label.clone(), String::new()),
                serde_json::to_string(&head).unwrap_or_default(),
            );
            for (l, text) in names.locations.iter().enumerate() {
                let body =
                    serde_json::to_string(&effective(server, &server.l[l])).unwrap_or_default();
                map.insert((names.label.clone(), text.clone()), body);
            }
        }
        map
    };
    let (a, b) = (table(old), table(new));
    let name = |(server, location): &(String, String)| {
        if location.is_empty() {
            format!("server `{server}`")
        } else {
            format!("location `{location}` in server `{server}`")
        }
    };
    let mut out = Vec::new();
    for (key, body) in &a {
        match b.get(key) {
            None => out.push(format!("- {}", name(key))),
            Some(other) if other != body => out.push(format!("~ {}", name(key))),
            Some(_) => {}
        }
    }
    for key in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push(format!("+ {}", name(key)));
    }
    out
}

impl Report {
    /// Changes grouped by the rule that decided before and after.
    fn groups(&self) -> BTreeMap<(String, String), Vec<&Change>> {
        let mut groups: BTreeMap<(String, String), Vec<&Change>> = BTreeMap::new();
        for change in &self.changes {
            groups
                .entry((change.old.rule.clone(), change.new.rule.clone()))
                .or_default()
                .push(change);
        }
        groups
    }

    fn size_line(&self) -> String {
        size_line(self.old_bytes, self.new_bytes)
    }

    pub fn text(&self) -> String {
        let mut out = format!(
            "{} of {} probe requests change outcome\n",
            self.changes.len(),
            self.probes
        );
        for ((before, after), changes) in self.groups() {
            let _ = writeln!(out, "\n{before} → {after}:");
            for c in changes {
                let _ = writeln!(out, "  {} from {}", c.request.url, c.request.ip);
                let _ = writeln!(out, "    - {}", c.old.result);
                let _ = writeln!(out, "    + {}", c.new.result);
            }
        }
        if !self.rules.is_empty() {
            let _ = writeln!(out, "\nrules:");
            for line in &self.rules {
                let _ = writeln!(out, "  {line}");
            }
        }
        let _ = writeln!(out, "\n{}", self.size_line());
        if let Some(js) = &self.js_diff {
            let _ = write!(out, "\n{js}");
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "### edgeroute: {} of {} probe requests change outcome\n",
            self.changes.len(),
            self.probes
        );
        for ((before, after), changes) in self.groups() {
            let _ = writeln!(
                out,
                "\n**{before} → {after}**\n\n| request | before | after |\n| --- | --- | --- |"
            );
            for c in changes {
                let _ = writeln!(
                    out,
                    "| `{}` from {} | {} | {} |",
                    c.request.url,
                    c.request.ip,
                    cell(&c.old.result),
                    cell(&c.new.result)
                );
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
        if let Some(js) = &self.js_diff {
            let _ = write!(
                out,
                "\n<details><summary>JavaScript diff</summary>\n\n```diff\n{js}```\n\n</details>\n"
            );
        }
        out
    }

    pub fn json(&self) -> Value {
        let changes: Vec<Value> = self
            .changes
            .iter()
            .map(|c| {
                json!({
                    "url": c.request.url,
                    "ip": c.request.ip,
                    "old": { "rule": c.old.rule, "result": c.old.result },
                    "new": { "rule": c.new.rule, "result": c.new.result },
                })
            })
            .collect();
        json!({
            "probes": self.probes,
            "changes": changes,
            "rules": self.rules,
            "bytes": { "old": self.old_bytes, "new": self.new_bytes, "limit": SIZE_LIMIT },
            "js_diff": self.js_diff,
        })
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The sizes of the two functions and the headroom of the new one.
pub(crate) fn size_line(old_bytes: usize, new_bytes: usize) -> String {
    let delta = new_bytes as i64 - old_bytes as i64;
    format!(
        "size: {old_bytes} → {new_bytes} bytes ({delta:+}); {} under the {SIZE_LIMIT}-byte budget",
        SIZE_LIMIT as i64 - new_bytes as i64
    )
}

#[cfg(test)]
mod tests {
    use crate::model::LocationKind;
    use crate::review::probes::{Rng, location_paths, matches};
    use crate::validate::regex::translate;

    #[test]
    fn regex_locations_are_probed_with_paths_they_match() {
        for source in [
            r"\.(png|jpe?g)$",
            r"^/(a|b)/x$",
            r"^/api/v[0-9]+/",
            r"^/u/(\d+)$",
        ] {
            let regex = translate(source, false).expect("a valid regex");
            let paths = location_paths(&LocationKind::Regex(regex.clone()), &mut Rng::new(1));
            assert!(
                paths.iter().any(|p| matches(&regex, p)),
                "{source}: {paths:?}"
            );
        }
    }
}
