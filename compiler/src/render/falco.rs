//! Falco-compatible load results: the JSON of `falco -V --json_output` (§6.4, §6.6) and the
//! verbose text Falco prints.

use serde_json::{json, Value};

use crate::analysis::FileResult;
use crate::diag::{Diagnostic, Location, Severity};
use crate::span::SourceMap;

/// `{"falco_load_results": [...]}` for a list of file results.
pub fn json_results(results: &[FileResult], sources: &SourceMap) -> Value {
    json!({ "falco_load_results": results.iter().map(|r| json_result(r, sources)).collect::<Vec<_>>() })
}

/// One file's result object.
pub fn json_result(r: &FileResult, sources: &SourceMap) -> Value {
    let errors: Vec<Value> = r.errors().map(|d| json_diag(d, sources)).collect();
    let warnings: Vec<Value> = r.warnings().map(|d| json_diag(d, sources)).collect();
    json!({
        "name": r.name,
        "successful": r.successful(),
        "errors": errors,
        "warnings": warnings,
    })
}

fn json_location(l: &Location) -> Value {
    json!({
        "item_type": l.item_type,
        "item_name": l.item_name,
        "position": {"name": l.name, "line": l.line, "column": l.column, "offset": l.offset},
    })
}

fn json_diag(d: &Diagnostic, sources: &SourceMap) -> Value {
    let codedesc = if d.severity() == Severity::Error {
        d.code.short_description()
    } else {
        d.code.long_description()
    };
    let mut v = json!({
        "context": {
            "locations": d.context.iter().map(json_location).collect::<Vec<_>>(),
            "snippet": snippet(d, sources),
        },
        "code": d.code.falco_name(),
        "codedesc": codedesc,
        "message": d.message,
    });
    if let Some(f) = &d.deprecated_field {
        v["deprecated_field"] = json!(f);
    }
    v
}

/// The source line of the last file location (or of the primary span) and a caret line.
pub fn snippet(d: &Diagnostic, sources: &SourceMap) -> String {
    let Some(span) = d
        .span
        .or_else(|| d.context.iter().rev().find_map(|l| l.span))
    else {
        return "<No context available>".to_owned();
    };
    let f = sources.get(span.file);
    let lc = f.line_col(span.start);
    let line = f.line_text(lc.line);
    let col = lc.col as usize;
    let (text, caret) = cut_line(line, col, 160);
    format!("{text}\n{}^\n", " ".repeat(caret))
}

/// At most `width` bytes of `line` around byte `col`, with `...` where cut; returns the text
/// and the caret column within it.
fn cut_line(line: &str, col: usize, width: usize) -> (String, usize) {
    if line.len() <= width {
        return (line.to_owned(), col.min(line.len()));
    }
    let half = width / 2;
    let mut start = col.saturating_sub(half);
    while start > 0 && !line.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + width).min(line.len());
    while end < line.len() && !line.is_char_boundary(end) {
        end += 1;
    }
    let mut text = String::new();
    let mut caret = col - start;
    if start > 0 {
        text.push_str("...");
        caret += 3;
    }
    text.push_str(&line[start..end]);
    if end < line.len() {
        text.push_str("...");
    }
    (text, caret)
}

/// Falco's verbose result string (what `falco -V` prints for a file).
pub fn verbose(r: &FileResult, sources: &SourceMap) -> String {
    let errors: Vec<&Diagnostic> = r.errors().collect();
    let warnings: Vec<&Diagnostic> = r.warnings().collect();
    let status = if !errors.is_empty() {
        "Invalid"
    } else if !warnings.is_empty() {
        "Ok, with warnings"
    } else {
        "Ok"
    };
    let mut out = format!("{}: {status}\n", r.name);
    for (title, list) in [("Errors", &errors), ("Warnings", &warnings)] {
        if list.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{} {title}:\n", list.len()));
        for d in list.iter() {
            for (i, l) in d.context.iter().enumerate() {
                out.push_str(if i == 0 { "In " } else { "    " });
                out.push_str(l.item_type);
                if !l.item_name.is_empty() {
                    out.push_str(&format!(" '{}'", l.item_name));
                }
                out.push_str(&format!(": ({}:{}:{})\n", l.name, l.line, l.column));
            }
            out.push_str("------\n");
            out.push_str(&snippet(d, sources));
            out.push_str("------\n");
            out.push_str(&format!(
                "{} ({}): {}\n",
                d.code.falco_name(),
                d.code.short_description(),
                d.message
            ));
        }
    }
    out
}
