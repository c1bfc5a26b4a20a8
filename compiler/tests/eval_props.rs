//! Property: for generated conditions (a small grammar over fields of every type group) and
//! generated field-map events, the IR interpreter agrees with the direct AST evaluator.

use proptest::prelude::*;
use rulec::condition::{parse, ParseOptions};
use rulec::interp::{ast_eval, Interpreter};
use rulec::lower::lower_condition;
use rulec::schema::Registry;
use rulec::span::FileId;
use rulec::typeck::check_condition;

#[path = "common/conditions.rs"]
mod conditions;
use conditions::{condition, event};

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
}
