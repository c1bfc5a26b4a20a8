//! Runtime events and typed field values.
//!
//! An [`Event`] belongs to one source and answers field extractions: [`Event::extract`] returns
//! the typed [`Values`] of a [`FieldRef`] or `None` when the field is missing for this event
//! (spec §3.4: a missing field makes every check false, including `!=` and `exists`).
//!
//! [`FieldMapEvent`] is a fixture event given as a map `field text -> value(s)`, typed via the
//! source schema with the literal parsing rules of §3.3 ([`parse_typed`]). Plugin events built
//! from real JSON payloads live in [`crate::extract`]. [`TypedEvent`] is a fixture whose values
//! were typed once when it was built, as a runtime event's are: evaluators borrow them through
//! [`Event::stored`] instead of extracting copies.

mod typed;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::schema::{FieldType, SourceSchema};

/// One typed value.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Val {
    /// A string (CHARBUF, FSPATH, FSRELPATH and other text types).
    Str(String),
    /// A byte buffer (BYTEBUF).
    Bytes(Vec<u8>),
    /// An unsigned number (UINT*, FLAGS*, MODE, RELTIME, ABSTIME, PORT ...).
    U64(u64),
    /// A signed number (INT*, ERRNO, FD, PID).
    I64(i64),
    /// A double.
    F64(f64),
    /// A boolean.
    Bool(bool),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// A network: address and prefix length (address already masked).
    Net(IpAddr, u8),
}

impl PartialEq for Val {
    fn eq(&self, o: &Val) -> bool {
        match (self, o) {
            (Val::Str(a), Val::Str(b)) => a == b,
            (Val::Bytes(a), Val::Bytes(b)) => a == b,
            (Val::Str(a), Val::Bytes(b)) | (Val::Bytes(b), Val::Str(a)) => a.as_bytes() == b,
            (Val::U64(a), Val::U64(b)) => a == b,
            (Val::I64(a), Val::I64(b)) => a == b,
            (Val::U64(a), Val::I64(b)) | (Val::I64(b), Val::U64(a)) => *a as i128 == *b as i128,
            (Val::F64(a), Val::F64(b)) => a.to_bits() == b.to_bits(),
            (Val::Bool(a), Val::Bool(b)) => a == b,
            (Val::Ip(a), Val::Ip(b)) => a == b,
            (Val::Net(a, m), Val::Net(b, n)) => a == b && m == n,
            _ => false,
        }
    }
}
impl Eq for Val {}

impl std::hash::Hash for Val {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match self {
            Val::Str(s) => s.as_bytes().hash(h),
            Val::Bytes(b) => b.hash(h),
            Val::U64(v) => (*v as i128).hash(h),
            Val::I64(v) => (*v as i128).hash(h),
            Val::F64(v) => v.to_bits().hash(h),
            Val::Bool(b) => b.hash(h),
            Val::Ip(a) => a.hash(h),
            Val::Net(a, m) => (a, m).hash(h),
        }
    }
}

impl Val {
    /// The value as text (outputs, transformers): numbers in decimal, IPs in the usual notation.
    pub fn to_text(&self) -> String {
        match self {
            Val::Str(s) => s.clone(),
            Val::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
            Val::U64(v) => v.to_string(),
            Val::I64(v) => v.to_string(),
            Val::F64(v) => v.to_string(),
            Val::Bool(b) => b.to_string(),
            Val::Ip(a) => a.to_string(),
            Val::Net(a, m) => format!("{a}/{m}"),
        }
    }

    /// The value's bytes when it is a string or a buffer.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Val::Str(s) => Some(s.as_bytes()),
            Val::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The value as JSON (Falco's typed `output_fields`).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Val::U64(v) => (*v).into(),
            Val::I64(v) => (*v).into(),
            Val::F64(v) => {
                serde_json::Number::from_f64(*v).map_or(serde_json::Value::Null, Into::into)
            }
            Val::Bool(b) => (*b).into(),
            other => other.to_text().into(),
        }
    }
}

/// The hasher of value sets and name-keyed tables (rule literals and names, fixed at compile
/// time: SipHash's HashDoS resistance buys nothing there and costs most of an `in` check).
pub use rustc_hash::FxHasher;
pub use typed::TypedEvent;

