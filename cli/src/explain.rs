//! `falco-rulec explain` (what a rule really checks) and `falco-rulec fields` (field reference).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};
use rulec::diag::suggest;
use rulec::explain::{explain, Explain};
use rulec::schema::{FieldDef, Registry};
use rulec::LoadOptions;
use serde_json::{json, Value};

/// Text or JSON output.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Arguments of `explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The rule name, then the rules files or directories to load, in order (with --all:
    /// only the paths).
    #[arg(required = true, value_name = "RULE PATH...")]
    pub args: Vec<String>,
    /// Explain every rule of the loaded files.
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Runs `explain`.
pub fn run_explain(args: &ExplainArgs) -> Result<ExitCode> {
    let (rule, paths) = match (args.all, args.args.split_first()) {
        (true, _) => (None, args.args.as_slice()),
        (false, Some((rule, paths))) if !paths.is_empty() => (Some(rule.as_str()), paths),
        _ => {
            bail!("give the rule name and the rules files: explain RULE PATH... (or --all PATH...)")
        }
    };
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let files = crate::lint::collect_files(&paths)?;
    let analysis = crate::lint::analysis_for(&files, LoadOptions::default(), u64::MAX);
    let outcome = analysis.load();
    let names: Vec<&str> = match rule {
        Some(r) => vec![r],
        None => outcome
            .compiled
            .rules
            .iter()
            .map(|r| outcome.collection.rules[r.rule].name.as_str())
            .collect(),
    };
    let mut found = Vec::new();
    for name in names {
        match explain(&outcome, name) {
            Some(e) => found.push(e),
            None => {
                let all = outcome.collection.rules.iter().map(|r| r.name.as_str());
                let hint = suggest(name, all)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                eprintln!("error: no compiled rule named `{name}` in the loaded files{hint}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    let out = match args.format {
        Format::Text => found
            .iter()
            .map(explain_text)
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Json => format!(
            "{}\n",
            Value::Array(found.iter().map(explain_json).collect())
        ),
    };
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

fn explain_text(e: &Explain) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "rule: {}", e.rule);
    let _ = writeln!(s, "source: {}", e.source);
    let _ = writeln!(
        s,
        "condition: {}",
        e.condition.as_deref().unwrap_or("<does not compile>")
    );
    match &e.event_types {
        Some(_) if e.all_event_types => {
            let _ = writeln!(
                s,
                "event types: all ({} codes): no evt.type restriction",
                e.event_code_count
            );
        }
        Some(t) => {
            let _ = writeln!(
                s,
                "event types ({}, {} codes): {}",
                t.len(),
                e.event_code_count,
                t.join(", ")
            );
        }
        None => {
            let _ = writeln!(
                s,
                "event types: n/a (source `{}` is indexed by its plugin event)",
                e.source
            );
        }
    }
    if e.event_types.is_some() {
        let sys: Vec<String> = e
            .syscalls
            .iter()
            .map(|(n, nr)| format!("{n}({nr})"))
            .collect();
        let _ = writeln!(s, "syscalls ({}): {}", sys.len(), sys.join(", "));
    }
    let _ = writeln!(s, "fields:");
    for f in &e.fields {
        let ty = if f.is_list {
            format!("{} (list)", f.ty)
        } else {
            f.ty.clone()
        };
        let _ = writeln!(s, "  {:<40} {:<16} {}", f.name, ty, f.used_in);
    }
    let _ = writeln!(s, "cost: {} checks, {} literal values", e.checks, e.values);
    s
}

fn explain_json(e: &Explain) -> Value {
    json!({
        "rule": e.rule,
        "source": e.source,
        "condition": e.condition,
        "event_types": e.event_types,
        "all_event_types": e.all_event_types,
        "event_code_count": e.event_code_count,
        "syscalls": e.syscalls.iter().map(|(n, nr)| json!({"name": n, "nr": nr})).collect::<Vec<_>>(),
        "fields": e.fields.iter().map(|f| json!({"name": f.name, "type": f.ty, "list": f.is_list, "used_in": f.used_in})).collect::<Vec<_>>(),
        "cost": {"checks": e.checks, "values": e.values},
    })
}

/// Arguments of `fields`.
#[derive(Args, Debug)]
pub struct FieldsArgs {
    /// Only fields of this event source (syscall, k8s_audit, aws_cloudtrail, github, okta, json).
    #[arg(long, value_name = "SOURCE")]
    pub source: Option<String>,
    /// Case-insensitive text to look for in field names and descriptions.
    #[arg(value_name = "FILTER")]
    pub filter: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Runs `fields`.
pub fn run_fields(args: &FieldsArgs) -> Result<ExitCode> {
    let reg = Registry::get();
    let sources: Vec<&str> = match &args.source {
        Some(s) if reg.source(s).is_some() => vec![s.as_str()],
        Some(s) => {
            let known: Vec<&str> = reg.sources.iter().map(|x| x.name.as_str()).collect();
            bail!("unknown source `{s}`; known sources: {}", known.join(", "))
        }
        None => reg.sources.iter().map(|x| x.name.as_str()).collect(),
    };
    let needle = args.filter.as_deref().map(str::to_lowercase);
    let matches = |f: &FieldDef| {
        needle.as_deref().is_none_or(|n| {
            f.name.to_lowercase().contains(n) || f.description.to_lowercase().contains(n)
        })
    };
    let mut rows = Vec::new();
    for src in sources {
        for f in reg.fields(src).iter().filter(|f| matches(f)) {
            rows.push((src, f));
        }
    }
    match args.format {
        Format::Json => {
            let v: Vec<Value> = rows.iter().map(|(src, f)| field_json(src, f)).collect();
            println!("{}", Value::Array(v));
        }
        Format::Text => {
            let mut s = String::new();
            for (src, f) in &rows {
                let _ = writeln!(
                    s,
                    "{:<15} {:<40} {:<18} {}",
                    src,
                    field_signature(f),
                    type_name(f),
                    f.description
                );
            }
            let _ = writeln!(
                s,
                "{} field{}",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" }
            );
            print!("{s}");
        }
    }
    Ok(if rows.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn type_name(f: &FieldDef) -> String {
    if f.is_list {
        format!("{} (list)", f.ty.name())
    } else {
        f.ty.name().to_owned()
    }
}

/// `name`, `name[arg]`, `name[arg?]` or `name.arg` as the field is written.
fn field_signature(f: &FieldDef) -> String {
    match &f.arg {
        Some(a) if a.bracket && a.required => format!("{}[...]", f.name),
        Some(a) if a.bracket => format!("{}[...]?", f.name),
        Some(a) if a.dotted => format!("{}.<arg>", f.name),
        _ => f.name.clone(),
    }
}

fn field_json(src: &str, f: &FieldDef) -> Value {
    json!({
        "source": src,
        "name": f.name,
        "signature": field_signature(f),
        "type": f.ty.name(),
        "list": f.is_list,
        "plugin": f.plugin,
        "deprecated": f.deprecated,
        "filter_only": f.filter_only,
        "description": f.description,
    })
}
