//! Whether every root of a rule set is clean as written (the template's `clean_roots`): then the
//! origin path of a root and a `$uri` that `normalizePath` left as it is needs none of its checks;
//! and whether every rewrite target is a clean path known when the function is built
//! (`clean_targets`), which then counts as such a `$uri` (docs/generated-function.md, "The origin
//! path").
//!
//! `toOrigin` merges the slashes of root + `$uri`, refuses a `.` or `..` segment, keeps the path
//! under the root's value up to its last param, and re-encodes it. When `$uri` is still the
//! normalized path (it starts with `/` and holds no `//` and no `.` or `..` segment) and the root
//! is clean, none of that can change or refuse anything, and the router skips the scans: over a
//! long path they are most of what the origin step costs. A root is clean when
//! - its parts are literals and server params, and nothing else read from the request;
//! - each param is never empty and holds only lower-case ASCII letters, digits, `_` and `-` (what
//!   both its host pattern and its check let through, of what a normalized Host holds), so it is
//!   never a `.` or `..` segment, never makes a `//`, and needs no escape;
//! - with each param written `x`, the root is empty, or starts with `/`, holds no `//`, no `.` or
//!   `..` segment and no char the origin encoding escapes, and does not end with `/`;
//! - after its last param, it is empty or goes on with `/`, so the path is under the param's value.

use std::collections::{BTreeMap, BTreeSet};

use crate::ir::{FoundBy, PartIr, Parts, Program, VAR_PREFIX};
use crate::lints::pattern::{self, CharSet, Item, Node};

/// `PartIr::Var` kind of a server param (compile.rs `var`).
const PARAM: u8 = 10;

