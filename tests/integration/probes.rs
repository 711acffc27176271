//! Probe requests derived from a rule set: hosts for every server-name pattern (valid and invalid
//! params), paths for every location (each prefix and its boundaries, each exact path, regex
//! samples that match and that do not), samples for rewrite regexes, and normalization cases;
//! and the request forms of issue 13: viewers in every IPv4-mapped and uncompressed form and a
//! junk one, hosts with a final newline, `ſ`, the Kelvin sign or `%2e%2e`, header, cookie and
//! query values with `&`, `;`, `#`, spaces and non-ASCII, and paths and values that would name
//! another tenant (`-2/secret.js` after a param). What nginx cannot receive as the function does
//! is marked ([`Probe::not_for_nginx`]) and compared between the engines only.

use edgeroute::harness::event::Request;
use edgeroute::model::{
    AccessEntry, Block, DEFAULT_IP, LocationKind, Part, Regex, Rules, Server, ServerName, Value,
    Var,
};

use crate::oracle::HttpRequest;
use crate::rulegen::Rng;
use edgeroute::review::probes::{encode, location_paths, path_ok};
pub use edgeroute::review::probes::{matches, regex_samples};

/// One request, sent to the function and to nginx alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The Host header as written.
    pub host: String,
    /// Path and query, raw, as the request line carries them.
    pub target: String,
    pub ip: String,
    /// Request headers other than Host (names in lower case).
    pub headers: Vec<(String, String)>,
    pub cookies: Vec<(String, String)>,
    /// What the probe is for, for reports.
    pub why: String,
}

impl Probe {
    /// A probe with no headers or cookies.
    pub fn new(host: &str, target: &str, ip: &str, why: String) -> Probe {
        Probe {
            host: host.to_owned(),
            target: target.to_owned(),
            ip: ip.to_owned(),
            headers: Vec::new(),
            cookies: Vec::new(),
            why,
        }
    }

    pub fn request(&self) -> Request {
        let mut req = Request::get(&format!("https://{}{}", self.host, self.target));
        req.ip = self.ip.clone();
        req.headers = self.headers.clone();
        req.cookies = self.cookies.clone();
        req
    }

    pub fn http(&self) -> HttpRequest {
        HttpRequest {
            host: self.host.clone(),
            target: self.target.clone(),
            ip: self.ip.clone(),
            headers: self.headers.clone(),
            cookies: self.cookies.clone(),
        }
    }

    /// Why nginx cannot receive this request as the function does, if it cannot: a raw line break
    /// or other control char in the Host, the request line or a header (HTTP/1.1 has no way to
    /// carry one); a cookie value with `;` (it would be two cookies); a viewer address that is no
    /// address at all (realip ignores it and nginx keeps the connection's own). Such probes are
    /// compared between the engines only.
    pub fn not_for_nginx(&self) -> Option<&'static str> {
        let control = |s: &str| s.chars().any(|c| c.is_control());
        if control(&self.host) {
            return Some("a control char in the Host");
        }
        if control(&self.target) || self.target.contains(' ') {
            return Some("a control char or space in the request line");
        }
        if self
            .headers
            .iter()
            .chain(&self.cookies)
            .any(|(n, v)| control(n) || control(v))
        {
            return Some("a control char in a header");
        }
        if self
            .cookies
            .iter()
            .any(|(n, v)| v.contains(';') || n.contains(['=', ';', ' ']))
        {
            return Some("a cookie that one Cookie header cannot carry");
        }
        if self.ip.parse::<std::net::IpAddr>().is_err() {
            return Some("a viewer address that is not an address");
        }
        None
    }
}

