//! The stages joined: read → parse → validate → compile → emit → check, as the commands use them.

use std::path::Path;

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::error::Error;
use crate::ir::Program;
use crate::js::gate::{self, Profile, SIZE_LIMIT, SIZE_WARN};
use crate::model::Rules;
use crate::source::{SourceFile, Span};
use crate::{compile, js::emit, read::config, validate};

/// A rules file read and validated.
pub struct Loaded {
    pub file: SourceFile,
    pub diagnostics: Diagnostics,
    /// `Some` when there is no error.
    pub rules: Option<Rules>,
}

/// The function generated from valid rules, checked.
pub struct Generated {
    pub program: Program,
    /// The bytes to upload.
    pub js: String,
    /// The readable form of the same program (template output before minification).
    pub pretty: String,
    /// The traced build of the same rules (readable, with trace steps): what `explain`, `diff` and
    /// coverage run, since the upload carries no trace code.
    pub traced: String,
}

/// Read a file; a file that cannot be read is an [`Error`] (exit 2).
pub fn read(path: &Path) -> Result<SourceFile, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(source_file(&path.display().to_string(), bytes).0)
}

/// Read, parse and validate a rules file.
pub fn load(path: &Path) -> Result<Loaded, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(load_bytes(&path.display().to_string(), bytes))
}

/// Parse and validate rules given as bytes (the file name is for messages).
pub fn load_bytes(name: &str, bytes: Vec<u8>) -> Loaded {
    let (file, encoding) = source_file(name, bytes);
    let mut diagnostics = Diagnostics::default();
    if let Some(d) = encoding {
        diagnostics.push(d);
        return Loaded {
            file,
            diagnostics,
            rules: None,
        };
    }
    let rules = config::parse(&file, &mut diagnostics)
        .and_then(|raw| validate::validate(&file, raw, &mut diagnostics));
    Loaded {
        file,
        diagnostics,
        rules,
    }
}

/// Compile, emit, compact and check valid rules. A size over budget is a diagnostic in `diagnostics`.
pub fn generate(rules: &Rules, diagnostics: &mut Diagnostics) -> Result<Generated, Error> {
    let span_of = |entry: &(String, String)| {
        let (s, l) = crate::js::store::origin_of(entry)?;
        let server = rules.servers.get(s)?;
        match l {
            Some(l) => server.locations.get(l).map(|l| l.span),
            None => Some(server.span),
        }
    };
    let program = compile::compile(rules);
    let pretty = emit::emit(&program, false)?;
    gate(&pretty, &program)?;
    let traced = emit::emit(&program, true)?;
    gate(&traced, &program)?;
    let compact =
        crate::js::minify::minify(&pretty, program.runtime).map_err(|e| Error::Generated {
            message: e.to_string(),
            snippet: String::new(),
        })?;
    let js = with_header(&compact, &program);
    gate(&js, &program)?;
    size_check(&js, &pretty, &program, diagnostics);
    if program.kvs {
        let labels: Vec<String> = program.names.iter().map(|n| n.label.clone()).collect();
        crate::js::store::budget(
            &program.store,
            |key| crate::js::store::describe_key(key, &labels),
            span_of,
            diagnostics,
        );
    }
    Ok(Generated {
        program,
        js,
        pretty,
        traced,
    })
}

/// The compact code with the import line first (when any) and the header comment after it.
fn with_header(compact: &str, program: &Program) -> String {
    let header = format!("// {}\n", emit::header(program));
    const IMPORT: &str = "import cf from 'cloudfront';";
    match compact.strip_prefix(IMPORT) {
        Some(rest) => format!("{IMPORT}\n{header}{}\n", rest.trim_start()),
        None => format!("{header}{}\n", compact.trim_end()),
    }
}

fn gate(js: &str, program: &Program) -> Result<(), Error> {
    gate::gate(js, program.runtime, Profile::Es5).map_err(|violations| {
        let first = &violations[0];
        Error::Generated {
            message: format!(
                "{} ({} at {}:{})",
                first.message, first.rule, first.line, first.column
            ),
            snippet: first.snippet.clone(),
        }
    })
}

fn size_check(js: &str, pretty: &str, program: &Program, diagnostics: &mut Diagnostics) {
    let bytes = js.len();
    if bytes <= SIZE_WARN {
        return;
    }
    let mut d = Diagnostic::new(
        Code::SizeBudget,
        None,
        format!("the generated function is {bytes} bytes; CloudFront accepts at most {SIZE_LIMIT}"),
    );
    if bytes <= SIZE_LIMIT {
        d.severity = crate::diagnostic::Severity::Warning;
        d.message = format!(
            "the generated function is {bytes} bytes, {} under CloudFront's {SIZE_LIMIT}-byte limit",
            SIZE_LIMIT - bytes
        );
    }
    d.help = Some(format!(
        "biggest contributors:\n{}\n{}",
        crate::js::size::breakdown(program, bytes, 8),
        crate::js::size::runtime_helpers(program, bytes, pretty, 6)
    ));
    diagnostics.push(d);
}

/// A SourceFile from bytes, with a diagnostic when they are not UTF-8.
fn source_file(name: &str, bytes: Vec<u8>) -> (SourceFile, Option<Diagnostic>) {
    match String::from_utf8(bytes) {
        Ok(text) => (SourceFile::new(name, text), None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let d = Diagnostic::new(
                Code::InvalidEncoding,
                Some(Span::new(at, at + 1)),
                "the file is not UTF-8 text",
            )
            .with_help("save the rules file as UTF-8");
            (SourceFile::new(name, text), Some(d))
        }
    }
}
