//! The worked examples of spec §1.8-§1.12 and §2.1 as loader tests: effective texts and the
//! canonical AST strings they parse to.

use rulec::{Analysis, Code, LoadOptions, LoadOutcome};

fn load(files: &[&str]) -> LoadOutcome {
    let mut a = Analysis::new(LoadOptions::default());
    for (i, f) in files.iter().enumerate() {
        a.add_file(format!("f{i}.yaml"), *f);
    }
    a.load()
}

fn rule_ast(o: &LoadOutcome, name: &str) -> String {
    let idx = o.collection.rule_ids[name];
    let r = o
        .compiled
        .rules
        .iter()
        .find(|r| r.rule == idx)
        .expect("rule compiled");
    r.ast.as_ref().expect("rule has an AST").to_string()
}

fn rule_text(o: &LoadOutcome, name: &str) -> String {
    let idx = o.collection.rule_ids[name];
    o.compiled
        .rules
        .iter()
        .find(|r| r.rule == idx)
        .expect("rule compiled")
        .text
        .as_str()
        .to_owned()
}

fn codes(o: &LoadOutcome) -> Vec<Code> {
    o.unique_diagnostics().iter().map(|d| d.code).collect()
}

const RULE_TAIL: &str = "  output: o\n  priority: INFO\n  desc: d\n";

