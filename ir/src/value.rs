//! Typed field values and field references: what literals are lowered to, what events
//! extract and what the interpreter compares ([`Val`], [`FieldRef`], [`parse_typed`]).

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
        Some(FieldRef::new(schema, text, r.index, r.ty, r.is_list))
    }

    /// Builds a reference from a resolved field: `text` as written (`proc.aname[2]`), the
    /// index of its schema field, its effective type and list-ness.
    pub fn new(
        schema: &SourceSchema,
        text: &str,
        index: usize,
        ty: FieldType,
        is_list: bool,
    ) -> FieldRef {
        let name = schema.fields[index].name.clone();
        let rest = text.get(name.len()..).unwrap_or("");
        let arg = if let Some(a) = rest.strip_prefix('[') {
            Some(a.strip_suffix(']').unwrap_or(a).to_owned())
        } else {
            rest.strip_prefix('.').map(str::to_owned)
        };
        FieldRef {
            text: text.to_owned(),
            name,
            arg,
            index,
            ty,
            is_list,
        }
    }
}

/// `proc.aname[2]` → (`proc.aname`, `2`); dotted arguments stay in the name, as the condition
/// parser leaves them.
pub fn split_arg(text: &str) -> (&str, Option<&str>) {
    match text.split_once('[') {
        Some((name, rest)) => (name, Some(rest.strip_suffix(']').unwrap_or(rest))),
        None => (text, None),
    }
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
                let p = SERVICES.iter().find(|(n, _)| *n == text)?.1;
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

/// Service names accepted for `PORT` values (subset of IANA `/etc/services`, TCP/UDP).
pub const SERVICES: &[(&str, u16)] = &[
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("dns", 53),
    ("tftp", 69),
    ("http", 80),
    ("www", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("sunrpc", 111),
    ("ntp", 123),
    ("netbios-ns", 137),
    ("netbios-ssn", 139),
    ("imap", 143),
    ("snmp", 161),
    ("ldap", 389),
    ("https", 443),
    ("microsoft-ds", 445),
    ("syslog", 514),
    ("submission", 587),
    ("ldaps", 636),
    ("rsync", 873),
    ("imaps", 993),
    ("pop3s", 995),
    ("socks", 1080),
    ("openvpn", 1194),
    ("ms-sql-s", 1433),
    ("mysql", 3306),
    ("postgresql", 5432),
    ("amqp", 5672),
    ("x11", 6000),
    ("redis", 6379),
    ("http-alt", 8080),
    ("etcd-client", 2379),
    ("etcd-server", 2380),
];
