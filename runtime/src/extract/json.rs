//! Owned JSON documents for event payloads, parsed in one pass without an allocation per
//! string, key or number.
//!
//! A [`Doc`] keeps the JSON text and a flat list of nodes in document order: strings and
//! numbers are byte ranges into the text (a string with escapes is unescaped when it is
//! read), and a container records where its subtree ends, so skipping a value is one step.
//! [`V`] is a copyable handle on one value with the part of `serde_json::Value`'s API the
//! extractors use.
//!
//! Everything agrees with serde_json (default features, as this workspace builds it): the
//! parser accepts and rejects the texts `serde_json::from_str` / `from_slice` accept and
//! rejects, with the same messages, lines and columns (RFC 8259, nesting limited to 127
//! levels); a duplicate key resolves to its last value; [`V::pointer`] follows RFC 6901 as
//! `Value::pointer` does; numbers read as serde_json reads them; and [`V::to_json_string`]
//! prints what `Value::to_string` prints for the same text (keys sorted and deduplicated,
//! numbers and escapes as serde_json writes them). One serde_json quirk is not copied: an
//! object whose first key is serde_json's private raw-value marker is an ordinary object.

use std::borrow::Cow;
use std::fmt;

/// Containers open at most (serde_json's recursion limit: the 128th level is an error).
const DEPTH: usize = 128;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    False,
    True,
    /// An integer serde_json reads as `u64` or `i64`: it prints as its text.
    Int,
    /// Any other number (fraction, exponent, `-0`, beyond 64 bits): serde_json reads it.
    Num,
    /// A string without escapes: its text is its value.
    Str,
    /// A string with escapes, unescaped when read.
    EscStr,
    Array,
    Object,
}

/// One value (or object key) of a document.
#[derive(Debug, Clone, Copy)]
struct Node {
    kind: Kind,
    /// First byte (strings: after the opening quote).
    start: u32,
    /// One past the last byte (strings: the closing quote).
    end: u32,
    /// Index of the node after this value's subtree (its next sibling, if any).
    next: u32,
}

/// A parsed JSON document that owns its text.
#[derive(Clone)]
pub struct Doc {
    text: String,
    nodes: Vec<Node>,
    /// The top-level object's keys by hash (extractors look most fields up there).
    root_keys: RootKeys,
}

impl fmt::Debug for Doc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Doc").field(&self.text).finish()
    }
}

impl Doc {
    /// Parses `text` (one JSON value, whitespace around it allowed).
    pub fn parse(text: String) -> Result<Doc, JsonError> {
        let nodes = parse(text.as_bytes(), false)?;
        Ok(Doc::new(text, nodes))
    }

    fn new(text: String, nodes: Vec<Node>) -> Doc {
        let root_keys = RootKeys::build(text.as_bytes(), &nodes);
        Doc {
            text,
            nodes,
            root_keys,
        }
    }

    /// Parses UTF-8 bytes; errors as `serde_json::from_slice` reports them (invalid UTF-8
    /// in a string is an `invalid unicode code point`).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Doc, JsonError> {
        match String::from_utf8(bytes) {
            Ok(text) => Doc::parse(text),
            Err(e) => {
                let valid = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                // The invalid bytes make the text fail somewhere; find where serde_json would.
                Err(parse(&bytes, true).err().unwrap_or_else(|| {
                    JsonError::at(&bytes, ErrorCode::InvalidUnicodeCodePoint, valid + 1)
                }))
            }
        }
    }

    /// The document of a `serde_json` value (its compact text).
    pub fn from_value(v: &serde_json::Value) -> Doc {
        let text = v.to_string();
        let nodes = parse(text.as_bytes(), false).unwrap_or_else(|_| {
            // serde_json writes valid JSON; keep a well-formed document regardless.
            vec![Node {
                kind: Kind::Null,
                start: 0,
                end: 0,
                next: 1,
            }]
        });
        Doc::new(text, nodes)
    }

    /// The top-level value.
    pub fn root(&self) -> V<'_> {
        V { doc: self, i: 0 }
    }

    /// The JSON text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Gives the text back.
    pub fn into_text(self) -> String {
        self.text
    }

    /// The document as a `serde_json` value (parses the text again).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or(serde_json::Value::Null)
    }

    fn node(&self, i: u32) -> Node {
        self.nodes[i as usize]
    }

    fn bytes(&self, n: Node) -> &[u8] {
        &self.text.as_bytes()[n.start as usize..n.end as usize]
    }

    fn str(&self, n: Node) -> &str {
        // Node bounds are token boundaries (ASCII bytes), so always char boundaries.
        self.text
            .get(n.start as usize..n.end as usize)
            .unwrap_or("")
    }

    /// The bytes of node `n`'s whole value (a string with its quotes).
    fn span(n: Node) -> (usize, usize) {
        match n.kind {
            Kind::Str | Kind::EscStr => (n.start as usize - 1, n.end as usize + 1),
            _ => (n.start as usize, n.end as usize),
        }
    }

    /// The value node of the top-level member `key`, from [`RootKeys`].
    #[inline]
    fn root_member(&self, key: &[u8]) -> Option<u32> {
        let text = self.text.as_bytes();
        let mut slot = key_hash(key) as usize % ROOT_SLOTS;
        loop {
            // The table is at most 3/4 full: every probe sequence reaches a free slot.
            let k = self.root_keys.slots[slot];
            let kn = self.nodes.get(usize::from(k)).filter(|_| k != 0)?;
            if text.get(kn.start as usize..kn.end as usize) == Some(key) {
                return Some(u32::from(k) + 1);
            }
            slot = (slot + 1) % ROOT_SLOTS;
        }
    }

    /// The value node of member `key` of object node `obj`, the last one that matches.
    #[inline]
    fn scan_member(&self, obj: u32, key: &str) -> Option<u32> {
        let text = self.text.as_bytes();
        let want = key.as_bytes();
        let end = (self.node(obj).next as usize).min(self.nodes.len());
        let mut found = None;
        let mut k = obj as usize + 1;
        while k + 1 < end {
            let (kn, vn) = (&self.nodes[k], &self.nodes[k + 1]);
            let (s, e) = (kn.start as usize, kn.end as usize);
            // A key with escapes is longer than its value.
            let hit = match kn.kind {
                Kind::Str => e - s == want.len() && text.get(s..e) == Some(want),
                _ => e - s > want.len() && self.key_is(*kn, key),
            };
            if hit {
                found = Some(k as u32 + 1);
            }
            k = vn.next as usize;
        }
        found
    }

    /// Whether key node `k` spells `key`.
    fn key_is(&self, k: Node, key: &str) -> bool {
        match k.kind {
            Kind::Str => self.bytes(k) == key.as_bytes(),
            Kind::EscStr => unescape(self.str(k)) == key,
            _ => false,
        }
    }
}

