//! The five alert outputs behind the [`Dispatcher`], each against a real peer on this machine:
//! a private rsyslogd, child programs, HTTP(S) receivers, files under rotation and stdout.
//!
//! Every test checks the accounting the dispatcher promises: each alert sent is delivered,
//! failed or dropped, per output.

mod common;
#[path = "agent_outputs/support.rs"]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rulec_ir::vocab::Priority;
use rulec_runtime::agent::alert::AlertRecord;
use rulec_runtime::agent::metrics::Metrics;
use rulec_runtime::agent::outputs::file::{FileOutputConfig, FileSink};
use rulec_runtime::agent::outputs::http::{HttpOutputConfig, HttpSink, PROBE_INTERVAL};
use rulec_runtime::agent::outputs::program::{ProgramOutputConfig, ProgramSink};
use rulec_runtime::agent::outputs::stdout::StdoutSink;
use rulec_runtime::agent::outputs::syslog::SyslogSink;
use rulec_runtime::agent::outputs::{Dispatcher, OutputSummary, Sink};

use support::{json_alert, text_alert, wait_for, Receiver, TempDir};

const IDLE: Duration = Duration::from_millis(20);
const GENEROUS: Duration = Duration::from_secs(10);

/// A dispatcher with one output.
fn dispatch(name: &str, sink: Box<dyn Sink>, capacity: usize) -> (Dispatcher, Metrics) {
    let metrics = Metrics::new("test");
    let mut d = Dispatcher::new();
    d.add(name, sink, capacity, IDLE, &metrics);
    (d, metrics)
}

/// Shuts down with a generous deadline and returns the single output's summary.
fn finish(d: Dispatcher) -> OutputSummary {
    let mut s = d.shutdown(Instant::now() + GENEROUS);
    assert_eq!(s.len(), 1);
    s.remove(0)
}

fn delivered(m: &Metrics, name: &str) -> u64 {
    m.output_counters(name).delivered.get()
}

fn settled(m: &Metrics, name: &str) -> u64 {
    let c = m.output_counters(name);
    c.delivered.get() + c.failed.get() + c.dropped.get()
}

fn expected_lines(alerts: &[Arc<AlertRecord>]) -> Vec<String> {
    alerts.iter().map(|a| a.line.clone()).collect()
}

// ---------------------------------------------------------------------------------------
// syslog

