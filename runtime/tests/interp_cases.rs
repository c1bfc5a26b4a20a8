//! Interpreter unit tests: every operator × type group of operators.json, the odd cases of
//! spec §3.4/§2.10, transformers, and IR vs AST-oracle agreement on each case.

use rulec::ast_eval;
use rulec::condition::{parse, ParseOptions};
use rulec::lower::lower_condition;
use rulec::span::FileId;
use rulec::typeck::check_condition;
use rulec_ir::program::Node;
use rulec_ir::schema::Registry;
use rulec_runtime::event::{Event, FieldMapEvent, FixtureValue, Val, Values};
use rulec_runtime::interp::Interpreter;

fn schema() -> &'static rulec_ir::schema::SourceSchema {
    Registry::get().source("syscall").expect("syscall schema")
}

/// Evaluates `cond` on `ev` with the IR interpreter and the AST oracle; they must agree.
fn eval_ev(cond: &str, ev: &FieldMapEvent) -> bool {
    let s = schema();
    let ast = parse(cond, FileId::default(), &ParseOptions::default()).expect("parses");
    let checked = check_condition(s, &ast);
    assert!(checked.errors.is_empty(), "{cond}: {:?}", checked.errors);
    let prog = lower_condition(s, &ast, Some(&checked.typed)).expect("lowers");
    let mut it = Interpreter::new(&prog);
    let ir = it.eval_rule_on(0, ev);
    let oracle = ast_eval::eval(s, Some(&checked.typed), &ast, ev);
    assert_eq!(ir, oracle, "IR and AST disagree on {cond} for {ev:?}");
    ir
}

fn ev(pairs: &[(&str, &str)]) -> FieldMapEvent {
    FieldMapEvent::syscall(pairs.iter().copied())
}

fn t(cond: &str, pairs: &[(&str, &str)]) {
    assert!(eval_ev(cond, &ev(pairs)), "expected true: {cond} {pairs:?}");
}

fn f(cond: &str, pairs: &[(&str, &str)]) {
    assert!(
        !eval_ev(cond, &ev(pairs)),
        "expected false: {cond} {pairs:?}"
    );
}

#[test]
fn missing_fields_make_every_check_false() {
    let e: &[(&str, &str)] = &[("evt.type", "openat")];
    f("proc.name = cat", e);
    f("proc.name != cat", e);
    f("proc.name exists", e);
    f("proc.name in (cat)", e);
    f("proc.pid < 5", e);
    f("fd.types in (file)", e);
    t("not proc.name = cat", e);
    t("not proc.name exists", e);
    f("tolower(proc.name) = cat", e);
    f("proc.name = val(proc.pname)", &[("proc.name", "a")]);
    f("proc.name != val(proc.pname)", &[("proc.name", "a")]);
}

#[test]
fn numeric_group() {
    let e: &[(&str, &str)] = &[
        ("proc.pid", "42"),
        ("user.uid", "4294967295"),
        ("fd.sport", "22"),
    ];
    t("proc.pid = 42", e);
    t("proc.pid == 42", e);
    f("proc.pid != 42", e);
    t("proc.pid < 43", e);
    f("proc.pid < 42", e);
    t("proc.pid <= 42", e);
    t("proc.pid > -1", e);
    t("proc.pid >= 42", e);
    t("proc.pid in (1, 42)", e);
    f("proc.pid in (1, 2, 3, 4, 5, 6)", e);
    t("proc.pid in (1, 2, 3, 4, 5, 42)", e);
    t("proc.pid intersects (42)", e);
    t("proc.pid exists", e);
    t("proc.pid = oneof (1, 42)", e);
    f("proc.pid = oneof (42, 42)", e);
    // Unsigned width: -1 wraps modulo 2^32 for a UINT32 field.
    t("user.uid = -1", e);
    t("user.uid > 0", e);
    // PORT literal service names.
    t("fd.sport = ssh", e);
    t("fd.sport in (http, ssh)", e);
}

#[test]
fn bool_group() {
    let e: &[(&str, &str)] = &[("evt.failed", "true")];
    t("evt.failed = true", e);
    f("evt.failed = false", e);
    t("evt.failed != false", e);
    t("evt.failed in (true)", e);
    t("evt.failed intersects (false, true)", e);
    t("evt.failed exists", e);
}

