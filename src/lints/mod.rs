//! Security lints: warnings about rules that are valid but open a site up (docs/lints.md).
//!
//! They run at the end of validation, on the model once it has no errors, one server at a time.
//! Each lint pushes its findings here with the location it concerns; `allow: [code, …]` on the
//! server or that location drops them before they reach the diagnostics.

pub mod access;
pub mod alias;
pub mod host;
pub mod pattern;
pub mod redirect;
pub mod redos;
pub mod shadowed;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::{Case, Server, ServerName};
use crate::read::config::RawServer;
use crate::source::SourceFile;

/// The codes `allow:` accepts: every lint, alphabetical.
pub const CODES: &[Code] = &[
    Code::AccessNeverDecides,
    Code::AccessWidened,
    Code::AliasPrefixMismatch,
    Code::OpenRedirect,
    Code::Redos,
    Code::ShadowedLocation,
    Code::UnanchoredHostRegex,
];

/// What a lint sees of one server.
pub struct Context<'a> {
    pub file: &'a SourceFile,
    pub raw: &'a RawServer,
    pub server: &'a Server,
    /// A host this server answers, for example requests.
    pub host: String,
}

/// The findings of one server: the location index each concerns (`None`: the server itself).
#[derive(Default)]
pub struct Found {
    items: Vec<(Option<usize>, Diagnostic)>,
}

impl Found {
    pub fn server(&mut self, diagnostic: Diagnostic) {
        self.items.push((None, diagnostic));
    }

    pub fn location(&mut self, index: usize, diagnostic: Diagnostic) {
        self.items.push((Some(index), diagnostic));
    }
}

/// Run every lint over the servers; push the findings no `allow:` accepts.
pub fn run(
    file: &SourceFile,
    raw: &[RawServer],
    servers: &[Server],
    tests: &[Case],
    diags: &mut Diagnostics,
) {
    for (raw, server) in raw.iter().zip(servers) {
        let cx = Context {
            file,
            raw,
            server,
            host: example_host(server, tests),
        };
        let mut found = Found::default();
        host::check(&cx, &mut found);
        redirect::check(&cx, &mut found);
        redos::check(&cx, &mut found);
        access::check(&cx, &mut found);
        alias::check(&cx, &mut found);
        shadowed::check(&cx, &mut found);
        for (location, diagnostic) in found.items {
            let allowed = server.allow.contains(&diagnostic.code)
                || location
                    .and_then(|i| server.locations.get(i))
                    .is_some_and(|l| l.allow.contains(&diagnostic.code));
            if !allowed {
                diags.push(diagnostic);
            }
        }
    }
}

/// A host the server answers: one a test case of the file sends it, else one made from a name.
fn example_host(server: &Server, tests: &[Case]) -> String {
    let made = server.names.iter().find_map(|name| match name {
        ServerName::Exact(host) => Some(host.clone()),
        ServerName::Leading(suffix) => Some(format!("www{suffix}")),
        ServerName::Trailing(prefix) => Some(format!("{prefix}com")),
        ServerName::Pattern { regex, .. } => {
            let alts = pattern::parse(&regex.source, regex.caseless)?;
            let host = pattern::sample(&alts[0]);
            let re = regress::Regex::with_flags(&regex.source, "i").ok()?;
            re.find(&host).is_some().then_some(host)
        }
    });
    let from_tests = tests.iter().find_map(|case| {
        let host = case
            .url
            .strip_prefix("https://")?
            .split(['/', '?'])
            .next()?;
        let matches = server.names.iter().any(|name| match name {
            ServerName::Exact(h) => h.eq_ignore_ascii_case(host),
            ServerName::Leading(suffix) => host.to_ascii_lowercase().ends_with(suffix.as_str()),
            ServerName::Trailing(prefix) => host.to_ascii_lowercase().starts_with(prefix.as_str()),
            ServerName::Pattern { .. } => false,
        });
        matches.then(|| host.to_ascii_lowercase())
    });
    from_tests
        .or(made)
        .unwrap_or_else(|| "www.example.com".to_owned())
}

/// `file:line` of a span, for messages that point at a second place.
pub fn line_of(file: &SourceFile, span: crate::source::Span) -> usize {
    file.line_col(span.start).0
}
