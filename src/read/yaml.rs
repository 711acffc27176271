//! YAML text → a tree of nodes that know where they were written.
//!
//! Built from saphyr-parser's events (a maintained YAML 1.2 parser that reports a span for every
//! event), so every value the validator looks at can be pointed to. The tree is bounded: files
//! over [`MAX_BYTES`], nesting deeper than [`MAX_DEPTH`], and anchors/aliases that would expand past
//! [`MAX_NODES`] are refused before anything else looks at them. Aliases share nodes (`Rc`), so
//! an alias bomb costs nothing to build and is caught by its expanded weight.

use std::collections::HashMap;
use std::rc::Rc;

use saphyr_parser::{Event, Parser, ScalarStyle};

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span};

/// Largest rules file read, in bytes.
pub const MAX_BYTES: usize = 1 << 20;
/// Deepest nesting of sequences and mappings.
pub const MAX_DEPTH: usize = 64;
/// Most nodes the document may hold once aliases are expanded.
pub const MAX_NODES: u64 = 100_000;

/// One YAML value and its span.
#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
    /// Nodes in this value once aliases are expanded (saturating).
    weight: u64,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    /// A scalar, with whether it was written plain (unquoted): plain `~`, `null` and `` are null.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Rc<Node>>),
    Map(Vec<(Rc<Node>, Rc<Node>)>),
}

impl Node {
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A word for the node's type, for "expected a list, found a mapping".
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            _ if self.is_null() => "nothing (null)",
            NodeKind::Scalar { .. } => "text",
            NodeKind::Seq(_) => "a list",
            NodeKind::Map(_) => "a mapping",
        }
    }
}

/// A rules file that keeps its tables in KeyValueStore (`kvs: true`) may be this large; the
/// validator refuses a file over [`MAX_BYTES`] whose parsed `kvs` is not `true`.
pub const KVS_MAX_BYTES: usize = crate::validate::redirects::KVS_MAX_BYTES;

/// Whether the text has a top-level line `kvs: true`.
fn declares_kvs(text: &str) -> bool {
    text.lines()
        .any(|line| line.trim_end() == "kvs: true" || line.starts_with("kvs: true #"))
}

/// Parse a whole file. `None` (with a diagnostic) when it is not YAML or breaks a limit;
/// `Some(None)` for an empty document.
pub fn parse(file: &SourceFile) -> Result<Option<Rc<Node>>, Diagnostic> {
    let len = file.text().len();
    if len > MAX_BYTES && !(len <= KVS_MAX_BYTES && declares_kvs(file.text())) {
        return Err(Diagnostic::new(
            Code::InputTooLarge,
            None,
            format!(
                "the file is {} bytes; rules files are at most {MAX_BYTES} bytes",
                file.text().len()
            ),
        ));
    }
    Builder::new(file).run()
}

struct Builder<'f> {
    file: &'f SourceFile,
    /// Open sequences and mappings: their start span, anchor and children so far.
    stack: Vec<Open>,
    anchors: HashMap<usize, Rc<Node>>,
    root: Option<Rc<Node>>,
    documents: usize,
}

struct Open {
    span: Span,
    anchor: usize,
    is_map: bool,
    items: Vec<Rc<Node>>,
}

