//! `falco-rulec parse`: show what the condition parser sees.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use rulec::condition::{self, tree, ParseError, ParseOptions};
use rulec::diag::{suggest, Code, Diagnostic};
use rulec::render::human;
use rulec::span::{FileId, SourceMap, Span};
use rulec::LoadOptions;
use serde_json::{json, Value};

/// Output formats of `parse`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The canonical AST string (libs printer form).
    Ast,
    /// An indented tree with node kinds and byte spans.
    Tree,
    /// The token stream with spans.
    Tokens,
    /// `{"ast": ..., "tree": ...}` or `{"error": {...}}`.
    Json,
}

/// Arguments of `parse`.
#[derive(Args, Debug)]
pub struct ParseArgs {
    /// The condition to parse (`-` reads it from standard input); with --rule/--macro, the
    /// rules files (or directories) to load, in order.
    #[arg(value_name = "CONDITION | FILE...")]
    pub inputs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Ast)]
    pub format: Format,
    /// Batch mode: read JSON lines `{"condition": "..."}` from stdin, write one JSON result per line.
    #[arg(long)]
    pub jsonl: bool,
    /// Parse the condition of this rule, loaded from FILE... (files or directories, in order).
    #[arg(long, value_name = "NAME", conflicts_with_all = ["macro_name", "jsonl"])]
    pub rule: Option<String>,
    /// Parse the condition of this macro, loaded from FILE....
    #[arg(long = "macro", value_name = "NAME", conflicts_with = "jsonl")]
    pub macro_name: Option<String>,
    /// With --rule/--macro: show the condition after exceptions, list substitution and macro
    /// expansion.
    #[arg(long)]
    pub expand: bool,
    /// Color diagnostics: auto (on a terminal), always or never.
    #[arg(long, value_enum, default_value_t = crate::lint::ColorChoice::Auto)]
    pub color: crate::lint::ColorChoice,
    /// Parser recursion limit (Falco uses 1000 when loading rules).
    #[arg(long, default_value_t = 1000)]
    pub max_depth: u32,
}

/// Runs `parse`.
pub fn run(args: &ParseArgs) -> Result<ExitCode> {
    let opts = ParseOptions {
        max_depth: args.max_depth,
    };
    if args.jsonl {
        if !args.inputs.is_empty() {
            bail!("--jsonl reads conditions from stdin and takes no CONDITION argument");
        }
        return batch(&opts);
    }
    if args.rule.is_some() || args.macro_name.is_some() {
        return item(args, &opts);
    }
    let [cond] = args.inputs.as_slice() else {
        bail!("give exactly one CONDITION (or `-` for stdin), or --jsonl, or --rule/--macro NAME FILE...");
    };
    let text = if cond == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the condition from stdin")?;
        s.strip_suffix('\n').map(str::to_owned).unwrap_or(s)
    } else {
        cond.clone()
    };
    let mut sources = SourceMap::new();
    let file = sources.add("<condition>", text.clone());
    let out = match condition::parse(&text, file, &opts) {
        Ok(ast) => render_ok(&ast, &text, args.format),
        Err(e) => {
            let span = Span::new(file, e.span.start, e.span.end.max(e.span.start));
            return Ok(fail(args, &e, Some(span), &sources, &text));
        }
    };
    print(&out);
    Ok(ExitCode::SUCCESS)
}

