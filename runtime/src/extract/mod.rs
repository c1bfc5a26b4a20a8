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
pub mod k8s_audit;
pub mod simple;

use serde_json::Value as J;

use crate::event::{parse_typed_owned, Event, FieldRef, Val, Values};
use crate::output::{parse_rfc3339, split_time};

/// Text values an extractor found (`None` = missing).
pub type Texts = Option<Vec<String>>;

/// A plugin event from its JSON payload.
#[derive(Debug, Clone)]
pub struct JsonEvent {
    /// Source (`k8s_audit`, `aws_cloudtrail`, `okta`, `github`).
    pub source: String,
    /// Parsed payload.
    pub json: J,
    /// Raw payload text (`json.obj`).
    pub raw: String,
    /// Event time (ns since the epoch), from the payload's timestamp when present.
    pub time_ns: u64,
    /// Event number (`evt.num`).
    pub num: u64,
    /// Host name (`evt.hostname`).
    pub hostname: String,
}

impl JsonEvent {
    /// Parses `text` as an event of `source`.
    pub fn parse(source: &str, text: &str) -> Result<JsonEvent, serde_json::Error> {
        let json: J = serde_json::from_str(text)?;
        Ok(Self::from_value(source, json, text.to_owned()))
    }

    /// Builds an event from a parsed payload (`raw`: its text).
    pub fn from_value(source: &str, json: J, raw: String) -> JsonEvent {
        let ts = [
            "stageTimestamp",
            "requestReceivedTimestamp",
            "eventTime",
            "published",
        ]
        .iter()
        .find_map(|k| json.get(*k).and_then(J::as_str).and_then(parse_rfc3339))
        .unwrap_or(0);
        JsonEvent {
            source: source.to_owned(),
            json,
            raw,
            time_ns: ts,
            num: 1,
            hostname: String::new(),
        }
    }

    /// Splits a JSON document into events: an array of events, a k8s `EventList` (`items`),
    /// a CloudTrail file (`Records`), or one event.
    pub fn parse_many(source: &str, text: &str) -> Result<Vec<JsonEvent>, serde_json::Error> {
        let v: J = serde_json::from_str(text)?;
        let items = match v {
            J::Array(a) => a,
            J::Object(ref o) if o.get("items").is_some_and(J::is_array) => {
                o["items"].as_array().cloned().unwrap_or_default()
            }
            J::Object(ref o) if o.get("Records").is_some_and(J::is_array) => {
                o["Records"].as_array().cloned().unwrap_or_default()
            }
            other => vec![other],
        };
        Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, j)| {
                let raw = j.to_string();
                let mut e = Self::from_value(source, j, raw);
                e.num = i as u64 + 1;
                e
            })
            .collect())
    }
}

/// The value at a `/`-separated path of object keys (numeric segments index arrays).
pub fn at<'a>(v: &'a J, path: &[&str]) -> Option<&'a J> {
    let mut cur = v;
    for k in path {
        cur = match cur {
            J::Object(o) => o.get(*k)?,
            J::Array(a) => a.get(k.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    (!cur.is_null()).then_some(cur)
}

/// The value at JSON pointer `p` (RFC 6901, as [`J::pointer`] resolves it), without
/// allocating unless a token holds an escape.
pub fn pointer<'a>(v: &'a J, p: &str) -> Option<&'a J> {
    if p.is_empty() {
        return Some(v);
    }
    let rest = p.strip_prefix('/')?;
    rest.split('/').try_fold(v, |cur, token| {
        let token: std::borrow::Cow<'_, str> = if token.contains('~') {
            token.replace("~1", "/").replace("~0", "~").into()
        } else {
            token.into()
        };
        match cur {
            J::Object(map) => map.get(token.as_ref()),
            J::Array(list) => {
                if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
                    return None;
                }
                list.get(token.parse::<usize>().ok()?)
            }
            _ => None,
        }
    })
}

/// A JSON value as text: strings raw, other scalars and containers as compact JSON.
pub fn text(v: &J) -> Option<String> {
    match v {
        J::Null => None,
        J::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// One text value at `path`.
pub fn one(v: &J, path: &[&str]) -> Texts {
    at(v, path).and_then(text).map(|s| vec![s])
}

/// For each element of the array at `arr`, the text at `sub` (elements without it are
/// skipped); missing when the array is absent.
pub fn each(v: &J, arr: &[&str], sub: &[&str]) -> Texts {
    let a = at(v, arr)?.as_array()?;
    Some(a.iter().filter_map(|e| at(e, sub).and_then(text)).collect())
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
        let texts: Texts = match name {
            "json.value" | "jevt.value" => {
                let p = f.arg.as_deref().unwrap_or("");
                pointer(&self.json, p).and_then(text).map(|s| vec![s])
            }
            "json.obj" | "jevt.obj" => Some(vec![self.raw.trim().to_owned()]),
            "json.rawtime" | "jevt.rawtime" => Some(vec![self.time_ns.to_string()]),
            _ => match self.source.as_str() {
                "k8s_audit" => k8s_audit::extract(&self.json, name, f.arg.as_deref()),
                "aws_cloudtrail" => cloudtrail::extract(&self.json, name),
                "okta" => simple::okta(&self.json, name),
                "github" => simple::github(&self.json, name),
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
            texts = vec![texts.swap_remove(n)];
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
    fn pointer_resolves_like_serde_json() {
        let v: J = serde_json::from_str(
            r#"{"a": {"b/c": [1, {"d~e": "x"}], "": 2}, "l": [0, 1, 2], "0": "zero"}"#,
        )
        .expect("json");
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
            assert_eq!(pointer(&v, p), v.pointer(p), "{p:?}");
        }
    }
}
