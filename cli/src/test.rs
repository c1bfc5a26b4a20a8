//! `falco-rulec test`: run rule unit tests (YAML test files, see docs/rule-tests.md).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use rulec::testing::file::looks_like_test_file;
use rulec::testing::{load_test_file, Coverage, Failure, Suite, TestFile, TestResult};
use rulec::LoadOptions;
use serde_json::json;

use crate::lint::{analysis_for, collect_files_with};

/// Environment variable with extra directories (`:`-separated) where `rules:` entries of test
/// files are looked up.
pub const RULES_PATH_ENV: &str = "FALCO_RULEC_RULES_PATH";

/// Output formats of `test`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Per-test ok/FAILED lines, failure diffs and a `N passed, M failed` summary.
    Human,
    /// JUnit XML (one testsuite per test file).
    Junit,
    /// One JSON document with every result (and the coverage with --coverage).
    Json,
}

/// Arguments of `test`.
#[derive(Args, Debug)]
pub struct TestArgs {
    /// Rules files, test files, or directories (searched recursively). A YAML mapping with a
    /// `tests` key is a test file; anything else is a rules file, loaded before each test
    /// file's own `rules:`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Report rules no test makes fire and exceptions no test shows suppressing a match.
    #[arg(long)]
    pub coverage: bool,
    /// Exit 1 when coverage is incomplete (implies --coverage).
    #[arg(long)]
    pub require_coverage: bool,
    /// Directory where `rules:` entries not found next to the test file are looked up
    /// (repeatable; also FALCO_RULEC_RULES_PATH, `:`-separated).
    #[arg(long = "rules-path", value_name = "DIR")]
    pub rules_path: Vec<PathBuf>,
}

/// The outcome of one test file.
struct FileRun {
    name: String,
    /// Load error (test file or rules), when the tests could not run.
    error: Option<String>,
    results: Vec<TestResult>,
}

fn resolve_rules(tf: &TestFile, search: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    tf.resolve_rules(search).map_err(|e| {
        let looked: Vec<String> = e.looked.iter().map(|c| c.display().to_string()).collect();
        format!(
            "{}:{}: error: rules file `{}` not found (looked in: {}); pass --rules-path DIR or set {RULES_PATH_ENV}",
            tf.name,
            e.entry.line,
            e.entry.path,
            looked.join(", ")
        )
    })
}

fn run_file(path: &Path, cli_rules: &[PathBuf], search: &[PathBuf]) -> (FileRun, Option<Coverage>) {
    let name = path.display().to_string();
    let fail = |error: String| {
        (
            FileRun {
                name: name.clone(),
                error: Some(error),
                results: Vec::new(),
            },
            None,
        )
    };
    let tf = match load_test_file(path) {
        Ok(tf) => tf,
        Err(e) => return fail(e.to_string()),
    };
    let own = match resolve_rules(&tf, search) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mut seen = HashSet::new();
    let files: Vec<PathBuf> = cli_rules
        .iter()
        .chain(&own)
        .filter(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())))
        .cloned()
        .collect();
    if files.is_empty() {
        return fail(format!(
            "{name}: error: no rules to test: list rules files under `rules:` or pass them on the command line"
        ));
    }
    let analysis = analysis_for(&files, LoadOptions::default(), u64::MAX);
    let outcome = analysis.load();
    if !outcome.successful() {
        return fail(format!(
            "{name}: error: the rules under test do not load:\n{}",
            rulec::render::error_lines(&outcome, &analysis.sources)
        ));
    }
    let mut suite = Suite::new(&analysis, &outcome);
    let results = tf.tests.iter().map(|t| suite.run(t)).collect();
    (
        FileRun {
            name,
            error: None,
            results,
        },
        Some(suite.coverage().clone()),
    )
}

