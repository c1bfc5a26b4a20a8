//! Drives the real server binary over JSON-RPC (stdin/stdout pipes) and snapshots results.

#![allow(clippy::unwrap_used)]

mod common;

use common::{pos, range, summarize, workspace, Client};
use serde_json::{json, Value};

const BASE: &str = "\
- list: shell_binaries
  items: [bash, sh]

- list: more_shells
  items: [shell_binaries, zsh]

- macro: spawned_process
  condition: evt.type in (execve, execveat)

- macro: shell_procs
  condition: spawned_process and proc.name in (shell_binaries)

- rule: Shell Started
  desc: A shell was started.
  condition: shell_procs and not proc.pname in (more_shells)
  output: shell (cmd=%proc.cmdline)
  priority: WARNING
";

const LOCAL: &str = "\
- macro: spawned_process
  condition: and proc.name != init
  override:
    condition: append

- rule: Shell Started
  condition: and not user.name = root
  override:
    condition: append

- rule: Local Rule
  desc: local
  condition: spawned_process and proc.name in (shell_binaries, more_shells)
  output: local (cmd=%proc.cmdline)
  priority: NOTICE
";

const B: &str = "falco_rules.yaml";
const L: &str = "falco_rules.local.yaml";

fn fixture(name: &str, init: Value) -> Client {
    let dir = workspace(name, &[(B, BASE.to_owned()), (L, LOCAL.to_owned())]);
    Client::start(&dir, init)
}

