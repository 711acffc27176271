//! `shadowed-location`: a location no URI can select, with a URI that goes elsewhere instead.
//!
//! nginx picks an exact match first, then the longest prefix; a `^~` prefix stops there, otherwise
//! regex locations are tried in file order and the first that matches wins. So a prefix location
//! is never chosen when a regex matches every URI under it; a regex location is never chosen when
//! an earlier regex matches everything it would, when every URI it matches falls under a `^~`
//! prefix (and no longer plain prefix), or when the one URI it matches has an exact location.

use crate::diagnostic::{Code, Diagnostic};
use crate::lints::pattern::{self, Item, Node};
use crate::lints::{Context, Found};
use crate::model::{Location, LocationKind, Regex};

pub fn check(cx: &Context<'_>, found: &mut Found) {
    let locations = &cx.server.locations;
    for (i, later) in locations.iter().enumerate() {
        let shadow = match &later.kind {
            LocationKind::Prefix {
                path,
                stop_regex: false,
            } => locations
                .iter()
                .find(
                    |l| matches!(&l.kind, LocationKind::Regex(r) if covers_prefix(r, path, false)),
                )
                .map(|l| {
                    (
                        l,
                        format!("{path}x"),
                        "every URI under this prefix matches the regex",
                    )
                }),
            LocationKind::Exact(_) | LocationKind::Prefix { .. } => None,
            LocationKind::Regex(regex) => regex_shadow(locations, i, regex),
        };
        let Some((winner, uri, why)) = shadow else {
            continue;
        };
        let example = format!(
            ": e.g. GET https://{}{uri} selects `{}` (line {})",
            cx.host,
            winner.text,
            crate::lints::line_of(cx.file, winner.span)
        );
        found.location(
            i,
            Diagnostic::new(
                Code::ShadowedLocation,
                Some(later.span),
                format!("no request can select `{}`: {why}{example}", later.text),
            )
            .with_label("never selected")
            .with_help(format!(
                "remove this location, or make `{}` narrower (or move this regex above it)",
                winner.text
            )),
        );
    }
}

/// The location that takes every URI the regex location at `i` would match, with an example.
fn regex_shadow<'l>(
    locations: &'l [Location],
    i: usize,
    regex: &Regex,
) -> Option<(&'l Location, String, &'static str)> {
    let alts = pattern::parse(&regex.source, regex.caseless)?;
    let mut sample = pattern::sample(alts.first()?);
    if !sample.starts_with('/') {
        sample.insert(0, '/');
    }
    let re =
        regress::Regex::with_flags(&regex.source, if regex.caseless { "i" } else { "" }).ok()?;
    let sample = re.find(&sample).is_some().then_some(sample)?;
    for earlier in &locations[..i] {
        if let LocationKind::Regex(a) = &earlier.kind {
            let same_text = a.source == regex.source && a.caseless && !regex.caseless;
            let by_prefix = anchored(&alts)
                .is_some_and(|(literal, _)| covers_prefix(a, &literal, regex.caseless));
            if same_text || by_prefix {
                return Some((
                    earlier,
                    sample,
                    "an earlier regex location matches every URI this one matches",
                ));
            }
        }
    }
    let (literal, rest) = anchored(&alts)?;
    if regex.caseless && literal.bytes().any(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    if matches!(
        rest,
        [Item {
            node: Node::End,
            ..
        }]
    ) && let Some(exact) = locations
        .iter()
        .find(|l| matches!(&l.kind, LocationKind::Exact(p) if *p == literal))
    {
        return Some((
            exact,
            literal,
            "the one URI it matches has an exact location",
        ));
    }
    let stop = locations.iter().find(|l| {
        matches!(&l.kind, LocationKind::Prefix { path, stop_regex: true } if literal.starts_with(path.as_str()))
    })?;
    let LocationKind::Prefix {
        path: stop_path, ..
    } = &stop.kind
    else {
        return None;
    };
    let longer_plain = locations.iter().any(|l| {
        matches!(&l.kind, LocationKind::Prefix { path, stop_regex: false }
            if path.len() > stop_path.len() && path.starts_with(stop_path.as_str())
                && (literal.starts_with(path.as_str()) || path.starts_with(literal.as_str())))
    });
    let longer_stop = locations.iter().any(|l| {
        matches!(&l.kind, LocationKind::Prefix { path, stop_regex: true }
            if path.len() > stop_path.len() && path.starts_with(literal.as_str()))
    });
    (!longer_plain && !longer_stop).then_some((
        stop,
        sample,
        "every URI it matches is under a `^~` prefix, which stops the regex search",
    ))
}

fn anchored(alts: &[Vec<Item>]) -> Option<(String, &[Item])> {
    pattern::anchored_literal(alts)
}

/// Whether the regex matches every URI that starts with `prefix` (`caseless`: in any case).
fn covers_prefix(regex: &Regex, prefix: &str, caseless: bool) -> bool {
    if caseless && !regex.caseless {
        return false;
    }
    let Some(alts) = pattern::parse(&regex.source, regex.caseless) else {
        return false;
    };
    let fold = |s: &str| {
        if regex.caseless {
            s.to_ascii_lowercase()
        } else {
            s.to_owned()
        }
    };
    let prefix = fold(prefix);
    if let Some((literal, rest)) = pattern::anchored_literal(&alts) {
        return pattern::matches_anything(rest) && prefix.starts_with(&fold(&literal));
    }
    // Unanchored: a literal somewhere in the URI, then anything.
    let [seq] = alts.as_slice() else {
        return false;
    };
    let mut start = vec![Item {
        node: Node::Start,
        min: 1,
        max: Some(1),
        capture: None,
    }];
    start.extend(seq.iter().cloned());
    let Some((literal, rest)) = pattern::anchored_literal(std::slice::from_ref(&start)) else {
        return false;
    };
    if !pattern::matches_anything(rest) {
        return false;
    }
    if literal.is_empty() {
        return !rest.is_empty() || seq.is_empty();
    }
    prefix.contains(&fold(&literal))
}
