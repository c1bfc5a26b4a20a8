//! The reference interpreter over the lowered IR ([`crate::lower`]), with the exact
//! semantics of spec §3.4-§3.5 and §2.10 (shared with the AST oracle through [`ops`]).
//!
//! One [`Interpreter`] per program; call [`Interpreter::begin_event`] (done by
//! [`Interpreter::matching_rules`] / [`Interpreter::eval_rule_on`]) before evaluating an event:
//! it invalidates the per-event memo (operand values and shared nodes) in O(1) by bumping an
//! epoch counter.

pub mod ast_eval;
pub mod ops;

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::event::{Event, FxHasher, Stored, Val, Values};
use crate::lower::{Check, ExprId, Node, OperandId, OperandIr, Program, RhsIr};
use crate::output::format::Alert;
use ops::RhsRef;

/// Counters of an interpreter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events evaluated.
    pub events: u64,
    /// Rule conditions evaluated.
    pub rules_evaluated: u64,
    /// Rules that matched.
    pub matches: u64,
    /// Boolean nodes evaluated (memo hits excluded).
    pub nodes_evaluated: u64,
    /// Shared-node memo hits.
    pub memo_hits: u64,
}

/// An operand's memoized value for the current event.
#[derive(Debug, Clone, Default)]
enum OpVal {
    /// The operand is missing (or its transformer failed).
    #[default]
    Missing,
    /// Values computed by the interpreter or extracted from the event.
    Owned(Values),
    /// A field the event stores typed: borrowed from it on every use ([`Event::stored`]).
    InEvent,
}

/// Evaluates a [`Program`] against events.
pub struct Interpreter<'p> {
    prog: &'p Program,
    epoch: u32,
    node_epoch: Vec<u32>,
    node_val: Vec<bool>,
    op_epoch: Vec<u32>,
    op_val: Vec<OpVal>,
    /// Per event type, the rules to evaluate in rule order (typed rules merged with
    /// [`Program::any_type`]).
    by_type: HashMap<String, Box<[u32]>, BuildHasherDefault<FxHasher>>,
    /// Counters.
    pub stats: Stats,
}

impl<'p> Interpreter<'p> {
    /// An interpreter for `prog`.
    pub fn new(prog: &'p Program) -> Self {
        let by_type = prog
            .by_type
            .keys()
            .map(|t| (t.clone(), prog.rules_for(Some(t)).into_boxed_slice()))
            .collect();
        Interpreter {
            prog,
            epoch: 0,
            node_epoch: vec![0; prog.memo_slots],
            node_val: vec![false; prog.memo_slots],
            op_epoch: vec![0; prog.operands.len()],
            op_val: vec![OpVal::Missing; prog.operands.len()],
            by_type,
            stats: Stats::default(),
        }
    }

