//! What every bench program shares: reading rules, generating the function, medians, verdicts.
//! Each bench includes it with `mod common;` (a folder, so cargo does not take it for a bench).

#![allow(dead_code)] // each bench uses its own part

use std::path::Path;
use std::time::Duration;

use edgeroute::diagnostic::Diagnostics;
use edgeroute::model::Rules;
use edgeroute::pipeline::{self, Generated};

/// The allocator of the `edgeroute` binary (src/main.rs), so that a bench measures what users run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Valid rules from text (a bench's own generated rules).
pub fn load(text: &str) -> Rules {
    pipeline::load_bytes("rules.yaml", text.as_bytes().to_vec())
        .rules
        .expect("valid rules")
}

/// Valid rules from a file under the crate's root.
pub fn load_file(path: &str) -> Rules {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    pipeline::load(&path)
        .expect("readable rules")
        .rules
        .expect("valid rules")
}

/// The compact function; a size over the budget is only a diagnostic here.
pub fn generate(rules: &Rules) -> Generated {
    pipeline::generate(rules, &mut Diagnostics::default()).expect("generate")
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

pub fn median_duration(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

pub fn verdict(met: bool) -> &'static str {
    if met { "target met" } else { "NOT met" }
}

/// A program on the PATH.
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|path| path.is_file())
    })
}

/// The instructions `engine` executes running `script` with `args`, under valgrind's callgrind:
/// a count that does not move with the machine's load, unlike a time.
pub fn instructions(valgrind: &Path, engine: &Path, script: &Path, args: &[&str]) -> Option<f64> {
    let output = std::process::Command::new(valgrind)
        .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
        .arg(engine)
        .arg(script)
        .args(args)
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr.lines().find(|l| l.contains("Collected :"))?;
    line.split_whitespace()
        .last()?
        .replace(',', "")
        .parse()
        .ok()
}
