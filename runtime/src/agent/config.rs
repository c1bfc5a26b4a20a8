//! The agent's configuration: Falco's own `falco.yaml` for the keys that apply, plus our
//! `rulec:` section, plus `-o key=value` overrides in Falco's syntax.
//!
//! Every top-level key of Falco 0.44's stock `falco.yaml` is classified in [`KEYS`]:
//! supported (read and honoured), ignored (one warning each when present, saying why) or
//! ours. Unknown keys also get one warning. A value of the wrong type is an error naming the
//! key (`http_output.enabled: expected a boolean, found "maybe"`). The reference table is
//! docs/agent-config.md.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use rulec_ir::vocab::Priority;

use super::outputs::file::FileOutputConfig;
use super::outputs::http::HttpOutputConfig;
use super::outputs::program::ProgramOutputConfig;
use super::source::json::Input;
use super::source::webhook::WebhookConfig;
use super::web::Tls;
use crate::engine::Backend;

/// How a top-level key is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// Read and honoured.
    Supported,
    /// Accepted and ignored, with one warning (the reason).
    Ignored(&'static str),
    /// Our own key.
    Ours,
}

/// Every top-level key the agent knows, with how it is handled.
pub const KEYS: &[(&str, KeyStatus)] = &[
    ("config_files", KeyStatus::Supported),
    ("watch_config_files", KeyStatus::Ignored("configuration files are read at start only; the bundle is watched and reloaded")),
    ("rules_files", KeyStatus::Ignored("the agent loads compiled bundles only: compile rules files with `falco-rulec compile` and set rulec.bundle")),
    ("rules_file", KeyStatus::Ignored("the agent loads compiled bundles only: compile rules files with `falco-rulec compile` and set rulec.bundle")),
    ("engine", KeyStatus::Ignored("syscall capture drivers are not part of this agent yet")),
    ("capture", KeyStatus::Ignored("event capture to files is not supported yet")),
    ("load_plugins", KeyStatus::Supported),
    ("plugins", KeyStatus::Supported),
    ("plugins_hostinfo", KeyStatus::Ignored("host info fields are syscall-source fields")),
    ("time_format_iso_8601", KeyStatus::Supported),
    ("buffer_format_base64", KeyStatus::Ignored("buffers are syscall-source fields")),
    ("priority", KeyStatus::Supported),
    ("json_output", KeyStatus::Supported),
    ("json_include_output_property", KeyStatus::Supported),
    ("json_include_message_property", KeyStatus::Supported),
    ("json_include_output_fields_property", KeyStatus::Supported),
    ("json_include_tags_property", KeyStatus::Supported),
    ("buffered_outputs", KeyStatus::Supported),
    ("rule_matching", KeyStatus::Supported),
    ("outputs_queue", KeyStatus::Supported),
    ("append_output", KeyStatus::Supported),
    ("stdout_output", KeyStatus::Supported),
    ("syslog_output", KeyStatus::Supported),
    ("file_output", KeyStatus::Supported),
    ("http_output", KeyStatus::Supported),
    ("program_output", KeyStatus::Supported),
    ("grpc_output", KeyStatus::Ignored("the gRPC output was removed from Falco in 0.43")),
    ("grpc", KeyStatus::Ignored("the gRPC server was removed from Falco in 0.43")),
    ("webserver", KeyStatus::Supported),
    ("log_stderr", KeyStatus::Supported),
    ("log_syslog", KeyStatus::Ignored("agent logs go to stderr (structured, see log_level)")),
    ("log_level", KeyStatus::Supported),
    ("libs_logger", KeyStatus::Ignored("there is no libs logger in this agent")),
    ("output_timeout", KeyStatus::Supported),
    ("syscall_event_timeouts", KeyStatus::Ignored("syscall capture is not part of this agent yet")),
    ("syscall_event_drops", KeyStatus::Ignored("syscall capture is not part of this agent yet")),
    ("metrics", KeyStatus::Supported),
    ("base_syscalls", KeyStatus::Ignored("the syscall set comes from the bundle's prefilter")),
    ("falco_libs", KeyStatus::Ignored("thread tables are syscall-source state")),
    ("container_engines", KeyStatus::Ignored("container metadata is syscall-source state")),
    ("rulec", KeyStatus::Ours),
];

/// `rule_matching`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleMatching {
    /// Only the first matching rule (in rule order) alerts (Falco's default).
    First,
    /// Every matching rule alerts.
    All,
}

