//! Cranelift JIT for rule conditions.
//!
//! [`JitProgram::compile`] turns a lowered [`Program`] into native code by translating the
//! interpreter's compiled form of it ([`Code`]: per event type, the rules as a branch program
//! over one instruction array, with `evt.type` checks folded and rules sharing leading
//! conjuncts merged into a trie), so both backends share one optimiser:
//!
//! * one function per rule list (every event type that has rules, plus the list for any other
//!   event), `fn(ctx) -> i32`, which runs the list's instructions and writes the indices of
//!   the matching rules to the context ([`translate::FnTranslator`]);
//! * one function per shared-node body (a macro used by several rules), `fn(ctx) -> i8`,
//!   called on a miss of the node's memo byte; it stores the byte and returns the value.
//!
//! The trie matches rules out of rule order: the evaluator sorts the matches. The helper ABI
//! (field extraction, operators the code does not inline, interpreter fallback) is in [`abi`].
//! [`JitModule`] owns the Cranelift module and the executable memory; the translator only
//! builds one function at a time, as in cranelift-jit-demo.
//!
//! Fallbacks: a rule list whose function (or a body it calls) fails to compile is evaluated
//! by the interpreter as a whole; checks on transformers and `val()` go to the interpreter
//! check by check. Both are counted in [`JitStats`].
//!
//! This module is the crate's unsafe boundary: native code is entered here, and the helpers
//! in [`abi`] are entered from native code.
#![allow(unsafe_code)]

pub mod abi;
pub mod translate;

use std::ffi::c_void;
use std::time::{Duration, Instant};

use cranelift_codegen::ir::UserFuncName;
use cranelift_codegen::isa::CallConv;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};

use crate::event::Event;
use crate::interp::code::{Code, RuleList};
use crate::interp::Interpreter;
use rulec_ir::program::Program;

use abi::{Ctx, Env, Helpers, Slot};
use translate::{Consts, FnKind, FnTranslator, FxHashMap, Region, Tier, TierCounts};

/// Why compiling failed as a whole (failures of single functions fall back to the
/// interpreter instead).
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    /// The host is not supported by Cranelift or the flags were rejected.
    #[error("JIT unavailable on this host: {0}")]
    Host(String),
    /// A function could not be declared, or the module not linked.
    #[error("JIT compilation failed: {0}")]
    Module(String),
}

/// Compile-time statistics of a [`JitProgram`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct JitStats {
    /// Rules in the program.
    pub rules: usize,
    /// Rule lists (event types with rules, plus the list for any other event).
    pub lists: usize,
    /// Rule lists compiled to native code.
    pub lists_native: usize,
    /// Rule lists left to the interpreter (their function, or a body it calls, failed to
    /// compile).
    pub lists_interpreted: usize,
    /// Shared-node body functions compiled.
    pub bodies: usize,
    /// Instructions of the interpreter's code translated (summed over functions).
    pub ops: usize,
    /// How the checks were compiled (each check of the code counted once).
    pub tiers: TierCounts,
    /// Wall time of the interpreter's code generation, translation, compilation and linking.
    pub compile_time: Duration,
}

/// The Cranelift module and its executable memory (freed on drop).
pub struct JitModule {
    module: JITModule,
    fctx: FunctionBuilderContext,
    call_conv: CallConv,
}

/// What translating one function produced.
struct Translated {
    /// Constants its code points to.
    consts: Consts,
    /// The checks it compiled and their tiers.
    tiers: Vec<(u32, Tier)>,
}

