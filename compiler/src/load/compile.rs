//! Compile phase (§2.1): for every macro and then every rule, expand exceptions and lists,
//! parse, resolve macros, and run the source-independent warning passes.
//!
//! Unlike Falco, compilation does not stop at the first broken condition: every rule is
//! checked independently, and a rule that uses a broken macro is skipped silently so one
//! mistake gives one diagnostic.

use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::sync::Arc;

use super::context::Ctx;
use super::expand::{compile_lists, substitute_lists, with_exceptions, ListSubst};
use super::{Collection, LoadOptions, RuleInfo};
use crate::condition::ast::{Expr, ExprKind, Operand, Rhs};
use crate::condition::{self, ParseOptions};
use crate::diag::{suggest, Code, Diagnostic};
use crate::evttype::{self, EventTypes};
use crate::schema::{Registry, SourceSchema};
use crate::span::Span;
use crate::text::MappedText;
use crate::typeck::{self, TypedCondition, TypedOperand};

/// A rule after compilation.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// Index into [`Collection::rules`].
    pub rule: usize,
    /// The condition text after exceptions and list substitution (what the parser saw).
    pub text: MappedText,
    /// The parsed and macro-resolved condition; `None` when compilation failed.
    pub ast: Option<Expr>,
    /// Typed side table of the condition (`None` when it did not typecheck or the source has
    /// no schema).
    pub typed: Option<TypedCondition>,
    /// Event types and syscalls the condition may match (syscall source only).
    pub event_types: Option<EventTypes>,
    /// Typed `%` tokens of the output.
    pub output_fields: Vec<TypedOperand>,
}

/// The output of the compile phase.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    /// Items of each list after list-to-list expansion.
    pub list_items: Vec<Vec<MappedText>>,
    /// Resolved AST of each macro (by index into [`Collection::macros`]).
    pub macros: Vec<Option<Expr>>,
    /// Rules whose source is loaded, in collection order.
    /// Shared, because a load reuses a rule's compile across its per-file recompiles.
    pub rules: Vec<Arc<CompiledRule>>,
}

/// State of one macro during resolution.
#[derive(Clone)]
enum MacroState {
    Unparsed,
    Parsed(Expr),
    Resolving,
    Resolved(Expr),
    Broken,
}

/// Results that depend only on text, kept across the compiles of one load (Falco recompiles
/// the whole collection after every file; most conditions and outputs do not change).
#[derive(Debug, Default)]
pub struct CompileCache {
    /// Condition text -> parse result with spans local to the text.
    parses: FxHashMap<String, Result<Expr, condition::ParseError>>,
    /// (macro index, macro visibility) -> the expanded condition last parsed for it, the
    /// parse with file spans, and the stamp of that expansion (any change to the macro changes
    /// its visibility; list changes show in the expanded text).
    macro_parses: FxHashMap<(usize, u32), (MappedText, Expr, u64)>,
    /// Last stamp handed out: a new one per distinct macro expansion parsed.
    last_stamp: u64,
    /// (rule index, rule visibility) -> the rule's last compile, reused when its expanded text
    /// and the macros it depends on are unchanged.
    rules: FxHashMap<(usize, u32), RuleCacheEntry>,
    /// (source, output text) -> output check result.
    outputs: FxHashMap<
        (String, String),
        (
            Vec<crate::output::OutputToken>,
            Vec<crate::output::OutputError>,
        ),
    >,
    /// Output operands already typechecked, shared by all outputs.
    operands: crate::output::OperandMemo,
}

/// One memoized rule compile.
#[derive(Debug)]
struct RuleCacheEntry {
    text: MappedText,
    /// Macros the resolved condition inlines (transitively), with their visibility and the
    /// stamp of their expanded text (a later file can change a list a macro uses without
    /// touching the macro).
    deps: Vec<(usize, u32, u64)>,
    result: Option<Arc<CompiledRule>>,
    diags: Vec<Diagnostic>,
}

struct Compiler<'a> {
    /// Read-only during compilation (so items are borrowed, not cloned); the `used` flags
    /// are collected in `list_used` / `macro_used` and written back at the end.
    coll: &'a Collection,
    list_used: Vec<bool>,
    opts: &'a LoadOptions,
    cache: &'a mut CompileCache,
    list_items: Vec<Vec<MappedText>>,
    list_subst: ListSubst,
    macro_state: Vec<MacroState>,
    macro_used: Vec<bool>,
    /// Stamp of each macro's expanded text in this compile (0 when it did not parse).
    macro_stamp: Vec<u64>,
    /// Macros each resolved macro inlines, transitively.
    macro_deps: Vec<Vec<usize>>,
    /// Macros inlined by the resolution in progress.
    dep_sink: Vec<usize>,
    diags: Vec<Diagnostic>,
    /// Set when LOAD_NO_EVTTYPE was reported for the rule being compiled.
    no_evttype_reported: bool,
    /// Answers of [`Self::literal_empty_list`] (the collection does not change during a
    /// compile).
    empty_list_memo: RefCell<FxHashMap<Span, bool>>,
}

/// Outcome of typechecking one rule.
enum Typecheck {
    Ok(TypedCondition),
    Failed,
    /// skip-if-unknown-filter: the rule is dropped.
    Skip,
    /// Every unknown field belongs to another source (reported once; output not checked).
    WrongSource,
}

/// The other source in which every field of `errors` resolves, when all errors are unknown
/// fields.
fn wrong_source(errors: &[typeck::TypeError], source: &str) -> Option<&'static str> {
    let fields: Vec<&str> = errors
        .iter()
        .map(|e| e.field.as_deref())
        .collect::<Option<_>>()?;
    Registry::get()
        .sources
        .iter()
        .filter(|s| s.name != source)
        .find(|s| fields.iter().all(|f| s.is_valid_field_text(f)))
        .map(|s| s.name.as_str())
}

