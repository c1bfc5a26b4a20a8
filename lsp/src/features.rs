//! The editor features, as pure functions from a [`Snapshot`] to protocol values.

#![allow(deprecated)] // `DocumentSymbol::deprecated` is a required field of ls-types

use std::collections::{BTreeMap, HashMap};

use rulec::condition::ast::ExprKind;
use rulec::condition::{self, TokenKind};
use rulec::diag::Severity;
use rulec::evttype::{self, EventTypes};
use rulec::load::Priority;
use rulec::span::{FileId, Span};
use tower_lsp_server::ls_types::*;

use crate::index::Kind;
use crate::ruletests::{self, TestIndex};
use crate::world::{Snapshot, Symbol};

/// Item keys accepted by the loader, per kind.
pub use rulec::load::read::{LIST_KEYS, MACRO_KEYS, RULE_KEYS};
const TOP_KEYS: &[&str] = &[
    "rule",
    "macro",
    "list",
    "required_engine_version",
    "required_plugin_versions",
];

/// Semantic token types, in legend order.
pub const TOKEN_TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::OPERATOR,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::MACRO,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
];

fn uri(s: &str) -> Uri {
    s.parse()
        .unwrap_or_else(|_| "file:///invalid".parse().expect("static uri"))
}

impl Snapshot {
    /// The LSP range of bytes `start..end` of file `f`.
    pub fn lsp_range(&self, f: usize, start: u32, end: u32) -> Range {
        self.lines[f].range(self.text(f), start as usize, end as usize)
    }

    /// The LSP location of a span.
    pub fn location(&self, f: usize, r: (u32, u32)) -> Location {
        Location::new(uri(&self.uris[f]), self.lsp_range(f, r.0, r.1))
    }

    /// The byte offset of a position in file `f`.
    pub fn offset(&self, f: usize, pos: Position) -> u32 {
        crate::text::to_u32(self.lines[f].offset(self.text(f), pos))
    }

    fn span_range(&self, s: Span) -> (usize, Range) {
        let f = s.file.0 as usize;
        (f, self.lsp_range(f, s.start, s.end))
    }
}

// ---------------------------------------------------------------------------------------
// Diagnostics