/// Locations as `file:line:col-line:col`.
fn locs(c: &Client, v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    let r = &l["range"];
                    format!(
                        "{}:{}:{}-{}:{}",
                        l["uri"]
                            .as_str()
                            .unwrap()
                            .replace(&format!("{}/", c.root_uri), ""),
                        r["start"]["line"],
                        r["start"]["character"],
                        r["end"]["line"],
                        r["end"]["character"]
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Workspace edit as `file:line:col-line:col => text`, sorted.
fn edits(c: &Client, v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (uri, list) in v["changes"].as_object().into_iter().flatten() {
        let file = uri.replace(&format!("{}/", c.root_uri), "");
        for e in list.as_array().unwrap() {
            let r = &e["range"];
            out.push(format!(
                "{file}:{}:{}-{}:{} => {}",
                r["start"]["line"],
                r["start"]["character"],
                r["end"]["line"],
                r["end"]["character"],
                e["newText"].as_str().unwrap()
            ));
        }
    }
    out.sort();
    out
}

fn labels(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{} ({})", i["label"].as_str().unwrap(), i["kind"]))
        .collect()
}

#[test]
fn fixture_open_diagnostics_and_symbols() {
    let mut c = fixture("symbols", Value::Null);
    let d_base = c.open(B);
    let d_local = c.open(L);
    insta::assert_json_snapshot!(
        "fixture_open_diagnostics",
        json!({
            "base": summarize(&d_base), "local": summarize(&d_local)
        })
    );
    let syms = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": c.uri(L)}}),
    );
    insta::assert_json_snapshot!("fixture_document_symbols", c.redact(&syms));
    let ws = c.request("workspace/symbol", json!({"query": "shell"}));
    insta::assert_json_snapshot!("fixture_workspace_symbols", c.redact(&ws));
    c.shutdown();
}

#[test]
fn fixture_definition_references_rename() {
    let mut c = fixture("navigate", Value::Null);
    c.open(L);
    // Definition of a macro used in the local file: the base definition, then the override.
    let p = c.at(L, pos(LOCAL, "spawned_process and", 0, 3));
    let def = c.request("textDocument/definition", p);
    // References of a list, from its definition, declaration included.
    let p = c.at(B, pos(BASE, "shell_binaries", 0, 0));
    let mut params = p.clone();
    params["context"] = json!({"includeDeclaration": true});
    let refs = c.request("textDocument/references", params);
    // Rename the list everywhere; rename a macro to an invalid name.
    let prep = c.request("textDocument/prepareRename", p.clone());
    let mut params = p;
    params["newName"] = json!("shells");
    let ren = c.request("textDocument/rename", params);
    let mut params = c.at(B, pos(BASE, "shell_procs", 1, 0));
    params["newName"] = json!("bad-name");
    let bad = c.request("textDocument/rename", params);
    let mut params = c.at(L, pos(LOCAL, "Local Rule", 0, 2));
    params["newName"] = json!("Local Shell Rule");
    let ren_rule = c.request("textDocument/rename", params);
    insta::assert_json_snapshot!(
        "fixture_navigation",
        json!({
            "definition": locs(&c, &def),
            "references": locs(&c, &refs),
            "prepareRename": prep,
            "rename": edits(&c, &ren),
            "renameInvalid": bad["error"]["message"],
            "renameRule": edits(&c, &ren_rule),
        })
    );
    c.shutdown();
}

#[test]
fn fixture_hover() {
    let mut c = fixture("hover", Value::Null);
    c.open(B);
    let mut out = serde_json::Map::new();
    for (name, file, text, needle, nth) in [
        ("macro", B, BASE, "spawned_process and", 0),
        ("list", B, BASE, "more_shells)\n", 0),
        ("rule", L, LOCAL, "Shell Started", 0),
    ] {
        let h = c.request("textDocument/hover", c.at(file, pos(text, needle, nth, 1)));
        out.insert(name.into(), h["contents"]["value"].clone());
    }
    insta::assert_json_snapshot!("fixture_hover", Value::Object(out));
    c.shutdown();
}

#[test]
fn fixture_completion() {
    let mut c = fixture("completion", Value::Null);
    c.open(B);
    // In a condition, after `in (`: lists first.
    let in_list = c.request(
        "textDocument/completion",
        c.at(B, pos(BASE, "more_shells)\n", 0, 0)),
    );
    // In a condition, at the start: macros, lists, keywords, operators.
    let cond = c.request(
        "textDocument/completion",
        c.at(B, pos(BASE, "shell_procs and", 0, 0)),
    );
    // The priority value.
    let prio = c.request(
        "textDocument/completion",
        c.at(B, pos(BASE, "WARNING", 0, 0)),
    );
    // A new key line inside a rule.
    let v = c.edit(
        B,
        2,
        range(BASE, "  priority: WARNING\n", 0, 20),
        "  priority: WARNING\n  ta\n",
    );
    assert!(v.is_array());
    let edited = BASE.replace("  priority: WARNING\n", "  priority: WARNING\n  ta\n");
    let keys = c.request(
        "textDocument/completion",
        c.at(B, pos(&edited, "  ta\n", 0, 4)),
    );
    let cond_labels: Vec<String> = labels(&cond).into_iter().take(8).collect();
    insta::assert_json_snapshot!(
        "fixture_completion",
        json!({
            "inList": labels(&in_list),
            "condition(first 8 by server order)": cond_labels,
            "priority": labels(&prio),
            "ruleKeys": labels(&keys),
        })
    );
    c.shutdown();
}

#[test]
fn fixture_edit_diagnostics_and_code_actions() {
    let mut c = fixture("actions", Value::Null);
    c.open(B);
    // Typo in a macro reference: undefined macro with a did-you-mean fix.
    let r = range(BASE, "shell_procs and not", 0, 11);
    let diags = c.edit(B, 2, r.clone(), "shell_proc");
    let typo = BASE.replacen("shell_procs and not", "shell_proc and not", 1);
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": c.uri(B)}, "range": range(&typo, "shell_proc and", 0, 10),
               "context": {"diagnostics": diags}}),
    );
    // A reference to a macro that exists nowhere: "define macro".
    let r2 = range(&typo, "shell_proc and", 0, 10);
    let diags2 = c.edit(B, 3, r2, "brand_new_macro");
    let text3 = typo.replacen("shell_proc and", "brand_new_macro and", 1);
    let actions2 = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": c.uri(B)}, "range": range(&text3, "brand_new_macro", 0, 15),
               "context": {"diagnostics": diags2}}),
    );
    // Extract a selected sub-condition into a macro.
    let sel = range(&text3, "proc.name in (shell_binaries)", 0, 29);
    let extract = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": c.uri(B)}, "range": sel, "context": {"diagnostics": []}}),
    );
    let summarize_actions = |v: &Value| -> Vec<Value> {
        v.as_array()
            .unwrap()
            .iter()
            .map(
                |a| json!({"title": a["title"], "kind": a["kind"], "edits": edits(&c, &a["edit"])}),
            )
            .collect()
    };
    insta::assert_json_snapshot!(
        "fixture_code_actions",
        json!({
            "diagnosticsAfterTypo": c.redact(&diags),
            "actionsTypo": summarize_actions(&actions),
            "diagnosticsUndefined": summarize(&diags2),
            "actionsUndefined": summarize_actions(&actions2),
            "extract": summarize_actions(&extract),
        })
    );
    c.shutdown();
}

