//! Property tests of the formatter on generated small rules files: the result loads to the
//! same rules (checked inside `format_source`), is idempotent and keeps every comment.

use proptest::prelude::*;

use super::tests::check;
use super::FmtOptions;

/// Strings that are hard to quote: YAML indicators, quotes, `#`, `: `, blanks, newlines,
/// type-ambiguous words, unicode, control characters.
fn hostile() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        6 => proptest::char::range('a', 'z'),
        1 => Just(' '), 1 => Just('"'), 1 => Just('\''), 1 => Just('\\'), 1 => Just('#'),
        1 => Just(':'), 1 => Just(','), 1 => Just('['), 1 => Just(']'), 1 => Just('{'),
        1 => Just('-'), 1 => Just('&'), 1 => Just('*'), 1 => Just('!'), 1 => Just('|'),
        1 => Just('>'), 1 => Just('é'), 1 => Just('\t'), 1 => Just('\n'), 1 => Just('\u{1}'),
        1 => Just('\u{2028}'), 1 => Just('%'), 1 => Just('@'), 1 => Just('`'), 1 => Just('?'),
    ];
    prop_oneof![
        3 => proptest::collection::vec(ch, 1..14).prop_map(|v| v.into_iter().collect()),
        1 => prop_oneof![
            Just("yes"), Just("No"), Just("~"), Just("null"), Just("0x1F"), Just("1e3"),
            Just("- x"), Just("a: b"), Just("x #y"), Just("---"), Just(" lead"), Just("trail "),
            Just("two  spaces")
        ].prop_map(String::from),
        1 => "[a-z ]{60,160}",
    ]
}

/// A YAML scalar for `s`: plain when trivially safe, otherwise double-quoted with escapes.
fn yaml(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return s.to_string();
    }
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c if c.is_control() || c == '\u{2028}' => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn blank() -> impl Strategy<Value = &'static str> {
    prop_oneof![6 => Just(" "), 1 => Just("  "), 1 => Just("\n"), 1 => Just(" \t "), 1 => Just("\n  ")]
}

/// A random check on a syscall field.
fn check_expr(lists: Vec<String>) -> impl Strategy<Value = String> {
    let value = prop_oneof![
        "[a-z/._-]{1,8}",
        "[a-z ,()=]{0,8}".prop_map(|s| format!("\"{s}\"")),
        "[a-z \"]{0,6}".prop_map(|s| format!("'{s}'")),
    ];
    let field = prop_oneof![Just("proc.name"), Just("fd.name"), Just("proc.cmdline")];
    let op = prop_oneof![Just("="), Just("!="), Just("contains"), Just("startswith")];
    let names = if lists.is_empty() {
        vec!["a".to_string()]
    } else {
        lists.clone()
    };
    let has_lists = !lists.is_empty();
    (
        field,
        op,
        value,
        proptest::sample::select(names),
        any::<bool>(),
        blank(),
    )
        .prop_map(move |(f, o, v, l, use_list, b)| {
            if use_list && has_lists {
                format!("{f}{b}in{b}({l})")
            } else {
                format!("{f}{b}{o}{b}{v}")
            }
        })
}

/// A condition: checks and macro names joined by and/or, with groups and `not`.
fn condition(lists: Vec<String>, macros: Vec<String>) -> impl Strategy<Value = String> {
    let atom = if macros.is_empty() {
        check_expr(lists).boxed()
    } else {
        prop_oneof![3 => check_expr(lists), 1 => proptest::sample::select(macros)].boxed()
    };
    let leaf = (any::<bool>(), atom).prop_map(|(n, a)| if n { format!("not {a}") } else { a });
    leaf.prop_recursive(3, 12, 4, |inner| {
        (
            proptest::collection::vec(inner, 2..4),
            prop_oneof![Just(" and"), Just(" or"), Just("\nand"), Just("  or")],
            blank(),
            any::<bool>(),
        )
            .prop_map(|(xs, op, b, paren)| {
                let s = xs.join(&format!("{op}{b}"));
                if paren {
                    format!("({s})")
                } else {
                    s
                }
            })
    })
}

fn comment() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        1 => "[a-z #:'\"-]{0,12}".prop_map(|s| Some(format!("#{s}"))),
    ]
}

#[derive(Debug, Clone)]
struct Item {
    lines: Vec<String>,
}

/// Keys of an item as `(key, yaml value, comment before, trailing comment)`, in random order.
fn item_text(
    head: (String, String),
    keys: Vec<(String, String)>,
    order: Vec<usize>,
    comments: Vec<(Option<String>, Option<String>)>,
    indent_items: bool,
) -> Item {
    let mut all = vec![head];
    let mut rest = keys;
    let mut ordered = Vec::new();
    for i in order {
        if !rest.is_empty() {
            ordered.push(rest.remove(i % rest.len()));
        }
    }
    ordered.extend(rest);
    all.extend(ordered);
    let pad = if indent_items { "    " } else { "  " };
    let mut lines = Vec::new();
    for (i, (k, v)) in all.into_iter().enumerate() {
        let (before, after) = comments.get(i).cloned().unwrap_or((None, None));
        if let Some(c) = before {
            lines.push(format!("{}{c}", if i == 0 { "" } else { pad }));
        }
        let dash = if i == 0 {
            if indent_items {
                "-   "
            } else {
                "- "
            }
        } else {
            pad
        };
        let trail = after.map(|c| format!("  {c}")).unwrap_or_default();
        lines.push(format!("{dash}{k}: {v}{trail}"));
    }
    Item { lines }
}

