//! Lints Falco does not have (codes `RULEC_*`). Each can be silenced with the CLI's
//! `--allow CODE` (which filters diagnostics by code); they never make a load fail.
//!
//! * `RULEC_NEVER_MATCHES`: a rule whose condition can never be true — contradictory
//!   `evt.type` restrictions, or a literally written empty list (`x in ()`) in a position that
//!   decides the whole condition. Lists that became empty through list substitution are
//!   customization hooks (`user_known_*`) and are not flagged; neither is `evt.num=0` (the
//!   intentional `never_true` idiom).
//! * `RULEC_CONSTANT_MACRO`: a macro whose condition is constant for the same reasons.
//! * `RULEC_EXCEPTION_MATCHES_ALL`: an exception value tuple whose every comparison is
//!   trivially true (`glob *`, `iglob *`, `regex .*`, `pmatch (/)`).
//! * `RULEC_DUPLICATE_LIST_ITEM`: the same item twice in one list definition.
//! * `RULEC_SHADOWED_RULE`: a rule with the same source, canonical condition and output as an
//!   earlier enabled rule.

use crate::condition::ast::{Expr, ExprKind, OpKind, Rhs};
use crate::span::Span;

/// Constant folding: `Some(false)` = never true, `Some(true)` = always true, `None` = depends.
/// `literal_empty(span)` says whether an empty list at `span` was written literally.
pub fn fold(e: &Expr, literal_empty: &dyn Fn(Span) -> bool) -> Option<bool> {
    match &e.kind {
        ExprKind::And(c) => {
            let v: Vec<Option<bool>> = c.iter().map(|x| fold(x, literal_empty)).collect();
            if v.contains(&Some(false)) {
                Some(false)
            } else if v.iter().all(|x| *x == Some(true)) {
                Some(true)
            } else {
                None
            }
        }
        ExprKind::Or(c) => {
            let v: Vec<Option<bool>> = c.iter().map(|x| fold(x, literal_empty)).collect();
            if v.contains(&Some(true)) {
                Some(true)
            } else if v.iter().all(|x| *x == Some(false)) {
                Some(false)
            } else {
                None
            }
        }
        ExprKind::Not(x) => fold(x, literal_empty).map(|b| !b),
        ExprKind::Binary {
            op,
            rhs: Rhs::List(l),
            ..
        } if matches!(op.kind, OpKind::In | OpKind::Intersects | OpKind::PMatch)
            && op.modifier.is_none()
            && l.items.is_empty()
            && literal_empty(l.span) =>
        {
            Some(false)
        }
        _ => None,
    }
}

/// Whether an exception comparison `⟨field⟩ ⟨comp⟩ ⟨value⟩` is true for every value.
pub fn trivially_true(comp: &str, value: &str) -> bool {
    let v = value.trim();
    match comp.trim() {
        "glob" | "iglob" => v.trim_matches('"') == "*",
        "regex" => matches!(v.trim_matches('"'), ".*" | "^.*$" | "^.*"),
        "pmatch" => {
            let inner = v.trim_start_matches('(').trim_end_matches(')').trim();
            inner.trim_matches('"') == "/"
        }
        _ => false,
    }
}