#[test]
fn fixture_semantic_tokens() {
    let mut c = fixture("tokens", Value::Null);
    c.open(B);
    let toks = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": c.uri(B)}}),
    );
    let data: Vec<u64> = toks["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    let types = [
        "keyword",
        "operator",
        "property",
        "parameter",
        "function",
        "macro",
        "variable",
        "string",
        "number",
    ];
    let lines: Vec<&str> = BASE.lines().collect();
    let (mut line, mut col) = (0u64, 0u64);
    let mut decoded = Vec::new();
    for t in data.chunks(5) {
        line += t[0];
        col = if t[0] == 0 { col + t[1] } else { t[1] };
        let l = lines[line as usize];
        let text = &l[col as usize..(col + t[2]) as usize];
        decoded.push(format!(
            "{}:{} {} {text}",
            line + 1,
            col + 1,
            types[t[3] as usize]
        ));
    }
    insta::assert_json_snapshot!("fixture_semantic_tokens", decoded);
    c.shutdown();
}

#[test]
fn fixture_load_order_setting() {
    // The local file first: its overrides have nothing to override.
    let mut c = fixture("order", json!({"files": [L, B]}));
    let d = c.open(L);
    let only = {
        let mut c2 = fixture("order-only", json!({"falcoRulec": {"files": [B]}}));
        c2.open(B);
        c2.open(L);
        let s = c2.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": c2.uri(L)}}),
        );
        c2.shutdown();
        s
    };
    insta::assert_json_snapshot!(
        "fixture_load_order",
        json!({
            "localFirst": summarize(&d),
            "localNotInSetting": only,
        })
    );
    c.shutdown();
}

#[test]
fn bundled_rules_navigation() {
    let rules = common::bundled_rules();
    let f = "falco-rulec_rules.yaml";
    let dir = workspace("bundled", &[(f, rules.clone())]);
    let mut c = Client::start(&dir, Value::Null);
    let d = c.open(f);
    let mut p = c.at(f, pos(&rules, "rulec_shell_binaries", 0, 0));
    p["context"] = json!({"includeDeclaration": false});
    let refs = c.request("textDocument/references", p);
    let hover = c.request(
        "textDocument/hover",
        c.at(f, pos(&rules, "Shell Spawned In Container", 0, 0)),
    );
    let hover2 = c.request(
        "textDocument/hover",
        c.at(f, pos(&rules, "Write Below Binary Directory", 0, 0)),
    );
    insta::assert_json_snapshot!(
        "bundled_rules",
        json!({
            "diagnostics": summarize(&d),
            "references": locs(&c, &refs),
            "hoverRule": hover["contents"]["value"],
            "hoverRule2": hover2["contents"]["value"],
        })
    );
    c.shutdown();
}

