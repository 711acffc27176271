//! The command line: clap types, dispatch, and all printing.
//!
//! The only module that prints. Exit status (docs/cli.md "Exit status"): 0 all good; 1 a rule, check
//! or test failed; 2 the command could not run (bad arguments, unreadable file, internal error).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod codes;
mod kvs;
mod replay;

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::error::Error;
use crate::golden::{self, Report};
use crate::js::gate::{self, Profile, SIZE_LIMIT};
use crate::pipeline::{self, Generated, Loaded};
use crate::render::{self, Style};
use crate::runtime::Runtime;
use crate::source::SourceFile;

/// `edgeroute --version`: the version and the git commit it was built from (`build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("EDGEROUTE_COMMIT"),
    ")"
);

#[derive(Parser, Debug)]
#[command(
    name = "edgeroute",
    version = VERSION,
    about = "Compile nginx-style routing rules into a CloudFront Function, and prove it right before upload",
    after_help = "Exit status: 0 all good; 1 a rule, check or test failed; 2 the command could not run\n(unreadable file, bad arguments, unwritable output, or an internal error)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour diagnostics (NO_COLOR is honoured with `auto`).
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// How to print diagnostics: snippets for people, or one JSON object per line for tools.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// The default rules file's names, spelled once: `(yaml, yml)`.
macro_rules! default_file {
    (yaml) => {
        "edgeroute.yaml"
    };
    (yml) => {
        "edgeroute.yml"
    };
    (help) => {
        concat!(
            "[default: ",
            default_file!(yaml),
            ", or ",
            default_file!(yml),
            " when only that exists]"
        )
    };
}

/// The rules file a command reads when none is named.
pub const DEFAULT_FILE: &str = default_file!(yaml);
/// The other spelling, read when it exists and [`DEFAULT_FILE`] does not.
pub const DEFAULT_FILE_YML: &str = default_file!(yml);

/// The help text of a FILE argument that defaults.
const FILE_HELP: &str = concat!("The rules file ", default_file!(help));

/// The rules file when none is named: `edgeroute.yaml`, or `edgeroute.yml` when only that exists.
pub fn default_file() -> PathBuf {
    let (yaml, yml) = (Path::new(DEFAULT_FILE), Path::new(DEFAULT_FILE_YML));
    if !yaml.exists() && yml.exists() {
        yml.to_owned()
    } else {
        yaml.to_owned()
    }
}

/// The starter rules file `edgeroute init` writes.
pub const STARTER: &str = include_str!("starter.yaml");

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a commented starter rules file (one server, two locations, two test cases).
    Init(InitArgs),
    /// Validate, compile, check the JavaScript and its size, run the golden tests; write nothing.
    Check(CheckArgs),
    /// Everything `check` does, then write the function atomically to OUT.
    Build(BuildArgs),
    /// Run the golden tests (and extra cases files) against the generated function.
    Test(TestArgs),
    /// Check any JavaScript file against a CloudFront runtime's dialect.
    LintJs(LintArgs),
    /// Show which server and location decide a request, why, and the result.
    Explain(ExplainArgs),
    /// Show which requests change outcome between two rule files (or a file and its git revision).
    Diff(DiffArgs),
    /// Run logged requests (CloudFront standard logs, request lists) through the rules: where traffic goes.
    Replay(replay::ReplayArgs),
    /// Print the JSON Schema of the rules file (for editors: completion and hover).
    Schema,
    /// Every diagnostic code and lint-js rule: what it means and how to fix it.
    Codes,
    /// Write the rules as configuration for another server (`nginx`): local development parity.
    Export(ExportArgs),
    /// CloudFront KeyValueStore deploys (`kvs: true`): `plan` the update-keys batches.
    #[command(subcommand)]
    Kvs(kvs::KvsCommand),
}

#[derive(Args, Debug)]
struct InitArgs {
    /// Where to write the starter file; it must not exist yet.
    #[arg(value_name = "FILE", default_value = DEFAULT_FILE)]
    file: PathBuf,
}

#[derive(Args, Debug)]
struct Common {
    #[arg(value_name = "FILE", help = FILE_HELP)]
    file: Option<PathBuf>,
    /// Treat warnings as errors (`--deny warnings`).
    #[arg(long, value_name = "LEVEL", value_parser = ["warnings"])]
    deny: Option<String>,
    /// Fail when a server or location is entered by no test case.
    #[arg(long)]
    require_coverage: bool,
}

