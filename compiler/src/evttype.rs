//! Event-type resolution (spec §4): the set of event codes for which a syscall-source
//! condition may be true, and the matching x86_64 syscall numbers (the kernel prefilter).
//!
//! Negations are pushed to the leaves (De Morgan); checks on the bare fields `evt.type` /
//! `syscall.type` with `=`, `==`, `!=`, `in` select codes; every other check is neutral (ALL).
//! The `evt.num` invariant (libs master: `evt.num = 0` is never true, `evt.num >= 0` always) is
//! applied only when [`Options::evt_num_invariant`] is set: Falco 0.44.1 does not have it.

use crate::condition::ast::{Expr, ExprKind, OpKind, Operand, Rhs, Value};
use crate::schema::events::CodeSet;
use crate::schema::Registry;

/// Resolution options (which Falco behaviour to follow).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Decide `evt.num` checks statically (libs master, after 0.25.4).
    pub evt_num_invariant: bool,
}

impl Options {
    /// The options a load with `opts` uses: the `evt.num` invariant for engines newer than
    /// Falco 0.44.1 (libs master behaviour).
    pub fn for_load(opts: &crate::LoadOptions) -> Options {
        Options {
            evt_num_invariant: opts.engine_version > rulec_ir::vocab::Version(0, 62, 0),
        }
    }
}

/// The event types a condition may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventTypes {
    /// Event codes.
    pub events: CodeSet,
    /// x86_64 syscall numbers.
    pub syscalls: CodeSet,
}

/// Falco's LOAD_NO_EVTTYPE threshold: more codes than this is "too many".
pub const MAX_EVTTYPES: usize = 100;

impl EventTypes {
    /// Every event.
    pub fn all() -> EventTypes {
        let ev = &Registry::get().events;
        EventTypes {
            events: ev.all_events,
            syscalls: ev.all_syscalls,
        }
    }

    /// No event.
    pub fn none() -> EventTypes {
        EventTypes {
            events: CodeSet::EMPTY,
            syscalls: CodeSet::EMPTY,
        }
    }

    fn and(self, o: EventTypes) -> EventTypes {
        EventTypes {
            events: self.events.and(&o.events),
            syscalls: self.syscalls.and(&o.syscalls),
        }
    }

    fn or(self, o: EventTypes) -> EventTypes {
        EventTypes {
            events: self.events.or(&o.events),
            syscalls: self.syscalls.or(&o.syscalls),
        }
    }

    fn complement(self) -> EventTypes {
        let all = EventTypes::all();
        EventTypes {
            events: all.events.minus(&self.events),
            syscalls: all.syscalls.minus(&self.syscalls),
        }
    }

    /// True when no event can match.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// Falco 0.44.1's LOAD_NO_EVTTYPE condition: empty or more than 100 codes.
    pub fn too_many_or_empty(&self) -> bool {
        self.events.is_empty() || self.events.len() > MAX_EVTTYPES
    }

    /// Sorted event names of the selected codes (the generic syscall event is `syscall`).
    pub fn names(&self) -> Vec<String> {
        Registry::get().events.event_names(&self.events)
    }

    /// Selected x86_64 syscalls as `(name, number)`, by number.
    pub fn syscall_list(&self) -> Vec<(String, u16)> {
        let names = &Registry::get().events.syscall_names;
        self.syscalls
            .iter()
            .map(|nr| {
                (
                    names.get(&nr).cloned().unwrap_or_else(|| format!("#{nr}")),
                    nr,
                )
            })
            .collect()
    }
}

/// The codes an `evt.type` value list selects (`codes(names)` of §4).
pub fn codes<'a>(names: impl IntoIterator<Item = &'a str>) -> EventTypes {
    let reg = Registry::get();
    let ev = &reg.events;
    let mut out = EventTypes::none();
    let mut generic = false;
    for n in names {
        if let Some(c) = ev.names.get(n) {
            out.events = out.events.or(&c.events);
            out.syscalls = out.syscalls.or(&c.syscalls);
            generic |= c.events.is_empty() && c.generic_syscall;
        }
        if reg
            .plugins
            .iter()
            .any(|p| p.async_event_names.iter().any(|a| a == n))
        {
            out.events = out.events.or(&ev.async_event);
        }
    }
    if generic {
        out.events = out.events.or(&ev.generic_events);
    }
    out
}

/// Resolves the event types of a (macro-resolved) condition.
pub fn resolve(ast: &Expr, opts: Options) -> EventTypes {
    eval(ast, false, opts)
}

fn is_type_field(op: &Operand) -> bool {
    matches!(op, Operand::Field(f) if f.arg.is_none() && (f.name == "evt.type" || f.name == "syscall.type"))
}

