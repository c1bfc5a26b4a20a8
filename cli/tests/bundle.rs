//! `falco-rulec compile` and `falco-rulec inspect` end to end.

use std::path::PathBuf;

mod common;
use common::{run, stderr, stdout};

fn tmp(name: &str) -> PathBuf {
    common::tmp_path("bundle", name)
}

fn compile_rules(name: &str) -> PathBuf {
    let out = tmp(name);
    let o = run(&["compile", "-o", out.to_str().expect("utf-8 path"), "rules/"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let s = stdout(&o);
    assert!(s.starts_with("wrote "), "{s}");
    assert!(s.contains("4 rules (4 enabled) from 1 file"), "{s}");
    assert!(s.contains("1 source (syscall)"), "{s}");
    assert!(s.contains("5 prefilter syscalls"), "{s}");
    out
}

#[test]
fn compile_and_inspect_rules() {
    let b = compile_rules("rules.bundle");
    let o = run(&["inspect", b.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.starts_with("falco-rulec bundle, format version 1, "),
        "{s}"
    );
    assert!(s.contains("checksum: sha256 "), "{s}");
    assert!(s.contains(" OK\n"), "{s}");
    assert!(s.contains("engine version: 0.62.0"), "{s}");
    assert!(s.contains("  syscall: libs master"), "{s}");
    assert!(s.contains("rules/falco-rulec_rules.yaml ("), "{s}");
    assert!(s.contains("source syscall: 4 rules"), "{s}");
    assert!(s.contains("  Shell Spawned In Container [Notice]\n"), "{s}");
    assert!(s.contains("    event types (2): execve execveat\n"), "{s}");
    assert!(s.contains("    syscalls (3): open openat openat2\n"), "{s}");
    assert!(
        s.contains("global prefilter (5 syscalls): open execve openat execveat openat2\n"),
        "{s}"
    );

    let o = run(&[
        "inspect",
        "--format",
        "json",
        b.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["format_version"], 1);
    assert_eq!(v["checksum"]["ok"], true);
    assert_eq!(v["rules"].as_array().map(Vec::len), Some(4));
    assert_eq!(v["rules"][1]["priority"], "Warning");
    assert_eq!(v["prefilter"].as_array().map(Vec::len), Some(5));
    assert_eq!(v["prefilter"][0]["name"], "open");
    assert_eq!(v["programs"][0]["source"], "syscall");
}

#[test]
fn compile_without_output_writes_nothing() {
    let o = run(&["compile", "rules/"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("compiled (not written, no -o): 4 rules"));
}

#[test]
fn inspect_tampered_bundle_fails() {
    let b = compile_rules("tampered.bundle");
    let mut bytes = std::fs::read(&b).expect("bundle written");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&b, &bytes).expect("rewrite");
    let o = run(&["inspect", b.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("bundle checksum mismatch: the file is corrupt or was modified"),
        "{e}"
    );
    assert!(stdout(&o).is_empty());

    std::fs::write(&b, &bytes[..bytes.len() - 10]).expect("truncate");
    let o = run(&["inspect", b.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!(
            "truncated bundle: expected {} bytes, found {}",
            bytes.len(),
            bytes.len() - 10
        )),
        "{}",
        stderr(&o)
    );

    let mut newer = bytes.clone();
    newer[8] = 7;
    std::fs::write(&b, &newer).expect("newer");
    let o = run(&["inspect", b.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(
            "bundle format version 7 is newer than this falco-rulec supports (1): upgrade falco-rulec"
        ),
        "{}",
        stderr(&o)
    );

    let o = run(&["inspect", "rules/falco-rulec_rules.yaml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("not a falco-rulec bundle"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn compile_refuses_rules_with_errors() {
    let src = tmp("broken.yaml");
    std::fs::write(
        &src,
        "- rule: r\n  desc: d\n  condition: proc.name in (a b)\n  output: o\n  priority: INFO\n",
    )
    .expect("write rules");
    let out = tmp("broken.bundle");
    let o = run(&[
        "compile",
        "--color",
        "never",
        "-o",
        out.to_str().expect("utf-8 path"),
        src.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("error: not compiled: 1 error in the rules"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}
