//! Whether a rule set's upload may keep a request's `$uri` as text (docs/generated-function.md,
//! "Byte form, and text when no regex reads the path").
//!
//! nginx matches its regexes on the bytes of the decoded path, so the router keeps `$uri` in byte
//! form (one char per byte). Where no regex can tell a path's text from its bytes, the upload keeps
//! the text instead, which costs no JS step per non-ASCII char. A regex cannot tell them apart when
//! everything it matches is ASCII (each such match covers the same chars in both forms), except
//! for a final greedy `.*`, `.+`, `[^/]*` or `[^/]+`: from the same ASCII position, it runs to the
//! end of the path in both forms, as long as no char stops `.` (the router keeps byte form for a
//! path that holds U+2028 or U+2029; control chars are already a 400).

use crate::ir::Program;

/// How the upload keeps `$uri` (the template's `text_path`): `""` always byte form; `"plain"` text
/// while `TM` is 1, and no regex reads the path; `"regex"` the same, with regexes that read it, all
/// of them [`decides_alike`].
pub fn mode(program: &Program, trace: bool) -> &'static str {
    let data = &program.data;
    let literals_ascii = serde_json::to_string(data).is_ok_and(|json| json.is_ascii());
    if trace || program.kvs || !literals_ascii {
        return "";
    }
    let rewrites = data
        .s
        .iter()
        .flat_map(|s| s.rw.iter().chain(s.l.iter().flat_map(|l| l.rw.iter())))
        .filter_map(|r| usize::try_from(r.regex).ok());
    let locations = data.s.iter().flat_map(|s| s.r.iter().map(|r| r.regex));
    let mut path_regexes = rewrites.chain(locations).peekable();
    if path_regexes.peek().is_none() {
        return "plain";
    }
    let alike = path_regexes.all(|i| {
        program.regexes.get(i).is_some_and(|(source, flags)| {
            !flags.contains(['u', 's', 'm']) && decides_alike(source, flags.contains('i'))
        })
    });
    if alike { "regex" } else { "" }
}

/// Whether ECMAScript regex `source` matches a path's text exactly where it matches the path's byte
/// form, with the same captures: every atom matches ASCII only, but for a final greedy run.
/// `caseless` (flag `i`): njs (PCRE2 in UTF mode) also matches `s` to U+017F and `k` to U+212A, so
/// a caseless regex must hold neither letter, nor a class range that could.
pub fn decides_alike(source: &str, caseless: bool) -> bool {
    let body = match source.strip_suffix('$') {
        Some(rest) if !escaped(rest, rest.len()) => rest,
        _ => source,
    };
    let body = strip_final_run(body);
    let folds_to_non_ascii =
        caseless && (source.contains(['s', 'S', 'k', 'K']) || has_range(source));
    !folds_to_non_ascii && !at_top_level(body, '|') && matches_ascii_only(body)
}

/// Whether a class of `s` has a range (`[a-z]`).
fn has_range(s: &str) -> bool {
    let (mut class, mut chars) = (false, s.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' if !class => class = true,
            ']' if class => class = false,
            '-' if class && chars.peek().is_some_and(|n| *n != ']') => return true,
            _ => {}
        }
    }
    false
}

/// `s` less a final greedy run (`.*`, `.+`, `[^/]*`, `[^/]+`), alone or as a whole group (`(…)`,
/// `(?:…)`, `(?<name>…)`).
fn strip_final_run(s: &str) -> &str {
    for run in [".*", ".+", "[^/]*", "[^/]+"] {
        if let Some(rest) = s.strip_suffix(run)
            && !escaped(s, rest.len())
        {
            return rest;
        }
        let Some(inner) = s
            .strip_suffix(')')
            .filter(|g| !escaped(s, g.len()))
            .and_then(|g| g.strip_suffix(run))
        else {
            continue;
        };
        let Some(open) = inner.rfind('(').filter(|i| !escaped(inner, *i)) else {
            continue;
        };
        let opener = &inner[open..];
        let named = opener
            .strip_prefix("(?<")
            .and_then(|n| n.strip_suffix('>'))
            .is_some_and(|n| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
            });
        if opener == "(" || opener == "(?:" || named {
            return &s[..open];
        }
    }
    s
}

