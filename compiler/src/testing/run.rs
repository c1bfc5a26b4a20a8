//! Running tests against a loaded ruleset.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

use super::coverage::{Coverage, ExceptionCoverage, RuleCoverage};
use super::file::TestCase;
use crate::load::compile::compile;
use crate::lower::{lower_outcome, Program};
use crate::{Analysis, LoadOutcome};
use rulec_runtime::interp::Interpreter;
use rulec_runtime::output::Alert;

/// Host name put in alerts of test events.
pub const HOSTNAME: &str = "falco-rulec-test";

/// Separator between a rule name and its variant in variant programs (cannot occur in YAML
/// rule names read from files).
const VARIANT_SEP: char = '\u{0}';

/// Why a test failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// A rule in `fires` did not fire.
    DidNotFire(String),
    /// A rule in `not_fires` (or any rule outside `fires` with `only`) fired.
    Fired(String),
    /// A rule named by the test is not defined by the loaded rules files.
    UnknownRule(String),
    /// A rule is defined but disabled or could not be compiled, so it cannot fire.
    InactiveRule(String),
    /// Expected output field values did not match any alert of the rule.
    OutputFields {
        /// The rule.
        rule: String,
        /// `(field, expected, actual values over the rule's alerts)`.
        mismatches: Vec<(String, String, Vec<String>)>,
    },
    /// The test's events are of a source the loaded rules do not use.
    NoRulesForSource(String),
}