/// Slots of the [`RootKeys`] table.
const ROOT_SLOTS: usize = 32;

/// An open-addressing table from key hash to the key node of the top-level object's
/// members (the last one of a repeated key), for objects of up to 3/4 [`ROOT_SLOTS`] members
/// whose keys hold no escapes and are among the first 64Ki nodes; other objects are searched
/// member by member.
#[derive(Clone)]
struct RootKeys {
    /// Key node indices (0: free; the root is node 0, so no key is).
    slots: [u16; ROOT_SLOTS],
    built: bool,
}

impl RootKeys {
    const NONE: RootKeys = RootKeys {
        slots: [0; ROOT_SLOTS],
        built: false,
    };

    fn build(text: &[u8], nodes: &[Node]) -> RootKeys {
        let mut t = RootKeys::NONE;
        let Some(root) = nodes.first().filter(|n| n.kind == Kind::Object) else {
            return t;
        };
        let end = (root.next as usize).min(nodes.len());
        let mut k = 1;
        let mut members = 0;
        while k + 1 < end {
            let key = nodes[k];
            members += 1;
            let Ok(k16) = u16::try_from(k) else {
                return RootKeys::NONE;
            };
            if key.kind != Kind::Str || members > ROOT_SLOTS * 3 / 4 {
                return RootKeys::NONE;
            }
            let bytes = &text[key.start as usize..key.end as usize];
            let mut slot = key_hash(bytes) as usize % ROOT_SLOTS;
            loop {
                let at = t.slots[slot] as usize;
                let same = at != 0 && {
                    let other = nodes[at];
                    text.get(other.start as usize..other.end as usize) == Some(bytes)
                };
                if at == 0 || same {
                    t.slots[slot] = k16;
                    break;
                }
                slot = (slot + 1) % ROOT_SLOTS;
            }
            k = nodes[k + 1].next as usize;
        }
        t.built = true;
        t
    }
}

/// A hash of an object key (its length and first and last eight bytes).
#[inline(always)]
fn key_hash(k: &[u8]) -> u32 {
    let n = k.len();
    let (a, b) = match (k.first_chunk::<8>(), k.last_chunk::<8>()) {
        (Some(a), Some(b)) => (u64::from_le_bytes(*a), u64::from_le_bytes(*b)),
        _ => match (k.first_chunk::<4>(), k.last_chunk::<4>()) {
            (Some(a), Some(b)) => (
                u64::from(u32::from_le_bytes(*a)),
                u64::from(u32::from_le_bytes(*b)),
            ),
            _ => (
                k.first().map_or(0, |&c| u64::from(c)),
                k.last().map_or(0, |&c| u64::from(c)) << 8,
            ),
        },
    };
    let h = (a ^ b.rotate_left(29) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 40) as u32
}

/// A value in a [`Doc`].
#[derive(Clone, Copy)]
pub struct V<'a> {
    doc: &'a Doc,
    i: u32,
}

impl fmt::Debug for V<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json_string())
    }
}

impl<'a> V<'a> {
    fn node(self) -> Node {
        self.doc.node(self.i)
    }