/// A set of values with a fast hasher (`in` / `intersects` literal lists).
pub type ValSet = rustc_hash::FxHashSet<Val>;

/// The values a field extracted: one for a scalar field, zero or more for a list field.
pub type Values = Vec<Val>;

/// A field reference as events see it: the schema field and its argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct FieldRef {
    /// Full text (`proc.aname[2]`, `json.value[/a]`, `evt.arg.fd`).
    pub text: String,
    /// Schema field name (`proc.aname`).
    pub name: String,
    /// Bracket or dotted argument (`2`, `/a`, `fd`), `Some("")` for `[""]`.
    pub arg: Option<String>,
    /// Index into the source's [`SourceSchema::fields`].
    pub index: usize,
    /// Effective type.
    pub ty: FieldType,
    /// Multi-valued.
    pub is_list: bool,
}

impl FieldRef {
    /// Resolves field text (`proc.name`, `proc.aname[2]`, `evt.arg.fd`) against `schema`, as
    /// the typechecker would; `None` for a field the schema does not know (fixtures, tests).
    pub fn resolve(schema: &SourceSchema, text: &str) -> Option<FieldRef> {
        let (name, arg) = split_arg(text);
        let r = schema.lookup(name, arg).ok()?;
        let tf = crate::typeck::FieldRef {
            text: text.to_owned(),
            index: r.index,
            ty: r.ty,
            is_list: r.is_list,
            span: crate::span::Span::default(),
        };
        Some(FieldRef::from_typed(schema, &tf))
    }

    /// Builds a reference from the typechecker's resolved field.
    pub fn from_typed(schema: &SourceSchema, f: &crate::typeck::FieldRef) -> FieldRef {
        let name = schema.fields[f.index].name.clone();
        let rest = f.text.get(name.len()..).unwrap_or("");
        let arg = if let Some(a) = rest.strip_prefix('[') {
            Some(a.strip_suffix(']').unwrap_or(a).to_owned())
        } else {
            rest.strip_prefix('.').map(str::to_owned)
        };
        FieldRef {
            text: f.text.clone(),
            name,
            arg,
            index: f.index,
            ty: f.ty,
            is_list: f.is_list,
        }
    }
}

/// `proc.aname[2]` → (`proc.aname`, `2`); dotted arguments stay in the name, as the condition
/// parser leaves them.
fn split_arg(text: &str) -> (&str, Option<&str>) {
    match text.split_once('[') {
        Some((name, rest)) => (name, Some(rest.strip_suffix(']').unwrap_or(rest))),
        None => (text, None),
    }
}

/// A runtime event.
pub trait Event {
    /// The event source (`syscall`, `k8s_audit` ...).
    fn source(&self) -> &str;
    /// The event type name for syscall events (`openat`); `None` for plugin events. It must
    /// be the value of the event's `evt.type` field: evaluators pick the rules of this type and
    /// decide their `evt.type` checks from it ([`crate::interp::code`]).
    fn evt_type(&self) -> Option<&str>;
    /// Extracts a field; `None` when the field is missing for this event.
    fn extract(&self, field: &FieldRef) -> Option<Values>;
    /// Event time in ns since the epoch (0 when unknown).
    fn time_ns(&self) -> u64 {
        0
    }
    /// Where the event stores the field's values already typed for `field.ty`
    /// ([`StoredAt::NotStored`], the default, tells callers to use [`Event::extract`]). The
    /// place stays valid for the event's lifetime: evaluators look a field up once per event
    /// and read it through [`Event::stored_values`] on every use. Must agree with `extract`.
    fn stored_at(&self, field: &FieldRef) -> StoredAt {
        let _ = field;
        StoredAt::NotStored
    }
    /// The values stored at `at`, a place [`Event::stored_at`] returned for this event.
    fn stored_values(&self, at: u32) -> &[Val] {
        let _ = at;
        &[]
    }
    /// The field's values borrowed from the event when it stores them typed
    /// ([`Event::stored_at`] and [`Event::stored_values`] in one step).
    fn stored(&self, field: &FieldRef) -> Stored<'_> {
        match self.stored_at(field) {
            StoredAt::At(at) => Stored::Values(self.stored_values(at)),
            StoredAt::Missing => Stored::Missing,
            StoredAt::NotStored => Stored::NotStored,
        }
    }
}

