//! The runtime runs as root on every node: it must not link the compiler's front end (YAML
//! rules parser, condition lexer, diagnostics renderer, diff printer, CLI parser). `cargo tree`
//! of the normal (non-dev) dependencies proves it for the runtime and the IR crate.

use std::process::Command;

const FRONT_END: &[&str] = &[
    "saphyr-parser",
    "ariadne",
    "logos",
    "similar",
    "clap",
    "falco-rulec-compiler",
];

fn normal_deps(package: &str) -> Option<Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "-e", "normal", "--prefix", "none", "-p", package])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    if !out.status.success() {
        println!(
            "skipped: cargo tree failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .collect(),
    )
}

fn assert_no_front_end(package: &str) {
    let Some(deps) = normal_deps(package) else {
        return;
    };
    assert!(
        deps.iter().any(|d| d == package),
        "{package} not in its own tree: {deps:?}"
    );
    let bad: Vec<&&str> = FRONT_END
        .iter()
        .filter(|f| deps.iter().any(|d| d == **f))
        .collect();
    assert!(bad.is_empty(), "{package} links front-end crates {bad:?}");
}

#[test]
fn runtime_links_no_front_end() {
    assert_no_front_end("falco-rulec-runtime");
}

#[test]
fn ir_links_no_front_end() {
    assert_no_front_end("falco-rulec-ir");
}
