//! Alerts as the outputs receive them: Falco's text line (`time: Priority output`) or the
//! JSON object Falco writes with `json_output` (see [`AlertFormat`]).

use rulec_ir::vocab::Priority;

/// One alert, formatted once for every output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    /// Rule name.
    pub rule: String,
    /// Rule priority.
    pub priority: Priority,
    /// Event source.
    pub source: String,
    /// Event time, ns since the epoch.
    pub time_ns: u64,
    /// The formatted alert, without a trailing newline: the JSON object when `json_output`
    /// is on, else the text line.
    pub line: String,
    /// True when `line` is JSON.
    pub is_json: bool,
}

/// How alerts are formatted (Falco's `json_output`, `json_include_*_property`,
/// `time_format_iso_8601` and host name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertFormat {
    /// JSON objects instead of text lines.
    pub json: bool,
    /// JSON: the `output` property (the text line).
    pub include_output: bool,
    /// JSON: the `message` property (the rule output alone).
    pub include_message: bool,
    /// JSON: the `output_fields` property.
    pub include_output_fields: bool,
    /// JSON: the `tags` property.
    pub include_tags: bool,
    /// ISO 8601 (UTC) time in the text line instead of the local time of day.
    pub iso8601: bool,
    /// Host name.
    pub hostname: String,
}

impl Default for AlertFormat {
    fn default() -> Self {
        AlertFormat {
            json: false,
            include_output: true,
            include_message: false,
            include_output_fields: true,
            include_tags: true,
            iso8601: false,
            hostname: String::new(),
        }
    }
}

/// The parts of one alert before formatting.
pub struct AlertParts<'a> {
    /// Rule name.
    pub rule: &'a str,
    /// Priority.
    pub priority: Priority,
    /// Source.
    pub source: &'a str,
    /// Tags, sorted.
    pub tags: &'a [String],
    /// Event time, ns since the epoch.
    pub time_ns: u64,
    /// The rule output rendered for the event.
    pub message: String,
    /// The typed values of the output's fields.
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl AlertFormat {
    /// The text line prefix: Falco's `%evt.time` (local time of day with nanoseconds) or
    /// `%evt.time.iso8601` (`2024-09-13T15:22:20.545718604+0000`).
    pub fn time_prefix(&self, ns: u64) -> String {
        let secs = i64::try_from(ns / 1_000_000_000).unwrap_or(i64::MAX);
        let nanos = u32::try_from(ns % 1_000_000_000).unwrap_or(0);
        if self.iso8601 {
            let (date, tod) = crate::output::split_time(ns);
            return format!("{date}T{tod}+0000");
        }
        use chrono::{TimeZone, Timelike};
        match chrono::Local.timestamp_opt(secs, nanos).single() {
            Some(t) => format!(
                "{:02}:{:02}:{:02}.{nanos:09}",
                t.hour(),
                t.minute(),
                t.second()
            ),
            None => crate::output::split_time(ns).1,
        }
    }

    /// Formats an alert: the text line, or the JSON object with Falco's keys (alphabetical
    /// order, as Falco's nlohmann::json writes them: hostname, message, output,
    /// output_fields, priority, rule, source, tags, time).
    pub fn format(&self, p: AlertParts<'_>) -> AlertRecord {
        let prefix = self.time_prefix(p.time_ns);
        let output = format!("{prefix}: {} {}", p.priority.as_str(), p.message);
        let line = if self.json {
            use serde_json::Value as J;
            let mut o = serde_json::Map::new();
            o.insert("hostname".into(), J::String(self.hostname.clone()));
            if self.include_message {
                o.insert("message".into(), J::String(p.message));
            }
            if self.include_output {
                o.insert("output".into(), J::String(output));
            }
            if self.include_output_fields {
                let mut f = p.fields;
                if self.iso8601 {
                    f.insert("evt.time.iso8601".into(), J::String(prefix));
                } else {
                    f.insert("evt.time".into(), J::from(p.time_ns));
                }
                o.insert("output_fields".into(), J::Object(f));
            }
            o.insert("priority".into(), J::String(p.priority.as_str().into()));
            o.insert("rule".into(), J::String(p.rule.into()));
            o.insert("source".into(), J::String(p.source.into()));
            if self.include_tags {
                o.insert(
                    "tags".into(),
                    J::Array(p.tags.iter().map(|t| J::String(t.clone())).collect()),
                );
            }
            let (date, tod) = crate::output::split_time(p.time_ns);
            o.insert("time".into(), J::String(format!("{date}T{tod}Z")));
            J::Object(o).to_string()
        } else {
            output
        };
        AlertRecord {
            rule: p.rule.to_owned(),
            priority: p.priority,
            source: p.source.to_owned(),
            time_ns: p.time_ns,
            line,
            is_json: self.json,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> AlertParts<'static> {
        let mut fields = serde_json::Map::new();
        fields.insert("ka.user.name".into(), "alice".into());
        AlertParts {
            rule: "Disallowed K8s User",
            priority: Priority::Warning,
            source: "k8s_audit",
            tags: &[],
            time_ns: 1_714_557_601_135_000_000,
            message: "K8s Operation performed by user not in allowed list of users (user=alice)"
                .into(),
            fields,
        }
    }

    #[test]
    fn json_alerts_have_falcos_keys_in_falcos_order() {
        let f = AlertFormat {
            json: true,
            hostname: "node-1".into(),
            ..AlertFormat::default()
        };
        let a = f.format(parts());
        assert_eq!(
            a.line,
            r#"{"hostname":"node-1","output":""#.to_owned()
                + &f.time_prefix(1_714_557_601_135_000_000)
                + r#": Warning K8s Operation performed by user not in allowed list of users (user=alice)","output_fields":{"evt.time":1714557601135000000,"ka.user.name":"alice"},"priority":"Warning","rule":"Disallowed K8s User","source":"k8s_audit","tags":[],"time":"2024-05-01T10:00:01.135000000Z"}"#
        );
    }

    #[test]
    fn iso8601_text_lines_are_utc_with_an_explicit_offset() {
        let f = AlertFormat {
            iso8601: true,
            ..AlertFormat::default()
        };
        assert_eq!(
            f.format(parts()).line,
            "2024-05-01T10:00:01.135000000+0000: Warning K8s Operation performed by user not in allowed list of users (user=alice)"
        );
    }

    #[test]
    fn json_properties_can_be_left_out() {
        let f = AlertFormat {
            json: true,
            include_output: false,
            include_output_fields: false,
            include_tags: false,
            include_message: true,
            iso8601: true,
            hostname: "h".into(),
        };
        assert_eq!(
            f.format(parts()).line,
            r#"{"hostname":"h","message":"K8s Operation performed by user not in allowed list of users (user=alice)","priority":"Warning","rule":"Disallowed K8s User","source":"k8s_audit","time":"2024-05-01T10:00:01.135000000Z"}"#
        );
    }
}
