//! One evaluation interface over the JIT and the reference interpreter.
//!
//! The agent evaluates with whichever backend is faster for its ruleset and events:
//! [`Engine::auto`] compiles the program, times both backends on a sample of events and keeps
//! the faster one (the JIT unless it is slower or unavailable on the host).

use std::time::{Duration, Instant};

use crate::event::Event;
use crate::interp::Interpreter;
use rulec_ir::program::Program;

use crate::jit::{JitError, JitEvaluator, JitProgram};

/// Which backend evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The reference interpreter.
    Interpreter,
    /// Native code.
    Jit,
}

/// An evaluator over one program.
pub enum Engine<'p> {
    /// Interpreted.
    Interpreter(Interpreter<'p>, Vec<u32>),
    /// JIT-compiled.
    Jit(JitEvaluator<'p>),
}

impl<'p> Engine<'p> {
    /// An engine on `backend`; `jit` must be compiled from `prog` when the backend is the JIT
    /// (falls back to the interpreter when it is `None`).
    pub fn new(backend: Backend, prog: &'p Program, jit: Option<&'p JitProgram>) -> Self {
        match (backend, jit) {
            (Backend::Jit, Some(j)) => Engine::Jit(JitEvaluator::new(j, prog)),
            _ => Engine::Interpreter(Interpreter::new(prog), Vec::new()),
        }
    }

    /// The faster backend for `prog` on `sample` (each timed over `rounds` passes, best of
    /// three), and the timings per event.
    pub fn measure(
        prog: &Program,
        jit: &JitProgram,
        sample: &[&dyn Event],
        rounds: usize,
    ) -> (Backend, Duration, Duration) {
        let time = |e: &mut Engine<'_>| {
            let mut best = Duration::MAX;
            for _ in 0..3 {
                let t = Instant::now();
                for _ in 0..rounds.max(1) {
                    for ev in sample {
                        std::hint::black_box(e.matching_rules(*ev).len());
                    }
                }
                best = best.min(t.elapsed());
            }
            best / (rounds.max(1) * sample.len().max(1)) as u32
        };
        let ti = time(&mut Engine::new(Backend::Interpreter, prog, None));
        let tj = time(&mut Engine::new(Backend::Jit, prog, Some(jit)));
        let b = if tj <= ti {
            Backend::Jit
        } else {
            Backend::Interpreter
        };
        (b, ti, tj)
    }

    /// Compiles `prog` (when `jit` is still `None`) and picks the faster backend on `sample`.
    /// A JIT compile error leaves the interpreter in charge and is returned alongside.
    pub fn auto(
        prog: &'p Program,
        jit: &'p mut Option<JitProgram>,
        sample: &[&dyn Event],
    ) -> (Engine<'p>, Option<JitError>) {
        let mut err = None;
        if jit.is_none() {
            match JitProgram::compile(prog) {
                Ok(j) => *jit = Some(j),
                Err(e) => err = Some(e),
            }
        }
        let jit: &'p Option<JitProgram> = jit;
        let backend = match jit {
            Some(j) if !sample.is_empty() => Self::measure(prog, j, sample, 4).0,
            Some(_) => Backend::Jit,
            None => Backend::Interpreter,
        };
        (Engine::new(backend, prog, jit.as_ref()), err)
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        match self {
            Engine::Interpreter(..) => Backend::Interpreter,
            Engine::Jit(_) => Backend::Jit,
        }
    }

    /// Indices of the rules matching `ev`, in rule order.
    pub fn matching_rules(&mut self, ev: &dyn Event) -> &[u32] {
        match self {
            Engine::Interpreter(i, out) => {
                out.clear();
                out.extend(i.matching_rules(ev).into_iter().map(|r| r as u32));
                out
            }
            Engine::Jit(j) => j.matching_rules(ev),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{Event, FieldMapEvent};
    use rulec::lower::lower_conditions;
    use rulec_ir::schema::Registry;

    use super::{Backend, Engine};

    fn program() -> rulec_ir::program::Program {
        let s = Registry::get().source("syscall").expect("schema");
        let rules = [
            ("proc.name = bash", None),
            ("fd.name startswith /etc and proc.pid > 1", None),
        ];
        lower_conditions(s, &rules).expect("lowers")
    }

    #[test]
    fn both_backends_and_auto_agree() {
        let prog = program();
        let events = [
            FieldMapEvent::syscall([
                ("proc.name", "bash"),
                ("fd.name", "/etc/x"),
                ("proc.pid", "2"),
            ]),
            FieldMapEvent::syscall([
                ("proc.name", "sh"),
                ("fd.name", "/etc/x"),
                ("proc.pid", "1"),
            ]),
        ];
        let sample: Vec<&dyn Event> = events.iter().map(|e| e as &dyn Event).collect();
        let mut jit = None;
        let (mut auto, err) = Engine::auto(&prog, &mut jit, &sample);
        assert!(err.is_none());
        let mut interp = Engine::new(Backend::Interpreter, &prog, None);
        for e in &sample {
            let want = interp.matching_rules(*e).to_vec();
            assert_eq!(auto.matching_rules(*e), want.as_slice());
        }
        assert_eq!(interp.backend(), Backend::Interpreter);
        assert_eq!(interp.matching_rules(sample[0]), &[0, 1]);
    }

    #[test]
    fn jit_backend_without_a_compiled_program_interprets() {
        let prog = program();
        let e = Engine::new(Backend::Jit, &prog, None);
        assert_eq!(e.backend(), Backend::Interpreter);
    }
}
