//! Alert outputs: every configured output runs in its own thread behind a bounded queue.
//!
//! The [`Dispatcher`] hands each alert to every output's queue without blocking: when a queue
//! is full (a slow or dead output), the alert is dropped *for that output*, counted in
//! `falcosecurity_falco_outputs_queue_num_drops_total{output}` and logged (rate-limited).
//! An output that fails to deliver (after its own retries) counts the alert in
//! `falco_rulec_output_failures_total{output}`. So every alert that evaluation produced is
//! either delivered, or counted as dropped or failed, per output: never lost silently.

pub mod file;
pub mod http;
pub mod program;
pub mod stdout;
pub mod syslog;

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use prometheus_client::metrics::counter::Counter;

use super::alert::AlertRecord;
use super::metrics::Metrics;

/// Why an output could not deliver an alert.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// An I/O error (file, pipe, socket).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Any other failure, with the output's own message.
    #[error("{0}")]
    Other(String),
}

/// One alert destination. A sink lives on its output's thread; it may block (slow disk, slow
/// HTTP receiver): only its own queue fills up.
pub trait Sink: Send {
    /// Delivers one alert line (already formatted: text or JSON, see [`AlertRecord::line`]).
    /// Retrying is the sink's business; an error means the alert is lost for this output.
    fn write(&mut self, alert: &AlertRecord) -> Result<(), OutputError>;
    /// Flushes buffered alerts (called when the queue is idle and at shutdown).
    fn flush(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    /// Reopens files or restarts programs (log rotation: SIGUSR1, as in Falco).
    fn reopen(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// A message on an output's queue.
pub enum Msg {
    /// Deliver this alert; the instant is when its event was read (for the latency metric).
    Alert(Arc<AlertRecord>, Instant),
    /// Reopen files / restart programs.
    Reopen,
}

/// The counters of one output.
#[derive(Clone)]
pub struct OutputCounters {
    /// Alerts delivered.
    pub delivered: Counter,
    /// Alerts dropped because the queue was full or the output was gone.
    pub dropped: Counter,
    /// Alerts the output failed to deliver.
    pub failed: Counter,
    /// The drops of every output together (Falco's total).
    pub all_dropped: Counter,
    /// Seconds from event read to alert written (flushed, for buffered outputs).
    pub latency: prometheus_client::metrics::histogram::Histogram,
}

impl OutputCounters {
    /// Counts `n` dropped alerts.
    pub fn count_drops(&self, n: u64) {
        self.dropped.inc_by(n);
        self.all_dropped.inc_by(n);
    }
}

/// How long an output thread waits after an alert when its queue is empty (wake-up batching).
const BATCH_WAIT: Duration = Duration::from_millis(1);

/// The output thread waits for an alert.
const IDLE: u8 = 0;
/// The output thread is writing an alert.
const WRITING: u8 = 1;
/// Shutdown gave up on the alert being written: it is counted as dropped, and the thread
/// must not count it delivered when the write returns after all.
const ABANDONED: u8 = 2;

struct Handle {
    name: String,
    tx: Sender<Msg>,
    /// Queue bound.
    capacity: usize,
    /// A receiver clone, to count what is still queued at shutdown.
    rx: Receiver<Msg>,
    counters: OutputCounters,
    thread: Option<JoinHandle<()>>,
    /// [`IDLE`], [`WRITING`] or [`ABANDONED`]: what the output thread is doing.
    state: Arc<AtomicU8>,
    last_drop_log: std::sync::Mutex<Option<Instant>>,
}

/// Fans alerts out to the outputs' queues.
pub struct Dispatcher {
    outputs: Vec<Handle>,
}

/// What became of the alerts of one output, at shutdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSummary {
    /// Output name.
    pub name: String,
    /// Delivered.
    pub delivered: u64,
    /// Dropped (full queue, gone output, or still queued when the drain deadline passed).
    pub dropped: u64,
    /// Failed to deliver.
    pub failed: u64,
}

impl Dispatcher {
    /// No outputs yet.
    pub fn new() -> Dispatcher {
        Dispatcher {
            outputs: Vec::new(),
        }
    }

    /// Starts `sink` on its own thread behind a queue of `capacity` alerts.
    /// `flush_idle`: how long the queue may stay idle before the sink is flushed.
    pub fn add(
        &mut self,
        name: &str,
        sink: Box<dyn Sink>,
        capacity: usize,
        flush_idle: Duration,
        metrics: &Metrics,
    ) {
        // An unbounded channel with the bound checked on send: a bounded crossbeam channel
        // allocates all its slots up front (megabytes for Falco-sized queues), this one
        // grows with what is queued.
        let (tx, rx) = unbounded::<Msg>();
        let counters = metrics.output_counters(name);
        let thread_rx = rx.clone();
        let c = counters.clone();
        let thread_name = format!("output-{name}");
        let label = name.to_owned();
        let state = Arc::new(AtomicU8::new(IDLE));
        let st = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || output_loop(&label, sink, &thread_rx, &c, flush_idle, &st))
            .ok();
        if thread.is_none() {
            tracing::error!(output = name, "cannot start the output thread");
        }
        self.outputs.push(Handle {
            name: name.to_owned(),
            tx,
            capacity: capacity.max(1),
            rx,
            counters,
            thread,
            state,
            last_drop_log: std::sync::Mutex::new(None),
        });
    }

    /// Number of outputs.
    pub fn len(&self) -> usize {
        self.outputs.len()
    }

    /// True without outputs.
    pub fn is_empty(&self) -> bool {
        self.outputs.is_empty()
    }

    /// Queues `alert` on every output without blocking; full queues drop and count it.
    pub fn send(&self, alert: &Arc<AlertRecord>) {
        self.send_timed(alert, Instant::now());
    }

    /// [`Dispatcher::send`] for an alert whose event was read at `read_at`: the outputs
    /// record the time from event read to alert written (`falco_rulec_alert_latency_seconds`).
    pub fn send_timed(&self, alert: &Arc<AlertRecord>, read_at: Instant) {
        for h in &self.outputs {
            // Several sources may pass this check at once: the queue may exceed its bound by
            // at most the number of sources.
            if h.tx.len() >= h.capacity {
                h.drop_one("queue full");
                continue;
            }
            match h.tx.try_send(Msg::Alert(Arc::clone(alert), read_at)) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => h.drop_one("queue full"),
                Err(TrySendError::Disconnected(_)) => h.drop_one("output stopped"),
            }
        }
    }

