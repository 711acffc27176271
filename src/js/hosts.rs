//! Host patterns as code: a rule set with a few `{param}` or regex server names gets its own
//! `patternServer`, one test per pattern in file order with the param checks inlined, in place of
//! the runtime's general one that walks the `p`, `k` and `g` tables (docs/generated-function.md).
//!
//! Many patterns stay tables: the general `patternServer` finds a `{param}.suffix` name by one
//! lookup of the host's suffix, where code would test every pattern in turn.

use crate::ir::{Data, FoundBy, HostPattern};
use crate::js::emit::js_string;

/// At most this many host patterns compile to code.
pub const MAX_PATTERNS: usize = 16;

/// The compiled `patternServer` for `data`'s host patterns (`trace`: with the `host-try` steps the
/// traced build records), or `None` when there are none or they stay tables.
pub fn compile(data: &Data, trace: bool) -> Option<String> {
    if data.p.is_empty() || data.p.len() > MAX_PATTERNS {
        return None;
    }
    let by_suffix = data
        .p
        .iter()
        .any(|p| matches!(p.found_by, FoundBy::Suffix(_)));
    let by_regex = data
        .p
        .iter()
        .any(|p| matches!(p.found_by, FoundBy::Regex(_)));
    let mut out = String::from(
        "// the server of the first host pattern, in file order, that H matches with its params\n\
         // checked (compiled from the server names); -1 when none. P: the params\n\
         function patternServer() {\n",
    );
    let mut locals = Vec::new();
    if by_suffix {
        // a `{param}.suffix` name: the first label (1 to 63 chars) and the rest
        locals.push("j = H.indexOf('.')".to_owned());
        locals.push("l = j > 0 && j < 64 ? H.slice(0, j) : null".to_owned());
        locals.push("s = H.slice(j + 1)".to_owned());
    }
    if by_regex {
        locals.push("m".to_owned());
    }
    locals.push("f".to_owned());
    out.push_str(&format!("  var {};\n", locals.join(", ")));
    for (c, pattern) in data.p.iter().enumerate() {
        out.push_str(&format!("  // {}\n", printable(&pattern.text)));
        match &pattern.found_by {
            FoundBy::Suffix(suffix) => suffix_pattern(&mut out, c, pattern, suffix, trace),
            FoundBy::Regex(regex) => regex_pattern(&mut out, c, pattern, *regex, trace),
        }
    }
    out.push_str("  return -1;\n}\n");
    Some(out)
}

/// `{param}.suffix`: the first label is the param, checked by its regex when it has one.
fn suffix_pattern(out: &mut String, c: usize, pattern: &HostPattern, suffix: &str, trace: bool) {
    out.push_str(&format!(
        "  if (l != null && s == {}) {{\n",
        js_string(suffix)
    ));
    let failing = failing_param(&pattern.params, |_| "l".to_owned());
    out.push_str(&format!("    f = {failing};\n"));
    if trace {
        out.push_str(&format!("    T && traceStep(['host-try', {c}, !f, f]);\n"));
    }
    let params = params_object(&pattern.params, |_| "l".to_owned());
    out.push_str(&format!(
        "    if (!f) {{\n      P = {params};\n      return {};\n    }}\n  }}\n",
        pattern.server
    ));
}

/// A regex name: its groups are the params, each checked by its regex when it has one.
fn regex_pattern(out: &mut String, c: usize, pattern: &HostPattern, regex: usize, trace: bool) {
    let group = |w: usize| format!("(m[{}] || '')", w + 1);
    out.push_str(&format!("  m = R[{regex}].exec(H);\n"));
    let failing = failing_param(&pattern.params, group);
    out.push_str(&format!("  f = m && {failing};\n"));
    if trace {
        out.push_str(&format!(
            "  T && traceStep(['host-try', {c}, !!m && !f, f]);\n"
        ));
    }
    let params = params_object(&pattern.params, group);
    out.push_str(&format!(
        "  if (m && !f) {{\n    P = {params};\n    return {};\n  }}\n",
        pattern.server
    ));
}

/// The expression naming the first param whose check fails, else `null`.
fn failing_param(params: &[(Option<String>, i64)], value: impl Fn(usize) -> String) -> String {
    let mut expr = "null".to_owned();
    for (w, (name, check)) in params.iter().enumerate().rev() {
        if *check < 0 {
            continue;
        }
        let name = name.as_deref().map_or("null".to_owned(), js_string);
        expr = format!("(!R[{check}].test({}) ? {name} : {expr})", value(w));
    }
    expr
}

/// The params object: an object literal of the named groups, or one without a prototype when a
/// name would set the literal's prototype instead (`__proto__`).
fn params_object(params: &[(Option<String>, i64)], value: impl Fn(usize) -> String) -> String {
    let named: Vec<(usize, &str)> = params
        .iter()
        .enumerate()
        .filter_map(|(w, (name, _))| name.as_deref().map(|n| (w, n)))
        .collect();
    if named.iter().any(|(_, n)| *n == "__proto__") {
        let sets: String = named
            .iter()
            .map(|(w, n)| format!("P[{}] = {}, ", js_string(n), value(*w)))
            .collect();
        return format!("Object.create(null), {sets}P");
    }
    let fields: Vec<String> = named
        .iter()
        .map(|(w, n)| format!("{}: {}", js_string(n), value(*w)))
        .collect();
    format!("{{{}}}", fields.join(", "))
}

/// Rule text for a comment: printable ASCII only.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Table;

    fn pattern(found_by: FoundBy, server: usize, params: &[(&str, i64)]) -> HostPattern {
        HostPattern {
            found_by,
            server,
            params: params
                .iter()
                .map(|(n, c)| (Some((*n).to_owned()), *c))
                .collect(),
            text: "{id}.example.com".to_owned(),
        }
    }

    #[test]
    fn a_suffix_pattern_checks_its_label() {
        let data = Data {
            h: Table::default(),
            w: Vec::new(),
            t: Vec::new(),
            p: vec![pattern(
                FoundBy::Suffix("example.com".into()),
                2,
                &[("id", 0)],
            )],
            k: Table::default(),
            g: Vec::new(),
            d: 0,
            a: Vec::new(),
            s: Vec::new(),
        };
        let code = compile(&data, false).expect("compiles");
        assert!(
            code.contains("if (l != null && s == \"example.com\") {"),
            "{code}"
        );
        assert!(
            code.contains("f = (!R[0].test(l) ? \"id\" : null);"),
            "{code}"
        );
        assert!(code.contains("P = {\"id\": l};\n      return 2;"), "{code}");
        assert!(!code.contains("traceStep"), "{code}");
        assert!(
            compile(&data, true)
                .unwrap()
                .contains("['host-try', 0, !f, f]")
        );
    }

    #[test]
    fn a_proto_param_gets_an_object_without_prototype() {
        let params = [(Some("__proto__".to_owned()), -1)];
        assert_eq!(
            params_object(&params, |_| "l".to_owned()),
            "Object.create(null), P[\"__proto__\"] = l, P"
        );
    }
}
