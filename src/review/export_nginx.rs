//! Valid rules → an nginx configuration that routes the same way (`edgeroute export nginx`).
//!
//! The output is one `server { }` block per server, for an `include` inside `http { }`: for local
//! development against a copy of the bucket, and as the oracle of the differential tests
//! (tests/integration/differential.rs). Everything nginx can say the same way is said the same way;
//! what it cannot is listed in the header comment and in docs/nginx-fidelity.md:
//!
//! - `{param}` server names become regex names with named captures, one lookahead per param
//!   checking the whole label against its pattern, so `$id` works in `root` as in the rules;
//! - regexes are written back with their group names (the model keeps them translated for
//!   JavaScript; the common subset is valid PCRE, cloudfront-runtime.md §9);
//! - every access list ends with `deny all` (rules.md: no matching entry denies);
//! - a server without a `location /` gets `location / { return 404; }`, which is exactly rules.md's
//!   "no location matches answers 404" (a prefix `/` loses to every other match);
//! - `add_request_headers` and `origin` act on the request sent to the origin: nginx serving files
//!   has none, so they are kept as comments. Golden tests are not exported.

use std::fmt::Write as _;

use crate::model::{
    AccessEntry, Block, Fallback, Flag, Location, LocationKind, Origin, Part, Regex, Return,
    Rewrite, Rules, Server, ServerName, TryFiles, Value, Var,
};

/// How the configuration is placed.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `listen` address of every server (`80`, `127.0.0.1:8080`).
    pub listen: String,
    /// Put before every `root` and `alias`: the folder that holds a copy of the bucket.
    pub root_prefix: String,
    /// The rules file's name, for the header comment.
    pub source: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            listen: "80".to_owned(),
            root_prefix: String::new(),
            source: "edgeroute.yaml".to_owned(),
        }
    }
}

/// The nginx configuration for `rules`.
pub fn nginx(rules: &Rules, options: &Options) -> String {
    let mut out = header(rules, options);
    for server in &rules.servers {
        out.push('\n');
        write_server(&mut out, server, options);
    }
    out
}

/// A regex in PCRE form: the translated source with its group names put back.
pub fn pcre(regex: &Regex) -> String {
    let mut names = regex.groups.iter();
    let mut out = String::with_capacity(regex.source.len() + 8);
    let mut chars = regex.source.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '\\' => out.extend(chars.next()),
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class && chars.peek() != Some(&'?') => {
                if let Some(Some(name)) = names.next() {
                    let _ = write!(out, "?<{name}>");
                }
            }
            _ => {}
        }
    }
    out
}

fn header(rules: &Rules, options: &Options) -> String {
    format!(
        "# nginx configuration exported by edgeroute {} from {} (rules sha256:{})\n\
         # Include it inside `http {{ }}`. It routes as the generated function does, except where\n\
         # edgeroute deliberately differs from nginx (docs/nginx-fidelity.md):\n\
         # - nginx runs `rewrite` and `return` before `allow`/`deny`; the function checks access first;\n\
         # - a param that did not match is an empty string here; the function answers 404;\n\
         # - nginx sees real files and folders; the function follows the `extension` files model;\n\
         # - relative redirects use this server's scheme and port; the function uses https://$host;\n\
         # - the function always escapes `&`, `+`, `;` and non-ASCII in query values it writes;\n\
         #   nginx only when the request held an escape or a `+`;\n\
         # - the function answers 400 for control characters in the path and over-long host labels,\n\
         #   and 404 for an origin path with `.` or `..` segments (nginx's alias can climb out).\n",
        env!("CARGO_PKG_VERSION"),
        options.source,
        rules.hash,
    )
}

/// A server; without `default_server`, nginx's default is the first server, as in rules.md.
fn write_server(out: &mut String, server: &Server, options: &Options) {
    out.push_str("server {\n");
    let flag = if server.default {
        " default_server"
    } else {
        ""
    };
    let _ = writeln!(out, "    listen {}{flag};", options.listen);
    let names: Vec<String> = server.names.iter().map(server_name).collect();
    let _ = writeln!(out, "    server_name {};", names.join(" "));
    write_block(out, &server.block, "    ", options);
    for location in &server.locations {
        out.push('\n');
        write_location(out, location, options);
    }
    if !server.locations.iter().any(is_root_prefix) {
        out.push_str("\n    # rules.md: a request that matches no location answers 404\n");
        out.push_str("    location / {\n        return 404;\n    }\n");
    }
    out.push_str("}\n");
}

