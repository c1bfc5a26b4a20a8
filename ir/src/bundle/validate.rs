//! Structural validation of a decoded bundle (see [`super::Bundle::validate`]).

use std::collections::HashSet;

use super::{global_prefilter, Bundle, BundleError, SYSCALL_LIMIT};
use crate::program::Segment;
use crate::program::{Node, OperandIr, Program, RhsIr};
use crate::schema::Registry;

/// Deepest boolean or operand nesting accepted: the interpreter recurses once per level, and
/// the loader's parser stops at depth 1000 (macros can add a little).
pub const MAX_IR_DEPTH: u32 = 2048;

fn invalid(msg: String) -> BundleError {
    BundleError::Invalid(msg)
}

fn sorted_unique(v: &[u16]) -> bool {
    v.windows(2).all(|w| w[0] < w[1])
}

pub(super) fn bundle(b: &Bundle) -> Result<(), BundleError> {
    let mut sources = HashSet::new();
    for (pi, p) in b.programs.iter().enumerate() {
        if !sources.insert(p.source.as_str()) {
            return Err(invalid(format!(
                "program {pi}: a second program for source '{}'",
                p.source
            )));
        }
        program(p).map_err(|e| match e {
            BundleError::Invalid(m) => invalid(format!("program {pi} ({}): {m}", p.source)),
            other => other,
        })?;
    }
    let mut referenced = HashSet::new();
    for (i, r) in b.rules.iter().enumerate() {
        let what = || format!("rule {i} ('{}')", r.name);
        if !sorted_unique(&r.syscalls) {
            return Err(invalid(format!("{}: syscalls are not sorted", what())));
        }
        if let Some(&n) = r.syscalls.iter().find(|&&n| n >= SYSCALL_LIMIT) {
            return Err(invalid(format!(
                "{}: syscall number {n} out of range",
                what()
            )));
        }
        if let Some(ir) = r.ir {
            let p = b.programs.get(ir.program as usize).ok_or_else(|| {
                invalid(format!("{}: program {} out of range", what(), ir.program))
            })?;
            let pr = p.rules.get(ir.rule as usize).ok_or_else(|| {
                invalid(format!("{}: program rule {} out of range", what(), ir.rule))
            })?;
            if pr.name != r.name || p.source != r.source {
                return Err(invalid(format!(
                    "{}: its IR is rule '{}' of source '{}'",
                    what(),
                    pr.name,
                    p.source
                )));
            }
            if !referenced.insert((ir.program, ir.rule)) {
                return Err(invalid(format!("{}: IR shared with another rule", what())));
            }
        }
    }
    if !sorted_unique(&b.prefilter) {
        return Err(invalid("global prefilter is not sorted".into()));
    }
    if b.prefilter != global_prefilter(&b.rules) {
        return Err(invalid(
            "global prefilter differs from the union of the rules' syscalls".into(),
        ));
    }
    Ok(())
}

