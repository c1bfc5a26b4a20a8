//! Peers and helpers for the output tests: temp dirs, alerts, polling, HTTP(S) receivers,
//! a private rsyslogd and process inspection.

#![allow(dead_code)]

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rulec_ir::vocab::Priority;
use rulec_runtime::agent::alert::AlertRecord;

#[allow(unused_imports)]
pub use crate::common::TempDir;

/// A text alert.
pub fn text_alert(i: usize, priority: Priority) -> Arc<AlertRecord> {
    Arc::new(AlertRecord {
        rule: format!("rule {i}"),
        priority,
        source: "syscall".into(),
        time_ns: 1_700_000_000_000_000_000,
        line: format!(
            "12:00:00.000000000: {} alert number {i} (user=root)",
            priority.as_str()
        ),
        is_json: false,
    })
}

/// A JSON alert.
pub fn json_alert(i: usize, priority: Priority) -> Arc<AlertRecord> {
    let line = serde_json::json!({
        "hostname": "node-1",
        "output": format!("alert number {i}"),
        "priority": priority.as_str(),
        "rule": format!("rule {i}"),
        "source": "syscall",
        "time": "2023-11-14T22:13:20.000000000Z",
        "output_fields": {"n": i},
    })
    .to_string();
    Arc::new(AlertRecord {
        rule: format!("rule {i}"),
        priority,
        source: "syscall".into(),
        time_ns: 1_700_000_000_000_000_000,
        line,
        is_json: true,
    })
}

/// Polls `cond` every 10 ms until it holds or `within` passed; returns whether it held.
pub fn wait_for(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The lines of a file (none if it does not exist).
pub fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// True if `pid` has exited: gone from `/proc` or a zombie.
pub fn exited(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_none_or(|state| state == 'Z' || state == 'X'),
    }
}

/// True if `pid` is a zombie (exited and not reaped).
pub fn zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            == Some('Z')
    })
}

/// True when this process runs as root.
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

/// True if `prog` runs (`prog --version` or similar succeeds).
pub fn have(prog: &str, arg: &str) -> bool {
    Command::new(prog)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

// ---------------------------------------------------------------------------------------
// HTTP receivers

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Request {
    /// Request line (`POST /path HTTP/1.1`).
    pub line: String,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Raw body.
    pub body: Vec<u8>,
    /// Which connection (accept order) it came on.
    pub conn: usize,
}

impl Request {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body, gunzipped if `Content-Encoding: gzip`.
    pub fn text(&self) -> String {
        if self.header("content-encoding") == Some("gzip") {
            let mut s = String::new();
            flate2::read::GzDecoder::new(self.body.as_slice())
                .read_to_string(&mut s)
                .expect("gzip body");
            s
        } else {
            String::from_utf8_lossy(&self.body).into_owned()
        }
    }
}

/// What the receiver answers to request number `n` (0-based): a status, after a delay.
pub type Responder = dyn Fn(usize) -> (u16, Duration) + Send + Sync;

/// What a receiver recorded.
#[derive(Default)]
pub struct Seen {
    /// Requests, in arrival order.
    pub requests: Mutex<Vec<Request>>,
    /// Requests started (counted before answering).
    pub started: AtomicUsize,
    /// Connections accepted.
    pub connections: AtomicUsize,
}

impl Seen {
    /// A copy of the requests so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Number of requests so far.
    pub fn count(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
}

/// A plain HTTP/1.1 receiver on 127.0.0.1 (one thread per connection; threads end with the
/// test binary).
pub struct Receiver {
    /// Where it listens.
    pub addr: SocketAddr,
    /// What it saw.
    pub seen: Arc<Seen>,
}

impl Receiver {
    /// Starts a receiver answering with `respond`.
    pub fn start(respond: impl Fn(usize) -> (u16, Duration) + Send + Sync + 'static) -> Receiver {
        Self::start_with(respond, None)
    }

    /// Starts a receiver, TLS when `tls` is given.
    pub fn start_with(
        respond: impl Fn(usize) -> (u16, Duration) + Send + Sync + 'static,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let addr = listener.local_addr().expect("receiver address");
        let seen = Arc::new(Seen::default());
        let respond: Arc<Responder> = Arc::new(respond);
        let s = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let conn = s.connections.fetch_add(1, Ordering::SeqCst);
                let s = Arc::clone(&s);
                let respond = Arc::clone(&respond);
                let tls = tls.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
                    match tls {
                        None => serve(stream, conn, &s, &*respond),
                        Some(cfg) => {
                            let Ok(c) = rustls::ServerConnection::new(cfg) else {
                                return;
                            };
                            serve(rustls::StreamOwned::new(c, stream), conn, &s, &*respond);
                        }
                    }
                });
            }
        });
        Receiver { addr, seen }
    }

    /// `http://ADDR/alerts`.
    pub fn url(&self) -> String {
        format!("http://{}/alerts", self.addr)
    }

    /// `https://ADDR/alerts`.
    pub fn https_url(&self) -> String {
        format!("https://{}/alerts", self.addr)
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

/// Serves requests on one connection until the peer closes it.
fn serve<S: Read + Write>(stream: S, conn: usize, seen: &Seen, respond: &Responder) {
    let mut r = BufReader::new(stream);
    loop {
        let Some(req) = crate::common::read_request(&mut r) else {
            return;
        };
        let (line, headers, body) = (req.line, req.headers, req.body);
        let n = seen.started.fetch_add(1, Ordering::SeqCst);
        seen.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Request {
                line,
                headers,
                body,
                conn,
            });
        let (code, delay) = respond(n);
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        let answer = format!(
            "HTTP/1.1 {code} {}\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nanswer {:02}",
            reason(code),
            n % 100
        );
        let w = r.get_mut();
        if w.write_all(answer.as_bytes())
            .and_then(|()| w.flush())
            .is_err()
        {
            return;
        }
    }
}