/// The LSP form of one compiler diagnostic that points into file `f`.
pub fn to_lsp_diagnostic(s: &Snapshot, f: usize, d: &rulec::Diagnostic) -> Diagnostic {
    let range = d.span.map_or_else(Range::default, |sp| s.span_range(sp).1);
    let mut message = d.message.clone();
    for n in &d.notes {
        message.push_str("\nnote: ");
        message.push_str(n);
    }
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    if let Some(fix) = &d.fix {
        message.push_str("\nhelp: ");
        message.push_str(&fix.message);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .map(|l| DiagnosticRelatedInformation {
            location: s.location(l.span.file.0 as usize, (l.span.start, l.span.end)),
            message: l.message.clone(),
        })
        .collect();
    let tags = match d.code {
        rulec::Code::UnusedMacro | rulec::Code::UnusedList => {
            Some(vec![DiagnosticTag::UNNECESSARY])
        }
        rulec::Code::DeprecatedItem => Some(vec![DiagnosticTag::DEPRECATED]),
        _ => None,
    };
    let _ = f;
    Diagnostic {
        range,
        severity: Some(match d.severity() {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.id().to_owned())),
        code_description: None,
        source: Some("falco-rulec".to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags,
        data: Some(serde_json::json!({ "falco": d.code.falco_name() })),
    }
}

/// All diagnostics of file `f` (including a note when Falco would not load the file).
pub fn diagnostics(s: &Snapshot, f: usize) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = s.diagnostics[f]
        .iter()
        .map(|d| to_lsp_diagnostic(s, f, d))
        .collect();
    if let Some(stop) = s.stopped_at.filter(|&stop| stop < f) {
        out.push(Diagnostic {
            range: Range::default(),
            severity: Some(DiagnosticSeverity::INFORMATION),
            source: Some("falco-rulec".to_owned()),
            message: format!(
                "Falco would not load this file: `{}`, earlier in the load order, fails to load",
                s.results[stop].name
            ),
            ..Diagnostic::default()
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Navigation

/// Go to definition: every entry of the item (first definition first).
pub fn definition(s: &Snapshot, f: usize, pos: Position) -> Vec<Location> {
    let Some((sym, _)) = s.symbol_at(f, s.offset(f, pos)) else {
        return Vec::new();
    };
    s.definitions(&sym)
        .into_iter()
        .map(|(f, r)| s.location(f, r))
        .collect()
}

/// Find references (definitions included on request).
pub fn references(s: &Snapshot, f: usize, pos: Position, include_decl: bool) -> Vec<Location> {
    let Some((sym, _)) = s.symbol_at(f, s.offset(f, pos)) else {
        return Vec::new();
    };
    let mut v = Vec::new();
    if include_decl {
        v.extend(s.definitions(&sym));
    }
    v.extend(s.references(&sym));
    v.sort();
    v.dedup();
    v.into_iter().map(|(f, r)| s.location(f, r)).collect()
}

/// The range a rename would change at `pos`.
pub fn prepare_rename(s: &Snapshot, f: usize, pos: Position) -> Option<Range> {
    let (_, r) = s.symbol_at(f, s.offset(f, pos))?;
    Some(s.lsp_range(f, r.0, r.1))
}

/// Whether `new` is a valid name for an item of kind `kind`.
pub fn check_new_name(kind: Kind, new: &str) -> Result<(), String> {
    use rulec::load::read::{is_bare_string, is_identifier};
    match kind {
        Kind::Macro if !is_identifier(new) => Err(format!(
            "`{new}` is not a valid macro name: use letters, digits and `_`, starting with a letter"
        )),
        Kind::List if !is_bare_string(new) || new.contains(char::is_whitespace) => Err(format!(
            "`{new}` is not a valid list name: it must be a bare string (no blanks, quotes, parentheses, `=` or `,`)"
        )),
        Kind::Rule
            if new.trim().is_empty()
                || new.contains(['\n', '\r', '"', '\'', '\\', '#'])
                || new.contains(": ") =>
        {
            Err(format!("`{new}` cannot be used as a rule name without YAML quoting"))
        }
        _ => Ok(()),
    }
}

/// Rename a macro, list or rule everywhere in the workspace.
pub fn rename(
    s: &Snapshot,
    f: usize,
    pos: Position,
    new: &str,
) -> Result<Option<WorkspaceEdit>, String> {
    let Some((sym, _)) = s.symbol_at(f, s.offset(f, pos)) else {
        return Ok(None);
    };
    check_new_name(sym.0, new)?;
    if s.exists(sym.0, new) {
        return Err(format!("a {} named `{new}` already exists", sym.0.key()));
    }
    let mut sites = s.definitions(&sym);
    sites.extend(s.references(&sym));
    sites.sort();
    sites.dedup();
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (f, r) in sites {
        changes
            .entry(uri(&s.uris[f]))
            .or_default()
            .push(TextEdit::new(s.lsp_range(f, r.0, r.1), new.to_owned()));
    }
    Ok(Some(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    }))
}

// ---------------------------------------------------------------------------------------
// Symbols

fn symbol_kind(k: Kind) -> SymbolKind {
    match k {
        Kind::Rule => SymbolKind::EVENT,
        Kind::Macro => SymbolKind::FUNCTION,
        Kind::List => SymbolKind::ARRAY,
    }
}

/// The outline of file `f`.
pub fn document_symbols(s: &Snapshot, f: usize) -> Vec<DocumentSymbol> {
    s.index[f]
        .items
        .iter()
        .map(|it| DocumentSymbol {
            name: it.name.clone(),
            detail: Some(if it.append {
                format!("{} (append/override)", it.kind.key())
            } else {
                it.kind.key().to_owned()
            }),
            kind: symbol_kind(it.kind),
            tags: None,
            deprecated: None,
            range: s.lsp_range(f, it.item_range.0, it.item_range.1.max(it.name_range.1)),
            selection_range: s.lsp_range(f, it.name_range.0, it.name_range.1),
            children: None,
        })
        .collect()
}

/// Items of every file whose name contains `query` (case-insensitive).
pub fn workspace_symbols(s: &Snapshot, query: &str) -> Vec<WorkspaceSymbol> {
    let q = query.to_lowercase();
    let mut out = Vec::new();
    for (f, idx) in s.index.iter().enumerate() {
        for it in &idx.items {
            if it.append || !it.name.to_lowercase().contains(&q) {
                continue;
            }
            out.push(WorkspaceSymbol {
                name: it.name.clone(),
                kind: symbol_kind(it.kind),
                tags: None,
                container_name: Some(
                    s.results
                        .get(f)
                        .map_or_else(String::new, |r| r.name.clone()),
                ),
                location: OneOf::Left(s.location(f, it.name_range)),
                data: None,
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Hover

fn fence(code: &str) -> String {
    format!("```falco\n{}\n```\n", code.trim_end())
}

fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} …", &s[..end])
}

/// Hover text for the item at `pos`.
pub fn hover(s: &Snapshot, f: usize, pos: Position) -> Option<Hover> {
    let off = s.offset(f, pos);
    if let Some(h) = field_hover(s, f, off) {
        return Some(h);
    }
    let (sym, r) = s.symbol_at(f, off)?;
    let md = hover_markdown(s, &sym)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        }),
        range: Some(s.lsp_range(f, r.0, r.1)),
    })
}

fn def_line(s: &Snapshot, sym: &Symbol) -> String {
    let defs = s.definitions(sym);
    let mut out = String::new();
    if let Some(&(f, r)) = defs.first() {
        let lc = s.sources.get(FileId(f as u32)).line_col(r.0);
        out = format!("Defined in `{}:{}`", s.results[f].name, lc.line + 1);
        if defs.len() > 1 {
            out.push_str(&format!(
                ", {} more entr{} (append/override)",
                defs.len() - 1,
                if defs.len() == 2 { "y" } else { "ies" }
            ));
        }
        out.push('\n');
    }
    out
}

/// The markdown of a hover on `sym`.
pub fn hover_markdown(s: &Snapshot, sym: &Symbol) -> Option<String> {
    let (kind, name) = sym;
    let mut md = format!("**{}** `{}`\n\n", kind.key(), name);
    match kind {
        Kind::Macro => {
            let Some(&i) = s.collection.macro_ids.get(name) else {
                md.push_str("*Undefined macro*\n");
                return Some(md);
            };
            let m = &s.collection.macros[i];
            md.push_str(&fence(m.cond.as_str()));
            if let Some(Some(ast)) = s.compiled.macros.get(i) {
                let expanded = condition::pretty(ast, 80);
                if expanded.trim() != m.cond.as_str().trim() {
                    md.push_str("\nExpansion:\n");
                    md.push_str(&fence(&cut(&expanded, 2000)));
                }
                // Only when the macro selects event types: most macros do not.
                let et = evttype::resolve(ast, evttype::Options::for_load(&s.options));
                if et.events != EventTypes::all().events {
                    md.push_str("\nWhen used in a `syscall` rule:\n");
                    md.push_str(&describe_event_types(&et));
                }
            }
            md.push('\n');
            md.push_str(&def_line(s, sym));
        }
        Kind::List => {
            let i = *s.collection.list_ids.get(name)?;
            let l = &s.collection.lists[i];
            let raw: Vec<&str> = l.items.iter().map(|t| t.as_str()).collect();
            md.push_str(&fence(&format!("[{}]", raw.join(", "))));
            if let Some(items) = s.compiled.list_items.get(i) {
                let exp: Vec<&str> = items.iter().map(|t| t.as_str()).collect();
                if exp != raw {
                    md.push_str("\nExpansion:\n");
                    md.push_str(&fence(&cut(&format!("[{}]", exp.join(", ")), 2000)));
                }
            }
            md.push('\n');
            md.push_str(&def_line(s, sym));
        }
        Kind::Rule => {
            let i = *s.collection.rule_ids.get(name)?;
            let r = &s.collection.rules[i];
            if !r.desc.is_empty() {
                md.push_str(r.desc.trim());
                md.push_str("\n\n");
            }
            md.push_str(&format!(
                "- priority: `{}`\n- source: `{}`\n",
                r.priority.as_str(),
                r.source
            ));
            if !r.enabled {
                md.push_str("- **disabled**\n");
            }
            if !r.tags.is_empty() {
                let tags: Vec<&str> = r.tags.iter().map(String::as_str).collect();
                md.push_str(&format!("- tags: {}\n", tags.join(", ")));
            }
            match s.compiled.rules.iter().find(|c| c.rule == i) {
                Some(c) => {
                    if let Some(et) = &c.event_types {
                        md.push_str(&describe_event_types(et));
                    }
                }
                None => md.push_str("- not compiled (source not loaded)\n"),
            }
            md.push('\n');
            md.push_str(&fence(r.cond.as_str()));
            md.push('\n');
            md.push_str(&def_line(s, sym));
        }
    }
    Some(md)
}

/// At most this many event or syscall names are listed in a hover.
const MAX_LISTED: usize = 40;

fn listed<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    let mut out: Vec<String> = items.iter().take(MAX_LISTED).map(show).collect();
    if items.len() > MAX_LISTED {
        out.push(format!("… {} more", items.len() - MAX_LISTED));
    }
    out.join(", ")
}

/// The event types and x86_64 syscalls of a condition (the compiler's event-type resolution,
/// as `falco-rulec explain` shows them), as markdown list items.
pub fn describe_event_types(et: &EventTypes) -> String {
    let all = EventTypes::all();
    if et.events == all.events {
        return format!(
            "- event types: all ({} codes): no `evt.type` restriction, a significant performance penalty\n",
            et.events.len()
        );
    }
    if et.is_empty() {
        return "- event types: none (the condition can never match)\n".to_owned();
    }
    let names = et.names();
    let sys = et.syscall_list();
    format!(
        "- event types ({}): {}\n- syscalls ({}): {}\n",
        names.len(),
        listed(&names, |n| format!("`{n}`")),
        sys.len(),
        listed(&sys, |(n, nr)| format!("`{n}` ({nr})")),
    )
}

// ---------------------------------------------------------------------------------------
// Completion

fn item(label: &str, kind: CompletionItemKind, detail: Option<String>) -> CompletionItem {
    CompletionItem {
        label: label.to_owned(),
        kind: Some(kind),
        detail,
        ..CompletionItem::default()
    }
}

/// Completion items at `pos`.
pub fn completion(s: &Snapshot, f: usize, pos: Position) -> Vec<CompletionItem> {
    let off = s.offset(f, pos);
    let text = s.text(f);
    let line_start = text[..off as usize]
        .rfind(['\n', '\r'])
        .map_or(0, |i| i + 1);
    let before = &text[line_start..off as usize];
    let trimmed = before.trim_start();
    let idx = &s.index[f];

    // `key: value` lines.
    if let Some(rest) = trimmed.strip_prefix("priority:") {
        if rest.trim().chars().all(|c| c.is_ascii_alphabetic()) {
            return Priority::ALL
                .iter()
                .enumerate()
                .map(|(i, p)| CompletionItem {
                    sort_text: Some(format!("{i}")),
                    ..item(
                        &p.as_str().to_uppercase(),
                        CompletionItemKind::ENUM_MEMBER,
                        Some("priority".into()),
                    )
                })
                .collect();
        }
    }
    if let Some(rest) = trimmed.strip_prefix("source:") {
        if !rest.trim().contains(' ') {
            return s_sources(s)
                .into_iter()
                .map(|n| {
                    item(
                        &n,
                        CompletionItemKind::ENUM_MEMBER,
                        Some("event source".into()),
                    )
                })
                .collect();
        }
    }
    for key in [
        "enabled:",
        "append:",
        "warn_evttypes:",
        "skip-if-unknown-filter:",
        "capture:",
    ] {
        if trimmed.starts_with(key) {
            return ["true", "false"]
                .iter()
                .map(|b| item(b, CompletionItemKind::VALUE, None))
                .collect();
        }
    }

    // After a field: its operators.
    if let Some(ops) = operator_completion(s, f, off) {
        return ops;
    }

    // Inside a condition.
    let in_cond = idx
        .items
        .iter()
        .any(|it| it.condition_range.is_some_and(|r| r.0 <= off && off <= r.1))
        || trimmed.starts_with("condition:");
    if in_cond {
        let mut items = condition_completion(s, before);
        if !items
            .iter()
            .all(|i| i.kind == Some(CompletionItemKind::ENUM))
        {
            items.extend(field_completion(&source_at(s, f, off)));
        }
        return items;
    }

    // Keys.
    let word_only = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    if word_only
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        if trimmed.starts_with("- ") && before.len() - trimmed.len() == 0 {
            return TOP_KEYS
                .iter()
                .map(|k| {
                    item(
                        k,
                        CompletionItemKind::KEYWORD,
                        Some("rules file item".into()),
                    )
                })
                .collect();
        }
        if before.len() > trimmed.len() || trimmed.starts_with("- ") {
            if let Some(i) = idx.item_at(off) {
                let it = &idx.items[i];
                let keys = match it.kind {
                    Kind::Rule => RULE_KEYS,
                    Kind::Macro => MACRO_KEYS,
                    Kind::List => LIST_KEYS,
                };
                return keys
                    .iter()
                    .filter(|k| !it.keys.iter().any(|(have, _)| have == *k))
                    .map(|k| CompletionItem {
                        insert_text: Some(format!("{k}: ")),
                        ..item(
                            k,
                            CompletionItemKind::PROPERTY,
                            Some(format!("{} key", it.kind.key())),
                        )
                    })
                    .collect();
            }
        }
    }
    Vec::new()
}

/// The event source of the item at `off`: its `source:` for a rule, else the source of the
/// first rule of the file that has one, else `syscall`.
pub fn source_at(s: &Snapshot, f: usize, off: u32) -> String {
    let idx = &s.index[f];
    let rule_source = |it: &crate::index::Item| -> Option<String> {
        (it.kind == Kind::Rule)
            .then(|| s.collection.rule(&it.name).map(|r| r.source.clone()))
            .flatten()
    };
    if let Some(src) = idx.item_at(off).and_then(|i| rule_source(&idx.items[i])) {
        return src;
    }
    idx.items
        .iter()
        .find_map(rule_source)
        .unwrap_or_else(|| "syscall".into())
}

/// The field (name, bracket argument) the cursor follows, separated by blanks, in a
/// condition; `None` when the cursor does not follow a field.
fn field_before(s: &Snapshot, f: usize, off: u32) -> Option<(String, Option<String>)> {
    let text = s.text(f);
    let idx = &s.index[f];
    let toks = &idx.tokens;
    let last = toks.iter().rposition(|t| t.range.1 <= off)?;
    let end = toks[last].range.1;
    let gap = text.get(end as usize..off as usize)?;
    if gap.is_empty() || !gap.chars().all(char::is_whitespace) {
        return None;
    }
    // A line break is fine only inside the condition (not on the next key's line).
    if gap.contains(['\n', '\r'])
        && !idx
            .items
            .iter()
            .any(|it| it.condition_range.is_some_and(|r| r.0 <= end && off <= r.1))
    {
        return None;
    }
    match toks[last].kind {
        TokenKind::FieldName => Some((toks[last].text.clone(), None)),
        TokenKind::RBracket => {
            let lb = toks[..last]
                .iter()
                .rposition(|t| t.kind == TokenKind::LBracket)?;
            let name = toks.get(lb.checked_sub(1)?)?;
            if name.kind != TokenKind::FieldName || name.range.1 != toks[lb].range.0 {
                return None;
            }
            let arg = text.get(toks[lb].range.1 as usize..toks[last].range.0 as usize)?;
            let arg = arg.trim().trim_matches(['"', '\'']);
            Some((name.text.clone(), Some(arg.to_owned())))
        }
        _ => None,
    }
}

/// After a field in a condition: the operators valid for the field's type and list-ness
/// (`operators.json`, through [`rulec::schema`]), each with what its right-hand side takes.
fn operator_completion(s: &Snapshot, f: usize, off: u32) -> Option<Vec<CompletionItem>> {
    let (name, arg) = field_before(s, f, off)?;
    let source = source_at(s, f, off);
    let reg = rulec::schema::Registry::get();
    let ops = &reg.ops;
    let resolved = reg
        .source(&source)
        .and_then(|src| src.lookup(&name, arg.as_deref()).ok());
    let (accepted, ty, literal) = match resolved {
        Some(r) => {
            let mut ty = r.ty.name().to_owned();
            if r.is_list {
                ty.push_str(" (list)");
            }
            let literal = ops.types.get(r.ty as usize).map(|t| t.rhs_literal.as_str());
            (ops.accepted(r.ty, r.is_list), ty, literal)
        }
        None => (
            ops.operators.iter().collect(),
            format!("unknown field for `{source}`"),
            None,
        ),
    };
    Some(
        accepted
            .into_iter()
            .enumerate()
            .map(|(rank, o)| {
                // What the operator takes; when that is any value (`=`, `<`: "single value,
                // val()/transformer"), how the field's type parses one.
                let own = o
                    .rhs_refers_to()
                    .and_then(|r| ops.operator(r))
                    .map_or(o.rhs.as_deref(), |r| r.rhs.as_deref());
                let rhs = match (o.parser_group.as_str(), own, literal) {
                    ("unary", _, _) => None,
                    ("str" | "num", Some(own), Some(l))
                        if own.contains("val()") && !l.is_empty() =>
                    {
                        Some(l)
                    }
                    _ => own,
                };
                let detail = match rhs {
                    Some(rhs) => format!("{ty} · right-hand side: {}", brief(rhs)),
                    None => format!("{ty} · no right-hand side"),
                };
                CompletionItem {
                    sort_text: Some(format!("{rank:02}")),
                    documentation: rhs
                        .filter(|r| brief(r) != *r)
                        .map(|r| Documentation::String(format!("right-hand side: {r}"))),
                    ..item(&o.op, CompletionItemKind::OPERATOR, Some(detail))
                }
            })
            .collect(),
    )
}

/// `text` without a final parenthesized remark (`signed decimal (parsed64)` → `signed decimal`).
fn brief(text: &str) -> &str {
    match text.strip_suffix(')').and_then(|t| t.rfind(" (")) {
        Some(i) => &text[..i],
        None => text,
    }
}

/// Fields of `source` with their types and descriptions (from [`rulec::schema`]).
fn field_completion(source: &str) -> Vec<CompletionItem> {
    rulec::schema::Registry::get()
        .fields(source)
        .iter()
        .filter(|fd| !fd.print_only && !fd.table_only)
        .map(|fd| CompletionItem {
            sort_text: Some(format!("5{}", fd.name)),
            tags: fd.deprecated.then(|| vec![CompletionItemTag::DEPRECATED]),
            documentation: Some(Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: fd.description.clone(),
            })),
            ..item(&fd.name, CompletionItemKind::FIELD, Some(field_type(fd)))
        })
        .collect()
}

