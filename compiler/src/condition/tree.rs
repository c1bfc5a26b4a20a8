//! Structured views of a condition AST for tooling: a JSON tree (libs node kinds, §2.16) and
//! an indented text tree, both with byte spans.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};

use super::ast::{Expr, ExprKind, Field, Operand, Rhs, TrArg, Transformer, Value};
use crate::span::Span;

fn span(s: Span) -> Json {
    json!([s.start, s.end])
}

fn value_text(v: &Value) -> String {
    String::from_utf8_lossy(v.as_bytes()).into_owned()
}

/// The AST as a JSON tree with libs node kinds (`and`, `binary_check`, `field`, ...).
pub fn to_json(e: &Expr) -> Json {
    match &e.kind {
        ExprKind::And(c) | ExprKind::Or(c) => json!({
            "kind": if matches!(e.kind, ExprKind::And(_)) { "and" } else { "or" },
            "span": span(e.span),
            "children": c.iter().map(to_json).collect::<Vec<_>>(),
        }),
        ExprKind::Not(c) => json!({"kind": "not", "span": span(e.span), "child": to_json(c)}),
        ExprKind::Identifier(n) => json!({"kind": "identifier", "span": span(e.span), "name": n}),
        ExprKind::Unary { lhs } => {
            json!({"kind": "unary_check", "span": span(e.span), "lhs": operand_json(lhs), "op": "exists"})
        }
        ExprKind::Binary { lhs, op, rhs } => json!({
            "kind": "binary_check",
            "span": span(e.span),
            "lhs": operand_json(lhs),
            "op": op.libs_str(),
            "rhs": rhs_json(rhs),
        }),
    }
}

fn operand_json(o: &Operand) -> Json {
    match o {
        Operand::Field(f) => field_json(f),
        Operand::Transformer(t) => transformer_json(t),
    }
}

fn field_json(f: &Field) -> Json {
    let mut v = json!({"kind": "field", "span": span(f.span), "name": f.name});
    if let Some(a) = &f.arg {
        v["arg"] = json!(a);
    }
    v
}

fn transformer_json(t: &Transformer) -> Json {
    let mut v = json!({
        "kind": "field_transformer",
        "span": span(t.span),
        "name": t.name.as_str(),
        "args": t.args.iter().map(tr_arg_json).collect::<Vec<_>>(),
    });
    if let Some(a) = &t.arg {
        v["arg"] = json!(a);
    }
    v
}

fn tr_arg_json(a: &TrArg) -> Json {
    match a {
        TrArg::Field(f) => field_json(f),
        TrArg::Transformer(t) => transformer_json(t),
        TrArg::Value(v) => value_json(v),
        TrArg::List(items, s) => json!({
            "kind": "transformer_list",
            "span": span(*s),
            "children": items.iter().map(tr_arg_json).collect::<Vec<_>>(),
        }),
    }
}

fn value_json(v: &Value) -> Json {
    json!({"kind": "value", "span": span(v.span), "value": value_text(v)})
}

fn rhs_json(r: &Rhs) -> Json {
    match r {
        Rhs::Value(v) | Rhs::Identifier(v) => value_json(v),
        Rhs::List(l) => json!({
            "kind": "list",
            "span": span(l.span),
            "values": l.items.iter().map(value_text).collect::<Vec<_>>(),
        }),
        Rhs::Transformer(t) => transformer_json(t),
    }
}

/// An indented text tree: one node per line, `kind detail @start..end`.
pub fn to_text(e: &Expr) -> String {
    let mut out = String::new();
    write_json_tree(&to_json(e), 0, &mut out);
    out
}

fn write_json_tree(n: &Json, depth: usize, out: &mut String) {
    let kind = n["kind"].as_str().unwrap_or("?");
    let mut detail = String::new();
    for key in ["name", "arg", "op", "value"] {
        if let Some(s) = n[key].as_str() {
            let _ = write!(detail, " {key}={s:?}");
        }
    }
    if let Some(vals) = n["values"].as_array() {
        let items: Vec<String> = vals
            .iter()
            .map(|v| format!("{:?}", v.as_str().unwrap_or("")))
            .collect();
        let _ = write!(detail, " values=[{}]", items.join(", "));
    }
    let (s, e) = (
        n["span"][0].as_u64().unwrap_or(0),
        n["span"][1].as_u64().unwrap_or(0),
    );
    let _ = writeln!(out, "{}{kind}{detail} @{s}..{e}", "  ".repeat(depth));
    for key in ["lhs", "child", "rhs"] {
        if n[key].is_object() {
            write_json_tree(&n[key], depth + 1, out);
        }
    }
    for key in ["children", "args"] {
        if let Some(c) = n[key].as_array() {
            for child in c {
                write_json_tree(child, depth + 1, out);
            }
        }
    }
}
