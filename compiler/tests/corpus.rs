//! The upstream rulesets in ../shared/corpus/rules load with no error. Skips with a printed
//! reason when the corpus is not present (a user's clone has no ../shared).

mod common;
use common::corpus_dir;

use std::path::Path;

use rulec::{Analysis, Code, LoadOptions, Severity};

const FILES: [&str; 3] = [
    "falco_rules.yaml",
    "k8s_audit_rules.yaml",
    "aws_cloudtrail_rules.yaml",
];

fn load(dir: &Path, files: &[&str]) -> (Analysis, rulec::LoadOutcome) {
    let mut a = Analysis::new(LoadOptions::default());
    for f in files {
        let text = std::fs::read_to_string(dir.join(f)).expect("corpus file readable");
        a.add_file(*f, text);
    }
    let o = a.load();
    (a, o)
}

fn errors(o: &rulec::LoadOutcome) -> Vec<String> {
    o.unique_diagnostics()
        .into_iter()
        .filter(|d| d.severity() == Severity::Error)
        .map(|d| format!("{} {}", d.code.id(), d.message))
        .collect()
}

#[test]
fn each_corpus_file_loads_without_errors() {
    let Some(dir) = corpus_dir() else { return };
    for f in FILES {
        let (_, o) = load(&dir, &[f]);
        assert!(o.successful(), "{f}: {:?}", errors(&o));
        // Falco gives no unused/structure warnings on the upstream files. With typechecking
        // the only other warnings Falco 0.44.1 could print are LOAD_NO_EVTTYPE (event-type set
        // empty or > 100 codes) and LOAD_COMPILE_CONDITION; none of our own RULEC_* lints may
        // fire on the upstream files (today the three files give no warning at all).
        let warnings: Vec<_> = o
            .unique_diagnostics()
            .into_iter()
            .filter(|d| d.severity() == Severity::Warning)
            .map(|d| (d.code, d.message.clone()))
            .collect();
        assert!(
            warnings.iter().all(|(c, _)| *c == Code::UnusedMacro
                || *c == Code::UnusedList
                || *c == Code::DeprecatedItem
                || *c == Code::NoEvttype
                || *c == Code::CompileCondition),
            "{f}: {warnings:?}"
        );
    }
}

#[test]
fn corpus_files_load_together() {
    let Some(dir) = corpus_dir() else { return };
    let (_, o) = load(&dir, &FILES);
    assert_eq!(o.results.len(), 3);
    assert!(o.successful(), "{:?}", errors(&o));
    assert!(o.compiled.rules.iter().all(|r| r.ast.is_some()));
}
