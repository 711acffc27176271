//! An `arbitrary` model of the rules format (servers, names, params, locations, directives, tests),
//! rendered as YAML text for the structured fuzz targets.
//!
//! Every value is a [`Val`]: a word of the format's vocabulary (the `WORDS` tables below, taken from
//! rules.md and the fixtures), two words joined, or free text. [`Mode::Loose`] renders free text as
//! it is, to probe validation; [`Mode::Valid`] replaces it with a word, and always gives a server a
//! root, so that most files validate and go on through compile, gate and the golden run.

use std::fmt::Write as _;

use arbitrary::Arbitrary;

/// How values are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Vocabulary and free text: most files parse, many are invalid.
    Loose,
    /// Vocabulary only, a root on every server, no stray keys: most files are valid.
    Valid,
}

/// A value: mostly the format's vocabulary, sometimes anything.
#[derive(Debug, Arbitrary)]
pub enum Val {
    Word(u8),
    Other(u8),
    Join(u8, u8),
    Free(String),
}

/// A vocabulary: in [`Mode::Valid`] only the first `good` words (the rest are wrong on purpose).
pub struct Table {
    words: &'static [&'static str],
    good: usize,
}

impl Table {
    const fn new(words: &'static [&'static str], good: usize) -> Table {
        Table { words, good }
    }
}

impl Val {
    fn text(&self, table: &Table, mode: Mode) -> String {
        let n = match mode {
            Mode::Loose => table.words.len(),
            Mode::Valid => table.good.max(1),
        };
        let pick = |i: u8| table.words[usize::from(i) % n].to_owned();
        match self {
            Val::Word(i) | Val::Other(i) => pick(*i),
            Val::Join(a, b) if mode == Mode::Loose => format!("{}{}", pick(*a), pick(*b)),
            Val::Join(a, _) => pick(*a),
            Val::Free(s) if mode == Mode::Loose => s.clone(),
            Val::Free(s) => pick(s.len() as u8),
        }
    }
}

#[derive(Debug, Arbitrary)]
pub struct RulesFile {
    version: Option<Val>,
    runtime: Option<Val>,
    kvs: Option<bool>,
    servers: Vec<Server>,
    tests: Vec<Test>,
    stray: Option<(Val, Val)>,
}

#[derive(Debug, Arbitrary)]
pub struct Server {
    names: Vec<Val>,
    params: Vec<(Val, Val)>,
    default_server: Option<bool>,
    directives: Vec<Directive>,
    locations: Option<Vec<Location>>,
}

#[derive(Debug, Arbitrary)]
pub struct Location {
    location: Val,
    directives: Vec<Directive>,
}

#[derive(Debug, Arbitrary)]
pub enum Directive {
    Root(Val),
    Alias(Val),
    Index(Val),
    Rewrite(Val),
    Rewrites(Vec<Val>),
    Return(Val),
    TryFiles(Vec<Val>),
    Access(Vec<Val>),
    AddRequestHeaders(Vec<(Val, Val)>),
    Origin(Val),
    OriginDomain(Val),
    Allow(Vec<Val>),
    Unknown(Val, Val),
}

#[derive(Debug, Arbitrary)]
pub struct Test {
    host: Val,
    path: Val,
    method: Option<Val>,
    ip: Option<Val>,
    request_headers: Vec<(Val, Val)>,
    cookies: Vec<(Val, Val)>,
    expect: Vec<Expect>,
}

#[derive(Debug, Arbitrary)]
pub enum Expect {
    Uri(Val),
    Querystring(Val),
    Status(Val),
    Location(Val),
    Headers(Vec<(Val, Option<Val>)>),
    Matched(Val),
    Origin(Val),
    OriginDomain(Val),
}

