//! Plugin-source events from files, directories and stdin.
//!
//! Each input is read in one of two modes, chosen from its first bytes (after gzip
//! decompression when the input starts with the gzip magic):
//! * **JSON lines**: the first line is a complete JSON value; every line is one value,
//!   read as a stream (bounded memory, a malformed line is skipped with its line number);
//! * **document**: one JSON value spread over many lines (a pretty-printed event, a JSON
//!   array, a k8s `EventList`, a CloudTrail `{"Records": [...]}` file), read whole (up to
//!   [`JsonOptions::max_document_bytes`]).
//!
//! Every value is expanded the same way: an array gives its elements, an object with an
//! `items` array (EventList) or a `Records` array (CloudTrail) gives those, any other object
//! is one event. Directories are read recursively in path order. Stdin is read on its own
//! thread (it can block forever); files are read by the source's thread.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{bounded, Receiver, RecvTimeoutError};

use super::{read_event, EventSource, Malformed, Pull};
use crate::extract::json::{Doc, Elements, V};
use crate::extract::JsonEvent;

/// Where events come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file or a directory (read recursively).
    Path(PathBuf),
    /// Standard input.
    Stdin,
}

/// Limits of the JSON reader.
#[derive(Debug, Clone, Copy)]
pub struct JsonOptions {
    /// Longest accepted line in JSON-lines mode.
    pub max_line_bytes: usize,
    /// Largest accepted document in document mode.
    pub max_document_bytes: usize,
}

impl Default for JsonOptions {
    fn default() -> Self {
        JsonOptions {
            max_line_bytes: 16 << 20,
            max_document_bytes: 512 << 20,
        }
    }
}

