//! Scalar presentation: plain when YAML reads it back as the same string, otherwise single
//! quotes, double quotes only when escapes are needed; long or multi-line values as block
//! scalars (`>` folded at the width, `|` literal) when that reproduces the exact string.

use crate::span::FileId;
use crate::yaml::{parse_stream, NodeKind, ScalarStyle};

/// How a scalar value is written after `key: ` or `- `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Out {
    /// On the same line.
    Inline(String),
    /// A block scalar: the header (`>`, `>-`, `|`, `|-`) and its content lines (unindented).
    Block(String, Vec<String>),
}

/// Characters that never appear unescaped in our plain or single-quoted output.
fn is_special(c: char) -> bool {
    (c.is_control() && c != '\t') || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// True when a plain scalar with this text could resolve to something other than a string
/// (null, bool, number) in YAML 1.1 or 1.2.
pub(crate) fn is_ambiguous(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    if matches!(
        l.as_str(),
        "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return true;
    }
    if matches!(l.as_str(), ".inf" | "-.inf" | "+.inf" | ".nan") {
        return true;
    }
    if l.parse::<f64>().is_ok() || l.parse::<i128>().is_ok() {
        return true;
    }
    let body = l.trim_start_matches(['+', '-']);
    if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0o")) {
        return !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    }
    // YAML 1.1 numbers with `_` separators or sexagesimal `1:20`.
    body.starts_with(|c: char| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '_' | ':' | '.' | 'e' | '+' | '-'))
}

/// Syntactic plain-scalar check (conservative), not counting type ambiguity.
fn plain_syntax_ok(s: &str, flow: bool) -> bool {
    if s.is_empty()
        || s != s.trim_matches([' ', '\t'])
        || s.chars().any(|c| is_special(c) || c == '\t')
    {
        return false;
    }
    let mut chars = s.chars();
    let first = chars.next().unwrap_or(' ');
    let second = chars.next();
    if matches!(first, '-' | '?' | ':') {
        match second {
            None | Some(' ') => return false,
            Some(c) if flow && ",[]{}".contains(c) => return false,
            _ => {}
        }
        if first != '-' {
            return false;
        }
    } else if ",[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    if s.contains(": ") || s.ends_with(':') || s.contains(" #") {
        return false;
    }
    if flow && s.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    if flow && s.contains(':') {
        return false;
    }
    !(s.starts_with("---") || s.starts_with("..."))
}

/// Parses `snippet` and returns the first scalar value found by `pick`, with its style.
fn reparse(snippet: &str, flow: bool) -> Option<(String, ScalarStyle)> {
    let docs = parse_stream(FileId::default(), snippet).ok()?;
    let root = docs.first()?.root.as_ref()?;
    let (_, v) = root.as_map()?.first()?;
    let node = if flow { v.as_seq()?.first()? } else { v };
    match &node.kind {
        NodeKind::Scalar(s) => Some((s.value.clone(), s.style)),
        _ => None,
    }
}

/// True when `s` can be written plain (in block or flow context) and reads back unchanged.
/// `orig_plain`: the source wrote it plain (type-ambiguous values keep their plainness).
pub(crate) fn plain_ok(s: &str, flow: bool, orig_plain: bool) -> bool {
    if !plain_syntax_ok(s, flow) {
        return false;
    }
    if is_ambiguous(s) && !orig_plain {
        return false;
    }
    let snippet = if flow {
        format!("k: [{s}]\n")
    } else {
        format!("k: {s}\n")
    };
    reparse(&snippet, flow).is_some_and(|(v, st)| v == s && st == ScalarStyle::Plain)
}

/// Single-quoted form, when no escape is needed.
fn single(s: &str) -> Option<String> {
    if s.chars().any(is_special) || s.contains(['\n', '\t']) {
        return None;
    }
    Some(format!("'{}'", s.replace('\'', "''")))
}

