//! Spanned YAML layer: parses YAML text into a tree of [`Node`]s in which every node and every
//! byte of every decoded scalar value can be mapped back to its exact byte offset in the file.
//!
//! Parsing is done by `saphyr-parser` (event API); this module builds the tree with an explicit
//! stack, resolves aliases under a size budget and re-derives, for each scalar, a verified
//! decoded → source [`OffsetMap`] (see `scalar_map`).

mod char_index;
mod offset_map;
mod scalar_map;
mod tree;

#[cfg(test)]
mod tests;

pub use offset_map::OffsetMap;
pub use tree::{MAX_ALIAS_BYTES, MAX_ALIAS_NODES, MAX_DEPTH, MAX_NODES};

use crate::span::{FileId, Span};

/// One YAML document of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The root node; `None` for an empty document or one whose root is a null scalar.
    pub root: Option<Node>,
    /// The document in the file (from `---` or its first token to its content end or `...`).
    pub span: Span,
}

/// A YAML node with its location in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// What the node is.
    pub kind: NodeKind,
    /// The whole node in the file, including its anchor and tag if any. A node produced by an
    /// alias is a copy of the anchored node and keeps the anchored node's spans.
    pub span: Span,
}

/// The three kinds of YAML nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A scalar (string) value.
    Scalar(Scalar),
    /// A sequence, in source order.
    Seq(Vec<Node>),
    /// A mapping, in source order, duplicate keys kept.
    Map(Vec<(Node, Node)>),
}

/// The presentation style of a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    /// An unquoted scalar.
    Plain,
    /// A `'single-quoted'` scalar.
    SingleQuoted,
    /// A `"double-quoted"` scalar.
    DoubleQuoted,
    /// A `|` literal block scalar.
    Literal,
    /// A `>` folded block scalar.
    Folded,
}

/// A decoded scalar value with its source map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    /// The decoded value (escapes resolved, lines folded, chomping applied).
    pub value: String,
    /// How the scalar was written.
    pub style: ScalarStyle,
    /// Maps byte offsets of `value` to byte offsets in the file.
    pub map: OffsetMap,
}

/// A YAML syntax error or a resource limit hit while building the tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// What went wrong (the scanner/parser message for syntax errors).
    pub message: String,
    /// Where it went wrong (usually a point).
    pub span: Span,
}

/// Parses all documents of `text` (belonging to `file`).
///
/// # Errors
/// Returns the first syntax error, or a resource-limit error (nesting deeper than
/// [`MAX_DEPTH`], more than [`MAX_NODES`] nodes, alias expansion beyond [`MAX_ALIAS_NODES`] /
/// [`MAX_ALIAS_BYTES`]), or an error for control characters YAML does not allow.
pub fn parse_stream(file: FileId, text: &str) -> Result<Vec<Document>, YamlError> {
    tree::parse(file, text)
}

impl Scalar {
    /// True for the plain null forms: empty, `~`, `null`, `Null`, `NULL`.
    pub fn is_null(&self) -> bool {
        self.style == ScalarStyle::Plain
            && matches!(self.value.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }
}

impl Node {
    /// The scalar, if this node is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The sequence items, if this node is a sequence.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The mapping entries, if this node is a mapping.
    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The scalar value as a string slice, if this node is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|s| s.value.as_str())
    }

    /// True when this node is a null scalar (see [`Scalar::is_null`]).
    pub fn is_null(&self) -> bool {
        self.as_scalar().is_some_and(Scalar::is_null)
    }

    /// The value of the first entry of a mapping whose key is a scalar equal to `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_scalar().is_some_and(|s| s.value == key))
            .map(|(_, v)| v)
    }

    /// A human name for the node's kind: `"null"`, `"scalar"`, `"sequence"` or `"mapping"`.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            NodeKind::Scalar(s) if s.is_null() => "null",
            NodeKind::Scalar(_) => "scalar",
            NodeKind::Seq(_) => "sequence",
            NodeKind::Map(_) => "mapping",
        }
    }
}
