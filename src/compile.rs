//! Rules → ir::Program: nginx precedence and inheritance, resolved once, here and nowhere else.
//!
//! - host lookup order: exact names, longest leading wildcard, longest trailing wildcard, then
//!   patterns in file order (nginx-semantics.md §3);
//! - locations: exact by lookup, prefixes longest first, bucketed by their first segment when they
//!   reach past it, regexes in file order (§4);
//! - inheritance: a location's own `root`, `index`, `access`, `add_request_headers` and `origin`
//!   replace the server's whole (rules.md "Inheritance").

use ipnet::IpNet;

use crate::ir::{
    self, AclEntry, Data, FallbackIr, Features, FoundBy, HostPattern, PartIr, Parts, Program,
    ServerNames, Table,
};
use crate::model::{
    self, AccessEntry, Block, DEFAULT_INDEX, Fallback, Flag, LocationKind, Part, Rules, ServerName,
    Var,
};

/// Compile validated rules into the router's tables.
pub fn compile(rules: &Rules) -> Program {
    let mut c = Compiler::default();
    let mut data = Data {
        h: Table::default(),
        w: Vec::new(),
        t: Vec::new(),
        p: Vec::new(),
        k: Table::default(),
        g: Vec::new(),
        d: rules.servers.iter().position(|s| s.default).unwrap_or(0),
        a: Vec::new(),
        s: Vec::new(),
    };
    for (index, server) in rules.servers.iter().enumerate() {
        c.host_names(&mut data, index, &server.names);
    }
    index_patterns(&mut data);
    data.w
        .sort_by_key(|(suffix, _)| std::cmp::Reverse(suffix.len()));
    data.t
        .sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
    data.s = rules.servers.iter().map(|s| c.server(s)).collect();
    data.a = std::mem::take(&mut c.acls);
    c.features.wild = !data.w.is_empty() || !data.t.is_empty();
    c.features.pattern = !data.p.is_empty();
    let store = if rules.kvs {
        crate::js::store::split(&data).1
    } else {
        Vec::new()
    };
    Program {
        kvs: rules.kvs,
        store,
        runtime: rules.runtime,
        hash: rules.hash.clone(),
        regexes: c.regexes,
        data,
        features: c.features,
        names: rules
            .servers
            .iter()
            .map(|s| ServerNames {
                label: s.label.clone(),
                locations: s.locations.iter().map(|l| l.text.clone()).collect(),
            })
            .collect(),
    }
}

#[derive(Default)]
struct Compiler {
    regexes: Vec<(String, String)>,
    acls: Vec<Vec<AclEntry>>,
    features: Features,
}

impl Compiler {
    fn host_names(&mut self, data: &mut Data, server: usize, names: &[ServerName]) {
        for name in names {
            match name {
                // An object literal's "__proto__" key sets the prototype instead of a property: that
                // name is a pattern tried first (no wildcard matches a host without a dot).
                ServerName::Exact(host) if host == PROTO => {
                    let regex = self.regex(&model::Regex {
                        source: format!("^{PROTO}$"),
                        caseless: false,
                        groups: Vec::new(),
                    });
                    data.p.insert(
                        0,
                        HostPattern {
                            found_by: FoundBy::Regex(regex),
                            server,
                            params: Vec::new(),
                            text: host.clone(),
                        },
                    );
                }
                ServerName::Exact(host) => {
                    if !data.h.contains(host) {
                        data.h.0.push((host.clone(), server));
                    }
                }
                ServerName::Leading(suffix) => data.w.push((suffix.clone(), server)),
                ServerName::Trailing(prefix) => data.t.push((prefix.clone(), server)),
                ServerName::Pattern {
                    regex,
                    params,
                    text,
                } => {
                    let found_by = match indexed_suffix(text, params.len()) {
                        Some(suffix) => FoundBy::Suffix(suffix),
                        None => FoundBy::Regex(self.regex(regex)),
                    };
                    let params = params
                        .iter()
                        .map(|p| {
                            (
                                p.name.clone(),
                                p.check.as_ref().map_or(-1, |r| self.regex(r) as i64),
                            )
                        })
                        .collect();
                    data.p.push(HostPattern {
                        found_by,
                        server,
                        params,
                        text: text.clone(),
                    });
                }
            }
        }
    }

