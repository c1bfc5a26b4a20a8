//! The agent reads Falco's own falco.yaml: the stock 0.44 file loads with one warning per
//! unsupported key, wrong types are errors naming the key, `-o` overrides work as Falco's.

use std::path::{Path, PathBuf};

use rulec_ir::vocab::Priority;
use rulec_runtime::agent::config::{load_tree, AgentConfig, RuleMatching, SourceConfig, KEYS};
use rulec_runtime::agent::source::json::Input;

fn stock() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/config/falco-0.44.yaml")
}

fn load(path: Option<&Path>, overrides: &[&str]) -> Result<(AgentConfig, Vec<String>), String> {
    let o: Vec<String> = overrides.iter().map(|s| (*s).to_owned()).collect();
    let tree = load_tree(path, &o).map_err(|e| e.to_string())?;
    AgentConfig::from_tree(&tree).map_err(|e| e.to_string())
}

fn warned_keys(warnings: &[String]) -> Vec<String> {
    warnings
        .iter()
        .filter_map(|w| w.split('`').nth(1).map(str::to_owned))
        .collect()
}

#[test]
fn stock_falco_yaml_loads_with_one_warning_per_unsupported_key() {
    let (c, w) = load(Some(&stock()), &[]).expect("stock falco.yaml loads");
    assert_eq!(
        warned_keys(&w),
        [
            "base_syscalls",
            "buffer_format_base64",
            "capture",
            "engine",
            "falco_libs",
            "libs_logger",
            "log_syslog",
            "plugins_hostinfo",
            "rules_files",
            "syscall_event_drops",
            "syscall_event_timeouts",
            "watch_config_files",
        ],
        "{w:#?}"
    );
    // `load_plugins: []` loads none of `plugins` (the container plugin): nothing to warn.
    assert!(w.iter().all(|m| m.contains("is ignored")));
    assert_eq!(c.priority, Priority::Debug);
    assert_eq!(c.rule_matching, RuleMatching::First);
    assert!(c.stdout_output && c.syslog_output && !c.json_output);
    assert!(c.file_output.is_none() && c.http_output.is_none() && c.program_output.is_none());
    let ws = c.webserver.expect("webserver enabled in the stock file");
    assert_eq!(ws.listen.port(), 8765);
    assert_eq!(ws.healthz, "/healthz");
    assert!(!ws.prometheus_metrics && !c.metrics_enabled);
    assert!(c.sources.is_empty());
}

#[test]
fn every_stock_top_level_key_is_classified() {
    let text = std::fs::read_to_string(stock()).expect("stock file");
    for line in text.lines() {
        let Some((key, _)) = line.split_once(':') else {
            continue;
        };
        if key.is_empty() || key.starts_with([' ', '#', '-']) {
            continue;
        }
        assert!(
            KEYS.iter().any(|(k, _)| *k == key),
            "top-level key `{key}` is not in KEYS"
        );
    }
}

#[test]
fn every_key_is_documented() {
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/agent-config.md"),
    )
    .expect("docs/agent-config.md");
    for (k, _) in KEYS {
        assert!(
            doc.contains(&format!("`{k}`")),
            "docs/agent-config.md does not list `{k}`"
        );
    }
}

#[test]
fn wrong_types_are_errors_naming_the_key() {
    let e = load(Some(&stock()), &["json_output=maybe"]).expect_err("bad bool");
    assert_eq!(
        e,
        r#"configuration key `json_output`: expected a boolean, found "maybe""#
    );
    let e = load(Some(&stock()), &["webserver.listen_port=http"]).expect_err("bad port");
    assert_eq!(
        e,
        r#"configuration key `webserver.listen_port`: expected a non-negative integer, found "http""#
    );
    let e = load(Some(&stock()), &["priority=loud"]).expect_err("bad priority");
    assert!(
        e.starts_with("configuration key `priority`: unknown priority \"loud\""),
        "{e}"
    );
    let e = load(Some(&stock()), &["rule_matching=some"]).expect_err("bad matching");
    assert_eq!(
        e,
        r#"configuration key `rule_matching`: expected `first` or `all`, found "some""#
    );
    let e = load(Some(&stock()), &["http_output={enabled: true}"]).expect_err("no url");
    assert_eq!(
        e,
        "configuration key `http_output.url`: required when http_output is enabled"
    );
}

