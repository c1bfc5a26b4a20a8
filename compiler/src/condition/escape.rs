//! String escaping: libs `unescape_str` (quoted tokens), libs `escape_str` (canonical printing)
//! and a re-parsable quoting used by `to_source`/`pretty`.

use super::lexer::{is_full_match, Mode};

/// An unescaping failure: the verbatim libs message and the offending escape sequence as a byte
/// range relative to the start of the raw quoted token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapeError {
    /// libs message (e.g. `unsupported string escape sequence: \u`).
    pub message: String,
    /// Start of the escape sequence (the backslash) in the raw token.
    pub start: usize,
    /// End of the escape sequence in the raw token.
    pub end: usize,
}

/// Unescapes a raw quoted token (delimiters included) exactly like libs `unescape_str` (master,
/// with `\xHH`). The first byte is the delimiter; the last byte is dropped unread.
pub fn unescape(raw: &[u8]) -> Result<Vec<u8>, EscapeError> {
    let delim = raw.first().copied().unwrap_or(b'"');
    let end = raw.len().saturating_sub(1);
    let mut out = Vec::with_capacity(end);
    let mut i = 1;
    while i < end {
        let c = raw[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        if i >= end {
            break; // unreachable with the libs scanner (the closing quote would be escaped)
        }
        i = unescape_one(raw, i, end, delim, &mut out)?;
    }
    Ok(out)
}

/// Handles the escape whose letter is at `i`; returns the index after the sequence.
fn unescape_one(
    raw: &[u8],
    i: usize,
    end: usize,
    delim: u8,
    out: &mut Vec<u8>,
) -> Result<usize, EscapeError> {
    let err = |message: String, len: usize| EscapeError {
        message,
        start: i - 1,
        end: i + len,
    };
    let c = raw[i];
    match c {
        b'b' => out.push(0x08),
        b'f' => out.push(0x0C),
        b'n' => out.push(b'\n'),
        b'r' => out.push(b'\r'),
        b't' => out.push(b'\t'),
        b' ' | b'\\' => out.push(b'\\'),
        b'/' => out.push(b'/'),
        b'"' if delim != b'"' => {
            return Err(err("invalid \\\" escape in '-quoted string".into(), 1));
        }
        b'\'' if delim != b'\'' => {
            return Err(err("invalid \\' escape in \"-quoted string".into(), 1));
        }
        b'"' | b'\'' => out.push(c),
        b'x' => return unescape_hex(raw, i, end, out).map_err(|(m, l)| err(m, l)),
        _ => {
            let ch = char_at(raw, i);
            let msg = format!("unsupported string escape sequence: \\{ch}");
            return Err(err(msg, ch.len_utf8()));
        }
    }
    Ok(i + 1)
}

/// `\xHH`: exactly two hex digits must follow before the closing quote.
fn unescape_hex(
    raw: &[u8],
    i: usize,
    end: usize,
    out: &mut Vec<u8>,
) -> Result<usize, (String, usize)> {
    if i + 2 >= end {
        return Err(("truncated hex char escape sequence".into(), end - i));
    }
    let (h, l) = (raw[i + 1], raw[i + 2]);
    match (hex_val(h), hex_val(l)) {
        (Some(h), Some(l)) => {
            out.push(h * 16 + l);
            Ok(i + 3)
        }
        _ => {
            let shown = String::from_utf8_lossy(&raw[i + 1..i + 3]).into_owned();
            Err((format!("invalid hex char escape sequence: {shown}"), 3))
        }
    }
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// The character starting at byte `i` (U+FFFD when not a valid UTF-8 start).
fn char_at(raw: &[u8], i: usize) -> char {
    let tail = &raw[i..raw.len().min(i + 4)];
    let valid = match std::str::from_utf8(tail) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&tail[..e.valid_up_to()]).unwrap_or(""),
    };
    valid.chars().next().unwrap_or('\u{FFFD}')
}

/// libs `escape_str` (canonical AST form, §2.11): quoted with `"` when the value contains BS, FF,
/// LF, CR, TAB, space, `=`, `\`, `"`, `'` or NUL; otherwise bare. Not always re-parsable.
pub fn escape_canonical(s: &str) -> String {
    let needs = s.bytes().any(|b| {
        matches!(
            b,
            0x08 | 0x0C | b'\n' | b'\r' | b'\t' | b' ' | b'=' | b'\\' | b'"' | b'\'' | 0
        )
    });
    if !needs {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            _ => out.push(ch),
        }
    }
    out.push('"');
    out
}

