//! JIT against the reference interpreter, same rules, same events, one run:
//! * `eval/falco_rules/{interp,jit}`: the upstream falco_rules.yaml on a syscall event mix
//!   (testdata/events/syscall_mix.json, typed once as runtime events are);
//! * `eval/k8s_audit_rules/{interp,jit}`: k8s_audit_rules.yaml on audit events
//!   (testdata/events/k8s_audit.json);
//! * `jit_compile/<ruleset>`: JIT compile time of each corpus ruleset.
//!
//! Skips with a printed reason when the corpus (RULEC_CORPUS_DIR or ../../shared/corpus/rules)
//! or an event file is absent.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rulec::ast_eval;
use rulec::lower::{lower_outcome, Program};
use rulec::schema::Registry;
use rulec::{Analysis, LoadOptions, LoadOutcome};
use rulec_runtime::event::{Event, FieldMapEvent, TypedEvent};
use rulec_runtime::extract::JsonEvent;
use rulec_runtime::interp::Interpreter;
use rulec_runtime::jit::{JitEvaluator, JitProgram};

#[path = "../../compiler/tests/common/mod.rs"]
mod common;
use common::corpus_dir;

/// The global allocator of the CLI and the language server (cli/src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RULESETS: &[(&str, &str)] = &[
    ("falco_rules.yaml", "syscall"),
    ("k8s_audit_rules.yaml", "k8s_audit"),
    ("aws_cloudtrail_rules.yaml", "aws_cloudtrail"),
];

fn load(dir: &Path, file: &str, source: &str) -> Option<(LoadOutcome, Program)> {
    let text = std::fs::read_to_string(dir.join(file)).ok()?;
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file(file, text);
    let out = a.load();
    let prog = lower_outcome(&out)
        .into_iter()
        .find(|p| p.source == source)?;
    Some((out, prog))
}

/// Filter nodes per event in libsinsp's evaluation model: the rules of the event's type,
/// each condition walked as a tree with every macro occurrence evaluated again
/// (`ast_eval::eval_counted`). Falco's "about 10 ns per filter node" is per such node.
fn libsinsp_nodes(out: &LoadOutcome, prog: &Program, events: &[&dyn Event]) -> f64 {
    let Some(schema) = Registry::get().source(&prog.source) else {
        return 0.0;
    };
    let by_name: HashMap<&str, _> = out
        .compiled
        .rules
        .iter()
        .filter_map(|cr| {
            let name = out.collection.rules[cr.rule].name.as_str();
            cr.ast.as_ref().map(|a| (name, (a, cr.typed.as_ref())))
        })
        .collect();
    let mut visited = 0u64;
    for e in events {
        for r in prog.rules_for(e.evt_type()) {
            if let Some((ast, typed)) = by_name.get(prog.rules[r as usize].name.as_str()) {
                ast_eval::eval_counted(schema, *typed, ast, *e, &mut visited);
            }
        }
    }
    visited as f64 / events.len().max(1) as f64
}

fn events_file(name: &str) -> Option<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/events")
        .join(name);
    let text = std::fs::read_to_string(&p).ok();
    if text.is_none() {
        eprintln!("{} not found: skipping", p.display());
    }
    text
}

fn bench_pair(
    c: &mut Criterion,
    name: &str,
    (out, prog): &(LoadOutcome, Program),
    events: &[&dyn Event],
) {
    let jit = match JitProgram::compile(prog) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("{name}: {e}: skipping");
            return;
        }
    };
    let mut it = Interpreter::new(prog);
    let mut je = JitEvaluator::new(&jit, prog);
    for e in events {
        let want: Vec<u32> = it
            .matching_rules(*e)
            .into_iter()
            .map(|r| r as u32)
            .collect();
        assert_eq!(je.matching_rules(*e), want.as_slice(), "JIT disagrees");
    }
    let s = it.stats;
    eprintln!(
        "{name}: {} rules, {} nodes; {} events: {:.1} rules visited/event, {:.1} checks/event, {:.1} libsinsp-model nodes/event, {} matches; JIT: {:?}, compiled in {:.2?}",
        prog.rules.len(),
        prog.node_count(),
        s.events,
        s.rules_evaluated as f64 / s.events as f64,
        s.nodes_evaluated as f64 / s.events as f64,
        libsinsp_nodes(out, prog, events),
        s.matches,
        jit.stats.tiers,
        jit.stats.compile_time,
    );
    let mut g = c.benchmark_group("eval");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function(format!("{name}/interp"), |b| {
        let mut it = Interpreter::new(prog);
        b.iter(|| {
            let mut n = 0;
            for e in events {
                n += it.matching_rules(black_box(*e)).len();
            }
            black_box(n)
        })
    });
    g.bench_function(format!("{name}/jit"), |b| {
        let mut je = JitEvaluator::new(&jit, prog);
        b.iter(|| {
            let mut n = 0;
            for e in events {
                n += je.matching_rules(black_box(*e)).len();
            }
            black_box(n)
        })
    });
    g.finish();
}

fn bench_jit(c: &mut Criterion) {
    let Some(dir) = corpus_dir() else { return };
    if let (Some(prog), Some(text)) = (
        load(&dir, "falco_rules.yaml", "syscall"),
        events_file("syscall_mix.json"),
    ) {
        let evs: Vec<TypedEvent> = FieldMapEvent::parse_many("syscall", &text)
            .unwrap_or_default()
            .into_iter()
            .map(TypedEvent::new)
            .collect();
        let refs: Vec<&dyn Event> = evs.iter().map(|e| e as &dyn Event).collect();
        bench_pair(c, "falco_rules", &prog, &refs);
    }
    if let (Some(prog), Some(text)) = (
        load(&dir, "k8s_audit_rules.yaml", "k8s_audit"),
        events_file("k8s_audit.json"),
    ) {
        let evs = JsonEvent::parse_many("k8s_audit", &text).unwrap_or_default();
        let refs: Vec<&dyn Event> = evs.iter().map(|e| e as &dyn Event).collect();
        bench_pair(c, "k8s_audit_rules", &prog, &refs);
    }
    let mut g = c.benchmark_group("jit_compile");
    for (file, source) in RULESETS {
        let Some((_, prog)) = load(&dir, file, source) else {
            continue;
        };
        g.bench_function(*file, |b| {
            b.iter(|| black_box(JitProgram::compile(black_box(&prog)).map(|j| j.stats.rules)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_jit);
criterion_main!(benches);