fn field_type(fd: &rulec::schema::FieldDef) -> String {
    let mut t = fd.ty.name().to_owned();
    if fd.is_list {
        t.push_str(" (list)");
    }
    if fd.arg.is_some() {
        t.push_str(", takes [arg]");
    }
    t
}

/// Hover on a field name of a condition: type, class and description.
pub fn field_hover(s: &Snapshot, f: usize, off: u32) -> Option<Hover> {
    let t = s.index[f]
        .tokens
        .iter()
        .find(|t| t.kind == TokenKind::FieldName && t.range.0 <= off && off <= t.range.1)?;
    let source = source_at(s, f, off);
    let reg = rulec::schema::Registry::get();
    let md = match reg.source(&source).and_then(|src| src.field(&t.text)) {
        Some(fd) => format!(
            "**field** `{}` — `{}`\n\n{}\n\nclass: {} · source: `{source}`{}",
            fd.name,
            field_type(fd),
            fd.description,
            fd.class,
            if fd.deprecated {
                " · **deprecated**"
            } else {
                ""
            }
        ),
        None => format!("**field** `{}`: unknown for source `{source}`", t.text),
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        }),
        range: Some(s.lsp_range(f, t.range.0, t.range.1)),
    })
}

/// Formats the whole document with [`rulec::fmt`] (refuses files that do not load).
pub fn formatting(s: &Snapshot, f: usize) -> Result<Vec<TextEdit>, String> {
    let text = s.text(f);
    let out = rulec::fmt::format_source(text, &rulec::fmt::FmtOptions::default())
        .map_err(|e| e.to_string())?;
    if out == text {
        return Ok(Vec::new());
    }
    Ok(vec![TextEdit::new(
        s.lsp_range(f, 0, crate::text::to_u32(text.len())),
        out,
    )])
}

