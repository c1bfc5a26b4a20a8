//! Starting the agent from command-line options: shared by `falco-rulec-agent` (bundles
//! only) and `falco-rulec run` (rules compiled in-process).

use std::path::PathBuf;

use super::config::{self, AgentConfig, SourceConfig};
use super::rules::RuleSet;
use super::run::{Agent, RulesFrom};
use super::source::json::Input;
use super::source::webhook::WebhookConfig;

/// Command-line options of the agent.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// `-c FILE`.
    pub config: Option<PathBuf>,
    /// `--bundle FILE`.
    pub bundle: Option<PathBuf>,
    /// `--input SOURCE=PATH`.
    pub inputs: Vec<(String, Input)>,
    /// `--webhook [ADDR:]PORT`.
    pub webhooks: Vec<String>,
    /// `-o KEY=VALUE`.
    pub overrides: Vec<String>,
    /// `--trusted-key FILE`.
    pub trusted: Vec<PathBuf>,
    /// `--dry-run`.
    pub dry_run: bool,
}

/// Parses `--input` values: `SOURCE=PATH`, `-` for stdin.
pub fn parse_input(v: &str) -> Result<(String, Input), String> {
    let Some((src, path)) = v.split_once('=') else {
        return Err(format!("--input {v}: expected SOURCE=PATH"));
    };
    let input = if path == "-" {
        Input::Stdin
    } else {
        Input::Path(path.into())
    };
    Ok((src.to_owned(), input))
}

/// Installs the stderr log subscriber.
pub fn init_logs(level: &str, enabled: bool) {
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

/// Runs the agent to the end; returns the process exit code (0 ok, 1 configuration or rules
/// refused, 2 usage). `prebuilt` replaces the bundle (`falco-rulec run`).
pub fn launch(args: LaunchOptions, prebuilt: Option<RuleSet>) -> u8 {
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
            return 1;
        }
    };
    let (mut cfg, warnings): (AgentConfig, Vec<String>) = match AgentConfig::from_tree(&tree) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("falco-rulec-agent: {e}");
            return 1;
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
                return 2;
            }
        }
    }
    let from = match (prebuilt, cfg.bundle.clone()) {
        (Some(set), _) => RulesFrom::Built(Box::new(set)),
        (None, Some(b)) => RulesFrom::Bundle(b),
        (None, None) => {
            eprintln!("falco-rulec-agent: no bundle: give --bundle FILE or set rulec.bundle (compile one with `falco-rulec compile -o FILE RULES...`)");
            return 2;
        }
    };
    if args.dry_run {
        return match super::run::load_rules(&cfg, from) {
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
                0
            }
            Err(e) => {
                eprintln!("falco-rulec-agent: {e}");
                1
            }
        };
    }
    let agent = match Agent::start(cfg, from) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("falco-rulec-agent: {e}");
            return 1;
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
    0
}
