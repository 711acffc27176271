//! The saved fuzz corpus, replayed deterministically: every input in `fuzz/corpus-min/<target>/` goes
//! through the same entry point its fuzz target calls (`edgeroute::fuzzing`), and none may panic.
//! So `cargo test` keeps what the fuzzer found without running the fuzzer (docs/reliability.md).
//!
//! `read_validate/` and `lint_js/` hold raw inputs; `structured/` and `pipeline/` hold the rules
//! files their targets rendered from the model (`EDGEROUTE_FUZZ_DUMP`, see fuzz/src/lib.rs).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use edgeroute::diagnostic::Code;
use edgeroute::fuzzing;

use crate::common::{fixtures, root};

/// The files of `fuzz/corpus-min/<target>/`, sorted by name.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = root().join("fuzz/corpus-min").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

/// Runs `f` on every file; fails naming each file that panicked.
fn replay(files: &[PathBuf], f: impl Fn(&[u8])) {
    let panicked: Vec<String> = files
        .iter()
        .filter(|path| {
            let bytes = std::fs::read(path).expect("read corpus file");
            catch_unwind(AssertUnwindSafe(|| f(&bytes))).is_err()
        })
        .map(|path| relative(path))
        .collect();
    assert!(
        panicked.is_empty(),
        "{} of {} inputs panicked: {panicked:#?}",
        panicked.len(),
        files.len()
    );
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("rendered rules are UTF-8")
}

#[test]
fn read_validate_corpus_never_panics() {
    replay(&corpus("read_validate"), |bytes| {
        fuzzing::read_and_validate(bytes);
    });
}

#[test]
fn structured_corpus_never_panics() {
    replay(&corpus("structured"), |bytes| {
        fuzzing::read_and_validate(bytes);
    });
}

#[test]
fn pipeline_corpus_never_panics_and_reaches_the_golden_run() {
    let files = corpus("pipeline");
    let ran = Cell::new(0);
    replay(&files, |bytes| {
        if fuzzing::check_rules(text(bytes)) {
            ran.set(ran.get() + 1);
        }
    });
    // The corpus exercises the whole pipeline, not just validation.
    assert!(
        ran.get() * 2 >= files.len(),
        "{} of {} reached the golden run",
        ran.get(),
        files.len()
    );
}

#[test]
fn lint_js_corpus_never_panics() {
    replay(&corpus("lint_js"), |bytes| {
        fuzzing::lint_js(&String::from_utf8_lossy(bytes));
    });
}

#[test]
fn every_fixture_through_the_fuzz_entry_points() {
    replay(&fixtures("err"), |bytes| {
        fuzzing::read_and_validate(bytes);
    });
    replay(&fixtures("ok"), |bytes| {
        let rules = text(bytes);
        let ran = fuzzing::check_rules(rules);
        // The entry points name their input `fuzz-input.yaml`, so a file read next to the rules
        // (`redirects: FILE`) is not found there; every other ok fixture gets to the golden run.
        assert!(
            ran || rules.contains("redirects:"),
            "an ok fixture reaches the golden run"
        );
    });
}

/// Found by mutating the bundled fixtures: a label that is a lone `}` panicked while slicing.
#[test]
fn a_lone_brace_in_a_server_name_is_a_diagnostic() {
    for name in [
        "a.}.example.com",
        "}",
        "{",
        "{.x",
        "x.}",
        "{}.x",
        "{a}b}.x",
        "}{.x",
    ] {
        let text = format!(
            "edgeroute: 1\nservers:\n  - server_name: \"{name}\"\n    root: /s\n    locations:\n      - location: /\n"
        );
        let loaded = fuzzing::read_and_validate(text.as_bytes());
        assert!(loaded.rules.is_none(), "{name}");
        let codes: Vec<Code> = loaded.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::InvalidServerName], "{name}");
    }
}
