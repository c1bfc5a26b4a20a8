//! A per-file index of what the editor features need: item definitions (every `- rule:`,
//! `- macro:`, `- list:` entry, appends and overrides included), the raw condition texts
//! with their tokens, and candidate references (identifiers and bare strings in conditions,
//! list items, exception values).
//!
//! Built from the compiler's spanned YAML ([`rulec::yaml`]) and condition token stream
//! ([`rulec::condition::tokens`]); local condition offsets are mapped to file offsets with
//! [`MappedText::span_of`]. Offsets are byte offsets in the file.

use rulec::condition::{self, TokenKind};
use rulec::span::FileId;
use rulec::text::MappedText;
use rulec::yaml::{self, Node, NodeKind};

/// The three kinds of named items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Kind {
    Rule,
    Macro,
    List,
}

impl Kind {
    /// The YAML key naming the item (`rule`, `macro`, `list`).
    pub fn key(self) -> &'static str {
        match self {
            Kind::Rule => "rule",
            Kind::Macro => "macro",
            Kind::List => "list",
        }
    }
}

/// A byte range in one file.
pub type Range = (u32, u32);

/// One `- rule:` / `- macro:` / `- list:` entry.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: Kind,
    pub name: String,
    /// The name's characters in the file (without quotes).
    pub name_range: Range,
    /// The whole item mapping.
    pub item_range: Range,
    /// True for `append: true` or `override:` entries (not a first definition).
    pub append: bool,
    /// Raw condition text of this entry, if any.
    pub condition: Option<MappedText>,
    /// Range of the `condition:` value node.
    pub condition_range: Option<Range>,
    /// Keys present in the mapping, with the range of each key.
    pub keys: Vec<(String, Range)>,
}

/// How a candidate reference was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// An identifier token in a condition: a macro reference (or a list name).
    Ident,
    /// A bare string in a condition, a list item or an exception value: a list name if one
    /// exists with that text.
    Bare,
}

/// A candidate reference.
#[derive(Debug, Clone)]
pub struct Ref {
    pub name: String,
    pub range: Range,
    pub kind: RefKind,
    /// Index of the item it appears in.
    pub item: usize,
}

/// A condition token mapped to the file (for semantic tokens).
#[derive(Debug, Clone)]
pub struct CondToken {
    pub range: Range,
    pub kind: TokenKind,
    pub text: String,
}

/// Everything indexed in one file.
#[derive(Debug, Clone, Default)]
pub struct FileIndex {
    pub items: Vec<Item>,
    pub refs: Vec<Ref>,
    pub tokens: Vec<CondToken>,
    /// The YAML error when the file did not parse (the index is then empty).
    pub yaml_error: Option<String>,
}

impl FileIndex {
    /// Indexes `text`.
    pub fn build(text: &str) -> FileIndex {
        let file = FileId(0);
        let mut out = FileIndex::default();
        let docs = match yaml::parse_stream(file, text) {
            Ok(d) => d,
            Err(e) => {
                out.yaml_error = Some(e.message);
                return out;
            }
        };
        for doc in &docs {
            let Some(seq) = doc.root.as_ref().and_then(Node::as_seq) else {
                continue;
            };
            for node in seq {
                out.add_item(node);
            }
        }
        out
    }

    fn add_item(&mut self, node: &Node) {
        let Some(map) = node.as_map() else { return };
        let Some((kind, name_node)) = [Kind::Rule, Kind::Macro, Kind::List]
            .into_iter()
            .find_map(|k| node.get(k.key()).map(|n| (k, n)))
        else {
            return;
        };
        let Some(name_sc) = name_node.as_scalar() else {
            return;
        };
        let name = name_sc.value.clone();
        let name_span = name_sc.map.file_span(FileId(0), 0, to_u32(name.len()));
        let append = node
            .get("append")
            .and_then(Node::as_str)
            .is_some_and(|s| rulec::load::read::parse_yaml_bool(s) == Some(true))
            || node.get("override").is_some();
        let keys = map
            .iter()
            .filter_map(|(k, _)| Some((k.as_str()?.to_owned(), (k.span.start, k.span.end))))
            .collect();
        let idx = self.items.len();
        let mut item = Item {
            kind,
            name,
            name_range: (name_span.start, name_span.end),
            item_range: (node.span.start, node.span.end),
            append,
            condition: None,
            condition_range: None,
            keys,
        };
        if let Some(c) = node.get("condition") {
            if let Some(sc) = c.as_scalar() {
                let text = MappedText::from_scalar(FileId(0), sc);
                self.add_condition(&text, idx);
                item.condition = Some(text);
                item.condition_range = Some((c.span.start, c.span.end));
            }
        }
        if kind == Kind::List {
            if let Some(items) = node.get("items").and_then(Node::as_seq) {
                for it in items {
                    self.add_bare_scalars(it, idx);
                }
            }
        }
        if let Some(exc) = node.get("exceptions").and_then(Node::as_seq) {
            for e in exc {
                if let Some(v) = e.get("values") {
                    self.add_bare_scalars(v, idx);
                }
            }
        }
        self.items.push(item);
    }

    fn add_bare_scalars(&mut self, node: &Node, item: usize) {
        match &node.kind {
            NodeKind::Scalar(sc) => {
                if sc.value.is_empty() {
                    return;
                }
                let s = sc.map.file_span(FileId(0), 0, to_u32(sc.value.len()));
                self.refs.push(Ref {
                    name: sc.value.clone(),
                    range: (s.start, s.end),
                    kind: RefKind::Bare,
                    item,
                });
            }
            NodeKind::Seq(items) => items.iter().for_each(|n| self.add_bare_scalars(n, item)),
            NodeKind::Map(_) => {}
        }
    }

    fn add_condition(&mut self, text: &MappedText, item: usize) {
        for tok in condition::tokens(text.as_str()) {
            if tok.kind == TokenKind::Error {
                continue;
            }
            let Some(span) = text.span_of(tok.span.start, tok.span.end) else {
                continue;
            };
            let range = (span.start, span.end);
            match tok.kind {
                TokenKind::Identifier => self.refs.push(Ref {
                    name: tok.text.clone(),
                    range,
                    kind: RefKind::Ident,
                    item,
                }),
                TokenKind::BareStr => self.refs.push(Ref {
                    name: tok.text.clone(),
                    range,
                    kind: RefKind::Bare,
                    item,
                }),
                _ => {}
            }
            self.tokens.push(CondToken {
                range,
                kind: tok.kind,
                text: tok.text,
            });
        }
    }

    /// The item whose mapping contains `offset` (the last one starting before it).
    pub fn item_at(&self, offset: u32) -> Option<usize> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, it)| it.item_range.0 <= offset)
            .max_by_key(|(_, it)| it.item_range.0)
            .map(|(i, _)| i)
    }
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
