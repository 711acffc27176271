//! Behaviours the documentation promises a user's setup relies on: coverage through `rewrite … last`,
//! output files readable as the umask allows, and the README's deploy snippet.

use std::path::Path;

use crate::common::{edgeroute, root, text};

/// `location: /old/` hands every request on to `/new/` with `rewrite … last`; no case ends in it.
const HANDED_ON: &str = "\
edgeroute: 1
servers:
  - server_name: www.example.com
    root: /site
    locations:
      - location: /old/
        rewrite: ^/old/(.*)$ /new/$1 last
      - location: /new/
      - location: /
tests:
  - url: https://www.example.com/old/page.html
    uri: /site/new/page.html
    matched: /new/
  - url: https://www.example.com/about.html
    uri: /site/about.html
    matched: /
";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write rules");
    path.to_str().expect("utf-8 path").to_owned()
}

#[test]
fn a_location_that_hands_the_request_on_is_covered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = write(dir.path(), "rules.yaml", HANDED_ON);
    for command in ["check", "test"] {
        let output = edgeroute(&[command, &rules, "--require-coverage"]);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{command}: {stdout}{stderr}");
        assert!(stdout.starts_with("2 passed, 0 failed\n"), "{stdout}");
        assert!(!stdout.contains("not covered"), "{stdout}");
    }

    // Without the case that goes through it, `/old/` is uncovered: entering counts, not existing.
    let one_case = HANDED_ON.replace(
        "  - url: https://www.example.com/old/page.html\n    uri: /site/new/page.html\n    matched: /new/\n",
        "  - url: https://www.example.com/new/page.html\n    uri: /site/new/page.html\n    matched: /new/\n",
    );
    let rules = write(dir.path(), "fewer.yaml", &one_case);
    let output = edgeroute(&["check", &rules, "--require-coverage"]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.starts_with(
            "error: not covered by any test case:\n  location `/old/` in server `www.example.com`\n"
        ),
        "{stdout}"
    );
}

#[cfg(unix)]
#[test]
fn build_and_export_honour_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    let dir = tempfile::tempdir().expect("temp dir");
    let rules = write(dir.path(), "rules.yaml", HANDED_ON);
    for (umask, mode) in [("022", 0o644), ("077", 0o600), ("002", 0o664)] {
        let js = dir.path().join(format!("router-{umask}.js"));
        let conf = dir.path().join(format!("nginx-{umask}.conf"));
        let script = format!(
            "umask {umask} && \"$0\" build \"$1\" -o \"$2\" && \"$0\" export nginx \"$1\" -o \"$3\""
        );
        let output = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .arg(env!("CARGO_BIN_EXE_edgeroute"))
            .arg(&rules)
            .arg(&js)
            .arg(&conf)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .output()
            .expect("run sh");
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
        for path in [&js, &conf] {
            let got = std::fs::metadata(path)
                .expect("written")
                .permissions()
                .mode()
                & 0o777;
            assert_eq!(got, mode, "{} under umask {umask}", path.display());
        }
    }

    // Rewriting an existing file gives it the mode a new one would have, as `cp` onto a new name.
    let js = dir.path().join("router-022.js");
    std::fs::set_permissions(&js, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let output = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && \"$0\" build \"$1\" -o \"$2\"")
        .arg(env!("CARGO_BIN_EXE_edgeroute"))
        .arg(&rules)
        .arg(&js)
        .output()
        .expect("run sh");
    assert_eq!(output.status.code(), Some(0));
    let got = std::fs::metadata(&js)
        .expect("written")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(got, 0o644);
}

#[test]
fn the_readme_deploy_snippet_publishes_the_etag_each_step_returned() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let snippet = readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .find(|block| block.contains("publish-function"))
        .expect("a deploy snippet in README.md");
    let commands: Vec<String> = snippet
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|line| line.contains("aws cloudfront"))
        .map(str::to_owned)
        .collect();
    // Each step that changes the function names the version it replaces with the ETag the step
    // before it returned: create and update capture theirs, and publish uses the last one.
    let mut captured = false;
    for command in &commands {
        let is = |verb: &str| command.contains(&format!("aws cloudfront {verb}"));
        if is("update-function") || is("publish-function") {
            assert!(captured, "no ETag captured before: {command}");
            assert!(command.contains("--if-match \"$ETAG\""), "{command}");
        }
        if is("create-function") || is("update-function") || is("describe-function") {
            assert!(
                command.starts_with("ETAG=$(") && command.contains("--query ETag --output text"),
                "the new ETag is captured: {command}"
            );
            captured = true;
        }
    }
    assert!(commands.iter().any(|c| c.contains("update-function")));
    assert!(commands.iter().any(|c| c.contains("create-function")));
}

#[test]
fn a_body_expectation_compares_the_text_of_return_exactly() {
    let rules = "\
edgeroute: 1
servers:
  - server_name: www.example.com
    root: /site
    locations:
      - location: = /healthz
        return: 200 ok $host
      - location: /
tests:
  - url: https://www.example.com/healthz
    status: 200
    body: ok www.example.com
  - url: https://www.example.com/index.html
    body: ok
";
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "rules.yaml", rules);
    let output = edgeroute(&["test", &path]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "-body: \"ok\"\n+body: (no response: request passed on as /site/index.html)\n"
        ),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 passed, 1 failed\n"), "{stdout}");

    // exactly: a prefix or a different case is a failure
    let path = write(
        dir.path(),
        "prefix.yaml",
        &rules.replace("body: ok www.example.com", "body: ok"),
    );
    let output = edgeroute(&["test", &path]);
    let (stdout, _) = text(&output);
    assert!(
        stdout.contains("-body: \"ok\"\n+body: \"ok www.example.com\"\n"),
        "{stdout}"
    );

    // `body` expects a response: with `uri` it is the same mistake as `status` with `uri`
    let path = write(
        dir.path(),
        "mixed.yaml",
        &rules.replace(
            "    body: ok\n",
            "    uri: /site/index.html\n    body: ok\n",
        ),
    );
    let output = edgeroute(&["check", &path]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr.contains("error[invalid-test]"), "{stderr}");
}