fn s_sources(_s: &Snapshot) -> Vec<String> {
    rulec::LoadOptions::default().sources
}

fn condition_completion(s: &Snapshot, before: &str) -> Vec<CompletionItem> {
    let list_context = {
        let b =
            before.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        let b = b.trim_end();
        let b = b.strip_suffix('(').map_or(b, str::trim_end);
        let b = b.trim_end_matches(|c: char| c != '(' && c != ' ');
        let last_word = before
            .rsplit(['('])
            .nth(1)
            .unwrap_or("")
            .split_whitespace()
            .last()
            .unwrap_or("");
        b.ends_with("in ") || matches!(last_word, "in" | "pmatch" | "intersects")
    };
    let mut out = Vec::new();
    let mut lists: Vec<&String> = s.collection.list_ids.keys().collect();
    lists.sort();
    for l in lists {
        let i = s.collection.list_ids[l];
        let items: Vec<&str> = s.collection.lists[i]
            .items
            .iter()
            .map(|t| t.as_str())
            .collect();
        out.push(CompletionItem {
            sort_text: Some(format!("{}{l}", if list_context { 0 } else { 2 })),
            ..item(
                l,
                CompletionItemKind::ENUM,
                Some(cut(&format!("list [{}]", items.join(", ")), 120)),
            )
        });
    }
    if list_context {
        return out;
    }
    let mut macros: Vec<&String> = s.collection.macro_ids.keys().collect();
    macros.sort();
    for m in macros {
        let i = s.collection.macro_ids[m];
        out.push(CompletionItem {
            sort_text: Some(format!("1{m}")),
            documentation: Some(Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: fence(s.collection.macros[i].cond.as_str()),
            })),
            ..item(m, CompletionItemKind::FUNCTION, Some("macro".into()))
        });
    }
    for k in ["and", "or", "not"] {
        out.push(CompletionItem {
            sort_text: Some(format!("3{k}")),
            ..item(k, CompletionItemKind::KEYWORD, None)
        });
    }
    let ops = &rulec::schema::Registry::get().ops;
    for (i, o) in ops.operators.iter().enumerate() {
        out.push(CompletionItem {
            sort_text: Some(format!("4{i:02}")),
            ..item(&o.op, CompletionItemKind::OPERATOR, Some("operator".into()))
        });
    }
    out
}