#[derive(Args, Debug)]
struct CheckArgs {
    #[arg(
        value_name = "FILE",
        help = concat!("The rules files, each checked on its own (pre-commit passes several) ", default_file!(help))
    )]
    files: Vec<PathBuf>,
    /// Treat warnings as errors (`--deny warnings`).
    #[arg(long, value_name = "LEVEL", value_parser = ["warnings"])]
    deny: Option<String>,
    /// Fail when a server or location is entered by no test case.
    #[arg(long)]
    require_coverage: bool,
}

#[derive(Args, Debug)]
struct BuildArgs {
    #[command(flatten)]
    common: Common,
    /// Where to write the function.
    #[arg(short, long, value_name = "OUT.js")]
    output: PathBuf,
    /// Write nothing; fail (exit 1) and show the diff when OUT differs from what would be written.
    #[arg(long)]
    check: bool,
    /// Write the readable form (comments, indentation) instead of the compact one.
    #[arg(long)]
    pretty: bool,
    /// With `kvs: true`: where the KeyValueStore import file goes (default: OUT.kvs.json beside OUT).
    #[arg(long, value_name = "PATH")]
    kvs_output: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct TestArgs {
    #[command(flatten)]
    common: Common,
    /// Extra cases files (`tests:` lists) to run against FILE.
    #[arg(long = "cases", value_name = "F")]
    cases: Vec<PathBuf>,
    /// The JavaScript engine that runs the cases: embedded `boa`, or `njs` or `node` from the PATH.
    #[arg(long, value_enum, default_value_t = EngineArg::Boa)]
    engine: EngineArg,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum EngineArg {
    Boa,
    Njs,
    Node,
}

#[derive(Args, Debug)]
struct ExportArgs {
    /// What to write: `nginx` (server blocks to include inside `http { }`).
    #[arg(value_enum)]
    target: ExportTarget,
    #[arg(value_name = "FILE", help = FILE_HELP)]
    file: Option<PathBuf>,
    /// Where to write (atomically); standard output when absent.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// The `listen` address of every server.
    #[arg(long, default_value = "80", value_name = "ADDR")]
    listen: String,
    /// A folder put before every root and alias (a local copy of the bucket).
    #[arg(long, default_value = "", value_name = "DIR")]
    root_prefix: String,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ExportTarget {
    Nginx,
}

#[derive(Args, Debug)]
struct ExplainArgs {
    #[arg(
        num_args = 1..=2,
        required = true,
        value_name = "FILE|URL",
        help = concat!(
            "`[FILE] URL`: the rules file and the request URL (`https://host/path?query`); with one argument, it is the URL ",
            default_file!(help)
        )
    )]
    args: Vec<String>,
    /// The viewer's address (`viewer.ip`).
    #[arg(long, default_value = crate::model::DEFAULT_IP)]
    ip: String,
    /// A request header, `name: value`; repeat for more.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// A cookie, `name=value`; repeat for more (a case's `cookies:`).
    #[arg(long = "cookie", value_name = "NAME=VALUE")]
    cookies: Vec<String>,
    /// The request method.
    #[arg(long, default_value = "GET")]
    method: String,
}

#[derive(Args, Debug)]
struct DiffArgs {
    #[arg(
        num_args = 0..=2,
        value_name = "FILE",
        help = concat!("`OLD NEW`, or with `--base REV` just `[FILE]` ", default_file!(help))
    )]
    files: Vec<PathBuf>,
    /// Read the old rules from git at this revision (`git show REV:FILE`).
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Add the unified diff of the readable JavaScript.
    #[arg(long)]
    js: bool,
    /// Exit 1 when any request changes outcome.
    #[arg(long)]
    exit_code: bool,
    #[command(flatten)]
    logs: replay::DiffLogArgs,
}

