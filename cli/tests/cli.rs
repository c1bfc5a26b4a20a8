//! End-to-end tests of the `falco-rulec` binary: exit codes, output formats, hostile input.

use std::path::PathBuf;

mod common;
use common::{repo, run, stdout};

fn tmp_file(name: &str, contents: &[u8]) -> PathBuf {
    common::tmp_file("cli", name, contents)
}

const BROKEN: &str =
    "- rule: r\n  desc: d\n  condition: proc.name in (a b)\n  output: o\n  priority: INFO\n";

#[test]
fn bundled_rules_lint_clean() {
    let o = run(&["lint", "--deny-warnings", "rules/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 errors, 0 warnings"));
}

#[test]
fn errors_exit_1_with_position() {
    let f = tmp_file("broken.yaml", BROKEN.as_bytes());
    let o = run(&["lint", "--format", "short", f.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(
            "broken.yaml:3:30: error[E0004/LOAD_ERR_COMPILE_CONDITION]: expected a ')' token"
        ),
        "{out}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["lint"]).status.code(), Some(2));
    assert_eq!(
        run(&["lint", "--format", "xml", "rules/"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["lint", "--allow", "E0004", "rules/"]).status.code(),
        Some(2)
    );
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn missing_file_is_a_load_error() {
    let o = run(&["lint", "--format", "json", "does/not/exist.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(
        v["falco_load_results"][0]["errors"][0]["code"],
        "LOAD_ERR_FILE_READ"
    );
}

#[test]
fn json_matches_falco_shape() {
    let f = tmp_file("broken_json.yaml", BROKEN.as_bytes());
    let o = run(&["lint", "--format", "json", f.to_str().expect("utf-8 path")]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let r = &v["falco_load_results"][0];
    assert_eq!(r["successful"], false);
    let e = &r["errors"][0];
    assert_eq!(e["code"], "LOAD_ERR_COMPILE_CONDITION");
    assert_eq!(e["codedesc"], "Error compiling condition");
    assert_eq!(e["message"], "expected a ')' token");
    let locs = e["context"]["locations"].as_array().expect("locations");
    assert_eq!(locs[0]["item_type"], "rules content");
    assert_eq!(locs[1]["item_type"], "rule");
    assert_eq!(locs[1]["item_name"], "r");
    assert_eq!(locs[3]["item_type"], "condition expression");
}

#[test]
fn sarif_and_github_formats() {
    let f = tmp_file("broken_sarif.yaml", BROKEN.as_bytes());
    let path = f.to_str().expect("utf-8 path");
    let o = run(&["lint", "--format", "sarif", path]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("sarif json");
    assert_eq!(v["version"], "2.1.0");
    let res = &v["runs"][0]["results"][0];
    assert_eq!(res["ruleId"], "E0004");
    assert_eq!(
        res["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    let o = run(&["lint", "--format", "github", path]);
    let out = stdout(&o);
    assert!(out.starts_with("::error file="), "{out}");
    assert!(out.contains("line=3,col=30"), "{out}");
}

#[test]
fn deny_warnings_and_allow() {
    let f = tmp_file("unused.yaml", b"- list: l\n  items: [a]\n");
    let path = f.to_str().expect("utf-8 path");
    assert_eq!(run(&["lint", path]).status.code(), Some(0));
    assert_eq!(
        run(&["lint", "--deny-warnings", path]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&[
            "lint",
            "--deny-warnings",
            "--allow",
            "LOAD_UNUSED_LIST",
            path
        ])
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn binary_junk_is_a_clear_error() {
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let f = tmp_file("junk.yaml", &junk);
    let o = run(&["lint", "--format", "short", f.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("error[E0002/LOAD_ERR_YAML_PARSE]"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn yaml_that_is_not_a_rules_file() {
    let f = tmp_file("config.yaml", b"http_output:\n  enabled: true\n");
    let o = run(&["lint", "--format", "short", f.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("Rules content is not yaml array of objects"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn deeply_nested_parentheses() {
    let cond = format!("{}proc.name = x{}", "(".repeat(50_000), ")".repeat(50_000));
    let rule =
        format!("- rule: r\n  desc: d\n  condition: {cond}\n  output: o\n  priority: INFO\n");
    let f = tmp_file("deep.yaml", rule.as_bytes());
    let o = run(&["lint", "--format", "short", f.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("exceeded max depth limit of 1000"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn huge_file_is_refused_with_a_clear_error() {
    let f = tmp_file("huge.yaml", b"");
    std::fs::File::options()
        .write(true)
        .open(&f)
        .expect("open")
        .set_len(50 * 1024 * 1024)
        .expect("sparse file");
    let o = run(&["lint", "--format", "short", f.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("over the limit of 16777216 bytes"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn corpus_lints_clean_in_one_run() {
    let dir = repo().join("../shared/corpus/rules");
    if !dir.is_dir() {
        println!("skipped: corpus not found at {}", dir.display());
        return;
    }
    let o = run(&[
        "lint",
        "--format",
        "json",
        dir.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn bundled_rules_are_formatted() {
    let o = run(&["fmt", "--check", "rules/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}
