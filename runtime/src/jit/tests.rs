use crate::event::{FieldMapEvent, FixtureValue};
use rulec::lower::lower_conditions;
use rulec_ir::program::Program;
use rulec_ir::schema::Registry;

use crate::interp::code::Code;

use super::translate::{FnKind, TierCounts};
use super::{JitEvaluator, JitProgram};
use crate::engine::{Backend, Engine};

/// A syscall program with one rule per `(condition, event types)`.
fn program(rules: &[(&str, Option<&[&str]>)]) -> Program {
    let s = Registry::get().source("syscall").expect("syscall schema");
    let rules: Vec<(&str, Option<Vec<String>>)> = rules
        .iter()
        .map(|(c, t)| (*c, t.map(|t| t.iter().map(|s| (*s).to_owned()).collect())))
        .collect();
    lower_conditions(s, &rules).expect("lowers")
}

fn ev(pairs: &[(&str, &str)]) -> FieldMapEvent {
    FieldMapEvent::syscall(pairs.iter().copied())
}

/// JIT and interpreter results on every event, asserting they agree.
fn both(prog: &Program, events: &[FieldMapEvent]) -> Vec<Vec<u32>> {
    let jit = JitProgram::compile(prog).expect("compiles");
    let mut je = JitEvaluator::new(&jit, prog);
    let mut it = Engine::new(Backend::Interpreter, prog, None);
    events
        .iter()
        .map(|e| {
            let want = it.matching_rules(e).to_vec();
            let got = je.matching_rules(e).to_vec();
            assert_eq!(got, want, "on {e:?}");
            got
        })
        .collect()
}

#[test]
fn native_tiers_and_results() {
    let prog = program(&[
        ("proc.name = bash and proc.pid > 10", None),
        ("evt.rawres < 0 or user.uid = 0", None),
        ("proc.name exists and not proc.name != sh", None),
        ("evt.failed = true", None),
        ("proc.pid in (1, 11, 12) or evt.rawres in (-2, -3)", None),
    ]);
    let jit = JitProgram::compile(&prog).expect("compiles");
    assert_eq!(
        jit.stats.tiers,
        TierCounts {
            native: 9,
            helper: 0,
            interp: 0
        }
    );
    assert_eq!((jit.stats.lists, jit.stats.lists_native), (1, 1));
    let events = [
        ev(&[
            ("evt.type", "openat"),
            ("proc.name", "bash"),
            ("proc.pid", "11"),
        ]),
        ev(&[
            ("proc.name", "bash"),
            ("proc.pid", "10"),
            ("evt.rawres", "-2"),
        ]),
        ev(&[
            ("proc.name", "sh"),
            ("user.uid", "0"),
            ("evt.failed", "true"),
        ]),
        ev(&[("evt.rawres", "5"), ("user.uid", "1000")]),
        ev(&[]),
    ];
    assert_eq!(
        both(&prog, &events),
        vec![vec![0, 4], vec![1, 4], vec![1, 2, 3], vec![], vec![]]
    );
}

#[test]
fn several_values_fall_back_to_the_helper() {
    // A scalar field with several candidate values (ancestor fields without index) is not one
    // value of the native kind: the helper evaluates it.
    let prog = program(&[("proc.aname = init", None), ("proc.name = a", None)]);
    let mut e = ev(&[("proc.name", "a")]);
    e.fields.insert(
        "proc.aname".into(),
        FixtureValue::Many(vec!["bash".into(), "init".into()]),
    );
    let mut e2 = ev(&[]);
    e2.fields.insert(
        "proc.name".into(),
        FixtureValue::Many(vec!["b".into(), "a".into()]),
    );
    assert_eq!(both(&prog, &[e, e2]), vec![vec![0, 1], vec![1]]);
}

#[test]
fn helper_and_interpreter_tiers() {
    let prog = program(&[
        ("proc.name in (bash, sh) and fd.name startswith /etc", None),
        ("tolower(proc.name) = bash", None),
        ("proc.name = val(proc.pname)", None),
        ("proc.name glob 'b*'", None),
    ]);
    let jit = JitProgram::compile(&prog).expect("compiles");
    assert_eq!(
        jit.stats.tiers,
        TierCounts {
            native: 2,
            helper: 1,
            interp: 2
        }
    );
    let events = [
        ev(&[
            ("proc.name", "BASH"),
            ("fd.name", "/etc/passwd"),
            ("proc.pname", "BASH"),
        ]),
        ev(&[("proc.name", "bash"), ("fd.name", "/etc/passwd")]),
        ev(&[("proc.name", "sh"), ("proc.pname", "sh")]),
    ];
    assert_eq!(
        both(&prog, &events),
        vec![vec![1, 2], vec![0, 1, 3], vec![2]]
    );
    let jit2 = JitProgram::compile(&prog).expect("compiles");
    let mut je = JitEvaluator::new(&jit2, &prog);
    je.matching_rules(&events[0]);
    assert_eq!(je.counters.interp_calls, 2);
}

