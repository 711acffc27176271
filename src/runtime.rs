//! The two CloudFront Functions runtimes a rules file can target (cloudfront-runtime.md §1).

use std::fmt;

/// A CloudFront Functions JavaScript runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Runtime {
    /// `cloudfront-js-1.0`: ES 5.1 plus some ES6–ES9 features.
    #[default]
    Js1,
    /// `cloudfront-js-2.0`: ES 5.1 plus some ES6–ES12 features, the `cloudfront` module.
    Js2,
}

impl Runtime {
    pub const ALL: [Runtime; 2] = [Runtime::Js1, Runtime::Js2];

    /// The name used in rules files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Js1 => "cloudfront-js-1.0",
            Runtime::Js2 => "cloudfront-js-2.0",
        }
    }

    pub fn from_name(name: &str) -> Option<Runtime> {
        Runtime::ALL.into_iter().find(|r| r.name() == name)
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
