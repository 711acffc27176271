//! Location searches as code: a server with a few exact and prefix locations gets its own search
//! function — its exact paths compared, its prefixes tested longest first with `lastIndexOf(p, 0)`,
//! its regexes run in order — in place of the tables the runtime's general `findLocation` walks.
//!
//! More locations stay tables (one lookup of the first path segment, then a short list), so the cost
//! per request stays flat however many locations a server has (docs/generated-function.md).

use crate::ir::{KIND_STOP_PREFIX, Server};
use crate::js::emit::js_string;

/// A server's location search compiles to code when it has at most this many exact and prefix
/// locations together: about where the code (30 bytes and one test per location) stops being
/// smaller than the tables plus the general search (10–20 bytes per location, 450 once).
pub const MAX_ENTRIES: usize = 8;

/// Whether `server`'s location search compiles to code.
pub fn compiles(server: &Server) -> bool {
    let prefixes: usize =
        server.b.0.iter().map(|(_, list)| list.len()).sum::<usize>() + server.q.len();
    server.x.0.len() + prefixes <= MAX_ENTRIES
}

/// The search over `server`'s locations as a function named `name`; `trace`: with the steps the
/// traced build records (`search`, `location`, `regex-try`), as the general search records them.
pub fn function(name: &str, server: &Server, trace: bool) -> String {
    // Every prefix, longest first: the first that matches is the longest, which is what the
    // general search finds from a bucket list and the short list (each longest first) by taking the
    // longer of their first matches. Two prefixes of one length that both match are one string.
    let mut prefixes: Vec<(&str, usize)> = server
        .b
        .0
        .iter()
        .flat_map(|(_, list)| list.iter())
        .chain(server.q.iter())
        .map(|(prefix, loc)| (prefix.as_str(), *loc))
        .collect();
    prefixes.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(b.0)));
    let stops: Vec<usize> = prefixes
        .iter()
        .map(|(_, loc)| *loc)
        .filter(|loc| server.l.get(*loc).is_some_and(|l| l.k == KIND_STOP_PREFIX))
        .collect();
    let step = |args: String| {
        if trace {
            format!("T && traceStep([{args}]);\n")
        } else {
            String::new()
        }
    };

    let mut out = String::from(
        "// this server's location search on U: exact; else the longest prefix, then the regexes in\n\
         // order unless that prefix is \"^~\"; -1 when nothing matches (compiled from its locations)\n",
    );
    out.push_str(&format!("function {name}() {{\n"));
    let mut locals = vec!["a = -1".to_owned(), "p = null".to_owned()];
    if !server.r.is_empty() {
        locals.push("m".to_owned());
    }
    out.push_str(&format!("  var {};\n  LP = null;\n", locals.join(", ")));
    out.push_str(&indent(1, &step("'search', U".to_owned())));
    for (path, loc) in &server.x.0 {
        out.push_str(&format!("  if (U == {}) {{\n", js_string(path)));
        out.push_str(&indent(2, &step(format!("'location', {loc}, 'exact'"))));
        out.push_str(&format!("    return {loc};\n  }}\n"));
    }
    for (i, (text, number)) in prefixes.iter().enumerate() {
        let keyword = if i == 0 { "if" } else { "else if" };
        out.push_str(&format!(
            "  {keyword} (!U.lastIndexOf(p = {}, 0)) a = {number};\n",
            js_string(text)
        ));
    }
    if !server.r.is_empty() {
        let mut regexes = String::new();
        for regex in &server.r {
            let loc = regex.location;
            let names = if regex.names.is_empty() {
                String::new()
            } else {
                format!(", {}", serde_json::to_string(&regex.names).expect("names"))
            };
            regexes.push_str(&format!("if (m = R[{}].exec(U)) {{\n", regex.regex));
            regexes.push_str(&format!("  setCaptures(m{names});\n"));
            regexes.push_str(&indent(1, &step(format!("'regex-try', {loc}, true"))));
            regexes.push_str(&indent(1, &step(format!("'location', {loc}, 'regex'"))));
            regexes.push_str(&format!("  return {loc};\n}}\n"));
            regexes.push_str(&step(format!("'regex-try', {loc}, false")));
        }
        if stops.is_empty() {
            out.push_str(&indent(1, &regexes));
        } else {
            let tests: Vec<String> = stops.iter().map(|loc| format!("a != {loc}")).collect();
            out.push_str(&format!(
                "  if ({}) {{\n{}  }}\n",
                tests.join(" && "),
                indent(2, &regexes)
            ));
        }
    }
    out.push_str("  if (a < 0) return -1;\n");
    out.push_str(&indent(1, &step("'location', a, 'prefix'".to_owned())));
    out.push_str("  LP = p;\n  return a;\n}\n");
    out
}

/// `text`'s lines indented by `level` steps of two spaces.
fn indent(level: usize, text: &str) -> String {
    let pad = "  ".repeat(level);
    text.lines().map(|line| format!("{pad}{line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{KIND_EXACT, KIND_PREFIX, Location, RegexLocation, Table};

    fn server() -> Server {
        let location = |k| Location {
            k,
            ..Location::default()
        };
        Server {
            x: Table(vec![("/app".to_owned(), 2)]),
            b: Table(vec![(
                "app".to_owned(),
                vec![("/app/assets/".to_owned(), 0), ("/app/".to_owned(), 1)],
            )]),
            q: vec![("/".to_owned(), 3)],
            r: vec![RegexLocation {
                regex: 4,
                location: 4,
                names: Vec::new(),
            }],
            l: vec![
                location(KIND_STOP_PREFIX),
                location(KIND_PREFIX),
                location(KIND_EXACT),
                location(KIND_PREFIX),
                location(3),
            ],
            ..Server::default()
        }
    }

    #[test]
    fn prefixes_are_tested_longest_first_and_stop_prefixes_skip_regexes() {
        let code = function("locate0", &server(), false);
        let assets = code.find("\"/app/assets/\"").unwrap();
        let app = code.find("\"/app/\"").unwrap();
        let root = code.find("\"/\", 0").unwrap();
        assert!(assets < app && app < root, "{code}");
        assert!(code.contains("if (a != 0) {"), "{code}");
        assert!(code.contains("if (U == \"/app\") {"), "{code}");
        assert!(!code.contains("traceStep"), "{code}");
        let traced = function("locate0", &server(), true);
        assert!(
            traced.contains("T && traceStep(['regex-try', 4, false]);"),
            "{traced}"
        );
    }

    #[test]
    fn many_locations_stay_tables() {
        let mut big = server();
        big.q = (0..8).map(|i| (format!("/p{i}"), 3)).collect();
        assert!(compiles(&server()));
        assert!(!compiles(&big));
    }
}
