//! Code generation of one function: a rule's condition ([`RuleTranslator`]) or an event-type
//! group ([`translate_group`]). The [`super::JitModule`] owns the module, declares the functions
//! and hands a [`FunctionBuilder`] to these.
//!
//! Booleans are `i8` values 0/1. `and`/`or` short-circuit through blocks; shared nodes check
//! and fill their memo byte; checks are compiled at one of three tiers:
//!
//! * **native**: `exists`, integer and boolean comparisons against one constant, string
//!   `=`/`!=` against one constant. The code reads the field slot directly (filling it through
//!   [`super::abi::rt_fill`] when stale) and falls back to the helper when the slot holds
//!   something else than the one value of the expected kind;
//! * **helper**: every other check on a field ([`super::abi::rt_check`]);
//! * **interpreter**: checks on transformers or `val()`, and subtrees deeper than
//!   [`MAX_DEPTH`] ([`super::abi::rt_interp_node`]).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, AbiParam, InstBuilder, MemFlagsData, Signature, Value};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;

use rulec::condition::ast::OpKind;
use rulec::interp::form::{native_form, ByteSet, NativeForm};
use rulec::lower::{Check, ExprId, Node, OperandIr, Program, RhsIr};

use super::abi::{
    CtxLayout, Helpers, SlotLayout, KIND_BOOL, KIND_I64, KIND_MISSING, KIND_STR, KIND_U64,
};

/// Nesting depth above which a subtree goes to the interpreter (bounds codegen recursion).
pub const MAX_DEPTH: usize = 200;

/// Static counts of how checks were compiled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TierCounts {
    /// Checks compiled to native code.
    pub native: usize,
    /// Checks compiled to a call of the check helper.
    pub helper: usize,
    /// Checks or subtrees evaluated by the interpreter.
    pub interp: usize,
}

impl TierCounts {
    /// Adds `o`.
    pub fn add(&mut self, o: TierCounts) {
        self.native += o.native;
        self.helper += o.helper;
        self.interp += o.interp;
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
}

impl Consts {
    /// Moves `o`'s constants into `self`.
    pub fn append(&mut self, o: &mut Consts) {
        self.bytes.append(&mut o.bytes);
        self.sets.append(&mut o.sets);
    }
}

/// Translates one rule condition into the body of a function `fn(ctx) -> i8`.
pub struct RuleTranslator<'a, 'b> {
    /// The function under construction.
    pub b: &'a mut FunctionBuilder<'b>,
    /// The program.
    pub prog: &'a Program,
    /// Helper addresses.
    pub helpers: Helpers,
    /// Calling convention of helpers.
    pub call_conv: CallConv,
    /// The context pointer (function parameter).
    pub ctx: Value,
    /// Constants referenced by the code (owned by the caller afterwards).
    pub consts: &'a mut Consts,
    /// Per field: set when a native `startswith`/`endswith`/`contains`/`icontains` reads it
    /// (its slot then needs the NUL-cut length, `Slot::clen`).
    pub need_clen: &'a mut [bool],
    /// Tier counts.
    pub tiers: TierCounts,
}

impl RuleTranslator<'_, '_> {
    /// Emits the evaluation of `id`, returning an `i8` 0/1.
    pub fn expr(&mut self, id: ExprId, depth: usize) -> Value {
        let slot = self
            .prog
            .memo_slot
            .get(id.0 as usize)
            .copied()
            .unwrap_or(u32::MAX);
        if slot == u32::MAX {
            return self.expr_uncached(id, depth);
        }
        // Memoized: 0 = unknown, 1 = false, 2 = true.
        let memo = self
            .b
            .ins()
            .load(PTR, MemFlagsData::trusted(), self.ctx, CtxLayout::MEMO);
        let m = self
            .b
            .ins()
            .load(types::I8, MemFlagsData::trusted(), memo, slot as i32);
        let compute = self.b.create_block();
        let done = self.b.create_block();
        let res = self.b.append_block_param(done, types::I8);
        let known = self.b.ins().icmp_imm_s(IntCC::Equal, m, 2);
        self.b.ins().brif(m, done, &[known.into()], compute, &[]);
        self.b.switch_to_block(compute);
        self.b.seal_block(compute);
        let v = self.expr_uncached(id, depth);
        let enc = self.b.ins().iadd_imm_s(v, 1);
        let memo = self
            .b
            .ins()
            .load(PTR, MemFlagsData::trusted(), self.ctx, CtxLayout::MEMO);
        self.b
            .ins()
            .store(MemFlagsData::trusted(), enc, memo, slot as i32);
        self.b.ins().jump(done, &[v.into()]);
        self.b.switch_to_block(done);
        self.b.seal_block(done);
        res
    }

    fn expr_uncached(&mut self, id: ExprId, depth: usize) -> Value {
        let Some(node) = self.prog.nodes.get(id.0 as usize) else {
            return self.b.ins().iconst(types::I8, 0);
        };
        if depth > MAX_DEPTH {
            self.tiers.interp += 1;
            return self.interp_node(id);
        }
        match node {
            Node::Const(v) => self.b.ins().iconst(types::I8, i64::from(*v)),
            Node::Not(c) => {
                let v = self.expr(*c, depth + 1);
                self.b.ins().bxor_imm_s(v, 1)
            }
            Node::And(kids) => self.junction(kids, true, depth),
            Node::Or(kids) => self.junction(kids, false, depth),
            Node::Check(c) => self.check(id, c),
        }
    }