/// Every probe for `rules`, deduplicated, in a stable order; at most `limit` (a seeded sample
/// that keeps the rules' own test URLs).
pub fn probes(rules: &Rules, seed: u64, limit: usize) -> Vec<Probe> {
    let mut rng = Rng::new(seed ^ 0x5eed);
    let mut out = Vec::new();
    for case in &rules.tests {
        if let Some(mut probe) = from_test_url(&case.url, &case.ip) {
            probe.headers = case.headers.clone();
            probe.cookies = case.cookies.clone();
            out.push(probe);
        }
    }
    // probes for the blocks that read request data or put it after a param: kept like the
    // golden URLs (at most a quarter of `limit`), so every set that has such a rule runs it
    let mut keep = Vec::new();
    let mut rest = Vec::new();
    for server in &rules.servers {
        server_probes(server, &mut rng, &mut rest, &mut keep);
    }
    while keep.len() > limit / 4 {
        let i = rng.below(keep.len());
        rest.push(keep.swap_remove(i));
    }
    let fixed = out.len() + keep.len();
    out.extend(keep);
    out.extend(rest);
    let mut seen = std::collections::HashSet::new();
    let mut kept = 0;
    let mut index = 0;
    out.retain(|p| {
        let new = seen.insert((
            p.host.clone(),
            p.target.clone(),
            p.ip.clone(),
            p.headers.clone(),
            p.cookies.clone(),
        ));
        kept += usize::from(new && index < fixed);
        index += 1;
        new
    });
    let fixed = kept;
    if out.len() > limit {
        let mut rest = out.split_off(fixed.min(out.len()));
        while out.len() < limit && !rest.is_empty() {
            let i = rng.below(rest.len());
            out.push(rest.swap_remove(i));
        }
    }
    out
}

fn from_test_url(url: &str, ip: &str) -> Option<Probe> {
    let parts = edgeroute::harness::event::split_url(url).ok()?;
    if parts.host.is_empty() || parts.host.contains(['%', ' ']) {
        return None;
    }
    let target = match parts.query {
        Some(q) => format!("{}?{q}", parts.path),
        None => parts.path.to_owned(),
    };
    Some(Probe::new(
        parts.host,
        &target,
        ip,
        "golden test url".to_owned(),
    ))
}

/// Whether a value of the block reads request data (`$http_*`, `$cookie_*`, `$arg_*`, `$args`,
/// `$request_uri`) or could cross the tenant boundary (a param followed by a variable or ending
/// an alias, a value that starts with a capture).
fn reads_request(block: &Block) -> bool {
    let mut values: Vec<&Value> = Vec::new();
    values.extend(&block.root);
    values.extend(&block.alias);
    values.extend(block.headers.iter().flatten().map(|(_, v)| v));
    for rule in &block.rewrites {
        values.push(&rule.path);
        values.extend(rule.query.as_ref().map(|q| &q.value));
    }
    values.extend(block.ret.iter().filter_map(|r| r.value.as_ref()));
    values.extend(
        block
            .try_files
            .iter()
            .flat_map(|t| t.candidates.iter().map(|c| &c.value)),
    );
    values.iter().any(|v| {
        let request = v.parts.iter().any(|p| {
            matches!(
                p,
                Part::Var(
                    Var::Http(_) | Var::Cookie(_) | Var::Arg(_) | Var::Args | Var::RequestUri
                )
            )
        });
        let param_then = v
            .parts
            .windows(2)
            .any(|w| matches!(w, [Part::Var(Var::Param(_)), Part::Var(_)]))
            || matches!(v.parts.last(), Some(Part::Var(Var::Param(_))));
        let starts = matches!(
            v.parts.first(),
            Some(Part::Var(Var::Capture(_) | Var::Named(_)))
        );
        request || param_then || starts
    })
}