impl<'f> Builder<'f> {
    fn new(file: &'f SourceFile) -> Builder<'f> {
        Builder {
            file,
            stack: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            documents: 0,
        }
    }

    fn run(mut self) -> Result<Option<Rc<Node>>, Diagnostic> {
        let mut parser = Parser::new_from_str(self.file.text());
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| {
                let offset = self.file.offset_of(e.marker().line(), e.marker().col());
                Diagnostic::new(
                    Code::YamlSyntax,
                    Some(Span::new(offset, offset)),
                    format!("YAML syntax: {}", e.info()),
                )
            })?;
            let span = Span::new(
                self.file.offset_of(span.start.line(), span.start.col()),
                self.file.offset_of(span.end.line(), span.end.col()),
            );
            self.event(event, span)?;
        }
        Ok(self.root)
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Diagnostic> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Diagnostic::new(
                        Code::YamlSyntax,
                        Some(span),
                        "a rules file holds one YAML document",
                    ));
                }
            }
            Event::Scalar(text, style, anchor, _) => {
                let node = Node {
                    kind: NodeKind::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                    span: trim_span(self.file, span),
                    weight: 1,
                };
                self.finish(Rc::new(node), anchor)?;
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id).cloned() else {
                    return Err(Diagnostic::new(
                        Code::YamlSyntax,
                        Some(span),
                        "unknown alias",
                    ));
                };
                self.finish(node, 0)?;
            }
            Event::SequenceStart(anchor, _) => self.open(span, anchor, false)?,
            Event::MappingStart(anchor, _) => self.open(span, anchor, true)?,
            Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
        Ok(())
    }

    fn open(&mut self, span: Span, anchor: usize, is_map: bool) -> Result<(), Diagnostic> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(Diagnostic::new(
                Code::InputTooLarge,
                Some(span),
                format!("nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        self.stack.push(Open {
            span,
            anchor,
            is_map,
            items: Vec::new(),
        });
        Ok(())
    }

    fn close(&mut self, end: Span) -> Result<(), Diagnostic> {
        let open = self
            .stack
            .pop()
            .expect("parser balances start and end events");
        let weight = open
            .items
            .iter()
            .fold(1u64, |sum, item| sum.saturating_add(item.weight));
        // A block collection's end event sits at the next token; end the span at its last child.
        let span = match open.items.last() {
            Some(last) => Span::new(open.span.start, last.span.end),
            None => open.span.to(end),
        };
        let kind = if open.is_map {
            let mut pairs = Vec::with_capacity(open.items.len() / 2);
            let mut items = open.items.into_iter();
            while let (Some(key), Some(value)) = (items.next(), items.next()) {
                pairs.push((key, value));
            }
            NodeKind::Map(pairs)
        } else {
            NodeKind::Seq(open.items)
        };
        self.finish(Rc::new(Node { kind, span, weight }), open.anchor)
    }

    fn finish(&mut self, node: Rc<Node>, anchor: usize) -> Result<(), Diagnostic> {
        if node.weight > MAX_NODES {
            return Err(Diagnostic::new(
                Code::InputTooLarge,
                Some(node.span),
                format!(
                    "the document expands to more than {MAX_NODES} values (aliases of aliases?)"
                ),
            ));
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some(open) => open.items.push(node),
            None => self.root = Some(node),
        }
        Ok(())
    }
}

/// Scalars' spans from the parser may run on over trailing blanks; keep them tight.
fn trim_span(file: &SourceFile, span: Span) -> Span {
    let text = file.slice(span);
    let trimmed = text.trim_end();
    Span::new(span.start, span.start + trimmed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Option<Rc<Node>>, Diagnostic> {
        parse(&SourceFile::new("t.yaml", text))
    }

    #[test]
    fn scalars_know_their_position() {
        let file = SourceFile::new("t.yaml", "a: 1\nbb: 'x y'\n");
        let root = parse(&file).unwrap().unwrap();
        let NodeKind::Map(pairs) = &root.kind else {
            panic!()
        };
        assert_eq!(file.slice(pairs[1].0.span), "bb");
        assert_eq!(file.slice(pairs[1].1.span), "'x y'");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse_str(&text).unwrap_err();
        assert_eq!(err.code, Code::InputTooLarge);
    }

    #[test]
    fn deep_nesting_is_refused() {
        // The parser refuses very deep flow nesting itself; block nesting reaches our own limit.
        let flow = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            parse_str(&flow).unwrap_err().code,
            Code::YamlSyntax | Code::InputTooLarge
        ));
        let block: String = (0..100)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect();
        assert_eq!(parse_str(&block).unwrap_err().code, Code::InputTooLarge);
    }

    #[test]
    fn empty_text_is_no_document() {
        assert!(parse_str("").unwrap().is_none());
        assert!(parse_str("# only a comment\n").unwrap().is_none());
    }
}
