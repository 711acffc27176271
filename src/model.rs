//! The validated model: what `validate` guarantees and `compile` relies on.
//!
//! Every string of the rules file has been parsed into a typed value here (patterns, regexes,
//! CIDRs, values with variables), so later stages never re-parse text and never see a value
//! that failed validation.

use ipnet::IpNet;

use crate::diagnostic::Code;
use crate::runtime::Runtime;
use crate::source::Span;

#[derive(Debug, Clone)]
pub struct Rules {
    pub runtime: Runtime,
    /// `kvs: true`: exact hosts and exact locations in CloudFront KeyValueStore.
    pub kvs: bool,
    pub servers: Vec<Server>,
    pub tests: Vec<Case>,
    /// The first 12 hex digits of the SHA-256 of the rules text.
    pub hash: String,
}

#[derive(Debug, Clone)]
pub struct Server {
    pub span: Span,
    /// The first name as written, for reports.
    pub label: String,
    pub names: Vec<ServerName>,
    pub default: bool,
    pub block: Block,
    pub locations: Vec<Location>,
    /// Lint codes accepted on purpose for this server and its locations (`allow:`).
    pub allow: Vec<Code>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerName {
    /// `www.example.com`
    Exact(String),
    /// `*.example.com`, held as the suffix `.example.com`.
    Leading(String),
    /// `www.example.*`, held as the prefix `www.example.`.
    Trailing(String),
    /// `{id}.example.com` or `~regex`: a regex whose groups are described by `params`.
    Pattern {
        text: String,
        regex: Regex,
        params: Vec<GroupParam>,
    },
}

/// What a group of a host pattern means: a named param, checked against its own pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupParam {
    pub name: Option<String>,
    pub check: Option<Regex>,
}

#[derive(Debug, Clone, Default)]
pub struct Location {
    pub span: Span,
    /// The `location` text with runs of spaces collapsed (what `matched` compares).
    pub text: String,
    pub kind: LocationKind,
    pub block: Block,
    /// Lint codes accepted on purpose for this location (`allow:`).
    pub allow: Vec<Code>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocationKind {
    Exact(String),
    Prefix { path: String, stop_regex: bool },
    Regex(Regex),
}

/// An exact location with no path: what a location is before its kind is known.
impl Default for LocationKind {
    fn default() -> LocationKind {
        LocationKind::Exact(String::new())
    }
}

/// Directives of a server or a location, as written there (inheritance is resolved in `compile`).
#[derive(Debug, Clone, Default)]
pub struct Block {
    pub root: Option<Value>,
    pub alias: Option<Value>,
    pub index: Option<String>,
    pub access: Option<Vec<AccessEntry>>,
    pub headers: Option<Vec<(String, Value)>>,
    pub origin: Option<Origin>,
    pub rewrites: Vec<Rewrite>,
    pub ret: Option<Return>,
    pub try_files: Option<TryFiles>,
}

/// A translated regex in the PCRE/ECMAScript common subset (cloudfront-runtime.md §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regex {
    /// ECMAScript source: named groups already turned into plain groups.
    pub source: String,
    pub caseless: bool,
    /// The name of each capturing group, in order (`None` for unnamed ones).
    pub groups: Vec<Option<String>>,
}

/// A value that may hold variables.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Value {
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    Var(Var),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Var {
    Uri,
    RequestUri,
    Args,
    Arg(String),
    Host,
    RemoteAddr,
    Http(String),
    Cookie(String),
    Capture(u8),
    Named(String),
    Param(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub span: Span,
    /// `None` for the one-argument `rewrite: TARGET`.
    pub regex: Option<Regex>,
    pub path: Value,
    pub query: Option<Query>,
    pub flag: Flag,
}

/// The `?…` part of a replacement or fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub value: Value,
    /// The replacement ends in `?`: the request's own query string is dropped.
    pub drop_original: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    None,
    Last,
    Break,
    Redirect,
    Permanent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Return {
    pub span: Span,
    pub code: u16,
    pub value: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryFiles {
    pub candidates: Vec<Candidate>,
    pub fallback: Fallback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: Value,
    /// Written with a trailing `/`: a directory.
    pub dir: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    Code(u16),
    Uri { path: Value, query: Option<Value> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessEntry {
    pub allow: bool,
    /// `None` for `all`.
    pub net: Option<IpNet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Id(String),
    Domain(String),
}

/// A golden test case: a request and what must come of it.
#[derive(Debug, Clone)]
pub struct Case {
    pub span: Span,
    /// Where the case is written, `file:line:column`, for failure reports.
    pub at: String,
    pub url: String,
    pub method: String,
    pub ip: String,
    pub headers: Vec<(String, String)>,
    pub cookies: Vec<(String, String)>,
    pub expect: Expect,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    pub uri: Option<String>,
    pub querystring: Option<String>,
    pub origin: Option<ExpectOrigin>,
    pub status: Option<u16>,
    pub location: Option<String>,
    /// The body of a generated response (`return CODE TEXT`), compared exactly.
    pub body: Option<String>,
    pub headers: Vec<(String, Option<String>)>,
    pub matched: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectOrigin {
    Default,
    Id(String),
    Domain(String),
}

pub const REDIRECT_CODES: [u16; 5] = [301, 302, 303, 307, 308];
pub const DEFAULT_INDEX: &str = "index.html";
pub const DEFAULT_IP: &str = "198.51.100.10";