fn server_probes(server: &Server, rng: &mut Rng, out: &mut Vec<Probe>, keep: &mut Vec<Probe>) {
    let (valid, invalid) = hosts(server, rng);
    // the path probes' host: one that sets every param the server declares, when there is one
    let host = valid
        .iter()
        .find(|h| sets_every_param(server, h))
        .or(valid.first());
    let Some(host) = host.cloned() else {
        return;
    };
    let server_ip = allowed_ip(server.block.access.as_deref());
    let push = |out: &mut Vec<Probe>, target: String, ip: &str, why: String| {
        out.push(Probe::new(&host, &target, ip, why));
    };
    for h in valid.iter().chain(&invalid) {
        out.push(Probe::new(
            h,
            "/a.js",
            &server_ip,
            format!("host `{}`", server.label),
        ));
    }
    let mut base = Vec::new();
    // each location's first path and the list that guards it, for the viewer and data probes
    let mut guarded: Vec<(String, Option<&[AccessEntry]>)> = Vec::new();
    let mut crossing = Vec::new();
    let mut data_paths = Vec::new();
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
        let reads = reads_request(&location.block) || reads_request(&server.block);
        if let Some(path) = paths.first() {
            guarded.push((path.clone(), effective.map(Vec::as_slice)));
            data_paths.push((path.clone(), ip.clone(), reads));
        }
        for path in crossing_paths(&location.kind, &location.block, rng) {
            crossing.push((path, ip.clone(), format!("`{}`", location.text), reads));
        }
        for path in rewrite_paths(&location.block, rng) {
            data_paths.push((path.clone(), ip.clone(), reads));
            push(out, path, &ip, format!("rewrite in `{}`", location.text));
        }
    }
    let reads = reads_request(&server.block);
    for path in rewrite_paths(&server.block, rng) {
        data_paths.push((path.clone(), server_ip.clone(), reads));
        push(out, path, &server_ip, "server rewrite".to_owned());
    }
    for path in crossing_rewrite_paths(&server.block, rng) {
        let at = "the server's rewrite".to_owned();
        crossing.push((path, server_ip.clone(), at, reads));
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
    viewer_probes(&host, &guarded, &first, rng, out);
    host_probes(&host, &first, &server_ip, out);
    let lists = [out, keep];
    for (path, ip, reads) in &data_paths {
        let data = &DATA[rng.below(DATA.len() - 1)];
        let probe = data.probe(&host, path, ip, format!("{} at {path}", data.why));
        lists[usize::from(*reads)].push(probe);
    }
    let across = DATA.last().expect("listed");
    for (path, ip, at, reads) in crossing {
        let what = if path.contains("admin") {
            "a capture holding `&admin=1`"
        } else {
            "the tenant boundary"
        };
        let plain = Probe::new(&host, &path, &ip, format!("{what} at {at}"));
        let probe = across.probe(&host, &path, &ip, format!("{} at {at}", across.why));
        lists[usize::from(reads)].push(plain);
        lists[usize::from(reads)].push(probe);
    }
    if let Some((path, ip, reads)) = data_paths.first() {
        let probe = across.probe(&host, path, ip, across.why.to_owned());
        lists[usize::from(*reads)].push(probe);
    }
}

/// Request data for probes (issue 13): header, cookie and query values with `&`, `;`, `=`, `+`,
/// `#`, spaces and non-ASCII, as rewrite targets' query strings and try_files candidates
/// (`$http_user_agent`, `$cookie_sid`, `$arg_f`, `$http_x_file`, `$cookie_f`) take them. The last
/// one names another tenant (`-2/secret.js` after a param).
struct Data {
    why: &'static str,
    headers: &'static [(&'static str, &'static str)],
    cookies: &'static [(&'static str, &'static str)],
    query: &'static str,
}

const DATA: &[Data] = &[
    Data {
        why: "request data with `&` and `=`",
        headers: &[("user-agent", "x&admin=1"), ("x-file", "/a.js")],
        cookies: &[("sid", "s&admin=1"), ("f", "/c.js")],
        query: "f=/b.js&q=x%26y",
    },
    Data {
        why: "a browser's User-Agent",
        headers: &[(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        )],
        // names in another case, and a repeated argument (the first one counts)
        cookies: &[("SID", "a b+c"), ("f", "/d e.js")],
        query: "F=/caf%C3%A9.js&q=a+b;c&f=/e.js",
    },
    Data {
        why: "non-ASCII request data",
        headers: &[
            ("user-agent", "caf\u{e9} \u{20ac} #1"),
            ("x-file", "/\u{e9}t\u{e9}.js"),
        ],
        cookies: &[("sid", "\u{e9}t\u{e9} x"), ("f", "/z.js")],
        query: "q=%E2%82%AC&f=/%C3%A9.js",
    },
    Data {
        why: "request data with `;` and `#`",
        headers: &[("user-agent", "a;b#c"), ("x-file", "/x;y.js")],
        cookies: &[("sid", "k#1"), ("f", "/f#g.js")],
        query: "f=/u;v.js&q=%23",
    },
    Data {
        why: "request data naming another tenant",
        headers: &[("user-agent", "x"), ("x-file", "-2/secret.js")],
        cookies: &[("sid", "x"), ("f", "-2/secret.js")],
        query: "f=-2/secret.js",
    },
];

