//! Differential property: for generated multi-rule programs (conditions over fields of every
//! type group and `evt.type`, some rules restricted to event types, shared subexpressions and
//! shared leading conjuncts across rules) and generated events of every type (or none), the
//! JIT matches exactly the rules the reference interpreter matches, in rule order.

use proptest::prelude::*;
use rulec::lower::lower_conditions;
use rulec::schema::Registry;
use rulec_runtime::engine::{Backend, Engine};
use rulec_runtime::event::FixtureValue;
use rulec_runtime::jit::{JitEvaluator, JitProgram};

#[path = "../../compiler/tests/common/conditions.rs"]
mod conditions;
use conditions::{condition, event, TYPES};

fn rule() -> impl Strategy<Value = (String, Option<Vec<&'static str>>)> {
    (
        condition(),
        prop::option::of(prop::collection::vec(prop::sample::select(TYPES), 1..3)),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn jit_agrees_with_interpreter(
        rules in prop::collection::vec(rule(), 1..6),
        events in prop::collection::vec(
            (event(), prop::option::of(prop::sample::select(TYPES))),
            1..8,
        ),
    ) {
        let s = Registry::get().source("syscall").expect("syscall");
        // Rule 0's condition is repeated inside rule 1 when there are two: shared macro-like
        // subtrees across rules exercise the memo bytes and body functions. Rule 2 starts with
        // rule 0's condition: the rule trie tests it once for both, and matches rule 2 before
        // rule 1.
        let texts: Vec<String> = rules
            .iter()
            .enumerate()
            .map(|(i, (c, _))| match i {
                1 => format!("({}) or ({c})", rules[0].0),
                2 => format!("({}) and ({c})", rules[0].0),
                _ => c.clone(),
            })
            .collect();
        let spec: Vec<(&str, Option<Vec<String>>)> = texts
            .iter()
            .zip(&rules)
            .map(|(t, (_, ty))| {
                let ty = ty.as_ref().map(|t| t.iter().map(|t| (*t).to_owned()).collect());
                (t.as_str(), ty)
            })
            .collect();
        let prog = lower_conditions(s, &spec);
        prop_assert!(prog.is_ok(), "{:?}", prog.err());
        let prog = prog.expect("checked");
        let jit = JitProgram::compile(&prog);
        prop_assert!(jit.is_ok(), "{:?}", jit.err());
        let jit = jit.expect("checked");
        prop_assert_eq!(jit.stats.lists_interpreted, 0);
        let mut je = JitEvaluator::new(&jit, &prog);
        let mut it = Engine::new(Backend::Interpreter, &prog, None);
        for (mut e, ty) in events {
            match ty {
                Some(ty) => e.fields.insert("evt.type".into(), FixtureValue::One(ty.to_owned())),
                None => e.fields.remove("evt.type"),
            };
            let want = it.matching_rules(&e).to_vec();
            let got = je.matching_rules(&e).to_vec();
            prop_assert_eq!(got, want, "rules {:?} on {:?}", rules, e);
        }
    }
}
