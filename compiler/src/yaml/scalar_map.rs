//! Re-decodes a scalar's source text following the YAML 1.2 rules of its style, recording where
//! every decoded byte came from, and verifies the result against the parser's value.
//!
//! The decoders mirror the folding/escaping logic of saphyr-parser's scanner. When the
//! re-decoded string differs from the parser's value, a coarse map is returned instead.

use super::offset_map::{MapBuilder, OffsetMap};
use super::ScalarStyle;
use crate::span::to_u32;

/// Maximum number of content-start candidates tried for a block scalar with properties.
const MAX_BLOCK_CANDIDATES: usize = 12;

/// Builds the offset map of a scalar whose parser event covers `start..end` (file bytes,
/// possibly including an anchor and tag) and whose decoded value is `value`.
///
/// Returns the map and the node's file range: the event end is trimmed to the closing quote of
/// a quoted scalar (the parser's span includes trailing white space and comments) or to the
/// last source byte of a block scalar's value (excluding chomped trailing lines); a block
/// scalar's start is moved back to its `|`/`>` header (the parser's span starts at the content).
pub(crate) fn map_scalar(
    text: &str,
    style: ScalarStyle,
    start: usize,
    end: usize,
    value: &str,
) -> (OffsetMap, (usize, usize)) {
    let bytes = text.as_bytes();
    let end = end.min(bytes.len());
    let start = start.min(end);
    let token_start = skip_properties(bytes, start, end);
    if value.is_empty()
        && matches!(
            style,
            ScalarStyle::Plain | ScalarStyle::Literal | ScalarStyle::Folded
        )
    {
        return (MapBuilder::new(token_start).finish().1, (start, end));
    }
    if let Some(found) = verbatim(bytes, style, token_start, end, value) {
        return (found.0, (start, found.1.clamp(start, end)));
    }
    let decoded = match style {
        ScalarStyle::Plain => decode_flow(text, token_start, end, FlowKind::Plain),
        ScalarStyle::SingleQuoted => decode_flow(text, token_start, end, FlowKind::Single),
        ScalarStyle::DoubleQuoted => decode_flow(text, token_start, end, FlowKind::Double),
        ScalarStyle::Literal | ScalarStyle::Folded => {
            map_block(text, start, end, style == ScalarStyle::Folded, value)
        }
    };
    match decoded {
        Some((s, map)) if s == value => {
            let node_end = match style {
                ScalarStyle::Plain => end,
                ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => map.end() as usize + 1,
                ScalarStyle::Literal | ScalarStyle::Folded => map.end() as usize,
            };
            let node_start = match style {
                ScalarStyle::Literal | ScalarStyle::Folded if token_start == start => {
                    block_header(bytes, start).unwrap_or(start)
                }
                _ => start,
            };
            (map, (node_start, node_end.clamp(start, end)))
        }
        _ => (
            OffsetMap::coarse(to_u32(token_start), to_u32(value.len()), to_u32(end)),
            (start, end),
        ),
    }
}

/// Fast path for the common case of a one-line flow scalar whose source is its value
/// (no escapes, quotes or folding): the map the decoders would build is one verbatim run.
/// Returns it with the node end, or `None` when the full decoder must run.
fn verbatim(
    bytes: &[u8],
    style: ScalarStyle,
    token_start: usize,
    end: usize,
    value: &str,
) -> Option<(OffsetMap, usize)> {
    let v = value.as_bytes();
    if v.iter().any(|&b| is_break(b)) {
        return None;
    }
    let quote = match style {
        ScalarStyle::Plain => {
            return (bytes.get(token_start..end)? == v).then(|| {
                (
                    OffsetMap::verbatim(to_u32(token_start), to_u32(v.len())),
                    end,
                )
            });
        }
        ScalarStyle::SingleQuoted => b'\'',
        ScalarStyle::DoubleQuoted => b'"',
        ScalarStyle::Literal | ScalarStyle::Folded => return None,
    };
    let from = token_start + 1;
    let close = from + v.len();
    let simple = !v.iter().any(|&b| b == quote || b == b'\\');
    let ok = simple
        && close < end
        && bytes.get(token_start) == Some(&quote)
        && bytes.get(close) == Some(&quote)
        // `''` after a single-quoted value is an escaped quote, not the end.
        && !(quote == b'\'' && bytes.get(close + 1) == Some(&b'\''))
        && bytes.get(from..close) == Some(v);
    ok.then(|| {
        (
            OffsetMap::verbatim(to_u32(from), to_u32(v.len())),
            close + 1,
        )
    })
}