/// A port nothing listens on (bound, then released).
pub fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let a = l.local_addr().expect("address");
    drop(l);
    // Make sure it is really refused.
    assert!(TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_err());
    a
}

// ---------------------------------------------------------------------------------------
// TLS material made by the openssl command line

/// A CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.
pub struct Pki {
    /// The CA certificate.
    pub ca: PathBuf,
    /// A directory holding only the CA certificate.
    pub ca_dir: PathBuf,
    /// Server certificate and key.
    pub server_cert: PathBuf,
    /// Server key.
    pub server_key: PathBuf,
    /// Client certificate.
    pub client_cert: PathBuf,
    /// Client key.
    pub client_key: PathBuf,
}

/// Runs `openssl ARGS` (split on spaces) in `dir`.
fn openssl(dir: &Path, args: &str) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args.split_whitespace())
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("openssl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl {args}: {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl Pki {
    /// Makes the files in `dir` (an error when openssl is missing or fails).
    pub fn make(dir: &Path) -> Result<Pki, String> {
        const EC: &str = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
        openssl(
            dir,
            &format!(
                "req -x509 {EC} -keyout ca.key -out ca.pem -days 2 -subj /CN=rulec-test-CA \
                 -addext basicConstraints=critical,CA:TRUE \
                 -addext keyUsage=critical,keyCertSign,cRLSign"
            ),
        )?;
        for (name, usage) in [("server", "serverAuth"), ("client", "clientAuth")] {
            let ext = format!(
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                 extendedKeyUsage={usage}\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
            );
            std::fs::write(dir.join(format!("{name}.ext")), ext).map_err(|e| e.to_string())?;
            openssl(
                dir,
                &format!("req {EC} -keyout {name}.key -out {name}.csr -subj /CN={name}"),
            )?;
            openssl(
                dir,
                &format!(
                    "x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
                     -out {name}.pem -days 2 -extfile {name}.ext"
                ),
            )?;
        }
        let ca_dir = dir.join("cas");
        std::fs::create_dir_all(&ca_dir).map_err(|e| e.to_string())?;
        std::fs::copy(dir.join("ca.pem"), ca_dir.join("test-ca.pem")).map_err(|e| e.to_string())?;
        std::fs::write(ca_dir.join("README"), "not a certificate\n").map_err(|e| e.to_string())?;
        Ok(Pki {
            ca: dir.join("ca.pem"),
            ca_dir,
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
        })
    }

    /// A rustls server config; `client_auth` requires a client certificate from the CA.
    pub fn server_config(&self, client_auth: bool) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&self.server_cert)
            .expect("server cert")
            .collect::<Result<_, _>>()
            .expect("server cert");
        let key = PrivateKeyDer::from_pem_file(&self.server_key).expect("server key");
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .expect("versions");
        let builder = if client_auth {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_file_iter(&self.ca).expect("ca") {
                roots.add(c.expect("ca")).expect("add ca");
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        Arc::new(builder.with_single_cert(chain, key).expect("server config"))
    }
}

