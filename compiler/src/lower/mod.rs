//! Lowering of typed, macro-resolved conditions into the shared evaluation IR
//! ([`rulec_ir::program`], one [`Program`] arena per event source).
//!
//! The [`Builder`] hash-conses nodes and operands, interns fields, parses literal values once
//! for the LHS type and folds constants: `in ()` / `intersects ()` / `pmatch ()` and empty
//! modifier lists on a scalar LHS are `false`, double negation disappears, `and`/`or` are
//! flattened, de-duplicated and short-circuited on constants. Rules are grouped by event type
//! for the syscall source (names from [`CompiledRule::event_types`]).
//!
//! [`CompiledRule::event_types`]: crate::load::compile::CompiledRule::event_types

pub mod template;

use std::collections::HashMap;

pub use rulec_ir::program::*;
use rulec_ir::value::{hex_decode, parse_typed, Val};
use rulec_ir::vocab::Priority;

use crate::condition::ast::{
    self, Expr, ExprKind, Modifier, OpKind, Operand, Rhs, TrArg, TransformerName,
};
use crate::schema::{FieldType, Registry, SourceSchema};
use crate::typeck::TypedCondition;
use template::compile_template;

/// Why lowering failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerError(pub String);

/// Builds a [`Program`] rule by rule.
pub struct Builder<'s> {
    schema: &'s SourceSchema,
    prog: Program,
    field_ids: HashMap<String, FieldId>,
    operand_ids: HashMap<String, OperandId>,
    operand_keys: Vec<String>,
    node_ids: HashMap<String, ExprId>,
}

impl<'s> Builder<'s> {
    /// An empty program for `schema`'s source.
    pub fn new(schema: &'s SourceSchema) -> Self {
        Builder {
            schema,
            prog: Program {
                source: schema.name.clone(),
                fields: Vec::new(),
                operands: Vec::new(),
                operand_types: Vec::new(),
                nodes: Vec::new(),
                memo_slot: Vec::new(),
                memo_slots: 0,
                rules: Vec::new(),
                by_type: HashMap::new(),
                any_type: Vec::new(),
                skipped: Vec::new(),
            },
            field_ids: HashMap::new(),
            operand_ids: HashMap::new(),
            operand_keys: Vec::new(),
            node_ids: HashMap::new(),
        }
    }