/// Where an event keeps a field's typed values ([`Event::stored_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredAt {
    /// At this place: read with [`Event::stored_values`].
    At(u32),
    /// The field is missing for this event.
    Missing,
    /// The event does not store this field typed: extract it.
    NotStored,
}

/// A field lookup in an event's stored typed values ([`Event::stored`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stored<'a> {
    /// The values, as [`Event::extract`] would return them.
    Values(&'a [Val]),
    /// The field is missing for this event.
    Missing,
    /// The event does not store this field typed: extract it.
    NotStored,
}

fn trunc_signed(v: i128, ty: FieldType) -> i64 {
    match ty {
        FieldType::Int8 => v as i8 as i64,
        FieldType::Int16 => v as i16 as i64,
        FieldType::Int32 => v as i32 as i64,
        _ => v as i64,
    }
}

fn trunc_unsigned(v: i128, ty: FieldType) -> u64 {
    use FieldType as T;
    match ty {
        T::Uint8 | T::Flags8 | T::Enumflags8 | T::Sigtype | T::L4proto => v as u8 as u64,
        T::Uint16 | T::Flags16 | T::Enumflags16 | T::Syscallid | T::Port => v as u16 as u64,
        T::Uint32 | T::Flags32 | T::Enumflags32 | T::Mode | T::Uid | T::Gid => v as u32 as u64,
        _ => v as u64,
    }
}

fn parse_int(text: &str) -> Option<i128> {
    let t = text.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Saturate absurdly long numbers instead of failing.
    let v: i128 = digits.parse().unwrap_or(i128::MAX / 2);
    Some(if neg { -v } else { v })
}

/// Parses a CIDR `addr/len` (IPv4 when the text contains `.`), masking the address.
pub fn parse_net(text: &str, v4_only: bool, v6_only: bool) -> Option<Val> {
    let (addr, len) = text.split_once('/')?;
    let len: u8 = len.parse().ok()?;
    let is_v4 = text.contains('.');
    if (v4_only && !is_v4) || (v6_only && is_v4) {
        return None;
    }
    if is_v4 {
        let a: Ipv4Addr = addr.parse().ok()?;
        if len > 32 {
            return None;
        }
        let mask = if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len))
        };
        Some(Val::Net(
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask)),
            len,
        ))
    } else {
        let a: Ipv6Addr = addr.parse().ok()?;
        if !(1..=128).contains(&len) {
            return None;
        }
        let mask = if len == 128 {
            u128::MAX
        } else {
            !(u128::MAX >> len)
        };
        Some(Val::Net(
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask)),
            len,
        ))
    }
}

fn parse_ip(text: &str, ty: FieldType) -> Option<IpAddr> {
    match ty {
        FieldType::Ipv4addr | FieldType::Ipv4net => text.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
        FieldType::Ipv6addr | FieldType::Ipv6net => text.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        _ => {
            if text.contains('.') {
                text.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
            } else {
                text.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
            }
        }
    }
}

