//! Rule tests in the editor: which rule-test files of the workspace test which rules (for the
//! "Run tests" code lens) and running them in-process with [`rulec::testing`], exactly as
//! `falco-rulec test` does (format and semantics in `docs/rule-tests.md`).
//!
//! A test file *applies* to a rules file when its `rules:` entries resolve (next to the test
//! file, then in the search directories: setting `falcoRulec.rulesPath`, then
//! `FALCO_RULEC_RULES_PATH`) to a list containing that file; a test file without `rules:`
//! applies to the files of the workspace model. A test *tests* a rule when it names it under
//! `fires`, `not_fires` or `output_fields`. Runs use the editor's text of open documents,
//! saved or not.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use rulec::testing::file::{looks_like_test_file, normalize_path};
use rulec::testing::{parse_test_file, Suite, TestFile};
use rulec::{Analysis, LoadOptions};
use serde::Serialize;

use crate::workspace;

/// The command the code lens runs (`workspace/executeCommand`), with one argument
/// `{"uri": <rules file>, "rule": <rule name, or absent for every test of the file>}`.
pub const RUN_COMMAND: &str = "falco-rulec.runRuleTests";

/// Environment variable with extra directories (`:`-separated) where `rules:` entries are
/// looked up (the same as `falco-rulec test`).
pub const RULES_PATH_ENV: &str = "FALCO_RULEC_RULES_PATH";

/// One test of a test file, as far as the code lens needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestEntry {
    pub name: String,
    pub line: u32,
    /// Rules the test names.
    pub rules: Vec<String>,
}

/// A test file of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFileEntry {
    pub path: PathBuf,
    /// The canonical paths of its resolved `rules:` (empty: the workspace model), or why they
    /// do not resolve.
    pub rules: Result<Vec<PathBuf>, String>,
    pub tests: Vec<TestEntry>,
}

impl TestFileEntry {
    /// Whether the file's tests run against rules file `path` (canonical); `in_model` says
    /// whether that file belongs to the workspace model.
    pub fn applies_to(&self, path: &Path, in_model: bool) -> bool {
        match &self.rules {
            Ok(r) if r.is_empty() => in_model,
            Ok(r) => r.iter().any(|p| p == path),
            Err(_) => false,
        }
    }
}

/// What a parsed test file contributes before its `rules:` are resolved.
#[derive(Debug, Clone)]
struct Parsed {
    file: TestFile,
    tests: Vec<TestEntry>,
}

/// The test files of the workspace folders, re-parsed only when they change.
#[derive(Debug, Default)]
pub struct TestIndex {
    /// Path → (modification stamp or open text, the parse; `None`: not a valid test file).
    cache: HashMap<PathBuf, (Stamp, Option<Arc<Parsed>>)>,
    pub files: Vec<TestFileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stamp {
    Disk(Option<SystemTime>, u64),
    Open(String),
}

/// The canonical form of a path (the path itself, normalized, when it does not exist).
pub fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| normalize_path(p))
}

/// Cheap check before parsing: a test file has a top-level `tests:` key.
pub fn may_be_test_file(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("tests:"))
}

/// True for the text of a rule-test file (a mapping with a `tests` key).
pub fn is_test_file(text: &str) -> bool {
    may_be_test_file(text) && looks_like_test_file(text)
}

fn parse(path: &Path, text: &str) -> Option<Parsed> {
    if !is_test_file(text) {
        return None;
    }
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let file = parse_test_file(&path.display().to_string(), text, &dir).ok()?;
    let tests = file
        .tests
        .iter()
        .map(|t| TestEntry {
            name: t.name.clone(),
            line: t.line,
            rules: t.named_rules().into_iter().map(str::to_owned).collect(),
        })
        .collect();
    Some(Parsed { file, tests })
}

impl TestIndex {
    /// Rescans `roots` for test files; `open` maps paths of open documents to their text.
    /// Returns whether the index changed.
    pub fn refresh(
        &mut self,
        roots: &[PathBuf],
        open: &HashMap<PathBuf, String>,
        search: &[PathBuf],
    ) -> bool {
        let mut paths: Vec<PathBuf> = roots.iter().flat_map(|r| workspace::walk_yaml(r)).collect();
        for p in open.keys() {
            if workspace::is_yaml(p) && !paths.contains(p) {
                paths.push(p.clone());
            }
        }
        paths.sort();
        paths.dedup();
        let mut cache = HashMap::with_capacity(paths.len());
        let mut files = Vec::new();
        for p in paths {
            let stamp = match open.get(&p) {
                Some(t) => Stamp::Open(t.clone()),
                None => match std::fs::metadata(&p) {
                    Ok(m) => Stamp::Disk(m.modified().ok(), m.len()),
                    Err(_) => continue,
                },
            };
            let parsed = match self.cache.remove(&p) {
                Some((old, parsed)) if old == stamp => parsed,
                _ => {
                    let text = match &stamp {
                        Stamp::Open(t) => Some(t.clone()),
                        Stamp::Disk(..) => std::fs::read_to_string(&p).ok(),
                    };
                    text.and_then(|t| parse(&p, &t)).map(Arc::new)
                }
            };
            if let Some(pf) = &parsed {
                let rules = pf
                    .file
                    .resolve_rules(search)
                    .map(|v| v.iter().map(|r| canonical(r)).collect())
                    .map_err(|e| format!("rules file `{}` not found", e.entry.path));
                files.push(TestFileEntry {
                    path: p.clone(),
                    rules,
                    tests: pf.tests.clone(),
                });
            }
            cache.insert(p, (stamp, parsed));
        }
        self.cache = cache;
        let changed = files != self.files;
        self.files = files;
        changed
    }

