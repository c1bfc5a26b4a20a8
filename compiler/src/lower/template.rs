//! Compilation of rule outputs into [`OutputTemplate`]s: every `%` token found by
//! [`crate::output::check_output`] is parsed as an operand and lowered into the rule's program
//! (the runtime renders templates, `rulec_runtime::output`).

use rulec_ir::program::{OutputTemplate, Segment};

use crate::condition::ast::ExprKind;
use crate::condition::{self, ParseOptions};
use crate::lower::{Builder, LowerError};
use crate::span::FileId;

/// Compiles `text` against the builder's schema, lowering every token's operand.
pub fn compile_template(b: &mut Builder<'_>, text: &str) -> Result<OutputTemplate, LowerError> {
    let text = text.strip_prefix('*').unwrap_or(text);
    let (toks, errs) = crate::output::check_output(b.schema(), text);
    if let Some(e) = errs.first() {
        return Err(LowerError(e.message.clone()));
    }
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    let mut pos = 0;
    let literal = |s: &str| s.replace("%container.info", "");
    for t in toks {
        let mut pct = t.start;
        while pct > 0 && bytes[pct - 1].is_ascii_digit() {
            pct -= 1;
        }
        // `pct` now points just after '%'.
        let width = text[pct..t.start].parse::<usize>().ok();
        let lit_end = pct.saturating_sub(1);
        if lit_end > pos {
            segments.push(Segment::Text(literal(&text[pos..lit_end])));
        }
        let expr = &text[t.start..t.end];
        let src = format!("{expr} exists");
        let ast = condition::parse(&src, FileId::default(), &ParseOptions::default())
            .map_err(|e| LowerError(e.message))?;
        let ExprKind::Unary { lhs } = &ast.kind else {
            return Err(LowerError(format!("invalid formatting token {expr}")));
        };
        let operand = b.operand(lhs)?;
        segments.push(Segment::Field {
            key: t.operand.text.clone(),
            width,
            operand,
        });
        pos = t.end;
    }
    if pos < text.len() {
        segments.push(Segment::Text(literal(&text[pos..])));
    }
    Ok(OutputTemplate { segments })
}
