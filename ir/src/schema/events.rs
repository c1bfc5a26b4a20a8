//! The syscall-source event table (`events.json`) and the x86_64 syscall mapping
//! (`syscalls_x86_64.json`), reduced to what typechecking and event-type resolution need.

use std::collections::HashMap;

use serde::Deserialize;

use super::FieldType;

/// A kernel/userspace event code (`ppm_event_code`).
pub type EventCode = u16;

/// A fixed-size bit set over codes `0..512` (event codes and x86_64 syscall numbers both fit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CodeSet(pub [u64; 8]);

impl CodeSet {
    /// The empty set.
    pub const EMPTY: CodeSet = CodeSet([0; 8]);

    /// Adds a code (codes >= 512 are ignored).
    pub fn insert(&mut self, c: u16) {
        if let Some(w) = self.0.get_mut(usize::from(c / 64)) {
            *w |= 1 << (c % 64);
        }
    }

    /// Membership.
    pub fn contains(&self, c: u16) -> bool {
        self.0
            .get(usize::from(c / 64))
            .is_some_and(|w| w & (1 << (c % 64)) != 0)
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// Intersection.
    #[must_use]
    pub fn and(&self, o: &CodeSet) -> CodeSet {
        CodeSet(std::array::from_fn(|i| self.0[i] & o.0[i]))
    }

    /// Union.
    #[must_use]
    pub fn or(&self, o: &CodeSet) -> CodeSet {
        CodeSet(std::array::from_fn(|i| self.0[i] | o.0[i]))
    }

    /// Difference `self \ o`.
    #[must_use]
    pub fn minus(&self, o: &CodeSet) -> CodeSet {
        CodeSet(std::array::from_fn(|i| self.0[i] & !o.0[i]))
    }

    /// Members in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0u16..512).filter(|c| self.contains(*c))
    }
}

/// What an `evt.type` name selects.
#[derive(Debug, Clone, Default)]
pub struct NameCodes {
    /// Event codes of events with this table name.
    pub events: CodeSet,
    /// x86_64 syscall numbers (`syscalls_x86_64.json` `evt_types[NAME].x86_64`).
    pub syscalls: CodeSet,
    /// The name is a syscall without a dedicated event (selects the generic event).
    pub generic_syscall: bool,
}

/// An event parameter usable as `evt.arg.NAME` / `evt.rawarg.NAME`.
#[derive(Debug, Clone)]
pub struct EventArg {
    /// Parameter name.
    pub name: String,
    /// Type used for `evt.rawarg.NAME` at compile time.
    pub rawarg_type: FieldType,
}

/// Event table facts.
#[derive(Debug)]
pub struct EventTable {
    /// `evt.type` name → selected codes (every valid value, including ppm_sc-only names).
    pub names: HashMap<String, NameCodes>,
    /// Event name of each event code.
    pub code_names: HashMap<EventCode, String>,
    /// Every event code.
    pub all_events: CodeSet,
    /// Every x86_64 syscall number.
    pub all_syscalls: CodeSet,
    /// Codes of the generic syscall event (`syscall`).
    pub generic_events: CodeSet,
    /// Code of the generic async event (plugin async events).
    pub async_event: CodeSet,
    /// x86_64 number → syscall name.
    pub syscall_names: HashMap<u16, String>,
    /// Event parameters by name.
    args: HashMap<String, EventArg>,
    longest_arg: usize,
}

#[derive(Deserialize)]
struct RawEvents {
    events: Vec<RawEvent>,
    evt_type_values: RawTypeValues,
    arg_index: HashMap<String, RawArgIndex>,
}

#[derive(Deserialize)]
struct RawEvent {
    name: String,
    versions: Vec<RawVersion>,
}

#[derive(Deserialize)]
struct RawVersion {
    code: u16,
}

#[derive(Deserialize)]
struct RawTypeValues {
    event_names: Vec<String>,
    ppm_sc_names: Vec<String>,
}

#[derive(Deserialize)]
struct RawArgIndex {
    rawarg_type: String,
}

#[derive(Deserialize)]
struct RawSyscalls {
    evt_types: HashMap<String, RawEvtType>,
    syscalls: HashMap<String, RawSyscall>,
}

#[derive(Deserialize)]
struct RawEvtType {
    x86_64: Vec<u16>,
    name_kind: String,
}

#[derive(Deserialize)]
struct RawSyscall {
    nr: u16,
}

impl EventTable {
    #[allow(clippy::expect_used)]
    pub(super) fn build() -> EventTable {
        let ev: RawEvents = serde_json::from_str(include_str!("../../schemas/events.json"))
            .expect("vendored events.json is valid");
        let sc: RawSyscalls =
            serde_json::from_str(include_str!("../../schemas/syscalls_x86_64.json"))
                .expect("vendored syscalls_x86_64.json is valid");
        let mut names: HashMap<String, NameCodes> = HashMap::new();
        let mut code_names = HashMap::new();
        let mut all_events = CodeSet::EMPTY;
        let mut generic_events = CodeSet::EMPTY;
        let mut async_event = CodeSet::EMPTY;
        for e in &ev.events {
            let entry = names.entry(e.name.clone()).or_default();
            for v in &e.versions {
                entry.events.insert(v.code);
                code_names.insert(v.code, e.name.clone());
                if e.name != "NA" {
                    all_events.insert(v.code);
                }
                if e.name == "syscall" {
                    generic_events.insert(v.code);
                }
                if e.name == "asyncevent" {
                    async_event.insert(v.code);
                }
            }
        }
        for n in ev
            .evt_type_values
            .event_names
            .iter()
            .chain(&ev.evt_type_values.ppm_sc_names)
        {
            names.entry(n.clone()).or_default();
        }
        for (n, t) in &sc.evt_types {
            let entry = names.entry(n.clone()).or_default();
            for &nr in &t.x86_64 {
                entry.syscalls.insert(nr);
            }
            entry.generic_syscall = t.name_kind == "generic_syscall";
        }
        let mut all_syscalls = CodeSet::EMPTY;
        let mut syscall_names = HashMap::new();
        for (n, s) in &sc.syscalls {
            all_syscalls.insert(s.nr);
            syscall_names.insert(s.nr, n.clone());
        }
        let args: HashMap<String, EventArg> = ev
            .arg_index
            .iter()
            .map(|(n, a)| {
                (
                    n.clone(),
                    EventArg {
                        name: n.clone(),
                        rawarg_type: FieldType::from_pt(&a.rawarg_type).unwrap_or(FieldType::Dyn),
                    },
                )
            })
            .collect();
        let longest_arg = args.keys().map(String::len).max().unwrap_or(0);
        EventTable {
            names,
            code_names,
            all_events,
            all_syscalls,
            generic_events,
            async_event,
            syscall_names,
            args,
            longest_arg,
        }
    }

    /// The longest event parameter name that prefixes `text`.
    pub fn event_arg(&self, text: &str) -> Option<&EventArg> {
        let mut len = text.len().min(self.longest_arg);
        while len > 0 {
            if text.is_char_boundary(len) {
                if let Some(a) = self.args.get(&text[..len]) {
                    return Some(a);
                }
            }
            len -= 1;
        }
        None
    }

    /// Whether `name` is a valid `evt.type` value for the syscall source (event name or ppm_sc
    /// name; plugin async event names are checked by the caller).
    pub fn is_event_type(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// Event names of the codes in `set`, sorted and deduplicated.
    pub fn event_names(&self, set: &CodeSet) -> Vec<String> {
        let mut v: Vec<String> = set
            .iter()
            .filter_map(|c| self.code_names.get(&c).cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}
