//! `redos`: a regex of the rules whose backtracking can take exponential or quadratic time.
//!
//! CloudFront stops a function after about a millisecond of compute; one request that makes a
//! regex backtrack turns into an error for that viewer, and many into an outage. The shapes:
//!
//! - a repeated group whose body can match a run of one character in more than one way: a
//!   repeated part inside (`(a+)+`, `(\w+\s?)*`), or two alternatives that overlap (`(a|a)*`,
//!   `(\w|\d)+`) — exponential in the run's length;
//! - two unbounded repeats side by side that accept the same character (`\d+\d*x`, `\w+\w+$`)
//!   — quadratic.
//!
//! A finding is kept only with a witness: an input the regex fails on after pumping that
//! character (the regex engine tries every split before it gives up).

use crate::diagnostic::{Code, Diagnostic};
use crate::lints::pattern::{self, Item, Node};
use crate::lints::{Context, Found};
use crate::model::{LocationKind, Regex, ServerName};
use crate::source::Span;

/// How the time grows with the length of the pumped run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Growth {
    Exponential,
    Quadratic,
}

/// A slow input for a regex: `prefix`, then `pump` repeated, then `suffix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    pub growth: Growth,
    pub prefix: String,
    pub pump: char,
    pub suffix: char,
}

impl Witness {
    pub fn input(&self, n: usize) -> String {
        let mut s = self.prefix.clone();
        s.extend(std::iter::repeat_n(self.pump, n));
        s.push(self.suffix);
        s
    }
}

/// Where a regex is matched, which decides what a witness may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Host,
    Path,
}

pub fn check(cx: &Context<'_>, found: &mut Found) {
    let host = &cx.host;
    for text in &cx.raw.server_name {
        if let Some(ServerName::Pattern { regex, .. }) = cx.server.names.iter().find(
            |n| matches!(n, ServerName::Pattern { text: t, .. } if *t == text.value && t.starts_with('~')),
        ) && let Some(w) = witness(regex, Subject::Host)
        {
            found.server(report(text.span, "host regex", &w, |input| format!("GET https://{input}/")));
        }
    }
    for (_, pattern_text) in &cx.raw.params {
        if let Ok(regex) = crate::validate::regex::anchored(&pattern_text.value)
            && let Some(w) = witness(&regex, Subject::Host)
        {
            found.server(report(pattern_text.span, "param pattern", &w, |input| {
                format!("a host whose param label is `{input}`")
            }));
        }
    }
    for rule in &cx.server.block.rewrites {
        if let Some(w) = rule.regex.as_ref().and_then(|r| witness(r, Subject::Path)) {
            found.server(report(rule.span, "rewrite regex", &w, |input| {
                format!("GET https://{host}{input}")
            }));
        }
    }
    for (i, location) in cx.server.locations.iter().enumerate() {
        if let LocationKind::Regex(regex) = &location.kind
            && let Some(w) = witness(regex, Subject::Path)
        {
            found.location(
                i,
                report(location.span, "location regex", &w, |input| {
                    format!("GET https://{host}{input}")
                }),
            );
        }
        for rule in &location.block.rewrites {
            if let Some(w) = rule.regex.as_ref().and_then(|r| witness(r, Subject::Path)) {
                found.location(
                    i,
                    report(rule.span, "rewrite regex", &w, |input| {
                        format!("GET https://{host}{input}")
                    }),
                );
            }
        }
    }
}

