//! Failures that are not mistakes in the rules: unreadable files, and edgeroute's own bugs.
//!
//! A rules mistake is a `Diagnostic`. An `Error` means the command could not run (exit 2) or
//! edgeroute produced something it should not have (an internal error, with the
//! offending snippet so it can be reported; also exit 2, as rules.md lists no other status).

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// A file could not be read or written.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The router template failed to render: a bug in edgeroute.
    Template(String),
    /// The generated JavaScript failed its own checks: a bug in edgeroute.
    Generated { message: String, snippet: String },
    /// The JavaScript engine could not be set up.
    Engine(String),
    /// Anything else the command cannot do (bad arguments the parser let through, git errors).
    Usage(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Template(message) => {
                write!(f, "internal error: the router template failed: {message}")
            }
            Error::Generated { message, snippet } => write!(
                f,
                "internal error: the generated JavaScript failed its check: {message}\n{snippet}\nThis is a bug in edgeroute; please report it with the rules file."
            ),
            Error::Engine(message) => write!(f, "internal error: JavaScript engine: {message}"),
            Error::Usage(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}
