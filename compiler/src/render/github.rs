//! GitHub Actions workflow commands (`::error file=...::message`).

use super::{file_name, region};
use crate::diag::{Diagnostic, Severity};
use crate::span::SourceMap;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One annotation line per diagnostic.
pub fn render(diags: &[&Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let kind = if d.severity() == Severity::Error {
            "error"
        } else {
            "warning"
        };
        let mut props = Vec::new();
        if let Some(f) = file_name(d, sources) {
            props.push(format!("file={}", escape_property(f)));
        }
        if let Some((l, c, el, ec)) = region(d, sources) {
            props.push(format!("line={l},col={c},endLine={el},endColumn={ec}"));
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{} {}", d.code.id(), d.code.falco_name()))
        ));
        let mut msg = if d.message.is_empty() {
            d.code.short_description().to_owned()
        } else {
            d.message.clone()
        };
        if let Some(h) = &d.help {
            msg.push_str("\nhelp: ");
            msg.push_str(h);
        }
        if let Some(f) = &d.fix {
            msg.push_str("\nfix: ");
            msg.push_str(&f.message);
        }
        out.push_str(&format!(
            "::{kind} {}::{}\n",
            props.join(","),
            escape_data(&msg)
        ));
    }
    out
}
