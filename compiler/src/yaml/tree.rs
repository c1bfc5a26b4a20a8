//! Builds the spanned node tree from saphyr-parser events, with an explicit stack (no
//! recursion), alias resolution under a budget, and resource limits.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle as ParserStyle, ScanError, Span as ParserSpan};

use super::char_index::CharIndex;
use super::scalar_map::map_scalar;
use super::{Document, Node, NodeKind, Scalar, ScalarStyle, YamlError};
use crate::span::{to_u32, FileId, Span};

/// Maximum nesting depth of collections (including nodes copied by aliases).
pub const MAX_DEPTH: usize = 1000;
/// Maximum number of nodes produced for one stream (parsed plus copied by aliases).
pub const MAX_NODES: u64 = 10_000_000;
/// Maximum number of nodes copied by alias expansion in one stream ("billion laughs" guard).
pub const MAX_ALIAS_NODES: u64 = 1_000_000;
/// Maximum number of scalar value bytes copied by alias expansion in one stream.
pub const MAX_ALIAS_BYTES: u64 = 256 * 1024 * 1024;

/// Size of a subtree, tracked to bound alias expansion.
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    nodes: u64,
    bytes: u64,
    height: usize,
}

impl Size {
    /// Adds a child's size to a collection's accumulated size.
    fn add_child(&mut self, child: Size) {
        self.nodes = self.nodes.saturating_add(child.nodes);
        self.bytes = self.bytes.saturating_add(child.bytes);
        self.height = self.height.max(child.height);
    }
}

/// The items collected so far for an open collection.
enum Items {
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>, Option<Node>),
}

/// An open collection on the builder stack.
struct Frame {
    items: Items,
    anchor: usize,
    /// File offset of the collection start (including properties).
    start: usize,
    /// End of the last child (or of the start event when there is none).
    content_end: usize,
    size: Size,
}

/// Event-driven tree builder.
struct Builder<'a> {
    file: FileId,
    text: &'a str,
    index: CharIndex<'a>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, Size)>,
    docs: Vec<Document>,
    doc_start: Span,
    root: Option<Node>,
    root_end: usize,
    /// End offset of the previous event (used to place empty scalars).
    last_end: usize,
    nodes: u64,
    alias_nodes: u64,
    alias_bytes: u64,
}

/// Parses `text` into documents; see [`super::parse_stream`].
pub(crate) fn parse(file: FileId, text: &str) -> Result<Vec<Document>, YamlError> {
    check_input(file, text)?;
    let mut b = Builder::new(file, text);
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| b.scan_error(&e))?;
        b.event(event, span)?;
    }
    Ok(b.docs)
}

/// Rejects inputs the spans cannot address and control characters YAML forbids (saphyr treats
/// NUL as end of input, which would silently drop the rest of the file).
fn check_input(file: FileId, text: &str) -> Result<(), YamlError> {
    if u32::try_from(text.len()).map_or(true, |n| n == u32::MAX) {
        return Err(YamlError {
            message: "YAML input too large (limit 4 GiB)".into(),
            span: Span::point(file, 0),
        });
    }
    let bad = text
        .bytes()
        .position(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f);
    match bad {
        Some(pos) => Err(YamlError {
            message: format!(
                "invalid control character U+{:04X} in YAML input",
                text.as_bytes().get(pos).copied().unwrap_or(0)
            ),
            span: Span::new(file, to_u32(pos), to_u32(pos + 1)),
        }),
        None => Ok(()),
    }
}

/// Converts the parser's scalar style.
fn style_of(style: ParserStyle) -> ScalarStyle {
    match style {
        ParserStyle::Plain => ScalarStyle::Plain,
        ParserStyle::SingleQuoted => ScalarStyle::SingleQuoted,
        ParserStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
        ParserStyle::Literal => ScalarStyle::Literal,
        ParserStyle::Folded => ScalarStyle::Folded,
    }
}

impl<'a> Builder<'a> {
    fn new(file: FileId, text: &'a str) -> Self {
        Builder {
            file,
            text,
            index: CharIndex::new(text),
            stack: Vec::new(),
            anchors: HashMap::new(),
            docs: Vec::new(),
            doc_start: Span::point(file, 0),
            root: None,
            root_end: 0,
            last_end: 0,
            nodes: 0,
            alias_nodes: 0,
            alias_bytes: 0,
        }
    }

    /// A [`YamlError`] at file offset `at`.
    fn error(&self, message: impl Into<String>, at: usize) -> YamlError {
        YamlError {
            message: message.into(),
            span: Span::point(self.file, to_u32(at)),
        }
    }

    /// Converts a scanner/parser error, keeping its message and exact byte position.
    fn scan_error(&self, e: &ScanError) -> YamlError {
        let message = match e.info() {
            "recursion limit exceeded" => {
                "YAML nesting too deep (flow collections nested more than 255 levels)".to_string()
            }
            info => info.to_string(),
        };
        self.error(message, self.index.byte(e.marker().index()))
    }

    /// File byte range of a parser span.
    fn range(&self, span: ParserSpan) -> (usize, usize) {
        let start = self.index.byte(span.start.index());
        (start, self.index.byte(span.end.index()).max(start))
    }

