//! Equivalence check between a rules file and its formatted text.
//!
//! Three independent views must agree:
//! 1. the load result (per list, macro and rule: names, kinds, order, items, canonical
//!    condition ASTs both before and after macro resolution, outputs, desc, priority, source,
//!    enabled, tags, exceptions, flags; required versions; diagnostic codes);
//! 2. the YAML content (every scalar string, nesting, item key sets; conditions compared
//!    after blank normalisation between tokens);
//! 3. the comments (same multiset of comment texts).

use super::comments::scan;
use super::cond::normalize;
use super::scalar::is_ambiguous;
use super::{ordered, FmtError};
use crate::condition::{parse, to_source, ParseOptions};
use crate::load::Entry;
use crate::span::FileId;
use crate::yaml::{parse_stream, Node, NodeKind, ScalarStyle};
use crate::{Analysis, LoadOptions, LoadOutcome};

/// Loads `text` alone with the default options.
pub(crate) fn load(text: &str) -> LoadOutcome {
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file("input.yaml", text);
    a.load()
}

/// Checks that `formatted` is equivalent to `original` (see the module docs).
///
/// # Errors
/// [`FmtError::Verify`] naming the first difference.
pub fn verify(original: &str, formatted: &str) -> Result<(), FmtError> {
    verify_against(original, &load(original), formatted)
}

pub(crate) fn verify_against(
    original: &str,
    orig_outcome: &LoadOutcome,
    formatted: &str,
) -> Result<(), FmtError> {
    let new_outcome = load(formatted);
    first_diff(
        "loaded rules",
        &fingerprint(orig_outcome),
        &fingerprint(&new_outcome),
    )?;
    let a = parse_stream(FileId::default(), original).map_err(|e| FmtError::Yaml(e.message))?;
    let b = parse_stream(FileId::default(), formatted).map_err(|e| {
        FmtError::Verify(format!("formatted text is not valid YAML: {}", e.message))
    })?;
    first_diff("YAML content", &describe_docs(&a), &describe_docs(&b))?;
    let mut ca: Vec<String> = scan(original, &a).into_iter().map(|c| c.text).collect();
    let mut cb: Vec<String> = scan(formatted, &b).into_iter().map(|c| c.text).collect();
    ca.sort();
    cb.sort();
    first_diff("comments", &ca, &cb)
}

fn first_diff(what: &str, a: &[String], b: &[String]) -> Result<(), FmtError> {
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            return Err(FmtError::Verify(format!(
                "{what} differ: original {} / formatted {}",
                x.map_or("<nothing>".to_string(), |s| format!("`{s}`")),
                y.map_or("<nothing>".to_string(), |s| format!("`{s}`")),
            )));
        }
    }
    Ok(())
}

/// A comparable key for condition text: the re-parsable AST when it parses, else the text
/// with blanks normalised between tokens (or verbatim).
fn cond_key(text: &str) -> String {
    match parse(text, FileId::default(), &ParseOptions::default()) {
        Ok(e) => format!("ast {}", to_source(&e)),
        Err(_) => match normalize(text) {
            Some(n) => format!("text {n}"),
            None => format!("raw {text:?}"),
        },
    }
}

