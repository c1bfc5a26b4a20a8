//! The agent's per-event path without I/O, on JSON lines of k8s audit events with the corpus
//! k8s_audit_rules.yaml: parse the line into an event (`JsonEvent::from_text`), evaluate it
//! (`Engine`, the agent's default backend for plugin sources: the interpreter), and for each
//! match render the output and format Falco's JSON alert (`AlertFormat`).
//! * `agent/parse`: parsing only;
//! * `agent/parse_eval`: parsing and evaluation;
//! * `agent/parse_eval_alert`: the whole path the source thread runs per event.
//!
//! Events: the 8 attack-shaped events of testdata/events/k8s_audit.json among 152 routine
//! ones (1 in 20, as scripts/gen-audit-events.py writes them). The end-to-end numbers with
//! file reading and output threads are scripts/bench-agent.sh's (BENCHMARKS.md, "Agent").

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rulec::lower::lower_outcome;
use rulec::{Analysis, LoadOptions};
use rulec_runtime::agent::alert::{AlertFormat, AlertParts};
use rulec_runtime::engine::{Backend, Engine};
use rulec_runtime::extract::JsonEvent;
use rulec_runtime::interp::Interpreter;
use serde_json::{json, Value as J};

#[path = "../../compiler/tests/common/mod.rs"]
mod common;
use common::corpus_dir;

fn routine(i: usize) -> J {
    let (verb, res, user, uri) = [
        (
            "get",
            "nodes",
            "system:node:ip-10-0-1-12",
            "/api/v1/nodes/ip-10-0-1-12",
        ),
        (
            "update",
            "replicasets",
            "system:serviceaccount:kube-system:replicaset-controller",
            "/apis/apps/v1/namespaces/default/replicasets/web/status",
        ),
        (
            "list",
            "pods",
            "system:serviceaccount:monitoring:prometheus",
            "/api/v1/pods?limit=500",
        ),
        (
            "watch",
            "configmaps",
            "system:kube-controller-manager",
            "/api/v1/namespaces/kube-system/configmaps?watch=true",
        ),
    ][i % 4];
    json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
        "auditID": format!("00000000-0000-0000-0000-{i:012}"), "stage": "ResponseComplete",
        "requestURI": uri, "verb": verb, "user": {"username": user, "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.1.12"], "userAgent": "kubelet/v1.29.2 (linux/amd64) kubernetes/4b8e819",
        "objectRef": {"resource": res, "apiVersion": "v1", "namespace": "default"},
        "responseStatus": {"metadata": {}, "code": 200},
        "requestReceivedTimestamp": "2024-05-01T10:00:00.000000Z", "stageTimestamp": "2024-05-01T10:00:00.000100Z",
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": ""}
    })
}

fn bench(c: &mut Criterion) {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let Ok(rules) = std::fs::read_to_string(dir.join("k8s_audit_rules.yaml")) else {
        println!("skipped: no k8s_audit_rules.yaml in the corpus");
        return;
    };
    let Ok(attacks) = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/events/k8s_audit.json"
    )) else {
        println!("skipped: testdata/events/k8s_audit.json not found");
        return;
    };
    let attacks: Vec<J> = serde_json::from_str(&attacks).unwrap_or_default();
    let lines: Vec<String> = (0..160)
        .map(|i| {
            if i % 20 == 0 {
                attacks[i / 20 % attacks.len().max(1)].clone()
            } else {
                routine(i)
            }
        })
        .map(|e| e.to_string())
        .collect();
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file("k8s_audit_rules.yaml", rules);
    let progs = lower_outcome(&a.load());
    let Some(prog) = progs.iter().find(|p| p.source == "k8s_audit") else {
        println!("skipped: no k8s_audit program");
        return;
    };
    let format = AlertFormat {
        json: true,
        hostname: "node-1".into(),
        ..AlertFormat::default()
    };
    let mut g = c.benchmark_group("agent");
    g.throughput(Throughput::Elements(lines.len() as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            for l in &lines {
                black_box(
                    JsonEvent::from_text("k8s_audit", l.clone())
                        .map(|e| e.time_ns)
                        .ok(),
                );
            }
        });
    });
    let mut engine = Engine::new(Backend::Interpreter, prog, None);
    g.bench_function("parse_eval", |b| {
        b.iter(|| {
            let mut n = 0;
            for l in &lines {
                if let Ok(e) = JsonEvent::from_text("k8s_audit", l.clone()) {
                    n += engine.matching_rules(&e).len();
                }
            }
            black_box(n)
        });
    });
    let mut render = Interpreter::new(prog);
    let mut matched = Vec::new();
    g.bench_function("parse_eval_alert", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for l in &lines {
                let Ok(e) = JsonEvent::from_text("k8s_audit", l.clone()) else {
                    continue;
                };
                matched.clear();
                matched.extend_from_slice(engine.matching_rules(&e));
                if matched.is_empty() {
                    continue;
                }
                render.begin_event();
                // The agent alerts once per event by default (rule_matching: first).
                if let Some(&r) = matched.first() {
                    let rule = &prog.rules[r as usize];
                    let (message, fields) =
                        rulec_runtime::output::render(&rule.output, &mut render, &e);
                    let rec = format.format(AlertParts {
                        rule: &rule.name,
                        priority: rule.priority,
                        source: &rule.source,
                        tags: &rule.tags,
                        time_ns: e.time_ns,
                        message,
                        fields,
                    });
                    bytes += rec.line.len();
                }
            }
            black_box(bytes)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