impl JitModule {
    /// A module for the host.
    pub fn new() -> Result<JitModule, JitError> {
        let mut flags = settings::builder();
        let host = |e: &dyn std::fmt::Display| JitError::Host(e.to_string());
        flags
            .set("use_colocated_libcalls", "false")
            .map_err(|e| host(&e))?;
        flags.set("is_pic", "false").map_err(|e| host(&e))?;
        // Conditions are short branchy code around helper calls: the optimizer and the
        // backtracking register allocator cost compile time without a measurable gain
        // (BENCHMARKS.md). The verifier runs in debug builds (tests) only.
        flags.set("opt_level", "none").map_err(|e| host(&e))?;
        flags
            .set("regalloc_algorithm", "single_pass")
            .map_err(|e| host(&e))?;
        flags
            .set(
                "enable_verifier",
                if cfg!(debug_assertions) {
                    "true"
                } else {
                    "false"
                },
            )
            .map_err(|e| host(&e))?;
        let isa = cranelift_native::builder()
            .map_err(|e| host(&e))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| host(&e))?;
        let call_conv = isa.default_call_conv();
        let module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));
        Ok(JitModule {
            module,
            fctx: FunctionBuilderContext::new(),
            call_conv,
        })
    }

    fn declare(&mut self, name: &str, kind: FnKind) -> Result<FuncId, JitError> {
        let sig = kind.sig(self.call_conv);
        self.module
            .declare_function(name, Linkage::Local, &sig)
            .map_err(|e| JitError::Module(e.to_string()))
    }

    /// Defines function `id` of kind `kind` from `region` of `code`; `bodies` maps the first
    /// instruction of every body the region calls to its function. `None` when Cranelift
    /// rejected the function.
    #[allow(clippy::too_many_arguments)]
    fn define_fn(
        &mut self,
        id: FuncId,
        kind: FnKind,
        prog: &Program,
        code: &Code,
        region: &Region,
        bodies: &FxHashMap<u32, FuncId>,
        helpers: Helpers,
        need_clen: &mut [bool],
    ) -> Option<Translated> {
        if region.calls.iter().any(|pc| !bodies.contains_key(pc)) {
            return None;
        }
        let mut ctx = self.module.make_context();
        ctx.func.signature = kind.sig(self.call_conv);
        ctx.func.name = UserFuncName::user(u32::from(kind == FnKind::List), id.as_u32());
        let mut consts = Consts::default();
        let tiers = {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut self.fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            b.seal_block(entry);
            let cx = b.block_params(entry)[0];
            let refs: FxHashMap<u32, _> = region
                .calls
                .iter()
                .filter_map(|pc| {
                    let f = *bodies.get(pc)?;
                    Some((*pc, self.module.declare_func_in_func(f, b.func)))
                })
                .collect();
            let mut t = FnTranslator {
                b: &mut b,
                prog,
                code,
                helpers,
                call_conv: self.call_conv,
                ctx: cx,
                consts: &mut consts,
                need_clen,
                tiers: Vec::new(),
            };
            t.function(kind, region, &refs);
            let tiers = t.tiers;
            b.finalize(self.module.target_config());
            tiers
        };
        let ok = self.module.define_function(id, &mut ctx).is_ok();
        self.module.clear_context(&mut ctx);
        ok.then_some(Translated { consts, tiers })
    }
}

/// A rule-list function: `fn(ctx) -> number of matching rules written to ctx.out`.
type ListFn = unsafe extern "C" fn(*mut Ctx) -> u32;

/// How the rules of an event's list are evaluated.
#[derive(Clone, Copy)]
enum ListCode {
    /// By the list's function.
    Native(ListFn),
    /// By the interpreter (the function, or a body it calls, failed to compile).
    Interpreted,
}

/// A program compiled to native code.
pub struct JitProgram {
    // The code is freed in `Drop`, once no evaluator can call it any more.
    by_type: FxHashMap<String, ListCode>,
    any: ListCode,
    fields: usize,
    need_clen: Vec<bool>,
    memo_slots: usize,
    rules: usize,
    source: String,
    /// Length of the output buffer: at least one entry per rule, and per `Matched`
    /// instruction of every native list.
    out_len: usize,
    /// Compile statistics.
    pub stats: JitStats,
    _consts: Consts,
    module: Option<JitModule>,
}