fn program(p: &Program) -> Result<(), BundleError> {
    let reg = Registry::get();
    let schema = reg
        .source(&p.source)
        .ok_or_else(|| invalid(format!("unknown event source '{}'", p.source)))?;
    for (i, f) in p.fields.iter().enumerate() {
        let ok = schema.fields.get(f.index).is_some_and(|d| d.name == f.name);
        if !ok {
            return Err(BundleError::SchemaMismatch {
                event_source: p.source.clone(),
                detail: format!("field {i} '{}' is not field #{} here", f.text, f.index),
            });
        }
    }
    let n_fields = p.fields.len();
    let n_ops = p.operands.len();
    if p.operand_types.len() != n_ops {
        return Err(invalid(format!(
            "{} operand types for {n_ops} operands",
            p.operand_types.len()
        )));
    }
    let mut op_depth = vec![0u32; n_ops];
    for (i, o) in p.operands.iter().enumerate() {
        // Children must come first: arenas are acyclic by construction.
        let child = |c: u32| -> Result<u32, BundleError> {
            if (c as usize) < i {
                Ok(op_depth[c as usize])
            } else {
                Err(invalid(format!("operand {i} references operand {c}")))
            }
        };
        let d = match o {
            OperandIr::Field(f) => {
                if f.0 as usize >= n_fields {
                    return Err(invalid(format!(
                        "operand {i} references field {} of {n_fields}",
                        f.0
                    )));
                }
                0
            }
            OperandIr::Const(_) => 0,
            OperandIr::List(items) => items
                .iter()
                .map(|c| child(c.0))
                .try_fold(0, |m, d| d.map(|d| m.max(d)))?,
            OperandIr::Transform {
                args, arg_lists, ..
            } => {
                if args.len() != arg_lists.len() {
                    return Err(invalid(format!("operand {i}: argument kinds mismatch")));
                }
                args.iter()
                    .map(|c| child(c.0))
                    .try_fold(0, |m, d| d.map(|d| m.max(d)))?
            }
        } + 1;
        if d > MAX_IR_DEPTH {
            return Err(invalid(format!("operand {i} nested too deeply")));
        }
        op_depth[i] = d;
    }
    let n_nodes = p.nodes.len();
    let operand = |what: &str, id: u32| -> Result<(), BundleError> {
        if (id as usize) < n_ops {
            Ok(())
        } else {
            Err(invalid(format!(
                "{what} references operand {id} of {n_ops}"
            )))
        }
    };
    let mut depth = vec![0u32; n_nodes];
    for (i, n) in p.nodes.iter().enumerate() {
        let child = |c: u32| -> Result<u32, BundleError> {
            if (c as usize) < i {
                Ok(depth[c as usize])
            } else {
                Err(invalid(format!("node {i} references node {c}")))
            }
        };
        let d = match n {
            Node::Const(_) => 0,
            Node::And(k) | Node::Or(k) => k
                .iter()
                .map(|c| child(c.0))
                .try_fold(0, |m, d| d.map(|d| m.max(d)))?,
            Node::Not(c) => child(c.0)?,
            Node::Check(c) => {
                operand(&format!("node {i}"), c.lhs.0)?;
                if let RhsIr::Operand(r) = &c.rhs {
                    operand(&format!("node {i}"), r.0)?;
                }
                0
            }
        } + 1;
        if d > MAX_IR_DEPTH {
            return Err(invalid(format!("node {i} nested too deeply")));
        }
        depth[i] = d;
    }
    if p.memo_slot.len() != n_nodes {
        return Err(invalid(format!(
            "{} memo entries for {n_nodes} nodes",
            p.memo_slot.len()
        )));
    }
    if p.memo_slots > n_nodes {
        return Err(invalid(format!(
            "{} memo slots for {n_nodes} nodes",
            p.memo_slots
        )));
    }
    if let Some((i, s)) = p
        .memo_slot
        .iter()
        .enumerate()
        .find(|(_, &s)| s != u32::MAX && s as usize >= p.memo_slots)
    {
        return Err(invalid(format!("node {i} has memo slot {s}")));
    }
    let n_rules = p.rules.len();
    for (ri, r) in p.rules.iter().enumerate() {
        if r.root.0 as usize >= n_nodes {
            return Err(invalid(format!(
                "rule {ri} root is node {} of {n_nodes}",
                r.root.0
            )));
        }
        if r.source != p.source {
            return Err(invalid(format!("rule {ri} has source '{}'", r.source)));
        }
        for s in &r.output.segments {
            if let Segment::Field { operand: o, .. } = s {
                operand(&format!("rule {ri} output"), o.0)?;
            }
        }
    }
    let indices_ok =
        |v: &[u32]| v.windows(2).all(|w| w[0] < w[1]) && v.iter().all(|&r| (r as usize) < n_rules);
    if !indices_ok(&p.any_type) {
        return Err(invalid(
            "any-type rule index out of range or unsorted".into(),
        ));
    }
    if let Some(t) = p.by_type.iter().find(|(_, v)| !indices_ok(v)) {
        return Err(invalid(format!(
            "rule index of event type '{}' out of range or unsorted",
            t.0
        )));
    }
    Ok(())
}
