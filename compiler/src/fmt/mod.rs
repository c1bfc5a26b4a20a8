//! `falco-rulec fmt`: a canonical, comment-preserving layout for rules files.
//!
//! The formatter re-emits the spanned YAML tree ([`crate::yaml`]) in one layout:
//!
//! * items as `- key: value` with 2-space indentation; keys of an item in canonical order
//!   (the kind key, then `desc condition output priority enabled source tags exceptions items
//!   append override warn_evttypes skip-if-unknown-filter capture capture_duration`, then
//!   unknown keys in their original order); nested mappings keep their order;
//! * scalars plain when YAML reads them back as the same string (type-ambiguous values such as
//!   `true` or `80` keep their plain/quoted choice), else single quotes, else double quotes;
//!   values that end with a newline or do not fit the width as folded `>` blocks wrapped at
//!   the width (only at single spaces, so the string is unchanged), multi-line values as `|`;
//! * conditions re-laid out token-preservingly ([`cond`]): one line when they fit, otherwise a
//!   folded block with a line break before every top-level `and`/`or`;
//! * sequences of scalars as flow sequences `[a, b]` wrapped at the width with continuation
//!   lines aligned after `[`; other sequences as block sequences;
//! * comments, blank lines before items and comments (collapsed to one), `---` markers and the
//!   order of items are kept.
//!
//! [`format_source`] verifies every result with [`verify`]: both texts must load to the same
//! lists, macros, rules and diagnostics, have the same YAML content and the same comments.

mod comments;
mod cond;
mod scalar;
mod verify;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_props;

use std::collections::HashMap;

pub use comments::{scan as scan_comments, Comment};
pub use verify::verify;

use crate::span::FileId;
use crate::yaml::{parse_stream, Document, Node, NodeKind};
use comments::{is_blank_line, line_of, line_starts};
use scalar::Out;

/// Formatter options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FmtOptions {
    /// Target line width.
    pub width: usize,
}

impl Default for FmtOptions {
    fn default() -> Self {
        FmtOptions { width: 100 }
    }
}

/// Why a file was not formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FmtError {
    /// The input is not valid YAML.
    #[error("invalid YAML: {0}")]
    Yaml(String),
    /// The input does not load (it has errors); nothing is formatted.
    #[error("the file does not load: {0}")]
    Load(String),
    /// The input uses a YAML feature the formatter does not reproduce.
    #[error("unsupported YAML: {0}")]
    Unsupported(String),
    /// The formatted text would not be equivalent (a formatter bug); nothing is written.
    #[error("formatting would change the file's meaning, refusing to write: {0}")]
    Verify(String),
}

/// Formats a rules file and verifies that the result is equivalent (see [`verify`]).
///
/// # Errors
/// The input is not YAML, does not load without errors, uses anchors/aliases or directives,
/// or the formatted text failed verification.
pub fn format_source(text: &str, opts: &FmtOptions) -> Result<String, FmtError> {
    let outcome = verify::load(text);
    if let Some(e) = outcome.results.iter().flat_map(|r| r.errors()).next() {
        return Err(FmtError::Load(format!("{} {}", e.code.id(), e.message)));
    }
    let out = format_unverified(text, opts)?;
    verify::verify_against(text, &outcome, &out)?;
    Ok(out)
}

/// Formats without loading or verifying (the layout only).
///
/// # Errors
/// Invalid YAML, or YAML features the formatter does not reproduce.
pub fn format_unverified(text: &str, opts: &FmtOptions) -> Result<String, FmtError> {
    let docs = parse_stream(FileId::default(), text).map_err(|e| FmtError::Yaml(e.message))?;
    if text.starts_with('%') || text.contains("\n%") {
        return Err(FmtError::Unsupported("YAML directives (`%...`)".into()));
    }
    let mut f = Formatter::new(text, &docs, opts)?;
    for doc in &docs {
        f.document(doc)?;
    }
    let tail = std::mem::take(&mut f.tail);
    for c in &tail {
        if c.blank_before {
            f.blank();
        }
        f.out.push(c.text.clone());
    }
    if f.out.is_empty() {
        return Ok(String::new());
    }
    let mut s = f.out.join("\n");
    s.push('\n');
    Ok(s)
}

/// What an anchor (a place comments attach to) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AKind {
    /// A `---` marker.
    Doc,
    /// A sequence element (top-level items included).
    Elem,
    /// A mapping entry (at its key).
    Entry,
}

type AKey = (u32, AKind);

#[derive(Debug, Default)]
struct Attached {
    leading: Vec<Comment>,
    trailing: Option<String>,
}

