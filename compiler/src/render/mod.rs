//! Renderers for diagnostics: human (ariadne), Falco-compatible text and JSON, SARIF 2.1.0
//! and GitHub workflow annotations. Each takes diagnostics as data and returns text.

pub mod falco;
pub mod github;
pub mod human;
pub mod sarif;

use crate::diag::Diagnostic;
use crate::span::SourceMap;

/// 1-based (line, column, end line, end column) of a diagnostic's primary span, in characters.
pub fn region(d: &Diagnostic, sources: &SourceMap) -> Option<(u32, u32, u32, u32)> {
    let span = d.span?;
    let f = sources.get(span.file);
    let a = f.line_char_col(span.start);
    let b = f.line_char_col(span.end.max(span.start));
    Some((a.line + 1, a.col + 1, b.line + 1, b.col + 1))
}

/// One `file:line:col: error: message` line per unique error of a load (`file: error: message`
/// for errors without a position), for reports that only need to say why rules did not load
/// (the rule-test runners of the CLI and the language server).
pub fn error_lines(outcome: &crate::LoadOutcome, sources: &SourceMap) -> String {
    use std::fmt::Write as _;
    let mut msg = String::new();
    for d in outcome
        .unique_diagnostics()
        .into_iter()
        .filter(|d| d.severity() == crate::Severity::Error)
    {
        let file = file_name(d, sources).unwrap_or("<rules>");
        let _ = match d.line_col(sources) {
            Some((l, c)) => writeln!(msg, "{file}:{}:{}: error: {}", l + 1, c + 1, d.message),
            None => writeln!(msg, "{file}: error: {}", d.message),
        };
    }
    msg.truncate(msg.trim_end().len());
    msg
}

/// The file name of a diagnostic's primary span, or of its context root.
pub fn file_name<'a>(d: &'a Diagnostic, sources: &'a SourceMap) -> Option<&'a str> {
    match d.span {
        Some(s) => Some(sources.get(s.file).name.as_str()),
        None => d.context.first().map(|l| l.name.as_str()),
    }
}
