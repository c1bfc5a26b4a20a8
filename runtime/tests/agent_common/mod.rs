//! Helpers of the agent's end-to-end tests (`agent_e2e.rs`): bundles compiled in-process,
//! the expected alerts of rule-test files (through `rulec::testing`), the real
//! `falco-rulec-agent` process with its logs, and a minimal HTTP/1.1 receiver.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rulec::testing::{load_test_file, EventSpec, Suite, TestCase};
use rulec::{Analysis, LoadOptions};
use rulec_ir::bundle::Bundle;
use serde_json::{Map, Value as J};

/// Generous deadline for anything the agent does.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The host name given to the agent (`FALCO_HOSTNAME`): the rule-test runner's, so that
/// outputs with `%evt.hostname` render the same.
pub const HOSTNAME: &str = rulec::testing::run::HOSTNAME;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The upstream corpus lookup the compiler's integration tests use.
#[path = "../../../compiler/tests/common/mod.rs"]
mod compiler_common;
#[allow(unused_imports)]
pub use compiler_common::corpus_dir;

/// Polls `cond` every 20 ms until it holds or `within` passed.
pub fn wait_for(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------
// Temporary directories

#[allow(unused_imports)]
pub use crate::common::TempDir;

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, renamed.
pub fn replace_file(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("tmp-swap");
    std::fs::write(&tmp, bytes).expect("write temp file");
    std::fs::rename(&tmp, path).expect("rename over the file");
}

// ---------------------------------------------------------------------------------------
// Rules, bundles and expected alerts

/// An analysis of rules files given as (name, text).
pub fn analysis(files: &[(String, String)]) -> Analysis {
    let mut a = Analysis::new(LoadOptions::default());
    for (name, text) in files {
        a.add_file(name.clone(), text.clone());
    }
    a
}

/// Reads rules files into (name, text) pairs.
pub fn read_rules(paths: &[PathBuf]) -> Vec<(String, String)> {
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p)
                .unwrap_or_else(|e| panic!("read rules file {}: {e}", p.display()));
            (p.display().to_string(), text)
        })
        .collect()
}

/// Compiles rules files (name, text) into a bundle; panics on errors.
pub fn bundle_of(files: &[(String, String)]) -> Bundle {
    let a = analysis(files);
    let out = a.load();
    assert!(
        out.successful(),
        "rules do not load:\n{}",
        rulec::render::error_lines(&out, &a.sources)
    );
    rulec::bundle::build(&out, &a.sources, a.options.engine_version).expect("rules bundle")
}

/// One alert, as compared between the rule-test runner and the agent: the rule, the alert
/// `time` (the event's time), the rule output without the time prefix, and the output
/// fields without the event time (the only field the agent adds).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// Rule name.
    pub rule: String,
    /// `time` (RFC 3339).
    pub time: String,
    /// `Priority message` (the `output` after the time prefix).
    pub message: String,
    /// `output_fields` without `evt.time`, as JSON text (keys sorted).
    pub fields: String,
}

/// The output after the time prefix (`HH:MM:SS.nnnnnnnnn: ` has no `": "` before it).
pub fn strip_time(output: &str) -> String {
    output
        .split_once(": ")
        .map_or(output, |(_, rest)| rest)
        .to_owned()
}

fn fields_text(f: &Map<String, J>) -> String {
    let sorted: BTreeMap<&String, &J> = f
        .iter()
        .filter(|(k, _)| k.as_str() != "evt.time" && k.as_str() != "evt.time.iso8601")
        .collect();
    serde_json::to_string(&sorted).expect("fields serialize")
}

/// The comparison key of a JSON alert as the agent writes it.
pub fn key_of_json(a: &J) -> Key {
    let s = |k: &str| {
        a.get(k)
            .and_then(J::as_str)
            .unwrap_or_else(|| panic!("alert without string `{k}`: {a}"))
            .to_owned()
    };
    let fields = a
        .get("output_fields")
        .and_then(J::as_object)
        .unwrap_or_else(|| panic!("alert without output_fields: {a}"));
    Key {
        rule: s("rule"),
        time: s("time"),
        message: strip_time(&s("output")),
        fields: fields_text(fields),
    }
}

