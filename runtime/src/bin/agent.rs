//! `falco-rulec-agent`: loads a compiled rule bundle, evaluates events from its sources and
//! writes alerts in Falco's formats. No rules parser is linked in: bundles come from
//! `falco-rulec compile`.
//!
//! The agent uses the system allocator: with the corpus k8s audit rules its resident set is
//! about 15 MB under load, against about 39 MB with mimalloc (which commits memory in large
//! segments), for about 13% more CPU per event (BENCHMARKS.md, "Agent").

use std::process::ExitCode;

use rulec_runtime::agent::launch::{launch, parse_input, LaunchOptions};
use rulec_runtime::agent::run::VERSION;

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

fn parse_args() -> Result<Option<LaunchOptions>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut a = LaunchOptions::default();
    let mut p = lexopt::Parser::from_env();
    while let Some(arg) = p.next()? {
        match arg {
            Short('c') | Long("config") => a.config = Some(p.value()?.into()),
            Short('b') | Long("bundle") => a.bundle = Some(p.value()?.into()),
            Short('i') | Long("input") => {
                let v = p.value()?.string()?;
                a.inputs
                    .push(parse_input(&v).map_err(|e| lexopt::Error::Custom(e.into()))?);
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

fn main() -> ExitCode {
    match parse_args() {
        Ok(Some(a)) => ExitCode::from(launch(a, None)),
        Ok(None) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("falco-rulec-agent: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