/// `append_output` entries: `match`, `extra_output` (text and `%field` tokens) and
/// `extra_fields`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppendOutput {
    /// `match.source`.
    pub source: Option<String>,
    /// `match.tags`: the rule must have all of them.
    pub tags: Vec<String>,
    /// `match.rule`.
    pub rule: Option<String>,
    /// `extra_output`: appended to the output with one space.
    pub extra_output: Option<String>,
    /// `extra_fields`: `(name, format)`; a bare field name `f` is `(f, "%f")`.
    pub extra_fields: Vec<(String, String)>,
}

/// The per-rule alert rate limit (ours): a token bucket per rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Alerts per second, sustained.
    pub rate: f64,
    /// Burst size.
    pub max_burst: f64,
}

/// A configured event source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceConfig {
    /// Events from files, directories or stdin.
    Files {
        /// Event source (`k8s_audit`, `aws_cloudtrail`, `github`, `okta`, `json`).
        source: String,
        /// Inputs in order.
        inputs: Vec<Input>,
    },
    /// The k8s audit webhook.
    Webhook {
        /// Event source (`k8s_audit`).
        source: String,
        /// Settings.
        cfg: WebhookConfig,
    },
}

/// The webserver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebserverConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Health endpoint path.
    pub healthz: String,
    /// Serve `/metrics`.
    pub prometheus_metrics: bool,
    /// TLS.
    pub tls: Option<Tls>,
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Rules less severe than this do not alert.
    pub priority: Priority,
    /// Alerts as JSON objects.
    pub json_output: bool,
    /// JSON: include `output`.
    pub json_include_output_property: bool,
    /// JSON: include `message` (the output without time and priority).
    pub json_include_message_property: bool,
    /// JSON: include `output_fields`.
    pub json_include_output_fields_property: bool,
    /// JSON: include `tags`.
    pub json_include_tags_property: bool,
    /// ISO 8601 times in the text line.
    pub time_format_iso_8601: bool,
    /// Buffer outputs (flushed when idle) instead of flushing every alert.
    pub buffered_outputs: bool,
    /// Queue capacity per output.
    pub outputs_queue_capacity: usize,
    /// `first` or `all`.
    pub rule_matching: RuleMatching,
    /// `append_output`.
    pub append_output: Vec<AppendOutput>,
    /// stdout output.
    pub stdout_output: bool,
    /// syslog output.
    pub syslog_output: bool,
    /// The syslog socket (ours; default `/dev/log`).
    pub syslog_socket: Option<PathBuf>,
    /// File output.
    pub file_output: Option<FileOutputConfig>,
    /// Program output.
    pub program_output: Option<ProgramOutputConfig>,
    /// HTTP output.
    pub http_output: Option<HttpOutputConfig>,
    /// Webserver.
    pub webserver: Option<WebserverConfig>,
    /// `metrics.enabled`.
    pub metrics_enabled: bool,
    /// Log level filter.
    pub log_level: String,
    /// Log to stderr.
    pub log_stderr: bool,
    /// Sources.
    pub sources: Vec<SourceConfig>,
    /// The bundle (ours).
    pub bundle: Option<PathBuf>,
    /// Public keys a bundle must be signed by (ours).
    pub trusted_keys: Vec<PathBuf>,
    /// Evaluation backend (ours; `None`: auto).
    pub engine: Option<Backend>,
    /// Per-rule rate limit (ours).
    pub rate_limit: Option<RateLimit>,
    /// Sample one event in N for the per-rule cost metric, 0 = off (ours).
    pub rule_cost_sample: u64,
    /// Reload when the bundle file changes (ours; SIGHUP always reloads).
    pub watch_bundle: bool,
    /// How long queued alerts may take to drain at shutdown (ours).
    pub shutdown_timeout: Duration,
    /// Host name in alerts (`FALCO_HOSTNAME` or the system's).
    pub hostname: String,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            priority: Priority::Debug,
            json_output: false,
            json_include_output_property: true,
            json_include_message_property: false,
            json_include_output_fields_property: true,
            json_include_tags_property: true,
            time_format_iso_8601: false,
            buffered_outputs: false,
            outputs_queue_capacity: DEFAULT_QUEUE,
            rule_matching: RuleMatching::First,
            append_output: Vec::new(),
            stdout_output: true,
            syslog_output: false,
            syslog_socket: None,
            file_output: None,
            program_output: None,
            http_output: None,
            webserver: None,
            metrics_enabled: false,
            log_level: "info".to_owned(),
            log_stderr: true,
            sources: Vec::new(),
            bundle: None,
            trusted_keys: Vec::new(),
            engine: None,
            rate_limit: None,
            rule_cost_sample: 1024,
            watch_bundle: true,
            shutdown_timeout: Duration::from_secs(5),
            hostname: default_hostname(),
        }
    }
}

