//! Source files, byte spans and line/column lookup.
//!
//! Every node the compiler produces carries a [`Span`] into one of the files of a
//! [`SourceMap`]; line and column numbers are computed only when a diagnostic is rendered.

use std::fmt;

/// Identifies one file registered in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A half-open byte range `start..end` inside one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span covering `start..end` in `file`.
    pub fn new(file: FileId, start: u32, end: u32) -> Self {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }

    /// An empty span at `offset`.
    pub fn point(file: FileId, offset: u32) -> Self {
        Span {
            file,
            start: offset,
            end: offset,
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> u32 {
        self.end - self.start
    }

    /// True when the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both (must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span::new(
            self.file,
            self.start.min(other.start),
            self.end.max(other.end),
        )
    }
}

/// A 0-based line and column, counted in bytes (as YAML marks and LSP byte offsets are).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// One source file: its display name, its text and the offsets where lines start.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    /// Builds the line table for `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0u32];
        let bytes = text.as_bytes();
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                line_starts.push(to_u32(i + 1));
            }
        }
        SourceFile {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// 0-based line and byte column of `offset` (clamped to the end of the text).
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(to_u32(self.text.len()));
        let line = match self.line_starts.binary_search(&offset) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        LineCol {
            line: to_u32(line),
            col: offset - self.line_starts[line],
        }
    }

    /// 0-based line and column counted in characters (for human output).
    pub fn line_char_col(&self, offset: u32) -> LineCol {
        let lc = self.line_col(offset);
        let start = self.line_starts[lc.line as usize] as usize;
        let end = (start + lc.col as usize).min(self.text.len());
        let col = self
            .text
            .get(start..end)
            .map_or(lc.col as usize, |s| s.chars().count());
        LineCol {
            line: lc.line,
            col: to_u32(col),
        }
    }

    /// The text of the 0-based line `line`, without its line terminator.
    pub fn line_text(&self, line: u32) -> &str {
        let Some(&start) = self.line_starts.get(line as usize) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line as usize + 1)
            .map_or(self.text.len(), |&e| e as usize);
        self.text
            .get(start as usize..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// All files of one analysis, addressed by [`FileId`].
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(name, text));
        FileId(to_u32(self.files.len() - 1))
    }

    /// The file with id `id`.
    ///
    /// # Panics
    /// Panics when `id` was not returned by [`SourceMap::add`] on this map.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Replaces the text of an existing file (used by editors).
    pub fn set_text(&mut self, id: FileId, text: impl Into<String>) {
        let name = std::mem::take(&mut self.files[id.0 as usize].name);
        self.files[id.0 as usize] = SourceFile::new(name, text);
    }

    /// All files in registration order.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(to_u32(i)), f))
    }
}

impl fmt::Display for FileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

pub use rulec_ir::to_u32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lf_and_lone_cr() {
        let f = SourceFile::new("x", "ab\ncd\r\nef\rg");
        assert_eq!(f.line_col(0), LineCol { line: 0, col: 0 });
        assert_eq!(f.line_col(4), LineCol { line: 1, col: 1 });
        assert_eq!(f.line_col(7), LineCol { line: 2, col: 0 });
        assert_eq!(f.line_col(10), LineCol { line: 3, col: 0 });
        assert_eq!(f.line_text(1), "cd");
    }
}