const VERSIONS: Table = Table::new(&["1", "2", "1.0", "one", ""], 1);
const RUNTIMES: Table = Table::new(
    &[
        "cloudfront-js-1.0",
        "cloudfront-js-2.0",
        "cloudfront-js-3.0",
    ],
    2,
);
const SERVER_NAMES: Table = Table::new(
    &[
        "example.com",
        "www.example.com",
        "*.example.com",
        "www.example.*",
        ".example.org",
        "{id}.group1.example.com",
        "{id}.{group}.example.com",
        "{id}.group2.example.com",
        "~^(?<sub>[a-z]+)\\.example\\.net$",
        "{pr}.preview.example.com",
        "localhost",
        "_",
        "xn--bcher-kva.example",
        "EXAMPLE.COM",
        "~^www[0-9]+\\.example\\.net$",
        // wrong
        "pr-{n}.example.com",
        "a.}.example.com",
        "a..example.com",
        "~^www\\d+(\\.example\\.net$",
        "*.*.example.com",
    ],
    15,
);
const PARAM_NAMES: Table = Table::new(&["id", "group", "pr", "sub", "n", "x_1"], 3);
const PARAM_PATTERNS: Table = Table::new(
    &[
        "[a-z][a-z0-9]*-[0-9]+",
        "[a-z0-9]+",
        "pr-[0-9]+",
        "[0-9]{1,5}",
        "a|b",
        ".*",
        // wrong
        "(",
        "(?<inner>x)",
        "(?<=a)b",
    ],
    6,
);
const LOCATIONS: Table = Table::new(
    &[
        "/",
        "= /",
        "= /healthz",
        "^~ /assets/",
        "^~ /app2/assets",
        "/assets",
        "/app2",
        "/app2/",
        "/old/",
        "~ \\.php$",
        "~* \\.(png|jpe?g)$",
        "~ ^/(?<name>[a-z]+)/(.*)$",
        "~ ^/api/(v[0-9]+)/",
        "= /app4",
        "~* ^/DOCS",
        // wrong
        "~ (",
        "/a b",
        "assets",
        "=/x",
    ],
    15,
);
const PATHS: Table = Table::new(
    &[
        "/site",
        "/static/",
        "/$host",
        "/",
        "/site/$host",
        "/$id/app1",
        "/${id}/x",
        "/$1",
        "/$name/",
        "/$sub",
        "/$id$1",
        // wrong
        "relative",
        "/$undefined",
        "/site/../x",
    ],
    5,
);
const INDEXES: Table = Table::new(
    &[
        "index.html",
        "main.htm",
        "default.$host.html",
        "noext",
        "a/b.html",
    ],
    3,
);
const REWRITES: Table = Table::new(
    &[
        "^/old/(.*)$ /new/$1 permanent",
        "^/(.*)$ /x/$1 last",
        "^/a(.*) https://example.com/$1 redirect",
        "^/q /p?x=1",
        "^/z /y?",
        "^/(?<seg>[^/]+)/ /$seg/",
        "^/r /s",
        "^/(.*)$ $scheme://$host/$1",
        "^/t /u?a=$arg_a&b=$1",
        "^/b /c break",
        "/index.html",
        "/app2/index.html",
        // wrong
        "( /x",
        "^/v /w bogus",
        "^ $1",
    ],
    12,
);
const RETURNS: Table = Table::new(
    &[
        "200 ok",
        "204",
        "301 https://example.com$request_uri",
        "302 /elsewhere",
        "403",
        "404",
        "418 I'm a teapot $uri",
        "500",
        "599",
        "200 $http_user_agent",
        "308 $scheme://$host$uri",
        // wrong
        "600",
        "99",
        "301",
        "307 /$nope/",
    ],
    11,
);
const CANDIDATES: Table = Table::new(
    &[
        "$uri",
        "$uri/",
        "/index.html",
        "=404",
        "=200",
        "$uri/index.html",
        "/static/$host",
        // wrong
        "$uri.html",
        "/assets/$1",
        "=99",
        "relative",
    ],
    7,
);
const ACCESS: Table = Table::new(
    &[
        "allow 10.0.0.0/8",
        "allow 2001:db8::/32",
        "deny all",
        "allow all",
        "allow 192.0.2.7",
        "allow ::ffff:1.2.3.4",
        "allow 192.0.2.0/24",
        "deny 198.51.100.10",
        // wrong
        "deny 10.0.0.1/8",
        "allow 300.1.1.1",
        "permit all",
    ],
    8,
);
const HEADER_NAMES: Table = Table::new(
    &[
        "x-image",
        "x-app",
        "x-id",
        "X-Upper",
        "x-host",
        "host",
        "content-length",
        "x y",
    ],
    5,
);
const HEADER_VALUES: Table = Table::new(
    &[
        "1",
        "$http_user_agent",
        "$cookie_session",
        "$arg_v",
        "$uri",
        "$remote_addr",
        "text with spaces",
        "$host",
        "$id",
        "$1",
        "$nope",
    ],
    8,
);
const ORIGINS: Table = Table::new(
    &["origin-a", "origin-b", "a.example.com", "", "bad origin"],
    3,
);
const LINT_CODES: Table = Table::new(
    &[
        "shadowed-location",
        "unreachable-location",
        "unreachable-candidate",
        "host-bits-set",
        "no-locations",
        "not-a-code",
    ],
    5,
);
const KEYS: Table = Table::new(
    &["servers", "tests", "files", "lisen", "root", "location"],
    0,
);
const HOSTS: Table = Table::new(
    &[
        "kahoot-1234.group1.example.com",
        "kahoot-1234.group2.example.com",
        "ab-1.other.example.com",
        "www.example.com",
        "example.com",
        "EXAMPLE.COM:443",
        "example.com.",
        "pr-12.preview.example.com",
        "abc.example.net",
        "www7.example.net",
        "a..b",
        "[::1]",
        "localhost",
        "x.example.org",
        "",
    ],
    14,
);
const URL_PATHS: Table = Table::new(
    &[
        "/",
        "/assets/abc.png",
        "/old/x?y=1",
        "/%2e%2e/x",
        "//a//b",
        "/app2/settings",
        "/app2",
        "/healthz",
        "/%00",
        "/\u{e9}",
        "/img/Photo.JPG",
        "/docs/",
        "/api/v2/items?q=1&q=2",
        "/a/../../b",
        "/q?x=%zz",
        "/index.php",
        "/t?a=1&b=2",
        "/%ZZ",
        "",
    ],
    17,
);
const METHODS: Table = Table::new(&["GET", "POST", "HEAD", "get", "BREW"], 5);
const IPS: Table = Table::new(
    &[
        "10.1.2.3",
        "192.0.2.7",
        "198.51.100.10",
        "2001:db8::7",
        "::ffff:10.0.0.1",
        "bad",
    ],
    5,
);
const STATUSES: Table = Table::new(
    &[
        "200", "301", "302", "400", "403", "404", "500", "503", "1000",
    ],
    8,
);
const URIS: Table = Table::new(
    &[
        "/kahoot-1234/app1/index.html",
        "/site/index.html",
        "/site/",
        "/x",
    ],
    4,
);
const QUERIES: Table = Table::new(&["", "y=1", "a&b=2"], 3);
const MATCHED: Table = Table::new(&["/", "none", "= /healthz", "~* \\.(png|jpe?g)$"], 4);