/// Whether every root in the rule set is clean (see the module's text); a rule set without roots
/// has nothing to shortcut, and its template keeps the general step only.
pub fn clean_roots(program: &Program) -> bool {
    let data = &program.data;
    let roots: Vec<&Parts> = data
        .s
        .iter()
        .flat_map(|s| s.ro.iter().chain(s.l.iter().filter_map(|l| l.ro.as_ref())))
        .collect();
    // each param once: a rule set may have thousands of roots and of host patterns
    let params: BTreeMap<&str, bool> = roots
        .iter()
        .flat_map(|root| root.0.iter())
        .filter_map(|part| match part {
            PartIr::Var(PARAM, Some(name)) => Some(name.as_str()),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|name| (name, clean_param(name, program)))
        .collect();
    !roots.is_empty() && roots.iter().all(|root| clean(root, &params))
}

fn clean(root: &Parts, params: &BTreeMap<&str, bool>) -> bool {
    let mut skeleton = String::new();
    let mut after_last_param = None;
    for part in &root.0 {
        match part {
            PartIr::Lit(text) => skeleton.push_str(text),
            PartIr::Var(PARAM, Some(name)) if params.get(name.as_str()) == Some(&true) => {
                skeleton.push('x');
                after_last_param = Some(skeleton.len());
            }
            PartIr::Var(..) => return false,
        }
    }
    let under_param = after_last_param.is_none_or(|at| {
        let rest = &skeleton[at..];
        rest.is_empty() || rest.starts_with('/')
    });
    under_param
        && (skeleton.is_empty() || !skeleton.ends_with('/') && normalized_and_plain(&skeleton))
}

/// Whether every rewrite of the rule set sets `$uri` to a path known when it is built, normalized
/// and with nothing to escape (the template's `clean_targets`): literals only, or the prefix of
/// the location that matched and literals (compile.rs `relative_to_prefix`), judged with that
/// location's own prefix as written (a prefix with an escape or a char outside the plain set is
/// not judged clean, so the text is what `LP` holds). Then a rewrite that sets `$uri` sets `UN`
/// and `UF` to it, and the origin step takes the shortcut for it as for a path that needed no
/// normalizing.
pub fn clean_targets(program: &Program) -> bool {
    let data = &program.data;
    if data.s.len() != program.names.len()
        || data
            .s
            .iter()
            .zip(&program.names)
            .any(|(s, names)| s.l.len() != names.locations.len())
    {
        return false;
    }
    // a location's prefix is its path in its text (`/app/`, `^~ /app/`): what the router's `LP`
    // holds while its body runs (a body written once for several locations is relative to each
    // one's own prefix)
    let prefix = |text: &str| {
        let path = text.strip_prefix("^~ ").unwrap_or(text).to_owned();
        path.starts_with('/').then_some(path)
    };
    let server_rules = data.s.iter().flat_map(|s| s.rw.iter().map(|r| (r, None)));
    let location_rules = data.s.iter().zip(&program.names).flat_map(|(s, names)| {
        s.l.iter()
            .zip(&names.locations)
            .flat_map(move |(l, text)| l.rw.iter().map(move |r| (r, Some(text.as_str()))))
    });
    let mut rules = server_rules.chain(location_rules).peekable();
    rules.peek().is_some()
        && rules.all(|(rule, location)| match rule.path.0.as_slice() {
            [PartIr::Var(VAR_PREFIX, _), rest @ ..] => location
                .and_then(prefix)
                .zip(literal(rest))
                .is_some_and(|(prefix, rest)| normalized_and_plain(&format!("{prefix}{rest}"))),
            parts => literal(parts).is_some_and(|text| normalized_and_plain(&text)),
        })
}

/// The text of parts that are all literals.
fn literal(parts: &[PartIr]) -> Option<String> {
    parts
        .iter()
        .map(|part| match part {
            PartIr::Lit(text) => Some(text.as_str()),
            PartIr::Var(..) => None,
        })
        .collect()
}

/// Whether `path` starts with `/`, holds no `//` and no `.` or `..` segment, and only chars the
/// origin encoding keeps.
fn normalized_and_plain(path: &str) -> bool {
    let padded = format!("{path}/");
    path.starts_with('/')
        && !path.contains("//")
        && !padded.contains("/./")
        && !padded.contains("/../")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_.~-!$&'()*+,;=:@".contains(&b))
}

/// The chars a normalized Host holds: lower-case ASCII letters, digits, `_`, `.`, `-`, `:`, `[`
/// and `]`.
fn host_chars() -> CharSet {
    (b'a'..=b'z')
        .chain(b'0'..=b'9')
        .chain(*b"_.-:[]")
        .fold(CharSet::default(), |set, c| set.union(CharSet::of(c)))
}

/// The chars of a clean param: lower-case ASCII letters, digits, `_` and `-`.
fn segment_chars() -> CharSet {
    (b'a'..=b'z')
        .chain(b'0'..=b'9')
        .chain(*b"_-")
        .fold(CharSet::default(), |set, c| set.union(CharSet::of(c)))
}

/// Whether every host pattern that sets param `name` gives it a non-empty value of segment chars.
fn clean_param(name: &str, program: &Program) -> bool {
    let mut setters = program.data.p.iter().flat_map(|pattern| {
        pattern
            .params
            .iter()
            .enumerate()
            .filter(|(_, (param, _))| param.as_deref() == Some(name))
            .map(move |(group, (_, check))| (pattern, group as u32 + 1, *check))
    });
    setters.all(|(pattern, group, check)| {
        let found = match &pattern.found_by {
            // the first label: one or more chars, no "."
            FoundBy::Suffix(_) => Some((host_chars().intersect(not_dot()), 1)),
            FoundBy::Regex(i) => shape(program, *i).and_then(|alts| capture_shape(&alts, group)),
        };
        let checked = usize::try_from(check)
            .ok()
            .map(|i| shape(program, i).map(|alts| whole_shape(&alts)));
        let (mut chars, mut min) = found.unwrap_or((CharSet::all(), 0));
        match checked {
            Some(Some((check_chars, check_min))) => {
                chars = chars.intersect(check_chars);
                min = min.max(check_min);
            }
            Some(None) => return false,
            None => {}
        }
        min > 0 && chars.intersect(host_chars()).is_subset(segment_chars())
    })
}

fn not_dot() -> CharSet {
    CharSet::of(b'.').negate()
}

/// Regex `i` of the program, parsed; `None` when the reader does not follow it.
fn shape(program: &Program, i: usize) -> Option<Vec<Vec<Item>>> {
    let (source, flags) = program.regexes.get(i)?;
    pattern::parse(source, flags.contains('i'))
}

/// The chars a whole match may hold, and its least length.
fn whole_shape(alts: &[Vec<Item>]) -> (CharSet, u32) {
    let chars = alts
        .iter()
        .flatten()
        .fold(CharSet::default(), |acc, item| acc.union(item.chars()));
    let min = alts.iter().map(|seq| seq_min(seq)).min().unwrap_or(0);
    (chars, min)
}

/// The chars capture `n` may hold, and its least length: counted only for a capture at the top
/// level of the one alternative (elsewhere it may not take part, and its value is then empty).
fn capture_shape(alts: &[Vec<Item>], n: u32) -> Option<(CharSet, u32)> {
    let item = find_capture(alts, n)?;
    let top = alts.len() == 1 && alts[0].iter().any(|i| std::ptr::eq(i, item));
    Some((item.chars(), if top { item_min(item) } else { 0 }))
}

fn find_capture(alts: &[Vec<Item>], n: u32) -> Option<&Item> {
    alts.iter().flatten().find_map(|item| match &item.node {
        _ if item.capture == Some(n) => Some(item),
        Node::Group(inner) => find_capture(inner, n),
        _ => None,
    })
}

fn seq_min(seq: &[Item]) -> u32 {
    seq.iter()
        .map(item_min)
        .fold(0u32, |acc, m| acc.saturating_add(m))
}

fn item_min(item: &Item) -> u32 {
    let one = match &item.node {
        Node::Set(_) => 1,
        Node::Group(alts) => alts.iter().map(|seq| seq_min(seq)).min().unwrap_or(0),
        Node::Start | Node::End | Node::Opaque => 0,
    };
    one.saturating_mul(item.min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(yaml: &str) -> Program {
        let loaded = crate::pipeline::load_bytes("rules.yaml", yaml.as_bytes().to_vec());
        let rules = loaded.rules;
        let diagnostics = format!("{:?}", loaded.diagnostics);
        crate::compile::compile(&rules.unwrap_or_else(|| panic!("{yaml}\n{diagnostics}")))
    }

    fn server(name: &str, params: &str, root: &str) -> String {
        format!(
            "edgeroute: 1\nservers:\n  - server_name: '{name}'\n    params: {{ {params} }}\n    root: '{root}'\n    locations:\n      - location: /\n"
        )
    }

    #[test]
    fn a_root_of_a_checked_label_param_is_clean() {
        let p = program(&server(
            "{id}.example.com",
            "id: \"[a-z][a-z0-9]*-[0-9]+\"",
            "/$id/app",
        ));
        assert!(clean_roots(&p));
    }

    #[test]
    fn the_default_param_check_is_clean() {
        let p = program(&server("{id}.example.com", "", "/$id"));
        assert!(clean_roots(&p));
    }

    #[test]
    fn a_param_that_may_hold_a_dot_or_be_empty_is_not() {
        for (name, clean) in [
            (r"~^(?<id>[a-z.]+)x\.example\.com$", false),
            (r"~^(?<id>[a-z]*)x\.example\.com$", false),
            (r"~^(?:(?<id>[a-z]+)-)?x\.example\.com$", false),
            (r"~^(?<id>[a-z\[\]]+)x\.example\.com$", false),
            (r"~^(?<id>[A-Z_]+)x\.example\.com$", true),
            (r"~^(?<id>[a-z]+)x\.example\.com$", true),
        ] {
            assert_eq!(
                clean_roots(&program(&server(name, "", "/$id/app"))),
                clean,
                "{name}"
            );
        }
    }

    fn with_rewrites(rules: &[(&str, &str)]) -> Program {
        let locations: String = rules
            .iter()
            .map(|(location, target)| {
                format!("      - location: '{location}'\n        rewrite: '{target}'\n")
            })
            .collect();
        program(&format!(
            "edgeroute: 1\nservers:\n  - server_name: a.example.com\n    root: /a\n    locations:\n{locations}"
        ))
    }

    #[test]
    fn literal_targets_and_the_prefix_and_literals_are_clean_targets() {
        let p = with_rewrites(&[
            ("/", "/index.html"),
            ("/app/", "/app/index.html"),
            ("= /x", "/x/"),
            ("^~ /stop/", "/stop/index.html"),
        ]);
        assert!(clean_targets(&p));
        // a prefix written with an escape is not judged as written
        let escaped = with_rewrites(&[("/caf%C3%A9/", "/caf%C3%A9/index.html")]);
        assert!(!clean_targets(&escaped));
    }

    #[test]
    fn a_target_with_a_variable_or_that_needs_a_check_is_not() {
        for target in [
            "/$uri", "/a//b", "/a/./b", "/a/..", "/a b", "/a%20b", "/$arg_x",
        ] {
            let p = with_rewrites(&[("/", "/index.html"), ("= /x", target)]);
            assert!(!clean_targets(&p), "{target}");
        }
        let captured = program(
            "edgeroute: 1\nservers:\n  - server_name: a.example.com\n    root: /a\n    locations:\n      - location: /\n        rewrite: '^/old/(.*)$ /new/$1'\n",
        );
        assert!(!clean_targets(&captured));
    }

    #[test]
    fn a_root_that_needs_a_check_is_not() {
        for root in [
            "/$id-x",
            "/$id/./a",
            "/a//$id",
            "/$id/../a",
            "/$id$request_uri",
            "/$host",
        ] {
            let p = program(&server("{id}.example.com", "", root));
            assert!(!clean_roots(&p), "{root}");
        }
        for root in ["/$id/a.b", "/static", "/$id/..x"] {
            let p = program(&server("{id}.example.com", "", root));
            assert!(clean_roots(&p), "{root}");
        }
    }
}