// SAFETY: a `JitProgram` is immutable once `compile` returns: its function pointers point
// into finalized, read-only executable memory, its constants (`_consts`) are only read by that
// code, and the module (`module`) is touched again only by `Drop`, which frees the memory
// after the last evaluator borrowing the program is gone (evaluators borrow it, so the
// borrow checker orders them before the drop). Running the code from several threads at once
// is sound because each `JitEvaluator` brings its own slots, memo and output arrays; the
// memory provider frees with munmap, which any thread may call.
unsafe impl Send for JitProgram {}
// SAFETY: see `Send`: shared references only read immutable code and constants.
unsafe impl Sync for JitProgram {}

/// The state of one compilation.
struct Compiler<'a> {
    m: JitModule,
    prog: &'a Program,
    code: &'a Code,
    helpers: Helpers,
    consts: Consts,
    need_clen: Vec<bool>,
    /// Per check of the code, its tier once a compiled function tests it.
    tier_of: Vec<Option<Tier>>,
    /// Per body (its first instruction), its function; `None` when it failed to compile.
    bodies: FxHashMap<u32, Option<FuncId>>,
    /// Per list entry, its function and its number of `Matched` instructions; `None` when it
    /// failed to compile.
    lists: FxHashMap<u32, Option<(FuncId, usize)>>,
    stats: JitStats,
    /// Makes the function of this kind and entry fail (tests of the fallbacks).
    fail: &'a dyn Fn(FnKind, u32) -> bool,
}

impl Compiler<'_> {
    /// Declares and defines the function of kind `kind` at `entry` for `region`, whose bodies
    /// were compiled before; `None` when it (or a body it calls) failed to compile.
    fn function(
        &mut self,
        kind: FnKind,
        entry: u32,
        region: &Region,
    ) -> Result<Option<FuncId>, JitError> {
        let bodies: FxHashMap<u32, FuncId> = region
            .calls
            .iter()
            .filter_map(|pc| Some((*pc, (*self.bodies.get(pc)?)?)))
            .collect();
        if bodies.len() < region.calls.len() || (self.fail)(kind, entry) {
            return Ok(None);
        }
        let name = match kind {
            FnKind::List => format!("list{entry}"),
            FnKind::Body => format!("body{entry}"),
        };
        let id = self.m.declare(&name, kind)?;
        let Some(mut t) = self.m.define_fn(
            id,
            kind,
            self.prog,
            self.code,
            region,
            &bodies,
            self.helpers,
            &mut self.need_clen,
        ) else {
            return Ok(None);
        };
        self.consts.append(&mut t.consts);
        for (check, tier) in t.tiers {
            if let Some(slot) = self.tier_of.get_mut(check as usize) {
                *slot = Some(tier);
            }
        }
        self.stats.ops += region.ops.len();
        Ok(Some(id))
    }

    /// Compiles the body starting at `entry` unless done already, the bodies it calls first
    /// (iteratively: bodies call bodies of nodes nested in theirs, at lower instructions).
    fn body(&mut self, entry: u32) -> Result<(), JitError> {
        let mut stack: Vec<(u32, Option<Region>)> = vec![(entry, None)];
        while let Some((pc, region)) = stack.pop() {
            if self.bodies.contains_key(&pc) {
                continue;
            }
            match region {
                None => match Region::new(self.code, self.prog, pc, FnKind::Body) {
                    Ok(r) => {
                        let calls: Vec<u32> = r
                            .calls
                            .iter()
                            .copied()
                            .filter(|c| !self.bodies.contains_key(c))
                            .collect();
                        stack.push((pc, Some(r)));
                        stack.extend(calls.into_iter().map(|c| (c, None)));
                    }
                    Err(_) => {
                        self.bodies.insert(pc, None);
                    }
                },
                Some(r) => {
                    let f = self.function(FnKind::Body, pc, &r)?;
                    self.stats.bodies += usize::from(f.is_some());
                    self.bodies.insert(pc, f);
                }
            }
        }
        Ok(())
    }

    /// Compiles `list` (its bodies first) unless a list with the same entry was.
    fn list(&mut self, list: RuleList) -> Result<Option<(FuncId, usize)>, JitError> {
        if let Some(&done) = self.lists.get(&list.entry) {
            return Ok(done);
        }
        let f = match Region::new(self.code, self.prog, list.entry, FnKind::List) {
            Ok(r) => {
                for &c in &r.calls {
                    self.body(c)?;
                }
                self.function(FnKind::List, list.entry, &r)?
                    .map(|id| (id, r.matched))
            }
            Err(_) => None,
        };
        self.lists.insert(list.entry, f);
        Ok(f)
    }
}

