//! The field, event and operator tables of every event source, built once from the vendored
//! JSON schemas (`ir/schemas/*.json`, see its README) and shared as a `'static`
//! [`Registry`].
//!
//! Sources: `syscall` (libsinsp classes + container and k8smeta plugins), `k8s_audit`,
//! `aws_cloudtrail`, `github`, `okta`. The json plugin (`json.json`) is an extractor only: as the
//! schema README says, its fields are part of `k8s_audit` and `aws_cloudtrail` (whose official
//! rulesets require it) and of no other source.
//!
//! Field lookup follows libsinsp (`syscall.json` → `resolution`): classes are tried in order;
//! within a class the longest registered name that prefixes the requested text wins; the first
//! class with such a prefix decides, and the whole text (with `[arg]` or a dotted argument)
//! must be consumed. See [`SourceSchema::lookup`].

pub mod events;
mod lookup;
pub mod types;

use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::OnceLock;

use serde::Deserialize;

pub use events::{EventCode, EventTable};
pub use lookup::{LookupError, Resolved};
pub use types::{FieldType, OperatorInfo, OperatorTable};

/// How a field argument may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A decimal number.
    Index,
    /// Any string.
    Key,
    /// A number or a string.
    IndexOrKey,
}

/// The argument a field accepts (`arg` in the schemas).
#[derive(Debug, Clone)]
pub struct ArgSpec {
    /// What the argument is.
    pub kind: ArgKind,
    /// Whether it must be given.
    pub required: bool,
    /// `name[arg]` accepted.
    pub bracket: bool,
    /// `name.arg` accepted.
    pub dotted: bool,
    /// Closed set of accepted values (`evt.abspath.src|dst`).
    pub values: Option<Vec<String>>,
    /// A bad index makes the field unknown instead of "not a valid number".
    pub bad_index_is_unknown: bool,
}

/// One field of a source.
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// Name without argument.
    pub name: String,
    /// Type (for `evt.rawarg` this is `PT_DYN`; the resolved type depends on the argument).
    pub ty: FieldType,
    /// Multi-valued.
    pub is_list: bool,
    /// Accepted argument, if any.
    pub arg: Option<ArgSpec>,
    /// Deprecated field.
    pub deprecated: bool,
    /// Usable in conditions only.
    pub filter_only: bool,
    /// Meant for outputs only.
    pub print_only: bool,
    /// Hidden from listings.
    pub table_only: bool,
    /// Cannot be (compared with) a right-hand side field.
    pub no_rhs: bool,
    /// Rejects transformers.
    pub no_transformer: bool,
    /// Suggested in outputs (`EPF_FORMAT_SUGGESTED`).
    pub format_suggested: bool,
    /// Providing plugin name, for plugin fields.
    pub plugin: Option<String>,
    /// Field class (`evt`, `process`, `container (plugin)` ...).
    pub class: String,
    /// One-line description.
    pub description: String,
}

/// A plugin known to the schemas.
#[derive(Debug, Clone)]
pub struct PluginInfo {
    /// Plugin name (`k8saudit`).
    pub name: String,
    /// Version the schemas were extracted from.
    pub version: crate::vocab::Version,
    /// Async event names it adds to `evt.type` (container: `container`, `container_removed`).
    pub async_event_names: Vec<String>,
}

/// All fields of one event source.
#[derive(Debug)]
pub struct SourceSchema {
    /// Source name (`syscall`).
    pub name: String,
    /// Fields in schema order.
    pub fields: Vec<FieldDef>,
    /// Class of each field: index into the resolution order.
    class_of: Vec<u16>,
    /// Field name → field indices (one per class having that name).
    by_name: FxHashMap<String, Vec<u32>>,
    /// Longest field name, in bytes.
    max_len: usize,
    /// `name_lens[n]` is true when some field name is `n` bytes long (lookups try only those
    /// prefix lengths).
    name_lens: Vec<bool>,
    /// First dotted segment of every field name (`proc`, `fd` ...), for quick rejection.
    roots: FxHashSet<String>,
    /// Plugins providing fields or events for this source.
    pub plugins: Vec<PluginInfo>,
    /// The vendored schema's `version` string (what the field tables were extracted from).
    pub version: String,
}

