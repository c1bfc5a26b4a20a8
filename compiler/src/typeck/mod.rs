//! Typechecking of macro-resolved rule conditions against a source schema (spec §2.13, §3).
//!
//! Per check, in libs order: LHS (field existence and argument, then transformers and their
//! type rules) → operator/type compatibility on the transformed LHS type → RHS (a field with the
//! RHS-field rules, or every literal value: §2.14 field-misuse warning, then value parsing).
//! One error per check; the other checks are still examined (one mistake = one diagnostic).
//!
//! The result is a side table: one [`TypedCheck`] per check that typechecked, keyed by the
//! check's span, with the resolved fields and the LHS type after transformers.

#![allow(clippy::result_large_err)] // a type error is returned at most once per check

pub mod values;

use crate::condition::ast::{
    Expr, ExprKind, Field, OpKind, Operand, Rhs, TrArg, Transformer, TransformerName, Value,
};
use crate::diag::suggest;
use crate::schema::{FieldType, LookupError, Registry, SourceSchema};
use crate::span::Span;

/// A resolved field reference.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    /// `name` or `name[arg]` / dotted form, as resolved.
    pub text: String,
    /// Index into the source's [`SourceSchema::fields`].
    pub index: usize,
    /// Effective type of the field.
    pub ty: FieldType,
    /// Multi-valued.
    pub is_list: bool,
    /// Where it is written.
    pub span: Span,
}

impl FieldRef {
    /// The reference events and the IR use: schema field name and argument, without the span.
    pub fn event_ref(&self, schema: &SourceSchema) -> rulec_ir::value::FieldRef {
        rulec_ir::value::FieldRef::new(schema, &self.text, self.index, self.ty, self.is_list)
    }
}

/// A typed operand (field or transformer expression).
#[derive(Debug, Clone, PartialEq)]
pub struct TypedOperand {
    /// Canonical text (`proc.name`, `tolower(proc.name)`).
    pub text: String,
    /// Type after transformers.
    pub ty: FieldType,
    /// List-ness after transformers.
    pub is_list: bool,
    /// Every field used, in order.
    pub fields: Vec<FieldRef>,
}

/// One typechecked check.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedCheck {
    /// The check's span (the key of the side table).
    pub span: Span,
    /// The left-hand side.
    pub lhs: TypedOperand,
    /// The operator; `None` for `exists`.
    pub op: Option<OpKind>,
    /// A right-hand side field comparison (`val()` or a transformer).
    pub rhs_field: Option<TypedOperand>,
    /// Number of literal RHS values.
    pub values: usize,
}

/// The typed side table of a condition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TypedCondition {
    /// Checks that typechecked, in condition order.
    pub checks: Vec<TypedCheck>,
}

impl TypedCondition {
    /// The typed check whose span is `span`.
    pub fn check_at(&self, span: Span) -> Option<&TypedCheck> {
        self.checks.iter().find(|c| c.span == span)
    }

    /// Distinct fields used (by text) with their types, in first-use order.
    pub fn fields(&self) -> Vec<&FieldRef> {
        let mut out: Vec<&FieldRef> = Vec::new();
        for c in &self.checks {
            for f in c
                .lhs
                .fields
                .iter()
                .chain(c.rhs_field.iter().flat_map(|r| &r.fields))
            {
                if !out.iter().any(|o| o.text == f.text) {
                    out.push(f);
                }
            }
        }
        out
    }
}

/// A typechecking error (LOAD_ERR_COMPILE_CONDITION).
#[derive(Debug, Clone, PartialEq)]
pub struct TypeError {
    /// The libs message.
    pub message: String,
    /// The exact offending token.
    pub span: Span,
    /// The whole check (Falco reports the position of the check).
    pub check_span: Span,
    /// The message qualifies for `skip-if-unknown-filter` (§2.1 step 6).
    pub unknown_filter: bool,
    /// A "did you mean" replacement for `span`.
    pub suggestion: Option<String>,
    /// An optional help line.
    pub help: Option<String>,
    /// For unknown-field errors: the field text.
    pub field: Option<String>,
}