#[derive(Args, Debug)]
struct LintArgs {
    /// The JavaScript file.
    file: PathBuf,
    /// The runtime whose dialect applies.
    #[arg(long, value_enum, default_value_t = RuntimeArg::Js1)]
    runtime: RuntimeArg,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    #[value(alias = "text")]
    Human,
    Json,
    /// For `diff`: ready to post as a pull-request comment (and `codes`: docs/codes.md);
    /// diagnostics print as `human`.
    Markdown,
    /// For `check`, `build` and `lint-js`: one SARIF 2.1.0 log on standard output (code
    /// scanning); everything else goes to standard error.
    Sarif,
    /// GitHub Actions workflow commands (`::warning file=…,line=…::…`): annotations on the PR.
    Github,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum RuntimeArg {
    #[value(name = "cloudfront-js-1.0")]
    Js1,
    #[value(name = "cloudfront-js-2.0")]
    Js2,
}

/// Run the command line and return the exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // `schema`, `codes` and `init` print no findings: SARIF would only hide their output.
    let format = match cli.command {
        Command::Schema | Command::Codes | Command::Init(_) if cli.format == Format::Sarif => {
            Format::Human
        }
        _ => cli.format,
    };
    let ui = Ui::new(cli.color, format);
    let result = match &cli.command {
        Command::Init(args) => init(&ui, args),
        Command::Check(args) => check_all(&ui, args),
        Command::Build(args) => build(&ui, args),
        Command::Test(args) => test(&ui, args),
        Command::LintJs(args) => lint_js(&ui, args),
        Command::Explain(args) => explain(&ui, args),
        Command::Diff(args) => diff(&ui, args),
        Command::Replay(args) => replay::replay(&ui, args),
        Command::Schema => {
            ui.out(&crate::schema::json());
            Ok(true)
        }
        Command::Codes => {
            ui.out(&match ui.format {
                Format::Human | Format::Sarif | Format::Github => codes::text(),
                Format::Markdown => codes::markdown(),
                Format::Json => codes::json(),
            });
            Ok(true)
        }
        Command::Export(args) => export(&ui, args),
        Command::Kvs(command) => kvs::run(&ui, command),
    };
    if ui.format == Format::Sarif {
        let log = render::sarif::document(&ui.sarif.borrow());
        let _ = std::io::stdout().lock().write_all(log.as_bytes());
    }
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            ui.err(&format!("error: {e}\n"));
            ExitCode::from(2)
        }
    }
}

/// How to print: colour and format chosen once.
struct Ui {
    style: Style,
    format: Format,
    /// `--format sarif`: the findings of the run, printed as one log at the end.
    sarif: std::cell::RefCell<Vec<render::sarif::Record>>,
}

impl Ui {
    fn new(color: Color, format: Format) -> Ui {
        let color = match color {
            Color::Always => true,
            Color::Never => false,
            Color::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stderr().is_terminal()
            }
        };
        Ui {
            style: Style { color, width: 100 },
            format,
            sarif: std::cell::RefCell::default(),
        }
    }

    fn out(&self, text: &str) {
        if self.format == Format::Sarif {
            // Standard output carries the SARIF log alone.
            return self.err(text);
        }
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            std::process::exit(0);
        }
    }

    fn err(&self, text: &str) {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    fn diagnostics(&self, file: &SourceFile, diagnostics: &Diagnostics) {
        match self.format {
            Format::Human | Format::Markdown => {
                self.err(&render::human_all(file, diagnostics, self.style))
            }
            Format::Json => {
                for d in diagnostics.sorted() {
                    self.err(&format!("{}\n", render::json(file, d)));
                }
            }
            Format::Sarif | Format::Github => {
                for d in diagnostics.sorted() {
                    let mut record = render::sarif::record(file, d);
                    record.fix = codes::rule_fix(d.code);
                    self.record(record);
                }
            }
        }
    }

    /// A finding for `--format sarif` (kept for the log) or `--format github` (printed now).
    fn record(&self, record: render::sarif::Record) {
        match self.format {
            Format::Sarif => self.sarif.borrow_mut().push(record),
            _ => self.out(&render::sarif::github(&record)),
        }
    }
}

impl Common {
    /// The rules file named, or the default.
    fn file(&self) -> PathBuf {
        self.file.clone().unwrap_or_else(default_file)
    }
}

