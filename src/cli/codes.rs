//! `edgeroute codes`: every diagnostic code of the rules and every `lint-js` rule, what it means (the
//! binary's own tables, `diagnostic::Code` and `check::Rule`) and how to fix it (the tables here).
//!
//! docs/codes.md is `edgeroute --format markdown codes`, checked by a test; a code without a fix here
//! fails that test, so the reference cannot fall behind the binary.

use crate::diagnostic::{Code, Severity};
use crate::js::gate::Rule;

/// How to fix each rule diagnostic, by code name.
const RULE_FIXES: &[(&str, &str)] = &[
    (
        "access-never-decides",
        "Remove the entry, or move it above the entry that covers it if it was meant to decide.",
    ),
    (
        "access-widened",
        "Repeat the server's entries in the location's list; if the location is meant to be open to more viewers, add `allow: [access-widened]` to it.",
    ),
    (
        "alias-prefix-mismatch",
        "End both the location and the alias with `/` (`location: /img/`, `alias: /data/img/`).",
    ),
    (
        "alias-with-break",
        "Use `root` instead (the URI is kept whole), or make the rewrite leave the location with `last`.",
    ),
    (
        "alias-with-root",
        "Keep one: `root` adds the whole URI to the folder, `alias` replaces the location's prefix.",
    ),
    (
        "duplicate-key",
        "Delete one of the two; YAML would silently keep the last.",
    ),
    (
        "duplicate-location",
        "Merge the two locations into one, or change one's modifier or path.",
    ),
    (
        "duplicate-server-name",
        "Merge the two servers, or remove the name from one of them.",
    ),
    (
        "forbidden-header",
        "Drop the header from `add_request_headers`: CloudFront rejects a function that sets it.",
    ),
    (
        "host-bits-set",
        "Write the network address (`10.0.0.0/8`, not `10.1.2.3/8`), or a longer prefix if one host was meant.",
    ),
    (
        "input-too-large",
        "Split the rules into smaller files, or remove deep nesting and alias chains (limits: 1 MiB, 64 levels, 100,000 values).",
    ),
    (
        "invalid-access",
        "Write each entry as `allow ADDRESS`, `deny ADDRESS`, `allow all` or `deny all`.",
    ),
    (
        "invalid-cidr",
        "Write an IPv4 or IPv6 address, optionally with `/PREFIX` (`192.0.2.0/24`, `2001:db8::/32`).",
    ),
    ("invalid-encoding", "Save the file as UTF-8."),
    (
        "invalid-index",
        "Name one file with an extension, such as `index.html`; no `/`.",
    ),
    (
        "invalid-location",
        "Write `/prefix`, `= /exact`, `^~ /prefix`, `~ regex` or `~* regex`.",
    ),
    (
        "invalid-origin",
        "Write an origin id of the distribution (`origin: api`) or `origin: {domain: api.example.com}`.",
    ),
    (
        "invalid-path",
        "Use only characters a bucket key can hold: no control characters, spaces, `?` or `#`.",
    ),
    (
        "invalid-regex",
        "Fix the regex so that it compiles as ECMAScript; the message says where it fails.",
    ),
    (
        "invalid-return",
        "Write `CODE`, `CODE TEXT`, or for 301, 302, 303, 307 and 308 `CODE URL`; CODE is 200-599.",
    ),
    (
        "invalid-rewrite",
        "Write `TARGET`, or `REGEX REPLACEMENT` with an optional flag: last, break, redirect or permanent.",
    ),
    (
        "invalid-server-name",
        "Write an exact name, `*.suffix`, `prefix.*`, a `{param}.suffix` pattern, or `~regex`.",
    ),
    (
        "invalid-test",
        "Give the case something to expect (uri, querystring, origin, status, location, body, headers, matched), or split a case that expects both a passed request and a response into two.",
    ),
    (
        "invalid-try-files",
        "List at least one candidate and then a fallback: `[$uri, $uri/, /index.html]` or `[$uri, =404]`.",
    ),
    (
        "invalid-url",
        "Write `https://HOST/PATH?QUERY`; percent-encode spaces and control characters; no `#`.",
    ),
    ("invalid-value", "Use one of the values the message lists."),
    (
        "kvs-budget",
        "Shorten the keys or rules the help lists, split a big redirect map across servers, or keep rarely used redirects out of the rules.",
    ),
    (
        "kvs-needs-js2",
        "Set `runtime: cloudfront-js-2.0` at the top of the file, or remove `kvs: true`.",
    ),
    (
        "location-only",
        "Move `alias` or `try_files` into a location (`location: /` for the whole server).",
    ),
    (
        "missing-key",
        "Add the key the message names (`edgeroute: 1`, `servers`, `server_name`, `location`, a test's `url`).",
    ),
    (
        "missing-root",
        "Add `root` to the location or its server, or `alias` to the location.",
    ),
    (
        "no-locations",
        "Add a location (`location: /`), or a server-level `return`.",
    ),
    (
        "open-redirect",
        "Start the target with a literal `/` or with `https://` and a literal host; pick among known targets with locations instead of taking a URL from the request.",
    ),
    (
        "origin-needs-js2",
        "Set `runtime: cloudfront-js-2.0` at the top of the file.",
    ),
    (
        "redos",
        "Repeat one thing one way (`(a+)+` → `a+`, `(\\w+\\s?)*` → `[\\w\\s]*`), or make each repetition start with a character nothing else accepts.",
    ),
    (
        "shadowed-location",
        "Remove the location, or narrow the one that takes its requests (an earlier regex, a `^~` prefix or an exact match); a regex can also move above the regex that covers it.",
    ),
    (
        "size-budget",
        "Make the function smaller: merge locations that differ only in their prefix, share a root, drop unused rules. The help lists the biggest contributors (servers, locations, the runtime) and the runtime's largest helpers. Above 10,000 bytes it is a warning.",
    ),
    (
        "tenant-boundary",
        "Put a `/` after the param (`alias: /$id/`), and start a new `$uri` with a literal path (`/files/$1`), so request data cannot reach another tenant's folder.",
    ),
    (
        "unanchored-host-regex",
        "Anchor the regex at both ends (`~^…$`), or use `*.example.com` or `{param}.example.com` names.",
    ),
    (
        "undefined-variable",
        "Use a variable defined at that place; `$1` after a rewrite in the same block is cleared: name the group (`(?<slug>…)`, then `$slug`).",
    ),
    (
        "unknown-key",
        "Correct the spelling (the help suggests one) or remove the key.",
    ),
    (
        "unknown-param",
        "Remove the entry, or use the param in `server_name` as `{name}`.",
    ),
    (
        "unportable-regex",
        "Rewrite the regex with constructs PCRE and JavaScript read alike (the message names the construct).",
    ),
    (
        "unreachable-candidate",
        "Remove the candidate, or move it before the one that always exists.",
    ),
    (
        "unreachable-directive",
        "Remove the directive, or the one before it that always answers or leaves.",
    ),
    (
        "unreachable-location",
        "Remove the server-level `return`, or the locations behind it.",
    ),
    (
        "unsupported-runtime",
        "Write `runtime: cloudfront-js-1.0` or `runtime: cloudfront-js-2.0`.",
    ),
    ("unsupported-version", "Write `edgeroute: 1`."),
    (
        "wrong-type",
        "Give the value the type the message names: text, a list or a mapping.",
    ),
    (
        "yaml-syntax",
        "Fix the YAML at the place shown; quote values that start with `*`, `&`, `!`, `{` or `[`, or hold `: ` or ` #`.",
    ),
];