impl Data {
    fn probe(&self, host: &str, path: &str, ip: &str, why: String) -> Probe {
        let target = match path.split_once('?') {
            Some(_) => format!("{path}&{}", self.query),
            None => format!("{path}?{}", self.query),
        };
        let own = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect()
        };
        Probe {
            headers: own(self.headers),
            cookies: own(self.cookies),
            ..Probe::new(host, &target, ip, why)
        }
    }
}

/// Paths that make a location's own path, capture or rest start with `-2/`: after a param in
/// root or alias (`alias: /$id` on `/files/`, `/$id$1`), they would name tenant `ID-2`; and
/// paths whose captures hold `&admin=1`.
fn crossing_paths(kind: &LocationKind, block: &Block, rng: &mut Rng) -> Vec<String> {
    let mut out = match kind {
        LocationKind::Prefix { path, .. } if path != "/" => vec![format!("{path}-2/secret.js")],
        LocationKind::Regex(regex) => crossing_samples(regex, rng),
        _ => Vec::new(),
    };
    out.extend(crossing_rewrite_paths(block, rng));
    out
}

fn crossing_rewrite_paths(block: &Block, rng: &mut Rng) -> Vec<String> {
    block
        .rewrites
        .iter()
        .filter_map(|r| r.regex.as_ref())
        .flat_map(|regex| crossing_samples(regex, rng))
        .collect()
}

/// A sample of the regex with `-2/secret.js` after it (or after its last `/`) that still matches;
/// and one with `&admin=1` after its last `/`, for captures put into a query string.
fn crossing_samples(regex: &Regex, rng: &mut Rng) -> Vec<String> {
    let mut out = Vec::new();
    for sample in regex_samples(regex, rng, 2) {
        let sample = if sample.starts_with('/') {
            sample
        } else {
            format!("/{sample}")
        };
        let cut = &sample[..sample.rfind('/').map_or(0, |i| i + 1)];
        for path in [
            format!("{sample}-2/secret.js"),
            format!("{cut}-2/secret.js"),
        ] {
            if path_ok(&path) && matches(regex, &path) && !out.contains(&path) {
                out.push(encode(&path));
                break;
            }
        }
        let marked = format!("{cut}&admin=1{}", &sample[cut.len()..]);
        if path_ok(&marked) && matches(regex, &marked) && !out.contains(&marked) {
            out.push(encode(&marked));
        }
    }
    out
}

/// Each textual form of an address (rules.md "Safety": every IPv4-mapped form is IPv4): for IPv4,
/// `::ffff:a.b.c.d`, `::ffff:hhhh:hhhh`, `0:0:0:0:0:ffff:a.b.c.d`, upper case and uncompressed,
/// and the look-alikes that are IPv6 (`::a.b.c.d`, `::ffff:0:a.b.c.d`); for IPv6, uncompressed
/// and upper case.
pub fn address_forms(ip: &str) -> Vec<String> {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => {
            let [a, b, c, d] = v4.octets();
            let hi = u16::from_be_bytes([a, b]);
            let lo = u16::from_be_bytes([c, d]);
            vec![
                format!("::ffff:{v4}"),
                format!("::ffff:{hi:x}:{lo:x}"),
                format!("0:0:0:0:0:ffff:{v4}"),
                format!("::FFFF:{hi:X}:{lo:X}"),
                format!("0000:0000:0000:0000:0000:FFFF:{hi:04X}:{lo:04X}"),
                // not IPv4-mapped: IPv4-compatible and IPv4-translated are IPv6 addresses
                format!("::{v4}"),
                format!("::ffff:0:{v4}"),
            ]
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            let groups = v6.segments().map(|g| format!("{g:04x}"));
            vec![groups.join(":"), v6.to_string().to_ascii_uppercase()]
        }
        Err(_) => Vec::new(),
    }
}