/// A rule-test file's `json:` events and the rule-test runner loaded with its rules.
pub struct Expected {
    /// The bundle of the test file's rules.
    pub bundle: Bundle,
    suite: Suite,
    /// Every `json:` event in file order, with the test it came from.
    events: Vec<(TestCase, EventSpec)>,
}

/// The epoch as an alert `time`: the rule-test runner's time of an event without a
/// timestamp (the agent stamps those with the time it read them).
pub const EPOCH: &str = "1970-01-01T00:00:00.000000000Z";

impl Expected {
    /// The alerts of every event, each run alone through the rule-test runner with
    /// `evt.num` = `first_num` + its index (as the agent numbers the events of a source),
    /// sorted (a multiset).
    pub fn keys(&mut self, first_num: u64) -> Vec<Key> {
        let mut out = Vec::new();
        for (i, (t, ev)) in self.events.iter().enumerate() {
            let mut ev = ev.clone();
            if let EventSpec::Json(j) = &mut ev {
                j.num = first_num + i as u64;
            }
            let one = TestCase {
                events: vec![ev],
                fires: Vec::new(),
                not_fires: Vec::new(),
                only: false,
                output_fields: Vec::new(),
                ..t.clone()
            };
            out.extend(self.suite.run(&one).alerts.iter().map(|a| Key {
                rule: a.rule.clone(),
                time: a.time.clone(),
                message: strip_time(&a.output),
                fields: fields_text(&a.output_fields),
            }));
        }
        out.sort();
        out
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// The events' JSON values.
    pub fn jsons(&self) -> Vec<J> {
        self.events
            .iter()
            .filter_map(|(_, e)| match e {
                EventSpec::Json(j) => Some(j.to_value()),
                EventSpec::Fields(_) => None,
            })
            .collect()
    }
}

/// Loads `test_file`, resolves its `rules:` (relative to it, then in `search`), compiles
/// them into a bundle, checks that every test passes, and keeps the `json:` events for
/// [`Expected::keys`].
pub fn expected_from_test_file(test_file: &Path, search: &[PathBuf]) -> Expected {
    let tf = load_test_file(test_file).unwrap_or_else(|e| panic!("{e}"));
    let rules = tf
        .resolve_rules(search)
        .unwrap_or_else(|e| panic!("rules of {}: {e:?}", test_file.display()));
    let files = read_rules(&rules);
    let a = analysis(&files);
    let out = a.load();
    assert!(
        out.successful(),
        "rules of {} do not load:\n{}",
        test_file.display(),
        rulec::render::error_lines(&out, &a.sources)
    );
    let bundle =
        rulec::bundle::build(&out, &a.sources, a.options.engine_version).expect("bundle builds");
    let mut suite = Suite::new(&a, &out);
    let mut events = Vec::new();
    for t in &tf.tests {
        // The file is the reference: each of its tests must pass.
        let r = suite.run(t);
        assert!(r.passed(), "test `{}` fails: {:?}", t.name, r.failures);
        for ev in &t.events {
            if matches!(ev, EventSpec::Json(_)) {
                events.push((t.clone(), ev.clone()));
            }
        }
    }
    Expected {
        bundle,
        suite,
        events,
    }
}

// ---------------------------------------------------------------------------------------
// The agent process

/// Lines a child wrote to one of its streams, collected by a reader thread.
#[derive(Clone, Default)]
pub struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    fn collect(stream: impl Read + Send + 'static) -> Lines {
        let lines = Lines::default();
        let l = lines.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stream);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                match r.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        let s = String::from_utf8_lossy(&buf).trim_end().to_owned();
                        l.0.lock().unwrap_or_else(|e| e.into_inner()).push(s);
                    }
                }
            }
        });
        lines
    }

    /// A copy of the lines so far.
    pub fn snapshot(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Number of lines so far.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Lines containing `needle`.
    pub fn matching(&self, needle: &str) -> Vec<String> {
        self.snapshot()
            .into_iter()
            .filter(|l| l.contains(needle))
            .collect()
    }

    /// Waits for a line containing `needle` (after the first `skip` lines).
    pub fn wait_for_line(&self, needle: &str, skip: usize, within: Duration) -> Option<String> {
        let mut found = None;
        wait_for(within, || {
            found = self
                .snapshot()
                .into_iter()
                .skip(skip)
                .find(|l| l.contains(needle));
            found.is_some()
        });
        found
    }

    /// All lines, joined.
    pub fn text(&self) -> String {
        self.snapshot().join("\n")
    }
}

