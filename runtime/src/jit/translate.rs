//! Code generation of one function of the interpreter's branch program
//! ([`crate::interp::code::Code`]): a rule list (every rule of an event type, as a trie over
//! their leading conjuncts) or the body of a shared node. The [`super::JitModule`] owns the
//! module, declares the functions and hands a [`FunctionBuilder`] to [`FnTranslator`].
//!
//! Every instruction reachable from the function's entry ([`Region`]) becomes one block:
//!
//! * `Check` evaluates its check and branches to the blocks of its true and false targets;
//! * `MemoCheck` does the same unless the check's memo byte already holds its result;
//! * `Call` branches on the memo byte of a shared node, calling the node's body function on a
//!   miss (which stores the byte at its `Ret`);
//! * `Matched` appends the rule to `ctx.out` and jumps on, `Done` returns the number of
//!   matches (rule lists); `Ret` stores the memo byte and returns the value (bodies).
//!
//! Booleans are `i8` values 0/1. Checks are compiled at one of three tiers:
//!
//! * **native**: `exists`, integer and boolean comparisons against one constant, string
//!   `=`/`!=` against one constant, string operators and short `in` lists. The code reads the
//!   field slot directly (filling it through [`super::abi::rt_fill`] when stale) and falls back
//!   to the helper when the slot holds something else than the one value of the expected kind;
//! * **helper**: every other check on a field ([`super::abi::rt_check`]);
//! * **interpreter**: checks on transformers or `val()` ([`super::abi::rt_interp_node`]).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Signature, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, Variable};
use memchr::memmem::Finder;

use crate::event::FxHasher;
use crate::interp::code::{Code, Op};
use crate::interp::form::{native_form, ByteSet, NativeForm};
use rulec_ir::program::{Check, ExprId, Node, OperandIr, Program, RhsIr};
use rulec_ir::vocab::OpKind;

use super::abi::{
    CtxLayout, Helpers, SlotLayout, KIND_BOOL, KIND_I64, KIND_MISSING, KIND_STR, KIND_U64,
};

/// A hash map with the Fx hasher.
pub type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// How one check is compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Native code on the field slot.
    Native,
    /// A call of the check helper.
    Helper,
    /// A call of the interpreter.
    Interp,
}

/// Static counts of how the checks of the code ([`Code::checks`]) were compiled, each check
/// counted once however many functions test it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierCounts {
    /// Checks compiled to native code.
    pub native: usize,
    /// Checks compiled to a call of the check helper.
    pub helper: usize,
    /// Checks evaluated by the interpreter.
    pub interp: usize,
}

impl TierCounts {
    /// Counts one check of tier `t`.
    pub fn count(&mut self, t: Tier) {
        match t {
            Tier::Native => self.native += 1,
            Tier::Helper => self.helper += 1,
            Tier::Interp => self.interp += 1,
        }
    }
}

const PTR: types::Type = types::I64;

fn sig(call_conv: CallConv, params: &[types::Type], ret: Option<types::Type>) -> Signature {
    let mut s = Signature::new(call_conv);
    s.params.extend(params.iter().map(|&t| AbiParam::new(t)));
    s.returns.extend(ret.map(AbiParam::new));
    s
}

/// Calls helper `addr` with `args`, returning its result (if any).
fn call_helper(
    b: &mut FunctionBuilder<'_>,
    call_conv: CallConv,
    addr: usize,
    params: &[types::Type],
    ret: Option<types::Type>,
    args: &[Value],
) -> Option<Value> {
    let sref = b.import_signature(sig(call_conv, params, ret));
    let callee = b.ins().iconst(PTR, addr as i64);
    let call = b.ins().call_indirect(sref, callee, args);
    b.inst_results(call).first().copied()
}

/// Constants native code points to, kept alive (and at stable addresses) by the compiled
/// program.
#[derive(Default)]
pub struct Consts {
    /// Byte strings.
    pub bytes: Vec<Box<[u8]>>,
    /// Byte-string sets.
    pub sets: Vec<Box<ByteSet>>,
    /// Prepared substring searchers.
    pub finders: Vec<Box<Finder<'static>>>,
}