    /// Asks every output to reopen its files or restart its program.
    pub fn reopen(&self) {
        for h in &self.outputs {
            // A reopen request may wait for room: it is rare and not on the event path, but
            // it must not block it either, so a full queue skips it with a warning.
            if h.tx.try_send(Msg::Reopen).is_err() {
                tracing::warn!(output = %h.name, "queue full or output stopped: reopen skipped");
            }
        }
    }

    /// Closes the queues and waits until `deadline` for the outputs to deliver what is
    /// queued; whatever is still queued then is counted as dropped. Returns each output's
    /// final counts.
    pub fn shutdown(self, deadline: Instant) -> Vec<OutputSummary> {
        let mut out = Vec::new();
        let mut pending = Vec::new();
        for h in self.outputs {
            let Handle {
                name,
                tx,
                rx,
                counters,
                thread,
                state,
                ..
            } = h;
            drop(tx);
            pending.push((name, rx, counters, thread, state));
        }
        for (name, rx, counters, thread, state) in pending {
            if let Some(t) = thread {
                while !t.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(5));
                }
                if t.is_finished() {
                    let _ = t.join();
                } else {
                    // Take what is left away from the output and count it, with the alert
                    // being written if the write has not returned.
                    let mut left = u64::from(state.swap(ABANDONED, Ordering::AcqRel) == WRITING);
                    while let Ok(m) = rx.try_recv() {
                        if matches!(m, Msg::Alert(..)) {
                            left += 1;
                        }
                    }
                    if left > 0 {
                        counters.count_drops(left);
                        tracing::warn!(output = %name, alerts = left, "drain deadline passed: queued alerts dropped");
                    }
                }
            }
            out.push(OutputSummary {
                name,
                delivered: counters.delivered.get(),
                dropped: counters.dropped.get(),
                failed: counters.failed.get(),
            });
        }
        out
    }
}

impl Default for Dispatcher {
    fn default() -> Self {
        Dispatcher::new()
    }
}

impl Handle {
    fn drop_one(&self, why: &str) {
        self.counters.count_drops(1);
        // One warning per output per second at most, with the running total.
        let now = Instant::now();
        let mut last = self.last_drop_log.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1)) {
            *last = Some(now);
            tracing::warn!(
                output = %self.name,
                reason = why,
                dropped_total = self.counters.dropped.get(),
                "alert dropped for this output"
            );
        }
    }
}

fn output_loop(
    name: &str,
    mut sink: Box<dyn Sink>,
    rx: &Receiver<Msg>,
    c: &OutputCounters,
    flush_idle: Duration,
    state: &AtomicU8,
) {
    let mut dirty = false;
    loop {
        match rx.recv_timeout(flush_idle) {
            Ok(Msg::Alert(a, read_at)) => {
                if state
                    .compare_exchange(IDLE, WRITING, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
                {
                    // Abandoned by shutdown, which did not see this alert: count it here.
                    c.count_drops(1);
                    return;
                }
                let res = sink.write(&a);
                if state
                    .compare_exchange(WRITING, IDLE, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
                {
                    return; // counted as dropped by shutdown meanwhile
                }
                match res {
                    Ok(()) => {
                        c.delivered.inc();
                        // Until the sink returned: with buffered_outputs, the write may sit
                        // in the buffer until the next idle flush (at most `flush_idle`).
                        c.latency.observe(read_at.elapsed().as_secs_f64());
                    }
                    Err(e) => {
                        c.failed.inc();
                        tracing::error!(output = name, rule = %a.rule, error = %e, "alert not delivered");
                    }
                };
                dirty = true;
                // Batch wake-ups: a receiver parked on an empty queue makes every send a
                // futex wake and a context switch (about a third of the agent's CPU at 8,750
                // alerts in 200,000 events). Waiting a moment lets alerts of a burst queue
                // up, at the cost of at most BATCH_WAIT of latency.
                if rx.is_empty() {
                    std::thread::sleep(BATCH_WAIT);
                }
            }
            Ok(Msg::Reopen) => {
                if let Err(e) = sink.reopen() {
                    tracing::error!(output = name, error = %e, "reopen failed");
                } else {
                    tracing::info!(output = name, "reopened");
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if dirty {
                    if let Err(e) = sink.flush() {
                        tracing::error!(output = name, error = %e, "flush failed");
                    }
                    dirty = false;
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                if let Err(e) = sink.flush() {
                    tracing::error!(output = name, error = %e, "flush failed");
                }
                return;
            }
        }
    }
}