    /// Handles one parser event.
    fn event(&mut self, event: Event<'_>, span: ParserSpan) -> Result<(), YamlError> {
        let (start, end) = self.range(span);
        match event {
            Event::DocumentStart(_) => {
                self.doc_start = Span::new(self.file, to_u32(start), to_u32(end));
                self.root = None;
                self.root_end = end;
            }
            Event::DocumentEnd => self.end_document(start, end),
            Event::Alias(id) => self.alias(id, start, end)?,
            Event::Scalar(value, style, anchor, _tag) => {
                self.scalar(value.into_owned(), style_of(style), anchor, start, end)?;
            }
            Event::SequenceStart(anchor, _tag) => {
                self.open(Items::Seq(Vec::new()), anchor, start, end)?
            }
            Event::MappingStart(anchor, _tag) => {
                self.open(Items::Map(Vec::new(), None), anchor, start, end)?;
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(start, end)?,
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        self.last_end = end;
        Ok(())
    }

    /// Finishes the current document.
    fn end_document(&mut self, start: usize, end: usize) {
        let root = self.root.take().filter(|r| !r.is_null());
        let explicit_end = self.text.get(start..end) == Some("...");
        let content_end = if explicit_end { end } else { self.root_end };
        let span = Span::new(self.file, self.doc_start.start, to_u32(content_end));
        self.docs.push(Document {
            root,
            span: span.to(self.doc_start),
        });
    }

    /// Handles a scalar event.
    fn scalar(
        &mut self,
        value: String,
        style: ScalarStyle,
        anchor: usize,
        start: usize,
        end: usize,
    ) -> Result<(), YamlError> {
        let has_props = matches!(self.text.as_bytes().get(start), Some(b'&' | b'!'));
        let (start, end) = if value.is_empty() && style == ScalarStyle::Plain && !has_props {
            // Empty scalars carry the span of the following token: place them after the
            // previous one instead.
            (self.last_end, self.last_end)
        } else {
            (start, end)
        };
        self.count(1, start)?;
        let (map, (start, end)) = map_scalar(self.text, style, start, end, &value);
        let size = Size {
            nodes: 1,
            bytes: value.len() as u64,
            height: 0,
        };
        let node = Node {
            kind: NodeKind::Scalar(Scalar { value, style, map }),
            span: Span::new(self.file, to_u32(start), to_u32(end)),
        };
        self.attach(node, size, anchor, end)
    }

    /// Handles an alias by copying the anchored node, within the expansion budget.
    fn alias(&mut self, id: usize, start: usize, end: usize) -> Result<(), YamlError> {
        let Some(&(_, size)) = self.anchors.get(&id) else {
            return Err(self.error("found undefined alias", start));
        };
        self.alias_nodes = self.alias_nodes.saturating_add(size.nodes);
        self.alias_bytes = self.alias_bytes.saturating_add(size.bytes);
        if self.alias_nodes > MAX_ALIAS_NODES || self.alias_bytes > MAX_ALIAS_BYTES {
            return Err(self.error(
                format!(
                    "alias expansion too large (more than {MAX_ALIAS_NODES} nodes or \
                     {MAX_ALIAS_BYTES} bytes copied; possible \"billion laughs\" attack)"
                ),
                start,
            ));
        }
        if self.stack.len() + size.height > MAX_DEPTH {
            return Err(self.error(format!("YAML nesting too deep (limit {MAX_DEPTH})"), start));
        }
        self.count(size.nodes, start)?;
        let Some((node, _)) = self.anchors.get(&id) else {
            return Err(self.error("found undefined alias", start));
        };
        let node = node.clone();
        self.attach(node, size, 0, end)
    }

    /// Opens a collection.
    fn open(
        &mut self,
        items: Items,
        anchor: usize,
        start: usize,
        end: usize,
    ) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error(format!("YAML nesting too deep (limit {MAX_DEPTH})"), start));
        }
        self.count(1, start)?;
        let size = Size::default();
        self.stack.push(Frame {
            items,
            anchor,
            start,
            content_end: end,
            size,
        });
        Ok(())
    }

    /// Closes the innermost collection.
    fn close(&mut self, start: usize, end: usize) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Err(self.error("unbalanced collection end", start));
        };
        // Flow collections end with `]`/`}`; block ones with an empty span at the next token.
        let node_end = if end > start { end } else { frame.content_end };
        let kind = match frame.items {
            Items::Seq(items) => NodeKind::Seq(items),
            Items::Map(entries, _) => NodeKind::Map(entries),
        };
        let size = Size {
            nodes: frame.size.nodes.saturating_add(1),
            bytes: frame.size.bytes,
            height: frame.size.height + 1,
        };
        let node = Node {
            kind,
            span: Span::new(self.file, to_u32(frame.start), to_u32(node_end)),
        };
        self.attach(node, size, frame.anchor, node_end)
    }

    /// Counts `n` produced nodes against [`MAX_NODES`].
    fn count(&mut self, n: u64, at: usize) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(self.error(
                format!("YAML stream too large (more than {MAX_NODES} nodes)"),
                at,
            ));
        }
        Ok(())
    }

    /// Records a finished node: registers its anchor and adds it to its parent (or the root).
    fn attach(
        &mut self,
        node: Node,
        size: Size,
        anchor: usize,
        end: usize,
    ) -> Result<(), YamlError> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            self.root_end = end;
            return Ok(());
        };
        frame.size.add_child(size);
        frame.content_end = frame.content_end.max(end);
        match &mut frame.items {
            Items::Seq(items) => items.push(node),
            Items::Map(entries, pending) => match pending.take() {
                Some(key) => entries.push((key, node)),
                None => *pending = Some(node),
            },
        }
        Ok(())
    }
}