/// A `"`-quoted string literal that the libs lexer reads back as exactly `bytes`.
///
/// Escapes `"`, `\`, BS, FF, LF, CR, TAB; NUL and non-UTF-8 bytes become `\xHH`. A final
/// backslash is written `\x5c` because the libs scanner would take `\\"` as an escaped quote.
pub fn quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    let mut rest = bytes;
    while !rest.is_empty() {
        let valid = split_utf8(rest);
        let consumed = valid.len();
        push_escaped_str(&mut out, valid, consumed == rest.len());
        match rest.get(consumed) {
            Some(b) => {
                out.push_str(&format!("\\x{b:02x}"));
                rest = &rest[consumed + 1..];
            }
            None => rest = &[],
        }
    }
    out.push('"');
    out
}

/// The longest valid UTF-8 prefix.
fn split_utf8(b: &[u8]) -> &str {
    match std::str::from_utf8(b) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or(""),
    }
}

fn push_escaped_str(out: &mut String, s: &str, is_last: bool) {
    let n = s.chars().count();
    for (k, ch) in s.chars().enumerate() {
        match ch {
            '\\' if is_last && k + 1 == n => out.push_str("\\x5c"),
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\x00"),
            _ => out.push(ch),
        }
    }
}

/// True when `s` can be written bare where the grammar reads a `BareStr` (RHS values, list items).
/// Blanks that libs skips before a token (BS) are excluded too.
pub fn is_bare_value(s: &str) -> bool {
    is_full_match(Mode::BareStr, s) && !s.contains('\u{8}')
}

/// True when `s` can be written bare inside `[...]`.
pub fn is_bare_field_arg(s: &str) -> bool {
    is_full_match(Mode::FieldArgBareStr, s) && !s.contains('\u{8}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn un(s: &str) -> Result<String, String> {
        unescape(s.as_bytes())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| e.message)
    }

    #[test]
    fn libs_unescape() {
        assert_eq!(un(r#""a\ b""#), Ok("a\\b".into()));
        assert_eq!(un(r#""\b\f\n\r\t\\\/""#), Ok("\u{8}\u{c}\n\r\t\\/".into()));
        assert_eq!(un(r#""\"'""#), Ok("\"'".into()));
        assert_eq!(un(r#"'\''"#), Ok("'".into()));
        assert_eq!(
            un(r#"'\"'"#),
            Err("invalid \\\" escape in '-quoted string".into())
        );
        assert_eq!(
            un(r#""\'""#),
            Err("invalid \\' escape in \"-quoted string".into())
        );
        assert_eq!(
            un(r#""\u0041""#),
            Err("unsupported string escape sequence: \\u".into())
        );
        assert_eq!(un(r#""\x41\x62""#), Ok("Ab".into()));
        assert_eq!(
            un(r#""\x4""#),
            Err("truncated hex char escape sequence".into())
        );
        assert_eq!(
            un(r#""\x""#),
            Err("truncated hex char escape sequence".into())
        );
        assert_eq!(
            un(r#""\xzz1""#),
            Err("invalid hex char escape sequence: zz".into())
        );
        assert_eq!(
            un(r#""\é""#),
            Err("unsupported string escape sequence: \\é".into())
        );
    }

    #[test]
    fn canonical_escape() {
        assert_eq!(escape_canonical("abc"), "abc");
        assert_eq!(escape_canonical(""), "");
        assert_eq!(escape_canonical("a b"), "\"a b\"");
        assert_eq!(escape_canonical("eq=sign"), "\"eq=sign\"");
        assert_eq!(escape_canonical("x'\"\\\t"), "\"x'\\\"\\\\\\t\"");
        assert_eq!(escape_canonical("a(b,c)"), "a(b,c)");
    }

    #[test]
    fn quoting_round_trips() {
        for s in ["", "a\\", "\\", "x\"y", "a\0b", "tab\there", "é\\", "'"] {
            let q = quote_bytes(s.as_bytes());
            assert_eq!(un(&q), Ok(s.to_string()), "{q}");
        }
        assert_eq!(quote_bytes(b"a\\"), "\"a\\x5c\"");
        assert_eq!(quote_bytes(&[b'a', 0xff]), "\"a\\xff\"");
        assert_eq!(
            unescape(quote_bytes(&[0xc3, 0xff, b'\\']).as_bytes()),
            Ok(vec![0xc3, 0xff, b'\\'])
        );
    }
}
