//! The condition AST (libs model, §2.16) with byte spans.
//!
//! Spans are byte ranges in the condition text (local offsets, `file` = the [`FileId`] given to
//! [`super::parse`]). Equality in the libs sense ignores spans and quoting: see [`Expr::same_ast`].
//!
//! [`FileId`]: crate::span::FileId

use crate::span::Span;

pub use rulec_ir::vocab::{Modifier, OpKind, TransformerName};

/// One node of a condition expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Bytes covered by the node (from its first token to its last one).
    pub span: Span,
}

/// The kinds of expression nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// n-ary conjunction (at least 2 children, evaluated left to right).
    And(Vec<Expr>),
    /// n-ary disjunction (at least 2 children, evaluated left to right).
    Or(Vec<Expr>),
    /// Negation (an odd number of folded `not`s).
    Not(Box<Expr>),
    /// A macro reference.
    Identifier(String),
    /// `⟨lhs⟩ exists`.
    Unary {
        /// The checked field or transformer.
        lhs: Operand,
    },
    /// `⟨lhs⟩ ⟨op⟩ ⟨rhs⟩`.
    Binary {
        /// The checked field or transformer.
        lhs: Operand,
        /// The comparison operator (possibly with a modifier).
        op: Operator,
        /// The right-hand side.
        rhs: Rhs,
    },
}

/// The left-hand side of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A plain field.
    Field(Field),
    /// A transformer applied to fields/values.
    Transformer(Transformer),
}

/// A field reference `name` or `name[arg]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Dotted field name.
    pub name: String,
    /// Argument inside `[...]` (unescaped); `Some("")` for `[""]`, distinct from `None`.
    pub arg: Option<String>,
    /// Name plus argument with brackets.
    pub span: Span,
    /// The name only.
    pub name_span: Span,
    /// The argument token inside the brackets (quotes included when quoted).
    pub arg_span: Option<Span>,
}

/// A transformer application `name(args...)[arg]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Transformer {
    /// Which transformer.
    pub name: TransformerName,
    /// Ordered arguments (at least one when produced by the parser).
    pub args: Vec<TrArg>,
    /// Optional selector argument after `)` (`getopt(...)[t]`), unescaped.
    pub arg: Option<String>,
    /// From the name to the closing `)` or `]`.
    pub span: Span,
    /// The selector argument token inside the brackets.
    pub arg_span: Option<Span>,
}

/// One transformer argument.
#[derive(Debug, Clone, PartialEq)]
pub enum TrArg {
    /// A field.
    Field(Field),
    /// A nested transformer.
    Transformer(Transformer),
    /// A quoted string or a number literal.
    Value(Value),
    /// A transformer list `( ... )` (elements are never lists themselves).
    List(Vec<TrArg>, Span),
}

/// A literal string value (already unescaped).
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The unescaped text. When the unescaped bytes were not valid UTF-8 (possible only with
    /// `\xHH` escapes) this is the lossy conversion and [`Value::bytes`] holds the exact bytes.
    pub text: String,
    /// The token (quotes included when quoted).
    pub span: Span,
    /// Whether the value was written as a quoted string.
    pub quoted: bool,
    /// Exact bytes when `text` is a lossy rendering (see `text`); `None` otherwise.
    pub bytes: Option<Vec<u8>>,
}

impl Value {
    /// A value with exact UTF-8 text.
    pub fn new(text: impl Into<String>, span: Span, quoted: bool) -> Self {
        Value {
            text: text.into(),
            span,
            quoted,
            bytes: None,
        }
    }

    /// A value built from unescaped bytes (lossy text plus exact bytes when not UTF-8).
    pub fn from_bytes(bytes: Vec<u8>, span: Span, quoted: bool) -> Self {
        match String::from_utf8(bytes) {
            Ok(text) => Value {
                text,
                span,
                quoted,
                bytes: None,
            },
            Err(e) => {
                let bytes = e.into_bytes();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                Value {
                    text,
                    span,
                    quoted,
                    bytes: Some(bytes),
                }
            }
        }
    }