    /// The tests naming `rule` (every test, for `None`) of the test files that apply to the
    /// rules file `path`: (test file, test names).
    pub fn tests_of(
        &self,
        path: &Path,
        in_model: bool,
        rule: Option<&str>,
    ) -> Vec<(&TestFileEntry, Vec<&TestEntry>)> {
        self.files
            .iter()
            .filter(|f| f.applies_to(path, in_model))
            .map(|f| {
                let tests = f
                    .tests
                    .iter()
                    .filter(|t| rule.is_none_or(|r| t.rules.iter().any(|n| n == r)))
                    .collect();
                (f, tests)
            })
            .collect()
    }
}

/// Everything a run needs, collected from the server state (the run itself is off the main
/// loop).
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// The rule, or `None` for every test of the test files applying to `file`.
    pub rule: Option<String>,
    /// The rules file (canonical path).
    pub file: PathBuf,
    /// Whether `file` is in the workspace model.
    pub in_model: bool,
    /// The test files to consider.
    pub test_files: Vec<PathBuf>,
    /// Text of open documents by canonical path.
    pub open: HashMap<PathBuf, String>,
    /// The workspace model (path, display name, text), for test files without `rules:`.
    pub model: Vec<(PathBuf, String, String)>,
    pub search: Vec<PathBuf>,
    /// Workspace folders, for display names.
    pub roots: Vec<PathBuf>,
    pub options: LoadOptions,
}

/// The outcome of one test.
#[derive(Debug, Clone, Serialize)]
pub struct TestOutcome {
    pub name: String,
    pub line: u32,
    pub passed: bool,
    /// One entry per problem (`- R`, `+ R`, `~ output fields ...`, `! ...`).
    pub failures: Vec<String>,
    /// Rules that fired, in rule order.
    pub fired: Vec<String>,
}

/// The outcome of the selected tests of one test file.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    /// The test file, relative to its workspace folder.
    pub file: String,
    /// Why the tests could not run (test file invalid, rules not found or not loading).
    pub error: Option<String>,
    pub tests: Vec<TestOutcome>,
}

/// The result of the command.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub rule: Option<String>,
    pub passed: usize,
    pub failed: usize,
    /// Test files that could not run.
    pub errors: usize,
    /// One line: what ran and how it went.
    pub summary: String,
    pub files: Vec<FileOutcome>,
}

impl RunReport {
    /// True when every selected test ran and passed (and at least one ran).
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.errors == 0 && self.passed > 0
    }

    /// The report as `falco-rulec test` prints it: per test `ok`/`FAILED`, the failures,
    /// then the summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for f in &self.files {
            if let Some(e) = &f.error {
                let _ = writeln!(out, "{}: could not run tests\n{e}\n", f.file);
                continue;
            }
            let _ = writeln!(out, "running {} tests from {}", f.tests.len(), f.file);
            for t in &f.tests {
                let status = if t.passed { "ok" } else { "FAILED" };
                let _ = writeln!(out, "test {} ... {status}", t.name);
            }
            for t in f.tests.iter().filter(|t| !t.passed) {
                let _ = writeln!(out, "\n---- {} ({}:{}) ----", t.name, f.file, t.line);
                for p in &t.failures {
                    let _ = writeln!(out, "    {p}");
                }
                let fired = if t.fired.is_empty() {
                    "(none)".to_owned()
                } else {
                    t.fired.join(", ")
                };
                let _ = writeln!(out, "  fired: {fired}");
            }
            out.push('\n');
        }
        out.push_str(&self.summary);
        out.push('\n');
        out
    }

    /// A short message for a notification: the summary, then each failing test with its
    /// first problems (at most `max` tests).
    pub fn message(&self, max: usize) -> String {
        let mut out = self.summary.clone();
        let mut shown = 0;
        for f in &self.files {
            if let Some(e) = &f.error {
                let _ = write!(out, "\n{}: {}", f.file, e.lines().next().unwrap_or(""));
                continue;
            }
            for t in f.tests.iter().filter(|t| !t.passed) {
                if shown == max {
                    out.push_str("\n…");
                    return out;
                }
                shown += 1;
                let _ = write!(out, "\n✘ {} ({}:{})", t.name, f.file, t.line);
                for p in &t.failures {
                    let _ = write!(out, "\n    {}", p.lines().next().unwrap_or(""));
                }
            }
        }
        out
    }
}

