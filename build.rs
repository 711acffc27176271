//! Names the git commit edgeroute is built from, for `edgeroute --version`.
//!
//! `EDGEROUTE_COMMIT` is set for the crate: `EDGEROUTE_COMMIT` from the build's environment when given
//! (a build from a source archive can name its commit), else `git rev-parse --short HEAD` when this crate
//! is the top of a git work tree, else `unknown`. Nothing here can fail the build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=EDGEROUTE_COMMIT");
    let commit = match std::env::var("EDGEROUTE_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().to_owned(),
        _ => git_commit().unwrap_or_else(|| "unknown".to_owned()),
    };
    println!("cargo:rustc-env=EDGEROUTE_COMMIT={commit}");
}

/// The short commit id of HEAD, when the crate's folder is the top of a git work tree.
fn git_commit() -> Option<String> {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let top = git(&manifest_dir, &["rev-parse", "--show-toplevel"])?;
    if !same_dir(Path::new(&top), &manifest_dir) {
        return None; // a crate inside someone else's repository: that commit is not ours
    }
    // Build again when HEAD moves: a commit moves the branch, a checkout moves HEAD. Only files that
    // exist are named (cargo would take a missing one as changed on every build).
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(&manifest_dir, &["symbolic-ref", "-q", "HEAD"]));
    for file in &watched {
        if let Some(path) = git(&manifest_dir, &["rev-parse", "--git-path", file]) {
            let path = manifest_dir.join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    let commit = git(&manifest_dir, &["rev-parse", "--short", "HEAD"])?;
    commit
        .chars()
        .all(|c| c.is_ascii_hexdigit())
        .then_some(commit)
}

/// One line of git's output, or `None` when git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let line = text.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
