//! The agent process: outputs, webserver, sources, reloads, signals and shutdown.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{bounded, select, Receiver, Sender};
use rulec_ir::bundle::sign::{read_verifying_key, VerifyingKey};

use super::alert::AlertFormat;
use super::config::{AgentConfig, SourceConfig};
use super::eval::{run_source, EvalConfig, SourceSummary};
use super::metrics::Metrics;
use super::outputs::file::FileSink;
use super::outputs::http::HttpSink;
use super::outputs::program::ProgramSink;
use super::outputs::stdout::StdoutSink;
use super::outputs::syslog::SyslogSink;
use super::outputs::{Dispatcher, OutputSummary};
use super::rules::{EngineChoice, RuleSet, Rules};
use super::source::json::{JsonOptions, JsonSource};
use super::source::webhook;
use super::web::{self, Server, Versions};

/// The agent's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The configuration is invalid.
    #[error("{0}")]
    Config(String),
    /// The rules could not be loaded.
    #[error("{0}")]
    Rules(String),
    /// An output could not be set up.
    #[error("output {name}: {error}")]
    Output {
        /// Which output.
        name: String,
        /// Why.
        error: String,
    },
    /// A source could not start.
    #[error("{0}")]
    Source(String),
    /// A server could not start.
    #[error("{0}")]
    Server(String),
}

/// Where the rules come from.
pub enum RulesFrom {
    /// A bundle file: watched and reloaded.
    Bundle(PathBuf),
    /// A rule set built in-process (`falco-rulec run`): not reloaded.
    Built(Box<RuleSet>),
}

/// What the agent did, when it stopped.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Per source.
    pub sources: Vec<SourceSummary>,
    /// Per output.
    pub outputs: Vec<OutputSummary>,
    /// Successful reloads.
    pub reloads: u64,
    /// Refused reloads.
    pub failed_reloads: u64,
}

/// A running agent (see [`Agent::start`]); [`Agent::wait`] runs it to the end.
pub struct Agent {
    cfg: AgentConfig,
    rules: Arc<Rules>,
    metrics: Arc<Metrics>,
    dispatcher: Arc<Dispatcher>,
    stop: Arc<AtomicBool>,
    sources: Vec<(JoinHandle<SourceSummary>, bool)>,
    webhooks: Vec<Server>,
    webserver: Option<Server>,
    reload_tx: Sender<ReloadRequest>,
    reloader: Option<JoinHandle<(u64, u64)>>,
    _watcher: Option<notify::RecommendedWatcher>,
    stop_rx: Receiver<()>,
    stop_tx: Sender<()>,
    /// Addresses the webhooks listen on.
    pub webhook_addrs: Vec<std::net::SocketAddr>,
    /// Address of the webserver.
    pub webserver_addr: Option<std::net::SocketAddr>,
}

enum ReloadRequest {
    Reload(&'static str),
    Quit,
}

/// Reads the trusted public keys.
pub fn trusted_keys(paths: &[PathBuf]) -> Result<Vec<VerifyingKey>, AgentError> {
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| {
                AgentError::Rules(format!("cannot read trusted key {}: {e}", p.display()))
            })?;
            read_verifying_key(&text)
                .map_err(|e| AgentError::Rules(format!("trusted key {}: {e}", p.display())))
        })
        .collect()
}

/// Reads the bundle at `path` with the configured trusted keys and engine.
fn load_bundle(cfg: &AgentConfig, path: &Path) -> Result<RuleSet, AgentError> {
    let keys = trusted_keys(&cfg.trusted_keys)?;
    RuleSet::load(
        path,
        &keys,
        EngineChoice {
            backend: cfg.engine,
        },
    )
    .map_err(|e| AgentError::Rules(e.to_string()))
}

/// Loads the first rule set.
pub fn load_rules(
    cfg: &AgentConfig,
    from: RulesFrom,
) -> Result<(RuleSet, Option<PathBuf>), AgentError> {
    match from {
        RulesFrom::Built(set) => Ok((*set, None)),
        RulesFrom::Bundle(path) => Ok((load_bundle(cfg, &path)?, Some(path))),
    }
}

