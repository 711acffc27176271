//! The intermediate representation: the data tables the fixed router reads.
//!
//! Plain data, serialized with serde into exactly the `D` table of docs/generated-function.md (short
//! keys, absent keys for "none"). Its `Debug` output is what the IR snapshots show, so a change of
//! meaning is visible even when the JavaScript looks alike.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::runtime::Runtime;

#[derive(Debug, Clone)]
pub struct Program {
    pub runtime: Runtime,
    /// The rules hash for the header line.
    pub hash: String,
    /// `R`: every regex, as (ECMAScript source, flags).
    pub regexes: Vec<(String, String)>,
    /// `D`.
    pub data: Data,
    pub features: Features,
    /// For reports: each server's label and each location's text, by index.
    pub names: Vec<ServerNames>,
    /// `kvs: true`: exact hosts and exact locations are read from CloudFront KeyValueStore.
    pub kvs: bool,
    /// The store's entries (`js::store`), sorted by key; empty without `kvs`.
    pub store: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct ServerNames {
    pub label: String,
    pub locations: Vec<String>,
}

/// Which parts of the router a program needs (template guards).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Features {
    pub access: bool,
    pub ipv6: bool,
    pub wild: bool,
    pub pattern: bool,
    pub regex: bool,
    pub rewrite: bool,
    pub ret: bool,
    pub try_files: bool,
    pub headers: bool,
    pub origin: bool,
    pub args: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Data {
    #[serde(skip_serializing_if = "Table::is_empty")]
    pub h: Table<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub w: Vec<(String, usize)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub t: Vec<(String, usize)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub p: Vec<HostPattern>,
    /// `"{param}.suffix"` patterns by their suffix: positions in `p`, in file order.
    #[serde(skip_serializing_if = "Table::is_empty")]
    pub k: Table<Vec<usize>>,
    /// The positions in `p` of every other pattern, tried in turn.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub g: Vec<usize>,
    pub d: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub a: Vec<Vec<AclEntry>>,
    #[serde(serialize_with = "serialize_servers")]
    pub s: Vec<Server>,
}

/// Servers whose location tables (`x`, `b`, `q`, `r`, `l`, or `f`) are written exactly like an earlier
/// server's are written with `t`, that server's number, in their place: forty sites that differ
/// only in their names and roots carry one copy of their locations.
fn serialize_servers<S: Serializer>(servers: &[Server], s: S) -> Result<S::Ok, S::Error> {
    let tables: Vec<String> = servers.iter().map(location_tables).collect();
    let mut seq = s.serialize_seq(Some(servers.len()))?;
    for (i, server) in servers.iter().enumerate() {
        match tables[..i]
            .iter()
            .position(|t| *t == tables[i] && !t.is_empty())
        {
            Some(first) => seq.serialize_element(&SharedTables { server, first })?,
            None => seq.serialize_element(server)?,
        }
    }
    seq.end()
}

/// The keys of a server's location tables (and of the compiled search in their place).
const LOCATION_TABLES: [&str; 6] = ["x", "b", "q", "r", "l", "f"];

/// The location tables of a server as written, to compare.
fn location_tables(server: &Server) -> String {
    let value = serde_json::to_value(server).unwrap_or_default();
    let keep = LOCATION_TABLES;
    match value {
        serde_json::Value::Object(map) => {
            let tables: serde_json::Map<_, _> = map
                .into_iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .collect();
            serde_json::Value::Object(tables).to_string()
        }
        _ => String::new(),
    }
}

/// A server written with `t` in place of its location tables.
struct SharedTables<'s> {
    server: &'s Server,
    first: usize,
}

impl Serialize for SharedTables<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let value = serde_json::to_value(self.server).map_err(serde::ser::Error::custom)?;
        let mut map = s.serialize_map(None)?;
        if let serde_json::Value::Object(fields) = value {
            for (k, v) in fields {
                if !LOCATION_TABLES.contains(&k.as_str()) {
                    map.serialize_entry(&k, &v)?;
                }
            }
        }
        map.serialize_entry("t", &self.first)?;
        map.end()
    }
}

