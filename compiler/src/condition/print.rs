//! The canonical libs AST string form (§2.11), via `Display`.
//!
//! This is the golden format of the libs unit tests: `and`/`or` always parenthesised, values
//! escaped with libs `escape_str`. It is *not* always re-parsable (`a.b = ""` prints `a.b = `);
//! use [`super::to_source`] for re-parsable text.

use std::fmt;

use super::ast::{Expr, ExprKind, Field, Operand, Rhs, TrArg, Transformer};
use super::escape::escape_canonical;

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::And(c) => write_joined(f, c, " and "),
            ExprKind::Or(c) => write_joined(f, c, " or "),
            ExprKind::Not(e) => write!(f, "not {e}"),
            ExprKind::Identifier(name) => f.write_str(name),
            ExprKind::Unary { lhs } => write!(f, "{lhs} exists"),
            ExprKind::Binary { lhs, op, rhs } => write!(f, "{lhs} {} {rhs}", op.libs_str()),
        }
    }
}

fn write_joined(f: &mut fmt::Formatter<'_>, children: &[Expr], sep: &str) -> fmt::Result {
    f.write_str("(")?;
    for (i, c) in children.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{c}")?;
    }
    f.write_str(")")
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Field(x) => x.fmt(f),
            Operand::Transformer(x) => x.fmt(f),
        }
    }
}

/// `[arg]` with the argument escaped; the empty argument prints `[""]`.
fn write_arg(f: &mut fmt::Formatter<'_>, arg: &Option<String>) -> fmt::Result {
    match arg.as_deref() {
        None => Ok(()),
        Some("") => f.write_str("[\"\"]"),
        Some(a) => write!(f, "[{}]", escape_canonical(a)),
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        write_arg(f, &self.arg)
    }
}

impl fmt::Display for Transformer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(", self.name.as_str())?;
        write_tr_args(f, &self.args)?;
        f.write_str(")")?;
        write_arg(f, &self.arg)
    }
}

fn write_tr_args(f: &mut fmt::Formatter<'_>, args: &[TrArg]) -> fmt::Result {
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{a}")?;
    }
    Ok(())
}

impl fmt::Display for TrArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrArg::Field(x) => x.fmt(f),
            TrArg::Transformer(x) => x.fmt(f),
            TrArg::Value(v) => f.write_str(&escape_canonical(&v.text)),
            TrArg::List(items, _) => {
                f.write_str("(")?;
                write_tr_args(f, items)?;
                f.write_str(")")
            }
        }
    }
}

impl fmt::Display for Rhs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rhs::Value(v) | Rhs::Identifier(v) => f.write_str(&escape_canonical(&v.text)),
            Rhs::List(l) => {
                f.write_str("(")?;
                for (i, v) in l.items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&escape_canonical(&v.text))?;
                }
                f.write_str(")")
            }
            Rhs::Transformer(t) => t.fmt(f),
        }
    }
}
