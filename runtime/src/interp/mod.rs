//! The reference interpreter over the lowered IR ([`rulec_ir::program`]), with the exact
//! semantics of spec §3.4-§3.5 and §2.10 (shared with the compiler's AST oracle, `rulec::ast_eval`, through [`ops`]).
//!
//! One [`Interpreter`] per program; call [`Interpreter::begin_event`] (done by
//! [`Interpreter::matching_rules`] / [`Interpreter::eval_rule_on`]) before evaluating an event:
//! it invalidates the per-event memo (operand values and shared nodes) in O(1) by bumping an
//! epoch counter.

pub mod code;
pub mod form;
pub mod ops;

use crate::event::{Event, StoredAt, Val, Values};
use code::{CheckCode, Code, Op, Test, ACCEPT, REJECT};
use ops::RhsRef;
use rulec_ir::program::{Check, ExprId, Node, OperandId, OperandIr, Program, RhsIr};

/// Counters of an interpreter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Events evaluated.
    pub events: u64,
    /// Rules visited (the rules of each event's type; a rule trie may decide several with
    /// one check).
    pub rules_evaluated: u64,
    /// Rules that matched.
    pub matches: u64,
    /// Checks evaluated by the compiled code (tree nodes when walking with
    /// [`Interpreter::eval`]); memo hits excluded.
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
    /// A field the event stores typed, at this place ([`Event::stored_at`]).
    InEvent(u32),
}

/// Evaluates a [`Program`] against events.
pub struct Interpreter<'p> {
    prog: &'p Program,
    code: Code,
    st: State,
    /// Counters.
    pub stats: Stats,
}

/// The per-event memo: node results and operand values, valid while their epoch is the
/// current one.
struct State {
    epoch: u32,
    /// Per memo slot, `epoch << 1 | value` of the last event that computed it.
    node_memo: Vec<u32>,
    op_epoch: Vec<u32>,
    op_val: Vec<OpVal>,
    /// Return targets `(t, f)` of the shared-node calls in progress ([`code::Op::Call`]).
    calls: Vec<(u32, u32)>,
}

impl<'p> Interpreter<'p> {
    /// An interpreter for `prog`.
    pub fn new(prog: &'p Program) -> Self {
        Interpreter {
            prog,
            code: Code::new(prog),
            st: State {
                epoch: 0,
                node_memo: vec![0; prog.memo_slots],
                op_epoch: vec![0; prog.operands.len()],
                op_val: vec![OpVal::Missing; prog.operands.len()],
                calls: Vec::new(),
            },
            stats: Stats::default(),
        }
    }

    /// The program.
    pub fn program(&self) -> &'p Program {
        self.prog
    }

    /// Starts a new event: forgets every memoized value.
    pub fn begin_event(&mut self) {
        let st = &mut self.st;
        // Memo slots keep the epoch in 31 bits.
        st.epoch = (st.epoch + 1) & (u32::MAX >> 1);
        if st.epoch == 0 {
            st.node_memo.iter_mut().for_each(|e| *e = 0);
            st.op_epoch.iter_mut().for_each(|e| *e = 0);
            st.epoch = 1;
        }
    }

    /// Indices of the rules matching `ev`, in rule order (rules of other event types are not
    /// evaluated). Events of another source match nothing.
    pub fn matching_rules<E: Event + ?Sized>(&mut self, ev: &E) -> Vec<usize> {
        self.begin_event();
        self.stats.events += 1;
        if ev.source() != self.prog.source {
            return Vec::new();
        }
        let list = self.code.rules_for(ev.evt_type());
        self.stats.rules_evaluated += u64::from(list.len);
        let mut out = Vec::new();
        self.st.run(
            self.prog,
            &self.code,
            &mut self.stats,
            ev,
            list.entry,
            &mut out,
        );
        // The rule trie visits rules out of rule order.
        out.sort_unstable();
        self.stats.matches += out.len() as u64;
        out
    }

    /// Evaluates one rule on a fresh event memo.
    pub fn eval_rule_on<E: Event + ?Sized>(&mut self, rule: usize, ev: &E) -> bool {
        self.begin_event();
        let entry = self.code.rule_entry[rule];
        self.st.run(
            self.prog,
            &self.code,
            &mut self.stats,
            ev,
            entry,
            &mut Vec::new(),
        )
    }

    /// Evaluates a node within the current event (see [`Interpreter::begin_event`]) by walking
    /// the tree (the compiled code starts only at rule roots).
    pub fn eval<E: Event + ?Sized>(&mut self, ev: &E, id: ExprId) -> bool {
        self.st.eval(self.prog, &mut self.stats, ev, id)
    }

    /// The values of an operand for the current event (memoized), `None` when missing.
    pub fn operand<'a, E: Event + ?Sized>(
        &'a mut self,
        ev: &'a E,
        id: OperandId,
    ) -> Option<&'a [Val]> {
        self.st.compute(self.prog, ev, id);
        self.st.get(ev, id)
    }
}

