//! Plugin events built from real event JSON ([`JsonEvent`]) and their field extractors.
//!
//! Extractors follow the field descriptions of the vendored schemas (`ir/schemas`):
//! [`k8s_audit`] (`ka.*`), [`cloudtrail`] (`ct.*`, `s3.*`, `ec2.*`, `ecr.*`, `iam.*`),
//! [`simple`] (okta, github: plain JSON paths), the json plugin fields (`json.value[/ptr]`,
//! `json.obj`, `json.rawtime` and their `jevt.*` aliases) and the generic plugin `evt.*`
//! fields. A field an extractor does not know, or whose JSON is absent or `null`, is missing.
//!
//! Values are produced as text and converted to the field type ([`crate::event::parse_typed`]);
//! JSON objects and arrays render as compact JSON. For list fields an index argument `[N]`
//! selects one element.

pub mod cloudtrail;
pub mod json;
pub mod k8s_audit;
pub mod simple;

use json::{Doc, JsonError, V};

use crate::event::{parse_typed_owned, Event, FieldRef, Val, Values};
use crate::output::{parse_rfc3339, split_time};

/// Text values an extractor found (`None` = missing).
pub type Texts = Option<Vec<String>>;

/// A plugin event from its JSON payload.
#[derive(Debug, Clone)]
pub struct JsonEvent {
    /// Source (`k8s_audit`, `aws_cloudtrail`, `okta`, `github`).
    pub source: String,
    /// The parsed payload; its text is the raw payload (`json.obj`) unless
    /// [`JsonEvent::from_value`] or [`JsonEvent::parse_many`] were given another.
    pub doc: Doc,
    /// The raw text when it is not the document's text.
    raw: Option<String>,
    /// Event time (ns since the epoch), from the payload's timestamp when present.
    pub time_ns: u64,
    /// Event number (`evt.num`).
    pub num: u64,
    /// Host name (`evt.hostname`).
    pub hostname: String,
}

impl JsonEvent {
    /// Parses `text` as an event of `source`.
    pub fn parse(source: &str, text: &str) -> Result<JsonEvent, JsonError> {
        Self::from_text(source, text.to_owned())
    }

    /// Parses `text` as an event of `source`, keeping it as the raw text.
    pub fn from_text(source: &str, text: String) -> Result<JsonEvent, JsonError> {
        Ok(Self::from_doc(source, Doc::parse(text)?))
    }

    /// The event of a parsed payload.
    pub fn from_doc(source: &str, doc: Doc) -> JsonEvent {
        let root = doc.root();
        let ts = [
            "stageTimestamp",
            "requestReceivedTimestamp",
            "eventTime",
            "published",
        ]
        .iter()
        .find_map(|k| parse_rfc3339(&root.get(k)?.as_str()?))
        .unwrap_or(0);
        JsonEvent {
            source: source.to_owned(),
            doc,
            raw: None,
            time_ns: ts,
            num: 1,
            hostname: String::new(),
        }
    }

    /// Builds an event from a `serde_json` payload (`raw`: its text).
    pub fn from_value(source: &str, json: serde_json::Value, raw: String) -> JsonEvent {
        Self::from_doc(source, Doc::from_value(&json)).with_raw(raw)
    }

    /// The event with raw text `raw` (kept apart only when it is not the document's text).
    fn with_raw(mut self, raw: String) -> JsonEvent {
        self.raw = (raw.trim() != self.doc.text()).then_some(raw);
        self
    }

    /// Splits a JSON document into events: an array of events, a k8s `EventList` (`items`),
    /// a CloudTrail file (`Records`), or one event. Each event's raw text is its compact
    /// JSON as `serde_json` prints it.
    pub fn parse_many(source: &str, text: &str) -> Result<Vec<JsonEvent>, JsonError> {
        let doc = Doc::parse(text.to_owned())?;
        let root = doc.root();
        let items: Vec<V<'_>> = match root.as_array() {
            Some(a) => a.collect(),
            None => match ["items", "Records"]
                .iter()
                .find_map(|k| root.get(k)?.as_array())
            {
                Some(a) => a.collect(),
                None => vec![root],
            },
        };
        Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let mut e = Self::from_doc(source, v.to_doc()).with_raw(v.to_json_string());
                e.num = i as u64 + 1;
                e
            })
            .collect())
    }

    /// The raw payload text.
    pub fn raw(&self) -> &str {
        self.raw.as_deref().unwrap_or(self.doc.text())
    }

    /// The payload as a `serde_json` value.
    pub fn to_value(&self) -> serde_json::Value {
        self.doc.to_value()
    }
}

/// The value at a `/`-separated path of object keys (numeric segments index arrays).
pub fn at<'a>(v: V<'a>, path: &[&str]) -> Option<V<'a>> {
    let mut cur = v;
    for k in path {
        cur = if cur.is_object() {
            cur.get(k)?
        } else if cur.is_array() {
            cur.get_index(k.parse::<usize>().ok()?)?
        } else {
            return None;
        };
    }
    (!cur.is_null()).then_some(cur)
}