/// `[re, server, params]`; `re` is -1 for a pattern found through `Data::k`.
#[derive(Debug, Clone)]
pub struct HostPattern {
    pub found_by: FoundBy,
    pub server: usize,
    /// For group i+1: its param name and the index of its check regex (-1: none).
    pub params: Vec<(Option<String>, i64)>,
    /// The `server_name` as written (for reports; not emitted).
    pub text: String,
}

/// How the router finds a host pattern: its regex in `R`, or its literal suffix in `D.k`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoundBy {
    Regex(usize),
    Suffix(String),
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Server {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<usize>,
    /// The server's root: the root of each location that sets none of its own, nor an alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ro: Option<Parts>,
    /// The server's index name, when it is not `index.html`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub i: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rw: Vec<Rewrite>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt: Option<Return>,
    #[serde(skip_serializing_if = "Table::is_empty")]
    pub x: Table<usize>,
    #[serde(
        skip_serializing_if = "Table::is_empty",
        serialize_with = "serialize_buckets"
    )]
    pub b: Table<Vec<(String, usize)>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub q: Vec<(String, usize)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub r: Vec<RegexLocation>,
    #[serde(serialize_with = "serialize_locations")]
    pub l: Vec<Location>,
    /// The compiled location search that replaces `x`, `b`, `q` and `r` (src/js/search.rs); set
    /// only in the copy of the tables `js::emit` renders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub f: Option<String>,
}

/// A bucket that holds only the prefix `/<seg>/` is written as its location number alone.
fn serialize_buckets<S: Serializer>(
    buckets: &Table<Vec<(String, usize)>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(buckets.0.len()))?;
    for (seg, list) in &buckets.0 {
        match bare_bucket(seg, list) {
            Some(loc) => map.serialize_entry(seg, &loc)?,
            None => map.serialize_entry(seg, list)?,
        }
    }
    map.end()
}

/// The location of a bucket that holds only the prefix `/<seg>/`, written as that number alone.
pub fn bare_bucket(seg: &str, list: &[(String, usize)]) -> Option<usize> {
    match list {
        [(prefix, loc)]
            if prefix.strip_prefix('/').and_then(|p| p.strip_suffix('/')) == Some(seg) =>
        {
            Some(*loc)
        }
        _ => None,
    }
}

/// For each location, the earlier location it is written as: one written exactly alike, when its
/// number is shorter than its body.
pub fn shared_bodies(locations: &[Location]) -> Vec<Option<usize>> {
    let bodies: Vec<String> = locations
        .iter()
        .map(|l| serde_json::to_string(l).unwrap_or_default())
        .collect();
    // the first location with each body, found once: linear in the number of locations (twenty
    // thousand redirects are twenty thousand locations)
    let mut first: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let earliest = *first.entry(body.as_str()).or_insert(i);
            Some(earliest).filter(|e| *e < i && e.to_string().len() < body.len())
        })
        .collect()
}

/// How many locations are written: the trailing ones written as location 0 (`0`) are left out, and
/// the router reads a missing one as location 0 (many locations alike cost their lookup alone).
/// Never when location 0 is exact: with KeyValueStore its body is in the store.
pub fn written_locations(locations: &[Location], shared: &[Option<usize>]) -> usize {
    if locations.first().is_some_and(|l| l.k == KIND_EXACT) {
        return locations.len();
    }
    shared
        .iter()
        .rposition(|s| *s != Some(0))
        .map_or(0, |last| last + 1)
}

fn serialize_locations<S: Serializer>(locations: &[Location], s: S) -> Result<S::Ok, S::Error> {
    let shared = shared_bodies(locations);
    let written = written_locations(locations, &shared);
    let mut seq = s.serialize_seq(Some(written))?;
    for (location, shared) in locations.iter().zip(shared).take(written) {
        match shared {
            Some(first) => seq.serialize_element(&first)?,
            None => seq.serialize_element(location)?,
        }
    }
    seq.end()
}