fn eval_config(cfg: &AgentConfig) -> EvalConfig {
    EvalConfig {
        priority: cfg.priority,
        rule_matching: cfg.rule_matching,
        rate_limit: cfg.rate_limit,
        cost_sample: cfg.rule_cost_sample,
        format: AlertFormat {
            json: cfg.json_output,
            include_output: cfg.json_include_output_property,
            include_message: cfg.json_include_message_property,
            include_output_fields: cfg.json_include_output_fields_property,
            include_tags: cfg.json_include_tags_property,
            iso8601: cfg.time_format_iso_8601,
            hostname: cfg.hostname.clone(),
        },
        append_output: cfg.append_output.clone(),
    }
}

fn outputs(cfg: &AgentConfig, metrics: &Metrics) -> Result<Dispatcher, AgentError> {
    let mut d = Dispatcher::new();
    let cap = cfg.outputs_queue_capacity;
    let idle = Duration::from_millis(if cfg.buffered_outputs { 200 } else { 50 });
    let err = |name: &str, e: &dyn std::fmt::Display| AgentError::Output {
        name: name.to_owned(),
        error: e.to_string(),
    };
    if cfg.stdout_output {
        d.add(
            "stdout",
            Box::new(StdoutSink::new(cfg.buffered_outputs)),
            cap,
            idle,
            metrics,
        );
    }
    if let Some(f) = &cfg.file_output {
        let s = FileSink::new(f.clone()).map_err(|e| err("file", &e))?;
        d.add("file", Box::new(s), cap, idle, metrics);
    }
    if cfg.syslog_output {
        // Falco's ::syslog() never fails a start: a node without a syslog daemon (many
        // containers) runs without this output, and says so.
        match SyslogSink::new(cfg.syslog_socket.as_deref()) {
            Ok(s) => d.add("syslog", Box::new(s), cap, idle, metrics),
            Err(e) => tracing::warn!(error = %e, "syslog output disabled: no syslog socket"),
        }
    }
    if let Some(p) = &cfg.program_output {
        let s = ProgramSink::new(p.clone()).map_err(|e| err("program", &e))?;
        d.add("program", Box::new(s), cap, idle, metrics);
    }
    if let Some(h) = &cfg.http_output {
        let s = HttpSink::new(h.clone()).map_err(|e| err("http", &e))?;
        d.add("http", Box::new(s), cap, idle, metrics);
    }
    Ok(d)
}

fn publish_rule_metrics(metrics: &Metrics, set: &RuleSet) {
    for p in &set.bundle.programs {
        metrics
            .rules_loaded
            .get_or_create(&vec![("source", p.source.clone())])
            .set(i64::try_from(p.rules.len()).unwrap_or(i64::MAX));
    }
    metrics.rules_files_info.clear();
    for f in &set.bundle.files {
        metrics
            .rules_files_info
            .get_or_create(&vec![
                ("file_name", f.name.clone()),
                ("sha256", rulec_ir::bundle::hex(&f.sha256)),
            ])
            .set(1);
    }
    let secs = set
        .loaded_at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    metrics
        .rules_loaded_at
        .set(i64::try_from(secs).unwrap_or(i64::MAX));
}

