//! `unanchored-host-regex`: a `~` server name without `^…$` matches hosts that merely contain it.

use crate::diagnostic::{Code, Diagnostic};
use crate::lints::pattern::{self, Item, Node};
use crate::lints::{Context, Found};
use crate::model::ServerName;

pub fn check(cx: &Context<'_>, found: &mut Found) {
    for text in &cx.raw.server_name {
        let Some(ServerName::Pattern { regex, .. }) = cx.server.names.iter().find(
            |n| matches!(n, ServerName::Pattern { text: t, .. } if *t == text.value && t.starts_with('~')),
        ) else {
            continue;
        };
        let Some(alts) = pattern::parse(&regex.source, regex.caseless) else {
            continue;
        };
        let start = alts.iter().all(|seq| starts_anchored(seq));
        let end = alts.iter().all(|seq| ends_anchored(seq));
        if start && end {
            continue;
        }
        let Ok(re) = regress::Regex::with_flags(&regex.source, "i") else {
            continue;
        };
        let sample = pattern::sample(&alts[0]);
        let mut witnesses = Vec::new();
        if !end {
            witnesses.push(format!("{sample}.evil.net"));
        }
        if !start {
            witnesses.push(format!("evil{sample}"));
        }
        let shown: Vec<String> = witnesses
            .iter()
            .filter(|host| re.find(host).is_some())
            .map(|host| format!("`{host}`"))
            .collect();
        let missing = match (start, end) {
            (false, false) => "`^` and `$`",
            (false, true) => "`^`",
            _ => "`$`",
        };
        let mut message =
            format!("this host regex has no {missing}: it matches any host that contains a match");
        if !shown.is_empty() {
            message.push_str(&format!(", such as {}", shown.join(" and ")));
        }
        let anchored = format!(
            "~^{}$",
            text.value[1..]
                .trim_start_matches('^')
                .trim_end_matches('$')
        );
        found.server(
            Diagnostic::new(Code::UnanchoredHostRegex, Some(text.span), message)
                .with_label("not anchored")
                .with_help(format!(
                    "anchor it at both ends: `{anchored}` (or list the names: `*.example.com`, `{{param}}.example.com`)"
                )),
        );
    }
}

fn starts_anchored(seq: &[Item]) -> bool {
    match seq.first().map(|i| &i.node) {
        Some(Node::Start) => true,
        Some(Node::Group(alts)) if seq[0].min >= 1 => alts.iter().all(|s| starts_anchored(s)),
        _ => false,
    }
}

fn ends_anchored(seq: &[Item]) -> bool {
    match seq.last() {
        Some(Item {
            node: Node::End, ..
        }) => true,
        Some(Item {
            node: Node::Group(alts),
            min,
            ..
        }) if *min >= 1 => alts.iter().all(|s| ends_anchored(s)),
        _ => false,
    }
}