/// The three flow scalar styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FlowKind {
    Plain,
    Single,
    Double,
}

/// True for YAML white space (space, tab).
fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// True for a YAML line break byte (`\r` or `\n`).
fn is_break(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// Length of the line break starting at `p` (`\r\n` counts as one break), 0 if none.
fn break_len(bytes: &[u8], p: usize) -> usize {
    match (bytes.get(p), bytes.get(p + 1)) {
        (Some(b'\r'), Some(b'\n')) => 2,
        (Some(b'\r' | b'\n'), _) => 1,
        _ => 0,
    }
}

/// Skips anchors (`&a`), tags (`!t`, `!<uri>`) and the separation (white space, line breaks,
/// comments) around them, returning the offset of the node content.
pub(crate) fn skip_properties(bytes: &[u8], mut p: usize, end: usize) -> usize {
    if !matches!(bytes.get(p), Some(b'&' | b'!')) {
        return p;
    }
    loop {
        p = skip_separation(bytes, p, end);
        match bytes.get(p) {
            Some(b'&') if p < end => p = skip_property_name(bytes, p + 1, end),
            Some(b'!') if p < end && bytes.get(p + 1) == Some(&b'<') => {
                while p < end && bytes.get(p) != Some(&b'>') {
                    p += 1;
                }
                p = (p + 1).min(end);
            }
            Some(b'!') if p < end => p = skip_property_name(bytes, p + 1, end),
            _ => return p.min(end),
        }
    }
}

/// Skips the characters of an anchor name or tag shorthand.
fn skip_property_name(bytes: &[u8], mut p: usize, end: usize) -> usize {
    while p < end {
        match bytes.get(p) {
            Some(&b) if !is_blank(b) && !is_break(b) && !b",[]{}".contains(&b) => p += 1,
            _ => break,
        }
    }
    p
}

/// Skips white space, line breaks and comments.
fn skip_separation(bytes: &[u8], mut p: usize, end: usize) -> usize {
    while p < end {
        match bytes.get(p) {
            Some(&b) if is_blank(b) || is_break(b) => p += 1,
            Some(b'#') => {
                while p < end && !bytes.get(p).is_some_and(|&b| is_break(b)) {
                    p += 1;
                }
            }
            _ => break,
        }
    }
    p
}

/// The `|`/`>` header of a block scalar whose content starts at `c` (when `c` starts a line
/// after indentation): the leftmost indicator on the nearest preceding non-blank line that is
/// followed only by indentation/chomping indicators, white space and an optional comment.
fn block_header(bytes: &[u8], c: usize) -> Option<usize> {
    let mut ls = line_start(bytes, c);
    if !bytes.get(ls..c)?.iter().all(|&b| b == b' ') {
        return None;
    }
    loop {
        let prev_end = ls.checked_sub(1)?;
        let prev_end = if prev_end > 0 && bytes.get(prev_end - 1..=prev_end) == Some(b"\r\n") {
            prev_end - 1
        } else {
            prev_end
        };
        ls = line_start(bytes, prev_end);
        let line = bytes.get(ls..prev_end)?;
        if line.iter().all(|&b| b == b' ') {
            continue;
        }
        return (0..line.len())
            .find(|&i| is_header_at(line, i))
            .map(|i| ls + i);
    }
}

/// True when `line[i..]` is a block scalar header: `|` or `>`, indicators, then white space
/// up to the end of the line or a comment.
fn is_header_at(line: &[u8], i: usize) -> bool {
    if !matches!(line.get(i), Some(b'|' | b'>'))
        || (i > 0 && !line.get(i - 1).is_some_and(|&b| is_blank(b)))
    {
        return false;
    }
    let mut j = i + 1;
    while line
        .get(j)
        .is_some_and(|&b| matches!(b, b'1'..=b'9' | b'+' | b'-'))
        && j <= i + 2
    {
        j += 1;
    }
    let rest = line.get(j..).unwrap_or(&[]);
    let ws = rest.iter().take_while(|&&b| is_blank(b)).count();
    ws == rest.len() || (ws > 0 && rest.get(ws) == Some(&b'#'))
}

/// Line folding state shared by the flow styles (plain, single- and double-quoted).
struct Folder<'a> {
    text: &'a str,
    b: MapBuilder,
    /// Pending white space after content on the current line.
    ws: Option<(usize, usize)>,
    /// True after a line break (or escaped line break) until the next content.
    leading_blanks: bool,
    /// The first (unescaped) line break of the current fold.
    leading_break: Option<(usize, usize)>,
    /// Line breaks of the empty lines that followed.
    trailing: Vec<(usize, usize)>,
}

