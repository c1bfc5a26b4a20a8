//! Textual expansion, bit-exact with Falco: exception clauses (§1.10), list-to-list
//! expansion (§1.11) and list substitution in conditions (§2.1).
//!
//! All text is [`MappedText`], so every inserted byte still knows its file position.

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use super::{Entry, ExceptionInfo, ListInfo, Text};
use crate::text::MappedText;

/// An exception that cannot be turned into condition text (LOAD_ERR_VALIDATE at compile time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError {
    pub message: &'static str,
    /// Index of the offending exception in the rule.
    pub exception: usize,
    /// The offending value entry, when there is one.
    pub span: Option<crate::span::Span>,
}

/// `quote(v)` of §1.10: values with a space that do not start with a quote get `"…"`.
fn quote(v: &MappedText) -> MappedText {
    let s = v.as_str();
    if s.contains(' ') && !s.starts_with(['"', '\'']) {
        let mut out = MappedText::synthetic("\"");
        out.push(v);
        out.push_synthetic("\"");
        out
    } else {
        v.clone()
    }
}

/// `paren(v)` of §1.10.
fn paren(v: &MappedText) -> MappedText {
    if v.as_str().starts_with('(') {
        v.clone()
    } else {
        let mut out = MappedText::synthetic("(");
        out.push(v);
        out.push_synthetic(")");
        out
    }
}

fn join_quoted<'a>(items: impl Iterator<Item = &'a MappedText>) -> MappedText {
    let mut out = MappedText::default();
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push_synthetic(", ");
        }
        out.push(&quote(v));
    }
    out
}

fn is_list_op(c: &str) -> bool {
    matches!(c, "in" | "intersects" | "pmatch") || super::read::is_modified_op(c)
}

fn scalar(e: &Entry) -> Option<&Text> {
    match e {
        Entry::Scalar(t) => Some(t),
        Entry::List(..) => None,
    }
}

/// The rule condition with every exception appended as `and not (...)`.
pub fn with_exceptions(
    cond: &MappedText,
    exceptions: &[ExceptionInfo],
) -> Result<MappedText, ExpandError> {
    let mut out = MappedText::synthetic("(");
    out.push(cond);
    out.push_synthetic(")");
    for (i, ex) in exceptions.iter().enumerate() {
        let clause = exception_clause(ex).map_err(|(message, span)| ExpandError {
            message,
            exception: i,
            span,
        })?;
        if !clause.is_empty() {
            out.push_synthetic(" and not ");
            out.push(&clause);
        }
    }
    Ok(out)
}

