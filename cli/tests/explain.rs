//! `falco-rulec explain` and `falco-rulec fields`.

use std::path::Path;

mod common;
use common::{run, stdout};

#[test]
fn explain_bundled_rule() {
    let o = run(&["explain", "Write Below Binary Directory", "rules/"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn explain_unknown_rule_suggests() {
    let o = run(&["explain", "Write Below Binary Dir", "rules/"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("did you mean `Write Below Binary Directory`?")
    );
}

#[test]
fn explain_pins_event_types_of_every_falco_rule() {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/rules/falco_rules.yaml");
    if !file.is_file() {
        println!("skipped: corpus not found at {}", file.display());
        return;
    }
    let o = run(&[
        "explain",
        "--all",
        "--format",
        "json",
        file.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let mut out = String::new();
    for r in v.as_array().expect("array") {
        let types: Vec<&str> = r["event_types"]
            .as_array()
            .expect("syscall rules have event types")
            .iter()
            .filter_map(|t| t.as_str())
            .collect();
        let syscalls: Vec<String> = r["syscalls"]
            .as_array()
            .expect("syscalls")
            .iter()
            .map(|s| format!("{}", s["nr"]))
            .collect();
        assert!(!types.is_empty(), "{}", r["rule"]);
        out.push_str(&format!(
            "{}: {} | nr {}\n",
            r["rule"].as_str().expect("name"),
            types.join(", "),
            syscalls.join(",")
        ));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn fields_reference() {
    let o = run(&["fields", "--source", "syscall", "proc.aname"]);
    assert_eq!(o.status.code(), Some(0));
    insta::assert_snapshot!(stdout(&o));
    let o = run(&[
        "fields",
        "--format",
        "json",
        "--source",
        "aws_cloudtrail",
        "ct.name",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert!(v
        .as_array()
        .expect("array")
        .iter()
        .any(|f| f["name"] == "ct.name"));
    assert_eq!(run(&["fields", "--source", "nope"]).status.code(), Some(2));
    assert_eq!(run(&["fields", "zzzznothing"]).status.code(), Some(1));
}
