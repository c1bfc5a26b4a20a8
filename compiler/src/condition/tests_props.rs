//! Property tests: printer round trips on random ASTs, and no panics on arbitrary input.

use proptest::prelude::*;

use super::super::*;
use crate::span::{FileId, Span};

fn sp() -> Span {
    Span::default()
}

/// Awkward strings: quotes, blanks, backslashes, punctuation, unicode, control characters.
fn awkward() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        4 => proptest::char::range('a', 'z'),
        1 => Just(' '), 1 => Just('"'), 1 => Just('\''), 1 => Just('\\'), 1 => Just('('),
        1 => Just(')'), 1 => Just(','), 1 => Just('='), 1 => Just('['), 1 => Just(']'),
        1 => Just('é'), 1 => Just('\t'), 1 => Just('\n'), 1 => Just('\u{8}'), 1 => Just('\0'),
        1 => Just('\u{c}'), 1 => Just('/'), 1 => Just('*'), 1 => Just('-'), 1 => Just('0'),
        1 => any::<char>(),
    ];
    prop_oneof![
        2 => "[a-z0-9/*._-]{1,8}",
        1 => Just(String::new()),
        1 => prop_oneof![Just("oneof"), Just("and"), Just("not"), Just("in"), Just("val")]
            .prop_map(String::from),
        4 => proptest::collection::vec(ch, 0..8).prop_map(|v| v.into_iter().collect()),
    ]
}

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z][a-zA-Z0-9_]{0,6}",
        1 => prop_oneof![Just("not"), Just("and"), Just("or"), Just("oneof"), Just("tolower")]
            .prop_map(String::from),
    ]
}

/// Identifiers usable after a modifier (§2.10 lookahead rejects `and`/`or`/`not` + non-alnum).
fn modifier_ident() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9]{0,6}".prop_filter("keyword-like", |s| {
        !["and", "or", "not"].iter().any(|w| {
            s.starts_with(w) && !s[w.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
        })
    })
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,5}",
        "[+-][0-9]{1,3}\\.[0-9]{0,2}",
        "[0-9]{1,2}[eE][+-][0-9]{1,2}",
        "0[xX][0-9a-fA-F]{1,4}",
    ]
}

fn value(s: String) -> Value {
    Value::new(s, sp(), false)
}

fn field() -> impl Strategy<Value = Field> {
    (
        "[a-z]{1,4}(\\.[a-z][a-z0-9_]{0,3}){1,2}",
        proptest::option::of(awkward()),
    )
        .prop_map(|(name, arg)| Field {
            name,
            arg,
            span: sp(),
            name_span: sp(),
            arg_span: None,
        })
}

fn transformer() -> impl Strategy<Value = Transformer> {
    let leaf = prop_oneof![
        field().prop_map(TrArg::Field),
        number().prop_map(|n| TrArg::Value(value(n))),
        awkward().prop_map(|s| TrArg::Value(value(s))),
    ];
    let arg = leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (
                transformer_name(),
                proptest::collection::vec(inner.clone(), 1..3),
                tr_sel()
            )
                .prop_map(|(name, args, arg)| TrArg::Transformer(mk_tr(name, args, arg))),
            proptest::collection::vec(non_list(inner), 0..3).prop_map(|v| TrArg::List(v, sp())),
        ]
    });
    (
        transformer_name(),
        proptest::collection::vec(arg, 1..3),
        tr_sel(),
    )
        .prop_map(|(name, args, arg)| mk_tr(name, args, arg))
}

fn non_list(s: BoxedStrategy<TrArg>) -> impl Strategy<Value = TrArg> {
    s.prop_filter("no nested lists", |a| !matches!(a, TrArg::List(..)))
}

fn tr_sel() -> impl Strategy<Value = Option<String>> {
    prop_oneof![3 => Just(None), 1 => awkward().prop_map(Some)]
}

fn transformer_name() -> impl Strategy<Value = TransformerName> {
    proptest::sample::select(TransformerName::TYPES.to_vec())
}

fn mk_tr(name: TransformerName, args: Vec<TrArg>, arg: Option<String>) -> Transformer {
    Transformer {
        name,
        args,
        arg,
        span: sp(),
        arg_span: None,
    }
}

fn val_tr() -> impl Strategy<Value = Transformer> {
    (field(), tr_sel()).prop_map(|(f, arg)| mk_tr(TransformerName::Val, vec![TrArg::Field(f)], arg))
}

fn rhs_transformer() -> impl Strategy<Value = Rhs> {
    prop_oneof![transformer(), val_tr()].prop_map(Rhs::Transformer)
}

fn list() -> impl Strategy<Value = Rhs> {
    proptest::collection::vec(awkward(), 0..4).prop_map(|v| {
        Rhs::List(ListLit {
            items: v.into_iter().map(value).collect(),
            span: sp(),
        })
    })
}

fn op(kind: OpKind, text: &str, modifier: Option<Modifier>) -> Operator {
    Operator {
        kind,
        modifier,
        text: text.to_string(),
        span: sp(),
    }
}

fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![3 => field().prop_map(Operand::Field), 1 => transformer().prop_map(Operand::Transformer)]
}

fn str_op_text() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "=",
        "==",
        "!=",
        "glob",
        "iglob",
        "contains",
        "icontains",
        "bcontains",
        "startswith",
        "bstartswith",
        "endswith",
        "regex",
    ])
}