/// Queue capacity when `outputs_queue.capacity` is 0 (Falco: unbounded; we always bound).
pub const DEFAULT_QUEUE: usize = 100_000;

/// The host name Falco puts in alerts: `FALCO_HOSTNAME`, else the system's.
pub fn default_hostname() -> String {
    std::env::var("FALCO_HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned())
}

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A file is not valid YAML.
    #[error("{path}:{line}:{col}: invalid YAML: {msg}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        col: usize,
        /// The parser's message.
        msg: String,
    },
    /// A key has a value of the wrong type or an invalid value.
    #[error("configuration key `{key}`: {msg}")]
    Key {
        /// The dotted key.
        key: String,
        /// What is wrong.
        msg: String,
    },
    /// A `-o key=value` override is malformed.
    #[error("invalid option override `{text}`: {msg}")]
    Override {
        /// The override as given.
        text: String,
        /// What is wrong.
        msg: String,
    },
}

fn key_err(key: &str, msg: impl Into<String>) -> ConfigError {
    ConfigError::Key {
        key: key.to_owned(),
        msg: msg.into(),
    }
}

/// Converts a YAML document to a JSON-like tree (mappings keep string keys).
fn to_value(y: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(r) => r
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(r.clone()), Value::Number),
        Yaml::Integer(i) => Value::Number((*i).into()),
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Boolean(b) => Value::Bool(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(to_value).collect()),
        Yaml::Hash(h) => {
            let mut m = Map::new();
            for (k, v) in h {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    Yaml::Real(r) => r.clone(),
                    _ => continue,
                };
                m.insert(key, to_value(v));
            }
            Value::Object(m)
        }
        Yaml::Alias(_) | Yaml::Null | Yaml::BadValue => Value::Null,
    }
}

/// Parses YAML text (one document; empty = empty mapping).
pub fn parse_yaml(path: &Path, text: &str) -> Result<Value, ConfigError> {
    let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| ConfigError::Yaml {
        path: path.to_owned(),
        line: e.marker().line(),
        col: e.marker().col() + 1,
        msg: e.info().to_owned(),
    })?;
    match docs.first().map(to_value) {
        None | Some(Value::Null) => Ok(Value::Object(Map::new())),
        Some(v @ Value::Object(_)) => Ok(v),
        Some(_) => Err(ConfigError::Yaml {
            path: path.to_owned(),
            line: 1,
            col: 1,
            msg: "the configuration must be a mapping".to_owned(),
        }),
    }
}

/// Applies one `-o key=value` override (Falco's syntax: dotted keys, `[N]` list indices,
/// `[]` appends; a value in braces is a YAML object, any other value a string).
pub fn apply_override(root: &mut Value, text: &str) -> Result<(), ConfigError> {
    let bad = |msg: &str| ConfigError::Override {
        text: text.to_owned(),
        msg: msg.to_owned(),
    };
    let (key, val) = text
        .split_once('=')
        .ok_or_else(|| bad("expected key=value"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(bad("empty key"));
    }
    // As Falco: `{...}` is a YAML object, anything else a string scalar converted when the
    // key is read (`true`, `5` and `.5` work for boolean and number keys).
    let t = val.trim();
    let value = if t.starts_with('{') && t.ends_with('}') {
        match yaml_rust2::YamlLoader::load_from_str(t) {
            Ok(docs) => docs.first().map_or(Value::Null, to_value),
            Err(e) => return Err(bad(&format!("invalid YAML object: {}", e.info()))),
        }
    } else {
        Value::String(val.to_owned())
    };
    // Split "a.b[1].c[]" into steps.
    enum Step {
        Key(String),
        Index(usize),
        Append,
    }
    let mut steps = Vec::new();
    for part in key.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() {
            return Err(bad("empty key segment"));
        }
        steps.push(Step::Key(name.to_owned()));
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or_else(|| bad("missing ']'"))?;
            let idx = &r[..end];
            if idx.is_empty() {
                steps.push(Step::Append);
            } else {
                let i = idx
                    .parse::<usize>()
                    .map_err(|_| bad("list index must be a number"))?;
                steps.push(Step::Index(i));
            }
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return Err(bad("unexpected text after ']'"));
        }
    }
    let mut cur = root;
    for step in steps {
        cur = match step {
            Step::Key(k) => {
                if !cur.is_object() {
                    *cur = Value::Object(Map::new());
                }
                let Value::Object(m) = cur else {
                    return Err(bad("not a mapping"));
                };
                m.entry(k).or_insert(Value::Null)
            }
            Step::Index(i) => {
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                let Value::Array(a) = cur else {
                    return Err(bad("not a list"));
                };
                if i > a.len() {
                    return Err(bad("list index past the end"));
                }
                if i == a.len() {
                    a.push(Value::Null);
                }
                &mut a[i]
            }
            Step::Append => {
                if !cur.is_array() {
                    *cur = Value::Array(Vec::new());
                }
                let Value::Array(a) = cur else {
                    return Err(bad("not a list"));
                };
                a.push(Value::Null);
                let n = a.len() - 1;
                &mut a[n]
            }
        };
    }
    *cur = value;
    Ok(())
}