#[test]
fn string_group() {
    let e: &[(&str, &str)] = &[("proc.name", "Bash"), ("fd.name", "/etc/shadow")];
    t("proc.name = Bash", e);
    f("proc.name = bash", e);
    t("proc.name != bash", e);
    // String ordering needs a RHS field (numbers only after `<` in the grammar).
    let o: &[(&str, &str)] = &[("proc.name", "Bash"), ("proc.pname", "Bz")];
    t("proc.name < val(proc.pname)", o);
    f("proc.pname < val(proc.name)", o);
    t("proc.name <= val(proc.name)", o);
    t("proc.pname > val(proc.name)", o);
    t("proc.name >= val(proc.name)", o);
    t("proc.name contains as", e);
    f("proc.name contains AS", e);
    t("proc.name icontains AS", e);
    t("proc.name startswith Ba", e);
    t("proc.name endswith sh", e);
    t("fd.name glob /etc/*", e);
    t("fd.name glob '*shadow'", e);
    f("fd.name glob /etc", e);
    t("fd.name glob '/etc/sha?ow'", e);
    t("fd.name glob '/etc/[rs]hadow'", e);
    t("proc.name iglob 'bA*'", e);
    f("proc.name glob 'bA*'", e);
    t("fd.name regex '/etc/s.*'", e);
    f("fd.name regex 'etc'", e); // full match only
    t("fd.name regex '.*etc.*'", e);
    t("fd.name pmatch (/etc)", e);
    t("fd.name in (/etc/shadow, /etc/passwd)", e);
    f("fd.name in (/etc/shado)", e);
    t("fd.name intersects (/etc/shadow)", e);
    t("proc.name exists", e);
}

#[test]
fn pmatch_components() {
    let e = |p: &str| ev(&[("fd.name", p)]);
    assert!(eval_ev("fd.name pmatch (/var)", &e("/var")));
    assert!(eval_ev("fd.name pmatch (/var)", &e("/var/x")));
    assert!(!eval_ev("fd.name pmatch (/var)", &e("/varx")));
    assert!(!eval_ev("fd.name pmatch (/var/run)", &e("/var")));
    assert!(eval_ev("fd.name pmatch (/a//b/)", &e("/a/b/c")));
    assert!(eval_ev(
        "fd.name pmatch ('/opt/*/subdir')",
        &e("/opt/x/subdir/f")
    ));
    assert!(!eval_ev(
        "fd.name pmatch ('/opt/*/subdir')",
        &e("/opt/x/other")
    ));
    assert!(!eval_ev("fd.name pmatch ()", &e("/var")));
}

#[test]
fn buffer_group() {
    let e: &[(&str, &str)] = &[("evt.buffer", "HTTP/1.1 200")];
    t("evt.buffer = 'HTTP/1.1 200'", e);
    f("evt.buffer != 'HTTP/1.1 200'", e);
    t("evt.buffer contains '1.1'", e);
    t("evt.buffer startswith HTTP", e);
    t("evt.buffer endswith 200", e);
    t("evt.buffer bcontains 48545450", e);
    f("evt.buffer bcontains 48545451", e);
    t("evt.buffer bstartswith 4854", e);
    f("evt.buffer bstartswith 5454", e);
    t("evt.buffer bcontains ''", e);
    t("evt.buffer in ('HTTP/1.1 200', x)", e);
    t("evt.buffer exists", e);
}

#[test]
fn ip_and_net_group() {
    let v4: &[(&str, &str)] = &[("fd.cip", "10.1.2.3"), ("fd.cnet", "10.1.2.3")];
    t("fd.cip = 10.1.2.3", v4);
    f("fd.cip = 10.1.2.4", v4);
    t("fd.cip != ::1", v4); // IPv4 value never equals an IPv6 operand
    f("fd.cip = ::1", v4);
    t("fd.cip in (1.1.1.1, 10.1.2.3)", v4);
    t("fd.cip intersects (10.1.2.3)", v4);
    t("fd.cnet = 10.0.0.0/8", v4);
    f("fd.cnet != 10.0.0.0/8", v4);
    t("fd.cnet != 192.168.0.0/16", v4);
    t("fd.cnet != fe80::/10", v4);
    t("fd.cnet in (192.168.0.0/16, 10.0.0.0/8)", v4);
    t("fd.cnet = 0.0.0.0/0", v4);
    t("fd.cip = oneof (10.1.2.3, 1.1.1.1)", v4);
    let v6: &[(&str, &str)] = &[("fd.cip", "fe80::1"), ("fd.cnet", "fe80::1")];
    t("fd.cip = fe80::1", v6);
    t("fd.cip != 10.1.2.3", v6);
    t("fd.cnet = fe80::/10", v6);
    f("fd.cnet = 10.0.0.0/8", v6);
    t("fd.cnet != 10.0.0.0/8", v6);
}