/// Every source schema, the event table and the operator rules.
#[derive(Debug)]
pub struct Registry {
    /// Sources: syscall, k8s_audit, aws_cloudtrail, github, okta.
    pub sources: Vec<SourceSchema>,
    /// Syscall event table and x86_64 syscall numbers.
    pub events: EventTable,
    /// Operator/type rules.
    pub ops: OperatorTable,
    /// Every plugin the schemas know (including the extractor-only json plugin).
    pub plugins: Vec<PluginInfo>,
}

const SCHEMAS: [(&str, &str); 5] = [
    ("syscall", include_str!("../../schemas/syscall.json")),
    ("k8s_audit", include_str!("../../schemas/k8s_audit.json")),
    (
        "aws_cloudtrail",
        include_str!("../../schemas/aws_cloudtrail.json"),
    ),
    ("github", include_str!("../../schemas/github.json")),
    ("okta", include_str!("../../schemas/okta.json")),
];
const JSON_PLUGIN: &str = include_str!("../../schemas/json.json");
const OPERATORS: &str = include_str!("../../schemas/operators.json");

#[derive(Deserialize)]
struct RawSchema {
    #[serde(default)]
    version: String,
    #[serde(default)]
    plugins: Vec<RawPlugin>,
    plugin: Option<RawPlugin>,
    fields: Vec<RawField>,
}

#[derive(Deserialize)]
struct RawPlugin {
    name: String,
    version: String,
    #[serde(default)]
    async_event_names: Vec<String>,
}

#[derive(Deserialize)]
struct RawField {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    is_list: bool,
    #[serde(default)]
    flags: Vec<String>,
    arg: Option<RawArg>,
    deprecated: bool,
    filter_only: bool,
    print_only: bool,
    table_only: bool,
    no_rhs: bool,
    no_transformer: bool,
    class: String,
    #[serde(default)]
    generic: bool,
    provided_by: String,
    description: String,
}

#[derive(Deserialize)]
struct RawArg {
    kind: String,
    required: bool,
    syntax: Vec<String>,
    #[serde(default)]
    values: Option<Vec<String>>,
    #[serde(default)]
    accepts: String,
}

impl Registry {
    /// The registry, parsed on first use.
    pub fn get() -> &'static Registry {
        static REG: OnceLock<Registry> = OnceLock::new();
        REG.get_or_init(Registry::build)
    }

    #[allow(clippy::expect_used)]
    fn build() -> Registry {
        let ops: OperatorTable =
            serde_json::from_str(OPERATORS).expect("vendored operators.json is valid");
        let json: RawSchema =
            serde_json::from_str(JSON_PLUGIN).expect("vendored json.json is valid");
        let mut plugins: Vec<PluginInfo> = Vec::new();
        let mut sources = Vec::new();
        for (name, text) in SCHEMAS {
            let raw: RawSchema = serde_json::from_str(text).expect("vendored schema is valid");
            let mut src_plugins: Vec<PluginInfo> = raw
                .plugins
                .iter()
                .chain(&raw.plugin)
                .map(plugin_info)
                .collect();
            if name == "k8s_audit" || name == "aws_cloudtrail" {
                src_plugins.extend(json.plugin.iter().map(plugin_info));
            }
            for p in &src_plugins {
                if !plugins.iter().any(|q| q.name == p.name) {
                    plugins.push(p.clone());
                }
            }
            let mut schema = SourceSchema::new(name, &raw.fields, src_plugins);
            schema.version = raw.version;
            sources.push(schema);
        }
        Registry {
            sources,
            events: EventTable::build(),
            ops,
            plugins,
        }
    }

    /// The schema of `source`, if known.
    pub fn source(&self, source: &str) -> Option<&SourceSchema> {
        self.sources.iter().find(|s| s.name == source)
    }

    /// The fields of `source` for a reference listing (schema order, table-only fields
    /// included; callers may filter on [`FieldDef::table_only`]).
    pub fn fields(&self, source: &str) -> &[FieldDef] {
        self.source(source).map_or(&[], |s| s.fields.as_slice())
    }

    /// A plugin known to the schemas.
    pub fn plugin(&self, name: &str) -> Option<&PluginInfo> {
        self.plugins.iter().find(|p| p.name == name)
    }
}