// ---------------------------------------------------------------------------------------
// rsyslog

/// Makes sure `rsyslogd` is installed: installs the Debian package when root.
pub fn ensure_rsyslogd() -> Result<(), String> {
    if have("rsyslogd", "-v") {
        return Ok(());
    }
    if !is_root() {
        return Err("rsyslogd is not installed and we are not root".into());
    }
    let run = |args: &[&str]| -> Result<(), String> {
        let out = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("apt-get: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "apt-get {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    run(&["update", "-qq"])?;
    run(&["install", "-y", "-qq", "rsyslog"])?;
    if have("rsyslogd", "-v") {
        Ok(())
    } else {
        Err("rsyslogd still missing after apt-get install".into())
    }
}

/// A private rsyslogd: a Unix socket in its directory, every message to `out` as
/// `severity|facility|programname|unix time reported|msg`. Killed on drop.
pub struct Rsyslogd {
    child: Option<Child>,
    /// The socket it reads.
    pub socket: PathBuf,
    /// Where it writes.
    pub out: PathBuf,
    conf: PathBuf,
    pidfile: PathBuf,
    log: PathBuf,
}

impl Rsyslogd {
    /// Starts rsyslogd in `dir` and waits for its socket.
    pub fn start(dir: &Path) -> Result<Rsyslogd, String> {
        let socket = dir.join("log.sock");
        let out = dir.join("messages.log");
        let conf = dir.join("rsyslog.conf");
        let text = format!(
            r#"global(workDirectory="{dir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket}" UseSysTimeStamp="off" RateLimit.Interval="0")
template(name="fields" type="string" string="%syslogseverity%|%syslogfacility-text%|%programname%|%timereported:::date-unixtimestamp%|%msg%\n")
action(type="omfile" file="{out}" template="fields")
"#,
            dir = dir.display(),
            socket = socket.display(),
            out = out.display(),
        );
        std::fs::write(&conf, text).map_err(|e| e.to_string())?;
        let mut d = Rsyslogd {
            child: None,
            socket,
            out,
            pidfile: dir.join("rsyslogd.pid"),
            log: dir.join("rsyslogd.stderr"),
            conf,
        };
        d.spawn()?;
        Ok(d)
    }

    fn spawn(&mut self) -> Result<(), String> {
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_file(&self.pidfile);
        let log = std::fs::File::create(&self.log).map_err(|e| e.to_string())?;
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(&self.conf)
            .arg("-i")
            .arg(&self.pidfile)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("rsyslogd: {e}"))?;
        self.child = Some(child);
        if !wait_for(Duration::from_secs(10), || self.socket.exists()) {
            return Err(format!(
                "rsyslogd did not create its socket: {}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            ));
        }
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills it and starts it again (a daemon restart: a new socket at the same path).
    pub fn restart(&mut self) -> Result<(), String> {
        self.kill();
        self.spawn()
    }

    /// The lines written so far.
    pub fn lines(&self) -> Vec<String> {
        lines(&self.out)
    }
}

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        self.kill();
    }
}
