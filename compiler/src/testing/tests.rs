use std::path::Path;

use super::*;
use crate::{Analysis, LoadOptions};

const RULES: &str = r#"
- list: shells
  items: [bash, sh]
- rule: Shell
  desc: d
  condition: evt.type = execve and proc.name in (shells)
  output: shell (proc=%proc.name parent=%proc.pname)
  priority: NOTICE
  exceptions:
    - name: from_cron
      fields: [proc.pname]
      comps: [=]
      values: [[cron]]
    - name: from_init
      fields: proc.pname
      values: [init]
    - name: placeholder
      fields: [proc.pname]
- rule: Curl
  desc: d
  condition: evt.type = execve and proc.name = curl
  output: curl (proc=%proc.name)
  priority: NOTICE
- rule: K8s Create
  desc: d
  condition: ka.verb = create
  output: created (user=%ka.user.name)
  priority: NOTICE
  source: k8s_audit
"#;

fn suite() -> (Analysis, crate::LoadOutcome) {
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file("rules.yaml", RULES);
    let o = a.load();
    assert!(o.successful(), "{:?}", o.unique_diagnostics());
    (a, o)
}

fn tests(text: &str) -> TestFile {
    parse_test_file("t.yaml", text, Path::new(".")).expect("valid test file")
}

fn run_all(text: &str) -> (Vec<TestResult>, Coverage) {
    let (a, o) = suite();
    let mut s = Suite::new(&a, &o);
    let tf = tests(text);
    let r = tf.tests.iter().map(|t| s.run(t)).collect();
    (r, s.coverage().clone())
}

#[test]
fn fires_not_fires_and_only() {
    let (r, _) = run_all(
        r#"
tests:
  - name: ok
    event: {evt.type: execve, proc.name: bash, proc.pname: sshd}
    fires: [Shell]
    not_fires: [Curl]
  - name: wrong
    event: {evt.type: execve, proc.name: bash, proc.pname: sshd}
    fires: [Curl]
    not_fires: [Shell]
  - name: nothing
    event: {evt.type: execve, proc.name: bash}
    fires: []
  - name: typo
    event: {evt.type: execve, proc.name: ls}
    not_fires: [Shel]
"#,
    );
    assert!(r[0].passed(), "{:?}", r[0].failures);
    assert_eq!(
        r[1].failures,
        vec![
            Failure::DidNotFire("Curl".into()),
            Failure::Fired("Shell".into())
        ]
    );
    assert_eq!(r[2].failures, vec![Failure::Fired("Shell".into())]);
    assert_eq!(r[3].failures, vec![Failure::UnknownRule("Shel".into())]);
}

#[test]
fn output_fields_are_compared() {
    let (r, _) = run_all(
        r#"
tests:
  - name: good
    event: {evt.type: execve, proc.name: sh, proc.pname: bash}
    output_fields: {Shell: {proc.name: sh, proc.pname: bash}}
  - name: bad
    event: {evt.type: execve, proc.name: sh, proc.pname: bash}
    output_fields: {Shell: {proc.pname: zsh}}
"#,
    );
    assert!(r[0].passed(), "{:?}", r[0].failures);
    assert_eq!(
        r[1].failures,
        vec![Failure::OutputFields {
            rule: "Shell".into(),
            mismatches: vec![("proc.pname".into(), "zsh".into(), vec!["bash".into()])]
        }]
    );
}

#[test]
fn exception_coverage_counts_suppressed_matches_only() {
    let (r, cov) = run_all(
        r#"
tests:
  - name: cron shell is excepted
    event: {evt.type: execve, proc.name: bash, proc.pname: cron}
    fires: []
  - name: cron curl is not a shell
    event: {evt.type: execve, proc.name: curl, proc.pname: init}
    fires: [Curl]
"#,
    );
    assert!(r.iter().all(TestResult::passed));
    let ex: Vec<(&str, bool, &[String])> = cov
        .exceptions
        .iter()
        .map(|e| (e.exception.as_str(), e.empty, e.suppressed.as_slice()))
        .collect();
    assert_eq!(
        ex[0],
        (
            "from_cron",
            false,
            &["cron shell is excepted".to_owned()][..]
        )
    );
    // `from_init` matched an event, but the rule's condition did not: not exercised.
    assert_eq!(ex[1], ("from_init", false, &[][..]));
    assert_eq!(ex[2], ("placeholder", true, &[][..]));
    assert_eq!(cov.exception_counts(), (1, 2));
    assert_eq!(cov.rule_counts(), (1, 3));
    let unfired: Vec<&str> = cov.unfired_rules().map(|r| r.rule.as_str()).collect();
    assert_eq!(unfired, ["Shell", "K8s Create"]);
}

#[test]
fn json_events_for_plugin_sources() {
    let (r, cov) = run_all(
        r#"
source: k8s_audit
tests:
  - name: yaml map
    json: {verb: create, user: {username: alice}, responseStatus: {code: 201}}
    fires: [K8s Create]
    output_fields: {K8s Create: {ka.user.name: alice}}
  - name: json text
    json: |
      {"verb": "get", "user": {"username": "bob"}}
    fires: []
"#,
    );
    assert!(r.iter().all(TestResult::passed), "{r:?}");
    assert_eq!(cov.rules[2].fired_by, ["yaml map"]);
}

#[test]
fn errors_have_positions() {
    let err = |text: &str| {
        parse_test_file("t.yaml", text, Path::new("."))
            .expect_err("invalid")
            .to_string()
    };
    assert_eq!(
        err("tests:\n  - name: a\n    evnt: {evt.type: open}\n"),
        "t.yaml:3:5: error: unknown key `evnt` in a test (did you mean `event`?); expected one of: name, desc, source, event, json, jsonl, fires, not_fires, only, output_fields"
    );
    assert_eq!(
        err("tests:\n  - name: a\n    fires: [x]\n"),
        "t.yaml:2:5: error: test `a` needs one of `event`, `json` or `jsonl`"
    );
    assert!(err("tests: [\n").starts_with("t.yaml:2:1: error: invalid YAML"));
    assert_eq!(
        err("tests:\n  - name: a\n    event: {a: b}\n    fires: [X]\n    not_fires: [X]\n"),
        "t.yaml:2:5: error: rule `X` is in both `fires` and `not_fires`"
    );
}

#[test]
fn yaml_scalars_become_typed_json() {
    let tf = tests(
        "tests:\n  - name: a\n    source: k8s_audit\n    json: {n: 201, b: true, s: '201', z: ~}\n",
    );
    let EventSpec::Json(e) = &tf.tests[0].events[0] else {
        panic!("json event")
    };
    assert_eq!(
        e.to_value(),
        serde_json::json!({"n": 201, "b": true, "s": "201", "z": null})
    );
}
