//! End-to-end and fault tests of `falco-rulec-agent`: the real binary, with bundles compiled
//! in the test, fed through its webhook, files and stdin, alerting into a Falcosidekick-shaped
//! HTTP receiver, stdout, and a program; reloaded, signed, starved and broken on purpose.
//!
//! The expected alerts come from the rule-test runner (`rulec::testing`): every `json:`
//! event of a rule-test file is run alone, and the agent must produce exactly those alerts
//! (same rule, event time, rendered output and output fields), no more, no fewer.
//!
//! Tests that need the upstream rulesets skip with a printed reason when the corpus is absent
//! (`RULEC_CORPUS_DIR`, or `../shared/corpus/rules` next to the repository).

mod agent_common;
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agent_common::{
    bundle_of, children, comm, corpus_dir, dead, expected_from_test_file, http, key_of_json,
    listening, metric, metrics, read_rules, replace_file, repo, wait_for, AgentProc, Answer,
    Expected, Key, Receiver, TempDir, DEADLINE, EPOCH,
};
use serde_json::{json, Value as J};

// ---------------------------------------------------------------------------------------
// Shared pieces

/// A small k8s_audit ruleset: `E2E Every Event` fires on every event, plus one rule per
/// variant (`E2E Only In A` / `E2E Only In B`) that also fires on every event.
fn small_rules(variant: &str) -> Vec<(String, String)> {
    let text = format!(
        r#"
- rule: E2E Every Event
  desc: fires on every audit event
  condition: ka.auditid exists
  output: every event (id=%ka.auditid verb=%ka.verb)
  priority: INFO
  source: k8s_audit
  tags: [e2e]

- rule: E2E Only In {variant}
  desc: fires on every audit event, only in bundle {variant}
  condition: ka.auditid exists
  output: only in {variant} (id=%ka.auditid)
  priority: NOTICE
  source: k8s_audit
  tags: [e2e, variant_{variant}]
"#
    );
    vec![(format!("e2e_{variant}.yaml"), text)]
}

/// A k8s audit event with `auditID` = `id`.
fn audit_event(id: &str) -> J {
    json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "Metadata",
        "auditID": id,
        "stage": "ResponseComplete",
        "requestURI": "/api/v1/namespaces/default/configmaps",
        "verb": "list",
        "user": {"username": "e2e-tester", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.7"],
        "objectRef": {"resource": "configmaps", "namespace": "default", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 200}
    })
}

fn seq_id(i: u64) -> String {
    format!("seq-{i:06}")
}

/// `output_fields.ka.auditid` of an alert.
fn alert_id(a: &J) -> String {
    a.pointer("/output_fields/ka.auditid")
        .and_then(J::as_str)
        .unwrap_or_else(|| panic!("alert without ka.auditid: {a}"))
        .to_owned()
}

/// Alerts grouped by rule: rule -> audit ids, in arrival order.
fn ids_by_rule(alerts: &[J]) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in alerts {
        let rule = a["rule"].as_str().expect("rule").to_owned();
        m.entry(rule).or_default().push(alert_id(a));
    }
    m
}

fn write_bundle(path: &Path, files: &[(String, String)]) -> Vec<u8> {
    let bytes = bundle_of(files).write();
    std::fs::write(path, &bytes).expect("write bundle");
    bytes
}

fn jsonl(events: &[J]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        out.extend_from_slice(e.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip");
    gz.finish().expect("gzip finish")
}

/// Compares two alert multisets, with a readable diff. When the expected alerts are of
/// events without a timestamp (the rule-test runner's time is the epoch, the agent's the
/// time it read them), times are left out of the comparison.
fn assert_same_alerts(what: &str, got: &[Key], want: &[Key]) {
    let mut got = got.to_vec();
    let mut want = want.to_vec();
    if want.iter().any(|k| k.time == EPOCH) {
        assert!(
            want.iter().all(|k| k.time == EPOCH),
            "{what}: mixed timestamps"
        );
        for k in &mut got {
            assert!(
                k.time.as_str() > "2024",
                "{what}: agent time {} is not now",
                k.time
            );
            k.time = EPOCH.to_owned();
        }
    }
    got.sort();
    want.sort();
    if got == want {
        return;
    }
    let mut missing = want.clone();
    let mut extra = Vec::new();
    for g in &got {
        match missing.iter().position(|w| w == g) {
            Some(i) => {
                missing.remove(i);
            }
            None => extra.push(g.clone()),
        }
    }
    panic!(
        "{what}: {} alerts, expected {}\nmissing ({}):\n{:#?}\nunexpected ({}):\n{:#?}",
        got.len(),
        want.len(),
        missing.len(),
        missing.iter().take(10).collect::<Vec<_>>(),
        extra.len(),
        extra.iter().take(10).collect::<Vec<_>>()
    );
}

/// Checks the keys every alert object must have, as Falcosidekick reads them.
fn assert_falco_shape(a: &J, source: &str) {
    let o = a
        .as_object()
        .unwrap_or_else(|| panic!("alert is not an object: {a}"));
    for k in ["output", "priority", "rule", "time", "hostname", "source"] {
        assert!(
            o.get(k).and_then(J::as_str).is_some_and(|s| !s.is_empty()),
            "alert key {k} missing or empty: {a}"
        );
    }
    assert_eq!(o["source"], source, "{a}");
    assert_eq!(o["hostname"], agent_common::HOSTNAME, "{a}");
    let t = o["time"].as_str().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z'),
        "time is not RFC 3339 UTC with Z: {t}"
    );
    assert!(
        o.get("output_fields")
            .and_then(J::as_object)
            .is_some_and(|f| !f.is_empty()),
        "output_fields missing or empty: {a}"
    );
    assert!(o.get("tags").is_some_and(J::is_array), "tags: {a}");
    let prio = o["priority"].as_str().unwrap_or_default();
    assert!(
        o["output"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!(": {prio} ")),
        "output does not carry the priority: {a}"
    );
}

