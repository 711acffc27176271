//! RawConfig → Rules: every string parsed, every rule of rules.md checked, every problem reported.
//!
//! Collect, don't stop: each check pushes a diagnostic and validation goes on, so one run shows
//! every problem. `Rules` is returned only when there is no error.

pub mod boundary;
pub mod cases;
pub mod directive;
pub mod redirects;
pub mod regex;
pub mod vars;

use sha2::{Digest, Sha256};

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Problem};
use crate::read::config::{RawBlock, RawConfig, RawLocation, RawOrigin, RawServer};

use crate::model::{
    AccessEntry, Block, Candidate, Fallback, Flag, GroupParam, Location, LocationKind, Origin,
    Part, Query, Regex, Return, Rewrite, Rules, Server, ServerName, TryFiles, Value,
};
use crate::runtime::Runtime;
use crate::source::{SourceFile, Span, Text};
use regex as rx;
use vars::Scope;

/// Validate a parsed rules file.
pub fn validate(file: &SourceFile, raw: RawConfig, diags: &mut Diagnostics) -> Option<Rules> {
    let mut v = Validator { file, diags };
    let runtime = v.header(&raw);
    let kvs = v.kvs(&raw, runtime);
    let mut servers: Vec<Server> = raw.servers.iter().map(|s| v.server(s, runtime)).collect();
    for (raw, server) in raw.servers.iter().zip(&mut servers) {
        if let Some(map) = &raw.redirects {
            let taken: Vec<(&str, &str)> = server
                .locations
                .iter()
                .filter_map(|l| match &l.kind {
                    LocationKind::Exact(path) => Some((path.as_str(), l.text.as_str())),
                    _ => None,
                })
                .collect();
            let added = v.redirects(map, kvs, &taken);
            server.locations.extend(added);
        }
    }
    v.across_servers(&raw.servers, &servers);
    let tests = cases::cases(&mut v, &raw.tests);
    if !v.diags.has_errors() {
        crate::lints::run(file, &raw.servers, &servers, &tests, v.diags);
    }
    if diags.has_errors() {
        return None;
    }
    Some(Rules {
        runtime,
        kvs,
        servers,
        tests,
        hash: hash(file.text()),
    })
}

/// The first 12 hex digits of the SHA-256 of a text.
pub fn hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The validation state shared by the checks.
pub struct Validator<'f, 'd> {
    pub file: &'f SourceFile,
    pub diags: &'d mut Diagnostics,
}

impl Validator<'_, '_> {
    /// Report a problem at a byte range inside a text value.
    pub fn inner(
        &mut self,
        text: &Text,
        offset: usize,
        len: usize,
        code: Code,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let span = self.inner_span(text, offset, len);
        self.diags.at(code, span, message)
    }

    /// The span of `len` bytes at `offset` inside a text value, when the source shows it as written.
    pub fn inner_span(&self, text: &Text, offset: usize, len: usize) -> Span {
        let source = self.file.slice(text.span);
        let body_start = match source.as_bytes().first() {
            Some(b'"' | b'\'') => 1,
            _ => 0,
        };
        let written_as_is = source
            .get(body_start..)
            .is_some_and(|s| s.starts_with(text.value.as_str()));
        if written_as_is && offset + len <= text.value.len() {
            text.span.sub(body_start + offset, len)
        } else {
            text.span
        }
    }

    /// Report a problem of the whole text `text`.
    pub fn problem(&mut self, text: &Text, problem: Problem) {
        self.problem_at(text, 0, problem);
    }

    /// Report a problem of the part of `text` that starts at byte `base`.
    pub fn problem_at(&mut self, text: &Text, base: usize, problem: Problem) {
        let Problem {
            code,
            message,
            offset,
            len,
            help,
        } = problem;
        let d = self.inner(text, base + offset, len, code, message);
        d.help = help;
    }

