//! Maps from byte offsets in a decoded scalar value back to byte offsets in the source file.

use crate::span::{to_u32, FileId, Span};

/// Maps every byte of a decoded scalar value to the file byte it came from.
///
/// Stored compactly as runs: a *linear* run maps `decoded[d..d + n]` onto `file[f..f + n]`
/// one to one (verbatim source text); a *point* run maps all of its decoded bytes to one source
/// construct `file[f..f + src_len]` (an escape sequence, a folded line break, `''`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OffsetMap {
    runs: Vec<Run>,
    len: u32,
    end: u32,
    exact: bool,
}

/// One run of an [`OffsetMap`]; its decoded length is implied by the next run's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    /// First decoded byte covered by the run.
    decoded: u32,
    /// File offset of the first source byte.
    file: u32,
    /// `None` for a linear run, `Some(len)` for a point run covering `len` source bytes.
    point_len: Option<u32>,
}

impl Run {
    /// File offset of decoded byte `decoded`, which the run covers.
    fn file_of(&self, decoded: u32) -> u32 {
        match self.point_len {
            None => self.file.saturating_add(decoded - self.decoded),
            Some(_) => self.file,
        }
    }
}

impl OffsetMap {
    /// File byte offset of decoded byte `decoded`.
    ///
    /// `decoded == len` (or beyond) maps just past the last source byte of the value. An index
    /// inside a multi-byte escape or a folded line break maps to the start of that source
    /// construct.
    pub fn file_offset(&self, decoded: u32) -> u32 {
        if decoded >= self.len {
            return self.end;
        }
        self.run_at(decoded)
            .map_or(self.end, |r| r.file_of(decoded))
    }

    /// File offset just past the source of decoded byte `decoded` (for building end offsets).
    pub fn file_end_of(&self, decoded: u32) -> u32 {
        if decoded >= self.len {
            return self.end;
        }
        match self.run_at(decoded) {
            Some(r) => match r.point_len {
                None => r.file.saturating_add(decoded - r.decoded + 1),
                Some(n) => r.file.saturating_add(n),
            },
            None => self.end,
        }
    }

    /// The file span covering the source of the decoded byte range `start..end`.
    pub fn file_span(&self, file: FileId, start: u32, end: u32) -> Span {
        let from = self.file_offset(start);
        if end <= start {
            return Span::point(file, from);
        }
        Span::new(file, from, self.file_end_of(end - 1))
    }

    /// Length of the decoded value in bytes.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// True when the decoded value is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// File offset just past the value's last source byte.
    pub fn end(&self) -> u32 {
        self.end
    }

    /// True when the map was re-derived from the source and verified against the parser's
    /// value; false for the coarse fallback (every byte maps to the scalar's start).
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// A coarse map: every decoded byte of a `len`-byte value maps to `start`.
    pub fn coarse(start: u32, len: u32, end: u32) -> OffsetMap {
        let point = Some(end.saturating_sub(start));
        OffsetMap::one_run(start, len, point, end.max(start), false)
    }

    /// An exact map of a value copied verbatim from `file[start..start + len]` (what
    /// [`MapBuilder`] builds from one `copy`).
    pub(crate) fn verbatim(start: u32, len: u32) -> OffsetMap {
        OffsetMap::one_run(start, len, None, start.saturating_add(len), true)
    }

    /// A map of a `len`-byte value made of one run starting at file offset `start` (no run
    /// for an empty value).
    fn one_run(start: u32, len: u32, point_len: Option<u32>, end: u32, exact: bool) -> OffsetMap {
        let runs = if len == 0 {
            Vec::new()
        } else {
            vec![Run {
                decoded: 0,
                file: start,
                point_len,
            }]
        };
        OffsetMap {
            runs,
            len,
            end,
            exact,
        }
    }

    /// Calls `f` with [`OffsetMap::file_offset`] of every decoded byte `0..len`, in order,
    /// walking the runs once instead of searching them per byte.
    pub fn for_each_file_offset(&self, mut f: impl FnMut(u32)) {
        let first = self
            .runs
            .first()
            .map_or(self.len, |r| r.decoded.min(self.len));
        for _ in 0..first {
            f(self.end);
        }
        for (k, r) in self.runs.iter().enumerate() {
            let next = self
                .runs
                .get(k + 1)
                .map_or(self.len, |n| n.decoded.min(self.len));
            for d in r.decoded..next.max(r.decoded) {
                f(r.file_of(d));
            }
        }
    }

