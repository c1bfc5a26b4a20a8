//! Rule unit tests (`falco-rulec test`): a YAML test-file model and loader ([`file`]), a
//! runner over the lowered rules ([`run`]) and a coverage report ([`coverage`]).
//!
//! The format and its semantics are documented in `docs/rule-tests.md`. In short, a test file
//! names the rules files it tests and a list of tests; each test feeds one or more events
//! (a syscall field map, raw JSON plugin events or a JSON-lines file) to the loaded rules and
//! checks which rules fire (`fires`), which do not (`not_fires`, or `only: true` for an exact
//! set) and, optionally, output field values of the alerts.
//!
//! Exception coverage is computed by lowering *variants* of every rule that has exceptions:
//! the rule with no exception at all ("base") and, for each exception `i`, the rule with only
//! exception `i`. Exception `i` suppressed an event exactly when the base variant matches the
//! event and the variant with only exception `i` does not, i.e. when the rule's condition
//! matched and the exception's clause matched too. This reuses the exact textual expansion,
//! list substitution, macro resolution and lowering of normal rules, so it cannot drift from
//! what the rule itself evaluates.

pub mod coverage;
pub mod file;
pub mod run;

pub use coverage::{Coverage, ExceptionCoverage, RuleCoverage};
pub use file::{
    load_test_file, parse_test_file, EventSpec, TestCase, TestFile, TestFileError, UnresolvedRules,
};
pub use run::{Failure, Suite, TestResult};

#[cfg(test)]
mod tests;
