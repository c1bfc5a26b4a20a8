//! Which rules tests make fire, and which exceptions tests show suppressing a match.

use serde::Serialize;

/// Coverage of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCoverage {
    /// Rule name.
    pub rule: String,
    /// File defining the rule.
    pub file: String,
    /// 1-based line of the rule's name.
    pub line: u32,
    /// Tests in which the rule fired.
    pub fired_by: Vec<String>,
}

/// Coverage of one exception of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExceptionCoverage {
    /// Rule name.
    pub rule: String,
    /// Exception name.
    pub exception: String,
    /// File defining the exception.
    pub file: String,
    /// 1-based line of the exception.
    pub line: u32,
    /// The exception has no values (or no fields): it cannot match, so it is not counted.
    pub empty: bool,
    /// Tests with an event the rule's condition matched but this exception suppressed.
    pub suppressed: Vec<String>,
}

/// Coverage of every enabled rule (and its exceptions) of one or more rulesets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Enabled, compiled rules in load order.
    pub rules: Vec<RuleCoverage>,
    /// Their exceptions.
    pub exceptions: Vec<ExceptionCoverage>,
}

impl Coverage {
    /// Adds another ruleset's coverage; the same rule (same name and file) is merged.
    pub fn merge(&mut self, other: &Coverage) {
        for r in &other.rules {
            match self
                .rules
                .iter_mut()
                .find(|m| m.rule == r.rule && m.file == r.file)
            {
                Some(m) => m.fired_by.extend(r.fired_by.iter().cloned()),
                None => self.rules.push(r.clone()),
            }
        }
        for e in &other.exceptions {
            match self.exceptions.iter_mut().find(|m| {
                m.rule == e.rule
                    && m.exception == e.exception
                    && m.file == e.file
                    && m.line == e.line
            }) {
                Some(m) => m.suppressed.extend(e.suppressed.iter().cloned()),
                None => self.exceptions.push(e.clone()),
            }
        }
    }

    /// Rules no test made fire.
    pub fn unfired_rules(&self) -> impl Iterator<Item = &RuleCoverage> {
        self.rules.iter().filter(|r| r.fired_by.is_empty())
    }

    /// Non-empty exceptions that never suppressed a match.
    pub fn unexercised_exceptions(&self) -> impl Iterator<Item = &ExceptionCoverage> {
        self.exceptions
            .iter()
            .filter(|e| !e.empty && e.suppressed.is_empty())
    }

    /// `(fired, total)` rules.
    pub fn rule_counts(&self) -> (usize, usize) {
        let total = self.rules.len();
        (total - self.unfired_rules().count(), total)
    }

    /// `(exercised, total)` non-empty exceptions.
    pub fn exception_counts(&self) -> (usize, usize) {
        let total = self.exceptions.iter().filter(|e| !e.empty).count();
        (total - self.unexercised_exceptions().count(), total)
    }

    /// True when every rule fired and every non-empty exception suppressed a match.
    pub fn complete(&self) -> bool {
        self.unfired_rules().next().is_none() && self.unexercised_exceptions().next().is_none()
    }
}
