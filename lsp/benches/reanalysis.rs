//! Re-analysis after an edit of falco_rules.yaml: the work the server does between a
//! `didChange` and the `publishDiagnostics` it triggers (load of every workspace file in
//! Falco's order, per-file index of the edited file, LSP diagnostics of every file).
//! Target: under 20 ms. Without the corpus (../shared/corpus/rules) only the bundled rules
//! are measured.

// The server binary's allocator (src/main.rs).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use rulec::LoadOptions;
use rulec_lsp::features;
use rulec_lsp::world::{Mode, Snapshot};

fn files() -> Vec<(String, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../../shared/corpus/rules");
    let mut out = Vec::new();
    for f in [
        "falco_rules.yaml",
        "aws_cloudtrail_rules.yaml",
        "k8s_audit_rules.yaml",
    ] {
        if let Ok(t) = std::fs::read_to_string(corpus.join(f)) {
            out.push((format!("file:///ws/{f}"), f.to_owned(), t));
        }
    }
    if out.is_empty() {
        eprintln!(
            "corpus not found at {}: measuring the bundled rules only",
            corpus.display()
        );
    }
    let bundled =
        std::fs::read_to_string(root.join("../rules/falco-rulec_rules.yaml")).unwrap_or_default();
    out.push((
        "file:///ws/falco-rulec_rules.yaml".into(),
        "falco-rulec_rules.yaml".into(),
        bundled,
    ));
    out
}

fn bench(c: &mut Criterion) {
    let mut files = files();
    let opts = LoadOptions::default();
    let mut cache = HashMap::new();
    let _ = Snapshot::build(&files, &opts, &mut cache, Mode::Fast);
    let base = files[0].2.clone();
    let needle = "spawned_process";
    let at = base.rfind(needle).unwrap_or(0);
    let mut n = 0u64;
    for mode in [Mode::Fast, Mode::Exact] {
        let name = format!("reanalysis_after_edit_of_falco_rules/{mode:?}");
        c.bench_function(&name, |b| {
            b.iter(|| {
                // A different edit each time so nothing can be cached for the edited file.
                n += 1;
                let mut t = base.clone();
                t.insert_str(at, if n.is_multiple_of(2) { "" } else { " " });
                t.push_str(&format!("\n# edit {n}\n"));
                files[0].2 = t;
                let snap = Snapshot::build(&files, &opts, &mut cache, mode);
                let total: usize = (0..snap.uris.len())
                    .map(|f| features::diagnostics(&snap, f).len())
                    .sum();
                black_box(total)
            });
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}
criterion_main!(benches);
