//! Diagnostics as text: rustc-style snippets for people, JSON lines for tools.
//!
//! The only file that names the snippet renderer. The library never prints: callers get strings.

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::source::SourceFile;

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
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.name());
    let mut group = match diagnostic.span {
        Some(span) => {
            let span = clamp(file, span);
            let mut annotation = AnnotationKind::Primary.span(span.start..span.end);
            if let Some(label) = &diagnostic.label {
                annotation = annotation.label(label.as_str());
            }
            title.element(
                Snippet::source(file.text())
                    .path(file.name())
                    .annotation(annotation),
            )
        }
        None => title.element(annotate_snippets::Origin::path(file.name())),
    };
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
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
    let position = diagnostic.span.map(|span| {
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
    });
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