impl Consts {
    /// Moves `o`'s constants into `self`.
    pub fn append(&mut self, o: &mut Consts) {
        self.bytes.append(&mut o.bytes);
        self.sets.append(&mut o.sets);
        self.finders.append(&mut o.finders);
    }
}

/// The two kinds of functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FnKind {
    /// A rule list, `fn(ctx) -> i32`: runs from the list's entry to `Done`, appending the
    /// matching rules to `ctx.out`, and returns how many matched.
    List,
    /// A shared node's body, `fn(ctx) -> i8`: runs from the body's first instruction to a
    /// `Ret`, which stores the node's memo byte, and returns the node's value.
    Body,
}

impl FnKind {
    /// The function signature.
    pub fn sig(self, call_conv: CallConv) -> Signature {
        let ret = match self {
            FnKind::List => types::I32,
            FnKind::Body => types::I8,
        };
        sig(call_conv, &[PTR], Some(ret))
    }
}

/// The instructions of one function: those reachable from its entry without entering the
/// bodies it calls.
#[derive(Debug, Clone, Default)]
pub struct Region {
    /// The instructions, entry first (depth first, false targets before true targets).
    pub ops: Vec<u32>,
    /// The bodies it calls (first instructions, each once).
    pub calls: Vec<u32>,
    /// Its `Matched` instructions: a bound on the matches of one run.
    pub matched: usize,
}

impl Region {
    /// The region of a function of kind `kind` starting at `entry`, checked for what the
    /// native code relies on: every target lies before its instruction (the code is acyclic,
    /// so one run passes each `Matched` at most once), memo slots and rules are in range of the
    /// program's arrays, and the function only ends the way its kind does (`Done` and
    /// `Matched` in lists, `Ret` in bodies). `Err` names the violation.
    pub fn new(code: &Code, prog: &Program, entry: u32, kind: FnKind) -> Result<Region, String> {
        let mut r = Region::default();
        let mut seen: FxHashMap<u32, ()> = FxHashMap::default();
        let mut calls: FxHashMap<u32, ()> = FxHashMap::default();
        let mut stack = vec![entry];
        let slot_ok = |s: u32| (s as usize) < prog.memo_slots;
        while let Some(pc) = stack.pop() {
            if seen.insert(pc, ()).is_some() {
                continue;
            }
            let Some(&op) = code.ops.get(pc as usize) else {
                return Err(format!("instruction {pc} out of range"));
            };
            r.ops.push(pc);
            let next: &[u32] = match op {
                Op::Done(_) if kind == FnKind::List => &[],
                Op::Check { t, f, .. } => &[t, f],
                Op::MemoCheck { slot, t, f, .. } if slot_ok(slot) => &[t, f],
                Op::Call { slot, body, t, f } if slot_ok(slot) && body < pc => {
                    if calls.insert(body, ()).is_none() {
                        r.calls.push(body);
                    }
                    &[t, f]
                }
                Op::Ret { slot, .. } if kind == FnKind::Body && slot_ok(slot) => &[],
                Op::Matched { rule, next }
                    if kind == FnKind::List && (rule as usize) < prog.rules.len() =>
                {
                    r.matched += 1;
                    &[next]
                }
                _ => return Err(format!("unexpected {op:?} at {pc} in a {kind:?} function")),
            };
            if next.iter().any(|&n| n >= pc) {
                return Err(format!("{op:?} at {pc} jumps forward"));
            }
            // Popped last-in first-out: the false target (the next rule, usually) comes first.
            stack.extend(next.iter().copied());
        }
        Ok(r)
    }
}