/// Merges `other` into `base`: mappings key by key, anything else replaced.
fn merge(base: &mut Value, other: Value) {
    match (base, other) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Reads `path` (when given), the files its `config_files` name, then applies `overrides`.
/// Returns the tree, for [`AgentConfig::from_tree`].
pub fn load_tree(path: Option<&Path>, overrides: &[String]) -> Result<Value, ConfigError> {
    let mut root = Value::Object(Map::new());
    if let Some(p) = path {
        let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
            path: p.to_owned(),
            source,
        })?;
        root = parse_yaml(p, &text)?;
        let extra = match root.get("config_files") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(PathBuf::from)
                        .ok_or_else(|| key_err("config_files", "expected a list of paths"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(Value::String(s)) => vec![PathBuf::from(s)],
            Some(_) => return Err(key_err("config_files", "expected a list of paths")),
        };
        let base = p.parent().unwrap_or(Path::new("."));
        for f in extra {
            let f = if f.is_relative() { base.join(f) } else { f };
            let files = if f.is_dir() {
                let mut v: Vec<PathBuf> = std::fs::read_dir(&f)
                    .map_err(|source| ConfigError::Read {
                        path: f.clone(),
                        source,
                    })?
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                    .collect();
                v.sort();
                v
            } else if f.exists() {
                vec![f]
            } else {
                // Falco skips config_files entries that do not exist.
                Vec::new()
            };
            for cf in files {
                let text = std::fs::read_to_string(&cf).map_err(|source| ConfigError::Read {
                    path: cf.clone(),
                    source,
                })?;
                merge(&mut root, parse_yaml(&cf, &text)?);
            }
        }
    }
    for o in overrides {
        apply_override(&mut root, o)?;
    }
    Ok(root)
}

/// Typed reads of one mapping, with dotted key names in errors.
struct Section<'a> {
    prefix: String,
    map: Option<&'a Map<String, Value>>,
}

impl<'a> Section<'a> {
    fn root(v: &'a Value) -> Section<'a> {
        Section {
            prefix: String::new(),
            map: v.as_object(),
        }
    }

    fn key(&self, k: &str) -> String {
        if self.prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{}.{k}", self.prefix)
        }
    }

