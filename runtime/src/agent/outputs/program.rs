//! Falco's `program_output`: alert lines on the standard input of `/bin/sh -c PROGRAM`.
//!
//! * `keep_alive: true`: one long-lived child reads every alert. If it has died (it exited,
//!   or writing to it fails with `EPIPE`), it is restarted and the alert is written again,
//!   once; restarts are counted ([`ProgramHandle::restarts`]) and logged.
//! * `keep_alive: false` (Falco's default): a child per alert, as Falco's `popen`/`pclose`:
//!   the line is written, standard input closed and the child waited for.
//! * `buffered` (Falco's `buffered_outputs`) applies to a long-lived child: lines collect in
//!   a buffer written when the queue is idle (and at reopen and shutdown).
//!
//! Children are always reaped. A line the child had accepted into the pipe but not read
//! before dying cannot be detected and is lost, as with Falco.
//!
//! Writing to a dead child relies on `SIGPIPE` being ignored, as it is in every Rust binary.

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{OutputError, Sink};
use crate::agent::alert::AlertRecord;

/// Buffered lines are written once they reach this size, idle or not.
const BUFFER: usize = 64 * 1024;

/// How long a child may take to exit once its standard input is closed before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// Configuration of the program output (`program_output` in `falco.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramOutputConfig {
    /// Shell command the alerts are piped to (`/bin/sh -c PROGRAM`).
    pub program: String,
    /// One long-lived child instead of one per alert.
    pub keep_alive: bool,
    /// Buffer writes to a long-lived child (Falco's `buffered_outputs`).
    pub buffered: bool,
}

/// Shared view of a [`ProgramSink`]'s state, usable after the sink moved to its thread.
#[derive(Debug, Clone, Default)]
pub struct ProgramHandle {
    restarts: Arc<AtomicU64>,
    pid: Arc<AtomicU32>,
}

impl ProgramHandle {
    /// How many times the program was restarted because it had died.
    pub fn restarts(&self) -> u64 {
        self.restarts.load(Ordering::Relaxed)
    }

    /// The process id of the running child, if there is one.
    pub fn pid(&self) -> Option<u32> {
        match self.pid.load(Ordering::Relaxed) {
            0 => None,
            p => Some(p),
        }
    }
}

struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
}

/// Pipes alerts to a program.
pub struct ProgramSink {
    cfg: ProgramOutputConfig,
    /// The long-lived child (`keep_alive: true`).
    running: Option<Running>,
    /// Lines not yet written to the long-lived child.
    pending: Vec<u8>,
    handle: ProgramHandle,
}

impl ProgramSink {
    /// A program output; with `keep_alive` the program is started now (an error if it cannot
    /// be started).
    pub fn new(cfg: ProgramOutputConfig) -> Result<ProgramSink, OutputError> {
        let mut sink = ProgramSink {
            cfg,
            running: None,
            pending: Vec::new(),
            handle: ProgramHandle::default(),
        };
        if sink.cfg.keep_alive {
            sink.running = Some(sink.spawn()?);
        }
        Ok(sink)
    }

    /// How many times the program was restarted because it had died.
    pub fn restarts(&self) -> u64 {
        self.handle.restarts()
    }

    /// A handle on the restart count and child pid that outlives moving the sink.
    pub fn handle(&self) -> ProgramHandle {
        self.handle.clone()
    }