// ---------------------------------------------------------------------------------------
// Code lenses

/// "Run tests" lenses of file `f`: when some rule-test file applies to it (see
/// [`crate::ruletests`]), one lens at the top running every test of the file, and one above
/// each rule: `▶ Run N tests` for a rule that tests name, a plain `No tests` label (no
/// command) for one they do not. No lens at all in a file no test file applies to.
pub fn code_lenses(s: &Snapshot, f: usize, tests: &TestIndex) -> Vec<CodeLens> {
    let Some(path) = crate::world::uri_path(&s.uris[f]) else {
        return Vec::new();
    };
    let path = ruletests::canonical(&path);
    let applicable = tests.tests_of(&path, true, None);
    if applicable.is_empty() {
        return Vec::new();
    }
    let mut per_rule: HashMap<&str, usize> = HashMap::new();
    let mut total = 0;
    for (_, ts) in &applicable {
        total += ts.len();
        for t in ts {
            for r in &t.rules {
                *per_rule.entry(r.as_str()).or_default() += 1;
            }
        }
    }
    let run = |title: String, rule: Option<&str>| Command {
        title,
        command: ruletests::RUN_COMMAND.to_owned(),
        arguments: Some(vec![match rule {
            Some(r) => serde_json::json!({ "uri": s.uris[f], "rule": r }),
            None => serde_json::json!({ "uri": s.uris[f] }),
        }]),
    };
    let mut out = Vec::new();
    if total > 0 {
        out.push(CodeLens {
            range: Range::default(),
            command: Some(run(format!("▶ Run all tests of this file ({total})"), None)),
            data: None,
        });
    }
    for it in s.index[f].items.iter().filter(|it| it.kind == Kind::Rule) {
        let n = per_rule.get(it.name.as_str()).copied().unwrap_or(0);
        let command = if n == 0 {
            Command {
                title: "No tests".to_owned(),
                command: String::new(),
                arguments: None,
            }
        } else {
            run(
                format!("▶ Run {}", plural(n, "test", "tests")),
                Some(&it.name),
            )
        };
        out.push(CodeLens {
            range: s.lsp_range(f, it.name_range.0, it.name_range.1),
            command: Some(command),
            data: None,
        });
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ---------------------------------------------------------------------------------------
// Semantic tokens

/// Semantic tokens of the conditions of file `f` (delta-encoded).
pub fn semantic_tokens(s: &Snapshot, f: usize) -> Vec<SemanticToken> {
    let text = s.text(f);
    let mut toks: Vec<(Position, u32, u32)> = Vec::new();
    for t in &s.index[f].tokens {
        let (a, b) = (t.range.0 as usize, t.range.1 as usize);
        if b > text.len() || a >= b || text.get(a..b).is_none_or(|x| x.contains(['\n', '\r'])) {
            continue;
        }
        let ty = match t.kind {
            TokenKind::And | TokenKind::Or | TokenKind::Not => 0,
            TokenKind::Operator | TokenKind::Modifier => 1,
            TokenKind::FieldName => 2,
            TokenKind::FieldArg => 3,
            TokenKind::Transformer => 4,
            TokenKind::Identifier => {
                if !s.exists(Kind::Macro, &t.text) && s.exists(Kind::List, &t.text) {
                    6
                } else {
                    5
                }
            }
            TokenKind::BareStr => {
                if s.exists(Kind::List, &t.text) {
                    6
                } else {
                    7
                }
            }
            TokenKind::QuotedStr => 7,
            TokenKind::Number => 8,
            _ => continue,
        };
        let start = s.lines[f].position(text, a);
        let len: usize = text[a..b].chars().map(char::len_utf16).sum();
        toks.push((start, crate::text::to_u32(len), ty));
    }
    toks.sort_by_key(|(p, _, _)| (p.line, p.character));
    let mut out = Vec::with_capacity(toks.len());
    let (mut pl, mut pc) = (0, 0);
    for (p, len, ty) in toks {
        let dl = p.line - pl;
        let dc = if dl == 0 {
            p.character - pc
        } else {
            p.character
        };
        out.push(SemanticToken {
            delta_line: dl,
            delta_start: dc,
            length: len,
            token_type: ty,
            token_modifiers_bitset: 0,
        });
        pl = p.line;
        pc = p.character;
    }
    out
}

// ---------------------------------------------------------------------------------------
// Code actions

fn overlaps(a: Range, b: Range) -> bool {
    let k = |p: Position| (p.line, p.character);
    k(a.start) <= k(b.end) && k(b.start) <= k(a.end)
}

/// Quick fixes for diagnostics touching `range`, plus "extract macro" for a selection
/// inside a condition.
pub fn code_actions(s: &Snapshot, f: usize, range: Range) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    for d in &s.diagnostics[f] {
        let Some(sp) = d.span else { continue };
        let (_, r) = s.span_range(sp);
        if !overlaps(r, range) {
            continue;
        }
        let lsp_diag = to_lsp_diagnostic(s, f, d);
        if let Some(fix) = &d.fix {
            let (ff, fr) = s.span_range(fix.span);
            let mut changes = HashMap::new();
            changes.insert(
                uri(&s.uris[ff]),
                vec![TextEdit::new(fr, fix.replacement.clone())],
            );
            let title = if fix.replacement.is_empty() {
                capitalize(&fix.message)
            } else {
                format!("Replace with `{}` ({})", fix.replacement, fix.message)
            };
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![lsp_diag.clone()]),
                edit: Some(WorkspaceEdit {
                    changes: Some(changes),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(true),
                ..CodeAction::default()
            }));
        }
        if d.code == rulec::Code::UndefinedMacro && d.labels.is_empty() {
            let name = &s.text(f)[sp.start as usize..sp.end as usize];
            if rulec::load::read::is_identifier(name) {
                out.push(CodeActionOrCommand::CodeAction(define_macro(
                    s, f, sp.start, name, lsp_diag,
                )));
            }
        }
    }
    if let Some(a) = extract_macro(s, f, range) {
        out.push(CodeActionOrCommand::CodeAction(a));
    }
    out
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// Start of the line of the item containing `off` (where a new item can be inserted).
fn item_line_start(s: &Snapshot, f: usize, off: u32) -> usize {
    let text = s.text(f);
    let start = s.index[f]
        .item_at(off)
        .map_or(off as usize, |i| s.index[f].items[i].item_range.0 as usize);
    text[..start].rfind('\n').map_or(0, |i| i + 1)
}

