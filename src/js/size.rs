//! Where the bytes of a generated function go: per server and per location, largest first.
//!
//! Used when a function is over (or near) the 10 KB budget, so the user sees what to trim.

use crate::ir::{Program, Server};

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
        let shared = crate::ir::shared_bodies(&server.l);
        let written = crate::ir::written_locations(&server.l, &shared);
        for (l, location) in server.l.iter().enumerate() {
            let own_regex: usize = server
                .r
                .iter()
                .filter(|r| r.location == l)
                .map(|r| regex_bytes(r.regex))
                .sum();
            let body = match shared[l] {
                _ if l >= written => 0,
                Some(first) => first.to_string().len(),
                None => json_len(location),
            };
            let bytes = body + own_regex + lookup_bytes(server, l);
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
    items.push((runtime_bytes(program, total), RUNTIME.to_owned()));
    items.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    items
        .iter()
        .take(limit)
        .map(|(bytes, what)| format!("  {bytes:>6} B  {what}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The line naming the runtime's bytes in the breakdown.
const RUNTIME: &str = "the runtime (the helpers the rules need)";

/// The runtime's bytes: the function less its tables and regexes, as written.
fn runtime_bytes(program: &Program, total: usize) -> usize {
    let regexes: usize = program
        .regexes
        .iter()
        .map(|(s, f)| s.len() + f.len() + 20)
        .sum();
    total.saturating_sub(json_len(&program.data) + regexes)
}

/// The runtime's `limit` largest helpers as one line, each about its share of the runtime's bytes
/// (`pretty` compressed with names kept, scaled to the upload): which helpers a rule set pays for.
/// The functions compiled from the rules (`valueN`, `locateN`) are counted with their servers.
pub fn runtime_helpers(program: &Program, total: usize, pretty: &str, limit: usize) -> String {
    let mut helpers: Vec<(String, usize)> = crate::js::minify::function_sizes(pretty)
        .into_iter()
        .filter(|(name, _)| !is_compiled(name))
        .collect();
    let sum: usize = helpers.iter().map(|(_, bytes)| bytes).sum();
    if sum == 0 {
        return String::new();
    }
    let runtime = runtime_bytes(program, total);
    helpers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let shares: Vec<String> = helpers
        .iter()
        .take(limit)
        .map(|(name, bytes)| format!("{name} {} B", bytes * runtime / sum))
        .collect();
    format!(
        "  of the runtime, the largest helpers: {} (of {})",
        shares.join(", "),
        helpers.len()
    )
}

/// A function compiled from the rules rather than a runtime helper.
fn is_compiled(name: &str) -> bool {
    ["value", "locate"].iter().any(|prefix| {
        name.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// About the bytes of location `l`'s entries in its server's lookup tables (`x`, `b`, `q`, `r`).
fn lookup_bytes(server: &Server, l: usize) -> usize {
    let digits = l.to_string().len();
    let exact = server
        .x
        .0
        .iter()
        .filter(|(_, loc)| *loc == l)
        .map(|(path, _)| json_len(path) + digits + 2);
    let buckets = server.b.0.iter().flat_map(|(seg, list)| {
        let alone = crate::ir::bare_bucket(seg, list).is_some();
        list.iter()
            .filter(|(_, loc)| *loc == l)
            .map(move |entry| match alone {
                true => json_len(seg) + digits + 2,
                false => json_len(entry) + 1,
            })
    });
    let prefixes = server
        .q
        .iter()
        .filter(|(_, loc)| *loc == l)
        .map(|entry| json_len(entry) + 1);
    let regexes = server
        .r
        .iter()
        .filter(|r| r.location == l)
        .map(|r| json_len(r) + 1);
    exact.chain(buckets).chain(prefixes).chain(regexes).sum()
}

fn json_len<T: serde::Serialize>(value: &T) -> usize {
    serde_json::to_string(value).map_or(0, |s| s.len())
}