/// Translates one function of the branch program ([`FnTranslator::function`]).
pub struct FnTranslator<'a, 'b> {
    /// The function under construction.
    pub b: &'a mut FunctionBuilder<'b>,
    /// The program.
    pub prog: &'a Program,
    /// Its compiled code.
    pub code: &'a Code,
    /// Helper addresses.
    pub helpers: Helpers,
    /// Calling convention of helpers.
    pub call_conv: CallConv,
    /// The context pointer (function parameter).
    pub ctx: Value,
    /// Constants referenced by the code (owned by the caller afterwards).
    pub consts: &'a mut Consts,
    /// Per field: set when a native `endswith`/`icontains` reads it
    /// (its slot then needs the NUL-cut length, `Slot::clen`).
    pub need_clen: &'a mut [bool],
    /// The checks compiled (indices into [`Code::checks`]) and their tiers.
    pub tiers: Vec<(u32, Tier)>,
}

impl FnTranslator<'_, '_> {
    /// Emits the function of kind `kind` for `region` (see [`Region::new`]), after the entry
    /// block; `bodies` holds the functions of the bodies the region calls.
    pub fn function(&mut self, kind: FnKind, region: &Region, bodies: &FxHashMap<u32, FuncRef>) {
        let blocks: FxHashMap<u32, Block> = region
            .ops
            .iter()
            .map(|&pc| (pc, self.b.create_block()))
            .collect();
        let block = |pc: u32| blocks[&pc];
        // The number of matches so far (rule lists).
        let count = self.b.declare_var(types::I32);
        if kind == FnKind::List {
            let zero = self.b.ins().iconst(types::I32, 0);
            self.b.def_var(count, zero);
        }
        if let Some(&entry) = region.ops.first() {
            self.b.ins().jump(block(entry), &[]);
        }
        for &pc in &region.ops {
            self.b.switch_to_block(block(pc));
            match self.code.ops[pc as usize] {
                Op::Done(_) => {
                    let n = self.b.use_var(count);
                    self.b.ins().return_(&[n]);
                }
                Op::Check { check, t, f } => {
                    let v = self.check_code(check);
                    self.b.ins().brif(v, block(t), &[], block(f), &[]);
                }
                Op::MemoCheck { check, slot, t, f } => {
                    let miss = self.memo_branch(slot, block(t), block(f));
                    self.b.switch_to_block(miss);
                    self.b.seal_block(miss);
                    let v = self.check_code(check);
                    self.store_memo(slot, v);
                    self.b.ins().brif(v, block(t), &[], block(f), &[]);
                }
                Op::Call { slot, body, t, f } => {
                    let miss = self.memo_branch(slot, block(t), block(f));
                    self.b.switch_to_block(miss);
                    self.b.seal_block(miss);
                    let call = self.b.ins().call(bodies[&body], &[self.ctx]);
                    let v = self.b.inst_results(call)[0];
                    self.b.ins().brif(v, block(t), &[], block(f), &[]);
                }
                Op::Ret { slot, val } => {
                    let v = self.b.ins().iconst(types::I8, i64::from(val));
                    self.store_memo(slot, v);
                    self.b.ins().return_(&[v]);
                }
                Op::Matched { rule, next } => self.matched(count, rule, block(next)),
            }
        }
        self.b.seal_all_blocks();
    }

    /// Appends `rule` to `ctx.out` and jumps to `next`.
    fn matched(&mut self, count: Variable, rule: u32, next: Block) {
        let n = self.b.use_var(count);
        let out = self.load(PTR, self.ctx, CtxLayout::OUT);
        let off = self.b.ins().uextend(types::I64, n);
        let off = self.b.ins().ishl_imm_s(off, 2);
        let addr = self.b.ins().iadd(out, off);
        let i = self.b.ins().iconst(types::I32, i64::from(rule));
        self.b.ins().store(MemFlagsData::trusted(), i, addr, 0);
        let n1 = self.b.ins().iadd_imm_s(n, 1);
        self.b.def_var(count, n1);
        self.b.ins().jump(next, &[]);
    }

