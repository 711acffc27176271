//! The raw model: the rules file as written, every value with its span.
//!
//! This stage only checks shape — known keys (every unknown one is reported, with a did-you-mean),
//! YAML types, required keys, duplicates — and keeps every value as text, as the format says
//! (`return: 404` is `"404"`). Meaning is checked in `validate.rs`.

use std::rc::Rc;

use crate::diagnostic::{Code, Diagnostics, did_you_mean};
use crate::read::yaml::{self, Node, NodeKind};
use crate::source::{SourceFile, Span, Spanned, Text};

#[derive(Debug, Clone, Default)]
pub struct RawConfig {
    pub span: Span,
    pub version: Option<Text>,
    pub runtime: Option<Text>,
    pub files: Option<Text>,
    /// `kvs: true`: exact hosts and exact locations in CloudFront KeyValueStore (2.0 only).
    pub kvs: Option<Text>,
    pub servers: Vec<RawServer>,
    pub tests: Vec<RawTest>,
}

#[derive(Debug, Clone, Default)]
pub struct RawServer {
    pub span: Span,
    pub server_name: Vec<Text>,
    pub params: Vec<(Text, Text)>,
    pub default_server: Option<Text>,
    /// `redirects: FILE`: a CSV of exact-path redirects, relative to the rules file.
    pub redirects: Option<Text>,
    pub block: RawBlock,
    pub locations: Vec<RawLocation>,
    /// `allow: [lint-code, …]`: lint warnings accepted on purpose for this server.
    pub allow: Option<Spanned<Vec<Text>>>,
}

#[derive(Debug, Clone)]
pub struct RawLocation {
    pub span: Span,
    pub location: Text,
    pub block: RawBlock,
    /// `allow: [lint-code, …]`: lint warnings accepted on purpose for this location.
    pub allow: Option<Spanned<Vec<Text>>>,
}

/// The directives a server and a location share (`alias` and `try_files` only count in locations).
#[derive(Debug, Clone, Default)]
pub struct RawBlock {
    pub root: Option<Text>,
    pub alias: Option<Text>,
    pub index: Option<Text>,
    pub access: Option<Spanned<Vec<Text>>>,
    pub add_request_headers: Option<Spanned<Vec<(Text, Text)>>>,
    pub origin: Option<RawOrigin>,
    pub rewrite: Option<Spanned<Vec<Text>>>,
    pub ret: Option<Text>,
    pub try_files: Option<Spanned<Vec<Text>>>,
}

#[derive(Debug, Clone)]
pub enum RawOrigin {
    Id(Text),
    Domain(Text),
}