    fn kind(self) -> Kind {
        self.node().kind
    }

    /// Whether this is `null`.
    pub fn is_null(self) -> bool {
        self.kind() == Kind::Null
    }

    /// Whether this is `true` or `false`.
    pub fn is_boolean(self) -> bool {
        matches!(self.kind(), Kind::True | Kind::False)
    }

    /// Whether this is a number.
    pub fn is_number(self) -> bool {
        matches!(self.kind(), Kind::Int | Kind::Num)
    }

    /// Whether this is a string.
    pub fn is_string(self) -> bool {
        matches!(self.kind(), Kind::Str | Kind::EscStr)
    }

    /// Whether this is an array.
    pub fn is_array(self) -> bool {
        self.kind() == Kind::Array
    }

    /// Whether this is an object.
    pub fn is_object(self) -> bool {
        self.kind() == Kind::Object
    }

    /// The boolean, if this is one.
    pub fn as_bool(self) -> Option<bool> {
        match self.kind() {
            Kind::True => Some(true),
            Kind::False => Some(false),
            _ => None,
        }
    }

    /// The string, if this is one (borrowed from the text unless it holds escapes).
    pub fn as_str(self) -> Option<Cow<'a, str>> {
        let n = self.node();
        match n.kind {
            Kind::Str => Some(Cow::Borrowed(self.doc.str(n))),
            Kind::EscStr => Some(Cow::Owned(unescape(self.doc.str(n)))),
            _ => None,
        }
    }

    /// The number as serde_json reads it (`Int` tokens directly, others through serde_json).
    fn number(self) -> Option<serde_json::Number> {
        let n = self.node();
        let text = self.doc.str(n);
        match n.kind {
            Kind::Int if text.starts_with('-') => text.parse::<i64>().ok().map(Into::into),
            Kind::Int => text.parse::<u64>().ok().map(Into::into),
            Kind::Num => serde_json::from_str(text).ok(),
            _ => None,
        }
    }

    /// The number as a `u64`, if it is a non-negative integer that fits (as
    /// `Value::as_u64`).
    pub fn as_u64(self) -> Option<u64> {
        let n = self.node();
        match n.kind {
            Kind::Int => self.doc.str(n).parse().ok(),
            Kind::Num => self.number()?.as_u64(),
            _ => None,
        }
    }

    /// The number as an `i64`, if it is an integer that fits (as `Value::as_i64`).
    pub fn as_i64(self) -> Option<i64> {
        let n = self.node();
        match n.kind {
            Kind::Int => self.doc.str(n).parse().ok(),
            Kind::Num => self.number()?.as_i64(),
            _ => None,
        }
    }

    /// The number as an `f64` (as `Value::as_f64`).
    pub fn as_f64(self) -> Option<f64> {
        self.number()?.as_f64()
    }

    /// The member `key` of an object (the last one when the key repeats).
    pub fn get(self, key: &str) -> Option<V<'a>> {
        if self.kind() != Kind::Object {
            return None;
        }
        let doc = self.doc;
        let value = if self.i == 0 && doc.root_keys.built {
            doc.root_member(key.as_bytes())
        } else {
            doc.scan_member(self.i, key)
        };
        value.map(|i| V { doc, i })
    }

    /// Element `n` of an array.
    pub fn get_index(self, n: usize) -> Option<V<'a>> {
        self.as_array()?.nth(n)
    }

    /// The value at JSON pointer `p` (RFC 6901, as `Value::pointer` resolves it).
    pub fn pointer(self, p: &str) -> Option<V<'a>> {
        if p.is_empty() {
            return Some(self);
        }
        let rest = p.strip_prefix('/')?;
        rest.split('/').try_fold(self, |cur, token| {
            let token: Cow<'_, str> = if token.contains('~') {
                token.replace("~1", "/").replace("~0", "~").into()
            } else {
                token.into()
            };
            match cur.kind() {
                Kind::Object => cur.get(&token),
                Kind::Array => {
                    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
                        return None;
                    }
                    cur.get_index(token.parse::<usize>().ok()?)
                }
                _ => None,
            }
        })
    }

    /// The elements of an array.
    pub fn as_array(self) -> Option<Elements<'a>> {
        let n = self.node();
        (n.kind == Kind::Array).then_some(Elements {
            doc: self.doc,
            i: self.i + 1,
            end: n.next,
        })
    }

    /// The members of an object in document order (a repeated key appears each time).
    pub fn as_object(self) -> Option<Members<'a>> {
        let n = self.node();
        (n.kind == Kind::Object).then_some(Members {
            doc: self.doc,
            i: self.i + 1,
            end: n.next,
        })
    }

    /// The value's text in the document (a string with its quotes).
    pub fn raw(self) -> &'a str {
        let (s, e) = Doc::span(self.node());
        self.doc.text.get(s..e).unwrap_or("")
    }

    /// Compact JSON, byte for byte what `serde_json::Value::to_string` prints for it.
    pub fn to_json_string(self) -> String {
        let mut out = String::with_capacity(self.raw().len());
        self.write_json(&mut out);
        out
    }

    /// Appends [`V::to_json_string`] to `out`.
    pub fn write_json(self, out: &mut String) {
        let n = self.node();
        match n.kind {
            Kind::Null => out.push_str("null"),
            Kind::False => out.push_str("false"),
            Kind::True => out.push_str("true"),
            Kind::Int => out.push_str(self.doc.str(n)),
            Kind::Num => match self.number() {
                Some(num) => out.push_str(&num.to_string()),
                None => out.push_str(self.doc.str(n)),
            },
            Kind::Str => {
                out.push('"');
                out.push_str(self.doc.str(n));
                out.push('"');
            }
            Kind::EscStr => write_escaped(&unescape(self.doc.str(n)), out),
            Kind::Array => {
                out.push('[');
                for (i, e) in self.as_array().into_iter().flatten().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    e.write_json(out);
                }
                out.push(']');
            }
            Kind::Object => self.write_object(out),
        }
    }

    /// An object with its keys in `BTreeMap` order, each once with its last value.
    fn write_object(self, out: &mut String) {
        let members: Vec<(Cow<'a, str>, V<'a>)> = self.as_object().into_iter().flatten().collect();
        let sorted = members.windows(2).all(|w| w[0].0 < w[1].0);
        let mut order: Vec<usize> = (0..members.len()).collect();
        if !sorted {
            // Stable: among equal keys the last in the document comes last.
            order.sort_by(|&a, &b| members[a].0.cmp(&members[b].0));
        }
        out.push('{');
        let mut first = true;
        for (pos, &m) in order.iter().enumerate() {
            let (key, value) = &members[m];
            if order.get(pos + 1).is_some_and(|&n| members[n].0 == *key) {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            write_escaped(key, out);
            out.push(':');
            value.write_json(out);
        }
        out.push('}');
    }

    /// A document of its own holding this value, without the whitespace between tokens.
    pub fn to_doc(self) -> Doc {
        let raw = self.raw();
        if let Some(text) = compact(raw) {
            if let Ok(doc) = Doc::parse(text) {
                return doc;
            }
        }
        let (base, _) = Doc::span(self.node());
        let base = base as u32;
        let end = self.node().next;
        let nodes = self.doc.nodes[self.i as usize..end as usize]
            .iter()
            .map(|n| Node {
                kind: n.kind,
                start: n.start - base,
                end: n.end - base,
                next: n.next - self.i,
            })
            .collect();
        Doc::new(raw.to_owned(), nodes)
    }
}

