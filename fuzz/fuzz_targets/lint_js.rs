//! `lint-js` on arbitrary text: the JavaScript gate must answer with violations, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // As `lint-js` reads a file: bytes that are not UTF-8 are read lossily.
    edgeroute::fuzzing::lint_js(&String::from_utf8_lossy(bytes));
});