impl Agent {
    /// Starts outputs, the webserver, every source and the reload watcher.
    pub fn start(cfg: AgentConfig, from: RulesFrom) -> Result<Agent, AgentError> {
        let (set, path) = load_rules(&cfg, from)?;
        let metrics = Arc::new(Metrics::new(VERSION));
        publish_rule_metrics(&metrics, &set);
        tracing::info!(
            rules = set.bundle.rules.iter().filter(|r| r.enabled).count(),
            sources = ?set.sources(),
            checksum = %set.checksum_hex(),
            signed_by = ?set.info.signer.map(|k| rulec_ir::bundle::hex(&k)),
            load_ms = set.build_time.as_secs_f64() * 1e3,
            "rules loaded"
        );
        let dispatcher = Arc::new(outputs(&cfg, &metrics)?);
        if dispatcher.is_empty() {
            tracing::warn!("no output is enabled: alerts are counted but not written anywhere");
        }
        let rules = Arc::new(Rules::new(set));
        let stop = Arc::new(AtomicBool::new(false));
        let (stop_tx, stop_rx) = bounded(4);
        let mut agent = Agent {
            webserver: None,
            webhooks: Vec::new(),
            sources: Vec::new(),
            reload_tx: bounded(1).0,
            reloader: None,
            _watcher: None,
            stop_rx,
            stop_tx,
            webhook_addrs: Vec::new(),
            webserver_addr: None,
            cfg,
            rules,
            metrics,
            dispatcher,
            stop,
        };
        agent.start_webserver()?;
        agent.start_sources()?;
        agent.start_reloader(path);
        Ok(agent)
    }

    fn start_webserver(&mut self) -> Result<(), AgentError> {
        let Some(ws) = &self.cfg.webserver else {
            return Ok(());
        };
        let metrics =
            (ws.prometheus_metrics && self.cfg.metrics_enabled).then(|| Arc::clone(&self.metrics));
        if ws.prometheus_metrics && !self.cfg.metrics_enabled {
            tracing::warn!(
                "webserver.prometheus_metrics_enabled needs metrics.enabled: /metrics is off"
            );
        }
        let rules = Arc::clone(&self.rules);
        let versions = Arc::new(move || {
            let (set, _) = rules.current();
            Versions {
                falco_rulec_agent_version: VERSION.to_owned(),
                bundle_format_version: rulec_ir::bundle::FORMAT_VERSION,
                engine_version: set.bundle.header.engine_version.clone(),
                bundle_compiler_version: set.bundle.header.compiler_version.clone(),
            }
        });
        let router = web::router(&ws.healthz, metrics, versions);
        let server = web::serve("webserver", ws.listen, ws.tls.as_ref(), router)
            .map_err(|e| AgentError::Server(e.to_string()))?;
        tracing::info!(addr = %server.addr, "webserver listening");
        self.webserver_addr = Some(server.addr);
        self.webserver = Some(server);
        Ok(())
    }

