//! Loads the given rules files N times (for profiling): `cargo run --release --example lint_loop -- N FILE...`.

// The CLI's allocator (cli/src/main.rs), so that loads cost what they cost in `falco-rulec`.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100);
    let files: Vec<(String, String)> = args[2..]
        .iter()
        .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap_or_default()))
        .collect();
    let start = std::time::Instant::now();
    let mut total = 0;
    for _ in 0..n {
        let mut a = rulec::Analysis::new(rulec::LoadOptions::default());
        for (name, text) in &files {
            a.add_file(name.clone(), text.clone());
        }
        total += a.load().results.len();
    }
    println!(
        "{n} loads of {} files in {:?} ({:?} each), {total}",
        files.len(),
        start.elapsed(),
        start.elapsed() / n as u32
    );
}