#[test]
fn list_fields() {
    let e = |vals: &[&str]| {
        FieldMapEvent::syscall([("evt.type", "openat")]).with(
            "fd.types",
            FixtureValue::Many(vals.iter().map(|s| s.to_string()).collect()),
        )
    };
    assert!(eval_ev("fd.types in (file, ipv4)", &e(&["file", "ipv4"])));
    assert!(!eval_ev("fd.types in (file)", &e(&["file", "ipv4"])));
    assert!(eval_ev("fd.types intersects (file)", &e(&["file", "ipv4"])));
    assert!(!eval_ev(
        "fd.types intersects (unix)",
        &e(&["file", "ipv4"])
    ));
    // Vacuously true on an empty extraction that still succeeded.
    assert!(eval_ev("fd.types in (file)", &e(&[])));
    assert!(eval_ev("fd.types in ()", &e(&[])));
    assert!(!eval_ev("fd.types in ()", &e(&["file"])));
    assert!(!eval_ev("fd.types intersects (file)", &e(&[])));
    assert!(eval_ev("fd.types exists", &e(&[])));
    assert!(eval_ev("len(fd.types) = 2", &e(&["a", "b"])));
    assert!(eval_ev(
        "tolower(fd.types) intersects (file)",
        &e(&["FILE"])
    ));
}

#[test]
fn ancestors_match_any() {
    let e = FieldMapEvent::syscall([("evt.type", "execve")]).with(
        "proc.aname",
        FixtureValue::Many(vec!["bash".into(), "sshd".into()]),
    );
    assert!(eval_ev("proc.aname = sshd", &e));
    assert!(eval_ev("proc.aname in (sshd)", &e));
    assert!(!eval_ev("proc.aname = init", &e));
}

#[test]
fn modifiers() {
    let e: &[(&str, &str)] = &[("proc.cmdline", "curl http://x | sh")];
    t("proc.cmdline contains oneof (curl, wget)", e);
    f("proc.cmdline contains oneof (curl, sh)", e); // two match
    t("proc.cmdline contains anyof (curl, sh)", e);
    t("proc.cmdline contains allof (curl, sh)", e);
    f("proc.cmdline contains allof (curl, wget)", e);
    f("proc.cmdline contains anyof ()", e);
    f("proc.cmdline contains allof ()", e);
    f("proc.cmdline contains oneof ()", e);
    t("proc.cmdline startswith anyof (wget, curl)", e);
    t("proc.cmdline != allof (a, b)", e);
    t("proc.cmdline glob anyof ('*sh', x)", e);
    t("proc.cmdline regex oneof ('curl.*', 'wget.*')", e);
    t("proc.cmdline icontains allof (CURL, HTTP)", e);
    f("proc.cmdline = oneof (x, x)", e);
}

#[test]
fn transformers() {
    let e: &[(&str, &str)] = &[
        ("proc.name", "BaSh"),
        ("proc.pname", "bash"),
        ("fd.name", "/usr/bin/python3"),
        ("proc.cmdline", "aGVsbG8="),
        ("proc.args", "-n -t tcp -v"),
    ];
    t("tolower(proc.name) = bash", e);
    t("toupper(proc.name) = BASH", e);
    t("tolower(proc.name) = val(proc.pname)", e);
    f("proc.name = val(proc.pname)", e);
    t("proc.name != val(proc.pname)", e);
    t("basename(fd.name) = python3", e);
    t("b64(proc.cmdline) = hello", e);
    f("b64(proc.name) exists", &[("proc.name", "!!")]);
    t("len(proc.name) = 4", e);
    t("len(fd.name) > 10", e);
    t("concat(proc.pname, \"-\", proc.name) = bash-BaSh", e);
    t(
        "join(\",\", (proc.pname, basename(fd.name))) = 'bash,python3'",
        e,
    );
    t("getopt(proc.args, \"nt:v\")[t] = tcp", e);
    f("getopt(proc.args, \"nt:v\")[x] exists", e);
    t("getopt(proc.args, \"nt:v\") intersects (v)", e);
    t("basename(fd.name) in (python3, python)", e);
    t("toupper(proc.pname) = toupper(proc.name)", e);
}

