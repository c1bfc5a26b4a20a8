//! `falco-rulec-lsp`: the Falco rules language server, speaking LSP on stdin/stdout.

// Loading rules allocates many small strings and trees; mimalloc makes re-analysis about
// a quarter faster than the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--version" || a == "-V") {
        println!("falco-rulec-lsp {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    rulec_lsp::server::run_stdio().await;
}
