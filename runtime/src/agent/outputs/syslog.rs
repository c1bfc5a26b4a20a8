//! Falco's `syslog_output`: alerts to the local syslog daemon, as Falco's `::syslog()` call.
//!
//! The frame is what glibc's `syslog(3)` writes without `openlog`: RFC 3164
//! `<PRI>Mmm dd hh:mm:ss falco: LINE`, facility `LOG_USER`, the severity the alert's priority
//! (Falco's priorities are the syslog levels). The socket is a Unix datagram socket
//! (`/dev/log` by default), or a stream socket where the daemon offers one (frames then end
//! with a NUL byte, as glibc's). A failed send reconnects once and resends: the daemon may
//! have been restarted and its socket replaced.
//!
//! The timestamp is UTC (local time needs the time zone database); daemons such as rsyslog
//! and journald stamp local messages with their own reception time anyway.

use std::io::Write;
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rulec_ir::vocab::Priority;

use super::{OutputError, Sink};
use crate::agent::alert::AlertRecord;

/// The socket `syslog(3)` writes to.
pub const DEFAULT_SOCKET: &str = "/dev/log";

/// `LOG_USER`, the facility Falco's alerts are logged with.
const FACILITY_USER: u8 = 1;

/// The ident Falco's messages carry (its program name).
const IDENT: &str = "falco";

enum Conn {
    Datagram(UnixDatagram),
    Stream(UnixStream),
}

/// Sends alerts to the local syslog daemon.
pub struct SyslogSink {
    path: PathBuf,
    conn: Option<Conn>,
    frame: Vec<u8>,
}

impl SyslogSink {
    /// Connects to `socket` (default [`DEFAULT_SOCKET`]); the error names the socket.
    pub fn new(socket: Option<&Path>) -> Result<SyslogSink, OutputError> {
        let path = socket.map_or_else(|| PathBuf::from(DEFAULT_SOCKET), Path::to_path_buf);
        let conn = connect(&path)?;
        Ok(SyslogSink {
            path,
            conn: Some(conn),
            frame: Vec::new(),
        })
    }

    /// The socket path.
    pub fn socket(&self) -> &Path {
        &self.path
    }

    fn send(&mut self) -> std::io::Result<()> {
        if self.conn.is_none() {
            self.conn = Some(connect(&self.path).map_err(into_io)?);
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(std::io::Error::from(std::io::ErrorKind::NotConnected));
        };
        match conn {
            Conn::Datagram(s) => s.send(&self.frame).map(|_| ()),
            Conn::Stream(s) => {
                s.write_all(&self.frame)?;
                s.write_all(&[0])
            }
        }
    }
}

fn into_io(e: OutputError) -> std::io::Error {
    match e {
        OutputError::Io(e) => e,
        OutputError::Other(m) => std::io::Error::other(m),
    }
}

/// A datagram connection, or a stream one where the socket is not a datagram socket.
fn connect(path: &Path) -> Result<Conn, OutputError> {
    let dgram = UnixDatagram::unbound().and_then(|s| s.connect(path).map(|()| s));
    let err = match dgram {
        Ok(s) => return Ok(Conn::Datagram(s)),
        Err(e) => e,
    };
    if let Ok(s) = UnixStream::connect(path) {
        return Ok(Conn::Stream(s));
    }
    Err(OutputError::Io(std::io::Error::new(
        err.kind(),
        format!("syslog socket `{}`: {err}", path.display()),
    )))
}

/// The syslog severity of a Falco priority (they are the same numbers).
pub fn severity(p: Priority) -> u8 {
    match p {
        Priority::Emergency => 0,
        Priority::Alert => 1,
        Priority::Critical => 2,
        Priority::Error => 3,
        Priority::Warning => 4,
        Priority::Notice => 5,
        Priority::Informational => 6,
        Priority::Debug => 7,
    }
}

/// Writes the RFC 3164 frame of `line` at `severity`, stamped `secs` (UTC seconds).
fn frame(out: &mut Vec<u8>, severity: u8, secs: u64, line: &str) {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (month, day) = month_day(secs / 86_400);
    let t = secs % 86_400;
    let pri = u16::from(FACILITY_USER) * 8 + u16::from(severity);
    let mon = MONTHS
        .get(month.saturating_sub(1) as usize)
        .unwrap_or(&"Jan");
    out.clear();
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "<{pri}>{mon} {day:>2} {:02}:{:02}:{:02} {IDENT}: {line}",
        t / 3600,
        t % 3600 / 60,
        t % 60
    );
}

/// Month (1-12) and day of the month of a day count since 1970-01-01 (Hinnant's
/// `civil_from_days`).
fn month_day(days: u64) -> (u32, u32) {
    let z = days + 719_468;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

impl Sink for SyslogSink {
    fn write(&mut self, alert: &AlertRecord) -> Result<(), OutputError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut buf = std::mem::take(&mut self.frame);
        frame(&mut buf, severity(alert.priority), now, &alert.line);
        self.frame = buf;
        if let Err(first) = self.send() {
            // The daemon may have restarted: a new connection, one more try.
            tracing::debug!(socket = %self.path.display(), error = %first, "syslog send failed: reconnecting");
            self.conn = None;
            if let Err(e) = self.send() {
                self.conn = None;
                return Err(OutputError::Io(std::io::Error::new(
                    e.kind(),
                    format!("syslog socket `{}`: {e}", self.path.display()),
                )));
            }
        }
        Ok(())
    }

    fn reopen(&mut self) -> Result<(), OutputError> {
        self.conn = Some(connect(&self.path)?);
        Ok(())
    }
}