#[test]
fn event_type_groups_and_shared_nodes() {
    let shared = "(proc.name = bash or proc.name = sh)";
    let c1 = format!("{shared} and fd.name = /etc/shadow");
    let c2 = format!("{shared} and proc.pid = 1");
    let prog = program(&[
        (&c1, Some(&["openat", "open"])),
        (&c2, Some(&["execve"])),
        (shared, None),
    ]);
    assert!(prog.memo_slots > 0, "the shared subtree gets a memo slot");
    let events = [
        ev(&[
            ("evt.type", "openat"),
            ("proc.name", "sh"),
            ("fd.name", "/etc/shadow"),
            ("proc.pid", "1"),
        ]),
        ev(&[
            ("evt.type", "execve"),
            ("proc.name", "sh"),
            ("fd.name", "/etc/shadow"),
            ("proc.pid", "1"),
        ]),
        ev(&[("evt.type", "close"), ("proc.name", "bash")]),
        ev(&[("proc.name", "zsh")]),
    ];
    assert_eq!(
        both(&prog, &events),
        vec![vec![0, 2], vec![1, 2], vec![2], vec![]]
    );
}

#[test]
fn other_sources_match_nothing() {
    let prog = program(&[("proc.name exists", None)]);
    let jit = JitProgram::compile(&prog).expect("compiles");
    let mut je = JitEvaluator::new(&jit, &prog);
    let mut e = ev(&[("proc.name", "x")]);
    e.source = "k8s_audit".into();
    assert!(je.matching_rules(&e).is_empty());
}

#[test]
fn epoch_wrap_invalidates_slots() {
    let prog = program(&[("proc.name = a", None)]);
    let jit = JitProgram::compile(&prog).expect("compiles");
    let mut je = JitEvaluator::new(&jit, &prog);
    assert_eq!(je.matching_rules(&ev(&[("proc.name", "a")])), &[0]);
    je.epoch = u32::MAX;
    assert_eq!(je.matching_rules(&ev(&[("proc.name", "b")])), &[] as &[u32]);
    assert_eq!(je.epoch, 1, "wrapped past 0");
    assert_eq!(je.matching_rules(&ev(&[("proc.name", "a")])), &[0]);
}

#[test]
#[should_panic(expected = "does not belong")]
fn evaluator_refuses_a_foreign_program() {
    let a = program(&[("proc.name = a", None)]);
    let b = program(&[("proc.name = a", None), ("proc.pid = 1", None)]);
    let jit = JitProgram::compile(&a).expect("compiles");
    let _ = JitEvaluator::new(&jit, &b);
}

/// An event whose strings carry NULs (C-string semantics of the string operators), which
/// fixtures cannot express.
struct NulEvent;

impl crate::event::Event for NulEvent {
    fn source(&self) -> &str {
        "syscall"
    }
    fn evt_type(&self) -> Option<&str> {
        None
    }
    fn extract(&self, f: &crate::event::FieldRef) -> Option<crate::event::Values> {
        use crate::event::Val;
        match f.text.as_str() {
            "proc.name" => Some(vec![Val::Str("ab\0cd".into())]),
            "fd.name" => Some(vec![Val::Str(String::new())]),
            _ => None,
        }
    }
}

#[test]
fn string_operators_stop_at_nul_except_equality() {
    let prog = program(&[
        ("proc.name startswith ab", None),
        ("proc.name endswith b", None),
        ("proc.name endswith cd", None),
        ("proc.name contains cd", None),
        ("proc.name contains b", None),
        ("proc.name = ab", None),
        ("proc.name in (ab, x)", None),
        ("fd.name startswith ''", None),
        ("fd.name contains ''", None),
        ("fd.name endswith a", None),
        ("proc.name icontains AB", None),
        ("proc.name icontains CD", None),
    ]);
    let jit = JitProgram::compile(&prog).expect("compiles");
    assert_eq!(jit.stats.tiers.native, 12);
    let mut je = JitEvaluator::new(&jit, &prog);
    let mut it = Engine::new(Backend::Interpreter, &prog, None);
    let want = it.matching_rules(&NulEvent).to_vec();
    assert_eq!(je.matching_rules(&NulEvent), want.as_slice());
    assert_eq!(want, vec![0, 1, 4, 7, 8, 10]);
}

