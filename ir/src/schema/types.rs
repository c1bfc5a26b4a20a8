//! Field types (`PT_*`) and the operator/type compatibility rules of `operators.json`.

use serde::{Deserialize, Serialize};

use crate::vocab::OpKind;

/// A libs parameter type (`ppm_param_type`), as named in the schemas (`PT_CHARBUF` ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum FieldType {
    None,
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    Charbuf,
    Bytebuf,
    Errno,
    Sockaddr,
    Socktuple,
    Fd,
    Pid,
    Fdlist,
    Fspath,
    Syscallid,
    Sigtype,
    Reltime,
    Abstime,
    Port,
    L4proto,
    Sockfamily,
    Bool,
    Ipv4addr,
    Dyn,
    Flags8,
    Flags16,
    Flags32,
    Uid,
    Gid,
    Double,
    Sigset,
    Charbufarray,
    CharbufPairArray,
    Ipv4net,
    Ipv6addr,
    Ipv6net,
    Ipaddr,
    Ipnet,
    Mode,
    Fsrelpath,
    Enumflags8,
    Enumflags16,
    Enumflags32,
    Fd32,
    Pid32,
}

/// The 49 types in `PT_*` value order (index = numeric value in `operators.json`).
const ALL_TYPES: [(FieldType, &str); 49] = [
    (FieldType::None, "PT_NONE"),
    (FieldType::Int8, "PT_INT8"),
    (FieldType::Int16, "PT_INT16"),
    (FieldType::Int32, "PT_INT32"),
    (FieldType::Int64, "PT_INT64"),
    (FieldType::Uint8, "PT_UINT8"),
    (FieldType::Uint16, "PT_UINT16"),
    (FieldType::Uint32, "PT_UINT32"),
    (FieldType::Uint64, "PT_UINT64"),
    (FieldType::Charbuf, "PT_CHARBUF"),
    (FieldType::Bytebuf, "PT_BYTEBUF"),
    (FieldType::Errno, "PT_ERRNO"),
    (FieldType::Sockaddr, "PT_SOCKADDR"),
    (FieldType::Socktuple, "PT_SOCKTUPLE"),
    (FieldType::Fd, "PT_FD"),
    (FieldType::Pid, "PT_PID"),
    (FieldType::Fdlist, "PT_FDLIST"),
    (FieldType::Fspath, "PT_FSPATH"),
    (FieldType::Syscallid, "PT_SYSCALLID"),
    (FieldType::Sigtype, "PT_SIGTYPE"),
    (FieldType::Reltime, "PT_RELTIME"),
    (FieldType::Abstime, "PT_ABSTIME"),
    (FieldType::Port, "PT_PORT"),
    (FieldType::L4proto, "PT_L4PROTO"),
    (FieldType::Sockfamily, "PT_SOCKFAMILY"),
    (FieldType::Bool, "PT_BOOL"),
    (FieldType::Ipv4addr, "PT_IPV4ADDR"),
    (FieldType::Dyn, "PT_DYN"),
    (FieldType::Flags8, "PT_FLAGS8"),
    (FieldType::Flags16, "PT_FLAGS16"),
    (FieldType::Flags32, "PT_FLAGS32"),
    (FieldType::Uid, "PT_UID"),
    (FieldType::Gid, "PT_GID"),
    (FieldType::Double, "PT_DOUBLE"),
    (FieldType::Sigset, "PT_SIGSET"),
    (FieldType::Charbufarray, "PT_CHARBUFARRAY"),
    (FieldType::CharbufPairArray, "PT_CHARBUF_PAIR_ARRAY"),
    (FieldType::Ipv4net, "PT_IPV4NET"),
    (FieldType::Ipv6addr, "PT_IPV6ADDR"),
    (FieldType::Ipv6net, "PT_IPV6NET"),
    (FieldType::Ipaddr, "PT_IPADDR"),
    (FieldType::Ipnet, "PT_IPNET"),
    (FieldType::Mode, "PT_MODE"),
    (FieldType::Fsrelpath, "PT_FSRELPATH"),
    (FieldType::Enumflags8, "PT_ENUMFLAGS8"),
    (FieldType::Enumflags16, "PT_ENUMFLAGS16"),
    (FieldType::Enumflags32, "PT_ENUMFLAGS32"),
    (FieldType::Fd32, "PT_FD32"),
    (FieldType::Pid32, "PT_PID32"),
];

impl FieldType {
    /// Parses a schema type name (`PT_CHARBUF`).
    pub fn from_pt(s: &str) -> Option<FieldType> {
        ALL_TYPES.iter().find(|(_, n)| *n == s).map(|(t, _)| *t)
    }