/// The CLI binary next to the agent's, if it was built (`cargo build -p falco-rulec`).
fn cli_bin() -> Option<PathBuf> {
    let p = Path::new(agent_common::agent_bin())
        .parent()?
        .join("falco-rulec");
    p.is_file().then_some(p)
}

// ---------------------------------------------------------------------------------------
// 1. The k8s audit webhook into a Falcosidekick-shaped receiver

#[test]
fn k8s_audit_webhook_alerts_reach_a_falcosidekick_receiver_exactly() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    let mut exp = expected_from_test_file(
        &repo().join("testdata/corpus-tests/k8s_audit_rules.test.yaml"),
        &[corpus],
    );
    let want = exp.keys(1);
    assert!(want.len() > 40, "only {} expected alerts", want.len());
    let dir = TempDir::new("webhook");
    let bundle = dir.join("k8s.bundle");
    std::fs::write(&bundle, exp.bundle.write()).expect("write bundle");
    let rx = Receiver::start(Answer::Ok);
    let cfg = dir.join("falco.yaml");
    std::fs::write(
        &cfg,
        format!(
            r#"
log_stderr: true
log_level: info
stdout_output:
  enabled: false
http_output:
  enabled: true
  url: "{url}"
rulec:
  bundle: {bundle}
  sources:
    - source: k8s_audit
      webhook:
        listen_address: 127.0.0.1
        listen_port: 0
"#,
            url = rx.url(),
            bundle = bundle.display()
        ),
    )
    .expect("write falco.yaml");
    let mut agent = AgentProc::start(
        &[
            "-c",
            cfg.to_str().expect("utf-8 path"),
            "-o",
            "rule_matching=all",
            "-o",
            "json_output=true",
        ],
        false,
    );
    let addr = agent.addr("k8s audit webhook listening");
    let events = exp.jsons();
    let per_batch = events.len().div_ceil(4);
    let mut batches = 0;
    for chunk in events.chunks(per_batch) {
        let list = json!({
            "kind": "EventList",
            "apiVersion": "audit.k8s.io/v1",
            "metadata": {},
            "items": chunk,
        });
        let (status, body) = http(
            "POST",
            addr,
            "/k8s-audit",
            "application/json",
            list.to_string().as_bytes(),
        );
        assert_eq!(status, 200, "webhook answered {status}: {body}");
        batches += 1;
    }
    assert!(batches >= 4);
    assert!(
        wait_for(DEADLINE, || rx.count() >= want.len()),
        "receiver got {} of {} alerts; log:\n{}",
        rx.count(),
        want.len(),
        agent.stderr.text()
    );
    let st = agent.stop();
    assert!(
        st.success(),
        "agent exit {st:?}; log:\n{}",
        agent.stderr.text()
    );
    let reqs = rx.requests();
    let mut got = Vec::new();
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("content-type"), Some("application/json"), "{r:?}");
        assert_eq!(r.header("user-agent"), Some("falcosecurity/falco"), "{r:?}");
        let a: J = serde_json::from_slice(&r.body).expect("alert body is JSON");
        assert_falco_shape(&a, "k8s_audit");
        got.push(key_of_json(&a));
    }
    assert_same_alerts("webhook -> http_output", &got, &want);
    println!(
        "webhook: {} events in {batches} EventLists, {} alerts received",
        events.len(),
        got.len()
    );
    let (delivered, dropped, failed) = agent.final_output_counts("http");
    assert_eq!((delivered, dropped, failed), (want.len() as u64, 0, 0));
    let (evs, malformed, alerts) = agent.final_source_counts();
    assert_eq!(
        (evs, malformed, alerts),
        (events.len() as u64, 0, want.len() as u64)
    );
}

// ---------------------------------------------------------------------------------------
// 2. Files and stdin: CloudTrail, GitHub, Okta