/// `init`: the starter file, never over an existing one.
fn init(ui: &Ui, args: &InitArgs) -> Result<bool, Error> {
    let path = &args.file;
    let exists = |p: &Path| p.exists() || p.is_symlink();
    // `init` with no FILE in a folder that already has the other spelling would start a second file.
    let taken = if path == Path::new(DEFAULT_FILE) && exists(Path::new(DEFAULT_FILE_YML)) {
        Some(Path::new(DEFAULT_FILE_YML))
    } else {
        exists(path).then_some(path.as_path())
    };
    if let Some(taken) = taken {
        return Err(Error::Usage(format!(
            "{} already exists; init writes a new file only (name another: edgeroute init FILE)",
            taken.display()
        )));
    }
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    // create_new: a file that appears meanwhile is not overwritten either.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::Usage(format!(
                "{} already exists; init writes a new file only",
                path.display()
            )),
            _ => io(e),
        })?;
    file.write_all(STARTER.as_bytes()).map_err(io)?;
    let check = if path == Path::new(DEFAULT_FILE) {
        "edgeroute check".to_owned()
    } else {
        format!("edgeroute check {}", path.display())
    };
    ui.out(&format!(
        "wrote {}: one server, two locations, two test cases
next: edit it, then run `{check}`
",
        path.display()
    ));
    Ok(true)
}

/// Load, validate and generate; print diagnostics. `None` when the rules do not get that far.
fn generate(ui: &Ui, common: &Common) -> Result<Option<(Loaded, Generated)>, Error> {
    let mut loaded = pipeline::load(&common.file())?;
    let generated = match &loaded.rules {
        Some(rules) => Some(pipeline::generate(rules, &mut loaded.diagnostics)?),
        None => None,
    };
    ui.diagnostics(&loaded.file, &loaded.diagnostics);
    let denied = common.deny.is_some() && loaded.diagnostics.warning_count() > 0;
    if loaded.diagnostics.has_errors() || denied {
        let (errors, warnings) = (
            loaded.diagnostics.error_count(),
            loaded.diagnostics.warning_count(),
        );
        if ui.format != Format::Json {
            let why = if denied { " (warnings denied)" } else { "" };
            ui.err(&format!(
                "{}: {errors} error(s), {warnings} warning(s){why}\n",
                loaded.file.name()
            ));
        }
        return Ok(None);
    }
    Ok(generated.map(|g| (loaded, g)))
}

/// `check` on each file in turn: an error that stops one file (exit 2) does not stop the others.
fn check_all(ui: &Ui, args: &CheckArgs) -> Result<bool, Error> {
    let mut passed = true;
    let mut failures = 0;
    let files = match args.files.as_slice() {
        [] => vec![default_file()],
        files => files.to_vec(),
    };
    for file in &files {
        let common = Common {
            file: Some(file.clone()),
            deny: args.deny.clone(),
            require_coverage: args.require_coverage,
        };
        match check(ui, &common) {
            Ok(ok) => passed &= ok,
            Err(e) if files.len() > 1 => {
                ui.err(&format!("error: {e}\n"));
                failures += 1;
            }
            Err(e) => return Err(e),
        }
    }
    if failures > 0 {
        return Err(Error::Usage(format!(
            "{failures} of {} files could not be checked",
            files.len()
        )));
    }
    Ok(passed)
}

fn check(ui: &Ui, common: &Common) -> Result<bool, Error> {
    let Some((loaded, generated)) = generate(ui, common)? else {
        return Ok(false);
    };
    let rules = loaded.rules.as_ref().expect("generated from valid rules");
    let report = golden::run_with_trace(
        &generated.js,
        &generated.traced,
        &generated.program,
        &rules.tests,
    )?;
    let passed = print_report(ui, &report, common.require_coverage);
    if passed {
        ui.out(&summary(&loaded, &generated));
    } else {
        ui.err(&format!("{}: check failed\n", loaded.file.name()));
    }
    Ok(passed)
}

