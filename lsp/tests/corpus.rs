//! The server on the upstream corpus (../shared/corpus/rules) plus our bundled rules, loaded
//! together in Falco's default order. Skipped, with a printed reason, without the corpus.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::{pos, range, summarize, workspace, Client};
use serde_json::{json, Value};

const F: &str = "falco_rules.yaml";

/// Starts the server on a fresh copy of the corpus; `name` keeps parallel tests apart.
fn start(name: &str) -> Option<(Client, String)> {
    let dir = common::corpus()?;
    let mut files: Vec<(&str, String)> = [
        "falco_rules.yaml",
        "k8s_audit_rules.yaml",
        "aws_cloudtrail_rules.yaml",
    ]
    .iter()
    .map(|f| (*f, std::fs::read_to_string(dir.join(f)).unwrap()))
    .collect();
    files.push(("falco-rulec_rules.yaml", common::bundled_rules()));
    let ws = workspace(name, &files);
    let text = files[0].1.clone();
    Some((Client::start(&ws, Value::Null), text))
}

fn per_file_count(c: &Client, locs: &Value) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for l in locs.as_array().into_iter().flatten() {
        let f = l["uri"]
            .as_str()
            .unwrap()
            .replace(&format!("{}/", c.root_uri), "");
        *m.entry(f).or_insert(0) += 1;
    }
    m
}

#[test]
fn corpus_open_navigate_rename_complete() {
    let Some((mut c, text)) = start("corpus-navigate") else {
        return;
    };
    let d = c.open(F);
    // Flush: every notification sent before this response has been read.
    c.request("workspace/symbol", json!({"query": "zzz-none"}));
    let mut diags = BTreeMap::new();
    diags.insert(F.to_owned(), summarize(&d));
    for (uri, p) in c.diagnostics.clone() {
        let f = uri.replace(&format!("{}/", c.root_uri), "");
        diags
            .entry(f)
            .or_insert_with(|| summarize(&p["diagnostics"]));
    }

    let at_ref = pos(&text, "    spawned_process\n    and shell_procs", 0, 6);
    let def = c.request("textDocument/definition", c.at(F, at_ref.clone()));
    let mut p = c.at(F, at_ref.clone());
    p["context"] = json!({"includeDeclaration": true});
    let refs = c.request("textDocument/references", p);
    let mut p = c.at(F, pos(&text, "- list: shell_binaries", 0, 9));
    p["context"] = json!({"includeDeclaration": false});
    let list_refs = c.request("textDocument/references", p);
    let mut p = c.at(F, at_ref.clone());
    p["newName"] = json!("spawned_proc");
    let ren = c.request("textDocument/rename", p);
    let ren_counts: BTreeMap<String, usize> = ren["changes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(u, v)| {
            (
                u.replace(&format!("{}/", c.root_uri), ""),
                v.as_array().unwrap().len(),
            )
        })
        .collect();
    let hover_rule = c.request(
        "textDocument/hover",
        c.at(F, pos(&text, "- rule: Terminal shell in container", 0, 10)),
    );
    let hover_macro = c.request(
        "textDocument/hover",
        c.at(F, pos(&text, "- macro: open_read", 0, 10)),
    );
    let comp = c.request("textDocument/completion", c.at(F, at_ref));
    let comp_labels: Vec<&str> = comp
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    let syms = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": c.uri(F)}}),
    );
    let ws = c.request("workspace/symbol", json!({"query": "container"}));
    let toks = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": c.uri(F)}}),
    );

    insta::assert_json_snapshot!(
        "corpus_navigation",
        json!({
            "diagnostics": diags,
            "definition": c.redact(&def),
            "referencesPerFile(spawned_process)": per_file_count(&c, &refs),
            "referencesPerFile(shell_binaries)": per_file_count(&c, &list_refs),
            "renameEditsPerFile": ren_counts,
            "hoverRule": hover_rule["contents"]["value"],
            "hoverMacro": hover_macro["contents"]["value"],
            "completion": {
                "count": comp_labels.len(),
                "hasMacro": comp_labels.contains(&"spawned_process"),
                "hasList": comp_labels.contains(&"shell_binaries"),
            },
            "documentSymbols": syms.as_array().unwrap().len(),
            "workspaceSymbols(container)": ws.as_array().unwrap().len(),
            "semanticTokens": toks["data"].as_array().unwrap().len() / 5,
        })
    );
    c.shutdown();
}

