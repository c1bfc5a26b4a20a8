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

fn first_error(o: &LoadOutcome) -> String {
    o.unique_diagnostics()
        .into_iter()
        .find(|d| d.severity() == rulec::Severity::Error)
        .map(|d| d.message.clone())
        .unwrap_or_default()
}

const BASE_RULE: &str =
    "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n";

#[test]
fn override_messages_are_verbatim() {
    let cases = [
        (
            "- rule: r\n  output: x\n  override: {output: replace, desc: replace}\n",
            "An replace override for 'desc' was specified but 'desc' is not defined",
        ),
        ("- rule: r\n  output: x\n  desc: y\n  override: {output: replace}\n", "Unexpected key 'desc': no corresponding entry under 'override' is defined."),
        ("- rule: r\n  priority: ERROR\n  override: {priority: append}\n", "Key 'priority' cannot be appended to, use 'replace' instead"),
        ("- rule: r\n  source: x\n  override: {source: replace}\n", "Key 'source' cannot be replaced"),
        (
            "- rule: r\n  output: x\n  override: {output: merge}\n",
            "Invalid override operation for key 'output': 'merge'. Allowed values are: append replace ",
        ),
        (
            "- rule: r\n  condition: and x\n  append: true\n  override: {condition: append}\n",
            "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
        ),
        ("- rule: nope\n  enabled: false\n", "Rule has 'enabled' key but no rule by that name already exists"),
        (
            "- rule: nope\n  priority: ERROR\n  override: {priority: replace}\n",
            "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists",
        ),
        ("- list: nope\n  items: [a]\n  override: {items: append}\n", "List uses 'append' or 'override.items: append' but no list by that name already exists"),
        (
            "- macro: nope\n  condition: and x\n  override: {condition: append}\n",
            "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
        ),
        ("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: warn\n", "Invalid priority"),
        ("- rule: r\n  desc: d\n  output: o\n  priority: INFO\n", "Item has no mapping for key 'condition'"),
        ("- rule: r\n  desc: d\n  condition:\n  output: o\n  priority: INFO\n", "Mapping for key 'condition' is empty"),
        ("- rule: r\n  desc: d\n  condition: [a]\n  output: o\n  priority: INFO\n", "Value is not a scalar value"),
        ("- rule: r\n  desc: d\n  condition: ''\n  output: o\n  priority: INFO\n", "Value must be non-empty"),
        ("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  enabled: maybe\n", "Can't decode YAML scalar value"),
        ("- rule: r\n  desc: d\n  condition: c\n  output: o\n  priority: INFO\n  tags:\n", "Value is not a sequence"),
        ("- required_engine_version: 0.26\n", "Unable to parse engine version '0.26' as a semver string. Expected \"x.y.z\" semver format."),
        ("- required_engine_version: 0.63.0\n", "Rules require engine version 0.63.0, but engine version is 0.62.0"),
        ("- 42\n", "Unexpected element type. Each element should be a yaml associative array."),
        ("---\njust a scalar\n", "Rules content is not yaml"),
    ];
    for (second, expected) in cases {
        let o = load(&[&format!("{BASE_RULE}{second}")]);
        assert_eq!(first_error(&o), expected, "for:\n{second}");
    }
}

#[test]
fn rule_redefined_with_different_source() {
    let o = load(&[&format!("{BASE_RULE}  source: syscall\n- rule: r\n  desc: d\n  condition: ka.verb = get\n  output: o\n  priority: INFO\n  source: k8s_audit\n")]);
    assert_eq!(
        first_error(&o),
        "Rule has been re-defined with a different source"
    );
}