fn check_expr() -> impl Strategy<Value = Expr> {
    let num = (
        operand(),
        proptest::sample::select(vec!["<", "<=", ">", ">="]),
        prop_oneof![
            number().prop_map(|n| Rhs::Value(value(n))),
            rhs_transformer(),
        ],
    )
        .prop_map(|(lhs, t, rhs)| binary(lhs, op(kind_of(t), t, None), rhs));
    let strv = (
        operand(),
        str_op_text(),
        prop_oneof![
            3 => awkward().prop_map(|s| Rhs::Value(value(s))),
            1 => rhs_transformer(),
        ],
    )
        .prop_map(|(lhs, t, rhs)| binary(lhs, op(kind_of(t), t, None), rhs));
    let modified = (
        operand(),
        str_op_text(),
        proptest::sample::select(Modifier::ALL.to_vec()),
        prop_oneof![
            list(),
            modifier_ident().prop_map(|s| Rhs::Identifier(value(s)))
        ],
    )
        .prop_map(|(lhs, t, m, rhs)| binary(lhs, op(kind_of(t), t, Some(m)), rhs));
    let listv = (
        operand(),
        proptest::sample::select(vec!["in", "intersects", "pmatch"]),
        prop_oneof![
            list(),
            ident().prop_map(|s| Rhs::Identifier(value(s))),
            rhs_transformer()
        ],
    )
        .prop_map(|(lhs, t, rhs)| binary(lhs, op(kind_of(t), t, None), rhs));
    let unary = operand().prop_map(|lhs| mk(ExprKind::Unary { lhs }));
    let macro_ref = ident().prop_map(|n| mk(ExprKind::Identifier(n)));
    prop_oneof![num, strv, modified, listv, unary, macro_ref]
}

fn kind_of(t: &str) -> OpKind {
    OpKind::from_text(t).unwrap_or(OpKind::Eq)
}

fn binary(lhs: Operand, op: Operator, rhs: Rhs) -> Expr {
    mk(ExprKind::Binary { lhs, op, rhs })
}

fn mk(kind: ExprKind) -> Expr {
    Expr { kind, span: sp() }
}

fn expr() -> impl Strategy<Value = Expr> {
    check_expr().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(|v| mk(ExprKind::And(v))),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(|v| mk(ExprKind::Or(v))),
            inner.prop_map(|e| mk(ExprKind::Not(Box::new(e)))),
        ]
    })
}

fn reparse(text: &str) -> Result<Expr, String> {
    parse(text, FileId(0), &ParseOptions::default())
        .map_err(|e| format!("{} at {}", e.message, e.index))
}

/// Alphabet of grammar-ish fragments for the fuzz test.
fn fragment() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec![
        "a",
        "a.b",
        "x.y[1]",
        " ",
        "\n",
        "\t",
        "\u{8}",
        "\u{c}",
        "(",
        ")",
        "[",
        "]",
        ",",
        "=",
        "==",
        "!=",
        "<",
        ">=",
        "and",
        "or",
        "not",
        "not(",
        "exists",
        "in",
        "contains ",
        "oneof",
        "tolower(",
        "val(",
        "join(",
        "\"",
        "'",
        "\\",
        "x",
        "1",
        "1e",
        "+",
        "0x",
        "é",
        "\0",
        "getopt(",
        "[\"",
        "\\x",
        "\\u",
    ])
}

/// Runs a property on a thread with a large stack: the recursive AST strategies nest deeply
/// (debug builds use big frames), which overflows the default 2 MiB test-thread stack.
fn run_big_stack<S, F>(make: fn() -> S, test: F)
where
    S: Strategy + 'static,
    S::Value: std::fmt::Debug,
    F: Fn(S::Value) -> Result<(), TestCaseError> + Send + 'static,
{
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            let mut runner = proptest::test_runner::TestRunner::default();
            runner.run(&make(), test).map_err(|e| e.to_string())
        });
    let outcome = match handle {
        Ok(h) => h
            .join()
            .unwrap_or_else(|_| Err("property panicked".to_string())),
        Err(e) => Err(e.to_string()),
    };
    if let Err(msg) = outcome {
        panic!("{msg}");
    }
}

fn expr_and_width() -> impl Strategy<Value = (Expr, usize)> {
    (expr(), 0usize..100)
}

#[test]
fn to_source_round_trips() {
    run_big_stack(expr, |e| {
        let src = to_source(&e);
        let back = reparse(&src);
        prop_assert!(
            matches!(&back, Ok(b) if b.same_ast(&e)),
            "{src:?} -> {back:?}"
        );
        Ok(())
    });
}

#[test]
fn pretty_round_trips() {
    run_big_stack(expr_and_width, |(e, width)| {
        let text = pretty(&e, width);
        let back = reparse(&text);
        prop_assert!(
            matches!(&back, Ok(b) if b.same_ast(&e)),
            "{text:?} -> {back:?}"
        );
        Ok(())
    });
}

#[test]
fn canonical_form_is_stable() {
    // parse(to_source(e)) prints the same canonical string as e itself
    run_big_stack(expr, |e| {
        let back = reparse(&to_source(&e));
        prop_assert!(matches!(&back, Ok(b) if b.to_string() == e.to_string()));
        Ok(())
    });
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_strings(s in any::<String>()) {
        let _ = parse(&s, FileId(0), &ParseOptions::default());
        let _ = tokens(&s);
    }

    #[test]
    fn never_panics_on_fragments(v in proptest::collection::vec(fragment(), 0..24), d in 1u32..40) {
        let s: String = v.concat();
        let r = parse(&s, FileId(0), &ParseOptions { max_depth: d });
        if let Err(e) = &r {
            prop_assert!(e.index as usize <= s.len());
            prop_assert!(e.span.start <= e.span.end && e.span.end as usize <= s.len());
            prop_assert!(s.get(e.span.start as usize..e.span.end as usize).is_some());
        }
        if let Ok(e) = &r {
            let back = reparse(&to_source(e));
            prop_assert!(matches!(&back, Ok(b) if b.same_ast(e)), "{s:?}");
        }
        let _ = tokens(&s);
    }
}