impl State {
    /// Runs compiled code from `pc` until [`Op::Done`], recording the rules of
    /// [`Op::Matched`]s in `matched`; returns the value of the `Done`.
    fn run<E: Event + ?Sized>(
        &mut self,
        prog: &Program,
        code: &Code,
        stats: &mut Stats,
        ev: &E,
        mut pc: u32,
        matched: &mut Vec<usize>,
    ) -> bool {
        // Counted locally: the loop keeps them in registers.
        let (mut checks, mut hits) = (0u64, 0u64);
        let done = loop {
            match code.ops[pc as usize] {
                Op::Check { check, t, f } => {
                    checks += 1;
                    pc = if self.compiled_check(prog, ev, &code.checks[check as usize]) {
                        t
                    } else {
                        f
                    };
                }
                Op::MemoCheck { check, slot, t, f } => {
                    let v = match self.memo(slot) {
                        Some(v) => {
                            hits += 1;
                            v
                        }
                        None => {
                            checks += 1;
                            let v = self.compiled_check(prog, ev, &code.checks[check as usize]);
                            self.set_memo(slot, v);
                            v
                        }
                    };
                    pc = if v { t } else { f };
                }
                Op::Call { slot, body, t, f } => match self.memo(slot) {
                    Some(v) => {
                        hits += 1;
                        pc = if v { t } else { f };
                    }
                    None => {
                        self.calls.push((t, f));
                        pc = body;
                    }
                },
                Op::Ret { slot, val } => {
                    self.set_memo(slot, val);
                    let (t, f) = self.calls.pop().unwrap_or((ACCEPT, REJECT));
                    pc = if val { t } else { f };
                }
                Op::Matched { rule, next } => {
                    matched.push(rule as usize);
                    pc = next;
                }
                Op::Done(v) => break v,
            }
        };
        stats.nodes_evaluated += checks;
        stats.memo_hits += hits;
        done
    }

    /// The memoized value of memo slot `slot` for the current event.
    #[inline(always)]
    fn memo(&self, slot: u32) -> Option<bool> {
        let m = self.node_memo[slot as usize];
        (m >> 1 == self.epoch).then_some(m & 1 == 1)
    }

    #[inline(always)]
    fn set_memo(&mut self, slot: u32, v: bool) {
        self.node_memo[slot as usize] = self.epoch << 1 | u32::from(v);
    }

    /// One check of the compiled code: its [`Test`] on each extracted value, or the generic
    /// check.
    #[inline(always)]
    fn compiled_check<E: Event + ?Sized>(&mut self, prog: &Program, ev: &E, c: &CheckCode) -> bool {
        let node = || match &prog.nodes[c.node.0 as usize] {
            Node::Check(check) => Some(check),
            _ => None,
        };
        if let Test::Generic = c.test {
            return node().is_some_and(|check| self.check(prog, ev, check));
        }
        self.compute(prog, ev, c.lhs);
        let one = |v: &Val| {
            c.test
                .test(v)
                .unwrap_or_else(|| node().is_some_and(|check| generic_one(check, v)))
        };
        match self.get(ev, c.lhs) {
            None => false,
            Some([v]) => one(v),
            Some(vals) => vals.iter().any(one),
        }
    }

    /// Evaluates a node by walking the tree (memoized like the compiled code).
    fn eval<E: Event + ?Sized>(
        &mut self,
        prog: &Program,
        stats: &mut Stats,
        ev: &E,
        id: ExprId,
    ) -> bool {
        let slot = prog.memo_slot[id.0 as usize];
        let memo = if slot == u32::MAX {
            None
        } else {
            self.memo(slot)
        };
        if let Some(v) = memo {
            stats.memo_hits += 1;
            return v;
        }
        stats.nodes_evaluated += 1;
        let v = match &prog.nodes[id.0 as usize] {
            Node::Const(b) => *b,
            Node::And(k) => k.iter().all(|&c| self.eval(prog, stats, ev, c)),
            Node::Or(k) => k.iter().any(|&c| self.eval(prog, stats, ev, c)),
            Node::Not(c) => !self.eval(prog, stats, ev, *c),
            Node::Check(c) => self.check(prog, ev, c),
        };
        if slot != u32::MAX {
            self.set_memo(slot, v);
        }
        v
    }

