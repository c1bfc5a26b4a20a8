//! Re-parsable printers: [`to_source`] (one line) and [`pretty`] (width-aware, multi-line).
//!
//! Both guarantee `parse(out)` is [`Expr::same_ast`] to the input for every AST the parser can
//! produce: values are written bare only when the bare-string lexer reads them back unchanged,
//! nested `and`/`or` and double negations are parenthesised, and a macro named `not` is written
//! `(not)`. ASTs built by hand with impossible content (e.g. a non-numeric value after `<`, an
//! identifier that is not an identifier) are printed as faithfully as possible.

use super::ast::{
    Expr, ExprKind, Field, Modifier, OpKind, Operand, Operator, Rhs, TrArg, Transformer, Value,
};
use super::escape::{is_bare_field_arg, is_bare_value, quote_bytes};
use super::lexer::number_len;

/// A single-line, re-parsable rendering of `expr`.
pub fn to_source(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

fn write_expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::And(c) => write_chain(out, c, " and "),
        ExprKind::Or(c) => write_chain(out, c, " or "),
        ExprKind::Not(x) => {
            out.push_str("not ");
            if needs_parens_under_not(x) {
                write_group(out, x);
            } else {
                write_expr(out, x);
            }
        }
        ExprKind::Identifier(name) if name == "not" => out.push_str("(not)"),
        ExprKind::Identifier(name) => out.push_str(name),
        ExprKind::Unary { lhs } => {
            write_operand(out, lhs);
            out.push_str(" exists");
        }
        ExprKind::Binary { lhs, op, rhs } => {
            write_operand(out, lhs);
            out.push(' ');
            out.push_str(&operator_text(op));
            out.push(' ');
            write_rhs(out, op, rhs);
        }
    }
}

fn write_chain(out: &mut String, children: &[Expr], sep: &str) {
    for (i, c) in children.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        if is_logical(c) {
            write_group(out, c);
        } else {
            write_expr(out, c);
        }
    }
}

fn write_group(out: &mut String, e: &Expr) {
    out.push('(');
    write_expr(out, e);
    out.push(')');
}

fn is_logical(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::And(_) | ExprKind::Or(_))
}

fn needs_parens_under_not(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::And(_) | ExprKind::Or(_) | ExprKind::Not(_)
    )
}

fn write_operand(out: &mut String, o: &Operand) {
    match o {
        Operand::Field(f) => write_field(out, f),
        Operand::Transformer(t) => write_transformer(out, t),
    }
}

fn write_field(out: &mut String, f: &Field) {
    out.push_str(&f.name);
    write_field_arg(out, f.arg.as_deref());
}

fn write_field_arg(out: &mut String, arg: Option<&str>) {
    let Some(a) = arg else { return };
    out.push('[');
    if is_bare_field_arg(a) {
        out.push_str(a);
    } else {
        out.push_str(&quote_bytes(a.as_bytes()));
    }
    out.push(']');
}

fn write_transformer(out: &mut String, t: &Transformer) {
    out.push_str(t.name.as_str());
    out.push('(');
    write_tr_args(out, &t.args);
    out.push(')');
    write_field_arg(out, t.arg.as_deref());
}

fn write_tr_args(out: &mut String, args: &[TrArg]) {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match a {
            TrArg::Field(f) => write_field(out, f),
            TrArg::Transformer(t) => write_transformer(out, t),
            TrArg::Value(v) => out.push_str(&literal_value(v)),
            TrArg::List(items, _) => {
                out.push('(');
                write_tr_args(out, items);
                out.push(')');
            }
        }
    }
}

/// A transformer literal: a number as is, anything else quoted.
fn literal_value(v: &Value) -> String {
    if v.bytes.is_none() && number_len(&v.text) == Some(v.text.len()) && !v.text.is_empty() {
        v.text.clone()
    } else {
        quote_bytes(v.as_bytes())
    }
}

/// The operator as written plus its modifier.
fn operator_text(op: &Operator) -> String {
    let text = if OpKind::from_text(&op.text) == Some(op.kind) {
        op.text.as_str()
    } else {
        op.kind.as_str()
    };
    match op.modifier {
        Some(m) => format!("{text} {}", m.as_str()),
        None => text.to_string(),
    }
}

