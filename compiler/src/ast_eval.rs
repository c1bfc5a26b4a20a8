//! A direct AST evaluator: the oracle the IR interpreter is tested against.
//!
//! It walks the macro-resolved AST, extracts fields through the schema on every use (no
//! memo, no folding, no sets, regexes compiled per check) and applies the shared operator
//! semantics of the runtime's [`rulec_runtime::interp::ops`], so the interpreter and JIT are
//! checked against an evaluator that shares nothing with them but the operators.

use crate::condition::ast::{
    Expr, ExprKind, OpKind, Operand, Rhs, TrArg, Transformer, TransformerName,
};
use crate::schema::{FieldType, SourceSchema};
use crate::typeck::TypedCondition;
use rulec_runtime::event::{hex_decode, parse_typed, Event, Val, Values};

use rulec_runtime::interp::ops::{self, RhsRef};

/// Evaluates `e` for `ev`. `typed` gives the LHS types (falls back to local inference).
pub fn eval(
    schema: &SourceSchema,
    typed: Option<&TypedCondition>,
    e: &Expr,
    ev: &dyn Event,
) -> bool {
    eval_counted(schema, typed, e, ev, &mut 0)
}

/// [`eval`], adding to `visited` the number of nodes evaluated (`and`, `or`, `not` and checks,
/// short-circuit, every macro occurrence evaluated again): libsinsp's evaluation model, in
/// which Falco's cost per filter node is quoted.
pub fn eval_counted(
    schema: &SourceSchema,
    typed: Option<&TypedCondition>,
    e: &Expr,
    ev: &dyn Event,
    visited: &mut u64,
) -> bool {
    *visited += 1;
    match &e.kind {
        ExprKind::And(c) => c
            .iter()
            .all(|x| eval_counted(schema, typed, x, ev, visited)),
        ExprKind::Or(c) => c
            .iter()
            .any(|x| eval_counted(schema, typed, x, ev, visited)),
        ExprKind::Not(x) => !eval_counted(schema, typed, x, ev, visited),
        ExprKind::Identifier(_) => false,
        ExprKind::Unary { lhs } => operand(schema, lhs, ev).0.is_some(),
        ExprKind::Binary { lhs, op, rhs } => {
            let (lv, (mut ty, mut is_list)) = operand(schema, lhs, ev);
            if let Some(c) = typed.and_then(|t| t.check_at(e.span)) {
                ty = c.lhs.ty;
                is_list = c.lhs.is_list;
            }
            let Some(lv) = lv else {
                return false;
            };
            let m = op.modifier;
            let k = op.kind;
            let items: Vec<&crate::condition::ast::Value> = match rhs {
                Rhs::Transformer(t) => {
                    return match transformer(schema, t, ev).0 {
                        Some(rv) => ops::eval_check(k, m, is_list, &lv, RhsRef::Vals(&rv)),
                        None => false,
                    };
                }
                Rhs::Value(v) | Rhs::Identifier(v) => vec![v],
                Rhs::List(l) => l.items.iter().collect(),
            };
            match k {
                OpKind::Regex => {
                    let res: Option<Vec<regex::Regex>> =
                        items.iter().map(|v| ops::full_regex(&v.text)).collect();
                    res.is_some_and(|r| ops::eval_check(k, m, is_list, &lv, RhsRef::Regex(&r)))
                }
                OpKind::PMatch => {
                    let p: Vec<Vec<String>> = items
                        .iter()
                        .map(|v| ops::path_components(&v.text))
                        .collect();
                    ops::eval_check(k, m, is_list, &lv, RhsRef::PMatch(&p))
                }
                _ => {
                    let vals: Option<Vec<Val>> = items
                        .iter()
                        .map(|v| match ty {
                            FieldType::Bytebuf
                                if matches!(k, OpKind::BContains | OpKind::BStartsWith) =>
                            {
                                hex_decode(&v.text).map(Val::Bytes)
                            }
                            FieldType::Bytebuf => Some(Val::Bytes(v.as_bytes().to_vec())),
                            t if t.is_string() => {
                                Some(Val::Str(v.text.split('\0').next().unwrap_or("").to_owned()))
                            }
                            t => parse_typed(t, &v.text, true),
                        })
                        .collect();
                    vals.is_some_and(|v| ops::eval_check(k, m, is_list, &lv, RhsRef::Vals(&v)))
                }
            }
        }
    }
}

type Typed = (Option<Values>, (FieldType, bool));

fn operand(schema: &SourceSchema, o: &Operand, ev: &dyn Event) -> Typed {
    match o {
        Operand::Field(f) => field(schema, f, ev),
        Operand::Transformer(t) => transformer(schema, t, ev),
    }
}

fn field(schema: &SourceSchema, f: &crate::condition::ast::Field, ev: &dyn Event) -> Typed {
    let Ok(r) = schema.lookup(&f.name, f.arg.as_deref()) else {
        return (None, (FieldType::None, false));
    };
    let text = match &f.arg {
        Some(a) => format!("{}[{a}]", f.name),
        None => f.name.clone(),
    };
    let tf = crate::typeck::FieldRef {
        text,
        index: r.index,
        ty: r.ty,
        is_list: r.is_list,
        span: f.span,
    };
    (ev.extract(&tf.event_ref(schema)), (r.ty, r.is_list))
}

fn tr_arg(schema: &SourceSchema, a: &TrArg, ev: &dyn Event) -> Typed {
    match a {
        TrArg::Field(f) => field(schema, f, ev),
        TrArg::Transformer(t) => transformer(schema, t, ev),
        TrArg::Value(v) => (
            Some(vec![Val::Str(v.text.clone())]),
            (FieldType::Charbuf, false),
        ),
        TrArg::List(items, _) => {
            let mut out = Vec::new();
            for i in items {
                match tr_arg(schema, i, ev).0 {
                    Some(v) => out.extend(v),
                    None => return (None, (FieldType::Charbuf, true)),
                }
            }
            (Some(out), (FieldType::Charbuf, true))
        }
    }
}

fn transformer(schema: &SourceSchema, t: &Transformer, ev: &dyn Event) -> Typed {
    use TransformerName as N;
    let args: Vec<Typed> = t.args.iter().map(|a| tr_arg(schema, a, ev)).collect();
    let first = args.first().map_or((FieldType::None, false), |a| a.1);
    let ty = match t.name {
        N::Val | N::ToLower | N::ToUpper | N::B64 | N::Basename => first,
        N::Len => (FieldType::Uint64, false),
        N::Join | N::Concat => (FieldType::Charbuf, false),
        N::Getopt => (FieldType::Charbuf, t.arg.is_none()),
    };
    let lists: Vec<bool> = args.iter().map(|a| a.1 .1).collect();
    let vals: Vec<Option<Values>> = args.into_iter().map(|a| a.0).collect();
    (
        ops::apply_transformer(t.name, &vals, &lists, t.arg.as_deref()),
        ty,
    )
}
