//! The Kubernetes audit webhook: the API server POSTs `audit.k8s.io/v1` `EventList`s (or
//! single `Event`s) to `endpoint` (the k8saudit plugin's default: port 9765, `/k8s-audit`).
//!
//! A request is parsed on the server thread and its events are queued for the `k8s_audit`
//! source thread all at once or not at all: when the queue has no room for the whole batch
//! the request is answered `503 Service Unavailable` (counted in
//! `falco_rulec_webhook_rejected_total`) and the API server's webhook backend retries it, so
//! an acknowledged (`200`) event is never dropped. A body that is not JSON, not an object or
//! larger than the limit is answered `400` / `413` and counted as malformed; a request
//! without `Content-Type: application/json` is answered `400` (as the plugin does), any
//! method but POST `405`. One difference from the plugin: it answers 200 before parsing and
//! only logs what it cannot parse, so a bad batch is lost silently; we parse first and say
//! so in the status.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use prometheus_client::metrics::counter::Counter;

use super::{read_event, EventSource, Malformed, Pull};
use crate::agent::web::{serve, ServeError, Server, Tls};
use crate::extract::json::{Doc, V};
use crate::extract::JsonEvent;

/// Webhook settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// Listen address (default `0.0.0.0:9765`).
    pub listen: SocketAddr,
    /// Request path (default `/k8s-audit`).
    pub endpoint: String,
    /// TLS (the plugin's `sslCertificate`).
    pub tls: Option<Tls>,
    /// Largest accepted request body (the plugin's `webhookMaxBatchSize`, 12 MiB).
    pub max_body_bytes: usize,
    /// Largest accepted event (the plugin's `maxEventSize`, 256 KiB); larger events are
    /// skipped and counted as malformed, the rest of the batch is accepted.
    pub max_event_bytes: usize,
    /// Events queued for evaluation at most.
    pub queue: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], 9765)),
            endpoint: "/k8s-audit".to_owned(),
            tls: None,
            max_body_bytes: 12 << 20,
            max_event_bytes: 262_144,
            queue: 65536,
        }
    }
}

struct Shared {
    tx: Sender<Pull<JsonEvent>>,
    capacity: usize,
    /// Serializes "is there room for the whole batch" with the sends.
    room: Mutex<()>,
    hostname: String,
    source: String,
    max_event_bytes: usize,
    requests: AtomicU64,
    rejected: Counter,
}

/// The `k8s_audit` events the webhook received.
pub struct WebhookSource {
    rx: Receiver<Pull<JsonEvent>>,
    source: String,
    addr: SocketAddr,
    endpoint: String,
    num: u64,
}

/// Starts the webhook server; its events come out of the returned source.
pub fn start(
    cfg: &WebhookConfig,
    source: &str,
    hostname: &str,
    rejected: Counter,
) -> Result<(WebhookSource, Server), ServeError> {
    // Unbounded channel, bound checked under `room` (a bounded one allocates every slot).
    let (tx, rx) = unbounded();
    let shared = Arc::new(Shared {
        tx,
        capacity: cfg.queue.max(1),
        room: Mutex::new(()),
        hostname: hostname.to_owned(),
        source: source.to_owned(),
        max_event_bytes: cfg.max_event_bytes,
        requests: AtomicU64::new(0),
        rejected,
    });
    let router = Router::new()
        .route(&cfg.endpoint, post(receive))
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .with_state(shared);
    let server = serve("k8s-audit-webhook", cfg.listen, cfg.tls.as_ref(), router)?;
    let src = WebhookSource {
        rx,
        source: source.to_owned(),
        addr: server.addr,
        endpoint: cfg.endpoint.clone(),
        num: 0,
    };
    Ok((src, server))
}

async fn receive(
    State(s): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let n = s.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let origin = || format!("request {n} from {peer}");
    // As the k8saudit plugin: the API server sends application/json.
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if !json {
        return (StatusCode::BAD_REQUEST, "wrong Content Type\n");
    }
    let doc = match Doc::from_bytes(body.to_vec()) {
        Ok(d) if d.root().is_object() || d.root().is_array() => d,
        Ok(_) => {
            let m = Malformed {
                origin: origin(),
                error: "body is not a JSON object".into(),
            };
            let _ = s.tx.try_send(Pull::Malformed(m));
            return (
                StatusCode::BAD_REQUEST,
                "body is not an audit Event or EventList\n",
            );
        }
        Err(e) => {
            let m = Malformed {
                origin: origin(),
                error: format!("invalid JSON: {e}"),
            };
            let _ = s.tx.try_send(Pull::Malformed(m));
            return (StatusCode::BAD_REQUEST, "invalid JSON\n");
        }
    };
    // An `EventList`'s items, an array's elements, or the one event.
    let root = doc.root();
    let items: Vec<V<'_>> = match root.get("items").and_then(V::as_array) {
        Some(a) => a.collect(),
        None => match root.as_array() {
            Some(a) => a.collect(),
            None => vec![root],
        },
    };
    let mut batch = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        if item.is_object() {
            // Each event gets a compact copy of its text (its size as the plugin measures).
            let item = item.to_doc();
            let size = item.text().len();
            if size > s.max_event_bytes {
                batch.push(Pull::Malformed(Malformed {
                    origin: format!("{} item {}", origin(), i + 1),
                    error: format!("event larger than maxEventSize: size={size}"),
                }));
                continue;
            }
            batch.push(Pull::Event(read_event(&s.source, item, &s.hostname)));
        } else {
            batch.push(Pull::Malformed(Malformed {
                origin: format!("{} item {}", origin(), i + 1),
                error: "event is not a JSON object".into(),
            }));
        }
    }
    let _room = s.room.lock().unwrap_or_else(|e| e.into_inner());
    if s.tx.len() + batch.len() > s.capacity {
        s.rejected.inc();
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "event queue full, retry later\n",
        );
    }
    for e in batch {
        // Room was checked under the lock and only this function sends: cannot be full.
        if s.tx.try_send(e).is_err() {
            s.rejected.inc();
            return (StatusCode::SERVICE_UNAVAILABLE, "agent stopping\n");
        }
    }
    (StatusCode::OK, "")
}

impl WebhookSource {
    /// The address the webhook listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl EventSource for WebhookSource {
    type Ev = JsonEvent;

    fn source(&self) -> &str {
        &self.source
    }

    fn describe(&self) -> String {
        format!(
            "{} events from the webhook on {}{}",
            self.source, self.addr, self.endpoint
        )
    }

    fn pull(&mut self) -> Pull<JsonEvent> {
        match self.rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Pull::Event(mut e)) => {
                self.num += 1;
                e.num = self.num;
                Pull::Event(e)
            }
            Ok(other) => other,
            Err(RecvTimeoutError::Timeout) => Pull::Idle,
            Err(RecvTimeoutError::Disconnected) => Pull::End,
        }
    }
}