    /// The run containing decoded byte `decoded`.
    fn run_at(&self, decoded: u32) -> Option<&Run> {
        let idx = self.runs.partition_point(|r| r.decoded <= decoded);
        idx.checked_sub(1).and_then(|i| self.runs.get(i))
    }
}

/// Builds a decoded string together with its [`OffsetMap`].
#[derive(Debug, Default)]
pub(crate) struct MapBuilder {
    out: String,
    runs: Vec<Run>,
    end: u32,
}

impl MapBuilder {
    /// An empty builder whose end offset starts at `start`.
    pub(crate) fn new(start: usize) -> Self {
        MapBuilder {
            out: String::new(),
            runs: Vec::new(),
            end: to_u32(start),
        }
    }

    /// The value decoded so far.
    pub(crate) fn out(&self) -> &str {
        &self.out
    }

    /// Appends verbatim source text `s` found at file offset `file_start`.
    pub(crate) fn copy(&mut self, file_start: usize, s: &str) {
        if s.is_empty() {
            return;
        }
        let decoded = to_u32(self.out.len());
        let file = to_u32(file_start);
        let contiguous = self.runs.last().is_some_and(|r| {
            r.point_len.is_none() && file.checked_sub(r.file) == decoded.checked_sub(r.decoded)
        });
        if !contiguous {
            self.runs.push(Run {
                decoded,
                file,
                point_len: None,
            });
        }
        self.out.push_str(s);
        self.end = to_u32(file_start + s.len());
    }

    /// Appends `s`, produced by the source construct `file_start..file_end`.
    pub(crate) fn emit(&mut self, file_start: usize, file_end: usize, s: &str) {
        if s.is_empty() {
            return;
        }
        let point_len = to_u32(file_end.saturating_sub(file_start));
        let decoded = to_u32(self.out.len());
        self.runs.push(Run {
            decoded,
            file: to_u32(file_start),
            point_len: Some(point_len),
        });
        self.out.push_str(s);
        self.end = to_u32(file_end.max(file_start));
    }

    /// Sets the end offset (where decoded index `len` maps).
    pub(crate) fn set_end(&mut self, end: usize) {
        self.end = to_u32(end);
    }

    /// Finishes the map; `exact` tells whether it was verified.
    pub(crate) fn finish(self) -> (String, OffsetMap) {
        let len = to_u32(self.out.len());
        (
            self.out,
            OffsetMap {
                runs: self.runs,
                len,
                end: self.end,
                exact: true,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_and_point_runs() {
        let mut b = MapBuilder::new(10);
        b.copy(10, "ab");
        b.copy(12, "c");
        b.emit(13, 15, "\n");
        b.copy(20, "xy");
        let (s, m) = b.finish();
        assert_eq!(s, "abc\nxy");
        assert_eq!(m.runs.len(), 3);
        let got: Vec<u32> = (0..=6).map(|i| m.file_offset(i)).collect();
        assert_eq!(got, vec![10, 11, 12, 13, 20, 21, 22]);
        assert_eq!(m.file_end_of(3), 15);
        assert_eq!(m.file_span(FileId(0), 1, 4), Span::new(FileId(0), 11, 15));
        assert!(m.is_exact());
    }

    #[test]
    fn offsets_walk_matches_lookup() {
        let mut b = MapBuilder::new(10);
        b.copy(10, "ab");
        b.emit(13, 15, "\n");
        b.copy(20, "xy");
        let (_, m) = b.finish();
        for m in [m, OffsetMap::coarse(5, 3, 9), OffsetMap::verbatim(7, 4)] {
            let mut walked = Vec::new();
            m.for_each_file_offset(|o| walked.push(o));
            let looked_up: Vec<u32> = (0..m.len()).map(|i| m.file_offset(i)).collect();
            assert_eq!(walked, looked_up);
        }
    }

    #[test]
    fn verbatim_is_one_copy() {
        let mut b = MapBuilder::new(7);
        b.copy(7, "abcd");
        assert_eq!(b.finish().1, OffsetMap::verbatim(7, 4));
    }

    #[test]
    fn coarse_map() {
        let m = OffsetMap::coarse(5, 3, 9);
        assert_eq!(m.file_offset(0), 5);
        assert_eq!(m.file_offset(2), 5);
        assert_eq!(m.file_offset(3), 9);
        assert!(!m.is_exact());
        assert_eq!(OffsetMap::default().file_offset(0), 0);
    }
}