fn build(ui: &Ui, args: &BuildArgs) -> Result<bool, Error> {
    let Some((loaded, generated)) = generate(ui, &args.common)? else {
        return Ok(false);
    };
    let rules = loaded.rules.as_ref().expect("generated from valid rules");
    let js = if args.pretty {
        &generated.pretty
    } else {
        &generated.js
    };
    let report = golden::run_with_trace(js, &generated.traced, &generated.program, &rules.tests)?;
    if !print_report(ui, &report, args.common.require_coverage) {
        ui.err(&format!(
            "{} was not written: tests failed\n",
            args.output.display()
        ));
        return Ok(false);
    }
    if args.pretty && js.len() > SIZE_LIMIT {
        ui.err(&format!(
            "warning: the readable form is {} bytes, over CloudFront's {SIZE_LIMIT}: upload the compact form (build without --pretty)\n",
            js.len()
        ));
    }
    let store = generated.program.kvs.then(|| {
        let path = kvs::store_path(&args.output, args.kvs_output.as_deref());
        (
            path,
            crate::js::store::import_json(&generated.program.store),
        )
    });
    if args.check {
        let mut fresh = check_output(ui, &args.output, js)?;
        if let Some((path, text)) = &store {
            fresh &= check_output(ui, path, text)?;
        }
        return Ok(fresh);
    }
    // the store first: a function never goes out without the keys it reads
    if let Some((path, text)) = &store {
        write_atomically(path, text)?;
        ui.out(&format!(
            "wrote {} ({} keys, {} bytes)\n",
            path.display(),
            generated.program.store.len(),
            generated
                .program
                .store
                .iter()
                .map(crate::js::store::entry_bytes)
                .sum::<usize>()
        ));
    }
    write_atomically(&args.output, js)?;
    ui.out(&format!(
        "wrote {} ({} bytes)\n",
        args.output.display(),
        js.len()
    ));
    Ok(true)
}

fn test(ui: &Ui, args: &TestArgs) -> Result<bool, Error> {
    let engine = match args.engine {
        EngineArg::Boa => crate::harness::engines::Engine::Boa,
        EngineArg::Njs => crate::harness::engines::Engine::Njs,
        EngineArg::Node => crate::harness::engines::Engine::Node,
    };
    engine.require()?;
    let Some((loaded, generated)) = generate(ui, &args.common)? else {
        return Ok(false);
    };
    let mut cases = loaded.rules.as_ref().expect("valid").tests.clone();
    for path in &args.cases {
        let file = pipeline::read(path)?;
        let mut diagnostics = Diagnostics::default();
        match golden::load_cases(&file, &mut diagnostics) {
            Some(more) if !diagnostics.has_errors() => cases.extend(more),
            _ => {
                ui.diagnostics(&file, &diagnostics);
                return Ok(false);
            }
        }
    }
    let report = if engine == crate::harness::engines::Engine::Boa {
        golden::run_with_trace(&generated.js, &generated.traced, &generated.program, &cases)?
    } else {
        let requests: Vec<_> = cases.iter().map(golden::request).collect();
        let (js, runtime) = (&generated.js, generated.program.runtime);
        let store = &generated.program.store;
        let results =
            crate::harness::engines::route_all_with_store(engine, js, runtime, store, &requests)?;
        golden::report(&generated.program, &cases, &results, &generated.traced)?
    };
    Ok(print_report(ui, &report, args.common.require_coverage))
}

fn explain(ui: &Ui, args: &ExplainArgs) -> Result<bool, Error> {
    let (file, url) = match args.args.as_slice() {
        [url] => (default_file(), url),
        [file, url] => (PathBuf::from(file), url),
        _ => unreachable!("clap takes one or two"),
    };
    if let Some(problem) = crate::validate::cases::url_problem(url) {
        return Err(Error::Usage(format!("{url}: {}", problem.message)));
    }
    let mut headers = Vec::new();
    for header in &args.headers {
        let Some((name, value)) = header.split_once(':') else {
            return Err(Error::Usage(format!(
                "-H {header:?}: a header is `name: value`"
            )));
        };
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let mut cookies = Vec::new();
    for cookie in &args.cookies {
        match cookie.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                cookies.push((name.trim().to_owned(), value.to_owned()))
            }
            _ => {
                return Err(Error::Usage(format!(
                    "--cookie {cookie:?}: a cookie is `name=value`"
                )));
            }
        }
    }
    let common = Common {
        file: Some(file),
        deny: None,
        require_coverage: false,
    };
    let Some((_, generated)) = generate(ui, &common)? else {
        return Ok(false);
    };
    let request = crate::harness::event::Request {
        url: url.clone(),
        method: args.method.clone(),
        ip: args.ip.clone(),
        headers,
        cookies,
    };
    let mut harness = crate::harness::Harness::load(&generated.traced, generated.program.runtime)
        .map_err(|e| Error::Generated {
        message: e.to_string(),
        snippet: String::new(),
    })?;
    harness.set_kvs(generated.program.store.clone());
    let result = harness.route(&request);
    if let Err(crate::harness::RunError::BadRequest(why)) = &result {
        return Err(Error::Usage(format!("{url}: {why}")));
    }
    let explanation = crate::review::explain::explain(&generated.program, &request, &result);
    match ui.format {
        Format::Json => ui.out(&format!("{}\n", explanation.json())),
        Format::Human | Format::Markdown | Format::Sarif | Format::Github => {
            ui.out(&explanation.text())
        }
    }
    Ok(true)
}

