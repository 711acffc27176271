//! Diagnostics as text: rustc-style snippets for people, JSON lines for tools.
//!
//! The only file that names the snippet renderer. The library never prints: callers get strings.

pub mod sarif;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::js::gate::Violation;
use crate::source::{SourceFile, Span};

/// How diagnostics are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    /// Width the snippets are laid out for.
    pub width: usize,
}

impl Default for Style {
    fn default() -> Style {
        Style {
            color: false,
            width: 100,
        }
    }
}

/// One diagnostic as a rustc-style snippet, ending in a newline.
pub fn human(file: &SourceFile, diagnostic: &Diagnostic, style: Style) -> String {
    let finding = Finding {
        severity: diagnostic.severity,
        id: diagnostic.code.name(),
        message: &diagnostic.message,
        span: diagnostic.span,
        label: diagnostic.label.as_deref(),
        help: diagnostic.help.as_deref(),
    };
    snippet(file, &finding, style)
}

/// One JavaScript gate violation (`lint-js`), rendered like a diagnostic.
pub fn violation(file: &SourceFile, v: &Violation, style: Style) -> String {
    let finding = Finding {
        severity: Severity::Error,
        id: v.rule.name(),
        message: &v.message,
        span: Some(Span::new(v.start, v.end.max(v.start + 1))),
        label: None,
        help: None,
    };
    snippet(file, &finding, style)
}

/// One JavaScript gate violation as a JSON line, shaped like a diagnostic's.
pub fn violation_json(file: &SourceFile, v: &Violation) -> String {
    let record = JsonDiagnostic {
        file: file.name(),
        code: v.rule.name(),
        severity: Severity::Error,
        message: &v.message,
        label: None,
        help: None,
        span: Some(json_span(file, Span::new(v.start, v.end))),
    };
    serde_json::to_string(&record).expect("violations serialize")
}

/// What a snippet shows, whoever found it.
struct Finding<'a> {
    severity: Severity,
    id: &'a str,
    message: &'a str,
    span: Option<Span>,
    label: Option<&'a str>,
    help: Option<&'a str>,
}

fn snippet(file: &SourceFile, finding: &Finding<'_>, style: Style) -> String {
    let level = match finding.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level.primary_title(finding.message).id(finding.id);
    let mut group = match finding.span {
        Some(span) => {
            let span = clamp(file, span);
            let mut annotation = AnnotationKind::Primary.span(span.start..span.end);
            if let Some(label) = finding.label {
                annotation = annotation.label(label);
            }
            title.element(
                Snippet::source(file.text())
                    .path(file.name())
                    .annotation(annotation),
            )
        }
        None => title.element(annotate_snippets::Origin::path(file.name())),
    };
    if let Some(help) = finding.help {
        group = group.element(Level::HELP.message(help));
    }
    let renderer = if style.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .term_width(style.width);
    let report: [Group<'_>; 1] = [group];
    format!("{}\n", renderer.render(&report))
}

/// All diagnostics of a file as snippets, sorted by position, with a closing count line.
pub fn human_all(file: &SourceFile, diagnostics: &Diagnostics, style: Style) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics.sorted() {
        out.push_str(&human(file, diagnostic, style));
        out.push('\n');
    }
    out
}

/// One diagnostic as a JSON object on one line.
pub fn json(file: &SourceFile, diagnostic: &Diagnostic) -> String {
    let position = diagnostic.span.map(|span| json_span(file, span));
    let record = JsonDiagnostic {
        file: file.name(),
        code: diagnostic.code.name(),
        severity: diagnostic.severity,
        message: &diagnostic.message,
        label: diagnostic.label.as_deref(),
        help: diagnostic.help.as_deref(),
        span: position,
    };
    serde_json::to_string(&record).expect("diagnostics serialize")
}

fn json_span(file: &SourceFile, span: Span) -> JsonSpan {
    let (line, column) = file.line_col(span.start);
    let (end_line, end_column) = file.line_col(span.end);
    JsonSpan {
        start: span.start,
        end: span.end,
        line,
        column,
        end_line,
        end_column,
    }
}

/// `file:line:col` of a diagnostic, for one-line summaries.
pub fn position(file: &SourceFile, diagnostic: &Diagnostic) -> String {
    match diagnostic.span {
        Some(span) => {
            let (line, col) = file.line_col(span.start);
            format!("{}:{line}:{col}", file.name())
        }
        None => file.name().to_owned(),
    }
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: &'a str,
    code: &'a str,
    severity: Severity,
    message: &'a str,
    label: Option<&'a str>,
    help: Option<&'a str>,
    span: Option<JsonSpan>,
}

#[derive(Serialize)]
struct JsonSpan {
    start: usize,
    end: usize,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

/// Keep spans on character boundaries and inside the text, so the renderer never panics.
fn clamp(file: &SourceFile, span: crate::source::Span) -> crate::source::Span {
    let text = file.text();
    let fix = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    crate::source::Span::new(fix(span.start), fix(span.end))
}
