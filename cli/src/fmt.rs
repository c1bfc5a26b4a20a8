//! `falco-rulec fmt`: rewrite rules files in the canonical layout (verified equivalent).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::Args;
use rulec::fmt::{format_source, FmtOptions};

/// Arguments of `fmt`.
#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Rules files or directories (searched recursively for *.yaml / *.yml).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write nothing; exit 1 and list the files that are not formatted (for CI).
    #[arg(long)]
    pub check: bool,
    /// Write nothing; print a unified diff of the changes.
    #[arg(long)]
    pub diff: bool,
    /// Target line width.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u16).range(40..))]
    pub width: u16,
}

/// Files to format: directories are searched for rules files (test files left out); a path
/// that does not exist is a usage error.
fn collect(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            out.extend(crate::lint::yaml_files_in(p, false)?);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    Ok(out)
}

/// A unified diff of `a` → `b` with 3 lines of context.
pub fn unified_diff(name: &str, a: &str, b: &str) -> String {
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(3)
        .header(name, &format!("{name} (formatted)"))
        .to_string()
}

/// Runs `fmt`: 0 when everything is (or now is) formatted, 1 when `--check` found unformatted
/// files or a file could not be formatted, 2 on usage errors.
pub fn run(args: &FmtArgs) -> Result<ExitCode> {
    let files = collect(&args.paths)?;
    let opts = FmtOptions {
        width: usize::from(args.width),
    };
    let mut failed = false;
    let mut unformatted = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for f in &files {
        let name = f.display().to_string();
        let text = match std::fs::read(f).map(String::from_utf8) {
            Ok(Ok(t)) => t,
            Ok(Err(_)) => {
                eprintln!("{name}: not UTF-8 text; left untouched");
                failed = true;
                continue;
            }
            Err(e) => {
                eprintln!("{name}: cannot read: {e}");
                failed = true;
                continue;
            }
        };
        let out = match format_source(&text, &opts) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("{name}: {e}; left untouched");
                failed = true;
                continue;
            }
        };
        if out == text {
            continue;
        }
        unformatted.push(name.clone());
        if args.diff {
            let _ = stdout.write_all(unified_diff(&name, &text, &out).as_bytes());
        }
        if !args.check && !args.diff {
            if let Err(e) = std::fs::write(f, &out) {
                eprintln!("{name}: cannot write: {e}");
                failed = true;
                continue;
            }
            let _ = writeln!(stdout, "formatted {name}");
        }
    }
    if args.check {
        for n in &unformatted {
            let _ = writeln!(stdout, "would reformat {n}");
        }
        let _ = writeln!(
            stdout,
            "{} of {} file(s) would be reformatted",
            unformatted.len(),
            files.len()
        );
    }
    let _ = stdout.flush();
    Ok(if failed || (args.check && !unformatted.is_empty()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