    fn get(&self, k: &str) -> Option<&'a Value> {
        self.map?.get(k).filter(|v| !v.is_null())
    }

    fn section(&self, k: &str) -> Result<Section<'a>, ConfigError> {
        match self.get(k) {
            None => Ok(Section {
                prefix: self.key(k),
                map: None,
            }),
            Some(Value::Object(m)) => Ok(Section {
                prefix: self.key(k),
                map: Some(m),
            }),
            Some(v) => Err(key_err(
                &self.key(k),
                format!("expected a mapping, found {}", show(v)),
            )),
        }
    }

    fn bool(&self, k: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(k) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" => Ok(true),
                "false" | "no" | "off" => Ok(false),
                _ => Err(key_err(
                    &self.key(k),
                    format!(
                        "expected a boolean, found {}",
                        show(&Value::String(s.clone()))
                    ),
                )),
            },
            Some(v) => Err(key_err(
                &self.key(k),
                format!("expected a boolean, found {}", show(v)),
            )),
        }
    }

    fn uint(&self, k: &str, default: u64) -> Result<u64, ConfigError> {
        match self.get(k) {
            None => Ok(default),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64().unwrap_or(default)),
            Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => {
                Ok(s.trim().parse::<u64>().unwrap_or(default))
            }
            Some(v) => Err(key_err(
                &self.key(k),
                format!("expected a non-negative integer, found {}", show(v)),
            )),
        }
    }

    fn float(&self, k: &str, default: f64) -> Result<f64, ConfigError> {
        match self.get(k) {
            None => Ok(default),
            Some(Value::Number(n)) => n
                .as_f64()
                .ok_or_else(|| key_err(&self.key(k), "expected a number")),
            Some(Value::String(s)) if s.trim().parse::<f64>().is_ok() => {
                Ok(s.trim().parse::<f64>().unwrap_or(default))
            }
            Some(v) => Err(key_err(
                &self.key(k),
                format!("expected a number, found {}", show(v)),
            )),
        }
    }

    fn string(&self, k: &str) -> Result<Option<String>, ConfigError> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(v.to_string())),
            Some(v) => Err(key_err(
                &self.key(k),
                format!("expected a string, found {}", show(v)),
            )),
        }
    }

    fn path(&self, k: &str) -> Result<Option<PathBuf>, ConfigError> {
        Ok(self.string(k)?.filter(|s| !s.is_empty()).map(PathBuf::from))
    }

    fn strings(&self, k: &str) -> Result<Vec<String>, ConfigError> {
        match self.get(k) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(key_err(
                        &self.key(k),
                        format!("expected a list of strings, found {}", show(other)),
                    )),
                })
                .collect(),
            Some(v) => Err(key_err(
                &self.key(k),
                format!("expected a list of strings, found {}", show(v)),
            )),
        }
    }

    /// `listen_address` (default all interfaces) and `listen_port` (default `port`).
    fn listen(&self, port: u16) -> Result<SocketAddr, ConfigError> {
        let port = u16::try_from(self.uint("listen_port", u64::from(port))?)
            .map_err(|_| key_err(&self.key("listen_port"), "expected a port number"))?;
        let addr = self
            .string("listen_address")?
            .unwrap_or_else(|| "0.0.0.0".into());
        let ip: IpAddr = addr.parse().map_err(|_| {
            key_err(
                &self.key("listen_address"),
                format!("not an IP address: {addr:?}"),
            )
        })?;
        Ok(SocketAddr::new(ip, port))
    }

    fn keys(&self) -> Vec<&'a String> {
        self.map.map(|m| m.keys().collect()).unwrap_or_default()
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("{b}"),
        Value::Number(n) => format!("{n}"),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

