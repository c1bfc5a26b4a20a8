//! The reference interpreter over the lowered IR ([`crate::lower`]), with the exact
//! semantics of spec §3.4-§3.5 and §2.10 (shared with the AST oracle through [`ops`]).
//!
//! One [`Interpreter`] per program; call [`Interpreter::begin_event`] (done by
//! [`Interpreter::matching_rules`] / [`Interpreter::eval_rule_on`]) before evaluating an event:
//! it invalidates the per-event memo (operand values and shared nodes) in O(1) by bumping an
//! epoch counter.

pub mod ast_eval;
pub mod ops;

use std::rc::Rc;

use crate::event::{Event, Values};
use crate::lower::{ExprId, Node, OperandId, OperandIr, Program, RhsIr};
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

/// Evaluates a [`Program`] against events.
pub struct Interpreter<'p> {
    prog: &'p Program,
    epoch: u32,
    node_epoch: Vec<u32>,
    node_val: Vec<bool>,
    op_epoch: Vec<u32>,
    op_val: Vec<Option<Rc<Values>>>,
    /// Counters.
    pub stats: Stats,
}

impl<'p> Interpreter<'p> {
    /// An interpreter for `prog`.
    pub fn new(prog: &'p Program) -> Self {
        Interpreter {
            prog,
            epoch: 0,
            node_epoch: vec![0; prog.memo_slots],
            node_val: vec![false; prog.memo_slots],
            op_epoch: vec![0; prog.operands.len()],
            op_val: vec![None; prog.operands.len()],
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
        let candidates = self.prog.rules_for(ev.evt_type());
        let mut out = Vec::new();
        for r in candidates {
            let r = r as usize;
            self.stats.rules_evaluated += 1;
            if self.eval(ev, self.prog.rules[r].root) {
                self.stats.matches += 1;
                out.push(r);
            }
        }
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
        let slot = self.prog.memo_slot[id.0 as usize];
        if slot != u32::MAX && self.node_epoch[slot as usize] == self.epoch {
            self.stats.memo_hits += 1;
            return self.node_val[slot as usize];
        }
        self.stats.nodes_evaluated += 1;
        let prog = self.prog;
        let v = match &prog.nodes[id.0 as usize] {
            Node::Const(b) => *b,
            Node::And(k) => k.iter().all(|&c| self.eval(ev, c)),
            Node::Or(k) => k.iter().any(|&c| self.eval(ev, c)),
            Node::Not(c) => !self.eval(ev, *c),
            Node::Check(c) => {
                let Some(lhs) = self.operand(ev, c.lhs) else {
                    return self.store(slot, false);
                };
                match c.op {
                    None => true,
                    Some(op) => {
                        let l = c.lhs_ty.is_list;
                        match &c.rhs {
                            RhsIr::None => false,
                            RhsIr::Values(v) => {
                                ops::eval_check(op, c.modifier, l, &lhs, RhsRef::Vals(v))
                            }
                            RhsIr::Set(s) => {
                                ops::eval_check(op, c.modifier, l, &lhs, RhsRef::Set(s))
                            }
                            RhsIr::Regex(r) => {
                                ops::eval_check(op, c.modifier, l, &lhs, RhsRef::Regex(r))
                            }
                            RhsIr::PMatch(p) => {
                                ops::eval_check(op, c.modifier, l, &lhs, RhsRef::PMatch(p))
                            }
                            RhsIr::Operand(r) => match self.operand(ev, *r) {
                                Some(rv) => {
                                    ops::eval_check(op, c.modifier, l, &lhs, RhsRef::Vals(&rv))
                                }
                                None => false,
                            },
                        }
                    }
                }
            }
        };
        self.store(slot, v)
    }

    fn store(&mut self, slot: u32, v: bool) -> bool {
        if slot != u32::MAX {
            self.node_epoch[slot as usize] = self.epoch;
            self.node_val[slot as usize] = v;
        }
        v
    }

    /// The values of an operand for the current event (memoized), `None` when missing.
    pub fn operand(&mut self, ev: &dyn Event, id: OperandId) -> Option<Rc<Values>> {
        let i = id.0 as usize;
        if self.op_epoch[i] == self.epoch {
            return self.op_val[i].clone();
        }
        let prog = self.prog;
        let v: Option<Rc<Values>> = match &prog.operands[i] {
            OperandIr::Field(f) => ev.extract(&prog.fields[f.0 as usize]).map(Rc::new),
            OperandIr::Const(c) => Some(Rc::new(vec![c.clone()])),
            OperandIr::List(items) => {
                let mut out = Vec::new();
                let mut ok = true;
                for &it in items {
                    match self.operand(ev, it) {
                        Some(v) => out.extend(v.iter().cloned()),
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                ok.then(|| Rc::new(out))
            }
            OperandIr::Transform {
                name,
                args,
                arg_lists,
                sel,
            } => {
                let vals: Vec<Option<Values>> = args
                    .iter()
                    .map(|&a| self.operand(ev, a).map(|v| (*v).clone()))
                    .collect();
                ops::apply_transformer(*name, &vals, arg_lists, sel.as_deref()).map(Rc::new)
            }
        };
        self.op_epoch[i] = self.epoch;
        self.op_val[i] = v.clone();
        v
    }
}

#[cfg(test)]
mod tests;