/// The value of `key=` in a log line (up to the next space).
pub fn log_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!(" {key}=");
    let i = line.find(&pat)? + pat.len();
    let rest = &line[i..];
    Some(rest.split(' ').next().unwrap_or(rest).trim_matches('"'))
}

/// A running `falco-rulec-agent`.
pub struct AgentProc {
    child: Child,
    stdin: Option<ChildStdin>,
    /// Its standard output.
    pub stdout: Lines,
    /// Its log (standard error).
    pub stderr: Lines,
    /// When it was started.
    pub started: Instant,
}

/// The agent binary.
pub fn agent_bin() -> &'static str {
    env!("CARGO_BIN_EXE_falco-rulec-agent")
}

impl AgentProc {
    /// Starts the agent with `args`; `stdin`: give it a pipe (else /dev/null).
    pub fn start<S: AsRef<std::ffi::OsStr>>(args: &[S], stdin: bool) -> AgentProc {
        let mut cmd = Command::new(agent_bin());
        cmd.args(args)
            .env("FALCO_HOSTNAME", HOSTNAME)
            .env_remove("RULEC_LOG")
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start falco-rulec-agent");
        let stdout = Lines::collect(child.stdout.take().expect("stdout piped"));
        let stderr = Lines::collect(child.stderr.take().expect("stderr piped"));
        let stdin = child.stdin.take();
        AgentProc {
            child,
            stdin,
            stdout,
            stderr,
            started: Instant::now(),
        }
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes to its standard input.
    pub fn feed(&mut self, bytes: &[u8]) {
        let s = self
            .stdin
            .as_mut()
            .expect("agent started with a stdin pipe");
        s.write_all(bytes).expect("write to the agent's stdin");
        s.flush().expect("flush the agent's stdin");
    }

    /// Takes its standard input pipe (for a feeding thread).
    pub fn take_stdin(&mut self) -> ChildStdin {
        self.stdin.take().expect("agent started with a stdin pipe")
    }

    /// Closes its standard input (the stdin source ends).
    pub fn close_stdin(&mut self) {
        drop(self.stdin.take());
    }

    /// Sends a signal with `kill -SIG PID`.
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -{sig} {} failed", self.pid());
    }

    /// Waits for a log line containing `needle`; panics with the log when it does not come.
    pub fn expect_log(&self, needle: &str, within: Duration) -> String {
        self.expect_log_after(needle, 0, within)
    }

    /// [`AgentProc::expect_log`] for lines after the first `skip`.
    pub fn expect_log_after(&self, needle: &str, skip: usize, within: Duration) -> String {
        match self.stderr.wait_for_line(needle, skip, within) {
            Some(l) => l,
            None => panic!(
                "no log line with {needle:?} within {within:?}; log:\n{}",
                self.stderr.text()
            ),
        }
    }

    /// The address in the `addr=` field of the first log line containing `needle`.
    pub fn addr(&self, needle: &str) -> SocketAddr {
        let l = self.expect_log(needle, DEADLINE);
        log_value(&l, "addr")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no addr= in {l:?}"))
    }

    /// Waits for the process to exit; kills it and panics after `within`.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let end = Instant::now() + within;
        loop {
            if let Some(st) = self.child.try_wait().expect("wait for the agent") {
                // Let the reader threads take the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return st;
            }
            if Instant::now() >= end {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "the agent did not exit within {within:?}; log:\n{}",
                    self.stderr.text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn stop(&mut self) -> ExitStatus {
        self.signal("TERM");
        self.wait_exit(DEADLINE)
    }

    /// Standard output lines parsed as JSON alerts.
    pub fn json_alerts(&self) -> Vec<J> {
        self.stdout
            .snapshot()
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("stdout line {l:?}: {e}")))
            .collect()
    }

