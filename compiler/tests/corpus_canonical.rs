//! Canonical AST strings (§2.11) of every macro and rule condition of the upstream corpus,
//! as loaded (before list and macro expansion) and after full expansion. Skips with a printed
//! reason when ../shared is absent.

use std::fmt::Write;
use std::path::Path;

use rulec::condition::{parse, ParseOptions};
use rulec::span::FileId;
use rulec::{Analysis, LoadOptions};

#[test]
fn corpus_condition_canonical_forms() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/rules");
    if !dir.is_dir() {
        println!("skipped: corpus not found at {}", dir.display());
        return;
    }
    for file in [
        "falco_rules.yaml",
        "k8s_audit_rules.yaml",
        "aws_cloudtrail_rules.yaml",
    ] {
        let mut a = Analysis::new(LoadOptions::default());
        a.add_file(
            file,
            std::fs::read_to_string(dir.join(file)).expect("corpus file"),
        );
        let o = a.load();
        let mut out = String::new();
        let opts = ParseOptions::default();
        for m in &o.collection.macros {
            let raw = parse(m.cond.as_str(), FileId(0), &opts).expect("macro parses");
            writeln!(out, "macro {}\n  {raw}", m.name).expect("write");
        }
        for r in &o.compiled.rules {
            let rule = &o.collection.rules[r.rule];
            let raw = parse(rule.cond.as_str(), FileId(0), &opts).expect("rule parses");
            let expanded = r.ast.as_ref().expect("rule compiles");
            writeln!(out, "rule {}\n  {raw}\n  => {expanded}", rule.name).expect("write");
        }
        insta::assert_snapshot!(file, out);
    }
}