    fn header(&mut self, raw: &RawConfig) -> Runtime {
        if let Some(version) = &raw.version
            && version.value != "1"
        {
            self.diags
                .at(
                    Code::UnsupportedVersion,
                    version.span,
                    format!("unsupported format version `{}`", version.value),
                )
                .set_help("this edgeroute reads `edgeroute: 1`");
        }
        if let Some(files) = &raw.files
            && files.value != "extension"
        {
            self.diags
                .at(
                    Code::InvalidValue,
                    files.span,
                    format!("unknown files model `{}`", files.value),
                )
                .set_help("version 1 has one files model: `extension`");
        }
        match &raw.runtime {
            None => Runtime::Js1,
            Some(text) => Runtime::from_name(&text.value).unwrap_or_else(|| {
                self.diags
                    .at(
                        Code::UnsupportedRuntime,
                        text.span,
                        format!("unknown runtime `{}`", text.value),
                    )
                    .set_help("use cloudfront-js-1.0 or cloudfront-js-2.0");
                Runtime::Js1
            }),
        }
    }

    /// `kvs: true`: cloudfront-js-2.0 only; without it a rules file is at most 1 MiB.
    fn kvs(&mut self, raw: &RawConfig, runtime: Runtime) -> bool {
        let kvs = raw.kvs.as_ref().is_some_and(|t| self.boolean(t));
        if let Some(text) = raw.kvs.as_ref().filter(|_| kvs && runtime != Runtime::Js2) {
            self.diags
                .at(
                    Code::KvsNeedsJs2,
                    text.span,
                    "`kvs: true` needs cloudfront-js-2.0: KeyValueStore is a 2.0 feature",
                )
                .set_help("set `runtime: cloudfront-js-2.0` at the top of the file");
        }
        let len = self.file.text().len();
        if !kvs && len > crate::read::yaml::MAX_BYTES {
            self.diags.push(crate::diagnostic::Diagnostic::new(
                Code::InputTooLarge,
                None,
                format!(
                    "the file is {len} bytes; rules files are at most {} bytes without `kvs: true`",
                    crate::read::yaml::MAX_BYTES
                ),
            ));
        }
        kvs
    }

    fn server(&mut self, raw: &RawServer, runtime: Runtime) -> Server {
        let declared = self.declared_params(raw);
        let checks = self.param_checks(raw, &declared);
        let names: Vec<ServerName> = raw
            .server_name
            .iter()
            .flat_map(|t| self.server_name(t, &checks))
            .collect();
        let params: Vec<String> = names
            .iter()
            .flat_map(|n| match n {
                ServerName::Pattern { params, .. } => {
                    params.iter().filter_map(|p| p.name.clone()).collect()
                }
                _ => Vec::new(),
            })
            .fold(Vec::new(), |mut all, name| {
                if !all.contains(&name) {
                    all.push(name);
                }
                all
            });
        let default = raw.default_server.as_ref().is_some_and(|t| self.boolean(t));
        for (key, present) in [
            ("alias", raw.block.alias.is_some()),
            ("try_files", raw.block.try_files.is_some()),
        ] {
            if present {
                self.diags
                    .at(
                        Code::LocationOnly,
                        raw.span.sub(0, 0),
                        format!("`{key}` is a location directive"),
                    )
                    .set_help(format!("move `{key}` into a location"));
            }
        }
        let server_scope = Scope {
            params: &params,
            named: Vec::new(),
            captures: 0,
            no_captures_because: "server_name captures are not available (use named groups or params)",
        };
        let block = self.block(&raw.block, server_scope, runtime, None);
        crate::validate::boundary::check(self.diags, &raw.block, &block, None);
        let locations: Vec<Location> = raw
            .locations
            .iter()
            .map(|l| self.location(l, &params, runtime, raw.block.root.is_some()))
            .collect();
        self.duplicate_locations(&locations);
        self.server_warnings(raw, &block, &locations);
        Server {
            span: raw.span,
            label: raw
                .server_name
                .first()
                .map(|t| t.value.clone())
                .unwrap_or_default(),
            names,
            default,
            block,
            locations,
            allow: self.allow(raw.allow.as_ref()),
        }
    }

    /// Names of `{param}`s written in the server's patterns.
    fn declared_params(&mut self, raw: &RawServer) -> Vec<String> {
        let mut names = Vec::new();
        for text in &raw.server_name {
            if text.value.starts_with('~') {
                continue;
            }
            for label in text.value.split('.') {
                if let Some(name) = label.strip_prefix('{').and_then(|l| l.strip_suffix('}'))
                    && !names.iter().any(|n| n == name)
                {
                    names.push(name.to_owned());
                }
            }
        }
        names
    }