#[test]
fn macro_append_concatenates_text() {
    let o = load(&[r"
- macro: interactive
  condition: (proc.aname=sshd and proc.name != sshd) or proc.name=login
- macro: interactive
  condition: or proc.name = ssh
  override: {condition: append}
- rule: r
  condition: interactive
  output: o
  priority: INFO
  desc: d
"]);
    let m = o.collection.macro_("interactive").expect("macro");
    assert_eq!(
        m.cond.as_str(),
        "(proc.aname=sshd and proc.name != sshd) or proc.name=login or proc.name = ssh"
    );
    assert_eq!(
        rule_ast(&o, "r"),
        "((proc.aname = sshd and proc.name != sshd) or proc.name = login or proc.name = ssh)"
    );
}

#[test]
fn exceptions_with_comps_expand_to_and_not() {
    let o = load(&[&format!(
        r"
- rule: r
  condition: proc.cmdline contains curl or proc.cmdline contains wget
  exceptions:
    - name: local
      fields: [proc.cmdline]
      comps: [contains]
      values: [[curl 127.0.0.1]]
{RULE_TAIL}"
    )]);
    assert_eq!(
        rule_text(&o, "r"),
        "(proc.cmdline contains curl or proc.cmdline contains wget) and not (( proc.cmdline contains \"curl 127.0.0.1\"))"
    );
    assert_eq!(
        rule_ast(&o, "r"),
        "((proc.cmdline contains curl or proc.cmdline contains wget) and not proc.cmdline contains \"curl 127.0.0.1\")"
    );
}

#[test]
fn single_field_exception_defaults_to_in() {
    let o = load(&[&format!(
        "
- rule: r
  condition: evt.type = execve
  exceptions:
    - name: tools
      fields: proc.name
      values: [cat, grep]
{RULE_TAIL}"
    )]);
    assert_eq!(
        rule_text(&o, "r"),
        "(evt.type = execve) and not (proc.name in (cat, grep))"
    );
}

#[test]
fn modifier_exception_clause() {
    let o = load(&[&format!(
        "
- rule: r
  condition: evt.type = open
  exceptions:
    - name: ssh
      fields: [proc.name, fd.name]
      comps: [startswith oneof, startswith]
      values: [[[sshd, sudo], /etc/]]
{RULE_TAIL}"
    )]);
    assert_eq!(
        rule_text(&o, "r"),
        "(evt.type = open) and not (( proc.name startswith oneof (sshd, sudo) and  fd.name startswith /etc/))"
    );
}

#[test]
fn exception_values_naming_lists_are_expanded() {
    let o = load(&[&format!(
        "
- list: known_shells
  items: [bash, zsh]
- rule: r
  condition: evt.type = execve
  exceptions:
    - name: shells
      fields: proc.name
      values: [known_shells]
{RULE_TAIL}"
    )]);
    assert_eq!(
        rule_ast(&o, "r"),
        "(evt.type = execve and not proc.name in (bash, zsh))"
    );
    assert!(!codes(&o).contains(&Code::UnusedList));
}

#[test]
fn list_substitution_quotes_items_with_spaces() {
    let o = load(&[&format!(
        "
- list: bins
  items: [ash, \"my tool\"]
- rule: r
  condition: proc.name in (bins, sh)
{RULE_TAIL}"
    )]);
    assert_eq!(
        rule_text(&o, "r"),
        "(proc.name in ( ash, \"my tool\" , sh))"
    );
    assert_eq!(rule_ast(&o, "r"), "proc.name in (ash, \"my tool\", sh)");
}

#[test]
fn quoted_list_items_are_inserted_verbatim() {
    let o = load(&[&format!(
        r#"
- list: cmds
  items: ['"(systemd)"', '"sh -c node -e \"require(''nan'')\""']
- rule: r
  condition: proc.cmdline in (cmds)
{RULE_TAIL}"#
    )]);
    assert_eq!(
        rule_ast(&o, "r"),
        r#"proc.cmdline in ((systemd), "sh -c node -e \"require('nan')\"")"#
    );
}

#[test]
fn nested_lists_expand_one_level() {
    let o = load(&[&format!(
        "
- list: a
  items: [x]
- list: b
  items: [a, y]
- rule: r
  condition: proc.name in (b)
{RULE_TAIL}"
    )]);
    assert_eq!(rule_ast(&o, "r"), "proc.name in (x, y)");
    assert!(!codes(&o).contains(&Code::UnusedList), "{:?}", codes(&o));
}

#[test]
fn macro_referencing_later_macro_is_undefined() {
    let o = load(&["
- macro: a
  condition: b
- macro: b
  condition: proc.name = x
- rule: r
  condition: a
  output: o
  priority: INFO
  desc: d
"]);
    assert!(!o.successful());
    let d = o
        .unique_diagnostics()
        .into_iter()
        .find(|d| d.code == Code::UndefinedMacro)
        .expect("error");
    assert_eq!(d.message, "Undefined macro 'b' used in filter.");
}

#[test]
fn rules_may_use_macros_defined_later() {
    let o = load(&[&format!(
        "
- rule: r
  condition: later
{RULE_TAIL}
- macro: later
  condition: proc.name = x
"
    )]);
    assert!(o.successful(), "{:?}", codes(&o));
    assert_eq!(rule_ast(&o, "r"), "proc.name = x");
}

#[test]
fn later_file_overrides_and_disables_earlier_rules() {
    let o = load(&[
        &format!("- rule: r\n  condition: evt.type = open\n{RULE_TAIL}"),
        "- rule: r\n  condition: and proc.name = cat\n  override: {condition: append}\n- rule: r\n  enabled: false\n",
    ]);
    assert_eq!(o.results.len(), 2);
    assert!(o.successful());
    assert_eq!(rule_ast(&o, "r"), "(evt.type = open and proc.name = cat)");
    assert!(!o.collection.rule("r").expect("rule").enabled);
    assert!(codes(&o).contains(&Code::DeprecatedItem));
}

#[test]
fn loading_stops_at_first_failed_file() {
    let o = load(&[
        "- rule: r\n  condition: a b\n  output: o\n  priority: INFO\n  desc: d\n",
        "- list: l\n  items: []\n",
    ]);
    assert_eq!(o.results.len(), 1);
    assert!(!o.successful());
}

#[test]
fn condition_errors_point_into_folded_scalars() {
    let src = "- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition: >\n    evt.type = open\n    and proc.name in (a b)\n";
    let mut a = Analysis::new(LoadOptions::default());
    let f = a.add_file("x.yaml", src);
    let o = a.load();
    let d = o
        .unique_diagnostics()
        .into_iter()
        .find(|d| d.code == Code::ConditionSyntax)
        .expect("syntax error");
    assert_eq!(d.message, "expected a ')' token");
    let span = d.span.expect("span");
    assert_eq!(span.file, f);
    let lc = a.sources.get(f).line_col(span.start);
    // `b` in `(a b)` on line 7 (0-based 6), column 24.
    assert_eq!(
        (lc.line, lc.col),
        (6, 24),
        "{:?}",
        &src[span.start as usize..]
    );
}
