//! The interpreter's compiled form of a [`Program`]: each rule condition as a branch program
//! over one flat instruction array ([`Code`]).
//!
//! `and`, `or` and `not` do not exist at run time: they become the true and false targets of
//! the checks (`a and b`: `a` goes to `b` when true and to the rule's false target when false).
//! An event walks one straight path of checks per rule without recursion or a result stack;
//! evaluation stops at the first check that decides the rule, exactly as short-circuit
//! evaluation of the tree does.
//!
//! Nodes shared by several parents (a macro used by many rules, see [`Program::memo_slot`])
//! are compiled once as a body ending in two [`Op::Ret`]s. An [`Op::Call`] jumps to the body
//! unless the node's memo already holds its result for the current event, and the `Ret`
//! records the result and continues at the caller's true or false target (kept on a small
//! stack of targets). A shared node that is a single check is an [`Op::MemoCheck`], which
//! memoizes its result without a call.
//!
//! Rules are compiled once for any event ([`Code::rule_entry`]) and, chained into one
//! sequence per event type, once for each event type with `evt.type` checks decided at
//! compile time ([`Code::by_type`], [`RuleList`]). Checks carry a [`Test`] derived from their
//! [`NativeForm`] when they have one, so the common comparisons test the extracted values
//! directly instead of going through the generic operator code. Design notes:
//! docs/interpreter.md.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use memchr::memmem::Finder;

use crate::event::{FxHasher, Val};
use rulec_ir::program::{Check, ExprId, Node, OperandId, OperandIr, Program};
use rulec_ir::vocab::OpKind;

use super::form::{native_form, ByteSet, NativeForm};
use super::ops::{cstr, icontains};
use super::{generic_one, literal_rhs};

/// Target meaning "the rule does not match".
pub const REJECT: u32 = 0;
/// Target meaning "the rule matches".
pub const ACCEPT: u32 = 1;

/// One instruction. `t`/`f` are the instruction indices to continue at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// End of a rule: whether it matched ([`REJECT`] and [`ACCEPT`] hold these).
    Done(bool),
    /// Evaluates check `check` (an index into [`Code::checks`]).
    Check {
        /// The check.
        check: u32,
        /// Where to go when it holds.
        t: u32,
        /// Where to go when it does not.
        f: u32,
    },
    /// A shared check: its memoized result when it has one for this event, else evaluates
    /// and memoizes it.
    MemoCheck {
        /// The check (an index into [`Code::checks`]).
        check: u32,
        /// The check node's memo slot.
        slot: u32,
        /// Where to go when it holds.
        t: u32,
        /// Where to go when it does not.
        f: u32,
    },
    /// A shared node: its memoized result when it has one for this event, else its body.
    Call {
        /// The node's memo slot.
        slot: u32,
        /// First instruction of the node's body.
        body: u32,
        /// Where to go when the node is true.
        t: u32,
        /// Where to go when it is false.
        f: u32,
    },
    /// A rule of an event's rule list ([`Code::rules_for`]) matched: records `rule` and goes
    /// on with the next rule at `next`.
    Matched {
        /// The rule index.
        rule: u32,
        /// The next rule's first instruction (or [`REJECT`] after the last).
        next: u32,
    },
    /// End of a shared node's body: memoizes `val` and returns to the caller's target.
    Ret {
        /// The node's memo slot.
        slot: u32,
        /// The node's value on this path.
        val: bool,
    },
}

/// A check as the compiled code evaluates it.
#[derive(Debug, Clone)]
pub struct CheckCode {
    /// The check's node (the generic evaluation reads the [`rulec_ir::program::Check`] there).
    pub node: ExprId,
    /// Its left-hand operand.
    pub lhs: OperandId,
    /// How each extracted value is tested.
    pub test: Test,
}