/// Rank of a key in an item (lower first); `kind` is the item's classifying key.
fn key_rank(key: &str, kind: Option<&str>) -> usize {
    const ORDER: &[&str] = &[
        "desc",
        "condition",
        "output",
        "priority",
        "enabled",
        "source",
        "tags",
        "exceptions",
        "items",
        "append",
        "override",
        "warn_evttypes",
        "skip-if-unknown-filter",
        "capture",
        "capture_duration",
    ];
    if Some(key) == kind {
        return 0;
    }
    ORDER
        .iter()
        .position(|k| *k == key)
        .map_or(usize::MAX, |p| p + 1)
}

/// The classifying key of an item (spec §1.2).
pub(crate) fn item_kind(entries: &[(Node, Node)]) -> Option<&'static str> {
    [
        "required_engine_version",
        "required_plugin_versions",
        "list",
        "macro",
        "rule",
    ]
    .into_iter()
    .find(|k| entries.iter().any(|(key, _)| key.as_str() == Some(k)))
}

/// Entries of an item in canonical order (stable).
pub(crate) fn ordered(entries: &[(Node, Node)]) -> Vec<&(Node, Node)> {
    let kind = item_kind(entries);
    let mut v: Vec<&(Node, Node)> = entries.iter().collect();
    v.sort_by_key(|(k, _)| k.as_str().map_or(usize::MAX, |s| key_rank(s, kind)));
    v
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

/// The text of a null scalar as written (`~`, `null`, or empty).
fn null_text(n: &Node) -> Option<&str> {
    n.as_scalar()
        .filter(|s| s.is_null())
        .map(|s| s.value.as_str())
}

struct Formatter<'a> {
    text: &'a str,
    starts: Vec<usize>,
    width: usize,
    att: HashMap<AKey, Attached>,
    lines: HashMap<AKey, usize>,
    tail: Vec<Comment>,
    out: Vec<String>,
}

impl<'a> Formatter<'a> {
    fn new(text: &'a str, docs: &[Document], opts: &FmtOptions) -> Result<Self, FmtError> {
        let starts = line_starts(text);
        // Anchors in source order.
        let mut anchors: Vec<(usize, AKey)> = Vec::new();
        let mut last = 0u32;
        let mut push = |off: u32, kind: AKind, anchors: &mut Vec<(usize, AKey)>| {
            if off < last {
                return Err(FmtError::Unsupported(
                    "anchors and aliases (`&a` / `*a`)".into(),
                ));
            }
            last = off;
            anchors.push((line_of(&starts, off as usize), (off, kind)));
            Ok(())
        };
        for doc in docs {
            if text
                .get(doc.span.start as usize..)
                .is_some_and(|t| t.starts_with("---"))
            {
                push(doc.span.start, AKind::Doc, &mut anchors)?;
            }
            let Some(root) = &doc.root else { continue };
            let mut stack: Vec<(&Node, Option<AKind>)> = vec![(root, None)];
            while let Some((n, kind)) = stack.pop() {
                if let Some(k) = kind {
                    push(n.span.start, k, &mut anchors)?;
                }
                match &n.kind {
                    NodeKind::Scalar(_) => {}
                    NodeKind::Seq(items) => {
                        stack.extend(items.iter().rev().map(|i| (i, Some(AKind::Elem))));
                    }
                    NodeKind::Map(entries) => {
                        for (k, v) in entries.iter().rev() {
                            stack.push((v, None));
                            stack.push((k, Some(AKind::Entry)));
                        }
                    }
                }
            }
        }
        let mut att: HashMap<AKey, Attached> = HashMap::new();
        let mut tail = Vec::new();
        for c in comments::scan(text, docs) {
            if c.full_line {
                let i = anchors.partition_point(|(l, _)| *l <= c.line);
                match anchors.get(i) {
                    Some((_, k)) => att.entry(*k).or_default().leading.push(c),
                    None => tail.push(c),
                }
            } else {
                let i = anchors.partition_point(|(l, _)| *l <= c.line);
                let free = i > 0
                    && att
                        .get(&anchors[i - 1].1)
                        .is_none_or(|a| a.trailing.is_none());
                if free {
                    att.entry(anchors[i - 1].1).or_default().trailing = Some(c.text);
                } else {
                    let c = Comment {
                        full_line: true,
                        ..c
                    };
                    match anchors.get(i) {
                        Some((_, k)) => att.entry(*k).or_default().leading.push(c),
                        None => tail.push(c),
                    }
                }
            }
        }
        let lines = anchors.iter().map(|(l, k)| (*k, *l)).collect();
        Ok(Formatter {
            text,
            starts,
            width: opts.width,
            att,
            lines,
            tail,
            out: Vec::new(),
        })
    }

