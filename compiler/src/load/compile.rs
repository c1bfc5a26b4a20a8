//! Compile phase (§2.1): for every macro and then every rule, expand exceptions and lists,
//! parse, resolve macros, and run the source-independent warning passes.
//!
//! Unlike Falco, compilation does not stop at the first broken condition: every rule is
//! checked independently, and a rule that uses a broken macro is skipped silently so one
//! mistake gives one diagnostic.

use super::context::Ctx;
use super::expand::{compile_lists, substitute_lists, with_exceptions};
use super::{Collection, LoadOptions, RuleInfo};
use crate::condition::ast::{Expr, ExprKind, Operand, Rhs};
use crate::condition::{self, ParseOptions};
use crate::diag::{suggest, Code, Diagnostic};
use crate::span::Span;
use crate::text::MappedText;

/// A rule after compilation.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    /// Index into [`Collection::rules`].
    pub rule: usize,
    /// The condition text after exceptions and list substitution (what the parser saw).
    pub text: MappedText,
    /// The parsed and macro-resolved condition; `None` when compilation failed.
    pub ast: Option<Expr>,
}

/// The output of the compile phase.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    /// Items of each list after list-to-list expansion.
    pub list_items: Vec<Vec<MappedText>>,
    /// Resolved AST of each macro (by index into [`Collection::macros`]).
    pub macros: Vec<Option<Expr>>,
    /// Rules whose source is loaded, in collection order.
    pub rules: Vec<CompiledRule>,
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

struct Compiler<'a> {
    coll: &'a mut Collection,
    opts: &'a LoadOptions,
    list_items: Vec<Vec<MappedText>>,
    macro_state: Vec<MacroState>,
    macro_used: Vec<bool>,
    diags: Vec<Diagnostic>,
}

/// Compiles the whole collection, returning the result and its diagnostics in Falco's order
/// (compile diagnostics, then unused macros, then unused lists).
pub fn compile(coll: &mut Collection, opts: &LoadOptions) -> (Compiled, Vec<Diagnostic>) {
    for l in &mut coll.lists {
        l.used = false;
    }
    let list_items = compile_lists(&mut coll.lists);
    let n = coll.macros.len();
    let mut c = Compiler {
        coll,
        opts,
        list_items,
        macro_state: vec![MacroState::Unparsed; n],
        macro_used: vec![false; n],
        diags: Vec::new(),
    };
    for i in 0..n {
        c.parse_macro(i);
    }
    for i in 0..n {
        c.resolve_macro(i);
    }
    let mut rules = Vec::new();
    for i in 0..c.coll.rules.len() {
        if let Some(r) = c.compile_rule(i) {
            rules.push(r);
        }
    }
    // Falco stops at the first compile error and never reaches the unused-item checks; an
    // undefined or broken reference would also make its target look unused.
    if !c
        .diags
        .iter()
        .any(|d| d.severity() == crate::diag::Severity::Error)
    {
        c.unused_warnings();
    }
    let macros = c
        .macro_state
        .iter()
        .map(|s| match s {
            MacroState::Resolved(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    (
        Compiled {
            list_items: c.list_items,
            macros,
            rules,
        },
        c.diags,
    )
}

impl Compiler<'_> {
    fn substitute(&mut self, text: &mut MappedText) {
        for used in substitute_lists(text, &self.coll.lists, &self.list_items) {
            self.coll.lists[used].used = true;
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
        match condition::parse(text.as_str(), file, &opts) {
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
        let mut text = self.coll.macros[i].cond.clone();
        self.substitute(&mut text);
        let cond_ctx = self.coll.macros[i].cond_ctx.clone();
        self.macro_state[i] = match self.parse(&text, &cond_ctx) {
            Some(ast) => MacroState::Parsed(ast),
            None => MacroState::Broken,
        };
    }

    /// Resolves macro `i` (memoized). Returns its AST, or `None` when it is broken.
    fn resolve_macro(&mut self, i: usize) -> Option<Expr> {
        match std::mem::replace(&mut self.macro_state[i], MacroState::Resolving) {
            MacroState::Parsed(mut ast) => {
                let visibility = self.coll.macros[i].visibility;
                let ctx = self.coll.macros[i].cond_ctx.clone();
                let text = self.coll.macros[i].cond.clone();
                let ok = self.resolve(&mut ast, visibility, &mut vec![i], &ctx, &text);
                self.macro_state[i] = if ok {
                    MacroState::Resolved(ast.clone())
                } else {
                    MacroState::Broken
                };
                ok.then_some(ast)
            }
            MacroState::Resolved(ast) => {
                self.macro_state[i] = MacroState::Resolved(ast.clone());
                Some(ast)
            }
            other => {
                self.macro_state[i] = other;
                None
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

    fn compile_rule(&mut self, i: usize) -> Option<CompiledRule> {
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
        let rule = rule.clone();
        let mut text = match with_exceptions(&rule.cond, &rule.exceptions) {
            Ok(t) => t,
            Err(e) => {
                let ex = &rule.exceptions[e.exception];
                let d =
                    Diagnostic::new(Code::ExceptionInvalid, e.message, e.span.or(Some(ex.span)))
                        .with_context(ex.ctx.0.clone());
                self.diags.push(d);
                return Some(CompiledRule {
                    rule: i,
                    text: rule.cond.clone(),
                    ast: None,
                });
            }
        };
        self.substitute(&mut text);
        let mut ast = self.parse(&text, &rule.cond_ctx);
        if let Some(a) = ast.as_mut() {
            if !self.resolve(a, u32::MAX, &mut Vec::new(), &rule.cond_ctx, &text) {
                ast = None;
            }
        }
        if let Some(a) = &ast {
            self.condition_warnings(&rule, a);
        }
        self.output_warnings(&rule);
        Some(CompiledRule { rule: i, text, ast })
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

    fn unused_warnings(&mut self) {
        for (i, m) in self.coll.macros.iter_mut().enumerate() {
            m.used = self.macro_used[i];
        }
        let unused_macros: Vec<Diagnostic> = self
            .coll
            .macros
            .iter()
            .filter(|m| !m.used)
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
            .filter(|l| !l.used)
            .map(|l| {
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