fn export(ui: &Ui, args: &ExportArgs) -> Result<bool, Error> {
    let file = args.file.clone().unwrap_or_else(default_file);
    let loaded = pipeline::load(&file)?;
    ui.diagnostics(&loaded.file, &loaded.diagnostics);
    let Some(rules) = &loaded.rules else {
        return Ok(false);
    };
    let ExportTarget::Nginx = args.target;
    let options = crate::review::export_nginx::Options {
        listen: args.listen.clone(),
        root_prefix: args.root_prefix.clone(),
        source: loaded.file.name().to_owned(),
    };
    let text = crate::review::export_nginx::nginx(rules, &options);
    match &args.output {
        Some(path) => {
            write_atomically(path, &text)?;
            ui.out(&format!(
                "wrote {} ({} bytes)\n",
                path.display(),
                text.len()
            ));
        }
        None => ui.out(&text),
    }
    Ok(true)
}

fn side((loaded, generated): &(Loaded, Generated)) -> crate::review::semantic_diff::Side<'_> {
    crate::review::semantic_diff::Side {
        rules: loaded.rules.as_ref().expect("valid"),
        generated,
    }
}

fn diff(ui: &Ui, args: &DiffArgs) -> Result<bool, Error> {
    let (old, new) = match (&args.base, args.files.as_slice()) {
        (Some(rev), [] | [_]) => {
            let file = args.files.first().cloned().unwrap_or_else(default_file);
            let old = git_show(rev, &file)?;
            let name = format!("{}@{rev}", file.display());
            (pipeline::load_bytes(&name, old), pipeline::load(&file)?)
        }
        (None, [old, new]) => (pipeline::load(old)?, pipeline::load(new)?),
        _ => {
            return Err(Error::Usage(
                "diff takes OLD NEW, or --base REV [FILE]".to_owned(),
            ));
        }
    };
    let mut sides = Vec::new();
    for mut loaded in [old, new] {
        let generated = match &loaded.rules {
            Some(rules) => Some(pipeline::generate(rules, &mut loaded.diagnostics)?),
            None => None,
        };
        ui.diagnostics(&loaded.file, &loaded.diagnostics);
        // Over the size budget still routes: the report's size line says by how much.
        match generated {
            Some(generated) => sides.push((loaded, generated)),
            None => return Ok(false),
        }
    }
    if !args.logs.requests.is_empty() {
        let (old, new) = (&sides[0].1, &sides[1].1);
        return replay::diff(ui, &args.logs, old, new, args.exit_code);
    }
    let report =
        crate::review::semantic_diff::compare(&side(&sides[0]), &side(&sides[1]), args.js)?;
    match ui.format {
        Format::Human | Format::Sarif | Format::Github => ui.out(&report.text()),
        Format::Markdown => ui.out(&report.markdown()),
        Format::Json => ui.out(&format!("{}\n", report.json())),
    }
    Ok(!args.exit_code || report.changes.is_empty())
}

