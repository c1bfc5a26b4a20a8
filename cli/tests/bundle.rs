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

/// `falco-rulec keygen --out PREFIX`: the public key hex it prints.
fn keygen(prefix: &std::path::Path) -> String {
    // keygen refuses to overwrite: start clean even in a reused temporary directory.
    for ext in ["key", "pub"] {
        let _ = std::fs::remove_file(prefix.with_extension(ext));
    }
    let o = run(&["keygen", "--out", prefix.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let hex = stdout(&o).trim().to_owned();
    assert_eq!(hex.len(), 64, "{hex}");
    assert!(hex.chars().all(|c| c.is_ascii_hexdigit()), "{hex}");
    assert!(
        stderr(&o).contains("private key, keep it secret"),
        "{}",
        stderr(&o)
    );
    hex
}

#[test]
fn keygen_compile_sign_and_inspect() {
    let prefix = tmp("signer");
    let hex = keygen(&prefix);
    let key = tmp("signer.key");
    let public = tmp("signer.pub");
    let key_text = std::fs::read_to_string(&key).expect("key written");
    assert!(
        key_text.starts_with("-----BEGIN PRIVATE KEY-----\n"),
        "{key_text}"
    );
    let pub_text = std::fs::read_to_string(&public).expect("public key written");
    assert!(
        pub_text.starts_with("-----BEGIN PUBLIC KEY-----\n"),
        "{pub_text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).expect("key").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // The public key file is the printed key.
    let vk = rulec_ir::bundle::sign::read_verifying_key(&pub_text).expect("SPKI PEM");
    assert_eq!(rulec_ir::bundle::hex(vk.as_bytes()), hex);

    // keygen does not overwrite a key unless --force.
    let o = run(&["keygen", "--out", prefix.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("signer.key exists: not overwriting a key"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&key).ok().as_deref(),
        Some(key_text.as_str())
    );

    let out = tmp("signed.bundle");
    let o = run(&[
        "compile",
        "--sign",
        key.to_str().expect("utf-8 path"),
        "-o",
        out.to_str().expect("utf-8 path"),
        "rules/",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!(", signed by {hex}")),
        "{}",
        stdout(&o)
    );

    let o = run(&["inspect", out.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains(&format!("\nsignature: Ed25519, signed by {hex} OK")),
        "{s}"
    );
    assert!(s.contains("source syscall: 4 rules"), "{s}");
    let o = run(&[
        "inspect",
        "--format",
        "json",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["signature"]["algorithm"], "ed25519");
    assert_eq!(v["signature"]["public_key"], hex.as_str());
    assert_eq!(v["signature"]["ok"], true);

    // The same rules unsigned.
    let plain = compile_rules("unsigned.bundle");
    let o = run(&["inspect", plain.to_str().expect("utf-8 path")]);
    assert!(
        stdout(&o).contains("\nsignature: unsigned\n"),
        "{}",
        stdout(&o)
    );
    let o = run(&[
        "inspect",
        "--format",
        "json",
        plain.to_str().expect("utf-8 path"),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert!(v["signature"].is_null(), "{v}");
    let signed = std::fs::read(&out).expect("signed");
    let unsigned = std::fs::read(&plain).expect("unsigned");
    assert_eq!(signed.len(), unsigned.len() + 96);

    // A signature changed after signing (checksum recomputed) is refused.
    let sig_byte = signed.len() - 32 - 10;
    let mut body = signed[..signed.len() - 32].to_vec();
    body[sig_byte] ^= 0x01;
    let forged = tmp("forged.bundle");
    std::fs::write(&forged, rulec_ir::bundle::seal(body)).expect("write forged");
    let o = run(&["inspect", forged.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("forged.bundle: bundle signature is invalid"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());

    // --force replaces the pair.
    let o = run(&[
        "keygen",
        "--force",
        "--out",
        prefix.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_ne!(stdout(&o).trim(), hex);
}

#[test]
fn compile_signs_with_an_openssl_key() {
    let has_openssl = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_openssl {
        println!("skipped: openssl is not on PATH");
        return;
    }
    let key = tmp("openssl.key");
    let o = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&key)
        .output()
        .expect("openssl runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let o = std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&key)
        .output()
        .expect("openssl runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let vk = rulec_ir::bundle::sign::read_verifying_key(&stdout(&o)).expect("openssl public key");
    let hex = rulec_ir::bundle::hex(vk.as_bytes());

    let out = tmp("openssl.bundle");
    let o = run(&[
        "compile",
        "--sign",
        key.to_str().expect("utf-8 path"),
        "-o",
        out.to_str().expect("utf-8 path"),
        "rules/",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(&["inspect", out.to_str().expect("utf-8 path")]);
    assert!(
        stdout(&o).contains(&format!("signed by {hex} OK")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_key_files_are_refused() {
    let prefix = tmp("bad-keys");
    keygen(&prefix);
    let out = tmp("bad-key.bundle");
    let compile = |key: &std::path::Path| {
        run(&[
            "compile",
            "--sign",
            key.to_str().expect("utf-8 path"),
            "-o",
            out.to_str().expect("utf-8 path"),
            "rules/",
        ])
    };

    // The public key where the private one belongs.
    let public = tmp("bad-keys.pub");
    let o = compile(&public);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains(&format!(
            "error: {}: bad signing key: this is a public key",
            public.display()
        )),
        "{e}"
    );

    let garbage = common::tmp_file("bundle", "garbage.key", "not a key\n");
    let o = compile(&garbage);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains(&format!(
            "error: {}: bad signing key: not a key: expected a PEM key (-----BEGIN PRIVATE KEY-----) or 64 hex characters",
            garbage.display()
        )),
        "{e}"
    );
    assert!(
        !e.contains("not a key\n"),
        "the key text is not quoted: {e}"
    );

    let short = common::tmp_file("bundle", "short.key", "abcdef\n");
    let o = compile(&short);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("found 6 hex characters"),
        "{}",
        stderr(&o)
    );

    let binary = common::tmp_file("bundle", "binary.key", [0xffu8, 0xfe, 0]);
    let o = compile(&binary);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("binary.key: not a text file"),
        "{}",
        stderr(&o)
    );

    // A missing file is a usage error, like a missing rules file or bundle.
    let missing = tmp("missing.key");
    let o = compile(&missing);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("cannot read key file {}", missing.display())),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());

    // A key in hex (the 32-byte seed) signs.
    let seed = common::tmp_file("bundle", "seed.key", format!("{}\n", "42".repeat(32)));
    let o = compile(&seed);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(", signed by "), "{}", stdout(&o));
}