impl AgentConfig {
    /// Reads the configuration out of a tree ([`load_tree`]); warnings (ignored and unknown
    /// keys) are returned, one per key.
    pub fn from_tree(tree: &Value) -> Result<(AgentConfig, Vec<String>), ConfigError> {
        let mut warnings = Vec::new();
        let root = Section::root(tree);
        for k in root.keys() {
            match KEYS.iter().find(|(name, _)| name == k) {
                Some((_, KeyStatus::Ignored(why))) => {
                    warnings.push(format!("configuration key `{k}` is not supported by this agent and is ignored: {why}"));
                }
                Some(_) => {}
                None => warnings.push(format!("unknown configuration key `{k}` is ignored")),
            }
        }
        let mut c = AgentConfig::default();
        if let Some(p) = root.string("priority")? {
            c.priority = Priority::parse(&p).ok_or_else(|| {
                key_err(
                    "priority",
                    format!(
                        "unknown priority {p:?} (expected one of {})",
                        Priority::NAMES.join(", ")
                    ),
                )
            })?;
        }
        c.json_output = root.bool("json_output", c.json_output)?;
        c.json_include_output_property = root.bool("json_include_output_property", true)?;
        c.json_include_message_property = root.bool("json_include_message_property", false)?;
        c.json_include_output_fields_property =
            root.bool("json_include_output_fields_property", true)?;
        c.json_include_tags_property = root.bool("json_include_tags_property", true)?;
        c.time_format_iso_8601 = root.bool("time_format_iso_8601", false)?;
        c.buffered_outputs = root.bool("buffered_outputs", false)?;
        let q = root.section("outputs_queue")?;
        let cap = q.uint("capacity", 0)?;
        c.outputs_queue_capacity = if cap == 0 {
            DEFAULT_QUEUE
        } else {
            usize::try_from(cap).unwrap_or(DEFAULT_QUEUE)
        };
        if let Some(m) = root.string("rule_matching")? {
            c.rule_matching = match m.as_str() {
                "first" => RuleMatching::First,
                "all" => RuleMatching::All,
                other => {
                    return Err(key_err(
                        "rule_matching",
                        format!("expected `first` or `all`, found {other:?}"),
                    ))
                }
            };
        }
        c.append_output = read_append_output(tree, &mut warnings)?;
        c.stdout_output = root.section("stdout_output")?.bool("enabled", false)?;
        let so = root.section("syslog_output")?;
        c.syslog_output = so.bool("enabled", false)?;
        let fo = root.section("file_output")?;
        if fo.bool("enabled", false)? {
            c.file_output = Some(FileOutputConfig {
                filename: fo
                    .path("filename")?
                    .unwrap_or_else(|| PathBuf::from("./events.txt")),
                keep_alive: fo.bool("keep_alive", false)?,
                buffered: c.buffered_outputs,
            });
        }
        let po = root.section("program_output")?;
        if po.bool("enabled", false)? {
            let program = po
                .string("program")?
                .filter(|p| !p.trim().is_empty())
                .ok_or_else(|| {
                    key_err(
                        "program_output.program",
                        "required when program_output is enabled",
                    )
                })?;
            c.program_output = Some(ProgramOutputConfig {
                program,
                keep_alive: po.bool("keep_alive", false)?,
                buffered: c.buffered_outputs,
            });
        }
        let output_timeout = Duration::from_millis(root.uint("output_timeout", 2000)?);
        let ho = root.section("http_output")?;
        if ho.bool("enabled", false)? {
            let url = ho.string("url")?.filter(|u| !u.is_empty()).ok_or_else(|| {
                key_err("http_output.url", "required when http_output is enabled")
            })?;
            let d = HttpOutputConfig::default();
            c.http_output = Some(HttpOutputConfig {
                url,
                user_agent: ho.string("user_agent")?.unwrap_or(d.user_agent.clone()),
                insecure: ho.bool("insecure", false)?,
                ca_cert: ho.path("ca_cert")?,
                ca_bundle: ho.path("ca_bundle")?,
                ca_path: ho.path("ca_path")?.filter(|p| p.is_dir()),
                mtls: ho.bool("mtls", false)?,
                client_cert: ho.path("client_cert")?,
                client_key: ho.path("client_key")?,
                echo: ho.bool("echo", false)?,
                compress_uploads: ho.bool("compress_uploads", false)?,
                keep_alive: ho.bool("keep_alive", false)?,
                max_consecutive_timeouts: u32::try_from(ho.uint("max_consecutive_timeouts", 5)?)
                    .unwrap_or(u32::MAX),
                retries: u32::try_from(ho.uint("retries", u64::from(d.retries))?)
                    .unwrap_or(u32::MAX),
                backoff: Duration::from_millis(ho.uint("retry_backoff_ms", 100)?),
                timeout: output_timeout,
            });
        }
        let ws = root.section("webserver")?;
        if ws.bool("enabled", false)? {
            let listen = ws.listen(8765)?;
            let tls = if ws.bool("ssl_enabled", false)? {
                let cert = ws
                    .path("ssl_certificate")?
                    .unwrap_or_else(|| PathBuf::from("/etc/falco/falco.pem"));
                Some(Tls {
                    cert: cert.clone(),
                    key: cert,
                })
            } else {
                None
            };
            c.webserver = Some(WebserverConfig {
                listen,
                healthz: ws
                    .string("k8s_healthz_endpoint")?
                    .unwrap_or_else(|| "/healthz".into()),
                prometheus_metrics: ws.bool("prometheus_metrics_enabled", false)?,
                tls,
            });
        }
        let m = root.section("metrics")?;
        c.metrics_enabled = m.bool("enabled", false)?;
        if c.metrics_enabled && m.bool("output_rule", true)? {
            warnings.push("configuration key `metrics.output_rule` is not supported: metrics are served at /metrics (webserver.prometheus_metrics_enabled) and not emitted as alerts".to_owned());
        }
        if let Some(l) = root.string("log_level")? {
            c.log_level = l;
        }
        c.log_stderr = root.bool("log_stderr", false)?;
        read_plugins(tree, &mut c, &mut warnings)?;
        read_rulec(&root.section("rulec")?, &mut c)?;
        Ok((c, warnings))
    }
}

