//! `falco-rulec compile` (rules files to a `.bundle`, optionally signed), `falco-rulec inspect`
//! (show a bundle after verifying it) and `falco-rulec keygen` (an Ed25519 key pair for
//! signing).

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use rulec::render::human;
use rulec::schema::Registry;
use rulec::{Diagnostic, Severity};
use rulec_ir::bundle::sign::{self, SigningKey};
use rulec_ir::bundle::{hex, Bundle, FileInfo};
use serde_json::json;

use crate::lint::{collect_files, ColorChoice, LoadArgs};

/// Arguments of `compile`.
#[derive(Args, Debug)]
pub struct CompileArgs {
    /// Rules files or directories (searched recursively for *.yaml / *.yml), loaded in order.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Bundle file to write; without it the rules are compiled and summarised only.
    #[arg(short = 'o', long = "output", value_name = "FILE.bundle")]
    pub output: Option<PathBuf>,
    /// Sign the bundle with this Ed25519 private key (PKCS#8 PEM as written by
    /// `falco-rulec keygen` or `openssl genpkey -algorithm ed25519`, or 64 hex characters).
    #[arg(long, value_name = "KEYFILE")]
    pub sign: Option<PathBuf>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Color diagnostics: auto (on a terminal), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Output formats of `inspect`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    /// Human-readable summary.
    Text,
    /// One JSON document.
    Json,
}

/// Arguments of `inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The bundle file.
    #[arg(value_name = "FILE.bundle")]
    pub bundle: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = InspectFormat::Text)]
    pub format: InspectFormat,
}

/// Arguments of `keygen`.
#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Writes PREFIX.key (private key, PKCS#8 PEM, mode 0600) and PREFIX.pub (public key,
    /// SPKI PEM).
    #[arg(long, value_name = "PREFIX")]
    pub out: PathBuf,
    /// Overwrite existing PREFIX.key / PREFIX.pub.
    #[arg(long)]
    pub force: bool,
}

/// Largest key file `compile --sign` reads.
const MAX_KEY_SIZE: u64 = 64 * 1024;

/// Largest bundle `inspect` reads.
const MAX_BUNDLE_SIZE: u64 = 256 * 1024 * 1024;

/// Runs `compile`: exit 0 on success, 1 when the rules have errors or cannot be bundled.
pub fn run_compile(args: &CompileArgs) -> Result<ExitCode> {
    // Read the key first: a bad key file should not wait for a whole compile.
    let key = match &args.sign {
        Some(path) => match load_signing_key(path)? {
            Ok(k) => Some(k),
            Err(msg) => {
                eprintln!("error: {}: {msg}", path.display());
                return Ok(ExitCode::from(1));
            }
        },
        None => None,
    };
    let Some((bundle, warnings)) = build_bundle(&args.paths, &args.load, args.color)? else {
        return Ok(ExitCode::from(1));
    };
    let bytes = match &key {
        Some(k) => bundle.write_signed(k),
        None => bundle.write(),
    };
    let enabled = bundle.rules.iter().filter(|r| r.ir.is_some()).count();
    let mut out = format!(
        "{} rule{} ({enabled} enabled) from {} file{}, {} source{} ({}), {} prefilter syscall{}, {} bytes",
        bundle.rules.len(),
        plural(bundle.rules.len()),
        bundle.files.len(),
        plural(bundle.files.len()),
        bundle.programs.len(),
        plural(bundle.programs.len()),
        bundle
            .programs
            .iter()
            .map(|p| p.source.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        bundle.prefilter.len(),
        plural(bundle.prefilter.len()),
        bytes.len(),
    );
    if let Some(k) = &key {
        out.push_str(&format!(
            ", signed by {}",
            hex(k.verifying_key().as_bytes())
        ));
    }
    if warnings > 0 {
        out.push_str(&format!(
            ", {warnings} warning{} (see `falco-rulec lint`)",
            plural(warnings)
        ));
    }
    match &args.output {
        Some(path) => {
            std::fs::write(path, &bytes)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}: {out}", path.display());
        }
        None => println!("compiled (not written, no -o): {out}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads and compiles rules files into a bundle; `Ok(None)` (exit 1) when the rules have
/// errors (printed) or cannot be bundled. Also returns the number of warnings.
pub fn build_bundle(
    paths: &[PathBuf],
    load: &LoadArgs,
    color: ColorChoice,
) -> Result<Option<(Bundle, usize)>> {
    let files = collect_files(paths)?;
    let analysis = load.analysis(&files);
    let outcome = analysis.load();
    let diags: Vec<&Diagnostic> = outcome.unique_diagnostics();
    let errors = diags
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    if errors > 0 || outcome.results.len() < files.len() {
        let color = color.enabled(std::io::stderr().is_terminal());
        let errs: Vec<&Diagnostic> = diags
            .iter()
            .copied()
            .filter(|d| d.severity() == Severity::Error)
            .collect();
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(human::render(&errs, &analysis.sources, color).as_bytes());
        let _ = writeln!(
            err,
            "error: not compiled: {errors} error{} in the rules (see `falco-rulec lint`)",
            if errors == 1 { "" } else { "s" }
        );
        return Ok(None);
    }
    let bundle = match rulec::bundle::build(&outcome, &analysis.sources, load.engine_version) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(None);
        }
    };
    Ok(Some((bundle, diags.len() - errors)))
}

/// Reads a private key file: `Err` (usage error, exit 2) when it cannot be read, `Ok(Err)`
/// with the reason when it is not a key (exit 1).
fn load_signing_key(path: &Path) -> Result<Result<SigningKey, String>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read key file {}", path.display()))?
        .len();
    if size > MAX_KEY_SIZE {
        return Ok(Err(format!(
            "{size} bytes is too large for a key file: expected an Ed25519 private key \
             (PKCS#8 PEM or 64 hex characters)"
        )));
    }
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read key file {}", path.display()))?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Ok(Err(
            "not a text file: expected an Ed25519 private key (PKCS#8 PEM, as written by \
             `falco-rulec keygen` or `openssl genpkey -algorithm ed25519`, or 64 hex characters)"
                .into(),
        ));
    };
    Ok(sign::read_signing_key(&text).map_err(|e| format!("bad signing key: {e}")))
}

