//! Problems found in the rules, as data.
//!
//! A [`Diagnostic`] is a mistake in the user's input: a stable kebab-case [`Code`], a severity, a
//! message, the span it points at and an optional help line. Stages push them into [`Diagnostics`]
//! and keep going, so one run shows every problem; `render.rs` turns them into text or JSON.
//! Failures that are not the user's fault are `error::Error`, never diagnostics.

use std::fmt;

use serde::Serialize;

use crate::source::Span;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($($variant:ident $name:literal $severity:ident $description:literal,)*) => {
        /// Every diagnostic code, alphabetical. Each has a fixture under `fixtures/err/`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The kebab-case name printed as `error[name]`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// The severity a diagnostic with this code has.
            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }

            /// One line saying what the code is about.
            pub fn description(self) -> &'static str {
                match self {
                    $(Code::$variant => $description,)*
                }
            }
        }
    };
}

codes! {
    AccessNeverDecides "access-never-decides" Warning "an access entry no viewer reaches: an earlier entry decides every address it covers",
    AccessWidened "access-widened" Warning "a location's access list admits viewers its server's list refuses",
    AliasPrefixMismatch "alias-prefix-mismatch" Warning "a prefix location and its alias that differ in ending with `/`",
    AliasWithBreak "alias-with-break" Error "`alias` in a location whose rewrite stays in it (break or `rewrite: TARGET`)",
    AliasWithRoot "alias-with-root" Error "`alias` and `root` in one location",
    DuplicateKey "duplicate-key" Error "a key appears twice in one mapping",
    DuplicateLocation "duplicate-location" Error "the same location twice in one server",
    DuplicateServerName "duplicate-server-name" Error "the same server name in two servers",
    ForbiddenHeader "forbidden-header" Error "a request header CloudFront does not let a function set",
    HostBitsSet "host-bits-set" Warning "an access CIDR with bits set past its prefix length",
    InputTooLarge "input-too-large" Error "the rules file is too large, too deeply nested or expands too far",
    InvalidAccess "invalid-access" Error "an access entry that is not `allow X` or `deny X`",
    InvalidCidr "invalid-cidr" Error "an address or CIDR that does not parse",
    InvalidEncoding "invalid-encoding" Error "the rules file is not UTF-8 text",
    InvalidIndex "invalid-index" Error "an index name that is not one file name with a `.`",
    InvalidLocation "invalid-location" Error "a location that is not `[=|^~|~|~*] path-or-regex`",
    InvalidOrigin "invalid-origin" Error "an origin that is not an id or `{domain: NAME}`",
    InvalidPath "invalid-path" Error "a root or alias with characters a bucket path cannot hold",
    InvalidRegex "invalid-regex" Error "a regex that does not compile as ECMAScript",
    InvalidReturn "invalid-return" Error "a return that is not `CODE [TEXT|URL]`",
    InvalidRewrite "invalid-rewrite" Error "a rewrite rule that is not `TARGET` or `REGEX REPLACEMENT [FLAG]`",
    InvalidServerName "invalid-server-name" Error "a server_name pattern that cannot match a host",
    InvalidTest "invalid-test" Error "a test case that expects nothing or mixes request and response expectations",
    InvalidTryFiles "invalid-try-files" Error "a try_files list without a candidate and a fallback",
    InvalidUrl "invalid-url" Error "a test url that is not `https://HOST/PATH?QUERY`",
    InvalidValue "invalid-value" Error "a value outside the ones the key accepts",
    KvsBudget "kvs-budget" Error "a KeyValueStore key over 512 bytes, a value over 1 KB, or a store over 5 MB",
    KvsNeedsJs2 "kvs-needs-js2" Error "`kvs: true` on cloudfront-js-1.0, which has no KeyValueStore",
    LocationOnly "location-only" Error "`alias` or `try_files` on a server: they belong in a location",
    MissingKey "missing-key" Error "a required key is missing",
    MissingRoot "missing-root" Error "a location can pass a request on without `root` or `alias`",
    NoLocations "no-locations" Warning "a server without locations answers 404 to every request",
    OpenRedirect "open-redirect" Warning "a redirect whose target's scheme or host comes from the request",
    OriginNeedsJs2 "origin-needs-js2" Error "`origin` on cloudfront-js-1.0, which has no `cloudfront` module",
    Redos "redos" Warning "a regex whose backtracking takes exponential or quadratic time on some input",
    ShadowedLocation "shadowed-location" Warning "a location no request can select",
    SizeBudget "size-budget" Error "the generated function is over CloudFront's 10 KB limit",
    TenantBoundary "tenant-boundary" Warning "request data that could name another tenant's files: after a param, or at the start of a new `$uri`",
    UnanchoredHostRegex "unanchored-host-regex" Warning "a `~` server name without `^…$`, which matches hosts that merely contain it",
    UndefinedVariable "undefined-variable" Error "a variable that is not defined where it is used",
    UnknownKey "unknown-key" Error "a key the rules format does not have",
    UnknownParam "unknown-param" Error "a `params` entry that names no `{param}` of the server",
    UnportableRegex "unportable-regex" Error "a regex construct whose meaning differs between PCRE and JavaScript",
    UnreachableCandidate "unreachable-candidate" Warning "a try_files candidate after one that always exists",
    UnreachableDirective "unreachable-directive" Error "a directive that can never run",
    UnreachableLocation "unreachable-location" Warning "locations behind a server-level `return`",
    UnsupportedRuntime "unsupported-runtime" Error "a runtime other than cloudfront-js-1.0 or cloudfront-js-2.0",
    UnsupportedVersion "unsupported-version" Error "a format version other than 1",
    WrongType "wrong-type" Error "a value of the wrong YAML type",
    YamlSyntax "yaml-syntax" Error "the file is not valid YAML",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One problem in the input.
/// A problem at a byte range inside one text (a directive, a value, a regex, a URL): what every
/// parser of a value returns, and what the validator places in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub code: Code,
    pub message: String,
    pub offset: usize,
    pub len: usize,
    pub help: Option<String>,
}