    /// The exact value bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_deref().unwrap_or(self.text.as_bytes())
    }
}

/// The right-hand side of a binary check.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// A scalar string or number.
    Value(Value),
    /// A list literal `( ... )`.
    List(ListLit),
    /// A list name after a list operator or a modifier (not a macro reference).
    Identifier(Value),
    /// A transformer, including `val(...)`.
    Transformer(Transformer),
}

/// A list literal of strings.
#[derive(Debug, Clone, PartialEq)]
pub struct ListLit {
    /// Items in order (duplicates kept).
    pub items: Vec<Value>,
    /// From `(` to `)`.
    pub span: Span,
}

/// A binary operator as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    /// The operator.
    pub kind: OpKind,
    /// Optional modifier (`== oneof`).
    pub modifier: Option<Modifier>,
    /// The operator as written, without the modifier (`=` and `==` are kept distinct).
    pub text: String,
    /// From the operator to the end of the modifier, if any.
    pub span: Span,
}

impl Operator {
    /// The libs AST operator string: `text`, or `"⟨text⟩ ⟨modifier⟩"`.
    pub fn libs_str(&self) -> String {
        match self.modifier {
            Some(m) => format!("{} {}", self.text, m.as_str()),
            None => self.text.clone(),
        }
    }
}

impl Expr {
    /// Structural equality in the libs sense: kinds, strings and children; spans and the
    /// quoted/bare distinction are ignored.
    pub fn same_ast(&self, other: &Expr) -> bool {
        match (&self.kind, &other.kind) {
            (ExprKind::And(a), ExprKind::And(b)) | (ExprKind::Or(a), ExprKind::Or(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_ast(y))
            }
            (ExprKind::Not(a), ExprKind::Not(b)) => a.same_ast(b),
            (ExprKind::Identifier(a), ExprKind::Identifier(b)) => a == b,
            (ExprKind::Unary { lhs: a }, ExprKind::Unary { lhs: b }) => a.same_ast(b),
            (
                ExprKind::Binary {
                    lhs: l1,
                    op: o1,
                    rhs: r1,
                },
                ExprKind::Binary {
                    lhs: l2,
                    op: o2,
                    rhs: r2,
                },
            ) => l1.same_ast(l2) && o1.libs_str() == o2.libs_str() && r1.same_ast(r2),
            _ => false,
        }
    }

    /// Calls `f` on every span in the tree (nodes, fields, values, operators...), e.g. to remap
    /// local offsets to file offsets.
    pub fn walk_spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        f(&mut self.span);
        match &mut self.kind {
            ExprKind::And(c) | ExprKind::Or(c) => c.iter_mut().for_each(|e| e.walk_spans_mut(f)),
            ExprKind::Not(e) => e.walk_spans_mut(f),
            ExprKind::Identifier(_) => {}
            ExprKind::Unary { lhs } => lhs.walk_spans_mut(f),
            ExprKind::Binary { lhs, op, rhs } => {
                lhs.walk_spans_mut(f);
                f(&mut op.span);
                rhs.walk_spans_mut(f);
            }
        }
    }

    /// Pre-order traversal of the expression nodes (not descending into operands).
    pub fn visit(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match &self.kind {
            ExprKind::And(c) | ExprKind::Or(c) => c.iter().for_each(|e| e.visit(f)),
            ExprKind::Not(e) => e.visit(f),
            _ => {}
        }
    }
}

impl Operand {
    /// libs-style equality (see [`Expr::same_ast`]).
    pub fn same_ast(&self, other: &Operand) -> bool {
        match (self, other) {
            (Operand::Field(a), Operand::Field(b)) => a.same_ast(b),
            (Operand::Transformer(a), Operand::Transformer(b)) => a.same_ast(b),
            _ => false,
        }
    }