impl<'a> Folder<'a> {
    fn new(text: &'a str, start: usize) -> Self {
        Folder {
            text,
            b: MapBuilder::new(start),
            ws: None,
            leading_blanks: false,
            leading_break: None,
            trailing: Vec::new(),
        }
    }

    /// A space or tab at `p`.
    fn blank(&mut self, p: usize) {
        if !self.leading_blanks {
            self.ws = Some(self.ws.map_or((p, p + 1), |(s, _)| (s, p + 1)));
        }
    }

    /// A line break at `p..e`.
    fn line_break(&mut self, p: usize, e: usize) {
        if self.leading_blanks {
            self.trailing.push((p, e));
        } else {
            self.ws = None;
            self.leading_break = Some((p, e));
            self.leading_blanks = true;
        }
    }

    /// Emits folded breaks or pending white space before new content (or the closing quote).
    fn flush(&mut self) {
        if self.leading_blanks {
            match (self.leading_break, self.trailing.is_empty()) {
                (Some((p, e)), true) => self.b.emit(p, e, " "),
                _ => {
                    for &(p, e) in &self.trailing {
                        self.b.emit(p, e, "\n");
                    }
                }
            }
            self.trailing.clear();
            self.leading_break = None;
            self.leading_blanks = false;
        } else if let Some((s, e)) = self.ws.take() {
            self.b.copy(s, self.text.get(s..e).unwrap_or(""));
        }
    }
}

/// Decodes a plain scalar covering `start..end`, or a quoted scalar starting at `start` and
/// closing before `end` (the map's end is then the closing quote).
fn decode_flow(
    text: &str,
    start: usize,
    end: usize,
    kind: FlowKind,
) -> Option<(String, OffsetMap)> {
    let bytes = text.as_bytes();
    let quote = match kind {
        FlowKind::Plain => None,
        FlowKind::Single => Some(b'\''),
        FlowKind::Double => Some(b'"'),
    };
    let from = if quote.is_some() { start + 1 } else { start };
    if quote.is_some() && bytes.get(start) != quote.as_ref() {
        return None;
    }
    let mut f = Folder::new(text, from);
    let mut p = from;
    while p < end {
        let b = *bytes.get(p)?;
        if Some(b) == quote && !(kind == FlowKind::Single && bytes.get(p + 1) == Some(&b'\'')) {
            f.flush();
            f.b.set_end(p);
            return Some(f.b.finish());
        } else if is_blank(b) {
            f.blank(p);
            p += 1;
        } else if is_break(b) {
            let n = break_len(bytes, p).max(1);
            f.line_break(p, p + n);
            p += n;
        } else {
            f.flush();
            p = content(&mut f, bytes, p, end, kind)?;
        }
    }
    if quote.is_some() {
        return None;
    }
    f.flush();
    Some(f.b.finish())
}

/// Consumes one run of non-blank content starting at `p`; returns the new position.
fn content(f: &mut Folder<'_>, bytes: &[u8], p: usize, to: usize, kind: FlowKind) -> Option<usize> {
    match (kind, bytes.get(p)) {
        (FlowKind::Single, Some(b'\'')) => {
            if bytes.get(p + 1) != Some(&b'\'') || p + 2 > to {
                return None;
            }
            f.b.emit(p, p + 2, "'");
            Some(p + 2)
        }
        (FlowKind::Double, Some(b'\\')) => escape(f, bytes, p, to),
        _ => {
            let mut e = p + 1;
            while e < to {
                let b = *bytes.get(e)?;
                let special = match kind {
                    FlowKind::Plain => false,
                    FlowKind::Single => b == b'\'',
                    FlowKind::Double => b == b'\\' || b == b'"',
                };
                if is_blank(b) || is_break(b) || special {
                    break;
                }
                e += 1;
            }
            f.b.copy(p, f.text.get(p..e)?);
            Some(e)
        }
    }
}