/// `PREFIX` with `ext` appended (`keys/prod` + `.key`).
fn with_suffix(prefix: &Path, ext: &str) -> PathBuf {
    let mut s = OsString::from(prefix.as_os_str());
    s.push(ext);
    PathBuf::from(s)
}

/// Writes `contents` to `path` with `mode` (Unix), refusing to replace a file unless `force`.
fn write_new(path: &Path, contents: &[u8], mode: u32, force: bool) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        opts.mode(mode);
        let mut f = opts
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        // An existing file (--force) keeps its mode on open: set it.
        f.set_permissions(std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set the mode of {}", path.display()))?;
        f.write_all(contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    #[cfg(not(unix))]
    {
        let _ = mode;
        let mut f = opts
            .open(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        f.write_all(contents)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Runs `keygen`: writes PREFIX.key and PREFIX.pub, prints the public key in hex.
pub fn run_keygen(args: &KeygenArgs) -> Result<ExitCode> {
    let key_path = with_suffix(&args.out, ".key");
    let pub_path = with_suffix(&args.out, ".pub");
    if !args.force {
        for p in [&key_path, &pub_path] {
            if p.exists() {
                eprintln!(
                    "error: {} exists: not overwriting a key (--force replaces it)",
                    p.display()
                );
                return Ok(ExitCode::from(1));
            }
        }
    }
    let key = sign::generate();
    let vk = key.verifying_key();
    write_new(
        &key_path,
        sign::signing_key_pem(&key).as_bytes(),
        0o600,
        args.force,
    )?;
    write_new(
        &pub_path,
        sign::verifying_key_pem(&vk).as_bytes(),
        0o644,
        args.force,
    )?;
    eprintln!(
        "wrote {} (private key, keep it secret) and {} (public key, for the nodes)",
        key_path.display(),
        pub_path.display()
    );
    println!("{}", hex(vk.as_bytes()));
    Ok(ExitCode::SUCCESS)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Runs `inspect`: exit 0 for a valid bundle, 1 for an invalid one.
pub fn run_inspect(args: &InspectArgs) -> Result<ExitCode> {
    let size = std::fs::metadata(&args.bundle)
        .with_context(|| format!("cannot read {}", args.bundle.display()))?
        .len();
    if size > MAX_BUNDLE_SIZE {
        eprintln!(
            "error: {}: {size} bytes is larger than any bundle this falco-rulec reads ({MAX_BUNDLE_SIZE})",
            args.bundle.display()
        );
        return Ok(ExitCode::from(1));
    }
    let bytes = std::fs::read(&args.bundle)
        .with_context(|| format!("cannot read {}", args.bundle.display()))?;
    let (bundle, info) = match Bundle::read_with_info(&bytes) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {}: {e}", args.bundle.display());
            return Ok(ExitCode::from(1));
        }
    };
    let text = match args.format {
        InspectFormat::Text => inspect_text(&bundle, &info),
        InspectFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&inspect_json(&bundle, &info))?
        ),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    Ok(ExitCode::SUCCESS)
}

fn syscall_names(nrs: &[u16]) -> Vec<String> {
    let names = &Registry::get().events.syscall_names;
    nrs.iter()
        .map(|n| names.get(n).cloned().unwrap_or_else(|| format!("#{n}")))
        .collect()
}

fn inspect_text(b: &Bundle, info: &FileInfo) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "falco-rulec bundle, format version {}, {} bytes (header {}, payload {})\n",
        info.format_version, info.total_len, info.header_len, info.payload_len
    ));
    s.push_str(&format!("checksum: sha256 {} OK\n", hex(&info.checksum)));
    match &info.signer {
        Some(k) => s.push_str(&format!(
            "signature: Ed25519, signed by {} OK (verified against the embedded key)\n",
            hex(k)
        )),
        None => s.push_str("signature: unsigned\n"),
    }
    s.push_str(&format!(
        "compiler: falco-rulec {}\nengine version: {}\n",
        b.header.compiler_version, b.header.engine_version
    ));
    s.push_str("schemas:\n");
    let diffs = b.schema_differences();
    for v in &b.header.schema_versions {
        let note = if diffs.iter().any(|d| d.0 == v.source) {
            " (differs from this build)"
        } else {
            ""
        };
        s.push_str(&format!("  {}: {}{note}\n", v.source, v.version));
    }
    s.push_str("files:\n");
    for f in &b.files {
        s.push_str(&format!(
            "  {} ({} bytes, sha256 {})\n",
            f.name,
            f.size,
            hex(&f.sha256)
        ));
    }
    let mut sources: Vec<&str> = Vec::new();
    for r in &b.rules {
        if !sources.contains(&r.source.as_str()) {
            sources.push(&r.source);
        }
    }
    for src in sources {
        let rules: Vec<_> = b.rules.iter().filter(|r| r.source == src).collect();
        let prog = b.programs.iter().find(|p| p.source == src);
        s.push_str(&format!(
            "source {src}: {} rule{}{}\n",
            rules.len(),
            plural(rules.len()),
            prog.map(|p| format!(
                ", {} IR nodes, {} operands, {} fields",
                p.nodes.len(),
                p.operands.len(),
                p.fields.len()
            ))
            .unwrap_or_default()
        ));
        for r in rules {
            let state = match (r.enabled, r.ir.is_some()) {
                (false, _) => " [disabled]",
                (true, false) => " [not compiled]",
                _ => "",
            };
            s.push_str(&format!("  {} [{}]{state}\n", r.name, r.priority.as_str()));
            if let Some(et) = &r.event_types {
                s.push_str(&format!(
                    "    event types ({}): {}\n",
                    et.len(),
                    et.join(" ")
                ));
                s.push_str(&format!(
                    "    syscalls ({}): {}\n",
                    r.syscalls.len(),
                    syscall_names(&r.syscalls).join(" ")
                ));
            }
        }
    }
    s.push_str(&format!(
        "global prefilter ({} syscall{}): {}\n",
        b.prefilter.len(),
        plural(b.prefilter.len()),
        syscall_names(&b.prefilter).join(" ")
    ));
    s
}

