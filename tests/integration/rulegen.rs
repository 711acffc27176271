//! A seeded generator of rules files for the differential suite: hosts with params, wildcards and
//! regexes, overlapping prefixes (`^~` or not), exact paths, regex locations, root and alias,
//! rewrites of every flag, returns, try_files, index and access lists.
//!
//! It writes YAML text, so every set also goes through the real reader and validator; a set the
//! validator rejects is counted and skipped by the caller, never repaired silently.

/// SplitMix64: small, seedable, good enough to pick rules.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const SEGMENTS: &[&str] = &["app", "assets", "api", "docs", "img", "static", "old", "v1"];
const PARAM_PATTERNS: &[&str] = &[
    "[a-z]+-[0-9]+",
    "pr-[0-9]+",
    "[a-z0-9]+",
    "[a-z][a-z0-9]*",
    "[0-9]{1,4}",
];
const REGEXES: &[(&str, usize)] = &[
    (r"~ \.(js|css)$", 1),
    (r"~* \.(png|jpe?g|gif)$", 1),
    (r"~ ^/api/(?<ver>v[0-9]+)/(.*)$", 2),
    (r"~ ^/u/([a-z]+)$", 1),
    (r"~ /deep/", 0),
    (r"~* ^/DOCS/", 0),
    (r"~ ^/(?<first>[a-z]+)/page$", 1),
    (r"~ [0-9]{3}", 0),
    (r"~ ^/a(b|c)d", 1),
    (r"~ ^/static/.+\.html$", 0),
];
const ACCESS: &[&str] = &[
    "[allow 10.0.0.0/8, deny all]",
    "[allow 192.0.2.0/24]",
    "[deny 10.1.0.0/16, allow 10.0.0.0/8, deny all]",
    "[allow 2001:db8::/32, allow 10.0.0.0/8, deny all]",
    "[allow all]",
];

/// One rules file; `n` makes its names unique in reports.
pub fn rules_file(rng: &mut Rng, n: usize) -> String {
    let js2 = rng.chance(15);
    let mut out = format!(
        "# generated rule set {n}\nedgeroute: 1\nruntime: cloudfront-js-{}\nservers:\n",
        if js2 { "2.0" } else { "1.0" }
    );
    let servers = 1 + rng.below(3);
    let default = if rng.chance(30) {
        Some(rng.below(servers))
    } else {
        None
    };
    for i in 0..servers {
        server(&mut out, rng, i, default == Some(i), js2);
    }
    out
}

fn server(out: &mut String, rng: &mut Rng, i: usize, default: bool, js2: bool) {
    let (names, params) = server_names(rng, i);
    out.push_str(&format!("  - server_name: [{}]\n", names.join(", ")));
    let mut checks = Vec::new();
    for p in params.iter().filter(|p| p.as_str() != "sub") {
        if rng.chance(75) {
            checks.push(format!("{p}: '{}'", rng.pick(PARAM_PATTERNS)));
        }
    }
    if !checks.is_empty() {
        out.push_str(&format!("    params: {{ {} }}\n", checks.join(", ")));
    }
    if default {
        out.push_str("    default_server: true\n");
    }
    let root = match params.first() {
        Some(p) if rng.chance(80) => format!("/${p}/site{i}"),
        _ => format!("/site{i}"),
    };
    out.push_str(&format!("    root: {root}\n"));
    if rng.chance(10) {
        out.push_str("    index: main.html\n");
    }
    if rng.chance(25) {
        out.push_str(&format!("    access: {}\n", rng.pick(ACCESS)));
    }
    if rng.chance(20) {
        let rule = rng.pick(&[
            r"^/legacy/(.*)$ /docs/$1 permanent",
            r"^/moved$ /app/ last",
            r"^/go/(?<to>[a-z]+)$ https://$to.example.org/ redirect",
            r"^/n/(.*)$ /api/$1",
        ]);
        out.push_str(&format!("    rewrite: '{rule}'\n"));
    }
    if rng.chance(4) {
        out.push_str("    return: 503 maintenance\n");
    }
    out.push_str("    locations:\n");
    let mut used = Vec::new();
    let count = 1 + rng.below(7);
    for j in 0..count {
        location(out, rng, &mut used, i * 10 + j, js2);
    }
}

/// `server_name` entries (YAML-quoted) and the params they declare.
fn server_names(rng: &mut Rng, i: usize) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut params: Vec<String> = Vec::new();
    let kinds = 1 + rng.below(2);
    let mut taken = Vec::new();
    for _ in 0..kinds {
        let kind = rng.below(9);
        if taken.contains(&kind) {
            continue;
        }
        taken.push(kind);
        let (name, declared): (String, Vec<String>) = match kind {
            0 => (format!("www{i}.example.com"), Vec::new()),
            1 => (format!(".d{i}.example.com"), Vec::new()),
            2 => (format!("'*.w{i}.example.com'"), Vec::new()),
            3 => (format!("'t{i}.example.*'"), Vec::new()),
            4 => (format!("'{{id}}.g{i}.example.com'"), vec!["id".to_owned()]),
            5 => (
                format!("'{{id}}.{{grp}}.p{i}.example.com'"),
                vec!["id".to_owned(), "grp".to_owned()],
            ),
            6 => (
                format!(r"'~^(?<sub>[a-z]+)\.r{i}\.example\.com$'"),
                vec!["sub".to_owned()],
            ),
            // names several servers share a suffix with: file order decides among them
            7 => (
                format!("'{{s{i}}}.shared.example.com'"),
                vec![format!("s{i}")],
            ),
            _ => (
                format!(r"'~^(?<sub>[a-z]{{1,{}}})\.shared\.example\.com$'", i + 1),
                vec!["sub".to_owned()],
            ),
        };
        names.push(name);
        for p in declared {
            if !params.contains(&p) {
                params.push(p);
            }
        }
    }
    (names, params)
}