    /// Branches on memo byte `slot` (0 = unknown, 1 = false, 2 = true): to `t` or `f` when
    /// known; returns the (unsealed, not current) block of the miss.
    fn memo_branch(&mut self, slot: u32, t: Block, f: Block) -> Block {
        let memo = self.load(PTR, self.ctx, CtxLayout::MEMO);
        let m = self.load(types::I8, memo, slot as i32);
        let known = self.b.create_block();
        let miss = self.b.create_block();
        self.b.ins().brif(m, known, &[], miss, &[]);
        self.b.switch_to_block(known);
        self.b.seal_block(known);
        let is_true = self.b.ins().icmp_imm_s(IntCC::Equal, m, 2);
        self.b.ins().brif(is_true, t, &[], f, &[]);
        miss
    }

    /// Stores the `i8` 0/1 `v` into memo byte `slot`.
    fn store_memo(&mut self, slot: u32, v: Value) {
        let enc = self.b.ins().iadd_imm_s(v, 1);
        let memo = self.load(PTR, self.ctx, CtxLayout::MEMO);
        self.b
            .ins()
            .store(MemFlagsData::trusted(), enc, memo, slot as i32);
    }

    /// Emits check `check` of the code, returning an `i8` 0/1 (false when it is not a check
    /// node, as in the interpreter).
    fn check_code(&mut self, check: u32) -> Value {
        let node = self.code.checks.get(check as usize).map(|c| c.node);
        let Some((id, Node::Check(c))) =
            node.and_then(|id| Some((id, self.prog.nodes.get(id.0 as usize)?)))
        else {
            return self.b.ins().iconst(types::I8, 0);
        };
        let (v, tier) = self.check(id, c);
        self.tiers.push((check, tier));
        v
    }

    fn interp_node(&mut self, id: ExprId) -> Value {
        let n = self.b.ins().iconst(types::I32, i64::from(id.0));
        call_helper(
            self.b,
            self.call_conv,
            self.helpers.interp_node,
            &[PTR, types::I32],
            Some(types::I8),
            &[self.ctx, n],
        )
        .unwrap_or_else(|| self.b.ins().iconst(types::I8, 0))
    }

    fn helper_check(&mut self, id: ExprId) -> Value {
        let n = self.b.ins().iconst(types::I32, i64::from(id.0));
        call_helper(
            self.b,
            self.call_conv,
            self.helpers.check,
            &[PTR, types::I32],
            Some(types::I8),
            &[self.ctx, n],
        )
        .unwrap_or_else(|| self.b.ins().iconst(types::I8, 0))
    }

    /// A check and its tier.
    fn check(&mut self, id: ExprId, c: &Check) -> (Value, Tier) {
        let field = match self.prog.operands.get(c.lhs.0 as usize) {
            Some(OperandIr::Field(f)) => *f,
            _ => return (self.interp_node(id), Tier::Interp),
        };
        if matches!(c.rhs, RhsIr::Operand(_)) {
            return (self.interp_node(id), Tier::Interp);
        }
        let Some(native) = native_form(c) else {
            return (self.helper_check(id), Tier::Helper);
        };
        if let (
            NativeForm::StrOp {
                op: OpKind::EndsWith | OpKind::IContains,
                ..
            },
            Some(need),
        ) = (&native, self.need_clen.get_mut(field.0 as usize))
        {
            *need = true;
        }
        let slot = self.slot(field.0);
        let kind = self
            .b
            .ins()
            .load(types::I32, MemFlagsData::trusted(), slot, SlotLayout::KIND);
        if let NativeForm::Exists = native {
            let v = self
                .b
                .ins()
                .icmp_imm_s(IntCC::NotEqual, kind, i64::from(KIND_MISSING));
            return (v, Tier::Native);
        }
        let expected = form_kind(&native);
        // kind == expected -> native; kind == missing -> false; otherwise -> helper.
        let fast = self.b.create_block();
        let not_fast = self.b.create_block();
        let slow = self.b.create_block();
        let done = self.b.create_block();
        let res = self.b.append_block_param(done, types::I8);
        let is_fast = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, kind, i64::from(expected));
        self.b.ins().brif(is_fast, fast, &[], not_fast, &[]);

