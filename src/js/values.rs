//! Rule values as code: each value that is not one literal (`/$id/app3`, `$scheme://$host$uri`)
//! becomes a small function that computes it, so the function carries exactly the helpers its values
//! call (the minifier drops the rest: a rule set without `$cookie_…` carries no cookie reader).
//!
//! The data tables name these functions where they held the value's parts; the router calls
//! `value(v, mode)` on whatever it finds there. A value's encoding depends on where it is used — a path
//! keeps byte form, a `Location` and a query string escape it, a body and a header value are text — and
//! every place a value is used has one use, so each (value, use) pair compiles once. A
//! KeyValueStore build still writes the parts of the bodies it moves to the store, which the router
//! reads with its general `expandParts` (docs/generated-function.md).

use std::collections::BTreeMap;

use crate::ir::{Data, FallbackIr, Location, PartIr, Parts, Return, Rewrite, Server};
use crate::js::emit::js_string;

/// Where a value is used: what its variables are encoded for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// A `$uri` (a rewrite or try_files target): byte form.
    Path,
    /// A root or alias: byte form, and `B` is set to where its last param ends.
    Origin,
    /// A redirect's `Location`: escaped; after a literal `?`, as a query.
    Location,
    /// A query string: escaped, and request values made safe for it.
    Query,
    /// A response body: text.
    Body,
    /// A request header's value: text.
    Header,
}

/// The marker a value's function name is written behind in the JSON tables. Rule text holding
/// U+0001 is refused by `compile`, so every marked string in the JSON is one of ours.
const MARK: char = '\u{1}';

/// The tables with each computed value replaced by its function's name (behind `MARK`), and the
/// functions' source, in order of first use.
pub struct Compiled {
    pub data: Data,
    pub functions: Vec<String>,
}

/// Replaces every value that is not a single literal by a reference to a function computing it;
/// `None` when rule text holds the marker (U+0001), which no route needs.
pub fn compile(data: &Data) -> Option<Compiled> {
    let plain = serde_json::to_string(data).ok()?;
    if plain.contains(&format!("\\u{:04x}", MARK as u32)) {
        return None;
    }
    let mut values = Values::default();
    let mut data = data.clone();
    for server in &mut data.s {
        values.server(server);
    }
    Some(Compiled {
        data,
        functions: values.functions,
    })
}

/// How the tables name compiled function `name` (a value's, or a server's location search): the
/// JSON string `link` turns into a bare reference.
pub fn reference(name: &str) -> String {
    format!("{MARK}{name}")
}