#[test]
fn programs_free_their_code_on_drop_and_recompile() {
    // Compile, evaluate and drop repeatedly (memcheck in scripts/check-jit-memory.sh sees any
    // use of freed code); every generation evaluates with its own code.
    let e = ev(&[("proc.name", "bash"), ("proc.pid", "7")]);
    for i in 0..50 {
        let cond = format!("proc.pid = {}", i % 10);
        let prog = program(&[(&cond, None), ("proc.name = bash", None)]);
        let jit = JitProgram::compile(&prog).expect("compiles");
        let mut je = JitEvaluator::new(&jit, &prog);
        let want: &[u32] = if i % 10 == 7 { &[0, 1] } else { &[1] };
        assert_eq!(je.matching_rules(&e), want, "generation {i}");
    }
}

#[test]
fn inline_byte_compares_agree_for_every_length() {
    // Constants of 1 to 12 bytes (inline up to 8, helper above) against values that differ
    // in the first, a middle and the last byte.
    let consts: Vec<String> = (1..=12).map(|n| "abcdefghijkl"[..n].to_owned()).collect();
    let conds: Vec<String> = consts
        .iter()
        .flat_map(|c| {
            [
                format!("proc.name = {c}"),
                format!("proc.name startswith {c}"),
                format!("proc.name endswith {c}"),
            ]
        })
        .collect();
    let rules: Vec<(&str, Option<&[&str]>)> = conds.iter().map(|c| (c.as_str(), None)).collect();
    let prog = program(&rules);
    let mut events = Vec::new();
    for c in &consts {
        let n = c.len();
        let mut first = c.clone().into_bytes();
        first[0] = b'X';
        let mut last = c.clone().into_bytes();
        last[n - 1] = b'X';
        let mut mid = c.clone().into_bytes();
        mid[n / 2] = b'X';
        for v in [
            c.clone(),
            format!("zz{c}"),
            format!("{c}zz"),
            String::from_utf8(first).expect("ascii"),
            String::from_utf8(last).expect("ascii"),
            String::from_utf8(mid).expect("ascii"),
        ] {
            events.push(ev(&[("proc.name", v.as_str())]));
        }
    }
    let results = both(&prog, &events);
    assert!(
        results.iter().any(|r| r.len() > 3),
        "some events match several rules"
    );
}

#[test]
fn shared_bodies_are_called_and_memoized() {
    // `m1` is a shared `or` (a body with two `Ret`s), `m2` a shared `and` that calls `m1`
    // inside its own body; both are used by several rules (as `or` operands, so that the
    // `and` of `m2` is not flattened into a rule's conjuncts).
    let m1 = "(proc.name = bash or proc.name = sh)";
    let m2 = format!("({m1} and proc.pid > 10)");
    let c0 = format!("fd.name = /etc/shadow or {m2}");
    let c1 = format!("fd.name = /tmp/x or {m2}");
    let c2 = format!("not {m1} and proc.pid = 1");
    let c3 = format!("{m1} and user.uid = 0");
    let prog = program(&[(&c0, None), (&c1, None), (&c2, None), (&c3, None)]);
    let jit = JitProgram::compile(&prog).expect("compiles");
    assert!(jit.stats.bodies >= 2, "{:?}", jit.stats);
    assert_eq!(jit.stats.lists_interpreted, 0);
    let events = [
        ev(&[
            ("proc.name", "sh"),
            ("proc.pid", "11"),
            ("fd.name", "/etc/shadow"),
            ("user.uid", "0"),
        ]),
        ev(&[("proc.name", "sh"), ("proc.pid", "1"), ("user.uid", "0")]),
        ev(&[
            ("proc.name", "zsh"),
            ("proc.pid", "1"),
            ("fd.name", "/tmp/x"),
        ]),
        ev(&[("proc.name", "bash"), ("proc.pid", "12")]),
        ev(&[]),
    ];
    assert_eq!(
        both(&prog, &events),
        vec![vec![0, 1, 3], vec![3], vec![1, 2], vec![0, 1], vec![]]
    );
}

#[test]
fn trie_matches_come_back_in_rule_order() {
    // Rules 0 and 2 share their first conjunct, so the trie tests rule 2 before rule 1.
    let prog = program(&[
        ("proc.name = a and fd.name = x", None),
        ("proc.pid = 1", None),
        ("proc.name = a and fd.name exists", None),
        ("proc.name = a", None),
    ]);
    let events = [
        ev(&[("proc.name", "a"), ("fd.name", "x"), ("proc.pid", "1")]),
        ev(&[("proc.name", "a"), ("fd.name", "y"), ("proc.pid", "1")]),
        ev(&[("proc.name", "a"), ("proc.pid", "2")]),
        ev(&[("proc.name", "b"), ("fd.name", "x"), ("proc.pid", "1")]),
    ];
    assert_eq!(
        both(&prog, &events),
        vec![vec![0, 1, 2, 3], vec![1, 2, 3], vec![3], vec![1]]
    );
}

