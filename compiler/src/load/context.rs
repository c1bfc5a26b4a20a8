//! Falco-compatible context chains (`In rules content: (file:0:0)` ...).

use crate::diag::Location;
use crate::span::{SourceFile, Span};

/// Falco's item type strings (verbatim).
pub mod item_type {
    pub const VALUE_FOR: &str = "value for";
    pub const EXCEPTIONS: &str = "exceptions";
    pub const EXCEPTION: &str = "exception";
    pub const EXCEPTION_VALUES: &str = "exception values";
    pub const EXCEPTION_VALUE: &str = "exception value";
    pub const RULES_CONTENT: &str = "rules content";
    pub const RULES_CONTENT_ITEM: &str = "rules content item";
    pub const REQUIRED_ENGINE_VERSION: &str = "required_engine_version";
    pub const REQUIRED_PLUGIN_VERSIONS: &str = "required plugin versions";
    pub const REQUIRED_PLUGIN_VERSIONS_ENTRY: &str = "required plugin versions entry";
    pub const REQUIRED_PLUGIN_VERSIONS_ALTERNATIVE: &str = "required plugin versions alternative";
    pub const LIST: &str = "list";
    pub const LIST_ITEM: &str = "list item";
    pub const MACRO: &str = "macro";
    pub const MACRO_CONDITION: &str = "macro condition";
    pub const RULE: &str = "rule";
    pub const RULE_CONDITION: &str = "rule condition";
    pub const CONDITION_EXPRESSION: &str = "condition expression";
    pub const RULE_OUTPUT: &str = "rule output";
    pub const RULE_PRIORITY: &str = "rule priority";
    pub const OVERRIDE: &str = "overrides";
}

/// A chain of locations, cheap to extend.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ctx(pub Vec<Location>);

impl Ctx {
    /// The root location of a file: `rules content` at 0:0.
    pub fn file_root(file: &SourceFile) -> Self {
        Ctx(vec![Location {
            item_type: item_type::RULES_CONTENT,
            item_name: String::new(),
            name: file.name.clone(),
            line: 0,
            column: 0,
            offset: 0,
            span: None,
        }])
    }

    /// This chain plus a location at the start of `span` in `file`.
    pub fn child(
        &self,
        item_type: &'static str,
        item_name: &str,
        file: &SourceFile,
        span: Span,
    ) -> Ctx {
        let lc = file.line_col(span.start);
        let mut v = Vec::with_capacity(self.0.len() + 1);
        v.extend_from_slice(&self.0);
        v.push(Location {
            item_type,
            item_name: item_name.to_owned(),
            name: file.name.clone(),
            line: lc.line,
            column: lc.col,
            offset: span.start,
            span: Some(span),
        });
        Ctx(v)
    }

    /// This chain plus Falco's `condition expression` location for parser position `index`
    /// inside `condition`, whose YAML value starts at the last location of the chain.
    pub fn condition_expression(&self, condition: &str, index: u32) -> Ctx {
        let parent = self.0.last();
        let (pline, pcol, poff) = parent.map_or((0, 0, 0), |p| (p.line, p.column, p.offset));
        let (line, col) = parser_line_col(condition, index);
        let mut v = self.0.clone();
        v.push(Location {
            item_type: item_type::CONDITION_EXPRESSION,
            item_name: String::new(),
            name: quoted_condition_name(condition),
            line: line + pline,
            column: col + pcol,
            offset: index + poff,
            span: None,
        });
        Ctx(v)
    }
}

/// 1-based line and column of byte `index` as the libs parser counts them (every `\n` or
/// `\r` starts a line).
pub fn parser_line_col(text: &str, index: u32) -> (u32, u32) {
    let (mut line, mut col) = (1u32, 1u32);
    for &b in text.as_bytes().iter().take(index as usize) {
        if b == b'\n' || b == b'\r' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

/// The condition text as Falco names it in a context: quoted, newlines replaced by spaces,
/// cut to 17 characters plus `...` when longer than 20.
pub fn quoted_condition_name(condition: &str) -> String {
    let flat: String = condition
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    if flat.len() > 20 {
        let mut cut = 17;
        while !flat.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("\"{}...\"", &flat[..cut])
    } else {
        format!("\"{flat}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_names_are_truncated_like_falco() {
        assert_eq!(
            quoted_condition_name("evt.type=open and proc.name=x"),
            "\"evt.type=open and...\""
        );
        assert_eq!(quoted_condition_name("a\nb"), "\"a b\"");
    }

    #[test]
    fn parser_lines_count_cr_and_lf() {
        assert_eq!(parser_line_col("a\r\nb", 3), (3, 1));
        assert_eq!(parser_line_col("ab", 2), (1, 3));
    }
}