/// The bytes of FILE at git revision REV.
fn git_show(rev: &str, file: &Path) -> Result<Vec<u8>, Error> {
    let spec = format!("{rev}:./{}", file.display());
    let output = std::process::Command::new("git")
        .args(["show", &spec])
        .output()
        .map_err(|e| Error::Usage(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err(Error::Usage(format!(
            "git show {spec}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(output.stdout)
}

fn lint_js(ui: &Ui, args: &LintArgs) -> Result<bool, Error> {
    let file = pipeline::read(&args.file)?;
    let runtime = match args.runtime {
        RuntimeArg::Js1 => Runtime::Js1,
        RuntimeArg::Js2 => Runtime::Js2,
    };
    let mut ok = true;
    if let Err(violations) = gate::gate(file.text(), runtime, Profile::Runtime) {
        ok = false;
        for v in &violations {
            match ui.format {
                Format::Json => ui.err(&format!("{}\n", render::violation_json(&file, v))),
                Format::Sarif | Format::Github => {
                    let mut record = render::sarif::violation(&file, v);
                    record.fix = codes::lint_fix(v.rule);
                    ui.record(record);
                }
                Format::Human | Format::Markdown => {
                    ui.err(&format!("{}\n", render::violation(&file, v, ui.style)))
                }
            }
        }
    }
    let bytes = file.text().len();
    if bytes > SIZE_LIMIT {
        ok = false;
        let mut diagnostics = Diagnostics::default();
        diagnostics.push(Diagnostic::new(
            Code::SizeBudget,
            None,
            format!("the function is {bytes} bytes; CloudFront accepts at most {SIZE_LIMIT}"),
        ));
        ui.diagnostics(&file, &diagnostics);
    }
    if ok {
        ui.out(&format!(
            "ok: {} is valid {runtime} ({bytes} bytes)\n",
            file.name()
        ));
    }
    Ok(ok)
}

/// Print failures, coverage and the closing `N passed, M failed` line; whether the run passed.
fn print_report(ui: &Ui, report: &Report, require_coverage: bool) -> bool {
    for failure in report.failures() {
        ui.out(&format!("{failure}\n"));
    }
    let uncovered = report.uncovered();
    if !uncovered.is_empty() {
        let mut text = String::from(if require_coverage {
            "error: not covered by any test case:\n"
        } else {
            "note: not covered by any test case:\n"
        });
        for item in uncovered.iter() {
            text.push_str(&format!("  {item}\n"));
        }
        ui.out(&text);
    }
    ui.out(&format!(
        "{} passed, {} failed\n",
        report.passed(),
        report.failed()
    ));
    report.failed() == 0 && (!require_coverage || uncovered.is_empty())
}

fn summary(loaded: &Loaded, generated: &Generated) -> String {
    let bytes = generated.js.len();
    let warnings = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    format!(
        "ok: {} → {} bytes ({} under the {SIZE_LIMIT}-byte limit), {}{}\n",
        loaded.file.name(),
        bytes,
        SIZE_LIMIT.saturating_sub(bytes),
        generated.program.runtime,
        if warnings > 0 {
            format!(", {warnings} warning(s)")
        } else {
            String::new()
        }
    )
}

/// `build --check`: compare with the file on disk and show the diff.
fn check_output(ui: &Ui, path: &Path, js: &str) -> Result<bool, Error> {
    let current = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(Error::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    if current == js {
        ui.out(&format!("{} is up to date\n", path.display()));
        return Ok(true);
    }
    // The compact form is one long line: compare both re-printed one statement per line.
    let (old, new) = match (
        crate::js::compact::readable(&current),
        crate::js::compact::readable(js),
    ) {
        (Ok(old), Ok(new)) if !current.is_empty() => (old, new),
        _ => (current.clone(), js.to_owned()),
    };
    ui.out(&crate::review::text_diff::unified(
        &old,
        &new,
        &path.display().to_string(),
        "generated",
    ));
    ui.err(&format!(
        "{} is stale: run `edgeroute build` and commit the result\n",
        path.display()
    ));
    Ok(false)
}

/// Write through a temporary file in the same folder, then rename: readers see the old file or the
/// new one, never a part, and the old file survives any failure. The folder is created when missing
/// (`-o build/router.js`). The file gets the mode a new file gets from `cp` or a compiler, 0666 less
/// the umask: the temporary file's mode survives the rename, so it is created with that mode.
fn write_atomically(path: &Path, contents: &str) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_owned(),
        source,
    })?;
    // tempfile's errors name the temporary file; the user only knows OUT.
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // open(2) applies the umask to the mode asked for.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| io(std::io::Error::from(e.kind())))?;
    tmp.write_all(contents.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path)
        .map_err(|e| io(std::io::Error::from(e.error.kind())))?;
    Ok(())
}
