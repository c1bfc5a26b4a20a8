//! Falco's `http_output`: every alert POSTed to a URL.
//!
//! The body is the alert line, `Content-Type: application/json` for JSON alerts and
//! `text/plain` otherwise (gzipped with `Content-Encoding: gzip` under `compress_uploads`).
//! A 2xx answer delivers the alert. Ours: a connection error, a timeout, a 5xx or a 429 is
//! retried `retries` times with a doubling backoff (capped at 5 s); any other answer fails
//! at once. After `max_consecutive_timeouts` alerts in a row failed on timeouts, the output
//! stops waiting for the receiver (a circuit breaker): alerts fail at once, and one probe
//! request is tried every [`PROBE_INTERVAL`] until one is answered with a 2xx.
//!
//! TLS is rustls: `insecure` disables verification; `ca_cert`, `ca_bundle` and every PEM
//! file in `ca_path` are the trusted roots when any is set (as curl's `CAINFO`/`CAPATH`,
//! they replace the built-in Mozilla roots); `mtls` presents `client_cert`/`client_key`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ureq::tls::{Certificate, ClientCert, PemItem, RootCerts, TlsConfig};

use super::{OutputError, Sink};
use crate::agent::alert::AlertRecord;

/// How often a probe request is tried while the circuit breaker is open.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(5);

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The most of a response body read (and echoed).
const BODY_LIMIT: u64 = 64 * 1024;

/// Configuration of the HTTP output (`http_output` in `falco.yaml`, plus our retry keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOutputConfig {
    /// Where alerts are POSTed (`http://` or `https://`).
    pub url: String,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Do not verify the server's certificate.
    pub insecure: bool,
    /// A PEM CA certificate to trust.
    pub ca_cert: Option<PathBuf>,
    /// A PEM bundle of CA certificates to trust.
    pub ca_bundle: Option<PathBuf>,
    /// A directory of PEM CA certificates to trust.
    pub ca_path: Option<PathBuf>,
    /// Present a client certificate (mutual TLS).
    pub mtls: bool,
    /// The PEM client certificate (chain) for `mtls`.
    pub client_cert: Option<PathBuf>,
    /// The PEM private key of `client_cert`.
    pub client_key: Option<PathBuf>,
    /// Log the receiver's answers (at debug level).
    pub echo: bool,
    /// Gzip request bodies.
    pub compress_uploads: bool,
    /// Reuse the connection between alerts.
    pub keep_alive: bool,
    /// Alerts failing on timeouts in a row before the circuit breaker opens (0: never).
    pub max_consecutive_timeouts: u32,
    /// Ours: retries of an alert after a connection error, timeout, 5xx or 429.
    pub retries: u32,
    /// Ours: the wait before the first retry, doubled for each next one (at most 5 s).
    pub backoff: Duration,
    /// Ours: the time one request may take (Falco's `output_timeout`).
    pub timeout: Duration,
}

impl Default for HttpOutputConfig {
    fn default() -> Self {
        HttpOutputConfig {
            url: String::new(),
            user_agent: "falcosecurity/falco".to_owned(),
            insecure: false,
            ca_cert: None,
            ca_bundle: None,
            ca_path: None,
            mtls: false,
            client_cert: None,
            client_key: None,
            echo: false,
            compress_uploads: false,
            keep_alive: false,
            max_consecutive_timeouts: 5,
            retries: 3,
            backoff: Duration::from_millis(100),
            timeout: Duration::from_secs(2),
        }
    }
}

/// POSTs alerts to a URL.
pub struct HttpSink {
    cfg: HttpOutputConfig,
    agent: ureq::Agent,
    /// Alerts in a row that failed on a timeout.
    consecutive_timeouts: u32,
    /// While the breaker is open: when the last probe (or the opening) was.
    last_probe: Option<Instant>,
    body: Vec<u8>,
}

/// The outcome of one request.
enum Attempt {
    Delivered,
    /// Worth retrying; `timeout` when the receiver did not answer in time.
    Retry {
        error: String,
        timeout: bool,
    },
    /// Retrying will not help.
    Fatal(String),
}

