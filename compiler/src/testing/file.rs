//! The test-file model and its loader (spanned YAML: errors carry `file:line:col`).

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value as J;

use crate::span::{FileId, SourceFile, Span};
use crate::yaml::{self, Node, NodeKind, ScalarStyle};
use rulec_runtime::event::{FieldMapEvent, FixtureValue};
use rulec_runtime::extract::JsonEvent;

/// A test-file error with its position (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFileError {
    /// File name as given.
    pub file: String,
    /// 1-based line (0 when the file could not be read).
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TestFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: error: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: error: {}",
                self.file, self.line, self.col, self.message
            )
        }
    }
}

impl std::error::Error for TestFileError {}

/// One event of a test, ready to evaluate.
#[derive(Debug, Clone)]
pub enum EventSpec {
    /// A field map (`event:`).
    Fields(FieldMapEvent),
    /// A raw JSON plugin event (`json:` or a line of `jsonl:`).
    Json(JsonEvent),
}

impl EventSpec {
    /// The event as an [`rulec_runtime::event::Event`].
    pub fn as_event(&self) -> &dyn rulec_runtime::event::Event {
        match self {
            EventSpec::Fields(e) => e,
            EventSpec::Json(e) => e,
        }
    }
}

/// A rules-file reference of a test file (`rules:`), with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesRef {
    /// The path as written.
    pub path: String,
    /// 1-based line of the entry.
    pub line: u32,
}

/// One test.
#[derive(Debug, Clone)]
pub struct TestCase {
    /// Test name (unique in its file).
    pub name: String,
    /// 1-based line of the test in its file.
    pub line: u32,
    /// Event source of the test's events.
    pub source: String,
    /// The events (at least one).
    pub events: Vec<EventSpec>,
    /// Rules that must fire (on at least one event).
    pub fires: Vec<String>,
    /// Rules that must not fire (on any event).
    pub not_fires: Vec<String>,
    /// The set of fired rules must equal `fires` (set by `only: true` or `fires: []`).
    pub only: bool,
    /// Expected output field values: rule → [(field, value)]. The rule must fire and one of
    /// its alerts must have every listed value.
    pub output_fields: Vec<(String, Vec<(String, String)>)>,
}

impl TestCase {
    /// Every rule the test names (`fires`, `not_fires`, `output_fields`), each once, in that
    /// order.
    pub fn named_rules(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let names = self
            .fires
            .iter()
            .chain(&self.not_fires)
            .chain(self.output_fields.iter().map(|(r, _)| r));
        for n in names {
            if !out.contains(&n.as_str()) {
                out.push(n);
            }
        }
        out
    }
}

/// A `rules:` entry of a test file that names no existing file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedRules {
    /// The entry.
    pub entry: RulesRef,
    /// Every path tried, in order.
    pub looked: Vec<PathBuf>,
}

/// Removes `.` and `a/..` components without touching the file system.
pub fn normalize_path(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

impl TestFile {
    /// The rules files of `rules:`, in order: each entry relative to the test file's directory,
    /// else in the first directory of `search` that has it (absolute entries as they are).
    ///
    /// # Errors
    /// The first entry found nowhere.
    pub fn resolve_rules(&self, search: &[PathBuf]) -> Result<Vec<PathBuf>, UnresolvedRules> {
        let mut out = Vec::new();
        for r in &self.rules {
            let p = Path::new(&r.path);
            let candidates: Vec<PathBuf> = if p.is_absolute() {
                vec![p.to_path_buf()]
            } else {
                std::iter::once(self.dir.join(p))
                    .chain(search.iter().map(|d| d.join(p)))
                    .collect()
            };
            match candidates.iter().find(|c| c.is_file()) {
                Some(c) => out.push(normalize_path(c)),
                None => {
                    return Err(UnresolvedRules {
                        entry: r.clone(),
                        looked: candidates.iter().map(|c| normalize_path(c)).collect(),
                    })
                }
            }
        }
        Ok(out)
    }
}

/// A parsed test file.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// File name as given.
    pub name: String,
    /// Directory relative paths are resolved against.
    pub dir: PathBuf,
    /// Rules files to load (`rules:`), in order.
    pub rules: Vec<RulesRef>,
    /// Tests in file order.
    pub tests: Vec<TestCase>,
}

/// Reads and parses a test file.
///
/// # Errors
/// A positioned error for unreadable files, YAML syntax errors and schema errors.
pub fn load_test_file(path: &Path) -> Result<TestFile, TestFileError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| TestFileError {
        file: name.clone(),
        line: 0,
        col: 0,
        message: format!("cannot read test file: {e}"),
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse_test_file(&name, &text, &dir)
}