fn is_root_prefix(location: &Location) -> bool {
    matches!(&location.kind, LocationKind::Prefix { path, .. } if path == "/")
}

fn write_location(out: &mut String, location: &Location, options: &Options) {
    let head = match &location.kind {
        LocationKind::Exact(path) => format!("= {}", word(&as_bytes_text(path))),
        LocationKind::Prefix {
            path,
            stop_regex: true,
        } => format!("^~ {}", word(&as_bytes_text(path))),
        LocationKind::Prefix { path, .. } => word(&as_bytes_text(path)),
        LocationKind::Regex(regex) => {
            let modifier = if regex.caseless { "~*" } else { "~" };
            format!("{modifier} {}", word(&pcre(regex)))
        }
    };
    let _ = writeln!(out, "    location {head} {{");
    write_block(out, &location.block, "        ", options);
    out.push_str("    }\n");
}

/// The directives of a server or location, in the order nginx runs them.
fn write_block(out: &mut String, block: &Block, indent: &str, options: &Options) {
    if let Some(root) = &block.root {
        let mut root = rooted(root, options);
        if root.len() > 1 && root.ends_with('/') {
            root.pop();
        }
        let _ = writeln!(out, "{indent}root {};", word(&root));
    }
    if let Some(alias) = &block.alias {
        let _ = writeln!(out, "{indent}alias {};", word(&rooted(alias, options)));
    }
    if let Some(index) = &block.index {
        let _ = writeln!(out, "{indent}index {};", word(index));
    }
    if let Some(entries) = &block.access {
        write_access(out, entries, indent);
    }
    for rule in &block.rewrites {
        let _ = writeln!(out, "{indent}{}", rewrite(rule));
    }
    if let Some(ret) = &block.ret {
        let _ = writeln!(out, "{indent}{}", return_directive(ret));
    }
    if let Some(tf) = &block.try_files {
        let _ = writeln!(out, "{indent}{}", try_files(tf));
    }
    if let Some(headers) = &block.headers {
        for (name, value) in headers {
            let _ = writeln!(
                out,
                "{indent}# add_request_headers: {name}: {} (on the request to the origin)",
                value.display()
            );
        }
    }
    if let Some(origin) = &block.origin {
        let origin = match origin {
            Origin::Id(id) => format!("origin id {id}"),
            Origin::Domain(domain) => format!("origin domain {domain}"),
        };
        let _ = writeln!(out, "{indent}# origin: {origin} (CloudFront only)");
    }
}

fn write_access(out: &mut String, entries: &[AccessEntry], indent: &str) {
    for entry in entries {
        let verb = if entry.allow { "allow" } else { "deny" };
        let target = entry
            .net
            .map_or_else(|| "all".to_owned(), |n| n.to_string());
        let _ = writeln!(out, "{indent}{verb} {target};");
    }
    if entries.last().is_none_or(|e| e.net.is_some()) {
        let _ = writeln!(
            out,
            "{indent}deny all;  # rules.md: no matching entry denies"
        );
    }
}

fn rewrite(rule: &Rewrite) -> String {
    let mut replacement = value(&rule.path);
    if let Some(query) = &rule.query {
        replacement.push('?');
        replacement.push_str(&value(&query.value));
        if query.drop_original && !query.value.parts.is_empty() {
            replacement.push('?');
        }
    }
    let Some(regex) = &rule.regex else {
        return format!("rewrite ^ {} break;", word(&replacement));
    };
    let flag = match rule.flag {
        Flag::None => "",
        Flag::Last => " last",
        Flag::Break => " break",
        Flag::Redirect => " redirect",
        Flag::Permanent => " permanent",
    };
    format!(
        "rewrite {} {}{flag};",
        word(&pcre(regex)),
        word(&replacement)
    )
}

