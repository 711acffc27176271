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
    if trace || program.kvs || !serde_json::to_string(data).is_ok_and(|json| json.is_ascii()) {
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

/// One char of a regex source, where it stands.
struct Atom {
    c: char,
    /// After a `\\`: the escape's letter (`\\x` is followed by its two hex digits as atoms).
    escaped: bool,
    /// Inside a class, its `[` and `]` included.
    class: bool,
    /// The `[` that opens a class.
    opens: bool,
    /// Groups open around it.
    depth: usize,
}

/// The chars of regex source `s` with where each stands: the one walk the tests below share.
fn atoms(s: &str) -> Vec<Atom> {
    let (mut out, mut chars) = (Vec::new(), s.chars());
    let (mut class, mut depth) = (false, 0usize);
    while let Some(c) = chars.next() {
        let escaped = c == '\\';
        let c = if escaped {
            chars.next().unwrap_or('\\')
        } else {
            c
        };
        let opens = !escaped && !class && c == '[';
        if !escaped && !class && c == ')' {
            depth = depth.saturating_sub(1);
        }
        out.push(Atom {
            c,
            escaped,
            class: class || opens,
            opens,
            depth,
        });
        match c {
            _ if escaped => {}
            '[' => class = true,
            ']' if class => class = false,
            '(' if !class => depth += 1,
            _ => {}
        }
    }
    out
}

/// Whether `c` occurs in `s` outside every group, class and escape.
fn at_top_level(s: &str, c: char) -> bool {
    atoms(s)
        .iter()
        .any(|a| a.c == c && !a.escaped && !a.class && a.depth == 0)
}

/// Whether a class of `s` has a range (`[a-z]`).
fn has_range(s: &str) -> bool {
    let atoms = atoms(s);
    atoms.windows(2).any(|w| {
        let (dash, next) = (&w[0], &w[1]);
        dash.c == '-'
            && !dash.escaped
            && dash.class
            && next.class
            && (next.c != ']' || next.escaped)
    })
}

/// Whether every atom of `s` matches ASCII chars only: no `.`, no negated class, no `\\D`, `\\S`,
/// `\\s` (it matches non-ASCII spaces), `\\W`, `\\p`, no escape or char above U+007F.
fn matches_ascii_only(s: &str) -> bool {
    let atoms = atoms(s);
    let wide = |i: usize, a: &Atom| match a.c {
        _ if !a.c.is_ascii() => true,
        'D' | 'S' | 's' | 'W' | 'p' | 'P' | 'u' | 'k' => a.escaped,
        'x' if a.escaped => {
            let hex: String = atoms.iter().skip(i + 1).take(2).map(|h| h.c).collect();
            u8::from_str_radix(&hex, 16).map_or(true, |b| b > 0x7f)
        }
        '.' => !a.escaped && !a.class,
        '^' => !a.escaped && i > 0 && atoms[i - 1].opens,
        _ => false,
    };
    let unclosed = atoms
        .last()
        .is_some_and(|a| a.class && (a.opens || a.c != ']' || a.escaped));
    !unclosed && !atoms.iter().enumerate().any(|(i, a)| wide(i, a))
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
            r"^/[\^a-z](.*)$",
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