impl RulesFile {
    /// The rules file as YAML text.
    pub fn render(&self, mode: Mode) -> String {
        let mut out = String::new();
        let version = match (&self.version, mode) {
            (Some(v), Mode::Loose) => v.text(&VERSIONS, mode),
            _ => "1".to_owned(),
        };
        line(&mut out, 0, "edgeroute", &version);
        let mut js2 = false;
        if let Some(r) = &self.runtime {
            let runtime = r.text(&RUNTIMES, mode);
            js2 = runtime == "cloudfront-js-2.0";
            line(&mut out, 0, "runtime", &runtime);
        }
        if let Some(kvs) = self.kvs
            && (mode == Mode::Loose || js2 || !kvs)
        {
            line(&mut out, 0, "kvs", if kvs { "true" } else { "false" });
        }
        if let (Some((k, v)), Mode::Loose) = (&self.stray, mode) {
            line(&mut out, 0, &k.text(&KEYS, mode), &v.text(&PATHS, mode));
        }
        out.push_str("servers:\n");
        if self.servers.is_empty() {
            out.push_str(
                "  - server_name: example.com\n    root: /site\n    locations:\n      - location: /\n",
            );
        }
        let mut ctx = Ctx {
            mode,
            js2,
            names: Vec::new(),
        };
        for server in &self.servers {
            server.render(&mut out, &mut ctx);
        }
        if !self.tests.is_empty() {
            out.push_str("tests:\n");
            for test in &self.tests {
                test.render(&mut out, mode);
            }
        }
        out
    }
}

