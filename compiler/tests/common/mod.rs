//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The upstream corpus (`../shared/corpus/rules`, or `RULEC_CORPUS_DIR`), or `None` with a
/// printed reason when it is absent: a user's clone has no `../shared`.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("RULEC_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/rules"));
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "skipped: corpus not found at {} (it lives in ../shared, outside the repo)",
            dir.display()
        );
        None
    }
}
