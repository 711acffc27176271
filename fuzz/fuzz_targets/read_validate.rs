//! Raw bytes into reading and validation: any bytes at all must end in diagnostics, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    edgeroute::fuzzing::read_and_validate(bytes);
});
