//! The Falco condition language: a faithful reimplementation of the libsinsp filter parser.
//!
//! [`parse`] accepts exactly the language of libs (master, §2 of the specification), builds the
//! libs AST ([`ast`]) with byte spans, and reports errors with the verbatim libs message and the
//! libs cursor position (0-based byte index, 1-based line/column where every `\n` or `\r` starts
//! a new line). `Display` on [`Expr`] is the canonical libs AST string (§2.11); [`to_source`] and
//! [`pretty`] print re-parsable text.

pub mod ast;
pub mod escape;
pub mod lexer;
mod parser;
pub mod pretty;
pub mod print;
pub mod token;
pub mod tree;

#[cfg(test)]
mod tests;

use std::fmt;

pub use ast::{
    Expr, ExprKind, Field, ListLit, Modifier, OpKind, Operand, Operator, Rhs, TrArg, Transformer,
    TransformerName, Value,
};
pub use pretty::{pretty, to_source};
pub use token::{Token, TokenKind};

use crate::span::{to_u32, FileId, Span};

/// Parser options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Maximum recursion depth (libs counter, see the `parser` module docs). Falco rule loading
    /// uses 1000 (the default here); the libs library default is 100.
    pub max_depth: u32,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { max_depth: 1000 }
    }
}

/// Upper bound applied to [`ParseOptions::max_depth`] (the recursion needs stack; see [`parse`]).
pub const MAX_SUPPORTED_DEPTH: u32 = 5000;

/// Inputs whose worst-case depth stays below this are parsed on the caller's stack.
const INLINE_DEPTH: usize = 64;

/// Stack reserved per depth unit when parsing on a helper thread (debug frames are large).
const STACK_PER_DEPTH: usize = 8 * 1024;

/// A condition syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The libs message, verbatim.
    pub message: String,
    /// libs cursor when the error was raised: 0-based byte index.
    pub index: u32,
    /// libs cursor line, 1-based (every `\n` or `\r` starts a line).
    pub line: u32,
    /// libs cursor column, 1-based, in bytes.
    pub column: u32,
    /// Our own span of the offending text (local offsets); may differ from `index`.
    pub span: Span,
    /// A short fix suggestion (lowercase, no final period).
    pub hint: Option<String>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at {}:{})", self.message, self.line, self.column)
    }
}

impl std::error::Error for ParseError {}

/// Parses a condition. Spans are local byte offsets in `text`, tagged with `file`.
///
/// Recursion depth is bounded by `opts.max_depth` (capped at [`MAX_SUPPORTED_DEPTH`]). Inputs
/// that could nest deeply (many `(`) are parsed on a scoped helper thread whose stack is sized
/// for the depth limit, so no input can overflow the caller's stack.
pub fn parse(text: &str, file: FileId, opts: &ParseOptions) -> Result<Expr, ParseError> {
    let (result, _) = run(text, file, opts.max_depth, false);
    result.map_err(|f| to_error(text, file, &f))
}

/// The token stream of `text` as the parser recognises it. On a syntax error: the tokens read
/// before the error followed by one [`TokenKind::Error`] token (text = message).
pub fn tokens(text: &str) -> Vec<Token> {
    let file = FileId::default();
    let (result, mut toks) = run(text, file, ParseOptions::default().max_depth, true);
    if let Err(f) = result {
        let e = to_error(text, file, &f);
        toks.push(Token {
            kind: TokenKind::Error,
            span: e.span,
            text: e.message,
        });
    }
    toks
}

type RunResult = (Result<Expr, Box<parser::Failure>>, Vec<Token>);

/// Runs the parser inline or, when the input may nest deeply, on a thread with a large stack.
fn run(text: &str, file: FileId, max_depth: u32, record: bool) -> RunResult {
    let max_depth = max_depth.min(MAX_SUPPORTED_DEPTH);
    let parens = text.bytes().filter(|&b| b == b'(').count();
    let worst = parens
        .saturating_mul(5)
        .saturating_add(16)
        .min(max_depth as usize);
    let go = move || {
        let mut p = parser::Parser::new(text, file, max_depth, record);
        let result = p.run();
        (result, std::mem::take(&mut p.tokens))
    };
    if worst <= INLINE_DEPTH {
        return go();
    }
    let stack = worst * STACK_PER_DEPTH + 256 * 1024;
    std::thread::scope(|s| {
        let spawned = std::thread::Builder::new()
            .stack_size(stack)
            .spawn_scoped(s, go);
        match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| (Err(internal_failure()), Vec::new())),
            Err(_) => go(),
        }
    })
}

/// Reported only if the helper thread panicked (a bug).
fn internal_failure() -> Box<parser::Failure> {
    Box::new(parser::Failure {
        message: "internal parser error".to_string(),
        index: 0,
        start: 0,
        end: 0,
        hint: None,
    })
}

/// Converts an internal failure, computing the libs line/column of its index.
fn to_error(text: &str, file: FileId, f: &parser::Failure) -> ParseError {
    let (line, column) = line_col(text.as_bytes(), f.index);
    ParseError {
        message: f.message.clone(),
        index: to_u32(f.index),
        line,
        column,
        span: Span::new(file, to_u32(f.start), to_u32(f.end)),
        hint: f.hint.clone(),
    }
}

/// libs `update_pos` over `bytes[..index]`: 1-based line and column.
pub fn line_col(bytes: &[u8], index: usize) -> (u32, u32) {
    let upto = &bytes[..index.min(bytes.len())];
    let mut line = 1u32;
    let mut col = 1u32;
    for &b in upto {
        col = col.saturating_add(1);
        if b == b'\n' || b == b'\r' {
            line = line.saturating_add(1);
            col = 1;
        }
    }
    (line, col)
}