fn read_append_output(
    tree: &Value,
    warnings: &mut Vec<String>,
) -> Result<Vec<AppendOutput>, ConfigError> {
    let Some(v) = tree.get("append_output").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let Value::Array(items) = v else {
        return Err(key_err(
            "append_output",
            format!("expected a list, found {}", show(v)),
        ));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let s = Section {
            prefix: format!("append_output[{i}]"),
            map: item.as_object(),
        };
        if s.map.is_none() {
            return Err(key_err(
                &s.prefix,
                format!("expected a mapping, found {}", show(item)),
            ));
        }
        let m = s.section("match")?;
        let mut extra_fields = Vec::new();
        match s.get("extra_fields") {
            None => {}
            Some(Value::Array(list)) => {
                for (j, f) in list.iter().enumerate() {
                    match f {
                        Value::String(name) => {
                            extra_fields.push((name.clone(), format!("%{name}")))
                        }
                        Value::Object(m) => {
                            for (name, fmt) in m {
                                let Some(fmt) = fmt.as_str() else {
                                    return Err(key_err(
                                        &format!("{}.extra_fields[{j}].{name}", s.prefix),
                                        "expected a format string",
                                    ));
                                };
                                extra_fields.push((name.clone(), fmt.to_owned()));
                            }
                        }
                        other => {
                            return Err(key_err(
                                &format!("{}.extra_fields[{j}]", s.prefix),
                                format!(
                                    "expected a field name or a `name: format` mapping, found {}",
                                    show(other)
                                ),
                            ))
                        }
                    }
                }
            }
            Some(v) => {
                return Err(key_err(
                    &s.key("extra_fields"),
                    format!("expected a list, found {}", show(v)),
                ))
            }
        }
        let entry = AppendOutput {
            source: m.string("source")?,
            tags: m.strings("tags")?,
            rule: m.string("rule")?,
            extra_output: s.string("extra_output")?,
            extra_fields,
        };
        let _ = &warnings;
        // suggested_output: the plugin sources' fields are not format-suggested, so there is
        // nothing to append for them; no warning.
        out.push(entry);
    }
    Ok(out)
}

/// Maps Falco's `plugins` / `load_plugins` to our built-in sources: the k8saudit plugin's
/// webhook, the cloudtrail plugin's local files; extractor-only plugins (json) are built in.
fn read_plugins(
    tree: &Value,
    c: &mut AgentConfig,
    warnings: &mut Vec<String>,
) -> Result<(), ConfigError> {
    let Some(v) = tree.get("plugins").filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let Value::Array(items) = v else {
        return Err(key_err(
            "plugins",
            format!("expected a list, found {}", show(v)),
        ));
    };
    let root = Section::root(tree);
    let load = root
        .get("load_plugins")
        .map(|_| root.strings("load_plugins"))
        .transpose()?;
    let mut names = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let s = Section {
            prefix: format!("plugins[{i}]"),
            map: item.as_object(),
        };
        let name = s
            .string("name")?
            .ok_or_else(|| key_err(&s.key("name"), "required"))?;
        names.push(name.clone());
        if load.as_ref().is_some_and(|l| !l.contains(&name)) {
            continue;
        }
        let open = s.string("open_params")?.unwrap_or_default();
        match name.as_str() {
            "k8saudit" => {
                let mut cfg = WebhookConfig::default();
                let (tls, rest) = match open.strip_prefix("https://") {
                    Some(r) => (true, r),
                    None => (false, open.strip_prefix("http://").unwrap_or(&open)),
                };
                if !rest.is_empty() {
                    let (hostport, path) = match rest.find('/') {
                        Some(i) => (&rest[..i], &rest[i..]),
                        None => (rest, "/k8s-audit"),
                    };
                    cfg.endpoint = path.to_owned();
                    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "9765"));
                    let port: u16 = port
                        .parse()
                        .map_err(|_| key_err(&s.key("open_params"), format!("bad port in {open:?}")))?;
                    let ip: IpAddr = if host.is_empty() { IpAddr::from([0, 0, 0, 0]) } else {
                        host.parse().map_err(|_| key_err(&s.key("open_params"), format!("bad address in {open:?}")))?
                    };
                    cfg.listen = SocketAddr::new(ip, port);
                }
                let init = s.section("init_config")?;
                if let Some(cert) = init.path("sslCertificate")? {
                    cfg.tls = Some(Tls { cert: cert.clone(), key: cert });
                } else if tls {
                    let cert = PathBuf::from("/etc/falco/falco.pem");
                    cfg.tls = Some(Tls { cert: cert.clone(), key: cert });
                }
                if let Some(max) = init.get("maxEventSize").and_then(Value::as_u64) {
                    cfg.max_event_bytes = usize::try_from(max).unwrap_or(cfg.max_event_bytes);
                }
                if let Some(max) = init.get("webhookMaxBatchSize").and_then(Value::as_u64) {
                    cfg.max_body_bytes = usize::try_from(max).unwrap_or(cfg.max_body_bytes);
                }
                c.sources.push(SourceConfig::Webhook { source: "k8s_audit".into(), cfg });
            }
            "cloudtrail" if !open.is_empty() && !open.starts_with("s3://") && !open.starts_with("sqs://") => {
                c.sources.push(SourceConfig::Files {
                    source: "aws_cloudtrail".into(),
                    inputs: vec![Input::Path(PathBuf::from(open))],
                });
            }
            "json" => {}
            other => warnings.push(format!(
                "plugin `{other}` (plugins[{i}]) is not supported by this agent and is not loaded; the built-in sources are k8s_audit (webhook, files), aws_cloudtrail (files), github, okta and json (files, stdin)"
            )),
        }
    }
    if let Some(l) = load {
        for n in l {
            if !names.contains(&n) {
                return Err(key_err(
                    "load_plugins",
                    format!("plugin `{n}` is not in `plugins`"),
                ));
            }
        }
    }
    Ok(())
}