#[test]
fn lowering_folds_and_shares() {
    let s = schema();
    let cond = "(proc.name = a or proc.name in ()) and not not proc.pid = 1 and (proc.name = a or proc.name in ())";
    let ast = parse(cond, FileId::default(), &ParseOptions::default()).expect("parses");
    let checked = check_condition(s, &ast);
    let prog = lower_condition(s, &ast, Some(&checked.typed)).expect("lowers");
    let root = prog.rules[0].root;
    let Node::And(kids) = &prog.nodes[root.0 as usize] else {
        panic!("expected an and node: {:?}", prog.nodes);
    };
    // `in ()` folded away, duplicate conjunct removed, double negation removed.
    assert_eq!(kids.len(), 2, "{:?}", prog.nodes);
    assert!(kids
        .iter()
        .all(|k| matches!(prog.nodes[k.0 as usize], Node::Check(_))));
}

#[test]
fn shared_macro_is_one_node_evaluated_once() {
    let rules = r#"
- macro: shell
  condition: (proc.name in (bash, sh, zsh) and proc.pid > 1)
- rule: r1
  desc: d
  condition: evt.type = execve and shell and fd.name = a
  output: "r1 %proc.name"
  priority: WARNING
- rule: r2
  desc: d
  condition: evt.type = execve and shell and fd.name = b
  output: "r2 %proc.name %fd.name"
  priority: WARNING
- rule: r3
  desc: d
  condition: evt.type = openat and shell
  output: "r3 %8proc.name|"
  priority: ERROR
"#;
    let mut a = rulec::Analysis::new(rulec::LoadOptions::default());
    a.add_file("r.yaml", rules);
    let out = a.load();
    assert!(out.successful(), "{:?}", out.unique_diagnostics());
    let progs = rulec::lower::lower_outcome(&out);
    assert_eq!(progs.len(), 1);
    let p = &progs[0];
    assert_eq!(p.rules.len(), 3);
    assert!(p.memo_slots >= 1);
    let e = ev(&[
        ("evt.type", "execve"),
        ("proc.name", "bash"),
        ("proc.pid", "7"),
        ("fd.name", "b"),
    ]);
    let mut it = Interpreter::new(p);
    let m = it.matching_rules(&e);
    assert_eq!(m, vec![1]);
    assert_eq!(it.stats.rules_evaluated, 2, "r3 is not an execve rule");
    // The macro's two checks once (the rules share them as a leading conjunct, or through
    // the memo), plus each rule's own `fd.name` check; `evt.type` is known for execve rules.
    assert_eq!(it.stats.nodes_evaluated, 4, "{:?}", it.stats);
    let alerts = rulec_runtime::output::Alert::for_matches(&mut it, &e, "host");
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule, "r2");
    assert!(
        alerts[0].output.ends_with(": Warning r2 bash b"),
        "{}",
        alerts[0].output
    );
    assert_eq!(alerts[0].output_fields["fd.name"], "b");
    let e3 = ev(&[
        ("evt.type", "openat"),
        ("proc.name", "sh"),
        ("proc.pid", "7"),
    ]);
    let al = rulec_runtime::output::Alert::for_matches(&mut it, &e3, "host");
    assert_eq!(al.len(), 1);
    assert!(al[0].output.ends_with("r3 sh      |"), "{}", al[0].output);
    let e4 = ev(&[("evt.type", "openat"), ("proc.pid", "7")]);
    assert!(rulec_runtime::output::Alert::for_matches(&mut it, &e4, "h").is_empty());
}

#[test]
fn output_missing_and_lists() {
    let rules = r#"
- rule: r
  desc: d
  condition: evt.type = openat
  output: "n=%proc.name t=%fd.types p=%proc.pid c=%container.info"
  priority: INFO
"#;
    let mut a = rulec::Analysis::new(rulec::LoadOptions::default());
    a.add_file("r.yaml", rules);
    let out = a.load();
    let progs = rulec::lower::lower_outcome(&out);
    let p = &progs[0];
    let mut it = Interpreter::new(p);
    let e = FieldMapEvent::syscall([("evt.type", "openat"), ("proc.pid", "3")]).with(
        "fd.types",
        FixtureValue::Many(vec!["file".into(), "ipv4".into()]),
    );
    let al = rulec_runtime::output::Alert::for_matches(&mut it, &e, "h");
    assert_eq!(al.len(), 1);
    assert!(
        al[0].output.ends_with("n=<NA> t=(file,ipv4) p=3 c="),
        "{}",
        al[0].output
    );
    assert_eq!(al[0].output_fields["proc.name"], serde_json::Value::Null);
    assert_eq!(al[0].output_fields["proc.pid"], 3);
    let j: serde_json::Value = serde_json::from_str(&al[0].to_json()).expect("json");
    for k in [
        "time",
        "rule",
        "priority",
        "source",
        "output",
        "output_fields",
        "tags",
        "hostname",
    ] {
        assert!(j.get(k).is_some(), "{k}");
    }
    assert_eq!(j["priority"], "Informational");
}