/// A location. `a`, `ro` and `i` are absent when they equal the server's (the router falls back to
/// the server's); `k` is absent for a plain prefix.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Location {
    #[serde(skip_serializing_if = "is_plain_prefix")]
    pub k: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub a: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rw: Vec<Rewrite>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt: Option<Return>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tf: Option<TryFiles>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ro: Option<Parts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub al: Option<Parts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub i: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hd: Vec<(String, Parts)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub o: Option<(u8, String)>,
}

pub const KIND_EXACT: u8 = 0;
pub const KIND_STOP_PREFIX: u8 = 1;
pub const KIND_PREFIX: u8 = 2;
pub const KIND_REGEX: u8 = 3;

/// The part for the prefix of the location being run (compile.rs `relative_to_prefix`).
pub const VAR_PREFIX: u8 = 11;

fn is_plain_prefix(kind: &u8) -> bool {
    *kind == KIND_PREFIX
}

/// A value: literal strings and `[kind, arg]` variables (kinds in docs/generated-function.md).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts(pub Vec<PartIr>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartIr {
    Lit(String),
    Var(u8, Option<String>),
}

/// `[re, loc]`, or `[re, loc, names]` when the regex has named groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexLocation {
    pub regex: usize,
    pub location: usize,
    /// The name of each group (`None` for unnamed ones); empty when none is named.
    pub names: Vec<Option<String>>,
}

/// `[re, path, query, flag]`, or `[re, path, query, flag, names]` when the regex has named groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub regex: i64,
    pub path: Parts,
    pub query: Option<(Parts, bool)>,
    pub flag: u8,
    /// The name of each group (`None` for unnamed ones); empty when none is named.
    pub names: Vec<Option<String>>,
}

/// `[code, parts]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Return {
    pub code: u16,
    pub value: Option<Parts>,
}

/// `[[[parts, isDir], …], fallback]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryFiles {
    pub candidates: Vec<(Parts, bool)>,
    pub fallback: FallbackIr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FallbackIr {
    Code(u16),
    Uri(Parts, Option<Parts>),
}

/// `[allow, 0]`, `[allow, 4, net, bits]` or `[allow, 6, [groups], bits]`, each IP entry with its
/// `text` last when it has one
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclEntry {
    All {
        allow: bool,
    },
    V4 {
        allow: bool,
        net: u32,
        bits: u8,
        /// For an allowed /24 or /32 that only allowed entries precede: the network as text
        /// (`192.0.2.` or `192.0.2.7`), which the upload tests the viewer's address against before
        /// parsing it (docs/generated-function.md).
        text: Option<String>,
    },
    V6 {
        allow: bool,
        groups: [u16; 8],
        bits: u8,
        /// For an allowed network of whole groups (/16 to /112) that only allowed entries precede
        /// and that holds no IPv4-mapped address: its groups as text (`2001:db8:`), which the
        /// upload tests the viewer's address against before parsing it.
        text: Option<String>,
    },
}

/// An ordered string-keyed table, serialized as a JSON object in insertion order.
#[derive(Debug, Clone)]
pub struct Table<T>(pub Vec<(String, T)>);

impl<T> Default for Table<T> {
    fn default() -> Table<T> {
        Table(Vec::new())
    }
}

impl<T> Table<T> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }
}

impl<T: Serialize> Serialize for Table<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// One non-empty literal is written as that string; anything else as the array of parts.
impl Serialize for Parts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [PartIr::Lit(text)] if !text.is_empty() => s.serialize_str(text),
            parts => s.collect_seq(parts),
        }
    }
}

impl Serialize for PartIr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PartIr::Lit(text) => s.serialize_str(text),
            PartIr::Var(kind, None) => [kind].serialize(s),
            PartIr::Var(kind, Some(arg)) => (kind, arg).serialize(s),
        }
    }
}

impl Serialize for HostPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let regex = match self.found_by {
            FoundBy::Regex(i) => i as i64,
            FoundBy::Suffix(_) => -1,
        };
        (regex, self.server, &self.params).serialize(s)
    }
}

