//! Profiling loop (deterministic instruction counts under `valgrind --tool=callgrind`):
//! `jit_loop {jit|interp} {syscall|k8s} N` evaluates the event file N times with the corpus
//! ruleset of that source.

use std::path::Path;

use rulec::lower::lower_outcome;
use rulec::{Analysis, LoadOptions};
use rulec_runtime::event::{Event, FieldMapEvent, TypedEvent};
use rulec_runtime::extract::JsonEvent;
use rulec_runtime::interp::Interpreter;
use rulec_runtime::jit::{JitEvaluator, JitProgram};

/// The global allocator of the CLI and the language server (cli/src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (backend, which) = (
        args.get(1).map_or("jit", String::as_str),
        args.get(2).map_or("syscall", String::as_str),
    );
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let corpus =
        std::env::var("RULEC_CORPUS_DIR").unwrap_or_else(|_| "../shared/corpus/rules".into());
    let (file, source, events) = if which == "k8s" {
        ("k8s_audit_rules.yaml", "k8s_audit", "k8s_audit.json")
    } else {
        ("falco_rules.yaml", "syscall", "syscall_mix.json")
    };
    let text = std::fs::read_to_string(Path::new(&corpus).join(file)).expect("corpus file");
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file(file, text);
    let progs = lower_outcome(&a.load());
    let prog = progs.iter().find(|p| p.source == source).expect("program");
    let ev_text =
        std::fs::read_to_string(Path::new("testdata/events").join(events)).expect("events");
    let typed: Vec<TypedEvent>;
    let json: Vec<JsonEvent>;
    let evs: Vec<&dyn Event> = if which == "k8s" {
        json = JsonEvent::parse_many(source, &ev_text).expect("json");
        json.iter().map(|e| e as &dyn Event).collect()
    } else {
        typed = FieldMapEvent::parse_many(source, &ev_text)
            .expect("json")
            .into_iter()
            .map(TypedEvent::new)
            .collect();
        typed.iter().map(|e| e as &dyn Event).collect()
    };
    let jit = JitProgram::compile(prog).expect("jit");
    let mut total = 0usize;
    if backend == "jit" {
        let mut je = JitEvaluator::new(&jit, prog);
        for _ in 0..n {
            for e in &evs {
                total += je.matching_rules(*e).len();
            }
        }
    } else {
        let mut it = Interpreter::new(prog);
        for _ in 0..n {
            for e in &evs {
                total += it.matching_rules(*e).len();
            }
        }
    }
    println!(
        "{backend} {which}: {total} matches over {n} passes of {} events",
        evs.len()
    );
}
