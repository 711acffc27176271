//! `replay` and `diff --requests`: the front end of `review::replay` (arguments, reading the logs,
//! printing the reports).

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Common, Format, Ui, default_file, generate};
use crate::error::Error;
use crate::pipeline::Generated;
use crate::review::replay::{self, DEFAULT_MAX_REQUESTS, Options, Reader, Requests};

#[derive(Args, Debug)]
pub(super) struct ReplayArgs {
    #[arg(
        required = true,
        value_name = "FILE|LOG",
        help = "`[FILE] LOG...`: the rules file (when the first of several arguments ends in .yaml or .yml) and the logs: CloudFront standard access logs, plain or gzip, or request lists (`[METHOD] URL [IP]` a line) [default FILE: edgeroute.yaml, or edgeroute.yml when only that exists]"
    )]
    args: Vec<PathBuf>,
    /// Origin path segments an outcome keeps (`origin /<id>/<app>/…` at 2).
    #[arg(long, default_value_t = replay::DEFAULT_DEPTH, value_name = "N")]
    depth: usize,
    #[command(flatten)]
    cap: CapArgs,
}

#[derive(Args, Debug)]
pub(super) struct CapArgs {
    /// At most N distinct requests are kept; the lines of requests first seen after that are counted, not replayed.
    #[arg(long, default_value_t = DEFAULT_MAX_REQUESTS, value_name = "N")]
    max_requests: usize,
}

#[derive(Args, Debug)]
pub(super) struct DiffLogArgs {
    /// Compare on logged requests instead of probes: CloudFront standard logs or request lists.
    #[arg(long, value_name = "LOG", num_args = 1..)]
    pub(super) requests: Vec<PathBuf>,
    #[command(flatten)]
    cap: CapArgs,
}

/// Reads every log into one set of distinct requests.
fn read_logs(logs: &[PathBuf], max_requests: usize) -> Result<Requests, Error> {
    let mut reader = Reader::new(max_requests);
    for log in logs {
        reader.read_path(log)?;
    }
    Ok(reader.finish())
}

/// `[FILE] LOG...`: FILE when there are several arguments and the first is a rules file.
fn split_args(args: &[PathBuf]) -> (PathBuf, &[PathBuf]) {
    let is_rules = |p: &Path| p.extension().is_some_and(|e| e == "yaml" || e == "yml");
    match args {
        [first, logs @ ..] if !logs.is_empty() && is_rules(first) => (first.clone(), logs),
        logs => (default_file(), logs),
    }
}

pub(super) fn replay(ui: &Ui, args: &ReplayArgs) -> Result<bool, Error> {
    let (file, logs) = split_args(&args.args);
    if let [only] = logs
        && only.extension().is_some_and(|e| e == "yaml" || e == "yml")
    {
        return Err(Error::Usage(format!(
            "replay needs a LOG: `edgeroute replay {} LOG...`",
            only.display()
        )));
    }
    let common = Common {
        file: Some(file),
        deny: None,
        require_coverage: false,
    };
    let Some((_, generated)) = generate(ui, &common)? else {
        return Ok(false);
    };
    let max = args.cap.max_requests;
    let read = read_logs(logs, max)?;
    let options = Options {
        depth: args.depth,
        ..Options::default()
    };
    let routed = replay::route_all(&generated.js, &generated.program, &read.distinct, options)?;
    let report = replay::Report::build(&generated.program, read, &routed, max);
    match ui.format {
        Format::Json => ui.out(&format!("{}\n", report.json())),
        _ => ui.out(&report.text()),
    }
    Ok(true)
}

/// `diff OLD NEW --requests LOG...`: the logged requests through both versions.
pub(super) fn diff(
    ui: &Ui,
    args: &DiffLogArgs,
    old: &Generated,
    new: &Generated,
    exit_code: bool,
) -> Result<bool, Error> {
    let max = args.cap.max_requests;
    let read = read_logs(&args.requests, max)?;
    let report = replay::diff::compare(old, new, read, max, Options::default())?;
    match ui.format {
        Format::Json => ui.out(&format!("{}\n", report.json())),
        Format::Markdown => ui.out(&report.markdown()),
        _ => ui.out(&report.text()),
    }
    Ok(!exit_code || report.changed.requests == 0)
}