impl HttpSink {
    /// Checks the URL and loads the TLS files; errors name the offending key.
    pub fn new(cfg: HttpOutputConfig) -> Result<HttpSink, OutputError> {
        check_url(&cfg.url)?;
        let tls = tls_config(&cfg)?;
        let idle = if cfg.keep_alive { 1 } else { 0 };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(cfg.timeout))
            .user_agent(cfg.user_agent.as_str())
            .max_redirects(0)
            .max_idle_connections(idle)
            .max_idle_connections_per_host(idle)
            .tls_config(tls)
            .build();
        Ok(HttpSink {
            agent: ureq::Agent::new_with_config(config),
            cfg,
            consecutive_timeouts: 0,
            last_probe: None,
            body: Vec::new(),
        })
    }

    /// True while the circuit breaker is open (the receiver kept timing out).
    pub fn breaker_open(&self) -> bool {
        self.cfg.max_consecutive_timeouts > 0
            && self.consecutive_timeouts >= self.cfg.max_consecutive_timeouts
    }

    fn attempt(&self, content_type: &str) -> Attempt {
        let mut req = self
            .agent
            .post(self.cfg.url.as_str())
            .header("Content-Type", content_type);
        if self.cfg.compress_uploads {
            req = req.header("Content-Encoding", "gzip");
        }
        match req.send(self.body.as_slice()) {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                // Read the answer so that a kept-alive connection can be reused.
                let answer = resp
                    .body_mut()
                    .with_config()
                    .limit(BODY_LIMIT)
                    .lossy_utf8(true)
                    .read_to_string();
                if self.cfg.echo {
                    let answer = answer.unwrap_or_else(|e| format!("<unreadable: {e}>"));
                    tracing::debug!(url = %self.cfg.url, status, body = %answer, "http output answer");
                }
                match status {
                    200..=299 => Attempt::Delivered,
                    429 | 500..=599 => Attempt::Retry {
                        error: format!("status {status}"),
                        timeout: false,
                    },
                    _ => Attempt::Fatal(format!("status {status}")),
                }
            }
            Err(e) => classify(e),
        }
    }

    /// Counts an alert that failed (`timed_out`: on a timeout) and opens the breaker at the
    /// threshold.
    fn note_failure(&mut self, timed_out: bool) {
        if !timed_out {
            self.consecutive_timeouts = 0;
            return;
        }
        self.consecutive_timeouts = self.consecutive_timeouts.saturating_add(1);
        if self.cfg.max_consecutive_timeouts > 0
            && self.consecutive_timeouts == self.cfg.max_consecutive_timeouts
        {
            self.last_probe = Some(Instant::now());
            tracing::warn!(
                url = %self.cfg.url,
                timeouts = self.consecutive_timeouts,
                "http receiver keeps timing out: alerts fail at once until it answers again"
            );
        }
    }

    fn fail(&self, msg: &str) -> OutputError {
        OutputError::Other(format!("http output `{}`: {msg}", self.cfg.url))
    }

    /// One request while the breaker is open, at most every [`PROBE_INTERVAL`].
    fn probe(&mut self, content_type: &str) -> Result<(), OutputError> {
        let now = Instant::now();
        if let Some(t) = self.last_probe {
            let since = now.duration_since(t);
            if since < PROBE_INTERVAL {
                return Err(self.fail(&format!(
                    "{} alerts in a row timed out: skipped, next probe in {:.1}s",
                    self.consecutive_timeouts,
                    (PROBE_INTERVAL - since).as_secs_f64()
                )));
            }
        }
        self.last_probe = Some(now);
        match self.attempt(content_type) {
            Attempt::Delivered => {
                self.consecutive_timeouts = 0;
                self.last_probe = None;
                tracing::info!(url = %self.cfg.url, "http receiver answers again");
                Ok(())
            }
            Attempt::Retry { error, .. } | Attempt::Fatal(error) => {
                Err(self.fail(&format!("probe failed: {error}")))
            }
        }
    }
}

impl Sink for HttpSink {
    fn write(&mut self, alert: &AlertRecord) -> Result<(), OutputError> {
        let content_type = if alert.is_json {
            "application/json"
        } else {
            "text/plain"
        };
        self.body.clear();
        if self.cfg.compress_uploads {
            let mut gz = flate2::write::GzEncoder::new(
                std::mem::take(&mut self.body),
                flate2::Compression::default(),
            );
            gz.write_all(alert.line.as_bytes())?;
            self.body = gz.finish()?;
        } else {
            self.body.extend_from_slice(alert.line.as_bytes());
        }
        if self.breaker_open() {
            return self.probe(content_type);
        }
        let mut delay = self.cfg.backoff;
        let mut attempt = 0u32;
        loop {
            match self.attempt(content_type) {
                Attempt::Delivered => {
                    self.consecutive_timeouts = 0;
                    return Ok(());
                }
                Attempt::Fatal(error) => {
                    self.note_failure(false);
                    return Err(self.fail(&error));
                }
                Attempt::Retry { error, timeout } => {
                    if attempt >= self.cfg.retries {
                        self.note_failure(timeout);
                        let tries = attempt.saturating_add(1);
                        return Err(self.fail(&format!("{error} (after {tries} attempts)")));
                    }
                    tracing::debug!(url = %self.cfg.url, %error, attempt, "http output: retrying");
                    std::thread::sleep(delay);
                    delay = delay.saturating_mul(2).min(MAX_BACKOFF);
                    attempt += 1;
                }
            }
        }
    }
}

