//! The documentation cannot go stale: every command shown with its output in README.md and docs/ runs
//! here and must print what the page shows; `--help` and docs/cli.md name the same commands and flags.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::{edgeroute, root, text};

/// The commands `edgeroute --help` lists, without `help`.
fn help_commands() -> BTreeSet<String> {
    subcommands(&["--help"]).expect("a Commands: section")
}

/// The commands a `--help` text lists, if it lists any (`kvs --help` lists `plan`).
fn subcommands(args: &[&str]) -> Option<BTreeSet<String>> {
    let (stdout, _) = text(&edgeroute(args));
    let listing = stdout
        .split("Commands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())?;
    Some(
        listing
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| *name != "help")
            .map(str::to_owned)
            .collect(),
    )
}

/// The flags a `--help` text lists (`-o`, `--output`), without `--help` and `--version`.
fn help_flags(args: &[&str]) -> BTreeSet<String> {
    let (stdout, _) = text(&edgeroute(args));
    let mut flags = BTreeSet::new();
    for line in stdout.lines() {
        let line = line.trim_start();
        if !line.starts_with('-') {
            continue;
        }
        // `-o, --output <OUT.js>`; not `- human`, a list of possible values
        let words = line
            .split([',', ' '])
            .take_while(|w| w.starts_with('-') || w.is_empty());
        flags.extend(doc_flags(&words.collect::<Vec<_>>().join(" ")));
    }
    for own in ["-h", "--help", "-V", "--version"] {
        flags.remove(own);
    }
    flags
}

/// Every `-x` and `--name` written in `text`.
fn doc_flags(text: &str) -> BTreeSet<String> {
    let mut flags = BTreeSet::new();
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('-') {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-') {
            continue;
        }
        let rest = &text[i..];
        let long = rest.starts_with("--");
        let body = &rest[if long { 2 } else { 1 }..];
        let len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(body.len());
        let name = &body[..len];
        let valid = if long {
            name.len() > 1 && name.as_bytes()[0].is_ascii_lowercase()
        } else {
            len == 1 && name.as_bytes()[0].is_ascii_alphabetic()
        };
        if valid {
            flags.insert(format!("{}{name}", if long { "--" } else { "-" }));
        }
    }
    flags
}

/// docs/cli.md split at `## ` headings: (heading, text).
fn cli_md_sections() -> Vec<(String, String)> {
    let page = std::fs::read_to_string(root().join("docs/cli.md")).expect("docs/cli.md");
    page.split("\n## ")
        .skip(1)
        .map(|section| {
            let (heading, body) = section.split_once('\n').unwrap_or((section, ""));
            (heading.trim().to_owned(), body.to_owned())
        })
        .collect()
}

#[test]
fn help_and_cli_md_list_the_same_commands() {
    let page = std::fs::read_to_string(root().join("docs/cli.md")).expect("docs/cli.md");
    let table: BTreeSet<String> = page
        .lines()
        .filter_map(|line| line.strip_prefix("| [`"))
        .filter_map(|rest| rest.split([' ', '`']).next())
        .map(str::to_owned)
        .collect();
    let commands = help_commands();
    assert_eq!(table, commands, "the command table of docs/cli.md");
    let sections: BTreeSet<String> = cli_md_sections()
        .into_iter()
        .map(|(heading, _)| heading)
        .filter(|heading| commands.contains(heading))
        .collect();
    assert_eq!(sections, commands, "a `## command` section for each");
}