/// Decodes the double-quoted escape sequence starting with the `\` at `p`.
fn escape(f: &mut Folder<'_>, bytes: &[u8], p: usize, to: usize) -> Option<usize> {
    let c = *bytes.get(p + 1)?;
    if is_break(c) {
        let n = break_len(bytes, p + 1);
        f.leading_blanks = true;
        return Some(p + 1 + n);
    }
    let simple = match c {
        b'0' => Some('\0'),
        b'a' => Some('\x07'),
        b'b' => Some('\x08'),
        b't' | b'\t' => Some('\t'),
        b'n' => Some('\n'),
        b'v' => Some('\x0b'),
        b'f' => Some('\x0c'),
        b'r' => Some('\r'),
        b'e' => Some('\x1b'),
        b' ' => Some(' '),
        b'"' => Some('"'),
        b'/' => Some('/'),
        b'\\' => Some('\\'),
        b'N' => Some('\u{85}'),
        b'_' => Some('\u{a0}'),
        b'L' => Some('\u{2028}'),
        b'P' => Some('\u{2029}'),
        _ => None,
    };
    let (ch, len) = match simple {
        Some(ch) => (ch, 2),
        None => {
            let digits = match c {
                b'x' => 2,
                b'u' => 4,
                b'U' => 8,
                _ => return None,
            };
            let hex = f.text.get(p + 2..p + 2 + digits)?;
            let code = u32::from_str_radix(hex, 16).ok()?;
            (char::from_u32(code)?, 2 + digits)
        }
    };
    if p + len > to {
        return None;
    }
    let mut buf = [0u8; 4];
    f.b.emit(p, p + len, ch.encode_utf8(&mut buf));
    Some(p + len)
}

/// Start of the line containing `p`.
fn line_start(bytes: &[u8], p: usize) -> usize {
    let mut s = p.min(bytes.len());
    while s > 0 && !bytes.get(s - 1).is_some_and(|&b| is_break(b)) {
        s -= 1;
    }
    s
}

/// Maps a literal or folded block scalar whose event covers `start..end`.
///
/// Without properties the event starts at the first content character, whose column is the
/// block's indentation. With properties (`&a !t |`), the header is located by skipping them and
/// the content start is derived from the first non-empty line.
fn map_block(
    text: &str,
    start: usize,
    end: usize,
    folded: bool,
    value: &str,
) -> Option<(String, OffsetMap)> {
    if value.bytes().all(|b| b == b'\n') {
        return map_empty_block(text.as_bytes(), start, end, value.len());
    }
    let first = decode_block(text, start, end, folded, value);
    if first.as_ref().is_some_and(|(s, _)| s == value) {
        return first;
    }
    block_candidates(text.as_bytes(), start, end)
        .into_iter()
        .filter_map(|c| decode_block(text, c, end, folded, value))
        .find(|(s, _)| s == value)
}

/// Maps a block scalar without content lines whose value is `n` line breaks (kept empty
/// lines). Its event covers either the header (at end of input) or nothing (just before the
/// next token); the breaks are those of the space-only lines after the header.
fn map_empty_block(
    bytes: &[u8],
    start: usize,
    end: usize,
    n: usize,
) -> Option<(String, OffsetMap)> {
    let mut breaks = leading_breaks(bytes, line_start(bytes, start), n);
    if breaks.len() < n {
        breaks = trailing_space_lines(bytes, start, end, n)?;
    }
    let mut b = MapBuilder::new(start);
    for (p, e) in breaks {
        b.emit(p, e, "\n");
    }
    Some(b.finish())
}

