//! Probe requests derived from a rule set: hosts for every server-name pattern (valid and invalid
//! params), paths for every location (each prefix and its boundaries, each exact path, regex
//! samples that match and that do not), samples for rewrite regexes, and normalization cases.

use edgeroute::event::Request;
use edgeroute::model::{
    AccessEntry, Block, DEFAULT_IP, LocationKind, Regex, Rules, Server, ServerName,
};

use crate::oracle::HttpRequest;
use crate::rulegen::Rng;

/// One request, sent to the function and to nginx alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The Host header as written.
    pub host: String,
    /// Path and query, raw, as the request line carries them.
    pub target: String,
    pub ip: String,
    /// What the probe is for, for reports.
    pub why: String,
}

impl Probe {
    pub fn request(&self) -> Request {
        let mut req = Request::get(&format!("https://{}{}", self.host, self.target));
        req.ip = self.ip.clone();
        req
    }

    pub fn http(&self) -> HttpRequest {
        HttpRequest {
            host: self.host.clone(),
            target: self.target.clone(),
            ip: self.ip.clone(),
        }
    }
}

/// Every probe for `rules`, deduplicated, in a stable order; at most `limit` (a seeded sample
/// that keeps the rules' own test URLs).
pub fn probes(rules: &Rules, seed: u64, limit: usize) -> Vec<Probe> {
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut out = Vec::new();
    for case in &rules.tests {
        if let Some(probe) = from_test_url(&case.url, &case.ip) {
            out.push(probe);
        }
    }
    let fixed = out.len();
    for server in &rules.servers {
        server_probes(server, &mut rng, &mut out);
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| seen.insert((p.host.clone(), p.target.clone(), p.ip.clone())));
    if out.len() > limit {
        let mut rest = out.split_off(fixed.min(out.len()));
        while out.len() < limit && !rest.is_empty() {
            let i = rng.below(rest.len());
            out.push(rest.swap_remove(i));
        }
    }
    out
}

/// Up to `count` strings the regex matches (checked with an ECMAScript engine).
pub fn regex_samples(regex: &Regex, rng: &mut Rng, count: usize) -> Vec<String> {
    let Ok(compiled) = compile(regex) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for attempt in 0..(count * 8) {
        let sample = Sampler {
            src: regex.source.as_bytes(),
            pos: 0,
            rng,
            wide: attempt % 2 == 1,
        }
        .alternation();
        if compiled.find(&sample).is_some() && !out.contains(&sample) {
            out.push(sample);
            if out.len() == count {
                break;
            }
        }
    }
    out
}

pub fn matches(regex: &Regex, text: &str) -> bool {
    compile(regex).is_ok_and(|r| r.find(text).is_some())
}

fn compile(regex: &Regex) -> Result<regress::Regex, regress::Error> {
    regress::Regex::with_flags(&regex.source, if regex.caseless { "i" } else { "" })
}

fn from_test_url(url: &str, ip: &str) -> Option<Probe> {
    let parts = edgeroute::event::split_url(url).ok()?;
    if parts.host.is_empty() || parts.host.contains(['%', ' ']) {
        return None;
    }
    let target = match parts.query {
        Some(q) => format!("{}?{q}", parts.path),
        None => parts.path.to_owned(),
    };
    Some(Probe {
        host: parts.host.to_owned(),
        target,
        ip: ip.to_owned(),
        why: "golden test url".to_owned(),
    })
}

fn server_probes(server: &Server, rng: &mut Rng, out: &mut Vec<Probe>) {
    let (valid, invalid) = hosts(server, rng);
    let Some(host) = valid.first().cloned() else {
        return;
    };
    let server_ip = allowed_ip(server.block.access.as_deref());
    let push = |out: &mut Vec<Probe>, target: String, ip: &str, why: String| {
        out.push(Probe {
            host: host.clone(),
            target,
            ip: ip.to_owned(),
            why,
        });
    };
    for h in valid.iter().chain(&invalid) {
        out.push(Probe {
            host: h.clone(),
            target: "/a.js".to_owned(),
            ip: server_ip.clone(),
            why: format!("host `{}`", server.label),
        });
    }
    let mut base = Vec::new();
    for location in &server.locations {
        let effective = location
            .block
            .access
            .as_ref()
            .or(server.block.access.as_ref());
        let ip = allowed_ip(effective.map(Vec::as_slice));
        let paths = location_paths(&location.kind, rng);
        base.extend(paths.iter().take(1).cloned());
        for path in &paths {
            push(
                out,
                path.clone(),
                &ip,
                format!("location `{}`", location.text),
            );
        }
        if effective.is_some()
            && let Some(path) = paths.first()
        {
            let ip = denied_ip(effective.map(Vec::as_slice));
            push(
                out,
                path.clone(),
                &ip,
                format!("denied at `{}`", location.text),
            );
        }
        for path in rewrite_paths(&location.block, rng) {
            push(out, path, &ip, format!("rewrite in `{}`", location.text));
        }
    }
    for path in rewrite_paths(&server.block, rng) {
        push(out, path, &server_ip, "server rewrite".to_owned());
    }
    let first = base.first().cloned().unwrap_or_else(|| "/a.js".to_owned());
    for (target, why) in normalization(&first) {
        push(out, target, &server_ip, why.to_owned());
    }
    for (i, path) in base.iter().enumerate().take(4) {
        let query = ["?a=1&b=x", "?", "?b=2&b=3&c", "?q=%20x"][i];
        push(
            out,
            format!("{path}{query}"),
            &server_ip,
            "query".to_owned(),
        );
    }
}

