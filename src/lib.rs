//! edgeroute: nginx-style routing rules → a CloudFront Function, proven before upload.
//!
//! The pipeline, one stage per module, left to right:
//!
//! 1. `yaml` reads the text into nodes with spans; `config` checks their shape (`RawConfig`);
//! 2. `validate` parses every value and checks every rule of rules.md (`model::Rules`);
//! 3. `compile` resolves nginx precedence and inheritance into plain tables (`ir::Program`);
//! 4. `emit` renders the fixed router template plus those tables into JavaScript;
//! 5. `check` parses the JavaScript with swc, gates it to the runtime's dialect, and checks its size;
//! 6. `run` executes golden tests against the exact bytes in boa, shaped like CloudFront.
//!
//! Promises that hold across the stages: the library never prints (only `cli.rs` does); user input
//! never panics (problems become `Diagnostic`s); a JavaScript check failure is edgeroute's own bug
//! (`Error`), never the user's.

pub mod boundary;
pub mod changes;
pub mod check;
pub mod cli;
mod compact;
pub mod compile;
pub mod config;
pub mod diagnostic;
pub mod diff;
pub mod directive;
pub mod emit;
pub mod engine;
pub mod error;
pub mod event;
pub mod expect;
pub mod explain;
pub mod export;
#[doc(hidden)]
pub mod fuzzing;
pub mod golden;
pub mod ir;
pub mod model;
pub mod pipeline;
pub mod regex;
pub mod render;
pub mod run;
pub mod runtime;
pub mod schema;
pub mod size;
pub mod source;
pub mod tests_model;
pub mod validate;
pub mod value;
pub mod yaml;