fn define_macro(s: &Snapshot, f: usize, at: u32, name: &str, diag: Diagnostic) -> CodeAction {
    let ins = item_line_start(s, f, at);
    let p = s.lines[f].position(s.text(f), ins);
    let mut changes = HashMap::new();
    changes.insert(
        uri(&s.uris[f]),
        vec![TextEdit::new(
            Range::new(p, p),
            format!("- macro: {name}\n  condition: (evt.num = 0)\n\n"),
        )],
    );
    CodeAction {
        title: format!("Define macro `{name}`"),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diag]),
        edit: Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    }
}

fn extract_macro(s: &Snapshot, f: usize, range: Range) -> Option<CodeAction> {
    if range.start == range.end {
        return None;
    }
    let text = s.text(f);
    let (a, b) = (s.offset(f, range.start), s.offset(f, range.end));
    let it = s.index[f]
        .items
        .iter()
        .find(|it| it.condition_range.is_some_and(|r| r.0 <= a && b <= r.1))?;
    let selected = text.get(a as usize..b as usize)?.trim();
    if selected.is_empty() || selected.contains(['"', '\'']) && selected.contains('\n') {
        return None;
    }
    let one_line = selected.split_whitespace().collect::<Vec<_>>().join(" ");
    let parsed =
        condition::parse(&one_line, FileId(0), &condition::ParseOptions::default()).ok()?;
    if matches!(parsed.kind, ExprKind::Identifier(_)) {
        return None;
    }
    let mut n = 1;
    let name = loop {
        let cand = if n == 1 {
            "new_macro".to_owned()
        } else {
            format!("new_macro_{n}")
        };
        if !s.exists(Kind::Macro, &cand) {
            break cand;
        }
        n += 1;
    };
    let ins = item_line_start(s, f, it.item_range.0);
    let p = s.lines[f].position(text, ins);
    let mut changes = HashMap::new();
    changes.insert(
        uri(&s.uris[f]),
        vec![
            TextEdit::new(
                Range::new(p, p),
                format!("- macro: {name}\n  condition: {one_line}\n\n"),
            ),
            TextEdit::new(range, name.clone()),
        ],
    );
    Some(CodeAction {
        title: format!("Extract macro `{name}`"),
        kind: Some(CodeActionKind::REFACTOR_EXTRACT),
        edit: Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    })
}

/// Groups locations by file for stable test output.
pub fn sorted_changes(e: &WorkspaceEdit) -> BTreeMap<String, Vec<TextEdit>> {
    e.changes
        .iter()
        .flatten()
        .map(|(u, v)| (u.as_str().to_owned(), v.clone()))
        .collect()
}
