//! Textual expansion, bit-exact with Falco: exception clauses (§1.10), list-to-list
//! expansion (§1.11) and list substitution in conditions (§2.1).
//!
//! All text is [`MappedText`], so every inserted byte still knows its file position.

use std::cell::OnceCell;

use rustc_hash::FxHashMap;

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

/// `IS_DELIM[b]` is true for the bytes of [`DELIMS`] (a table: this test runs on every byte
/// of every condition).
const IS_DELIM: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < DELIMS.len() {
        t[DELIMS[i] as usize] = true;
        i += 1;
    }
    t
};

/// What list substitution needs, prepared once per compile: lists in index order, plus the
/// text each one is replaced with and the list names that text contains, both built on
/// first use (most lists are never substituted, or only in some compiles).
#[derive(Debug, Clone, Default)]
pub struct ListSubst {
    order: Vec<usize>,
    subs: Vec<OnceCell<MappedText>>,
    /// Lists whose names occur (as delimited words) in each substitution text.
    names_in_sub: Vec<OnceCell<Vec<usize>>>,
    /// Lists whose names contain a delimiter: they are not single words, so they are always
    /// checked.
    always: Vec<usize>,
    /// Lengths of the list names (words of other lengths are not looked up).
    lens: NameLengths,
}

/// The set of list-name lengths in bytes: a cheap filter before hashing a word.
#[derive(Debug, Clone, Copy, Default)]
struct NameLengths {
    /// Bit `n` is set when some name is `n` bytes long (`n < 128`).
    short: u128,
    /// Some name is 128 bytes or longer.
    long: bool,
}

impl NameLengths {
    fn add(&mut self, len: usize) {
        match u32::try_from(len) {
            Ok(n) if n < 128 => self.short |= 1 << n,
            _ => self.long = true,
        }
    }

    /// False when no list name is `len` bytes long (and never for empty words).
    fn may_name(self, len: usize) -> bool {
        match u32::try_from(len) {
            Ok(0) => false,
            Ok(n) if n < 128 => self.short & (1 << n) != 0,
            _ => self.long,
        }
    }
}

impl ListSubst {
    /// Prepares substitution of `lists`.
    pub fn new(lists: &[ListInfo]) -> Self {
        let mut order: Vec<usize> = (0..lists.len()).collect();
        order.sort_by_key(|&i| lists[i].index);
        let always = (0..lists.len())
            .filter(|&i| lists[i].name.bytes().any(|b| DELIMS.contains(&b)))
            .collect();
        let mut lens = NameLengths::default();
        for l in lists {
            lens.add(l.name.len());
        }
        ListSubst {
            order,
            subs: vec![OnceCell::new(); lists.len()],
            names_in_sub: vec![OnceCell::new(); lists.len()],
            always,
            lens,
        }
    }

    /// The replacement text of list `i`, whose expanded items are `items[i]`.
    fn sub(&self, i: usize, items: &[Vec<MappedText>]) -> &MappedText {
        self.subs[i].get_or_init(|| join_quoted(items[i].iter()))
    }
}

/// Indexes of the lists named by some delimited word of `text`, in no particular order.
///
/// A list name without delimiter bytes can only be replaced where it is a whole word
/// between delimiters, and replacements are surrounded by blanks, so words never merge:
/// the lists worth scanning for are exactly those named by a word of the text or of the
/// replacement texts inserted into it (plus the names with delimiters, see
/// [`ListSubst::always`]).
fn words_naming_lists(
    text: &str,
    ids: &FxHashMap<String, usize>,
    lens: &NameLengths,
    out: &mut Vec<usize>,
) {
    for word in text.as_bytes().split(|&b| IS_DELIM[b as usize]) {
        if !lens.may_name(word.len()) {
            continue;
        }
        // Splitting at ASCII bytes keeps UTF-8 boundaries.
        let word = std::str::from_utf8(word).unwrap_or_default();
        if let Some(&i) = ids.get(word) {
            out.push(i);
        }
    }
}

/// Substitutes every delimited occurrence of each list name in `cond`, in list order, with
/// the list's items (the algorithm of §2.1, byte for byte). `items` are the expanded items
/// of each list and `ids` maps list names to indexes. Returns which lists were used.
///
/// Only lists whose names occur in the condition (or in text substituted into it) are
/// scanned; the result is the same as scanning every list.
pub fn substitute_lists(
    cond: &mut MappedText,
    lists: &[ListInfo],
    items: &[Vec<MappedText>],
    ids: &FxHashMap<String, usize>,
    prepared: &ListSubst,
) -> Vec<usize> {
    let mut used = Vec::new();
    let mut found_names = Vec::new();
    words_naming_lists(cond.as_str(), ids, &prepared.lens, &mut found_names);
    if found_names.is_empty() && prepared.always.is_empty() {
        return used;
    }
    let mut candidate = vec![false; lists.len()];
    for i in found_names
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
        let sub = prepared.sub(i, items);
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
                    let in_sub = prepared.names_in_sub[i].get_or_init(|| {
                        let mut v = Vec::new();
                        words_naming_lists(sub.as_str(), ids, &prepared.lens, &mut v);
                        v
                    });
                    for &j in in_sub {
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
        let ids = lists
            .iter()
            .enumerate()
            .map(|(i, l)| (l.name.clone(), i))
            .collect();
        let mut c = MappedText::synthetic(cond);
        substitute_lists(&mut c, lists, &items, &ids, &ListSubst::new(lists));
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
