//! Output format strings (spec §5): `%[N]field` tokens checked against the source schema.
//!
//! Tokens are found with a scanner implementing libs' longest-prefix rule: after `%` and an
//! optional width, a transformer expression `name(...)` (balanced parentheses, quotes
//! respected, optional `[c]`) is parsed with the condition parser; otherwise the longest run of
//! field-name characters (with a directly following `[arg]` tried first) is shortened until it
//! resolves (`%proc.name)` and `%fd.name.` end the token before `)` / `.`).

use rustc_hash::FxHashMap;

use crate::condition::ast::{ExprKind, TransformerName};
use crate::condition::{self, ParseOptions};
use crate::schema::SourceSchema;
use crate::span::{FileId, Span};
use crate::typeck::{check_operand, TypedOperand};

/// A valid `%` token.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputToken {
    /// Local byte range of the field expression (after `%` and the width).
    pub start: usize,
    /// End of the range.
    pub end: usize,
    /// The typed expression.
    pub operand: TypedOperand,
}

/// An invalid output (LOAD_ERR_COMPILE_OUTPUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputError {
    /// The libs message.
    pub message: String,
    /// Local byte range of the offending token.
    pub start: usize,
    /// End of the range.
    pub end: usize,
    /// The message qualifies for `skip-if-unknown-filter`.
    pub unknown_filter: bool,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// Typechecked operands by source and expression text, shared by the outputs of a load
/// (most outputs repeat the same fields). An operand depends only on its text and schema.
#[derive(Debug, Default)]
pub struct OperandMemo {
    by_source: FxHashMap<String, FxHashMap<String, Result<TypedOperand, String>>>,
}

/// Checks every `%` token of `text` (the `%container.info` token, which Falco removes before
/// validation, is skipped).
pub fn check_output(schema: &SourceSchema, text: &str) -> (Vec<OutputToken>, Vec<OutputError>) {
    check_output_memo(schema, text, &mut OperandMemo::default())
}

/// [`check_output`] reusing operands checked earlier with the same `memo`.
pub fn check_output_memo(
    schema: &SourceSchema,
    text: &str,
    memo: &mut OperandMemo,
) -> (Vec<OutputToken>, Vec<OutputError>) {
    let memo = memo.by_source.entry(schema.name.clone()).or_default();
    let b = text.as_bytes();
    let mut toks = Vec::new();
    let mut errs = Vec::new();
    let mut i = 0;
    while let Some(off) = text[i..].find('%') {
        let p = i + off;
        let mut j = p + 1;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j >= b.len() {
            let what = if j == p + 1 { "a %" } else { "a number" };
            errs.push(OutputError {
                message: format!("invalid formatting syntax: formatting cannot end with {what}"),
                start: p,
                end: j,
                unknown_filter: false,
            });
            break;
        }
        if text[j..].starts_with("container.info")
            && !text[j + 14..].starts_with(|c: char| is_name_byte(c as u8))
        {
            i = j + 14;
            continue;
        }
        match token(schema, text, j, memo) {
            Ok(t) => {
                i = t.end;
                toks.push(t);
            }
            Err(e) => {
                i = e.end.max(j);
                errs.push(e);
            }
        }
    }
    (toks, errs)
}

/// Per-schema operand results by expression text.
type Memo = FxHashMap<String, Result<TypedOperand, String>>;

/// [`operand`], memoized.
fn operand_memo(
    schema: &SourceSchema,
    expr: &str,
    memo: &mut Memo,
) -> Result<TypedOperand, String> {
    if let Some(r) = memo.get(expr) {
        return r.clone();
    }
    let r = operand(schema, expr);
    memo.insert(expr.to_owned(), r.clone());
    r
}

/// Parses and typechecks `expr` as a standalone operand.
fn operand(schema: &SourceSchema, expr: &str) -> Result<TypedOperand, String> {
    let src = format!("{expr} exists");
    let ast = condition::parse(&src, FileId::default(), &ParseOptions::default())
        .map_err(|e| e.message)?;
    let ExprKind::Unary { lhs } = &ast.kind else {
        return Err(format!("invalid formatting token {expr}"));
    };
    let t = check_operand(schema, lhs, ast.span).map_err(|e| e.message)?;
    if let Some(f) = t.fields.iter().find(|f| schema.fields[f.index].filter_only) {
        return Err(format!(
            "filter {} is filter only and cannot be used as a display field",
            f.text
        ));
    }
    Ok(t)
}