/// What rendering in [`Mode::Valid`] must remember to avoid the usual errors.
struct Ctx {
    mode: Mode,
    js2: bool,
    /// Server names already used (the same name in two servers is an error).
    names: Vec<String>,
}

impl Server {
    fn render(&self, out: &mut String, ctx: &mut Ctx) {
        let mode = ctx.mode;
        let mut names: Vec<String> = Vec::new();
        for n in &self.names {
            let name = n.text(&SERVER_NAMES, mode);
            if mode == Mode::Valid {
                let key = name.to_ascii_lowercase();
                if ctx.names.contains(&key) {
                    continue;
                }
                ctx.names.push(key);
            }
            names.push(name);
        }
        if names.is_empty() && mode == Mode::Valid {
            // A fresh exact name, so that no two servers share it.
            let name = format!("s{}.example.com", ctx.names.len());
            ctx.names.push(name.clone());
            names.push(name);
        }
        match names.as_slice() {
            [] => out.push_str("  - server_name: example.com\n"),
            [one] => {
                out.push_str("  - ");
                line(out, 0, "server_name", one);
            }
            many => {
                out.push_str("  - server_name: [");
                for (i, n) in many.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&quote(n));
                }
                out.push_str("]\n");
            }
        }
        let declared: Vec<&str> = names
            .iter()
            .filter(|n| !n.starts_with('~'))
            .flat_map(|n| n.split('.'))
            .filter_map(|l| l.strip_prefix('{').and_then(|l| l.strip_suffix('}')))
            .collect();
        let mut params = Vec::new();
        for (k, v) in &self.params {
            let key = k.text(&PARAM_NAMES, mode);
            if mode == Mode::Valid
                && (!declared.contains(&key.as_str()) || params.iter().any(|(p, _)| *p == key))
            {
                continue;
            }
            params.push((key, v.text(&PARAM_PATTERNS, mode)));
        }
        if !params.is_empty() {
            out.push_str("    params:\n");
            for (k, v) in &params {
                line(out, 6, k, v);
            }
        }
        if let Some(d) = self.default_server {
            line(out, 4, "default_server", if d { "true" } else { "false" });
        }
        let has_root = self
            .directives
            .iter()
            .any(|d| matches!(d, Directive::Root(_)));
        if mode == Mode::Valid && !has_root {
            line(out, 4, "root", "/site");
        }
        render_block(out, 4, &self.directives, ctx, false);
        if let Some(locations) = &self.locations {
            if locations.is_empty() {
                out.push_str("    locations: []\n");
            } else {
                out.push_str("    locations:\n");
            }
            let mut seen = Vec::new();
            for l in locations {
                let text = l.location.text(&LOCATIONS, mode);
                if mode == Mode::Valid {
                    if seen.contains(&text) {
                        continue;
                    }
                    seen.push(text.clone());
                }
                out.push_str("      - ");
                line(out, 0, "location", &text);
                render_block(out, 8, &l.directives, ctx, true);
            }
        }
    }
}

/// A block's directives; in [`Mode::Valid`] each key once and without the usual conflicts.
fn render_block(
    out: &mut String,
    indent: usize,
    directives: &[Directive],
    ctx: &Ctx,
    location: bool,
) {
    let mut keys: Vec<&str> = Vec::new();
    for d in directives {
        if ctx.mode == Mode::Valid {
            let key = d.key();
            let clash = |k: &str| keys.contains(&k);
            let skip = clash(key)
                || (key == "alias" && (!location || clash("root")))
                || (key == "root" && clash("alias"))
                || (key == "try_files" && (!location || clash("return")))
                || (key == "return" && clash("try_files"))
                || (key == "origin" && !ctx.js2)
                || key == "?";
            if skip {
                continue;
            }
            keys.push(key);
        }
        d.render(out, indent, ctx.mode);
    }
}

