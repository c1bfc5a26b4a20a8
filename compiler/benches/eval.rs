//! Events per second through the IR interpreter: the upstream k8s_audit ruleset against a mix
//! of audit events (testdata/events/k8s_audit.json). Skips when the corpus is absent
//! (RULEC_CORPUS_DIR or ../../shared/corpus/rules).

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rulec::extract::JsonEvent;
use rulec::interp::Interpreter;
use rulec::lower::lower_outcome;
use rulec::{Analysis, LoadOptions};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("RULEC_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/rules"));
    dir.join("k8s_audit_rules.yaml").is_file().then_some(dir)
}

fn bench_eval(c: &mut Criterion) {
    let Some(dir) = corpus() else {
        eprintln!("corpus not found: skipping the eval benchmark");
        return;
    };
    let text = std::fs::read_to_string(dir.join("k8s_audit_rules.yaml")).unwrap_or_default();
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file("k8s_audit_rules.yaml", text);
    let out = a.load();
    let progs = lower_outcome(&out);
    let Some(prog) = progs.iter().find(|p| p.source == "k8s_audit") else {
        eprintln!("no k8s_audit rules: skipping");
        return;
    };
    let ev_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/events/k8s_audit.json");
    let ev_text = std::fs::read_to_string(ev_path).unwrap_or_default();
    let events = JsonEvent::parse_many("k8s_audit", &ev_text).unwrap_or_default();
    if events.is_empty() {
        eprintln!("no events: skipping");
        return;
    }
    // One pass for the per-event statistics.
    let mut it = Interpreter::new(prog);
    for e in &events {
        it.matching_rules(e);
    }
    let s = it.stats;
    eprintln!(
        "k8s_audit: {} rules, {} nodes ({} memo slots), {} events: {:.1} rules evaluated/event, {:.1} nodes evaluated/event, {:.1} memo hits/event, {} matches",
        prog.rules.len(),
        prog.node_count(),
        prog.memo_slots,
        s.events,
        s.rules_evaluated as f64 / s.events as f64,
        s.nodes_evaluated as f64 / s.events as f64,
        s.memo_hits as f64 / s.events as f64,
        s.matches
    );
    let mut g = c.benchmark_group("eval");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("k8s_audit_rules/interp", |b| {
        let mut it = Interpreter::new(prog);
        b.iter(|| {
            let mut n = 0;
            for e in &events {
                n += it.matching_rules(black_box(e)).len();
            }
            black_box(n)
        })
    });
    g.bench_function("k8s_audit_rules/interp+alerts", |b| {
        let mut it = Interpreter::new(prog);
        b.iter(|| {
            let mut n = 0;
            for e in &events {
                n += it.alerts(black_box(e), "host").len();
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, bench_eval);
criterion_main!(benches);