fn token(
    schema: &SourceSchema,
    text: &str,
    j: usize,
    memo: &mut Memo,
) -> Result<OutputToken, OutputError> {
    let b = text.as_bytes();
    let mut k = j;
    while k < b.len() && is_name_byte(b[k]) {
        k += 1;
    }
    let fail = |message: String, end: usize| OutputError {
        message: format!("unknown filter: {message}"),
        start: j,
        end: end.max(j + 1).min(text.len()),
        unknown_filter: true,
    };
    let ok = |end: usize, operand: TypedOperand| OutputToken {
        start: j,
        end,
        operand,
    };
    // Transformer expression.
    if k < b.len() && b[k] == b'(' && TransformerName::from_name(&text[j..k]).is_some() {
        let Some(close) = matching_paren(b, k) else {
            return Err(fail(
                "expected a ')' token closing the transformer".into(),
                b.len(),
            ));
        };
        let mut end = close + 1;
        if end < b.len() && b[end] == b'[' {
            if let Some(c) = text[end..].find(']') {
                end += c + 1;
            }
        }
        return operand_memo(schema, &text[j..end], memo)
            .map(|t| ok(end, t))
            .map_err(|m| fail(m, end));
    }
    // Field with a bracket argument, then ever shorter prefixes.
    if k < b.len() && b[k] == b'[' {
        if let Some(c) = text[k..].find(']') {
            let end = k + c + 1;
            if let Ok(t) = operand_memo(schema, &text[j..end], memo) {
                return Ok(ok(end, t));
            }
        }
    }
    let first_err = operand_memo(schema, &text[j..k], memo);
    match first_err {
        Ok(t) => Ok(ok(k, t)),
        Err(m) => {
            let mut e = k;
            while e > j + 1 {
                e -= 1;
                if b[e - 1] == b'.' {
                    continue;
                }
                if let Ok(t) = operand_memo(schema, &text[j..e], memo) {
                    return Ok(ok(e, t));
                }
            }
            Err(fail(m, k))
        }
    }
}

/// Index of the `)` matching the `(` at `open`, skipping quoted strings.
fn matching_paren(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut i = open;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'"' | b'\'' => quote = Some(c),
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// Maps a local range of `text` to a file span.
pub fn span_in(text: &crate::text::MappedText, start: usize, end: usize) -> Option<Span> {
    text.span_of(crate::span::to_u32(start), crate::span::to_u32(end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Registry;

    fn run(t: &str) -> (Vec<String>, Vec<String>) {
        let s = Registry::get().source("syscall").expect("syscall source");
        let (ok, errs) = check_output(s, t);
        (
            ok.into_iter().map(|t| t.operand.text).collect(),
            errs.into_iter()
                .map(|e| format!("{}@{}..{}", e.message, e.start, e.end))
                .collect(),
        )
    }

    #[test]
    fn longest_prefix_tokens() {
        let (ok, errs) =
            run("x (%proc.name) %fd.name. %proc.aname[2] %tolower(proc.name) %20evt.type");
        assert!(errs.is_empty(), "{errs:?}");
        assert_eq!(
            ok,
            [
                "proc.name",
                "fd.name",
                "proc.aname[2]",
                "tolower(proc.name)",
                "evt.type"
            ]
        );
    }

    #[test]
    fn errors() {
        let (_, errs) = run("a %proc.nmae b");
        assert_eq!(
            errs,
            ["unknown filter: filter_check called with nonexistent field proc.nmae@3..12"]
        );
        let (_, errs) = run("a %");
        assert_eq!(
            errs,
            ["invalid formatting syntax: formatting cannot end with a %@2..3"]
        );
        let (_, errs) = run("a %12");
        assert_eq!(
            errs,
            ["invalid formatting syntax: formatting cannot end with a number@2..5"]
        );
        let (_, errs) = run("%fd.ip");
        assert_eq!(errs.len(), 1, "{errs:?}");
    }
}
