//! Hot paths of `falco-rulec lint`: YAML parsing, condition parsing, and the whole load
//! (read + expand + parse + resolve) of the upstream rulesets and of our own rules.
//!
//! The upstream corpus lives in ../shared; without it only the bundled rules are measured.
//! Measured with the CLI's global allocator (mimalloc, cli/src/main.rs).

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rulec::condition::{parse, ParseOptions};
use rulec::span::FileId;
use rulec::{Analysis, LoadOptions};

fn read(path: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(path).ok()?;
    Some((path.file_name()?.to_string_lossy().into_owned(), text))
}

fn inputs() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../../shared/corpus/rules");
    let mut files: Vec<PathBuf> = [
        "falco_rules.yaml",
        "k8s_audit_rules.yaml",
        "aws_cloudtrail_rules.yaml",
    ]
    .iter()
    .map(|f| corpus.join(f))
    .filter(|p| p.is_file())
    .collect();
    if files.is_empty() {
        eprintln!(
            "corpus not found at {}: benchmarking rules/ only",
            corpus.display()
        );
    }
    files.push(root.join("../rules/falco-rulec_rules.yaml"));
    files.iter().filter_map(|p| read(p)).collect()
}

fn lint(files: &[(String, String)]) -> usize {
    let mut a = Analysis::new(LoadOptions::default());
    for (name, text) in files {
        a.add_file(name.clone(), text.clone());
    }
    let outcome = a.load();
    outcome.results.iter().map(|r| r.diagnostics.len()).sum()
}

fn bench_lint(c: &mut Criterion) {
    let files = inputs();
    let mut g = c.benchmark_group("lint");
    for f in &files {
        g.throughput(Throughput::Bytes(f.1.len() as u64));
        g.bench_function(f.0.as_str(), |b| {
            b.iter(|| black_box(lint(std::slice::from_ref(f))))
        });
    }
    let all: Vec<_> = files
        .iter()
        .filter(|f| !f.0.starts_with("falco-rulec"))
        .cloned()
        .collect();
    if all.len() == 3 {
        g.throughput(Throughput::Bytes(
            all.iter().map(|f| f.1.len() as u64).sum(),
        ));
        g.bench_function("all_corpus", |b| b.iter(|| black_box(lint(&all))));
    }
    g.finish();
}

fn bench_yaml(c: &mut Criterion) {
    let files = inputs();
    let mut g = c.benchmark_group("yaml");
    for (name, text) in files.iter().take(1) {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name.as_str(), |b| {
            b.iter(|| black_box(rulec::yaml::parse_stream(FileId(0), text).is_ok()))
        });
    }
    g.finish();
}

fn bench_parse(c: &mut Criterion) {
    // Every expanded condition of the loaded files, exactly as the parser sees them.
    let files = inputs();
    let mut a = Analysis::new(LoadOptions::default());
    for (name, text) in &files {
        a.add_file(name.clone(), text.clone());
    }
    let outcome = a.load();
    let conds: Vec<String> = outcome
        .compiled
        .rules
        .iter()
        .map(|r| r.text.as_str().to_owned())
        .collect();
    let bytes: usize = conds.iter().map(String::len).sum();
    let opts = ParseOptions::default();
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function(format!("{}_expanded_conditions", conds.len()), |b| {
        b.iter(|| {
            conds
                .iter()
                .filter(|c| parse(c, FileId(0), &opts).is_ok())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_lint, bench_yaml, bench_parse);
criterion_main!(benches);