    fn param_checks(&mut self, raw: &RawServer, declared: &[String]) -> Vec<(String, Regex)> {
        let mut checks = Vec::new();
        for (name, pattern) in &raw.params {
            if !declared.contains(&name.value) {
                let d = self.diags.at(
                    Code::UnknownParam,
                    name.span,
                    format!("`{}` is not a `{{param}}` of this server", name.value),
                );
                d.help = crate::diagnostic::did_you_mean(
                    &name.value,
                    declared.iter().map(String::as_str),
                )
                .map(|c| format!("did you mean `{c}`?"))
                .or_else(|| {
                    Some(
                        "every key under `params` names a `{param}` label of server_name"
                            .to_owned(),
                    )
                });
                continue;
            }
            match rx::anchored(&pattern.value) {
                Ok(regex) => checks.push((name.value.clone(), regex)),
                Err(e) => self.problem_at(pattern, 0, e),
            }
        }
        checks
    }

    fn server_name(&mut self, text: &Text, checks: &[(String, Regex)]) -> Vec<ServerName> {
        let name = text.value.as_str();
        if let Some(regex) = name.strip_prefix('~') {
            let base = name.len() - regex.len();
            return match rx::translate(regex, true) {
                Ok(regex) => {
                    let params = regex
                        .groups
                        .iter()
                        .map(|g| GroupParam {
                            name: g.clone(),
                            check: None,
                        })
                        .collect();
                    vec![ServerName::Pattern {
                        text: name.to_owned(),
                        regex,
                        params,
                    }]
                }
                Err(e) => {
                    self.problem_at(text, base, e);
                    Vec::new()
                }
            };
        }
        let lower = name.to_ascii_lowercase();
        if let Some(problem) = host_pattern_problem(&lower) {
            self.problem(text, problem);
            return Vec::new();
        }
        if lower.contains('{') {
            return vec![param_pattern(name, &lower, checks)];
        }
        if let Some(suffix) = lower.strip_prefix('*') {
            return vec![ServerName::Leading(suffix.to_owned())];
        }
        if let Some(prefix) = lower.strip_suffix('*') {
            return vec![ServerName::Trailing(prefix.to_owned())];
        }
        if let Some(rest) = lower.strip_prefix('.') {
            return vec![
                ServerName::Exact(rest.to_owned()),
                ServerName::Leading(lower.clone()),
            ];
        }
        vec![ServerName::Exact(lower)]
    }

    fn boolean(&mut self, text: &Text) -> bool {
        match text.value.as_str() {
            "true" => true,
            "false" => false,
            _ => {
                self.diags.at(
                    Code::InvalidValue,
                    text.span,
                    format!("expected true or false, found `{}`", text.value),
                );
                false
            }
        }
    }

    fn location(
        &mut self,
        raw: &RawLocation,
        params: &[String],
        runtime: Runtime,
        server_root: bool,
    ) -> Location {
        let text = &raw.location;
        let spec = match directive::location(&text.value) {
            Ok(spec) => spec,
            Err(problem) => {
                self.problem(text, problem);
                return placeholder_location(raw);
            }
        };
        let kind = match spec.modifier {
            "=" => LocationKind::Exact(spec.target.to_owned()),
            "^~" => LocationKind::Prefix {
                path: spec.target.to_owned(),
                stop_regex: true,
            },
            "" => LocationKind::Prefix {
                path: spec.target.to_owned(),
                stop_regex: false,
            },
            _ => match rx::translate(spec.target, spec.modifier == "~*") {
                Ok(regex) => LocationKind::Regex(regex),
                Err(e) => {
                    self.problem_at(text, spec.target_offset, e);
                    return placeholder_location(raw);
                }
            },
        };
        let (named, groups) = match &kind {
            LocationKind::Regex(r) => {
                (r.groups.iter().flatten().cloned().collect(), r.groups.len())
            }
            _ => (Vec::new(), 0),
        };
        let scope = Scope {
            params,
            named,
            captures: groups,
            no_captures_because: "this location has no regex with groups",
        };
        let block = self.block(&raw.block, scope, runtime, Some(&kind));
        self.location_rules(raw, &kind, &block, server_root);
        crate::validate::boundary::check(self.diags, &raw.block, &block, Some(&kind));
        let text = if spec.modifier.is_empty() {
            spec.target.to_owned()
        } else {
            format!("{} {}", spec.modifier, spec.target)
        };
        Location {
            span: raw.location.span,
            text,
            kind,
            block,
            allow: self.allow(raw.allow.as_ref()),
        }
    }