/// A §2.14 warning computed during typechecking.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeWarning {
    /// The message (verbatim).
    pub message: String,
    /// The value.
    pub span: Span,
}

/// Everything typechecking a condition produced.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The typed side table.
    pub typed: TypedCondition,
    /// Errors, in condition order.
    pub errors: Vec<TypeError>,
    /// Warnings, in condition order.
    pub warnings: Vec<TypeWarning>,
}

/// Typechecks a macro-resolved condition against `schema`.
pub fn check_condition(schema: &SourceSchema, ast: &Expr) -> Checked {
    let mut out = Checked::default();
    let mut tc = Typeck {
        schema,
        out: &mut out,
    };
    tc.expr(ast);
    out
}

/// Typechecks one operand on its own (outputs, exception fields). `rhs` allows `val()`.
pub fn check_operand(
    schema: &SourceSchema,
    op: &Operand,
    check_span: Span,
) -> Result<TypedOperand, TypeError> {
    let mut out = Checked::default();
    let tc = Typeck {
        schema,
        out: &mut out,
    };
    tc.operand(op, check_span, false)
}

struct Typeck<'a> {
    schema: &'a SourceSchema,
    out: &'a mut Checked,
}

fn err(message: impl Into<String>, span: Span, check: Span) -> TypeError {
    TypeError {
        message: message.into(),
        span,
        check_span: check,
        unknown_filter: false,
        suggestion: None,
        help: None,
        field: None,
    }
}

fn field_text(f: &Field) -> String {
    match &f.arg {
        Some(a) => format!("{}[{a}]", f.name),
        None => f.name.clone(),
    }
}