fn read_rulec(s: &Section<'_>, c: &mut AgentConfig) -> Result<(), ConfigError> {
    c.bundle = s.path("bundle")?;
    c.trusted_keys = s
        .strings("trusted_keys")?
        .into_iter()
        .map(PathBuf::from)
        .collect();
    if let Some(e) = s.string("engine")? {
        c.engine = match e.as_str() {
            "auto" => None,
            "jit" => Some(Backend::Jit),
            "interpreter" => Some(Backend::Interpreter),
            other => {
                return Err(key_err(
                    "rulec.engine",
                    format!("expected `auto`, `jit` or `interpreter`, found {other:?}"),
                ))
            }
        };
    }
    let rl = s.section("rate_limit")?;
    if rl.map.is_some() {
        let rate = rl.float("rate", 0.0)?;
        let burst = rl.float("max_burst", rate.max(1.0))?;
        if rate <= 0.0 || burst < 1.0 {
            return Err(key_err(
                "rulec.rate_limit",
                "rate must be > 0 and max_burst >= 1",
            ));
        }
        c.rate_limit = Some(RateLimit {
            rate,
            max_burst: burst,
        });
    }
    c.rule_cost_sample = s.uint("rule_cost_sample", c.rule_cost_sample)?;
    c.watch_bundle = s.bool("watch_bundle", true)?;
    c.shutdown_timeout = Duration::from_millis(s.uint("shutdown_timeout_ms", 5000)?);
    if let Some(p) = s.path("syslog_socket")? {
        c.syslog_socket = Some(p);
    }
    if let Some(h) = s.string("hostname")? {
        c.hostname = h;
    }
    match s.get("sources") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let src = Section {
                    prefix: format!("rulec.sources[{i}]"),
                    map: item.as_object(),
                };
                if src.map.is_none() {
                    return Err(key_err(&src.prefix, "expected a mapping"));
                }
                let source = src.string("source")?.ok_or_else(|| {
                    key_err(
                        &src.key("source"),
                        "required (k8s_audit, aws_cloudtrail, github, okta, json)",
                    )
                })?;
                if !["k8s_audit", "aws_cloudtrail", "github", "okta", "json"]
                    .contains(&source.as_str())
                {
                    return Err(key_err(
                        &src.key("source"),
                        format!("unknown source {source:?}"),
                    ));
                }
                let wh = src.section("webhook")?;
                if wh.map.is_some() {
                    let mut cfg = WebhookConfig {
                        listen: wh.listen(9765)?,
                        ..WebhookConfig::default()
                    };
                    if let Some(e) = wh.string("endpoint")? {
                        cfg.endpoint = e;
                    }
                    if let Some(cert) = wh.path("ssl_certificate")? {
                        let key = wh.path("ssl_key")?.unwrap_or_else(|| cert.clone());
                        cfg.tls = Some(Tls { cert, key });
                    }
                    cfg.max_body_bytes =
                        usize::try_from(wh.uint("max_body_bytes", cfg.max_body_bytes as u64)?)
                            .unwrap_or(cfg.max_body_bytes);
                    cfg.queue =
                        usize::try_from(wh.uint("queue", cfg.queue as u64)?).unwrap_or(cfg.queue);
                    c.sources.push(SourceConfig::Webhook { source, cfg });
                    continue;
                }
                let mut inputs: Vec<Input> = src
                    .strings("files")?
                    .into_iter()
                    .map(|f| Input::Path(PathBuf::from(f)))
                    .collect();
                if src.bool("stdin", false)? {
                    inputs.push(Input::Stdin);
                }
                if inputs.is_empty() {
                    return Err(key_err(
                        &src.prefix,
                        "needs `files`, `stdin: true` or `webhook`",
                    ));
                }
                c.sources.push(SourceConfig::Files { source, inputs });
            }
        }
        Some(v) => {
            return Err(key_err(
                "rulec.sources",
                format!("expected a list, found {}", show(v)),
            ))
        }
    }
    Ok(())
}