/// The elements of an array ([`V::as_array`]).
#[derive(Clone)]
pub struct Elements<'a> {
    doc: &'a Doc,
    i: u32,
    end: u32,
}

impl<'a> Iterator for Elements<'a> {
    type Item = V<'a>;

    fn next(&mut self) -> Option<V<'a>> {
        if self.i >= self.end {
            return None;
        }
        let v = V {
            doc: self.doc,
            i: self.i,
        };
        self.i = self.doc.node(self.i).next;
        Some(v)
    }
}

/// The members of an object ([`V::as_object`]): key and value.
#[derive(Clone)]
pub struct Members<'a> {
    doc: &'a Doc,
    i: u32,
    end: u32,
}

impl<'a> Iterator for Members<'a> {
    type Item = (Cow<'a, str>, V<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.i >= self.end {
            return None;
        }
        let key = V {
            doc: self.doc,
            i: self.i,
        }
        .as_str()
        .unwrap_or_default();
        let value = V {
            doc: self.doc,
            i: self.i + 1,
        };
        self.i = self.doc.node(self.i + 1).next;
        Some((key, value))
    }
}

/// The text of a valid JSON value without whitespace between tokens; `None` when it has
/// none.
fn compact(raw: &str) -> Option<String> {
    let b = raw.as_bytes();
    let is_ws = |c: u8| matches!(c, b' ' | b'\n' | b'\t' | b'\r');
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                // Skip the string: to its closing quote, past escapes.
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            c if is_ws(c) => {
                let o = out.get_or_insert_with(|| String::with_capacity(raw.len()));
                o.push_str(raw.get(copied..i).unwrap_or(""));
                while i < b.len() && is_ws(b[i]) {
                    i += 1;
                }
                copied = i;
            }
            _ => i += 1,
        }
    }
    let mut o = out?;
    o.push_str(raw.get(copied..).unwrap_or(""));
    Some(o)
}

/// Appends `s` as a JSON string, escaped as serde_json escapes.
fn write_escaped(s: &str, out: &mut String) {
    out.push('"');
    let mut from = 0;
    for (i, c) in s.bytes().enumerate() {
        let esc = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[from..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(HEX[usize::from(c >> 4)] as char);
            out.push(HEX[usize::from(c & 0xf)] as char);
        } else {
            out.push_str(esc);
        }
        from = i + 1;
    }
    out.push_str(&s[from..]);
    out.push('"');
}

