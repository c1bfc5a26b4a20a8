//! `falco-rulec-agent`: loads a compiled rule bundle, evaluates events from its sources and
//! writes alerts in Falco's formats. No rules parser is linked in: bundles come from
//! `falco-rulec compile`.

use std::path::PathBuf;
use std::process::ExitCode;

use rulec_runtime::agent::config::{self, AgentConfig, SourceConfig};
use rulec_runtime::agent::run::{Agent, RulesFrom, VERSION};
use rulec_runtime::agent::source::json::Input;
use rulec_runtime::agent::source::webhook::WebhookConfig;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
Usage: falco-rulec-agent [OPTIONS]

Loads a rule bundle (falco-rulec compile) and evaluates events of the plugin sources
(k8s_audit, aws_cloudtrail, github, okta, json), writing alerts like Falco.

Options:
  -c, --config FILE          falco.yaml (Falco's format; see docs/agent-config.md)
  -b, --bundle FILE          the rule bundle (overrides rulec.bundle)
  -i, --input SOURCE=PATH    read SOURCE events from PATH: a file (JSON lines, JSON array,
                             EventList, CloudTrail Records; gzip ok), a directory, or - for
                             stdin (repeatable)
      --webhook [ADDR:]PORT  serve the k8s audit webhook (POST /k8s-audit) on this port
  -o, --option KEY=VALUE     override a configuration key, as Falco's -o (repeatable)
      --trusted-key FILE     accept only bundles signed by this public key (repeatable)
      --dry-run              load the configuration and the bundle, report, and exit
  -V, --version              print the version
  -h, --help                 print this help

Signals: SIGHUP reloads the bundle, SIGUSR1 reopens file outputs and restarts program
outputs, SIGINT/SIGTERM stop (queued alerts are drained first).";

struct Args {
    config: Option<PathBuf>,
    bundle: Option<PathBuf>,
    inputs: Vec<(String, Input)>,
    webhooks: Vec<String>,
    overrides: Vec<String>,
    trusted: Vec<PathBuf>,
    dry_run: bool,
}

fn parse_args() -> Result<Option<Args>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut a = Args {
        config: None,
        bundle: None,
        inputs: Vec::new(),
        webhooks: Vec::new(),
        overrides: Vec::new(),
        trusted: Vec::new(),
        dry_run: false,
    };
    let mut p = lexopt::Parser::from_env();
    while let Some(arg) = p.next()? {
        match arg {
            Short('c') | Long("config") => a.config = Some(p.value()?.into()),
            Short('b') | Long("bundle") => a.bundle = Some(p.value()?.into()),
            Short('i') | Long("input") => {
                let v = p.value()?.string()?;
                let Some((src, path)) = v.split_once('=') else {
                    return Err(lexopt::Error::Custom(
                        format!("--input {v}: expected SOURCE=PATH").into(),
                    ));
                };
                let input = if path == "-" {
                    Input::Stdin
                } else {
                    Input::Path(path.into())
                };
                a.inputs.push((src.to_owned(), input));
            }
            Long("webhook") => a.webhooks.push(p.value()?.string()?),
            Short('o') | Long("option") => a.overrides.push(p.value()?.string()?),
            Long("trusted-key") => a.trusted.push(p.value()?.into()),
            Long("dry-run") => a.dry_run = true,
            Short('V') | Long("version") => {
                println!("falco-rulec-agent {VERSION}");
                return Ok(None);
            }
            Short('h') | Long("help") => {
                println!("{USAGE}");
                return Ok(None);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(Some(a))
}

fn init_logs(level: &str, enabled: bool) {
    use tracing_subscriber::EnvFilter;
    let level = match level.to_ascii_lowercase().as_str() {
        "emergency" | "alert" | "critical" | "error" => "error",
        "warning" => "warn",
        "notice" | "info" | "informational" => "info",
        "debug" => "debug",
        other => {
            eprintln!("falco-rulec-agent: unknown log_level {other:?}, using info");
            "info"
        }
    };
    let filter = EnvFilter::try_from_env("RULEC_LOG")
        .unwrap_or_else(|_| EnvFilter::new(if enabled { level } else { "off" }));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn webhook(spec: &str) -> Result<WebhookConfig, String> {
    let mut cfg = WebhookConfig::default();
    let addr = if spec.contains(':') {
        spec.to_owned()
    } else {
        format!("0.0.0.0:{spec}")
    };
    cfg.listen = addr
        .parse()
        .map_err(|_| format!("--webhook {spec}: expected [ADDR:]PORT"))?;
    Ok(cfg)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("falco-rulec-agent: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Without a configuration file the agent writes alerts to stdout (Falco needs one).
    let mut overrides = if args.config.is_none() {
        vec![
            "stdout_output.enabled=true".to_owned(),
            "log_stderr=true".to_owned(),
        ]
    } else {
        Vec::new()
    };
    overrides.extend(args.overrides.iter().cloned());
    let tree = match config::load_tree(args.config.as_deref(), &overrides) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("falco-rulec-agent: {e}");
            return ExitCode::from(1);
        }
    };
    let (mut cfg, warnings): (AgentConfig, Vec<String>) = match AgentConfig::from_tree(&tree) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("falco-rulec-agent: {e}");
            return ExitCode::from(1);
        }
    };
    init_logs(&cfg.log_level, cfg.log_stderr);
    for w in &warnings {
        tracing::warn!("{w}");
    }
    if let Some(b) = args.bundle {
        cfg.bundle = Some(b);
    }
    cfg.trusted_keys.extend(args.trusted);
    for (source, input) in args.inputs {
        match cfg
            .sources
            .iter_mut()
            .find(|s| matches!(s, SourceConfig::Files { source: s2, .. } if *s2 == source))
        {
            Some(SourceConfig::Files { inputs, .. }) => inputs.push(input),
            _ => cfg.sources.push(SourceConfig::Files {
                source,
                inputs: vec![input],
            }),
        }
    }
    for w in &args.webhooks {
        match webhook(w) {
            Ok(c) => cfg.sources.push(SourceConfig::Webhook {
                source: "k8s_audit".into(),
                cfg: c,
            }),
            Err(e) => {
                eprintln!("falco-rulec-agent: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let Some(bundle) = cfg.bundle.clone() else {
        eprintln!("falco-rulec-agent: no bundle: give --bundle FILE or set rulec.bundle (compile one with `falco-rulec compile -o FILE RULES...`)");
        return ExitCode::from(2);
    };
    if args.dry_run {
        return match rulec_runtime::agent::run::load_rules(&cfg, RulesFrom::Bundle(bundle)) {
            Ok((set, _)) => {
                println!(
                    "configuration ok ({} warning{}); bundle ok: {} rules for {:?}, checksum {}{}",
                    warnings.len(),
                    if warnings.len() == 1 { "" } else { "s" },
                    set.bundle.rules.iter().filter(|r| r.enabled).count(),
                    set.sources(),
                    set.checksum_hex(),
                    set.info
                        .signer
                        .map(|k| format!(", signed by {}", rulec_ir::bundle::hex(&k)))
                        .unwrap_or_default()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("falco-rulec-agent: {e}");
                ExitCode::from(1)
            }
        };
    }
    let agent = match Agent::start(cfg, RulesFrom::Bundle(bundle)) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("falco-rulec-agent: {e}");
            return ExitCode::from(1);
        }
    };
    let control = agent.control();
    match signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGUSR1,
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ]) {
        Ok(mut signals) => {
            let _ = std::thread::Builder::new()
                .name("signals".into())
                .spawn(move || {
                    for s in signals.forever() {
                        match s {
                            signal_hook::consts::SIGHUP => control.reload(),
                            signal_hook::consts::SIGUSR1 => control.reopen(),
                            _ => {
                                tracing::info!(signal = s, "stop requested");
                                control.stop();
                            }
                        }
                    }
                });
        }
        Err(e) => tracing::warn!(error = %e, "cannot install signal handlers"),
    }
    let summary = agent.wait();
    let lost: u64 = summary.outputs.iter().map(|o| o.dropped + o.failed).sum();
    if lost > 0 {
        tracing::warn!(
            alerts = lost,
            "alerts were dropped or not delivered (see the output counts above)"
        );
    }
    ExitCode::SUCCESS
}
