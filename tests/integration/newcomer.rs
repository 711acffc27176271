//! A new user's first steps: the version, a starter rules file, the code reference, the help.

use crate::common::{edgeroute, root, text};

#[test]
fn version_names_the_version_and_the_commit() {
    let output = edgeroute(&["--version"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0));
    let prefix = format!("edgeroute {} (commit ", env!("CARGO_PKG_VERSION"));
    let commit = stdout
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(")\n"))
        .unwrap_or_else(|| panic!("{stdout:?}"));
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match head {
        // Built from this work tree: the commit checked out.
        Some(head) if std::env::var_os("EDGEROUTE_COMMIT").is_none() => assert_eq!(commit, head),
        _ => assert!(
            commit == "unknown" || commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{commit}"
        ),
    }
}
