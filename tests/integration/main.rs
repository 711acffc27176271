//! The one integration test binary (boa and swc link slowly; one binary links once).
//!
//! Each module owns one stage's behaviour as a user sees it: through the library API or the real CLI.

#![allow(clippy::print_stdout, clippy::print_stderr)] // tests report what they compared

mod common;
mod compile;
mod diagnostics;
mod differential;
mod docs;
mod engine_traps;
mod features;
mod formats;
mod fuzz_replay;
mod harness;
mod kvs;
mod lints;
mod newcomer;
mod oracle;
mod probes;
mod promises;
mod replay;
mod request_fuzz;
mod review;
mod rulegen;
