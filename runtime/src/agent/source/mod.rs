//! Event sources. Each runs on its own thread (as Falco runs one per event source) and hands
//! events to that thread's evaluation loop ([`super::eval`]) through [`EventSource::pull`].
//!
//! * [`json`]: plugin-source events (`k8s_audit`, `aws_cloudtrail`, `github`, `okta`, `json`)
//!   from files, directories and stdin: JSON lines, JSON arrays, k8s `EventList`s,
//!   CloudTrail `{"Records": [...]}` files, gzip-compressed or not;
//! * [`webhook`]: the Kubernetes audit webhook (HTTP POST of an `EventList`), the k8saudit
//!   plugin's endpoint.
//!
//! A malformed event is reported as [`Pull::Malformed`] with where it was: the loop skips it,
//! counts it and logs it; the source goes on.

pub mod json;
pub mod webhook;

use crate::event::Event;
use crate::extract::json::Doc;
use crate::extract::JsonEvent;

/// A plugin event as the agent reads it: `hostname` is its `evt.hostname`, and an event
/// whose payload has no timestamp gets the time it was read, as a plugin stamps its events.
pub fn read_event(source: &str, doc: Doc, hostname: &str) -> JsonEvent {
    let mut e = JsonEvent::from_doc(source, doc);
    e.hostname = hostname.to_owned();
    if e.time_ns == 0 {
        e.time_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }
    e
}

/// What a source produced.
pub enum Pull<E> {
    /// An event.
    Event(E),
    /// A malformed event, skipped.
    Malformed(Malformed),
    /// Nothing right now (the loop checks for reloads and shutdown, then pulls again).
    Idle,
    /// The source is exhausted.
    End,
}

/// Where a malformed event was and why it was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// File and line, byte offset or request (`audit.log:17`, `POST /k8s-audit from ...`).
    pub origin: String,
    /// The parse error.
    pub error: String,
}

/// A source of events of one event source.
pub trait EventSource: Send {
    /// The events produced.
    type Ev: Event;
    /// The event source name (`k8s_audit`).
    fn source(&self) -> &str;
    /// A description for logs (`file /var/log/audit.log`).
    fn describe(&self) -> String;
    /// The next event. Must return within a short time (about 100 ms) when there is
    /// nothing to read, with [`Pull::Idle`], so that reloads and shutdown are seen.
    fn pull(&mut self) -> Pull<Self::Ev>;
}