    fn server(&mut self, server: &model::Server) -> ir::Server {
        let block = &server.block;
        let mut out = ir::Server {
            a: block.access.as_ref().map(|a| self.acl(a)),
            ro: block.root.as_ref().map(|v| self.parts(v)),
            i: block.index.clone().filter(|i| i != DEFAULT_INDEX),
            rw: block.rewrites.iter().map(|r| self.rewrite(r)).collect(),
            rt: block.ret.as_ref().map(|r| self.ret(r)),
            ..ir::Server::default()
        };
        for (index, location) in server.locations.iter().enumerate() {
            match &location.kind {
                LocationKind::Exact(path) => out.x.0.push((path.clone(), index)),
                LocationKind::Prefix { path, .. } => {
                    match first_segment(path).filter(|s| *s != PROTO) {
                        Some(seg) => match out.b.get_mut(seg) {
                            Some(bucket) => bucket.push((path.clone(), index)),
                            None => out.b.0.push((seg.to_owned(), vec![(path.clone(), index)])),
                        },
                        None => out.q.push((path.clone(), index)),
                    }
                }
                LocationKind::Regex(regex) => {
                    self.features.regex = true;
                    out.r.push(ir::RegexLocation {
                        regex: self.regex(regex),
                        location: index,
                        names: group_names(regex),
                    });
                }
            }
            out.l.push(self.location(location, block));
        }
        for (_, bucket) in &mut out.b.0 {
            bucket.sort_by_key(|(path, _)| std::cmp::Reverse(path.len()));
        }
        out.q.sort_by_key(|(path, _)| std::cmp::Reverse(path.len()));
        out
    }

    fn location(&mut self, location: &model::Location, server: &Block) -> ir::Location {
        let own = &location.block;
        let (k, path) = match &location.kind {
            LocationKind::Exact(p) => (ir::KIND_EXACT, Some(p)),
            LocationKind::Prefix {
                path,
                stop_regex: true,
            } => (ir::KIND_STOP_PREFIX, Some(path)),
            LocationKind::Prefix { path, .. } => (ir::KIND_PREFIX, Some(path)),
            LocationKind::Regex(_) => (ir::KIND_REGEX, None),
        };
        // `a`, `ro` and `i` only where they differ from the server's, which the router falls back to
        let root = match &own.root {
            Some(root) if own.alias.is_none() && server.root.as_ref() != Some(root) => Some(root),
            _ => None,
        };
        let headers = own.headers.as_ref().or(server.headers.as_ref());
        let server_index = server.index.as_deref().unwrap_or(DEFAULT_INDEX);
        let index = own
            .index
            .as_deref()
            .filter(|i| *i != server_index)
            .map(str::to_owned);
        let server_access = server.access.as_ref().map(|a| self.acl(a));
        let mut out = ir::Location {
            k,
            p: own.alias.as_ref().and(path.cloned()),
            a: own
                .access
                .as_ref()
                .map(|a| self.acl(a))
                .filter(|a| Some(*a) != server_access),
            rw: own.rewrites.iter().map(|r| self.rewrite(r)).collect(),
            rt: own.ret.as_ref().map(|r| self.ret(r)),
            tf: own.try_files.as_ref().map(|t| self.try_files(t)),
            ro: root.map(|v| self.parts(v)),
            al: own.alias.as_ref().map(|v| self.parts(v)),
            i: index,
            hd: headers
                .map(|h| {
                    self.features.headers |= !h.is_empty();
                    h.iter().map(|(n, v)| (n.clone(), self.parts(v))).collect()
                })
                .unwrap_or_default(),
            o: own.origin.as_ref().or(server.origin.as_ref()).map(|o| {
                self.features.origin = true;
                match o {
                    model::Origin::Id(id) => (0, id.clone()),
                    model::Origin::Domain(d) => (1, d.clone()),
                }
            }),
        };
        if let LocationKind::Prefix { path, .. } = &location.kind {
            relative_to_prefix(&mut out, path);
        }
        out
    }

