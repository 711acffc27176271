//! The KeyValueStore half of a `kvs: true` build: exact host names and exact locations moved out of
//! `D` into keys (docs/generated-function.md, "KeyValueStore").
//!
//! Layout version 1 (the `v1:` every key starts with; a function reads only the layout it was
//! built for, and the rules' hash is never part of a key, so a change of ten redirects changes ten
//! keys):
//!
//! - `v1:h:<host>` → the server number (JSON), for each exact server name;
//! - `v1:x:<server>:<path>` → `[location number, location]` (JSON), for each exact location of a
//!   server that carries its own location tables (servers sharing them with `t` share the keys).
//!
//! The code keeps everything else: `D.h` is dropped, each such server's `x` becomes `xs: 1` and its
//! `l` an object holding only the locations still in the code, by number.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::Data;
use crate::source::Span;

/// What every key starts with: the layout of keys and values the router reads.
pub const LAYOUT: &str = "v1";
/// CloudFront KeyValueStore limits (cloudfront-runtime.md §10, §7).
pub const KEY_LIMIT: usize = 512;
pub const VALUE_LIMIT: usize = 1024;
pub const STORE_LIMIT: usize = 5 * 1024 * 1024;

/// `D` as the code carries it, and the store's entries sorted by key.
pub fn split(data: &Data) -> (Value, Vec<(String, String)>) {
    let mut d = serde_json::to_value(data).unwrap_or_default();
    let mut store = BTreeMap::new();
    let Some(top) = d.as_object_mut() else {
        return (d, Vec::new());
    };
    if let Some(Value::Object(hosts)) = top.remove("h") {
        for (host, server) in hosts {
            store.insert(format!("{LAYOUT}:h:{host}"), server.to_string());
        }
    }
    if let Some(Value::Array(servers)) = top.get_mut("s") {
        for (index, server) in servers.iter_mut().enumerate() {
            let Some(server) = server.as_object_mut() else {
                continue;
            };
            let Some(Value::Object(exact)) = server.remove("x") else {
                continue;
            };
            let list = match server.remove("l") {
                Some(Value::Array(list)) => list,
                _ => Vec::new(),
            };
            let body = |i: usize| match list.get(i) {
                Some(Value::Number(n)) => n
                    .as_u64()
                    .and_then(|n| list.get(n as usize))
                    .cloned()
                    .unwrap_or_default(),
                Some(other) => other.clone(),
                // left out: written as location 0 (`ir::written_locations`)
                None => list.first().cloned().unwrap_or_default(),
            };
            let mut stored = vec![false; list.len()];
            let paths: Vec<String> = exact.keys().cloned().collect();
            for (path, location) in exact {
                let Some(l) = location.as_u64().map(|l| l as usize) else {
                    continue;
                };
                store.insert(
                    format!("{LAYOUT}:x:{index}:{path}"),
                    json!([l, body(l)]).to_string(),
                );
                if let Some(s) = stored.get_mut(l) {
                    *s = true;
                }
            }
            let mut kept = Map::new();
            for (i, entry) in list.iter().enumerate() {
                if stored[i] {
                    continue;
                }
                // a number names an earlier location written alike; that one may be in the store now
                let entry = match entry.as_u64() {
                    Some(n) if stored.get(n as usize) == Some(&true) => body(i),
                    _ => entry.clone(),
                };
                kept.insert(i.to_string(), entry);
            }
            server.insert("xs".to_owned(), first_segments(&paths));
            server.insert("l".to_owned(), Value::Object(kept));
        }
    }
    (d, store.into_iter().collect())
}

/// At most this many first segments are listed for a server (`xs`); with more, every search reads.
const MAX_SEGMENTS: usize = 64;

/// What the function knows of a server's exact paths in the store without reading it: the first
/// segments they start with (`{"catalog": 1, "healthz": 1}`; a search for a path with another first
/// segment reads nothing), or `1` (read on every search) when there are more than `MAX_SEGMENTS`, or
/// one that an object literal cannot hold as a key (`__proto__`).
fn first_segments(paths: &[String]) -> Value {
    let mut segments = Map::new();
    for path in paths {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let segment = rest.split('/').next().unwrap_or_default();
        if segment == "__proto__" {
            return json!(1);
        }
        segments.insert(segment.to_owned(), json!(1));
        if segments.len() > MAX_SEGMENTS {
            return json!(1);
        }
    }
    Value::Object(segments)
}

/// The S3 import format of CloudFront KeyValueStore: `{"data":[{"key":…,"value":…}]}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Import {
    pub data: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    pub value: String,
}

/// The import file's text for sorted entries: one entry per line, deterministic.
pub fn import_json(entries: &[(String, String)]) -> String {
    let mut out = String::from("{\"data\":[");
    for (i, (key, value)) in entries.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        let entry = json!({ "key": key, "value": value });
        out.push_str(&serde_json::to_string(&entry).expect("strings serialize"));
    }
    out.push_str("\n]}\n");
    out
}

/// Reads an import file; Err: why it is not one.
pub fn parse_import(text: &str) -> Result<Vec<(String, String)>, String> {
    let import: Import = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(import.data.into_iter().map(|e| (e.key, e.value)).collect())
}

