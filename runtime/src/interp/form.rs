//! Specialised forms of common checks ([`NativeForm`]): a scalar field against literal
//! constants, with the operator's semantics reduced to one comparison of machine values.
//!
//! Both fast evaluators use them: the interpreter's compiled code tests each extracted value
//! with the flat [`super::code::Test`] made from a form, and the runtime's JIT emits machine
//! code for them. A value of another kind than the form expects (rare: the lowering parses
//! literals for the field's type) goes to the shared operator code, so a form never changes a
//! result.

use std::collections::HashSet;
use std::hash::BuildHasherDefault;

use crate::event::{FxHasher, Val};
use rulec_ir::program::{Check, RhsIr};
use rulec_ir::vocab::OpKind;

use super::ops::cstr;

/// Longest integer `in` list kept as a list of inline comparisons (longer ones stay sets).
pub const MAX_INLINE_SET: usize = 16;

/// A set of byte strings (`in` lists of a string field), with a fast hasher.
pub type ByteSet = HashSet<Box<[u8]>, BuildHasherDefault<FxHasher>>;

/// The specialised form of a check on a scalar field.
#[derive(Debug, Clone, PartialEq)]
pub enum NativeForm {
    /// `exists`.
    Exists,
    /// An integer comparison against one constant (value as two's complement bits).
    Int {
        /// `=`, `!=`, `<`, `<=`, `>`, `>=`.
        op: OpKind,
        /// The constant.
        value: u64,
        /// Signed comparison (values [`Val::I64`]) or unsigned ([`Val::U64`]).
        signed: bool,
    },
    /// A boolean `=`/`!=` against one constant.
    Bool {
        /// `=` or `!=`.
        op: OpKind,
        /// 0 or 1.
        value: u64,
    },
    /// String `=` (or `!=` when `negate`) against one constant (exact bytes).
    Str {
        /// `!=`.
        negate: bool,
        /// The constant's bytes.
        bytes: Vec<u8>,
    },
    /// `startswith`, `endswith`, `contains` or `icontains` of one string constant (compared up
    /// to the first NUL of each side, as the operator code does for strings).
    StrOp {
        /// The operator.
        op: OpKind,
        /// The constant's bytes up to its first NUL.
        bytes: Vec<u8>,
    },
    /// `in`/`intersects` of a scalar string against a set of strings (exact bytes).
    StrSet(ByteSet),
    /// `in`/`intersects` of a scalar integer against at most [`MAX_INLINE_SET`] integers of
    /// the same signedness.
    IntIn {
        /// The values (two's complement bits).
        values: Vec<u64>,
        /// Signed ([`Val::I64`]) or unsigned ([`Val::U64`]).
        signed: bool,
    },
}

/// The native form of a check on a scalar field, if it has one. On a value of the kind the
/// form names, its comparison equals the operator code's result on that one value
/// ([`super::ops::eval_check`]).
pub fn native_form(c: &Check) -> Option<NativeForm> {
    if c.lhs_ty.is_list || c.modifier.is_some() {
        return None;
    }
    let Some(op) = c.op else {
        return Some(NativeForm::Exists);
    };
    let items: Option<Vec<&Val>> = match &c.rhs {
        RhsIr::Set(set) => Some(set.iter().collect()),
        RhsIr::Values(v) if matches!(op, OpKind::In | OpKind::Intersects) => {
            Some(v.iter().collect())
        }
        _ => None,
    };
    if let Some(items) = items {
        return set_form(op, &items);
    }
    let RhsIr::Values(vals) = &c.rhs else {
        return None;
    };
    let [v] = vals.as_slice() else {
        return None;
    };
    let ordered = matches!(
        op,
        OpKind::Eq | OpKind::Ne | OpKind::Lt | OpKind::Le | OpKind::Gt | OpKind::Ge
    );
    match v {
        Val::U64(x) if ordered => Some(NativeForm::Int {
            op,
            value: *x,
            signed: false,
        }),
        Val::I64(x) if ordered => Some(NativeForm::Int {
            op,
            value: *x as u64,
            signed: true,
        }),
        Val::Bool(x) if matches!(op, OpKind::Eq | OpKind::Ne) => Some(NativeForm::Bool {
            op,
            value: u64::from(*x),
        }),
        Val::Str(s) if matches!(op, OpKind::Eq | OpKind::Ne) => Some(NativeForm::Str {
            negate: op == OpKind::Ne,
            bytes: s.as_bytes().to_vec(),
        }),
        Val::Str(s)
            if matches!(
                op,
                OpKind::StartsWith | OpKind::EndsWith | OpKind::Contains | OpKind::IContains
            ) =>
        {
            Some(NativeForm::StrOp {
                op,
                bytes: cstr(s.as_bytes()).to_vec(),
            })
        }
        _ => None,
    }
}

/// `in`/`intersects` against literal `items`: short integer lists, or string sets.
fn set_form(op: OpKind, items: &[&Val]) -> Option<NativeForm> {
    if !matches!(op, OpKind::In | OpKind::Intersects) {
        return None;
    }
    if items.len() <= MAX_INLINE_SET {
        let ints = |f: fn(&Val) -> Option<u64>| items.iter().map(|v| f(v)).collect();
        if let Some(values) = ints(|v| match v {
            Val::U64(x) => Some(*x),
            _ => None,
        }) {
            return Some(NativeForm::IntIn {
                values,
                signed: false,
            });
        }
        if let Some(values) = ints(|v| match v {
            Val::I64(x) => Some(*x as u64),
            _ => None,
        }) {
            return Some(NativeForm::IntIn {
                values,
                signed: true,
            });
        }
    }
    // Only lists of strings: another value never equals a string.
    let mut out = ByteSet::default();
    for v in items {
        match v {
            Val::Str(s) => out.insert(s.as_bytes().into()),
            _ => return None,
        };
    }
    Some(NativeForm::StrSet(out))
}