    /// The counts of the `final output counts` log line of output `name`:
    /// (delivered, dropped, failed).
    pub fn final_output_counts(&self, name: &str) -> (u64, u64, u64) {
        let l = self
            .stderr
            .matching("final output counts")
            .into_iter()
            .find(|l| log_value(l, "output") == Some(name))
            .unwrap_or_else(|| {
                panic!(
                    "no final output counts for {name}; log:\n{}",
                    self.stderr.text()
                )
            });
        let n = |k: &str| -> u64 {
            log_value(&l, k)
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {k}= in {l:?}"))
        };
        (n("delivered"), n("dropped"), n("failed"))
    }

    /// The counts of the `final source counts` log lines: (events, malformed, alerts),
    /// summed over the sources.
    pub fn final_source_counts(&self) -> (u64, u64, u64) {
        let lines = self.stderr.matching("final source counts");
        assert!(
            !lines.is_empty(),
            "no final source counts; log:\n{}",
            self.stderr.text()
        );
        let mut t = (0, 0, 0);
        for l in &lines {
            let n = |k: &str| -> u64 {
                log_value(l, k)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("no {k}= in {l:?}"))
            };
            t.0 += n("events");
            t.1 += n("malformed");
            t.2 += n("alerts");
        }
        t
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Process ids of the children of `pid` (every thread's `children` file).
pub fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        if let Ok(s) = std::fs::read_to_string(t.path().join("children")) {
            out.extend(s.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// The command name of process `pid`.
pub fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim().to_owned())
}

/// True when `pid` is gone or a zombie.
pub fn dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_none_or(|state| state == "Z" || state == "X"),
    }
}

// ---------------------------------------------------------------------------------------
// HTTP

/// One HTTP request a [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Request {
    /// `POST`.
    pub method: String,
    /// Request target.
    pub path: String,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How a [`Receiver`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `200 OK` to every request.
    Ok,
    /// Reads requests and never answers (the connection stays open until the peer gives up).
    Never,
}

/// A minimal HTTP/1.1 server on loopback (std only): parses requests (Content-Length
/// bodies, keep-alive), records them, answers as told.
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    /// Starts on 127.0.0.1 (a free port).
    pub fn start(answer: Answer) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let addr = listener.local_addr().expect("receiver addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, st) = (Arc::clone(&requests), Arc::clone(&stop));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let reqs = Arc::clone(&reqs);
                std::thread::spawn(move || serve_conn(conn, &reqs, answer));
            }
        });
        Receiver {
            addr,
            requests,
            stop,
        }
    }

    /// `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The requests so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Number of requests so far.
    pub fn count(&self) -> usize {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve_conn(conn: TcpStream, reqs: &Mutex<Vec<Request>>, answer: Answer) {
    let mut w = match conn.try_clone() {
        Ok(w) => w,
        Err(_) => return,
    };
    let mut r = BufReader::new(conn);
    loop {
        let Some(req) = crate::common::read_request(&mut r) else {
            return;
        };
        let mut parts = req.line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let (headers, body) = (req.headers, req.body);
        let close = headers
            .iter()
            .any(|(k, v)| k == "connection" && v.eq_ignore_ascii_case("close"));
        reqs.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Request {
                method,
                path,
                headers,
                body,
            });
        match answer {
            Answer::Never => {
                // Hold the connection until the client gives up.
                let mut sink = Vec::new();
                let _ = r.read_to_end(&mut sink);
                return;
            }
            Answer::Ok => {
                let resp: &[u8] = if close {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                } else {
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                };
                if w.write_all(resp).is_err() || close {
                    return;
                }
            }
        }
    }
}

/// One HTTP/1.1 request with `Connection: close`; returns (status, body).
pub fn http(method: &str, addr: SocketAddr, path: &str, ctype: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(DEADLINE)).expect("read timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).expect("send request head");
    s.write_all(body).expect("send request body");
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).expect("read response");
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad HTTP response {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned());
    (status, body)
}

/// `GET /metrics`, as text.
pub fn metrics(addr: SocketAddr) -> String {
    let (status, body) = http("GET", addr, "/metrics", "text/plain", b"");
    assert_eq!(status, 200, "/metrics answered {status}: {body}");
    body
}

/// The value of metric sample `name{labels}` (exact text before the value), if present.
pub fn metric(text: &str, sample: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(sample)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// True when something accepts connections on `addr`.
pub fn listening(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}
