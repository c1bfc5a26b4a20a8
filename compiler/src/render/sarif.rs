//! SARIF 2.1.0 output for code-scanning services.

use serde_json::{json, Value};

use super::{file_name, region};
use crate::diag::{Code, Diagnostic, Severity};
use crate::span::SourceMap;

/// One SARIF log with a single run.
pub fn render(diags: &[&Diagnostic], sources: &SourceMap, tool_version: &str) -> Value {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.id(),
                "name": c.falco_name(),
                "shortDescription": {"text": c.short_description()},
                "fullDescription": {"text": c.long_description()},
                "defaultConfiguration": {"level": level(c.severity())},
                "properties": {"falcoCode": c.falco_name()},
            })
        })
        .collect();
    let results: Vec<Value> = diags.iter().map(|d| result(d, sources)).collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "falco-rulec",
                "version": tool_version,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn result(d: &Diagnostic, sources: &SourceMap) -> Value {
    let rule_index = Code::ALL.iter().position(|c| *c == d.code).unwrap_or(0);
    let mut text = if d.message.is_empty() {
        d.code.short_description().to_owned()
    } else {
        d.message.clone()
    };
    if let Some(h) = &d.help {
        text.push_str(&format!(" (help: {h})"));
    }
    let mut r = json!({
        "ruleId": d.code.id(),
        "ruleIndex": rule_index,
        "level": level(d.severity()),
        "message": {"text": text},
    });
    if let Some(uri) = file_name(d, sources) {
        let mut phys = json!({"artifactLocation": {"uri": uri}});
        if let Some((l, c, el, ec)) = region(d, sources) {
            phys["region"] =
                json!({"startLine": l, "startColumn": c, "endLine": el, "endColumn": ec});
        }
        r["locations"] = json!([{"physicalLocation": phys}]);
    }
    if let (Some(fix), Some(uri)) = (&d.fix, file_name(d, sources)) {
        let f = sources.get(fix.span.file);
        let a = f.line_char_col(fix.span.start);
        let b = f.line_char_col(fix.span.end);
        r["fixes"] = json!([{
            "description": {"text": fix.message},
            "artifactChanges": [{
                "artifactLocation": {"uri": uri},
                "replacements": [{
                    "deletedRegion": {"startLine": a.line + 1, "startColumn": a.col + 1, "endLine": b.line + 1, "endColumn": b.col + 1},
                    "insertedContent": {"text": fix.replacement},
                }],
            }],
        }]);
    }
    r
}