/// For each guarded location: two forms of an address its list admits and two of one it denies;
/// and one junk viewer address of 300 chars (compared between engines only).
fn viewer_probes(
    host: &str,
    guarded: &[(String, Option<&[AccessEntry]>)],
    first: &str,
    rng: &mut Rng,
    out: &mut Vec<Probe>,
) {
    for (path, list) in guarded.iter().filter(|(_, l)| l.is_some()) {
        for ip in [allowed_ip(*list), denied_ip(*list)] {
            let mut forms = address_forms(&ip);
            for _ in 0..2.min(forms.len()) {
                let form = forms.swap_remove(rng.below(forms.len()));
                out.push(Probe::new(
                    host,
                    path,
                    &form,
                    format!("viewer {form} ({ip})"),
                ));
            }
        }
    }
    let junk = "1.2.3.4:".repeat(38)[..300].to_owned();
    out.push(Probe::new(
        host,
        first,
        &junk,
        "a junk viewer address".to_owned(),
    ));
}

/// Host forms no engine may read differently (rules.md "Safety"): a final newline, `ſ` (U+017F)
/// and the Kelvin sign (U+212A), which Unicode case folding makes `s` and `k`, `%2e%2e`, upper
/// case; and a path ending in a newline.
fn host_probes(host: &str, first: &str, ip: &str, out: &mut Vec<Probe>) {
    let swap = |from: char, to: char| match host.find(from) {
        Some(i) => format!("{}{to}{}", &host[..i], &host[i + 1..]),
        None => format!("{to}{host}"),
    };
    for (h, why) in [
        (format!("{host}\n"), "a Host ending in a newline"),
        (swap('s', '\u{17f}'), "a Host with `ſ`"),
        (swap('k', '\u{212a}'), "a Host with the Kelvin sign"),
        (
            format!("\u{17f}{host}"),
            "a Host whose first label starts with `ſ`",
        ),
        (
            format!("\u{212a}{host}"),
            "a Host whose first label starts with the Kelvin sign",
        ),
        (format!("%2e%2e.{host}"), "a Host with `%2e%2e`"),
        (host.to_ascii_uppercase(), "an upper-case Host"),
    ] {
        out.push(Probe::new(&h, first, ip, why.to_owned()));
    }
    out.push(Probe::new(
        host,
        &format!("{first}\n"),
        ip,
        "a path ending in a newline".to_owned(),
    ));
    out.push(Probe::new(
        host,
        &format!("{first}%0A"),
        ip,
        "a path ending in %0A".to_owned(),
    ));
}

/// Whether the server's first name that matches `host` (exact names first) sets every param the
/// server declares.
fn sets_every_param(server: &Server, host: &str) -> bool {
    let declared: Vec<&str> = server
        .names
        .iter()
        .flat_map(|n| match n {
            ServerName::Pattern { params, .. } => {
                params.iter().filter_map(|p| p.name.as_deref()).collect()
            }
            _ => Vec::new(),
        })
        .collect();
    let exact = server
        .names
        .iter()
        .any(|n| matches!(n, ServerName::Exact(e) if e.eq_ignore_ascii_case(host)));
    let set: Vec<&str> = match server.names.iter().find_map(|n| match n {
        ServerName::Pattern { regex, params, .. } if !exact && matches(regex, host) => Some(params),
        _ => None,
    }) {
        Some(params) => params.iter().filter_map(|p| p.name.as_deref()).collect(),
        None => Vec::new(),
    };
    declared.iter().all(|d| set.contains(d))
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