fn entry_str(e: &Entry) -> String {
    match e {
        Entry::Scalar(t) => format!("{:?}", t.as_str()),
        Entry::List(items, _) => {
            format!(
                "[{}]",
                items.iter().map(entry_str).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

/// One line per loaded fact.
fn fingerprint(o: &LoadOutcome) -> Vec<String> {
    let mut v = Vec::new();
    for r in &o.results {
        let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code.id()).collect();
        v.push(format!("diagnostics {codes:?}"));
    }
    let c = &o.collection;
    v.push(format!(
        "required_engine_version {:?}",
        c.required_engine_version
    ));
    for p in &c.plugin_requirements {
        v.push(format!("required_plugin_versions {:?}", p.alternatives));
    }
    for (i, l) in c.lists.iter().enumerate() {
        let items: Vec<&str> = l.items.iter().map(|t| t.as_str()).collect();
        let expanded: Vec<&str> = o
            .compiled
            .list_items
            .get(i)
            .map(|x| x.iter().map(|t| t.as_str()).collect())
            .unwrap_or_default();
        v.push(format!(
            "list {:?} index={} visibility={} used={} items={items:?} expanded={expanded:?}",
            l.name, l.index, l.visibility, l.used
        ));
    }
    for (i, m) in c.macros.iter().enumerate() {
        let ast = o.compiled.macros.get(i).and_then(Option::as_ref);
        v.push(format!(
            "macro {:?} index={} visibility={} used={} condition={} resolved={}",
            m.name,
            m.index,
            m.visibility,
            m.used,
            cond_key(m.cond.as_str()),
            ast.map_or("-".into(), |e| format!("{e} | {}", to_source(e))),
        ));
    }
    for r in &c.rules {
        let exceptions: Vec<String> = r
            .exceptions
            .iter()
            .map(|e| {
                format!(
                    "{:?} fields={} comps={} values=[{}]",
                    e.name,
                    e.fields.as_ref().map_or("-".into(), entry_str),
                    e.comps.as_ref().map_or("-".into(), entry_str),
                    e.values
                        .iter()
                        .map(entry_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        v.push(format!(
            "rule {:?} index={} visibility={} condition={} output={:?} desc={:?} priority={:?} \
             source={:?}/{} enabled={} tags={:?} exceptions={exceptions:?} warn_evttypes={} \
             skip={} capture={} capture_duration={}",
            r.name,
            r.index,
            r.visibility,
            cond_key(r.cond.as_str()),
            r.output.as_str(),
            r.desc,
            r.priority,
            r.source,
            r.source_explicit,
            r.enabled,
            r.tags,
            r.warn_evttypes,
            r.skip_if_unknown_filter,
            r.capture,
            r.capture_duration,
        ));
    }
    for cr in &o.compiled.rules {
        v.push(format!(
            "compiled rule {} ast={}",
            cr.rule,
            cr.ast
                .as_ref()
                .map_or("-".into(), |e| format!("{e} | {}", to_source(e)))
        ));
    }
    v
}

fn describe_docs(docs: &[crate::yaml::Document]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        let Some(root) = &d.root else { continue };
        let path = format!("document {i}");
        match &root.kind {
            NodeKind::Seq(items) => {
                out.push(format!("{path}: sequence of {}", items.len()));
                for (j, item) in items.iter().enumerate() {
                    describe(item, &format!("{path} item {j}"), true, false, &mut out);
                }
            }
            _ => describe(root, &path, false, false, &mut out),
        }
    }
    out
}

fn describe(n: &Node, path: &str, item: bool, cond: bool, out: &mut Vec<String>) {
    match &n.kind {
        NodeKind::Scalar(s) if s.is_null() => out.push(format!("{path}: null")),
        NodeKind::Scalar(s) if cond => out.push(format!(
            "{path}: condition {}",
            normalize(&s.value).unwrap_or_else(|| format!("{:?}", s.value))
        )),
        NodeKind::Scalar(s) => {
            let plain = s.style == ScalarStyle::Plain && is_ambiguous(&s.value);
            out.push(format!(
                "{path}: {}{:?}",
                if plain { "plain " } else { "" },
                s.value
            ));
        }
        NodeKind::Seq(items) => {
            out.push(format!("{path}: sequence of {}", items.len()));
            for (j, x) in items.iter().enumerate() {
                describe(x, &format!("{path}[{j}]"), false, false, out);
            }
        }
        NodeKind::Map(entries) => {
            out.push(format!("{path}: mapping of {}", entries.len()));
            let list: Vec<&(Node, Node)> = if item {
                ordered(entries)
            } else {
                entries.iter().collect()
            };
            let cond_item = item && matches!(super::item_kind(entries), Some("macro" | "rule"));
            for (k, v) in list {
                let name = k.as_str().unwrap_or("?");
                describe(k, &format!("{path} key"), false, false, out);
                describe(
                    v,
                    &format!("{path}.{name}"),
                    false,
                    cond_item && name == "condition",
                    out,
                );
            }
        }
    }
}