const FILE_KEYS: &[&str] = &["rules", "source", "tests"];
const TEST_KEYS: &[&str] = &[
    "name",
    "desc",
    "source",
    "event",
    "json",
    "jsonl",
    "fires",
    "not_fires",
    "only",
    "output_fields",
];

struct Loader<'a> {
    src: SourceFile,
    dir: &'a Path,
}

impl Loader<'_> {
    fn err(&self, span: Span, message: impl Into<String>) -> TestFileError {
        let lc = self.src.line_char_col(span.start);
        TestFileError {
            file: self.src.name.clone(),
            line: lc.line + 1,
            col: lc.col + 1,
            message: message.into(),
        }
    }

    fn line(&self, span: Span) -> u32 {
        self.src.line_col(span.start).line + 1
    }

    fn str<'n>(&self, n: &'n Node, what: &str) -> Result<&'n str, TestFileError> {
        match n.as_scalar() {
            Some(s) if !s.is_null() => Ok(&s.value),
            _ => Err(self.err(
                n.span,
                format!("{what} must be a string, found a {}", n.kind_name()),
            )),
        }
    }

    /// A string or a sequence of strings.
    fn strings(&self, n: &Node, what: &str) -> Result<Vec<(String, Span)>, TestFileError> {
        if n.is_null() {
            return Ok(Vec::new());
        }
        match &n.kind {
            NodeKind::Scalar(s) => Ok(vec![(s.value.clone(), n.span)]),
            NodeKind::Seq(items) => items
                .iter()
                .map(|i| Ok((self.str(i, what)?.to_owned(), i.span)))
                .collect(),
            NodeKind::Map(_) => Err(self.err(
                n.span,
                format!("{what} must be a rule name or a list of rule names, found a mapping"),
            )),
        }
    }

    fn map<'n>(&self, n: &'n Node, what: &str) -> Result<&'n [(Node, Node)], TestFileError> {
        n.as_map().ok_or_else(|| {
            self.err(
                n.span,
                format!("{what} must be a mapping, found a {}", n.kind_name()),
            )
        })
    }

    fn check_keys(
        &self,
        m: &[(Node, Node)],
        allowed: &[&str],
        what: &str,
    ) -> Result<(), TestFileError> {
        let mut seen: Vec<&str> = Vec::new();
        for (k, _) in m {
            let key = self.str(k, "a key")?;
            if !allowed.contains(&key) {
                let hint = crate::diag::suggest(key, allowed.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                return Err(self.err(
                    k.span,
                    format!(
                        "unknown key `{key}` in {what}{hint}; expected one of: {}",
                        allowed.join(", ")
                    ),
                ));
            }
            if seen.contains(&key) {
                return Err(self.err(k.span, format!("duplicate key `{key}` in {what}")));
            }
            seen.push(key);
        }
        Ok(())
    }

    fn file(&self, root: &Node) -> Result<TestFile, TestFileError> {
        let m = self.map(root, "a test file")?;
        self.check_keys(m, FILE_KEYS, "the test file")?;
        let mut rules = Vec::new();
        if let Some(r) = root.get("rules") {
            for (p, span) in self.strings(r, "a `rules` entry")? {
                rules.push(RulesRef {
                    path: p,
                    line: self.line(span),
                });
            }
        }
        let default_source = match root.get("source") {
            Some(s) => self.str(s, "`source`")?.to_owned(),
            None => "syscall".to_owned(),
        };
        let tests_node = root
            .get("tests")
            .ok_or_else(|| self.err(root.span, "a test file needs a `tests` list"))?;
        let items = tests_node.as_seq().ok_or_else(|| {
            self.err(
                tests_node.span,
                format!(
                    "`tests` must be a sequence, found a {}",
                    tests_node.kind_name()
                ),
            )
        })?;
        let mut tests: Vec<TestCase> = Vec::new();
        for item in items {
            let t = self.test(item, &default_source)?;
            if tests.iter().any(|o| o.name == t.name) {
                return Err(self.err(
                    item.get("name").map_or(item.span, |n| n.span),
                    format!("duplicate test name `{}`", t.name),
                ));
            }
            tests.push(t);
        }
        Ok(TestFile {
            name: self.src.name.clone(),
            dir: self.dir.to_path_buf(),
            rules,
            tests,
        })
    }

    fn test(&self, item: &Node, default_source: &str) -> Result<TestCase, TestFileError> {
        let m = self.map(item, "a test")?;
        self.check_keys(m, TEST_KEYS, "a test")?;
        let name = match item.get("name") {
            Some(n) => self.str(n, "`name`")?.to_owned(),
            None => return Err(self.err(item.span, "a test needs a `name`")),
        };
        let source = match item.get("source") {
            Some(s) => self.str(s, "`source`")?.to_owned(),
            None => default_source.to_owned(),
        };
        let inputs: Vec<&str> = ["event", "json", "jsonl"]
            .into_iter()
            .filter(|k| item.get(k).is_some())
            .collect();
        let events = match inputs.as_slice() {
            ["event"] => self.field_events(item.get("event").expect("present"), &source)?,
            ["json"] => self.json_events(item.get("json").expect("present"), &source)?,
            ["jsonl"] => self.jsonl_events(item.get("jsonl").expect("present"), &source)?,
            [] => {
                return Err(self.err(
                    item.span,
                    format!("test `{name}` needs one of `event`, `json` or `jsonl`"),
                ))
            }
            _ => {
                return Err(self.err(
                    item.span,
                    format!(
                        "test `{name}` has {}: give exactly one of `event`, `json` or `jsonl`",
                        inputs.join(" and ")
                    ),
                ))
            }
        };
        let fires_node = item.get("fires");
        let fires: Vec<String> = match fires_node {
            Some(n) => self
                .strings(n, "a `fires` entry")?
                .into_iter()
                .map(|x| x.0)
                .collect(),
            None => Vec::new(),
        };
        let not_fires: Vec<String> = match item.get("not_fires") {
            Some(n) => self
                .strings(n, "a `not_fires` entry")?
                .into_iter()
                .map(|x| x.0)
                .collect(),
            None => Vec::new(),
        };
        let explicit_empty = fires_node.is_some_and(|n| n.as_seq().is_some_and(<[Node]>::is_empty));
        let only = match item.get("only") {
            Some(n) => match self.str(n, "`only`")? {
                "true" => true,
                "false" => false,
                other => {
                    return Err(self.err(
                        n.span,
                        format!("`only` must be true or false, not `{other}`"),
                    ))
                }
            },
            None => explicit_empty,
        };
        if let Some(r) = fires.iter().find(|r| not_fires.contains(r)) {
            return Err(self.err(
                item.span,
                format!("rule `{r}` is in both `fires` and `not_fires`"),
            ));
        }
        let mut output_fields = Vec::new();
        if let Some(of) = item.get("output_fields") {
            for (rk, rv) in self.map(of, "`output_fields`")? {
                let rule = self.str(rk, "a rule name")?.to_owned();
                let mut fields = Vec::new();
                for (fk, fv) in self.map(rv, "the expected output fields of a rule")? {
                    let field = self.str(fk, "an output field name")?.to_owned();
                    let value = match fv.as_scalar() {
                        Some(s) if s.is_null() => "<NA>".to_owned(),
                        Some(s) => s.value.clone(),
                        None => {
                            return Err(self
                                .err(fv.span, "an expected output field value must be a scalar"))
                        }
                    };
                    fields.push((field, value));
                }
                if not_fires.contains(&rule) {
                    return Err(self.err(
                        rk.span,
                        format!("`output_fields` of rule `{rule}`, which is in `not_fires`"),
                    ));
                }
                output_fields.push((rule, fields));
            }
        }
        Ok(TestCase {
            name,
            line: self.line(item.span),
            source,
            events,
            fires,
            not_fires,
            only,
            output_fields,
        })
    }

    fn field_events(&self, n: &Node, source: &str) -> Result<Vec<EventSpec>, TestFileError> {
        let maps: Vec<&Node> = match &n.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            _ => vec![n],
        };
        let mut out = Vec::new();
        for m in maps {
            let mut ev = FieldMapEvent {
                source: source.to_owned(),
                ..FieldMapEvent::default()
            };
            for (k, v) in self.map(m, "an `event` field map")? {
                let field = self.str(k, "a field name")?.to_owned();
                let value = match &v.kind {
                    NodeKind::Seq(items) => FixtureValue::Many(
                        items
                            .iter()
                            .map(|i| self.str(i, "a field value").map(str::to_owned))
                            .collect::<Result<_, _>>()?,
                    ),
                    NodeKind::Scalar(s) => FixtureValue::One(s.value.clone()),
                    NodeKind::Map(_) => {
                        return Err(self.err(v.span, "a field value must be a scalar or a list"))
                    }
                };
                if field == "evt.time" || field == "evt.rawtime" {
                    if let FixtureValue::One(t) = &value {
                        ev.time_ns = t
                            .parse::<u64>()
                            .ok()
                            .or_else(|| rulec_runtime::output::parse_rfc3339(t))
                            .unwrap_or(0);
                    }
                }
                ev.fields.insert(field, value);
            }
            out.push(EventSpec::Fields(ev));
        }
        if out.is_empty() {
            return Err(self.err(n.span, "`event` lists no events"));
        }
        Ok(out)
    }

    fn json_events(&self, n: &Node, source: &str) -> Result<Vec<EventSpec>, TestFileError> {
        let value = match &n.kind {
            // A block scalar holding JSON text (pasted from a real log).
            NodeKind::Scalar(s)
                if s.style != ScalarStyle::Plain
                    || s.value.trim_start().starts_with(['{', '[']) =>
            {
                serde_json::from_str::<J>(&s.value)
                    .map_err(|e| self.err(n.span, format!("invalid JSON event: {e}")))?
            }
            _ => to_json(n),
        };
        let items = match value {
            J::Array(a) => a,
            J::Object(ref o) if o.get("Records").is_some_and(J::is_array) => {
                o["Records"].as_array().cloned().unwrap_or_default()
            }
            J::Object(ref o)
                if o.get("items").is_some_and(J::is_array)
                    && o.get("kind").and_then(J::as_str) == Some("EventList") =>
            {
                o["items"].as_array().cloned().unwrap_or_default()
            }
            J::Object(_) => vec![value],
            _ => return Err(self.err(n.span, "`json` must be a JSON object or a list of objects")),
        };
        if items.is_empty() {
            return Err(self.err(n.span, "`json` lists no events"));
        }
        Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, j)| {
                let raw = j.to_string();
                let mut e = JsonEvent::from_value(source, j, raw);
                e.num = i as u64 + 1;
                EventSpec::Json(e)
            })
            .collect())
    }

    fn jsonl_events(&self, n: &Node, source: &str) -> Result<Vec<EventSpec>, TestFileError> {
        let rel = self.str(n, "`jsonl`")?;
        let path = self.dir.join(rel);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            self.err(
                n.span,
                format!("cannot read events file {}: {e}", path.display()),
            )
        })?;
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let mut e = JsonEvent::parse(source, l).map_err(|err| {
                self.err(
                    n.span,
                    format!("{}:{}: invalid JSON event: {err}", path.display(), i + 1),
                )
            })?;
            e.num = out.len() as u64 + 1;
            out.push(EventSpec::Json(e));
        }
        if out.is_empty() {
            return Err(self.err(n.span, format!("{} holds no events", path.display())));
        }
        Ok(out)
    }
}