    fn spawn_source<S: super::source::EventSource + 'static>(
        &mut self,
        src: S,
        drain: bool,
    ) -> Result<(), AgentError> {
        let rules = Arc::clone(&self.rules);
        let dispatcher = Arc::clone(&self.dispatcher);
        let metrics = Arc::clone(&self.metrics);
        let stop = Arc::clone(&self.stop);
        let cfg = eval_config(&self.cfg);
        let stop_tx = self.stop_tx.clone();
        let name = format!("source-{}", src.source());
        self.metrics
            .evt_source_info
            .get_or_create(&vec![("evt_source", src.source().to_owned())])
            .set(1);
        tracing::info!(source = %src.describe(), "source started");
        let h = std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                let cx = super::eval::LoopContext {
                    rules: &rules,
                    dispatcher: &dispatcher,
                    metrics: &metrics,
                    cfg: &cfg,
                    stop: &stop,
                };
                let s = run_source(src, &cx, drain);
                tracing::info!(source = %s.name, events = s.events, malformed = s.malformed, alerts = s.alerts, "source ended");
                let _ = stop_tx.try_send(());
                s
            })
            .map_err(|e| AgentError::Source(format!("cannot start a source thread: {e}")))?;
        self.sources.push((h, drain));
        Ok(())
    }

    fn start_sources(&mut self) -> Result<(), AgentError> {
        let srcs = self.cfg.sources.clone();
        if srcs.is_empty() {
            return Err(AgentError::Config(
                "no event source configured: add rulec.sources, a k8saudit/cloudtrail plugin, or --input SOURCE=PATH".into(),
            ));
        }
        for s in srcs {
            match s {
                SourceConfig::Files { source, inputs } => {
                    let src = JsonSource::new(
                        &source,
                        inputs,
                        &self.cfg.hostname,
                        JsonOptions::default(),
                    )
                    .map_err(|e| AgentError::Source(e.to_string()))?;
                    self.spawn_source(src, false)?;
                }
                SourceConfig::Webhook { source, cfg } => {
                    let rejected = self
                        .metrics
                        .webhook_rejected
                        .get_or_create(&vec![("source", source.clone())])
                        .clone();
                    let (src, server) = webhook::start(&cfg, &source, &self.cfg.hostname, rejected)
                        .map_err(|e| AgentError::Server(e.to_string()))?;
                    tracing::info!(addr = %server.addr, endpoint = %cfg.endpoint, tls = cfg.tls.is_some(), "k8s audit webhook listening");
                    self.webhook_addrs.push(server.addr);
                    self.webhooks.push(server);
                    self.spawn_source(src, true)?;
                }
            }
        }
        Ok(())
    }

    fn start_reloader(&mut self, path: Option<PathBuf>) {
        let (tx, rx) = bounded::<ReloadRequest>(16);
        self.reload_tx = tx.clone();
        let Some(path) = path else {
            return;
        };
        if self.cfg.watch_bundle {
            match watch(&path, tx) {
                Ok(w) => self._watcher = Some(w),
                Err(e) => {
                    tracing::warn!(bundle = %path.display(), error = %e, "cannot watch the bundle: reload with SIGHUP")
                }
            }
        }
        let rules = Arc::clone(&self.rules);
        let metrics = Arc::clone(&self.metrics);
        let cfg = self.cfg.clone();
        self.reloader = std::thread::Builder::new()
            .name("reloader".into())
            .spawn(move || reload_loop(&path, &rx, &rules, &metrics, &cfg))
            .ok();
    }

    /// Asks for a reload of the bundle (what SIGHUP does).
    pub fn reload(&self) {
        let _ = self.reload_tx.try_send(ReloadRequest::Reload("request"));
    }

    /// Asks outputs to reopen files and restart programs (what SIGUSR1 does).
    pub fn reopen_outputs(&self) {
        self.dispatcher.reopen();
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The rules.
    pub fn rules(&self) -> &Arc<Rules> {
        &self.rules
    }

    /// A handle that stops, reloads or reopens the agent from another thread (signals).
    pub fn control(&self) -> Control {
        Control {
            stop: Arc::clone(&self.stop),
            tx: self.stop_tx.clone(),
            reload: self.reload_tx.clone(),
            dispatcher: Arc::downgrade(&self.dispatcher),
        }
    }

    /// Runs until every source ended (files read, stdin closed) or a stop was requested,
    /// then shuts down: sources stop (webhooks stop accepting and their acknowledged events
    /// are evaluated), queued alerts drain until the shutdown deadline, final counts are
    /// logged and returned.
    pub fn wait(self) -> Summary {
        let endless = self.sources.iter().any(|(_, drain)| *drain);
        loop {
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            if !endless && self.sources.iter().all(|(h, _)| h.is_finished()) {
                break;
            }
            let _ = self.stop_rx.recv_timeout(Duration::from_millis(200));
        }
        self.shutdown()
    }

    fn shutdown(mut self) -> Summary {
        tracing::info!("shutting down");
        self.stop.store(true, Ordering::Relaxed);
        let grace = self.cfg.shutdown_timeout;
        for s in self.webhooks.drain(..) {
            s.shutdown(grace);
        }
        let mut summary = Summary::default();
        for (h, _) in self.sources.drain(..) {
            if let Ok(s) = h.join() {
                summary.sources.push(s);
            }
        }
        let _ = self.reload_tx.try_send(ReloadRequest::Quit);
        drop(self._watcher.take());
        if let Some(r) = self.reloader.take() {
            if let Ok((ok, failed)) = r.join() {
                summary.reloads = ok;
                summary.failed_reloads = failed;
            }
        }
        let deadline = Instant::now() + grace;
        match Arc::try_unwrap(self.dispatcher) {
            Ok(d) => summary.outputs = d.shutdown(deadline),
            Err(_) => tracing::error!("outputs still in use at shutdown"),
        }
        if let Some(ws) = self.webserver.take() {
            ws.shutdown(Duration::from_millis(500));
        }
        for s in &summary.sources {
            tracing::info!(source = %s.name, events = s.events, malformed = s.malformed, alerts = s.alerts, "final source counts");
        }
        for o in &summary.outputs {
            tracing::info!(output = %o.name, delivered = o.delivered, dropped = o.dropped, failed = o.failed, "final output counts");
        }
        summary
    }
}