impl RawOrigin {
    pub fn span(&self) -> Span {
        match self {
            RawOrigin::Id(t) | RawOrigin::Domain(t) => t.span,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct RawTest {
    pub span: Span,
    pub url: Option<Text>,
    pub method: Option<Text>,
    pub ip: Option<Text>,
    pub request_headers: Vec<(Text, Text)>,
    pub cookies: Vec<(Text, Text)>,
    pub uri: Option<Text>,
    pub querystring: Option<Text>,
    pub status: Option<Text>,
    pub location: Option<Text>,
    pub body: Option<Text>,
    pub headers: Vec<(Text, Option<Text>)>,
    pub matched: Option<Text>,
    pub origin: Option<RawOrigin>,
}

pub const TOP_KEYS: &[&str] = &["edgeroute", "runtime", "files", "kvs", "servers", "tests"];
pub const SERVER_KEYS: &[&str] = &[
    "server_name",
    "params",
    "default_server",
    "root",
    "index",
    "access",
    "add_request_headers",
    "origin",
    "rewrite",
    "return",
    "locations",
    "redirects",
    "alias",
    "try_files",
    "allow",
];
pub const LOCATION_KEYS: &[&str] = &[
    "location",
    "root",
    "alias",
    "index",
    "access",
    "add_request_headers",
    "origin",
    "rewrite",
    "return",
    "try_files",
    "allow",
];
pub const TEST_KEYS: &[&str] = &[
    "url",
    "method",
    "ip",
    "request_headers",
    "cookies",
    "uri",
    "querystring",
    "status",
    "location",
    "body",
    "headers",
    "matched",
    "origin",
];

/// Read a rules file. `None` only when nothing could be read at all (YAML syntax, limits).
pub fn parse(file: &SourceFile, diags: &mut Diagnostics) -> Option<RawConfig> {
    let root = read_root(file, diags)?;
    let Some(entries) = mapping(&root, TOP_KEYS, diags) else {
        return Some(RawConfig::default());
    };
    let mut config = RawConfig {
        span: root.span,
        ..RawConfig::default()
    };
    for (key, value) in &entries {
        match key.as_str() {
            "edgeroute" => config.version = text(value, diags),
            "runtime" => config.runtime = text(value, diags),
            "files" => config.files = text(value, diags),
            "kvs" => config.kvs = text(value, diags),
            "servers" => {
                if matches!(&value.kind, NodeKind::Seq(items) if items.is_empty()) {
                    diags.at(Code::MissingKey, value.span, "`servers` lists no server");
                }
                config.servers = list(value, diags, server);
            }
            "tests" => config.tests = list(value, diags, test),
            _ => unreachable!("mapping() keeps known keys only"),
        }
    }
    require(&entries, root.span, &["edgeroute", "servers"], diags);
    Some(config)
}

/// Read a cases file: a mapping with exactly one key, `tests`.
pub fn parse_cases(file: &SourceFile, diags: &mut Diagnostics) -> Option<Vec<RawTest>> {
    let root = read_root(file, diags)?;
    let entries = mapping(&root, &["tests"], diags)?;
    require(&entries, root.span, &["tests"], diags);
    Some(
        entries
            .first()
            .map(|(_, value)| list(value, diags, test))
            .unwrap_or_default(),
    )
}

fn read_root(file: &SourceFile, diags: &mut Diagnostics) -> Option<Rc<Node>> {
    match yaml::parse(file) {
        Ok(Some(root)) => Some(root),
        Ok(None) => {
            diags.push(
                crate::diagnostic::Diagnostic::new(
                    Code::MissingKey,
                    Some(Span::new(0, 0)),
                    "the file is empty",
                )
                .with_help("a rules file starts with `edgeroute: 1` and lists `servers:`"),
            );
            None
        }
        Err(diagnostic) => {
            diags.push(diagnostic);
            None
        }
    }
}

fn server(node: &Node, diags: &mut Diagnostics) -> Option<RawServer> {
    let entries = mapping(node, SERVER_KEYS, diags)?;
    let mut server = RawServer {
        span: node.span,
        block: block(&entries, diags),
        ..RawServer::default()
    };
    for (key, value) in &entries {
        match key.as_str() {
            "server_name" => server.server_name = one_or_many(value, diags).value,
            "params" => server.params = text_pairs(value, diags),
            "default_server" => server.default_server = text(value, diags),
            "redirects" => server.redirects = text(value, diags),
            "locations" => server.locations = list(value, diags, location),
            "allow" => server.allow = Some(one_or_many(value, diags)),
            _ => {}
        }
    }
    require(&entries, node.span, &["server_name"], diags);
    Some(server)
}

fn location(node: &Node, diags: &mut Diagnostics) -> Option<RawLocation> {
    let entries = mapping(node, LOCATION_KEYS, diags)?;
    require(&entries, node.span, &["location"], diags);
    let location = entries
        .iter()
        .find(|(k, _)| k.as_str() == "location")
        .and_then(|(_, v)| text(v, diags))?;
    let allow = entries
        .iter()
        .find(|(k, _)| k.as_str() == "allow")
        .map(|(_, v)| one_or_many(v, diags));
    Some(RawLocation {
        span: node.span,
        location,
        block: block(&entries, diags),
        allow,
    })
}

fn block(entries: &[(Text, Rc<Node>)], diags: &mut Diagnostics) -> RawBlock {
    let mut block = RawBlock::default();
    for (key, value) in entries {
        match key.as_str() {
            "root" => block.root = text(value, diags),
            "alias" => block.alias = text(value, diags),
            "index" => block.index = text(value, diags),
            "access" => block.access = Some(one_or_many(value, diags)),
            "add_request_headers" => {
                block.add_request_headers =
                    Some(Spanned::new(text_pairs(value, diags), value.span));
            }
            "origin" => block.origin = origin(value, diags),
            "rewrite" => block.rewrite = Some(one_or_many(value, diags)),
            "return" => block.ret = text(value, diags),
            "try_files" => block.try_files = Some(one_or_many(value, diags)),
            _ => {}
        }
    }
    block
}

fn origin(node: &Node, diags: &mut Diagnostics) -> Option<RawOrigin> {
    if let NodeKind::Map(_) = node.kind {
        let entries = mapping(node, &["domain"], diags)?;
        require(&entries, node.span, &["domain"], diags);
        let (_, value) = entries.first()?;
        return text(value, diags).map(RawOrigin::Domain);
    }
    text(node, diags).map(RawOrigin::Id)
}

fn test(node: &Node, diags: &mut Diagnostics) -> Option<RawTest> {
    let entries = mapping(node, TEST_KEYS, diags)?;
    let mut case = RawTest {
        span: node.span,
        ..RawTest::default()
    };
    for (key, value) in &entries {
        let slot = match key.as_str() {
            "url" => &mut case.url,
            "method" => &mut case.method,
            "ip" => &mut case.ip,
            "uri" => &mut case.uri,
            "querystring" => &mut case.querystring,
            "status" => &mut case.status,
            "location" => &mut case.location,
            "body" => &mut case.body,
            "matched" => &mut case.matched,
            "request_headers" => {
                case.request_headers = text_pairs(value, diags);
                continue;
            }
            "cookies" => {
                case.cookies = text_pairs(value, diags);
                continue;
            }
            "headers" => {
                case.headers = nullable_pairs(value, diags);
                continue;
            }
            "origin" => {
                case.origin = origin(value, diags);
                continue;
            }
            _ => continue,
        };
        *slot = text(value, diags);
    }
    require(&entries, node.span, &["url"], diags);
    Some(case)
}

/// The entries of a mapping whose keys are in `allowed`; reports every other key.
fn mapping(
    node: &Node,
    allowed: &[&str],
    diags: &mut Diagnostics,
) -> Option<Vec<(Text, Rc<Node>)>> {
    let NodeKind::Map(pairs) = &node.kind else {
        wrong_type(node, "a mapping", diags);
        return None;
    };
    let mut entries: Vec<(Text, Rc<Node>)> = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        let Some(name) = text(key, diags) else {
            continue;
        };
        if entries.iter().any(|(k, _)| k.value == name.value) {
            diags
                .at(
                    Code::DuplicateKey,
                    name.span,
                    format!("`{}` is given twice", name.value),
                )
                .set_label("already given above in this mapping");
            continue;
        }
        if !allowed.contains(&name.value.as_str()) {
            let d = diags.at(
                Code::UnknownKey,
                name.span,
                format!("unknown key `{}`", name.value),
            );
            d.label = Some(format!("expected one of: {}", allowed.join(", ")));
            if let Some(close) = did_you_mean(&name.value, allowed.iter().copied()) {
                d.help = Some(format!("did you mean `{close}`?"));
            }
            continue;
        }
        entries.push((name, value.clone()));
    }
    Some(entries)
}

fn require(entries: &[(Text, Rc<Node>)], span: Span, keys: &[&str], diags: &mut Diagnostics) {
    for key in keys {
        if !entries.iter().any(|(k, _)| k.value == *key) {
            diags.at(
                Code::MissingKey,
                Span::new(span.start, span.start),
                format!("missing required key `{key}`"),
            );
        }
    }
}

/// A scalar as text (numbers and booleans as written).
fn text(node: &Node, diags: &mut Diagnostics) -> Option<Text> {
    match &node.kind {
        NodeKind::Scalar { text, .. } if !node.is_null() => {
            Some(Spanned::new(text.clone(), node.span))
        }
        _ => {
            wrong_type(node, "text", diags);
            None
        }
    }
}

/// A list of items read by `item`; items that fail are skipped (already reported).
fn list<T>(
    node: &Node,
    diags: &mut Diagnostics,
    item: fn(&Node, &mut Diagnostics) -> Option<T>,
) -> Vec<T> {
    let NodeKind::Seq(items) = &node.kind else {
        wrong_type(node, "a list", diags);
        return Vec::new();
    };
    items.iter().filter_map(|n| item(n, diags)).collect()
}

/// One text value or a list of them.
fn one_or_many(node: &Node, diags: &mut Diagnostics) -> Spanned<Vec<Text>> {
    let items = match &node.kind {
        NodeKind::Seq(_) => list(node, diags, text),
        _ => text(node, diags).into_iter().collect(),
    };
    Spanned::new(items, node.span)
}

/// A mapping of text to text, in file order.
fn text_pairs(node: &Node, diags: &mut Diagnostics) -> Vec<(Text, Text)> {
    nullable_pairs(node, diags)
        .into_iter()
        .filter_map(|(k, v)| match v {
            Some(v) => Some((k, v)),
            None => {
                diags.at(
                    Code::WrongType,
                    k.span,
                    format!("`{}` needs a value", k.value),
                );
                None
            }
        })
        .collect()
}

/// A mapping of text to text or null, in file order.
fn nullable_pairs(node: &Node, diags: &mut Diagnostics) -> Vec<(Text, Option<Text>)> {
    let NodeKind::Map(pairs) = &node.kind else {
        wrong_type(node, "a mapping", diags);
        return Vec::new();
    };
    let mut out: Vec<(Text, Option<Text>)> = Vec::new();
    for (key, value) in pairs {
        let Some(name) = text(key, diags) else {
            continue;
        };
        if out.iter().any(|(k, _)| k.value == name.value) {
            diags.at(
                Code::DuplicateKey,
                name.span,
                format!("`{}` is given twice", name.value),
            );
            continue;
        }
        let value = if value.is_null() {
            None
        } else {
            text(value, diags)
        };
        out.push((name, value));
    }
    out
}

fn wrong_type(node: &Node, expected: &str, diags: &mut Diagnostics) {
    diags
        .at(
            Code::WrongType,
            node.span,
            format!("expected {expected}, found {}", node.type_name()),
        )
        .set_label(format!("expected {expected}"));
}
