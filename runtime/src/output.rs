//! Rendering of rule outputs for an event (spec §5) and the [`Alert`] record.
//!
//! Rendering: strings raw, numbers in decimal, list values as `(a,b)`, missing values as
//! `<NA>`, `%N` pads with spaces or truncates to exactly N bytes. `%container.info` renders as
//! the empty string and a leading `*` is dropped (both done when the compiler builds the
//! [`OutputTemplate`]).

use serde::Serialize;

use rulec_ir::program::{OutputTemplate, Segment};

use crate::event::{Event, Val};
use crate::interp::Interpreter;

/// Renders the template for the interpreter's current event; also returns the typed
/// `output_fields` (`null` for missing values).
pub fn render(
    template: &OutputTemplate,
    interp: &mut Interpreter<'_>,
    ev: &dyn Event,
) -> (String, serde_json::Map<String, serde_json::Value>) {
    let mut out = String::new();
    let mut fields = serde_json::Map::new();
    for s in &template.segments {
        match s {
            Segment::Text(t) => out.push_str(t),
            Segment::Field {
                key,
                width,
                operand,
            } => {
                let is_list = interp.program().operand_types[operand.0 as usize].is_list;
                let (text, json) = render_values(interp.operand(ev, *operand), is_list);
                out.push_str(&apply_width(&text, *width));
                fields.insert(key.clone(), json);
            }
        }
    }
    (out, fields)
}

/// The text and the JSON value of a token's values: `<NA>` / `null` when missing, lists as
/// `(a,b)` / an array, scalars as themselves.
pub fn render_values(values: Option<&[Val]>, is_list: bool) -> (String, serde_json::Value) {
    match values {
        None => ("<NA>".to_owned(), serde_json::Value::Null),
        Some(v) if is_list => (
            format!(
                "({})",
                v.iter().map(Val::to_text).collect::<Vec<_>>().join(",")
            ),
            serde_json::Value::Array(v.iter().map(Val::to_json).collect()),
        ),
        Some(v) => match v.first() {
            Some(x) => (x.to_text(), x.to_json()),
            None => ("<NA>".to_owned(), serde_json::Value::Null),
        },
    }
}

/// Pads with spaces or truncates to exactly `width` bytes.
pub fn apply_width(s: &str, width: Option<usize>) -> String {
    let Some(w) = width else {
        return s.to_owned();
    };
    let mut b = s.as_bytes().to_vec();
    b.resize(w, b' ');
    String::from_utf8_lossy(&b).into_owned()
}

/// A triggered rule, in the JSON shape Falco emits and Falcosidekick accepts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// RFC 3339 UTC time with nanoseconds.
    pub time: String,
    /// Rule name.
    pub rule: String,
    /// Priority name (`Critical`).
    pub priority: String,
    /// Event source.
    pub source: String,
    /// Full output line: `HH:MM:SS.nnnnnnnnn: Priority message`.
    pub output: String,
    /// Typed values of every output token.
    pub output_fields: serde_json::Map<String, serde_json::Value>,
    /// Rule tags.
    pub tags: Vec<String>,
    /// Host name.
    pub hostname: String,
}

impl Alert {
    /// Alerts for every rule of the interpreter's program that matches `ev`, in rule order.
    pub fn for_matches(interp: &mut Interpreter<'_>, ev: &dyn Event, hostname: &str) -> Vec<Alert> {
        let rules = interp.matching_rules(ev);
        rules
            .into_iter()
            .map(|r| Alert::for_rule(interp, r, ev, hostname))
            .collect()
    }

    /// Builds the alert of rule `rule` of the interpreter's program for `ev`.
    pub fn for_rule(
        interp: &mut Interpreter<'_>,
        rule: usize,
        ev: &dyn Event,
        hostname: &str,
    ) -> Alert {
        let r = &interp.program().rules[rule];
        let (msg, output_fields) = render(&r.output, interp, ev);
        let ns = ev.time_ns();
        let (date, tod) = split_time(ns);
        Alert {
            time: format!("{date}T{tod}Z"),
            rule: r.name.clone(),
            priority: r.priority.as_str().to_owned(),
            source: r.source.clone(),
            output: format!("{tod}: {} {msg}", r.priority.as_str()),
            output_fields,
            tags: r.tags.clone(),
            hostname: hostname.to_owned(),
        }
    }

    /// The JSON text of the alert.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `(YYYY-MM-DD, HH:MM:SS.nnnnnnnnn)` in UTC for ns since the epoch.
pub fn split_time(ns: u64) -> (String, String) {
    let secs = ns / 1_000_000_000;
    let frac = ns % 1_000_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!(
            "{:02}:{:02}:{:02}.{frac:09}",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        ),
    )
}

/// Parses an RFC 3339 timestamp (`2024-01-02T03:04:05.123456Z`, offsets allowed) to ns since
/// the epoch.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 20 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut frac: i64 = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        // Nanoseconds: the first nine digits, padded with zeros.
        let digits = &b[start..i.min(start + 9)];
        frac = digits.iter().fold(0, |f, &c| f * 10 + i64::from(c - b'0'))
            * 10i64.pow(9 - digits.len() as u32);
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') => 0,
        Some(&c @ (b'+' | b'-')) => {
            let oh = num(i + 1..i + 3)?;
            let om = num(i + 4..i + 6)?;
            let o = (oh * 60 + om) * 60;
            if c == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    // Days from civil.
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se - offset;
    // Times before 1970 or after 2554 (u64 nanoseconds) are not representable: no time.
    u64::try_from(secs)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(u64::try_from(frac).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_outside_the_u64_nanosecond_range_are_no_time() {
        // Found by the agent_json_source fuzz target (a stageTimestamp in year 9999).
        assert_eq!(parse_rfc3339("9999-12-31T23:59:59.999999999Z"), None);
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), None);
        assert_eq!(
            parse_rfc3339("2554-07-21T23:34:33.709551615Z"),
            Some(u64::MAX)
        );
        assert_eq!(parse_rfc3339("2554-07-21T23:34:33.709551616Z"), None);
    }

    #[test]
    fn time_round_trip() {
        let ns = parse_rfc3339("2024-02-29T13:45:07.123456Z").expect("valid");
        assert_eq!(
            split_time(ns),
            ("2024-02-29".into(), "13:45:07.123456000".into())
        );
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:01.Z"), Some(1_000_000_000));
        assert_eq!(
            parse_rfc3339("1970-01-01T00:00:00.1234567891Z"),
            Some(123_456_789)
        );
    }

    #[test]
    fn widths() {
        assert_eq!(apply_width("abc", Some(5)), "abc  ");
        assert_eq!(apply_width("abcdef", Some(3)), "abc");
        assert_eq!(apply_width("abc", None), "abc");
    }
}