/// Runs the agent over `source` events from files (a document and gzip JSON lines) and
/// then from stdin (JSON lines, plain and gzip); every run must alert exactly as the
/// rule-test runner.
fn files_and_stdin_alert_as_the_test_runner(source: &str, exp: &mut Expected, document: &J) {
    let want = exp.keys(1);
    assert!(!want.is_empty());
    let n = exp.len() as u64;
    let dir = TempDir::new(source);
    let bundle = dir.join("rules.bundle");
    std::fs::write(&bundle, exp.bundle.write()).expect("write bundle");
    let events = exp.jsons();
    let doc = dir.join("events.json");
    std::fs::write(
        &doc,
        serde_json::to_string_pretty(document).expect("document"),
    )
    .expect("write document");
    let gz = dir.join("events.jsonl.gz");
    std::fs::write(&gz, gzip(&jsonl(&events))).expect("write gzip");
    let common = [
        "-b",
        bundle.to_str().expect("utf-8"),
        "-o",
        "json_output=true",
        "-o",
        "rule_matching=all",
    ];

    // Files: the same events twice (document, gzip lines).
    let mut args: Vec<String> = common.iter().map(|s| (*s).to_owned()).collect();
    for f in [&doc, &gz] {
        args.push("-i".into());
        args.push(format!("{source}={}", f.display()));
    }
    let mut agent = AgentProc::start(&args, false);
    let st = agent.wait_exit(DEADLINE);
    assert!(
        st.success(),
        "{source} files: exit {st:?}; log:\n{}",
        agent.stderr.text()
    );
    let alerts = agent.json_alerts();
    for a in &alerts {
        assert_falco_shape(a, source);
    }
    let got: Vec<Key> = alerts.iter().map(key_of_json).collect();
    // The agent numbers the events of a source across its inputs.
    let mut twice = want.clone();
    twice.extend(exp.keys(n + 1));
    assert_same_alerts(&format!("{source} files"), &got, &twice);
    println!("{source}: {n} events, {} alerts per read", want.len());
    assert_eq!(
        agent.final_source_counts(),
        (2 * events.len() as u64, 0, 2 * want.len() as u64)
    );

    // Stdin: JSON lines, plain and gzip (`--input SOURCE=- < trail.json.gz`).
    for (how, bytes) in [("plain", jsonl(&events)), ("gzip", gzip(&jsonl(&events)))] {
        let mut args: Vec<String> = common.iter().map(|s| (*s).to_owned()).collect();
        args.extend(["-i".to_owned(), format!("{source}=-")]);
        let mut agent = AgentProc::start(&args, true);
        agent.feed(&bytes);
        agent.close_stdin();
        let st = agent.wait_exit(DEADLINE);
        assert!(
            st.success(),
            "{source} stdin {how}: exit {st:?}; log:\n{}",
            agent.stderr.text()
        );
        let got: Vec<Key> = agent.json_alerts().iter().map(key_of_json).collect();
        assert_same_alerts(&format!("{source} stdin {how}"), &got, &want);
        assert_eq!(
            agent.final_source_counts(),
            (n, 0, want.len() as u64),
            "{source} stdin {how}"
        );
    }
}

#[test]
fn cloudtrail_records_file_gzip_lines_and_stdin_alert_as_the_test_runner() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    let mut exp = expected_from_test_file(
        &repo().join("testdata/corpus-tests/aws_cloudtrail_rules.test.yaml"),
        &[corpus],
    );
    let doc = json!({ "Records": exp.jsons() });
    files_and_stdin_alert_as_the_test_runner("aws_cloudtrail", &mut exp, &doc);
}

/// Our own rulesets must lint clean and pass their tests, in-process and with the CLI.
fn own_ruleset_checks(rules: &str, tests: &str) -> Expected {
    let rules = repo().join(rules);
    let tests = repo().join(tests);
    let files = read_rules(std::slice::from_ref(&rules));
    let a = agent_common::analysis(&files);
    let out = a.load();
    let diags = out.unique_diagnostics();
    assert!(
        diags.is_empty(),
        "{} has diagnostics:\n{}",
        rules.display(),
        rulec::render::human::render(&diags, &a.sources, false)
    );
    // Also passes every test (asserted inside).
    let exp = expected_from_test_file(&tests, &[]);
    match cli_bin() {
        Some(cli) => {
            let lint = Command::new(&cli)
                .arg("lint")
                .arg(&rules)
                .output()
                .expect("run falco-rulec lint");
            assert!(
                lint.status.success(),
                "falco-rulec lint {}: {}",
                rules.display(),
                String::from_utf8_lossy(&lint.stdout)
            );
            let test = Command::new(&cli)
                .arg("test")
                .arg(&tests)
                .output()
                .expect("run falco-rulec test");
            let text = String::from_utf8_lossy(&test.stdout);
            assert!(
                test.status.success() && text.contains(" 0 failed"),
                "falco-rulec test {}:\n{text}",
                tests.display()
            );
        }
        None => println!(
            "note: falco-rulec binary not built (cargo build -p falco-rulec): checked lint and tests in-process only"
        ),
    }
    exp
}

/// Our own ruleset for `source`: each of its 5 rules fires on exactly one event of its test
/// file, and the agent alerts on those events as the test runner says, from files and stdin.
fn own_ruleset_alerts_as_the_test_runner(source: &str, rules: &str, tests: &str) {
    let mut exp = own_ruleset_checks(rules, tests);
    let fired: Vec<String> = exp.keys(1).into_iter().map(|k| k.rule).collect();
    assert_eq!(
        fired.len(),
        5,
        "each {source} rule fires on one event: {fired:?}"
    );
    assert_eq!(fired.iter().collect::<BTreeSet<_>>().len(), 5, "{fired:?}");
    let doc = J::Array(exp.jsons());
    files_and_stdin_alert_as_the_test_runner(source, &mut exp, &doc);
}

#[test]
fn github_webhook_payloads_alert_as_the_test_runner() {
    own_ruleset_alerts_as_the_test_runner(
        "github",
        "testdata/agent/github_rules.yaml",
        "testdata/agent/github_rules.test.yaml",
    );
}