/// Double-quoted form with escapes.
pub(crate) fn double(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if is_special(c) => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{n:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The one-line form of a scalar (plain, single or double quoted).
pub(crate) fn inline(s: &str, flow: bool, orig_plain: bool) -> String {
    if plain_ok(s, flow, orig_plain) {
        return s.to_string();
    }
    single(s).unwrap_or_else(|| double(s))
}

/// Width of a string in characters.
pub(crate) fn width(s: &str) -> usize {
    s.chars().count()
}

/// Greedy folding of `body` (no newline) into lines of at most `avail` characters, breaking
/// only at single spaces between two non-space characters. `None` when the body cannot be
/// written as a folded block scalar that reads back unchanged.
pub(crate) fn fold(body: &str, avail: usize) -> Option<Vec<String>> {
    if body.is_empty()
        || body.starts_with(' ')
        || body.ends_with(' ')
        || body
            .chars()
            .any(|c| is_special(c) || c == '\t' || c == '\n')
    {
        return None;
    }
    // Split into words at breakable spaces.
    let b: Vec<char> = body.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in b.iter().enumerate() {
        let breakable = c == ' ' && i > 0 && i + 1 < b.len() && b[i - 1] != ' ' && b[i + 1] != ' ';
        if breakable {
            words.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    words.push(cur);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for w in words {
        if !line.is_empty() && width(&line) + 1 + width(&w) > avail {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&w);
    }
    lines.push(line);
    Some(lines)
}

/// Literal block lines for a multi-line value, when exact.
fn literal(body: &str) -> Option<Vec<String>> {
    if body
        .chars()
        .any(|c| (is_special(c) && c != '\n') || c == '\t')
    {
        return None;
    }
    let lines: Vec<String> = body.split('\n').map(str::to_string).collect();
    let first_content = lines.iter().find(|l| !l.is_empty())?;
    if first_content.starts_with(' ') {
        return None;
    }
    if lines
        .iter()
        .any(|l| l.ends_with(' ') || (l.trim().is_empty() && !l.is_empty()))
    {
        return None;
    }
    if lines.last().is_some_and(String::is_empty) {
        return None;
    }
    Some(lines)
}

/// How a (non-null) scalar value is written in block context. `col` is the column of the
/// key (block content is indented at `col + 2`), `prefix` the width of the text before the
/// value on its line (e.g. `  desc: `), `width` the target width.
pub(crate) fn block_value(s: &str, orig_plain: bool, col: usize, prefix: usize, w: usize) -> Out {
    let avail = w.saturating_sub(col + 2).max(20);
    let (body, chomp) = match s.strip_suffix('\n') {
        Some(b) if !b.ends_with('\n') => (b, ""),
        Some(_) => return Out::Inline(double(s)),
        None => (s, "-"),
    };
    if body.contains('\n') {
        if let Some(lines) = literal(body) {
            return Out::Block(format!("|{chomp}"), lines);
        }
        return Out::Inline(double(s));
    }
    if chomp.is_empty() {
        // Ends with a newline: only a block scalar keeps it without escapes.
        if let Some(lines) = fold(body, avail) {
            return Out::Block(">".into(), lines);
        }
        return Out::Inline(double(s));
    }
    let one = inline(s, false, orig_plain);
    if prefix + width(&one) <= w {
        return Out::Inline(one);
    }
    match fold(body, avail) {
        Some(lines) if lines.len() > 1 => Out::Block(">-".into(), lines),
        _ => Out::Inline(one),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_quotes() {
        assert_eq!(inline("abc", false, false), "abc");
        assert_eq!(inline("a: b", false, false), "'a: b'");
        assert_eq!(inline("it's", false, false), "it's");
        assert_eq!(inline("'x'", false, false), "'''x'''");
        assert_eq!(inline("true", false, false), "'true'");
        assert_eq!(inline("true", false, true), "true");
        assert_eq!(inline("a,b", true, false), "'a,b'");
        assert_eq!(inline("a\tb", false, false), "\"a\\tb\"");
        assert_eq!(inline("a\u{1}b", false, false), "\"a\\x01b\"");
        assert_eq!(inline("", false, false), "''");
        assert_eq!(inline("#x", false, false), "'#x'");
        assert_eq!(inline("-x", false, false), "-x");
        assert_eq!(inline("- x", false, false), "'- x'");
    }

    #[test]
    fn folding_breaks_only_single_spaces() {
        let lines = fold("aaa bbb  ccc ddd", 7).unwrap_or_default();
        assert_eq!(lines, vec!["aaa", "bbb  ccc", "ddd"]);
        assert!(fold(" x", 10).is_none());
    }
}
