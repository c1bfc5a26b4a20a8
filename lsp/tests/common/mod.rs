//! A tiny LSP client: spawns the real `falco-rulec-lsp` binary and speaks JSON-RPC with
//! Content-Length framing over its stdin/stdout.

#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

pub struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Last `publishDiagnostics` params per URI.
    pub diagnostics: HashMap<String, Value>,
    /// `window/showMessage` params, in arrival order.
    pub messages: Vec<Value>,
    pub root: PathBuf,
    pub root_uri: String,
}

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse::<usize>().ok();
        }
    }
    let mut buf = vec![0; len?];
    r.read_exact(&mut buf).ok()?;
    serde_json::from_slice(&buf).ok()
}

pub fn file_uri(p: &Path) -> String {
    format!("file://{}", p.display())
}

impl Client {
    /// Starts the server on workspace `root` and performs the initialize handshake.
    pub fn start(root: &Path, init_options: Value) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_falco-rulec-lsp"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn falco-rulec-lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(v) = read_message(&mut r) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let root = root.canonicalize().unwrap();
        let root_uri = file_uri(&root);
        let mut c = Client {
            child,
            stdin,
            rx,
            next_id: 1,
            diagnostics: HashMap::new(),
            messages: Vec::new(),
            root,
            root_uri,
        };
        let uri = c.root_uri.clone();
        let res = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri,
                "capabilities": {},
                "workspaceFolders": [{"uri": uri, "name": "ws"}],
                "initializationOptions": init_options,
            }),
        );
        assert!(
            res.get("capabilities").is_some(),
            "initialize failed: {res}"
        );
        c.notify("initialized", json!({}));
        c
    }

    fn send(&mut self, v: &Value) {
        let body = serde_json::to_string(v).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn recv(&mut self) -> Value {
        let v = self
            .rx
            .recv_timeout(Duration::from_secs(60))
            .expect("no message from the server within 60 s");
        if std::env::var("LSP_TRACE").is_ok() {
            eprintln!("<- {v}");
        }
        if v.get("method").and_then(Value::as_str) == Some("textDocument/publishDiagnostics") {
            let uri = v["params"]["uri"].as_str().unwrap_or_default().to_owned();
            self.diagnostics.insert(uri, v["params"].clone());
        }
        if v.get("method").and_then(Value::as_str) == Some("window/showMessage") {
            self.messages.push(v["params"].clone());
        }
        v
    }

    /// Sends a request and returns its `result` (or the `error` object).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let v = self.recv();
            if v.get("id") == Some(&json!(id)) && v.get("method").is_none() {
                return v
                    .get("result")
                    .cloned()
                    .unwrap_or_else(|| json!({"error": v["error"]}));
            }
            if v.get("method").is_some() && v.get("id").is_some() {
                // A server-to-client request (none expected): answer with null.
                let rid = v["id"].clone();
                self.send(&json!({"jsonrpc": "2.0", "id": rid, "result": null}));
            }
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Waits for diagnostics of `uri` published for document version `version`.
    pub fn wait_diagnostics(&mut self, uri: &str, version: i64) -> Value {
        loop {
            if let Some(d) = self.diagnostics.get(uri) {
                if d.get("version") == Some(&json!(version)) {
                    return d["diagnostics"].clone();
                }
            }
            self.recv();
        }
    }

    pub fn uri(&self, rel: &str) -> String {
        format!("{}/{}", self.root_uri, rel)
    }

    pub fn text(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap()
    }

    /// Opens `rel` (version 1) and returns its diagnostics.
    pub fn open(&mut self, rel: &str) -> Value {
        let uri = self.uri(rel);
        let text = self.text(rel);
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        );
        self.wait_diagnostics(&uri, 1)
    }

    /// Replaces `range` of `rel` (incremental change) and returns the new diagnostics.
    pub fn edit(&mut self, rel: &str, version: i64, range: Value, text: &str) -> Value {
        let uri = self.uri(rel);
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"range": range, "text": text}]}),
        );
        self.wait_diagnostics(&uri, version)
    }

    /// `{textDocument, position}` params.
    pub fn at(&self, rel: &str, pos: Value) -> Value {
        json!({"textDocument": {"uri": self.uri(rel)}, "position": pos})
    }

    /// Replaces the workspace root URI by `file:///ROOT` everywhere in `v`.
    pub fn redact(&self, v: &Value) -> Value {
        let s = serde_json::to_string(v)
            .unwrap()
            .replace(&self.root_uri, "file:///ROOT");
        serde_json::from_str(&s).unwrap()
    }

    pub fn shutdown(mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let _ = self.child.wait();
    }
}

/// The LSP position of the `nth` (0-based) occurrence of `needle` in `text`, plus `delta` bytes.
pub fn pos(text: &str, needle: &str, nth: usize, delta: usize) -> Value {
    let mut from = 0;
    let mut at = None;
    for _ in 0..=nth {
        let i = text[from..]
            .find(needle)
            .unwrap_or_else(|| panic!("`{needle}` not found"))
            + from;
        at = Some(i);
        from = i + 1;
    }
    let off = at.unwrap() + delta;
    let line = text[..off].matches('\n').count();
    let col = off - text[..off].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": col})
}

/// A range of `len` bytes at the `nth` occurrence of `needle`.
pub fn range(text: &str, needle: &str, nth: usize, len: usize) -> Value {
    let start = pos(text, needle, nth, 0);
    let end = pos(text, needle, nth, len);
    json!({"start": start, "end": end})
}

/// A fresh workspace folder under the test temp dir with `files` copied/written into it.
pub fn workspace(name: &str, files: &[(&str, String)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("lsp-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// The upstream corpus directory, or `None` (with a printed reason) when it is absent.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/rules");
    if dir.join("falco_rules.yaml").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: corpus not found at {} (../shared/corpus/rules)",
            dir.display()
        );
        None
    }
}

/// Our bundled ruleset.
pub fn bundled_rules() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/falco-rulec_rules.yaml"),
    )
    .unwrap()
}

/// Compact summary of diagnostics: `line:col code message-first-line`.
pub fn summarize(diags: &Value) -> Vec<String> {
    diags
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{} {} {}",
                d["range"]["start"]["line"].as_u64().unwrap_or(0) + 1,
                d["range"]["start"]["character"].as_u64().unwrap_or(0) + 1,
                d["code"].as_str().unwrap_or("-"),
                d["message"]
                    .as_str()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
            )
        })
        .collect()
}