#[test]
fn fixture_fields_and_formatting() {
    let mut c = fixture("fields", Value::Null);
    c.open(B);
    let hover = c.request("textDocument/hover", c.at(B, pos(BASE, "proc.pname", 0, 2)));
    let comp = c.request(
        "textDocument/completion",
        c.at(B, pos(BASE, "shell_procs and", 0, 0)),
    );
    let fields: Vec<&Value> = comp
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == json!(5))
        .collect();
    let proc_name = fields
        .iter()
        .find(|i| i["label"] == json!("proc.name"))
        .cloned()
        .cloned();
    let fmt = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": c.uri(B)}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let messy = "- macro:   m\n  condition:   evt.type = open   and   proc.name = x\n\n\n\n- rule: R\n  condition: m\n  output: o\n  desc: d\n  priority: INFO\n";
    let d = c.edit(
        B,
        2,
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}}),
        messy,
    );
    assert!(d.is_array());
    let fmt2 = c.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": c.uri(B)}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    insta::assert_json_snapshot!(
        "fixture_fields_and_formatting",
        json!({
            "fieldHover": hover["contents"]["value"],
            "fieldCount>100": fields.len() > 100,
            "procName": proc_name.map(|i| json!({"detail": i["detail"], "documentation": i["documentation"]["value"]})),
            "formatCanonical": fmt,
            "formatMessy": fmt2.as_array().map(|a| a.iter().map(|e| e["newText"].clone()).collect::<Vec<_>>()),
        })
    );
    c.shutdown();
}

/// Tests of `falco_rules.yaml` alone (`rules:` names it): two pass, the last one fails.
const BASE_TESTS: &str = "\
rules: [../falco_rules.yaml]
tests:
  - name: bash under sshd fires
    event: {evt.type: execve, proc.name: bash, proc.pname: sshd}
    fires: [Shell Started]
  - name: bash under zsh does not fire
    event: {evt.type: execve, proc.name: bash, proc.pname: zsh}
    not_fires: [Shell Started]
  - name: ls under sshd fires
    event: {evt.type: execve, proc.name: ls, proc.pname: sshd}
    fires: [Shell Started]
";

/// Tests without `rules:`: they run against the workspace model (both files).
const MODEL_TESTS: &str = "\
tests:
  - name: root shell fires the local rule
    event: {evt.type: execve, proc.name: bash, proc.pname: sshd, user.name: root}
    fires: [Local Rule]
";

/// Code lenses as `line: title -> arguments`.
fn lenses(c: &Client, v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{}: {} -> {} {}",
                l["range"]["start"]["line"],
                l["command"]["title"].as_str().unwrap(),
                l["command"]["command"].as_str().unwrap(),
                c.redact(&l["command"]["arguments"])
            )
        })
        .collect()
}

