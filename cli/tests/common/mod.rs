//! Helpers shared by the CLI's end-to-end tests (each test crate uses a subset).
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The binary, run from the repository root, without the rules-path variable of the caller's
/// environment.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_falco-rulec"));
    c.current_dir(repo()).env_remove("FALCO_RULEC_RULES_PATH");
    c
}

/// Runs the binary with `args`.
pub fn run<S: AsRef<OsStr>>(args: &[S]) -> Output {
    bin().args(args).output().expect("binary runs")
}

/// Standard output, lossily decoded.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error, lossily decoded.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A path in this test process's own temporary directory `falco-rulec-TAG-PID`.
pub fn tmp_path(tag: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("falco-rulec-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// [`tmp_path`], written with `contents`.
pub fn tmp_file(tag: &str, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let p = tmp_path(tag, name);
    std::fs::write(&p, contents).expect("write temp file");
    p
}