    fn rewrite(&mut self, rule: &model::Rewrite) -> ir::Rewrite {
        self.features.rewrite = true;
        self.features.args = true;
        ir::Rewrite {
            regex: rule.regex.as_ref().map_or(-1, |r| self.regex(r) as i64),
            path: self.parts(&rule.path),
            query: rule
                .query
                .as_ref()
                .map(|q| (self.parts(&q.value), q.drop_original)),
            flag: match rule.flag {
                Flag::None => 0,
                Flag::Last => 1,
                Flag::Break => 2,
                Flag::Redirect => 3,
                Flag::Permanent => 4,
            },
            names: rule.regex.as_ref().map(group_names).unwrap_or_default(),
        }
    }

    fn ret(&mut self, ret: &model::Return) -> ir::Return {
        self.features.ret = true;
        ir::Return {
            code: ret.code,
            value: ret.value.as_ref().map(|v| self.parts(v)),
        }
    }

    fn try_files(&mut self, tf: &model::TryFiles) -> ir::TryFiles {
        self.features.try_files = true;
        ir::TryFiles {
            candidates: tf
                .candidates
                .iter()
                .map(|c| (self.parts(&c.value), c.dir))
                .collect(),
            fallback: match &tf.fallback {
                Fallback::Code(code) => FallbackIr::Code(*code),
                Fallback::Uri { path, query } => {
                    self.features.args |= query.is_some();
                    FallbackIr::Uri(self.parts(path), query.as_ref().map(|q| self.parts(q)))
                }
            },
        }
    }

    fn parts(&mut self, value: &model::Value) -> Parts {
        Parts(
            value
                .parts
                .iter()
                .map(|p| match p {
                    Part::Lit(s) => PartIr::Lit(s.clone()),
                    Part::Var(v) => self.var(v),
                })
                .collect(),
        )
    }

    fn var(&mut self, var: &Var) -> PartIr {
        let (kind, arg) = match var {
            Var::Uri => (0, None),
            Var::RequestUri => (1, None),
            Var::Args => (2, None),
            Var::Arg(n) => (3, Some(n.clone())),
            Var::Host => (4, None),
            Var::RemoteAddr => (5, None),
            Var::Http(n) => (6, Some(n.clone())),
            Var::Cookie(n) => (7, Some(n.clone())),
            Var::Capture(n) => (8, Some(n.to_string())),
            Var::Named(n) => (9, Some(n.clone())),
            Var::Param(n) => (10, Some(n.clone())),
        };
        self.features.args |= matches!(var, Var::Args | Var::RequestUri | Var::Arg(_));
        PartIr::Var(kind, arg)
    }

    /// The index of a regex in `R`, sharing identical ones.
    fn regex(&mut self, regex: &model::Regex) -> usize {
        let entry = (
            regex.source.clone(),
            if regex.caseless { "i" } else { "" }.to_owned(),
        );
        match self.regexes.iter().position(|r| *r == entry) {
            Some(i) => i,
            None => {
                self.regexes.push(entry);
                self.regexes.len() - 1
            }
        }
    }

    /// The index of an access list in `D.a`, sharing identical ones.
    fn acl(&mut self, entries: &[AccessEntry]) -> usize {
        self.features.access = true;
        let mut list: Vec<AclEntry> = entries.iter().map(|e| self.acl_entry(e)).collect();
        text_prefixes(&mut list);
        match self.acls.iter().position(|a| *a == list) {
            Some(i) => i,
            None => {
                self.acls.push(list);
                self.acls.len() - 1
            }
        }
    }