/// Hex-decodes an even-length hex string (`bcontains` / `bstartswith` operands).
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Parses `text` as a value of type `ty` with the literal rules of spec §3.3 (`rhs_net`: the
/// RHS of a check on a network type, a CIDR). `None` when the text is not valid for the type.
pub fn parse_typed(ty: FieldType, text: &str, rhs_net: bool) -> Option<Val> {
    use FieldType as T;
    let text = text.split('\0').next().unwrap_or("");
    Some(match ty {
        t if t.is_signed_int() || matches!(t, T::Fd32 | T::Pid32) => {
            Val::I64(trunc_signed(parse_int(text)?, ty))
        }
        T::Port => {
            if text.is_empty() {
                Val::U64(0)
            } else if let Some(v) =
                parse_int(text).filter(|_| text.bytes().all(|b| b.is_ascii_digit()))
            {
                Val::U64(trunc_unsigned(v, ty))
            } else {
                let p = crate::typeck::values::SERVICES
                    .iter()
                    .find(|(n, _)| *n == text)?
                    .1;
                Val::U64(u64::from(p))
            }
        }
        t if t.is_unsigned_int() => Val::U64(trunc_unsigned(parse_int(text)?, ty)),
        T::Double => Val::F64(parse_int(text)? as f64),
        T::Bool => match text {
            "true" => Val::Bool(true),
            "false" => Val::Bool(false),
            _ => return None,
        },
        T::Bytebuf => Val::Bytes(text.as_bytes().to_vec()),
        T::Ipv4addr | T::Ipv6addr | T::Ipaddr => Val::Ip(parse_ip(text, ty)?),
        T::Ipv4net | T::Ipv6net | T::Ipnet => {
            if rhs_net || text.contains('/') {
                parse_net(text, ty == T::Ipv4net, ty == T::Ipv6net)?
            } else {
                Val::Ip(parse_ip(text, ty)?)
            }
        }
        _ => Val::Str(text.to_owned()),
    })
}

/// [`parse_typed`] of an owned text (not a RHS): string types keep its allocation.
pub fn parse_typed_owned(ty: FieldType, mut text: String) -> Option<Val> {
    if ty.is_string() {
        if let Some(p) = memchr::memchr(0, text.as_bytes()) {
            text.truncate(p);
        }
        return Some(Val::Str(text));
    }
    parse_typed(ty, &text, false)
}

/// A fixture value: one string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FixtureValue {
    /// A scalar.
    One(String),
    /// A list (list fields; for scalar fields every element is a candidate, as for
    /// ancestor fields without an index).
    Many(Vec<String>),
}

/// A syscall (or any source) event given as a map field text → value, typed via the schema.
///
/// `evt.type` gives [`Event::evt_type`]. Values that do not parse for the field's type make
/// the field missing.
#[derive(Debug, Clone, Default)]
pub struct FieldMapEvent {
    /// Source name.
    pub source: String,
    /// Field text (`proc.name`, `proc.aname[2]`) → value.
    pub fields: HashMap<String, FixtureValue>,
    /// Event time (ns since the epoch).
    pub time_ns: u64,
}

impl FieldMapEvent {
    /// A syscall event from `(field, value)` pairs.
    pub fn syscall<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        FieldMapEvent {
            source: "syscall".into(),
            fields: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), FixtureValue::One(v.to_owned())))
                .collect(),
            time_ns: 0,
        }
    }

    /// Sets one field.
    pub fn with(mut self, field: &str, v: FixtureValue) -> Self {
        self.fields.insert(field.to_owned(), v);
        self
    }

    /// From a JSON object `{field: string | number | bool | [..]}` (fixtures).
    pub fn from_json(source: &str, obj: &serde_json::Value) -> Option<Self> {
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let fields = obj
            .as_object()?
            .iter()
            .map(|(k, v)| {
                let fv = match v {
                    serde_json::Value::Array(a) => FixtureValue::Many(a.iter().map(text).collect()),
                    other => FixtureValue::One(text(other)),
                };
                (k.clone(), fv)
            })
            .collect();
        Some(FieldMapEvent {
            source: source.to_owned(),
            fields,
            time_ns: 0,
        })
    }

    /// Events of `source` from a JSON array of fixture objects (see [`FieldMapEvent::from_json`];
    /// elements that are not objects are skipped), or one event from a single object.
    pub fn parse_many(source: &str, text: &str) -> Result<Vec<Self>, serde_json::Error> {
        let v: serde_json::Value = serde_json::from_str(text)?;
        Ok(match &v {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|o| Self::from_json(source, o))
                .collect(),
            other => Self::from_json(source, other).into_iter().collect(),
        })
    }
}

impl Event for FieldMapEvent {
    fn source(&self) -> &str {
        &self.source
    }

    fn evt_type(&self) -> Option<&str> {
        match self.fields.get("evt.type")? {
            FixtureValue::One(s) => Some(s),
            FixtureValue::Many(v) => v.first().map(String::as_str),
        }
    }

    fn extract(&self, field: &FieldRef) -> Option<Values> {
        let parse = |s: &str| parse_typed(field.ty, s, false);
        match self.fields.get(&field.text)? {
            FixtureValue::One(s) => Some(vec![parse(s)?]),
            FixtureValue::Many(v) => v.iter().map(|s| parse(s)).collect(),
        }
    }

    fn time_ns(&self) -> u64 {
        self.time_ns
    }
}
