//! Proptest strategies shared by the evaluation property tests (the IR interpreter against
//! the AST evaluator here, the JIT against the interpreter in runtime/tests): conditions over
//! fields of every type group of the syscall source, and field-map events for them.

use proptest::prelude::*;
use rulec_runtime::event::{FieldMapEvent, FixtureValue};

const STRS: &[&str] = &["a", "ab", "b", "/a", "/a/b", "A", "", "/ab"];
const GLOBS: &[&str] = &["a*", "*b", "?", "/a/*", "[ab]*", "*", "[!a]"];
const REGEXES: &[&str] = &["a.*", "a", ".*b", "[ab]+", "/a(/b)?"];
const NUMS: &[&str] = &["0", "1", "42", "7"];
const SIGNED: &[&str] = &["-2", "0", "3", "-9223372036854775808"];
const IPS: &[&str] = &["10.0.0.1", "10.0.0.2", "::1"];
const NETS: &[&str] = &["10.0.0.0/8", "10.0.0.1/32", "::/1", "0.0.0.0/0"];
const BUFS: &[&str] = &["ab", "x", "abc"];
const HEX: &[&str] = &["61", "6162", "", "78"];
/// Event types of generated events and of the `evt.type` checks.
pub const TYPES: &[&str] = &["openat", "execve", "connect", "open"];

fn pick(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(pool).prop_map(str::to_owned)
}

fn list(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(pool), 0..4).prop_map(|v| {
        format!(
            "({})",
            v.iter()
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn string_check() -> impl Strategy<Value = String> {
    let f = prop::sample::select(&["proc.name", "fd.name"][..]);
    let op =
        prop::sample::select(&["=", "!=", "contains", "icontains", "startswith", "endswith"][..]);
    let m = prop::sample::select(&["oneof", "anyof", "allof"][..]);
    prop_oneof![
        (f.clone(), op.clone(), pick(STRS)).prop_map(|(f, o, v)| format!("{f} {o} '{v}'")),
        (
            f.clone(),
            prop::sample::select(&["glob", "iglob"][..]),
            pick(GLOBS)
        )
            .prop_map(|(f, o, v)| format!("{f} {o} '{v}'")),
        (f.clone(), pick(REGEXES)).prop_map(|(f, v)| format!("{f} regex '{v}'")),
        (
            f.clone(),
            prop::sample::select(&["in", "intersects", "pmatch"][..]),
            list(STRS)
        )
            .prop_map(|(f, o, l)| format!("{f} {o} {l}")),
        (f.clone(), op, m, list(STRS)).prop_map(|(f, o, m, l)| format!("{f} {o} {m} {l}")),
        f.clone().prop_map(|f| format!("{f} exists")),
        (f.clone(), pick(STRS)).prop_map(|(f, v)| format!("tolower({f}) = '{v}'")),
        (f.clone(), pick(STRS)).prop_map(|(f, v)| format!("basename({f}) = '{v}'")),
        (f.clone(), pick(NUMS)).prop_map(|(f, v)| format!("len({f}) > {v}")),
        (
            f.clone(),
            prop::sample::select(&["=", "!=", "<", ">=", "contains"][..])
        )
            .prop_map(|(f, o)| format!("{f} {o} val(proc.pname)")),
        (f, pick(STRS)).prop_map(|(f, v)| format!("concat({f}, proc.pname) = '{v}'")),
    ]
}

fn other_check() -> impl Strategy<Value = String> {
    let nf = prop::sample::select(&["proc.pid", "user.uid"][..]);
    prop_oneof![
        (
            nf.clone(),
            prop::sample::select(&["=", "!=", "<", "<=", ">", ">="][..]),
            pick(NUMS)
        )
            .prop_map(|(f, o, v)| format!("{f} {o} {v}")),
        (
            nf.clone(),
            prop::sample::select(&["in", "intersects"][..]),
            list(NUMS)
        )
            .prop_map(|(f, o, l)| format!("{f} {o} {l}")),
        nf.prop_map(|f| format!("{f} exists")),
        (
            prop::sample::select(&["=", "!=", "<", "<=", ">", ">="][..]),
            pick(SIGNED)
        )
            .prop_map(|(o, v)| format!("evt.rawres {o} {v}")),
        list(SIGNED).prop_map(|l| format!("evt.rawres in {l}")),
        (
            prop::sample::select(&["=", "!="][..]),
            prop::sample::select(&["true", "false"][..])
        )
            .prop_map(|(o, v)| format!("evt.failed {o} {v}")),
        (
            prop::sample::select(&["=", "!=", "contains", "startswith", "endswith"][..]),
            pick(BUFS)
        )
            .prop_map(|(o, v)| format!("evt.buffer {o} '{v}'")),
        (
            prop::sample::select(&["bcontains", "bstartswith"][..]),
            pick(HEX)
        )
            .prop_map(|(o, v)| format!("evt.buffer {o} '{v}'")),
        (prop::sample::select(&["=", "!="][..]), pick(IPS))
            .prop_map(|(o, v)| format!("fd.cip {o} {v}")),
        list(IPS).prop_map(|l| format!("fd.cip in {l}")),
        (prop::sample::select(&["=", "!="][..]), pick(NETS))
            .prop_map(|(o, v)| format!("fd.cnet {o} {v}")),
        list(NETS).prop_map(|l| format!("fd.cnet in {l}")),
        (prop::sample::select(&["in", "intersects"][..]), list(STRS))
            .prop_map(|(o, l)| format!("fd.types {o} {l}")),
        Just("fd.types exists".to_owned()),
        (prop::sample::select(&["=", "!="][..]), pick(STRS))
            .prop_map(|(o, v)| format!("proc.aname {o} '{v}'")),
        list(STRS).prop_map(|l| format!("proc.aname in {l}")),
        // The event type: folded at compile time in the interpreter's per-type code.
        (
            prop::sample::select(&["=", "!=", "startswith", "contains"][..]),
            pick(TYPES)
        )
            .prop_map(|(o, v)| format!("evt.type {o} {v}")),
        list(TYPES).prop_map(|l| format!("evt.type in {l}")),
        Just("evt.type exists".to_owned()),
    ]
}

pub fn condition() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![string_check(), other_check()];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" and "))),
            prop::collection::vec(inner.clone(), 2..4)
                .prop_map(|v| format!("({})", v.join(" or "))),
            inner.clone().prop_map(|x| format!("not {x}")),
            inner.clone().prop_map(|x| format!("not (not {x})")),
            // A shared subexpression used twice (hash-consing + memo).
            (inner.clone(), inner)
                .prop_map(|(x, y)| format!("(({x}) or {y}) and (({x}) or not {y})")),
        ]
    })
}