fn plugin_info(p: &RawPlugin) -> PluginInfo {
    PluginInfo {
        name: p.name.clone(),
        version: crate::vocab::Version::parse(&p.version).unwrap_or(crate::vocab::Version(0, 0, 0)),
        async_event_names: p.async_event_names.clone(),
    }
}

impl SourceSchema {
    fn new(name: &str, raw: &[RawField], plugins: Vec<PluginInfo>) -> SourceSchema {
        // Resolution order: generic evt class first, then classes in schema order.
        let mut class_keys: Vec<String> = Vec::new();
        let key = |f: &RawField| {
            if f.class == "evt" && f.generic {
                "evt (generic)".to_owned()
            } else {
                f.class.clone()
            }
        };
        if raw.iter().any(|f| f.class == "evt" && f.generic) {
            class_keys.push("evt (generic)".to_owned());
        }
        let mut fields = Vec::with_capacity(raw.len());
        let mut class_of = Vec::with_capacity(raw.len());
        let mut by_name: FxHashMap<String, Vec<u32>> = FxHashMap::default();
        for (i, f) in raw.iter().enumerate() {
            let k = key(f);
            let ci = match class_keys.iter().position(|c| *c == k) {
                Some(ci) => ci,
                None => {
                    class_keys.push(k);
                    class_keys.len() - 1
                }
            };
            class_of.push(u16::try_from(ci).unwrap_or(u16::MAX));
            by_name
                .entry(f.name.clone())
                .or_default()
                .push(crate::to_u32(i));
            fields.push(field_def(f));
        }
        let max_len = fields.iter().map(|f| f.name.len()).max().unwrap_or(0);
        let mut name_lens = vec![false; max_len + 1];
        for f in &fields {
            name_lens[f.name.len()] = true;
        }
        let roots = fields
            .iter()
            .map(|f| f.name.split('.').next().unwrap_or("").to_owned())
            .collect();
        SourceSchema {
            roots,
            name: name.to_owned(),
            fields,
            class_of,
            by_name,
            max_len,
            name_lens,
            plugins,
            version: String::new(),
        }
    }

    /// Looks a field up by its plain name (no argument).
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.by_name
            .get(name)
            .and_then(|v| v.first())
            .map(|&i| &self.fields[i as usize])
    }

    /// All field names, for suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }

    /// Whether some field name starts with `root` followed by a dot.
    pub(crate) fn has_root(&self, root: &str) -> bool {
        self.roots.contains(root)
    }

    /// Async event names of the plugins of this source.
    pub fn async_event_names(&self) -> impl Iterator<Item = &str> {
        self.plugins
            .iter()
            .flat_map(|p| p.async_event_names.iter().map(String::as_str))
    }
}

fn field_def(f: &RawField) -> FieldDef {
    let arg = f.arg.as_ref().map(|a| ArgSpec {
        kind: match a.kind.as_str() {
            "index" => ArgKind::Index,
            "key" => ArgKind::Key,
            _ => ArgKind::IndexOrKey,
        },
        required: a.required,
        bracket: a.syntax.iter().any(|s| s == "bracket"),
        dotted: a.syntax.iter().any(|s| s == "dotted"),
        values: a.values.clone(),
        bad_index_is_unknown: a.accepts.contains("makes the field name unknown"),
    });
    FieldDef {
        name: f.name.clone(),
        ty: FieldType::from_pt(&f.ty).unwrap_or(FieldType::None),
        is_list: f.is_list,
        arg,
        deprecated: f.deprecated,
        filter_only: f.filter_only,
        print_only: f.print_only,
        table_only: f.table_only,
        no_rhs: f.no_rhs,
        no_transformer: f.no_transformer,
        format_suggested: f.flags.iter().any(|x| x == "EPF_FORMAT_SUGGESTED"),
        plugin: f.provided_by.strip_prefix("plugin:").map(str::to_owned),
        class: f.class.clone(),
        description: f.description.clone(),
    }
}

#[cfg(test)]
mod tests;