/// The test of one extracted value: a [`NativeForm`] flattened to one level, or the generic
/// operator code.
#[derive(Debug, Clone)]
pub enum Test {
    /// The operator code on the whole check ([`crate::interp::ops::eval_check`]).
    Generic,
    /// `exists`.
    Exists,
    /// String `=`.
    StrEq(Box<[u8]>),
    /// String `!=`.
    StrNe(Box<[u8]>),
    /// String `in`.
    StrIn(Box<ByteSet>),
    /// `startswith` (the constant holds no NUL).
    StartsWith(Box<[u8]>),
    /// `endswith` (the constant holds no NUL).
    EndsWith(Box<[u8]>),
    /// `contains`, with the prepared searcher of its constant (which holds no NUL).
    Contains(Box<Finder<'static>>),
    /// `icontains` (the constant holds no NUL).
    IContains(Box<[u8]>),
    /// An unsigned comparison.
    UInt(OpKind, u64),
    /// A signed comparison.
    SInt(OpKind, i64),
    /// Unsigned `in` a short list.
    UIntIn(Box<[u64]>),
    /// Signed `in` a short list (two's complement bits).
    SIntIn(Box<[u64]>),
    /// Boolean equality with this value.
    BoolIs(bool),
}

fn int_cmp<T: Ord>(op: OpKind, a: T, b: T) -> bool {
    match op {
        OpKind::Eq => a == b,
        OpKind::Ne => a != b,
        OpKind::Lt => a < b,
        OpKind::Le => a <= b,
        OpKind::Gt => a > b,
        OpKind::Ge => a >= b,
        _ => false,
    }
}

impl Test {
    fn new(form: Option<NativeForm>) -> Test {
        let Some(form) = form else {
            return Test::Generic;
        };
        match form {
            NativeForm::Exists => Test::Exists,
            NativeForm::Str { negate, bytes } if negate => Test::StrNe(bytes.into()),
            NativeForm::Str { bytes, .. } => Test::StrEq(bytes.into()),
            NativeForm::StrSet(set) => Test::StrIn(Box::new(set)),
            NativeForm::StrOp { op, bytes } => match op {
                OpKind::StartsWith => Test::StartsWith(bytes.into()),
                OpKind::EndsWith => Test::EndsWith(bytes.into()),
                OpKind::Contains => Test::Contains(Box::new(Finder::new(&bytes).into_owned())),
                _ => Test::IContains(bytes.into()),
            },
            NativeForm::Int {
                op,
                value,
                signed: false,
            } => Test::UInt(op, value),
            NativeForm::Int { op, value, .. } => Test::SInt(op, value as i64),
            NativeForm::IntIn {
                values,
                signed: false,
            } => Test::UIntIn(values.into()),
            NativeForm::IntIn { values, .. } => Test::SIntIn(values.into()),
            NativeForm::Bool { op, value } => Test::BoolIs((value == 1) != (op == OpKind::Ne)),
        }
    }

    /// The check's result on the one-value LHS `[v]`, or `None` when `v` is not of the kind
    /// the test handles, or the test is [`Test::Generic`] (the caller then uses the operator
    /// code).
    #[inline(always)]
    pub fn test(&self, v: &Val) -> Option<bool> {
        Some(match (self, v) {
            (Test::StrEq(b), Val::Str(s)) => s.as_bytes() == &**b,
            (Test::StrNe(b), Val::Str(s)) => s.as_bytes() != &**b,
            (Test::StrIn(set), Val::Str(s)) => set.contains(s.as_bytes()),
            // A prefix of the whole value is a prefix of the part before its first NUL.
            (Test::StartsWith(b), Val::Str(s)) => s.as_bytes().starts_with(b),
            (Test::EndsWith(b), Val::Str(s)) => cstr(s.as_bytes()).ends_with(b),
            // A match counts when no NUL comes before it.
            (Test::Contains(finder), Val::Str(s)) => {
                let a = s.as_bytes();
                finder
                    .find(a)
                    .is_some_and(|p| memchr::memchr(0, &a[..p]).is_none())
            }
            (Test::IContains(b), Val::Str(s)) => icontains(cstr(s.as_bytes()), b),
            (Test::UInt(op, k), Val::U64(x)) => int_cmp(*op, *x, *k),
            (Test::SInt(op, k), Val::I64(x)) => int_cmp(*op, *x, *k),
            (Test::UIntIn(list), Val::U64(x)) => list.contains(x),
            (Test::SIntIn(list), Val::I64(x)) => list.contains(&(*x as u64)),
            (Test::BoolIs(b), Val::Bool(x)) => x == b,
            (Test::Exists, _) => true,
            _ => return None,
        })
    }
}

/// The compiled program.
#[derive(Debug, Clone)]
pub struct Code {
    /// Instructions; `ops[REJECT]` and `ops[ACCEPT]` are the two [`Op::Done`]s.
    pub ops: Vec<Op>,
    /// Checks, referenced by [`Op::Check`].
    pub checks: Vec<CheckCode>,
    /// Per rule, the first instruction of its condition for any event, ending in
    /// [`Op::Done`].
    pub rule_entry: Vec<u32>,
    /// Per event type, the rules to evaluate for it (typed rules merged with
    /// [`Program::any_type`]), compiled for that event type.
    pub by_type: FxHashMap<String, RuleList>,
    /// The rules to evaluate for an event of another (or no) type.
    pub any_type: RuleList,
}

/// The rules an event visits, chained into one instruction sequence ending at [`REJECT`]:
/// a trie of their conjuncts where a rule's last conjunct continues at an [`Op::Matched`]
/// when true ([`Builder::chain`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleList {
    /// First instruction of the first rule ([`REJECT`] when there is none).
    pub entry: u32,
    /// Number of rules.
    pub len: u32,
}

