//! Golden diagnostics: every case in testdata/diagnostics renders to an insta snapshot, and
//! every diagnostic code has at least one case that produces it.

use std::path::{Path, PathBuf};

use rulec::render::{falco, human};
use rulec::{Analysis, Code, LoadOptions};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/diagnostics")
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .expect("testdata/diagnostics exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// Renders a case the way a user sees it: human output plus Falco's verbose text.
fn render_case(analysis: &Analysis) -> (String, Vec<Code>) {
    let outcome = analysis.load();
    let diags = outcome.unique_diagnostics();
    let mut out = human::render(&diags, &analysis.sources, false);
    out.push_str("---- falco -V ----\n");
    for r in &outcome.results {
        out.push_str(&falco::verbose(r, &analysis.sources));
    }
    (out, diags.iter().map(|d| d.code).collect())
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .and_then(|s| s.to_str())
        .expect("utf-8 file name")
        .to_owned()
}

#[test]
fn diagnostic_cases_match_snapshots() {
    for path in cases() {
        let name = stem(&path);
        let text = std::fs::read_to_string(&path).expect("case is readable");
        let mut analysis = Analysis::new(LoadOptions::default());
        analysis.add_file(format!("{name}.yaml"), text);
        let (out, codes) = render_case(&analysis);
        let code = Code::lookup(&name[..5]).expect("case names start with a code id");
        assert!(
            codes.contains(&code),
            "{name}: expected {} among {codes:?}\n{out}",
            code.id()
        );
        insta::with_settings!({snapshot_path => "snapshots/diagnostics", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, out);
        });
    }
}

#[test]
fn unreadable_file_is_e0001() {
    let mut analysis = Analysis::new(LoadOptions::default());
    analysis.add_unreadable(
        "missing.yaml",
        "Could not read file: No such file or directory (os error 2)",
    );
    let (out, codes) = render_case(&analysis);
    assert_eq!(codes, [Code::FileRead]);
    insta::with_settings!({snapshot_path => "snapshots/diagnostics", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("E0001_unreadable", out);
    });
}

#[test]
fn every_code_has_a_case() {
    let names: Vec<String> = cases().iter().map(|p| stem(p)).collect();
    for code in Code::ALL {
        if *code == Code::FileRead {
            continue; // covered by unreadable_file_is_e0001
        }
        assert!(
            names.iter().any(|n| n.starts_with(code.id())),
            "no testdata/diagnostics case for {} ({})",
            code.id(),
            code.falco_name()
        );
    }
}