/// Sorts a request error into worth retrying (and whether it is a timeout) or not.
fn classify(e: ureq::Error) -> Attempt {
    use std::io::ErrorKind;
    match e {
        ureq::Error::Timeout(t) => Attempt::Retry {
            error: format!("timeout ({t})"),
            timeout: true,
        },
        ureq::Error::Io(io) => {
            let tls = io
                .get_ref()
                .is_some_and(|i| i.downcast_ref::<rustls::Error>().is_some());
            if tls {
                Attempt::Fatal(format!("tls: {io}"))
            } else {
                let timeout = matches!(io.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock);
                Attempt::Retry {
                    error: io.to_string(),
                    timeout,
                }
            }
        }
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound | ureq::Error::Protocol(_) => {
            Attempt::Retry {
                error: e.to_string(),
                timeout: false,
            }
        }
        other => Attempt::Fatal(other.to_string()),
    }
}

/// An error about configuration key `key`.
fn key_error(key: &str, msg: &str) -> OutputError {
    OutputError::Other(format!("http_output.{key}: {msg}"))
}

fn check_url(url: &str) -> Result<(), OutputError> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| key_error("url", &format!("invalid URL `{url}`: {e}")))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(key_error(
                "url",
                &format!("invalid URL `{url}`: the scheme must be http or https"),
            ))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(key_error("url", &format!("invalid URL `{url}`: no host")));
    }
    Ok(())
}

/// The PEM items of file `path` (configuration key `key`).
fn read_pem(key: &str, path: &Path) -> Result<Vec<PemItem<'static>>, OutputError> {
    let pem = std::fs::read(path)
        .map_err(|e| key_error(key, &format!("cannot read `{}`: {e}", path.display())))?;
    ureq::tls::parse_pem(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| key_error(key, &format!("bad PEM in `{}`: {e}", path.display())))
}

/// The certificates of PEM file `path`; none is an error.
fn read_certs(key: &str, path: &Path) -> Result<Vec<Certificate<'static>>, OutputError> {
    let certs: Vec<_> = read_pem(key, path)?
        .into_iter()
        .filter_map(|i| match i {
            PemItem::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(key_error(
            key,
            &format!("no PEM certificate in `{}`", path.display()),
        ));
    }
    Ok(certs)
}

/// The certificates of every PEM file in directory `dir`; files without one are skipped.
fn read_cert_dir(key: &str, dir: &Path) -> Result<Vec<Certificate<'static>>, OutputError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| key_error(key, &format!("cannot read `{}`: {e}", dir.display())))?;
    let mut certs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            if let Ok(mut c) = read_certs(key, &path) {
                certs.append(&mut c);
            }
        }
    }
    if certs.is_empty() {
        return Err(key_error(
            key,
            &format!("no PEM certificate in directory `{}`", dir.display()),
        ));
    }
    Ok(certs)
}

/// The client certificate chain and key for `mtls`, checked by rustls.
fn client_cert(cfg: &HttpOutputConfig) -> Result<ClientCert, OutputError> {
    let cert_path = cfg
        .client_cert
        .as_deref()
        .ok_or_else(|| key_error("client_cert", "required with mtls"))?;
    let key_path = cfg
        .client_key
        .as_deref()
        .ok_or_else(|| key_error("client_key", "required with mtls"))?;
    let chain = read_certs("client_cert", cert_path)?;
    let key = read_pem("client_key", key_path)?
        .into_iter()
        .find_map(|i| match i {
            PemItem::PrivateKey(k) => Some(k),
            _ => None,
        })
        .ok_or_else(|| {
            key_error(
                "client_key",
                &format!("no PEM private key in `{}`", key_path.display()),
            )
        })?;
    check_client_auth(&chain, key_path)?;
    Ok(ClientCert::new_with_certs(&chain, key))
}

/// Fails as rustls would at the first request (where ureq panics) on an unusable key.
fn check_client_auth(chain: &[Certificate<'static>], key_path: &Path) -> Result<(), OutputError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| {
        key_error(
            "client_key",
            &format!("bad private key in `{}`: {e}", key_path.display()),
        )
    })?;
    let chain = chain
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| key_error("client_key", &e.to_string()))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_client_auth_cert(chain, key)
        .map_err(|e| key_error("client_key", &format!("unusable client key: {e}")))?;
    Ok(())
}

fn tls_config(cfg: &HttpOutputConfig) -> Result<TlsConfig, OutputError> {
    let mut roots = Vec::new();
    if let Some(p) = &cfg.ca_cert {
        roots.append(&mut read_certs("ca_cert", p)?);
    }
    if let Some(p) = &cfg.ca_bundle {
        roots.append(&mut read_certs("ca_bundle", p)?);
    }
    if let Some(p) = &cfg.ca_path {
        roots.append(&mut read_cert_dir("ca_path", p)?);
    }
    let root_certs = if roots.is_empty() {
        RootCerts::WebPki
    } else {
        RootCerts::from(roots)
    };
    let client = if cfg.mtls {
        Some(client_cert(cfg)?)
    } else {
        None
    };
    Ok(TlsConfig::builder()
        .root_certs(root_certs)
        .disable_verification(cfg.insecure)
        .client_cert(client)
        .build())
}
