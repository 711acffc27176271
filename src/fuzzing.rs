//! Fuzz entry points: the same calls the fuzz targets in `fuzz/` make and the corpus replay test
//! (`tests/integration/fuzz_replay.rs`) repeats, so what the fuzzer saved keeps being checked by
//! `cargo test` on the stable toolchain.
//!
//! Each entry point runs one command's work on arbitrary input and renders everything a user would
//! see; the only acceptable outcomes are diagnostics, violations and reports. A panic is a bug, and
//! so is an [`Error`](crate::error::Error) from valid rules (edgeroute rejecting its own output).
//! The checks below turn such bugs into panics, which is what the fuzzer reports.

use crate::golden;
use crate::js::gate::{self, Profile};
use crate::pipeline::{self, Loaded};
use crate::render::{self, Style};
use crate::runtime::Runtime;
use crate::source::SourceFile;

/// The file name the entry points give their input (relative file references resolve to nothing).
const NAME: &str = "fuzz-input.yaml";

/// Reading and validation (`check` up to its diagnostics): bytes → diagnostics, rendered both ways.
pub fn read_and_validate(bytes: &[u8]) -> Loaded {
    let loaded = pipeline::load_bytes(NAME, bytes.to_vec());
    render_diagnostics(&loaded);
    assert_eq!(
        loaded.rules.is_some(),
        !loaded.diagnostics.has_errors(),
        "rules are returned exactly when there is no error"
    );
    loaded
}

/// Everything `check` does to a rules file: validate, compile, gate, size, and the golden run (the
/// harness stops runaway loops and recursion). Returns whether the rules got as far as the run.
pub fn check_rules(text: &str) -> bool {
    let mut loaded = read_and_validate(text.as_bytes());
    let Some(rules) = loaded.rules.take() else {
        return false;
    };
    let generated = pipeline::generate(&rules, &mut loaded.diagnostics)
        .unwrap_or_else(|e| panic!("valid rules, rejected output: {e}"));
    render_diagnostics(&loaded);
    if loaded.diagnostics.has_errors() {
        // Over the size budget: `check` stops here too.
        return false;
    }
    let report = golden::run_with_trace(
        &generated.js,
        &generated.traced,
        &generated.program,
        &rules.tests,
    )
    .unwrap_or_else(|e| panic!("valid rules, function does not load: {e}"));
    assert_eq!(report.passed() + report.failed(), rules.tests.len());
    for failure in report.failures() {
        assert!(!failure.is_empty());
    }
    true
}

/// `lint-js` on arbitrary text, for both runtimes, with every violation rendered.
pub fn lint_js(text: &str) {
    let file = SourceFile::new("fuzz-input.js", text);
    for runtime in [Runtime::Js1, Runtime::Js2] {
        if let Err(violations) = gate::gate(file.text(), runtime, Profile::Runtime) {
            assert!(!violations.is_empty(), "a failed gate names a violation");
            for v in &violations {
                let _ = render::violation(&file, v, Style::default());
                let _ = render::violation_json(&file, v);
            }
        }
    }
}

fn render_diagnostics(loaded: &Loaded) {
    for d in loaded.diagnostics.iter() {
        let _ = render::human(&loaded.file, d, Style::default());
        let _ = render::json(&loaded.file, d);
        let _ = render::position(&loaded.file, d);
    }
}