impl Directive {
    fn key(&self) -> &'static str {
        match self {
            Directive::Root(_) => "root",
            Directive::Alias(_) => "alias",
            Directive::Index(_) => "index",
            Directive::Rewrite(_) | Directive::Rewrites(_) => "rewrite",
            Directive::Return(_) => "return",
            Directive::TryFiles(_) => "try_files",
            Directive::Access(_) => "access",
            Directive::AddRequestHeaders(_) => "add_request_headers",
            Directive::Origin(_) | Directive::OriginDomain(_) => "origin",
            Directive::Allow(_) => "allow",
            Directive::Unknown(..) => "?",
        }
    }

    fn render(&self, out: &mut String, indent: usize, mode: Mode) {
        match self {
            Directive::Root(v) => line(out, indent, "root", &v.text(&PATHS, mode)),
            Directive::Alias(v) => line(out, indent, "alias", &v.text(&PATHS, mode)),
            Directive::Index(v) => line(out, indent, "index", &v.text(&INDEXES, mode)),
            Directive::Rewrite(v) => line(out, indent, "rewrite", &v.text(&REWRITES, mode)),
            Directive::Rewrites(vs) => list(out, indent, "rewrite", vs, &REWRITES, mode),
            Directive::Return(v) => line(out, indent, "return", &v.text(&RETURNS, mode)),
            Directive::TryFiles(vs) => list(out, indent, "try_files", vs, &CANDIDATES, mode),
            Directive::Access(vs) => list(out, indent, "access", vs, &ACCESS, mode),
            Directive::AddRequestHeaders(pairs) => map(
                out,
                indent,
                "add_request_headers",
                pairs,
                &HEADER_VALUES,
                mode,
            ),
            Directive::Origin(v) => line(out, indent, "origin", &v.text(&ORIGINS, mode)),
            Directive::OriginDomain(v) => {
                let _ = writeln!(
                    out,
                    "{:indent$}origin: {{domain: {}}}",
                    "",
                    quote(&v.text(&ORIGINS, mode))
                );
            }
            Directive::Allow(vs) => list(out, indent, "allow", vs, &LINT_CODES, mode),
            Directive::Unknown(k, v) if mode == Mode::Loose => {
                line(out, indent, &k.text(&KEYS, mode), &v.text(&PATHS, mode))
            }
            Directive::Unknown(..) => {}
        }
    }
}

impl Test {
    fn render(&self, out: &mut String, mode: Mode) {
        let url = format!(
            "https://{}{}",
            self.host.text(&HOSTS, mode),
            self.path.text(&URL_PATHS, mode)
        );
        out.push_str("  - ");
        line(out, 0, "url", &url);
        if let Some(m) = &self.method {
            line(out, 4, "method", &m.text(&METHODS, mode));
        }
        if let Some(ip) = &self.ip {
            line(out, 4, "ip", &ip.text(&IPS, mode));
        }
        if !self.request_headers.is_empty() {
            map(
                out,
                4,
                "request_headers",
                &self.request_headers,
                &HEADER_VALUES,
                mode,
            );
        }
        if !self.cookies.is_empty() {
            map(out, 4, "cookies", &self.cookies, &HEADER_VALUES, mode);
        }
        // A case expects a passed request or a response, not both.
        let response = self.expect.iter().find_map(Expect::response);
        let mut seen = Vec::new();
        for e in &self.expect {
            let key = e.key();
            if mode == Mode::Valid {
                let other = e.response().is_some_and(|r| Some(r) != response);
                if seen.contains(&key) || other {
                    continue;
                }
            }
            seen.push(key);
            e.render(out, mode);
        }
        if seen.is_empty() {
            line(out, 4, "status", "404");
        }
    }
}