/// Whether the char at byte `at` of `s` follows an odd number of backslashes.
fn escaped(s: &str, at: usize) -> bool {
    s[..at].bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

/// Whether `c` occurs in `s` outside every group, class and escape.
fn at_top_level(s: &str, c: char) -> bool {
    let (mut depth, mut class, mut chars) = (0usize, false, s.chars());
    while let Some(x) = chars.next() {
        match x {
            '\\' => {
                chars.next();
            }
            '[' if !class => class = true,
            ']' if class => class = false,
            '(' if !class => depth += 1,
            ')' if !class => depth = depth.saturating_sub(1),
            _ if x == c && !class && depth == 0 => return true,
            _ => {}
        }
    }
    false
}

/// Whether every atom of `s` matches ASCII chars only: no `.`, no negated class, no `\D`, `\S`,
/// `\s` (it matches non-ASCII spaces), `\W`, `\p`, no escape or char above U+007F.
fn matches_ascii_only(s: &str) -> bool {
    let mut chars = s.chars().peekable();
    let mut class = false;
    while let Some(c) = chars.next() {
        match c {
            _ if !c.is_ascii() => return false,
            '\\' => match chars.next() {
                Some('D' | 'S' | 's' | 'W' | 'p' | 'P' | 'u' | 'k') | None => return false,
                Some('x') => {
                    let hex: String = chars.by_ref().take(2).collect();
                    if u8::from_str_radix(&hex, 16).map_or(true, |b| b > 0x7f) {
                        return false;
                    }
                }
                Some(e) if !e.is_ascii() => return false,
                Some(_) => {}
            },
            '[' if !class => {
                if chars.peek() == Some(&'^') {
                    return false;
                }
                class = true;
            }
            ']' if class => class = false,
            '.' if !class => return false,
            _ => {}
        }
    }
    !class
}

#[cfg(test)]
mod tests {
    use super::decides_alike;

    #[test]
    fn ascii_atoms_and_a_final_greedy_run_decide_alike() {
        for source in [
            r"\.(png|jpe?g)$",
            r"^/old/(.*)$",
            r"^/legacy/(.*)",
            r"^/app3/legacy/(.+)$",
            r"^/a/([^/]+)$",
            r"^/(?:en|de)/(?<rest>.*)$",
            r"^/v[0-9]+\.[0-9]+/\w+\.js$",
            r"^/x\x2e(.*)$",
            r"^/a\.*$",
        ] {
            assert!(decides_alike(source, false), "{source}");
        }
    }

    #[test]
    fn a_regex_that_can_match_non_ascii_elsewhere_does_not() {
        for source in [
            // "." that is not the final run: one char against one byte
            r"^/(.)(.*)$",
            r"^/(.*)/x$",
            r"^/a.b$",
            r"^/(.*)(.+)$",
            // a negated class, a class escape or an escape that reaches past ASCII
            r"^/[^a]$",
            r"^/\S+$",
            r"^/\s$",
            r"^/\W$",
            r"^/\D$",
            r"^/\xe9$",
            r"^/\u00e9$",
            "^/é$",
            // a final run that is not the whole of what follows, or is quantified, or an alternative
            r"^/a(.*)?$",
            r"^/(x.*)$",
            r"^/a|^/b(.*)$",
            // `\.*` and `\.+` are literal dots, not a run
            r"^/a\.+x.*y$",
        ] {
            assert!(!decides_alike(source, false), "{source}");
        }
    }

    #[test]
    fn a_caseless_regex_must_not_hold_a_letter_njs_folds_from_non_ascii() {
        assert!(decides_alike(r"\.(png|jpe?g)$", true));
        assert!(decides_alike(r"^/old/(.*)$", true));
        for source in [
            r"^/static/(.*)$",
            r"^/kb/(.*)$",
            r"^/[a-z]+/(.*)$",
            r"^/K(.*)$",
        ] {
            assert!(decides_alike(source, false), "{source}");
            assert!(!decides_alike(source, true), "{source}");
        }
    }
}