impl CompiledRule {
    fn failed(rule: usize, text: MappedText) -> CompiledRule {
        CompiledRule {
            rule,
            text,
            ast: None,
            typed: None,
            event_types: None,
            output_fields: Vec::new(),
        }
    }
}

/// Compiles the whole collection, returning the result and its diagnostics in Falco's order
/// (compile diagnostics, then unused macros, then unused lists).
pub fn compile(coll: &mut Collection, opts: &LoadOptions) -> (Compiled, Vec<Diagnostic>) {
    compile_cached(coll, opts, &mut CompileCache::default())
}

/// [`compile`] reusing text-only results from earlier compiles of the same load.
pub fn compile_cached(
    coll: &mut Collection,
    opts: &LoadOptions,
    cache: &mut CompileCache,
) -> (Compiled, Vec<Diagnostic>) {
    for l in &mut coll.lists {
        l.used = false;
    }
    let list_items = compile_lists(&mut coll.lists);
    let list_subst = ListSubst::new(&coll.lists);
    let n = coll.macros.len();
    let list_used = coll.lists.iter().map(|l| l.used).collect();
    let mut c = Compiler {
        coll,
        list_used,
        opts,
        cache,
        list_items,
        list_subst,
        macro_state: vec![MacroState::Unparsed; n],
        macro_used: vec![false; n],
        macro_deps: vec![Vec::new(); n],
        macro_stamp: vec![0; n],
        dep_sink: Vec::new(),
        diags: Vec::new(),
        no_evttype_reported: false,
        empty_list_memo: RefCell::default(),
    };
    for i in 0..n {
        c.parse_macro(i);
    }
    for i in 0..n {
        c.ensure_resolved(i);
    }
    c.macro_lints();
    c.duplicate_list_items();
    let mut rules = Vec::new();
    for i in 0..c.coll.rules.len() {
        if let Some(r) = c.compile_rule(i) {
            rules.push(r);
        }
    }
    c.shadowed_rules(&rules);
    c.plugin_versions();
    // Falco stops at the first compile error and never reaches the unused-item checks; an
    // undefined or broken reference would also make its target look unused.
    let unused_checked = !c
        .diags
        .iter()
        .any(|d| d.severity() == crate::diag::Severity::Error);
    if unused_checked {
        c.unused_warnings();
    }
    let Compiler {
        macro_state,
        list_items,
        list_used,
        macro_used,
        diags,
        ..
    } = c;
    for (l, used) in coll.lists.iter_mut().zip(list_used) {
        l.used = used;
    }
    let macros = macro_state
        .into_iter()
        .map(|s| match s {
            MacroState::Resolved(e) => Some(e),
            _ => None,
        })
        .collect();
    if unused_checked {
        for (m, used) in coll.macros.iter_mut().zip(macro_used) {
            m.used = used;
        }
    }
    (
        Compiled {
            list_items,
            macros,
            rules,
        },
        diags,
    )
}

