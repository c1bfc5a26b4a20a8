//! Falco's `file_output`: alerts appended to a file, one per line.
//!
//! * `keep_alive: false` (Falco's default): the file is opened, written and closed for every
//!   alert, so log rotation (`mv file file.1`) needs nothing: the next alert creates `file`.
//! * `keep_alive: true`: the file stays open; after a rotation [`Sink::reopen`] (SIGUSR1)
//!   closes it and opens the configured path again.
//! * `buffered` (Falco's `buffered_outputs`) applies to a kept-open file: alerts collect in a
//!   buffer flushed when the queue is idle, at reopen and at shutdown.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{OutputError, Sink};
use crate::agent::alert::AlertRecord;

/// Buffer size of a buffered file.
const BUFFER: usize = 64 * 1024;

/// Configuration of the file output (`file_output` in `falco.yaml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutputConfig {
    /// The file alerts are appended to.
    pub filename: PathBuf,
    /// Keep the file open between alerts.
    pub keep_alive: bool,
    /// Buffer writes (Falco's `buffered_outputs`); flushed when the queue is idle.
    pub buffered: bool,
}

/// Appends alerts to a file.
pub struct FileSink {
    cfg: FileOutputConfig,
    /// The open file (`keep_alive: true` only); `None` after an error, reopened lazily.
    file: Option<BufWriter<File>>,
    /// One alert plus its newline, written with one `write` call when unbuffered.
    scratch: Vec<u8>,
}

impl FileSink {
    /// Opens (creating it if needed) `cfg.filename` in append mode; the error names the path.
    pub fn new(cfg: FileOutputConfig) -> Result<FileSink, OutputError> {
        let file = open(&cfg.filename, cfg.buffered && cfg.keep_alive)?;
        let file = cfg.keep_alive.then_some(file);
        Ok(FileSink {
            cfg,
            file,
            scratch: Vec::new(),
        })
    }

    /// The configured path.
    pub fn path(&self) -> &Path {
        &self.cfg.filename
    }

    fn write_to(&mut self, f: &mut BufWriter<File>, alert: &AlertRecord) -> std::io::Result<()> {
        self.scratch.clear();
        self.scratch.extend_from_slice(alert.line.as_bytes());
        self.scratch.push(b'\n');
        f.write_all(&self.scratch)?;
        if !(self.cfg.buffered && self.cfg.keep_alive) {
            f.flush()?;
        }
        Ok(())
    }
}

/// Opens `path` for appending; unbuffered files get a zero-capacity writer.
fn open(path: &Path, buffered: bool) -> Result<BufWriter<File>, OutputError> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| named(path, &e))?;
    let cap = if buffered { BUFFER } else { 0 };
    Ok(BufWriter::with_capacity(cap, file))
}

/// An I/O error that names the file.
fn named(path: &Path, e: &std::io::Error) -> OutputError {
    OutputError::Io(std::io::Error::new(
        e.kind(),
        format!("output file `{}`: {e}", path.display()),
    ))
}

impl Sink for FileSink {
    fn write(&mut self, alert: &AlertRecord) -> Result<(), OutputError> {
        let path = self.cfg.filename.clone();
        let mut f = match self.file.take() {
            Some(f) => f,
            None => open(&path, self.cfg.buffered && self.cfg.keep_alive)?,
        };
        let res = self.write_to(&mut f, alert);
        match res {
            // Kept open only when configured and healthy: after an error the next alert
            // opens the file again.
            Ok(()) => {
                if self.cfg.keep_alive {
                    self.file = Some(f);
                }
                Ok(())
            }
            Err(e) => Err(named(&path, &e)),
        }
    }

    fn flush(&mut self) -> Result<(), OutputError> {
        if let Some(f) = self.file.as_mut() {
            if let Err(e) = f.flush() {
                self.file = None;
                return Err(named(&self.cfg.filename, &e));
            }
        }
        Ok(())
    }

    fn reopen(&mut self) -> Result<(), OutputError> {
        let flushed = self.flush();
        self.file = None;
        if self.cfg.keep_alive {
            self.file = Some(open(&self.cfg.filename, self.cfg.buffered)?);
        }
        flushed
    }
}