/// A JSON value as text: strings raw, other scalars and containers as compact JSON.
pub fn text(v: V<'_>) -> Option<String> {
    if v.is_null() {
        None
    } else if let Some(s) = v.as_str() {
        Some(s.into_owned())
    } else {
        Some(v.to_json_string())
    }
}

/// One text value at `path`.
pub fn one(v: V<'_>, path: &[&str]) -> Texts {
    at(v, path).and_then(text).map(|s| vec![s])
}

/// For each element of the array at `arr`, the text at `sub` (elements without it are
/// skipped); missing when the array is absent.
pub fn each(v: V<'_>, arr: &[&str], sub: &[&str]) -> Texts {
    let a = at(v, arr)?.as_array()?;
    Some(a.filter_map(|e| at(e, sub).and_then(text)).collect())
}

fn generic_evt(e: &JsonEvent, name: &str) -> Option<Values> {
    let ns = e.time_ns;
    let (date, tod) = split_time(ns);
    let s = |x: String| Some(vec![Val::Str(x)]);
    match name {
        "evt.num" => Some(vec![Val::U64(e.num)]),
        "evt.rawtime" => Some(vec![Val::U64(ns)]),
        "evt.rawtime.s" => Some(vec![Val::U64(ns / 1_000_000_000)]),
        "evt.rawtime.ns" => Some(vec![Val::U64(ns % 1_000_000_000)]),
        "evt.time" => s(tod),
        "evt.time.s" => s(tod.get(..8).unwrap_or("").to_owned()),
        "evt.time.iso8601" => s(format!("{date}T{tod}Z")),
        "evt.datetime" => s(format!("{date} {tod}")),
        "evt.datetime.s" => s(format!("{date} {}", tod.get(..8).unwrap_or(""))),
        "evt.source" => s(e.source.clone()),
        "evt.pluginname" => s(match e.source.as_str() {
            "k8s_audit" => "k8saudit".into(),
            "aws_cloudtrail" => "cloudtrail".into(),
            other => other.to_owned(),
        }),
        "evt.is_async" => Some(vec![Val::Bool(false)]),
        "evt.hostname" => s(e.hostname.clone()),
        _ => None,
    }
}

impl Event for JsonEvent {
    fn source(&self) -> &str {
        &self.source
    }

    fn evt_type(&self) -> Option<&str> {
        None
    }

    fn time_ns(&self) -> u64 {
        self.time_ns
    }

    fn extract(&self, f: &FieldRef) -> Option<Values> {
        let name = f.name.as_str();
        if name.starts_with("evt.") {
            return generic_evt(self, name);
        }
        let root = self.doc.root();
        let texts: Texts = match name {
            "json.value" | "jevt.value" => {
                let p = f.arg.as_deref().unwrap_or("");
                root.pointer(p).and_then(text).map(|s| vec![s])
            }
            "json.obj" | "jevt.obj" => Some(vec![self.raw().trim().to_owned()]),
            "json.rawtime" | "jevt.rawtime" => Some(vec![self.time_ns.to_string()]),
            _ => match self.source.as_str() {
                "k8s_audit" => k8s_audit::extract(root, name, f.arg.as_deref()),
                "aws_cloudtrail" => cloudtrail::extract(root, name),
                "okta" => simple::okta(root, name),
                "github" => simple::github(root, name),
                _ => None,
            },
        };
        let mut texts = texts?;
        let index = if f.is_list {
            f.arg.as_deref().and_then(|a| a.parse::<usize>().ok())
        } else if texts.len() > 1 && f.arg.is_some() {
            Some(f.arg.as_deref()?.parse::<usize>().ok()?)
        } else {
            None
        };
        if let Some(n) = index {
            if n >= texts.len() {
                return None;
            }
            return Some(vec![parse_typed_owned(f.ty, texts.swap_remove(n))?]);
        }
        if texts.len() == 1 {
            return Some(vec![parse_typed_owned(f.ty, texts.pop()?)?]);
        }
        texts
            .into_iter()
            .map(|t| parse_typed_owned(f.ty, t))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_past_2554_give_no_time_instead_of_overflowing() {
        // Found by the agent_json_source fuzz target.
        let e = JsonEvent::parse(
            "k8s_audit",
            r#"{"kind":"Event","stageTimestamp":"9999-12-31T23:59:59.999999Z"}"#,
        )
        .expect("json");
        assert_eq!(e.time_ns, 0);
    }

    #[test]
    fn pointer_resolves_like_serde_json() {
        let text = r#"{"a": {"b/c": [1, {"d~e": "x"}], "": 2}, "l": [0, 1, 2], "0": "zero"}"#;
        let v: serde_json::Value = serde_json::from_str(text).expect("json");
        let doc = Doc::parse(text.to_owned()).expect("json");
        for p in [
            "",
            "/",
            "/a",
            "/a/b~1c",
            "/a/b~1c/1/d~0e",
            "/a/b~1c/01",
            "/a/b~1c/+1",
            "/l/2",
            "/l/3",
            "/l/-1",
            "/0",
            "a",
            "/a/",
            "/a/b~1c/1/d~0e/x",
            "/missing",
        ] {
            assert_eq!(
                doc.root().pointer(p).map(V::to_json_string),
                v.pointer(p).map(serde_json::Value::to_string),
                "{p:?}"
            );
        }
    }
}
