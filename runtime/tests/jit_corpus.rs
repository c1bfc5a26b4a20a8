//! The whole corpus against recorded event streams: for every ruleset and every event we have
//! (the rule-test files of rules/ and testdata/corpus-tests, and the event files of
//! testdata/events), the JIT matches exactly the rules the interpreter matches, and every rule
//! compiles natively. Corpus rulesets are skipped with a printed reason when ../shared is
//! absent.

use std::path::{Path, PathBuf};

use rulec::lower::{lower_outcome, Program};
use rulec::testing::file::load_test_file;
use rulec::{Analysis, LoadOptions};
use rulec_runtime::engine::{Backend, Engine};
use rulec_runtime::event::{Event, FieldMapEvent, TypedEvent};
use rulec_runtime::extract::JsonEvent;
use rulec_runtime::jit::{JitEvaluator, JitProgram};

#[path = "../../compiler/tests/common/mod.rs"]
mod common;
use common::corpus_dir;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn programs(files: &[PathBuf]) -> Vec<Program> {
    let mut a = Analysis::new(LoadOptions::default());
    for f in files {
        let text = std::fs::read_to_string(f).expect("rules file");
        a.add_file(f.display().to_string(), text);
    }
    lower_outcome(&a.load())
}

/// Compares both backends on `events`; returns the number of matches.
fn agree(progs: &[Program], events: &[&dyn Event], what: &str) -> usize {
    let mut matches = 0;
    for prog in progs {
        let jit = JitProgram::compile(prog).expect("JIT compiles");
        assert_eq!(
            jit.stats.lists_interpreted, 0,
            "{what}: every rule list compiles"
        );
        let mut it = Engine::new(Backend::Interpreter, prog, None);
        let mut je = JitEvaluator::new(&jit, prog);
        for (i, e) in events.iter().enumerate() {
            let want = it.matching_rules(*e);
            assert_eq!(je.matching_rules(*e), want, "{what}: event {i}");
            matches += want.len();
        }
    }
    matches
}

fn test_file(path: &Path, search: &[PathBuf]) -> usize {
    let tf = load_test_file(path).expect("test file parses");
    let files = tf.resolve_rules(search).expect("rules files resolve");
    let progs = programs(&files);
    let events: Vec<&dyn Event> = tf
        .tests
        .iter()
        .flat_map(|t| t.events.iter().map(|e| e.as_event()))
        .collect();
    assert!(!events.is_empty());
    agree(&progs, &events, &path.display().to_string())
}

#[test]
fn our_rules_on_their_tests() {
    let n = test_file(&root().join("rules/tests/falco-rulec_rules.yaml"), &[]);
    assert!(n > 0, "some rules fire");
}

#[test]
fn corpus_rules_on_their_tests() {
    let Some(dir) = corpus_dir() else { return };
    for f in [
        "k8s_audit_rules.test.yaml",
        "aws_cloudtrail_rules.test.yaml",
    ] {
        let n = test_file(
            &root().join("testdata/corpus-tests").join(f),
            std::slice::from_ref(&dir),
        );
        assert!(n > 0, "{f}: some rules fire");
    }
}

#[test]
fn corpus_rules_on_event_streams() {
    let Some(dir) = corpus_dir() else { return };
    let events = root().join("testdata/events");
    let read = |f: &str| std::fs::read_to_string(events.join(f)).expect("event file");

    let typed: Vec<TypedEvent> = FieldMapEvent::parse_many("syscall", &read("syscall_mix.json"))
        .expect("syscall mix")
        .into_iter()
        .map(TypedEvent::new)
        .collect();
    let evs: Vec<&dyn Event> = typed.iter().map(|e| e as &dyn Event).collect();
    let progs = programs(&[dir.join("falco_rules.yaml")]);
    assert_eq!(agree(&progs, &evs, "falco_rules.yaml"), 8);

    for (rules, source, file) in [
        ("k8s_audit_rules.yaml", "k8s_audit", "k8s_audit.json"),
        (
            "aws_cloudtrail_rules.yaml",
            "aws_cloudtrail",
            "cloudtrail.json",
        ),
    ] {
        let json = JsonEvent::parse_many(source, &read(file)).expect("events");
        let evs: Vec<&dyn Event> = json.iter().map(|e| e as &dyn Event).collect();
        let progs = programs(&[dir.join(rules)]);
        agree(&progs, &evs, rules);
    }
}