impl JitProgram {
    /// Compiles the interpreter's code of `prog`: one function per rule list and per shared
    /// body.
    pub fn compile(prog: &Program) -> Result<JitProgram, JitError> {
        JitProgram::compile_with(prog, &|_, _| false)
    }

    /// [`JitProgram::compile`], where the functions `fail` picks (by kind and entry) fail
    /// to compile.
    fn compile_with(
        prog: &Program,
        fail: &dyn Fn(FnKind, u32) -> bool,
    ) -> Result<JitProgram, JitError> {
        let start = Instant::now();
        let code = Code::new(prog);
        let mut c = Compiler {
            m: JitModule::new()?,
            prog,
            code: &code,
            helpers: Helpers::get(),
            consts: Consts::default(),
            need_clen: vec![false; prog.fields.len()],
            tier_of: vec![None; code.checks.len()],
            bodies: FxHashMap::default(),
            lists: FxHashMap::default(),
            stats: JitStats {
                rules: prog.rules.len(),
                ..JitStats::default()
            },
            fail,
        };
        let mut types: Vec<&String> = code.by_type.keys().collect();
        types.sort();
        let mut lists = Vec::with_capacity(types.len() + 1);
        for t in &types {
            lists.push(c.list(code.by_type[*t])?);
        }
        let any = c.list(code.any_type)?;
        let mut m = c.m;
        m.module
            .finalize_definitions()
            .map_err(|e| JitError::Module(e.to_string()))?;
        let mut stats = c.stats;
        let mut out_len = prog.rules.len();
        let mut code_of = |f: Option<(FuncId, usize)>| match f {
            Some((id, matched)) => {
                stats.lists_native += 1;
                out_len = out_len.max(matched);
                let p = m.module.get_finalized_function(id);
                // SAFETY: `p` is the finalized code of a list function, generated with the
                // signature `fn(ctx: i64) -> i32` in the host calling convention, which is
                // the ABI of `ListFn` on 64-bit hosts.
                ListCode::Native(unsafe { std::mem::transmute::<*const u8, ListFn>(p) })
            }
            None => {
                stats.lists_interpreted += 1;
                ListCode::Interpreted
            }
        };
        let by_type = types
            .iter()
            .zip(lists)
            .map(|(t, f)| ((*t).clone(), code_of(f)))
            .collect();
        let any = code_of(any);
        stats.lists = types.len() + 1;
        c.tier_of
            .iter()
            .flatten()
            .for_each(|&t| stats.tiers.count(t));
        stats.compile_time = start.elapsed();
        Ok(JitProgram {
            by_type,
            any,
            fields: prog.fields.len(),
            need_clen: c.need_clen,
            memo_slots: prog.memo_slots,
            rules: prog.rules.len(),
            source: prog.source.clone(),
            out_len,
            stats,
            _consts: c.consts,
            module: Some(m),
        })
    }
}

impl Drop for JitProgram {
    /// Frees the code memory (cranelift-jit leaks it unless told otherwise, so that stray
    /// function pointers stay valid).
    fn drop(&mut self) {
        if let Some(m) = self.module.take() {
            // SAFETY: the function pointers of this program are only reachable through `self`
            // (private fields) and through evaluators, which borrow `self` and so are gone;
            // no code of this module is running or can be called after this point.
            unsafe { m.module.free_memory() };
        }
    }
}

