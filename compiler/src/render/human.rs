//! Human-readable diagnostics with source excerpts, rendered by ariadne.

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};

use crate::diag::{Diagnostic, Severity};
use crate::span::SourceMap;

/// Renders diagnostics to a string; `color` enables ANSI colors.
pub fn render(diags: &[&Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = Vec::new();
    for d in diags {
        render_one(d, sources, color, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn header(d: &Diagnostic) -> String {
    let msg = if d.message.is_empty() {
        d.code.short_description()
    } else {
        d.message.as_str()
    };
    format!("{msg} [{}]", d.code.falco_name())
}

fn render_one(d: &Diagnostic, sources: &SourceMap, color: bool, out: &mut Vec<u8>) {
    let kind = match d.severity() {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let Some(span) = d.span else {
        let file = d.context.first().map_or("", |l| l.name.as_str());
        out.extend_from_slice(
            format!(
                "{}[{}]: {}\n  --> {file}\n",
                d.severity().as_str(),
                d.code.id(),
                header(d)
            )
            .as_bytes(),
        );
        for n in &d.notes {
            out.extend_from_slice(format!("  = note: {n}\n").as_bytes());
        }
        if let Some(h) = &d.help {
            out.extend_from_slice(format!("  = help: {h}\n").as_bytes());
        }
        return;
    };
    let name = |id: crate::span::FileId| sources.get(id).name.clone();
    let range = |s: crate::span::Span| s.start as usize..(s.end.max(s.start) as usize);
    let accent = if d.severity() == Severity::Error {
        Color::Red
    } else {
        Color::Yellow
    };
    let mut b = Report::build(kind, (name(span.file), range(span)))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(IndexType::Byte),
        )
        .with_code(d.code.id())
        .with_message(header(d))
        .with_label(
            Label::new((name(span.file), range(span)))
                .with_message(primary_label(d))
                .with_color(accent),
        );
    for l in &d.labels {
        b = b.with_label(
            Label::new((name(l.span.file), range(l.span)))
                .with_message(&l.message)
                .with_color(Color::Blue),
        );
    }
    for n in &d.notes {
        b = b.with_note(n);
    }
    if let Some(h) = &d.help {
        b = b.with_help(h);
    }
    if let Some(f) = &d.fix {
        b = b.with_help(&f.message);
    }
    let mut files = vec![span.file];
    files.extend(d.labels.iter().map(|l| l.span.file));
    files.dedup();
    let cache = ariadne::sources(
        files
            .iter()
            .map(|&f| (name(f), sources.get(f).text.clone())),
    );
    let _ = b.finish().write(cache, &mut *out);
}

fn primary_label(d: &Diagnostic) -> String {
    match d.code.severity() {
        Severity::Error => "here".to_owned(),
        Severity::Warning => d.code.short_description().to_lowercase(),
    }
}