/// Converts a YAML node to JSON: plain scalars that look like JSON literals (`true`, `false`,
/// `null`, `~`, numbers) are typed, everything else is a string.
pub fn to_json(n: &Node) -> J {
    match &n.kind {
        NodeKind::Scalar(s) => {
            if s.style != ScalarStyle::Plain {
                return J::String(s.value.clone());
            }
            if s.is_null() {
                return J::Null;
            }
            match s.value.as_str() {
                "true" => J::Bool(true),
                "false" => J::Bool(false),
                v => {
                    if let Ok(i) = v.parse::<i64>() {
                        J::from(i)
                    } else if let Some(f) = v.parse::<f64>().ok().filter(|f| {
                        f.is_finite()
                            && v.bytes()
                                .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
                    }) {
                        J::from(f)
                    } else {
                        J::String(v.to_owned())
                    }
                }
            }
        }
        NodeKind::Seq(items) => J::Array(items.iter().map(to_json).collect()),
        NodeKind::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), to_json(v)))
                .collect(),
        ),
    }
}

/// Parses a test file's text (`dir`: where `jsonl` paths are resolved).
///
/// # Errors
/// A positioned error for YAML syntax errors and schema errors.
pub fn parse_test_file(name: &str, text: &str, dir: &Path) -> Result<TestFile, TestFileError> {
    let loader = Loader {
        src: SourceFile::new(name, text),
        dir,
    };
    let docs = yaml::parse_stream(FileId(0), text)
        .map_err(|e| loader.err(e.span, format!("invalid YAML: {}", e.message)))?;
    let mut roots = docs.iter().filter_map(|d| d.root.as_ref());
    let root = roots
        .next()
        .ok_or_else(|| loader.err(Span::point(FileId(0), 0), "empty test file"))?;
    if let Some(extra) = roots.next() {
        return Err(loader.err(extra.span, "a test file holds one YAML document"));
    }
    loader.file(root)
}

/// True when `text` looks like a test file (a YAML mapping with a `tests` key) rather than a
/// rules file (a sequence of items).
pub fn looks_like_test_file(text: &str) -> bool {
    yaml::parse_stream(FileId(0), text).is_ok_and(|docs| {
        docs.first()
            .and_then(|d| d.root.as_ref())
            .is_some_and(|r| r.as_map().is_some() && r.get("tests").is_some())
    })
}