fn report(span: Span, what: &str, w: &Witness, request: impl Fn(&str) -> String) -> Diagnostic {
    let n = match w.growth {
        Growth::Exponential => 30,
        Growth::Quadratic => 5000,
    };
    let shown = if n > 40 {
        return Diagnostic::new(
            Code::Redos,
            Some(span),
            format!(
                "this {what} backtracks super-linearly: e.g. {} ({n} `{p}`s) makes the function run past CloudFront's time limit (the time grows with the square of the run)",
                request(&format!("{}{p}{p}{p}…{p}{}", w.prefix, w.suffix, p = w.pump)),
                p = w.pump,
            ),
        )
        .with_label("adjacent repetitions of the same characters")
        .with_help("merge the adjacent repetitions into one (`\\d+\\d*` → `\\d+`), or separate them with a character neither accepts");
    } else {
        w.input(n)
    };
    let growth = match w.growth {
        Growth::Exponential => format!("each added `{}` doubles the time", w.pump),
        Growth::Quadratic => format!("the time grows with the square of the run of `{}`", w.pump),
    };
    Diagnostic::new(
        Code::Redos,
        Some(span),
        format!(
            "this {what} backtracks super-linearly: e.g. {} makes the function run past CloudFront's time limit ({growth})",
            request(&shown)
        ),
    )
    .with_label(match w.growth {
        Growth::Exponential => "nested or overlapping repetition",
        Growth::Quadratic => "adjacent repetitions of the same characters",
    })
    .with_help(match w.growth {
        Growth::Exponential => "repeat one thing one way: `(a+)+` → `a+`, `(\\w+\\s?)*` → `[\\w\\s]*`, `(a|a)*` → `a*`; or make each repetition start with a character the others cannot match (`([a-z]+\\.)*`)",
        Growth::Quadratic => "merge the adjacent repetitions into one (`\\d+\\d*` → `\\d+`), or separate them with a character neither accepts",
    })
}

