//! The documentation cannot go stale: `--help` and docs/cli.md name the same commands and flags.

use std::collections::BTreeSet;

use crate::common::{edgeroute, root, text};

/// The commands `edgeroute --help` lists, without `help`.
fn help_commands() -> BTreeSet<String> {
    let (stdout, _) = text(&edgeroute(&["--help"]));
    let listing = stdout
        .split("Commands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("a Commands: section");
    listing
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
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