fn location(out: &mut String, rng: &mut Rng, used: &mut Vec<String>, j: usize, js2: bool) {
    let seg = *rng.pick(SEGMENTS);
    let seg2 = *rng.pick(SEGMENTS);
    let (text, groups, prefix) = match rng.below(10) {
        0 => ("/".to_owned(), 0, Some("/".to_owned())),
        1..=3 => {
            let path = match rng.below(4) {
                0 => format!("/{seg}"),
                1 => format!("/{seg}/{seg2}/"),
                _ => format!("/{seg}/"),
            };
            let stop = if rng.chance(25) { "^~ " } else { "" };
            (format!("{stop}{path}"), 0, Some(path))
        }
        4 | 5 => {
            let path = rng
                .pick(&[
                    format!("/{seg}"),
                    "/healthz".to_owned(),
                    format!("/{seg}/index.html"),
                ])
                .clone();
            (format!("= {path}"), 0, Some(path))
        }
        _ => {
            let (text, groups) = *rng.pick(REGEXES);
            (text.to_owned(), groups, None)
        }
    };
    let key = text.trim_start_matches("^~ ").to_owned();
    if used.contains(&key) {
        return;
    }
    used.push(key);
    out.push_str(&format!("      - location: '{text}'\n"));
    let alias = !text.starts_with('=') && rng.chance(15) && (prefix.is_some() || groups > 0);
    if alias {
        let target = match &prefix {
            Some(p) if p.ends_with('/') => format!("/aliased{j}/"),
            Some(_) => format!("/aliased{j}"),
            None => format!("/aliased{j}/$1"),
        };
        out.push_str(&format!("        alias: {target}\n"));
        if prefix.is_some() && rng.chance(30) {
            out.push_str("        try_files: [$uri, =404]\n");
        }
        return;
    }
    if rng.chance(20) {
        out.push_str(&format!("        root: /other{j}\n"));
    }
    let rewrites = if rng.chance(30) { 1 + rng.below(2) } else { 0 };
    let mut target_form = false;
    let mut rules = Vec::new();
    for _ in 0..rewrites {
        let s = prefix
            .as_deref()
            .map(|p| p.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("/{seg}"));
        let rule = match rng.below(9) {
            0 => format!(r"^{s}/(.*)$ /{seg2}/$1 last"),
            1 => r"^(.*)/old/(.*)$ $1/new/$2 permanent".to_owned(),
            2 => format!(r"^{s}/(?<rest>.*)$ /moved/$rest redirect"),
            3 => format!(r"^{s}$ {s}/ permanent"),
            4 => format!(r"^{s}/(.*)\.htm$ /{seg2}/$1.html?from=htm break"),
            5 => format!(r"^{s}/(.*)$ /{seg2}/$1? last"),
            6 => format!(r"^{s}/x(.*)$ /{seg2}/y$1"),
            7 => format!(r"^{s}/(.*)$ /{seg2}/$1?via=rw&x=$1 last"),
            _ => {
                target_form = true;
                format!("/{seg2}/index.html")
            }
        };
        rules.push(rule);
        if target_form {
            break;
        }
    }
    match rules.as_slice() {
        [] => {}
        [one] => out.push_str(&format!("        rewrite: '{one}'\n")),
        many => {
            let list: Vec<String> = many.iter().map(|r| format!("'{r}'")).collect();
            out.push_str(&format!("        rewrite: [{}]\n", list.join(", ")));
        }
    }
    let ret = !target_form && rng.chance(18);
    if ret {
        let value = rng.pick(&[
            "200 ok",
            "200 'uri=$uri args=$args'",
            "404",
            "410 gone",
            "301 /moved$uri",
            "302 https://elsewhere.example.com/x",
            "307 /t?x=1",
            "308 $scheme://$host/perm",
        ]);
        out.push_str(&format!("        return: {value}\n"));
    } else if rng.chance(45) {
        let tf = rng.pick(&[
            "[$uri, $uri/, /index.html]",
            "[$uri, /index.html]",
            "[$uri, =404]",
            "[$uri.html, $uri, /fallback.html]",
            "[$uri, /docs/fallback.html?from=tf]",
            "[$uri/, $uri, =410]",
        ]);
        out.push_str(&format!("        try_files: {tf}\n"));
    }
    if rng.chance(10) {
        out.push_str("        index: home.html\n");
    }
    if rng.chance(15) {
        out.push_str(&format!("        access: {}\n", rng.pick(ACCESS)));
    }
    if rng.chance(10) {
        out.push_str("        add_request_headers: { x-edge: '$host' }\n");
    }
    if js2 && rng.chance(20) {
        out.push_str("        origin: other-origin\n");
    }
}