        self.b.switch_to_block(not_fast);
        self.b.seal_block(not_fast);
        let zero = self.b.ins().iconst(types::I8, 0);
        self.b.ins().brif(kind, slow, &[], done, &[zero.into()]);

        self.b.switch_to_block(slow);
        self.b.seal_block(slow);
        let v = self.helper_check(id);
        self.b.ins().jump(done, &[v.into()]);

        self.b.switch_to_block(fast);
        self.b.seal_block(fast);
        let v = self.native(native, slot);
        self.b.ins().jump(done, &[v.into()]);

        self.b.switch_to_block(done);
        self.b.seal_block(done);
        (res, Tier::Native)
    }

    /// The address of `field`'s slot, filled for the current event.
    fn slot(&mut self, field: u32) -> Value {
        let slots = self
            .b
            .ins()
            .load(PTR, MemFlagsData::trusted(), self.ctx, CtxLayout::SLOTS);
        let off = (field as usize * SlotLayout::SIZE) as i64;
        let slot = self.b.ins().iadd_imm_s(slots, off);
        let se = self
            .b
            .ins()
            .load(types::I32, MemFlagsData::trusted(), slot, SlotLayout::EPOCH);
        let ce = self.b.ins().load(
            types::I32,
            MemFlagsData::trusted(),
            self.ctx,
            CtxLayout::EPOCH,
        );
        let fill = self.b.create_block();
        let ready = self.b.create_block();
        let stale = self.b.ins().icmp(IntCC::NotEqual, se, ce);
        self.b.ins().brif(stale, fill, &[], ready, &[]);
        self.b.switch_to_block(fill);
        self.b.seal_block(fill);
        let f = self.b.ins().iconst(types::I32, i64::from(field));
        call_helper(
            self.b,
            self.call_conv,
            self.helpers.fill,
            &[PTR, types::I32],
            None,
            &[self.ctx, f],
        );
        self.b.ins().jump(ready, &[]);
        self.b.switch_to_block(ready);
        self.b.seal_block(ready);
        slot
    }

    /// The address of a copy of `bytes` owned by the compiled program.
    fn bytes_const(&mut self, bytes: &[u8]) -> Value {
        let owned: Box<[u8]> = bytes.into();
        let addr = owned.as_ptr() as i64;
        self.consts.bytes.push(owned);
        self.b.ins().iconst(PTR, addr)
    }

    fn load(&mut self, ty: types::Type, base: Value, off: i32) -> Value {
        self.b.ins().load(ty, MemFlagsData::trusted(), base, off)
    }

    /// Whether the `bytes.len()` bytes at `start` (known to be readable) equal `bytes`. Up to
    /// 8 bytes are compared inline with two overlapping loads; longer constants call
    /// [`super::abi::rt_bytes_eq`].
    fn bytes_eq_at(&mut self, start: Value, bytes: &[u8]) -> Value {
        let n = bytes.len();
        if n == 0 {
            return self.b.ins().iconst(types::I8, 1);
        }
        if n > 8 {
            let c = self.bytes_const(bytes);
            let nv = self.b.ins().iconst(types::I64, n as i64);
            return call_helper(
                self.b,
                self.call_conv,
                self.helpers.bytes_eq,
                &[PTR, PTR, types::I64],
                Some(types::I8),
                &[start, c, nv],
            )
            .unwrap_or_else(|| self.b.ins().iconst(types::I8, 0));
        }
        let (ty, w) = match n {
            1 => (types::I8, 1),
            2 | 3 => (types::I16, 2),
            4..=7 => (types::I32, 4),
            _ => (types::I64, 8),
        };
        // Little-endian value of `w` bytes at `at`, as the signed immediate of width `w`.
        let word = |at: usize| -> i64 {
            let mut v = 0u64;
            for (i, &b) in bytes[at..at + w].iter().enumerate() {
                v |= u64::from(b) << (8 * i);
            }
            match w {
                1 => i64::from(v as u8 as i8),
                2 => i64::from(v as u16 as i16),
                4 => i64::from(v as u32 as i32),
                _ => v as i64,
            }
        };
        // Unaligned, in bounds: both loads lie within the `n` bytes at `start`.
        let flags = MemFlagsData::new().with_notrap();
        let a = self.b.ins().load(ty, flags, start, 0);
        let ea = self.b.ins().icmp_imm_s(IntCC::Equal, a, word(0));
        if w == n {
            return ea;
        }
        let tail = (n - w) as i32;
        let z = self.b.ins().load(ty, flags, start, tail);
        let ez = self.b.ins().icmp_imm_s(IntCC::Equal, z, word(n - w));
        self.b.ins().band(ea, ez)
    }

    /// `StartsWith`/`EndsWith`/`Contains`/`IContains` of a string slot (up to its first NUL)
    /// and `bytes` (which hold no NUL). `EndsWith` and `IContains` read the NUL-cut length;
    /// a prefix of the whole value is a prefix of the part before its first NUL, and
    /// [`super::abi::rt_find`] checks that no NUL comes before the match.
    fn str_op(&mut self, op: OpKind, bytes: &[u8], slot: Value) -> Value {
        let len_at = match op {
            OpKind::EndsWith | OpKind::IContains => SlotLayout::CLEN,
            _ => SlotLayout::LEN,
        };
        let clen = self.load(types::I64, slot, len_at);
        let ptr = self.load(PTR, slot, SlotLayout::PTR);
        let n = bytes.len() as i64;
        if op == OpKind::Contains {
            let finder = Box::new(Finder::new(bytes).into_owned());
            let addr = &*finder as *const Finder<'static> as i64;
            self.consts.finders.push(finder);
            let fv = self.b.ins().iconst(PTR, addr);
            return call_helper(
                self.b,
                self.call_conv,
                self.helpers.find,
                &[PTR, types::I64, PTR],
                Some(types::I8),
                &[ptr, clen, fv],
            )
            .unwrap_or_else(|| self.b.ins().iconst(types::I8, 0));
        }
        if op == OpKind::IContains {
            let c = self.bytes_const(bytes);
            let nv = self.b.ins().iconst(types::I64, n);
            return call_helper(
                self.b,
                self.call_conv,
                self.helpers.icontains,
                &[PTR, types::I64, PTR, types::I64],
                Some(types::I8),
                &[ptr, clen, c, nv],
            )
            .unwrap_or_else(|| self.b.ins().iconst(types::I8, 0));
        }
        if bytes.is_empty() {
            return self.b.ins().iconst(types::I8, 1);
        }
        let long_enough = self.b.create_block();
        let done = self.b.create_block();
        let res = self.b.append_block_param(done, types::I8);
        let ok = self
            .b
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, clen, n);
        let zero = self.b.ins().iconst(types::I8, 0);
        self.b
            .ins()
            .brif(ok, long_enough, &[], done, &[zero.into()]);
        self.b.switch_to_block(long_enough);
        self.b.seal_block(long_enough);
        let start = if op == OpKind::EndsWith {
            let skip = self.b.ins().iadd_imm_s(clen, -n);
            self.b.ins().iadd(ptr, skip)
        } else {
            ptr
        };
        let v = self.bytes_eq_at(start, bytes);
        self.b.ins().jump(done, &[v.into()]);
        self.b.switch_to_block(done);
        self.b.seal_block(done);
        res
    }

    /// The integer (or boolean) in `slot` compared with `value`.
    fn int_cmp(&mut self, slot: Value, op: OpKind, value: u64, signed: bool) -> Value {
        let v = self
            .b
            .ins()
            .load(types::I64, MemFlagsData::trusted(), slot, SlotLayout::NUM);
        let cc = int_cc(op, signed);
        self.b.ins().icmp_imm_s(cc, v, value as i64)
    }

    /// The native comparison on a slot of the expected kind.
    fn native(&mut self, n: NativeForm, slot: Value) -> Value {
        match n {
            NativeForm::StrOp { op, bytes } => self.str_op(op, &bytes, slot),
            NativeForm::IntIn { values, .. } => {
                let v = self.load(types::I64, slot, SlotLayout::NUM);
                let mut acc = self.b.ins().iconst(types::I8, 0);
                for x in values {
                    let hit = self.b.ins().icmp_imm_s(IntCC::Equal, v, x as i64);
                    acc = self.b.ins().bor(acc, hit);
                }
                acc
            }
            NativeForm::StrSet(set) => {
                let ptr = self.load(PTR, slot, SlotLayout::PTR);
                let len = self.load(types::I64, slot, SlotLayout::LEN);
                let owned = Box::new(set);
                let addr = &*owned as *const ByteSet as i64;
                self.consts.sets.push(owned);
                let sv = self.b.ins().iconst(PTR, addr);
                call_helper(
                    self.b,
                    self.call_conv,
                    self.helpers.str_in,
                    &[PTR, types::I64, PTR],
                    Some(types::I8),
                    &[ptr, len, sv],
                )
                .unwrap_or_else(|| self.b.ins().iconst(types::I8, 0))
            }
            NativeForm::Exists => self.b.ins().iconst(types::I8, 1),
            NativeForm::Int { op, value, signed } => self.int_cmp(slot, op, value, signed),
            NativeForm::Bool { op, value } => self.int_cmp(slot, op, value, false),
            NativeForm::Str { negate, bytes } => {
                let len =
                    self.b
                        .ins()
                        .load(types::I64, MemFlagsData::trusted(), slot, SlotLayout::LEN);
                let same_len = self.b.create_block();
                let done = self.b.create_block();
                let res = self.b.append_block_param(done, types::I8);
                let len_eq = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::Equal, len, bytes.len() as i64);
                let miss = self.b.ins().iconst(types::I8, i64::from(negate));
                self.b
                    .ins()
                    .brif(len_eq, same_len, &[], done, &[miss.into()]);
                self.b.switch_to_block(same_len);
                self.b.seal_block(same_len);
                let ptr = self.load(PTR, slot, SlotLayout::PTR);
                let eq = self.bytes_eq_at(ptr, &bytes);
                let v = if negate {
                    self.b.ins().bxor_imm_s(eq, 1)
                } else {
                    eq
                };
                self.b.ins().jump(done, &[v.into()]);
                self.b.switch_to_block(done);
                self.b.seal_block(done);
                res
            }
        }
    }
}

