//! The helper ABI between JIT-compiled conditions and the Rust runtime.
//!
//! Native code receives one argument, a `*mut Ctx`, and reaches everything through it:
//!
//! * [`Ctx::slots`]: the per-event **field cache**, one [`Slot`] per interned field of the
//!   program ([`rulec_ir::program::FieldId`] indexes it). A slot is valid for the current event when
//!   `slot.epoch == ctx.epoch`; otherwise native code calls [`rt_fill`] first. A valid slot
//!   describes the extraction in a form native code can test without calling back:
//!   `kind` (see the `KIND_*` constants) and, for single scalar values, `num` (integers and
//!   booleans) or `ptr`/`len` (strings).
//! * [`Ctx::memo`]: one byte per memo slot of a shared node
//!   ([`rulec_ir::program::Program::memo_slot`]): 0 = not evaluated for this event, 1 = false,
//!   2 = true. The evaluator zeroes them per event.
//! * [`Ctx::out`]: where a rule-list function writes the indices of the matching rules.
//! * [`Ctx::env`]: the Rust side ([`Env`]: program, event, fallback interpreter), opaque to
//!   native code and used by the helpers.
//!
//! Helpers are `extern "C"` functions called through their address ([`Helpers`]). They take the
//! context or the buffers they compare and return `u8` booleans (0/1) or nothing:
//!
//! | helper | signature | does |
//! |---|---|---|
//! | [`rt_fill`] | `(ctx, field: u32)` | extracts `field` for the current event into its slot |
//! | [`rt_bytes_eq`] | `(a: ptr, b: ptr, len: u64) -> u8` | byte equality of two buffers |
//! | [`rt_find`] | `(hay: ptr, len: u64, finder: ptr) -> u8` | `contains` with a prepared searcher |
//! | [`rt_icontains`] | `(hay: ptr, len: u64, needle: ptr, len: u64) -> u8` | `icontains` |
//! | [`rt_str_in`] | `(s: ptr, len: u64, set: ptr) -> u8` | membership in a string set |
//! | [`rt_check`] | `(ctx, node: u32) -> u8` | a field check through the shared operator code |
//! | [`rt_interp_node`] | `(ctx, node: u32) -> u8` | a node through the reference interpreter |
//!
//! Helpers never unwind into native code: a panic inside one aborts the process (Rust's
//! `extern "C"` functions abort on unwinding), which is why they are written to never panic
//! on any event or program content (indices come from the program the code was compiled from).

use std::ffi::c_void;
use std::mem::offset_of;

use memchr::memmem::Finder;

use crate::event::{Event, FieldRef, Stored, Val, Values};
use crate::interp::ops::{self, RhsRef};
use crate::interp::Interpreter;
use rulec_ir::program::{Node, OperandIr, Program, RhsIr};

/// Field missing for this event (every check is false, §3.4).
pub const KIND_MISSING: u32 = 0;
/// One unsigned integer value, in `num`.
pub const KIND_U64: u32 = 1;
/// One signed integer value, in `num` (two's complement).
pub const KIND_I64: u32 = 2;
/// One string value, bytes at `ptr`/`len`.
pub const KIND_STR: u32 = 3;
/// One boolean value, in `num` (0/1).
pub const KIND_BOOL: u32 = 4;
/// Anything else (several values, no value, buffers, floats, addresses): helpers only.
pub const KIND_OTHER: u32 = 5;

/// One cached field extraction. `#[repr(C)]`: native code reads `epoch`, `kind`, `num`, `ptr`
/// and `len` at the offsets in [`SlotLayout`].
///
/// The values are borrowed from the event when it stores them typed ([`Event::stored`]) and
/// owned otherwise; either way they stay valid until the slot is filled again, which happens
/// at the earliest for the next event (the evaluator advances the epoch per event).
#[repr(C)]
pub struct Slot {
    /// Event epoch this slot was filled for.
    pub epoch: u32,
    /// One of the `KIND_*` constants.
    pub kind: u32,
    /// Integer or boolean value when `kind` is `KIND_U64`, `KIND_I64` or `KIND_BOOL`.
    pub num: u64,
    /// String bytes when `kind` is `KIND_STR`.
    pub ptr: *const u8,
    /// String length when `kind` is `KIND_STR`.
    pub len: u64,
    /// String length up to the first NUL when `kind` is `KIND_STR` (C-string semantics of the
    /// string operators other than equality).
    pub clen: u64,
    /// The values (into the event or into `owned`); null when missing. Not read by native code.
    vals: *const Val,
    /// Number of values.
    nvals: usize,
    /// Values extracted by copy.
    owned: Option<Values>,
}