fn write_rhs(out: &mut String, op: &Operator, rhs: &Rhs) {
    match rhs {
        Rhs::Value(v) if op.kind.is_numeric() => out.push_str(&literal_value(v)),
        Rhs::Value(v) => out.push_str(&string_value(v, true)),
        Rhs::Identifier(v) => out.push_str(&v.text),
        Rhs::List(l) => {
            out.push('(');
            for (i, v) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&string_value(v, false));
            }
            out.push(')');
        }
        Rhs::Transformer(t) => write_transformer(out, t),
    }
}

/// A string value: bare when the bare-string lexer reads it back unchanged, else quoted.
/// After a string operator, modifier words are quoted too (they could start a modifier list).
fn string_value(v: &Value, after_op: bool) -> String {
    let is_modifier = Modifier::ALL.iter().any(|m| m.as_str() == v.text);
    if v.bytes.is_none() && is_bare_value(&v.text) && !(after_op && is_modifier) {
        v.text.clone()
    } else {
        quote_bytes(v.as_bytes())
    }
}

/// A re-parsable rendering that breaks long `and`/`or` chains (one operand per line, operator
/// first), parenthesised sub-chains (indented by 4) and long lists, aiming at `width` columns.
pub fn pretty(expr: &Expr, width: usize) -> String {
    Pretty { width }.expr(expr, 0, 0)
}

struct Pretty {
    width: usize,
}

fn flat(e: &Expr) -> String {
    to_source(e)
}

fn indent(n: usize) -> String {
    " ".repeat(n)
}

impl Pretty {
    fn fits(&self, col: usize, s: &str) -> bool {
        !s.contains('\n') && col + s.chars().count() <= self.width
    }

    /// `e` rendered with its first line starting at column `col` (no leading spaces); `base` is
    /// the indentation of the line it starts on.
    fn expr(&self, e: &Expr, col: usize, base: usize) -> String {
        let f = flat(e);
        if self.fits(col, &f) {
            return f;
        }
        match &e.kind {
            ExprKind::And(c) => self.chain(c, "and", col),
            ExprKind::Or(c) => self.chain(c, "or", col),
            ExprKind::Not(x) if needs_parens_under_not(x) => {
                format!("not {}", self.group(x, col + 4, base))
            }
            ExprKind::Not(x) => format!("not {}", self.expr(x, col + 4, base)),
            ExprKind::Binary {
                lhs,
                op,
                rhs: Rhs::List(l),
            } => {
                let mut head = String::new();
                write_operand(&mut head, lhs);
                head.push(' ');
                head.push_str(&operator_text(op));
                head.push_str(" (");
                let items: Vec<String> = l.items.iter().map(|v| string_value(v, false)).collect();
                format!("{head}{}", self.list_body(&items, base))
            }
            _ => f,
        }
    }

    fn chain(&self, children: &[Expr], kw: &str, col: usize) -> String {
        let mut s = String::new();
        for (i, c) in children.iter().enumerate() {
            let ccol = if i == 0 { col } else { col + kw.len() + 1 };
            if i > 0 {
                s.push('\n');
                s.push_str(&indent(col));
                s.push_str(kw);
                s.push(' ');
            }
            if is_logical(c) {
                s.push_str(&self.group(c, ccol, col));
            } else {
                s.push_str(&self.expr(c, ccol, col));
            }
        }
        s
    }

    /// `( e )`, broken over lines with the body indented from `base` when too long.
    fn group(&self, e: &Expr, col: usize, base: usize) -> String {
        let f = format!("({})", flat(e));
        if self.fits(col, &f) {
            return f;
        }
        let inner = base + 4;
        format!(
            "(\n{}{}\n{})",
            indent(inner),
            self.expr(e, inner, inner),
            indent(base)
        )
    }

    /// List items after `(`: filled lines indented from `base`, then `)` on its own line.
    fn list_body(&self, items: &[String], base: usize) -> String {
        let inner = base + 4;
        let mut s = String::from("\n");
        let mut line = String::new();
        for (i, item) in items.iter().enumerate() {
            let piece = if i + 1 < items.len() {
                format!("{item},")
            } else {
                item.clone()
            };
            if !line.is_empty()
                && inner + line.chars().count() + 1 + piece.chars().count() > self.width
            {
                s.push_str(&indent(inner));
                s.push_str(&line);
                s.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&piece);
        }
        if !line.is_empty() {
            s.push_str(&indent(inner));
            s.push_str(&line);
            s.push('\n');
        }
        s.push_str(&indent(base));
        s.push(')');
        s
    }
}