/// How to fix each `lint-js` rule, by name.
const LINT_FIXES: &[(&str, &str)] = &[
    ("arrow-function", "Write `function (x) { return … }`."),
    (
        "async-closure",
        "Keep `async` on the top-level `handler` only, on cloudfront-js-2.0.",
    ),
    (
        "async-function",
        "Use cloudfront-js-2.0, or drop `async` and return the value.",
    ),
    (
        "await",
        "Use cloudfront-js-2.0 with `async function handler`, or drop `await`.",
    ),
    ("bigint-literal", "Use a Number."),
    (
        "binary-octal-literal",
        "Write the number in decimal or hex.",
    ),
    (
        "class",
        "Use a constructor function and its prototype, or plain objects.",
    ),
    ("computed-key", "Create the object, then assign `o[k] = v`."),
    (
        "console-log-arguments",
        "Join the values into one string: `console.log('a ' + b)`.",
    ),
    ("console-method", "Use `console.log`."),
    (
        "default-parameter",
        "Test for `undefined` in the body: `if (x === undefined) x = 1;`.",
    ),
    ("destructuring", "Read each property or index into a `var`."),
    ("eval", "Remove `eval`; write the code itself."),
    ("exponent-operator", "Use `Math.pow(a, b)`."),
    (
        "export",
        "Remove `export`: the runtime calls the global `handler`.",
    ),
    (
        "for-of",
        "Use an index loop, `for (var i = 0; i < a.length; i++)`.",
    ),
    (
        "function-constructor",
        "Write the function instead of building it from text.",
    ),
    (
        "generator",
        "Use a loop, or a function that returns an array.",
    ),
    (
        "import",
        "Import only `cloudfront` (cloudfront-js-2.0, `import cf from 'cloudfront';`), or `require` `crypto` and `querystring`.",
    ),
    ("let-const", "Use `var`, or cloudfront-js-2.0."),
    ("logical-assignment", "Write it out: `a = a || b;`."),
    ("new-target", "Pass what you need as an argument."),
    (
        "nullish-coalescing",
        "Test it: `x !== null && x !== undefined ? x : d`.",
    ),
    ("numeric-separator", "Write the digits without `_`."),
    ("object-method", "Write `f: function () {}`."),
    ("optional-catch-binding", "Write `catch (e)`."),
    ("optional-chaining", "Test each step: `a && a.b && a.b.c`."),
    (
        "process",
        "Put the value into the code (functions have no environment), or in a KeyValueStore.",
    ),
    ("regex-flag", "Use only `g`, `i`, `m` and `y`."),
    (
        "regex-lookbehind",
        "Capture the preceding text in a group instead.",
    ),
    (
        "regex-named-group",
        "Use a numbered group `(…)` and read its index.",
    ),
    (
        "require",
        "Require only `crypto` or `querystring`; put other code into the function itself.",
    ),
    (
        "rest-parameter",
        "Read `arguments`: `Array.prototype.slice.call(arguments, 1)`.",
    ),
    ("shorthand-property", "Write `{a: a}`."),
    (
        "spread",
        "Use `concat`, `apply` or a loop that copies the properties.",
    ),
    (
        "string-bytes",
        "Use `Buffer` or the standard string methods.",
    ),
    (
        "syntax-error",
        "Fix the syntax at the place shown; the code must parse as strict-mode JavaScript.",
    ),
    ("tagged-template", "Call the function with the parts."),
    (
        "template-literal",
        "Concatenate strings with `+`, or use cloudfront-js-2.0.",
    ),
    (
        "timer",
        "Remove the timer: a function runs once, synchronously, within about a millisecond.",
    ),
    (
        "unicode-escape",
        "Write `\\uXXXX`, with a surrogate pair above U+FFFF.",
    ),
    (
        "unsupported-builtin",
        "Use a method the runtime has (the message names the one it lacks), or write the loop.",
    ),
    (
        "unsupported-global",
        "Use an object or an array instead (`{}` for `Map`, an object of `true` for `Set`).",
    ),
];