/// Why a source could not start.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A path that does not exist or cannot be listed.
    #[error("input {path}: {source}")]
    Path {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// Events of one plugin source from files, directories or stdin.
pub struct JsonSource {
    source: String,
    hostname: String,
    opts: JsonOptions,
    inputs: VecDeque<Input>,
    files: VecDeque<PathBuf>,
    current: Option<Reader>,
    stdin: Option<Receiver<Pull<Doc>>>,
    ready: VecDeque<Pull<JsonEvent>>,
    num: u64,
    description: String,
}

impl JsonSource {
    /// A source of `source` events read from `inputs`, in order. Paths must exist.
    pub fn new(
        source: &str,
        inputs: Vec<Input>,
        hostname: &str,
        opts: JsonOptions,
    ) -> Result<JsonSource, InputError> {
        for i in &inputs {
            if let Input::Path(p) = i {
                std::fs::metadata(p).map_err(|source| InputError::Path {
                    path: p.clone(),
                    source,
                })?;
            }
        }
        let description = inputs
            .iter()
            .map(|i| match i {
                Input::Path(p) => p.display().to_string(),
                Input::Stdin => "stdin".to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        Ok(JsonSource {
            source: source.to_owned(),
            hostname: hostname.to_owned(),
            opts,
            inputs: inputs.into(),
            files: VecDeque::new(),
            current: None,
            stdin: None,
            ready: VecDeque::new(),
            num: 0,
            description,
        })
    }

    /// Turns one parsed value into events (or a malformed report) on the ready queue. A
    /// value that is one event becomes the event with the value's text as its raw text;
    /// the elements of a list become events with a compact copy of their text each.
    fn expand(&mut self, doc: Doc, origin: &dyn Fn(usize) -> String) {
        let root = doc.root();
        if let Some(items) = event_list(root) {
            for (i, item) in items.enumerate() {
                if item.is_object() {
                    let e = self.event(item.to_doc());
                    self.ready.push_back(Pull::Event(e));
                } else {
                    self.ready.push_back(Pull::Malformed(Malformed {
                        origin: origin(i),
                        error: "event is not a JSON object".to_owned(),
                    }));
                }
            }
        } else if root.is_object() {
            let e = self.event(doc);
            self.ready.push_back(Pull::Event(e));
        } else {
            self.ready.push_back(Pull::Malformed(Malformed {
                origin: origin(0),
                error: "event is not a JSON object".to_owned(),
            }));
        }
    }

    fn event(&mut self, doc: Doc) -> JsonEvent {
        self.num += 1;
        let mut e = read_event(&self.source, doc, &self.hostname);
        e.num = self.num;
        e
    }

    /// Opens the next file (expanding directories), or starts stdin; false when done.
    fn advance(&mut self) -> bool {
        loop {
            if let Some(path) = self.files.pop_front() {
                match Reader::open(&path, self.opts) {
                    Ok(r) => {
                        self.current = Some(r);
                        return true;
                    }
                    Err(e) => {
                        self.ready.push_back(Pull::Malformed(Malformed {
                            origin: path.display().to_string(),
                            error: format!("cannot read: {e}"),
                        }));
                        return true;
                    }
                }
            }
            match self.inputs.pop_front() {
                None => return false,
                Some(Input::Stdin) => {
                    self.stdin = Some(spawn_stdin(self.opts));
                    return true;
                }
                Some(Input::Path(p)) => {
                    let mut found = Vec::new();
                    if let Err(e) = walk(&p, &mut found) {
                        self.ready.push_back(Pull::Malformed(Malformed {
                            origin: p.display().to_string(),
                            error: format!("cannot list: {e}"),
                        }));
                    }
                    found.sort();
                    self.files.extend(found);
                }
            }
        }
    }
}

impl EventSource for JsonSource {
    type Ev = JsonEvent;

    fn source(&self) -> &str {
        &self.source
    }

    fn describe(&self) -> String {
        format!("{} events from {}", self.source, self.description)
    }

    fn pull(&mut self) -> Pull<JsonEvent> {
        loop {
            if let Some(p) = self.ready.pop_front() {
                return p;
            }
            if let Some(rx) = &self.stdin {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(Pull::Event(v)) => {
                        let n = self.num + 1;
                        self.expand(v, &|i| format!("stdin: value {n} item {}", i + 1));
                        continue;
                    }
                    Ok(Pull::Malformed(m)) => return Pull::Malformed(m),
                    Ok(Pull::Idle) | Err(RecvTimeoutError::Timeout) => return Pull::Idle,
                    Ok(Pull::End) | Err(RecvTimeoutError::Disconnected) => {
                        self.stdin = None;
                        continue;
                    }
                }
            }
            if let Some(r) = &mut self.current {
                match r.next_value() {
                    Some(Ok((v, line))) => {
                        let name = Arc::clone(&r.name);
                        self.expand(v, &|i| match line {
                            Some(l) => format!("{name}:{l} item {}", i + 1),
                            None => format!("{name} item {}", i + 1),
                        });
                        continue;
                    }
                    Some(Err(m)) => return Pull::Malformed(m),
                    None => self.current = None,
                }
            }
            if !self.advance() {
                return Pull::End;
            }
        }
    }
}

/// The events of a value that lists them: an array, a k8s `EventList` (`items`) or a
/// CloudTrail file (`Records`).
fn event_list(v: V<'_>) -> Option<Elements<'_>> {
    v.as_array().or_else(|| {
        ["items", "Records"]
            .iter()
            .find_map(|k| v.get(k)?.as_array())
    })
}

fn walk(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let md = std::fs::metadata(p)?;
    if md.is_file() {
        out.push(p.to_owned());
        return Ok(());
    }
    if md.is_dir() {
        for e in std::fs::read_dir(p)? {
            let e = e?;
            let name = e.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            walk(&e.path(), out)?;
        }
    }
    Ok(())
}

/// `input.take(limit).read_until(b'\n', buf)`, with the `memchr` crate's vectorized search
/// (the standard library's is a plain word-at-a-time loop).
fn read_until_newline(
    input: &mut dyn BufRead,
    limit: u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<usize> {
    let mut read = 0;
    loop {
        let left = usize::try_from(limit.saturating_sub(read as u64)).unwrap_or(usize::MAX);
        if left == 0 {
            return Ok(read);
        }
        let available = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let available = &available[..available.len().min(left)];
        let (done, used) = match memchr::memchr(b'\n', available) {
            Some(i) => (true, i + 1),
            None => (false, available.len()),
        };
        buf.extend_from_slice(&available[..used]);
        input.consume(used);
        read += used;
        if done || used == 0 {
            return Ok(read);
        }
    }
}

/// Reads stdin on its own thread; values (or malformed reports) arrive on the channel.
fn spawn_stdin(opts: JsonOptions) -> Receiver<Pull<Doc>> {
    let (tx, rx) = bounded(1024);
    let spawned = std::thread::Builder::new()
        .name("stdin-reader".into())
        .spawn(move || {
            let mut r = Reader::new(stdin_input(), "stdin".into(), opts);
            while let Some(v) = r.next_value() {
                let msg = match v {
                    Ok((v, _)) => Pull::Event(v),
                    Err(m) => Pull::Malformed(m),
                };
                if tx.send(msg).is_err() {
                    return;
                }
            }
            let _ = tx.send(Pull::End);
        });
    if spawned.is_err() {
        tracing::error!("cannot start the stdin reader thread");
    }
    rx
}

/// Standard input, decompressed when it starts with the gzip magic (as files are:
/// `--input aws_cloudtrail=- < trail.json.gz`). Blocks until two bytes or the end arrive.
fn stdin_input() -> Box<dyn BufRead + Send> {
    let mut stdin = std::io::stdin();
    let mut head = Vec::with_capacity(2);
    let mut b = [0u8; 2];
    while head.len() < 2 {
        match stdin.read(&mut b[..2 - head.len()]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&b[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // The reader sees the error again and reports it.
            Err(_) => break,
        }
    }
    let gz = head == [0x1f, 0x8b];
    let input = BufReader::with_capacity(256 << 10, std::io::Cursor::new(head).chain(stdin));
    if gz {
        Box::new(BufReader::with_capacity(
            256 << 10,
            flate2::bufread::MultiGzDecoder::new(input),
        ))
    } else {
        Box::new(input)
    }
}

/// A JSON reader over one input.
struct Reader {
    input: Box<dyn BufRead + Send>,
    name: Arc<str>,
    opts: JsonOptions,
    mode: Mode,
    line: u64,
    offset: u64,
    buf: Vec<u8>,
}

enum Mode {
    /// Not decided yet.
    Start,
    /// One value per line.
    Lines,
    /// Done (the document was read, or the input failed).
    Done,
}

impl Reader {
    fn open(path: &Path, opts: JsonOptions) -> std::io::Result<Reader> {
        let f = File::open(path)?;
        let mut br = BufReader::with_capacity(256 << 10, f);
        let gz = br.fill_buf()?.starts_with(&[0x1f, 0x8b]);
        let input: Box<dyn BufRead + Send> = if gz {
            Box::new(BufReader::with_capacity(
                256 << 10,
                flate2::bufread::MultiGzDecoder::new(br),
            ))
        } else {
            Box::new(br)
        };
        Ok(Reader::new(input, path.display().to_string(), opts))
    }

    fn new(input: Box<dyn BufRead + Send>, name: String, opts: JsonOptions) -> Reader {
        Reader {
            input,
            name: name.into(),
            opts,
            mode: Mode::Start,
            line: 0,
            offset: 0,
            buf: Vec::new(),
        }
    }

    fn malformed(&self, error: impl std::fmt::Display) -> Malformed {
        Malformed {
            origin: format!("{}:{} (byte {})", self.name, self.line, self.offset),
            error: error.to_string(),
        }
    }

    /// Reads one line (at most `max_line_bytes`) into `buf`; false at the end of input.
    /// An over-long line is consumed up to its newline and reported.
    fn read_line(&mut self) -> Result<bool, Malformed> {
        self.buf.clear();
        self.line += 1;
        let limit = self.opts.max_line_bytes as u64 + 1;
        // A read error (a truncated gzip stream, an I/O error) ends the input: readers such
        // as the gzip decoder return the same error again on every later read.
        let n = match read_until_newline(&mut *self.input, limit, &mut self.buf) {
            Ok(n) => n,
            Err(e) => {
                self.mode = Mode::Done;
                return Err(self.malformed(format!("read error: {e}")));
            }
        };
        if n == 0 {
            return Ok(false);
        }
        let start = self.offset;
        self.offset += n as u64;
        if self.buf.len() > self.opts.max_line_bytes && self.buf.last() != Some(&b'\n') {
            // Skip the rest of the line.
            let mut skipped = 0u64;
            loop {
                let chunk = match self.input.fill_buf() {
                    Ok(c) => c,
                    Err(e) => {
                        self.mode = Mode::Done;
                        return Err(self.malformed(format!("read error: {e}")));
                    }
                };
                if chunk.is_empty() {
                    break;
                }
                match memchr::memchr(b'\n', chunk) {
                    Some(i) => {
                        self.input.consume(i + 1);
                        skipped += i as u64 + 1;
                        break;
                    }
                    None => {
                        let l = chunk.len();
                        self.input.consume(l);
                        skipped += l as u64;
                    }
                }
            }
            self.offset += skipped;
            self.buf.clear();
            return Err(Malformed {
                origin: format!("{}:{} (byte {start})", self.name, self.line),
                error: format!("line longer than {} bytes", self.opts.max_line_bytes),
            });
        }
        Ok(true)
    }

    /// The next value and its line (`None` for a document), a malformed report, or `None`
    /// at the end.
    fn next_value(&mut self) -> Option<Result<(Doc, Option<u64>), Malformed>> {
        loop {
            match self.mode {
                Mode::Done => return None,
                Mode::Start | Mode::Lines => {}
            }
            let line_start = self.offset;
            match self.read_line() {
                Ok(false) => {
                    self.mode = Mode::Done;
                    return None;
                }
                Ok(true) => {}
                Err(m) => {
                    if !matches!(self.mode, Mode::Done) {
                        self.mode = Mode::Lines;
                    }
                    return Some(Err(m));
                }
            }
            // Validate UTF-8 once for the whole line and keep it as the event's raw text.
            // The next line gets a buffer of about this one's size (no growing).
            let next = Vec::with_capacity(self.buf.len() + 64);
            let mut line = match String::from_utf8(std::mem::replace(&mut self.buf, next)) {
                Ok(l) => l,
                Err(e) => {
                    self.mode = Mode::Lines;
                    let at = line_start + e.utf8_error().valid_up_to() as u64;
                    return Some(Err(Malformed {
                        origin: format!("{}:{} (byte {at})", self.name, self.line),
                        error: format!("invalid UTF-8: {}", e.utf8_error()),
                    }));
                }
            };
            let end = line.trim_end().len();
            line.truncate(end);
            if line.len() != line.trim_start().len() {
                line = line.trim_start().to_owned();
            }
            if line.is_empty() {
                self.buf = line.into_bytes();
                continue;
            }
            // The first line may begin a document over several lines: keep it.
            let first = matches!(self.mode, Mode::Start).then(|| line.clone());
            match Doc::parse(line) {
                Ok(doc) => {
                    self.mode = Mode::Lines;
                    return Some(Ok((doc, Some(self.line))));
                }
                Err(e) if first.is_some() && e.is_eof() => {
                    // A document over several lines: read the rest (after the first line's
                    // newline, so that error lines count from it).
                    self.mode = Mode::Done;
                    self.buf = first.unwrap_or_default().into_bytes();
                    self.buf.push(b'\n');
                    return Some(self.document(line_start));
                }
                Err(e) => {
                    self.mode = Mode::Lines;
                    return Some(Err(Malformed {
                        origin: format!("{}:{} (byte {line_start})", self.name, self.line),
                        error: format!("invalid JSON: {e}"),
                    }));
                }
            }
        }
    }

    /// Reads the rest of the input as one document whose first line is in `buf`.
    fn document(&mut self, start: u64) -> Result<(Doc, Option<u64>), Malformed> {
        let mut doc = std::mem::take(&mut self.buf);
        let limit = self.opts.max_document_bytes as u64 + 1;
        let read = (&mut self.input).take(limit).read_to_end(&mut doc);
        if let Err(e) = read {
            return Err(self.malformed(format!("read error: {e}")));
        }
        if doc.len() > self.opts.max_document_bytes {
            return Err(Malformed {
                origin: format!("{} (byte {start})", self.name),
                error: format!(
                    "JSON document larger than {} bytes",
                    self.opts.max_document_bytes
                ),
            });
        }
        Doc::from_bytes(doc)
            // One event keeps no layout whitespace (listed events are copied compact).
            .map(|d| match event_list(d.root()) {
                Some(_) => d,
                None => d.root().to_doc(),
            })
            .map(|d| (d, None))
            .map_err(|e| Malformed {
                origin: format!(
                    "{}:{}:{}",
                    self.name,
                    self.line - 1 + e.line() as u64,
                    e.column()
                ),
                error: format!("invalid JSON: {e}"),
            })
    }
}