/// The value of a string's text that the parser validated (escapes resolved).
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let b = raw.as_bytes();
    let mut from = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(raw.get(from..i).unwrap_or(""));
        let (c, len) = escape_at(b, i + 1);
        out.push(c);
        i += 1 + len;
        from = i;
    }
    out.push_str(raw.get(from..).unwrap_or(""));
    out
}

/// The character of the validated escape whose letter is at `b[i]`, and the escape's
/// length after the backslash.
fn escape_at(b: &[u8], i: usize) -> (char, usize) {
    let hex = |at: usize| b.get(at..at + 4).and_then(hex4).map_or(0, u32::from);
    match b.get(i) {
        Some(b'b') => ('\u{8}', 1),
        Some(b'f') => ('\u{c}', 1),
        Some(b'n') => ('\n', 1),
        Some(b'r') => ('\r', 1),
        Some(b't') => ('\t', 1),
        Some(b'u') => {
            let n = hex(i + 1);
            if (0xD800..0xDC00).contains(&n) {
                let lo = hex(i + 7);
                let c = 0x1_0000 + ((n - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3ff);
                (char::from_u32(c).unwrap_or('\u{fffd}'), 11)
            } else {
                (char::from_u32(n).unwrap_or('\u{fffd}'), 5)
            }
        }
        Some(&c) => (char::from(c), 1),
        None => ('\\', 0),
    }
}

/// Four hex digits.
fn hex4(h: &[u8]) -> Option<u16> {
    h.iter().try_fold(0u16, |acc, &c| {
        let d = (c as char).to_digit(16)?;
        Some(acc << 4 | d as u16)
    })
}

/// Why a text is not JSON (displayed with serde_json's messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorCode {
    EofWhileParsingList,
    EofWhileParsingObject,
    EofWhileParsingString,
    EofWhileParsingValue,
    ExpectedColon,
    ExpectedListCommaOrEnd,
    ExpectedObjectCommaOrEnd,
    ExpectedSomeIdent,
    ExpectedSomeValue,
    InvalidEscape,
    InvalidNumber,
    NumberOutOfRange,
    InvalidUnicodeCodePoint,
    ControlCharacterWhileParsingString,
    KeyMustBeAString,
    LoneLeadingSurrogateInHexEscape,
    TrailingComma,
    TrailingCharacters,
    UnexpectedEndOfHexEscape,
    RecursionLimitExceeded,
    /// Longer than the 4 GiB a document can index.
    TooLarge,
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorCode as E;
        f.write_str(match self {
            E::EofWhileParsingList => "EOF while parsing a list",
            E::EofWhileParsingObject => "EOF while parsing an object",
            E::EofWhileParsingString => "EOF while parsing a string",
            E::EofWhileParsingValue => "EOF while parsing a value",
            E::ExpectedColon => "expected `:`",
            E::ExpectedListCommaOrEnd => "expected `,` or `]`",
            E::ExpectedObjectCommaOrEnd => "expected `,` or `}`",
            E::ExpectedSomeIdent => "expected ident",
            E::ExpectedSomeValue => "expected value",
            E::InvalidEscape => "invalid escape",
            E::InvalidNumber => "invalid number",
            E::NumberOutOfRange => "number out of range",
            E::InvalidUnicodeCodePoint => "invalid unicode code point",
            E::ControlCharacterWhileParsingString => {
                "control character (\\u0000-\\u001F) found while parsing a string"
            }
            E::KeyMustBeAString => "key must be a string",
            E::LoneLeadingSurrogateInHexEscape => "lone leading surrogate in hex escape",
            E::TrailingComma => "trailing comma",
            E::TrailingCharacters => "trailing characters",
            E::UnexpectedEndOfHexEscape => "unexpected end of hex escape",
            E::RecursionLimitExceeded => "recursion limit exceeded",
            E::TooLarge => "JSON text larger than 4 GiB",
        })
    }
}

/// A JSON syntax error and where it is (displayed as serde_json displays its errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    code: ErrorCode,
    line: usize,
    column: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.code)
        } else {
            write!(
                f,
                "{} at line {} column {}",
                self.code, self.line, self.column
            )
        }
    }
}

impl std::error::Error for JsonError {}

impl JsonError {
    /// An error whose position is serde_json's "index" `i` into `b` (the byte after the
    /// offending one, or the length at the end of the text).
    fn at(b: &[u8], code: ErrorCode, i: usize) -> JsonError {
        let i = i.min(b.len());
        let line_start = memchr::memrchr(b'\n', &b[..i]).map_or(0, |p| p + 1);
        JsonError {
            code,
            line: 1 + memchr::memchr_iter(b'\n', &b[..line_start]).count(),
            column: i - line_start,
        }
    }

    /// The line (from 1).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column (bytes from the start of the line; from 1).
    pub fn column(&self) -> usize {
        self.column
    }