    fn spawn(&self) -> Result<Running, OutputError> {
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(&self.cfg.program)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| {
                OutputError::Other(format!(
                    "program output `{}`: cannot start /bin/sh: {e}",
                    self.cfg.program
                ))
            })?;
        let stdin = child.stdin.take();
        self.handle.pid.store(child.id(), Ordering::Relaxed);
        Ok(Running { child, stdin })
    }

    /// Closes the child's input and reaps it (killed after [`EXIT_GRACE`]).
    fn stop(&self, r: Running) {
        let Running { mut child, stdin } = r;
        drop(stdin);
        let deadline = Instant::now() + EXIT_GRACE;
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    if !status.success() {
                        tracing::debug!(program = %self.cfg.program, %status, "program exited");
                    }
                    break;
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(None) | Err(_) => {
                    tracing::warn!(program = %self.cfg.program, "program did not exit: killed");
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
            }
        }
        let _ =
            self.handle
                .pid
                .compare_exchange(child.id(), 0, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Replaces a dead (or broken) child by a new one and counts the restart.
    fn restart(&mut self, why: &str) -> Result<(), OutputError> {
        if let Some(r) = self.running.take() {
            self.stop(r);
        }
        let n = self.handle.restarts.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(program = %self.cfg.program, reason = why, restarts = n, "restarting the program output");
        self.running = Some(self.spawn()?);
        Ok(())
    }

    /// Why the long-lived child cannot take input, if it cannot (reaping it if it exited).
    fn dead_reason(&mut self) -> Option<String> {
        let r = match self.running.as_mut() {
            None => return Some("the program had exited".to_owned()),
            Some(r) => r,
        };
        match r.child.try_wait() {
            Ok(None) => None,
            Ok(Some(status)) => Some(format!("the program exited ({status})")),
            Err(e) => Some(format!("cannot check the program: {e}")),
        }
    }

    /// Writes the pending lines to the long-lived child, restarting it once if needed.
    fn send_pending(&mut self) -> Result<(), OutputError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if let Some(why) = self.dead_reason() {
            if let Err(e) = self.restart(&why) {
                self.pending.clear();
                return Err(e);
            }
        }
        let res = match write_to(self.running.as_mut(), &self.pending) {
            Ok(()) => Ok(()),
            Err(e) => self
                .restart(&format!("cannot write to the program: {e}"))
                .and_then(|()| {
                    write_to(self.running.as_mut(), &self.pending).map_err(|e| {
                        OutputError::Other(format!(
                            "program output `{}`: cannot write after a restart: {e}",
                            self.cfg.program
                        ))
                    })
                }),
        };
        self.pending.clear();
        res
    }

    /// One child for one alert: write, close its input, wait for it.
    fn run_once(&mut self, line: &[u8]) -> Result<(), OutputError> {
        let mut r = self.spawn()?;
        let first = write_to(Some(&mut r), line);
        let r = match first {
            Ok(()) => r,
            Err(e) => {
                // It died before reading its alert: start another one, once.
                self.stop(r);
                let n = self.handle.restarts.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::warn!(program = %self.cfg.program, reason = %e, restarts = n, "restarting the program output");
                let mut r = self.spawn()?;
                if let Err(e) = write_to(Some(&mut r), line) {
                    self.stop(r);
                    return Err(OutputError::Other(format!(
                        "program output `{}`: cannot write after a restart: {e}",
                        self.cfg.program
                    )));
                }
                r
            }
        };
        let Running { mut child, stdin } = r;
        drop(stdin);
        let status = child.wait();
        self.handle.pid.store(0, Ordering::Relaxed);
        match status {
            Ok(s) if !s.success() => {
                tracing::debug!(program = %self.cfg.program, status = %s, "program exited");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(program = %self.cfg.program, error = %e, "cannot wait for the program");
            }
        }
        Ok(())
    }
}

fn write_to(r: Option<&mut Running>, bytes: &[u8]) -> std::io::Result<()> {
    let stdin = r
        .and_then(|r| r.stdin.as_mut())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "no program"))?;
    stdin.write_all(bytes)?;
    stdin.flush()
}

impl Sink for ProgramSink {
    fn write(&mut self, alert: &AlertRecord) -> Result<(), OutputError> {
        if !self.cfg.keep_alive {
            let mut line = Vec::with_capacity(alert.line.len() + 1);
            line.extend_from_slice(alert.line.as_bytes());
            line.push(b'\n');
            return self.run_once(&line);
        }
        self.pending.extend_from_slice(alert.line.as_bytes());
        self.pending.push(b'\n');
        if !self.cfg.buffered || self.pending.len() >= BUFFER {
            self.send_pending()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), OutputError> {
        let res = self.send_pending();
        // Reap a long-lived child that exited while idle; the next alert restarts it.
        if self.cfg.keep_alive && self.running.is_some() {
            if let Some(why) = self.dead_reason() {
                tracing::warn!(program = %self.cfg.program, reason = %why, "program output stopped");
                if let Some(r) = self.running.take() {
                    self.stop(r);
                }
            }
        }
        res
    }

    fn reopen(&mut self) -> Result<(), OutputError> {
        if !self.cfg.keep_alive {
            return Ok(());
        }
        let flushed = self.send_pending();
        if let Some(r) = self.running.take() {
            self.stop(r);
        }
        self.running = Some(self.spawn()?);
        flushed
    }
}

impl Drop for ProgramSink {
    fn drop(&mut self) {
        if let Err(e) = self.send_pending() {
            tracing::warn!(program = %self.cfg.program, error = %e, "buffered alerts lost at shutdown");
        }
        if let Some(r) = self.running.take() {
            self.stop(r);
        }
    }
}