impl Expect {
    fn key(&self) -> &'static str {
        match self {
            Expect::Uri(_) => "uri",
            Expect::Querystring(_) => "querystring",
            Expect::Status(_) => "status",
            Expect::Location(_) => "location",
            Expect::Headers(_) => "headers",
            Expect::Matched(_) => "matched",
            Expect::Origin(_) | Expect::OriginDomain(_) => "origin",
        }
    }

    /// Whether this expects a response (`Some(true)`), a passed request (`Some(false)`), or either.
    fn response(&self) -> Option<bool> {
        match self {
            Expect::Status(_) | Expect::Location(_) => Some(true),
            Expect::Uri(_)
            | Expect::Querystring(_)
            | Expect::Origin(_)
            | Expect::OriginDomain(_) => Some(false),
            Expect::Headers(_) | Expect::Matched(_) => None,
        }
    }

    fn render(&self, out: &mut String, mode: Mode) {
        match self {
            Expect::Uri(v) => line(out, 4, "uri", &v.text(&URIS, mode)),
            Expect::Querystring(v) => line(out, 4, "querystring", &v.text(&QUERIES, mode)),
            Expect::Status(v) => line(out, 4, "status", &v.text(&STATUSES, mode)),
            Expect::Location(v) => {
                let url = format!("https://{}/", v.text(&HOSTS, mode));
                line(out, 4, "location", &url)
            }
            Expect::Headers(pairs) => {
                out.push_str("    headers:\n");
                if pairs.is_empty() {
                    out.push_str("      x-image: null\n");
                }
                let mut seen = Vec::new();
                for (k, v) in pairs {
                    let key = k.text(&HEADER_NAMES, mode);
                    if mode == Mode::Valid {
                        if seen.contains(&key) {
                            continue;
                        }
                        seen.push(key.clone());
                    }
                    let key = quote(&key);
                    match v {
                        Some(v) => {
                            let value = quote(&v.text(&HEADER_VALUES, mode));
                            let _ = writeln!(out, "      {key}: {value}");
                        }
                        None => {
                            let _ = writeln!(out, "      {key}: null");
                        }
                    }
                }
            }
            Expect::Matched(v) => line(out, 4, "matched", &v.text(&MATCHED, mode)),
            Expect::Origin(v) => line(out, 4, "origin", &v.text(&ORIGINS, mode)),
            Expect::OriginDomain(v) => {
                let _ = writeln!(
                    out,
                    "    origin: {{domain: {}}}",
                    quote(&v.text(&ORIGINS, mode))
                );
            }
        }
    }
}

/// `key: "value"` at `indent` spaces.
fn line(out: &mut String, indent: usize, key: &str, value: &str) {
    let _ = writeln!(out, "{:indent$}{}: {}", "", quote_key(key), quote(value));
}

fn list(out: &mut String, indent: usize, key: &str, vals: &[Val], table: &Table, mode: Mode) {
    let mut items: Vec<String> = vals.iter().map(|v| v.text(table, mode)).collect();
    if mode == Mode::Valid {
        if items.is_empty() {
            items.push(table.words[0].to_owned());
        }
        if key == "try_files" && items.len() < 2 {
            // At least one candidate and a fallback.
            items.push("=404".to_owned());
        }
    }
    let _ = write!(out, "{:indent$}{}: [", "", quote_key(key));
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&quote(item));
    }
    out.push_str("]\n");
}

fn map(
    out: &mut String,
    indent: usize,
    key: &str,
    pairs: &[(Val, Val)],
    table: &Table,
    mode: Mode,
) {
    if pairs.is_empty() {
        let _ = writeln!(out, "{:indent$}{}: {{}}", "", quote_key(key));
        return;
    }
    let _ = writeln!(out, "{:indent$}{}:", "", quote_key(key));
    let mut seen = Vec::new();
    for (k, v) in pairs {
        let name = k.text(&HEADER_NAMES, mode);
        if mode == Mode::Valid {
            if seen.contains(&name) {
                continue;
            }
            seen.push(name.clone());
        }
        line(out, indent + 2, &name, &v.text(table, mode));
    }
}

/// A key as written: plain when it is a plain word, else double-quoted.
fn quote_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        key.to_owned()
    } else {
        quote(key)
    }
}

/// A YAML double-quoted scalar holding exactly `text`.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if matches!(
                c,
                '\u{80}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
            ) =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// With `EDGEROUTE_FUZZ_DUMP=DIR` set, writes the rendered text to `DIR/TARGET/<hash>.yaml`: run a
/// target over its corpus with `-runs=0` to turn the corpus into the rules files the replay test
/// reads (`fuzz/corpus-min/`).
pub fn dump(target: &str, text: &str) {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let Some(dir) = std::env::var_os("EDGEROUTE_FUZZ_DUMP") else {
        return;
    };
    let dir = std::path::Path::new(&dir).join(target);
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    std::fs::create_dir_all(&dir).expect("dump directory");
    std::fs::write(dir.join(format!("{:016x}.yaml", h.finish())), text).expect("dump file");
}
