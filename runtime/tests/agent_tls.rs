//! The k8s audit webhook over TLS (the k8saudit plugin's `https://` open_params with
//! `sslCertificate`, one PEM holding certificate and key): an EventList POSTed with curl,
//! verifying the server against the test's own CA, produces the alert. Needs `openssl` and
//! `curl` (skips with a printed reason without them).

mod agent_common;
mod common;

use std::process::Command;

use rulec_ir::bundle::Bundle;
use rulec_runtime::agent::config::{load_tree, AgentConfig};
use rulec_runtime::agent::rules::{EngineChoice, RuleSet};
use rulec_runtime::agent::run::{Agent, RulesFrom};

const RULES: &str = r#"
- rule: Exec Into Pod
  desc: exec
  condition: ka.target.subresource = exec
  output: exec (user=%ka.user.name pod=%ka.target.name)
  priority: NOTICE
  source: k8s_audit
"#;

fn have(cmd: &str) -> bool {
    Command::new(cmd).arg("--version").output().is_ok()
}

#[test]
fn webhook_over_tls_accepts_an_eventlist() {
    if !have("openssl") || !have("curl") {
        println!("skipped: openssl or curl not on PATH");
        return;
    }
    let dir = std::env::temp_dir().join(format!("rulec-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (key, cert, pem) = (
        dir.join("key.pem"),
        dir.join("cert.pem"),
        dir.join("falco.pem"),
    );
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl runs")
        .status
        .success();
    assert!(ok, "openssl req failed");
    let both = std::fs::read_to_string(&cert).expect("cert")
        + &std::fs::read_to_string(&key).expect("key");
    std::fs::write(&pem, both).expect("pem");
    let out = dir.join("alerts.txt");
    let o: Vec<String> = vec![
        format!(
            "plugins[0]={{name: k8saudit, library_path: libk8saudit.so, open_params: 'https://127.0.0.1:0/k8s-audit', init_config: {{sslCertificate: '{}'}}}}",
            pem.display()
        ),
        "file_output.enabled=true".into(),
        format!("file_output.filename={}", out.display()),
    ];
    let tree = load_tree(None, &o).expect("config");
    let (cfg, warnings) = AgentConfig::from_tree(&tree).expect("config reads");
    assert!(warnings.is_empty(), "{warnings:?}");
    let bundle: Bundle = agent_common::bundle_of(&[("tls.yaml".into(), RULES.into())]);
    let bytes = bundle.write();
    let (b, info) = Bundle::read_with_info(&bytes).expect("bundle reads");
    let set = RuleSet::build(b, info, EngineChoice::default()).expect("rule set");
    let agent = Agent::start(cfg, RulesFrom::Built(Box::new(set))).expect("agent starts");
    let addr = agent.webhook_addrs[0];
    let body = r#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"create","user":{"username":"bob"},"objectRef":{"resource":"pods","subresource":"exec","name":"web-0","namespace":"default"},"stageTimestamp":"2024-05-01T10:01:00.010000Z"}]}"#;
    let status = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert"])
        .arg(&cert)
        .args([
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            body,
        ])
        .arg(format!("https://127.0.0.1:{}/k8s-audit", addr.port()))
        .output()
        .expect("curl runs");
    assert_eq!(
        String::from_utf8_lossy(&status.stdout),
        "200",
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    // Plain HTTP to the TLS port is refused.
    let plain = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            body,
        ])
        .arg(format!("http://127.0.0.1:{}/k8s-audit", addr.port()))
        .output()
        .expect("curl runs");
    assert_ne!(String::from_utf8_lossy(&plain.stdout), "200");
    let control = agent.control();
    assert!(
        agent_common::wait_for(agent_common::DEADLINE, || {
            std::fs::read_to_string(&out)
                .is_ok_and(|t| t.contains("Notice exec (user=bob pod=web-0)"))
        }),
        "alert not written: {:?}",
        std::fs::read_to_string(&out)
    );
    control.stop();
    let summary = agent.wait();
    assert_eq!(summary.sources[0].events, 1);
    let _ = std::fs::remove_dir_all(&dir);
}