impl Compiler<'_> {
    fn substitute(&mut self, text: &mut MappedText) {
        let used = substitute_lists(
            text,
            &self.coll.lists,
            &self.list_items,
            &self.coll.list_ids,
            &self.list_subst,
        );
        for used in used {
            self.list_used[used] = true;
        }
    }

    /// Parses `text`; on failure reports the error with Falco's context and our span.
    fn parse(&mut self, text: &MappedText, cond_ctx: &Ctx) -> Option<Expr> {
        let file = cond_ctx
            .0
            .last()
            .and_then(|l| l.span)
            .map(|s| s.file)
            .unwrap_or_default();
        let opts = ParseOptions {
            max_depth: self.opts.max_depth,
        };
        let parsed = match self.cache.parses.get(text.as_str()) {
            Some(p) => p.clone(),
            None => {
                let p = condition::parse(text.as_str(), file, &opts);
                self.cache
                    .parses
                    .insert(text.as_str().to_owned(), p.clone());
                p
            }
        };
        match parsed {
            Ok(mut ast) => {
                ast.walk_spans_mut(&mut |s: &mut Span| {
                    if let Some(m) = text.span_of(s.start, s.end) {
                        *s = m;
                    }
                });
                Some(ast)
            }
            Err(e) => {
                let span = text.span_of(e.span.start, e.span.end.max(e.span.start + 1));
                let ctx = cond_ctx.condition_expression(text.as_str(), e.index);
                let mut d = Diagnostic::new(Code::ConditionSyntax, e.message.clone(), span)
                    .with_context(ctx.0);
                if let Some(h) = &e.hint {
                    d = d.with_help(h.clone());
                }
                if span.is_some_and(|s| self.is_in_list_item(s)) {
                    d = d.with_note("this text was substituted from a list");
                }
                self.diags.push(d);
                None
            }
        }
    }

    /// True when `span` lies inside a list item rather than in the condition itself.
    fn is_in_list_item(&self, span: Span) -> bool {
        self.coll.lists.iter().any(|l| {
            l.items.iter().any(|i| {
                i.span.file == span.file && i.span.start <= span.start && span.end <= i.span.end
            })
        })
    }

    fn parse_macro(&mut self, i: usize) {
        let m = &self.coll.macros[i];
        let mut text = m.cond.clone();
        self.substitute(&mut text);
        let key = (i, m.visibility);
        if let Some((parsed_text, ast, stamp)) = self.cache.macro_parses.get(&key) {
            if *parsed_text == text {
                self.macro_state[i] = MacroState::Parsed(ast.clone());
                self.macro_stamp[i] = *stamp;
                return;
            }
        }
        self.macro_state[i] = match self.parse(&text, &m.cond_ctx) {
            Some(ast) => {
                self.cache.last_stamp += 1;
                let stamp = self.cache.last_stamp;
                self.macro_stamp[i] = stamp;
                self.cache
                    .macro_parses
                    .insert(key, (text, ast.clone(), stamp));
                MacroState::Parsed(ast)
            }
            None => MacroState::Broken,
        };
    }

    /// Resolves macro `i` (memoized). Returns a copy of its AST, or `None` when it is broken.
    fn resolve_macro(&mut self, i: usize) -> Option<Expr> {
        if !self.ensure_resolved(i) {
            return None;
        }
        match &self.macro_state[i] {
            MacroState::Resolved(ast) => Some(ast.clone()),
            _ => None,
        }
    }

    /// Resolves macro `i` in place (memoized); false when it is broken or being resolved.
    fn ensure_resolved(&mut self, i: usize) -> bool {
        match std::mem::replace(&mut self.macro_state[i], MacroState::Resolving) {
            MacroState::Parsed(mut ast) => {
                let m = &self.coll.macros[i];
                let outer = std::mem::take(&mut self.dep_sink);
                let ok = self.resolve(&mut ast, m.visibility, &mut vec![i], &m.cond_ctx, &m.cond);
                let mut deps = std::mem::replace(&mut self.dep_sink, outer);
                deps.sort_unstable();
                deps.dedup();
                self.macro_deps[i] = deps;
                self.macro_state[i] = if ok {
                    MacroState::Resolved(ast)
                } else {
                    MacroState::Broken
                };
                ok
            }
            other => {
                let resolved = matches!(other, MacroState::Resolved(_));
                self.macro_state[i] = other;
                resolved
            }
        }
    }

    /// Replaces every macro reference in `ast`. `path` holds the macros being expanded.
    /// Returns false when an error was reported or a referenced macro is broken.
    fn resolve(
        &mut self,
        ast: &mut Expr,
        visibility: u32,
        path: &mut Vec<usize>,
        ctx: &Ctx,
        text: &MappedText,
    ) -> bool {
        match &mut ast.kind {
            ExprKind::And(children) | ExprKind::Or(children) => {
                let mut ok = true;
                for c in children {
                    ok &= self.resolve(c, visibility, path, ctx, text);
                }
                ok
            }
            ExprKind::Not(child) => self.resolve(child, visibility, path, ctx, text),
            ExprKind::Identifier(name) => {
                let name = name.clone();
                let span = ast.span;
                let Some(&m) = self.coll.macro_ids.get(&name) else {
                    self.undefined_macro(&name, span, None, ctx, text);
                    return false;
                };
                if self.coll.macros[m].index >= visibility {
                    self.undefined_macro(&name, span, Some(m), ctx, text);
                    return false;
                }
                if path.contains(&m) {
                    let d = Diagnostic::new(
                        Code::MacroLoop,
                        format!("reference loop in macro '{name}'"),
                        Some(span),
                    )
                    .with_context(self.expr_ctx(ctx, text, span).0)
                    .with_label(
                        self.coll.macros[m].name_span,
                        format!("macro `{name}` is defined here"),
                    )
                    .with_help("a macro cannot use itself, directly or through other macros");
                    self.diags.push(d);
                    return false;
                }
                self.macro_used[m] = true;
                if matches!(self.macro_state[m], MacroState::Resolving) {
                    // Reached through a cycle that started elsewhere: report as a loop.
                    let d = Diagnostic::new(
                        Code::MacroLoop,
                        format!("reference loop in macro '{name}'"),
                        Some(span),
                    )
                    .with_context(self.expr_ctx(ctx, text, span).0);
                    self.diags.push(d);
                    return false;
                }
                path.push(m);
                let resolved = self.resolve_macro(m);
                path.pop();
                match resolved {
                    Some(expr) => {
                        *ast = expr;
                        self.dep_sink.push(m);
                        let nested = self.macro_deps[m].clone();
                        self.dep_sink.extend(nested);
                        true
                    }
                    None => false,
                }
            }
            ExprKind::Unary { .. } | ExprKind::Binary { .. } => true,
        }
    }

    fn expr_ctx(&self, ctx: &Ctx, text: &MappedText, span: Span) -> Ctx {
        let index = text.local_of(span).unwrap_or(0);
        ctx.condition_expression(text.as_str(), index)
    }

    fn undefined_macro(
        &mut self,
        name: &str,
        span: Span,
        later: Option<usize>,
        ctx: &Ctx,
        text: &MappedText,
    ) {
        let mut d = Diagnostic::new(
            Code::UndefinedMacro,
            format!("Undefined macro '{name}' used in filter."),
            Some(span),
        )
        .with_context(self.expr_ctx(ctx, text, span).0);
        if let Some(m) = later {
            d = d
                .with_label(
                    self.coll.macros[m].name_span,
                    format!("`{name}` is defined here, after the macro that uses it"),
                )
                .with_note(
                    "a macro can only use macros defined before it (rules may use any macro)",
                );
        } else if let Some(s) = suggest(name, self.coll.macros.iter().map(|m| m.name.as_str())) {
            d = d.with_fix(span, s, format!("did you mean `{s}`?"));
        } else if name.contains('-') || name == "and" || name == "or" || name == "not" {
            d = d.with_help("a macro reference must be an identifier: letters, digits and `_`");
        }
        self.diags.push(d);
    }

    fn compile_rule(&mut self, i: usize) -> Option<Arc<CompiledRule>> {
        let rule = &self.coll.rules[i];
        if !self.opts.sources.contains(&rule.source) {
            let span = rule.name_span;
            let d = Diagnostic::new(
                Code::UnknownSource,
                format!("Unknown source {}, skipping", rule.source),
                Some(span),
            )
            .with_context(rule.ctx.0.clone())
            .with_note(format!("loaded sources: {}", self.opts.sources.join(", ")));
            self.diags.push(d);
            return None;
        }
        let mut text = match with_exceptions(&rule.cond, &rule.exceptions) {
            Ok(t) => t,
            Err(e) => {
                let ex = &rule.exceptions[e.exception];
                let d =
                    Diagnostic::new(Code::ExceptionInvalid, e.message, e.span.or(Some(ex.span)))
                        .with_context(ex.ctx.0.clone());
                self.diags.push(d);
                return Some(Arc::new(CompiledRule::failed(i, rule.cond.clone())));
            }
        };
        let schema = Registry::get().source(&rule.source);
        if let Some(schema) = schema {
            if !self.exception_fields(rule, schema) {
                return Some(Arc::new(CompiledRule::failed(i, text)));
            }
        }
        self.substitute(&mut text);
        if let Some(hit) = self.cached_rule(i, rule.visibility, &text) {
            return hit;
        }
        let mut ast = self.parse(&text, &rule.cond_ctx);
        self.dep_sink.clear();
        if let Some(a) = ast.as_mut() {
            if !self.resolve(a, u32::MAX, &mut Vec::new(), &rule.cond_ctx, &text) {
                ast = None;
            }
        }
        let Some(resolved) = ast else {
            return Some(Arc::new(CompiledRule::failed(i, text)));
        };
        let mut deps = std::mem::take(&mut self.dep_sink);
        deps.sort_unstable();
        deps.dedup();
        let deps = deps
            .into_iter()
            .map(|m| (m, self.coll.macros[m].visibility, self.macro_stamp[m]))
            .collect();
        let first_diag = self.diags.len();
        let result = self
            .compile_resolved(i, rule, text.clone(), resolved)
            .map(Arc::new);
        let entry = RuleCacheEntry {
            text,
            deps,
            result: result.clone(),
            diags: self.diags[first_diag..].to_vec(),
        };
        self.cache.rules.insert((i, rule.visibility), entry);
        result
    }

    /// The memoized compile of rule `i`, when its expanded text and every macro it inlines are
    /// unchanged since it was stored.
    fn cached_rule(
        &mut self,
        i: usize,
        visibility: u32,
        text: &MappedText,
    ) -> Option<Option<Arc<CompiledRule>>> {
        let entry = self.cache.rules.get(&(i, visibility))?;
        let fresh = entry.text == *text
            && entry.deps.iter().all(|&(m, vis, stamp)| {
                self.coll.macros.get(m).is_some_and(|x| x.visibility == vis)
                    && self.macro_stamp.get(m) == Some(&stamp)
                    && matches!(self.macro_state[m], MacroState::Resolved(_))
            });
        if !fresh {
            return None;
        }
        for &(m, _, _) in &entry.deps {
            self.macro_used[m] = true;
        }
        self.diags.extend(entry.diags.iter().cloned());
        Some(entry.result.clone())
    }

    /// Everything after macro resolution: warnings, typecheck, output, event types, lints.
    fn compile_resolved(
        &mut self,
        i: usize,
        rule: &RuleInfo,
        text: MappedText,
        resolved: Expr,
    ) -> Option<CompiledRule> {
        let ast = Some(resolved);
        let schema = Registry::get().source(&rule.source);
        if let Some(a) = &ast {
            self.condition_warnings(rule, a);
        }
        let mut compiled = CompiledRule {
            rule: i,
            text,
            ast,
            typed: None,
            event_types: None,
            output_fields: Vec::new(),
        };
        let Some(schema) = schema else {
            self.output_warnings(rule);
            return Some(compiled);
        };
        if let Some(a) = &compiled.ast {
            match self.typecheck(rule, a, schema, &compiled.text) {
                Typecheck::Ok(t) => compiled.typed = Some(t),
                Typecheck::Failed => {}
                Typecheck::Skip => return None,
                Typecheck::WrongSource => return Some(compiled),
            }
        }
        self.output_warnings(rule);
        match self.check_output(rule, schema) {
            Some(fields) => compiled.output_fields = fields,
            None if rule.skip_if_unknown_filter => return None,
            None => {}
        }
        if let (Some(a), Some(_)) = (&compiled.ast, &compiled.typed) {
            compiled.event_types = self.rule_event_types(rule, a);
            self.never_matches(rule, a, compiled.event_types.as_ref());
        }
        self.exception_lints(rule);
        Some(compiled)
    }

    fn evttype_options(&self) -> evttype::Options {
        evttype::Options::for_load(self.opts)
    }

    /// Whether the target engine is newer than Falco 0.44.1 (libs master behaviour).
    fn master(&self) -> bool {
        self.opts.engine_version > super::Version(0, 62, 0)
    }

    /// §1.10: every exception field must be valid for the rule's source. False on error.
    fn exception_fields(&mut self, rule: &RuleInfo, schema: &SourceSchema) -> bool {
        for ex in &rule.exceptions {
            let mut names: Vec<&super::Text> = Vec::new();
            match &ex.fields {
                Some(super::Entry::Scalar(t)) => names.push(t),
                Some(super::Entry::List(items, _)) => {
                    for e in items {
                        if let super::Entry::Scalar(t) = e {
                            names.push(t);
                        }
                    }
                }
                None => {}
            }
            for t in names {
                let f = t.as_str().trim();
                let ok = if f.contains('(') {
                    let src = format!("{f} exists");
                    condition::parse(&src, Default::default(), &ParseOptions::default())
                        .ok()
                        .and_then(|e| match &e.kind {
                            ExprKind::Unary { lhs } => {
                                typeck::check_operand(schema, lhs, e.span).ok()
                            }
                            _ => None,
                        })
                        .is_some()
                } else {
                    schema.is_valid_field_text(f)
                        || (!f.contains('.') && schema.lookup(f, None).is_ok())
                };
                if !ok {
                    let mut d = Diagnostic::new(
                        Code::ExceptionInvalid,
                        format!("'{f}' is not a supported filter field"),
                        Some(t.span),
                    )
                    .with_context(ex.ctx.0.clone());
                    if let Some(s) = suggest(f, schema.names()) {
                        d = d.with_fix(t.span, s, format!("did you mean `{s}`?"));
                    }
                    self.diags.push(d);
                    return false;
                }
            }
        }
        true
    }

    /// Typechecks a rule condition, reporting errors and warnings.
    fn typecheck(
        &mut self,
        rule: &RuleInfo,
        ast: &Expr,
        schema: &SourceSchema,
        text: &MappedText,
    ) -> Typecheck {
        let checked = typeck::check_condition(schema, ast);
        for w in &checked.warnings {
            self.diags.push(
                Diagnostic::new(Code::CompileCondition, w.message.clone(), Some(w.span))
                    .with_context(rule.cond_ctx.0.clone()),
            );
        }
        if checked.errors.is_empty() {
            return Typecheck::Ok(checked.typed);
        }
        if rule.skip_if_unknown_filter && checked.errors[0].unknown_filter {
            let e = &checked.errors[0];
            self.diags.push(
                Diagnostic::new(Code::UnknownFilter, e.message.clone(), Some(e.span))
                    .with_context(rule.ctx.0.clone())
                    .with_note("the rule is skipped because it has skip-if-unknown-filter: true"),
            );
            return Typecheck::Skip;
        }
        if let Some(other) = wrong_source(&checked.errors, &rule.source) {
            // Every unknown field belongs to another source: one mistake, one diagnostic.
            let e = &checked.errors[0];
            self.diags.push(
                Diagnostic::new(Code::ConditionType, e.message.clone(), Some(e.span))
                    .with_context(self.expr_ctx(&rule.cond_ctx, text, e.check_span).0)
                    .with_note(format!(
                        "the fields of this condition belong to source '{other}', but the rule's source is '{}'",
                        rule.source
                    ))
                    .with_help(format!("set `source: {other}` on the rule")),
            );
            return Typecheck::WrongSource;
        }
        for e in checked.errors {
            let mut d = Diagnostic::new(Code::ConditionType, e.message, Some(e.span))
                .with_context(self.expr_ctx(&rule.cond_ctx, text, e.check_span).0);
            if let Some(s) = e.suggestion {
                d = d.with_fix(e.span, s.clone(), format!("did you mean `{s}`?"));
            }
            if let Some(h) = e.help {
                d = d.with_help(h);
            }
            if self.is_in_list_item(e.span) {
                d = d.with_note("this value was substituted from a list");
            }
            self.diags.push(d);
        }
        Typecheck::Failed
    }

    /// Checks the output's `%` tokens; `None` when it does not compile.
    fn check_output(
        &mut self,
        rule: &RuleInfo,
        schema: &SourceSchema,
    ) -> Option<Vec<TypedOperand>> {
        let cache = &mut *self.cache;
        let (toks, errs) = cache
            .outputs
            .entry((rule.source.clone(), rule.output.as_str().to_owned()))
            .or_insert_with(|| {
                crate::output::check_output_memo(schema, rule.output.as_str(), &mut cache.operands)
            })
            .clone();
        if errs.is_empty() {
            return Some(toks.into_iter().map(|t| t.operand).collect());
        }
        if rule.skip_if_unknown_filter && errs[0].unknown_filter {
            let e = &errs[0];
            let span = crate::output::span_in(&rule.output, e.start, e.end).or(rule.output_span);
            self.diags.push(
                Diagnostic::new(Code::UnknownFilter, e.message.clone(), span)
                    .with_context(rule.ctx.0.clone())
                    .with_note("the rule is skipped because it has skip-if-unknown-filter: true"),
            );
            return None;
        }
        for e in errs {
            let span = crate::output::span_in(&rule.output, e.start, e.end).or(rule.output_span);
            self.diags.push(
                Diagnostic::new(Code::CompileOutput, e.message, span)
                    .with_context(rule.ctx.0.clone()),
            );
        }
        None
    }

    /// Event types of a syscall-source rule, with LOAD_NO_EVTTYPE (§4).
    fn rule_event_types(&mut self, rule: &RuleInfo, ast: &Expr) -> Option<EventTypes> {
        if rule.source != "syscall" {
            return None;
        }
        let et = evttype::resolve(ast, self.evttype_options());
        let warn = if self.master() {
            et.events.len() > evttype::MAX_EVTTYPES
        } else {
            et.too_many_or_empty()
        };
        if warn && rule.warn_evttypes {
            let span = rule
                .cond_ctx
                .0
                .last()
                .and_then(|l| l.span)
                .or(Some(rule.name_span));
            let mut d = Diagnostic::new(
                Code::NoEvttype,
                "Rule matches too many evt.type values. This has a significant performance penalty.",
                span,
            )
            .with_context(rule.ctx.0.clone());
            d = if et.is_empty() {
                d.with_note(
                    "the evt.type restrictions contradict each other: the rule can never match",
                )
            } else {
                d.with_note(format!(
                    "the condition matches {} event codes",
                    et.events.len()
                ))
                .with_help(
                    "restrict the rule with `evt.type in (...)`, or set `warn_evttypes: false`",
                )
            };
            self.diags.push(d);
            self.no_evttype_reported = true;
        }
        Some(et)
    }

    /// RULEC_NEVER_MATCHES, unless LOAD_NO_EVTTYPE already said so.
    fn never_matches(&mut self, rule: &RuleInfo, ast: &Expr, et: Option<&EventTypes>) {
        let reported = std::mem::take(&mut self.no_evttype_reported);
        let contradiction =
            et.is_some() && evttype::resolve(ast, evttype::Options::default()).is_empty();
        let never = contradiction
            || crate::lints::fold(ast, &|s| self.literal_empty_list(s)) == Some(false);
        if never && !(reported && contradiction) {
            let span = rule
                .cond_ctx
                .0
                .last()
                .and_then(|l| l.span)
                .or(Some(rule.name_span));
            self.diags.push(
                Diagnostic::new(
                    Code::NeverMatches,
                    format!("rule '{}' can never match", rule.name),
                    span,
                )
                .with_context(rule.ctx.0.clone())
                .with_note(if contradiction {
                    "its evt.type restrictions contradict each other"
                } else {
                    "a check on an empty list `()` decides the whole condition"
                }),
            );
        }
    }

    /// Whether the empty list at `span` is written `()` in a rule or macro condition (and
    /// not produced by substituting an empty list).
    ///
    /// Memoized per span.
    fn literal_empty_list(&self, span: Span) -> bool {
        if let Some(&known) = self.empty_list_memo.borrow().get(&span) {
            return known;
        }
        let found = self.literal_empty_list_uncached(span);
        self.empty_list_memo.borrow_mut().insert(span, found);
        found
    }

    fn literal_empty_list_uncached(&self, span: Span) -> bool {
        let texts = self
            .coll
            .rules
            .iter()
            .map(|r| &r.cond)
            .chain(self.coll.macros.iter().map(|m| &m.cond));
        for t in texts {
            if let Some(i) = t.local_of(span) {
                let rest = &t.as_str()[i as usize..];
                let rest = rest.strip_prefix('(').unwrap_or(rest);
                return rest
                    .trim_start_matches([' ', '\t', '\n', '\r'])
                    .starts_with(')');
            }
        }
        false
    }

    /// RULEC_EXCEPTION_MATCHES_ALL.
    fn exception_lints(&mut self, rule: &RuleInfo) {
        use super::Entry;
        for ex in &rule.exceptions {
            let comps: Vec<String> = match (&ex.fields, &ex.comps) {
                (Some(Entry::List(f, _)), Some(Entry::List(c, _))) => c
                    .iter()
                    .map(|e| match e {
                        Entry::Scalar(t) => t.as_str().to_owned(),
                        Entry::List(..) => String::new(),
                    })
                    .chain(std::iter::repeat(String::new()))
                    .take(f.len())
                    .collect(),
                (Some(Entry::Scalar(_)), Some(Entry::Scalar(c))) => vec![c.as_str().to_owned()],
                _ => continue,
            };
            let tuple_form = matches!(ex.fields, Some(Entry::List(..)));
            for v in &ex.values {
                let hit = match (tuple_form, v) {
                    (true, Entry::List(items, _)) => {
                        !items.is_empty()
                            && items.len() == comps.len()
                            && items.iter().zip(&comps).all(|(it, c)| match it {
                                Entry::Scalar(t) => crate::lints::trivially_true(c, t.as_str()),
                                Entry::List(..) => false,
                            })
                    }
                    (false, Entry::Scalar(t)) => {
                        crate::lints::trivially_true(&comps[0], t.as_str())
                    }
                    _ => false,
                };
                if hit {
                    self.diags.push(
                        Diagnostic::new(
                            Code::ExceptionMatchesAll,
                            format!(
                                "exception '{}' matches every event where its fields exist",
                                ex.name
                            ),
                            Some(v.span()),
                        )
                        .with_context(ex.ctx.0.clone()),
                    );
                }
            }
        }
    }

    fn condition_warnings(&mut self, rule: &RuleInfo, ast: &Expr) {
        let mut deprecated: Vec<(String, Span)> = Vec::new();
        let mut out = Vec::new();
        visit_checks(ast, &mut |lhs, op, rhs, span| {
            if let Operand::Field(f) = lhs {
                if DEPRECATED_FIELDS.contains(&f.name.as_str())
                    && !deprecated.iter().any(|(n, _)| *n == f.name)
                {
                    deprecated.push((f.name.clone(), f.span));
                }
                if (f.name.starts_with("ka.") || f.name.starts_with("jevt."))
                    && op.is_some_and(|o| {
                        matches!(o, "=" | "==" | "!=" | "in" | "intersects" | "pmatch")
                    })
                    && rhs_values(rhs).any(|v| v == "<NA>")
                {
                    out.push(
                        Diagnostic::new(Code::UnsafeNaCheck, "", Some(span)).with_help(
                            "`<NA>` is how missing values are printed; test with `exists` instead",
                        ),
                    );
                }
            }
            if let Some(op) = op {
                for (v, vspan) in rhs_values_spans(rhs) {
                    if let Some(w) = value_warning(op, v) {
                        out.push(Diagnostic::new(Code::CompileCondition, w, Some(vspan)));
                    }
                }
            }
        });
        for d in &mut out {
            d.context = rule.cond_ctx.0.clone();
        }
        self.diags.extend(out);
        for (name, span) in deprecated {
            let mut d = Diagnostic::new(
                Code::DeprecatedItem,
                deprecated_field_message(&name),
                Some(span),
            )
            .with_context(rule.cond_ctx.0.clone());
            d.deprecated_field = Some(name);
            self.diags.push(d);
        }
    }

    fn output_warnings(&mut self, rule: &RuleInfo) {
        let out = rule.output.as_str();
        if let Some(pos) = out.find("%container.info") {
            let span = rule
                .output
                .span_of(crate::span::to_u32(pos), crate::span::to_u32(pos + 15))
                .or(rule.output_span);
            self.diags.push(
                Diagnostic::new(
                    Code::DeprecatedItem,
                    "%container.info is deprecated and no more useful, and will be dropped by Falco 1.0.0. The container plugin will automatically add required fields to the output message.",
                    span,
                )
                .with_context(rule.ctx.0.clone())
                .with_fix(span.unwrap_or_default(), "", "remove `%container.info`"),
            );
        }
        for f in DEPRECATED_FIELDS {
            if let Some(pos) = out.find(f) {
                let span = rule
                    .output
                    .span_of(crate::span::to_u32(pos), crate::span::to_u32(pos + f.len()))
                    .or(rule.output_span);
                let mut d = Diagnostic::new(
                    Code::DeprecatedItem,
                    format!("usage of deprecated field '{f}' has been detected in the rule output"),
                    span,
                )
                .with_context(rule.ctx.0.clone());
                d.deprecated_field = Some((*f).to_owned());
                self.diags.push(d);
            }
        }
    }

    /// RULEC_CONSTANT_MACRO for resolved macros.
    fn macro_lints(&mut self) {
        let mut out = Vec::new();
        for (i, st) in self.macro_state.iter().enumerate() {
            let MacroState::Resolved(ast) = st else {
                continue;
            };
            let contradiction = evttype::resolve(ast, evttype::Options::default()).is_empty();
            let folded = crate::lints::fold(ast, &|s| self.literal_empty_list(s));
            let value = if contradiction { Some(false) } else { folded };
            if let Some(v) = value {
                let m = &self.coll.macros[i];
                out.push(
                    Diagnostic::new(
                        Code::ConstantMacro,
                        format!("macro '{}' is always {v}", m.name),
                        m.cond_ctx
                            .0
                            .last()
                            .and_then(|l| l.span)
                            .or(Some(m.name_span)),
                    )
                    .with_context(m.ctx.0.clone()),
                );
            }
        }
        self.diags.extend(out);
    }

    /// RULEC_DUPLICATE_LIST_ITEM.
    fn duplicate_list_items(&mut self) {
        let mut out = Vec::new();
        for l in &self.coll.lists {
            let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
            for it in &l.items {
                if let Some(first) = seen.get(it.as_str()) {
                    out.push(
                        Diagnostic::new(
                            Code::DuplicateListItem,
                            format!(
                                "item '{}' appears more than once in list '{}'",
                                it.as_str(),
                                l.name
                            ),
                            Some(it.span),
                        )
                        .with_label(*first, "first occurrence")
                        .with_context(l.ctx.0.clone())
                        .with_fix(it.span, "", "remove the duplicate"),
                    );
                } else {
                    seen.insert(it.as_str(), it.span);
                }
            }
        }
        self.diags.extend(out);
    }

    /// RULEC_SHADOWED_RULE.
    fn shadowed_rules(&mut self, rules: &[Arc<CompiledRule>]) {
        // Group by (source, output) first: printing conditions is only needed within a group.
        let mut groups: FxHashMap<(&str, &str), Vec<(usize, &Expr)>> = FxHashMap::default();
        for r in rules {
            let info = &self.coll.rules[r.rule];
            if let (Some(ast), true) = (&r.ast, info.enabled) {
                groups
                    .entry((info.source.as_str(), info.output.as_str()))
                    .or_default()
                    .push((r.rule, ast));
            }
        }
        let mut found = Vec::new();
        for members in groups.values().filter(|g| g.len() > 1) {
            let mut seen: FxHashMap<String, usize> = FxHashMap::default();
            for &(rule, ast) in members {
                match seen.get(&ast.to_string()) {
                    Some(&prev) => found.push((rule, prev)),
                    None => {
                        seen.insert(ast.to_string(), rule);
                    }
                }
            }
        }
        found.sort_unstable();
        for (rule, prev) in found {
            let (info, p) = (&self.coll.rules[rule], &self.coll.rules[prev]);
            self.diags.push(
                Diagnostic::new(
                    Code::ShadowedRule,
                    format!(
                        "rule '{}' has the same condition and output as rule '{}'",
                        info.name, p.name
                    ),
                    Some(info.name_span),
                )
                .with_label(p.name_span, "the earlier rule is defined here")
                .with_context(info.ctx.0.clone()),
            );
        }
    }

    /// RULEC_NEWER_PLUGIN: requirements on known plugins newer than our field tables.
    fn plugin_versions(&mut self) {
        let reg = Registry::get();
        let mut out = Vec::new();
        for req in &self.coll.plugin_requirements {
            let satisfied = req.alternatives.iter().any(|(n, v)| {
                reg.plugin(n)
                    .zip(super::Version::parse(v))
                    .is_some_and(|(p, v)| p.version.satisfies(v))
            });
            if satisfied {
                continue;
            }
            if let Some((n, v, p)) = req
                .alternatives
                .iter()
                .find_map(|(n, v)| reg.plugin(n).map(|p| (n, v, p)))
            {
                out.push(
                    Diagnostic::new(
                        Code::NewerPlugin,
                        format!(
                            "required plugin '{n}' version '{v}' is newer than the field tables of rulec (version '{}'); fields it added are reported as unknown",
                            p.version
                        ),
                        Some(req.span),
                    )
                    .with_context(req.ctx.0.clone()),
                );
            }
        }
        self.diags.extend(out);
    }

    fn unused_warnings(&mut self) {
        let unused_macros: Vec<Diagnostic> = self
            .coll
            .macros
            .iter()
            .zip(&self.macro_used)
            .filter(|(_, &used)| !used)
            .map(|(m, _)| m)
            .map(|m| {
                Diagnostic::new(
                    Code::UnusedMacro,
                    "Macro not referred to by any other rule/macro",
                    Some(m.name_span),
                )
                .with_context(m.ctx.0.clone())
            })
            .collect();
        self.diags.extend(unused_macros);
        let unused_lists: Vec<Diagnostic> = self
            .coll
            .lists
            .iter()
            .zip(&self.list_used)
            .filter(|(_, &used)| !used)
            .map(|(l, _)| {
                Diagnostic::new(
                    Code::UnusedList,
                    "List not referred to by any other rule/macro",
                    Some(l.name_span),
                )
                .with_context(l.ctx.0.clone())
            })
            .collect();
        self.diags.extend(unused_lists);
    }
}