    /// The schema name (`PT_CHARBUF`).
    pub fn pt_name(self) -> &'static str {
        ALL_TYPES[self as usize].1
    }

    /// The name libs prints in error messages (`CHARBUF`, `DYNAMIC`, ...), from operators.json.
    pub fn name(self) -> &'static str {
        super::Registry::get().ops.types[self as usize]
            .name
            .as_str()
    }

    /// String-like types (operators group `string`).
    pub fn is_string(self) -> bool {
        matches!(
            self,
            FieldType::Charbuf | FieldType::Fspath | FieldType::Fsrelpath
        )
    }

    /// Signed integer types whose literals are signed decimals (INT*, ERRNO, FD, PID).
    pub fn is_signed_int(self) -> bool {
        use FieldType as T;
        matches!(
            self,
            T::Int8 | T::Int16 | T::Int32 | T::Int64 | T::Errno | T::Fd | T::Pid
        )
    }

    /// Unsigned integer types whose literals are decimals wrapped to the width (UINT*, FLAGS*,
    /// ENUMFLAGS*, MODE, UID, GID, L4PROTO, RELTIME, ABSTIME, SYSCALLID, SIGTYPE).
    pub fn is_unsigned_int(self) -> bool {
        use FieldType as T;
        matches!(
            self,
            T::Uint8
                | T::Uint16
                | T::Uint32
                | T::Uint64
                | T::Flags8
                | T::Flags16
                | T::Flags32
                | T::Enumflags8
                | T::Enumflags16
                | T::Enumflags32
                | T::Mode
                | T::Uid
                | T::Gid
                | T::L4proto
                | T::Reltime
                | T::Abstime
                | T::Syscallid
                | T::Sigtype
        )
    }

    /// Network types (RHS must be CIDR text; no RHS fields).
    pub fn is_net(self) -> bool {
        matches!(
            self,
            FieldType::Ipv4net | FieldType::Ipv6net | FieldType::Ipnet
        )
    }
}

/// One entry of `operators.json` `types[]`.
#[derive(Debug, Clone, Deserialize)]
pub struct TypeRules {
    /// `PT_*` name.
    #[serde(rename = "type")]
    pub pt: String,
    /// Name in messages.
    pub name: String,
    /// Operator group: numeric, bool, string, buffer, ip_or_net, none.
    pub group: String,
    /// Operators accepted on a scalar field.
    pub operators: Vec<String>,
    /// Operators accepting a modifier.
    pub operators_with_modifier: Vec<String>,
    /// Operators accepted on a list-valued field.
    pub list_operators: Vec<String>,
    /// How a literal right-hand side is parsed for this type, in words.
    #[serde(default)]
    pub rhs_literal: String,
}

/// One entry of `operators.json` `operators[]`: an operator spelling and its right-hand side.
#[derive(Debug, Clone, Deserialize)]
pub struct OperatorInfo {
    /// The spelling (`=`, `contains`, `exists`, ...).
    pub op: String,
    /// `unary` or `binary`.
    pub arity: String,
    /// What follows in the grammar: `unary`, `str` (a value), `num` (a number) or `list`.
    pub parser_group: String,
    /// What the right-hand side accepts, in words (`None` for unary operators). Some entries
    /// refer to another operator (`as '<'`, `same as '='`).
    pub rhs: Option<String>,
    /// Whether a modifier (`oneof`, `anyof`, `allof`) may follow.
    pub modifiers: bool,
}

impl OperatorInfo {
    /// The operator [`OperatorInfo::rhs`] refers to (`'<'` in `as '<'`), if any.
    pub fn rhs_refers_to(&self) -> Option<&str> {
        let rhs = self.rhs.as_deref()?;
        let rest = rhs.strip_prefix("same as '").or(rhs.strip_prefix("as '"))?;
        rest.strip_suffix('\'')
    }
}

/// The operator/type tables of `operators.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct OperatorTable {
    /// Every operator, in the order of `operators.json`.
    pub operators: Vec<OperatorInfo>,
    /// Per type, indexed by [`FieldType`] value.
    pub types: Vec<TypeRules>,
    /// Messages per group (with `<op>` / `<TYPENAME>` placeholders).
    pub error_messages: std::collections::HashMap<String, String>,
}

impl OperatorTable {
    /// The operators accepted (without modifier) on a value of type `ty` (list-valued when
    /// `is_list`), in table order: `exists` always, the others when [`OperatorTable::check`]
    /// accepts them.
    pub fn accepted(&self, ty: FieldType, is_list: bool) -> Vec<&OperatorInfo> {
        self.operators
            .iter()
            .filter(|o| {
                o.arity == "unary"
                    || OpKind::from_text(&o.op)
                        .is_some_and(|k| self.check(k, &o.op, false, ty, is_list).is_none())
            })
            .collect()
    }

    /// The entry of operator `op` (exact spelling).
    pub fn operator(&self, op: &str) -> Option<&OperatorInfo> {
        self.operators.iter().find(|o| o.op == op)
    }

    /// `flt_is_comparable`: `None` when `op` (with optional modifier) is accepted on a value of
    /// type `ty` (list-valued when `is_list`), otherwise the libs message (without the
    /// `filter error: ` prefix).
    pub fn check(
        &self,
        op: OpKind,
        op_text: &str,
        modifier: bool,
        ty: FieldType,
        is_list: bool,
    ) -> Option<String> {
        let rules = &self.types[ty as usize];
        let key = op.as_str();
        let msg = |group: &str| {
            self.error_messages
                .get(group)
                .map(|m| {
                    m.replace("<op>", op_text)
                        .replace("<TYPENAME>", &rules.name)
                        .replace(" (same text as numeric)", "")
                })
                .unwrap_or_default()
        };
        if is_list {
            if rules.list_operators.len() <= 1 {
                return Some(msg("list_type"));
            }
            if !rules.list_operators.iter().any(|o| o == key) {
                return Some(msg("list"));
            }
            return None;
        }
        if !rules.operators.iter().any(|o| o == key) {
            return Some(match rules.group.as_str() {
                "none" => msg("other"),
                g => msg(g),
            });
        }
        if modifier && !rules.operators_with_modifier.iter().any(|o| o == key) {
            return Some(match rules.group.as_str() {
                "ip_or_net" => msg("ip_or_net_modifier"),
                "none" => msg("other"),
                g => msg(g),
            });
        }
        None
    }
}
