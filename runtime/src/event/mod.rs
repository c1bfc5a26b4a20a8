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

pub use rulec_ir::value::*;
pub use typed::TypedEvent;

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