#[test]
fn syslog_alerts_reach_rsyslogd_with_their_severity_and_survive_its_restart() {
    if let Err(why) = support::ensure_rsyslogd() {
        println!("skipped: {why}");
        return;
    }
    let dir = TempDir::new("syslog");
    let mut daemon = match support::Rsyslogd::start(dir.path()) {
        Ok(d) => d,
        Err(why) => {
            println!("skipped: cannot start rsyslogd: {why}");
            return;
        }
    };
    let sink = SyslogSink::new(Some(&daemon.socket)).expect("connect to rsyslogd");
    let (d, m) = dispatch("syslog", Box::new(sink), 64);
    let mut sent = Vec::new();
    for (i, p) in Priority::ALL.iter().enumerate() {
        let a = if i % 2 == 0 {
            text_alert(i, *p)
        } else {
            json_alert(i, *p)
        };
        d.send(&a);
        sent.push(a);
    }
    let falco_lines = |daemon: &support::Rsyslogd| -> Vec<Vec<String>> {
        daemon
            .lines()
            .iter()
            .map(|l| l.splitn(5, '|').map(str::to_owned).collect::<Vec<_>>())
            .filter(|f| f.len() == 5 && f[2] == "falco")
            .collect()
    };
    assert!(
        wait_for(GENEROUS, || falco_lines(&daemon).len() >= sent.len()),
        "rsyslogd wrote {:?}",
        daemon.lines()
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let got = falco_lines(&daemon);
    for (i, (a, f)) in sent.iter().zip(&got).enumerate() {
        assert_eq!(f[0], i.to_string(), "severity of {:?}", a.priority);
        assert_eq!(f[1], "user");
        assert_eq!(f[4].trim_start(), a.line);
        // The frame's own timestamp parsed (RFC 3164 has no zone: allow a day either way).
        let reported: u64 = f[3].parse().expect("unix timestamp");
        assert!(reported.abs_diff(now) < 2 * 86_400, "timestamp {reported}");
    }

    // The daemon restarts (a new socket at the same path): the sink reconnects.
    daemon.restart().expect("restart rsyslogd");
    let more = [
        text_alert(100, Priority::Critical),
        json_alert(101, Priority::Debug),
    ];
    for a in &more {
        d.send(a);
    }
    assert!(
        wait_for(GENEROUS, || falco_lines(&daemon).len()
            >= sent.len() + more.len()),
        "after the restart rsyslogd wrote {:?}",
        daemon.lines()
    );
    let got = falco_lines(&daemon);
    let got: Vec<_> = got.iter().rev().take(2).rev().collect();
    assert_eq!(got[0][0], "2");
    assert_eq!(got[0][4].trim_start(), more[0].line);
    assert_eq!(got[1][0], "7");
    assert_eq!(got[1][4].trim_start(), more[1].line);
    let s = finish(d);
    assert_eq!((s.delivered, s.failed, s.dropped), (10, 0, 0));
    assert_eq!(settled(&m, "syslog"), 10);
}

#[test]
fn syslog_sink_names_a_missing_socket() {
    let dir = TempDir::new("nosyslog");
    let path = dir.join("no.sock");
    let err = SyslogSink::new(Some(&path)).err().expect("no socket");
    assert!(err.to_string().contains("no.sock"), "{err}");
}

// ---------------------------------------------------------------------------------------
// program

fn program(cmd: String, keep_alive: bool, buffered: bool) -> ProgramSink {
    ProgramSink::new(ProgramOutputConfig {
        program: cmd,
        keep_alive,
        buffered,
    })
    .expect("program sink")
}

#[test]
fn program_output_pipes_every_alert_to_cat_with_and_without_keep_alive() {
    let dir = TempDir::new("program");
    for (keep_alive, buffered) in [(true, false), (true, true), (false, false)] {
        let out = dir.join(&format!("cat-{keep_alive}-{buffered}.log"));
        let sink = program(format!("cat >> '{}'", out.display()), keep_alive, buffered);
        let handle = sink.handle();
        let (d, m) = dispatch("program", Box::new(sink), 64);
        let alerts: Vec<_> = (0..20).map(|i| json_alert(i, Priority::Warning)).collect();
        for a in &alerts {
            d.send(a);
        }
        let s = finish(d);
        assert_eq!((s.delivered, s.failed, s.dropped), (20, 0, 0));
        assert_eq!(settled(&m, "program"), 20);
        // Dropping the sink closed cat's input and reaped it: the file is complete.
        assert_eq!(
            support::lines(&out),
            expected_lines(&alerts),
            "keep_alive={keep_alive}"
        );
        assert_eq!(handle.restarts(), 0);
        assert_eq!(handle.pid(), None, "the child is gone after shutdown");
    }
}

#[test]
fn program_that_exits_after_one_line_is_restarted_and_loses_nothing() {
    let dir = TempDir::new("head");
    // A child per alert: each gets exactly one line.
    let out = dir.join("per-alert.log");
    let sink = program(format!("head -n 1 >> '{}'", out.display()), false, false);
    let (d, _m) = dispatch("program", Box::new(sink), 64);
    let alerts: Vec<_> = (0..5).map(|i| text_alert(i, Priority::Notice)).collect();
    for a in &alerts {
        d.send(a);
    }
    let s = finish(d);
    assert_eq!((s.delivered, s.failed, s.dropped), (5, 0, 0));
    assert_eq!(support::lines(&out), expected_lines(&alerts));

    // One long-lived child that dies after its first line: restarted for every next alert.
    let out = dir.join("long-lived.log");
    let sink = program(format!("head -n 1 >> '{}'", out.display()), true, false);
    let handle = sink.handle();
    let (d, m) = dispatch("program", Box::new(sink), 64);
    let mut pids = Vec::new();
    for (n, a) in alerts.iter().enumerate() {
        d.send(a);
        assert!(
            wait_for(GENEROUS, || support::lines(&out).len() == n + 1),
            "alert {n} not written: {:?}",
            support::lines(&out)
        );
        let pid = handle.pid();
        if let Some(pid) = pid {
            pids.push(pid);
            // Let it exit before the next alert, so the next write finds it dead.
            assert!(
                wait_for(GENEROUS, || support::exited(pid)),
                "head {pid} still runs"
            );
        }
    }
    let s = finish(d);
    assert_eq!((s.delivered, s.failed, s.dropped), (5, 0, 0));
    assert_eq!(settled(&m, "program"), 5);
    assert_eq!(support::lines(&out), expected_lines(&alerts));
    assert_eq!(handle.restarts(), 4, "restarted before alerts 2 to 5");
    for pid in pids {
        assert!(!support::zombie(pid), "child {pid} was not reaped");
    }
}

#[test]
fn killed_program_is_restarted() {
    let dir = TempDir::new("kill");
    let out = dir.join("cat.log");
    let sink = program(format!("cat >> '{}'", out.display()), true, false);
    let handle = sink.handle();
    let first_pid = handle.pid().expect("started at once");
    let (d, m) = dispatch("program", Box::new(sink), 64);
    let alerts: Vec<_> = (0..10).map(|i| text_alert(i, Priority::Error)).collect();
    for a in &alerts[..5] {
        d.send(a);
    }
    assert!(wait_for(GENEROUS, || support::lines(&out).len() == 5));
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &first_pid.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    assert!(wait_for(GENEROUS, || support::exited(first_pid)));
    for a in &alerts[5..] {
        d.send(a);
    }
    assert!(wait_for(GENEROUS, || support::lines(&out).len() == 10));
    let second_pid = handle.pid();
    let s = finish(d);
    assert_eq!((s.delivered, s.failed, s.dropped), (10, 0, 0));
    assert_eq!(settled(&m, "program"), 10);
    assert_eq!(support::lines(&out), expected_lines(&alerts));
    assert!(handle.restarts() >= 1);
    assert_ne!(second_pid, Some(first_pid));
    assert!(!support::zombie(first_pid), "killed child not reaped");
}

#[test]
fn program_reopen_restarts_the_child() {
    let dir = TempDir::new("reopen-program");
    let out = dir.join("cat.log");
    let sink = program(format!("cat >> '{}'", out.display()), true, true);
    let handle = sink.handle();
    let first = handle.pid();
    let (d, _m) = dispatch("program", Box::new(sink), 64);
    d.send(&text_alert(1, Priority::Alert));
    d.reopen();
    d.send(&text_alert(2, Priority::Alert));
    assert!(wait_for(GENEROUS, || support::lines(&out).len() == 2));
    assert_ne!(handle.pid(), first);
    let s = finish(d);
    assert_eq!((s.delivered, s.failed, s.dropped), (2, 0, 0));
    assert_eq!(
        handle.restarts(),
        0,
        "a reopen is not a restart after death"
    );
}

// ---------------------------------------------------------------------------------------
// http

fn http(url: String) -> HttpOutputConfig {
    HttpOutputConfig {
        url,
        backoff: Duration::from_millis(20),
        ..HttpOutputConfig::default()
    }
}

#[test]
fn http_receiver_gets_every_alert_with_content_type_user_agent_and_body() {
    let rx = Receiver::start(|_| (200, Duration::ZERO));
    let sink = HttpSink::new(HttpOutputConfig {
        keep_alive: true,
        ..http(rx.url())
    })
    .expect("http sink");
    let (d, m) = dispatch("http", Box::new(sink), 64);
    let mut alerts: Vec<_> = (0..10).map(|i| json_alert(i, Priority::Critical)).collect();
    alerts.push(text_alert(10, Priority::Debug));
    for a in &alerts {
        d.send(a);
    }
    let s = finish(d);
    assert_eq!((s.delivered, s.failed, s.dropped), (11, 0, 0));
    assert_eq!(settled(&m, "http"), 11);
    let reqs = rx.seen.requests();
    assert_eq!(reqs.len(), 11);
    for (r, a) in reqs.iter().zip(&alerts) {
        assert_eq!(r.line, "POST /alerts HTTP/1.1");
        assert_eq!(r.header("user-agent"), Some("falcosecurity/falco"));
        let ct = if a.is_json {
            "application/json"
        } else {
            "text/plain"
        };
        assert_eq!(r.header("content-type"), Some(ct));
        assert_eq!(r.header("content-encoding"), None);
        assert_eq!(r.text(), a.line);
        if a.is_json {
            let v: serde_json::Value = serde_json::from_str(&r.text()).expect("JSON body");
            assert_eq!(v["rule"], serde_json::Value::String(a.rule.clone()));
        }
    }
    // keep_alive: one connection for all of them.
    assert_eq!(
        rx.seen
            .connections
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

#[test]
fn http_without_keep_alive_connects_per_alert_and_gzips_with_compress_uploads() {
    let rx = Receiver::start(|_| (200, Duration::ZERO));
    let sink = HttpSink::new(HttpOutputConfig {
        keep_alive: false,
        compress_uploads: true,
        user_agent: "rulec-test/1".into(),
        echo: true,
        ..http(rx.url())
    })
    .expect("http sink");
    let (d, _m) = dispatch("http", Box::new(sink), 64);
    let alerts: Vec<_> = (0..4).map(|i| json_alert(i, Priority::Warning)).collect();
    for a in &alerts {
        d.send(a);
    }
    let s = finish(d);
    assert_eq!((s.delivered, s.failed, s.dropped), (4, 0, 0));
    let reqs = rx.seen.requests();
    assert_eq!(reqs.len(), 4);
    for (r, a) in reqs.iter().zip(&alerts) {
        assert_eq!(r.header("content-encoding"), Some("gzip"));
        assert_eq!(r.header("user-agent"), Some("rulec-test/1"));
        assert_eq!(r.text(), a.line);
    }
    assert_eq!(
        rx.seen
            .connections
            .load(std::sync::atomic::Ordering::SeqCst),
        4
    );
}

#[test]
fn http_retries_5xx_and_429_then_delivers() {
    let rx = Receiver::start(|n| match n {
        0 => (500, Duration::ZERO),
        1 => (429, Duration::ZERO),
        _ => (200, Duration::ZERO),
    });
    let sink = HttpSink::new(http(rx.url())).expect("http sink");
    let (d, m) = dispatch("http", Box::new(sink), 64);
    let alerts: Vec<_> = (0..3).map(|i| text_alert(i, Priority::Notice)).collect();
    for a in &alerts {
        d.send(a);
    }
    let s = finish(d);
    assert_eq!((s.delivered, s.failed, s.dropped), (3, 0, 0));
    assert_eq!(settled(&m, "http"), 3);
    let bodies: Vec<_> = rx
        .seen
        .requests()
        .iter()
        .map(support::Request::text)
        .collect();
    let l = expected_lines(&alerts);
    assert_eq!(
        bodies,
        [&l[0], &l[0], &l[0], &l[1], &l[2]].map(String::clone)
    );
}

#[test]
fn http_receiver_that_always_fails_counts_every_alert_as_failed() {
    let rx = Receiver::start(|_| (500, Duration::ZERO));
    let sink = HttpSink::new(HttpOutputConfig {
        retries: 2,
        backoff: Duration::from_millis(5),
        ..http(rx.url())
    })
    .expect("http sink");
    let (d, m) = dispatch("http", Box::new(sink), 64);
    for i in 0..4 {
        d.send(&text_alert(i, Priority::Error));
    }
    let s = finish(d);
    assert_eq!((s.delivered, s.failed, s.dropped), (0, 4, 0));
    assert_eq!(s.delivered + s.failed + s.dropped, 4);
    assert_eq!(settled(&m, "http"), 4);
    assert_eq!(rx.seen.count(), 12, "1 attempt + 2 retries per alert");
}

#[test]
fn http_4xx_fails_at_once_without_retry() {
    let rx = Receiver::start(|_| (400, Duration::ZERO));
    let sink = HttpSink::new(http(rx.url())).expect("http sink");
    let (d, _m) = dispatch("http", Box::new(sink), 64);
    for i in 0..3 {
        d.send(&json_alert(i, Priority::Error));
    }
    let s = finish(d);
    assert_eq!((s.delivered, s.failed, s.dropped), (0, 3, 0));
    assert_eq!(rx.seen.count(), 3);
}

#[test]
fn slow_http_receiver_never_blocks_evaluation_and_every_alert_is_counted() {
    let rx = Receiver::start(|_| (200, Duration::from_secs(2)));
    let sink = HttpSink::new(HttpOutputConfig {
        timeout: Duration::from_millis(300),
        retries: 1,
        backoff: Duration::from_millis(20),
        max_consecutive_timeouts: 2,
        ..http(rx.url())
    })
    .expect("http sink");
    let (d, m) = dispatch("http", Box::new(sink), 4);
    let alert = json_alert(0, Priority::Warning);
    let t = Instant::now();
    for _ in 0..1000 {
        d.send(&alert);
    }
    let send_time = t.elapsed();
    assert!(
        send_time < Duration::from_millis(500),
        "send took {send_time:?}"
    );
    let t = Instant::now();
    let s = finish(d);
    let drain = t.elapsed();
    assert_eq!(s.delivered + s.failed + s.dropped, 1000, "{s:?}");
    assert_eq!(settled(&m, "http"), 1000);
    assert!(s.dropped >= 990, "{s:?}");
    assert!(s.failed >= 1, "{s:?}");
    // Two alerts time out (2 x 300 ms each), then the breaker fails the rest at once.
    assert!(drain < Duration::from_secs(5), "drain took {drain:?}");
    assert!(rx.seen.count() <= 6, "{} requests", rx.seen.count());
}

#[test]
fn http_circuit_breaker_opens_after_timeouts_and_a_probe_closes_it() {
    let slow = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let s2 = Arc::clone(&slow);
    let rx = Receiver::start(move |_| {
        if s2.load(std::sync::atomic::Ordering::SeqCst) {
            (200, Duration::from_secs(2))
        } else {
            (200, Duration::ZERO)
        }
    });
    let mut sink = HttpSink::new(HttpOutputConfig {
        timeout: Duration::from_millis(200),
        retries: 0,
        max_consecutive_timeouts: 2,
        ..http(rx.url())
    })
    .expect("http sink");
    let a = text_alert(0, Priority::Warning);
    assert!(sink.write(&a).is_err());
    assert!(!sink.breaker_open());
    assert!(sink.write(&a).is_err());
    assert!(sink.breaker_open());
    let opened = Instant::now();
    let before = rx.seen.count();
    // Open: alerts fail at once, without a request.
    let t = Instant::now();
    assert!(sink.write(&a).is_err());
    assert!(t.elapsed() < Duration::from_millis(100));
    assert_eq!(rx.seen.count(), before);
    // The receiver recovers; the next probe (after PROBE_INTERVAL) delivers and closes it.
    slow.store(false, std::sync::atomic::Ordering::SeqCst);
    let mut failed_fast = 0;
    let ok = wait_for(PROBE_INTERVAL + GENEROUS, || {
        if sink.write(&a).is_ok() {
            true
        } else {
            failed_fast += 1;
            std::thread::sleep(Duration::from_millis(100));
            false
        }
    });
    assert!(ok, "the probe never succeeded");
    assert!(opened.elapsed() >= PROBE_INTERVAL);
    assert!(failed_fast > 0);
    assert!(!sink.breaker_open());
    assert_eq!(
        rx.seen.count(),
        before + 1,
        "only the probe reached the receiver"
    );
    assert!(sink.write(&a).is_ok());
}

#[test]
fn http_receiver_that_is_down_fails_within_the_retry_budget() {
    let addr = support::closed_port();
    let sink = HttpSink::new(HttpOutputConfig {
        retries: 2,
        backoff: Duration::from_millis(20),
        ..http(format!("http://{addr}/alerts"))
    })
    .expect("http sink");
    let (d, m) = dispatch("http", Box::new(sink), 64);
    let t = Instant::now();
    for i in 0..5 {
        d.send(&text_alert(i, Priority::Critical));
    }
    let s = finish(d);
    // 5 alerts x (20 + 40 ms of backoff) plus refused connects.
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    assert_eq!((s.delivered, s.failed, s.dropped), (0, 5, 0));
    assert_eq!(settled(&m, "http"), 5);
}

#[test]
fn http_sink_config_errors_name_the_key() {
    let dir = TempDir::new("httpcfg");
    let err = |cfg: HttpOutputConfig| HttpSink::new(cfg).err().expect("config error").to_string();
    assert!(err(http("not a url".into())).contains("http_output.url"));
    assert!(err(http("ftp://example.com/x".into())).contains("http_output.url"));
    assert!(err(http("http:///nohost".into())).contains("http_output.url"));
    let missing = dir.join("missing.pem");
    let e = err(HttpOutputConfig {
        ca_cert: Some(missing.clone()),
        ..http("https://127.0.0.1/".into())
    });
    assert!(
        e.contains("http_output.ca_cert") && e.contains("missing.pem"),
        "{e}"
    );
    let not_pem = dir.join("junk.pem");
    std::fs::write(&not_pem, "hello\n").expect("write");
    let e = err(HttpOutputConfig {
        ca_bundle: Some(not_pem),
        ..http("https://127.0.0.1/".into())
    });
    assert!(e.contains("http_output.ca_bundle"), "{e}");
    let e = err(HttpOutputConfig {
        ca_path: Some(dir.join("nodir")),
        ..http("https://127.0.0.1/".into())
    });
    assert!(e.contains("http_output.ca_path"), "{e}");
    let e = err(HttpOutputConfig {
        mtls: true,
        ..http("https://127.0.0.1/".into())
    });
    assert!(e.contains("http_output.client_cert"), "{e}");
}

#[test]
fn https_verifies_the_server_with_configured_roots_and_does_mutual_tls() {
    if !support::have("openssl", "version") {
        println!("skipped: no openssl command to make certificates");
        return;
    }
    let dir = TempDir::new("tls");
    let pki = match support::Pki::make(dir.path()) {
        Ok(p) => p,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    let deliver = |cfg: HttpOutputConfig| -> Result<(), String> {
        let mut sink = HttpSink::new(cfg).map_err(|e| e.to_string())?;
        sink.write(&json_alert(0, Priority::Warning))
            .map_err(|e| e.to_string())
    };
    let rx = Receiver::start_with(|_| (200, Duration::ZERO), Some(pki.server_config(false)));
    let base = HttpOutputConfig {
        retries: 0,
        ..http(rx.https_url())
    };
    // Mozilla's roots do not know our CA.
    assert!(deliver(base.clone()).is_err());
    assert_eq!(rx.seen.count(), 0);
    deliver(HttpOutputConfig {
        ca_cert: Some(pki.ca.clone()),
        ..base.clone()
    })
    .expect("ca_cert");
    deliver(HttpOutputConfig {
        ca_bundle: Some(pki.ca.clone()),
        ..base.clone()
    })
    .expect("ca_bundle");
    deliver(HttpOutputConfig {
        ca_path: Some(pki.ca_dir.clone()),
        ..base.clone()
    })
    .expect("ca_path");
    deliver(HttpOutputConfig {
        insecure: true,
        ..base.clone()
    })
    .expect("insecure");
    assert_eq!(rx.seen.count(), 4);

    // A receiver that requires a client certificate.
    let rx = Receiver::start_with(|_| (200, Duration::ZERO), Some(pki.server_config(true)));
    let base = HttpOutputConfig {
        ca_cert: Some(pki.ca.clone()),
        retries: 0,
        ..http(rx.https_url())
    };
    assert!(deliver(base.clone()).is_err(), "no client certificate");
    deliver(HttpOutputConfig {
        mtls: true,
        client_cert: Some(pki.client_cert.clone()),
        client_key: Some(pki.client_key.clone()),
        ..base.clone()
    })
    .expect("mtls");
    assert_eq!(rx.seen.count(), 1);
    // A key that is not a key is refused at construction, not at the first alert.
    let e = HttpSink::new(HttpOutputConfig {
        mtls: true,
        client_cert: Some(pki.client_cert.clone()),
        client_key: Some(pki.client_cert.clone()),
        ..base
    })
    .err()
    .expect("bad key");
    assert!(e.to_string().contains("http_output.client_key"), "{e}");
}

// ---------------------------------------------------------------------------------------
// file

fn file_cfg(path: std::path::PathBuf, keep_alive: bool, buffered: bool) -> FileOutputConfig {
    FileOutputConfig {
        filename: path,
        keep_alive,
        buffered,
    }
}

#[test]
fn file_output_survives_rotation() {
    let dir = TempDir::new("file");
    for (keep_alive, buffered) in [(true, false), (true, true), (false, false), (false, true)] {
        let path = dir.join(&format!("alerts-{keep_alive}-{buffered}.log"));
        let rotated = dir.join(&format!("alerts-{keep_alive}-{buffered}.log.1"));
        let sink = FileSink::new(file_cfg(path.clone(), keep_alive, buffered)).expect("file sink");
        assert!(path.exists(), "created at start");
        let (d, m) = dispatch("file", Box::new(sink), 64);
        let alerts: Vec<_> = (0..10)
            .map(|i| json_alert(i, Priority::Informational))
            .collect();
        for a in &alerts[..5] {
            d.send(a);
        }
        assert!(wait_for(GENEROUS, || delivered(&m, "file") == 5));
        // logrotate: mv file file.1, then SIGUSR1 (needed only with keep_alive).
        std::fs::rename(&path, &rotated).expect("rotate");
        if keep_alive {
            d.reopen();
        }
        for a in &alerts[5..] {
            d.send(a);
        }
        let s = finish(d);
        assert_eq!((s.delivered, s.failed, s.dropped), (10, 0, 0));
        assert_eq!(
            support::lines(&rotated),
            expected_lines(&alerts[..5]),
            "{keep_alive} {buffered}"
        );
        assert_eq!(
            support::lines(&path),
            expected_lines(&alerts[5..]),
            "{keep_alive} {buffered}"
        );
    }
}

#[test]
fn buffered_file_output_is_flushed_when_the_queue_is_idle() {
    let dir = TempDir::new("fileflush");
    let path = dir.join("alerts.log");
    let sink = FileSink::new(file_cfg(path.clone(), true, true)).expect("file sink");
    let (d, _m) = dispatch("file", Box::new(sink), 64);
    let a = text_alert(1, Priority::Warning);
    d.send(&a);
    assert!(wait_for(GENEROUS, || support::lines(&path) == [a.line.clone()]));
    let s = finish(d);
    assert_eq!(s.delivered, 1);
}

#[test]
fn file_sink_error_names_the_path() {
    let dir = TempDir::new("filebad");
    let path = dir.join("no-such-dir").join("alerts.log");
    let err = FileSink::new(file_cfg(path, true, false))
        .err()
        .expect("error");
    assert!(err.to_string().contains("no-such-dir"), "{err}");
}

// ---------------------------------------------------------------------------------------
// stdout

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

#[test]
fn stdout_sink_writes_lines_unbuffered_at_once_and_buffered_on_flush() {
    // The real standard output (smoke).
    for buffered in [false, true] {
        let (d, _m) = dispatch("stdout", Box::new(StdoutSink::new(buffered)), 8);
        d.send(&text_alert(0, Priority::Notice));
        d.send(&json_alert(1, Priority::Notice));
        let s = finish(d);
        assert_eq!((s.delivered, s.failed, s.dropped), (2, 0, 0));
    }
    let a = text_alert(7, Priority::Alert);
    let out = Shared::default();
    let mut sink = StdoutSink::with_writer(Box::new(out.clone()), false);
    sink.write(&a).expect("write");
    assert_eq!(out.text(), format!("{}\n", a.line));
    let out = Shared::default();
    let mut sink = StdoutSink::with_writer(Box::new(out.clone()), true);
    sink.write(&a).expect("write");
    assert_eq!(out.text(), "");
    sink.flush().expect("flush");
    assert_eq!(out.text(), format!("{}\n", a.line));
}
