//! HTTP servers of the agent: the webserver (`/healthz`, `/metrics`, `/versions`, Falco's
//! `webserver:` keys) and the k8s audit webhook ([`super::source::webhook`]) each run an axum
//! router on their own thread with a single-threaded tokio runtime, with optional TLS
//! (rustls).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::metrics::Metrics;

/// TLS settings of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key (may be the same file as `cert`, as Falco's `ssl_certificate`).
    pub key: PathBuf,
}

/// A running server.
pub struct Server {
    handle: axum_server::Handle<SocketAddr>,
    thread: Option<JoinHandle<()>>,
    /// The address it listens on (the real port when 0 was asked).
    pub addr: SocketAddr,
}

/// Why a server did not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Binding or TLS setup failed.
    #[error("{what} on {addr}: {error}")]
    Start {
        /// Which server.
        what: String,
        /// The address.
        addr: SocketAddr,
        /// The error.
        error: String,
    },
}

/// Installs the process-wide rustls crypto provider (ring) once.
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Serves `router` on `addr` (TLS when `tls` is set) from a new thread named `what`.
pub fn serve(
    what: &str,
    addr: SocketAddr,
    tls: Option<&Tls>,
    router: Router,
) -> Result<Server, ServeError> {
    install_crypto();
    let err = |e: &dyn std::fmt::Display| ServeError::Start {
        what: what.to_owned(),
        addr,
        error: e.to_string(),
    };
    let listener = std::net::TcpListener::bind(addr).map_err(|e| err(&e))?;
    listener.set_nonblocking(true).map_err(|e| err(&e))?;
    let local = listener.local_addr().map_err(|e| err(&e))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| err(&e))?;
    let tls_config = match tls {
        None => None,
        Some(t) => {
            let cfg = rt
                .block_on(axum_server::tls_rustls::RustlsConfig::from_pem_file(
                    &t.cert, &t.key,
                ))
                .map_err(|e| err(&format!("TLS certificate {}: {e}", t.cert.display())))?;
            Some(cfg)
        }
    };
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    let name = what.to_owned();
    let thread = std::thread::Builder::new()
        .name(what.to_owned())
        .spawn(move || {
            let res = rt.block_on(async move {
                let app = router.into_make_service_with_connect_info::<SocketAddr>();
                match tls_config {
                    Some(cfg) => {
                        axum_server::from_tcp_rustls(listener, cfg)?
                            .handle(h)
                            .serve(app)
                            .await
                    }
                    None => axum_server::from_tcp(listener)?.handle(h).serve(app).await,
                }
            });
            if let Err(e) = res {
                tracing::error!(server = %name, error = %e, "server stopped");
            }
        })
        .map_err(|e| err(&e))?;
    Ok(Server {
        handle,
        thread: Some(thread),
        addr: local,
    })
}

impl Server {
    /// Stops accepting, lets requests in flight finish for up to `grace`, and joins.
    pub fn shutdown(mut self, grace: Duration) {
        self.handle.graceful_shutdown(Some(grace));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What `/versions` reports.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Versions {
    /// Agent version.
    pub falco_rulec_agent_version: String,
    /// Bundle format version this agent reads.
    pub bundle_format_version: u16,
    /// Engine version the running bundle was checked against.
    pub engine_version: String,
    /// Compiler version that produced the running bundle.
    pub bundle_compiler_version: String,
}

/// The webserver's router: `healthz` path (Falco's `k8s_healthz_endpoint`), `/versions`
/// and, when `metrics` is given, `/metrics`.
pub fn router(
    healthz: &str,
    metrics: Option<Arc<Metrics>>,
    versions: Arc<dyn Fn() -> Versions + Send + Sync>,
) -> Router {
    let mut r = Router::new()
        .route(
            healthz,
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"status": "ok"}"#,
                )
            }),
        )
        .route(
            "/versions",
            get(move || {
                let v = versions();
                async move { axum::Json(v) }
            }),
        );
    if let Some(m) = metrics {
        r = r.route(
            "/metrics",
            get(move || {
                let m = Arc::clone(&m);
                async move {
                    (
                        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        m.render(),
                    )
                        .into_response()
                }
            }),
        );
    }
    r
}