fn display_name(p: &Path, roots: &[PathBuf]) -> String {
    roots
        .iter()
        .find_map(|r| p.strip_prefix(canonical(r)).ok().or(p.strip_prefix(r).ok()))
        .unwrap_or(p)
        .display()
        .to_string()
}

impl RunRequest {
    fn text_of(&self, p: &Path) -> Result<String, String> {
        if let Some(t) = self.open.get(&canonical(p)) {
            return Ok(t.clone());
        }
        std::fs::read_to_string(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))
    }

    /// Runs the selected tests.
    pub fn run(&self) -> RunReport {
        let mut files = Vec::new();
        for tf in &self.test_files {
            if let Some(f) = self.run_file(tf) {
                files.push(f);
            }
        }
        let passed = files
            .iter()
            .flat_map(|f| &f.tests)
            .filter(|t| t.passed)
            .count();
        let failed = files
            .iter()
            .flat_map(|f| &f.tests)
            .filter(|t| !t.passed)
            .count();
        let errors = files.iter().filter(|f| f.error.is_some()).count();
        let what = match &self.rule {
            Some(r) => format!("`{r}`"),
            None => format!("`{}`", display_name(&self.file, &self.roots)),
        };
        let summary = if passed + failed + errors == 0 {
            format!("{what}: no tests")
        } else {
            let mut s = format!(
                "{} {what}: {passed} passed, {failed} failed",
                if failed + errors == 0 { "✔" } else { "✘" }
            );
            if errors > 0 {
                let _ = write!(s, ", {errors} test file(s) could not run");
            }
            s
        };
        RunReport {
            rule: self.rule.clone(),
            passed,
            failed,
            errors,
            summary,
            files,
        }
    }

    /// Runs the selected tests of one test file (`None` when it has none or does not apply).
    fn run_file(&self, path: &Path) -> Option<FileOutcome> {
        let name = display_name(path, &self.roots);
        let fail = |error: String| {
            Some(FileOutcome {
                file: name.clone(),
                error: Some(error),
                tests: Vec::new(),
            })
        };
        let text = match self.text_of(path) {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let tf = match parse_test_file(&name, &text, &dir) {
            Ok(tf) => tf,
            Err(e) => return fail(e.to_string()),
        };
        let selected: Vec<_> = tf
            .tests
            .iter()
            .filter(|t| {
                self.rule
                    .as_deref()
                    .is_none_or(|r| t.named_rules().contains(&r))
            })
            .collect();
        if selected.is_empty() {
            return None;
        }
        let rules: Vec<(PathBuf, String)> = match tf.resolve_rules(&self.search) {
            Err(e) => {
                return fail(format!(
                    "{name}:{}: rules file `{}` not found (looked in: {}); add its directory to the setting `falcoRulec.rulesPath` or to {RULES_PATH_ENV}",
                    e.entry.line,
                    e.entry.path,
                    e.looked
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
            Ok(r) if r.is_empty() => {
                if !self.in_model {
                    return None;
                }
                self.model
                    .iter()
                    .map(|(p, n, _)| (p.clone(), n.clone()))
                    .collect()
            }
            Ok(r) => {
                let canon: Vec<PathBuf> = r.iter().map(|p| canonical(p)).collect();
                if !canon.contains(&self.file) {
                    return None;
                }
                canon
                    .into_iter()
                    .map(|p| {
                        let n = display_name(&p, &self.roots);
                        (p, n)
                    })
                    .collect()
            }
        };
        let mut analysis = Analysis::new(self.options.clone());
        for (p, n) in &rules {
            let model_text = self
                .model
                .iter()
                .find(|(mp, _, _)| mp == p)
                .map(|(_, _, t)| Ok(t.clone()));
            match model_text.unwrap_or_else(|| self.text_of(p)) {
                Ok(t) => {
                    analysis.add_file(n.clone(), t);
                }
                Err(e) => {
                    analysis.add_unreadable(n.clone(), e);
                }
            }
        }
        let outcome = analysis.load();
        if !outcome.successful() {
            return fail(format!(
                "the rules under test do not load:\n{}",
                rulec::render::error_lines(&outcome, &analysis.sources)
            ));
        }
        let mut suite = Suite::new(&analysis, &outcome);
        let tests = selected
            .into_iter()
            .map(|t| {
                let r = suite.run(t);
                TestOutcome {
                    passed: r.passed(),
                    failures: r.failures.iter().map(ToString::to_string).collect(),
                    name: r.name,
                    line: r.line,
                    fired: r.fired,
                }
            })
            .collect();
        Some(FileOutcome {
            file: name,
            error: None,
            tests,
        })
    }
}
