//! The evaluation IR of one event source: a [`Program`] arena produced by the compiler's
//! lowering (`rulec::lower`) and stored in bundles ([`crate::bundle`]), evaluated by the
//! runtime's interpreter and JIT.
//!
//! * boolean nodes ([`Node`], ids [`ExprId`]) and operands ([`OperandIr`], ids [`OperandId`])
//!   are hash-consed, so a macro inlined by many rules is one node, evaluated at most once per
//!   event thanks to the interpreter's per-event memo (nodes with several parents get a memo
//!   slot, see [`Program::memo_slot`]);
//! * fields are interned as [`FieldId`]s (index into [`Program::fields`]: schema field + arg);
//! * literal values are parsed once for the LHS type (numbers, IPs, CIDRs, hex buffers,
//!   strings); `in`/`intersects` lists become hash sets (except for networks, which need CIDR
//!   matching), regexes are compiled anchored, `pmatch` paths are pre-split.
//!
//! Rules are grouped by event type for the syscall source ([`Program::by_type`]); rules of
//! other sources (and syscall rules matching every event type) are evaluated for every event
//! ([`Program::any_type`]).

use std::collections::HashMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::schema::FieldType;
use crate::value::{FieldRef, Val, ValSet};
use crate::vocab::{Modifier, OpKind, Priority, TransformerName};

/// A boolean node id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExprId(pub u32);
/// An operand (field / transformer / constant) id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OperandId(pub u32);
/// A field id: index into [`Program::fields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FieldId(pub u32);

/// A boolean node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Node {
    /// A folded constant.
    Const(bool),
    /// Conjunction, left to right, short-circuit.
    And(Vec<ExprId>),
    /// Disjunction, left to right, short-circuit.
    Or(Vec<ExprId>),
    /// Negation.
    Not(ExprId),
    /// A field check.
    Check(Check),
}

/// An operand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OperandIr {
    /// A field extraction.
    Field(FieldId),
    /// A literal argument of a transformer (a constant pseudo-field).
    Const(Val),
    /// A transformer list `( ... )`: the concatenation of its elements' values.
    List(Vec<OperandId>),
    /// A transformer application.
    Transform {
        /// Which transformer.
        name: TransformerName,
        /// Arguments in order.
        args: Vec<OperandId>,
        /// List-ness of each argument.
        arg_lists: Vec<bool>,
        /// `getopt(...)[c]` selector.
        sel: Option<String>,
    },
}

/// Type of an operand after transformers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpType {
    /// Value type.
    pub ty: FieldType,
    /// List-valued.
    pub is_list: bool,
}

/// A check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Left-hand side.
    pub lhs: OperandId,
    /// LHS type after transformers.
    pub lhs_ty: OpType,
    /// `None` for `exists`.
    pub op: Option<OpKind>,
    /// Comparison modifier.
    pub modifier: Option<Modifier>,
    /// Right-hand side (unused for `exists`).
    pub rhs: RhsIr,
}