fn print(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

fn render_ok(ast: &condition::Expr, text: &str, format: Format) -> String {
    match format {
        Format::Ast => format!("{ast}\n"),
        Format::Tree => tree::to_text(ast),
        Format::Tokens => tokens(text),
        Format::Json => format!(
            "{}\n",
            json!({"ast": ast.to_string(), "tree": tree::to_json(ast)})
        ),
    }
}

fn tokens(text: &str) -> String {
    condition::tokens(text)
        .iter()
        .map(|t| {
            format!(
                "{:<12} {:>5}..{:<5} {:?}\n",
                t.kind.as_str(),
                t.span.start,
                t.span.end,
                t.text
            )
        })
        .collect()
}

fn error_json(e: &ParseError) -> Value {
    json!({"error": {"message": e.message, "index": e.index, "line": e.line, "column": e.column}})
}

/// Reports a parse error in the requested format and returns exit code 1. The token format
/// still prints the tokens read before the error.
fn fail(
    args: &ParseArgs,
    e: &ParseError,
    span: Option<Span>,
    sources: &SourceMap,
    text: &str,
) -> ExitCode {
    match args.format {
        Format::Json => print(&format!("{}\n", error_json(e))),
        format => {
            if format == Format::Tokens {
                print(&tokens(text));
            }
            let mut d =
                Diagnostic::new(Code::ConditionSyntax, e.message.clone(), span).with_note(format!(
                    "parser position: index {}, line {}, column {}",
                    e.index, e.line, e.column
                ));
            if let Some(h) = &e.hint {
                d = d.with_help(h.clone());
            }
            eprint!(
                "{}",
                human::render(
                    &[&d],
                    sources,
                    args.color.enabled(std::io::stderr().is_terminal())
                )
            );
        }
    }
    ExitCode::from(1)
}

/// One JSON result for a batch input line.
fn batch_line(line: &str, opts: &ParseOptions) -> Value {
    let input: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            return json!({"error": {"message": format!("invalid JSON input: {e}"), "index": 0, "line": 1, "column": 1}})
        }
    };
    let Some(cond) = input.get("condition").and_then(Value::as_str) else {
        return json!({"error": {"message": "input line has no string field \"condition\"", "index": 0, "line": 1, "column": 1}});
    };
    match condition::parse(cond, FileId(0), opts) {
        Ok(ast) => json!({"ast": ast.to_string(), "tree": tree::to_json(&ast)}),
        Err(e) => error_json(&e),
    }
}

fn batch(opts: &ParseOptions) -> Result<ExitCode> {
    let stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lines() {
        let line = line.context("reading stdin")?;
        writeln!(out, "{}", batch_line(&line, opts))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn item(args: &ParseArgs, opts: &ParseOptions) -> Result<ExitCode> {
    if args.inputs.is_empty() {
        bail!("--rule/--macro need the rules files to load: FILE...");
    }
    let paths: Vec<PathBuf> = args.inputs.iter().map(PathBuf::from).collect();
    let files = crate::lint::collect_files(&paths)?;
    let analysis = crate::lint::analysis_for(
        &files,
        LoadOptions {
            max_depth: opts.max_depth,
            ..LoadOptions::default()
        },
        u64::MAX,
    );
    let outcome = analysis.load();
    let coll = &outcome.collection;
    let (kind, name) = match (&args.rule, &args.macro_name) {
        (Some(r), _) => ("rule", r.as_str()),
        (None, Some(m)) => ("macro", m.as_str()),
        (None, None) => bail!("--rule or --macro is required"),
    };
    let (text, expanded) = if kind == "rule" {
        let Some(&idx) = coll.rule_ids.get(name) else {
            return not_found(kind, name, coll.rules.iter().map(|r| r.name.as_str()));
        };
        let compiled = outcome.compiled.rules.iter().find(|r| r.rule == idx);
        (
            coll.rules[idx].cond.clone(),
            compiled.and_then(|r| r.ast.clone()),
        )
    } else {
        let Some(&idx) = coll.macro_ids.get(name) else {
            return not_found(kind, name, coll.macros.iter().map(|m| m.name.as_str()));
        };
        (
            coll.macros[idx].cond.clone(),
            outcome.compiled.macros.get(idx).cloned().flatten(),
        )
    };
    if args.expand {
        let Some(ast) = expanded else {
            let diags = outcome.unique_diagnostics();
            eprint!(
                "{}",
                human::render(
                    &diags,
                    &analysis.sources,
                    args.color.enabled(std::io::stderr().is_terminal())
                )
            );
            eprintln!("error: the {kind} `{name}` does not compile, so it has no expanded form");
            return Ok(ExitCode::from(1));
        };
        print(&render_ok(&ast, text.as_str(), args.format));
        return Ok(ExitCode::SUCCESS);
    }
    match condition::parse(text.as_str(), FileId(0), opts) {
        Ok(ast) => print(&render_ok(&ast, text.as_str(), args.format)),
        Err(e) => {
            let span = text.span_of(e.span.start, e.span.end.max(e.span.start + 1));
            return Ok(fail(args, &e, span, &analysis.sources, text.as_str()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn not_found<'a>(kind: &str, name: &str, names: impl Iterator<Item = &'a str>) -> Result<ExitCode> {
    let hint = suggest(name, names)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    eprintln!("error: no {kind} named `{name}` in the loaded files{hint}");
    Ok(ExitCode::from(1))
}
