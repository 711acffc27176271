//! A rules file held in memory, and spans into it.
//!
//! Every diagnostic points at a [`Span`] of a [`SourceFile`]; this module turns byte offsets into the
//! 1-based line and column people read, so the rest of the code never deals with positions itself.

use std::fmt;

/// A byte range into a [`SourceFile`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// A span covering both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// A span of `len` bytes starting `offset` bytes into this one.
    pub fn sub(self, offset: usize, len: usize) -> Span {
        let start = (self.start + offset).min(self.end);
        Span::new(start, (start + len).min(self.end.max(start + len)))
    }
}

/// A value from the rules file together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(value: T, span: Span) -> Spanned<T> {
        Spanned { value, span }
    }
}

/// Text read from the rules file.
pub type Text = Spanned<String>;

impl Text {
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

/// The name and text of one input file, with the offsets of its line starts.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line and 1-based column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = self.clamp(offset);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text[start..offset].chars().count() + 1;
        (line + 1, col)
    }

    /// The byte offset of a 1-based line and 0-based character column (the YAML parser's markers).
    pub fn offset_of(&self, line: usize, char_col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        let in_line = rest
            .char_indices()
            .nth(char_col)
            .map_or(rest.len(), |(i, _)| i);
        start + in_line
    }

    /// The text of one line (1-based), without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_starts[line.clamp(1, self.line_starts.len()) - 1];
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        self.text[start..end].trim_end_matches('\r')
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        &self.text[self.clamp(span.start)..self.clamp(span.end)]
    }

    fn clamp(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

impl fmt::Display for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_of_offsets() {
        let file = SourceFile::new("r.yaml", "a: 1\nbé: 2\n");
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(5), (2, 1));
        assert_eq!(file.line_col(9), (2, 4));
        assert_eq!(file.offset_of(2, 3), 9);
        assert_eq!(file.line_text(2), "bé: 2");
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        let file = SourceFile::new("r.yaml", "é");
        assert_eq!(file.line_col(1), (1, 1));
        assert_eq!(file.line_col(99), (1, 2));
        assert_eq!(file.offset_of(7, 0), 2);
    }
}
