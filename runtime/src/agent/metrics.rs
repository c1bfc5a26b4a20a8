//! Prometheus metrics of the agent (served at `/metrics` by [`super::web`]).
//!
//! Names follow Falco's (`falcosecurity_falco_*`, `userspace/falco/falco_metrics.cpp`) where
//! Falco has the metric; ours are `falco_rulec_*`. Hot-path counters are resolved to their
//! atomic handles once per source thread and rule set, so counting an event costs one
//! uncontended atomic add.

use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::outputs::OutputCounters;

/// Labels as key/value pairs.
pub type Labels = Vec<(&'static str, String)>;

type CounterFamily = Family<Labels, Counter>;

/// Every metric of the agent.
pub struct Metrics {
    registry: Mutex<Registry>,
    /// Events read per source.
    pub events: CounterFamily,
    /// Malformed events skipped per source.
    pub malformed: CounterFamily,
    /// Rule matches (`rule_name`, `priority` as Falco's number, `source`).
    pub matches: CounterFamily,
    /// Alerts dropped by the per-rule rate limit.
    pub rate_limited: CounterFamily,
    /// Alerts below the priority threshold (not emitted).
    pub below_priority: CounterFamily,
    /// Output queue drops, all outputs (Falco's name).
    pub queue_drops_total: Counter,
    /// Per output: delivered, dropped, failed.
    pub output_delivered: CounterFamily,
    /// Per output drops.
    pub output_dropped: CounterFamily,
    /// Per output delivery failures.
    pub output_failed: CounterFamily,
    /// Seconds from event read to alert written, per output.
    pub alert_latency: Family<Labels, Histogram>,
    /// Reloads by result (`ok`, `failed`, `unchanged`).
    pub reloads: CounterFamily,
    /// Sampled evaluation time per rule, seconds.
    pub rule_cost_seconds: Family<Labels, Counter<f64, std::sync::atomic::AtomicU64>>,
    /// Number of samples behind `rule_cost_seconds`.
    pub rule_cost_samples: CounterFamily,
    /// Webhook requests refused because the source queue was full (503).
    pub webhook_rejected: CounterFamily,
    /// Rules loaded per source.
    pub rules_loaded: Family<Labels, Gauge>,
    /// Resident set size.
    pub memory_rss: Gauge,
    /// Virtual size.
    pub memory_vsz: Gauge,
    /// Seconds since the epoch when the rules were last loaded.
    pub rules_loaded_at: Gauge,
    /// The rules files of the running bundle with their SHA-256 (Falco's info metric).
    pub rules_files_info: Family<Labels, Gauge>,
    /// The event sources with a running source (Falco's info metric).
    pub evt_source_info: Family<Labels, Gauge>,
}

impl Metrics {
    /// A registry with every metric registered; `version` goes into the version info.
    pub fn new(version: &str) -> Metrics {
        let mut r = Registry::default();
        let version_info: Family<Labels, Gauge> = Family::default();
        version_info
            .get_or_create(&vec![("version", version.to_owned())])
            .set(1);
        r.register(
            "falcosecurity_falco_version_info",
            "Version of the agent",
            version_info,
        );
        let m = Metrics {
            registry: Mutex::new(Registry::default()),
            events: Family::default(),
            malformed: Family::default(),
            matches: Family::default(),
            rate_limited: Family::default(),
            below_priority: Family::default(),
            queue_drops_total: Counter::default(),
            output_delivered: Family::default(),
            output_dropped: Family::default(),
            output_failed: Family::default(),
            alert_latency: Family::new_with_constructor(latency_histogram),
            reloads: Family::default(),
            rule_cost_seconds: Family::default(),
            rule_cost_samples: Family::default(),
            webhook_rejected: Family::default(),
            rules_loaded: Family::default(),
            memory_rss: Gauge::default(),
            memory_vsz: Gauge::default(),
            rules_loaded_at: Gauge::default(),
            rules_files_info: Family::default(),
            evt_source_info: Family::default(),
        };
        let start: Gauge = Gauge::default();
        let ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        start.set(ns);
        r.register(
            "falcosecurity_falco_start_timestamp_nanoseconds",
            "When the agent started (ns since the epoch)",
            start,
        );
        r.register(
            "falcosecurity_falco_sha256_rules_files_info",
            "Rules files compiled into the running bundle, with their SHA-256",
            m.rules_files_info.clone(),
        );
        r.register(
            "falcosecurity_falco_evt_source_info",
            "Event sources the agent reads",
            m.evt_source_info.clone(),
        );
        r.register(
            "falcosecurity_falco_n_evts",
            "Events read, per event source",
            m.events.clone(),
        );
        r.register(
            "falco_rulec_events_malformed",
            "Malformed events skipped, per event source",
            m.malformed.clone(),
        );
        r.register(
            "falcosecurity_falco_rules_matches",
            "Rule matches, per rule",
            m.matches.clone(),
        );
        r.register(
            "falco_rulec_alerts_rate_limited",
            "Alerts suppressed by the per-rule rate limit",
            m.rate_limited.clone(),
        );
        r.register(
            "falco_rulec_alerts_below_priority",
            "Matches of rules below the configured priority threshold",
            m.below_priority.clone(),
        );
        r.register(
            "falcosecurity_falco_outputs_queue_num_drops",
            "Alerts dropped because an output queue was full, all outputs",
            m.queue_drops_total.clone(),
        );
        r.register(
            "falco_rulec_output_delivered",
            "Alerts delivered, per output",
            m.output_delivered.clone(),
        );
        r.register(
            "falco_rulec_output_dropped",
            "Alerts dropped (queue full, output gone, drain deadline), per output",
            m.output_dropped.clone(),
        );
        r.register(
            "falco_rulec_output_failures",
            "Alerts an output failed to deliver after its retries, per output",
            m.output_failed.clone(),
        );
        r.register(
            "falco_rulec_alert_latency_seconds",
            "Time from event read to alert written, per output",
            m.alert_latency.clone(),
        );
        r.register(
            "falco_rulec_reloads",
            "Rule bundle reloads, by result",
            m.reloads.clone(),
        );
        r.register(
            "falco_rulec_rule_eval_seconds",
            "Sampled evaluation time per rule (divide by the samples for the mean cost)",
            m.rule_cost_seconds.clone(),
        );
        r.register(
            "falco_rulec_rule_eval_samples",
            "Evaluations sampled per rule",
            m.rule_cost_samples.clone(),
        );
        r.register(
            "falco_rulec_webhook_rejected",
            "Webhook requests answered 503 because the source queue was full",
            m.webhook_rejected.clone(),
        );
        r.register(
            "falco_rulec_rules_loaded",
            "Enabled rules in the running bundle, per source",
            m.rules_loaded.clone(),
        );
        r.register(
            "falcosecurity_falco_memory_rss_bytes",
            "Resident set size of the agent",
            m.memory_rss.clone(),
        );
        r.register(
            "falcosecurity_falco_memory_vsz_bytes",
            "Virtual memory size of the agent",
            m.memory_vsz.clone(),
        );
        r.register(
            "falco_rulec_rules_loaded_timestamp_seconds",
            "When the running bundle was loaded (seconds since the epoch)",
            m.rules_loaded_at.clone(),
        );
        *m.registry.lock().unwrap_or_else(|e| e.into_inner()) = r;
        m
    }

    /// The counters of output `name`.
    pub fn output_counters(&self, name: &str) -> OutputCounters {
        let l = vec![("output", name.to_owned())];
        OutputCounters {
            delivered: self.output_delivered.get_or_create(&l).clone(),
            dropped: self.output_dropped.get_or_create(&l).clone(),
            all_dropped: self.queue_drops_total.clone(),
            latency: self.alert_latency.get_or_create(&l).clone(),
            failed: self.output_failed.get_or_create(&l).clone(),
        }
    }

    /// The Prometheus text exposition of every metric (memory gauges refreshed first).
    pub fn render(&self) -> String {
        if let Some((rss, vsz)) = memory() {
            self.memory_rss.set(rss);
            self.memory_vsz.set(vsz);
        }
        let mut out = String::new();
        let reg = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        if encode(&mut out, &reg).is_err() {
            out.clear();
        }
        out
    }
}

/// Latency buckets: 1 µs to about 17 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1e-6, 2.0, 25))
}

/// `(rss, vsz)` in bytes, from `/proc/self/statm`.
pub fn memory() -> Option<(i64, i64)> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let mut it = statm.split_whitespace().map(|x| x.parse::<i64>().ok());
    let vsz_pages = it.next()??;
    let rss_pages = it.next()??;
    let page = 4096;
    Some((rss_pages * page, vsz_pages * page))
}