    fn blank(&mut self) {
        if self.out.last().is_some_and(|l| !l.is_empty()) {
            self.out.push(String::new());
        }
    }

    /// Leading comments of `key` at column `col`, and the blank lines before them.
    fn leading(&mut self, key: AKey, col: usize, allow_blank: bool) {
        let comments = self
            .att
            .get_mut(&key)
            .map(|a| std::mem::take(&mut a.leading))
            .unwrap_or_default();
        for c in comments {
            if allow_blank && c.blank_before {
                self.blank();
            }
            self.out.push(format!("{}{}", spaces(col), c.text));
        }
        let blank_before = self
            .lines
            .get(&key)
            .is_some_and(|&l| l > 0 && is_blank_line(self.text, &self.starts, l - 1));
        if allow_blank && blank_before {
            self.blank();
        }
    }

    fn trailing(&mut self, key: AKey) -> Option<String> {
        self.att.get_mut(&key).and_then(|a| a.trailing.take())
    }

    fn push(&mut self, line: String, trailing: Option<String>) {
        match trailing {
            Some(t) => self.out.push(format!("{line}  {t}")),
            None => self.out.push(line),
        }
    }

    fn document(&mut self, doc: &Document) -> Result<(), FmtError> {
        if self
            .text
            .get(doc.span.start as usize..)
            .is_some_and(|t| t.starts_with("---"))
        {
            let key = (doc.span.start, AKind::Doc);
            self.leading(key, 0, true);
            let t = self.trailing(key);
            self.push("---".into(), t);
        }
        match doc.root.as_ref().map(|r| &r.kind) {
            None => Ok(()),
            Some(NodeKind::Seq(items)) => {
                for item in items {
                    self.elem(item, 0, true)?;
                }
                Ok(())
            }
            Some(_) => Err(FmtError::Unsupported(
                "a document that is not a sequence of items".into(),
            )),
        }
    }