fn int_cc(op: OpKind, signed: bool) -> IntCC {
    match (op, signed) {
        (OpKind::Ne, _) => IntCC::NotEqual,
        (OpKind::Lt, true) => IntCC::SignedLessThan,
        (OpKind::Le, true) => IntCC::SignedLessThanOrEqual,
        (OpKind::Gt, true) => IntCC::SignedGreaterThan,
        (OpKind::Ge, true) => IntCC::SignedGreaterThanOrEqual,
        (OpKind::Lt, false) => IntCC::UnsignedLessThan,
        (OpKind::Le, false) => IntCC::UnsignedLessThanOrEqual,
        (OpKind::Gt, false) => IntCC::UnsignedGreaterThan,
        (OpKind::Ge, false) => IntCC::UnsignedGreaterThanOrEqual,
        _ => IntCC::Equal,
    }
}

/// The slot kind the native code of `n` handles.
fn form_kind(n: &NativeForm) -> u32 {
    match n {
        NativeForm::Exists => KIND_MISSING,
        NativeForm::Int { signed: true, .. } | NativeForm::IntIn { signed: true, .. } => KIND_I64,
        NativeForm::Int { signed: false, .. } | NativeForm::IntIn { signed: false, .. } => KIND_U64,
        NativeForm::Bool { .. } => KIND_BOOL,
        NativeForm::Str { .. } | NativeForm::StrOp { .. } | NativeForm::StrSet(_) => KIND_STR,
    }
}