impl Slot {
    /// An empty slot (never valid: epochs start at 1).
    pub fn empty() -> Slot {
        Slot {
            epoch: 0,
            kind: KIND_MISSING,
            num: 0,
            ptr: std::ptr::null(),
            len: 0,
            clen: 0,
            vals: std::ptr::null(),
            nvals: 0,
            owned: None,
        }
    }

    /// Fills the slot with `field` of `ev` for `epoch`; `need_clen`: compute `clen` (the field
    /// is used by a native `endswith`/`icontains`).
    pub fn fill(&mut self, epoch: u32, ev: &dyn Event, field: &FieldRef, need_clen: bool) {
        self.epoch = epoch;
        self.owned = None;
        let (vals, n) = match ev.stored(field) {
            Stored::Values(v) => (v.as_ptr(), v.len()),
            Stored::Missing => (std::ptr::null(), 0),
            Stored::NotStored => match ev.extract(field) {
                Some(v) => {
                    let v = self.owned.insert(v);
                    (v.as_ptr(), v.len())
                }
                None => (std::ptr::null(), 0),
            },
        };
        self.vals = vals;
        self.nvals = n;
        self.num = 0;
        self.ptr = std::ptr::null();
        self.len = 0;
        self.kind = if vals.is_null() {
            KIND_MISSING
        } else {
            // SAFETY: `vals`/`n` were just taken from a live slice (the event's or `owned`).
            match unsafe { std::slice::from_raw_parts(vals, n) } {
                [Val::U64(v)] => {
                    self.num = *v;
                    KIND_U64
                }
                [Val::I64(v)] => {
                    self.num = *v as u64;
                    KIND_I64
                }
                [Val::Bool(b)] => {
                    self.num = u64::from(*b);
                    KIND_BOOL
                }
                [Val::Str(s)] => {
                    self.ptr = s.as_ptr();
                    self.len = s.len() as u64;
                    self.clen = if need_clen {
                        ops::cstr(s.as_bytes()).len() as u64
                    } else {
                        self.len
                    };
                    KIND_STR
                }
                _ => KIND_OTHER,
            }
        };
    }

    /// The values of the current fill, `None` when the field is missing.
    ///
    /// # Safety
    /// The slot must have been filled during the current evaluation (its epoch is the
    /// context's), so that the event or the owned buffer it borrows from is still alive.
    unsafe fn values(&self) -> Option<&[Val]> {
        if self.vals.is_null() {
            None
        } else {
            // SAFETY: caller contract: the slice the slot was filled from is alive.
            Some(unsafe { std::slice::from_raw_parts(self.vals, self.nvals) })
        }
    }
}

/// Byte offsets of the [`Slot`] fields native code reads.
pub struct SlotLayout;

impl SlotLayout {
    /// Size of one slot (array stride).
    pub const SIZE: usize = std::mem::size_of::<Slot>();
    /// `epoch: u32`.
    pub const EPOCH: i32 = offset_of!(Slot, epoch) as i32;
    /// `kind: u32`.
    pub const KIND: i32 = offset_of!(Slot, kind) as i32;
    /// `num: u64`.
    pub const NUM: i32 = offset_of!(Slot, num) as i32;
    /// `ptr: *const u8`.
    pub const PTR: i32 = offset_of!(Slot, ptr) as i32;
    /// `len: u64`.
    pub const LEN: i32 = offset_of!(Slot, len) as i32;
    /// `clen: u64`.
    pub const CLEN: i32 = offset_of!(Slot, clen) as i32;
}

/// The context native code receives. `#[repr(C)]`, offsets in [`CtxLayout`].
#[repr(C)]
pub struct Ctx {
    /// Field cache, one slot per program field.
    pub slots: *mut Slot,
    /// Shared-node memo bytes.
    pub memo: *mut u8,
    /// Output buffer for matching rule indices (capacity: number of rules).
    pub out: *mut u32,
    /// Current event epoch (never 0).
    pub epoch: u32,
    /// Padding.
    pub pad: u32,
    /// The Rust side, an `Env` (opaque to native code).
    pub env: *mut c_void,
}

/// Byte offsets of the [`Ctx`] fields native code reads.
pub struct CtxLayout;

impl CtxLayout {
    /// `slots`.
    pub const SLOTS: i32 = offset_of!(Ctx, slots) as i32;
    /// `memo`.
    pub const MEMO: i32 = offset_of!(Ctx, memo) as i32;
    /// `out`.
    pub const OUT: i32 = offset_of!(Ctx, out) as i32;
    /// `epoch`.
    pub const EPOCH: i32 = offset_of!(Ctx, epoch) as i32;
}

