//! Context-dependent lexing primitives of the libs filter parser.
//!
//! The libs parser has no separate tokenizer: at each grammar position it tries one token class,
//! anchored at the cursor and greedy. Each regex class of the specification (§2.2) is therefore a
//! tiny [`logos`] lexer of its own ("lexical mode"); [`match_mode`] runs one of them on the text
//! after the cursor and accepts its first token only when it starts exactly at the cursor.
//!
//! `[:space:]` is spelled out as ` \t\n\x0B\x0C\r` (POSIX/RE2 ASCII space class); the libs
//! *blanks* skipped between tokens are a different set (` \t\n\r\x08`, see [`is_blank`]).

use logos::Logos;

/// A lexical mode: one regex class of §2.2, tried at the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `[a-zA-Z]+[a-zA-Z0-9_]*`
    Identifier,
    /// `[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+`
    FieldName,
    /// `[^][\"'[:space:]]+`
    FieldArgBareStr,
    /// `0[xX][0-9a-fA-F]+`
    HexNumber,
    /// `[+-]?[0-9]+\.?[0-9]*([eE][+-][0-9]+)?`
    Number,
    /// `[^()\"'[:space:]=,]+`
    BareStr,
    /// `not[[:space:]]+`
    NotBlank,
}

#[derive(Logos, Debug, PartialEq)]
enum IdentifierTok {
    #[regex(r"[a-zA-Z]+[a-zA-Z0-9_]*")]
    Tok,
}

#[derive(Logos, Debug, PartialEq)]
enum FieldNameTok {
    #[regex(r"[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+")]
    Tok,
}

#[derive(Logos, Debug, PartialEq)]
enum FieldArgBareTok {
    #[regex(r#"[^\[\]"' \t\n\x0B\x0C\r]+"#)]
    Tok,
}

#[derive(Logos, Debug, PartialEq)]
enum HexTok {
    #[regex(r"0[xX][0-9a-fA-F]+")]
    Tok,
}

#[derive(Logos, Debug, PartialEq)]
enum NumberTok {
    #[regex(r"[+\-]?[0-9]+\.?[0-9]*([eE][+\-][0-9]+)?")]
    Tok,
}

#[derive(Logos, Debug, PartialEq)]
enum BareTok {
    #[regex(r#"[^()"' \t\n\x0B\x0C\r=,]+"#)]
    Tok,
}

#[derive(Logos, Debug, PartialEq)]
enum NotBlankTok {
    #[regex(r"not[ \t\n\x0B\x0C\r]+")]
    Tok,
}

/// Runs the first token of a logos lexer over `s`; its length when it starts at offset 0.
fn first_len<'s, T>(s: &'s str) -> Option<usize>
where
    T: Logos<'s, Source = str>,
    T::Extras: Default,
{
    let mut lex = T::lexer(s);
    match lex.next() {
        Some(Ok(_)) if lex.span().start == 0 && lex.span().end > 0 => Some(lex.span().end),
        _ => None,
    }
}

/// Length in bytes of the longest match of `mode` anchored at the start of `s` (`None` = no match).
pub fn match_mode(mode: Mode, s: &str) -> Option<usize> {
    match mode {
        Mode::Identifier => first_len::<IdentifierTok>(s),
        Mode::FieldName => first_len::<FieldNameTok>(s),
        Mode::FieldArgBareStr => first_len::<FieldArgBareTok>(s),
        Mode::HexNumber => first_len::<HexTok>(s),
        Mode::Number => first_len::<NumberTok>(s),
        Mode::BareStr => first_len::<BareTok>(s),
        Mode::NotBlank => first_len::<NotBlankTok>(s),
    }
}

/// True when `s` is entirely one token of `mode` (used by printers to decide on quoting).
pub fn is_full_match(mode: Mode, s: &str) -> bool {
    !s.is_empty() && match_mode(mode, s) == Some(s.len())
}

/// The libs blank set (`lex_blank`): space, TAB, LF, CR and BS (not FF/VT).
pub fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x08)
}

/// The POSIX `[:space:]` class: space, TAB, LF, VT, FF, CR.
pub fn is_posix_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// Length of a number token as libs reads it (`lex_hex_num() || lex_num()`).
pub fn number_len(s: &str) -> Option<usize> {
    match_mode(Mode::HexNumber, s).or_else(|| match_mode(Mode::Number, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_match_with_backtracking() {
        assert_eq!(match_mode(Mode::Number, "1e5"), Some(1));
        assert_eq!(match_mode(Mode::Number, "1e+5"), Some(4));
        assert_eq!(match_mode(Mode::Number, "1e+"), Some(1));
        assert_eq!(match_mode(Mode::Number, "-1.5e-3x"), Some(7));
        assert_eq!(match_mode(Mode::Number, "1."), Some(2));
        assert_eq!(match_mode(Mode::Number, "x1"), None);
        assert_eq!(match_mode(Mode::FieldName, "a.b."), Some(3));
        assert_eq!(match_mode(Mode::FieldName, "a.b.c_1=x"), Some(7));
        assert_eq!(match_mode(Mode::FieldName, "a.1"), None);
        assert_eq!(match_mode(Mode::FieldName, "ab"), None);
        assert_eq!(match_mode(Mode::HexNumber, "0x1Ag"), Some(4));
        assert_eq!(match_mode(Mode::HexNumber, "0x"), None);
        assert_eq!(match_mode(Mode::BareStr, "é/x=1"), Some(4));
        assert_eq!(match_mode(Mode::BareStr, "a\x0Cb"), Some(1));
        assert_eq!(match_mode(Mode::BareStr, "a\x08b"), Some(3));
        assert_eq!(match_mode(Mode::BareStr, "a\0b c"), Some(3));
        assert_eq!(match_mode(Mode::FieldArgBareStr, "/a/b]"), Some(4));
        assert_eq!(match_mode(Mode::FieldArgBareStr, "x(,=)]"), Some(5));
        assert_eq!(match_mode(Mode::NotBlank, "not \x0B a"), Some(6));
        assert_eq!(match_mode(Mode::NotBlank, "not\x08a"), None);
        assert_eq!(match_mode(Mode::NotBlank, "nota"), None);
        assert_eq!(match_mode(Mode::Identifier, "a_1.b"), Some(3));
        assert_eq!(match_mode(Mode::Identifier, "_a"), None);
        assert_eq!(number_len("0x1A"), Some(4));
        assert_eq!(number_len("0xg"), Some(1));
    }
}