/// Hosts that should reach the server (first: the one the path probes use), and hosts made
/// from its patterns that should not.
fn hosts(server: &Server, rng: &mut Rng) -> (Vec<String>, Vec<String>) {
    let (mut valid, mut invalid) = (Vec::new(), Vec::new());
    for name in &server.names {
        match name {
            ServerName::Exact(h) => {
                valid.push(h.clone());
                valid.push(format!("{}.:8080", h.to_ascii_uppercase()));
            }
            ServerName::Leading(suffix) => {
                valid.push(format!("a{suffix}"));
                valid.push(format!("x.y{suffix}"));
                invalid.push(suffix[1..].to_owned());
            }
            ServerName::Trailing(prefix) => {
                valid.push(format!("{prefix}com"));
                valid.push(format!("{prefix}co.uk"));
                invalid.push(prefix.trim_end_matches('.').to_owned());
            }
            ServerName::Pattern {
                text,
                regex,
                params,
            } if !text.starts_with('~') => {
                pattern_hosts(text, params, rng, &mut valid, &mut invalid);
                let _ = regex;
            }
            ServerName::Pattern { regex, .. } => {
                let inner = Regex {
                    source: regex
                        .source
                        .trim_start_matches('^')
                        .trim_end_matches('$')
                        .to_owned(),
                    ..regex.clone()
                };
                for sample in regex_samples(&inner, rng, 2) {
                    let host = sample.to_ascii_lowercase();
                    if host_ok(&host) && matches(regex, &host) {
                        valid.push(host);
                    }
                }
                invalid.push("nomatch.invalid".to_owned());
            }
        }
    }
    invalid.push("bad..host".to_owned());
    invalid.push(format!("{}.example.com", "a".repeat(64)));
    (valid, invalid)
}

