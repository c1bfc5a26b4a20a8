//! Tokens as recognised by the parser (the libs lexer is context-dependent, so the token stream
//! is recorded while parsing rather than produced by a separate pass).

use crate::span::Span;

/// Kinds of tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `and`
    And,
    /// `or`
    Or,
    /// `not` (from `not ` or `not(`)
    Not,
    /// A dotted field name.
    FieldName,
    /// A bare field argument inside `[...]`.
    FieldArg,
    /// A transformer name (the following `(` is a separate token).
    Transformer,
    /// A comparison operator (`=`, `contains`, `exists`, `in`, ...).
    Operator,
    /// A comparison modifier (`oneof`, `anyof`, `allof`).
    Modifier,
    /// A macro name or a list name.
    Identifier,
    /// A bare string value.
    BareStr,
    /// A quoted string (quotes included in the span).
    QuotedStr,
    /// A decimal or hexadecimal number.
    Number,
    /// Where lexing/parsing failed; the text is the error message.
    Error,
}

impl TokenKind {
    /// A short lowercase name (for CLI output).
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::LParen => "lparen",
            TokenKind::RParen => "rparen",
            TokenKind::LBracket => "lbracket",
            TokenKind::RBracket => "rbracket",
            TokenKind::Comma => "comma",
            TokenKind::And => "and",
            TokenKind::Or => "or",
            TokenKind::Not => "not",
            TokenKind::FieldName => "field",
            TokenKind::FieldArg => "field-arg",
            TokenKind::Transformer => "transformer",
            TokenKind::Operator => "operator",
            TokenKind::Modifier => "modifier",
            TokenKind::Identifier => "identifier",
            TokenKind::BareStr => "bare-string",
            TokenKind::QuotedStr => "quoted-string",
            TokenKind::Number => "number",
            TokenKind::Error => "error",
        }
    }
}

/// One token: kind, local span and source text (the message for [`TokenKind::Error`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// Local byte span in the condition text.
    pub span: Span,
    /// Source text of the token, or the error message.
    pub text: String,
}