/// The line breaks of up to `n` space-only lines following the block header at or after
/// `start`; a final unterminated space-only line at end of input maps to the end of input.
fn trailing_space_lines(
    bytes: &[u8],
    start: usize,
    end: usize,
    n: usize,
) -> Option<Vec<(usize, usize)>> {
    let h = skip_properties(bytes, start, end);
    if !matches!(bytes.get(h), Some(b'|' | b'>')) {
        return None;
    }
    let mut p = h;
    while p < bytes.len() && !bytes.get(p).is_some_and(|&b| is_break(b)) {
        p += 1;
    }
    p += break_len(bytes, p);
    let mut out = Vec::new();
    while out.len() < n {
        while bytes.get(p) == Some(&b' ') {
            p += 1;
        }
        let k = break_len(bytes, p);
        if k == 0 {
            // Only an unterminated space-only line at end of input may remain.
            return (p == bytes.len() && out.len() + 1 == n).then(|| {
                out.push((p, p));
                out
            });
        }
        out.push((p, p + k));
        p += k;
    }
    Some(out)
}

/// Possible content starts of a block scalar whose event starts with properties.
fn block_candidates(bytes: &[u8], start: usize, end: usize) -> Vec<usize> {
    let p = skip_properties(bytes, start, end);
    if !matches!(bytes.get(p), Some(b'|' | b'>')) {
        return Vec::new();
    }
    let mut q = p + 1;
    let mut explicit = false;
    while let Some(&b) = bytes.get(q) {
        if is_break(b) {
            break;
        }
        explicit |= b.is_ascii_digit() && q <= p + 2;
        q += 1;
    }
    q += break_len(bytes, q);
    if !explicit {
        return first_content_line(bytes, q, end, usize::MAX)
            .map(|(c, _)| c)
            .into_iter()
            .collect();
    }
    let spaces = max_leading_spaces(bytes, q, end);
    // With an explicit indentation indicator the indentation is the parent's plus the digit,
    // which is unknown here: try the plausible values, deepest first.
    let lowest = spaces.saturating_sub(MAX_BLOCK_CANDIDATES);
    (lowest..=spaces)
        .rev()
        .filter_map(|i| first_content_line(bytes, q, end, i))
        .map(|(c, _)| c)
        .collect()
}

/// The largest number of leading spaces of the lines from `q` up to and including the first
/// line that is not space-only (or up to `end`).
fn max_leading_spaces(bytes: &[u8], mut q: usize, end: usize) -> usize {
    let mut max = 0;
    while q < end {
        let mut s = q;
        while bytes.get(s) == Some(&b' ') {
            s += 1;
        }
        max = max.max(s - q);
        let n = break_len(bytes, s);
        if n == 0 {
            break;
        }
        q = s + n;
    }
    max
}

/// The first content line at or after `q` for indentation `indent`: the first line that, after
/// up to `indent` spaces, is not a line break. Returns the content start (after those spaces)
/// and the number of spaces consumed.
fn first_content_line(
    bytes: &[u8],
    mut q: usize,
    end: usize,
    indent: usize,
) -> Option<(usize, usize)> {
    while q < end {
        let mut s = q;
        while s - q < indent && bytes.get(s) == Some(&b' ') {
            s += 1;
        }
        let n = break_len(bytes, s);
        if n == 0 {
            return (s < end).then_some((s, s - q));
        }
        q = s + n;
    }
    None
}

/// Decodes a block scalar assuming its first content line starts (at the block indentation) at
/// `c`, and its last content ends before `end`. Leading and trailing line breaks are taken from
/// `value` (they depend on the header's chomping indicator) and mapped to source line breaks.
fn decode_block(
    text: &str,
    c: usize,
    end: usize,
    folded: bool,
    value: &str,
) -> Option<(String, OffsetMap)> {
    let bytes = text.as_bytes();
    let ls = line_start(bytes, c);
    if c >= end || !bytes.get(ls..c)?.iter().all(|&b| b == b' ') {
        return None;
    }
    let n_leading = value.bytes().take_while(|&b| b == b'\n').count();
    let mut b = MapBuilder::new(c);
    for (p, e) in leading_breaks(bytes, ls, n_leading) {
        b.emit(p, e, "\n");
    }
    for _ in b.out().len()..n_leading {
        b.emit(c, c, "\n");
    }
    let tail = block_body(text, &mut b, c, end, c - ls, folded)?;
    let rest = value.len().checked_sub(b.out().len())?;
    for i in 0..rest {
        let (p, e) = tail.get(i).copied().unwrap_or((end, end));
        b.emit(p, e, "\n");
    }
    Some(b.finish())
}

