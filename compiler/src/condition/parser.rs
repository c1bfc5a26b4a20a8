//! Recursive-descent parser reproducing the libs filter parser (`libsinsp::filter::parser`).
//!
//! Every function mirrors one libs parse function, in the same order of alternatives, with the
//! same cursor movements, so accepted language, `m_last_token` and error positions match.
//!
//! **Depth counting.** Like libs (master, where the guard works), these functions increment a
//! depth counter on entry and decrement it on exit: `parse_or`, `parse_and`, `parse_not`,
//! `parse_embedded`, `parse_check`, `parse_field_remainder`, `parse_transformer_remainder`,
//! `parse_transformer_arg`, `parse_condition`, `parse_num_value`, `parse_str_value`,
//! `parse_list_item` (libs `parse_str_value_or_transformer(true)`), `parse_list_value`,
//! `parse_modifier_rhs` and `try_transformer_or_val`. Transformer lists are not counted. The
//! error `exceeded max depth limit of N` is raised when the counter *reaches* N. A parenthesis
//! level costs 5 (`or`, `and`, `not`, `check`, `embedded`), so with N = 1000 at most 199 nested
//! parentheses around a macro are accepted. As in C++ (a throwing constructor runs no
//! destructor), the counter is not decremented when the guard itself fails; if that failure is
//! swallowed (first list item) the parse ends with `parser fatal error: recursion is unbalanced`.

use std::borrow::Cow;

use super::ast::{
    Expr, ExprKind, Field, ListLit, Modifier, OpKind, Operand, Operator, Rhs, TrArg, Transformer,
    TransformerName, Value,
};
use super::escape::unescape;
use super::lexer::{is_blank, is_posix_space, match_mode, Mode};
use super::token::{Token, TokenKind};
use crate::span::{to_u32, FileId, Span};

/// An internal parse failure (converted to [`super::ParseError`] by the caller).
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub message: String,
    /// libs cursor when the error was raised.
    pub index: usize,
    /// Our own span of the offending text.
    pub start: usize,
    pub end: usize,
    pub hint: Option<String>,
}

type PResult<T> = Result<T, Box<Failure>>;

const TRANSFORMERS_MSG: &str =
    "'val', 'tolower', 'toupper', 'b64', 'basename', 'len', 'join', 'concat', 'getopt'";

/// Message for a missing/invalid operator (list generated like libs `supported_operators`).
pub(crate) const OPERATOR_MSG: &str = "expected a valid check operator: one of 'exists', '<=', \
    '<', '>=', '>', '==', '=', '!=', 'glob', 'iglob', 'contains', 'icontains', 'bcontains', \
    'startswith', 'bstartswith', 'endswith', 'regex', 'intersects', 'in', 'pmatch'";

const NUM_OPS: [(&str, OpKind); 4] = [
    ("<=", OpKind::Le),
    ("<", OpKind::Lt),
    (">=", OpKind::Ge),
    (">", OpKind::Gt),
];

const STR_OPS: [(&str, OpKind); 12] = [
    ("==", OpKind::Eq),
    ("=", OpKind::Eq),
    ("!=", OpKind::Ne),
    ("glob", OpKind::Glob),
    ("iglob", OpKind::IGlob),
    ("contains", OpKind::Contains),
    ("icontains", OpKind::IContains),
    ("bcontains", OpKind::BContains),
    ("startswith", OpKind::StartsWith),
    ("bstartswith", OpKind::BStartsWith),
    ("endswith", OpKind::EndsWith),
    ("regex", OpKind::Regex),
];

const LIST_OPS: [(&str, OpKind); 3] = [
    ("intersects", OpKind::Intersects),
    ("in", OpKind::In),
    ("pmatch", OpKind::PMatch),
];

/// Saved lexer state for backtracking (modifier lookahead).
struct Mark<'a> {
    pos: usize,
    last_end: usize,
    last_token: Cow<'a, str>,
    last_kind: Option<TokenKind>,
    tokens: usize,
}

/// Parser state: the libs cursor, `m_last_token`, the depth counter, plus our own bookkeeping.
pub(crate) struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// End of the last consumed token (for spans; excludes trailing blanks).
    last_end: usize,
    /// libs `m_last_token`; borrowed from the input (or a keyword) unless unescaped.
    last_token: Cow<'a, str>,
    last_kind: Option<TokenKind>,
    depth: u32,
    max_depth: u32,
    file: FileId,
    record: bool,
    pub(crate) tokens: Vec<Token>,
}

