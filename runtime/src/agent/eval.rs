//! A source's evaluation loop: pull an event, evaluate it against the running rule set,
//! turn the matches into alerts, hand them to the outputs.
//!
//! The loop switches rule sets only between events: before each pull it compares the rule
//! generation with the one it evaluates, and rebuilds its engine from the new set when they
//! differ. So a reload neither drops an event nor evaluates one twice.
//!
//! Per rule, in rule order: the priority threshold (rules less severe than `priority` do
//! not alert), `rule_matching: first` (only the first alerting rule), the rate limit (ours)
//! and the match counter. One event in [`EvalConfig::cost_sample`] is also evaluated rule by
//! rule with the interpreter, timed, for the per-rule cost metric (each rule alone, on a
//! fresh memo).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use rulec_ir::program::Program;
use rulec_ir::schema::Registry;
use rulec_ir::vocab::Priority;

use super::alert::{AlertFormat, AlertParts};
use super::append::Piece;
use super::config::{AppendOutput, RateLimit, RuleMatching};
use super::metrics::Metrics;
use super::outputs::Dispatcher;
use super::rules::{RuleSet, Rules};
use super::source::{EventSource, Pull};
use crate::engine::{Backend, Engine};
use crate::event::Event;
use crate::interp::Interpreter;

/// Settings of the evaluation loops.
#[derive(Debug, Clone)]
pub struct EvalConfig {
    /// Rules less severe than this do not alert.
    pub priority: Priority,
    /// `first` or `all`.
    pub rule_matching: RuleMatching,
    /// Per-rule rate limit.
    pub rate_limit: Option<RateLimit>,
    /// Sample one event in N for the per-rule cost (0: never).
    pub cost_sample: u64,
    /// Alert formatting.
    pub format: AlertFormat,
    /// `append_output`.
    pub append_output: Vec<AppendOutput>,
}

/// What one source did, when its loop ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSummary {
    /// Description.
    pub name: String,
    /// Events evaluated.
    pub events: u64,
    /// Malformed events skipped.
    pub malformed: u64,
    /// Alerts handed to the outputs.
    pub alerts: u64,
    /// Rule-set switches seen.
    pub reloads: u64,
}

/// A token bucket.
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// One rule's precomputed alerting state for a rule set.
struct RuleState {
    alerts: bool,
    matches: Counter,
    below: Counter,
    limited: Counter,
    /// `append_output`: pieces appended to the output (each entry after one space).
    extra: Vec<Piece>,
    /// `append_output` `extra_fields`: name and format, into `output_fields` only.
    extra_fields: Vec<(String, Vec<Piece>)>,
    bucket: Option<Bucket>,
    cost_ns: prometheus_client::metrics::counter::Counter<f64, std::sync::atomic::AtomicU64>,
    cost_n: Counter,
}

fn rule_states(prog: &Program, cfg: &EvalConfig, metrics: &Metrics) -> Vec<RuleState> {
    prog.rules
        .iter()
        .map(|r| {
            let tags = r.tags.join(", ");
            let labels = vec![
                ("priority", (r.priority as u8).to_string()),
                ("rule_name", r.name.clone()),
                ("source", r.source.clone()),
                ("tags", tags),
            ];
            let by_rule = vec![("rule_name", r.name.clone())];
            let entries: Vec<&AppendOutput> = cfg
                .append_output
                .iter()
                .filter(|a| a.source.as_ref().is_none_or(|s| *s == r.source))
                .filter(|a| a.rule.as_ref().is_none_or(|n| *n == r.name))
                .filter(|a| a.tags.iter().all(|t| r.tags.contains(t)))
                .collect();
            let schema = Registry::get().source(&r.source);
            let compile = |text: &str| -> Vec<Piece> {
                let Some(schema) = schema else {
                    return vec![Piece::Text(text.to_owned())];
                };
                let (pieces, errors) = super::append::compile(schema, text);
                for e in errors {
                    tracing::warn!(rule = %r.name, format = text, "append_output: {e} (kept as text)");
                }
                pieces
            };
            let mut extra = Vec::new();
            for e in entries.iter().filter_map(|a| a.extra_output.as_deref()) {
                extra.push(Piece::Text(" ".to_owned()));
                extra.extend(compile(e));
            }
            let extra_fields = entries
                .iter()
                .flat_map(|a| a.extra_fields.iter())
                .map(|(name, fmt)| (name.clone(), compile(fmt)))
                .collect();
            RuleState {
                alerts: r.priority <= cfg.priority,
                matches: metrics.matches.get_or_create(&labels).clone(),
                below: metrics.below_priority.get_or_create(&by_rule).clone(),
                limited: metrics.rate_limited.get_or_create(&by_rule).clone(),
                extra,
                extra_fields,
                bucket: cfg.rate_limit.map(|l| Bucket {
                    tokens: l.max_burst,
                    last: Instant::now(),
                }),
                cost_ns: metrics.rule_cost_seconds.get_or_create(&by_rule).clone(),
                cost_n: metrics.rule_cost_samples.get_or_create(&by_rule).clone(),
            }
        })
        .collect()
}

