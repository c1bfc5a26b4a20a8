#![no_main]
//! JIT against the interpreter on arbitrary conditions: every input that parses, typechecks
//! and lowers as a syscall condition is compiled and evaluated on a fixed set of events; both
//! backends must match the same rules.
use libfuzzer_sys::fuzz_target;

#[path = "common/mod.rs"]
mod common;
use common::events;

use rulec::lower::lower_conditions;
use rulec::schema::Registry;
use rulec_runtime::engine::{Backend, Engine};
use rulec_runtime::jit::{JitEvaluator, JitProgram};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let s = Registry::get().source("syscall").expect("syscall");
    let Ok(prog) = lower_conditions(s, &[(text, None)]) else { return };
    let jit = JitProgram::compile(&prog).expect("JIT compiles every lowered program");
    let mut je = JitEvaluator::new(&jit, &prog);
    let mut it = Engine::new(Backend::Interpreter, &prog, None);
    for e in events() {
        let want = it.matching_rules(&e);
        assert_eq!(je.matching_rules(&e), want, "{text:?} on {e:?}");
    }
});
