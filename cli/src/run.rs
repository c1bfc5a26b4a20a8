//! `falco-rulec run RULES...`: compiles the rules in-process and runs the agent's engine on
//! them (the same code as `falco-rulec-agent`, which loads bundles only). Handy for trying
//! rules against event files; nodes run the agent with a compiled, signed bundle.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use rulec_ir::bundle::Bundle;
use rulec_runtime::agent::launch::{launch, parse_input, LaunchOptions};
use rulec_runtime::agent::rules::{EngineChoice, RuleSet};

use crate::bundle::build_bundle;
use crate::lint::{ColorChoice, LoadArgs};

/// Arguments of `run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Rules files or directories, loaded in order.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// falco.yaml (Falco's format; see docs/agent-config.md).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read SOURCE events from PATH (file, directory, or - for stdin); repeatable.
    #[arg(short = 'i', long = "input", value_name = "SOURCE=PATH", value_parser = parse_input)]
    pub inputs: Vec<(String, rulec_runtime::agent::source::json::Input)>,
    /// Serve the k8s audit webhook on [ADDR:]PORT.
    #[arg(long, value_name = "[ADDR:]PORT")]
    pub webhook: Vec<String>,
    /// Override a configuration key (Falco's -o); repeatable.
    #[arg(short = 'o', long = "option", value_name = "KEY=VALUE")]
    pub option: Vec<String>,
    /// Load the configuration and the rules, report, and exit.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Runs `run`: 0 when the agent ran, 1 when the rules or the configuration are refused.
pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let Some((bundle, _)) = build_bundle(&args.paths, &args.load, ColorChoice::Auto)? else {
        return Ok(ExitCode::from(1));
    };
    // Through the bytes, so that the engine runs exactly what a bundle file would hold.
    let bytes = bundle.write();
    let (bundle, info) = Bundle::read_with_info(&bytes)?;
    let set = match RuleSet::build(bundle, info, EngineChoice::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(1));
        }
    };
    let opts = LaunchOptions {
        config: args.config.clone(),
        bundle: None,
        inputs: args.inputs.clone(),
        webhooks: args.webhook.clone(),
        overrides: args.option.clone(),
        trusted: Vec::new(),
        dry_run: args.dry_run,
    };
    Ok(ExitCode::from(launch(opts, Some(set))))
}