    /// The program.
    pub fn program(&self) -> &'p Program {
        self.prog
    }

    /// Starts a new event: forgets every memoized value.
    pub fn begin_event(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.node_epoch.iter_mut().for_each(|e| *e = 0);
            self.op_epoch.iter_mut().for_each(|e| *e = 0);
            self.epoch = 1;
        }
    }

    /// Indices of the rules matching `ev`, in rule order (rules of other event types are not
    /// evaluated). Events of another source match nothing.
    pub fn matching_rules(&mut self, ev: &dyn Event) -> Vec<usize> {
        self.begin_event();
        self.stats.events += 1;
        if ev.source() != self.prog.source {
            return Vec::new();
        }
        let prog = self.prog;
        let by_type = std::mem::take(&mut self.by_type);
        let candidates: &[u32] = match ev.evt_type().and_then(|t| by_type.get(t)) {
            Some(list) => list,
            None => &prog.any_type,
        };
        let mut out = Vec::new();
        for &r in candidates {
            let r = r as usize;
            self.stats.rules_evaluated += 1;
            if self.eval(ev, prog.rules[r].root) {
                self.stats.matches += 1;
                out.push(r);
            }
        }
        self.by_type = by_type;
        out
    }

    /// Alerts for every matching rule.
    pub fn alerts(&mut self, ev: &dyn Event, hostname: &str) -> Vec<Alert> {
        let rules = self.matching_rules(ev);
        rules
            .into_iter()
            .map(|r| Alert::for_rule(self, r, ev, hostname))
            .collect()
    }

    /// Evaluates one rule on a fresh event memo.
    pub fn eval_rule_on(&mut self, rule: usize, ev: &dyn Event) -> bool {
        self.begin_event();
        self.eval(ev, self.prog.rules[rule].root)
    }

    /// Evaluates a node within the current event (see [`Interpreter::begin_event`]).
    pub fn eval(&mut self, ev: &dyn Event, id: ExprId) -> bool {
        let prog = self.prog;
        let slot = prog.memo_slot[id.0 as usize];
        if slot != u32::MAX && self.node_epoch[slot as usize] == self.epoch {
            self.stats.memo_hits += 1;
            return self.node_val[slot as usize];
        }
        self.stats.nodes_evaluated += 1;
        let v = match &prog.nodes[id.0 as usize] {
            Node::Const(b) => *b,
            Node::And(k) => k.iter().all(|&c| self.eval(ev, c)),
            Node::Or(k) => k.iter().any(|&c| self.eval(ev, c)),
            Node::Not(c) => !self.eval(ev, *c),
            Node::Check(c) => self.check(ev, c),
        };
        if slot != u32::MAX {
            self.node_epoch[slot as usize] = self.epoch;
            self.node_val[slot as usize] = v;
        }
        v
    }

    /// One field check (§3.4): false when the LHS (or a RHS operand) is missing.
    #[inline(never)]
    fn check(&mut self, ev: &dyn Event, c: &Check) -> bool {
        self.compute(ev, c.lhs);
        let Some(op) = c.op else {
            return self.get(ev, c.lhs).is_some();
        };
        if let RhsIr::Operand(r) = c.rhs {
            if self.get(ev, c.lhs).is_none() {
                return false;
            }
            self.compute(ev, r);
        }
        let Some(lhs) = self.get(ev, c.lhs) else {
            return false;
        };
        let l = c.lhs_ty.is_list;
        let rhs = match &c.rhs {
            RhsIr::None => return false,
            RhsIr::Values(v) => RhsRef::Vals(v),
            RhsIr::Set(s) => RhsRef::Set(s),
            RhsIr::Regex(r) => RhsRef::Regex(r),
            RhsIr::PMatch(p) => RhsRef::PMatch(p),
            RhsIr::Operand(r) => match self.get(ev, *r) {
                Some(rv) => RhsRef::Vals(rv),
                None => return false,
            },
        };
        ops::eval_check(op, c.modifier, l, lhs, rhs)
    }

    /// The values of an operand for the current event (memoized), `None` when missing.
    pub fn operand<'a>(&'a mut self, ev: &'a dyn Event, id: OperandId) -> Option<&'a [Val]> {
        self.compute(ev, id);
        self.get(ev, id)
    }

    /// The memoized values of an operand already computed for the current event.
    fn get<'a>(&'a self, ev: &'a dyn Event, id: OperandId) -> Option<&'a [Val]> {
        let i = id.0 as usize;
        match &self.op_val[i] {
            OpVal::Missing => None,
            OpVal::Owned(v) => Some(v),
            OpVal::InEvent => {
                let OperandIr::Field(f) = &self.prog.operands[i] else {
                    return None;
                };
                match ev.stored(&self.prog.fields[f.0 as usize]) {
                    Stored::Values(v) => Some(v),
                    Stored::Missing | Stored::NotStored => None,
                }
            }
        }
    }

    /// Computes an operand's values for the current event unless memoized.
    fn compute(&mut self, ev: &dyn Event, id: OperandId) {
        let i = id.0 as usize;
        if self.op_epoch[i] == self.epoch {
            return;
        }
        let prog = self.prog;
        // Reuse the previous event's buffer when the value is built here.
        let mut buf = match std::mem::take(&mut self.op_val[i]) {
            OpVal::Owned(mut v) => {
                v.clear();
                v
            }
            _ => Vec::new(),
        };
        let v = match &prog.operands[i] {
            OperandIr::Field(f) => {
                let field = &prog.fields[f.0 as usize];
                match ev.stored(field) {
                    Stored::Values(_) => OpVal::InEvent,
                    Stored::Missing => OpVal::Missing,
                    Stored::NotStored => ev.extract(field).map_or(OpVal::Missing, OpVal::Owned),
                }
            }
            OperandIr::Const(c) => {
                buf.push(c.clone());
                OpVal::Owned(buf)
            }
            OperandIr::List(items) => {
                let mut ok = true;
                for &it in items {
                    self.compute(ev, it);
                    match self.get(ev, it) {
                        Some(v) => buf.extend_from_slice(v),
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if ok {
                    OpVal::Owned(buf)
                } else {
                    OpVal::Missing
                }
            }
            OperandIr::Transform {
                name,
                args,
                arg_lists,
                sel,
            } => {
                let mut vals: Vec<Option<Values>> = Vec::with_capacity(args.len());
                for &a in args {
                    self.compute(ev, a);
                    vals.push(self.get(ev, a).map(<[Val]>::to_vec));
                }
                ops::apply_transformer(*name, &vals, arg_lists, sel.as_deref())
                    .map_or(OpVal::Missing, OpVal::Owned)
            }
        };
        self.op_epoch[i] = self.epoch;
        self.op_val[i] = v;
    }
}

#[cfg(test)]
mod tests;