    fn acl_entry(&mut self, entry: &AccessEntry) -> AclEntry {
        let allow = entry.allow;
        match entry.net {
            None => AclEntry::All { allow },
            Some(IpNet::V4(net)) => AclEntry::V4 {
                allow,
                net: u32::from(net.network()),
                bits: net.prefix_len(),
                text: None,
            },
            Some(IpNet::V6(net)) => {
                self.features.ipv6 = true;
                AclEntry::V6 {
                    allow,
                    groups: net.network().segments(),
                    bits: net.prefix_len(),
                    text: None,
                }
            }
        }
    }
}

/// The router's `cap(m, names)` table for a regex: each group's name, or empty when none is named
/// (so `$name` is set from the location's and each rewrite rule's own match).
fn group_names(regex: &model::Regex) -> Vec<Option<String>> {
    if regex.groups.iter().any(Option::is_some) {
        regex.groups.clone()
    } else {
        Vec::new()
    }
}

/// In a prefix location, a value that starts with the location's own prefix starts with the
/// `[11]` part instead (the prefix the search matched), so that locations alike but for their
/// prefix (`/app1/` → `/app1/index.html`, `/app2/` → `/app2/index.html`) are written alike and
/// share one body.
fn relative_to_prefix(location: &mut ir::Location, prefix: &str) {
    let relative = |parts: &mut Parts| {
        if let Some(PartIr::Lit(text)) = parts.0.first_mut()
            && let Some(rest) = text.strip_prefix(prefix)
        {
            let rest = rest.to_owned();
            parts.0[0] = PartIr::Var(ir::VAR_PREFIX, None);
            if !rest.is_empty() {
                parts.0.insert(1, PartIr::Lit(rest));
            }
        }
    };
    for rule in &mut location.rw {
        relative(&mut rule.path);
        if let Some((query, _)) = &mut rule.query {
            relative(query);
        }
    }
    if let Some(value) = location.rt.as_mut().and_then(|r| r.value.as_mut()) {
        relative(value);
    }
    if let Some(tf) = &mut location.tf {
        for (candidate, _) in &mut tf.candidates {
            relative(candidate);
        }
        if let FallbackIr::Uri(path, query) = &mut tf.fallback {
            relative(path);
            if let Some(query) = query {
                relative(query);
            }
        }
    }
}

/// The key an object literal cannot hold as an own property.
const PROTO: &str = "__proto__";

/// The suffix of a server name `{param}.rest` with a literal rest: the router finds such a pattern
/// by the host's suffix (one lookup) instead of trying its regex.
fn indexed_suffix(text: &str, params: usize) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let rest = lower.strip_prefix('{')?.split_once("}.")?.1;
    let literal = !rest.is_empty()
        && rest != PROTO
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    (params == 1 && literal).then(|| rest.to_owned())
}

/// `D.k` and `D.g`: the patterns found by suffix, and the others, by position in `D.p`.
fn index_patterns(data: &mut Data) {
    for (position, pattern) in data.p.iter().enumerate() {
        match &pattern.found_by {
            FoundBy::Suffix(suffix) => match data.k.get_mut(suffix) {
                Some(list) => list.push(position),
                None => data.k.0.push((suffix.clone(), vec![position])),
            },
            FoundBy::Regex(_) => data.g.push(position),
        }
    }
}

/// The first segment of a prefix that reaches past that segment's closing `/`.
fn first_segment(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    rest.find('/').map(|end| &rest[..end])
}