type ClauseResult = Result<MappedText, (&'static str, Option<crate::span::Span>)>;

fn exception_clause(ex: &ExceptionInfo) -> ClauseResult {
    match &ex.fields {
        Some(Entry::Scalar(field)) => single_field_clause(ex, field),
        Some(Entry::List(fields, _)) => tuple_clause(ex, fields),
        None => Ok(MappedText::default()),
    }
}

fn single_field_clause(ex: &ExceptionInfo, field: &Text) -> ClauseResult {
    let comp = match ex.comps.as_ref().and_then(scalar) {
        Some(c) if !c.as_str().is_empty() => c.text.clone(),
        _ => MappedText::synthetic("in"),
    };
    let mut values = Vec::with_capacity(ex.values.len());
    for v in &ex.values {
        match v {
            Entry::Scalar(t) => values.push(&t.text),
            Entry::List(_, span) => {
                return Err((
                    "Expected values array to contain a list of strings",
                    Some(*span),
                ))
            }
        }
    }
    if values.is_empty() {
        return Ok(MappedText::default());
    }
    let mut out = MappedText::synthetic("(");
    out.push(&field.text);
    out.push_synthetic(" ");
    out.push(&comp);
    out.push_synthetic(" (");
    out.push(&join_quoted(values.into_iter()));
    out.push_synthetic("))");
    Ok(out)
}

fn tuple_clause(ex: &ExceptionInfo, fields: &[Entry]) -> ClauseResult {
    let default_eq = MappedText::synthetic("=");
    let comps: Vec<MappedText> = match &ex.comps {
        Some(Entry::List(c, _)) if !c.is_empty() => c
            .iter()
            .map(|e| scalar(e).map_or_else(MappedText::default, |t| t.text.clone()))
            .collect(),
        _ => vec![default_eq; fields.len()],
    };
    let mut out = MappedText::synthetic("(");
    for (ti, tuple) in ex.values.iter().enumerate() {
        let items: &[Entry] = match tuple {
            Entry::List(items, _) => items,
            Entry::Scalar(_) => &[],
        };
        if items.len() != fields.len() {
            return Err((
                "Fields and values lists must have equal length",
                Some(tuple.span()),
            ));
        }
        if ti > 0 {
            out.push_synthetic(" or ");
        }
        out.push_synthetic("(");
        for (k, (field, value)) in fields.iter().zip(items).enumerate() {
            if k > 0 {
                out.push_synthetic(" and ");
            }
            let comp = comps.get(k).cloned().unwrap_or_default();
            let rhs = match value {
                Entry::List(xs, _) => {
                    let texts: Vec<&MappedText> =
                        xs.iter().filter_map(scalar).map(|t| &t.text).collect();
                    let mut r = MappedText::synthetic("(");
                    r.push(&join_quoted(texts.into_iter()));
                    r.push_synthetic(")");
                    r
                }
                Entry::Scalar(t) if is_list_op(comp.as_str()) => paren(&t.text),
                Entry::Scalar(t) => quote(&t.text),
            };
            out.push_synthetic(" ");
            out.push(&scalar(field).map_or_else(MappedText::default, |t| t.text.clone()));
            out.push_synthetic(" ");
            out.push(&comp);
            out.push_synthetic(" ");
            out.push(&rhs);
        }
        out.push_synthetic(")");
    }
    out.push_synthetic(")");
    if out.as_str() == "()" {
        return Ok(MappedText::default());
    }
    Ok(out)
}

/// Items of every list after list-to-list expansion (§1.11), indexed like `lists`.
/// Marks referenced lists as used.
pub fn compile_lists(lists: &mut [ListInfo]) -> Vec<Vec<MappedText>> {
    let by_name: std::collections::HashMap<&str, usize> = lists
        .iter()
        .enumerate()
        .map(|(i, l)| (l.name.as_str(), i))
        .collect();
    let mut used = vec![false; lists.len()];
    let mut out = Vec::with_capacity(lists.len());
    for l in lists.iter() {
        let mut items = Vec::with_capacity(l.items.len());
        for item in &l.items {
            match by_name.get(item.as_str()).map(|&r| (r, &lists[r])) {
                Some((r, referenced)) if referenced.index < l.visibility => {
                    used[r] = true;
                    items.extend(referenced.items.iter().map(|t| t.text.clone()));
                }
                _ => items.push(item.text.clone()),
            }
        }
        out.push(items);
    }
    for (l, u) in lists.iter_mut().zip(used) {
        l.used |= u;
    }
    out
}

const BLANKS: &[u8] = b" \t\n\r";
const DELIMS: &[u8] = b" \t\n\r(),=";

/// What list substitution needs, computed once per compile: lists in index order, the text
/// each one is replaced with, and a matcher that finds which list names a text contains.
#[derive(Debug, Clone, Default)]
pub struct ListSubst {
    order: Vec<usize>,
    subs: Vec<MappedText>,
    /// Matches every non-empty list name (pattern id -> list index in `pattern_list`).
    names: Option<AhoCorasick>,
    pattern_list: Vec<usize>,
    /// Lists whose names occur in each substitution text.
    names_in_sub: Vec<Vec<usize>>,
    /// Lists whose names contain blanks: an occurrence may span an insertion boundary, so they
    /// are always checked.
    always: Vec<usize>,
}

impl ListSubst {
    /// Prepares substitution of `lists`, whose expanded items are `items` (same indexes).
    pub fn new(lists: &[ListInfo], items: &[Vec<MappedText>]) -> Self {
        let mut order: Vec<usize> = (0..lists.len()).collect();
        order.sort_by_key(|&i| lists[i].index);
        let subs: Vec<MappedText> = items.iter().map(|it| join_quoted(it.iter())).collect();
        let pattern_list: Vec<usize> = (0..lists.len())
            .filter(|&i| !lists[i].name.is_empty())
            .collect();
        // An NFA builds much faster than a DFA and the texts searched are short.
        let names = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::NoncontiguousNFA))
            .build(pattern_list.iter().map(|&i| lists[i].name.as_str()))
            .ok();
        let always = pattern_list
            .iter()
            .copied()
            .filter(|&i| lists[i].name.bytes().any(|b| BLANKS.contains(&b)))
            .collect();
        let mut prepared = ListSubst {
            order,
            subs,
            names,
            pattern_list,
            names_in_sub: Vec::new(),
            always,
        };
        prepared.names_in_sub = prepared
            .subs
            .iter()
            .map(|s| prepared.occurring(s.as_str(), lists.len()))
            .collect();
        prepared
    }

    /// Indexes of the lists whose names occur somewhere in `text`.
    fn occurring(&self, text: &str, n: usize) -> Vec<usize> {
        let Some(ac) = &self.names else {
            return (0..n).collect();
        };
        let mut out: Vec<usize> = ac
            .find_overlapping_iter(text)
            .map(|m| self.pattern_list[m.pattern().as_usize()])
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Substitutes every delimited occurrence of each list name in `cond`, in list order, with
/// the list's items (the algorithm of §2.1, byte for byte). Returns which lists were used.
///
/// Only lists whose names occur in the condition (or in text substituted into it) are
/// scanned; the result is the same as scanning every list.
pub fn substitute_lists(
    cond: &mut MappedText,
    lists: &[ListInfo],
    prepared: &ListSubst,
) -> Vec<usize> {
    let mut used = Vec::new();
    let mut candidate = vec![false; lists.len()];
    for i in prepared
        .occurring(cond.as_str(), lists.len())
        .into_iter()
        .chain(prepared.always.iter().copied())
    {
        candidate[i] = true;
    }
    for &i in &prepared.order {
        if !candidate[i] {
            continue;
        }
        let name = lists[i].name.as_str();
        if name.is_empty() || !cond.as_str().contains(name) {
            continue;
        }
        let sub = &prepared.subs[i];
        let mut found = find_from(cond.as_str(), name, 0);
        while let Some(mut s) = found {
            let mut e = s + name.len();
            let bytes = cond.as_str().as_bytes();
            let before_ok = s == 0 || DELIMS.contains(&bytes[s - 1]);
            let after_ok = e >= bytes.len() || DELIMS.contains(&bytes[e]);
            if before_ok && after_ok {
                while s > 0 && BLANKS.contains(&bytes[s - 1]) {
                    s -= 1;
                }
                while e < bytes.len() && BLANKS.contains(&bytes[e]) {
                    e += 1;
                }
                if sub.is_empty() {
                    if s > 0 && bytes[s - 1] == b',' {
                        s -= 1;
                    } else if e < bytes.len() && bytes[e] == b',' {
                        e += 1;
                    }
                }
                let mut replacement = if s > 0 {
                    MappedText::synthetic(" ")
                } else {
                    MappedText::default()
                };
                replacement.push(sub);
                replacement.push_synthetic(" ");
                cond.replace_range(s, e, &replacement);
                s += sub.len() + 1;
                if !used.contains(&i) {
                    used.push(i);
                    for &j in &prepared.names_in_sub[i] {
                        candidate[j] = true;
                    }
                }
            }
            found = find_from(cond.as_str(), name, s + 1);
        }
    }
    used
}

/// `std::string::find(needle, from)` on bytes; `from` may be past the end or mid-character.
fn find_from(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let mut from = from;
    while from < hay.len() && !hay.is_char_boundary(from) {
        from += 1;
    }
    hay.get(from..)?.find(needle).map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::context::Ctx;
    use crate::span::Span;

    fn list(name: &str, items: &[&str], index: u32) -> ListInfo {
        ListInfo {
            name: name.into(),
            items: items
                .iter()
                .map(|s| Text {
                    text: MappedText::synthetic(s),
                    span: Span::default(),
                })
                .collect(),
            index,
            visibility: index,
            span: Span::default(),
            name_span: Span::default(),
            ctx: Ctx::default(),
            used: false,
        }
    }

    fn subst(cond: &str, lists: &mut [ListInfo]) -> String {
        let items = compile_lists(lists);
        let mut c = MappedText::synthetic(cond);
        substitute_lists(&mut c, lists, &ListSubst::new(lists, &items));
        c.as_str().to_owned()
    }

    #[test]
    fn list_substitution_matches_spec_example() {
        let mut lists = [list("bins", &["ash", "my tool"], 0)];
        assert_eq!(
            subst("proc.name in (bins, sh)", &mut lists),
            "proc.name in ( ash, \"my tool\" , sh)"
        );
    }

    #[test]
    fn empty_list_drops_one_comma() {
        let mut lists = [list("empty", &[], 0)];
        assert_eq!(subst("x in (a, empty)", &mut lists), "x in (a  )");
        assert_eq!(subst("x in (empty)", &mut lists), "x in (  )");
    }

    #[test]
    fn undelimited_names_are_left_alone() {
        let mut lists = [list("sh", &["bash"], 0)];
        assert_eq!(
            subst("x in (shell, sh_x, sh)", &mut lists),
            "x in (shell, sh_x, bash )"
        );
    }

    #[test]
    fn nested_lists_expand_one_level_when_defined_earlier() {
        let mut lists = [list("a", &["x"], 0), list("b", &["a", "y"], 1)];
        let items = compile_lists(&mut lists);
        let b: Vec<&str> = items[1].iter().map(MappedText::as_str).collect();
        assert_eq!(b, ["x", "y"]);
        assert!(lists[0].used);
    }
}