/// Fields whose use Falco reports as deprecated (§6.2).
pub const DEPRECATED_FIELDS: &[&str] = &[
    "evt.dir",
    "evt.latency",
    "evt.latency.s",
    "evt.latency.ns",
    "evt.latency.human",
    "evt.wait_latency",
];

fn deprecated_field_message(name: &str) -> String {
    if name == "evt.dir" {
        "field 'evt.dir' is deprecated: enter events are no longer delivered, so 'evt.dir = <' is always true and 'evt.dir = >' is always false".into()
    } else {
        format!("field '{name}' is deprecated: latencies are not available because enter events are dropped")
    }
}

/// Calls `f(lhs, op, rhs, span)` for every check in `ast` (`op` is `None` for `exists`).
pub fn visit_checks<'a>(
    ast: &'a Expr,
    f: &mut dyn FnMut(&'a Operand, Option<&'a str>, Option<&'a Rhs>, Span),
) {
    match &ast.kind {
        ExprKind::And(c) | ExprKind::Or(c) => c.iter().for_each(|e| visit_checks(e, f)),
        ExprKind::Not(e) => visit_checks(e, f),
        ExprKind::Identifier(_) => {}
        ExprKind::Unary { lhs } => f(lhs, None, None, ast.span),
        ExprKind::Binary { lhs, op, rhs } => f(lhs, Some(op.text.as_str()), Some(rhs), ast.span),
    }
}

