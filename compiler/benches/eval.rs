//! Events per second through the IR interpreter, one benchmark per upstream ruleset and event
//! mix:
//! * `eval/k8s_audit_rules/interp`: k8s_audit_rules.yaml on audit events
//!   (testdata/events/k8s_audit.json);
//! * `eval/falco_rules/interp`: falco_rules.yaml on a busy host's syscall mix
//!   (testdata/events/syscall_mix.json, described in syscall_mix.md), as [`TypedEvent`]s (values
//!   typed once, like runtime events); `eval/falco_rules_text/interp` is the same on the
//!   untyped fixtures, which parse every value from text on each extraction.
//!
//! Each prints the per-event statistics (rules visited, checks evaluated, memo hits, matches)
//! before timing.
//! Skips with a printed reason when the corpus is absent (RULEC_CORPUS_DIR or
//! ../../shared/corpus/rules).

use std::hint::black_box;
use std::path::Path;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use rulec::lower::{lower_outcome, Program};
use rulec::{Analysis, LoadOptions};
use rulec_runtime::event::{Event, FieldMapEvent, TypedEvent};
use rulec_runtime::extract::JsonEvent;
use rulec_runtime::interp::Interpreter;

#[path = "../tests/common/mod.rs"]
mod common;
use common::corpus_dir;

/// The global allocator of the CLI and the language server (cli/src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The program of `source` lowered from corpus file `file`, or `None` with a printed reason.
fn program(dir: &Path, file: &str, source: &str) -> Option<Program> {
    let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
        eprintln!("{file} not found in the corpus: skipping its eval benchmark");
        return None;
    };
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file(file, text);
    let prog = lower_outcome(&a.load())
        .into_iter()
        .find(|p| p.source == source);
    if prog.is_none() {
        eprintln!("no {source} rules in {file}: skipping");
    }
    prog
}

fn event_text(file: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/events")
        .join(file);
    std::fs::read_to_string(p).unwrap_or_default()
}

/// Prints the per-event statistics of one pass, then times matching with and without alert
/// rendering as `eval/<name>/interp` and `eval/<name>/interp+alerts`.
fn bench_program<E: Event>(
    g: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    prog: &Program,
    events: &[E],
) {
    if events.is_empty() {
        eprintln!("{name}: no events: skipping");
        return;
    }
    let mut it = Interpreter::new(prog);
    for e in events {
        it.matching_rules(e);
    }
    let s = it.stats;
    let per = |n: u64| n as f64 / s.events as f64;
    eprintln!(
        "{name}: {} rules, {} nodes ({} memo slots), {} events: {:.1} rules visited/event, {:.1} checks evaluated/event, {:.1} memo hits/event, {} matches",
        prog.rules.len(),
        prog.node_count(),
        prog.memo_slots,
        s.events,
        per(s.rules_evaluated),
        per(s.nodes_evaluated),
        per(s.memo_hits),
        s.matches
    );
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function(format!("{name}/interp"), |b| {
        let mut it = Interpreter::new(prog);
        b.iter(|| {
            let mut n = 0;
            for e in events {
                n += it.matching_rules(black_box(e)).len();
            }
            black_box(n)
        })
    });
    g.bench_function(format!("{name}/interp+alerts"), |b| {
        let mut it = Interpreter::new(prog);
        b.iter(|| {
            let mut n = 0;
            for e in events {
                n += rulec_runtime::output::Alert::for_matches(&mut it, black_box(e), "host").len();
            }
            black_box(n)
        })
    });
}

fn bench_eval(c: &mut Criterion) {
    let Some(dir) = corpus_dir() else {
        eprintln!("corpus not found: skipping the eval benchmarks");
        return;
    };
    let mut g = c.benchmark_group("eval");
    if let Some(prog) = program(&dir, "k8s_audit_rules.yaml", "k8s_audit") {
        let events =
            JsonEvent::parse_many("k8s_audit", &event_text("k8s_audit.json")).unwrap_or_default();
        bench_program(&mut g, "k8s_audit_rules", &prog, &events);
    }
    if let Some(prog) = program(&dir, "falco_rules.yaml", "syscall") {
        let events = FieldMapEvent::parse_many("syscall", &event_text("syscall_mix.json"))
            .unwrap_or_default();
        let typed: Vec<TypedEvent> = events.iter().cloned().map(TypedEvent::new).collect();
        bench_program(&mut g, "falco_rules", &prog, &typed);
        bench_program(&mut g, "falco_rules_text", &prog, &events);
    }
    g.finish();
}

criterion_group!(benches, bench_eval);
criterion_main!(benches);
