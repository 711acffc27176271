//! Golden tests: every case run against the exact bytes that are uploaded, and rule coverage.
//!
//! One harness (one boa context) per file, reused across cases. A case fails with a readable report
//! (`expect::render_failure`); the run also records which servers and locations each case entered
//! (every location on its way, not only the one that decided: a `rewrite … last` location that hands
//! the request on is covered), so servers and locations no case reaches are listed.

pub mod compare;

use crate::diagnostic::Diagnostics;
use crate::error::Error;
use crate::harness::event::Request;
use crate::harness::{Decision, Harness, RunError, parallel};
use crate::ir::Program;
use crate::model::Case;
use crate::read::config;
use crate::source::SourceFile;
use crate::validate::Validator;
use crate::validate::cases;
use compare::Decider;

/// The outcome of a run.
#[derive(Debug, Default)]
pub struct Report {
    /// One entry per case: `None` when it passed, else its failure report.
    results: Vec<Option<String>>,
    /// Servers and locations no case reached, described for people.
    uncovered: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.is_none()).count()
    }

    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }

    pub fn failures(&self) -> impl Iterator<Item = &String> {
        self.results.iter().flatten()
    }

    pub fn uncovered(&self) -> &[String] {
        &self.uncovered
    }
}

/// Run `cases` against `js`, compiled from `program`, when `js` carries trace steps itself (a
/// traced build, or hand-made code in tests); else [`run_with_trace`].
pub fn run(js: &str, program: &Program, cases: &[Case]) -> Result<Report, Error> {
    run_with_trace(js, js, program, cases)
}

/// Run `cases` against `js` (the bytes to upload), compiled from `program`, on every core (one
/// context per thread, each loading `js`); `traced` is the traced build of the same rules, which
/// coverage reads the locations a case entered from.
pub fn run_with_trace(
    js: &str,
    traced: &str,
    program: &Program,
    cases: &[Case],
) -> Result<Report, Error> {
    let results = parallel::map_parallel(
        cases,
        parallel::threads(),
        || load(js, program),
        |harness, case| harness.route_untraced(&request(case)),
    )?;
    report(program, cases, &results, traced)
}

/// The locations left uncovered may still have been entered on the way (a `rewrite … last` hands
/// the request on): only then are the cases run again in the traced build, and only until every
/// location is covered, so a file whose cases end in every location pays nothing for this.
fn fill_coverage(
    seen: &mut Coverage,
    traced: &str,
    program: &Program,
    cases: &[Case],
) -> Result<(), Error> {
    if seen.complete() {
        return Ok(());
    }
    let mut harness = load(traced, program)?;
    for case in cases {
        if seen.complete() {
            break;
        }
        if let Ok(decision) = harness.route(&request(case)) {
            seen.record(&decision);
        }
    }
    Ok(())
}

fn load(js: &str, program: &Program) -> Result<Harness, Error> {
    let mut harness = Harness::load(js, program.runtime).map_err(|e| Error::Generated {
        message: e.to_string(),
        snippet: String::new(),
    })?;
    harness.set_kvs(program.store.clone());
    Ok(harness)
}

/// The report of decisions made elsewhere (another engine ran the cases: `engine::route_all`);
/// `traced` is the traced build, for the locations cases entered on the way.
pub fn report(
    program: &Program,
    cases: &[Case],
    results: &[Result<Decision, RunError>],
    traced: &str,
) -> Result<Report, Error> {
    let mut seen = Coverage::new(program);
    let mut report = Report::default();
    for (i, (case, result)) in cases.iter().zip(results).enumerate() {
        if let Ok(decision) = result {
            seen.record(decision);
        }
        let failed = failure(i, program, case, result);
        report.results.push(failed);
    }
    fill_coverage(&mut seen, traced, program, cases)?;
    report.uncovered = seen.missing(program);
    Ok(report)
}

/// Read a cases file (`tests:` only).
pub fn load_cases(file: &SourceFile, diags: &mut Diagnostics) -> Option<Vec<Case>> {
    let raw = config::parse_cases(file, diags)?;
    let mut v = Validator { file, diags };
    Some(cases::cases(&mut v, &raw))
}

/// The request a case sends.
pub fn request(case: &Case) -> Request {
    Request {
        url: case.url.clone(),
        method: case.method.clone(),
        ip: case.ip.clone(),
        headers: case.headers.clone(),
        cookies: case.cookies.clone(),
    }
}

/// The `location` text of the location that decided, or `none`.
pub fn matched_text<'p>(program: &'p Program, decision: &Decision) -> Option<&'p str> {
    let server = program.names.get(decision.server?)?;
    decision
        .location
        .and_then(|l| server.locations.get(l))
        .map(String::as_str)
}

/// The report of case `index`, or `None` when it passed; the request is rebuilt for the report only.
fn failure(
    index: usize,
    program: &Program,
    case: &Case,
    result: &Result<Decision, RunError>,
) -> Option<String> {
    let decision = result.as_ref().ok();
    let matched = decision.and_then(|d| matched_text(program, d));
    if let Some(decision) = decision
        && compare::compare(&case.expect, decision, matched).is_empty()
    {
        return None;
    }
    let server = decision
        .and_then(|d| program.names.get(d.server?))
        .map(|names| names.label.as_str());
    let decider = Decider {
        server,
        location: matched,
    };
    Some(format!(
        "FAILED case {} ({})\n  --> {}\n{}",
        index + 1,
        case.url,
        case.at,
        compare::render_failure(&request(case), &case.expect, result, decider)
    ))
}

/// Which servers and locations decided some case.
struct Coverage {
    servers: Vec<bool>,
    locations: Vec<Vec<bool>>,
}

impl Coverage {
    fn new(program: &Program) -> Coverage {
        Coverage {
            servers: vec![false; program.names.len()],
            locations: program
                .names
                .iter()
                .map(|s| vec![false; s.locations.len()])
                .collect(),
        }
    }

    /// Marks the server that decided, the location that decided, and every location the trace says
    /// was entered on the way (steps `['location', index, kind]`, within the deciding server).
    fn record(&mut self, decision: &Decision) {
        let Some(s) = decision.server.filter(|s| *s < self.servers.len()) else {
            return;
        };
        self.servers[s] = true;
        let entered = decision.trace.iter().filter_map(entered_location);
        for l in decision.location.into_iter().chain(entered) {
            if let Some(slot) = self.locations[s].get_mut(l) {
                *slot = true;
            }
        }
    }

    /// Every server and location is covered.
    fn complete(&self) -> bool {
        self.servers.iter().all(|s| *s) && self.locations.iter().flatten().all(|l| *l)
    }

    fn missing(&self, program: &Program) -> Vec<String> {
        let mut out = Vec::new();
        for (s, names) in program.names.iter().enumerate() {
            if !self.servers[s] {
                out.push(format!("server `{}`", names.label));
            }
            for (l, text) in names.locations.iter().enumerate() {
                if !self.locations[s][l] {
                    out.push(format!("location `{text}` in server `{}`", names.label));
                }
            }
        }
        out
    }
}

/// The index of the location a trace step enters: `['location', index, kind]`.
fn entered_location(step: &serde_json::Value) -> Option<usize> {
    let step = step.as_array()?;
    if step.first()?.as_str()? != "location" {
        return None;
    }
    let index = step.get(1)?;
    let index = index.as_u64().or_else(|| {
        index
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0)
            .map(|f| f as u64)
    })?;
    usize::try_from(index).ok()
}
