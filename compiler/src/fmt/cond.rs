//! Token-preserving layout of condition text.
//!
//! Conditions go through textual list substitution before parsing (spec §2.1), so they are
//! never re-printed from the AST. Instead the original tokens are kept byte for byte and only
//! the blanks *between* tokens change: runs of blanks become one space, or a line break
//! before a top-level `and` / `or`. No blank is ever inserted where there was none, and no
//! byte inside a token (quoted strings included) changes.

use super::scalar::{self, Out};
use crate::condition::{tokens, TokenKind};

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// One token of the condition with the blank gap before it.
#[derive(Debug, Clone, Copy)]
struct Piece<'a> {
    gap: bool,
    text: &'a str,
    /// `and`/`or` token (a break candidate when `gap`).
    andor: bool,
    /// Parenthesis depth of the token.
    depth: i64,
}

/// Splits `text` into tokens, checking that only blanks separate them. Fragments starting
/// with `and`/`or` (used by append/override) are tokenized behind a dummy operand.
fn pieces(text: &str) -> Option<Vec<Piece<'_>>> {
    let fragment = ["and", "or"].iter().any(|k| {
        text.strip_prefix(k)
            .is_some_and(|r| r.starts_with(|c: char| is_blank(c) || c == '('))
    });
    let (src, shift) = if fragment {
        (format!("x {text}"), 2usize)
    } else {
        (text.to_string(), 0)
    };
    let mut toks = tokens(&src);
    if toks.last().is_none_or(|t| t.kind == TokenKind::Error) {
        return None;
    }
    if fragment {
        toks.remove(0);
    }
    let mut out = Vec::with_capacity(toks.len());
    let mut prev_end = 0usize;
    let mut depth = 0i64;
    for t in &toks {
        let start = (t.span.start as usize).checked_sub(shift)?;
        let end = (t.span.end as usize).checked_sub(shift)?;
        if start < prev_end || end < start {
            return None;
        }
        let gap = text.get(prev_end..start)?;
        if !gap.chars().all(is_blank) || (out.is_empty() && !gap.is_empty()) {
            return None;
        }
        let tok = text.get(start..end)?;
        if tok.is_empty() || tok.chars().any(|c| is_blank(c) && c != ' ') {
            return None;
        }
        if t.kind == TokenKind::RParen {
            depth -= 1;
        }
        out.push(Piece {
            gap: !gap.is_empty(),
            text: tok,
            andor: matches!(t.kind, TokenKind::And | TokenKind::Or),
            depth,
        });
        if t.kind == TokenKind::LParen {
            depth += 1;
        }
        prev_end = end;
    }
    if prev_end != text.len() {
        return None;
    }
    Some(out)
}

/// The condition with every run of blanks between tokens replaced by one space.
pub(crate) fn normalize(value: &str) -> Option<String> {
    let text = value.trim_matches(is_blank);
    let ps = pieces(text)?;
    let mut s = String::with_capacity(text.len());
    for p in &ps {
        if p.gap {
            s.push(' ');
        }
        s.push_str(p.text);
    }
    Some(s)
}

/// Layout of a condition value after `condition: ` (see [`scalar::block_value`] for the
/// parameters). `None` when the text cannot be re-laid out token-preservingly (the caller then
/// keeps the exact string).
pub(crate) fn layout(value: &str, col: usize, prefix: usize, w: usize) -> Option<Out> {
    let text = value.trim_matches(is_blank);
    let ps = pieces(text)?;
    let mut one = String::with_capacity(text.len());
    for p in &ps {
        if p.gap {
            one.push(' ');
        }
        one.push_str(p.text);
    }
    let inline = scalar::inline(&one, false, false);
    if prefix + scalar::width(&inline) <= w {
        return Some(Out::Inline(inline));
    }
    // Folded: a break before each top-level and/or; a clause that is still too long is
    // broken before the and/or of its shallowest nesting level (greedily packed, continuation
    // lines two spaces deeper), then at any gap. More-indented lines keep their line breaks,
    // which are blanks to the condition language as well.
    let avail = w.saturating_sub(col + 2).max(20);
    let mut lines = Vec::new();
    lay(&ps, 0, avail, true, &mut lines);
    // Block scalar content must not be confused with the end of the block: every line is
    // non-empty and the first one starts with a token.
    if lines.iter().any(|l| l.trim().is_empty()) {
        return None;
    }
    Some(Out::Block(">".into(), lines))
}

