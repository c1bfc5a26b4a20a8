#![no_main]
//! JIT against the interpreter on arbitrary conditions: every input that parses, typechecks
//! and lowers as a syscall condition is compiled and evaluated on a fixed set of events; both
//! backends must match the same rules.
use libfuzzer_sys::fuzz_target;
use rulec::event::{FieldMapEvent, FixtureValue};
use rulec::lower::lower_conditions;
use rulec::schema::Registry;
use rulec_runtime::engine::{Backend, Engine};
use rulec_runtime::jit::{JitEvaluator, JitProgram};

fn events() -> Vec<FieldMapEvent> {
    let base = [
        ("evt.type", "openat"),
        ("proc.name", "bash"),
        ("proc.pname", "sshd"),
        ("fd.name", "/etc/shadow"),
        ("proc.pid", "42"),
        ("user.uid", "0"),
        ("evt.rawres", "-2"),
        ("evt.failed", "true"),
        ("fd.cip", "10.0.0.1"),
        ("evt.buffer", "ab"),
    ];
    let mut a = FieldMapEvent::syscall(base);
    a.fields.insert(
        "proc.aname".into(),
        FixtureValue::Many(vec!["sshd".into(), "systemd".into()]),
    );
    let b = FieldMapEvent::syscall([("evt.type", "execve"), ("proc.name", "/a\0b"), ("fd.name", "")]);
    vec![a, b, FieldMapEvent::syscall([])]
}

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