/// Gives each entry of the leading run of allowed entries that a text test can admit for its
/// network as text: an IPv4 /24 or /32 (`192.0.2.`, `192.0.2.7`), an IPv6 network
/// of whole groups (`2001:db8:`). An address whose text starts with it, and that is a well-formed
/// address of that family, is admitted by that entry or an earlier one, whatever the rest of the
/// list says.
fn text_prefixes(list: &mut [AclEntry]) {
    for entry in list {
        match entry {
            AclEntry::V4 {
                allow: true,
                net,
                bits,
                text,
            } => {
                let [a, b, c, d] = net.to_be_bytes();
                *text = match bits {
                    24 => Some(format!("{a}.{b}.{c}.")),
                    32 => Some(format!("{a}.{b}.{c}.{d}")),
                    _ => None,
                };
            }
            AclEntry::V6 {
                allow: true,
                groups,
                bits,
                text,
            } => *text = v6_text(groups, *bits),
            _ => break,
        }
    }
}

/// The text every written form of an address in IPv6 network `groups`/`bits` may start with,
/// when the network is of whole groups (/16 to /112) and holds no IPv4-mapped address (those are
/// IPv4 addresses to an access list): its groups in lower-case hex, each followed by `:`.
fn v6_text(groups: &[u16; 8], bits: u8) -> Option<String> {
    let whole = usize::from(bits / 16);
    if !bits.is_multiple_of(16) || !(1..8).contains(&whole) {
        return None;
    }
    // an address in ::ffff:0:0/96 has five zero groups, then ffff
    let zeros = groups[..whole.min(5)].iter().all(|g| *g == 0);
    if zeros && (whole < 6 || groups[5] == 0xffff) {
        return None;
    }
    Some(groups[..whole].iter().map(|g| format!("{g:x}:")).collect())
}

#[cfg(test)]
mod tests {
    use super::{first_segment, indexed_suffix, v6_text};

    #[test]
    fn only_whole_group_networks_without_mapped_addresses_are_written_as_text() {
        let text = |net: &str| {
            let net: ipnet::Ipv6Net = net.parse().unwrap();
            v6_text(&net.network().segments(), net.prefix_len())
        };
        assert_eq!(text("2001:db8::/32").as_deref(), Some("2001:db8:"));
        assert_eq!(
            text("2001:db8:0:a0::/64").as_deref(),
            Some("2001:db8:0:a0:")
        );
        assert_eq!(text("fe80::/16").as_deref(), Some("fe80:"));
        assert_eq!(text("0:0:0:0:0:1::/96").as_deref(), Some("0:0:0:0:0:1:"));
        // not whole groups, the whole address, or all of it
        assert_eq!(text("2001:db8::/33"), None);
        assert_eq!(text("2001:db8::1/128"), None);
        assert_eq!(text("::/0"), None);
        // holding IPv4-mapped addresses (read as IPv4), or possibly so
        assert_eq!(text("::/16"), None);
        assert_eq!(text("::/80"), None);
        assert_eq!(text("::ffff:0:0/96"), None);
        assert_eq!(text("::ffff:a00:0/112"), None);
    }

    #[test]
    fn only_one_param_before_a_literal_suffix_is_indexed() {
        let suffix = |text: &str, params| indexed_suffix(text, params);
        assert_eq!(
            suffix("{id}.Group1.example.com", 1).as_deref(),
            Some("group1.example.com")
        );
        assert_eq!(suffix("{id}.{group}.example.com", 2), None);
        assert_eq!(suffix("{id}.example.{tld}", 2), None);
        assert_eq!(suffix("pr-{id}.example.com", 1), None);
        assert_eq!(suffix("{id}", 1), None);
        assert_eq!(suffix("{id}.__proto__", 1), None);
        assert_eq!(suffix(r"~^(?<id>[a-z]+)\.example\.com$", 1), None);
    }

    #[test]
    fn only_prefixes_that_close_their_first_segment_are_bucketed() {
        assert_eq!(first_segment("/app2/assets"), Some("app2"));
        assert_eq!(first_segment("/app2/"), Some("app2"));
        assert_eq!(first_segment("/app2"), None);
        assert_eq!(first_segment("/"), None);
        assert_eq!(first_segment("//x"), Some(""));
    }
}
