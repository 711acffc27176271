//! A seeded generator of rules files for the differential suite: hosts with params, wildcards and
//! regexes, overlapping prefixes (`^~` or not), exact paths, regex locations, root and alias,
//! rewrites of every flag, returns, try_files, index and access lists; params directly followed
//! by request data (`alias: /$id` on a prefix, `alias: /$id$1`, rewrite targets and try_files
//! candidates that start with request data) and request data in rewrite targets' query strings.
//!
//! The router is a family of programs, one per combination of `ir::Features`. Set `n` is built
//! to have exactly the features of [`plan`]`(n)`, a covering array: within any 16 consecutive
//! sets every pair of features is on/on, on/off, off/on and off/off, except where the compiler
//! makes one feature imply another. `every_feature_pair_is_covered_by_the_ci_sets` checks this on
//! the features the compiler reports for the CI run's sets.
//!
//! It writes YAML text, so every set also goes through the real reader and validator; a set the
//! validator rejects is counted and skipped by the caller, never repaired silently.

/// SplitMix64: small, seedable, good enough to pick rules.
pub use edgeroute::review::probes::Rng;

/// Which router features (`edgeroute::ir::Features`) a generated set has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Plan {
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

/// The features of set `n`. Row `n % 16` of an orthogonal array: feature f is on when the parity
/// of `row & MASK[f]` is odd (flipped per block of 16 sets, for variety). Any two distinct
/// masks make every on/off pair appear 4 times in 16 rows. The compiler turns `access` on with
/// `ipv6` and `args` with `rewrite`; their masks (4, 8 and 1, 2) are kept out of every other
/// feature's span, so `args` and `rewrite` are both off (and `access` and `ipv6`) with either
/// value of any third feature, and those pairs survive the implication.
pub fn plan(n: usize) -> Plan {
    let row = (n % 16) as u32;
    let flips = Rng::new(0x0A11_FEA7 ^ (n / 16) as u64).next_u64();
    let bit = |i: u32, mask: u32| ((row & mask).count_ones() % 2 == 1) ^ ((flips >> i) & 1 == 1);
    let mut p = Plan {
        args: bit(0, 1),
        rewrite: bit(1, 2),
        access: bit(2, 4),
        ipv6: bit(3, 8),
        wild: bit(4, 5),
        pattern: bit(5, 6),
        regex: bit(6, 7),
        ret: bit(7, 9),
        try_files: bit(8, 10),
        headers: bit(9, 11),
        origin: bit(10, 13),
    };
    p.access |= p.ipv6;
    p.args |= p.rewrite;
    p
}

/// One rules file; `n` makes its names unique in reports and chooses its features ([`plan`]).
pub fn rules_file(rng: &mut Rng, n: usize) -> String {
    let plan = plan(n);
    let js2 = plan.origin || rng.chance(15);
    let mut g = Gen {
        rng,
        plan,
        have: Plan::default(),
        js2,
        out: format!(
            "# generated rule set {n}\nedgeroute: 1\nruntime: cloudfront-js-{}\nservers:\n",
            if js2 { "2.0" } else { "1.0" }
        ),
    };
    let servers = 1 + g.rng.below(3);
    let default = if g.rng.chance(30) {
        Some(g.rng.below(servers))
    } else {
        None
    };
    let mut kinds: Vec<Vec<usize>> = (0..servers).map(|_| g.name_kinds()).collect();
    for (on, range) in [(plan.wild, 1..=3), (plan.pattern, 4..=8)] {
        if on && !kinds.iter().flatten().any(|k| range.contains(k)) {
            let k = *g.rng.pick(&range.collect::<Vec<_>>());
            let i = g.rng.below(servers);
            kinds[i].push(k);
        }
    }
    let mut last = (Vec::new(), None);
    for (i, kinds) in kinds.iter().enumerate() {
        last = g.server(i, kinds, default == Some(i));
    }
    g.complete(n, &last.0, last.1.as_deref());
    g.out
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
/// Access lists with IPv4 entries only (`ipv6` off).
const ACCESS: &[&str] = &[
    "[allow 10.0.0.0/8, deny all]",
    "[allow 192.0.2.0/24]",
    "[deny 10.1.0.0/16, allow 10.0.0.0/8, deny all]",
    "[deny 203.0.113.0/24, allow all]",
    "[allow all]",
];
/// Access lists with an IPv6 entry (`ipv6` on).
const ACCESS6: &[&str] = &[
    "[allow 2001:db8::/32, allow 10.0.0.0/8, deny all]",
    "[deny 2001:db8:1::/48, allow 2001:db8::/32, deny all]",
    "[deny 203.0.113.0/24, deny 2001:db8::/32, allow all]",
];

/// The generator's state: what the plan asks for and what has been written so far.
struct Gen<'a> {
    rng: &'a mut Rng,
    plan: Plan,
    have: Plan,
    js2: bool,
    out: String,
}