#[test]
fn evt_type_checks_fold_in_typed_lists() {
    let prog = program(&[
        (
            "(evt.type = open or evt.type = openat) and proc.name = a",
            Some(&["open", "openat"]),
        ),
        (
            "evt.type in (execve, open) and proc.name = a",
            Some(&["execve", "open"]),
        ),
        ("evt.type != close and proc.name = a", None),
        ("evt.type = close", None),
    ]);
    let jit = JitProgram::compile(&prog).expect("compiles");
    // Three typed lists and the any-type list.
    assert_eq!((jit.stats.lists, jit.stats.lists_native), (4, 4));
    let events: Vec<_> = ["open", "openat", "execve", "close", "read"]
        .iter()
        .map(|t| ev(&[("evt.type", t), ("proc.name", "a")]))
        .chain([ev(&[("proc.name", "a")])])
        .collect();
    assert_eq!(
        both(&prog, &events),
        vec![
            vec![0, 1, 2],
            vec![0, 2],
            vec![1, 2],
            vec![3],
            vec![2],
            vec![]
        ]
    );
}

#[test]
fn typed_rules_alone_compile_no_evt_type_check() {
    // Every rule is typed and the any-type list is empty: each `evt.type` check is decided
    // at compile time in the list of its type, and only `proc.name = a` is compiled.
    let prog = program(&[
        ("evt.type = open and proc.name = a", Some(&["open"])),
        ("evt.type = execve and proc.name = a", Some(&["execve"])),
    ]);
    let jit = JitProgram::compile(&prog).expect("compiles");
    assert_eq!(
        jit.stats.tiers,
        TierCounts {
            native: 1,
            helper: 0,
            interp: 0
        }
    );
    let events = [
        ev(&[("evt.type", "open"), ("proc.name", "a")]),
        ev(&[("evt.type", "execve"), ("proc.name", "a")]),
        ev(&[("evt.type", "execve"), ("proc.name", "b")]),
    ];
    assert_eq!(both(&prog, &events), vec![vec![0], vec![1], vec![]]);
}

/// A program whose lists call shared bodies, and events of each list.
fn fallback_program() -> (Program, Vec<FieldMapEvent>) {
    let m = "(proc.name = bash or proc.name = sh)";
    let c0 = format!("{m} and fd.name = /etc/shadow");
    let c1 = format!("{m} and proc.pid = 1");
    let prog = program(&[(&c0, Some(&["open"])), (&c1, Some(&["execve"])), (m, None)]);
    let events = ["open", "execve", "close"]
        .iter()
        .flat_map(|t| {
            [
                ev(&[
                    ("evt.type", t),
                    ("proc.name", "sh"),
                    ("fd.name", "/etc/shadow"),
                    ("proc.pid", "1"),
                ]),
                ev(&[("evt.type", t), ("proc.name", "zsh"), ("proc.pid", "1")]),
            ]
        })
        .collect();
    (prog, events)
}

#[test]
fn lists_that_fail_to_compile_are_interpreted() {
    let (prog, events) = fallback_program();
    let want: Vec<Vec<u32>> = {
        let mut it = Engine::new(Backend::Interpreter, &prog, None);
        events
            .iter()
            .map(|e| it.matching_rules(e).to_vec())
            .collect()
    };
    assert!(want.iter().any(|w| !w.is_empty()));
    // Every body fails: every list calls one, so all are interpreted.
    let no_bodies = JitProgram::compile_with(&prog, &|k, _| k == FnKind::Body).expect("compiles");
    assert_eq!(no_bodies.stats.bodies, 0);
    assert_eq!(
        (
            no_bodies.stats.lists_native,
            no_bodies.stats.lists_interpreted
        ),
        (0, 3)
    );
    // Only the list of `open` fails.
    let open = Code::new(&prog).by_type["open"].entry;
    let one =
        JitProgram::compile_with(&prog, &|k, e| k == FnKind::List && e == open).expect("compiles");
    assert_eq!(
        (one.stats.lists_native, one.stats.lists_interpreted),
        (2, 1)
    );
    for jit in [&no_bodies, &one] {
        let mut je = JitEvaluator::new(jit, &prog);
        let got: Vec<Vec<u32>> = events
            .iter()
            .map(|e| je.matching_rules(e).to_vec())
            .collect();
        assert_eq!(got, want);
        assert!(je.counters.interp_calls > 0);
    }
}