    /// Whether the text ended too early (it may continue on a later line).
    pub fn is_eof(&self) -> bool {
        matches!(
            self.code,
            ErrorCode::EofWhileParsingList
                | ErrorCode::EofWhileParsingObject
                | ErrorCode::EofWhileParsingString
                | ErrorCode::EofWhileParsingValue
        )
    }
}

/// A parse failure: what and serde_json's index (the line and column are computed once).
struct Fail {
    code: ErrorCode,
    at: usize,
}

#[cold]
#[inline(never)]
fn fail(code: ErrorCode, at: usize) -> Fail {
    Fail { code, at }
}

/// Bytes that end the plain run of a string: `"`, `\` and control characters.
const fn special_bytes() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
}
static SPECIAL: [bool; 256] = special_bytes();

/// The index of the first `"`, `\` or control byte at or after `j` (or the length).
#[inline(always)]
fn scan_plain(b: &[u8], mut j: usize) -> usize {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    while let Some(chunk) = b.get(j..).and_then(<[u8]>::first_chunk::<8>) {
        // Eight bytes at once: a byte's high bit is set in `hit` when the byte is below
        // 0x20, a quote or a backslash (the lowest such bit is exact).
        let x = u64::from_le_bytes(*chunk);
        let ctrl = x.wrapping_sub(ONES * 0x20) & !x;
        let q = x ^ (ONES * u64::from(b'"'));
        let quote = q.wrapping_sub(ONES) & !q;
        let s = x ^ (ONES * u64::from(b'\\'));
        let slash = s.wrapping_sub(ONES) & !s;
        let hit = (ctrl | quote | slash) & HIGH;
        if hit != 0 {
            return j + (hit.trailing_zeros() / 8) as usize;
        }
        j += 8;
    }
    while j < b.len() && !SPECIAL[usize::from(b[j])] {
        j += 1;
    }
    j
}

/// Skips whitespace from `i`.
#[inline(always)]
fn ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

#[inline(always)]
fn push(nodes: &mut Vec<Node>, kind: Kind, start: usize, end: usize) -> u32 {
    let idx = nodes.len() as u32;
    nodes.push(Node {
        kind,
        start: start as u32,
        end: end as u32,
        next: idx + 1,
    });
    idx
}

/// The node list of text `b` (`utf8`: check that strings are UTF-8, for byte input).
fn parse(b: &[u8], utf8: bool) -> Result<Vec<Node>, JsonError> {
    if u32::try_from(b.len()).is_err() {
        return Err(JsonError {
            code: ErrorCode::TooLarge,
            line: 0,
            column: 0,
        });
    }
    let mut nodes = Vec::with_capacity(b.len() / 8 + 4);
    let parsed = if utf8 {
        document::<true>(b, &mut nodes)
    } else {
        document::<false>(b, &mut nodes)
    };
    match parsed {
        Ok(()) => Ok(nodes),
        Err(f) => Err(JsonError::at(b, f.code, f.at)),
    }
}

/// One value and nothing after it but whitespace (`UTF8`: check that strings are UTF-8).
fn document<const UTF8: bool>(b: &[u8], nodes: &mut Vec<Node>) -> Result<(), Fail> {
    use ErrorCode as E;
    let len = b.len();
    // The open containers' nodes, and one bit per level: whether it is an object.
    let mut open = [0u32; DEPTH];
    let mut objects = 0u128;
    let mut depth = 0;
    let mut i = ws(b, 0);
    'value: loop {
        // `i` is at the first byte of a value.
        let Some(&c) = b.get(i) else {
            return Err(fail(E::EofWhileParsingValue, len));
        };
        match c {
            b'"' => i = string::<UTF8>(b, i, nodes)?,
            b'{' | b'[' => {
                if depth + 1 == DEPTH {
                    return Err(fail(E::RecursionLimitExceeded, i + 1));
                }
                let obj = c == b'{';
                let idx = push(nodes, if obj { Kind::Object } else { Kind::Array }, i, i);
                open[depth] = idx;
                objects = objects & !(1 << depth) | u128::from(obj) << depth;
                depth += 1;
                i = ws(b, i + 1);
                match (obj, b.get(i)) {
                    (true, Some(b'}')) | (false, Some(b']')) => {
                        i += 1;
                        close(nodes, idx, i);
                        depth -= 1;
                    }
                    (true, Some(b'"')) => {
                        i = key::<UTF8>(b, i, nodes)?;
                        continue 'value;
                    }
                    (true, Some(_)) => return Err(fail(E::KeyMustBeAString, i + 1)),
                    (true, None) => return Err(fail(E::EofWhileParsingObject, len)),
                    (false, Some(_)) => continue 'value,
                    (false, None) => return Err(fail(E::EofWhileParsingList, len)),
                }
            }
            b'-' | b'0'..=b'9' => i = number(b, i, nodes)?,
            b'n' => i = literal(b, i, b"null", Kind::Null, nodes)?,
            b't' => i = literal(b, i, b"true", Kind::True, nodes)?,
            b'f' => i = literal(b, i, b"false", Kind::False, nodes)?,
            _ => return Err(fail(E::ExpectedSomeValue, i + 1)),
        }
        // A value is complete: close containers until one continues.
        while depth > 0 {
            let (top, obj) = (open[depth - 1], objects >> (depth - 1) & 1 == 1);
            i = ws(b, i);
            match (obj, b.get(i)) {
                (_, Some(b',')) => {
                    i = ws(b, i + 1);
                    match (obj, b.get(i)) {
                        (true, Some(b'"')) => {
                            i = key::<UTF8>(b, i, nodes)?;
                            continue 'value;
                        }
                        (true, Some(b'}')) | (false, Some(b']')) => {
                            return Err(fail(E::TrailingComma, i + 1))
                        }
                        (true, Some(_)) => return Err(fail(E::KeyMustBeAString, i + 1)),
                        (false, Some(_)) => continue 'value,
                        (_, None) => return Err(fail(E::EofWhileParsingValue, len)),
                    }
                }
                (true, Some(b'}')) | (false, Some(b']')) => {
                    i += 1;
                    close(nodes, top, i);
                    depth -= 1;
                }
                (true, Some(_)) => return Err(fail(E::ExpectedObjectCommaOrEnd, i + 1)),
                (false, Some(_)) => return Err(fail(E::ExpectedListCommaOrEnd, i + 1)),
                (true, None) => return Err(fail(E::EofWhileParsingObject, len)),
                (false, None) => return Err(fail(E::EofWhileParsingList, len)),
            }
        }
        break;
    }
    i = ws(b, i);
    if i < len {
        return Err(fail(E::TrailingCharacters, i + 1));
    }
    Ok(())
}