#[test]
fn exception_append_rules() {
    let base = format!("{BASE_RULE}  exceptions:\n    - name: e\n      fields: [proc.name]\n      values: [[cat]]\n");
    let o = load(&[&format!("{base}- rule: r\n  exceptions:\n    - name: e\n      values: [[dog]]\n  override: {{exceptions: append}}\n")]);
    assert!(o.successful(), "{}", first_error(&o));
    assert_eq!(
        rule_text(&o, "r"),
        "(evt.type = open) and not (( proc.name = cat) or ( proc.name = dog))"
    );
    let o = load(&[&format!("{base}- rule: r\n  exceptions:\n    - name: e\n      fields: [proc.pname]\n      values: [[dog]]\n  override: {{exceptions: append}}\n")]);
    assert_eq!(
        first_error(&o),
        "Can not append exception fields to existing exception, only values"
    );
    let o = load(&[&format!("{base}- rule: r\n  exceptions:\n    - name: f\n      values: [[dog]]\n  override: {{exceptions: append}}\n")]);
    assert_eq!(
        first_error(&o),
        "Rule exception must have fields property with a list of fields"
    );
}

#[test]
fn deprecated_and_unknown_items_warn() {
    let o = load(&[&format!("{BASE_RULE}- foo: bar\n- rule: r\n  enabled: false\n- list: l\n  items: [a]\n  colour: red\n")]);
    let msgs: Vec<String> = o
        .unique_diagnostics()
        .iter()
        .map(|d| format!("{} {}", d.code.falco_name(), d.message))
        .collect();
    assert!(
        msgs.contains(&"LOAD_UNKNOWN_ITEM Unknown top level item".to_owned()),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m
            .starts_with("LOAD_DEPRECATED_ITEM The standalone 'enabled' key usage is deprecated.")),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(
            &"LOAD_UNKNOWN_KEY Unknown key 'colour'. The key will be ignored.".to_owned()
        ),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&"LOAD_UNUSED_LIST List not referred to by any other rule/macro".to_owned()),
        "{msgs:?}"
    );
}

#[test]
fn later_macro_append_reaches_rules_of_earlier_files() {
    let o = load(&[
        &format!("- macro: m\n  condition: proc.name = a\n- rule: r\n  condition: evt.type = open and m\n{RULE_TAIL}"),
        "- macro: m\n  condition: or proc.name = b\n  override: {condition: append}\n",
        "- list: l\n  items: [x]\n",
    ]);
    assert_eq!(o.results.len(), 3);
    assert_eq!(
        rule_ast(&o, "r"),
        "(evt.type = open and (proc.name = a or proc.name = b))"
    );
}

#[test]
fn cached_recompiles_match_a_fresh_compile() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/rules");
    if !dir.is_dir() {
        println!("skipped: corpus not found at {}", dir.display());
        return;
    }
    let texts: Vec<String> = [
        "falco_rules.yaml",
        "k8s_audit_rules.yaml",
        "aws_cloudtrail_rules.yaml",
    ]
    .iter()
    .map(|f| std::fs::read_to_string(dir.join(f)).expect("corpus file"))
    .collect();
    let o = load(&texts.iter().map(String::as_str).collect::<Vec<_>>());
    let mut coll = o.collection.clone();
    let (fresh, diags) = rulec::load::compile::compile(&mut coll, &LoadOptions::default());
    let last: Vec<_> = o
        .results
        .last()
        .expect("results")
        .diagnostics
        .iter()
        .filter(|d| d.code != Code::UnknownSource)
        .map(|d| (d.code, d.message.clone(), d.span))
        .collect();
    let fresh_diags: Vec<_> = diags
        .iter()
        .map(|d| (d.code, d.message.clone(), d.span))
        .collect();
    assert!(
        fresh_diags.iter().all(|d| last.contains(d)),
        "{fresh_diags:?} vs {last:?}"
    );
    assert_eq!(fresh.rules.len(), o.compiled.rules.len());
    for (a, b) in fresh.rules.iter().zip(&o.compiled.rules) {
        assert_eq!(
            a.ast.as_ref().map(ToString::to_string),
            b.ast.as_ref().map(ToString::to_string)
        );
        assert_eq!(
            a.event_types.map(|e| e.names()),
            b.event_types.map(|e| e.names())
        );
    }
}