fn return_directive(ret: &Return) -> String {
    match &ret.value {
        Some(text) => format!("return {} {};", ret.code, word(&value(text))),
        None => format!("return {};", ret.code),
    }
}

fn try_files(tf: &TryFiles) -> String {
    let mut words: Vec<String> = tf
        .candidates
        .iter()
        .map(|c| word(&value(&c.value)))
        .collect();
    words.push(match &tf.fallback {
        Fallback::Code(code) => format!("={code}"),
        Fallback::Uri { path, query } => {
            let mut uri = value(path);
            if let Some(query) = query {
                uri.push('?');
                uri.push_str(&value(query));
            }
            word(&uri)
        }
    });
    format!("try_files {};", words.join(" "))
}

/// A `server_name` entry: names as nginx writes them; `{param}` patterns as regexes.
fn server_name(name: &ServerName) -> String {
    match name {
        ServerName::Exact(host) => word(host),
        ServerName::Leading(suffix) => word(&format!("*{suffix}")),
        ServerName::Trailing(prefix) => word(&format!("{prefix}*")),
        ServerName::Pattern { text, .. } if text.starts_with('~') => word(text),
        ServerName::Pattern { text, params, .. } => {
            let labels: Vec<Label> = text
                .to_ascii_lowercase()
                .split('.')
                .zip(text.split('.'))
                .map(|(lower, original)| {
                    match original.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
                        Some(name) => {
                            let check = params
                                .iter()
                                .find(|p| p.name.as_deref() == Some(name))
                                .and_then(|p| p.check.as_ref())
                                .map(|c| unanchored(&c.source));
                            Label::Param(name.to_owned(), check.unwrap_or_default())
                        }
                        None => Label::Literal(lower.to_owned()),
                    }
                })
                .collect();
            word(&format!("~{}", param_regex(&labels)))
        }
    }
}

enum Label {
    Literal(String),
    /// A param's name and its pattern (unanchored).
    Param(String, String),
}

/// `^(?=(?:P)\.rest$)(?<id>[^.]{1,63})\.rest$`: each param captures one whole label, and a
/// lookahead at its start checks that the label, and nothing more, matches its pattern.
fn param_regex(labels: &[Label]) -> String {
    let plain = |label: &Label| match label {
        Label::Literal(text) => text.replace('.', "\\.").replace('-', "\\-"),
        Label::Param(..) => "[^.]{1,63}".to_owned(),
    };
    let mut out = String::from("^");
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            out.push_str("\\.");
        }
        match label {
            Label::Literal(_) => out.push_str(&plain(label)),
            Label::Param(name, pattern) => {
                let rest: String = labels[i + 1..]
                    .iter()
                    .map(|l| format!("\\.{}", plain(l)))
                    .collect();
                let _ = write!(out, "(?=(?:{pattern}){rest}$)(?<{name}>[^.]{{1,63}})");
            }
        }
    }
    out.push('$');
    if out.bytes().any(|b| b.is_ascii_uppercase()) {
        // nginx compiles a name with an upper-case letter caselessly; the function does not.
        out.insert_str(0, "(?-i)");
    }
    out
}

/// `^(?:P)$` → `P`, with a `^`/`$` of P's own dropped (the lookahead anchors it to the label).
fn unanchored(source: &str) -> String {
    let inner = source
        .strip_prefix("^(?:")
        .and_then(|s| s.strip_suffix(")$"))
        .unwrap_or(source);
    let inner = inner.strip_prefix('^').unwrap_or(inner);
    match inner.strip_suffix('$') {
        Some(rest) if !rest.ends_with('\\') => rest.to_owned(),
        _ => inner.to_owned(),
    }
}

/// A root or alias with the folder prefix before it.
fn rooted(path: &Value, options: &Options) -> String {
    format!(
        "{}{}",
        options.root_prefix.trim_end_matches('/'),
        value(path)
    )
}

