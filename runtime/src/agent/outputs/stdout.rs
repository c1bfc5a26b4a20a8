//! Falco's `stdout_output`: one alert line per line on standard output.
//!
//! With `buffered_outputs: false` (Falco's default) every alert is flushed as it is written;
//! with `true` alerts collect in a buffer that the dispatcher flushes when the queue is idle.

use std::io::{BufWriter, Write};

use super::{OutputError, Sink};
use crate::agent::alert::AlertRecord;

/// Buffer size of a buffered standard output.
const BUFFER: usize = 64 * 1024;

/// Writes alerts to standard output (or to any writer, see [`StdoutSink::with_writer`]).
pub struct StdoutSink {
    out: BufWriter<Box<dyn Write + Send>>,
    buffered: bool,
}

impl StdoutSink {
    /// Standard output; `buffered` as Falco's `buffered_outputs`.
    pub fn new(buffered: bool) -> StdoutSink {
        StdoutSink::with_writer(Box::new(std::io::stdout()), buffered)
    }

    /// The same sink on another writer (tests, embedding).
    pub fn with_writer(writer: Box<dyn Write + Send>, buffered: bool) -> StdoutSink {
        StdoutSink {
            out: BufWriter::with_capacity(BUFFER, writer),
            buffered,
        }
    }
}

impl Sink for StdoutSink {
    fn write(&mut self, alert: &AlertRecord) -> Result<(), OutputError> {
        self.out.write_all(alert.line.as_bytes())?;
        self.out.write_all(b"\n")?;
        if !self.buffered {
            self.out.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), OutputError> {
        self.out.flush()?;
        Ok(())
    }
}