/// Runs `test`.
pub fn run(args: &TestArgs) -> Result<ExitCode> {
    let all = collect_files_with(&args.paths, true)?;
    let mut rules = Vec::new();
    let mut tests = Vec::new();
    for f in all {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let named_test = f.components().any(|c| c.as_os_str() == "tests")
            || f.to_string_lossy().ends_with(".test.yaml");
        if looks_like_test_file(&text)
            || (named_test && rulec::yaml::parse_stream(rulec::span::FileId(0), &text).is_err())
        {
            tests.push(f);
        } else {
            rules.push(f);
        }
    }
    if tests.is_empty() {
        bail!("no test files among the given paths (a test file is a YAML mapping with a `tests` list)");
    }
    let mut search = args.rules_path.clone();
    if let Some(env) = std::env::var_os(RULES_PATH_ENV) {
        search.extend(std::env::split_paths(&env));
    }
    // Rules files named by a test file's `rules:` are loaded by that test file only (so a
    // directory holding a test file and its local overrides works).
    let referenced: HashSet<PathBuf> = tests
        .iter()
        .filter_map(|t| load_test_file(t).ok())
        .filter_map(|tf| resolve_rules(&tf, &search).ok())
        .flatten()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    rules.retain(|r| !std::fs::canonicalize(r).is_ok_and(|c| referenced.contains(&c)));
    let mut runs = Vec::new();
    let mut coverage = Coverage::default();
    for t in &tests {
        let (r, cov) = run_file(t, &rules, &search);
        if let Some(c) = cov {
            coverage.merge(&c);
        }
        runs.push(r);
    }
    let show_cov = args.coverage || args.require_coverage;
    let passed: usize = runs
        .iter()
        .flat_map(|r| &r.results)
        .filter(|r| r.passed())
        .count();
    let failed: usize = runs
        .iter()
        .flat_map(|r| &r.results)
        .filter(|r| !r.passed())
        .count();
    let errors = runs.iter().filter(|r| r.error.is_some()).count();
    let text = match args.format {
        Format::Human => human(&runs, passed, failed, errors, show_cov.then_some(&coverage)),
        Format::Junit => junit(&runs),
        Format::Json => {
            serde_json::to_string_pretty(&json_report(
                &runs,
                passed,
                failed,
                errors,
                show_cov.then_some(&coverage),
            ))? + "\n"
        }
    };
    print!("{text}");
    let incomplete = args.require_coverage && !coverage.complete();
    Ok(if failed > 0 || errors > 0 || incomplete {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn quote_list(v: &[String]) -> String {
    if v.is_empty() {
        "(none)".to_owned()
    } else {
        v.join(", ")
    }
}

/// The human description of a failure (several lines, indented by two spaces).
fn describe(f: &Failure) -> String {
    f.to_string()
}

fn human(
    runs: &[FileRun],
    passed: usize,
    failed: usize,
    errors: usize,
    cov: Option<&Coverage>,
) -> String {
    let mut out = String::new();
    for r in runs {
        if let Some(e) = &r.error {
            let _ = writeln!(out, "{}: could not run tests\n{e}\n", r.name);
            continue;
        }
        let _ = writeln!(out, "running {} tests from {}", r.results.len(), r.name);
        for t in &r.results {
            let status = if t.passed() { "ok" } else { "FAILED" };
            let _ = writeln!(out, "test {} ... {status}", t.name);
        }
        let fails: Vec<&TestResult> = r.results.iter().filter(|t| !t.passed()).collect();
        if !fails.is_empty() {
            let _ = writeln!(out, "\nfailures:");
            for t in fails {
                let _ = writeln!(out, "\n---- {} ({}:{}) ----", t.name, r.name, t.line);
                let _ = writeln!(out, "  rules (- expected to fire, + unexpectedly fired):");
                for f in &t.failures {
                    let _ = writeln!(out, "    {}", describe(f));
                }
                let _ = writeln!(out, "  fired: {}", quote_list(&t.fired));
            }
        }
        out.push('\n');
    }
    if let Some(c) = cov {
        out.push_str(&human_coverage(c));
        out.push('\n');
    }
    if errors > 0 {
        let _ = writeln!(out, "{errors} test file(s) could not be run");
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    out
}

fn human_coverage(c: &Coverage) -> String {
    let mut out = String::new();
    let (rf, rt) = c.rule_counts();
    let (ef, et) = c.exception_counts();
    let _ = writeln!(
        out,
        "coverage: {rf}/{rt} rules fired, {ef}/{et} exceptions exercised"
    );
    let unfired: Vec<_> = c.unfired_rules().collect();
    if !unfired.is_empty() {
        let _ = writeln!(out, "rules no test makes fire:");
        for r in unfired {
            let _ = writeln!(out, "  {} ({}:{})", r.rule, r.file, r.line);
        }
    }
    let unex: Vec<_> = c.unexercised_exceptions().collect();
    if !unex.is_empty() {
        let _ = writeln!(out, "exceptions that never suppressed a match:");
        for e in unex {
            let _ = writeln!(
                out,
                "  {} / {} ({}:{})",
                e.rule, e.exception, e.file, e.line
            );
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => o.push(c),
        }
    }
    o
}

fn junit(runs: &[FileRun]) -> String {
    let total: usize = runs
        .iter()
        .map(|r| r.results.len().max(usize::from(r.error.is_some())))
        .sum();
    let failures: usize = runs
        .iter()
        .flat_map(|r| &r.results)
        .filter(|t| !t.passed())
        .count();
    let errors = runs.iter().filter(|r| r.error.is_some()).count();
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        o,
        "<testsuites name=\"falco-rulec test\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\">"
    );
    for r in runs {
        let name = xml_escape(&r.name);
        if let Some(e) = &r.error {
            let _ = writeln!(
                o,
                "  <testsuite name=\"{name}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase name=\"load\" classname=\"{name}\">\n      <error message=\"test file could not be run\">{}</error>\n    </testcase>\n  </testsuite>",
                xml_escape(e)
            );
            continue;
        }
        let f = r.results.iter().filter(|t| !t.passed()).count();
        let _ = writeln!(
            o,
            "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{f}\" errors=\"0\">",
            r.results.len()
        );
        for t in &r.results {
            let tn = xml_escape(&t.name);
            if t.passed() {
                let _ = writeln!(o, "    <testcase name=\"{tn}\" classname=\"{name}\"/>");
            } else {
                let body: Vec<String> = t.failures.iter().map(describe).collect();
                let _ = writeln!(
                    o,
                    "    <testcase name=\"{tn}\" classname=\"{name}\">\n      <failure message=\"{} problem(s) at {}:{}\">{}\nfired: {}</failure>\n    </testcase>",
                    t.failures.len(),
                    name,
                    t.line,
                    xml_escape(&body.join("\n")),
                    xml_escape(&quote_list(&t.fired))
                );
            }
        }
        let _ = writeln!(o, "  </testsuite>");
    }
    o.push_str("</testsuites>\n");
    o
}

fn json_report(
    runs: &[FileRun],
    passed: usize,
    failed: usize,
    errors: usize,
    cov: Option<&Coverage>,
) -> serde_json::Value {
    let files: Vec<_> = runs
        .iter()
        .map(|r| {
            json!({
                "file": r.name,
                "error": r.error,
                "tests": r.results.iter().map(|t| json!({
                    "name": t.name,
                    "line": t.line,
                    "passed": t.passed(),
                    "fired": t.fired,
                    "failures": t.failures.iter().map(describe).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut v = json!({
        "passed": passed,
        "failed": failed,
        "errors": errors,
        "files": files,
    });
    if let Some(c) = cov {
        let (rf, rt) = c.rule_counts();
        let (ef, et) = c.exception_counts();
        v["coverage"] = json!({
            "rules_fired": rf,
            "rules_total": rt,
            "exceptions_exercised": ef,
            "exceptions_total": et,
            "rules": c.rules,
            "exceptions": c.exceptions,
        });
    }
    v
}