    /// `and` (`is_and`) or `or` of `kids`, short-circuit left to right.
    fn junction(&mut self, kids: &[ExprId], is_and: bool, depth: usize) -> Value {
        let Some((last, init)) = kids.split_last() else {
            return self.b.ins().iconst(types::I8, i64::from(is_and));
        };
        let done = self.b.create_block();
        let res = self.b.append_block_param(done, types::I8);
        for &k in init {
            let v = self.expr(k, depth + 1);
            let next = self.b.create_block();
            let short = self.b.ins().iconst(types::I8, i64::from(!is_and));
            if is_and {
                self.b.ins().brif(v, next, &[], done, &[short.into()]);
            } else {
                self.b.ins().brif(v, done, &[short.into()], next, &[]);
            }
            self.b.switch_to_block(next);
            self.b.seal_block(next);
        }
        let v = self.expr(*last, depth + 1);
        self.b.ins().jump(done, &[v.into()]);
        self.b.switch_to_block(done);
        self.b.seal_block(done);
        res
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

    fn check(&mut self, id: ExprId, c: &Check) -> Value {
        let field = match self.prog.operands.get(c.lhs.0 as usize) {
            Some(OperandIr::Field(f)) => *f,
            _ => {
                self.tiers.interp += 1;
                return self.interp_node(id);
            }
        };
        if matches!(c.rhs, RhsIr::Operand(_)) {
            self.tiers.interp += 1;
            return self.interp_node(id);
        }
        let Some(native) = native_form(c) else {
            self.tiers.helper += 1;
            return self.helper_check(id);
        };
        self.tiers.native += 1;
        if let (NativeForm::StrOp { .. }, Some(need)) =
            (&native, self.need_clen.get_mut(field.0 as usize))
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
            return v;
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
        res
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

    /// `StartsWith`/`EndsWith`/`Contains` of a string slot (up to its first NUL) and `bytes`.
    fn str_op(&mut self, op: OpKind, bytes: &[u8], slot: Value) -> Value {
        let clen = self.load(types::I64, slot, SlotLayout::CLEN);
        let ptr = self.load(PTR, slot, SlotLayout::PTR);
        let n = bytes.len() as i64;
        if matches!(op, OpKind::Contains | OpKind::IContains) {
            let c = self.bytes_const(bytes);
            let nv = self.b.ins().iconst(types::I64, n);
            let helper = if op == OpKind::Contains {
                self.helpers.contains
            } else {
                self.helpers.icontains
            };
            return call_helper(
                self.b,
                self.call_conv,
                helper,
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

/// What a group function calls for one rule.
#[derive(Debug, Clone, Copy)]
pub enum RuleCode {
    /// The rule's compiled function.
    Native(cranelift_codegen::ir::FuncRef),
    /// The interpreter (the rule was not compiled).
    Interpreted,
}

/// Emits a group function body `fn(ctx) -> i32`: evaluates `rules` in order, writes the index
/// of each matching rule to `ctx.out` and returns how many matched.
pub fn translate_group(
    b: &mut FunctionBuilder<'_>,
    ctx: Value,
    rules: &[(u32, RuleCode)],
    helpers: Helpers,
    call_conv: CallConv,
) {
    let mut n = b.ins().iconst(types::I32, 0);
    for &(idx, code) in rules {
        let v = match code {
            RuleCode::Native(f) => {
                let call = b.ins().call(f, &[ctx]);
                b.inst_results(call)[0]
            }
            RuleCode::Interpreted => {
                let i = b.ins().iconst(types::I32, i64::from(idx));
                call_helper(
                    b,
                    call_conv,
                    helpers.interp_rule,
                    &[PTR, types::I32],
                    Some(types::I8),
                    &[ctx, i],
                )
                .unwrap_or_else(|| b.ins().iconst(types::I8, 0))
            }
        };
        let hit = b.create_block();
        let next = b.create_block();
        let count = b.append_block_param(next, types::I32);
        b.ins().brif(v, hit, &[], next, &[n.into()]);
        b.switch_to_block(hit);
        b.seal_block(hit);
        let out = b
            .ins()
            .load(PTR, MemFlagsData::trusted(), ctx, CtxLayout::OUT);
        let off = b.ins().uextend(types::I64, n);
        let off = b.ins().ishl_imm_s(off, 2);
        let addr = b.ins().iadd(out, off);
        let i = b.ins().iconst(types::I32, i64::from(idx));
        b.ins().store(MemFlagsData::trusted(), i, addr, 0);
        let n1 = b.ins().iadd_imm_s(n, 1);
        b.ins().jump(next, &[n1.into()]);
        b.switch_to_block(next);
        b.seal_block(next);
        n = count;
    }
    b.ins().return_(&[n]);
}

/// The signature of rule functions (`fn(ctx) -> i8`) and group functions (`fn(ctx) -> i32`).
pub fn fn_sig(call_conv: CallConv, group: bool) -> Signature {
    sig(
        call_conv,
        &[PTR],
        Some(if group { types::I32 } else { types::I8 }),
    )
}