/// A hash map with the Fx hasher.
type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Rules sharing leading conjuncts ([`Builder::chain`]).
#[derive(Default)]
struct Trie {
    /// The conjunct tested at this node (`None` at the root).
    conjunct: Option<ExprId>,
    /// Rules whose conjunct list ends here.
    rules: Vec<u32>,
    /// Longer conjunct lists, by their next conjunct, in first-rule order.
    children: Vec<Trie>,
}

impl Trie {
    fn insert(&mut self, conjuncts: &[ExprId], rule: u32) {
        let Some((first, rest)) = conjuncts.split_first() else {
            self.rules.push(rule);
            return;
        };
        let i = match self
            .children
            .iter()
            .position(|c| c.conjunct == Some(*first))
        {
            Some(i) => i,
            None => {
                self.children.push(Trie {
                    conjunct: Some(*first),
                    ..Trie::default()
                });
                self.children.len() - 1
            }
        };
        self.children[i].insert(rest, rule);
    }
}

struct Builder<'p> {
    prog: &'p Program,
    ops: Vec<Op>,
    checks: Vec<CheckCode>,
    /// Per node, its check index once one was made (`u32::MAX`: none yet).
    check_of: Vec<u32>,
    /// Per shared node, its body's first instruction once compiled for the current event type
    /// (`u32::MAX`: not yet).
    body_of: Vec<u32>,
    /// The event type the code is compiled for, if known: `evt.type` checks fold to constants.
    evt_type: Option<Val>,
}

impl Code {
    /// Compiles every rule of `prog`: once for any event, and once per event type for the
    /// rules of that type (see [`Code::by_type`]).
    ///
    /// In the code for event type `T`, checks of the plain `evt.type` field against literals
    /// are decided at compile time from the value `T`: the interpreter visits these rules only
    /// for events whose [`crate::event::Event::evt_type`] is `T`, and that is their `evt.type`.
    pub fn new(prog: &Program) -> Code {
        let mut b = Builder {
            prog,
            ops: vec![Op::Done(false), Op::Done(true)],
            checks: Vec::new(),
            check_of: vec![u32::MAX; prog.nodes.len()],
            body_of: vec![u32::MAX; prog.nodes.len()],
            evt_type: None,
        };
        let rule_entry: Vec<u32> = prog
            .rules
            .iter()
            .map(|r| b.expr(r.root, ACCEPT, REJECT))
            .collect();
        let any_type = b.chain(&prog.any_type);
        let mut types: Vec<&String> = prog.by_type.keys().collect();
        types.sort();
        let mut by_type = FxHashMap::default();
        // Types with the same rules and the same outcome of every `evt.type` check get the
        // same code: compiled once (falco_rules.yaml: many syscalls share their rules).
        let mut compiled: FxHashMap<(Vec<u32>, Vec<bool>), RuleList> = FxHashMap::default();
        for t in types {
            b.evt_type = Some(Val::Str(t.clone()));
            let rules = prog.rules_for(Some(t));
            let outcomes: Vec<bool> = prog
                .nodes
                .iter()
                .filter_map(|n| match n {
                    Node::Check(c) => b.known(c),
                    _ => None,
                })
                .collect();
            let list = match compiled.entry((rules, outcomes)) {
                std::collections::hash_map::Entry::Occupied(e) => *e.get(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    b.body_of.iter_mut().for_each(|x| *x = u32::MAX);
                    let list = b.chain(&e.key().0);
                    *e.insert(list)
                }
            };
            by_type.insert(t.clone(), list);
        }
        Code {
            ops: b.ops,
            checks: b.checks,
            rule_entry,
            by_type,
            any_type,
        }
    }

    /// The rules to evaluate for an event of type `evt_type`.
    #[inline]
    pub fn rules_for(&self, evt_type: Option<&str>) -> RuleList {
        match evt_type.and_then(|t| self.by_type.get(t)) {
            Some(list) => *list,
            None => self.any_type,
        }
    }
}