/// What helpers need from the Rust side during one evaluation.
pub struct Env<'p, 'e, 'i> {
    /// The program the code was compiled from.
    pub prog: &'p Program,
    /// The event being evaluated.
    pub ev: &'e dyn Event,
    /// The fallback interpreter.
    pub interp: &'i mut Interpreter<'p>,
    /// Per field: native code needs its NUL-cut length (`Slot::clen`).
    pub need_clen: &'p [bool],
    /// Whether the interpreter's memo was started for this event.
    pub interp_started: bool,
    /// Helper calls that went to the interpreter (metrics).
    pub interp_calls: u64,
}

/// Addresses of the helpers, in the order of the table in the module docs.
#[derive(Debug, Clone, Copy)]
pub struct Helpers {
    /// [`rt_fill`].
    pub fill: usize,
    /// [`rt_bytes_eq`].
    pub bytes_eq: usize,
    /// [`rt_find`].
    pub find: usize,
    /// [`rt_icontains`].
    pub icontains: usize,
    /// [`rt_str_in`].
    pub str_in: usize,
    /// [`rt_check`].
    pub check: usize,
    /// [`rt_interp_node`].
    pub interp_node: usize,
}

impl Helpers {
    /// The helper table of this process.
    pub fn get() -> Helpers {
        Helpers {
            fill: rt_fill as *const () as usize,
            bytes_eq: rt_bytes_eq as *const () as usize,
            find: rt_find as *const () as usize,
            icontains: rt_icontains as *const () as usize,
            str_in: rt_str_in as *const () as usize,
            check: rt_check as *const () as usize,
            interp_node: rt_interp_node as *const () as usize,
        }
    }
}

/// The environment behind a context.
///
/// # Safety
/// `ctx` must point to a live [`Ctx`] whose `env` points to a live [`Env`] that nothing else
/// borrows for the duration of the returned reference (true while the evaluator runs native
/// code: it holds no reference of its own to either).
unsafe fn env<'a>(ctx: *mut Ctx) -> &'a mut Env<'a, 'a, 'a> {
    // SAFETY: guaranteed by the caller (see above).
    unsafe { &mut *((*ctx).env as *mut Env<'a, 'a, 'a>) }
}

/// The slot of `field`, filled for the current event.
///
/// # Safety
/// As for [`env`]; `field` must be below the program's field count (the length of the slot
/// array).
unsafe fn filled_slot<'a>(ctx: *mut Ctx, field: u32) -> &'a Slot {
    // SAFETY: `slots` has one entry per program field and `field` is in range (caller).
    let slot = unsafe { &mut *(*ctx).slots.add(field as usize) };
    // SAFETY: `ctx` is live (caller).
    let epoch = unsafe { (*ctx).epoch };
    if slot.epoch != epoch {
        // SAFETY: as above; the env is not otherwise borrowed here.
        let e = unsafe { env(ctx) };
        match e.prog.fields.get(field as usize) {
            Some(f) => {
                let need_clen = e.need_clen.get(field as usize).copied().unwrap_or(true);
                slot.fill(epoch, e.ev, f, need_clen)
            }
            None => {
                *slot = Slot::empty();
                slot.epoch = epoch;
            }
        }
    }
    slot
}

/// Fills the slot of `field` for the current event.
///
/// # Safety
/// Called by native code with the context it was given and a field index of its program.
pub unsafe extern "C" fn rt_fill(ctx: *mut Ctx, field: u32) {
    // SAFETY: forwarded caller contract.
    unsafe {
        filled_slot(ctx, field);
    }
}

/// `a[..len] == b[..len]`.
///
/// # Safety
/// `a` and `b` must be valid for reads of `len` bytes (a string slot and a constant owned by
/// the compiled program, both compared only after their lengths matched).
pub unsafe extern "C" fn rt_bytes_eq(a: *const u8, b: *const u8, len: u64) -> u8 {
    // SAFETY: caller contract.
    let (a, b) = unsafe { two_slices(a, len, b, len) };
    u8::from(a == b)
}

/// The byte slices `a[..a_len]` and `b[..b_len]`.
///
/// # Safety
/// Both pointers must be valid for reads of their lengths for `'a`.
unsafe fn two_slices<'a>(
    a: *const u8,
    a_len: u64,
    b: *const u8,
    b_len: u64,
) -> (&'a [u8], &'a [u8]) {
    // SAFETY: caller contract.
    unsafe {
        (
            std::slice::from_raw_parts(a, a_len as usize),
            std::slice::from_raw_parts(b, b_len as usize),
        )
    }
}