#[test]
fn help_and_cli_md_list_the_same_flags() {
    let sections = cli_md_sections();
    let section = |name: &str| {
        sections
            .iter()
            .find(|(heading, _)| heading == name)
            .map(|(_, body)| body.clone())
            .unwrap_or_else(|| panic!("docs/cli.md has no `## {name}`"))
    };
    let global = help_flags(&["--help"]);
    let every = doc_flags(&section("Flags for every command"));
    assert_eq!(global, every, "`Flags for every command` in docs/cli.md");

    for command in help_commands() {
        let mut flags = help_flags(&[&command, "--help"]);
        // a command with subcommands (`kvs plan`): their flags belong to its section too
        for sub in subcommands(&[&command, "--help"]).unwrap_or_default() {
            flags.extend(help_flags(&[&command, &sub, "--help"]));
        }
        flags.retain(|flag| !global.contains(flag));
        let body = section(&command);
        let documented = doc_flags(&body);
        let missing: Vec<_> = flags.difference(&documented).collect();
        assert!(
            missing.is_empty(),
            "docs/cli.md `## {command}` does not name {missing:?}"
        );
        // The synopsis names no flag the command does not have.
        let synopsis = body
            .split("```text\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .unwrap_or_else(|| panic!("`## {command}` has a synopsis"));
        let extra: Vec<_> = doc_flags(synopsis)
            .into_iter()
            .filter(|flag| !flags.contains(flag))
            .collect();
        assert!(
            extra.is_empty(),
            "docs/cli.md `## {command}` synopsis names {extra:?}, which `{command} --help` does not list"
        );
    }
}

/// README.md and every page in docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let docs = std::fs::read_dir(root().join("docs")).expect("docs/");
    pages.extend(
        docs.map(|entry| entry.expect("docs entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "md")),
    );
    pages.sort();
    pages
}

/// Copies the folder `from` into `to`, recursively.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("folder entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Where a program the pages run besides edgeroute is, if on the PATH.
fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Every ```console block of README.md and docs/*.md runs through trycmd: `$ ` lines are commands,
/// `? N` their exit status when not 0, the rest stdout and stderr together; `...` and `[..]` elide.
///
/// Each page runs in a fresh folder holding `fixtures/` and the example files of `tests/cmd/`, its
/// commands in order. The pages are linked, not copied, so
/// `TRYCMD=overwrite cargo test --test integration documented` writes what the commands print
/// today back into the pages (then review the diff).
#[test]
fn documented_commands_print_what_the_pages_show() {
    let work = tempfile::tempdir().expect("temp dir");
    let cases = trycmd::TestCases::new();
    for page in pages() {
        let relative = page.strip_prefix(root()).expect("inside the crate");
        let name = relative.to_string_lossy().replace(['/', '\\'], "-");
        let link = work.path().join(&name);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&page, &link).expect("link the page");
        #[cfg(not(unix))]
        std::fs::copy(&page, &link).expect("copy the page");
        // trycmd runs the page's commands in `NAME.in/`
        let folder = link.with_extension("in");
        copy_dir(&root().join("fixtures"), &folder.join("fixtures"));
        copy_dir(&root().join("tests/cmd"), &folder);
        cases.case(&link);
    }
    cases
        .register_bin("edgeroute", Path::new(env!("CARGO_BIN_EXE_edgeroute")))
        .env("NO_COLOR", "1");
    for program in ["grep"] {
        if let Some(path) = on_path(program) {
            cases.register_bin(program, path);
        }
    }
    cases.run();
}

/// The first ```yaml block after `after` in `page`.
fn yaml_block(page: &str, after: &str) -> String {
    let text = std::fs::read_to_string(root().join(page)).expect("page");
    let start = text
        .find(after)
        .unwrap_or_else(|| panic!("{page}: {after:?}"));
    let block = text[start..]
        .split("```yaml\n")
        .nth(1)
        .expect("a yaml block");
    block.split("```").next().expect("its end").to_owned()
}

/// The rules files the pages show are the ones their commands run.
#[test]
fn example_files_are_the_ones_the_pages_show() {
    for (page, after, file) in [
        ("docs/rules.md", "## A first file", "edgeroute.yaml"),
        ("docs/cli.md", "A\ncases file holds", "more-cases.yaml"),
    ] {
        let shown = yaml_block(page, after);
        let used = std::fs::read_to_string(root().join("tests/cmd").join(file)).expect(file);
        assert_eq!(shown, used, "{page} shows tests/cmd/{file}");
    }
}