impl Builder<'_> {
    /// Chains the conditions of `rules` (see [`RuleList`]), sharing leading conjuncts: the
    /// rules form a trie over their conjunct lists (`a and b and c`: `[a, b, c]`; hash-consing
    /// makes a macro the same node in every rule), and each trie node's conjunct is tested
    /// once for all the rules below it. Rules then match out of rule order; the interpreter
    /// sorts what matched.
    fn chain(&mut self, rules: &[u32]) -> RuleList {
        let mut root = Trie::default();
        for &r in rules {
            let conjuncts = match &self.prog.nodes[self.prog.rules[r as usize].root.0 as usize] {
                Node::And(kids) => kids.clone(),
                _ => vec![self.prog.rules[r as usize].root],
            };
            root.insert(&conjuncts, r);
        }
        RuleList {
            entry: self.siblings(&root.children, REJECT),
            len: rules.len() as u32,
        }
    }

    /// Code for trie siblings in order, continuing at `next` after the last.
    fn siblings(&mut self, list: &[Trie], next: u32) -> u32 {
        list.iter().rev().fold(next, |next, t| self.trie(t, next))
    }

    /// Code for one trie node: its conjunct, then (when true) its rules' matches and its
    /// children; `next` in every case after.
    fn trie(&mut self, t: &Trie, next: u32) -> u32 {
        let mut after = self.siblings(&t.children, next);
        for &rule in t.rules.iter().rev() {
            after = self.push(Op::Matched { rule, next: after });
        }
        match t.conjunct {
            Some(c) => self.expr(c, after, next),
            None => after,
        }
    }

    fn push(&mut self, op: Op) -> u32 {
        self.ops.push(op);
        (self.ops.len() - 1) as u32
    }

    /// Code for node `id` continuing at `t` when true and `f` when false; returns its entry.
    fn expr(&mut self, id: ExprId, t: u32, f: u32) -> u32 {
        let i = id.0 as usize;
        let node = &self.prog.nodes[i];
        let slot = self.prog.memo_slot[i];
        if slot == u32::MAX || matches!(node, Node::Check(_) | Node::Const(_)) {
            return self.inline(id, t, f);
        }
        if self.body_of[i] == u32::MAX {
            let ret_t = self.push(Op::Ret { slot, val: true });
            let ret_f = self.push(Op::Ret { slot, val: false });
            self.body_of[i] = self.inline(id, ret_t, ret_f);
        }
        let body = self.body_of[i];
        self.push(Op::Call { slot, body, t, f })
    }

    /// Code for the node itself (no memo).
    fn inline(&mut self, id: ExprId, t: u32, f: u32) -> u32 {
        match &self.prog.nodes[id.0 as usize] {
            Node::Const(b) => {
                if *b {
                    t
                } else {
                    f
                }
            }
            Node::Not(c) => self.expr(*c, f, t),
            Node::And(kids) => kids.iter().rev().fold(t, |next, &k| self.expr(k, next, f)),
            Node::Or(kids) => kids.iter().rev().fold(f, |next, &k| self.expr(k, t, next)),
            Node::Check(c) => {
                if let Some(v) = self.known(c) {
                    return if v { t } else { f };
                }
                let i = id.0 as usize;
                if self.check_of[i] == u32::MAX {
                    self.check_of[i] = self.checks.len() as u32;
                    self.checks.push(CheckCode {
                        node: id,
                        lhs: c.lhs,
                        test: Test::new(native_form(c)),
                    });
                }
                let check = self.check_of[i];
                match self.prog.memo_slot[i] {
                    u32::MAX => self.push(Op::Check { check, t, f }),
                    slot => self.push(Op::MemoCheck { check, slot, t, f }),
                }
            }
        }
    }

    /// The value of an `evt.type` check against literals when the event type is known.
    fn known(&self, c: &Check) -> Option<bool> {
        let v = self.evt_type.as_ref()?;
        let OperandIr::Field(f) = self.prog.operands.get(c.lhs.0 as usize)? else {
            return None;
        };
        let field = self.prog.fields.get(f.0 as usize)?;
        if field.text != "evt.type" || c.lhs_ty.is_list {
            return None;
        }
        // `exists`, or literals on the right (not `val()`): the check on the one value `v`.
        (c.op.is_none() || literal_rhs(&c.rhs).is_some()).then(|| generic_one(c, v))
    }
}
