//! [`TypedEvent`]: a fixture event whose values are parsed once, when it is built.

use super::{
    split_arg, Event, FieldMapEvent, FieldRef, FixtureValue, Stored, StoredAt, Val, Values,
};
use rulec_ir::schema::{FieldType, Registry};

/// One stored field: schema index and text (the lookup key), the type it was parsed for, and
/// its values (`None` when they do not parse for that type: the field is missing).
#[derive(Debug, Clone)]
struct Entry {
    index: usize,
    text: String,
    ty: FieldType,
    values: Option<Values>,
}

/// A [`FieldMapEvent`] with every field typed once via its source schema, the way runtime
/// events carry typed values: [`Event::stored`] borrows them in O(1) without parsing or
/// allocating. Extraction agrees with the fixture's: fields the schema does not know, or
/// asked for with another type, fall back to [`FieldMapEvent::extract`].
#[derive(Debug, Clone)]
pub struct TypedEvent {
    fixture: FieldMapEvent,
    evt_type: Option<String>,
    /// Sorted by `(index, text)`.
    entries: Vec<Entry>,
    /// Per schema field index, the position of its first entry (`u32::MAX`: none).
    first: Vec<u32>,
    /// Texts of the fixture fields not in `entries` (unknown to the schema), usually none:
    /// a short list scans faster than the fixture's map hashes.
    untyped: Vec<String>,
}

impl TypedEvent {
    /// Types every field of `fixture` (fields of an unknown source stay untyped).
    pub fn new(fixture: FieldMapEvent) -> Self {
        let schema = Registry::get().source(&fixture.source);
        let mut entries: Vec<Entry> = fixture
            .fields
            .iter()
            .filter_map(|(text, value)| {
                let (name, arg) = split_arg(text);
                let r = schema?.lookup(name, arg).ok()?;
                let parse = |s: &String| super::parse_typed(r.ty, s, false);
                let values = match value {
                    FixtureValue::One(s) => parse(s).map(|v| vec![v]),
                    FixtureValue::Many(v) => v.iter().map(parse).collect(),
                };
                Some(Entry {
                    index: r.index,
                    text: text.clone(),
                    ty: r.ty,
                    values,
                })
            })
            .collect();
        entries.sort_by(|a, b| (a.index, &a.text).cmp(&(b.index, &b.text)));
        let untyped = fixture
            .fields
            .keys()
            .filter(|k| !entries.iter().any(|e| &e.text == *k))
            .cloned()
            .collect();
        let mut first = vec![u32::MAX; schema.map_or(0, |s| s.fields.len())];
        for (pos, e) in entries.iter().enumerate().rev() {
            first[e.index] = pos as u32;
        }
        TypedEvent {
            evt_type: fixture.evt_type().map(str::to_owned),
            fixture,
            entries,
            first,
            untyped,
        }
    }

    /// The fixture the event was built from.
    pub fn fixture(&self) -> &FieldMapEvent {
        &self.fixture
    }

    /// The position of the entry stored for `field` (same schema index and text).
    #[inline]
    fn entry(&self, field: &FieldRef) -> Option<usize> {
        let start = *self.first.get(field.index)? as usize;
        let entries = self.entries.get(start..)?;
        // A field without argument has the schema name as its text: the shortest text of its
        // index, so the first entry when stored.
        if field.arg.is_none() {
            return entries
                .first()
                .is_some_and(|e| e.text.len() == field.text.len())
                .then_some(start);
        }
        entries
            .iter()
            .take_while(|e| e.index == field.index)
            .position(|e| e.text == field.text)
            .map(|p| start + p)
    }
}

impl From<FieldMapEvent> for TypedEvent {
    fn from(fixture: FieldMapEvent) -> Self {
        TypedEvent::new(fixture)
    }
}

impl Event for TypedEvent {
    fn source(&self) -> &str {
        &self.fixture.source
    }

    fn evt_type(&self) -> Option<&str> {
        self.evt_type.as_deref()
    }

    fn extract(&self, field: &FieldRef) -> Option<Values> {
        match self.stored(field) {
            Stored::Values(v) => Some(v.to_vec()),
            Stored::Missing => None,
            Stored::NotStored => self.fixture.extract(field),
        }
    }

    fn time_ns(&self) -> u64 {
        self.fixture.time_ns
    }

    #[inline]
    fn stored_at(&self, field: &FieldRef) -> StoredAt {
        match self.entry(field) {
            Some(at) => {
                let e = &self.entries[at];
                if e.ty != field.ty {
                    StoredAt::NotStored
                } else if e.values.is_some() {
                    StoredAt::At(at as u32)
                } else {
                    StoredAt::Missing
                }
            }
            // Fields the schema did not resolve are the fixture's to answer.
            None if self.untyped.contains(&field.text) => StoredAt::NotStored,
            None => StoredAt::Missing,
        }
    }

    #[inline]
    fn stored_values(&self, at: u32) -> &[Val] {
        self.entries
            .get(at as usize)
            .and_then(|e| e.values.as_deref())
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_event_extracts_like_its_fixture() {
        let fx = FieldMapEvent::syscall([
            ("evt.type", "openat"),
            ("fd.num", "3"),
            ("fd.sip", "10.0.0.1"),
            ("proc.tty", "not a number"),
            ("proc.aname[2]", "bash"),
            ("evt.arg.flags", "O_RDONLY"),
        ])
        .with(
            "proc.aname",
            FixtureValue::Many(vec!["sh".into(), "bash".into()]),
        );
        let schema = Registry::get().source("syscall").expect("syscall schema");
        let t = TypedEvent::new(fx.clone());
        for text in [
            "evt.type",
            "fd.num",
            "fd.sip",
            "proc.tty",
            "proc.aname[2]",
            "proc.aname",
            "proc.name",
            "evt.arg.flags",
        ] {
            let f = FieldRef::resolve(schema, text).expect("known field");
            assert_eq!(t.extract(&f), fx.extract(&f), "{text}");
            let want = fx.extract(&f);
            match t.stored(&f) {
                Stored::Values(v) => assert_eq!(Some(v.to_vec()), want, "{text}"),
                Stored::Missing => assert_eq!(want, None, "{text}"),
                Stored::NotStored => panic!("{text} not stored"),
            }
        }
    }
}