/// Ends container `idx` at `end` (just past its closing bracket).
#[inline(always)]
fn close(nodes: &mut [Node], idx: u32, end: usize) {
    let next = nodes.len() as u32;
    if let Some(n) = nodes.get_mut(idx as usize) {
        n.end = end as u32;
        n.next = next;
    }
}

/// An object key at `"` and the colon after it; the index of the value.
#[inline(always)]
fn key<const UTF8: bool>(b: &[u8], i: usize, nodes: &mut Vec<Node>) -> Result<usize, Fail> {
    let i = ws(b, string::<UTF8>(b, i, nodes)?);
    match b.get(i) {
        Some(b':') => Ok(ws(b, i + 1)),
        Some(_) => Err(fail(ErrorCode::ExpectedColon, i + 1)),
        None => Err(fail(ErrorCode::EofWhileParsingObject, b.len())),
    }
}

/// A string at `"`; the index after it.
#[inline(always)]
fn string<const UTF8: bool>(b: &[u8], i: usize, nodes: &mut Vec<Node>) -> Result<usize, Fail> {
    let start = i + 1;
    let j = scan_plain(b, start);
    if !UTF8 && b.get(j) == Some(&b'"') {
        push(nodes, Kind::Str, start, j);
        return Ok(j + 1);
    }
    string_rest(b, start, j, UTF8, nodes)
}

/// The rest of a string from `j` (escapes, errors, UTF-8 checks).
#[inline(never)]
fn string_rest(
    b: &[u8],
    start: usize,
    mut j: usize,
    utf8: bool,
    nodes: &mut Vec<Node>,
) -> Result<usize, Fail> {
    let mut escaped = false;
    loop {
        match b.get(j) {
            Some(b'"') => break,
            Some(b'\\') => {
                escaped = true;
                j = scan_plain(b, escape(b, j + 1)?);
            }
            Some(_) => return Err(fail(ErrorCode::ControlCharacterWhileParsingString, j + 1)),
            None => return Err(fail(ErrorCode::EofWhileParsingString, b.len())),
        }
    }
    if utf8 {
        check_utf8(b, start, j, escaped)?;
    }
    push(
        nodes,
        if escaped { Kind::EscStr } else { Kind::Str },
        start,
        j,
    );
    Ok(j + 1)
}

/// An escape whose letter is at `j`; the index after it.
fn escape(b: &[u8], j: usize) -> Result<usize, Fail> {
    match b.get(j) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(j + 1),
        Some(b'u') => unicode(b, j + 1),
        Some(_) => Err(fail(ErrorCode::InvalidEscape, j + 1)),
        None => Err(fail(ErrorCode::EofWhileParsingString, b.len())),
    }
}

/// Four hex digits at `j` and the index after them.
fn hex(b: &[u8], j: usize) -> Result<(u16, usize), Fail> {
    let Some(h) = b.get(j..j + 4) else {
        return Err(fail(ErrorCode::EofWhileParsingString, b.len()));
    };
    match hex4(h) {
        Some(n) => Ok((n, j + 4)),
        None => Err(fail(ErrorCode::InvalidEscape, j + 4)),
    }
}