/// A pre-processed right-hand side.
///
/// Serialized deterministically: sets in a canonical order, regexes as their (anchored)
/// pattern text, recompiled when deserialized. Regexes compare by pattern text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum RhsIr {
    /// No RHS (`exists`).
    None,
    /// Typed literal values in order (duplicates kept).
    Values(Vec<Val>),
    /// `in` / `intersects` literal set.
    Set(#[serde(serialize_with = "ser::sorted_set")] ValSet),
    /// Anchored regexes.
    Regex(#[serde(with = "ser::regexes")] Vec<Regex>),
    /// `pmatch` paths as components.
    PMatch(Vec<Vec<String>>),
    /// A RHS field or transformer (`val()`).
    Operand(OperandId),
}

impl PartialEq for RhsIr {
    fn eq(&self, o: &RhsIr) -> bool {
        match (self, o) {
            (RhsIr::None, RhsIr::None) => true,
            (RhsIr::Values(a), RhsIr::Values(b)) => a == b,
            (RhsIr::Set(a), RhsIr::Set(b)) => a == b,
            (RhsIr::Regex(a), RhsIr::Regex(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.as_str() == y.as_str())
            }
            (RhsIr::PMatch(a), RhsIr::PMatch(b)) => a == b,
            (RhsIr::Operand(a), RhsIr::Operand(b)) => a == b,
            _ => false,
        }
    }
}

/// Serde helpers for the IR's non-serde parts (bundles, [`crate::bundle`]).
mod ser {
    use std::collections::{BTreeMap, HashMap};

    use regex::Regex;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::value::{Val, ValSet};

    /// A total order on values for a canonical set encoding.
    fn key(v: &Val) -> (u8, Vec<u8>) {
        match v {
            Val::Str(s) => (0, s.as_bytes().to_vec()),
            Val::Bytes(b) => (1, b.clone()),
            Val::U64(x) => (2, x.to_be_bytes().to_vec()),
            Val::I64(x) => (3, x.to_be_bytes().to_vec()),
            Val::F64(x) => (4, x.to_bits().to_be_bytes().to_vec()),
            Val::Bool(b) => (5, vec![u8::from(*b)]),
            Val::Ip(a) => (6, a.to_string().into_bytes()),
            Val::Net(a, m) => (7, format!("{a}/{m}").into_bytes()),
        }
    }

    pub fn sorted_set<S: Serializer>(set: &ValSet, s: S) -> Result<S::Ok, S::Error> {
        let mut v: Vec<(u8, Vec<u8>, &Val)> = set
            .iter()
            .map(|x| {
                let (a, b) = key(x);
                (a, b, x)
            })
            .collect();
        v.sort_by(|x, y| (x.0, &x.1).cmp(&(y.0, &y.1)));
        s.collect_seq(v.into_iter().map(|x| x.2))
    }

    pub fn sorted_map<S: Serializer>(
        map: &HashMap<String, Vec<u32>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        map.iter().collect::<BTreeMap<_, _>>().serialize(s)
    }

    pub mod regexes {
        use super::*;

        pub fn serialize<S: Serializer>(v: &[Regex], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(Regex::as_str))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Regex>, D::Error> {
            let pats: Vec<String> = Vec::deserialize(d)?;
            pats.iter()
                .map(|p| {
                    Regex::new(p)
                        .map_err(|e| serde::de::Error::custom(format!("invalid regex {p:?}: {e}")))
                })
                .collect()
        }
    }
}

/// A lowered rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleIr {
    /// Rule name.
    pub name: String,
    /// Priority.
    pub priority: Priority,
    /// Source.
    pub source: String,
    /// Tags (sorted).
    pub tags: Vec<String>,
    /// Root of the condition.
    pub root: ExprId,
    /// The output template.
    pub output: OutputTemplate,
    /// Event type names (syscall only; `None` = every event type).
    pub event_types: Option<Vec<String>>,
}

/// All rules of one source, lowered to one arena.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// Source name.
    pub source: String,
    /// Interned fields.
    pub fields: Vec<FieldRef>,
    /// Operand arena.
    pub operands: Vec<OperandIr>,
    /// Operand types.
    pub operand_types: Vec<OpType>,
    /// Node arena.
    pub nodes: Vec<Node>,
    /// Per node: memo slot index or `u32::MAX` (nodes with a single parent are not memoized).
    pub memo_slot: Vec<u32>,
    /// Number of memo slots.
    pub memo_slots: usize,
    /// Rules in load order.
    pub rules: Vec<RuleIr>,
    /// Rules (indices) per event type name (syscall).
    #[serde(serialize_with = "ser::sorted_map")]
    pub by_type: HashMap<String, Vec<u32>>,
    /// Rules evaluated for every event.
    pub any_type: Vec<u32>,
    /// Rules that could not be lowered (name, reason).
    pub skipped: Vec<(String, String)>,
}

impl Program {
    /// Rule indices to evaluate for an event of type `evt_type`, in rule order.
    pub fn rules_for(&self, evt_type: Option<&str>) -> Vec<u32> {
        let typed = evt_type.and_then(|t| self.by_type.get(t));
        match typed {
            None => self.any_type.clone(),
            Some(t) => {
                let mut out = Vec::with_capacity(t.len() + self.any_type.len());
                let (mut i, mut j) = (0, 0);
                while i < t.len() || j < self.any_type.len() {
                    if j >= self.any_type.len() || (i < t.len() && t[i] < self.any_type[j]) {
                        out.push(t[i]);
                        i += 1;
                    } else {
                        out.push(self.any_type[j]);
                        j += 1;
                    }
                }
                out
            }
        }
    }

    /// Number of distinct nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
}

// Output templates (spec §5): literal segments and `%[N]field` tokens whose operands live in
// the rule's arena, so rendering shares the interpreter's per-event extraction memo. Built by
// the compiler (`rulec::lower::template`), rendered by the runtime (`rulec_runtime::output`).

/// One piece of a compiled template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Segment {
    /// Literal text.
    Text(String),
    /// A `%` token.
    Field {
        /// Canonical text (`proc.name`, `tolower(proc.name)`): the `output_fields` key.
        key: String,
        /// Width (`%20proc.name`), if given.
        width: Option<usize>,
        /// The lowered operand.
        operand: OperandId,
    },
}

/// A compiled output template.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutputTemplate {
    /// Segments in order.
    pub segments: Vec<Segment>,
}

/// Compiles a RE2-style pattern as a full match (`^(?:p)$`).
pub fn full_regex(p: &str) -> Option<Regex> {
    Regex::new(&format!("^(?:{p})$")).ok()
}

/// Splits a path into its non-empty `/`-separated components (`pmatch`).
pub fn path_components(p: &str) -> Vec<String> {
    p.split('/')
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}