fn host_ok(host: &str) -> bool {
    !host.is_empty()
        && host.len() < 200
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
        && !host.contains("..")
        && !host.starts_with('.')
        && host.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

/// `{id}.group1.example.com`: every param a valid label, then each param in turn made invalid.
fn pattern_hosts(
    text: &str,
    params: &[edgeroute::model::GroupParam],
    rng: &mut Rng,
    valid: &mut Vec<String>,
    invalid: &mut Vec<String>,
) {
    let labels: Vec<String> = text.split('.').map(str::to_ascii_lowercase).collect();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for label in &labels {
        let param = label.strip_prefix('{').and_then(|l| l.strip_suffix('}'));
        let check = param.and_then(|name| {
            params
                .iter()
                .find(|p| {
                    p.name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
                .and_then(|p| p.check.clone())
        });
        match check {
            Some(check) => {
                let samples: Vec<String> = regex_samples(&check, rng, 2)
                    .into_iter()
                    .map(|s| s.to_ascii_lowercase())
                    .filter(|s| host_ok(s) && !s.contains('.') && matches(&check, s))
                    .collect();
                good.push(samples);
                let wrong = ["x_y", "-a", "zz", "9", "a-", "ab-cd", "pr-x"]
                    .into_iter()
                    .find(|w| !matches(&check, w))
                    .unwrap_or("x_y");
                bad.push(Some(wrong.to_owned()));
            }
            None => {
                good.push(vec![label.clone()]);
                bad.push(None);
            }
        }
    }
    if good.iter().any(Vec::is_empty) {
        return;
    }
    for pick in 0..2 {
        let host: Vec<&str> = good
            .iter()
            .map(|s| s[pick.min(s.len() - 1)].as_str())
            .collect();
        valid.push(host.join("."));
    }
    for (i, wrong) in bad.iter().enumerate() {
        if let Some(wrong) = wrong {
            let mut host: Vec<&str> = good.iter().map(|s| s[0].as_str()).collect();
            host[i] = wrong;
            invalid.push(host.join("."));
        }
    }
}

fn location_paths(kind: &LocationKind, rng: &mut Rng) -> Vec<String> {
    match kind {
        LocationKind::Exact(p) => {
            let mut out = vec![
                encode(p),
                encode(&format!("{p}/")),
                encode(&format!("{p}x")),
            ];
            if p.to_ascii_uppercase() != *p {
                out.push(encode(&p.to_ascii_uppercase()));
            }
            out
        }
        LocationKind::Prefix { path, .. } if path == "/" => {
            ["/", "/a.js", "/deep/page", "/sub/", "/index.html"]
                .map(str::to_owned)
                .to_vec()
        }
        LocationKind::Prefix { path, .. } => {
            let p = path.as_str();
            let shorter = &p[..p.len() - 1];
            let mut out = vec![encode(p)];
            if p.ends_with('/') {
                out.extend([
                    format!("{p}a.js"),
                    format!("{p}deep/page"),
                    format!("{p}sub/"),
                    shorter.to_owned(),
                    format!("{shorter}x/y.css"),
                ]);
            } else {
                out.extend([
                    format!("{p}/a.css"),
                    format!("{p}/deep/page"),
                    format!("{p}foo"),
                    format!("{p}.js"),
                    format!("{shorter}/z.js"),
                ]);
            }
            out.into_iter()
                .filter(|s| !s.is_empty())
                .map(|s| encode(&s))
                .collect()
        }
        LocationKind::Regex(regex) => regex_paths(regex, rng),
    }
}

/// Samples that match (made into paths, checked again) and near misses that do not.
fn regex_paths(regex: &Regex, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    let mut misses = Vec::new();
    for sample in regex_samples(regex, rng, 3) {
        let path = if sample.starts_with('/') {
            sample
        } else {
            format!("/x/{sample}")
        };
        if !path_ok(&path) || !matches(regex, &path) {
            continue;
        }
        for miss in [
            format!("{path}x"),
            format!("{path}/"),
            path[..path.len() - 1].to_owned(),
            path.to_ascii_uppercase(),
        ] {
            if !miss.is_empty() && path_ok(&miss) && !matches(regex, &miss) {
                misses.push(encode(&miss));
                break;
            }
        }
        out.push(encode(&path));
    }
    out.extend(misses);
    out
}

fn rewrite_paths(block: &Block, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    for rule in &block.rewrites {
        let Some(regex) = &rule.regex else { continue };
        for sample in regex_samples(regex, rng, 2) {
            let path = if sample.starts_with('/') {
                sample
            } else {
                format!("/{sample}")
            };
            if path_ok(&path) && matches(regex, &path) {
                out.push(encode(&path));
            }
        }
    }
    out
}

/// A path whose normalized form is itself: no dot segment, no empty segment, no control chars.
fn path_ok(path: &str) -> bool {
    path.starts_with('/')
        && !path.contains("//")
        && path.split('/').all(|s| s != "." && s != "..")
        && !path.chars().any(|c| c.is_control() || !c.is_ascii())
}

/// Percent-encodes what a request line cannot carry as is.
fn encode(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// rules.md Safety and nginx-semantics.md §2: `//`, `.`, `..`, `%XX`, above root, bad escapes.
fn normalization(base: &str) -> Vec<(String, &'static str)> {
    let rest = base.trim_start_matches('/');
    let mut out = vec![
        (format!("//{rest}"), "leading //"),
        (format!("/./{rest}"), "/./"),
        (format!("/zz/../{rest}"), "seg/.."),
        (format!("/zz/%2e%2e/{rest}"), "%2e%2e"),
        (format!("/../{rest}"), "above root"),
        (format!("/%2e%2e/{rest}"), "above root, encoded"),
        (format!("/{rest}/%00"), "%00"),
        ("/%zz".to_owned(), "bad escape"),
        ("/x%2".to_owned(), "short escape"),
        ("/caf%C3%A9.png".to_owned(), "UTF-8 escapes"),
        ("/caf\u{e9}.png".to_owned(), "raw UTF-8"),
        ("/sp%20ace.js".to_owned(), "%20"),
        ("/x%3Fy.js".to_owned(), "%3F"),
        ("/x%25y.js".to_owned(), "%25"),
        ("/a+b.js".to_owned(), "plus"),
        ("/%01x".to_owned(), "control char"),
        ("/deep/dir/..".to_owned(), "final .."),
        ("/deep/dir/.".to_owned(), "final ."),
    ];
    if let Some(c) = rest.chars().next().filter(char::is_ascii_alphanumeric) {
        out.push((format!("/%{:02X}{}", c as u32, &rest[1..]), "%XX letter"));
    }
    if let Some(i) = rest.find('/') {
        out.push((format!("/{}%2F{}", &rest[..i], &rest[i + 1..]), "%2F"));
        out.push((format!("/{}//{}", &rest[..i], &rest[i + 1..]), "inner //"));
    }
    out
}

/// An address the list admits (the first `allow` entry's network + 1), else the default.
pub fn allowed_ip(list: Option<&[AccessEntry]>) -> String {
    let Some(list) = list else {
        return DEFAULT_IP.to_owned();
    };
    for entry in list.iter().filter(|e| e.allow) {
        let Some(net) = entry.net else {
            return DEFAULT_IP.to_owned();
        };
        let ip = host_in(&net);
        if admits(list, &ip) {
            return ip.to_string();
        }
    }
    DEFAULT_IP.to_owned()
}

/// An address the list denies, if it can find one.
pub fn denied_ip(list: Option<&[AccessEntry]>) -> String {
    let list = list.unwrap_or_default();
    let candidates = ["198.51.100.10", "203.0.113.9", "2001:db9::1", "10.200.0.1"];
    let mut extra: Vec<std::net::IpAddr> = list
        .iter()
        .filter(|e| !e.allow)
        .filter_map(|e| e.net.map(|n| host_in(&n)))
        .collect();
    extra.extend(
        candidates
            .iter()
            .filter_map(|c| c.parse::<std::net::IpAddr>().ok()),
    );
    extra
        .into_iter()
        .find(|ip| !admits(list, ip))
        .map_or_else(|| candidates[0].to_owned(), |ip| ip.to_string())
}

fn host_in(net: &ipnet::IpNet) -> std::net::IpAddr {
    match net {
        ipnet::IpNet::V4(n) if n.prefix_len() < 32 => {
            std::net::IpAddr::V4((u32::from(n.network()) + 1).into())
        }
        ipnet::IpNet::V6(n) if n.prefix_len() < 128 => {
            std::net::IpAddr::V6((u128::from(n.network()) + 1).into())
        }
        n => n.addr(),
    }
}

/// rules.md: the first entry that matches decides; none matching denies.
fn admits(list: &[AccessEntry], ip: &std::net::IpAddr) -> bool {
    list.iter()
        .find(|e| e.net.is_none_or(|n| n.contains(ip)))
        .is_some_and(|e| e.allow)
}

/// Builds one string the regex (ECMAScript source, the translated subset) may match.
struct Sampler<'a> {
    src: &'a [u8],
    pos: usize,
    rng: &'a mut Rng,
    /// Take more repetitions and later alternatives.
    wide: bool,
}

impl Sampler<'_> {
    fn alternation(&mut self) -> String {
        let mut branches = vec![self.sequence()];
        while self.peek() == Some(b'|') {
            self.pos += 1;
            branches.push(self.sequence());
        }
        let i = self.rng.below(branches.len());
        branches.swap_remove(i)
    }

    fn sequence(&mut self) -> String {
        let mut out = String::new();
        while let Some(b) = self.peek() {
            if b == b'|' || b == b')' {
                break;
            }
            let atom = self.atom();
            let (min, max) = self.quantifier();
            let extra = if self.wide { 2 } else { 1 };
            let count = min + self.rng.below(max.min(min + extra) - min + 1);
            for _ in 0..count {
                out.push_str(&atom);
            }
        }
        out
    }

    fn atom(&mut self) -> String {
        let b = self.src[self.pos];
        self.pos += 1;
        match b {
            b'^' | b'$' => String::new(),
            b'.' => "a".to_owned(),
            b'(' => {
                let lookaround = self.src[self.pos..].starts_with(b"?=")
                    || self.src[self.pos..].starts_with(b"?!");
                if self.src[self.pos..].starts_with(b"?") {
                    self.pos += 2;
                }
                let inner = self.alternation();
                if self.peek() == Some(b')') {
                    self.pos += 1;
                }
                if lookaround { String::new() } else { inner }
            }
            b'[' => self.class(),
            b'\\' => self.escape(),
            _ => (b as char).to_string(),
        }
    }

    fn escape(&mut self) -> String {
        let Some(&b) = self.src.get(self.pos) else {
            return String::new();
        };
        self.pos += 1;
        match b {
            b'd' => (*self.rng.pick(&["1", "7", "42"])).to_owned(),
            b'w' => (*self.rng.pick(&["a", "z", "k9"])).to_owned(),
            b'D' | b'W' | b'S' => "-".to_owned(),
            b'b' | b'B' => String::new(),
            b't' => "\t".to_owned(),
            b'n' | b'r' | b'f' | b'v' => "\n".to_owned(),
            b'x' => {
                let hex = std::str::from_utf8(&self.src[self.pos..self.pos + 2]).unwrap_or("61");
                self.pos += 2;
                char::from(u8::from_str_radix(hex, 16).unwrap_or(b'a')).to_string()
            }
            _ => (b as char).to_string(),
        }
    }

    /// A class: a char from its ranges, or for `[^…]` a common char outside it.
    fn class(&mut self) -> String {
        let negated = self.peek() == Some(b'^');
        if negated {
            self.pos += 1;
        }
        let mut ranges: Vec<(u8, u8)> = Vec::new();
        let mut first = true;
        while let Some(b) = self.peek() {
            if b == b']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            self.pos += 1;
            let lo = if b == b'\\' {
                self.class_escape(&mut ranges)
            } else {
                Some(b)
            };
            let Some(lo) = lo else { continue };
            if self.peek() == Some(b'-') && self.src.get(self.pos + 1).is_some_and(|&n| n != b']') {
                self.pos += 1;
                let mut hi = self.src[self.pos];
                self.pos += 1;
                if hi == b'\\' {
                    hi = self.src.get(self.pos).copied().unwrap_or(lo);
                    self.pos += 1;
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        let inside = |c: u8| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi);
        if negated {
            let pool = b"axk1Z_-q9";
            let start = self.rng.below(pool.len());
            return (0..pool.len())
                .map(|i| pool[(start + i) % pool.len()])
                .find(|&c| !inside(c))
                .map_or_else(String::new, |c| (c as char).to_string());
        }
        if ranges.is_empty() {
            return String::new();
        }
        let (lo, hi) = ranges[self.rng.below(ranges.len())];
        let c = lo + self.rng.below(usize::from(hi - lo) + 1).min(25) as u8;
        (c.min(hi) as char).to_string()
    }

    /// An escape inside a class: a single char, or ranges added for `\d`, `\w`.
    fn class_escape(&mut self, ranges: &mut Vec<(u8, u8)>) -> Option<u8> {
        let b = *self.src.get(self.pos)?;
        self.pos += 1;
        match b {
            b'd' => {
                ranges.push((b'0', b'9'));
                None
            }
            b'w' => {
                ranges.extend([(b'a', b'z'), (b'0', b'9'), (b'_', b'_')]);
                None
            }
            b'D' | b'W' | b'S' => {
                ranges.push((b'-', b'-'));
                None
            }
            b't' => Some(b'\t'),
            b'n' | b'r' | b'f' | b'v' => Some(b'\n'),
            b'x' => {
                let hex = std::str::from_utf8(self.src.get(self.pos..self.pos + 2)?).ok()?;
                self.pos += 2;
                u8::from_str_radix(hex, 16).ok()
            }
            _ => Some(b),
        }
    }

    /// `(min, max)` of a quantifier after an atom (a lazy `?` after it is skipped).
    fn quantifier(&mut self) -> (usize, usize) {
        let q = match self.peek() {
            Some(b'*') => (0, 3),
            Some(b'+') => (1, 3),
            Some(b'?') => (0, 1),
            Some(b'{') => {
                let end = self.src[self.pos..].iter().position(|&b| b == b'}');
                let Some(end) = end else { return (1, 1) };
                let body =
                    std::str::from_utf8(&self.src[self.pos + 1..self.pos + end]).unwrap_or("");
                let (lo, hi) = match body.split_once(',') {
                    Some((lo, "")) => (
                        lo.parse().unwrap_or(1),
                        lo.parse::<usize>().unwrap_or(1) + 2,
                    ),
                    Some((lo, hi)) => (lo.parse().unwrap_or(1), hi.parse().unwrap_or(1)),
                    None => (body.parse().unwrap_or(1), body.parse().unwrap_or(1)),
                };
                self.pos += end;
                (lo, hi.max(lo))
            }
            _ => return (1, 1),
        };
        self.pos += 1;
        if self.peek() == Some(b'?') {
            self.pos += 1;
        }
        q
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }
}
