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

/// The file name of a diagnostic's primary span, or of its context root.
pub fn file_name<'a>(d: &'a Diagnostic, sources: &'a SourceMap) -> Option<&'a str> {
    match d.span {
        Some(s) => Some(sources.get(s.file).name.as_str()),
        None => d.context.first().map(|l| l.name.as_str()),
    }
}