fn rules_file() -> impl Strategy<Value = String> {
    let n_lists = 0..3usize;
    let n_macros = 0..3usize;
    (n_lists, n_macros)
        .prop_flat_map(|(nl, nm)| {
            let lists: Vec<String> = (0..nl).map(|i| format!("list_{i}")).collect();
            let macros: Vec<String> = (0..nm).map(|i| format!("macro_{i}")).collect();
            let list_items = proptest::collection::vec(
                proptest::collection::vec("[a-z][a-z0-9_-]{0,6}", 0..6),
                nl,
            );
            let junk_items = proptest::collection::vec(hostile(), 0..5);
            let macro_conds: Vec<_> = (0..nm)
                .map(|i| condition(lists.clone(), macros[..i].to_vec()).boxed())
                .collect();
            let rules = proptest::collection::vec(
                (
                    condition(lists.clone(), macros.clone()),
                    hostile(),
                    "[a-z ]{1,30}|[a-z ]{80,140}",
                    prop_oneof![Just("WARNING"), Just("info"), Just("Critical")],
                    proptest::collection::vec("[a-z_]{1,8}", 0..4),
                    any::<bool>(),
                    proptest::collection::vec(0..8usize, 6),
                ),
                1..3,
            );
            let comments = proptest::collection::vec((comment(), comment()), 40);
            let blanks = proptest::collection::vec(any::<bool>(), 10);
            (
                Just(lists),
                Just(macros),
                list_items,
                junk_items,
                macro_conds,
                rules,
                comments,
                blanks,
                any::<bool>(),
            )
        })
        .prop_map(
            |(lists, macros, list_items, junk, macro_conds, rules, comments, blanks, indent)| {
                let mut items: Vec<Item> = Vec::new();
                let mut ci = comments.into_iter().cycle();
                let mut take = |n: usize| (0..n).filter_map(|_| ci.next()).collect::<Vec<_>>();
                for (name, its) in lists.iter().zip(list_items) {
                    let v = format!("[{}]", its.join(", "));
                    items.push(item_text(
                        ("list".into(), name.clone()),
                        vec![("items".into(), v)],
                        vec![],
                        take(2),
                        indent,
                    ));
                }
                let jv = format!(
                    "[{}]",
                    junk.iter().map(|s| yaml(s)).collect::<Vec<_>>().join(", ")
                );
                items.push(item_text(
                    ("list".into(), "junk_list".into()),
                    vec![("items".into(), jv)],
                    vec![],
                    take(2),
                    indent,
                ));
                for (name, c) in macros.iter().zip(macro_conds) {
                    items.push(item_text(
                        ("macro".into(), name.clone()),
                        vec![("condition".into(), yaml(&c))],
                        vec![],
                        take(2),
                        indent,
                    ));
                }
                for (i, (cond, desc, output, prio, tags, enabled, order)) in
                    rules.into_iter().enumerate()
                {
                    let mut keys = vec![
                        ("desc".to_string(), yaml(&desc)),
                        ("condition".to_string(), yaml(&cond)),
                        ("output".to_string(), yaml(&format!("{output} %proc.name"))),
                        ("priority".to_string(), prio.to_string()),
                        ("tags".to_string(), format!("[{}]", tags.join(", "))),
                    ];
                    if enabled {
                        keys.push(("enabled".into(), "false".into()));
                    }
                    items.push(item_text(
                        ("rule".into(), yaml(&format!("rule {i}: x"))),
                        keys,
                        order,
                        take(7),
                        indent,
                    ));
                }
                let mut out = String::new();
                for (i, it) in items.iter().enumerate() {
                    if i > 0 && blanks.get(i % blanks.len()).copied().unwrap_or(false) {
                        out.push('\n');
                    }
                    for l in &it.lines {
                        out.push_str(l);
                        out.push('\n');
                    }
                }
                out
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn generated_files_format_faithfully(src in rules_file(), width in prop_oneof![Just(100usize), Just(40), Just(60)]) {
        let loaded = super::verify::load(&src);
        prop_assume!(loaded.successful());
        check(&src, &FmtOptions { width });
    }
}

#[test]
fn generator_mostly_produces_loadable_files() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strat = rules_file();
    let mut ok = 0;
    let mut with_comments = 0;
    for i in 0..100 {
        let Ok(tree) = strat.new_tree(&mut runner) else {
            continue;
        };
        let src = tree.current();
        if std::env::var("FMT_SHOW").is_ok() && i < 2 {
            println!(
                "{src}\n=====\n{}",
                super::format_unverified(&src, &FmtOptions { width: 60 }).unwrap_or_default()
            );
        }
        if super::verify::load(&src).successful() {
            ok += 1;
            if src.contains('#') {
                with_comments += 1;
            }
        }
    }
    assert!(ok >= 50, "only {ok}/100 generated files load");
    assert!(
        with_comments >= 25,
        "only {with_comments} loadable files have comments"
    );
}