impl RuleState {
    /// True when the rate limit lets one more alert through.
    fn admit(&mut self, limit: Option<RateLimit>) -> bool {
        let (Some(b), Some(l)) = (&mut self.bucket, limit) else {
            return true;
        };
        let now = Instant::now();
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * l.rate).min(l.max_burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What an evaluation loop shares with the rest of the agent.
pub struct LoopContext<'a> {
    /// The running rules.
    pub rules: &'a Rules,
    /// The outputs.
    pub dispatcher: &'a Dispatcher,
    /// The metrics.
    pub metrics: &'a Metrics,
    /// Settings.
    pub cfg: &'a EvalConfig,
    /// Set when the agent stops.
    pub stop: &'a AtomicBool,
}

/// Runs `src` until it ends or `stop` is set; with `drain_on_stop` (sources whose events
/// were acknowledged, such as the webhook) it runs until the source ends: the caller closes
/// it.
pub fn run_source<S: EventSource>(
    mut src: S,
    cx: &LoopContext<'_>,
    drain_on_stop: bool,
) -> SourceSummary {
    let LoopContext {
        rules,
        dispatcher,
        metrics,
        cfg,
        stop,
    } = *cx;
    let source = src.source().to_owned();
    let mut sum = SourceSummary {
        name: src.describe(),
        ..SourceSummary::default()
    };
    let events = metrics
        .events
        .get_or_create(&vec![("source", source.clone())])
        .clone();
    let malformed = metrics
        .malformed
        .get_or_create(&vec![("source", source.clone())])
        .clone();
    let mut matched: Vec<u32> = Vec::new();
    let mut since_sample: u64 = 0;
    let mut first = true;
    loop {
        let (set, generation): (Arc<RuleSet>, u64) = rules.current();
        if !first {
            sum.reloads += 1;
        }
        first = false;
        let prog = set.program(&source);
        let mut st = prog.map(|(p, jit)| {
            (
                p,
                // The rule set compiled native code only where its engine choice wants it.
                Engine::new(
                    if jit.is_some() {
                        Backend::Jit
                    } else {
                        Backend::Interpreter
                    },
                    p,
                    jit,
                ),
                Interpreter::new(p),
                rule_states(p, cfg, metrics),
            )
        });
        loop {
            if rules.generation() != generation {
                break;
            }
            if !drain_on_stop && stop.load(Ordering::Relaxed) {
                return sum;
            }
            let ev = match src.pull() {
                Pull::Event(ev) => ev,
                Pull::Malformed(m) => {
                    sum.malformed += 1;
                    malformed.inc();
                    tracing::warn!(source = %source, at = %m.origin, error = %m.error, "malformed event skipped");
                    continue;
                }
                Pull::Idle => continue,
                Pull::End => return sum,
            };
            let read_at = Instant::now();
            sum.events += 1;
            events.inc();
            let Some((prog, engine, interp, states)) = &mut st else {
                continue;
            };
            matched.clear();
            matched.extend_from_slice(engine.matching_rules(&ev));
            if !matched.is_empty() {
                interp.begin_event();
                for &r in &matched {
                    let r = r as usize;
                    let (Some(rule), Some(state)) = (prog.rules.get(r), states.get_mut(r)) else {
                        continue;
                    };
                    if !state.alerts {
                        state.below.inc();
                        continue;
                    }
                    state.matches.inc();
                    if state.admit(cfg.rate_limit) {
                        let (mut message, mut fields) =
                            crate::output::render(&rule.output, interp, &ev);
                        super::append::render(&state.extra, &ev, &mut message, Some(&mut fields));
                        for (name, pieces) in &state.extra_fields {
                            fields.insert(name.clone(), super::append::value(pieces, &ev));
                        }
                        let rec = cfg.format.format(AlertParts {
                            rule: &rule.name,
                            priority: rule.priority,
                            source: &rule.source,
                            tags: &rule.tags,
                            time_ns: ev.time_ns(),
                            message,
                            fields,
                        });
                        sum.alerts += 1;
                        dispatcher.send_timed(&Arc::new(rec), read_at);
                    } else {
                        state.limited.inc();
                    }
                    if cfg.rule_matching == RuleMatching::First {
                        break;
                    }
                }
            }
            if cfg.cost_sample > 0 {
                since_sample += 1;
                if since_sample >= cfg.cost_sample {
                    since_sample = 0;
                    sample_costs(prog, interp, states, &ev);
                }
            }
        }
    }
}

/// Times each rule of the event's type alone (interpreter, fresh memo).
fn sample_costs<E: Event>(
    prog: &Program,
    interp: &mut Interpreter<'_>,
    states: &[RuleState],
    ev: &E,
) {
    for r in prog.rules_for(ev.evt_type()) {
        let r = r as usize;
        let t = Instant::now();
        std::hint::black_box(interp.eval_rule_on(r, ev));
        let dt = t.elapsed();
        if let Some(s) = states.get(r) {
            s.cost_ns.inc_by(dt.as_secs_f64());
            s.cost_n.inc();
        }
    }
}