/// The digits of a `\u` escape at `j` (and the low surrogate after a high one).
fn unicode(b: &[u8], j: usize) -> Result<usize, Fail> {
    use ErrorCode as E;
    let (n, j) = hex(b, j)?;
    if (0xDC00..=0xDFFF).contains(&n) {
        return Err(fail(E::LoneLeadingSurrogateInHexEscape, j));
    }
    if !(0xD800..=0xDBFF).contains(&n) {
        return Ok(j);
    }
    for (at, want) in [(j, b'\\'), (j + 1, b'u')] {
        match b.get(at) {
            Some(&c) if c == want => {}
            Some(_) => return Err(fail(E::UnexpectedEndOfHexEscape, at + 1)),
            None => return Err(fail(E::EofWhileParsingString, b.len())),
        }
    }
    let (lo, j) = hex(b, j + 2)?;
    if !(0xDC00..=0xDFFF).contains(&lo) {
        return Err(fail(E::LoneLeadingSurrogateInHexEscape, j));
    }
    Ok(j)
}

/// For byte input: the string between `start` and its closing quote at `end` must be
/// UTF-8 once unescaped (the error points where serde_json points).
#[cold]
fn check_utf8(b: &[u8], start: usize, end: usize, escaped: bool) -> Result<(), Fail> {
    let raw = &b[start..end];
    let value: Cow<'_, [u8]> = if escaped {
        let mut v = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'\\' {
                let (c, len) = escape_at(raw, i + 1);
                v.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                i += 1 + len;
            } else {
                v.push(raw[i]);
                i += 1;
            }
        }
        v.into()
    } else {
        raw.into()
    };
    match std::str::from_utf8(&value) {
        Ok(_) => Ok(()),
        Err(e) => {
            // serde_json: the column after the closing quote, less the bytes from the first
            // invalid one to the end of the (unescaped) string.
            let after = JsonError::at(b, ErrorCode::InvalidUnicodeCodePoint, end + 1);
            let column = after.column.saturating_sub(value.len() - e.valid_up_to());
            let line_start = end + 1 - after.column;
            Err(fail(
                ErrorCode::InvalidUnicodeCodePoint,
                line_start + column,
            ))
        }
    }
}

/// `null`, `true` or `false` at its first letter; the index after it.
fn literal(
    b: &[u8],
    start: usize,
    word: &[u8],
    kind: Kind,
    nodes: &mut Vec<Node>,
) -> Result<usize, Fail> {
    let mut j = start + 1;
    for &w in &word[1..] {
        match b.get(j) {
            Some(&c) if c == w => j += 1,
            Some(_) => return Err(fail(ErrorCode::ExpectedSomeIdent, j + 1)),
            None => return Err(fail(ErrorCode::EofWhileParsingValue, b.len())),
        }
    }
    push(nodes, kind, start, j);
    Ok(j)
}

/// A number at `-` or its first digit; the index after it.
fn number(b: &[u8], start: usize, nodes: &mut Vec<Node>) -> Result<usize, Fail> {
    use ErrorCode as E;
    let digit = |j: usize| b.get(j).is_some_and(u8::is_ascii_digit);
    let neg = b.get(start) == Some(&b'-');
    let mut j = start + usize::from(neg);
    let Some(&first) = b.get(j) else {
        return Err(fail(E::EofWhileParsingValue, b.len()));
    };
    j += 1;
    match first {
        b'0' if digit(j) => return Err(fail(E::InvalidNumber, j + 1)),
        b'0' => {}
        b'1'..=b'9' => {
            while digit(j) {
                j += 1;
            }
        }
        _ => return Err(fail(E::InvalidNumber, j)),
    }
    let int_digits = j - start - usize::from(neg);
    let mut int = true;
    if b.get(j) == Some(&b'.') {
        int = false;
        j += 1;
        let from = j;
        while digit(j) {
            j += 1;
        }
        if j == from {
            return Err(if j < b.len() {
                fail(E::InvalidNumber, j + 1)
            } else {
                fail(E::EofWhileParsingValue, b.len())
            });
        }
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        int = false;
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let Some(&c) = b.get(j) else {
            return Err(fail(E::EofWhileParsingValue, b.len()));
        };
        j += 1;
        if !c.is_ascii_digit() {
            return Err(fail(E::InvalidNumber, j));
        }
        while digit(j) {
            j += 1;
        }
    }
    // Integers of up to 18 digits (19 without a sign) are i64/u64 values; serde_json
    // decides the rest (and whether a float is in range).
    let simple = int
        && if neg {
            int_digits <= 18 && first != b'0'
        } else {
            int_digits <= 19
        };
    let kind = if simple {
        Kind::Int
    } else {
        let text = std::str::from_utf8(&b[start..j]).unwrap_or("");
        if let Err(e) = serde_json::from_str::<serde_json::Number>(text) {
            return Err(fail(E::NumberOutOfRange, start + e.column()));
        }
        Kind::Num
    };
    push(nodes, kind, start, j);
    Ok(j)
}

#[cfg(test)]
mod tests;
