//! Mostly valid rules from the same model (values from the format's vocabulary only) through all
//! that `check` runs: validate, compile, gate, size, and the golden run in the harness.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};

use edgeroute_fuzz::{Mode, RulesFile};
use libfuzzer_sys::fuzz_target;

static RUNS: AtomicU64 = AtomicU64::new(0);
static WHOLE: AtomicU64 = AtomicU64::new(0);

fuzz_target!(|file: RulesFile| {
    let text = file.render(Mode::Valid);
    edgeroute_fuzz::dump("pipeline", &text);
    let whole = edgeroute::fuzzing::check_rules(&text);
    // How many inputs went all the way through the golden run, for docs/reliability.md.
    let runs = RUNS.fetch_add(1, Ordering::Relaxed) + 1;
    let whole = WHOLE.fetch_add(u64::from(whole), Ordering::Relaxed) + u64::from(whole);
    if runs.is_power_of_two() || runs % 10_000 == 0 {
        eprintln!("pipeline: {runs} inputs, {whole} through the golden run");
    }
});