/// Whether `hay[..hay_len]` contains the needle of `finder` (which holds no NUL) before its
/// first NUL.
///
/// # Safety
/// `hay` must be valid for reads of `hay_len` bytes (a string slot) and `finder` must point
/// to a live [`Finder`] (owned by the compiled program).
pub unsafe extern "C" fn rt_find(
    hay: *const u8,
    hay_len: u64,
    finder: *const Finder<'static>,
) -> u8 {
    // SAFETY: caller contract.
    let (h, f) = unsafe { (std::slice::from_raw_parts(hay, hay_len as usize), &*finder) };
    u8::from(
        f.find(h)
            .is_some_and(|p| memchr::memchr(0, &h[..p]).is_none()),
    )
}

/// `hay[..hay_len]` contains `needle[..needle_len]`, ignoring ASCII case.
///
/// # Safety
/// Both buffers must be valid for reads of their lengths (a string slot, a program constant).
pub unsafe extern "C" fn rt_icontains(
    hay: *const u8,
    hay_len: u64,
    needle: *const u8,
    needle_len: u64,
) -> u8 {
    // SAFETY: caller contract.
    let (h, n) = unsafe { two_slices(hay, hay_len, needle, needle_len) };
    u8::from(ops::icontains(h, n))
}

pub use crate::interp::form::ByteSet;

/// Whether `ptr[..len]` is in `set`.
///
/// # Safety
/// `ptr` must be valid for reads of `len` bytes and `set` must point to a live [`ByteSet`]
/// (owned by the compiled program).
pub unsafe extern "C" fn rt_str_in(ptr: *const u8, len: u64, set: *const ByteSet) -> u8 {
    // SAFETY: caller contract.
    let (s, set) = unsafe { (std::slice::from_raw_parts(ptr, len as usize), &*set) };
    u8::from(set.contains(s))
}

/// Evaluates the check `node` (a field LHS) with the shared operator semantics.
///
/// # Safety
/// Called by native code with its context and a node index of its program.
pub unsafe extern "C" fn rt_check(ctx: *mut Ctx, node: u32) -> u8 {
    // SAFETY: caller contract; the borrow ends before `filled_slot` borrows the slots.
    let prog = unsafe { env(ctx) }.prog;
    let Some(Node::Check(c)) = prog.nodes.get(node as usize) else {
        return 0;
    };
    let Some(OperandIr::Field(f)) = prog.operands.get(c.lhs.0 as usize) else {
        // SAFETY: caller contract.
        return unsafe { rt_interp_node(ctx, node) };
    };
    // SAFETY: field ids of the program index the slot array.
    let lhs = unsafe { filled_slot(ctx, f.0) };
    // SAFETY: `filled_slot` filled it for the current event.
    let Some(l) = (unsafe { lhs.values() }) else {
        return 0;
    };
    let Some(op) = c.op else {
        return 1;
    };
    let list = c.lhs_ty.is_list;
    let r = match &c.rhs {
        RhsIr::None => false,
        RhsIr::Values(v) => ops::eval_check(op, c.modifier, list, l, RhsRef::Vals(v)),
        RhsIr::Set(s) => ops::eval_check(op, c.modifier, list, l, RhsRef::Set(s)),
        RhsIr::Regex(r) => ops::eval_check(op, c.modifier, list, l, RhsRef::Regex(r)),
        RhsIr::PMatch(p) => ops::eval_check(op, c.modifier, list, l, RhsRef::PMatch(p)),
        RhsIr::Operand(_) => {
            // SAFETY: caller contract.
            return unsafe { rt_interp_node(ctx, node) };
        }
    };
    u8::from(r)
}

/// Evaluates `node` with the reference interpreter (transformers, `val()`).
///
/// # Safety
/// Called by native code with its context and a node index of its program.
pub unsafe extern "C" fn rt_interp_node(ctx: *mut Ctx, node: u32) -> u8 {
    // SAFETY: caller contract.
    let e = unsafe { env(ctx) };
    if node as usize >= e.prog.nodes.len() {
        return 0;
    }
    start_interp(e);
    e.interp_calls += 1;
    u8::from(e.interp.eval(e.ev, rulec_ir::program::ExprId(node)))
}

fn start_interp(e: &mut Env<'_, '_, '_>) {
    if !e.interp_started {
        e.interp.begin_event();
        e.interp_started = true;
    }
}