impl std::fmt::Display for Failure {
    /// One diff line: `- R` a rule expected to fire that did not, `+ R` a rule that fired but
    /// must not, `~` output fields that differ (one more line per field), `!` an error.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::DidNotFire(r) => write!(f, "- {r}    (expected to fire, did not)"),
            Failure::Fired(r) => write!(f, "+ {r}    (fired, expected not to)"),
            Failure::UnknownRule(r) => {
                write!(f, "! unknown rule `{r}`: no loaded rules file defines it")
            }
            Failure::InactiveRule(r) => {
                write!(
                    f,
                    "! rule `{r}` is disabled or did not compile, so it cannot fire"
                )
            }
            Failure::NoRulesForSource(s) => write!(f, "! no loaded rule has source `{s}`"),
            Failure::OutputFields { rule, mismatches } => {
                write!(f, "~ output fields of `{rule}`:")?;
                for (field, exp, act) in mismatches {
                    let act: Vec<String> = act.iter().map(|a| format!("{a:?}")).collect();
                    write!(
                        f,
                        "\n      {field}: expected {exp:?}, got {}",
                        act.join(" | ")
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// The result of one test.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// Test name.
    pub name: String,
    /// 1-based line of the test.
    pub line: u32,
    /// Rules that fired (on any event), in rule order, without duplicates.
    pub fired: Vec<String>,
    /// Alerts produced, in event order.
    pub alerts: Vec<Alert>,
    /// Failures; empty when the test passed.
    pub failures: Vec<Failure>,
}

impl TestResult {
    /// True when the test passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Variant programs for exception coverage.
struct Variants {
    programs: Vec<Program>,
}

/// A loaded ruleset ready to run tests against.
pub struct Suite {
    programs: Vec<Program>,
    variants: Variants,
    /// Rule name → (enabled and lowered).
    known: BTreeMap<String, bool>,
    coverage: Coverage,
}

fn file_line(analysis: &Analysis, span: crate::span::Span) -> (String, u32) {
    let f = analysis.sources.get(span.file);
    (f.name.clone(), f.line_col(span.start).line + 1)
}

impl Suite {
    /// Lowers a successful load (and the exception variants of its rules).
    pub fn new(analysis: &Analysis, outcome: &LoadOutcome) -> Suite {
        let programs = lower_outcome(outcome);
        let lowered: BTreeSet<&str> = programs
            .iter()
            .flat_map(|p| p.rules.iter().map(|r| r.name.as_str()))
            .collect();
        let mut known = BTreeMap::new();
        let mut coverage = Coverage::default();
        for r in &outcome.collection.rules {
            let active = lowered.contains(r.name.as_str());
            known.insert(r.name.clone(), active);
            if !active {
                continue;
            }
            let (file, line) = file_line(analysis, r.name_span);
            coverage.rules.push(RuleCoverage {
                rule: r.name.clone(),
                file: file.clone(),
                line,
                fired_by: Vec::new(),
            });
            for ex in &r.exceptions {
                let (file, line) = file_line(analysis, ex.span);
                coverage.exceptions.push(ExceptionCoverage {
                    rule: r.name.clone(),
                    exception: ex.name.clone(),
                    file,
                    line,
                    empty: ex.values.is_empty() || ex.fields.is_none(),
                    suppressed: Vec::new(),
                });
            }
        }
        let variants = Self::variants(analysis, outcome, &lowered);
        Suite {
            programs,
            variants,
            known,
            coverage,
        }
    }

    /// Programs where rule `R` with exceptions is replaced by `R\0` (no exception) and
    /// `R\0i` (only exception `i`), for every enabled, lowered rule with non-empty exceptions.
    fn variants(analysis: &Analysis, outcome: &LoadOutcome, lowered: &BTreeSet<&str>) -> Variants {
        let mut coll = outcome.collection.clone();
        let mut rules = Vec::new();
        for r in &outcome.collection.rules {
            if !r.enabled || !lowered.contains(r.name.as_str()) || r.exceptions.is_empty() {
                continue;
            }
            let mut base = r.clone();
            base.name = format!("{}{VARIANT_SEP}", r.name);
            base.exceptions.clear();
            rules.push(base);
            for (i, ex) in r.exceptions.iter().enumerate() {
                if ex.values.is_empty() {
                    continue;
                }
                let mut v = r.clone();
                v.name = format!("{}{VARIANT_SEP}{i}", r.name);
                v.exceptions = vec![ex.clone()];
                rules.push(v);
            }
        }
        if rules.is_empty() {
            return Variants {
                programs: Vec::new(),
            };
        }
        coll.rule_ids = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        coll.rules = rules;
        let (compiled, _) = compile(&mut coll, &analysis.options);
        let vo = LoadOutcome {
            results: Vec::new(),
            collection: coll,
            compiled,
        };
        Variants {
            programs: lower_outcome(&vo),
        }
    }

    /// Runs one test, recording coverage.
    pub fn run(&mut self, test: &TestCase) -> TestResult {
        let mut fired_set = BTreeSet::new();
        let mut alerts = Vec::new();
        let mut failures = Vec::new();
        // Exception index per rule name → suppressed.
        let mut suppressed: BTreeSet<(String, usize)> = BTreeSet::new();
        let prog = self.programs.iter().find(|p| p.source == test.source);
        if prog.is_none() && !test.fires.is_empty() {
            failures.push(Failure::NoRulesForSource(test.source.clone()));
        }
        let mut interp = prog.map(Interpreter::new);
        let mut vinterp = self
            .variants
            .programs
            .iter()
            .find(|p| p.source == test.source)
            .map(Interpreter::new);
        for ev in &test.events {
            let ev = ev.as_event();
            if let Some(i) = interp.as_mut() {
                for a in Alert::for_matches(i, ev, HOSTNAME) {
                    fired_set.insert(a.rule.clone());
                    alerts.push(a);
                }
            }
            if let Some(vi) = vinterp.as_mut() {
                let prog = vi.program();
                let matched: BTreeSet<&str> = vi
                    .matching_rules(ev)
                    .into_iter()
                    .map(|r| prog.rules[r].name.as_str())
                    .collect();
                for name in &matched {
                    let Some((rule, "")) = name.split_once(VARIANT_SEP) else {
                        continue;
                    };
                    // The base matched: every exception variant of the rule that did not
                    // match was suppressed by its exception.
                    for r in &prog.rules {
                        let Some((rn, i)) = r.name.split_once(VARIANT_SEP) else {
                            continue;
                        };
                        if rn == rule && !matched.contains(r.name.as_str()) {
                            if let Ok(idx) = i.parse::<usize>() {
                                suppressed.insert((rule.to_owned(), idx));
                            }
                        }
                    }
                }
            }
        }
        // Fired rules in rule order.
        let fired: Vec<String> = self
            .coverage
            .rules
            .iter()
            .filter(|r| fired_set.contains(&r.rule))
            .map(|r| r.rule.clone())
            .collect();
        let known = &self.known;
        let check_known = |name: &String, failures: &mut Vec<Failure>| {
            let ok = known.contains_key(name);
            if !ok {
                failures.push(Failure::UnknownRule(name.clone()));
            }
            ok
        };
        for r in &test.fires {
            if !check_known(r, &mut failures) {
                continue;
            }
            if known.get(r) == Some(&false) {
                failures.push(Failure::InactiveRule(r.clone()));
            } else if !fired_set.contains(r) {
                failures.push(Failure::DidNotFire(r.clone()));
            }
        }
        for r in &test.not_fires {
            if check_known(r, &mut failures) && fired_set.contains(r) {
                failures.push(Failure::Fired(r.clone()));
            }
        }
        if test.only {
            for r in &fired {
                if !test.fires.contains(r) && !test.not_fires.contains(r) {
                    failures.push(Failure::Fired(r.clone()));
                }
            }
        }
        for (rule, fields) in &test.output_fields {
            if !check_known(rule, &mut failures) {
                continue;
            }
            let mine: Vec<&Alert> = alerts.iter().filter(|a| &a.rule == rule).collect();
            if mine.is_empty() {
                if !test.fires.contains(rule) {
                    failures.push(Failure::DidNotFire(rule.clone()));
                }
                continue;
            }
            let ok = mine.iter().any(|a| {
                fields
                    .iter()
                    .all(|(f, v)| field_text(a, f).as_deref() == Some(v.as_str()))
            });
            if !ok {
                let mismatches = fields
                    .iter()
                    .filter(|(f, v)| {
                        !mine
                            .iter()
                            .any(|a| field_text(a, f).as_deref() == Some(v.as_str()))
                    })
                    .map(|(f, v)| {
                        let actual = mine
                            .iter()
                            .map(|a| {
                                field_text(a, f).unwrap_or_else(|| "<not an output field>".into())
                            })
                            .collect();
                        (f.clone(), v.clone(), actual)
                    })
                    .collect::<Vec<_>>();
                // Every field matches some alert but no single alert matches all of them.
                let mismatches = if mismatches.is_empty() {
                    fields
                        .iter()
                        .map(|(f, v)| {
                            (
                                f.clone(),
                                v.clone(),
                                mine.iter()
                                    .map(|a| field_text(a, f).unwrap_or_default())
                                    .collect(),
                            )
                        })
                        .collect()
                } else {
                    mismatches
                };
                failures.push(Failure::OutputFields {
                    rule: rule.clone(),
                    mismatches,
                });
            }
        }
        // Coverage.
        for rc in &mut self.coverage.rules {
            if fired_set.contains(&rc.rule) {
                rc.fired_by.push(test.name.clone());
            }
        }
        for (rule, idx) in &suppressed {
            let mut k = 0usize;
            for ec in &mut self.coverage.exceptions {
                if &ec.rule == rule {
                    if k == *idx {
                        ec.suppressed.push(test.name.clone());
                    }
                    k += 1;
                }
            }
        }
        TestResult {
            name: test.name.clone(),
            line: test.line,
            fired,
            alerts,
            failures,
        }
    }

    /// Coverage of the tests run so far.
    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }
}

/// The text of an output field of an alert (`<NA>` for a missing value), `None` when the
/// rule's output has no such field.
pub fn field_text(a: &Alert, field: &str) -> Option<String> {
    a.output_fields.get(field).map(|v| match v {
        J::String(s) => s.clone(),
        J::Null => "<NA>".to_owned(),
        other => other.to_string(),
    })
}
