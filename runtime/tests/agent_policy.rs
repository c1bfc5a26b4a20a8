//! What decides whether a match becomes an alert, run in-process (`Agent::start` with rules
//! compiled by the front end): the priority threshold, `rule_matching`, the per-rule rate
//! limit, `append_output`, and the sampled per-rule cost metric.

mod agent_common;
mod common;

use std::path::PathBuf;

use rulec_ir::bundle::Bundle;
use rulec_runtime::agent::config::{load_tree, AgentConfig};
use rulec_runtime::agent::rules::{EngineChoice, RuleSet};
use rulec_runtime::agent::run::{Agent, RulesFrom};

const RULES: &str = r#"
- rule: Every Event
  desc: fires on every audit event
  condition: ka.verb exists
  output: event (verb=%ka.verb user=%ka.user.name)
  priority: NOTICE
  source: k8s_audit
  tags: [all]
- rule: Creates
  desc: fires on creates
  condition: ka.verb = create
  output: create (user=%ka.user.name)
  priority: CRITICAL
  source: k8s_audit
  tags: [create, audit]
"#;

fn rules() -> RuleSet {
    let bundle: Bundle = agent_common::bundle_of(&[("policy.yaml".into(), RULES.into())]);
    let bytes = bundle.write();
    let (b, info) = Bundle::read_with_info(&bytes).expect("bundle reads");
    RuleSet::build(b, info, EngineChoice::default()).expect("rule set")
}

struct Run {
    lines: Vec<String>,
    metrics: String,
}

/// Runs the agent on the sample audit events (8 events, 6 creates) with `overrides`.
fn run(overrides: &[&str]) -> Run {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("rulec-policy-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("alerts.txt");
    let events: PathBuf = agent_common::repo().join("testdata/events/k8s_audit.json");
    let mut o: Vec<String> = vec![
        format!(
            "rulec.sources[0]={{source: k8s_audit, files: ['{}']}}",
            events.display()
        ),
        "file_output.enabled=true".into(),
        format!("file_output.filename={}", out.display()),
        "file_output.keep_alive=true".into(),
    ];
    o.extend(overrides.iter().map(|s| (*s).to_owned()));
    let tree = load_tree(None, &o).expect("config");
    let (cfg, warnings) = AgentConfig::from_tree(&tree).expect("config reads");
    assert!(warnings.is_empty(), "{warnings:?}");
    let agent = Agent::start(cfg, RulesFrom::Built(Box::new(rules()))).expect("agent starts");
    let m = std::sync::Arc::clone(agent.metrics());
    let summary = agent.wait();
    assert_eq!(summary.sources.len(), 1);
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    Run {
        lines: text.lines().map(str::to_owned).collect(),
        metrics: m.render(),
    }
}

fn count(r: &Run, needle: &str) -> usize {
    r.lines.iter().filter(|l| l.contains(needle)).count()
}

#[test]
fn rule_matching_first_alerts_once_per_event_and_all_alerts_every_rule() {
    let first = run(&[]);
    assert_eq!(first.lines.len(), 8, "{:#?}", first.lines);
    assert_eq!(count(&first, "Notice event"), 8);
    let all = run(&["rule_matching=all"]);
    assert_eq!(count(&all, "Notice event"), 8);
    assert_eq!(count(&all, "Critical create"), 6, "{:#?}", all.lines);
    assert!(all.metrics.contains(
        r#"falcosecurity_falco_rules_matches_total{priority="2",rule_name="Creates",source="k8s_audit",tags="audit, create"} 6"#
    ), "{}", all.metrics);
}

#[test]
fn rules_below_the_priority_threshold_do_not_alert_and_are_counted() {
    let r = run(&["priority=warning"]);
    assert_eq!(r.lines.len(), 6, "{:#?}", r.lines);
    assert_eq!(count(&r, "Critical create"), 6);
    assert!(
        r.metrics
            .contains(r#"falco_rulec_alerts_below_priority_total{rule_name="Every Event"} 8"#),
        "{}",
        r.metrics
    );
}

#[test]
fn the_rate_limit_suppresses_and_counts_alerts_over_the_burst() {
    let r = run(&["rulec.rate_limit={rate: 0.001, max_burst: 2}"]);
    assert_eq!(r.lines.len(), 2, "{:#?}", r.lines);
    assert!(
        r.metrics
            .contains(r#"falco_rulec_alerts_rate_limited_total{rule_name="Every Event"} 6"#),
        "{}",
        r.metrics
    );
}

#[test]
fn append_output_adds_literal_text_to_matching_rules() {
    let r = run(&[
        "rule_matching=all",
        "append_output[0]={match: {tags: [create]}, extra_output: 'cluster=prod-eu'}",
    ]);
    assert_eq!(count(&r, "cluster=prod-eu"), 6, "{:#?}", r.lines);
    assert!(r
        .lines
        .iter()
        .filter(|l| l.contains("Critical create"))
        .all(|l| l.ends_with(" cluster=prod-eu")));
}

#[test]
fn every_sampled_event_adds_to_the_per_rule_cost() {
    let r = run(&["rulec.rule_cost_sample=1"]);
    assert!(
        r.metrics
            .contains(r#"falco_rulec_rule_eval_samples_total{rule_name="Every Event"} 8"#),
        "{}",
        r.metrics
    );
    assert!(r
        .metrics
        .contains(r#"falco_rulec_rule_eval_samples_total{rule_name="Creates"} 8"#));
    assert!(r
        .metrics
        .contains("falco_rulec_rule_eval_seconds_total{rule_name=\"Creates\"}"));
    assert!(r
        .metrics
        .contains(r#"falcosecurity_falco_n_evts_total{source="k8s_audit"} 8"#));
}

#[test]
fn append_output_fields_render_and_go_to_output_fields() {
    let r = run(&[
        "json_output=true",
        "rule_matching=all",
        "append_output[0]={match: {source: k8s_audit, tags: [create]}, extra_output: 'verb=%ka.verb', extra_fields: [ka.target.resource, {who: '%ka.user.name!'}]}",
    ]);
    let alerts: Vec<serde_json::Value> = r
        .lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("JSON alert"))
        .filter(|a: &serde_json::Value| a["rule"] == "Creates")
        .collect();
    assert_eq!(alerts.len(), 6);
    for a in &alerts {
        let out = a["output"].as_str().expect("output");
        assert!(out.ends_with(" verb=create"), "{out}");
        let f = &a["output_fields"];
        assert_eq!(f["ka.verb"], "create", "{a}");
        assert!(f["ka.target.resource"].is_string(), "{a}");
        assert!(f["who"].as_str().is_some_and(|w| w.ends_with('!')), "{a}");
    }
    // Rules the entry does not match are unchanged.
    assert!(r
        .lines
        .iter()
        .filter(|l| l.contains("\"rule\":\"Every Event\""))
        .all(|l| !l.contains("verb=create\"")));
}