#[test]
fn okta_system_log_events_alert_as_the_test_runner() {
    own_ruleset_alerts_as_the_test_runner(
        "okta",
        "testdata/agent/okta_rules.yaml",
        "testdata/agent/okta_rules.test.yaml",
    );
}

// ---------------------------------------------------------------------------------------
// 3. Reload under load

/// Writes events `seq-000000`, `seq-000001`, ... to `stdin` every ~2 ms until `stop`.
fn feeder(
    mut stdin: std::process::ChildStdin,
    sent: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let i = sent.load(Ordering::Relaxed);
            let mut line = audit_event(&seq_id(i)).to_string();
            line.push('\n');
            stdin.write_all(line.as_bytes()).expect("feed the agent");
            stdin.flush().expect("flush");
            sent.store(i + 1, Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(2));
        }
        // Dropping stdin ends the source.
    })
}

fn webserver_opts() -> Vec<String> {
    [
        "webserver.enabled=true",
        "webserver.listen_address=127.0.0.1",
        "webserver.listen_port=0",
        "webserver.prometheus_metrics_enabled=true",
        "metrics.enabled=true",
    ]
    .iter()
    .flat_map(|o| ["-o".to_owned(), (*o).to_owned()])
    .collect()
}

/// How long each phase of the reload test sends events.
const PHASE: Duration = Duration::from_millis(1500);

