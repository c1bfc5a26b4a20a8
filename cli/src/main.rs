//! `falco-rulec`: the command-line front end over the compiler's analysis API.

// Loading rules allocates many small strings and trees; mimalloc makes a whole-corpus lint about
// a quarter faster than the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bundle;
mod explain;
mod fmt;
mod lint;
mod parse;
mod run;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A compiler toolchain for the Falco rules language.
#[derive(Parser, Debug)]
#[command(name = "falco-rulec", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate rules files (the CI gate): exit 0 when valid, 1 on errors, 2 on usage errors.
    Lint(lint::LintArgs),
    /// Rewrite rules files in the canonical layout (verified to load identically); `--check`
    /// for CI: exit 1 listing files that would change.
    Fmt(fmt::FmtArgs),
    /// Show what a rule really checks: expanded condition, types, event types, syscalls, cost.
    Explain(explain::ExplainArgs),
    /// Searchable reference of the fields of every event source.
    Fields(explain::FieldsArgs),
    /// Parse a condition and print its AST, tree, tokens or JSON (also --jsonl batches).
    Parse(parse::ParseArgs),
    /// Run rule unit tests (YAML test files of events and expected alerts): exit 0 when all
    /// pass, 1 on failures or files that do not load, 2 on usage errors.
    Test(test::TestArgs),
    /// Compile rules files into a versioned, checksummed bundle (`-o FILE.bundle`, signed with
    /// `--sign KEYFILE`); refuses when the rules have errors.
    Compile(bundle::CompileArgs),
    /// Verify a bundle and show its versions, signer, rules, event types and syscall
    /// prefilter.
    Inspect(bundle::InspectArgs),
    /// Make an Ed25519 key pair for signing bundles (`compile --sign PREFIX.key`): writes
    /// PREFIX.key and PREFIX.pub and prints the public key in hex.
    Keygen(bundle::KeygenArgs),
    /// Compile rules in-process and run the agent on event files, stdin or the k8s audit
    /// webhook, writing alerts like Falco (nodes run `falco-rulec-agent` with a bundle).
    Run(run::RunArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Lint(args) => lint::run(&args),
        Command::Parse(args) => parse::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Explain(args) => explain::run_explain(&args),
        Command::Fields(args) => explain::run_fields(&args),
        Command::Test(args) => test::run(&args),
        Command::Compile(args) => bundle::run_compile(&args),
        Command::Inspect(args) => bundle::run_inspect(&args),
        Command::Keygen(args) => bundle::run_keygen(&args),
        Command::Run(args) => run::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