    /// The schema.
    pub fn schema(&self) -> &'s SourceSchema {
        self.schema
    }

    fn field(&mut self, f: &ast::Field) -> Result<(FieldId, OpType), LowerError> {
        let r = self
            .schema
            .lookup(&f.name, f.arg.as_deref())
            .map_err(|e| LowerError(e.message(&f.name)))?;
        let text = match &f.arg {
            Some(a) => format!("{}[{a}]", f.name),
            None => f.name.clone(),
        };
        let t = OpType {
            ty: r.ty,
            is_list: r.is_list,
        };
        if let Some(&id) = self.field_ids.get(&text) {
            return Ok((id, t));
        }
        let tf = crate::typeck::FieldRef {
            text: text.clone(),
            index: r.index,
            ty: r.ty,
            is_list: r.is_list,
            span: f.span,
        };
        let fr = tf.event_ref(self.schema);
        let id = FieldId(self.prog.fields.len() as u32);
        self.prog.fields.push(fr);
        self.field_ids.insert(text, id);
        Ok((id, t))
    }

    fn intern_operand(&mut self, key: String, op: OperandIr, t: OpType) -> OperandId {
        if let Some(&id) = self.operand_ids.get(&key) {
            return id;
        }
        let id = OperandId(self.prog.operands.len() as u32);
        self.prog.operands.push(op);
        self.prog.operand_types.push(t);
        self.operand_keys.push(key.clone());
        self.operand_ids.insert(key, id);
        id
    }

    /// Lowers an operand (field or transformer).
    pub fn operand(&mut self, o: &Operand) -> Result<OperandId, LowerError> {
        match o {
            Operand::Field(f) => self.field_operand(f),
            Operand::Transformer(t) => self.transformer(t),
        }
    }

    fn field_operand(&mut self, f: &ast::Field) -> Result<OperandId, LowerError> {
        let (fid, t) = self.field(f)?;
        Ok(self.intern_operand(format!("f{}", fid.0), OperandIr::Field(fid), t))
    }

    fn tr_arg(&mut self, a: &TrArg) -> Result<OperandId, LowerError> {
        match a {
            TrArg::Field(f) => self.field_operand(f),
            TrArg::Transformer(t) => self.transformer(t),
            TrArg::Value(v) => {
                let key = format!("c{:?}", v.as_bytes());
                let t = OpType {
                    ty: FieldType::Charbuf,
                    is_list: false,
                };
                Ok(self.intern_operand(key, OperandIr::Const(Val::Str(v.text.clone())), t))
            }
            TrArg::List(items, _) => {
                let ids = items
                    .iter()
                    .map(|i| self.tr_arg(i))
                    .collect::<Result<Vec<_>, _>>()?;
                let key = format!("l{ids:?}");
                let t = OpType {
                    ty: FieldType::Charbuf,
                    is_list: true,
                };
                Ok(self.intern_operand(key, OperandIr::List(ids), t))
            }
        }
    }

    fn transformer(&mut self, t: &ast::Transformer) -> Result<OperandId, LowerError> {
        use TransformerName as N;
        let args = t
            .args
            .iter()
            .map(|a| self.tr_arg(a))
            .collect::<Result<Vec<_>, _>>()?;
        let types: Vec<OpType> = args
            .iter()
            .map(|a| self.prog.operand_types[a.0 as usize])
            .collect();
        let first = types.first().copied().ok_or_else(|| {
            LowerError(format!(
                "transformer '{}' without arguments",
                t.name.as_str()
            ))
        })?;
        let ty = match t.name {
            N::Val | N::ToLower | N::ToUpper | N::B64 | N::Basename => first,
            N::Len => OpType {
                ty: FieldType::Uint64,
                is_list: false,
            },
            N::Join | N::Concat => OpType {
                ty: FieldType::Charbuf,
                is_list: false,
            },
            N::Getopt => OpType {
                ty: FieldType::Charbuf,
                is_list: t.arg.is_none(),
            },
        };
        let key = format!("t{}{:?}{:?}", t.name.as_str(), args, t.arg);
        let ir = OperandIr::Transform {
            name: t.name,
            arg_lists: types.iter().map(|t| t.is_list).collect(),
            args,
            sel: t.arg.clone(),
        };
        Ok(self.intern_operand(key, ir, ty))
    }

    fn intern_node(&mut self, key: String, n: Node) -> ExprId {
        if let Some(&id) = self.node_ids.get(&key) {
            return id;
        }
        let id = ExprId(self.prog.nodes.len() as u32);
        self.prog.nodes.push(n);
        self.node_ids.insert(key, id);
        id
    }

    fn konst(&mut self, b: bool) -> ExprId {
        self.intern_node(format!("k{b}"), Node::Const(b))
    }

    fn as_const(&self, id: ExprId) -> Option<bool> {
        match self.prog.nodes[id.0 as usize] {
            Node::Const(b) => Some(b),
            _ => None,
        }
    }

    /// Lowers a macro-resolved condition. `typed` supplies the LHS types (its absence or a
    /// missing check falls back to the types computed here).
    pub fn expr(&mut self, e: &Expr, typed: Option<&TypedCondition>) -> Result<ExprId, LowerError> {
        match &e.kind {
            ExprKind::And(c) | ExprKind::Or(c) => {
                let is_and = matches!(e.kind, ExprKind::And(_));
                let mut kids: Vec<ExprId> = Vec::with_capacity(c.len());
                for x in c {
                    let id = self.expr(x, typed)?;
                    match self.as_const(id) {
                        Some(b) if b == is_and => continue,        // neutral element
                        Some(_) => return Ok(self.konst(!is_and)), // absorbing element
                        None => {}
                    }
                    // Flatten nested same-kind nodes.
                    let nested = match (&self.prog.nodes[id.0 as usize], is_and) {
                        (Node::And(v), true) | (Node::Or(v), false) => Some(v.clone()),
                        _ => None,
                    };
                    for k in nested.unwrap_or_else(|| vec![id]) {
                        if !kids.contains(&k) {
                            kids.push(k);
                        }
                    }
                }
                Ok(match kids.len() {
                    0 => self.konst(is_and),
                    1 => kids[0],
                    _ => {
                        let key = format!("{}{:?}", if is_and { "a" } else { "o" }, kids);
                        let n = if is_and {
                            Node::And(kids)
                        } else {
                            Node::Or(kids)
                        };
                        self.intern_node(key, n)
                    }
                })
            }
            ExprKind::Not(x) => {
                let id = self.expr(x, typed)?;
                if let Some(b) = self.as_const(id) {
                    return Ok(self.konst(!b));
                }
                if let Node::Not(inner) = self.prog.nodes[id.0 as usize] {
                    return Ok(inner);
                }
                Ok(self.intern_node(format!("n{}", id.0), Node::Not(id)))
            }
            ExprKind::Identifier(name) => Err(LowerError(format!("unresolved macro {name}"))),
            ExprKind::Unary { lhs } => {
                let l = self.operand(lhs)?;
                let t = self.check_type(typed, e, l);
                let key = format!("x{}", l.0);
                Ok(self.intern_node(
                    key,
                    Node::Check(Check {
                        lhs: l,
                        lhs_ty: t,
                        op: None,
                        modifier: None,
                        rhs: RhsIr::None,
                    }),
                ))
            }
            ExprKind::Binary { lhs, op, rhs } => {
                let l = self.operand(lhs)?;
                let t = self.check_type(typed, e, l);
                self.binary(l, t, op.kind, op.modifier, rhs)
            }
        }
    }

    fn check_type(&self, typed: Option<&TypedCondition>, e: &Expr, l: OperandId) -> OpType {
        typed
            .and_then(|t| t.check_at(e.span))
            .map(|c| OpType {
                ty: c.lhs.ty,
                is_list: c.lhs.is_list,
            })
            .unwrap_or(self.prog.operand_types[l.0 as usize])
    }

    fn binary(
        &mut self,
        l: OperandId,
        t: OpType,
        op: OpKind,
        modifier: Option<Modifier>,
        rhs: &Rhs,
    ) -> Result<ExprId, LowerError> {
        let values: Vec<&ast::Value> = match rhs {
            Rhs::Transformer(tr) => {
                let r = self.transformer(tr)?;
                let key = format!("b{}|{}|{:?}|r{}", l.0, op.as_str(), modifier, r.0);
                return Ok(self.intern_node(
                    key,
                    Node::Check(Check {
                        lhs: l,
                        lhs_ty: t,
                        op: Some(op),
                        modifier,
                        rhs: RhsIr::Operand(r),
                    }),
                ));
            }
            Rhs::Value(v) | Rhs::Identifier(v) => vec![v],
            Rhs::List(list) => list.items.iter().collect(),
        };
        let key = format!(
            "b{}|{:?}|{}|{:?}|{:?}",
            l.0,
            t,
            op.as_str(),
            modifier,
            values.iter().map(|v| v.as_bytes()).collect::<Vec<_>>()
        );
        if let Some(&id) = self.node_ids.get(&key) {
            return Ok(id);
        }
        // Constant folding: an empty RHS list never matches a scalar LHS.
        if values.is_empty() && (!t.is_list || op != OpKind::In) {
            return Ok(self.konst(false));
        }
        let rhs = match op {
            OpKind::Regex => RhsIr::Regex(
                values
                    .iter()
                    .map(|v| {
                        full_regex(&v.text)
                            .ok_or_else(|| LowerError(format!("invalid regex {}", v.text)))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            OpKind::PMatch => {
                RhsIr::PMatch(values.iter().map(|v| path_components(&v.text)).collect())
            }
            _ => {
                let mut vals = Vec::with_capacity(values.len());
                for v in &values {
                    let parsed = match (t.ty, op) {
                        (FieldType::Bytebuf, OpKind::BContains | OpKind::BStartsWith) => {
                            hex_decode(&v.text).map(Val::Bytes)
                        }
                        (FieldType::Bytebuf, _) => Some(Val::Bytes(v.as_bytes().to_vec())),
                        (ty, _) if ty.is_string() => {
                            Some(Val::Str(v.text.split('\0').next().unwrap_or("").to_owned()))
                        }
                        (ty, _) => parse_typed(ty, &v.text, true),
                    };
                    match parsed {
                        Some(p) => vals.push(p),
                        None => {
                            return Err(LowerError(format!(
                                "value {} is not valid for type {}",
                                v.text,
                                t.ty.pt_name()
                            )))
                        }
                    }
                }
                let has_net = vals.iter().any(|v| matches!(v, Val::Net(..)));
                let float = vals.iter().any(|v| matches!(v, Val::F64(_)));
                if matches!(op, OpKind::In | OpKind::Intersects)
                    && !has_net
                    && !float
                    && vals.len() > 4
                {
                    RhsIr::Set(vals.into_iter().collect())
                } else {
                    RhsIr::Values(vals)
                }
            }
        };
        let id = ExprId(self.prog.nodes.len() as u32);
        self.prog.nodes.push(Node::Check(Check {
            lhs: l,
            lhs_ty: t,
            op: Some(op),
            modifier,
            rhs,
        }));
        self.node_ids.insert(key, id);
        Ok(id)
    }

    /// Adds a rule; a rule whose condition cannot be lowered is recorded in
    /// [`Program::skipped`].
    #[allow(clippy::too_many_arguments)]
    pub fn add_rule(
        &mut self,
        name: &str,
        priority: Priority,
        tags: Vec<String>,
        ast: &Expr,
        typed: Option<&TypedCondition>,
        output: &str,
        event_types: Option<Vec<String>>,
    ) -> Result<usize, LowerError> {
        let res = self.expr(ast, typed).and_then(|root| {
            let output = compile_template(self, output)?;
            Ok((root, output))
        });
        match res {
            Ok((root, output)) => {
                let idx = self.prog.rules.len();
                self.prog.rules.push(RuleIr {
                    name: name.to_owned(),
                    priority,
                    source: self.schema.name.clone(),
                    tags,
                    root,
                    output,
                    event_types,
                });
                Ok(idx)
            }
            Err(e) => {
                self.prog.skipped.push((name.to_owned(), e.0.clone()));
                Err(e)
            }
        }
    }

    /// Finalizes: event-type index and memo slots for shared nodes.
    pub fn finish(mut self) -> Program {
        let p = &mut self.prog;
        let mut parents = vec![0u32; p.nodes.len()];
        for n in &p.nodes {
            match n {
                Node::And(k) | Node::Or(k) => k.iter().for_each(|c| parents[c.0 as usize] += 1),
                Node::Not(c) => parents[c.0 as usize] += 1,
                _ => {}
            }
        }
        for r in &p.rules {
            parents[r.root.0 as usize] += 1;
        }
        let mut slots = 0u32;
        p.memo_slot = parents
            .iter()
            .zip(&p.nodes)
            .map(|(&n, node)| {
                if n > 1 && !matches!(node, Node::Const(_)) {
                    slots += 1;
                    slots - 1
                } else {
                    u32::MAX
                }
            })
            .collect();
        p.memo_slots = slots as usize;
        for (i, r) in p.rules.iter().enumerate() {
            match &r.event_types {
                None => p.any_type.push(i as u32),
                Some(names) => {
                    for n in names {
                        let list = p.by_type.entry(n.clone()).or_default();
                        // A type named twice lists the rule once.
                        if list.last() != Some(&(i as u32)) {
                            list.push(i as u32);
                        }
                    }
                }
            }
        }
        self.prog
    }
}

/// Lowers one condition as a single-rule program named `cond` (tests, tools).
pub fn lower_condition(
    schema: &SourceSchema,
    ast: &Expr,
    typed: Option<&TypedCondition>,
) -> Result<Program, LowerError> {
    let mut b = Builder::new(schema);
    b.add_rule("cond", Priority::Debug, Vec::new(), ast, typed, "", None)?;
    Ok(b.finish())
}

/// A program of one rule per condition text (named `r0`, `r1`, ...; `Some(types)` restricts a
/// rule to those event types), each parsed, typechecked and lowered for `schema` (tests,
/// fuzzing, tools). The error names the first condition that does not parse, typecheck or
/// lower.
pub fn lower_conditions(
    schema: &SourceSchema,
    rules: &[(&str, Option<Vec<String>>)],
) -> Result<Program, LowerError> {
    let mut b = Builder::new(schema);
    for (i, (text, types)) in rules.iter().enumerate() {
        let fail = |what: String| LowerError(format!("condition {i} ({text:?}): {what}"));
        let ast = crate::condition::parse(
            text,
            crate::span::FileId::default(),
            &crate::condition::ParseOptions::default(),
        )
        .map_err(|e| fail(format!("{e:?}")))?;
        let checked = crate::typeck::check_condition(schema, &ast);
        if let Some(e) = checked.errors.first() {
            return Err(fail(format!("{e:?}")));
        }
        b.add_rule(
            &format!("r{i}"),
            Priority::Warning,
            Vec::new(),
            &ast,
            Some(&checked.typed),
            "",
            types.clone(),
        )
        .map_err(|e| fail(e.0))?;
    }
    Ok(b.finish())
}

/// Lowers every enabled, successfully compiled rule of a load, one [`Program`] per source
/// (sources in first-use order). Rules that failed to compile are skipped silently; rules that
/// fail to lower are listed in [`Program::skipped`].
pub fn lower_outcome(outcome: &crate::LoadOutcome) -> Vec<Program> {
    let reg = Registry::get();
    let all = crate::evttype::EventTypes::all();
    let mut builders: Vec<Builder<'static>> = Vec::new();
    for cr in &outcome.compiled.rules {
        let info = &outcome.collection.rules[cr.rule];
        if !info.enabled {
            continue;
        }
        let (Some(ast), Some(schema)) = (&cr.ast, reg.source(&info.source)) else {
            continue;
        };
        let b = match builders.iter().position(|b| b.schema.name == info.source) {
            Some(i) => &mut builders[i],
            None => {
                builders.push(Builder::new(schema));
                let n = builders.len() - 1;
                &mut builders[n]
            }
        };
        let event_types = cr
            .event_types
            .filter(|et| et.events != all.events)
            .map(|et| et.names());
        let _ = b.add_rule(
            &info.name,
            info.priority,
            info.tags.iter().cloned().collect(),
            ast,
            cr.typed.as_ref(),
            info.output.as_str(),
            event_types,
        );
    }
    builders.into_iter().map(Builder::finish).collect()
}