/// A value in nginx script syntax; a variable followed by a name character is written `${name}`.
fn value(value: &Value) -> String {
    let mut out = String::new();
    for (i, part) in value.parts.iter().enumerate() {
        match part {
            Part::Lit(text) => out.push_str(text),
            Part::Var(var) => {
                let name = variable(var);
                let joins = match value.parts.get(i + 1) {
                    Some(Part::Lit(next)) => next
                        .bytes()
                        .next()
                        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_'),
                    _ => false,
                };
                if joins && !matches!(var, Var::Capture(_)) {
                    let _ = write!(out, "${{{name}}}");
                } else {
                    let _ = write!(out, "${name}");
                }
            }
        }
    }
    out
}

/// A variable's nginx name (without `$`).
fn variable(var: &Var) -> String {
    match var {
        Var::Uri => "uri".into(),
        Var::RequestUri => "request_uri".into(),
        Var::Args => "args".into(),
        Var::Arg(n) => format!("arg_{n}"),
        Var::Host => "host".into(),
        Var::RemoteAddr => "remote_addr".into(),
        Var::Http(n) => format!("http_{}", n.replace('-', "_")),
        Var::Cookie(n) => format!("cookie_{n}"),
        Var::Capture(n) => n.to_string(),
        Var::Named(n) | Var::Param(n) => n.clone(),
    }
}

/// One nginx token, double-quoted when it holds a space, `;`, a brace, a quote or `#`. nginx's
/// reader turns `\"`, `\'`, `\\` into one character and `\t`, `\r`, `\n` into control characters,
/// in quotes or not; a backslash before those is doubled so the text reaches nginx unchanged.
/// A location path in byte form (each char one byte, as a redirect map's decoded `from` is) as the
/// text nginx's configuration holds: those bytes, read as UTF-8 where they are.
fn as_bytes_text(path: &str) -> String {
    if path.is_ascii() || path.chars().any(|c| u32::from(c) > 0xFF) {
        return path.to_owned();
    }
    let bytes: Vec<u8> = path.chars().map(|c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn word(text: &str) -> String {
    let quote = text.is_empty()
        || text
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, ';' | '{' | '}' | '"' | '\'' | '#'));
    let mut out = String::new();
    if quote {
        out.push('"');
    }
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(
                chars.peek(),
                Some('"' | '\'' | '\\' | 't' | 'r' | 'n') | None
            ) =>
            {
                out.push_str("\\\\");
            }
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    if quote {
        out.push('"');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::regex::translate;

    #[test]
    fn group_names_are_put_back() {
        let re = translate(r"^/(?<first>[^/(]+)/\((.*)(?:x)$", false).unwrap();
        assert_eq!(pcre(&re), r"^/(?<first>[^/(]+)/\((.*)(?:x)$");
    }

    #[test]
    fn tokens_are_quoted_only_when_needed() {
        assert_eq!(word("/assets/"), "/assets/");
        assert_eq!(word(r"\.(png|jpe?g)$"), r"\.(png|jpe?g)$");
        assert_eq!(word(r"a\\b"), r"a\\\b");
        assert_eq!(word("^/a{2}$"), r#""^/a{2}$""#);
        // nginx reads `\\` as `\` and keeps `\c`: three backslashes give back the two written.
        assert_eq!(word(r#"a"b\\c\tz"#), r#""a\"b\\\c\\tz""#);
        assert_eq!(word("ok then"), r#""ok then""#);
        assert_eq!(word(""), r#""""#);
    }

    #[test]
    fn param_names_become_checked_named_captures() {
        let labels = [
            Label::Param("id".into(), "[a-z]+-[0-9]+".into()),
            Label::Literal("group1".into()),
            Label::Param("g".into(), "[a-z0-9]+".into()),
            Label::Literal("example".into()),
        ];
        assert_eq!(
            param_regex(&labels),
            r"^(?=(?:[a-z]+-[0-9]+)\.group1\.[^.]{1,63}\.example$)(?<id>[^.]{1,63})\.group1\.(?=(?:[a-z0-9]+)\.example$)(?<g>[^.]{1,63})\.example$"
        );
        assert_eq!(unanchored("^(?:^pr-[0-9]+$)$"), "pr-[0-9]+");
        assert_eq!(unanchored(r"^(?:a\$)$"), r"a\$");
    }
}