#[test]
fn corpus_edit_typo_then_fix() {
    let Some((mut c, text)) = start("corpus-edit") else {
        return;
    };
    c.open(F);
    let r = range(&text, "    spawned_process\n    and shell_procs", 0, 19);
    let d = c.edit(F, 2, r, "    spawned_proces");
    let edited = text.replacen(
        "    spawned_process\n    and shell_procs",
        "    spawned_proces\n    and shell_procs",
        1,
    );
    let r2 = range(&edited, "spawned_proces\n", 0, 14);
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": c.uri(F)}, "range": r2.clone(), "context": {"diagnostics": d}}),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    // Apply the quick fix as the editor would, and the error goes away.
    let fix = &actions[0]["edit"]["changes"][c.uri(F)][0];
    let d2 = c.edit(F, 3, fix["range"].clone(), fix["newText"].as_str().unwrap());
    insta::assert_json_snapshot!(
        "corpus_edit",
        json!({
            "afterTypo": summarize(&d),
            "actions": titles,
            "afterFix": summarize(&d2),
        })
    );
    c.shutdown();
}

/// The repository's tests of the upstream k8s audit rules (`testdata/corpus-tests`), whose
/// `rules:` live elsewhere: found through the setting `rulesPath`, as with
/// `falco-rulec test --rules-path`. The code lens of a rule runs its tests.
#[test]
fn corpus_tests_code_lens_with_rules_path() {
    let Some(dir) = common::corpus() else {
        return;
    };
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/corpus-tests");
    let read = |p: std::path::PathBuf| std::fs::read_to_string(p).unwrap();
    let rules = read(dir.join("k8s_audit_rules.yaml"));
    let ws = workspace(
        "corpus-tests-lens",
        &[
            ("upstream/k8s_audit_rules.yaml", rules.clone()),
            (
                "corpus-tests/k8s_audit_rules.test.yaml",
                read(tests.join("k8s_audit_rules.test.yaml")),
            ),
            (
                "corpus-tests/k8s_audit_overrides.yaml",
                read(tests.join("k8s_audit_overrides.yaml")),
            ),
        ],
    );
    let mut c = Client::start(&ws, json!({"rulesPath": ["upstream"]}));
    let f = "upstream/k8s_audit_rules.yaml";
    c.open(f);
    let lens = c.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": c.uri(f)}}),
    );
    let lens = lens.as_array().unwrap();
    let titles: Vec<&str> = lens
        .iter()
        .map(|l| l["command"]["title"].as_str().unwrap())
        .collect();
    assert!(
        titles[0].starts_with("▶ Run all tests of this file ("),
        "{titles:?}"
    );
    assert!(!titles.contains(&"No tests"), "every rule has a test");
    let user = lens
        .iter()
        .find(|l| l["command"]["arguments"][0]["rule"] == json!("Disallowed K8s User"))
        .unwrap();
    assert_eq!(
        user["range"]["start"]["line"],
        pos(&rules, "- rule: Disallowed K8s User", 0, 8)["line"]
    );
    let r = c.request(
        "workspace/executeCommand",
        json!({"command": user["command"]["command"], "arguments": user["command"]["arguments"]}),
    );
    assert_eq!(r["failed"], json!(0), "{r}");
    assert_eq!(r["errors"], json!(0), "{r}");
    assert!(r["passed"].as_u64().unwrap() >= 1, "{r}");
    let all = c.request(
        "workspace/executeCommand",
        json!({"command": lens[0]["command"]["command"], "arguments": lens[0]["command"]["arguments"]}),
    );
    insta::assert_json_snapshot!(
        "corpus_tests_code_lens",
        json!({"lenses": lens.len(), "ruleSummary": r["summary"], "fileSummary": all["summary"]})
    );
    // Without the setting the `rules:` do not resolve: no lens.
    let mut c2 = Client::start(&ws, Value::Null);
    c2.open(f);
    let none = c2.request(
        "textDocument/codeLens",
        json!({"textDocument": {"uri": c2.uri(f)}}),
    );
    assert_eq!(none, json!([]));
    c2.shutdown();
    c.shutdown();
}