/// The fix for a rule diagnostic code.
pub fn rule_fix(code: Code) -> Option<&'static str> {
    lookup(RULE_FIXES, code.name())
}

/// The fix for a `lint-js` rule.
pub fn lint_fix(rule: Rule) -> Option<&'static str> {
    lookup(LINT_FIXES, rule.name())
}

fn lookup(table: &[(&str, &'static str)], name: &str) -> Option<&'static str> {
    table.iter().find(|(n, _)| *n == name).map(|(_, fix)| *fix)
}

fn severity(code: Code) -> &'static str {
    match code.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

const MISSING: &str = "(no fix written yet: add one in src/cli/codes.rs)";

/// The reference as plain text, one code per paragraph.
pub fn text() -> String {
    let mut out = String::from("Rule diagnostics (check, build, test, explain, diff, export):\n\n");
    for &code in Code::ALL {
        out.push_str(&format!(
            "{}[{}]: {}\n  fix: {}\n\n",
            severity(code),
            code.name(),
            code.description(),
            rule_fix(code).unwrap_or(MISSING)
        ));
    }
    out.push_str("JavaScript checks (lint-js; every one is an error):\n\n");
    for &rule in Rule::ALL {
        out.push_str(&format!(
            "error[{}]: {}\n  fix: {}\n\n",
            rule.name(),
            rule.description(),
            lint_fix(rule).unwrap_or(MISSING)
        ));
    }
    out.pop();
    out
}

/// The reference as Markdown: docs/codes.md.
pub fn markdown() -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         <!-- Generated: `edgeroute --format markdown codes > docs/codes.md`; a test keeps it in step. -->\n\n\
         Every problem edgeroute reports has a stable code, printed as `error[code]` or `warning[code]` and as\n\
         `\"code\"` in `--format json`. `edgeroute codes` prints this page in the terminal.\n\n\
         ## Rules\n\n\
         What `check`, `build`, `test`, `explain`, `diff` and `export` report about a rules file. A warning\n\
         fails the run only under `--deny warnings`; `fixtures/err/` holds an example of each.\n\n\
         | code | severity | means | fix |\n| --- | --- | --- | --- |\n",
    );
    for &code in Code::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            code.name(),
            severity(code),
            cell(code.description()),
            cell(rule_fix(code).unwrap_or(MISSING))
        ));
    }
    out.push_str(
        "\n## JavaScript (lint-js)\n\n\
         What `lint-js` reports about a JavaScript file, each an error; edgeroute's own output passes the same\n\
         checks, held to ES 5.1. A rule names what the runtime lacks: some apply to cloudfront-js-1.0 only.\n\n\
         | code | rejects | fix |\n| --- | --- | --- |\n",
    );
    for &rule in Rule::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            rule.name(),
            cell(rule.description()),
            cell(lint_fix(rule).unwrap_or(MISSING))
        ));
    }
    out
}