#[test]
fn overrides_use_falcos_syntax() {
    let (c, _) = load(
        Some(&stock()),
        &[
            "json_output=true",
            "priority=warning",
            "rule_matching=all",
            "outputs_queue.capacity=7",
            "http_output.enabled=true",
            "http_output.url=http://127.0.0.1:2801/",
            "plugins[1]={name: k8saudit, library_path: libk8saudit.so, open_params: 'http://127.0.0.1:9799/audit'}",
            "load_plugins[]=k8saudit",
            "rulec.sources[0]={source: okta, files: [/tmp/okta.json], stdin: true}",
        ],
    )
    .expect("overrides apply");
    assert!(c.json_output);
    assert_eq!(c.priority, Priority::Warning);
    assert_eq!(c.rule_matching, RuleMatching::All);
    assert_eq!(c.outputs_queue_capacity, 7);
    assert_eq!(c.http_output.expect("http").url, "http://127.0.0.1:2801/");
    assert_eq!(c.sources.len(), 2, "{:?}", c.sources);
    match &c.sources[0] {
        SourceConfig::Webhook { source, cfg } => {
            assert_eq!(source, "k8s_audit");
            assert_eq!(cfg.listen.to_string(), "127.0.0.1:9799");
            assert_eq!(cfg.endpoint, "/audit");
        }
        other => panic!("expected the k8saudit webhook, got {other:?}"),
    }
    assert_eq!(
        c.sources[1],
        SourceConfig::Files {
            source: "okta".into(),
            inputs: vec![Input::Path("/tmp/okta.json".into()), Input::Stdin],
        }
    );
}

#[test]
fn load_plugins_must_name_configured_plugins() {
    let e = load(Some(&stock()), &["load_plugins[]=k8saudit"]).expect_err("unknown plugin");
    assert_eq!(
        e,
        "configuration key `load_plugins`: plugin `k8saudit` is not in `plugins`"
    );
}

#[test]
fn unknown_keys_warn_and_bad_yaml_is_located() {
    let dir = std::env::temp_dir().join(format!("rulec-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let f = dir.join("falco.yaml");
    std::fs::write(&f, "json_output: true\nmystery_key: 1\n").expect("write");
    let (c, w) = load(Some(&f), &[]).expect("loads");
    assert!(c.json_output);
    assert_eq!(w, ["unknown configuration key `mystery_key` is ignored"]);
    std::fs::write(&f, "json_output: true\n  bad: [\n").expect("write");
    let e = load(Some(&f), &[]).expect_err("bad yaml");
    assert!(
        e.starts_with(&format!("{}:2:", f.display())) && e.contains("invalid YAML"),
        "{e}"
    );
    let e = load(Some(&dir.join("missing.yaml")), &[]).expect_err("missing");
    assert!(e.starts_with("cannot read configuration file"), "{e}");
    let e = load(None, &["novalue"]).expect_err("bad override");
    assert_eq!(e, "invalid option override `novalue`: expected key=value");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn config_files_are_merged_in_order() {
    let dir = std::env::temp_dir().join(format!("rulec-cfgd-{}", std::process::id()));
    let d = dir.join("config.d");
    std::fs::create_dir_all(&d).expect("temp dir");
    let f = dir.join("falco.yaml");
    std::fs::write(
        &f,
        "config_files: [config.d]\npriority: debug\nstdout_output: {enabled: true}\n",
    )
    .expect("write");
    std::fs::write(d.join("10-a.yaml"), "priority: error\n").expect("write");
    std::fs::write(
        d.join("20-b.yaml"),
        "priority: notice\nstdout_output: {enabled: false}\n",
    )
    .expect("write");
    let (c, _) = load(Some(&f), &[]).expect("loads");
    assert_eq!(c.priority, Priority::Notice);
    assert!(!c.stdout_output);
    let _ = std::fs::remove_dir_all(&dir);
}