fn joined(ps: &[Piece<'_>]) -> String {
    let mut s = String::new();
    for (i, p) in ps.iter().enumerate() {
        if i > 0 && p.gap {
            s.push(' ');
        }
        s.push_str(p.text);
    }
    s
}

/// Lays out `ps` at `indent` into `lines`. `top`: the whole condition (always broken at its
/// top-level and/or).
fn lay(ps: &[Piece<'_>], indent: usize, avail: usize, top: bool, lines: &mut Vec<String>) {
    let s = joined(ps);
    if indent + scalar::width(&s) <= avail && !top {
        lines.push(format!("{}{s}", " ".repeat(indent)));
        return;
    }
    let cands = ps
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, p)| p.andor && p.gap);
    let Some(d) = cands.clone().map(|(_, p)| p.depth).min() else {
        if indent + scalar::width(&s) <= avail {
            lines.push(format!("{}{s}", " ".repeat(indent)));
        } else {
            wrap(ps, indent, avail, lines);
        }
        return;
    };
    let mut chunks: Vec<&[Piece<'_>]> = Vec::new();
    let mut start = 0;
    for (i, p) in cands {
        if p.depth == d {
            chunks.push(&ps[start..i]);
            start = i;
        }
    }
    chunks.push(&ps[start..]);
    if top && d == 0 {
        for c in chunks {
            lay(c, indent, avail, false, lines);
        }
        return;
    }
    if top && indent + scalar::width(&s) <= avail {
        lines.push(format!("{}{s}", " ".repeat(indent)));
        return;
    }
    // Greedy packing of the chunks.
    let mut first = true;
    let mut i = 0;
    while i < chunks.len() {
        let ind = if first { indent } else { indent + 2 };
        // Extend the group while it fits.
        let mut j = i + 1;
        while j < chunks.len() {
            let len: usize = chunks[i..=j]
                .iter()
                .map(|c| scalar::width(&joined(c)) + 1)
                .sum();
            if ind + len - 1 > avail {
                break;
            }
            j += 1;
        }
        let group: Vec<Piece<'_>> = chunks[i..j]
            .iter()
            .flat_map(|c| c.iter())
            .copied()
            .collect();
        if j - i == 1 {
            lay(&group, ind, avail, false, lines);
        } else {
            lines.push(format!("{}{}", " ".repeat(ind), joined(&group)));
        }
        first = false;
        i = j;
    }
}

/// Greedy wrapping at any gap; continuation lines two spaces deeper.
fn wrap(ps: &[Piece<'_>], indent: usize, avail: usize, lines: &mut Vec<String>) {
    let mut line = " ".repeat(indent);
    for (i, p) in ps.iter().enumerate() {
        if i > 0 && p.gap {
            if scalar::width(&line) + 1 + scalar::width(p.text) > avail {
                lines.push(std::mem::take(&mut line));
                line = " ".repeat(indent + 2);
            } else {
                line.push(' ');
            }
        }
        line.push_str(p.text);
    }
    lines.push(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_blanks_only() {
        assert_eq!(
            normalize("  a.b  =   'x  y'\n and\tc ").as_deref(),
            Some("a.b = 'x  y' and c")
        );
        assert_eq!(normalize("not(a)and(b)").as_deref(), Some("not(a)and(b)"));
        assert_eq!(
            normalize("or  proc.name = x").as_deref(),
            Some("or proc.name = x")
        );
        assert!(normalize("a.b = (").is_none());
    }

    #[test]
    fn breaks_at_top_level() {
        let out = layout(
            "evt.type = open and (proc.name = a or proc.name = b) and not fd.name startswith /etc",
            2,
            13,
            40,
        );
        let Some(Out::Block(h, lines)) = out else {
            panic!("expected block: {out:?}")
        };
        assert_eq!(h, ">");
        assert_eq!(
            lines,
            vec![
                "evt.type = open",
                "and (proc.name = a or proc.name = b)",
                "and not fd.name startswith /etc"
            ]
        );
    }
}