/// The reference as JSON lines: `{"code", "kind", "severity", "means", "fix"}`.
pub fn json() -> String {
    let rules = Code::ALL.iter().map(|&code| {
        serde_json::json!({
            "code": code.name(),
            "kind": "rule",
            "severity": severity(code),
            "means": code.description(),
            "fix": rule_fix(code),
        })
    });
    let lint = Rule::ALL.iter().map(|&rule| {
        serde_json::json!({
            "code": rule.name(),
            "kind": "lint-js",
            "severity": "error",
            "means": rule.description(),
            "fix": lint_fix(rule),
        })
    });
    rules.chain(lint).map(|line| format!("{line}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_fix() {
        let missing: Vec<&str> = Code::ALL
            .iter()
            .filter(|c| rule_fix(**c).is_none())
            .map(|c| c.name())
            .collect();
        assert!(
            missing.is_empty(),
            "add a fix to RULE_FIXES for {missing:?}"
        );
        let missing: Vec<&str> = Rule::ALL
            .iter()
            .filter(|r| lint_fix(**r).is_none())
            .map(|r| r.name())
            .collect();
        assert!(
            missing.is_empty(),
            "add a fix to LINT_FIXES for {missing:?}"
        );
    }

    #[test]
    fn docs_codes_md_is_the_generated_reference() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/codes.md");
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == markdown(),
            "docs/codes.md is stale: run `cargo run -- --format markdown codes > docs/codes.md`"
        );
    }
}