/// Runtime counters of a [`JitEvaluator`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitCounters {
    /// Events evaluated.
    pub events: u64,
    /// Rules that matched.
    pub matches: u64,
    /// Helper calls answered by the interpreter (fallback checks and rules).
    pub interp_calls: u64,
}

/// Evaluates events with a [`JitProgram`] (one per thread: it owns the per-event state).
pub struct JitEvaluator<'p> {
    jit: &'p JitProgram,
    prog: &'p Program,
    interp: Interpreter<'p>,
    slots: Vec<Slot>,
    memo: Vec<u8>,
    out: Vec<u32>,
    epoch: u32,
    /// Counters.
    pub counters: JitCounters,
}

impl<'p> JitEvaluator<'p> {
    /// An evaluator for `jit`, which must have been compiled from `prog`.
    ///
    /// # Panics
    /// When `jit` was not compiled from a program of `prog`'s shape (field, memo slot and rule
    /// counts): the native code indexes these arrays without bounds checks.
    pub fn new(jit: &'p JitProgram, prog: &'p Program) -> Self {
        assert!(
            jit.fields == prog.fields.len()
                && jit.memo_slots == prog.memo_slots
                && jit.rules == prog.rules.len()
                && jit.source == prog.source,
            "JIT program does not belong to this program"
        );
        JitEvaluator {
            jit,
            prog,
            interp: Interpreter::new(prog),
            slots: (0..prog.fields.len()).map(|_| Slot::empty()).collect(),
            memo: vec![0; prog.memo_slots],
            out: vec![0; jit.out_len],
            epoch: 0,
            counters: JitCounters::default(),
        }
    }

    /// Indices of the rules matching `ev`, in rule order (same contract as
    /// [`Interpreter::matching_rules`]).
    pub fn matching_rules(&mut self, ev: &dyn Event) -> &[u32] {
        self.counters.events += 1;
        if ev.source() != self.prog.source {
            return &[];
        }
        let list = ev
            .evt_type()
            .and_then(|t| self.jit.by_type.get(t))
            .copied()
            .unwrap_or(self.jit.any);
        let ListCode::Native(f) = list else {
            return self.interpreted(ev);
        };
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.slots.iter_mut().for_each(|s| s.epoch = 0);
            self.epoch = 1;
        }
        self.memo.fill(0);
        let mut env = Env {
            prog: self.prog,
            ev,
            interp: &mut self.interp,
            interp_started: false,
            interp_calls: 0,
            need_clen: &self.jit.need_clen,
        };
        let mut ctx = Ctx {
            slots: self.slots.as_mut_ptr(),
            memo: self.memo.as_mut_ptr(),
            out: self.out.as_mut_ptr(),
            epoch: self.epoch,
            pad: 0,
            env: (&mut env as *mut Env<'_, '_, '_>).cast::<c_void>(),
        };
        // SAFETY: `f` was compiled from `self.prog` (checked in `new`), so every slot and memo
        // index it uses is in range of the arrays the context points to (`Region::new` checked
        // the memo slots); its code is acyclic, so one run writes at most one output entry per
        // `Matched` instruction, and `out` has `jit.out_len` entries, at least that many. The
        // context and the environment live on this frame until the call returns, and nothing
        // else borrows the slots, memo, output or environment meanwhile.
        let n = unsafe { f(&mut ctx) } as usize;
        self.counters.interp_calls += env.interp_calls;
        self.counters.matches += n as u64;
        let len = n.min(self.out.len());
        let out = &mut self.out[..len];
        // The rule trie matches rules out of rule order.
        out.sort_unstable();
        out
    }

    /// The matches of the interpreter (for a rule list that did not compile).
    fn interpreted(&mut self, ev: &dyn Event) -> &[u32] {
        self.counters.interp_calls += 1;
        let rules = self.interp.matching_rules(ev);
        self.counters.matches += rules.len() as u64;
        for (o, &r) in self.out.iter_mut().zip(&rules) {
            *o = r as u32;
        }
        &self.out[..rules.len().min(self.out.len())]
    }
}

#[cfg(test)]
mod tests;
