//! `falco-rulec lint`: load rules files like `falco -V` and report diagnostics.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use rulec::load::Version;
use rulec::render::{falco, github, human, sarif};
use rulec::{Analysis, Diagnostic, LoadOptions, Severity};

/// Output formats of `lint`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source excerpts with labels and hints (ariadne).
    Human,
    /// One line per diagnostic: `file:line:col: severity[code]: message`.
    Short,
    /// Falco's `falco -V` JSON: `{"falco_load_results": [...]}`.
    Json,
    /// Falco's verbose text result, as `falco -V` prints it.
    Falco,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Arguments of `lint`.
#[derive(Args, Debug)]
pub struct LintArgs {
    /// Rules files or directories (searched recursively for *.yaml / *.yml), loaded in order.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Treat warnings as errors (exit 1 when there is any warning).
    #[arg(long)]
    pub deny_warnings: bool,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Suppress warnings with these codes (id like W0005 or Falco name like LOAD_UNUSED_MACRO).
    #[arg(long = "allow", value_name = "CODE")]
    pub allow: Vec<String>,
    /// Color output: auto (on a terminal), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// How rules files are loaded: options shared by `lint` and `compile`.
#[derive(Args, Debug)]
pub struct LoadArgs {
    /// Engine version to check `required_engine_version` against (`compile` records it in
    /// the bundle).
    #[arg(long, value_name = "X.Y.Z", default_value = "0.62.0", value_parser = parse_version)]
    pub engine_version: Version,
    /// Event sources considered loaded (repeatable); rules of other sources are skipped.
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,
    /// Largest rules file accepted, in bytes (larger files fail with a clear error).
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_file_size: u64,
}

impl LoadArgs {
    /// An analysis of `files` with these options, ready to load.
    pub fn analysis(&self, files: &[PathBuf]) -> Analysis {
        let mut options = LoadOptions {
            engine_version: self.engine_version,
            ..LoadOptions::default()
        };
        if !self.sources.is_empty() {
            options.sources.clone_from(&self.sources);
        }
        analysis_for(files, options, self.max_file_size)
    }
}

/// When to color human output.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to color output going to a stream that is (or is not) a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal,
        }
    }
}

fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse(s).ok_or_else(|| format!("`{s}` is not a version of the form x.y.z"))
}

/// Expands directories into their rules files, sorted by path. Rule test files found in
/// directories (YAML mappings with a `tests` list, see `falco-rulec test`) are skipped.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    collect_files_with(paths, false)
}

/// [`collect_files`], keeping rule test files when `include_tests` is set.
pub fn collect_files_with(paths: &[PathBuf], include_tests: bool) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let found = yaml_files_in(p, include_tests)?;
            if found.is_empty() {
                bail!("no .yaml or .yml files in {}", p.display());
            }
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The `*.yaml` / `*.yml` files below `dir`, sorted; rule test files (`falco-rulec test`) are
/// left out unless `include_tests` is set.
pub fn yaml_files_in(dir: &Path, include_tests: bool) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    walk(dir, &mut found).with_context(|| format!("cannot read directory {}", dir.display()))?;
    if !include_tests {
        found.retain(|f| {
            !std::fs::read_to_string(f)
                .is_ok_and(|t| rulec::testing::file::looks_like_test_file(&t))
        });
    }
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Builds the analysis for `files` with `options`; files over `max_size` bytes are refused.
pub fn analysis_for(files: &[PathBuf], options: LoadOptions, max_size: u64) -> Analysis {
    let mut analysis = Analysis::new(options);
    for f in files {
        let name = f.display().to_string();
        let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        if size > max_size {
            analysis.add_unreadable(
                name,
                format!("Could not read file: it is {size} bytes, over the limit of {max_size} bytes (raise it with --max-file-size)"),
            );
            continue;
        }
        match std::fs::read(f) {
            Ok(bytes) => {
                analysis.add_file_bytes(name, bytes);
            }
            Err(e) => {
                analysis.add_unreadable(name, format!("Could not read file: {e}"));
            }
        }
    }
    analysis
}

/// Runs `lint`.
pub fn run(args: &LintArgs) -> Result<ExitCode> {
    let files = collect_files(&args.paths)?;
    let mut allow = Vec::new();
    for a in &args.allow {
        match rulec::Code::lookup(a) {
            Some(c) if c.severity() == Severity::Warning => allow.push(c),
            Some(c) => bail!("`{a}` ({}) is an error and cannot be allowed", c.id()),
            None => bail!("unknown diagnostic code `{a}`"),
        }
    }
    let analysis = args.load.analysis(&files);
    let mut outcome = analysis.load();
    for r in &mut outcome.results {
        r.diagnostics.retain(|d| !allow.contains(&d.code));
    }
    let sources = &analysis.sources;
    let diags: Vec<&Diagnostic> = outcome.unique_diagnostics();
    let text = match args.format {
        Format::Human => {
            let color = args.color.enabled(std::io::stdout().is_terminal());
            let mut s = human::render(&diags, sources, color);
            s.push_str(&summary(&outcome, files.len()));
            s
        }
        Format::Short => {
            let mut s = short(&diags, sources);
            s.push_str(&summary(&outcome, files.len()));
            s
        }
        Format::Json => format!("{}\n", falco::json_results(&outcome.results, sources)),
        Format::Falco => outcome
            .results
            .iter()
            .map(|r| falco::verbose(r, sources))
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Sarif => {
            format!(
                "{}\n",
                serde_json::to_string_pretty(&sarif::render(
                    &diags,
                    sources,
                    env!("CARGO_PKG_VERSION")
                ))?
            )
        }
        Format::Github => github::render(&diags, sources),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    let errors = diags
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let failed =
        errors > 0 || outcome.results.len() < files.len() || (args.deny_warnings && warnings > 0);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn short(diags: &[&Diagnostic], sources: &rulec::span::SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let loc = match (
            rulec::render::file_name(d, sources),
            rulec::render::region(d, sources),
        ) {
            (Some(f), Some((l, c, _, _))) => format!("{f}:{l}:{c}"),
            (Some(f), None) => f.to_owned(),
            _ => String::from("<unknown>"),
        };
        let msg = if d.message.is_empty() {
            d.code.short_description()
        } else {
            &d.message
        };
        out.push_str(&format!(
            "{loc}: {}[{}/{}]: {msg}\n",
            d.severity().as_str(),
            d.code.id(),
            d.code.falco_name()
        ));
    }
    out
}

fn summary(outcome: &rulec::LoadOutcome, files: usize) -> String {
    let diags = outcome.unique_diagnostics();
    let errors = diags
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    let skipped = files - outcome.results.len();
    let mut s = format!(
        "{} file{} checked: {errors} error{}, {warnings} warning{}",
        outcome.results.len(),
        if outcome.results.len() == 1 { "" } else { "s" },
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
    );
    if skipped > 0 {
        s.push_str(&format!(
            " ({skipped} later file{} not loaded after the failure)",
            if skipped == 1 { "" } else { "s" }
        ));
    }
    s.push('\n');
    s
}