/// Controls an agent from another thread (the signal thread).
#[derive(Clone)]
pub struct Control {
    stop: Arc<AtomicBool>,
    tx: Sender<()>,
    reload: Sender<ReloadRequest>,
    dispatcher: std::sync::Weak<Dispatcher>,
}

impl Control {
    /// Requests the shutdown (SIGINT, SIGTERM).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.tx.try_send(());
    }

    /// Requests a reload of the bundle (SIGHUP).
    pub fn reload(&self) {
        if self
            .reload
            .try_send(ReloadRequest::Reload("SIGHUP"))
            .is_err()
        {
            tracing::warn!("reload not possible: the rules were not loaded from a bundle file, or a reload is pending");
        }
    }

    /// Asks the outputs to reopen their files and restart their programs (SIGUSR1).
    pub fn reopen(&self) {
        if let Some(d) = self.dispatcher.upgrade() {
            d.reopen();
        }
    }
}

fn watch(path: &Path, tx: Sender<ReloadRequest>) -> notify::Result<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher};
    let file = path.file_name().map(std::ffi::OsStr::to_os_string);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut w = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(ev) = res else {
            return;
        };
        let relevant = matches!(
            ev.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        ) && ev
            .paths
            .iter()
            .any(|p| p.file_name().map(std::ffi::OsStr::to_os_string) == file);
        if relevant {
            let _ = tx.try_send(ReloadRequest::Reload("file changed"));
        }
    })?;
    // Watch the directory: editors and `mv` replace the file (a new inode).
    w.watch(&dir, RecursiveMode::NonRecursive)?;
    Ok(w)
}

fn reload_loop(
    path: &Path,
    rx: &Receiver<ReloadRequest>,
    rules: &Rules,
    metrics: &Metrics,
    cfg: &AgentConfig,
) -> (u64, u64) {
    let (mut ok, mut failed) = (0u64, 0u64);
    let result = |r: &str| {
        metrics
            .reloads
            .get_or_create(&vec![("result", r.to_owned())])
            .clone()
    };
    let (c_ok, c_failed, c_same) = (result("ok"), result("failed"), result("unchanged"));
    loop {
        let why = match rx.recv() {
            Ok(ReloadRequest::Reload(why)) => why,
            Ok(ReloadRequest::Quit) | Err(_) => return (ok, failed),
        };
        // Let a burst of file events (a write in several chunks, an editor's rename dance)
        // settle before reading.
        let settle = Instant::now() + Duration::from_millis(150);
        loop {
            let left = settle.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            select! {
                recv(rx) -> m => if matches!(m, Ok(ReloadRequest::Quit) | Err(_)) { return (ok, failed) },
                default(left) => break,
            }
        }
        let t = Instant::now();
        match load_bundle(cfg, path) {
            Ok(set) => {
                if set.info.checksum == rules.current().0.info.checksum {
                    c_same.inc();
                    tracing::debug!(reason = why, "bundle unchanged");
                    continue;
                }
                let n = set.bundle.rules.iter().filter(|r| r.enabled).count();
                let checksum = set.checksum_hex();
                publish_rule_metrics(metrics, &set);
                rules.replace(set);
                ok += 1;
                c_ok.inc();
                tracing::info!(reason = why, rules = n, checksum = %checksum, ms = t.elapsed().as_secs_f64() * 1e3, "rules reloaded");
            }
            Err(e) => {
                failed += 1;
                c_failed.inc();
                tracing::error!(reason = why, error = %e, "reload refused: the running rules stay");
            }
        }
    }
}