/// The `n` line breaks ending the empty lines just above the line starting at `ls`, in order.
fn leading_breaks(bytes: &[u8], ls: usize, n: usize) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    let mut p = ls;
    while found.len() < n && p > 0 {
        let e = p;
        let s = if e >= 2 && bytes.get(e - 2..e) == Some(b"\r\n") {
            e - 2
        } else {
            e - 1
        };
        let prev = line_start(bytes, s);
        if !bytes
            .get(prev..s)
            .is_some_and(|l| l.iter().all(|&b| b == b' '))
        {
            break;
        }
        found.push((s, e));
        p = prev;
    }
    found.reverse();
    found
}

/// Decodes the content lines of a block scalar into `b`; returns the line breaks after the last
/// content line (the break ending it, then those of trailing empty lines) for chomping.
fn block_body(
    text: &str,
    b: &mut MapBuilder,
    c: usize,
    end: usize,
    indent: usize,
    folded: bool,
) -> Option<Vec<(usize, usize)>> {
    let bytes = text.as_bytes();
    let mut p = c;
    let mut leading_break: Option<(usize, usize)> = None;
    let mut trailing: Vec<(usize, usize)> = Vec::new();
    let mut leading_blank = false;
    while p < end {
        let trailing_blank = bytes.get(p).is_some_and(|&x| is_blank(x));
        match leading_break {
            // Folding: a single break between two non-indented lines becomes a space; with
            // empty lines in between, only the empty lines' breaks remain.
            Some((lp, le))
                if folded && !leading_blank && !trailing_blank && trailing.is_empty() =>
            {
                b.emit(lp, le, " ");
            }
            Some(_) if folded && !leading_blank && !trailing_blank => {}
            Some((lp, le)) => b.emit(lp, le, "\n"),
            None => {}
        }
        for &(tp, te) in &trailing {
            b.emit(tp, te, "\n");
        }
        trailing.clear();
        leading_blank = trailing_blank;
        let mut e = p;
        while e < end && !bytes.get(e).is_some_and(|&x| is_break(x)) {
            e += 1;
        }
        b.copy(p, text.get(p..e)?);
        let n = break_len(bytes, e);
        if e >= end || n == 0 {
            leading_break = None;
            break;
        }
        leading_break = Some((e, e + n));
        p = e + n;
        // Skip indentation and empty lines.
        loop {
            let line = p;
            while p < end && p - line < indent && bytes.get(p) == Some(&b' ') {
                p += 1;
            }
            let n = break_len(bytes, p);
            if p >= end || n == 0 {
                break;
            }
            trailing.push((p, p + n));
            p += n;
        }
        if p < end && p - line_start(bytes, p) != indent {
            return None;
        }
    }
    Some(leading_break.into_iter().chain(trailing).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verbatim fast path must build exactly what the full decoder builds.
    #[test]
    fn verbatim_fast_path_matches_decoder() {
        let cases: &[(&str, ScalarStyle, FlowKind, &str)] = &[
            (
                "k: proc.name = bash\n",
                ScalarStyle::Plain,
                FlowKind::Plain,
                "proc.name = bash",
            ),
            (
                "k: 'a b c'  # c\n",
                ScalarStyle::SingleQuoted,
                FlowKind::Single,
                "a b c",
            ),
            (
                "k: \"x, y\"\n",
                ScalarStyle::DoubleQuoted,
                FlowKind::Double,
                "x, y",
            ),
        ];
        for &(text, style, kind, value) in cases {
            let start = 3;
            let end = text.len() - 1;
            let (map, range) = map_scalar(text, style, start, end, value);
            let (decoded, slow) = decode_flow(text, start, end, kind).expect("decodes");
            assert_eq!(decoded, value);
            assert_eq!(map, slow, "{text:?}");
            assert!(verbatim(text.as_bytes(), style, start, end, value).is_some());
            assert!(range.1 <= end);
        }
        // An escaped quote right after the value is not the closing quote.
        let text = "k: 'ab''c'\n";
        assert!(verbatim(text.as_bytes(), ScalarStyle::SingleQuoted, 3, 10, "ab").is_none());
    }
}
