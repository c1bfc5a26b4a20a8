//! Finding YAML comments in the source text (comments are not part of the node tree).

use crate::yaml::{Document, Node, NodeKind, ScalarStyle};

/// One comment of the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// 0-based line.
    pub line: usize,
    /// The comment text from `#`, without trailing blanks.
    pub text: String,
    /// Nothing but blanks before the `#` on its line.
    pub full_line: bool,
    /// The line before is blank.
    pub blank_before: bool,
}

/// Byte offsets of the start of each line.
pub(crate) fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    v
}

/// The 0-based line of `offset`.
pub(crate) fn line_of(starts: &[usize], offset: usize) -> usize {
    starts.partition_point(|&s| s <= offset).saturating_sub(1)
}

/// True when line `l` holds only blanks.
pub(crate) fn is_blank_line(text: &str, starts: &[usize], l: usize) -> bool {
    let Some(&s) = starts.get(l) else {
        return false;
    };
    let e = starts.get(l + 1).copied().unwrap_or(text.len());
    text.get(s..e)
        .is_some_and(|t| t.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\n')))
}

/// Byte ranges covered by scalar nodes (where a `#` is content, not a comment). For block
/// scalars the rest of the header line is excluded (it may hold a comment).
fn scalar_ranges(text: &str, docs: &[Document]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut stack: Vec<&Node> = docs.iter().filter_map(|d| d.root.as_ref()).collect();
    while let Some(n) = stack.pop() {
        match &n.kind {
            NodeKind::Scalar(s) => {
                let (mut a, b) = (n.span.start as usize, n.span.end as usize);
                if matches!(s.style, ScalarStyle::Literal | ScalarStyle::Folded) {
                    a = text
                        .get(a..)
                        .and_then(|t| t.find('\n'))
                        .map_or(b, |i| (a + i).min(b));
                }
                if a < b {
                    out.push((a, b));
                }
            }
            NodeKind::Seq(items) => stack.extend(items.iter()),
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    stack.push(k);
                    stack.push(v);
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// Every comment of `text` (parsed as `docs`), in source order.
pub fn scan(text: &str, docs: &[Document]) -> Vec<Comment> {
    let ranges = scalar_ranges(text, docs);
    let inside = |off: usize| {
        let i = ranges.partition_point(|&(a, _)| a <= off);
        // Scalars never overlap, so only the last range starting at or before `off` matters.
        i > 0 && off < ranges[i - 1].1
    };
    let starts = line_starts(text);
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (l, &s) in starts.iter().enumerate() {
        let e = starts.get(l + 1).map_or(text.len(), |&n| n - 1);
        let mut j = s;
        while j < e {
            if bytes[j] == b'#' && (j == s || matches!(bytes[j - 1], b' ' | b'\t')) && !inside(j) {
                let t = text.get(j..e).unwrap_or("").trim_end();
                let full_line = text
                    .get(s..j)
                    .is_some_and(|p| p.chars().all(|c| c == ' ' || c == '\t'));
                out.push(Comment {
                    line: l,
                    text: t.to_string(),
                    full_line,
                    blank_before: l > 0 && is_blank_line(text, &starts, l - 1),
                });
                break;
            }
            j += 1;
        }
    }
    out
}
