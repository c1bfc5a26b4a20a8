#![no_main]
//! The interpreter's compiled code against the AST evaluator: the input's lines are rule
//! conditions (those that parse and typecheck as syscall conditions are kept), some restricted
//! to event types, so per-type code with folded `evt.type` checks, rule tries over shared
//! leading conjuncts and the memo are all exercised. On a fixed set of events the interpreter
//! must match exactly the rules whose types admit the event and whose condition the AST
//! evaluator finds true, in rule order.
use libfuzzer_sys::fuzz_target;

#[path = "common/mod.rs"]
mod common;
use common::events;

use rulec::condition::{parse, ParseOptions};
use rulec_runtime::event::FixtureValue;
use rulec::ast_eval;
use rulec_runtime::interp::{Interpreter};
use rulec::lower::lower_conditions;
use rulec::schema::Registry;
use rulec::span::FileId;
use rulec::typeck::check_condition;

fn types(i: usize) -> Option<Vec<String>> {
    match i % 3 {
        0 => None,
        1 => Some(vec!["openat".into()]),
        _ => Some(vec!["openat".into(), "execve".into()]),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let s = Registry::get().source("syscall").expect("syscall");
    let mut rules = Vec::new();
    for line in text.lines().take(8) {
        let Ok(ast) = parse(line, FileId::default(), &ParseOptions::default()) else { continue };
        let checked = check_condition(s, &ast);
        if checked.errors.is_empty() {
            rules.push((line, ast, checked.typed));
        }
    }
    let spec: Vec<(&str, Option<Vec<String>>)> =
        rules.iter().enumerate().map(|(i, r)| (r.0, types(i))).collect();
    let Ok(prog) = lower_conditions(s, &spec) else { return };
    let mut it = Interpreter::new(&prog);
    for e in events() {
        let ty = e.fields.get("evt.type").map(|v| match v {
            FixtureValue::One(t) => t.clone(),
            FixtureValue::Many(v) => v.first().cloned().unwrap_or_default(),
        });
        let want: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(i, (_, ast, typed))| {
                let admitted = match (types(*i), &ty) {
                    (None, _) => true,
                    (Some(t), Some(ty)) => t.contains(ty),
                    (Some(_), None) => false,
                };
                admitted && ast_eval::eval(s, Some(typed), ast, &e)
            })
            .map(|(i, _)| i)
            .collect();
        assert_eq!(it.matching_rules(&e), want, "{spec:?} on {e:?}");
    }
});