    /// A block sequence element at dash column `col`; `top`: a rules-file item.
    fn elem(&mut self, n: &Node, col: usize, top: bool) -> Result<(), FmtError> {
        let key = (n.span.start, AKind::Elem);
        self.leading(key, col, true);
        let dash = format!("{}-", spaces(col));
        match &n.kind {
            NodeKind::Map(entries) if !entries.is_empty() => {
                let list: Vec<&(Node, Node)> = if top {
                    ordered(entries)
                } else {
                    entries.iter().collect()
                };
                let cond_item = top && matches!(item_kind(entries), Some("macro" | "rule"));
                let mut extra = self.trailing(key);
                for (i, (k, v)) in list.into_iter().enumerate() {
                    let ekey = (k.span.start, AKind::Entry);
                    let lead = if i == 0 {
                        self.leading(ekey, col, false);
                        format!("{dash} ")
                    } else {
                        self.leading(ekey, col + 2, true);
                        spaces(col + 2)
                    };
                    self.entry(k, v, lead, col + 2, cond_item, extra.take())?;
                }
            }
            NodeKind::Map(_) => {
                let t = self.trailing(key);
                self.push(format!("{dash} {{}}"), t);
            }
            NodeKind::Scalar(s) => {
                let t = self.trailing(key);
                if let Some(nt) = null_text(n) {
                    let line = if nt.is_empty() {
                        dash
                    } else {
                        format!("{dash} {nt}")
                    };
                    self.push(line, t);
                } else {
                    let plain = s.style == crate::yaml::ScalarStyle::Plain;
                    let out = scalar::block_value(&s.value, plain, col, col + 2, self.width);
                    self.value_out(format!("{dash} "), out, col, t);
                }
            }
            NodeKind::Seq(items) => {
                let t = self.trailing(key);
                if items.is_empty() {
                    self.push(format!("{dash} []"), t);
                } else if items.iter().all(|i| i.as_scalar().is_some()) {
                    self.flow(format!("{dash} ["), t, items);
                } else {
                    self.push(dash, t);
                    for i in items {
                        self.elem(i, col + 2, false)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes `head` + a scalar layout; block content is indented at `col + 2`.
    fn value_out(&mut self, head: String, out: Out, col: usize, t: Option<String>) {
        match out {
            Out::Inline(s) => self.push(format!("{head}{s}"), t),
            Out::Block(h, lines) => {
                self.push(format!("{head}{h}"), t);
                for l in lines {
                    self.out.push(format!("{}{l}", spaces(col + 2)));
                }
            }
        }
    }

    /// A mapping entry whose key starts at column `col`, written after `lead`.
    fn entry(
        &mut self,
        k: &Node,
        v: &Node,
        lead: String,
        col: usize,
        cond_item: bool,
        extra_trailing: Option<String>,
    ) -> Result<(), FmtError> {
        let ks = k
            .as_scalar()
            .ok_or_else(|| FmtError::Unsupported("a mapping key that is not a scalar".into()))?;
        let ktext = if ks.is_null() && ks.value.is_empty() {
            return Err(FmtError::Unsupported("an empty mapping key".into()));
        } else {
            scalar::inline(
                &ks.value,
                false,
                ks.style == crate::yaml::ScalarStyle::Plain,
            )
        };
        let t = self
            .trailing((k.span.start, AKind::Entry))
            .or(extra_trailing);
        let head = format!("{lead}{ktext}:");
        match &v.kind {
            NodeKind::Scalar(s) => {
                if let Some(nt) = null_text(v) {
                    let line = if nt.is_empty() {
                        head
                    } else {
                        format!("{head} {nt}")
                    };
                    self.push(line, t);
                    return Ok(());
                }
                let prefix = scalar::width(&head) + 1;
                let plain = s.style == crate::yaml::ScalarStyle::Plain;
                let out = if cond_item && ks.value == "condition" {
                    cond::layout(&s.value, col, prefix, self.width)
                } else {
                    None
                }
                .unwrap_or_else(|| scalar::block_value(&s.value, plain, col, prefix, self.width));
                self.value_out(format!("{head} "), out, col, t);
            }
            NodeKind::Seq(items) if items.is_empty() => self.push(format!("{head} []"), t),
            NodeKind::Seq(items) if items.iter().all(|i| i.as_scalar().is_some()) => {
                self.flow(format!("{head} ["), t, items);
            }
            NodeKind::Seq(items) => {
                self.push(head, t);
                for i in items {
                    self.elem(i, col + 2, false)?;
                }
            }
            NodeKind::Map(entries) if entries.is_empty() => self.push(format!("{head} {{}}"), t),
            NodeKind::Map(entries) => {
                self.push(head, t);
                for (k2, v2) in entries {
                    self.leading((k2.span.start, AKind::Entry), col + 2, true);
                    self.entry(k2, v2, spaces(col + 2), col + 2, false, None)?;
                }
            }
        }
        Ok(())
    }

    /// A flow sequence of scalars after `prefix` (which ends with `[`), wrapped at the width
    /// with continuation lines aligned after the `[`.
    fn flow(&mut self, prefix: String, trailing: Option<String>, items: &[Node]) {
        let cont = scalar::width(&prefix);
        let mut cur = prefix;
        let mut has = false;
        let mut fresh = false;
        if let Some(t) = trailing {
            self.out.push(format!("{cur}  {t}"));
            cur = spaces(cont);
            fresh = true;
        }
        let n = items.len();
        for (i, item) in items.iter().enumerate() {
            let key = (item.span.start, AKind::Elem);
            let text = match item.as_scalar() {
                Some(s) if s.is_null() => {
                    if s.value.is_empty() {
                        "~".to_string()
                    } else {
                        s.value.clone()
                    }
                }
                Some(s) => {
                    scalar::inline(&s.value, true, s.style == crate::yaml::ScalarStyle::Plain)
                }
                None => String::new(),
            };
            let piece = format!("{text}{}", if i + 1 == n { "]" } else { "," });
            let leading = self
                .att
                .get_mut(&key)
                .map(|a| std::mem::take(&mut a.leading))
                .unwrap_or_default();
            if !leading.is_empty() {
                if !fresh {
                    self.out.push(std::mem::replace(&mut cur, spaces(cont)));
                    has = false;
                }
                for c in leading {
                    self.out.push(format!("{}{}", spaces(cont), c.text));
                }
            }
            if has && scalar::width(&cur) + 1 + scalar::width(&piece) > self.width {
                self.out.push(std::mem::replace(&mut cur, spaces(cont)));
                has = false;
            }
            if has {
                cur.push(' ');
            }
            cur.push_str(&piece);
            has = true;
            fresh = false;
            if let Some(t) = self.trailing(key) {
                self.out.push(format!("{cur}  {t}"));
                cur = spaces(cont);
                has = false;
                fresh = true;
            }
        }
        if !fresh {
            self.out.push(cur);
        }
    }
}