#[test]
fn fixture_code_lens_runs_rule_tests() {
    let dir = workspace(
        "lens",
        &[
            (B, BASE.to_owned()),
            (L, LOCAL.to_owned()),
            ("tests/base_tests.yaml", BASE_TESTS.to_owned()),
            ("tests/model_tests.yaml", MODEL_TESTS.to_owned()),
        ],
    );
    let mut c = Client::start(&dir, Value::Null);
    c.open(B);
    // A test file opened in the editor is not loaded as a rules file (no diagnostics).
    let test_diags = c.open("tests/base_tests.yaml");
    assert_eq!(test_diags, json!([]));
    let lens_b = c.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": c.uri(B)}}),
    );
    let lens_l = c.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": c.uri(L)}}),
    );
    // Click the lens of `Shell Started`: its three tests run, one fails.
    let shell = lens_b
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["command"]["arguments"][0]["rule"] == json!("Shell Started"))
        .unwrap()["command"]
        .clone();
    let run = |c: &mut Client, cmd: &Value| {
        let r = c.request(
            "workspace/executeCommand",
            json!({"command": cmd["command"], "arguments": cmd["arguments"]}),
        );
        let m = c.messages.pop().unwrap_or(Value::Null);
        (r, m)
    };
    let (failing, failing_msg) = run(&mut c, &shell);
    // The run uses the editor's unsaved text: with `ls` a shell, every test passes.
    let edited = BASE.replacen("[bash, sh]", "[bash, sh, ls]", 1);
    c.edit(B, 2, range(BASE, "[bash, sh]", 0, 10), "[bash, sh, ls]");
    let lens_b2 = c.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": c.uri(B)}}),
    );
    assert_eq!(lenses(&c, &lens_b2), lenses(&c, &lens_b));
    let (passing, passing_msg) = run(&mut c, &shell);
    // The local rule's test (a test file without `rules:`: the workspace model).
    let local = lens_l
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["command"]["arguments"][0]["rule"] == json!("Local Rule"))
        .unwrap()["command"]
        .clone();
    let (local_run, _) = run(&mut c, &local);
    // Every test of the file (top lens).
    let all = lens_b.as_array().unwrap()[0]["command"].clone();
    let (all_run, _) = run(&mut c, &all);
    // Bad input: no argument, a rule no test names, an unknown command.
    let no_args = c.request(
        "workspace/executeCommand",
        json!({"command": "falco-rulec.runRuleTests", "arguments": []}),
    );
    let cmd = json!({"command": "falco-rulec.runRuleTests",
                     "arguments": [{"uri": c.uri(B), "rule": "No Such Rule"}]});
    let (untested, untested_msg) = run(&mut c, &cmd);
    let unknown = c.request(
        "workspace/executeCommand",
        json!({"command": "falco-rulec.nope", "arguments": []}),
    );
    assert!(edited.contains("ls]"));
    insta::assert_json_snapshot!(
        "fixture_code_lens",
        json!({
            "lensesBase": lenses(&c, &lens_b),
            "lensesLocal": lenses(&c, &lens_l),
            "runFailing": failing,
            "runFailingMessage": failing_msg,
            "runAfterUnsavedEdit": passing,
            "runAfterUnsavedEditMessage": passing_msg,
            "runLocalRule": local_run["summary"],
            "runAllOfFile": all_run["summary"],
            "noArguments": no_args["error"]["message"],
            "untested": untested["summary"],
            "untestedMessage": untested_msg,
            "unknownCommand": unknown["error"]["message"],
        })
    );
    c.shutdown();
}

#[test]
fn fixture_operator_completion_by_field_type() {
    let text = "\
- macro: m_str
  condition: proc.name 
- macro: m_num
  condition: evt.rawres 
- macro: m_bool
  condition: evt.is_io 
- macro: m_list
  condition: fd.types 
- macro: m_arg
  condition: proc.aname[2] 
- macro: m_ip
  condition: fd.cip 
- macro: m_multi
  condition: >
    evt.type = open and
    fd.num 
- macro: m_unknown
  condition: proc.nmae 
- macro: m_typing
  condition: proc.name
";
    let f = "ops_rules.yaml";
    let dir = workspace("operators", &[(f, text.to_owned())]);
    let mut c = Client::start(&dir, Value::Null);
    c.open(f);
    let mut out = serde_json::Map::new();
    for (name, needle) in [
        ("proc.name (CHARBUF)", "proc.name \n"),
        ("evt.rawres (INT64)", "evt.rawres \n"),
        ("evt.is_io (BOOL)", "evt.is_io \n"),
        ("fd.types (CHARBUF list)", "fd.types \n"),
        ("proc.aname[2]", "proc.aname[2] \n"),
        ("fd.cip (IPADDR)", "fd.cip \n"),
        ("fd.num in a folded block", "fd.num \n"),
        ("unknown field", "proc.nmae \n"),
    ] {
        let r = c.request(
            "textDocument/completion",
            c.at(f, pos(text, needle, 0, needle.len() - 1)),
        );
        let items: Vec<String> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                assert_eq!(i["kind"], json!(24), "operators only: {i}");
                format!(
                    "{} ({})",
                    i["label"].as_str().unwrap(),
                    i["detail"].as_str().unwrap()
                )
            })
            .collect();
        out.insert(name.into(), json!(items));
    }
    // Right after a field name (no blank yet) the field is still being typed: fields.
    let typing = c.request(
        "textDocument/completion",
        c.at(f, pos(text, "proc.name\n", 0, 9)),
    );
    let kinds: std::collections::BTreeSet<u64> = typing
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_u64().unwrap())
        .collect();
    assert!(kinds.contains(&5), "fields offered while typing a field");
    insta::assert_json_snapshot!("fixture_operator_completion", Value::Object(out));
    c.shutdown();
}
