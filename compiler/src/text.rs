//! Strings that remember where each byte came from.
//!
//! Conditions are assembled textually (exceptions appended, list items substituted, macro
//! appends concatenated) exactly as Falco does, but every byte keeps its origin in a file, so
//! a parse error at byte 312 of an expanded condition is reported at the list item or
//! exception value it came from.

use crate::span::{to_u32, FileId, Span};
use crate::yaml::Scalar;

/// Where one byte of a [`MappedText`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub file: FileId,
    /// Byte offset in `file`, or [`Origin::SYNTHETIC`] for bytes the loader inserted.
    pub offset: u32,
}

impl Origin {
    /// Marker offset of inserted bytes (blanks, parentheses, `and not`).
    pub const SYNTHETIC: u32 = u32::MAX;

    fn synthetic() -> Self {
        Origin {
            file: FileId(0),
            offset: Self::SYNTHETIC,
        }
    }

    fn is_synthetic(self) -> bool {
        self.offset == Self::SYNTHETIC
    }
}

/// A string plus one [`Origin`] per byte.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappedText {
    text: String,
    origins: Vec<Origin>,
}

impl MappedText {
    /// Text with no file origin.
    pub fn synthetic(text: &str) -> Self {
        MappedText {
            text: text.to_owned(),
            origins: vec![Origin::synthetic(); text.len()],
        }
    }

    /// The decoded value of a YAML scalar, mapped byte by byte to the file.
    pub fn from_scalar(file: FileId, scalar: &Scalar) -> Self {
        let mut origins = Vec::with_capacity(scalar.value.len());
        scalar
            .map
            .for_each_file_offset(|offset| origins.push(Origin { file, offset }));
        // A map shorter than the value (not produced by the decoder) maps the rest to its end.
        origins.resize(
            scalar.value.len(),
            Origin {
                file,
                offset: scalar.map.end(),
            },
        );
        MappedText {
            text: scalar.value.clone(),
            origins,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Appends inserted text.
    pub fn push_synthetic(&mut self, s: &str) {
        self.text.push_str(s);
        self.origins
            .extend(std::iter::repeat_n(Origin::synthetic(), s.len()));
    }

    /// Appends another mapped text, keeping its origins.
    pub fn push(&mut self, other: &MappedText) {
        self.text.push_str(&other.text);
        self.origins.extend_from_slice(&other.origins);
    }

    /// Replaces the bytes `start..end` with `with`. Both ends must be char boundaries.
    pub fn replace_range(&mut self, start: usize, end: usize, with: &MappedText) {
        self.text.replace_range(start..end, &with.text);
        self.origins
            .splice(start..end, with.origins.iter().copied());
    }

    /// The file span covering local bytes `start..end`, if those bytes come from one file.
    ///
    /// Synthetic bytes at either end are skipped; an empty range maps to the point where
    /// the next real byte came from.
    pub fn span_of(&self, start: u32, end: u32) -> Option<Span> {
        let (start, end) = (start as usize, (end as usize).min(self.origins.len()));
        let first = self
            .origins
            .get(start..end.max(start))?
            .iter()
            .position(|o| !o.is_synthetic());
        let Some(first) = first.map(|i| start + i) else {
            return self.point_near(start);
        };
        let last = self.origins[first..end]
            .iter()
            .rposition(|o| !o.is_synthetic())
            .map_or(first, |i| first + i);
        let (a, b) = (self.origins[first], self.origins[last]);
        if a.file == b.file && b.offset >= a.offset {
            let width = self
                .text
                .get(last..)
                .and_then(|s| s.chars().next())
                .map_or(1, char::len_utf8);
            Some(Span::new(a.file, a.offset, b.offset + to_u32(width)))
        } else {
            Some(Span::point(a.file, a.offset))
        }
    }

    /// A point span at the first real byte at or after `at` (or before it, at the end).
    fn point_near(&self, at: usize) -> Option<Span> {
        let after = self
            .origins
            .get(at..)
            .and_then(|o| o.iter().find(|o| !o.is_synthetic()));
        let before = || {
            self.origins
                .get(..at)
                .and_then(|o| o.iter().rev().find(|o| !o.is_synthetic()))
        };
        after.or_else(before).map(|o| Span::point(o.file, o.offset))
    }
}

impl MappedText {
    /// The bytes `start..end` (clamped, snapped to char boundaries) with their origins.
    pub fn slice(&self, start: usize, end: usize) -> MappedText {
        let end = end.min(self.text.len());
        let start = start.min(end);
        let (start, end) = (
            floor_boundary(&self.text, start),
            floor_boundary(&self.text, end),
        );
        MappedText {
            text: self.text[start..end].to_owned(),
            origins: self.origins[start..end].to_vec(),
        }
    }

    /// The text without leading and trailing whitespace (as C++ `trim` does for outputs).
    pub fn trimmed(&self) -> MappedText {
        let t = self.text.as_str();
        let is_ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c');
        let start = t.len() - t.trim_start_matches(is_ws).len();
        let end = t.trim_end_matches(is_ws).len().max(start);
        self.slice(start, end)
    }

    /// The local byte index whose origin is exactly `span.start`, if any.
    pub fn local_of(&self, span: Span) -> Option<u32> {
        self.origins
            .iter()
            .position(|o| o.file == span.file && o.offset == span.start)
            .map(to_u32)
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real(text: &str, file: u32, base: u32) -> MappedText {
        MappedText {
            text: text.to_owned(),
            origins: (0..text.len())
                .map(|i| Origin {
                    file: FileId(file),
                    offset: base + to_u32(i),
                })
                .collect(),
        }
    }

    #[test]
    fn spans_skip_synthetic_bytes() {
        let mut t = MappedText::synthetic("(");
        t.push(&real("proc.name=x", 0, 100));
        t.push_synthetic(") and not (");
        assert_eq!(t.span_of(1, 10), Some(Span::new(FileId(0), 100, 109)));
        assert_eq!(t.span_of(0, 3), Some(Span::new(FileId(0), 100, 102)));
        assert_eq!(t.span_of(12, 14), Some(Span::point(FileId(0), 110)));
    }

    #[test]
    fn replace_keeps_origins_of_inserted_text() {
        let mut t = real("x in (bins)", 0, 0);
        t.replace_range(6, 10, &real("ash, sh", 1, 50));
        assert_eq!(t.as_str(), "x in (ash, sh)");
        assert_eq!(t.span_of(6, 9), Some(Span::new(FileId(1), 50, 53)));
    }
}
