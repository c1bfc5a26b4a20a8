//! Property: for generated conditions (a small grammar over fields of every type group) and
//! generated field-map events, the IR interpreter agrees with the direct AST evaluator.

use proptest::prelude::*;
use rulec::ast_eval;
use rulec::condition::{parse, ParseOptions};
use rulec::lower::{lower_condition, lower_conditions};
use rulec::schema::Registry;
use rulec::span::FileId;
use rulec::typeck::check_condition;
use rulec_runtime::event::FixtureValue;
use rulec_runtime::interp::Interpreter;

#[path = "common/conditions.rs"]
mod conditions;
use conditions::{condition, event, TYPES};

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn ir_agrees_with_ast(cond in condition(), events in prop::collection::vec(event(), 1..6)) {
        let s = Registry::get().source("syscall").expect("syscall");
        let ast = parse(&cond, FileId::default(), &ParseOptions::default());
        prop_assert!(ast.is_ok(), "{cond}: {:?}", ast.err());
        let ast = ast.expect("checked");
        let checked = check_condition(s, &ast);
        prop_assert!(checked.errors.is_empty(), "{cond}: {:?}", checked.errors);
        let prog = lower_condition(s, &ast, Some(&checked.typed));
        prop_assert!(prog.is_ok(), "{cond}: {:?}", prog.err());
        let prog = prog.expect("checked");
        let mut it = Interpreter::new(&prog);
        for e in &events {
            let ir = it.eval_rule_on(0, e);
            let want = ast_eval::eval(s, Some(&checked.typed), &ast, e);
            prop_assert_eq!(ir, want, "{} on {:?}", cond, e);
        }
    }

    /// The interpreter's per-event-type code (rules chained per type, `evt.type` checks
    /// folded) matches exactly the rules whose event types include the event's and whose
    /// condition the AST evaluator finds true.
    #[test]
    fn typed_rule_lists_agree_with_ast(
        rules in prop::collection::vec(
            (condition(), prop::option::of(prop::collection::vec(prop::sample::select(TYPES), 1..3))),
            1..5,
        ),
        events in prop::collection::vec((event(), prop::sample::select(TYPES)), 1..6),
    ) {
        let s = Registry::get().source("syscall").expect("syscall");
        let spec: Vec<(&str, Option<Vec<String>>)> = rules
            .iter()
            .map(|(c, t)| (c.as_str(), t.as_ref().map(|t| t.iter().map(|x| x.to_string()).collect())))
            .collect();
        let prog = lower_conditions(s, &spec);
        prop_assert!(prog.is_ok(), "{:?}", prog.err());
        let prog = prog.expect("checked");
        let mut asts = Vec::new();
        for (c, _) in &rules {
            let ast = parse(c, FileId::default(), &ParseOptions::default()).expect("parses");
            let checked = check_condition(s, &ast);
            asts.push((ast, checked.typed));
        }
        let mut it = Interpreter::new(&prog);
        for (mut e, ty) in events {
            e.fields.insert("evt.type".into(), FixtureValue::One(ty.to_owned()));
            let want: Vec<usize> = rules
                .iter()
                .zip(&asts)
                .enumerate()
                .filter(|(_, ((_, types), (ast, typed)))| {
                    types.as_ref().is_none_or(|t| t.contains(&ty))
                        && ast_eval::eval(s, Some(typed), ast, &e)
                })
                .map(|(i, _)| i)
                .collect();
            prop_assert_eq!(it.matching_rules(&e), want, "rules {:?} on {:?}", rules, e);
        }
    }
}
