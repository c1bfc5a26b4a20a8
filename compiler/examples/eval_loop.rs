//! Evaluates an event file against a rules file N times (for profiling):
//! `cargo run --release --example eval_loop -- N RULES EVENTS [SOURCE]`.
//!
//! SOURCE is `syscall` (default; EVENTS is a JSON array of fixture objects, typed once as
//! `TypedEvent`s), `syscall-text` (the same fixtures untyped, parsed on every extraction) or a
//! plugin source such as `k8s_audit` (EVENTS holds the plugin's JSON payloads). The lowering
//! happens once, outside the timed loop.

use rulec::lower::{lower_outcome, Program};
use rulec_runtime::event::{Event, FieldMapEvent, TypedEvent};
use rulec_runtime::extract::JsonEvent;
use rulec_runtime::interp::Interpreter;

/// The global allocator of the CLI and the language server (cli/src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn run<E: Event>(prog: &Program, events: &[E], n: usize) {
    let mut it = Interpreter::new(prog);
    let start = std::time::Instant::now();
    let mut matches = 0;
    for _ in 0..n {
        for e in events {
            matches += it.matching_rules(e).len();
        }
    }
    let evals = (n * events.len()).max(1) as u32;
    let s = it.stats;
    println!(
        "{n} passes over {} events in {:?} ({:?}/event), {:.1} rules and {:.1} checks evaluated/event ({:.1} memo hits), {matches} matches",
        events.len(),
        start.elapsed(),
        start.elapsed() / evals,
        s.rules_evaluated as f64 / s.events.max(1) as f64,
        s.nodes_evaluated as f64 / s.events.max(1) as f64,
        s.memo_hits as f64 / s.events.max(1) as f64,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let (Some(rules), Some(events)) = (args.get(2), args.get(3)) else {
        eprintln!("usage: eval_loop N RULES EVENTS [SOURCE]");
        std::process::exit(2);
    };
    let arg = args.get(4).map_or("syscall", String::as_str);
    let source = arg.strip_suffix("-text").unwrap_or(arg);
    let mut a = rulec::Analysis::new(rulec::LoadOptions::default());
    a.add_file(
        rules.clone(),
        std::fs::read_to_string(rules).unwrap_or_default(),
    );
    let progs = lower_outcome(&a.load());
    let Some(prog) = progs.iter().find(|p| p.source == source) else {
        eprintln!("no {source} rules in {rules}");
        std::process::exit(1);
    };
    let text = std::fs::read_to_string(events).unwrap_or_default();
    if source == "syscall" {
        let events = FieldMapEvent::parse_many(source, &text).unwrap_or_default();
        if arg == source {
            let typed: Vec<TypedEvent> = events.into_iter().map(TypedEvent::new).collect();
            run(prog, &typed, n);
        } else {
            run(prog, &events, n);
        }
    } else {
        run(
            prog,
            &JsonEvent::parse_many(source, &text).unwrap_or_default(),
            n,
        );
    }
}