    /// The operand's span.
    pub fn span(&self) -> Span {
        match self {
            Operand::Field(f) => f.span,
            Operand::Transformer(t) => t.span,
        }
    }

    fn walk_spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            Operand::Field(x) => x.walk_spans_mut(f),
            Operand::Transformer(x) => x.walk_spans_mut(f),
        }
    }
}

impl Field {
    /// libs-style equality: name and argument.
    pub fn same_ast(&self, other: &Field) -> bool {
        self.name == other.name && self.arg == other.arg
    }

    fn walk_spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        f(&mut self.span);
        f(&mut self.name_span);
        if let Some(s) = &mut self.arg_span {
            f(s);
        }
    }
}

impl Transformer {
    /// libs-style equality: name, arguments and selector.
    pub fn same_ast(&self, other: &Transformer) -> bool {
        self.name == other.name && self.arg == other.arg && same_args(&self.args, &other.args)
    }

    fn walk_spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        f(&mut self.span);
        if let Some(s) = &mut self.arg_span {
            f(s);
        }
        self.args.iter_mut().for_each(|a| a.walk_spans_mut(f));
    }
}

fn same_args(a: &[TrArg], b: &[TrArg]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_ast(y))
}

impl TrArg {
    /// libs-style equality.
    pub fn same_ast(&self, other: &TrArg) -> bool {
        match (self, other) {
            (TrArg::Field(a), TrArg::Field(b)) => a.same_ast(b),
            (TrArg::Transformer(a), TrArg::Transformer(b)) => a.same_ast(b),
            (TrArg::Value(a), TrArg::Value(b)) => a.same_ast(b),
            (TrArg::List(a, _), TrArg::List(b, _)) => same_args(a, b),
            _ => false,
        }
    }

    /// The argument's span.
    pub fn span(&self) -> Span {
        match self {
            TrArg::Field(f) => f.span,
            TrArg::Transformer(t) => t.span,
            TrArg::Value(v) => v.span,
            TrArg::List(_, s) => *s,
        }
    }

    fn walk_spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            TrArg::Field(x) => x.walk_spans_mut(f),
            TrArg::Transformer(x) => x.walk_spans_mut(f),
            TrArg::Value(v) => f(&mut v.span),
            TrArg::List(items, s) => {
                f(s);
                items.iter_mut().for_each(|a| a.walk_spans_mut(f));
            }
        }
    }
}

impl Value {
    /// libs-style equality: the exact value bytes.
    pub fn same_ast(&self, other: &Value) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Rhs {
    /// libs-style equality. A list identifier and a scalar value are both libs `value` nodes,
    /// so `Value` and `Identifier` with the same text compare equal.
    pub fn same_ast(&self, other: &Rhs) -> bool {
        match (self, other) {
            (Rhs::Value(a) | Rhs::Identifier(a), Rhs::Value(b) | Rhs::Identifier(b)) => {
                a.same_ast(b)
            }
            (Rhs::List(a), Rhs::List(b)) => {
                a.items.len() == b.items.len()
                    && a.items.iter().zip(&b.items).all(|(x, y)| x.same_ast(y))
            }
            (Rhs::Transformer(a), Rhs::Transformer(b)) => a.same_ast(b),
            _ => false,
        }
    }

    /// The right-hand side's span.
    pub fn span(&self) -> Span {
        match self {
            Rhs::Value(v) | Rhs::Identifier(v) => v.span,
            Rhs::List(l) => l.span,
            Rhs::Transformer(t) => t.span,
        }
    }

    fn walk_spans_mut(&mut self, f: &mut dyn FnMut(&mut Span)) {
        match self {
            Rhs::Value(v) | Rhs::Identifier(v) => f(&mut v.span),
            Rhs::List(l) => {
                f(&mut l.span);
                l.items.iter_mut().for_each(|v| f(&mut v.span));
            }
            Rhs::Transformer(t) => t.walk_spans_mut(f),
        }
    }
}