fn inspect_json(b: &Bundle, info: &FileInfo) -> serde_json::Value {
    let names = syscall_names(&b.prefilter);
    json!({
        "format_version": info.format_version,
        "size": info.total_len,
        "header_len": info.header_len,
        "payload_len": info.payload_len,
        "checksum": { "algorithm": "sha256", "value": hex(&info.checksum), "ok": true },
        "signature": info.signer.map(|k| json!({
            "algorithm": "ed25519", "public_key": hex(&k), "ok": true,
        })),
        "compiler_version": b.header.compiler_version,
        "engine_version": b.header.engine_version,
        "schema_versions": b.header.schema_versions.iter().map(|v| json!({
            "source": v.source,
            "version": v.version,
            "matches_this_build": !b.schema_differences().iter().any(|d| d.0 == v.source),
        })).collect::<Vec<_>>(),
        "files": b.files.iter().map(|f| json!({
            "name": f.name, "size": f.size, "sha256": hex(&f.sha256),
        })).collect::<Vec<_>>(),
        "programs": b.programs.iter().map(|p| json!({
            "source": p.source,
            "rules": p.rules.len(),
            "nodes": p.nodes.len(),
            "operands": p.operands.len(),
            "fields": p.fields.len(),
        })).collect::<Vec<_>>(),
        "rules": b.rules.iter().map(|r| json!({
            "name": r.name,
            "priority": r.priority.as_str(),
            "source": r.source,
            "enabled": r.enabled,
            "compiled": r.ir.is_some(),
            "tags": r.tags,
            "desc": r.desc,
            "output": r.output,
            "output_fields": r.output_fields,
            "event_types": r.event_types,
            "syscalls": r.syscalls.iter().zip(syscall_names(&r.syscalls)).map(|(n, s)| json!({"nr": n, "name": s})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "prefilter": b.prefilter.iter().zip(names).map(|(n, s)| json!({"nr": n, "name": s})).collect::<Vec<_>>(),
    })
}
