//! End-to-end tests of `falco-rulec test`: bundled rule tests, failure reports, JUnit and JSON
//! output, and the corpus test files (skipped when the corpus is absent).

use std::path::PathBuf;
use std::process::Output;

mod common;
use common::{repo, stdout};

fn run(args: &[&str]) -> Output {
    let mut all = vec!["test"];
    all.extend_from_slice(args);
    common::run(&all)
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).expect("JSON output")
}

/// The corpus directory (RULEC_CORPUS_DIR or ../shared/corpus/rules next to the repository).
fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("RULEC_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus/rules"));
    if dir.join("k8s_audit_rules.yaml").is_file() {
        Some(dir)
    } else {
        println!("skipped: corpus not found at {}", dir.display());
        None
    }
}

#[test]
fn bundled_rule_tests_pass_with_full_coverage() {
    let o = run(&["--require-coverage", "rules/"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("coverage: 4/4 rules fired, 1/1 exceptions exercised"),
        "{out}"
    );
    assert!(out.lines().any(|l| l == "12 passed, 0 failed"), "{out}");
}

#[test]
fn failing_test_file_reports_a_diff() {
    let o = run(&["testdata/rule-tests/failing.test.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.lines().any(|l| l == "1 passed, 4 failed"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn junit_output_is_well_formed_with_counts() {
    let o = run(&[
        "--format",
        "junit",
        "testdata/rule-tests/failing.test.yaml",
        "rules/",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    assert!(
        out.contains(r#"<testsuites name="falco-rulec test" tests="17" failures="4" errors="0">"#),
        "{out}"
    );
    assert!(out.contains(r#"<testsuite name="testdata/rule-tests/failing.test.yaml" tests="5" failures="4" errors="0">"#), "{out}");
    assert!(out.contains(r#"<testsuite name="rules/tests/falco-rulec_rules.yaml" tests="12" failures="0" errors="0">"#), "{out}");
    // Well-formed: every element is closed in order.
    let mut stack: Vec<String> = Vec::new();
    let mut rest = out.split_once("?>").expect("declaration").1;
    let (mut testcases, mut failures) = (0, 0);
    while let Some(i) = rest.find('<') {
        let j = rest[i..].find('>').expect("tag closed") + i;
        let tag = &rest[i + 1..j];
        assert!(
            !rest[..i].contains(['<', '>']),
            "stray markup: {}",
            &rest[..i]
        );
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else {
            let name = tag
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_end_matches('/');
            testcases += usize::from(name == "testcase");
            failures += usize::from(name == "failure");
            if !tag.ends_with('/') {
                stack.push(name.to_owned());
            }
        }
        rest = &rest[j + 1..];
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert_eq!((testcases, failures), (17, 4));
}

#[test]
fn json_output_and_coverage() {
    let o = run(&["--format", "json", "--coverage", "rules/"]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(v["passed"], 12);
    assert_eq!(v["failed"], 0);
    assert_eq!(v["coverage"]["rules_fired"], 4);
    assert_eq!(v["coverage"]["exceptions_exercised"], 1);
}

#[test]
fn bad_test_file_has_a_position_and_exit_1() {
    let dir = std::env::temp_dir().join(format!("falco-rulec-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join("bad.test.yaml");
    std::fs::write(
        &p,
        "rules: [nope.yaml]\ntests:\n  - name: a\n    event: {evt.type: open}\n    fire: [X]\n",
    )
    .expect("write");
    let o = run(&[p.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(
            "bad.test.yaml:5:5: error: unknown key `fire` in a test (did you mean `fires`?)"
        ),
        "{out}"
    );
    assert!(out.lines().any(|l| l == "0 passed, 0 failed"), "{out}");
    // Missing rules file: points at the `rules:` line.
    std::fs::write(
        &p,
        "rules: [nope.yaml]\ntests:\n  - name: a\n    event: {evt.type: open}\n",
    )
    .expect("write");
    let out = stdout(&run(&[p.to_str().expect("utf-8")]));
    assert!(
        out.contains("bad.test.yaml:1: error: rules file `nope.yaml` not found"),
        "{out}"
    );
    // Usage errors exit 2.
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(
        run(&["rules/falco-rulec_rules.yaml"]).status.code(),
        Some(2)
    );
}

#[test]
fn corpus_test_files_pass_with_full_rule_coverage() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    for (file, rules, tests) in [
        ("testdata/corpus-tests/k8s_audit_rules.test.yaml", 48, 89),
        (
            "testdata/corpus-tests/aws_cloudtrail_rules.test.yaml",
            22,
            44,
        ),
    ] {
        let o = run(&[
            "--format",
            "json",
            "--require-coverage",
            "--rules-path",
            dir.to_str().expect("utf-8"),
            file,
        ]);
        let v = json(&o);
        assert_eq!(o.status.code(), Some(0), "{file}: {v:#}");
        assert_eq!(v["failed"], 0, "{file}");
        assert_eq!(v["passed"], tests, "{file}");
        assert_eq!(v["coverage"]["rules_fired"], rules, "{file}");
        assert_eq!(v["coverage"]["rules_total"], rules, "{file}");
        // Every rule has a test where it fires and one where it is listed as not firing.
        let names: Vec<&str> = v["coverage"]["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| r["rule"].as_str().expect("name"))
            .collect();
        let text = std::fs::read_to_string(repo().join(file)).expect("test file");
        for n in names {
            let listed = text
                .lines()
                .filter(|l| l.trim_start().starts_with("not_fires:"))
                .any(|l| l.contains(&format!("\"{n}\"")));
            assert!(listed, "{file}: no non-firing test for `{n}`");
        }
    }
}

#[test]
fn corpus_directory_runs_via_env_var() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let o = common::bin()
        .args(["test", "testdata/corpus-tests/"])
        .env("FALCO_RULEC_RULES_PATH", &dir)
        .output()
        .expect("binary runs");
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.lines().any(|l| l == "133 passed, 0 failed"), "{out}");
}

#[test]
fn corpus_tests_fail_clearly_without_the_corpus_path() {
    let o = run(&["testdata/corpus-tests/k8s_audit_rules.test.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("rules file `k8s_audit_rules.yaml` not found"),
        "{out}"
    );
    assert!(out.contains("FALCO_RULEC_RULES_PATH"), "{out}");
}
