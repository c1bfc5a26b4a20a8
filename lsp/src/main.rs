//! `falco-rulec-lsp`: the Falco rules language server, speaking LSP on stdin/stdout.

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--version" || a == "-V") {
        println!("falco-rulec-lsp {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    rulec_lsp::server::run_stdio().await;
}