/// A slow input for the regex, when it has one of the shapes.
pub fn witness(regex: &Regex, subject: Subject) -> Option<Witness> {
    let alts = pattern::parse(&regex.source, regex.caseless)?;
    let re =
        regress::Regex::with_flags(&regex.source, if regex.caseless { "i" } else { "" }).ok()?;
    let root = Item {
        node: Node::Group(alts),
        min: 1,
        max: Some(1),
        capture: None,
    };
    let mut candidates = Vec::new();
    shapes(&root, &mut candidates);
    let allowed: &[u8] = match subject {
        Subject::Host => b"abcdefghijklmnopqrstuvwxyz0123456789-",
        Subject::Path => {
            b"abcdefghijklmnopqrstuvwxyz0123456789-._~/!$&'()*+,;=:@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        }
    };
    let suffixes: &[u8] = match subject {
        Subject::Host => b"-0a.z",
        Subject::Path => b"!~-.0a/A%",
    };
    let Node::Group(alts) = &root.node else {
        unreachable!()
    };
    for (target, chars, growth) in candidates {
        let Some(pump) = chars.iter().copied().find(|c| allowed.contains(c)) else {
            continue;
        };
        let prefix = alts
            .iter()
            .find_map(|alt| pattern::prefix_to(alt, target))?;
        if subject == Subject::Path && !prefix.is_empty() && !prefix.starts_with('/') {
            continue;
        }
        let prefix = if subject == Subject::Path && prefix.is_empty() {
            "/".to_owned()
        } else {
            prefix
        };
        for &suffix in suffixes {
            if suffix == pump {
                continue;
            }
            let w = Witness {
                growth,
                prefix: prefix.clone(),
                pump: char::from(pump),
                suffix: char::from(suffix),
            };
            // The engine tries every split of the run before it moves on: no match may start
            // at or before the run (an unanchored `…*$` still matches, later, at the end).
            if re
                .find(&w.input(12))
                .is_none_or(|m| m.start() > w.prefix.len())
            {
                return Some(w);
            }
        }
    }
    None
}

/// Every vulnerable item, the characters that pump it, and how it grows.
fn shapes(item: &Item, out: &mut Vec<(*const Item, Vec<u8>, Growth)>) {
    let Node::Group(alts) = &item.node else {
        return;
    };
    if item.unbounded() {
        let mut nested = Vec::new();
        let mut overlapping = Vec::new();
        for c in 0..128u8 {
            let runs: Vec<&Vec<Item>> = alts
                .iter()
                .filter(|alt| pattern::seq_accepts_run_of(alt, c))
                .collect();
            if runs.len() >= 2 {
                overlapping.push(c);
            } else if runs.iter().any(|alt| repeats_inside(alt, c)) {
                nested.push(c);
            }
        }
        if !overlapping.is_empty() || !nested.is_empty() {
            let mut chars = overlapping;
            chars.extend(nested);
            out.push((item as *const Item, chars, Growth::Exponential));
        }
    }
    for alt in alts {
        for inner in alt {
            shapes(inner, out);
        }
        adjacent(alt, out);
    }
}

/// Whether a sequence holds an unbounded repeat that accepts `c` (at any depth).
fn repeats_inside(seq: &[Item], c: u8) -> bool {
    seq.iter().any(|item| {
        (item.unbounded() && item.accepts_run_of(c))
            || match &item.node {
                Node::Group(alts) => alts
                    .iter()
                    .any(|alt| pattern::seq_accepts_run_of(alt, c) && repeats_inside(alt, c)),
                _ => false,
            }
    })
}

/// Two unbounded repeats of one sequence with only optional items between, sharing a character.
fn adjacent(seq: &[Item], out: &mut Vec<(*const Item, Vec<u8>, Growth)>) {
    for (i, first) in seq.iter().enumerate() {
        if !first.unbounded() {
            continue;
        }
        for second in &seq[i + 1..] {
            if second.unbounded() {
                let chars: Vec<u8> = (0..128u8)
                    .filter(|&c| first.accepts_run_of(c) && second.accepts_run_of(c))
                    .collect();
                if !chars.is_empty() {
                    out.push((first as *const Item, chars, Growth::Quadratic));
                }
                break;
            }
            if second.min > 0 {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::validate::regex::translate;

    fn find(source: &str) -> Option<Witness> {
        witness(&translate(source, false).unwrap(), Subject::Path)
    }

    #[test]
    fn flags_the_textbook_shapes_with_a_failing_input() {
        for source in [
            r"^/(a+)+$",
            r"(\w+\s?)*$",
            r"^/x/(a|a)*b",
            r"^/(\w|\d)+$",
            r"^/(.*a)*$",
        ] {
            let w = find(source).unwrap_or_else(|| panic!("{source} not flagged"));
            assert_eq!(w.growth, Growth::Exponential, "{source}");
            let re = regress::Regex::new(&translate(source, false).unwrap().source).unwrap();
            let early = re
                .find(&w.input(10))
                .is_some_and(|m| m.start() <= w.prefix.len());
            assert!(!early, "{source}: {w:?} matches");
        }
        assert_eq!(
            find(r"^/(\d+\d+)$").map(|w| w.growth),
            Some(Growth::Quadratic)
        );
    }

    #[test]
    fn leaves_common_safe_shapes_alone() {
        for source in [
            r"[a-z0-9-]+",
            r"(.*)\.png$",
            r"^/img/([a-z0-9-]+)\.(png|jpe?g)$",
            r"^/(.*)/(.*)$",
            r"^([a-z0-9-]+\.)*example\.com$",
            r"^/pr-(\d+)/(.*)$",
            r"\.(css|js)$",
            r"^/(?<pr>[0-9]+)/(?<rest>.*)$",
            r"^/api/v[0-9]+/",
        ] {
            assert_eq!(find(source), None, "{source} flagged");
        }
    }

    /// The measurement behind the lint: regress (boa's regex engine) on the witness. Exponential
    /// growth doubles the time per pumped character, so six more characters cost about 64 times
    /// as much; the check asks for a tenth of that, to stay steady on a busy machine.
    #[test]
    fn the_witness_is_slow_in_regress() {
        let regex = translate(r"^/(a+)+$", false).unwrap();
        let w = witness(&regex, Subject::Path).unwrap();
        let re = regress::Regex::new(&regex.source).unwrap();
        let time = |n: usize| {
            let input = w.input(n);
            let start = Instant::now();
            assert!(re.find(&input).is_none());
            start.elapsed()
        };
        let small = (0..3).map(|_| time(14)).min().unwrap();
        let large = (0..3).map(|_| time(20)).min().unwrap();
        assert!(
            large > small * 6 && large > Duration::from_micros(200),
            "{small:?} at 14, {large:?} at 20"
        );
    }
}