impl Gen<'_> {
    /// One or two kinds of server name the plan admits (0: exact; 1–3: wildcards; 4–8: params).
    fn name_kinds(&mut self) -> Vec<usize> {
        let allowed: Vec<usize> = (0..9)
            .filter(|k| match k {
                0 => true,
                1..=3 => self.plan.wild,
                _ => self.plan.pattern,
            })
            .collect();
        let mut kinds = Vec::new();
        for _ in 0..1 + self.rng.below(2) {
            let k = *self.rng.pick(&allowed);
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        kinds
    }

    fn access_list(&mut self) -> &'static str {
        self.have.access = true;
        if self.plan.ipv6 && self.rng.chance(50) {
            self.have.ipv6 = true;
            ACCESS6[self.rng.below(ACCESS6.len())]
        } else {
            ACCESS[self.rng.below(ACCESS.len())]
        }
    }

    /// Writes server `i`; returns the locations it used and its first param.
    fn server(
        &mut self,
        i: usize,
        kinds: &[usize],
        default: bool,
    ) -> (Vec<String>, Option<String>) {
        let (names, params) = server_names(i, kinds);
        self.out
            .push_str(&format!("  - server_name: [{}]\n", names.join(", ")));
        let mut checks = Vec::new();
        for p in params.iter().filter(|p| p.as_str() != "sub") {
            if self.rng.chance(75) {
                checks.push(format!("{p}: '{}'", self.rng.pick(PARAM_PATTERNS)));
            }
        }
        if !checks.is_empty() {
            self.out
                .push_str(&format!("    params: {{ {} }}\n", checks.join(", ")));
        }
        if default {
            self.out.push_str("    default_server: true\n");
        }
        let param = params.first().cloned();
        let root = match &param {
            Some(p) if self.rng.chance(80) => format!("/${p}/site{i}"),
            _ => format!("/site{i}"),
        };
        self.out.push_str(&format!("    root: {root}\n"));
        if self.rng.chance(10) {
            self.out.push_str("    index: main.html\n");
        }
        if self.plan.access && self.rng.chance(25) {
            let list = self.access_list();
            self.out.push_str(&format!("    access: {list}\n"));
        }
        if self.plan.rewrite && self.rng.chance(20) {
            self.have.rewrite = true;
            self.have.args = true;
            let rule = self.rng.pick(&[
                r"^/legacy/(.*)$ /docs/$1 permanent",
                r"^/moved$ /app/ last",
                r"^/go/(?<to>[a-z]+)$ https://$to.example.org/ redirect",
                r"^/n/(.*)$ /api/$1",
                r"^/legacy/(.*)$ $1 last",
                r"^/h/(.*)$ /found/x.js?ua=$http_user_agent&c=$cookie_sid last",
            ]);
            self.out.push_str(&format!("    rewrite: '{rule}'\n"));
        }
        if self.plan.ret && self.rng.chance(4) {
            self.have.ret = true;
            self.out.push_str("    return: 503 maintenance\n");
        }
        if self.plan.headers && self.rng.chance(8) {
            self.have.headers = true;
            self.out
                .push_str("    add_request_headers: { x-ua: '$http_user_agent' }\n");
        }
        if self.plan.origin && self.rng.chance(8) {
            self.have.origin = true;
            self.out.push_str("    origin: server-origin\n");
        }
        self.out.push_str("    locations:\n");
        let mut used = Vec::new();
        let count = 1 + self.rng.below(7);
        for j in 0..count {
            self.location(&mut used, i * 10 + j, param.as_deref());
        }
        (used, param)
    }

    fn location(&mut self, used: &mut Vec<String>, j: usize, param: Option<&str>) {
        let seg = *self.rng.pick(SEGMENTS);
        let seg2 = *self.rng.pick(SEGMENTS);
        let kinds = if self.plan.regex { 12 } else { 6 };
        let (text, groups, prefix) = match self.rng.below(kinds) {
            0 => ("/".to_owned(), 0, Some("/".to_owned())),
            1..=3 => {
                let path = match self.rng.below(4) {
                    0 => format!("/{seg}"),
                    1 => format!("/{seg}/{seg2}/"),
                    _ => format!("/{seg}/"),
                };
                let stop = if self.rng.chance(25) { "^~ " } else { "" };
                (format!("{stop}{path}"), 0, Some(path))
            }
            4 => {
                let path = self
                    .rng
                    .pick(&[
                        format!("/{seg}"),
                        "/healthz".to_owned(),
                        format!("/{seg}/index.html"),
                    ])
                    .clone();
                (format!("= {path}"), 0, Some(path))
            }
            // a param directly followed by the request's rest, or by a capture
            5 | 6 if param.is_some() => {
                let p = param.unwrap_or_default();
                let (text, alias) = if self.plan.regex && self.rng.chance(50) {
                    ("~ ^/re(.*)$".to_owned(), format!("/${p}$1"))
                } else {
                    ("/files/".to_owned(), format!("/${p}"))
                };
                if used.contains(&text) {
                    return;
                }
                used.push(text.clone());
                self.have.regex |= text.starts_with('~');
                self.out.push_str(&format!(
                    "      - location: '{text}'\n        alias: {alias}\n"
                ));
                return;
            }
            5 => {
                let path = format!("/{seg}/");
                (path.clone(), 0, Some(path))
            }
            _ => {
                let (text, groups) = *self.rng.pick(REGEXES);
                (text.to_owned(), groups, None)
            }
        };
        let key = text.trim_start_matches("^~ ").to_owned();
        if used.contains(&key) {
            return;
        }
        used.push(key);
        self.have.regex |= prefix.is_none();
        self.out.push_str(&format!("      - location: '{text}'\n"));
        let alias =
            !text.starts_with('=') && self.rng.chance(15) && (prefix.is_some() || groups > 0);
        if alias {
            let target = match &prefix {
                Some(p) if p.ends_with('/') => format!("/aliased{j}/"),
                Some(_) => format!("/aliased{j}"),
                None => format!("/aliased{j}/$1"),
            };
            self.out.push_str(&format!("        alias: {target}\n"));
            if self.plan.try_files && prefix.is_some() && self.rng.chance(30) {
                self.have.try_files = true;
                self.out.push_str("        try_files: [$uri, =404]\n");
            }
            return;
        }
        // a `^~` prefix decides only where its answer differs from the regexes': often its own root
        let own_root = if text.starts_with("^~") { 60 } else { 20 };
        if self.rng.chance(own_root) {
            self.out.push_str(&format!("        root: /other{j}\n"));
        }
        let rewrites = if self.plan.rewrite && self.rng.chance(30) {
            1 + self.rng.below(2)
        } else {
            0
        };
        let mut target_form = false;
        let mut rules = Vec::new();
        for _ in 0..rewrites {
            let s = prefix
                .as_deref()
                .map(|p| p.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| format!("/{seg}"));
            // the request-data rules (8, 9, 10) twice as often as the others
            let pick = match self.rng.below(15) {
                12..=14 => self.rng.below(3) + 8,
                n => n,
            };
            let rule = match pick {
                0 => format!(r"^{s}/(.*)$ /{seg2}/$1 last"),
                1 => r"^(.*)/old/(.*)$ $1/new/$2 permanent".to_owned(),
                2 => format!(r"^{s}/(?<rest>.*)$ /moved/$rest redirect"),
                3 => format!(r"^{s}$ {s}/ permanent"),
                4 => format!(r"^{s}/(.*)\.htm$ /{seg2}/$1.html?from=htm break"),
                5 => format!(r"^{s}/(.*)$ /{seg2}/$1? last"),
                6 => format!(r"^{s}/x(.*)$ /{seg2}/y$1"),
                7 => format!(r"^{s}/(.*)$ /{seg2}/$1?via=rw&x=$1 last"),
                // request data first in the new $uri, and in query strings
                8 => format!(r"^{s}/(.*)$ $1 last"),
                9 => format!(
                    r"^{s}/h/(.*)$ /{seg2}/$1.js?ua=$http_user_agent&c=$cookie_sid&x=$1 break"
                ),
                10 => format!(r"^{s}/q/(.*)$ /{seg2}/$1?f=$arg_f&ua=$http_user_agent redirect"),
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
        if !rules.is_empty() {
            self.have.rewrite = true;
            self.have.args = true;
        }
        match rules.as_slice() {
            [] => {}
            [one] => self.out.push_str(&format!("        rewrite: '{one}'\n")),
            many => {
                let list: Vec<String> = many.iter().map(|r| format!("'{r}'")).collect();
                self.out
                    .push_str(&format!("        rewrite: [{}]\n", list.join(", ")));
            }
        }
        let args = self.plan.args;
        let ret = self.plan.ret && !target_form && self.rng.chance(18);
        if ret {
            let mut values = vec![
                "200 ok",
                "404",
                "410 gone",
                "301 /moved$uri",
                "302 https://elsewhere.example.com/x",
                "307 /t?x=1",
                "308 $scheme://$host/perm",
                "302 /t?ua=$http_user_agent&c=$cookie_sid",
                "200 'ua=$http_user_agent'",
            ];
            if args {
                values.push("200 'uri=$uri args=$args'");
            }
            if groups > 0 {
                values.push("302 /t?c=$1&u=$uri");
            }
            let value = self.rng.pick(&values);
            self.have.ret = true;
            self.have.args |= value.contains("$args");
            self.out.push_str(&format!("        return: {value}\n"));
        } else if self.plan.try_files && self.rng.chance(45) {
            let mut lists = vec![
                "[$uri, $uri/, /index.html]",
                "[$uri, /index.html]",
                "[$uri, =404]",
                "[$uri.html, $uri, /fallback.html]",
                "[$uri/, $uri, =410]",
                "[$http_x_file, =404]",
                "[$cookie_f, /index.html]",
            ];
            if args {
                lists.extend([
                    "[$uri, /docs/fallback.html?from=tf]",
                    "[$arg_f, /index.html]",
                    "[$uri, /index.html?$args]",
                ]);
            }
            let tf = self.rng.pick(&lists);
            self.have.try_files = true;
            self.have.args |= tf.contains('?') || tf.contains("$arg");
            self.out.push_str(&format!("        try_files: {tf}\n"));
        }
        if self.rng.chance(10) {
            self.out.push_str("        index: home.html\n");
        }
        if self.plan.access && self.rng.chance(15) {
            let list = self.access_list();
            self.out.push_str(&format!("        access: {list}\n"));
        }
        if self.plan.headers && self.rng.chance(10) {
            let mut sets = vec![
                "{ x-edge: '$host' }",
                "{ x-ua: '$http_user_agent', x-sid: '$cookie_sid' }",
                "{ x-ip: '$remote_addr', x-sid: '$cookie_sid' }",
            ];
            if args {
                sets.push("{ x-q: '$args', x-f: '$arg_f' }");
            }
            let set = self.rng.pick(&sets);
            self.have.headers = true;
            self.have.args |= set.contains("$arg");
            self.out
                .push_str(&format!("        add_request_headers: {set}\n"));
        }
        if self.plan.origin && self.js2 && self.rng.chance(20) {
            self.have.origin = true;
            self.out.push_str("        origin: other-origin\n");
        }
    }

    /// Adds a location to the last server for each planned feature still missing.
    fn complete(&mut self, n: usize, used: &[String], param: Option<&str>) {
        let add = |out: &mut String, text: &str, body: &str| {
            if !used.iter().any(|u| u == text) {
                out.push_str(&format!("      - location: '{text}'\n{body}"));
            }
        };
        if self.plan.access && (!self.have.access || self.plan.ipv6 && !self.have.ipv6) {
            let list = if self.plan.ipv6 {
                self.rng.pick(ACCESS6)
            } else {
                self.rng.pick(ACCESS)
            };
            add(
                &mut self.out,
                &format!("/acl{n}/"),
                &format!("        access: {list}\n"),
            );
        }
        if self.plan.regex && !self.have.regex {
            let body = match param {
                Some(p) => format!("        alias: /${p}$1\n"),
                None => "        root: /re\n".to_owned(),
            };
            add(&mut self.out, "~ ^/re(.*)$", &body);
        }
        if self.plan.rewrite && !self.have.rewrite {
            self.have.args = true;
            add(
                &mut self.out,
                &format!("/rw{n}/"),
                &format!("        rewrite: '^/rw{n}/(.*)$ /app/$1 last'\n"),
            );
        }
        if self.plan.ret && !self.have.ret {
            let value = if self.plan.args && !self.have.args {
                self.have.args = true;
                "200 'args=$args'"
            } else {
                "302 /there"
            };
            add(
                &mut self.out,
                &format!("= /ret{n}"),
                &format!("        return: {value}\n"),
            );
        }
        if self.plan.try_files && !self.have.try_files {
            let value = if self.plan.args && !self.have.args {
                self.have.args = true;
                "[$arg_f, /index.html]"
            } else {
                "[$uri, /index.html]"
            };
            add(
                &mut self.out,
                &format!("/tf{n}/"),
                &format!("        try_files: {value}\n"),
            );
        }
        if self.plan.headers && !self.have.headers {
            let value = if self.plan.args && !self.have.args {
                self.have.args = true;
                "{ x-q: '$args' }"
            } else {
                "{ x-edge: '$host' }"
            };
            add(
                &mut self.out,
                &format!("/hd{n}/"),
                &format!("        add_request_headers: {value}\n"),
            );
        }
        if self.plan.origin && !self.have.origin {
            add(
                &mut self.out,
                &format!("/or{n}/"),
                "        origin: other-origin\n",
            );
        }
        if self.plan.args && !self.have.args {
            // neither a rewrite, return, try_files nor header carries it: a root does
            add(
                &mut self.out,
                &format!("/args{n}/"),
                "        root: /a$arg_v\n",
            );
        }
    }
}

/// `server_name` entries (YAML-quoted) for the given kinds, and the params they declare.
fn server_names(i: usize, kinds: &[usize]) -> (Vec<String>, Vec<String>) {
    let mut names = Vec::new();
    let mut params: Vec<String> = Vec::new();
    for &kind in kinds {
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