fn rhs_values(rhs: Option<&Rhs>) -> impl Iterator<Item = &str> {
    rhs_values_spans(rhs).into_iter().map(|(v, _)| v)
}

fn rhs_values_spans(rhs: Option<&Rhs>) -> Vec<(&str, Span)> {
    match rhs {
        Some(Rhs::Value(v)) => vec![(v.text.as_str(), v.span)],
        Some(Rhs::List(l)) => l.items.iter().map(|v| (v.text.as_str(), v.span)).collect(),
        _ => Vec::new(),
    }
}

const TRANSFORMERS: &[&str] = &[
    "val", "tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt",
];

/// The source-independent value warnings of §2.14 (regex simplification, transformer text).
fn value_warning(op: &str, v: &str) -> Option<String> {
    if op == "regex" && regex_is_plain(v) {
        return Some(format!(
            "regex check with '{v}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'"
        ));
    }
    let stripped: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    let is_transformer = TRANSFORMERS.iter().any(|t| {
        stripped
            .strip_prefix(t)
            .is_some_and(|rest| rest.starts_with('(') && rest.ends_with(')'))
    });
    is_transformer
        .then(|| format!("'{v}' may be a valid field transformer misused as a const string value"))
}

fn regex_is_plain(v: &str) -> bool {
    let mut s = v.strip_prefix('^').unwrap_or(v);
    s = s.strip_suffix('$').unwrap_or(s);
    for q in [".*", ".+", ".?"] {
        s = s.strip_prefix(q).unwrap_or(s);
        s = s.strip_suffix(q).unwrap_or(s);
    }
    !s.contains([
        '.', '+', '*', '?', '^', '$', '(', ')', '[', ']', '{', '}', '|', '\\',
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_warning_follows_spec_examples() {
        for w in ["syscall", "^syscall$", ".*syscall.*"] {
            assert!(regex_is_plain(w), "{w}");
        }
        for n in ["s.*l", "syscall.{1}"] {
            assert!(!regex_is_plain(n), "{n}");
        }
    }

    #[test]
    fn transformer_text_warning() {
        assert!(value_warning("=", "toupper( proc.pname)").is_some());
        assert!(value_warning("=", "bash").is_none());
    }
}

#[cfg(test)]
mod cache_tests {
    use crate::{Analysis, LoadOptions};

    /// A later file appending to a list used only inside a macro must change the rules
    /// that inline the macro, although neither the rule nor the macro changed.
    #[test]
    fn list_append_in_later_file_reaches_rules_through_macros() {
        let mut a = Analysis::new(LoadOptions::default());
        a.add_file(
            "a.yaml",
            "- list: shells\n  items: [bash]\n- macro: spawned\n  condition: proc.name in (shells)\n- rule: r\n  desc: d\n  condition: evt.type = execve and spawned\n  output: x %proc.name\n  priority: WARNING\n",
        );
        a.add_file(
            "b.yaml",
            "- list: shells\n  items: [zsh]\n  override:\n    items: append\n",
        );
        let out = a.load();
        assert!(out.successful(), "{:?}", out.results);
        let ast = out.compiled.rules[0].ast.as_ref().expect("compiled");
        assert!(ast.to_string().contains("zsh"), "{ast}");
    }
}
