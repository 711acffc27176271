//! Where the bytes of a generated function go: per server and per location, largest first.
//!
//! Used when a function is over (or near) the 10 KB budget, so the user sees what to trim.

use crate::ir::Program;

/// The `limit` largest contributors of a `total`-byte function as indented lines:
/// `  1234 B  server `{id}.example.com`` …; the router code is one of them.
pub fn breakdown(program: &Program, total: usize, limit: usize) -> String {
    let mut items: Vec<(usize, String)> = Vec::new();
    let regex_bytes = |i: usize| {
        program
            .regexes
            .get(i)
            .map_or(0, |(s, f)| s.len() + f.len() + 20)
    };
    for (s, server) in program.data.s.iter().enumerate() {
        let names = &program.names[s];
        let mut total = json_len(server);
        for (l, location) in server.l.iter().enumerate() {
            let own_regex: usize = server
                .r
                .iter()
                .filter(|r| r.location == l)
                .map(|r| regex_bytes(r.regex))
                .sum();
            let bytes = json_len(location) + own_regex;
            total += own_regex;
            items.push((
                bytes,
                format!(
                    "location `{}` in server `{}`",
                    names.locations[l], names.label
                ),
            ));
        }
        items.push((
            total,
            format!("server `{}` (all its locations)", names.label),
        ));
    }
    items.push((
        program
            .regexes
            .iter()
            .map(|(s, f)| s.len() + f.len() + 20)
            .sum(),
        "all regexes".to_owned(),
    ));
    let tables = json_len(&program.data) + items.last().map_or(0, |(bytes, _)| *bytes);
    items.push((
        total.saturating_sub(tables),
        "the router code (fixed for the features the rules use)".to_owned(),
    ));
    items.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    items
        .iter()
        .take(limit)
        .map(|(bytes, what)| format!("  {bytes:>6} B  {what}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn json_len<T: serde::Serialize>(value: &T) -> usize {
    serde_json::to_string(value).map_or(0, |s| s.len())
}