#[test]
fn reload_under_load_swaps_at_an_event_boundary_and_refuses_broken_bundles() {
    let dir = TempDir::new("reload");
    let bundle = dir.join("rules.bundle");
    let a_bytes = write_bundle(&bundle, &small_rules("A"));
    let b_bytes = bundle_of(&small_rules("B")).write();
    let mut args = vec![
        "-b".to_owned(),
        bundle.display().to_string(),
        "-i".into(),
        "k8s_audit=-".into(),
        "-o".into(),
        "json_output=true".into(),
        "-o".into(),
        "rule_matching=all".into(),
    ];
    args.extend(webserver_opts());
    let mut agent = AgentProc::start(&args, true);
    let web = agent.addr("webserver listening");
    agent.expect_log("source started", DEADLINE);
    let stdin = agent.take_stdin();
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let feed = feeder(stdin, Arc::clone(&sent), Arc::clone(&stop));

    // A runs for a while.
    let phase = || std::thread::sleep(PHASE);
    phase();
    assert!(wait_for(DEADLINE, || agent
        .stdout
        .matching("E2E Only In A")
        .len()
        >= 200));
    // Swap to B: atomic replace, and SIGHUP too.
    let before_swap = sent.load(Ordering::Relaxed);
    replace_file(&bundle, &b_bytes);
    agent.signal("HUP");
    agent.expect_log("rules reloaded", DEADLINE);
    let after_swap = sent.load(Ordering::Relaxed);
    phase();
    assert!(wait_for(DEADLINE, || agent
        .stdout
        .matching("E2E Only In B")
        .len()
        >= 200));

    // Garbage in place of the bundle: refused, B keeps alerting.
    let log_mark = agent.stderr.len();
    replace_file(&bundle, b"this is not a bundle at all\n");
    let refused = agent.expect_log_after("reload refused", log_mark, DEADLINE);
    assert!(refused.contains("bad magic"), "{refused}");
    let m = metrics(web);
    let failed = metric(&m, r#"falco_rulec_reloads_total{result="failed"}"#).unwrap_or(0.0);
    assert!(failed >= 1.0, "reloads failed = {failed}; metrics:\n{m}");
    assert_eq!(
        metric(&m, r#"falco_rulec_reloads_total{result="ok"}"#),
        Some(1.0),
        "{m}"
    );
    // A truncated copy of a good bundle (A's, written in place): refused too.
    let log_mark = agent.stderr.len();
    std::fs::write(&bundle, &a_bytes[..a_bytes.len() / 2]).expect("truncate");
    agent.signal("HUP");
    let refused = agent.expect_log_after("reload refused", log_mark, DEADLINE);
    assert!(refused.contains(&bundle.display().to_string()), "{refused}");
    let after_garbage = sent.load(Ordering::Relaxed);
    phase();
    let b_mark = agent.stdout.matching("E2E Only In B").len();
    assert!(wait_for(DEADLINE, || agent
        .stdout
        .matching("E2E Only In B")
        .len()
        >= b_mark + 200));
    let m = metrics(web);
    let failed2 = metric(&m, r#"falco_rulec_reloads_total{result="failed"}"#).unwrap_or(0.0);
    assert!(failed2 > failed, "failed reloads {failed} -> {failed2}");

    stop.store(true, Ordering::Relaxed);
    feed.join().expect("feeder");
    let n = sent.load(Ordering::Relaxed);
    let st = agent.wait_exit(DEADLINE);
    assert!(st.success(), "exit {st:?}; log:\n{}", agent.stderr.text());
    println!("reload under load: {n} events, swap after #{before_swap}..#{after_swap}");

    let alerts = agent.json_alerts();
    let by_rule = ids_by_rule(&alerts);
    let all: Vec<String> = (0..n).map(seq_id).collect();
    // Every event evaluated exactly once: one `E2E Every Event` alert per event sent.
    let mut every = by_rule.get("E2E Every Event").cloned().unwrap_or_default();
    every.sort();
    assert_eq!(
        every.len() as u64,
        n,
        "events sent {n}, evaluated {}",
        every.len()
    );
    assert_eq!(every, all, "each event evaluated once");
    // Each event saw exactly one rule set: A before the switch, B after.
    let a: Vec<String> = by_rule.get("E2E Only In A").cloned().unwrap_or_default();
    let b: Vec<String> = by_rule.get("E2E Only In B").cloned().unwrap_or_default();
    assert_eq!(a.len() + b.len(), all.len());
    let a_set: BTreeSet<&String> = a.iter().collect();
    let b_set: BTreeSet<&String> = b.iter().collect();
    assert!(
        a_set.is_disjoint(&b_set),
        "an event alerted with both A and B"
    );
    let last_a = a_set.last().expect("A alerted");
    let first_b = b_set.first().expect("B alerted");
    assert!(last_a < first_b, "A alerted after B: {last_a} vs {first_b}");
    assert!(**first_b <= seq_id(after_swap), "B started late: {first_b}");
    // The old (B) rules kept alerting after the refused reloads.
    assert!(
        b_set.contains(&seq_id(n - 1)),
        "the last event did not alert with B"
    );
    assert!(b.len() as u64 > n - after_garbage);
    let (evs, malformed, alerts_n) = agent.final_source_counts();
    assert_eq!((evs, malformed, alerts_n), (n, 0, 2 * n));
    let (delivered, dropped, failed_out) = agent.final_output_counts("stdout");
    assert_eq!((delivered, dropped, failed_out), (2 * n, 0, 0));
}

// ---------------------------------------------------------------------------------------
// 4. Signed bundles

#[test]
fn trusted_keys_refuse_unsigned_and_foreign_bundles_at_start_and_on_reload() {
    use rulec_ir::bundle::sign::{generate, verifying_key_pem};
    let dir = TempDir::new("signed");
    let key = generate();
    let other = generate();
    let public = dir.join("trusted.pub");
    std::fs::write(&public, verifying_key_pem(&key.verifying_key())).expect("write key");
    let a = bundle_of(&small_rules("A"));
    let b = bundle_of(&small_rules("B"));
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        jsonl(&[audit_event("sig-1"), audit_event("sig-2")]),
    )
    .expect("write events");
    let run_file = |bytes: &[u8], name: &str| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write bundle");
        let args = [
            "-b".to_owned(),
            path.display().to_string(),
            "--trusted-key".into(),
            public.display().to_string(),
            "-i".into(),
            format!("k8s_audit={}", events.display()),
            "-o".into(),
            "json_output=true".into(),
        ];
        let mut agent = AgentProc::start(&args, false);
        let st = agent.wait_exit(DEADLINE);
        (st, agent)
    };

    let (st, agent) = run_file(&a.write(), "unsigned.bundle");
    assert_eq!(st.code(), Some(1), "unsigned bundle: {st:?}");
    let log = agent.stderr.text();
    assert!(
        log.contains("refused") && log.contains("not signed"),
        "{log}"
    );
    assert!(agent.stdout.snapshot().is_empty());

    let (st, agent) = run_file(&a.write_signed(&other), "foreign.bundle");
    assert_eq!(st.code(), Some(1), "foreign bundle: {st:?}");
    let log = agent.stderr.text();
    assert!(
        log.contains("refused") && log.contains("not trusted"),
        "{log}"
    );

    let (st, agent) = run_file(&a.write_signed(&key), "signed.bundle");
    assert!(
        st.success(),
        "signed bundle: {st:?}\n{}",
        agent.stderr.text()
    );
    let rules: Vec<String> = agent
        .json_alerts()
        .iter()
        .map(|a| a["rule"].as_str().unwrap_or_default().to_owned())
        .collect();
    // rule_matching: first (the default): the first rule of each event.
    assert_eq!(rules, ["E2E Every Event", "E2E Every Event"]);

    // A reload to an unsigned bundle is refused; the signed rules keep alerting.
    let bundle = dir.join("running.bundle");
    std::fs::write(&bundle, a.write_signed(&key)).expect("write bundle");
    let args = [
        "-b".to_owned(),
        bundle.display().to_string(),
        "--trusted-key".into(),
        public.display().to_string(),
        "-i".into(),
        "k8s_audit=-".into(),
        "-o".into(),
        "json_output=true".into(),
        "-o".into(),
        "rule_matching=all".into(),
    ];
    let mut agent = AgentProc::start(&args, true);
    agent.feed(&jsonl(&[audit_event("before-1")]));
    assert!(wait_for(DEADLINE, || agent.stdout.len() >= 2));
    let mark = agent.stderr.len();
    replace_file(&bundle, &b.write());
    agent.signal("HUP");
    let refused = agent.expect_log_after("reload refused", mark, DEADLINE);
    assert!(refused.contains("not signed"), "{refused}");
    agent.feed(&jsonl(&[audit_event("after-1")]));
    agent.close_stdin();
    let st = agent.wait_exit(DEADLINE);
    assert!(st.success(), "{st:?}");
    let by_rule = ids_by_rule(&agent.json_alerts());
    assert_eq!(
        by_rule.get("E2E Only In A").map(Vec::as_slice),
        Some(&["before-1".to_owned(), "after-1".to_owned()][..]),
        "{by_rule:?}"
    );
    assert!(!by_rule.contains_key("E2E Only In B"), "{by_rule:?}");
    assert!(agent.stderr.matching("rules reloaded").is_empty());
}

// ---------------------------------------------------------------------------------------
// 5. Faults

#[test]
fn malformed_events_are_skipped_counted_and_located_while_good_ones_alert() {
    let dir = TempDir::new("malformed");
    let bundle = dir.join("rules.bundle");
    write_bundle(&bundle, &small_rules("A"));
    let input = dir.join("in");
    std::fs::create_dir(&input).expect("mkdir");
    // a.jsonl: good, bad JSON, [non-object, good], a string, an over-long line, good.
    let mut a = Vec::new();
    a.extend(jsonl(&[audit_event("good-a1")]));
    a.extend_from_slice(b"{\"kind\": \"Event\", \"auditID\": oops}\n");
    a.extend(jsonl(&[json!([42, audit_event("good-a2")])]));
    a.extend_from_slice(b"\"just a string\"\n");
    let long = json!({"auditID": "too-long", "pad": "x".repeat(16 << 20)});
    a.extend(jsonl(&[long]));
    a.extend(jsonl(&[audit_event("good-a3")]));
    std::fs::write(input.join("a.jsonl"), &a).expect("write a");
    // b.jsonl.gz: many good lines, the gzip stream cut short.
    let b_events: Vec<J> = (0..400)
        .map(|i| audit_event(&format!("good-b{i:03}")))
        .collect();
    let gz = gzip(&jsonl(&b_events));
    let cut = &gz[..gz.len() * 2 / 3];
    std::fs::write(input.join("b.jsonl.gz"), cut).expect("write b");
    // What a reader can get out of the cut stream: the complete lines before the cut.
    let mut decoded = Vec::new();
    let _ = flate2::read::MultiGzDecoder::new(cut).read_to_end(&mut decoded);
    let b_good = decoded.iter().filter(|&&c| c == b'\n').count();
    assert!(
        b_good > 10 && b_good < 400,
        "{b_good} lines survive the cut"
    );
    // c.jsonl: the source goes on after the broken file.
    std::fs::write(input.join("c.jsonl"), jsonl(&[audit_event("good-c1")])).expect("write c");

    let args = [
        "-b".to_owned(),
        bundle.display().to_string(),
        "-i".into(),
        format!("k8s_audit={}", input.display()),
        "-o".into(),
        "json_output=true".into(),
    ];
    let mut agent = AgentProc::start(&args, false);
    let st = agent.wait_exit(DEADLINE);
    assert!(st.success(), "{st:?}\n{}", agent.stderr.text());
    let mut want: Vec<String> = ["good-a1", "good-a2", "good-a3"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    want.extend((0..b_good).map(|i| format!("good-b{i:03}")));
    want.push("good-c1".into());
    let mut got: Vec<String> = agent.json_alerts().iter().map(alert_id).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let skipped = agent.stderr.matching("malformed event skipped");
    let a_path = input.join("a.jsonl").display().to_string();
    for at in [
        format!("{a_path}:2 "),
        format!("{a_path}:3 item 1"),
        format!("{a_path}:4 "),
        format!("{a_path}:5 "),
    ] {
        assert!(
            skipped.iter().any(|l| l.contains(&at)),
            "no malformed report at {at}; got:\n{}",
            skipped.join("\n")
        );
    }
    assert!(
        skipped.iter().any(|l| l.contains("line longer than")),
        "{skipped:#?}"
    );
    let b_path = input.join("b.jsonl.gz").display().to_string();
    let b_reports: Vec<&String> = skipped.iter().filter(|l| l.contains(&b_path)).collect();
    assert_eq!(b_reports.len(), 1, "{b_reports:#?}");
    let (evs, malformed, alerts) = agent.final_source_counts();
    assert_eq!(malformed, 5, "{skipped:#?}");
    assert_eq!(evs, want.len() as u64);
    assert_eq!(alerts, want.len() as u64);
}

/// Runs 3000 alerting events from a file into an http_output whose receiver never answers,
/// behind a queue of 2; `extra`: more `-o` options. Returns the agent (exited) and the
/// final (delivered, dropped, failed) of the http output.
fn never_answering_receiver(tag: &str, extra: &[&str]) -> (AgentProc, (u64, u64, u64)) {
    let dir = TempDir::new(tag);
    let bundle = dir.join("rules.bundle");
    write_bundle(&bundle, &small_rules("A"));
    let n: u64 = 3000;
    let events: Vec<J> = (0..n).map(seq_id).map(|id| audit_event(&id)).collect();
    let file = dir.join("events.jsonl");
    std::fs::write(&file, jsonl(&events)).expect("write events");
    let rx = Receiver::start(Answer::Never);
    let mut args = vec![
        "-b".to_owned(),
        bundle.display().to_string(),
        "-i".into(),
        format!("k8s_audit={}", file.display()),
        "-o".into(),
        "json_output=true".into(),
        "-o".into(),
        "stdout_output.enabled=false".into(),
        "-o".into(),
        "http_output.enabled=true".into(),
        "-o".into(),
        format!("http_output.url={}", rx.url()),
        "-o".into(),
        "outputs_queue.capacity=2".into(),
    ];
    for e in extra {
        args.extend(["-o".to_owned(), (*e).to_owned()]);
    }
    let mut agent = AgentProc::start(&args, false);
    let ended = agent.expect_log("source ended", DEADLINE);
    let took = agent.started.elapsed();
    // Evaluation is not held up by the output: one alert at a time would take hours.
    assert!(took < Duration::from_secs(10), "source took {took:?}");
    assert!(ended.contains(&format!("events={n}")), "{ended}");
    let st = agent.wait_exit(DEADLINE);
    assert!(st.success(), "{st:?}\n{}", agent.stderr.text());
    let (_, _, alerts) = agent.final_source_counts();
    assert_eq!(alerts, n);
    let counts = agent.final_output_counts("http");
    let (delivered, dropped, failed) = counts;
    println!("{tag}: delivered={delivered} dropped={dropped} failed={failed}");
    assert_eq!(delivered, 0);
    assert!(dropped > n / 2, "dropped={dropped}");
    assert_eq!(
        delivered + dropped + failed,
        alerts,
        "every alert accounted for"
    );
    assert!(rx.count() >= 1, "the receiver saw no request");
    assert!(!agent
        .stderr
        .matching("alert dropped for this output")
        .is_empty());
    (agent, counts)
}

#[test]
fn a_receiver_that_never_answers_does_not_block_evaluation_and_drops_are_counted() {
    // Falco's defaults (2 s per request, retries): at the (short) drain deadline the alert
    // being written and the queued ones are counted as dropped.
    let (agent, _) = never_answering_receiver("fullqueue", &["rulec.shutdown_timeout_ms=1000"]);
    assert!(
        !agent
            .stderr
            .matching("drain deadline passed: queued alerts dropped")
            .is_empty(),
        "{}",
        agent.stderr.text()
    );
    // Requests that time out quickly, without retries: they fail (counted as failed) and
    // the output finishes within the drain deadline.
    let (_, (_, _, failed)) = never_answering_receiver(
        "fullqueue-fail",
        &["output_timeout=200", "http_output.retries=0"],
    );
    assert!(failed >= 1, "failed={failed}");
}

#[test]
fn an_alert_in_flight_at_the_shutdown_deadline_is_counted_as_dropped() {
    let dir = TempDir::new("inflight");
    let bundle = dir.join("rules.bundle");
    write_bundle(&bundle, &small_rules("A"));
    let file = dir.join("events.jsonl");
    std::fs::write(&file, jsonl(&[audit_event("only-one")])).expect("write events");
    let rx = Receiver::start(Answer::Never);
    let args = [
        "-b".to_owned(),
        bundle.display().to_string(),
        "-i".into(),
        format!("k8s_audit={}", file.display()),
        "-o".into(),
        "stdout_output.enabled=false".into(),
        "-o".into(),
        "http_output.enabled=true".into(),
        "-o".into(),
        format!("http_output.url={}", rx.url()),
        // The request waits 5 s; the drain deadline is 500 ms.
        "-o".into(),
        "output_timeout=5000".into(),
        "-o".into(),
        "rulec.shutdown_timeout_ms=500".into(),
    ];
    let mut agent = AgentProc::start(&args, false);
    assert!(
        wait_for(DEADLINE, || rx.count() == 1),
        "the request never reached the receiver"
    );
    let st = agent.wait_exit(DEADLINE);
    assert!(st.success(), "{st:?}");
    assert!(agent.started.elapsed() < Duration::from_millis(4500));
    assert_eq!(agent.final_output_counts("http"), (0, 1, 0));
}

#[test]
fn a_killed_program_output_is_restarted_and_later_alerts_arrive() {
    let dir = TempDir::new("program");
    let bundle = dir.join("rules.bundle");
    write_bundle(&bundle, &small_rules("A"));
    let out = dir.join("alerts.txt");
    let args = [
        "-b".to_owned(),
        bundle.display().to_string(),
        "-i".into(),
        "k8s_audit=-".into(),
        "-o".into(),
        "json_output=true".into(),
        "-o".into(),
        "stdout_output.enabled=false".into(),
        "-o".into(),
        "program_output.enabled=true".into(),
        "-o".into(),
        "program_output.keep_alive=true".into(),
        "-o".into(),
        format!("program_output.program=cat >> {}", out.display()),
    ];
    let mut agent = AgentProc::start(&args, true);
    let lines = || -> Vec<String> {
        std::fs::read_to_string(&out)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let batch =
        |from: u64, to: u64| -> Vec<J> { (from..to).map(|i| audit_event(&seq_id(i))).collect() };
    // Phase 1: 50 events, all written by the first `cat` (so its pipe is empty).
    agent.feed(&jsonl(&batch(0, 50)));
    assert!(
        wait_for(DEADLINE, || lines().len() >= 50),
        "{} lines; log:\n{}",
        lines().len(),
        agent.stderr.text()
    );
    // Kill the `cat` (a child of `/bin/sh -c`, or the shell itself when it exec'd).
    let shells = children(agent.pid());
    assert!(!shells.is_empty(), "the agent has no child process");
    let mut tree = shells.clone();
    for s in &shells {
        tree.extend(children(*s));
    }
    let cat = *tree
        .iter()
        .find(|p| comm(**p).as_deref() == Some("cat"))
        .unwrap_or_else(|| panic!("no cat among {tree:?}"));
    let st = Command::new("kill")
        .args(["-KILL", &cat.to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    // Wait until the whole child tree is gone (the shell exits when its cat does), so the
    // next alert cannot land in a pipe nobody reads.
    assert!(wait_for(DEADLINE, || tree.iter().all(|p| dead(*p))));
    // Phase 2: later alerts reach the file through a restarted program.
    agent.feed(&jsonl(&batch(50, 100)));
    assert!(
        wait_for(DEADLINE, || lines().len() >= 100),
        "{} lines after the kill; log:\n{}",
        lines().len(),
        agent.stderr.text()
    );
    agent.close_stdin();
    let st = agent.wait_exit(DEADLINE);
    assert!(st.success(), "{st:?}");
    assert!(
        !agent
            .stderr
            .matching("restarting the program output")
            .is_empty(),
        "no restart logged:\n{}",
        agent.stderr.text()
    );
    let mut got: Vec<String> = lines()
        .iter()
        .map(|l| alert_id(&serde_json::from_str(l).expect("JSON alert line")))
        .collect();
    got.sort();
    let want: Vec<String> = (0..100).map(seq_id).collect();
    assert_eq!(got, want, "each alert exactly once in the file");
    assert_eq!(agent.final_output_counts("program"), (100, 0, 0));
}

// ---------------------------------------------------------------------------------------
// 6. Dry run with the stock configuration

#[test]
fn dry_run_with_the_stock_falco_yaml_warns_per_unsupported_key_and_opens_no_port() {
    let dir = TempDir::new("dryrun");
    let bundle = dir.join("rules.bundle");
    write_bundle(&bundle, &small_rules("A"));
    let stock = repo().join("testdata/config/falco-0.44.yaml");
    // The stock file enables the webserver on 0.0.0.0:8765. Hold that port: a dry run that
    // tried to open it would fail to bind and say so.
    let held = std::net::TcpListener::bind("0.0.0.0:8765");
    if held.is_err() {
        println!("note: port 8765 is in use here; checking that the dry run leaves it alone");
    }
    let was_listening = listening("127.0.0.1:8765".parse().expect("addr"));
    let out = Command::new(agent_common::agent_bin())
        .arg("--dry-run")
        .arg("-c")
        .arg(&stock)
        .arg("-o")
        .arg(format!("rulec.bundle={}", bundle.display()))
        .env_remove("RULEC_LOG")
        .output()
        .expect("run the agent");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr:\n{stderr}\nstdout:\n{stdout}"
    );
    assert!(stdout.contains("bundle ok"), "{stdout}");
    assert!(
        !stderr.contains("8765") && !stderr.to_lowercase().contains("in use"),
        "{stderr}"
    );
    let mut keys: Vec<String> = stderr
        .lines()
        .filter(|l| l.contains("WARN"))
        .filter_map(|l| l.split('`').nth(1).map(str::to_owned))
        .collect();
    keys.sort();
    let expected = [
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
    ];
    assert_eq!(keys, expected, "one warning per unsupported key:\n{stderr}");
    assert!(
        stdout.contains(&format!("({} warnings)", expected.len())),
        "{stdout}"
    );
    if held.is_err() {
        assert_eq!(
            listening("127.0.0.1:8765".parse().expect("addr")),
            was_listening
        );
    }
    drop(held);
}

// ---------------------------------------------------------------------------------------
// Signals: SIGUSR1 reopens the file output (log rotation), SIGTERM drains and stops.

#[test]
fn sigusr1_reopens_the_file_output_after_rotation_and_sigterm_drains() {
    let dir = TempDir::new("rotate");
    let bundle = dir.join("rules.bundle");
    write_bundle(&bundle, &small_rules("A"));
    let log = dir.join("alerts.log");
    let args = vec![
        "-b".to_owned(),
        bundle.display().to_string(),
        "-i".into(),
        "k8s_audit=-".into(),
        "-o".into(),
        "stdout_output.enabled=false".into(),
        "-o".into(),
        "file_output.enabled=true".into(),
        "-o".into(),
        "file_output.keep_alive=true".into(),
        "-o".into(),
        format!("file_output.filename={}", log.display()),
    ];
    let mut agent = AgentProc::start(&args, true);
    agent.expect_log("source started", DEADLINE);
    let lines = |p: &Path| std::fs::read_to_string(p).map_or(0, |t| t.lines().count());
    let events: Vec<J> = (0..20).map(|i| audit_event(&seq_id(i))).collect();
    agent.feed(&jsonl(&events));
    assert!(
        wait_for(DEADLINE, || lines(&log) == 20),
        "{} lines",
        lines(&log)
    );
    let rotated = dir.join("alerts.log.1");
    std::fs::rename(&log, &rotated).expect("rotate");
    agent.signal("USR1");
    agent.expect_log("reopened", DEADLINE);
    let more: Vec<J> = (20..50).map(|i| audit_event(&seq_id(i))).collect();
    agent.feed(&jsonl(&more));
    assert!(
        wait_for(DEADLINE, || lines(&log) == 30),
        "{} lines after rotation",
        lines(&log)
    );
    assert_eq!(lines(&rotated), 20);
    // SIGTERM: stop, with the counts of what was written.
    let status = agent.stop();
    assert!(status.success(), "{status:?}");
    let (delivered, dropped, failed) = agent.final_output_counts("file");
    assert_eq!((delivered, dropped, failed), (50, 0, 0));
}