pub fn event() -> impl Strategy<Value = FieldMapEvent> {
    let opt = |pool: &'static [&'static str]| prop::option::of(prop::sample::select(pool));
    (
        (
            opt(STRS),
            opt(STRS),
            opt(STRS),
            opt(NUMS),
            opt(NUMS),
            opt(SIGNED),
        ),
        (opt(&["true", "false"]), opt(BUFS), opt(IPS), opt(IPS)),
        prop::option::of(prop::collection::vec(prop::sample::select(STRS), 0..3)),
        prop::option::of(prop::collection::vec(prop::sample::select(STRS), 0..3)),
    )
        .prop_map(
            |((name, fdname, pname, pid, uid, rawres), (failed, buf, cip, cnet), types, anames)| {
                let mut e = FieldMapEvent::syscall([("evt.type", "openat")]);
                let mut set = |k: &str, v: Option<&str>| {
                    if let Some(v) = v {
                        e.fields
                            .insert(k.to_owned(), FixtureValue::One(v.to_owned()));
                    }
                };
                set("proc.name", name);
                set("fd.name", fdname);
                set("proc.pname", pname);
                set("proc.pid", pid);
                set("user.uid", uid);
                set("evt.rawres", rawres);
                set("evt.failed", failed);
                set("evt.buffer", buf);
                set("fd.cip", cip);
                set("fd.cnet", cnet);
                let strs =
                    |v: Vec<&str>| FixtureValue::Many(v.into_iter().map(str::to_owned).collect());
                if let Some(t) = types {
                    e.fields.insert("fd.types".into(), strs(t));
                }
                if let Some(a) = anames {
                    e.fields.insert("proc.aname".into(), strs(a));
                }
                e
            },
        )
}