impl Problem {
    pub fn new(code: Code, message: impl Into<String>, offset: usize, len: usize) -> Problem {
        Problem {
            code,
            message: message.into(),
            offset,
            len,
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Problem {
        self.help = Some(help.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; `None` for problems of the file as a whole.
    pub span: Option<Span>,
    /// The label under the caret.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Option<Span>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            span,
            label: None,
            help: None,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Set the help line of a diagnostic already pushed.
    pub fn set_help(&mut self, help: impl Into<String>) -> &mut Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Set the label of a diagnostic already pushed.
    pub fn set_label(&mut self, label: impl Into<String>) -> &mut Diagnostic {
        self.label = Some(label.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics of one run, in the order they were found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Report `message` with `code` at `span`.
    pub fn at(&mut self, code: Code, span: Span, message: impl Into<String>) -> &mut Diagnostic {
        self.items.push(Diagnostic::new(code, Some(span), message));
        self.items.last_mut().expect("just pushed")
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    pub fn error_count(&self) -> usize {
        self.items.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.items.len() - self.error_count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// The diagnostics sorted by position, errors and warnings interleaved as in the file.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        items.sort_by_key(|d| d.span.map_or(0, |s| s.start));
        items
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<I: IntoIterator<Item = Diagnostic>>(&mut self, iter: I) {
        self.items.extend(iter);
    }
}

/// The closest of `candidates` to `name`, for "did you mean" help.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|&(distance, c)| {
            distance <= 2.max(c.len() / 3) && distance < c.len().max(name.len())
        })
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_alphabetical_and_unique() {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("idd", ["id", "group"]), Some("id"));
        assert_eq!(
            did_you_mean("locaton", ["location", "root"]),
            Some("location")
        );
        assert_eq!(did_you_mean("zzzz", ["id", "group"]), None);
    }
}