    /// One field check (§3.4) through the operator code: false when the LHS (or a RHS
    /// operand) is missing.
    #[inline(never)]
    fn check<E: Event + ?Sized>(&mut self, prog: &Program, ev: &E, c: &Check) -> bool {
        self.compute(prog, ev, c.lhs);
        let Some(op) = c.op else {
            return self.get(ev, c.lhs).is_some();
        };
        if let RhsIr::Operand(r) = c.rhs {
            if self.get(ev, c.lhs).is_none() {
                return false;
            }
            self.compute(prog, ev, r);
        }
        let Some(lhs) = self.get(ev, c.lhs) else {
            return false;
        };
        let rhs = match &c.rhs {
            RhsIr::Operand(r) => match self.get(ev, *r) {
                Some(rv) => RhsRef::Vals(rv),
                None => return false,
            },
            other => match literal_rhs(other) {
                Some(r) => r,
                None => return false,
            },
        };
        ops::eval_check(op, c.modifier, c.lhs_ty.is_list, lhs, rhs)
    }

    /// The memoized values of an operand already computed for the current event.
    #[inline]
    fn get<'a, E: Event + ?Sized>(&'a self, ev: &'a E, id: OperandId) -> Option<&'a [Val]> {
        match &self.op_val[id.0 as usize] {
            OpVal::Missing => None,
            OpVal::Owned(v) => Some(v),
            OpVal::InEvent(at) => Some(ev.stored_values(*at)),
        }
    }

    /// Computes an operand's values for the current event unless memoized.
    #[inline]
    fn compute<E: Event + ?Sized>(&mut self, prog: &Program, ev: &E, id: OperandId) {
        if self.op_epoch[id.0 as usize] != self.epoch {
            self.compute_now(prog, ev, id);
        }
    }

    #[inline(never)]
    fn compute_now<E: Event + ?Sized>(&mut self, prog: &Program, ev: &E, id: OperandId) {
        let i = id.0 as usize;
        let v = match &prog.operands[i] {
            OperandIr::Field(f) => {
                let field = &prog.fields[f.0 as usize];
                match ev.stored_at(field) {
                    StoredAt::At(at) => OpVal::InEvent(at),
                    StoredAt::Missing => OpVal::Missing,
                    StoredAt::NotStored => match ev.extract(field) {
                        Some(v) => OpVal::Owned(v),
                        None => OpVal::Missing,
                    },
                }
            }
            OperandIr::Const(c) => {
                let mut buf = self.reuse(i);
                buf.push(c.clone());
                OpVal::Owned(buf)
            }
            OperandIr::List(items) => {
                let mut buf = self.reuse(i);
                let mut ok = true;
                for &it in items {
                    self.compute(prog, ev, it);
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
                    self.compute(prog, ev, a);
                    vals.push(self.get(ev, a).map(<[Val]>::to_vec));
                }
                ops::apply_transformer(*name, &vals, arg_lists, sel.as_deref())
                    .map_or(OpVal::Missing, OpVal::Owned)
            }
        };
        self.op_epoch[i] = self.epoch;
        self.op_val[i] = v;
    }

    /// The previous event's buffer of operand `i`, emptied, for a value built here.
    fn reuse(&mut self, i: usize) -> Values {
        match std::mem::take(&mut self.op_val[i]) {
            OpVal::Owned(mut v) => {
                v.clear();
                v
            }
            _ => Vec::new(),
        }
    }
}

/// The literal right-hand side of a check (`None` for `exists` and RHS operands).
pub(crate) fn literal_rhs(rhs: &RhsIr) -> Option<RhsRef<'_>> {
    Some(match rhs {
        RhsIr::Values(v) => RhsRef::Vals(v),
        RhsIr::Set(s) => RhsRef::Set(s),
        RhsIr::Regex(r) => RhsRef::Regex(r),
        RhsIr::PMatch(p) => RhsRef::PMatch(p),
        RhsIr::None | RhsIr::Operand(_) => return None,
    })
}

/// A literal check on the one-value LHS `[v]` through the operator code.
pub(crate) fn generic_one(c: &Check, v: &Val) -> bool {
    match (c.op, literal_rhs(&c.rhs)) {
        (None, _) => true,
        (Some(op), Some(rhs)) => ops::eval_check(
            op,
            c.modifier,
            c.lhs_ty.is_list,
            std::slice::from_ref(v),
            rhs,
        ),
        (Some(_), None) => false,
    }
}