    /// The lint codes of an `allow:` list; anything else is an error with a did-you-mean.
    fn allow(&mut self, raw: Option<&crate::source::Spanned<Vec<Text>>>) -> Vec<Code> {
        let mut out = Vec::new();
        for text in raw.map(|r| r.value.as_slice()).unwrap_or_default() {
            match crate::lints::CODES.iter().find(|c| c.name() == text.value) {
                Some(code) => out.push(*code),
                None => {
                    let names = crate::lints::CODES.iter().map(|c| c.name());
                    let d = self.diags.at(
                        Code::InvalidValue,
                        text.span,
                        format!("`{}` is not a lint code", text.value),
                    );
                    d.help = Some(match crate::diagnostic::did_you_mean(&text.value, names) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!(
                            "`allow` accepts the lint codes: {}",
                            crate::lints::CODES
                                .iter()
                                .map(|c| c.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
            }
        }
        out
    }

    /// Directive combinations rules.md forbids in a location.
    /// `server_root`: the server writes a `root` (valid or not: a bad one has its own error).
    fn location_rules(
        &mut self,
        raw: &RawLocation,
        kind: &LocationKind,
        block: &Block,
        server_root: bool,
    ) {
        let here = raw.location.span;
        if let (Some(_), Some(ret)) = (&block.try_files, &raw.block.ret) {
            self.diags
                .at(
                    Code::UnreachableDirective,
                    ret.span,
                    "`return` and `try_files` in one location: one of them can never run",
                )
                .set_help("keep one of them, or move one into another location");
        }
        if let Some(alias) = &raw.block.alias {
            if raw.block.root.is_some() {
                self.diags
                    .at(
                        Code::AliasWithRoot,
                        alias.span,
                        "`alias` and `root` in one location",
                    )
                    .set_help("keep one of them");
            }
            if let Some(rule) = block.rewrites.iter().find(|r| r.flag == Flag::Break) {
                self.diags
                    .at(
                        Code::AliasWithBreak,
                        rule.span,
                        "a rewrite that stays in this location cannot be served with `alias`",
                    )
                    .set_help(
                        "nginx answers 500 here; use `root`, or `last` to search locations again",
                    );
            }
            if let (LocationKind::Regex(_), Some(tf)) = (kind, &raw.block.try_files) {
                self.diags.at(
                    Code::InvalidTryFiles,
                    tf.span,
                    "`try_files` with `alias` in a regex location cannot map candidates to paths",
                );
            }
        }
        let answers = block.ret.is_some();
        let has_path = raw.block.root.is_some() || raw.block.alias.is_some() || server_root;
        if !answers && !has_path {
            self.diags
                .at(
                    Code::MissingRoot,
                    here,
                    "requests can pass this location without a `root` or `alias`",
                )
                .set_help(
                    "set `root` on the server or here, `alias` here, or answer with `return`",
                );
        }
        if let (Some(tf), Some(alias)) = (&raw.block.try_files, &block.alias) {
            self.alias_candidates(tf, kind, alias);
        }
    }

    /// With alias, literal candidates must lie under the location's prefix.
    fn alias_candidates(
        &mut self,
        tf: &crate::source::Spanned<Vec<Text>>,
        kind: &LocationKind,
        _alias: &Value,
    ) {
        let prefix = match kind {
            LocationKind::Exact(p) | LocationKind::Prefix { path: p, .. } => p,
            LocationKind::Regex(_) => return,
        };
        let Some((_, candidates)) = tf.value.split_last() else {
            return;
        };
        for c in candidates {
            if !c.value.starts_with('$') && !c.value.starts_with(prefix.as_str()) {
                self.diags.at(
                    Code::InvalidTryFiles,
                    c.span,
                    format!(
                        "with `alias`, a candidate must start with the location's path `{prefix}`"
                    ),
                );
            }
        }
    }

    /// nginx refuses the same location twice; `/p` and `^~ /p` are the same prefix.
    fn duplicate_locations(&mut self, locations: &[Location]) {
        fn key(kind: &LocationKind) -> (u8, &str, bool) {
            match kind {
                LocationKind::Exact(path) => (0, path, false),
                LocationKind::Prefix { path, .. } => (1, path, false),
                LocationKind::Regex(re) => (2, &re.source, re.caseless),
            }
        }
        for (i, later) in locations.iter().enumerate() {
            if let Some(earlier) = locations[..i]
                .iter()
                .find(|e| key(&e.kind) == key(&later.kind))
            {
                self.diags
                    .at(
                        Code::DuplicateLocation,
                        later.span,
                        format!(
                            "`{}` repeats an earlier location of this server",
                            later.text
                        ),
                    )
                    .set_help(format!("merge it with `{}`, written earlier", earlier.text));
            }
        }
    }

    fn server_warnings(&mut self, raw: &RawServer, block: &Block, locations: &[Location]) {
        if raw.locations.is_empty() && block.ret.is_none() {
            self.diags.at(
                Code::NoLocations,
                raw.span.sub(0, 0),
                "this server has no locations: every request it gets answers 404",
            );
        }
        let phase_can_end = block
            .rewrites
            .iter()
            .any(|r| matches!(r.flag, Flag::Last | Flag::Break));
        if let (Some(ret), Some(first)) = (&block.ret, locations.first())
            && !phase_can_end
        {
            self.diags
                .at(Code::UnreachableLocation, first.span.sub(0, 0), "the server's `return` answers every request: these locations never run")
                .set_help(format!("the `return` at line {} runs before any location; remove it or move it into a location", self.file.line_col(ret.span.start).0));
        }
    }

    fn across_servers(&mut self, raw: &[RawServer], servers: &[Server]) {
        let mut seen: Vec<(String, Span)> = Vec::new();
        for raw_server in raw {
            for text in &raw_server.server_name {
                for key in server_name_keys(&text.value) {
                    if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                        let (line, col) = self.file.line_col(first.start);
                        self.diags
                            .at(
                                Code::DuplicateServerName,
                                text.span,
                                format!("`{key}` is already a name of another server"),
                            )
                            .set_label(format!("first at {line}:{col}"));
                    } else {
                        seen.push((key, text.span));
                    }
                }
            }
        }
        let defaults: Vec<&RawServer> = raw
            .iter()
            .zip(servers)
            .filter(|(_, s)| s.default)
            .map(|(r, _)| r)
            .collect();
        for extra in defaults.iter().skip(1) {
            if let Some(t) = &extra.default_server {
                self.diags.at(
                    Code::InvalidValue,
                    t.span,
                    "only one server can be the default_server",
                );
            }
        }
    }
}

impl Validator<'_, '_> {
    /// The directives of one block, with variables resolved in `scope`.
    fn block(
        &mut self,
        raw: &RawBlock,
        scope: Scope<'_>,
        runtime: Runtime,
        location: Option<&LocationKind>,
    ) -> Block {
        let rewrites = self.rewrites(raw, &scope);
        let mut after = scope.clone();
        for r in &rewrites {
            if let Some(re) = &r.regex {
                after.named.extend(re.groups.iter().flatten().cloned());
            }
        }
        if !rewrites.is_empty() && after.captures > 0 {
            after.captures = 0;
            after.no_captures_because = "a rewrite rule before it may have cleared them";
        }
        if let Some(target) = raw.rewrite.as_ref().and_then(|r| {
            let rules = &r.value;
            rules
                .iter()
                .position(|t| directive::words(&t.value).len() == 1)
                .filter(|&i| i + 1 < rules.len() || raw.ret.is_some())
                .map(|i| &rules[i])
        }) {
            self.diags
                .at(
                    Code::UnreachableDirective,
                    target.span,
                    "nothing after a one-argument `rewrite: TARGET` in the same block can run",
                )
                .set_help("put `rewrite: TARGET` last, or use `REGEX REPLACEMENT` rules");
        }
        Block {
            root: raw
                .root
                .as_ref()
                .and_then(|t| self.path_value(t, &after, true)),
            alias: raw
                .alias
                .as_ref()
                .and_then(|t| self.path_value(t, &after, false)),
            index: raw
                .index
                .as_ref()
                .and_then(|t| match directive::index(&t.value) {
                    Ok(()) => Some(t.value.clone()),
                    Err(p) => {
                        self.problem(t, p);
                        None
                    }
                }),
            access: raw.access.as_ref().map(|list| self.access(&list.value)),
            headers: raw
                .add_request_headers
                .as_ref()
                .map(|h| self.headers(&h.value, &after)),
            origin: raw.origin.as_ref().and_then(|o| self.origin(o, runtime)),
            ret: raw.ret.as_ref().and_then(|t| self.ret(t, &after)),
            try_files: raw
                .try_files
                .as_ref()
                .and_then(|tf| self.try_files(tf, &after, location.is_some())),
            rewrites,
        }
    }

    /// Parse a value; report its problems at their place in the file.
    pub fn value(
        &mut self,
        text: &Text,
        base: usize,
        part: &str,
        scope: &Scope<'_>,
    ) -> Option<Value> {
        match vars::parse(part, scope) {
            Ok(v) => Some(v),
            Err(problems) => {
                for problem in problems {
                    self.problem_at(text, base, problem);
                }
                None
            }
        }
    }

    fn path_value(&mut self, text: &Text, scope: &Scope<'_>, is_root: bool) -> Option<Value> {
        let raw = text.value.as_str();
        if !raw.starts_with('/') && !raw.starts_with('$') {
            self.diags.at(
                Code::InvalidPath,
                text.span,
                "a root or alias starts with `/`",
            );
            return None;
        }
        let mut value = self.value(text, 0, raw, scope)?;
        for part in &value.parts {
            if let Part::Lit(lit) = part
                && let Some(c) = lit.chars().find(|c| !directive::path_char(*c))
            {
                let offset = raw.find(c).unwrap_or(0);
                self.inner(text, offset, c.len_utf8(), Code::InvalidPath, format!("{c:?} cannot stand in a bucket path as written"))
                    .set_help("paths hold letters, digits and -._~/!&'()*+,;=:@; the origin path is percent-encoded for you");
                return None;
            }
        }
        if is_root && let Some(Part::Lit(last)) = value.parts.last_mut() {
            if last.ends_with('/') {
                last.pop();
            }
            if last.is_empty() {
                value.parts.pop();
            }
        }
        Some(value)
    }

    fn rewrites(&mut self, raw: &RawBlock, scope: &Scope<'_>) -> Vec<Rewrite> {
        let Some(rules) = &raw.rewrite else {
            return Vec::new();
        };
        let mut named = scope.named.clone();
        let mut out = Vec::new();
        for text in &rules.value {
            let spec = match directive::rewrite(&text.value) {
                Ok(spec) => spec,
                Err(p) => {
                    self.problem(text, p);
                    continue;
                }
            };
            let regex = match spec.regex {
                None => None,
                Some((offset, source)) => match rx::translate(source, false) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        self.problem_at(text, offset, e);
                        continue;
                    }
                },
            };
            if let Some(r) = &regex {
                named.extend(r.groups.iter().flatten().cloned());
            }
            let rule_scope = Scope {
                params: scope.params,
                named: named.clone(),
                captures: regex.as_ref().map_or(0, |r| r.groups.len()),
                no_captures_because: if regex.is_some() {
                    "this rule's regex has no groups"
                } else {
                    "a one-argument rewrite has no regex"
                },
            };
            let (offset, replacement) = spec.replacement;
            let Some((path, query)) = self.split_query(text, offset, replacement, &rule_scope)
            else {
                continue;
            };
            out.push(Rewrite {
                span: text.span,
                regex,
                path,
                query,
                flag: spec.flag,
            });
        }
        out
    }

    /// Split a replacement at the first `?` as written, parsing both halves.
    fn split_query(
        &mut self,
        text: &Text,
        base: usize,
        written: &str,
        scope: &Scope<'_>,
    ) -> Option<(Value, Option<Query>)> {
        let Some(q) = written.find('?') else {
            return Some((self.value(text, base, written, scope)?, None));
        };
        let path = self.value(text, base, &written[..q], scope);
        let query_text = &written[q + 1..];
        let (query_text, drop_original) = match query_text.strip_suffix('?') {
            Some(t) => (t, true),
            None => (query_text, query_text.is_empty()),
        };
        let query = self.value(text, base + q + 1, query_text, scope)?;
        Some((
            path?,
            Some(Query {
                value: query,
                drop_original,
            }),
        ))
    }

    fn ret(&mut self, text: &Text, scope: &Scope<'_>) -> Option<Return> {
        let (code, rest) = match directive::ret(&text.value) {
            Ok(r) => r,
            Err(p) => {
                self.problem(text, p);
                return None;
            }
        };
        let value = match rest {
            Some((offset, rest)) => Some(self.value(text, offset, rest, scope)?),
            None => None,
        };
        Some(Return {
            span: text.span,
            code,
            value,
        })
    }

    fn try_files(
        &mut self,
        tf: &crate::source::Spanned<Vec<Text>>,
        scope: &Scope<'_>,
        in_location: bool,
    ) -> Option<TryFiles> {
        if !in_location {
            return None;
        }
        let Some((fallback, candidates)) = tf.value.split_last().filter(|(_, c)| !c.is_empty())
        else {
            self.diags
                .at(
                    Code::InvalidTryFiles,
                    tf.span,
                    "try_files needs at least one candidate and a fallback",
                )
                .set_help("for example `try_files: [$uri, /index.html]`");
            return None;
        };
        let mut out = Vec::new();
        let mut always_exists = false;
        for c in candidates {
            if always_exists {
                self.diags.at(
                    Code::UnreachableCandidate,
                    c.span,
                    "an earlier candidate always exists under the `extension` files model",
                );
            }
            let value = self.value(c, 0, &c.value, scope)?;
            let dir = c.value.ends_with('/');
            let tail = value.literal_tail();
            always_exists |= !dir && tail.rsplit('/').next().is_some_and(|seg| seg.contains('.'));
            out.push(Candidate { value, dir });
        }
        let fallback = if let Some(code) = fallback.value.strip_prefix('=') {
            match directive::status(code, 1, Code::InvalidTryFiles) {
                Ok(code) => Fallback::Code(code),
                Err(p) => {
                    self.problem(fallback, p);
                    return None;
                }
            }
        } else {
            if !fallback.value.starts_with('/') && !fallback.value.starts_with('$') {
                self.diags
                    .at(
                        Code::InvalidTryFiles,
                        fallback.span,
                        "the fallback is a URI starting with `/` or `=CODE`",
                    )
                    .set_help("named locations (`@name`) have no form in edgeroute rules");
                return None;
            }
            let (path, query) = self.split_query(fallback, 0, &fallback.value, scope)?;
            Fallback::Uri {
                path,
                query: query.map(|q| q.value),
            }
        };
        Some(TryFiles {
            candidates: out,
            fallback,
        })
    }

    fn access(&mut self, entries: &[Text]) -> Vec<AccessEntry> {
        let mut out = Vec::new();
        for text in entries {
            match directive::access(&text.value) {
                Ok((entry, host_bits)) => {
                    if host_bits {
                        self.diags
                            .at(
                                Code::HostBitsSet,
                                text.span,
                                "bits past the prefix length are ignored",
                            )
                            .set_help(format!(
                                "write `{}`",
                                entry.net.map(|n| n.to_string()).unwrap_or_default()
                            ));
                    }
                    out.push(entry);
                }
                Err(p) => self.problem(text, p),
            }
        }
        out
    }

    fn headers(&mut self, pairs: &[(Text, Text)], scope: &Scope<'_>) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = Vec::new();
        for (name, value) in pairs {
            let lower = name.value.to_ascii_lowercase();
            if let Some(why) = directive::forbidden_header(&lower) {
                self.diags.at(
                    Code::ForbiddenHeader,
                    name.span,
                    format!("`{}` cannot be set: {why}", name.value),
                );
                continue;
            }
            if out.iter().any(|(n, _)| *n == lower) {
                self.diags.at(
                    Code::DuplicateKey,
                    name.span,
                    format!("`{}` is set twice", name.value),
                );
                continue;
            }
            if let Some(v) = self.value(value, 0, &value.value, scope) {
                out.push((lower, v));
            }
        }
        out
    }

    fn origin(&mut self, raw: &RawOrigin, runtime: Runtime) -> Option<Origin> {
        if runtime == Runtime::Js1 {
            self.diags
                .at(
                    Code::OriginNeedsJs2,
                    raw.span(),
                    "`origin` needs the cloudfront-js-2.0 runtime",
                )
                .set_help("add `runtime: cloudfront-js-2.0` at the top of the file");
            return None;
        }
        let (text, domain) = match raw {
            RawOrigin::Id(t) => (t, false),
            RawOrigin::Domain(t) => (t, true),
        };
        if let Err(p) = directive::origin_name(&text.value, domain) {
            self.problem(text, p);
            return None;
        }
        Some(if domain {
            Origin::Domain(text.value.clone())
        } else {
            Origin::Id(text.value.clone())
        })
    }
}

/// What in a lower-cased host pattern makes it unusable, if anything.
fn host_pattern_problem(name: &str) -> Option<Problem> {
    let bad = |offset: usize, message: &str| {
        Some(Problem::new(Code::InvalidServerName, message, offset, 1))
    };
    if name.is_empty() {
        return bad(0, "an empty server name");
    }
    let stars = name.matches('*').count();
    if stars > 1 || (stars == 1 && !name.starts_with("*.") && !name.ends_with(".*")) {
        return bad(
            name.find('*').unwrap_or(0),
            "`*` stands only as the whole first or last label (`*.example.com`, `www.example.*`)",
        );
    }
    if stars == 1 && name.contains('{') {
        return bad(
            name.find('*').unwrap_or(0),
            "a name has either `*` or `{params}`, not both",
        );
    }
    if name.len() > 253 {
        return bad(253, "a host name is at most 253 characters");
    }
    if name.ends_with('.') {
        return bad(
            name.len() - 1,
            "a trailing dot: hosts are compared without it",
        );
    }
    let mut offset = 0;
    for (i, label) in name.split('.').enumerate() {
        let leading_dot = i == 0 && stars == 0 && !name.contains('{');
        if label.is_empty() && !leading_dot {
            return bad(offset, "an empty label (`..`)");
        }
        if label.contains('{') || label.contains('}') {
            // Not `{…}` (a lone `}` or `{`, say): no name inside, which the checks below reject.
            let inner = label
                .strip_prefix('{')
                .and_then(|l| l.strip_suffix('}'))
                .unwrap_or("");
            if inner.is_empty()
                || !inner
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
                || inner.as_bytes()[0].is_ascii_digit()
            {
                return Some(
                    Problem::new(Code::InvalidServerName, "a `{param}` must be a whole label, named with letters, digits and `_`", offset, label.len().max(1))
                        .help("write `{pr}.example.com` with `params: {pr: \"pr-[0-9]+\"}`, not `pr-{n}.example.com`"),
                );
            }
        } else if label != "*" && label.len() > 63 {
            return bad(offset, "a label is at most 63 characters");
        } else if let Some(j) =
            label.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*'))
        {
            return bad(offset + j, "host names hold letters, digits, `-` and `_`");
        }
        offset += label.len() + 1;
    }
    None
}

/// A `{param}` pattern → a regex with one group per param, each checked against its pattern.
fn param_pattern(text: &str, lower: &str, checks: &[(String, Regex)]) -> ServerName {
    const DEFAULT: &str = "[a-z0-9]([a-z0-9-]*[a-z0-9])?";
    let mut source = String::from("^");
    let mut params = Vec::new();
    for (i, label) in lower.split('.').enumerate() {
        if i > 0 {
            source.push_str("\\.");
        }
        match label.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
            Some(name) => {
                source.push_str("([^.]{1,63})");
                let original = text
                    .split('.')
                    .nth(i)
                    .and_then(|l| l.strip_prefix('{'))
                    .and_then(|l| l.strip_suffix('}'))
                    .unwrap_or(name);
                let check = checks
                    .iter()
                    .find(|(n, _)| n == original)
                    .map(|(_, r)| r.clone())
                    .unwrap_or_else(|| {
                        rx::anchored(DEFAULT).expect("the default param pattern is valid")
                    });
                params.push(GroupParam {
                    name: Some(original.to_owned()),
                    check: Some(check),
                });
            }
            None => source.push_str(&label.replace('.', "\\.").replace('-', "\\-")),
        }
    }
    source.push('$');
    ServerName::Pattern {
        text: text.to_owned(),
        regex: Regex {
            source,
            caseless: false,
            groups: params.iter().map(|p: &GroupParam| p.name.clone()).collect(),
        },
        params,
    }
}

/// For each written server_name, the keys two servers may not share.
fn server_name_keys(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    match lower.strip_prefix('.') {
        Some(rest) if !text.starts_with('~') => vec![rest.to_owned(), format!("*{lower}")],
        _ => vec![lower],
    }
}

fn placeholder_location(raw: &RawLocation) -> Location {
    Location {
        span: raw.location.span,
        text: raw.location.value.clone(),
        kind: LocationKind::Exact(String::new()),
        block: Block::default(),
        allow: Vec::new(),
    }
}