/// The bytes an entry takes in the store (key and value, UTF-8).
pub fn entry_bytes((key, value): &(String, String)) -> usize {
    key.len() + value.len()
}

/// `kvs-budget`: a key over 512 bytes, a value over 1 KB, a store over 5 MB; `names` describes an
/// entry for the help (which rule it comes from), `spans` places it in the rules file.
pub fn budget(
    entries: &[(String, String)],
    names: impl Fn(&str) -> String,
    spans: impl Fn(&(String, String)) -> Option<Span>,
    diagnostics: &mut Diagnostics,
) {
    let long_keys: Vec<&(String, String)> =
        entries.iter().filter(|e| e.0.len() > KEY_LIMIT).collect();
    let big_values: Vec<&(String, String)> =
        entries.iter().filter(|e| e.1.len() > VALUE_LIMIT).collect();
    let total: usize = entries.iter().map(entry_bytes).sum();
    let list = |items: &[&(String, String)], size: &dyn Fn(&(String, String)) -> usize| {
        let mut items = items.to_vec();
        items.sort_by(|a, b| size(b).cmp(&size(a)).then_with(|| a.0.cmp(&b.0)));
        items
            .iter()
            .take(8)
            .map(|e| format!("  {:>7} B  {}", size(e), names(&e.0)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    if !long_keys.is_empty() {
        let longest = long_keys.iter().max_by_key(|e| e.0.len()).copied();
        let d = Diagnostic::new(
            Code::KvsBudget,
            longest.and_then(&spans),
            format!(
                "{} KeyValueStore key(s) over {KEY_LIMIT} bytes",
                long_keys.len()
            ),
        )
        .with_help(format!(
            "shorten these paths or host names, or keep them out of the store:\n{}",
            list(&long_keys, &|e| e.0.len())
        ));
        diagnostics.push(d);
    }
    if !big_values.is_empty() {
        let biggest = big_values.iter().max_by_key(|e| e.1.len()).copied();
        let d = Diagnostic::new(
            Code::KvsBudget,
            biggest.and_then(&spans),
            format!(
                "{} KeyValueStore value(s) over {VALUE_LIMIT} bytes",
                big_values.len()
            ),
        )
        .with_help(format!(
            "each exact location's rules go in one value: shorten these rules (long return texts, many rewrites or headers):\n{}",
            list(&big_values, &|e| e.1.len())
        ));
        diagnostics.push(d);
    }
    if total > STORE_LIMIT {
        let all: Vec<&(String, String)> = entries.iter().collect();
        let d = Diagnostic::new(
            Code::KvsBudget,
            None,
            format!(
                "the KeyValueStore holds {total} bytes; CloudFront accepts at most {STORE_LIMIT}"
            ),
        )
        .with_help(format!(
            "biggest contributors:\n{}",
            list(&all, &|e| entry_bytes(e))
        ));
        diagnostics.push(d);
    }
}

/// The server and location numbers of an entry: `(server, None)` for a host, `(server,
/// Some(location))` for an exact location.
pub fn origin_of((key, value): &(String, String)) -> Option<(usize, Option<usize>)> {
    let rest = key.strip_prefix(LAYOUT)?.strip_prefix(':')?;
    match rest.split_once(':')? {
        ("h", _) => Some((value.parse().ok()?, None)),
        ("x", rest) => {
            let server = rest.split_once(':')?.0.parse().ok()?;
            let digits: String = value
                .strip_prefix('[')?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            Some((server, Some(digits.parse().ok()?)))
        }
        _ => None,
    }
}

/// What a key stands for, for reports: `host www.example.com`, `location = /old in server 2`.
pub fn describe_key(key: &str, labels: &[String]) -> String {
    let rest = key.strip_prefix(LAYOUT).and_then(|r| r.strip_prefix(':'));
    match rest.and_then(|r| r.split_once(':')) {
        Some(("h", host)) => format!("host `{host}`"),
        Some(("x", rest)) => match rest.split_once(':') {
            Some((server, path)) => {
                let label = server
                    .parse::<usize>()
                    .ok()
                    .and_then(|s| labels.get(s))
                    .map_or(server, String::as_str);
                format!("location `= {path}` in server `{label}`")
            }
            None => key.to_owned(),
        },
        _ => key.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_files_read_back() {
        let entries = vec![
            ("v1:h:a.example".to_owned(), "0".to_owned()),
            ("v1:x:0:/old".to_owned(), "[0,{\"k\":0}]".to_owned()),
        ];
        let text = import_json(&entries);
        assert_eq!(parse_import(&text).unwrap(), entries);
        assert_eq!(import_json(&[]), "{\"data\":[\n]}\n");
        assert_eq!(parse_import(&import_json(&[])).unwrap(), vec![]);
    }

    #[test]
    fn keys_are_described_by_their_rule() {
        let labels = vec!["www.example.com".to_owned()];
        assert_eq!(
            describe_key("v1:x:0:/a:b", &labels),
            "location `= /a:b` in server `www.example.com`"
        );
        assert_eq!(describe_key("v1:h:x.test", &labels), "host `x.test`");
    }
}
