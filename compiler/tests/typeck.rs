//! Typechecking and event-type resolution on the upstream corpus (skips without it, like
//! tests/corpus.rs; RULEC_CORPUS_DIR overrides the location).

mod common;
use common::corpus_dir;

use rulec::{Analysis, LoadOptions, Severity};

fn load_text(name: &str, text: String) -> rulec::LoadOutcome {
    let mut a = Analysis::new(LoadOptions::default());
    a.add_file(name, text);
    a.load()
}

/// `rule -> sorted evt.type names` of every rule in falco_rules.yaml.
#[test]
fn falco_rules_event_types() {
    let Some(dir) = corpus_dir() else { return };
    let text = std::fs::read_to_string(dir.join("falco_rules.yaml")).expect("readable");
    let o = load_text("falco_rules.yaml", text);
    assert!(o.successful());
    let all = rulec::evttype::EventTypes::all();
    let mut out = String::new();
    for r in &o.compiled.rules {
        let name = &o.collection.rules[r.rule].name;
        let et = r.event_types.expect("syscall rules have event types");
        let names = if et.events == all.events {
            "ALL".to_owned()
        } else {
            et.names().join(", ")
        };
        out.push_str(&format!("{name} -> {names}\n"));
    }
    insta::assert_snapshot!("falco_rules_event_types", out);
}

fn mutate(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    text.replacen(from, to, 1)
}

/// One precise diagnostic per deliberate mistake.
#[test]
fn broken_corpus_gives_one_diagnostic_per_mistake() {
    let Some(dir) = corpus_dir() else { return };
    let mut text = std::fs::read_to_string(dir.join("falco_rules.yaml")).expect("readable");
    // wrong field
    text = mutate(
        &text,
        "    and evt.rawres in (0, 1, 2)",
        "    and evt.rawress in (0, 1, 2)",
    );
    // wrong operator
    text = mutate(&text, "(evt.rawres >= 0 or", "(evt.rawres startswith 0 or");
    // bad literal
    text = mutate(
        &text,
        "fd.net != \"127.0.0.0/8\"",
        "fd.net != \"127.0.0.0/80\"",
    );
    // wrong source
    text = mutate(
        &text,
        "- rule: Clear Log Activities\n",
        "- rule: Clear Log Activities\n  source: k8s_audit\n",
    );
    let o = load_text("falco_rules.yaml", text.clone());
    let errs: Vec<String> = o
        .unique_diagnostics()
        .into_iter()
        .filter(|d| d.severity() == Severity::Error)
        .map(|d| {
            let s = d.span.expect("errors have spans");
            format!(
                "{} {} @{}",
                d.code.id(),
                d.message,
                &text[s.start as usize..s.end as usize]
            )
        })
        .collect();
    assert_eq!(
        errs,
        [
            // wrong source: one diagnostic for the whole rule (in the open_write macro)
            "E0011 filter_check called with nonexistent field evt.type @evt.type",
            "E0011 filter_check called with nonexistent field evt.rawress @evt.rawress",
            "E0011 invalid netmask 80 @\"127.0.0.0/80\"",
            "E0011 filter error: 'startswith' operator not supported for numeric filters @startswith",
        ]
    );
}

#[test]
fn typechecking_the_corpus_is_fast() {
    let Some(dir) = corpus_dir() else { return };
    let reg = rulec::schema::Registry::get();
    let mut outcomes = Vec::new();
    for f in [
        "falco_rules.yaml",
        "k8s_audit_rules.yaml",
        "aws_cloudtrail_rules.yaml",
    ] {
        let text = std::fs::read_to_string(dir.join(f)).expect("readable");
        outcomes.push(load_text(f, text));
    }
    let start = std::time::Instant::now();
    let mut n = 0;
    for o in &outcomes {
        for r in &o.compiled.rules {
            let src = reg
                .source(&o.collection.rules[r.rule].source)
                .expect("known source");
            let ast = r.ast.as_ref().expect("compiled");
            let c = rulec::typeck::check_condition(src, ast);
            assert!(c.errors.is_empty());
            n += c.typed.checks.len();
            let _ = rulec::evttype::resolve(ast, Default::default());
        }
    }
    let t = start.elapsed();
    println!("typechecked {n} checks in {t:?}");
    assert!(n > 500);
    // Generous bound for debug builds on a shared machine; release is well under 10 ms.
    assert!(t.as_millis() < 2000, "{t:?}");
}

#[test]
fn explain_a_rule() {
    let Some(dir) = corpus_dir() else { return };
    let text = std::fs::read_to_string(dir.join("falco_rules.yaml")).expect("readable");
    let o = load_text("falco_rules.yaml", text);
    let e = rulec::explain::explain(&o, "Clear Log Activities").expect("rule exists");
    assert_eq!(e.source, "syscall");
    let et = e.event_types.expect("syscall rule");
    assert!(et.contains(&"openat".to_string()), "{et:?}");
    assert!(!e.all_event_types);
    assert!(e.syscalls.iter().any(|(n, nr)| n == "openat" && *nr == 257));
    assert!(e
        .fields
        .iter()
        .any(|f| f.name == "evt.arg.flags" && f.ty == "CHARBUF" && f.used_in == "condition"));
    assert!(e
        .fields
        .iter()
        .any(|f| f.name == "proc.tty" && f.used_in == "output"));
    assert!(e.checks > 5);
    assert!(e.condition.expect("compiled").contains("O_TRUNC"));
}