#[test]
fn double_and_time_types() {
    let e: &[(&str, &str)] = &[
        ("proc.fdusage", "3"),
        ("evt.rawtime", "1714557600123456000"),
    ];
    t("proc.fdusage = 3", e);
    t("proc.fdusage > 2", e);
    f("proc.fdusage < 3", e);
    t("proc.fdusage in (1, 3)", e);
    t("evt.rawtime > 1714557600000000000", e);
    t("evt.rawtime in (1, 1714557600123456000)", e);
}

#[test]
fn unparseable_fixture_value_is_missing() {
    let e: &[(&str, &str)] = &[("proc.pid", "abc")];
    f("proc.pid exists", e);
    f("proc.pid != 1", e);
    t("not proc.pid = 1", e);
}

#[test]
fn sets_and_lists_agree() {
    // More than 4 values: a hash set; fewer: a linear scan. Same answers.
    let e: &[(&str, &str)] = &[("proc.name", "e"), ("proc.pid", "5")];
    t("proc.name in (a, b, c, d, e, f)", e);
    t("proc.name in (e, f)", e);
    f("proc.name in (a, b, c, d, f, g)", e);
    t("proc.pid in (1, 2, 3, 4, 5, 6)", e);
    t("proc.name intersects (a, b, c, d, e, f)", e);
}

/// An event whose strings hold NULs, which text fixtures cannot carry (their values are cut at
/// the first NUL when typed).
struct NulEvent;

impl Event for NulEvent {
    fn source(&self) -> &str {
        "syscall"
    }

    fn evt_type(&self) -> Option<&str> {
        Some("openat")
    }

    fn extract(&self, field: &rulec_runtime::event::FieldRef) -> Option<Values> {
        match field.text.as_str() {
            "evt.type" => Some(vec![Val::Str("openat".into())]),
            "proc.name" => Some(vec![Val::Str("ab\0cd".into())]),
            _ => None,
        }
    }
}

#[test]
fn specialised_string_tests_stop_at_the_first_nul() {
    let s = schema();
    for (cond, want) in [
        ("proc.name contains b", true),
        ("proc.name contains cd", false),
        ("proc.name contains ''", true),
        ("proc.name startswith ab", true),
        ("proc.name startswith abc", false),
        ("proc.name endswith b", true),
        ("proc.name endswith cd", false),
        ("proc.name icontains B", true),
        ("proc.name icontains CD", false),
        ("proc.name = ab", false),
        ("proc.name != ab", true),
        ("proc.name in (ab, cd)", false),
    ] {
        let ast = parse(cond, FileId::default(), &ParseOptions::default()).expect("parses");
        let checked = check_condition(s, &ast);
        let prog = rulec::lower::lower_conditions(s, &[(cond, Some(vec!["openat".into()]))])
            .expect("lowers");
        let mut it = Interpreter::new(&prog);
        let got = it.matching_rules(&NulEvent) == vec![0];
        assert_eq!(got, want, "{cond}");
        assert_eq!(
            ast_eval::eval(s, Some(&checked.typed), &ast, &NulEvent),
            want,
            "oracle: {cond}"
        );
    }
}

#[test]
fn event_types_with_the_same_rules_and_type_checks_share_code() {
    let prog = rulec::lower::lower_conditions(
        schema(),
        &[
            (
                "proc.name = a",
                Some(vec!["connect".into(), "accept".into()]),
            ),
            (
                "evt.type = execve and proc.name = b",
                Some(vec!["execve".into(), "execveat".into()]),
            ),
        ],
    )
    .expect("lowers");
    let code = rulec_runtime::interp::code::Code::new(&prog);
    let entry = |t: &str| code.rules_for(Some(t)).entry;
    assert_eq!(
        entry("connect"),
        entry("accept"),
        "same rules, no type checks"
    );
    assert_ne!(
        entry("execve"),
        entry("execveat"),
        "`evt.type = execve` folds differently"
    );
    assert_eq!(code.rules_for(Some("connect")).len, 1);
    let mut it = Interpreter::new(&prog);
    for (ty, want) in [
        ("execve", vec![1]),
        ("execveat", vec![]),
        ("accept", vec![]),
    ] {
        let e = ev(&[("evt.type", ty), ("proc.name", "b")]);
        assert_eq!(it.matching_rules(&e), want, "{ty}");
    }
}