impl<'a> Parser<'a> {
    /// A parser over `text`; `record` keeps the token stream.
    pub(crate) fn new(text: &'a str, file: FileId, max_depth: u32, record: bool) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            last_end: 0,
            last_token: Cow::Borrowed(""),
            last_kind: None,
            depth: 0,
            max_depth,
            file,
            record,
            tokens: Vec::new(),
        }
    }

    /// libs `parser::parse`.
    pub(crate) fn run(&mut self) -> PResult<Expr> {
        if self.text.is_empty() {
            return Err(self.fail(
                "filter input string is empty",
                "write a condition, e.g. `proc.name = bash`",
            ));
        }
        let expr = self.parse_or()?;
        if self.depth > 0 {
            let hint = "the depth limit was reached inside a list and ignored by libs: \
                        simplify the nesting";
            return Err(self.fail("parser fatal error: recursion is unbalanced", hint));
        }
        if self.pos != self.bytes.len() {
            return Err(self.fail_trailing());
        }
        Ok(expr)
    }

    // ----------------------------------------------------------------------------------------
    // small lexing helpers (libs lex_*)

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, to_u32(start), to_u32(end))
    }

    fn slice(&self, start: usize, end: usize) -> String {
        self.text.get(start..end).unwrap_or("").to_string()
    }

    /// The input bytes `start..end` without copying (empty when out of range).
    fn slice_ref(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn push_token(&mut self, kind: TokenKind, start: usize, end: usize) {
        self.last_kind = Some(kind);
        if self.record {
            let text = String::from_utf8_lossy(&self.bytes[start..end]).into_owned();
            self.tokens.push(Token {
                kind,
                span: self.span(start, end),
                text,
            });
        }
    }

    fn mark(&self) -> Mark<'a> {
        Mark {
            pos: self.pos,
            last_end: self.last_end,
            last_token: self.last_token.clone(),
            last_kind: self.last_kind,
            tokens: self.tokens.len(),
        }
    }

    fn reset(&mut self, m: Mark<'a>) {
        self.pos = m.pos;
        self.last_end = m.last_end;
        self.last_token = m.last_token;
        self.last_kind = m.last_kind;
        self.tokens.truncate(m.tokens);
    }

    /// libs `lex_blank`: skips space, TAB, LF, CR, BS; true when at least one was skipped.
    fn blank(&mut self) -> bool {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(|&b| is_blank(b)) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// libs `lex_helper_str`: a literal prefix at the cursor.
    fn lit(&mut self, s: &'static str, kind: TokenKind) -> bool {
        if !self.bytes[self.pos..].starts_with(s.as_bytes()) {
            return false;
        }
        let start = self.pos;
        self.pos += s.len();
        self.last_end = self.pos;
        self.last_token = Cow::Borrowed(s);
        self.push_token(kind, start, self.pos);
        true
    }

    /// A literal ending in `(` (`not(`, `tolower(`): recorded as `kind` plus an `LParen` token.
    fn lit_call(&mut self, s: &'static str, kind: TokenKind) -> bool {
        if !self.bytes[self.pos..].starts_with(s.as_bytes()) {
            return false;
        }
        let start = self.pos;
        self.pos += s.len();
        self.last_end = self.pos;
        self.last_token = Cow::Borrowed(s);
        self.push_token(kind, start, self.pos - 1);
        self.push_token(TokenKind::LParen, self.pos - 1, self.pos);
        true
    }

    /// libs `lex_helper_rgx`: the longest match of `mode` at the cursor.
    fn rgx(&mut self, mode: Mode, kind: TokenKind) -> Option<(usize, usize)> {
        let len = match_mode(mode, self.rest())?;
        let start = self.pos;
        self.pos += len;
        self.last_end = self.pos;
        self.last_token = Cow::Borrowed(self.slice_ref(start, self.pos));
        self.push_token(kind, start, self.pos);
        Some((start, self.pos))
    }

    /// `not[[:space:]]+` (the token recorded is the `not` word only).
    fn not_blank(&mut self) -> bool {
        let Some(len) = match_mode(Mode::NotBlank, self.rest()) else {
            return false;
        };
        let start = self.pos;
        self.pos += len;
        self.last_end = start + 3;
        self.last_token = Cow::Borrowed(self.slice_ref(start, self.pos));
        self.push_token(TokenKind::Not, start, start + 3);
        true
    }

    /// libs `lex_hex_num() || lex_num()`.
    fn number(&mut self) -> Option<Value> {
        let (s, e) = self
            .rgx(Mode::HexNumber, TokenKind::Number)
            .or_else(|| self.rgx(Mode::Number, TokenKind::Number))?;
        Some(Value::new(self.slice(s, e), self.span(s, e), false))
    }

    /// libs `lex_quoted_str`: `Ok(None)` when not at a quote or unterminated (cursor unchanged);
    /// an error when unescaping fails (cursor after the closing quote, as in libs).
    fn quoted(&mut self) -> PResult<Option<Value>> {
        let start = self.pos;
        let delim = match self.bytes.get(start) {
            Some(&b) if b == b'"' || b == b'\'' => b,
            _ => return Ok(None),
        };
        let mut prev = b'\\';
        let mut i = start;
        loop {
            match self.bytes.get(i) {
                None | Some(0) => {
                    self.last_token = String::from_utf8_lossy(&self.bytes[start..i]);
                    return Ok(None);
                }
                Some(&c) if c == delim && prev != b'\\' => break,
                Some(&c) => {
                    prev = c;
                    i += 1;
                }
            }
        }
        self.pos = i + 1;
        self.last_end = self.pos;
        let raw = &self.bytes[start..self.pos];
        match unescape(raw) {
            Ok(bytes) => {
                let value = Value::from_bytes(bytes, self.span(start, self.pos), true);
                self.last_token = Cow::Owned(value.text.clone());
                self.push_token(TokenKind::QuotedStr, start, self.pos);
                Ok(Some(value))
            }
            Err(e) => {
                self.last_token = String::from_utf8_lossy(raw);
                let hint = escape_hint(&e.message);
                Err(self.fail_span(e.message, start + e.start, start + e.end, Some(hint)))
            }
        }
    }

    /// A transformer name followed by `(` (libs `lex_field_transformer_type`, `val` excluded).
    fn transformer_type(&mut self) -> Option<(TransformerName, usize)> {
        let start = self.pos;
        let rest = &self.bytes[start..];
        for t in TransformerName::TYPES {
            let name = t.as_str();
            // `lit_call(name + "(")` without building the string.
            if rest.starts_with(name.as_bytes()) && rest.get(name.len()) == Some(&b'(') {
                self.pos += name.len() + 1;
                self.last_end = self.pos;
                self.push_token(TokenKind::Transformer, start, self.pos - 1);
                self.push_token(TokenKind::LParen, self.pos - 1, self.pos);
                self.last_token = Cow::Borrowed(name);
                return Some((t, start));
            }
        }
        None
    }

    /// Quoted or bare string at the cursor.
    fn string_token(&mut self) -> PResult<Option<Value>> {
        if let Some(v) = self.quoted()? {
            return Ok(Some(v));
        }
        Ok(self
            .rgx(Mode::BareStr, TokenKind::BareStr)
            .map(|(s, e)| Value::new(self.slice(s, e), self.span(s, e), false)))
    }

    // ----------------------------------------------------------------------------------------
    // depth guard

    /// Runs `f` one level deeper (libs `depth_guard`).
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        self.depth += 1;
        if self.depth >= self.max_depth {
            let msg = format!("exceeded max depth limit of {}", self.max_depth);
            let hint =
                "the condition nests too deeply: flatten parentheses or split it into macros";
            return Err(self.fail(msg, hint));
        }
        let result = f(self);
        self.depth -= 1;
        result
    }

    // ----------------------------------------------------------------------------------------
    // grammar

    /// `OrExpr = AndExpr { "or" ( Blank+ AndExpr | "(" Embedded ) }`.
    fn parse_or(&mut self) -> PResult<Expr> {
        self.guarded(|p| p.parse_logical("or", TokenKind::Or))
    }

    /// `AndExpr = NotExpr { "and" ( Blank+ NotExpr | "(" Embedded ) }`.
    fn parse_and(&mut self) -> PResult<Expr> {
        self.guarded(|p| p.parse_logical("and", TokenKind::And))
    }

    /// Shared body of `parse_or` / `parse_and`.
    fn parse_logical(&mut self, word: &'static str, kind: TokenKind) -> PResult<Expr> {
        let is_or = kind == TokenKind::Or;
        self.blank();
        let start = self.pos;
        let mut children = vec![self.parse_operand(is_or)?];
        self.blank();
        while self.lit(word, kind) {
            let child = if self.blank() {
                self.parse_operand(is_or)?
            } else if self.lit("(", TokenKind::LParen) {
                self.parse_embedded()?
            } else {
                return Err(self.fail_after_keyword(word));
            };
            children.push(child);
            self.blank();
        }
        if children.len() == 1 {
            return Ok(children.remove(0));
        }
        let span = self.span(start, self.last_end);
        let kind = if is_or {
            ExprKind::Or(children)
        } else {
            ExprKind::And(children)
        };
        Ok(Expr { kind, span })
    }

    fn parse_operand(&mut self, is_or: bool) -> PResult<Expr> {
        if is_or {
            self.parse_and()
        } else {
            self.parse_not()
        }
    }

    /// `NotExpr = { NotBlank } ( "not(" Embedded | Check )`, folding the `not`s.
    fn parse_not(&mut self) -> PResult<Expr> {
        self.guarded(|p| {
            p.blank();
            let start = p.pos;
            let mut is_not = false;
            while p.not_blank() {
                is_not = !is_not;
            }
            let child = if p.lit_call("not(", TokenKind::Not) {
                is_not = !is_not;
                p.parse_embedded()?
            } else {
                p.parse_check()?
            };
            if !is_not {
                return Ok(child);
            }
            let span = p.span(start, p.last_end);
            Ok(Expr {
                kind: ExprKind::Not(Box::new(child)),
                span,
            })
        })
    }

    /// `Embedded = OrExpr ")"` (called after the `(`).
    fn parse_embedded(&mut self) -> PResult<Expr> {
        self.guarded(|p| {
            p.blank();
            let child = p.parse_or()?;
            p.blank();
            if !p.lit(")", TokenKind::RParen) {
                let hint = "add the missing `)` (or remove an extra `(`)";
                return Err(p.fail("expected a ')' token", hint));
            }
            Ok(child)
        })
    }

    /// `Check = "(" Embedded | Field Cond | Transformer Cond | Identifier`.
    fn parse_check(&mut self) -> PResult<Expr> {
        self.guarded(|p| {
            p.blank();
            let start = p.pos;
            if p.lit("(", TokenKind::LParen) {
                return p.parse_embedded();
            }
            if let Some((s, e)) = p.rgx(Mode::FieldName, TokenKind::FieldName) {
                let field = p.parse_field_remainder(s, e)?;
                return p.parse_condition(Operand::Field(field), start);
            }
            if let Some((name, s)) = p.transformer_type() {
                p.blank();
                let tr = p.parse_transformer_remainder(name, s)?;
                return p.parse_condition(Operand::Transformer(tr), start);
            }
            if let Some((s, e)) = p.rgx(Mode::Identifier, TokenKind::Identifier) {
                let kind = ExprKind::Identifier(p.slice(s, e));
                return Ok(Expr {
                    kind,
                    span: p.span(s, e),
                });
            }
            Err(p.fail_check())
        })
    }

    /// `[ FieldArg ]` after a field name.
    fn parse_field_remainder(&mut self, start: usize, end: usize) -> PResult<Field> {
        self.guarded(|p| {
            let name = p.slice(start, end);
            let (arg, arg_span) = p.parse_opt_field_arg()?;
            let span = p.span(start, p.last_end);
            Ok(Field {
                name,
                arg,
                span,
                name_span: p.span(start, end),
                arg_span,
            })
        })
    }

    /// `FieldArg = "[" ( QuotedStr | FieldArgBareStr ) "]"`, optional.
    fn parse_opt_field_arg(&mut self) -> PResult<(Option<String>, Option<Span>)> {
        if !self.lit("[", TokenKind::LBracket) {
            return Ok((None, None));
        }
        let (text, span) = if let Some(v) = self.quoted()? {
            (v.text, v.span)
        } else if let Some((s, e)) = self.rgx(Mode::FieldArgBareStr, TokenKind::FieldArg) {
            (self.slice(s, e), self.span(s, e))
        } else {
            let hint =
                "write the argument right after `[` with no blanks, e.g. `[0]` or `[\"a b\"]`";
            return Err(self.fail(
                "expected a valid field argument: a quoted string or a bare string",
                hint,
            ));
        };
        if !self.lit("]", TokenKind::RBracket) {
            let hint = "close the field argument with `]`; quote arguments containing blanks";
            return Err(self.fail("expected a ']' token", hint));
        }
        Ok((Some(text), Some(span)))
    }

    /// Arguments, `)` and optional `[arg]` of a transformer (after `name(`).
    fn parse_transformer_remainder(
        &mut self,
        name: TransformerName,
        start: usize,
    ) -> PResult<Transformer> {
        self.guarded(|p| {
            p.blank();
            let mut args = Vec::new();
            loop {
                args.push(p.parse_transformer_arg()?);
                p.blank();
                if !p.lit(",", TokenKind::Comma) {
                    break;
                }
            }
            p.blank();
            if !p.lit(")", TokenKind::RParen) {
                let hint = "separate transformer arguments with `,` and close with `)`";
                return Err(p.fail("expected a ')' token closing the transformer", hint));
            }
            let (arg, arg_span) = p.parse_opt_field_arg()?;
            let span = p.span(start, p.last_end);
            Ok(Transformer {
                name,
                args,
                arg,
                span,
                arg_span,
            })
        })
    }

    /// `TrArg = Number | HexNumber | QuotedStr | TrList | Transformer | Field`.
    fn parse_transformer_arg(&mut self) -> PResult<TrArg> {
        self.guarded(|p| {
            p.blank();
            let start = p.pos;
            if let Some(v) = p.number() {
                return Ok(TrArg::Value(v));
            }
            if let Some(v) = p.quoted()? {
                return Ok(TrArg::Value(v));
            }
            if p.lit("(", TokenKind::LParen) {
                return p.parse_transformer_list(start);
            }
            if let Some((name, s)) = p.transformer_type() {
                return Ok(TrArg::Transformer(p.parse_transformer_remainder(name, s)?));
            }
            if let Some((s, e)) = p.rgx(Mode::FieldName, TokenKind::FieldName) {
                return Ok(TrArg::Field(p.parse_field_remainder(s, e)?));
            }
            let hint = "bare strings are not allowed here: quote literal strings";
            Err(p.fail(
                "expected field transformer argument: field, transformer, quoted string, \
                 number, or transformer list",
                hint,
            ))
        })
    }

    /// `TrList = "(" [ TrListArg { "," TrListArg } ] ")"` (after the `(`; not depth-counted).
    fn parse_transformer_list(&mut self, start: usize) -> PResult<TrArg> {
        self.blank();
        let mut items = Vec::new();
        if !self.lit(")", TokenKind::RParen) {
            items.push(self.parse_transformer_list_arg()?);
            self.blank();
            while self.lit(",", TokenKind::Comma) {
                self.blank();
                items.push(self.parse_transformer_list_arg()?);
                self.blank();
            }
            if !self.lit(")", TokenKind::RParen) {
                let hint = "separate list elements with `,` and close the list with `)`";
                return Err(self.fail("expected ')'", hint));
            }
        }
        Ok(TrArg::List(items, self.span(start, self.last_end)))
    }

    /// `TrListArg = Field | Transformer | QuotedStr | HexNumber | Number`.
    fn parse_transformer_list_arg(&mut self) -> PResult<TrArg> {
        if let Some((s, e)) = self.rgx(Mode::FieldName, TokenKind::FieldName) {
            return Ok(TrArg::Field(self.parse_field_remainder(s, e)?));
        }
        if let Some((name, s)) = self.transformer_type() {
            self.blank();
            return Ok(TrArg::Transformer(
                self.parse_transformer_remainder(name, s)?,
            ));
        }
        if let Some(v) = self.quoted()? {
            return Ok(TrArg::Value(v));
        }
        if let Some(v) = self.number() {
            return Ok(TrArg::Value(v));
        }
        let hint = "list elements must be fields, transformers, quoted strings or numbers";
        Err(self.fail(
            "expected transformer list argument: field, transformer, quoted string, or number",
            hint,
        ))
    }

    /// `Cond` after the left-hand side of a check.
    fn parse_condition(&mut self, lhs: Operand, start: usize) -> PResult<Expr> {
        self.guarded(|p| {
            p.blank();
            if p.lit("exists", TokenKind::Operator) {
                let span = p.span(start, p.last_end);
                return Ok(Expr {
                    kind: ExprKind::Unary { lhs },
                    span,
                });
            }
            p.blank();
            let op_start = p.pos;
            let (op, rhs) = if let Some((text, kind)) = p.lit_op(&NUM_OPS) {
                let op = p.operator(kind, text, None, op_start);
                (op, p.parse_num_value()?)
            } else if let Some((text, kind)) = p.str_op() {
                if let Some(m) = p.try_modifier(kind) {
                    let op = p.operator(kind, text, Some(m), op_start);
                    (op, p.parse_modifier_rhs()?)
                } else {
                    let op = p.operator(kind, text, None, op_start);
                    (op, p.parse_str_value()?)
                }
            } else if let Some((text, kind)) = p.lit_op(&LIST_OPS) {
                let op = p.operator(kind, text, None, op_start);
                (op, p.parse_list_value()?)
            } else {
                return Err(p.fail_operator());
            };
            let span = p.span(start, p.last_end);
            Ok(Expr {
                kind: ExprKind::Binary { lhs, op, rhs },
                span,
            })
        })
    }

    fn operator(
        &self,
        kind: OpKind,
        text: &str,
        modifier: Option<(Modifier, usize)>,
        start: usize,
    ) -> Operator {
        let end = modifier.map_or(start + text.len(), |(_, e)| e);
        let span = self.span(start, end);
        Operator {
            kind,
            modifier: modifier.map(|(m, _)| m),
            text: text.to_string(),
            span,
        }
    }

    /// Operators that need no blank after them.
    fn lit_op(&mut self, ops: &[(&'static str, OpKind)]) -> Option<(&'static str, OpKind)> {
        ops.iter()
            .copied()
            .find(|(text, _)| self.lit(text, TokenKind::Operator))
    }

    /// libs `lex_helper_operator_list(s_binary_str_ops)`: a word operator must be followed by a
    /// blank; when it is not, lexing stops there (cursor after the word) and fails.
    fn str_op(&mut self) -> Option<(&'static str, OpKind)> {
        for (text, kind) in STR_OPS {
            if !self.lit(text, TokenKind::Operator) {
                continue;
            }
            if !kind.is_word() || self.blank() {
                return Some((text, kind));
            }
            return None;
        }
        None
    }

    /// §2.10: `Blank+ Modifier Blank+` followed by `(` or a non-keyword identifier; otherwise
    /// backtracks (returns `None` with the cursor restored).
    fn try_modifier(&mut self, op: OpKind) -> Option<(Modifier, usize)> {
        let mark = self.mark();
        let found = self.modifier_prefix(op);
        if found.is_none() {
            self.reset(mark);
        }
        found
    }

    fn modifier_prefix(&mut self, op: OpKind) -> Option<(Modifier, usize)> {
        if !op.is_word() && !self.blank() {
            return None;
        }
        let m = Modifier::ALL
            .into_iter()
            .find(|m| self.lit(m.as_str(), TokenKind::Modifier))?;
        let end = self.last_end;
        if !self.blank() || !self.modifier_lookahead() {
            return None;
        }
        Some((m, end))
    }

    /// What follows a modifier must be `(` or an identifier not starting with the word
    /// `and`/`or`/`not` (followed by a non-alphanumeric byte or the end).
    fn modifier_lookahead(&self) -> bool {
        let rest = &self.bytes[self.pos..];
        if rest.first() == Some(&b'(') {
            return true;
        }
        if match_mode(Mode::Identifier, self.rest()).is_none() {
            return false;
        }
        !["and", "or", "not"].iter().any(|w| {
            rest.starts_with(w.as_bytes())
                && !rest.get(w.len()).is_some_and(|b| b.is_ascii_alphanumeric())
        })
    }

    /// `( List | Identifier )` after a modifier.
    fn parse_modifier_rhs(&mut self) -> PResult<Rhs> {
        self.guarded(|p| {
            p.blank();
            let start = p.pos;
            if p.lit("(", TokenKind::LParen) {
                return Ok(Rhs::List(p.parse_list_items(start)?));
            }
            if let Some((s, e)) = p.rgx(Mode::Identifier, TokenKind::Identifier) {
                return Ok(Rhs::Identifier(Value::new(
                    p.slice(s, e),
                    p.span(s, e),
                    false,
                )));
            }
            let hint = "write a list such as `(a, b)` or a list name after the modifier";
            Err(p.fail("expected a list or an identifier", hint))
        })
    }

    /// RHS of a numeric operator.
    fn parse_num_value(&mut self) -> PResult<Rhs> {
        self.guarded(|p| {
            p.blank();
            if let Some(t) = p.try_transformer_or_val()? {
                return Ok(Rhs::Transformer(t));
            }
            if let Some(v) = p.number() {
                return Ok(Rhs::Value(v));
            }
            let hint =
                "numeric operators take a number (e.g. `100`, `0x1F`, `1e+5`) or `val(field)`";
            let msg = format!(
                "expected a number value or a field with a valid transformer: {TRANSFORMERS_MSG}"
            );
            Err(p.fail(msg, hint))
        })
    }

    /// RHS of a string operator (libs `parse_str_value_or_transformer(false)`).
    fn parse_str_value(&mut self) -> PResult<Rhs> {
        self.guarded(|p| {
            p.blank();
            if let Some(t) = p.try_transformer_or_val()? {
                return Ok(Rhs::Transformer(t));
            }
            if let Some(v) = p.string_token()? {
                return Ok(Rhs::Value(v));
            }
            let msg = format!(
                "expected a string value or a field with a valid transformer: {TRANSFORMERS_MSG}"
            );
            Err(p.fail(msg, value_hint(p.bytes.get(p.pos).copied())))
        })
    }

    /// One list item (libs `parse_str_value_or_transformer(true)`).
    fn parse_list_item(&mut self) -> PResult<Value> {
        self.guarded(|p| {
            p.blank();
            if let Some(v) = p.string_token()? {
                return Ok(v);
            }
            let hint = "list items are strings; remove the extra `,` or quote the item";
            Err(p.fail("expected a string value", hint))
        })
    }

    /// RHS of a list operator.
    fn parse_list_value(&mut self) -> PResult<Rhs> {
        self.guarded(|p| {
            p.blank();
            let start = p.pos;
            if p.lit("(", TokenKind::LParen) {
                return Ok(Rhs::List(p.parse_list_items(start)?));
            }
            if let Some(t) = p.try_transformer_or_val()? {
                return Ok(Rhs::Transformer(t));
            }
            if let Some((s, e)) = p.rgx(Mode::Identifier, TokenKind::Identifier) {
                return Ok(Rhs::Identifier(Value::new(
                    p.slice(s, e),
                    p.span(s, e),
                    false,
                )));
            }
            let hint = "list operators take a list such as `(a, b)`, a list name or `val(field)`";
            let msg = format!(
                "expected a list, an identifier, or a field with a valid transformer: \
                 {TRANSFORMERS_MSG}"
            );
            Err(p.fail(msg, hint))
        })
    }

    /// `( [ item { , item } ] )` after the `(`. A failing first item means "empty list" (libs
    /// catches the exception; the cursor stays where the failure left it).
    fn parse_list_items(&mut self, start: usize) -> PResult<ListLit> {
        self.blank();
        let mut items = Vec::new();
        if let Ok(first) = self.parse_list_item() {
            items.push(first);
            self.blank();
            while self.lit(",", TokenKind::Comma) {
                items.push(self.parse_list_item()?);
                self.blank();
            }
        }
        if !self.lit(")", TokenKind::RParen) {
            let hint = list_close_hint(self.bytes.get(self.pos).copied(), items.is_empty());
            return Err(self.fail("expected a ')' token", hint));
        }
        Ok(ListLit {
            items,
            span: self.span(start, self.last_end),
        })
    }

    /// `val(field)[arg]` or a transformer, if one starts at the cursor.
    fn try_transformer_or_val(&mut self) -> PResult<Option<Transformer>> {
        self.guarded(|p| {
            p.blank();
            let start = p.pos;
            if p.lit_call("val(", TokenKind::Transformer) {
                p.last_token = Cow::Borrowed("val");
                return p.parse_val_remainder(start).map(Some);
            }
            if let Some((name, s)) = p.transformer_type() {
                p.blank();
                return p.parse_transformer_remainder(name, s).map(Some);
            }
            Ok(None)
        })
    }

    fn parse_val_remainder(&mut self, start: usize) -> PResult<Transformer> {
        self.blank();
        let Some((s, e)) = self.rgx(Mode::FieldName, TokenKind::FieldName) else {
            let hint = "`val()` takes exactly one field, e.g. `val(proc.pname)`";
            return Err(self.fail("expected a field within 'val' transformer", hint));
        };
        let field = self.parse_field_remainder(s, e)?;
        self.blank();
        if !self.lit(")", TokenKind::RParen) {
            let hint = "`val()` takes exactly one field, e.g. `val(proc.pname)`";
            return Err(self.fail("expected a ')' token closing the transformer", hint));
        }
        let (arg, arg_span) = self.parse_opt_field_arg()?;
        let span = self.span(start, self.last_end);
        let args = vec![TrArg::Field(field)];
        Ok(Transformer {
            name: TransformerName::Val,
            args,
            arg,
            span,
            arg_span,
        })
    }

    // ----------------------------------------------------------------------------------------
    // failures

    /// Span of the "token" at the cursor: one punctuation byte, or a run of other characters.
    fn cursor_span(&self) -> (usize, usize) {
        let start = self.pos.min(self.bytes.len());
        let mut end = start;
        for (i, ch) in self.rest().char_indices() {
            let stop = ch.is_ascii()
                && (is_blank(ch as u8) || is_posix_space(ch as u8) || "()[],\"'".contains(ch));
            if stop {
                if i == 0 {
                    end = start + ch.len_utf8();
                }
                break;
            }
            end = start + i + ch.len_utf8();
        }
        (start, end)
    }

    fn fail(&self, message: impl Into<String>, hint: &str) -> Box<Failure> {
        let (s, e) = self.cursor_span();
        self.fail_span(message.into(), s, e, Some(hint.to_string()))
    }

    fn fail_span(
        &self,
        message: String,
        start: usize,
        end: usize,
        hint: Option<String>,
    ) -> Box<Failure> {
        Box::new(Failure {
            message,
            index: self.pos,
            start,
            end,
            hint,
        })
    }

    fn fail_after_keyword(&self, word: &str) -> Box<Failure> {
        let start = self.pos - word.len();
        let glued = self
            .rest()
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next();
        let glued = glued.unwrap_or("");
        let msg = format!("expected blank or '(' after '{word}'");
        let hint = if glued.is_empty() {
            format!("`{word}` must be followed by a blank or `(` and another condition")
        } else {
            format!("`{word}` must be followed by a blank or `(`: `{word}{glued}` is read as `{word}` + `{glued}`")
        };
        self.fail_span(msg, start, self.pos + glued.len(), Some(hint))
    }

    fn fail_check(&self) -> Box<Failure> {
        let msg = "expected a '(' token, a field check, or an identifier";
        let hint = match self.bytes.get(self.pos) {
            None => "the condition is incomplete: a check, a macro name or `(` must follow",
            Some(b) if b.is_ascii_digit() || *b == b'"' || *b == b'\'' => {
                "a check starts with a field (e.g. `proc.name = bash`), a macro name or `(`"
            }
            Some(_) => "expected a field check (e.g. `proc.name = bash`), a macro name or `(`",
        };
        self.fail(msg, hint)
    }

    fn fail_operator(&self) -> Box<Failure> {
        let hint = match self.bytes.get(self.pos) {
            Some(b'[') => "no blank is allowed between a field name and its `[argument]`",
            None => "the check is missing its operator, e.g. `= value` or `exists`",
            _ if self.last_kind == Some(TokenKind::Operator) => {
                "word operators must be followed by a blank, e.g. `contains value`"
            }
            _ => "use an operator such as `=`, `!=`, `contains`, `startswith`, `in` or `exists`",
        };
        self.fail(OPERATOR_MSG, hint)
    }

    fn fail_trailing(&self) -> Box<Failure> {
        let msg = format!(
            "unexpected token after '{}', expecting 'or', 'and'",
            self.last_token
        );
        let hint = self.trailing_hint();
        let (s, e) = self.cursor_span();
        self.fail_span(msg, s, e, Some(hint))
    }

    fn trailing_hint(&self) -> String {
        let last = &self.last_token;
        let next = self.bytes.get(self.pos).copied();
        if next == Some(b'(') && TransformerName::from_name(last).is_some() {
            return "no blank is allowed between a transformer name and `(`".to_string();
        }
        if self.last_kind == Some(TokenKind::BareStr) {
            for word in ["and", "or"] {
                if last.len() > word.len() && last.ends_with(word) {
                    return format!(
                        "the bare value `{last}` swallowed `{word}`: put a blank before `{word}`"
                    );
                }
            }
        }
        if self.last_kind == Some(TokenKind::Number) && matches!(next, Some(b'e' | b'E')) {
            return "a number exponent needs a sign, e.g. `1e+5`".to_string();
        }
        if next == Some(b'(') {
            return "`(` cannot follow here: values and macro names take no arguments".to_string();
        }
        "join conditions with `and` / `or`, and quote values that contain blanks".to_string()
    }
}

fn escape_hint(message: &str) -> String {
    if message.contains("hex") {
        "`\\x` needs exactly two hex digits, e.g. `\\x41`".to_string()
    } else if message.contains("-quoted") {
        "the other quote character needs no escaping inside a quoted string".to_string()
    } else {
        "supported escapes: \\\\ \\\" \\' \\b \\f \\n \\r \\t \\/ \\xHH".to_string()
    }
}

fn value_hint(next: Option<u8>) -> &'static str {
    match next {
        None => "the value is missing after the operator",
        Some(b'"') | Some(b'\'') => "the quoted string is not terminated",
        Some(b'(') => {
            "lists need a list operator such as `in`, or a modifier like `= oneof (a, b)`"
        }
        Some(b'=') | Some(b',') => "quote values that start with `=` or `,`",
        Some(_) => "write a value after the operator, quoting it if it contains blanks",
    }
}

fn list_close_hint(next: Option<u8>, empty: bool) -> &'static str {
    match next {
        None => "the list is not closed: add `)`",
        Some(b',') if empty => "a list item is missing before `,`",
        Some(b'"') | Some(b'\'') => "a list item has an unterminated or misplaced quote",
        Some(_) if !empty => "a list needs commas between items: `(x, y)`",
        Some(_) => "list items are strings separated by `,`: `(x, y)`",
    }
}