impl Typeck<'_> {
    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::And(c) | ExprKind::Or(c) => c.iter().for_each(|x| self.expr(x)),
            ExprKind::Not(x) => self.expr(x),
            ExprKind::Identifier(_) => {}
            ExprKind::Unary { lhs } => match self.operand(lhs, e.span, false) {
                Ok(lhs) => self.out.typed.checks.push(TypedCheck {
                    span: e.span,
                    lhs,
                    op: None,
                    rhs_field: None,
                    values: 0,
                }),
                Err(er) => self.out.errors.push(er),
            },
            ExprKind::Binary { lhs, op, rhs } => {
                if let Err(er) = self.binary(e.span, lhs, op, rhs) {
                    self.out.errors.push(er);
                }
            }
        }
    }

    fn is_syscall(&self) -> bool {
        self.schema.name == "syscall"
    }

    fn binary(
        &mut self,
        span: Span,
        lhs: &Operand,
        op: &crate::condition::ast::Operator,
        rhs: &Rhs,
    ) -> Result<(), TypeError> {
        let tl = self.operand(lhs, span, false)?;
        let reg = Registry::get();
        if let Some(m) = reg.ops.check(
            op.kind,
            op.kind.as_str(),
            op.modifier.is_some(),
            tl.ty,
            tl.is_list,
        ) {
            return Err(err(format!("filter error: {m}"), op.span, span));
        }
        let plain = match lhs {
            Operand::Field(f) if f.arg.is_none() => Some(f.name.as_str()),
            _ => None,
        };
        let is_around = matches!(lhs, Operand::Field(f) if f.name == "evt.around");
        if is_around && op.kind != OpKind::Eq {
            return Err(err(
                "evt.around supports only '=' comparison operator",
                op.span,
                span,
            ));
        }
        let evt_type_field = plain.is_some_and(|n| n == "evt.type" || n == "syscall.type");
        if self.is_syscall() && !evt_type_field && mentions_evt_type(lhs) {
            return Err(err(
                "event code search does not support `evt.type` checks with transformers",
                lhs.span(),
                span,
            ));
        }
        match rhs {
            Rhs::Transformer(t) => {
                if self.is_syscall()
                    && evt_type_field
                    && matches!(op.kind, OpKind::Eq | OpKind::Ne | OpKind::In)
                {
                    return Err(err(
                        "right-hand field comparisons on `evt.type`/`syscall.type` checks are not supported by event code search",
                        t.span,
                        span,
                    ));
                }
                let tr = self.rhs_field(span, lhs, &tl, op.kind, t)?;
                self.out.typed.checks.push(TypedCheck {
                    span,
                    lhs: tl,
                    op: Some(op.kind),
                    rhs_field: Some(tr),
                    values: 0,
                });
                Ok(())
            }
            Rhs::Value(v) | Rhs::Identifier(v) => {
                self.values(span, &tl, op.kind, plain, std::slice::from_ref(v))?;
                self.push_values(span, tl, op.kind, 1);
                Ok(())
            }
            Rhs::List(l) => {
                self.values(span, &tl, op.kind, plain, &l.items)?;
                self.push_values(span, tl, op.kind, l.items.len());
                Ok(())
            }
        }
    }

    fn push_values(&mut self, span: Span, lhs: TypedOperand, op: OpKind, n: usize) {
        self.out.typed.checks.push(TypedCheck {
            span,
            lhs,
            op: Some(op),
            rhs_field: None,
            values: n,
        });
    }

    fn values(
        &mut self,
        span: Span,
        tl: &TypedOperand,
        op: OpKind,
        plain: Option<&str>,
        vals: &[Value],
    ) -> Result<(), TypeError> {
        let evt_type = self.is_syscall() && plain == Some("evt.type");
        for v in vals {
            let stripped: String = v.text.chars().filter(|c| !c.is_whitespace()).collect();
            if stripped.contains('.') && self.schema.is_valid_field_text(&stripped) {
                self.out.warnings.push(TypeWarning {
                    message: format!(
                        "'{}' may be a valid field misused as a const string value",
                        v.text
                    ),
                    span: v.span,
                });
            }
            values::parse_value(tl.ty, op, &v.text).map_err(|m| err(m, v.span, span))?;
            if evt_type && !self.is_event_type(&v.text) {
                let events = &Registry::get().events;
                let mut e = err(format!("unknown event type {}", v.text), v.span, span);
                e.unknown_filter = true;
                e.suggestion =
                    suggest(&v.text, events.names.keys().map(String::as_str)).map(str::to_owned);
                return Err(e);
            }
        }
        Ok(())
    }

    fn is_event_type(&self, name: &str) -> bool {
        Registry::get().events.is_event_type(name)
            || self.schema.async_event_names().any(|a| a == name)
    }

    /// RHS field rules (§3.5).
    fn rhs_field(
        &mut self,
        span: Span,
        lhs: &Operand,
        tl: &TypedOperand,
        op: OpKind,
        t: &Transformer,
    ) -> Result<TypedOperand, TypeError> {
        let tr = self.operand(&Operand::Transformer(t.clone()), span, true)?;
        if matches!(op, OpKind::PMatch | OpKind::Regex) {
            let name = if op == OpKind::PMatch {
                "PMATCH"
            } else {
                "REGEX"
            };
            return Err(err(
                format!("operator '{name}' doesn't support right-hand side fields"),
                t.span,
                span,
            ));
        }
        if tl.ty.is_net() {
            return Err(err(
                format!(
                    "field type '{}' doesn't support right-hand side fields",
                    tl.ty.name()
                ),
                t.span,
                span,
            ));
        }
        if let Operand::Field(f) = lhs {
            if tl
                .fields
                .first()
                .is_some_and(|r| self.schema.fields[r.index].no_rhs)
            {
                return Err(err(
                    format!(
                        "field '{}' doesn't support right-hand side fields",
                        field_text(f)
                    ),
                    f.span,
                    span,
                ));
            }
        }
        if t.name == TransformerName::Val {
            if let Some(r) = tr
                .fields
                .first()
                .filter(|r| self.schema.fields[r.index].no_rhs)
            {
                return Err(err(
                    format!(
                        "field '{}' can't be used as a right-hand side field",
                        r.text
                    ),
                    r.span,
                    span,
                ));
            }
        }
        if tl.ty != tr.ty || tl.is_list != tr.is_list {
            let l = |o: &TypedOperand| {
                format!("{}{}", o.ty.name(), if o.is_list { " (list)" } else { "" })
            };
            return Err(err(
                format!(
                    "field '{}' has type '{}' while the right-hand side field '{}' has incompatible type '{}'",
                    tl.text,
                    l(tl),
                    tr.text,
                    l(&tr)
                ),
                t.span,
                span,
            ));
        }
        Ok(tr)
    }

    fn field(&self, f: &Field, check: Span) -> Result<TypedOperand, TypeError> {
        match self.schema.lookup(&f.name, f.arg.as_deref()) {
            Ok(r) => {
                let text = field_text(f);
                Ok(TypedOperand {
                    text: text.clone(),
                    ty: r.ty,
                    is_list: r.is_list,
                    fields: vec![FieldRef {
                        text,
                        index: r.index,
                        ty: r.ty,
                        is_list: r.is_list,
                        span: f.span,
                    }],
                })
            }
            Err(e) => {
                let full = field_text(f);
                let span = match (&e, f.arg_span) {
                    (LookupError::NotANumber(_), Some(s)) => s,
                    _ => f.span,
                };
                let mut er = err(e.message(&full), span, check);
                er.unknown_filter = e.is_unknown_field();
                if e.is_unknown_field() {
                    er.field = Some(full.clone());
                }
                if e.is_unknown_field() && self.schema.field(&f.name).is_none() {
                    if let Some(s) = suggest(&f.name, self.schema.names()) {
                        er.suggestion = Some(s.to_owned());
                        er.span = f.name_span;
                    }
                }
                Err(er)
            }
        }
    }

    fn operand(&self, op: &Operand, check: Span, rhs: bool) -> Result<TypedOperand, TypeError> {
        match op {
            Operand::Field(f) => self.field(f, check),
            Operand::Transformer(t) => self.transformer(t, check, rhs),
        }
    }

    fn tr_arg(&self, a: &TrArg, check: Span) -> Result<TypedOperand, TypeError> {
        match a {
            TrArg::Field(f) => self.field(f, check),
            TrArg::Transformer(t) => self.transformer(t, check, false),
            TrArg::Value(v) => Ok(TypedOperand {
                text: format!("{:?}", v.text),
                ty: FieldType::Charbuf,
                is_list: false,
                fields: Vec::new(),
            }),
            TrArg::List(items, _) => {
                let mut fields = Vec::new();
                let mut texts = Vec::new();
                for i in items {
                    let t = self.tr_arg(i, check)?;
                    texts.push(t.text);
                    fields.extend(t.fields);
                }
                Ok(TypedOperand {
                    text: format!("({})", texts.join(", ")),
                    ty: FieldType::Charbuf,
                    is_list: true,
                    fields,
                })
            }
        }
    }

    fn transformer(
        &self,
        t: &Transformer,
        check: Span,
        rhs: bool,
    ) -> Result<TypedOperand, TypeError> {
        use TransformerName as N;
        let name = t.name.as_str();
        let mut args = Vec::with_capacity(t.args.len());
        for a in &t.args {
            let ta = self.tr_arg(a, check)?;
            if t.name != N::Val {
                if let TrArg::Field(f) = a {
                    if ta
                        .fields
                        .first()
                        .is_some_and(|r| self.schema.fields[r.index].no_transformer)
                    {
                        return Err(err(
                            format!("field '{}' does not support transformers", field_text(f)),
                            f.span,
                            check,
                        ));
                    }
                }
            }
            args.push(ta);
        }
        let text = format!(
            "{name}({})",
            args.iter()
                .map(|a| a.text.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let fields: Vec<FieldRef> = args.iter().flat_map(|a| a.fields.iter().cloned()).collect();
        let sel_span = t.arg_span.unwrap_or(t.span);
        if t.arg.is_some() && t.name != N::Getopt {
            return Err(err(
                format!("filter error: transformer '{name}' does not support field arguments"),
                sel_span,
                check,
            ));
        }
        let done = |ty: FieldType, is_list: bool| {
            Ok(TypedOperand {
                text: text.clone(),
                ty,
                is_list,
                fields: fields.clone(),
            })
        };
        match t.name {
            N::Val => {
                let _ = rhs;
                let a = &args[0];
                done(a.ty, a.is_list)
            }
            N::ToLower | N::ToUpper | N::B64 | N::Basename | N::Len => {
                if args.len() != 1 || matches!(t.args[0], TrArg::List(..)) {
                    return Err(err(
                        format!("transformer '{name}' requires exactly one argument"),
                        t.span,
                        check,
                    ));
                }
                let a = &args[0];
                let ok = match t.name {
                    N::ToLower | N::ToUpper | N::Basename => a.ty.is_string(),
                    N::B64 => matches!(a.ty, FieldType::Charbuf | FieldType::Bytebuf),
                    _ => a.is_list || a.ty.is_string() || a.ty == FieldType::Bytebuf,
                };
                if !ok {
                    return Err(err(
                        format!(
                            "can't add field transformer: type '{}' is not supported by '{name}' transformer applied on field '{}'",
                            a.ty.name(),
                            a.text
                        ),
                        t.span,
                        check,
                    ));
                }
                if t.name == N::Len {
                    done(FieldType::Uint64, false)
                } else {
                    done(a.ty, a.is_list)
                }
            }
            N::Join => {
                if args.len() != 2 {
                    return Err(err(
                        "join() requires exactly 2 arguments: separator and list",
                        t.span,
                        check,
                    ));
                }
                if args[0].is_list {
                    return Err(err(
                        "join() first argument (separator) must be a single value, not a list",
                        t.args[0].span(),
                        check,
                    ));
                }
                if !args[1].is_list {
                    return Err(err(
                        "join() second argument must be a list",
                        t.args[1].span(),
                        check,
                    ));
                }
                done(FieldType::Charbuf, false)
            }
            N::Concat => {
                if args.len() < 2 {
                    return Err(err("concat() requires at least 2 arguments", t.span, check));
                }
                if let Some((i, _)) = args
                    .iter()
                    .enumerate()
                    .find(|(_, a)| a.is_list || !a.ty.is_string())
                {
                    return Err(err(
                        "concat() arguments must be strings",
                        t.args[i].span(),
                        check,
                    ));
                }
                done(FieldType::Charbuf, false)
            }
            N::Getopt => {
                if args.len() != 2 {
                    return Err(err(
                        "getopt() requires exactly 2 arguments: args list and optstring",
                        t.span,
                        check,
                    ));
                }
                if matches!(t.args[0], TrArg::Value(_)) {
                    return Err(err(
                        "getopt() first argument must be a list",
                        t.args[0].span(),
                        check,
                    ));
                }
                if args[1].is_list {
                    return Err(err(
                        "getopt() second argument (optstring) must be a single value",
                        t.args[1].span(),
                        check,
                    ));
                }
                if !args.iter().all(|a| a.ty.is_string()) {
                    return Err(err("getopt() arguments must be strings", t.span, check));
                }
                match &t.arg {
                    Some(c) if c.chars().count() != 1 => Err(err(
                        "getopt() field argument must be a single option character",
                        sel_span,
                        check,
                    )),
                    Some(_) => done(FieldType::Charbuf, false),
                    None => done(FieldType::Charbuf, true),
                }
            }
        }
    }
}

/// True when a transformer operand wraps `evt.type` / `syscall.type` anywhere.
fn mentions_evt_type(op: &Operand) -> bool {
    fn arg(a: &TrArg) -> bool {
        match a {
            TrArg::Field(f) => f.name == "evt.type" || f.name == "syscall.type",
            TrArg::Transformer(t) => t.args.iter().any(arg),
            TrArg::List(items, _) => items.iter().any(arg),
            TrArg::Value(_) => false,
        }
    }
    match op {
        Operand::Field(_) => false,
        Operand::Transformer(t) => t.args.iter().any(arg),
    }
}

#[cfg(test)]
mod tests;