impl Serialize for Rewrite {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // no query: 0, the shortest falsy value
        let query = match &self.query {
            Some((p, drop)) => serde_json::json!([p, u8::from(*drop)]),
            None => serde_json::json!(0),
        };
        if self.names.is_empty() {
            (self.regex, &self.path, query, self.flag).serialize(s)
        } else {
            (self.regex, &self.path, query, self.flag, &self.names).serialize(s)
        }
    }
}

impl Serialize for RegexLocation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.names.is_empty() {
            (self.regex, self.location).serialize(s)
        } else {
            (self.regex, self.location, &self.names).serialize(s)
        }
    }
}

impl Serialize for Return {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        seq.serialize_element(&self.code)?;
        if let Some(v) = &self.value {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

impl Serialize for TryFiles {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let candidates: Vec<(&Parts, u8)> = self
            .candidates
            .iter()
            .map(|(p, d)| (p, u8::from(*d)))
            .collect();
        (candidates, &self.fallback).serialize(s)
    }
}

impl Serialize for FallbackIr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FallbackIr::Code(code) => s.serialize_u16(*code),
            FallbackIr::Uri(path, None) => [path].serialize(s),
            FallbackIr::Uri(path, Some(query)) => (path, query).serialize(s),
        }
    }
}

impl Serialize for AclEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            AclEntry::All { allow } => (u8::from(allow), 0).serialize(s),
            AclEntry::V4 {
                allow,
                net,
                bits,
                text: None,
            } => (u8::from(allow), 4, net, bits).serialize(s),
            AclEntry::V4 {
                allow,
                net,
                bits,
                text: Some(ref text),
            } => (u8::from(allow), 4, net, bits, text).serialize(s),
            AclEntry::V6 {
                allow,
                groups,
                bits,
                text: None,
            } => (u8::from(allow), 6, groups, bits).serialize(s),
            AclEntry::V6 {
                allow,
                groups,
                bits,
                text: Some(ref text),
            } => (u8::from(allow), 6, groups, bits, text).serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alike_bodies_are_written_as_the_first_one() {
        let long = |text: &str| Location {
            i: Some(text.to_owned()),
            ..Location::default()
        };
        let (a, b) = (long("a.html"), long("b.html"));
        let list = [a.clone(), b.clone(), a.clone(), a, b, Location::default()];
        assert_eq!(
            shared_bodies(&list),
            [None, None, Some(0), Some(0), Some(1), None]
        );
        // a body no longer than the number it would be written as stays a body: `{}` first written
        // tenth, then again
        let mut list: Vec<Location> = (0..10).map(|i| long(&format!("{i}.html"))).collect();
        let plain = Location {
            k: KIND_PREFIX,
            ..Location::default()
        };
        list.extend([plain.clone(), plain]);
        assert_eq!(shared_bodies(&list)[10..], [None, None]);
    }

    #[test]
    fn trailing_locations_written_as_the_first_are_left_out() {
        let body = |kind: u8| Location {
            k: kind,
            i: Some("long-index.html".to_owned()),
            ..Location::default()
        };
        let other = Location {
            k: KIND_PREFIX,
            i: Some("other.html".to_owned()),
            ..Location::default()
        };
        let a = body(KIND_PREFIX);
        let list = [a.clone(), other, a.clone(), a.clone(), a];
        let shared = shared_bodies(&list);
        assert_eq!(written_locations(&list, &shared), 2);
        let json = serde_json::to_string(&Server {
            l: list.to_vec(),
            ..Server::default()
        })
        .unwrap();
        assert!(
            json.contains(r#""l":[{"i":"long-index.html"},{"i":"other.html"}]"#),
            "{json}"
        );
        // an exact location 0 may be in the store: every location is written
        let exact = [body(KIND_EXACT), body(KIND_EXACT)];
        assert_eq!(written_locations(&exact, &shared_bodies(&exact)), 2);
        assert_eq!(written_locations(&[], &[]), 0);
    }
}