/// The JSON of tables from `compile` with each marked name turned into a bare reference.
pub fn link(json: &str) -> Option<String> {
    let mark = format!("\"\\u{:04x}", MARK as u32);
    let mut out = String::with_capacity(json.len());
    let mut rest = json;
    while let Some(at) = rest.find(&mark) {
        out.push_str(&rest[..at]);
        let name_start = at + mark.len();
        let end = rest[name_start..].find('"')? + name_start;
        let name = &rest[name_start..end];
        let number = name
            .strip_prefix("value")
            .or_else(|| name.strip_prefix("locate"))?;
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push_str(name);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[derive(Default)]
struct Values {
    /// By `Debug` text of (parts, use): the function already written for them.
    names: BTreeMap<String, String>,
    functions: Vec<String>,
}

impl Values {
    fn server(&mut self, server: &mut Server) {
        if let Some(root) = &mut server.ro {
            self.value(root, Use::Origin);
        }
        self.rewrites(&mut server.rw);
        if let Some(ret) = &mut server.rt {
            self.ret(ret);
        }
        for location in &mut server.l {
            self.location(location);
        }
    }

    fn location(&mut self, location: &mut Location) {
        self.rewrites(&mut location.rw);
        if let Some(ret) = &mut location.rt {
            self.ret(ret);
        }
        if let Some(tf) = &mut location.tf {
            for (candidate, _) in &mut tf.candidates {
                self.value(candidate, Use::Path);
            }
            if let FallbackIr::Uri(path, query) = &mut tf.fallback {
                self.value(path, Use::Path);
                if let Some(query) = query {
                    self.value(query, Use::Query);
                }
            }
        }
        for parts in [&mut location.ro, &mut location.al].into_iter().flatten() {
            self.value(parts, Use::Origin);
        }
        for (_, value) in &mut location.hd {
            self.value(value, Use::Header);
        }
    }

    fn rewrites(&mut self, rules: &mut [Rewrite]) {
        for rule in rules {
            let redirect = rule.flag > 2;
            self.value(
                &mut rule.path,
                if redirect { Use::Location } else { Use::Path },
            );
            if let Some((query, _)) = &mut rule.query {
                self.value(query, Use::Query);
            }
        }
    }

    fn ret(&mut self, ret: &mut Return) {
        let redirect = [301, 302, 303, 307, 308].contains(&ret.code);
        if let Some(value) = &mut ret.value {
            self.value(value, if redirect { Use::Location } else { Use::Body });
        }
    }

    /// Leaves a single literal (and no parts at all) as it is; anything else becomes a reference.
    fn value(&mut self, parts: &mut Parts, used: Use) {
        if parts.0.is_empty() || matches!(parts.0.as_slice(), [PartIr::Lit(_)]) {
            return;
        }
        let key = format!("{:?} {used:?}", parts.0);
        let name = match self.names.get(&key) {
            Some(name) => name.clone(),
            None => {
                let name = format!("value{}", self.functions.len());
                self.functions.push(function(&name, &parts.0, used));
                self.names.insert(key, name.clone());
                name
            }
        };
        parts.0 = vec![PartIr::Lit(reference(&name))];
    }
}

/// The function computing `parts` for `used`: `null` when a param is unset or request text holds
/// no UTF-8 (the router answers 404), as the general `expandParts` does.
fn function(name: &str, parts: &[PartIr], used: Use) -> String {
    let mut checks: Vec<String> = Vec::new();
    let mut pieces: Vec<String> = Vec::new();
    let mut locals = 0;
    let mut last_param = None;
    let mut used_now = used;
    for part in parts {
        match part {
            PartIr::Lit(text) => {
                pieces.push(js_string(text));
                if used_now == Use::Location && text.contains('?') {
                    used_now = Use::Query;
                }
            }
            PartIr::Var(kind, arg) => {
                let arg = arg.as_deref().unwrap_or_default();
                let (expr, nullable) = encoded(*kind, arg, used_now);
                if *kind == PARAM {
                    let check = format!("if (!has(P, {})) return null;", js_string(arg));
                    if !checks.contains(&check) {
                        checks.push(check);
                    }
                    last_param = Some(pieces.len());
                }
                if nullable {
                    let local = local_name(locals);
                    locals += 1;
                    checks.push(format!("if (({local} = {expr}) == null) return null;"));
                    pieces.push(local);
                } else {
                    pieces.push(expr);
                }
            }
        }
    }
    let mut body = String::new();
    if locals > 0 {
        let names: Vec<String> = (0..locals).map(local_name).collect();
        body.push_str(&format!("  var {};\n", names.join(", ")));
    }
    for check in &checks {
        body.push_str(&format!("  {check}\n"));
    }
    match last_param {
        Some(end) if used == Use::Origin && end + 1 < pieces.len() => {
            body.push_str(&format!(
                "  var s = {};\n  B = s.length;\n  return s + {};\n",
                pieces[..=end].join(" + "),
                pieces[end + 1..].join(" + ")
            ));
        }
        Some(_) if used == Use::Origin => {
            body.push_str(&format!(
                "  var s = {};\n  B = s.length;\n  return s;\n",
                concat(&pieces)
            ));
        }
        _ => body.push_str(&format!("  return {};\n", concat(&pieces))),
    }
    format!("function {name}() {{\n{body}}}\n")
}

/// `"" + x` when the first piece might not be a string literal is not needed: every piece is a
/// string. One piece alone is returned as it is.
fn concat(pieces: &[String]) -> String {
    pieces.join(" + ")
}

fn local_name(i: usize) -> String {
    format!("v{i}")
}

/// `$name` of a server's params (kinds in docs/generated-function.md).
const PARAM: u8 = 10;
/// The location's own prefix, a literal known only at run time.
const PREFIX: u8 = 11;

/// The expression for variable `kind` as used: the variable's value (`""` when unset), encoded as
/// the general `expandParts` encodes it; and whether it may be `null` (404).
fn encoded(kind: u8, arg: &str, used: Use) -> (String, bool) {
    let name = js_string(arg);
    if kind == PREFIX {
        return ("LP".to_owned(), false);
    }
    let value = match kind {
        0 => "U".to_owned(),
        1 => "(raw + (originalArgs() ? '?' + originalArgs() : ''))".to_owned(),
        2 => "currentArgs()".to_owned(),
        3 => format!("argument({name})"),
        4 => "H".to_owned(),
        5 => "ip".to_owned(),
        6 => format!("ownValue(hd, {name})"),
        7 => format!("cookie({name})"),
        8 => format!("(C[{arg}] || '')"),
        9 => format!("(N && N[{name}] || '')"),
        _ => format!("P[{name}]"),
    };
    // request text (kinds 1 to 7) as received; $uri, captures and params in byte form
    let request_text = (1..8).contains(&kind);
    match used {
        Use::Path | Use::Origin if request_text => (format!("textToBytes({value})"), true),
        Use::Path | Use::Origin => (value, false),
        Use::Query if request_text && kind != 2 => (format!("encodeQueryText({value})"), true),
        _ if request_text => (value, false),
        Use::Body | Use::Header => (format!("bytesToText({value})"), false),
        Use::Query => (format!("encodeBytes({value}, 1)"), false),
        Use::Location => (format!("encodeBytes({value})"), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(list: &[PartIr]) -> Vec<PartIr> {
        list.to_vec()
    }

    #[test]
    fn a_root_with_a_param_sets_where_the_param_ends() {
        let p = parts(&[
            PartIr::Lit("/".into()),
            PartIr::Var(PARAM, Some("id".into())),
            PartIr::Lit("/app3".into()),
        ]);
        assert_eq!(
            function("value0", &p, Use::Origin),
            "function value0() {\n  if (!has(P, \"id\")) return null;\n  var s = \"/\" + P[\"id\"];\n  \
             B = s.length;\n  return s + \"/app3\";\n}\n"
        );
    }

    #[test]
    fn request_text_in_a_query_may_be_refused() {
        let p = parts(&[
            PartIr::Lit("/a?u=".into()),
            PartIr::Var(6, Some("x-user".into())),
        ]);
        assert_eq!(
            function("value1", &p, Use::Location),
            "function value1() {\n  var v0;\n  if ((v0 = encodeQueryText(ownValue(hd, \"x-user\"))) == null) return null;\n  \
             return \"/a?u=\" + v0;\n}\n"
        );
    }

    #[test]
    fn linking_turns_marks_into_references() {
        let json = r#"{"ro":"\u0001value3","p":"/a"}"#;
        assert_eq!(link(json).as_deref(), Some("{\"ro\":value3,\"p\":\"/a\"}"));
        assert_eq!(link("{\"ro\":\"\\u0001bad\"}"), None);
    }
}