fn eval(e: &Expr, neg: bool, opts: Options) -> EventTypes {
    match &e.kind {
        ExprKind::And(c) => fold(c, neg, !neg, opts),
        ExprKind::Or(c) => fold(c, neg, neg, opts),
        ExprKind::Not(x) => eval(x, !neg, opts),
        ExprKind::Identifier(_) => EventTypes::all(),
        ExprKind::Unary { lhs } => {
            if is_type_field(lhs) && neg {
                EventTypes::none()
            } else {
                EventTypes::all()
            }
        }
        ExprKind::Binary { lhs, op, rhs } => {
            if opts.evt_num_invariant {
                match evt_num_invariant(lhs, op.kind, rhs) {
                    Some(true) => {
                        return if neg {
                            EventTypes::none()
                        } else {
                            EventTypes::all()
                        }
                    }
                    Some(false) => {
                        return if neg {
                            EventTypes::all()
                        } else {
                            EventTypes::none()
                        }
                    }
                    None => {}
                }
            }
            if !is_type_field(lhs) || !matches!(op.kind, OpKind::Eq | OpKind::Ne | OpKind::In) {
                return EventTypes::all();
            }
            let vals: Vec<&str> = match rhs {
                Rhs::Value(v) | Rhs::Identifier(v) => vec![v.text.as_str()],
                Rhs::List(l) => l.items.iter().map(|v| v.text.as_str()).collect(),
                Rhs::Transformer(_) => return EventTypes::all(),
            };
            let mut s = codes(vals);
            if neg {
                s = s.complement();
            }
            if op.kind == OpKind::Ne {
                s = s.complement();
            }
            s
        }
    }
}

/// Intersection when `intersect`, union otherwise.
fn fold(c: &[Expr], neg: bool, intersect: bool, opts: Options) -> EventTypes {
    let mut it = c.iter().map(|x| eval(x, neg, opts));
    let first = it.next().unwrap_or_else(EventTypes::all);
    it.fold(first, |a, b| if intersect { a.and(b) } else { a.or(b) })
}

/// `Some(true)` = always true, `Some(false)` = never true, for `evt.num` checks (≥ 1).
pub fn evt_num_invariant(lhs: &Operand, op: OpKind, rhs: &Rhs) -> Option<bool> {
    let Operand::Field(f) = lhs else { return None };
    if f.name != "evt.num" || f.arg.is_some() {
        return None;
    }
    let num = |v: &Value| -> Option<u64> {
        (!v.text.is_empty() && v.text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| v.text.parse().ok())
            .flatten()
    };
    match (op, rhs) {
        (OpKind::In, Rhs::List(l)) => l.items.iter().all(|v| num(v) == Some(0)).then_some(false),
        (_, Rhs::Value(v)) => match (op, num(v)?) {
            (OpKind::Eq | OpKind::Le, 0) | (OpKind::Lt, 0 | 1) => Some(false),
            (OpKind::Ne | OpKind::Gt, 0) | (OpKind::Ge, 0 | 1) => Some(true),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::{parse, ParseOptions};

    fn names(c: &str, opts: Options) -> Vec<String> {
        let e = parse(c, Default::default(), &ParseOptions::default()).expect("parses");
        let r = resolve(&e, opts);
        if r.events == EventTypes::all().events {
            return vec!["ALL".into()];
        }
        r.names()
    }

    fn n(c: &str) -> Vec<String> {
        names(c, Options::default())
    }

    #[test]
    fn spec_properties() {
        assert_eq!(n("evt.type=openat and proc.name=x"), ["openat"]);
        assert_eq!(n("evt.type=openat or proc.name=x"), ["ALL"]);
        assert_eq!(n("not evt.type=openat"), n("evt.type!=openat"));
        assert!(!n("not evt.type=openat").contains(&"openat".to_string()));
        assert!(n("evt.type=close and evt.type=openat").is_empty());
        assert!(n("evt.type in ()").is_empty());
        assert_eq!(n("evt.type exists"), ["ALL"]);
        assert!(n("not evt.type exists").is_empty());
        assert_eq!(n("not proc.name=x"), ["ALL"]);
        assert_eq!(
            n("evt.type in (connect, execve) and not (proc.name=cat and evt.type=execve)"),
            ["connect", "execve"]
        );
        assert_eq!(n("evt.type=getpid"), ["syscall"]);
    }

    #[test]
    fn evt_num_invariant_is_optional() {
        let on = Options {
            evt_num_invariant: true,
        };
        assert_eq!(n("evt.num=0"), ["ALL"]);
        assert!(names("evt.num=0", on).is_empty());
        assert!(names("evt.num in (0, 0)", on).is_empty());
        assert_eq!(names("evt.num>=1", on), ["ALL"]);
        assert!(names("not evt.num>0", on).is_empty());
        assert_eq!(names("evt.num=0x0", on), ["ALL"]);
    }

    #[test]
    fn syscall_numbers() {
        let e = parse(
            "evt.type in (openat, getpid)",
            Default::default(),
            &ParseOptions::default(),
        )
        .expect("parses");
        let r = resolve(&e, Options::default());
        let s = r.syscall_list();
        assert!(s.contains(&("openat".to_string(), 257)));
        assert!(s.contains(&("getpid".to_string(), 39)));
        assert_eq!(s.len(), 2);
    }
}
