//! Byte offsets ↔ LSP positions (UTF-16 code units, the protocol's default encoding) and
//! incremental text edits.

use tower_lsp_server::ls_types::{Position, Range};

/// Line starts of a text, for offset/position conversion.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Builds the index (`\n`, `\r\n` and lone `\r` end lines, as in the compiler).
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let b = text.as_bytes();
        for i in 0..b.len() {
            if b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        LineIndex { starts }
    }

    /// The LSP position of byte `offset` (clamped, snapped down to a char boundary).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        let start = self.starts[line];
        let col: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(to_u32(line), to_u32(col))
    }

    /// The byte offset of an LSP position (clamped to the line end / text end).
    pub fn offset(&self, text: &str, pos: Position) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .copied()
            .unwrap_or(text.len());
        let line = &text[start..end];
        let line = line.trim_end_matches(['\n', '\r']);
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            if units >= pos.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }

    /// The LSP range of bytes `start..end`.
    pub fn range(&self, text: &str, start: usize, end: usize) -> Range {
        Range::new(self.position(text, start), self.position(text, end))
    }
}

/// Applies one LSP content change (a range edit, or the whole text when `range` is `None`).
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str) {
    match range {
        None => *text = new_text.to_owned(),
        Some(r) => {
            let idx = LineIndex::new(text);
            let a = idx.offset(text, r.start);
            let b = idx.offset(text, r.end).max(a);
            text.replace_range(a..b, new_text);
        }
    }
}

pub(crate) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_round_trip() {
        let t = "ab\né😀x\r\ny";
        let idx = LineIndex::new(t);
        let x = t.find('x').unwrap_or(0);
        let p = idx.position(t, x);
        assert_eq!(p, Position::new(1, 3));
        assert_eq!(idx.offset(t, p), x);
        assert_eq!(idx.offset(t, Position::new(2, 0)), t.len() - 1);
        assert_eq!(idx.offset(t, Position::new(0, 99)), 2);
    }

    #[test]
    fn incremental_edit() {
        let mut t = String::from("hello\nworld\n");
        apply_change(
            &mut t,
            Some(Range::new(Position::new(1, 0), Position::new(1, 5))),
            "there",
        );
        assert_eq!(t, "hello\nthere\n");
        apply_change(&mut t, None, "x");
        assert_eq!(t, "x");
    }
}
