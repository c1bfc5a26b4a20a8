//! Reading phase: YAML documents to collection operations (spec §1.1-§1.10, §7).
//!
//! Mirrors Falco's reader and collector: items are applied to the [`Collection`] in file
//! order and reading stops at the first error of a file. Warnings accumulate.

#![allow(clippy::result_large_err)] // errors are cold: one per file at most

use std::collections::BTreeSet;

use super::context::{item_type as it, Ctx};
use super::{
    Collection, Entry, ExceptionInfo, ListInfo, LoadOptions, MacroInfo, PluginRequirement,
    Priority, ReadResult, RuleInfo, Text, Version,
};
use crate::diag::{suggest, Code, Diagnostic};
use crate::span::{FileId, SourceFile, Span};
use crate::text::MappedText;
use crate::yaml::{self, Node, NodeKind};

#[allow(clippy::result_large_err)]
type Res<T> = Result<T, Diagnostic>;

/// Keys of a list item.
pub const LIST_KEYS: &[&str] = &["list", "items", "append", "override"];
/// Keys of a macro item.
pub const MACRO_KEYS: &[&str] = &["macro", "condition", "append", "override"];
/// Keys of a rule item.
pub const RULE_KEYS: &[&str] = &[
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "enabled",
    "tags",
    "exceptions",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
    "append",
    "override",
];
const RULE_APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
const RULE_REPLACEABLE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "capture",
    "capture_duration",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
];
/// The order in which Falco checks override keys (append part, then replace part).
const RULE_OVERRIDE_ORDER: &[&str] = &[
    "condition",
    "exceptions",
    "output",
    "desc",
    "tags",
    "priority",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];

const WARNING_APPEND: &str =
    "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED: &str = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND: &str = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

/// What differs between reading a list and reading a macro item.
struct NamedKind {
    key: &'static str,
    item_type: &'static str,
    keys: &'static [&'static str],
    name_ok: fn(&str) -> bool,
    invalid_code: Code,
    invalid_message: &'static str,
    invalid_help: &'static str,
}

const LIST_KIND: NamedKind = NamedKind {
    key: "list",
    item_type: it::LIST,
    keys: LIST_KEYS,
    name_ok: is_bare_string,
    invalid_code: Code::InvalidListName,
    invalid_message: "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)",
    invalid_help: "list names cannot contain spaces, quotes, parentheses, `=` or `,`",
};

const MACRO_KIND: NamedKind = NamedKind {
    key: "macro",
    item_type: it::MACRO,
    keys: MACRO_KEYS,
    name_ok: is_identifier,
    invalid_code: Code::InvalidMacroName,
    invalid_message: "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
    invalid_help: "a macro name starts with a letter and continues with letters, digits or `_`",
};

/// Reads one file into `coll`. Returns the file's reading diagnostics; on error the last
/// diagnostic is the error and `failed` is set.
pub fn read_file(
    coll: &mut Collection,
    file: FileId,
    src: &SourceFile,
    opts: &LoadOptions,
) -> ReadResult {
    let mut r = Reader {
        coll,
        file,
        src,
        opts,
        diags: Vec::new(),
    };
    let outcome = r.read();
    let mut result = ReadResult {
        diagnostics: r.diags,
        failed: false,
    };
    if let Err(e) = outcome {
        result.diagnostics.push(e);
        result.failed = true;
    }
    result
}

struct Reader<'a> {
    coll: &'a mut Collection,
    file: FileId,
    src: &'a SourceFile,
    opts: &'a LoadOptions,
    diags: Vec<Diagnostic>,
}

/// Override keys requested by an item.
#[derive(Default)]
struct Overrides {
    append: BTreeSet<String>,
    replace: BTreeSet<String>,
}

impl Overrides {
    fn is_empty(&self) -> bool {
        self.append.is_empty() && self.replace.is_empty()
    }
}

/// Values of a rule append or replace operation.
#[derive(Default)]
struct RuleUpdate {
    cond: Option<Text>,
    output: Option<Text>,
    desc: Option<Text>,
    tags: Option<BTreeSet<String>>,
    exceptions: Option<Vec<ExceptionInfo>>,
    priority: Option<Priority>,
    enabled: Option<bool>,
    warn_evttypes: Option<bool>,
    skip_if_unknown_filter: Option<bool>,
    capture: Option<bool>,
    capture_duration: Option<u32>,
}

impl RuleUpdate {
    fn is_empty(&self) -> bool {
        self.cond.is_none()
            && self.output.is_none()
            && self.desc.is_none()
            && self.tags.is_none()
            && self.exceptions.is_none()
            && self.priority.is_none()
            && self.enabled.is_none()
            && self.warn_evttypes.is_none()
            && self.skip_if_unknown_filter.is_none()
            && self.capture.is_none()
            && self.capture_duration.is_none()
    }
}

impl Reader<'_> {
    fn read(&mut self) -> Res<()> {
        let root = Ctx::file_root(self.src);
        let docs = match yaml::parse_stream(self.file, &self.src.text) {
            Ok(d) => d,
            Err(e) => {
                let lc = self.src.line_col(e.span.start);
                let mut ctx = root.clone();
                ctx.0.push(crate::diag::Location {
                    item_type: "",
                    item_name: String::new(),
                    name: self.src.name.clone(),
                    line: lc.line,
                    column: lc.col,
                    offset: e.span.start,
                    span: Some(e.span),
                });
                return Err(
                    Diagnostic::new(Code::YamlParse, e.message, Some(e.span)).with_context(ctx.0)
                );
            }
        };
        for doc in &docs {
            let Some(node) = &doc.root else { continue };
            if node.is_null() {
                continue;
            }
            match &node.kind {
                NodeKind::Seq(items) => {
                    for item in items.iter().filter(|i| !i.is_null()) {
                        self.read_item(item, &root)?;
                    }
                }
                NodeKind::Map(_) => {
                    return Err(self
                        .err(
                            Code::YamlValidate,
                            "Rules content is not yaml array of objects",
                            node.span,
                            &root,
                        )
                        .with_help(
                            "a rules file is a YAML sequence of items: start each item with `- `",
                        ));
                }
                NodeKind::Scalar(_) => {
                    return Err(self.err(Code::YamlValidate, "Rules content is not yaml", node.span, &root).with_help(
                        "a rules file is a YAML sequence of items such as `- rule: ...` or `- macro: ...`",
                    ));
                }
            }
        }
        Ok(())
    }

    // ----- diagnostics helpers -------------------------------------------------------------

    fn err(&self, code: Code, msg: impl Into<String>, span: Span, ctx: &Ctx) -> Diagnostic {
        Diagnostic::new(code, msg, Some(span)).with_context(ctx.0.clone())
    }

    fn invalid(&self, msg: impl Into<String>, span: Span, ctx: &Ctx) -> Diagnostic {
        self.err(Code::YamlValidate, msg, span, ctx)
    }

    fn warn(
        &mut self,
        code: Code,
        msg: impl Into<String>,
        span: Span,
        ctx: &Ctx,
    ) -> &mut Diagnostic {
        self.diags
            .push(Diagnostic::new(code, msg, Some(span)).with_context(ctx.0.clone()));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    fn child(&self, ctx: &Ctx, ty: &'static str, name: &str, span: Span) -> Ctx {
        ctx.child(ty, name, self.src, span)
    }

    fn text(&self, node: &Node) -> Option<Text> {
        let s = node.as_scalar()?;
        Some(Text {
            text: MappedText::from_scalar(self.file, s),
            span: node.span,
        })
    }

    // ----- decoders (§1.3) -----------------------------------------------------------------

    /// Required or optional scalar: missing, null, non-scalar and empty values are errors.
    fn decode_str(&self, item: &Node, key: &str, ctx: &Ctx, optional: bool) -> Res<Option<Text>> {
        let Some(val) = item.get(key) else {
            if optional {
                return Ok(None);
            }
            return Err(self
                .invalid(
                    format!("Item has no mapping for key '{key}'"),
                    item_key_span(item),
                    ctx,
                )
                .with_help(format!("add `{key}: ...` to this item")));
        };
        if val.is_null() {
            return Err(self.invalid(format!("Mapping for key '{key}' is empty"), val.span, ctx));
        }
        let valctx = || self.child(ctx, it::VALUE_FOR, key, val.span);
        let Some(text) = self.text(val) else {
            return Err(self.invalid("Value is not a scalar value", val.span, &valctx()));
        };
        if text.as_str().is_empty() {
            return Err(self.invalid("Value must be non-empty", val.span, &valctx()));
        }
        Ok(Some(text))
    }

    fn decode_bool(&self, item: &Node, key: &str, ctx: &Ctx, optional: bool) -> Res<Option<bool>> {
        let Some(t) = self.decode_str(item, key, ctx, optional)? else {
            return Ok(None);
        };
        match parse_yaml_bool(t.as_str()) {
            Some(b) => Ok(Some(b)),
            None => {
                let valctx = self.child(ctx, it::VALUE_FOR, key, t.span);
                Err(self
                    .invalid("Can't decode YAML scalar value", t.span, &valctx)
                    .with_help("use `true` or `false`"))
            }
        }
    }

    fn decode_u32(&self, item: &Node, key: &str, ctx: &Ctx, optional: bool) -> Res<Option<u32>> {
        let Some(t) = self.decode_str(item, key, ctx, optional)? else {
            return Ok(None);
        };
        match parse_yaml_u32(t.as_str()) {
            Some(n) => Ok(Some(n)),
            None => {
                let valctx = self.child(ctx, it::VALUE_FOR, key, t.span);
                Err(self
                    .invalid("Can't decode YAML scalar value", t.span, &valctx)
                    .with_help("expected an unsigned integer"))
            }
        }
    }

    /// A sequence of scalars (`items`, `tags`).
    fn decode_seq(
        &self,
        item: &Node,
        key: &str,
        ctx: &Ctx,
        optional: bool,
    ) -> Res<Option<Vec<Text>>> {
        let Some(val) = item.get(key) else {
            if optional {
                return Ok(None);
            }
            return Err(self.invalid(
                format!("Item has no mapping for key '{key}'"),
                item_key_span(item),
                ctx,
            ));
        };
        let valctx = || self.child(ctx, it::VALUE_FOR, key, val.span);
        let NodeKind::Seq(elems) = &val.kind else {
            return Err(self
                .invalid("Value is not a sequence", val.span, &valctx())
                .with_help(format!("write `{key}: [a, b]` or one `- item` per line")));
        };
        let mut out = Vec::with_capacity(elems.len());
        for v in elems {
            match self.text(v) {
                Some(t) if !v.is_null() => out.push(t),
                _ => {
                    let ictx = self.child(&valctx(), it::LIST_ITEM, "", v.span);
                    return Err(self.invalid("sequence value is not scalar", v.span, &ictx));
                }
            }
        }
        Ok(Some(out))
    }

    fn decode_tags(&self, item: &Node, ctx: &Ctx) -> Res<Option<BTreeSet<String>>> {
        Ok(self
            .decode_seq(item, "tags", ctx, true)?
            .map(|v| v.into_iter().map(|t| t.as_str().to_owned()).collect()))
    }

    fn decode_overrides(
        &self,
        item: &Node,
        appendable: &[&str],
        replaceable: &[&str],
        ctx: &Ctx,
    ) -> Res<Overrides> {
        let mut out = Overrides::default();
        let Some(val) = item.get("override") else {
            return Ok(out);
        };
        let octx = self.child(ctx, it::OVERRIDE, "", item.span);
        let pairs = match &val.kind {
            NodeKind::Map(pairs) => pairs.as_slice(),
            NodeKind::Scalar(s) if s.is_null() => &[],
            _ => {
                return Err(self
                    .invalid("Value is not a mapping", val.span, &octx)
                    .with_help("write `override: {condition: append}`"))
            }
        };
        for (k, v) in pairs {
            let (Some(key), Some(op)) = (k.as_scalar(), v.as_scalar()) else {
                return Err(self.invalid("Value is not a scalar value", v.span, &octx));
            };
            let (key, op) = (key.value.as_str(), op.value.as_str());
            let can_append = appendable.contains(&key);
            let can_replace = replaceable.contains(&key);
            let keyctx = self.child(&octx, it::OVERRIDE, key, k.span);
            match op {
                "append" => {
                    if !can_append {
                        let mut e = self.invalid(
                            format!("Key '{key}' cannot be appended to, use 'replace' instead"),
                            k.span,
                            &keyctx,
                        );
                        if can_replace {
                            e = e.with_fix(v.span, "replace", "use `replace`");
                        }
                        return Err(e);
                    }
                    out.append.insert(key.to_owned());
                }
                "replace" => {
                    if !can_replace {
                        return Err(self.invalid(
                            format!("Key '{key}' cannot be replaced"),
                            k.span,
                            &keyctx,
                        ));
                    }
                    out.replace.insert(key.to_owned());
                }
                _ => {
                    let opctx = self.child(&octx, it::VALUE_FOR, key, v.span);
                    let mut msg = format!(
                        "Invalid override operation for key '{key}': '{op}'. Allowed values are: "
                    );
                    if can_append {
                        msg.push_str("append ");
                    }
                    if can_replace {
                        msg.push_str("replace ");
                    }
                    let mut e = self.invalid(msg, v.span, &opctx);
                    if let Some(s) = suggest(op, ["append", "replace"]) {
                        e = e.with_fix(v.span, s, format!("did you mean `{s}`?"));
                    }
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    fn check_unknown_keys(&mut self, item: &Node, allowed: &[&str], ctx: &Ctx) {
        let NodeKind::Map(pairs) = &item.kind else {
            return;
        };
        for (k, _) in pairs {
            let Some(key) = k.as_scalar().map(|s| s.value.clone()) else {
                continue;
            };
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let best = suggest(&key, allowed.iter().copied());
            let d = self.warn(
                Code::UnknownKey,
                format!("Unknown key '{key}'. The key will be ignored."),
                k.span,
                ctx,
            );
            if let Some(s) = best {
                *d = d
                    .clone()
                    .with_fix(k.span, s, format!("did you mean `{s}`?"));
            }
        }
    }

    // ----- items (§1.2) --------------------------------------------------------------------

    fn read_item(&mut self, item: &Node, parent: &Ctx) -> Res<()> {
        if !matches!(item.kind, NodeKind::Map(_)) {
            let ctx = self.child(parent, it::RULES_CONTENT_ITEM, "", item.span);
            return Err(self
                .invalid(
                    "Unexpected element type. Each element should be a yaml associative array.",
                    item.span,
                    &ctx,
                )
                .with_help("each item is a mapping such as `- rule: name` followed by its keys"));
        }
        if item.get("required_engine_version").is_some() {
            self.read_engine_version(item, parent)
        } else if item.get("required_plugin_versions").is_some() {
            self.read_plugin_versions(item, parent)
        } else if item.get("list").is_some() {
            self.read_list(item, parent)
        } else if item.get("macro").is_some() {
            self.read_macro(item, parent)
        } else if item.get("rule").is_some() {
            self.read_rule(item, parent)
        } else {
            let ctx = self.child(parent, it::RULES_CONTENT_ITEM, "", item.span);
            let keys = first_key(item);
            let hint =
                keys.and_then(|k| suggest(k, ["rule", "macro", "list", "required_engine_version"]));
            let d = self.warn(
                Code::UnknownItem,
                "Unknown top level item",
                item_key_span(item),
                &ctx,
            );
            if let Some(h) = hint {
                d.help = Some(format!("did you mean `{h}`?"));
            }
            Ok(())
        }
    }

    fn read_engine_version(&mut self, item: &Node, parent: &Ctx) -> Res<()> {
        let ctx = self.child(parent, it::REQUIRED_ENGINE_VERSION, "", item.span);
        self.check_unknown_keys(item, &["required_engine_version"], &ctx);
        let Some(t) = self.decode_str(item, "required_engine_version", &ctx, false)? else {
            return Ok(());
        };
        let v = match parse_yaml_u32(t.as_str()) {
            Some(n) => Version(0, n, 0),
            None => Version::parse(t.as_str()).ok_or_else(|| {
                self.invalid(
                    format!(
                        "Unable to parse engine version '{}' as a semver string. Expected \"x.y.z\" semver format.",
                        t.as_str()
                    ),
                    t.span,
                    &ctx,
                )
            })?,
        };
        let engine = self.opts.engine_version;
        if !engine.satisfies(v) {
            return Err(self
                .err(
                    Code::EngineVersion,
                    format!("Rules require engine version {v}, but engine version is {engine}"),
                    t.span,
                    &ctx,
                )
                .with_help("pass `--engine-version` to lint for a newer Falco"));
        }
        self.coll.required_engine_version = self.coll.required_engine_version.max(Some(v));
        Ok(())
    }

    fn read_plugin_versions(&mut self, item: &Node, parent: &Ctx) -> Res<()> {
        let Some(reqs) = item.get("required_plugin_versions") else {
            return Ok(());
        };
        let ctx = self.child(parent, it::REQUIRED_PLUGIN_VERSIONS, "", reqs.span);
        self.check_unknown_keys(item, &["required_plugin_versions"], &ctx);
        let NodeKind::Seq(entries) = &reqs.kind else {
            return Err(self.invalid(
                "Value of required_plugin_versions must be a sequence",
                reqs.span,
                &ctx,
            ));
        };
        for plugin in entries {
            let tmp = self.child(&ctx, it::REQUIRED_PLUGIN_VERSIONS_ENTRY, "", plugin.span);
            if !matches!(plugin.kind, NodeKind::Map(_)) {
                return Err(self.invalid("Plugin version must be a mapping", plugin.span, &tmp));
            }
            let name = self
                .decode_str(plugin, "name", &tmp, false)?
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default();
            let pctx = self.child(&ctx, it::REQUIRED_PLUGIN_VERSIONS_ENTRY, &name, plugin.span);
            let version = self.decode_str(plugin, "version", &pctx, false)?;
            let mut alternatives = vec![(name, version)];
            if let Some(alts) = plugin.get("alternatives") {
                let NodeKind::Seq(alts) = &alts.kind else {
                    return Err(self.invalid(
                        "Value of plugin version alternatives must be a sequence",
                        alts.span,
                        &pctx,
                    ));
                };
                for alt in alts {
                    let tmp = self.child(
                        &pctx,
                        it::REQUIRED_PLUGIN_VERSIONS_ALTERNATIVE,
                        "",
                        alt.span,
                    );
                    if !matches!(alt.kind, NodeKind::Map(_)) {
                        return Err(self.invalid(
                            "Plugin version alternative must be a mapping",
                            alt.span,
                            &tmp,
                        ));
                    }
                    let name = self
                        .decode_str(alt, "name", &tmp, false)?
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default();
                    let actx = self.child(
                        &pctx,
                        it::REQUIRED_PLUGIN_VERSIONS_ALTERNATIVE,
                        &name,
                        alt.span,
                    );
                    let version = self.decode_str(alt, "version", &actx, false)?;
                    alternatives.push((name, version));
                }
            }
            self.define_plugin_requirement(alternatives, plugin.span, &pctx)?;
        }
        Ok(())
    }

    fn define_plugin_requirement(
        &mut self,
        alts: Vec<(String, Option<Text>)>,
        span: Span,
        ctx: &Ctx,
    ) -> Res<()> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (name, version) in alts {
            let (vtext, vspan) =
                version.map_or((String::new(), span), |t| (t.as_str().to_owned(), t.span));
            if Version::parse(&vtext).is_none() {
                return Err(self.err(
                    Code::PluginRequirement,
                    format!("Invalid required version '{vtext}' for plugin '{name}'"),
                    vspan,
                    ctx,
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(self.err(
                    Code::PluginRequirement,
                    format!(
                        "Defined multiple alternative version requirements for plugin '{name}'"
                    ),
                    span,
                    ctx,
                ));
            }
            out.push((name, vtext));
        }
        self.coll.plugin_requirements.push(PluginRequirement {
            alternatives: out,
            span,
            ctx: ctx.clone(),
        });
        Ok(())
    }

    // ----- lists (§1.4) --------------------------------------------------------------------

    /// Name, context, name check and unknown keys of a list or macro item.
    fn named_item(
        &mut self,
        item: &Node,
        parent: &Ctx,
        kind: &NamedKind,
    ) -> Res<Option<(Text, Ctx)>> {
        let tmp = self.child(parent, kind.item_type, "", item.span);
        let Some(name) = self.decode_str(item, kind.key, &tmp, false)? else {
            return Ok(None);
        };
        let ctx = self.child(parent, kind.item_type, name.as_str(), item.span);
        if !(kind.name_ok)(name.as_str()) {
            self.warn(kind.invalid_code, kind.invalid_message, name.span, &ctx)
                .help = Some(kind.invalid_help.into());
        }
        self.check_unknown_keys(item, kind.keys, &ctx);
        Ok(Some((name, ctx)))
    }

    /// Whether a list or macro item appends (`append: true` or `override: {key: append}`),
    /// with the deprecation warning and the conflict check.
    fn append_mode(&mut self, item: &Node, ctx: &Ctx, key: &str) -> Res<bool> {
        let append = self
            .decode_bool(item, "append", ctx, true)?
            .unwrap_or(false);
        if append {
            self.warn(
                Code::DeprecatedItem,
                WARNING_APPEND,
                append_key_span(item),
                ctx,
            )
            .help = Some(format!("use `override: {{{key}: append}}`"));
        }
        let ov = self.decode_overrides(item, &[key], &[key], ctx)?;
        if append && !ov.is_empty() {
            return Err(self.invalid(ERROR_OVERRIDE_APPEND, item.span, ctx));
        }
        Ok(append || ov.append.contains(key))
    }

    fn read_list(&mut self, item: &Node, parent: &Ctx) -> Res<()> {
        let Some((name, ctx)) = self.named_item(item, parent, &LIST_KIND)? else {
            return Ok(());
        };
        let items = self
            .decode_seq(item, "items", &ctx, false)?
            .unwrap_or_default();
        let append = self.append_mode(item, &ctx, "items")?;
        let name_s = name.as_str().to_owned();
        if append {
            let Some(&i) = self.coll.list_ids.get(&name_s) else {
                return Err(self.err(
                    Code::Validate,
                    "List uses 'append' or 'override.items: append' but no list by that name already exists",
                    name.span,
                    &ctx,
                ));
            };
            let seq = self.coll.next_seq();
            let l = &mut self.coll.lists[i];
            l.items.extend(items);
            l.visibility = seq;
            return Ok(());
        }
        let seq = self.coll.next_seq();
        let info = ListInfo {
            name: name_s.clone(),
            items,
            index: seq,
            visibility: seq,
            span: item.span,
            name_span: name.span,
            ctx,
            used: false,
        };
        define(
            &mut self.coll.lists,
            &mut self.coll.list_ids,
            name_s,
            info,
            |old, new| new.index = old.index,
        );
        Ok(())
    }

    // ----- macros (§1.5) -------------------------------------------------------------------

    fn read_macro(&mut self, item: &Node, parent: &Ctx) -> Res<()> {
        let Some((name, ctx)) = self.named_item(item, parent, &MACRO_KIND)? else {
            return Ok(());
        };
        let cond = self.decode_str(item, "condition", &ctx, false)?;
        let cond_ctx = item.get("condition").map_or_else(
            || ctx.clone(),
            |n| self.child(&ctx, it::MACRO_CONDITION, "", n.span),
        );
        let append = self.append_mode(item, &ctx, "condition")?;
        let cond = cond.map(|t| t.text).unwrap_or_default();
        let name_s = name.as_str().to_owned();
        if append {
            let Some(&i) = self.coll.macro_ids.get(&name_s) else {
                return Err(self.err(
                    Code::Validate,
                    "Macro uses 'append' or 'override.condition: append' but no macro by that name already exists",
                    name.span,
                    &ctx,
                ));
            };
            let seq = self.coll.next_seq();
            let m = &mut self.coll.macros[i];
            m.cond.push_synthetic(" ");
            m.cond.push(&cond);
            m.visibility = seq;
            return Ok(());
        }
        let seq = self.coll.next_seq();
        let info = MacroInfo {
            name: name_s.clone(),
            cond,
            cond_ctx,
            index: seq,
            visibility: seq,
            span: item.span,
            name_span: name.span,
            ctx,
            used: false,
        };
        define(
            &mut self.coll.macros,
            &mut self.coll.macro_ids,
            name_s,
            info,
            |old, new| new.index = old.index,
        );
        Ok(())
    }

    // ----- rules (§1.6, §1.9) --------------------------------------------------------------

    fn read_rule(&mut self, item: &Node, parent: &Ctx) -> Res<()> {
        let tmp = self.child(parent, it::RULE, "", item.span);
        let Some(name) = self.decode_str(item, "rule", &tmp, false)? else {
            return Ok(());
        };
        let ctx = self.child(parent, it::RULE, name.as_str(), item.span);
        self.check_unknown_keys(item, RULE_KEYS, &ctx);
        let has_append_flag = self
            .decode_bool(item, "append", &ctx, true)?
            .unwrap_or(false);
        if has_append_flag {
            self.warn(
                Code::DeprecatedItem,
                WARNING_APPEND,
                append_key_span(item),
                &ctx,
            )
            .help = Some("use `override:` with an `append` entry per key".into());
        }
        let ov = self.decode_overrides(item, RULE_APPENDABLE, RULE_REPLACEABLE, &ctx)?;
        if has_append_flag && !ov.is_empty() {
            return Err(self.invalid(ERROR_OVERRIDE_APPEND, item.span, &ctx));
        }
        if !ov.is_empty() {
            self.read_rule_overrides(item, &name, &ov, &ctx)
        } else if has_append_flag {
            let mut upd = RuleUpdate::default();
            if item.get("condition").is_some() {
                upd.cond = self.decode_str(item, "condition", &ctx, false)?;
            }
            if item.get("exceptions").is_some() {
                upd.exceptions = Some(self.read_exceptions(item, &ctx, true)?);
            }
            let source = self.optional_source(item)?;
            self.rule_append(&name, upd, source, item, &ctx)
        } else if ["condition", "output", "desc", "priority"]
            .iter()
            .all(|k| item.get(k).is_none())
        {
            let enabled = self
                .decode_bool(item, "enabled", &ctx, false)?
                .unwrap_or(true);
            self.warn(
                Code::DeprecatedItem,
                WARNING_ENABLED,
                item_key_span(item),
                &ctx,
            )
            .help = Some("add `override: {enabled: replace}`".into());
            let Some(&i) = self.coll.rule_ids.get(name.as_str()) else {
                return Err(self.err(
                    Code::Validate,
                    "Rule has 'enabled' key but no rule by that name already exists",
                    name.span,
                    &ctx,
                ));
            };
            self.coll.rules[i].enabled = enabled;
            Ok(())
        } else {
            self.read_full_rule(item, &name, ctx)
        }
    }

    fn optional_source(&self, item: &Node) -> Res<Option<Text>> {
        Ok(item
            .get("source")
            .and_then(|n| self.text(n))
            .filter(|t| !t.as_str().is_empty()))
    }

    fn read_full_rule(&mut self, item: &Node, name: &Text, ctx: Ctx) -> Res<()> {
        let cond = self
            .decode_str(item, "condition", &ctx, false)?
            .unwrap_or_else(|| empty_text(item.span));
        let cond_ctx = self.child(&ctx, it::RULE_CONDITION, "", cond.span);
        let output = self
            .decode_str(item, "output", &ctx, false)?
            .unwrap_or_else(|| empty_text(item.span));
        let desc = self
            .decode_str(item, "desc", &ctx, false)?
            .unwrap_or_else(|| empty_text(item.span));
        let prio = self
            .decode_str(item, "priority", &ctx, false)?
            .unwrap_or_else(|| empty_text(item.span));
        let priority = self.parse_priority(&prio, &ctx)?;
        let source = self.decode_str(item, "source", &ctx, true)?;
        let info = RuleInfo {
            name: name.as_str().to_owned(),
            cond: cond.text,
            cond_ctx,
            output: output.text.trimmed(),
            output_span: Some(output.span),
            desc: desc.as_str().to_owned(),
            priority,
            source: source
                .as_ref()
                .map_or_else(|| "syscall".to_owned(), |s| s.as_str().to_owned()),
            source_explicit: source.is_some(),
            enabled: self
                .decode_bool(item, "enabled", &ctx, true)?
                .unwrap_or(true),
            warn_evttypes: self
                .decode_bool(item, "warn_evttypes", &ctx, true)?
                .unwrap_or(true),
            skip_if_unknown_filter: self
                .decode_bool(item, "skip-if-unknown-filter", &ctx, true)?
                .unwrap_or(false),
            capture: self
                .decode_bool(item, "capture", &ctx, true)?
                .unwrap_or(false),
            capture_duration: self
                .decode_u32(item, "capture_duration", &ctx, true)?
                .unwrap_or(0),
            tags: self.decode_tags(item, &ctx)?.unwrap_or_default(),
            exceptions: self.read_exceptions(item, &ctx, false)?,
            index: 0,
            visibility: 0,
            span: item.span,
            name_span: name.span,
            ctx,
        };
        // Collector: define.
        if let Some(&i) = self.coll.rule_ids.get(&info.name) {
            let prev = &self.coll.rules[i];
            if prev.source_explicit && info.source_explicit && prev.source != info.source {
                return Err(self
                    .err(
                        Code::Validate,
                        "Rule has been re-defined with a different source",
                        name.span,
                        &info.ctx,
                    )
                    .with_label(
                        prev.name_span,
                        format!("first defined here with source `{}`", prev.source),
                    ));
            }
        }
        for ex in &info.exceptions {
            self.validate_exception(ex)?;
        }
        let seq = self.coll.next_seq();
        let info = RuleInfo {
            index: seq,
            visibility: seq,
            ..info
        };
        let name = info.name.clone();
        define(
            &mut self.coll.rules,
            &mut self.coll.rule_ids,
            name,
            info,
            |old, new| new.index = old.index,
        );
        Ok(())
    }

    fn parse_priority(&self, prio: &Text, ctx: &Ctx) -> Res<Priority> {
        Priority::parse(prio.as_str()).ok_or_else(|| {
            let prictx = self.child(ctx, it::RULE_PRIORITY, "", prio.span);
            let mut e = self.invalid("Invalid priority", prio.span, &prictx);
            let lower = prio.as_str().to_ascii_lowercase();
            let guess = match lower.as_str() {
                "warn" => Some("WARNING"),
                "err" => Some("ERROR"),
                "crit" => Some("CRITICAL"),
                "emerg" => Some("EMERGENCY"),
                "information" => Some("INFORMATIONAL"),
                _ => suggest(&lower, Priority::NAMES.iter().copied()).and_then(Priority::parse).map(|p| match p {
                    Priority::Emergency => "EMERGENCY",
                    Priority::Alert => "ALERT",
                    Priority::Critical => "CRITICAL",
                    Priority::Error => "ERROR",
                    Priority::Warning => "WARNING",
                    Priority::Notice => "NOTICE",
                    Priority::Informational => "INFORMATIONAL",
                    Priority::Debug => "DEBUG",
                }),
            };
            if let Some(g) = guess {
                e = e.with_fix(prio.span, g, format!("did you mean `{g}`?"));
            }
            e.with_note("valid priorities: EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL (INFO), DEBUG")
        })
    }

    fn read_rule_overrides(
        &mut self,
        item: &Node,
        name: &Text,
        ov: &Overrides,
        ctx: &Ctx,
    ) -> Res<()> {
        let mut expected: BTreeSet<&str> = RULE_OVERRIDE_ORDER
            .iter()
            .copied()
            .filter(|k| item.get(k).is_some())
            .collect();
        let source = self.optional_source(item)?;
        for (kind, keys) in [("append", &ov.append), ("replace", &ov.replace)] {
            if keys.is_empty() {
                continue;
            }
            let mut upd = RuleUpdate::default();
            for &key in RULE_OVERRIDE_ORDER {
                if !keys.contains(key) {
                    continue;
                }
                if !expected.remove(key) {
                    return Err(self.invalid(
                        format!("An {kind} override for '{key}' was specified but '{key}' is not defined"),
                        override_key_span(item, key).unwrap_or(item.span),
                        ctx,
                    ));
                }
                self.decode_update_key(item, key, &mut upd, ctx, kind == "append")?;
            }
            if kind == "append" {
                self.rule_append(name, upd, source.clone(), item, ctx)?;
            } else {
                self.rule_replace(name, upd, source.clone(), item, ctx)?;
            }
        }
        if let Some(key) = RULE_OVERRIDE_ORDER.iter().find(|k| expected.contains(*k)) {
            let node = item.get(key).map_or(item.span, |n| n.span);
            let keyctx = self.child(ctx, it::OVERRIDE, key, node);
            return Err(self
                .invalid(format!("Unexpected key '{key}': no corresponding entry under 'override' is defined."), key_span(item, key).unwrap_or(node), &keyctx)
                .with_help(format!("add `{key}: append` or `{key}: replace` under `override`")));
        }
        Ok(())
    }

    fn decode_update_key(
        &mut self,
        item: &Node,
        key: &str,
        upd: &mut RuleUpdate,
        ctx: &Ctx,
        append: bool,
    ) -> Res<()> {
        match key {
            "condition" => upd.cond = self.decode_str(item, key, ctx, false)?,
            "exceptions" => upd.exceptions = Some(self.read_exceptions(item, ctx, true)?),
            "output" => upd.output = self.decode_str(item, key, ctx, false)?,
            "desc" => upd.desc = self.decode_str(item, key, ctx, false)?,
            "tags" => upd.tags = self.decode_tags(item, ctx)?,
            "priority" if !append => {
                let p = self
                    .decode_str(item, key, ctx, false)?
                    .unwrap_or_else(|| empty_text(item.span));
                upd.priority = Some(self.parse_priority(&p, ctx)?);
            }
            "enabled" => upd.enabled = self.decode_bool(item, key, ctx, false)?,
            "warn_evttypes" => upd.warn_evttypes = self.decode_bool(item, key, ctx, false)?,
            "skip-if-unknown-filter" => {
                upd.skip_if_unknown_filter = self.decode_bool(item, key, ctx, false)?
            }
            "capture" => upd.capture = self.decode_bool(item, key, ctx, false)?,
            "capture_duration" => upd.capture_duration = self.decode_u32(item, key, ctx, false)?,
            _ => {}
        }
        Ok(())
    }

    fn check_same_source(&self, i: usize, source: Option<&Text>, ctx: &Ctx) -> Res<()> {
        let prev = &self.coll.rules[i];
        if let Some(s) = source {
            if s.as_str() != prev.source {
                return Err(self
                    .err(
                        Code::Validate,
                        "Rule has been re-defined with a different source",
                        s.span,
                        ctx,
                    )
                    .with_label(
                        prev.name_span,
                        format!("defined here with source `{}`", prev.source),
                    ));
            }
        }
        Ok(())
    }

    fn rule_append(
        &mut self,
        name: &Text,
        upd: RuleUpdate,
        source: Option<Text>,
        item: &Node,
        ctx: &Ctx,
    ) -> Res<()> {
        let Some(&i) = self.coll.rule_ids.get(name.as_str()) else {
            return Err(self.err(
                Code::Validate,
                "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists",
                name.span,
                ctx,
            ));
        };
        self.check_same_source(i, source.as_ref(), ctx)?;
        if upd.cond.is_none()
            && upd.exceptions.is_none()
            && upd.output.is_none()
            && upd.desc.is_none()
            && upd.tags.is_none()
        {
            return Err(self.err(
                Code::Validate,
                "Appended rule must have exceptions or condition property",
                item.span,
                ctx,
            ));
        }
        // Exceptions first: validation may fail before anything is changed.
        let mut new_exceptions = Vec::new();
        for ex in upd.exceptions.unwrap_or_default() {
            let prev = &self.coll.rules[i];
            if let Some(pos) = prev.exceptions.iter().position(|p| p.name == ex.name) {
                if ex.fields.is_some() {
                    return Err(self.err(
                        Code::ExceptionInvalid,
                        "Can not append exception fields to existing exception, only values",
                        ex.span,
                        &ex.ctx,
                    ));
                }
                if ex.comps.is_some() {
                    return Err(self.err(
                        Code::ExceptionInvalid,
                        "Can not append exception comps to existing exception, only values",
                        ex.span,
                        &ex.ctx,
                    ));
                }
                new_exceptions.push((Some(pos), ex));
            } else {
                if ex.fields.is_none() {
                    return Err(self.err(
                        Code::ExceptionInvalid,
                        "Rule exception must have fields property with a list of fields",
                        ex.span,
                        &ex.ctx,
                    ));
                }
                if ex.values.is_empty() {
                    return Err(self.err(
                        Code::ExceptionInvalid,
                        "Rule exception must have values property with a list of values",
                        ex.span,
                        &ex.ctx,
                    ));
                }
                self.validate_exception(&ex)?;
                new_exceptions.push((None, ex));
            }
        }
        let seq = self.coll.next_seq();
        let r = &mut self.coll.rules[i];
        if let Some(c) = upd.cond.filter(|c| !c.as_str().is_empty()) {
            r.cond.push_synthetic(" ");
            r.cond.push(&c.text);
        }
        if let Some(o) = upd.output.filter(|c| !c.as_str().is_empty()) {
            r.output.push_synthetic(" ");
            r.output.push(&o.text.trimmed());
        }
        if let Some(d) = upd.desc.filter(|c| !c.as_str().is_empty()) {
            r.desc.push(' ');
            r.desc.push_str(d.as_str());
        }
        if let Some(t) = upd.tags {
            r.tags.extend(t);
        }
        for (pos, ex) in new_exceptions {
            match pos {
                Some(p) => r.exceptions[p].values.extend(ex.values),
                None => r.exceptions.push(ex),
            }
        }
        r.visibility = seq;
        Ok(())
    }

    fn rule_replace(
        &mut self,
        name: &Text,
        upd: RuleUpdate,
        source: Option<Text>,
        item: &Node,
        ctx: &Ctx,
    ) -> Res<()> {
        let Some(&i) = self.coll.rule_ids.get(name.as_str()) else {
            return Err(self.err(
                Code::Validate,
                "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists",
                name.span,
                ctx,
            ));
        };
        self.check_same_source(i, source.as_ref(), ctx)?;
        if upd.is_empty() {
            return Err(self.err(
                Code::Validate,
                "The rule must have at least one field that can be replaced",
                item.span,
                ctx,
            ));
        }
        let seq = self.coll.next_seq();
        let r = &mut self.coll.rules[i];
        if let Some(c) = upd.cond {
            r.cond = c.text;
            r.cond_ctx = ctx.child(it::RULE_CONDITION, "", self.src, c.span);
        }
        if let Some(o) = upd.output {
            r.output = o.text.trimmed();
            r.output_span = Some(o.span);
        }
        if let Some(d) = upd.desc {
            r.desc = d.as_str().to_owned();
        }
        if let Some(t) = upd.tags {
            r.tags = t;
        }
        if let Some(e) = upd.exceptions {
            r.exceptions = e;
        }
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = upd.$f { r.$f = v; } )* };
        }
        set!(
            priority,
            enabled,
            warn_evttypes,
            skip_if_unknown_filter,
            capture,
            capture_duration
        );
        r.visibility = seq;
        Ok(())
    }

    // ----- exceptions (§1.10) --------------------------------------------------------------

    fn read_exceptions(
        &mut self,
        item: &Node,
        parent: &Ctx,
        append: bool,
    ) -> Res<Vec<ExceptionInfo>> {
        let mut out: Vec<ExceptionInfo> = Vec::new();
        let Some(exs) = item.get("exceptions") else {
            return Ok(out);
        };
        if exs.is_null() {
            return Ok(out);
        }
        let exes_ctx = self.child(parent, it::EXCEPTIONS, "", exs.span);
        let NodeKind::Seq(list) = &exs.kind else {
            return Err(self.invalid("Rule exceptions must be a sequence", exs.span, &exes_ctx));
        };
        for ex in list {
            let tmp = self.child(&exes_ctx, it::EXCEPTION, "", ex.span);
            if !matches!(ex.kind, NodeKind::Map(_)) {
                return Err(self.invalid("Rule exception must be a mapping", ex.span, &tmp));
            }
            let name = self
                .decode_str(ex, "name", &tmp, false)?
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default();
            let ex_ctx = self.child(parent, it::EXCEPTION, &name, ex.span);
            if let Some(prev) = out.iter().find(|e| e.name == name) {
                let prev_span = prev.span;
                self.warn(
                    Code::ExceptionNameNotUnique,
                    format!("Multiple definitions of exception '{name}' in the same rule"),
                    ex.get("name").map_or(ex.span, |n| n.span),
                    &ex_ctx,
                )
                .labels
                .push(crate::diag::Label {
                    span: prev_span,
                    message: "first defined here".into(),
                });
            }
            let fields = self.decode_entry_key(ex, "fields", &ex_ctx, append)?;
            let comps = self.decode_entry_key(ex, "comps", &ex_ctx, true)?;
            let mut values = Vec::new();
            if let Some(vals) = ex.get("values") {
                let vctx = self.child(&ex_ctx, it::EXCEPTION_VALUES, "", vals.span);
                let NodeKind::Seq(vs) = &vals.kind else {
                    return Err(self.invalid(
                        "Rule exception values must be a sequence",
                        vals.span,
                        &vctx,
                    ));
                };
                for v in vs {
                    let ectx = || self.child(&vctx, it::EXCEPTION_VALUE, "", v.span);
                    values.push(self.decode_entry(v, &ectx)?);
                }
            } else if append {
                self.warn(
                    Code::AppendNoValues,
                    "Overriding/appending exception with no values",
                    ex.span,
                    &ex_ctx,
                );
            }
            out.push(ExceptionInfo {
                name,
                fields,
                comps,
                values,
                span: ex.span,
                ctx: ex_ctx,
            });
        }
        Ok(out)
    }

    fn decode_entry_key(
        &self,
        ex: &Node,
        key: &str,
        ctx: &Ctx,
        optional: bool,
    ) -> Res<Option<Entry>> {
        let Some(val) = ex.get(key) else {
            if optional {
                return Ok(None);
            }
            return Err(self.invalid(
                format!("Item has no mapping for key '{key}'"),
                item_key_span(ex),
                ctx,
            ));
        };
        let vctx = || self.child(ctx, it::VALUE_FOR, key, val.span);
        self.decode_entry(val, &vctx).map(Some)
    }

    /// An exception entry; `ctx` builds the context chain only when an error needs it.
    fn decode_entry(&self, val: &Node, ctx: &dyn Fn() -> Ctx) -> Res<Entry> {
        match &val.kind {
            NodeKind::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    let lctx = || self.child(&ctx(), it::EXCEPTION, "", v.span);
                    out.push(self.decode_entry(v, &lctx)?);
                }
                Ok(Entry::List(out, val.span))
            }
            NodeKind::Scalar(s) if !s.is_null() => {
                if s.value.is_empty() {
                    return Err(self.invalid("Value must be non-empty", val.span, &ctx()));
                }
                Ok(Entry::Scalar(Text {
                    text: MappedText::from_scalar(self.file, s),
                    span: val.span,
                }))
            }
            // Null or mapping: neither scalar nor list, an invalid (empty) entry as in Falco.
            _ => Ok(Entry::Scalar(empty_text(val.span))),
        }
    }

    /// Collector-side validation of a defined or newly appended exception.
    fn validate_exception(&self, ex: &ExceptionInfo) -> Res<()> {
        let e = |msg: &str, span: Span| self.err(Code::ExceptionInvalid, msg, span, &ex.ctx);
        let fields_ok = match &ex.fields {
            Some(Entry::List(l, _)) => !l.is_empty(),
            Some(Entry::Scalar(t)) => !t.as_str().is_empty(),
            None => false,
        };
        if !fields_ok {
            return Err(e(
                "Rule exception item must have fields property with a list of fields",
                ex.span,
            )
            .with_help("add `fields: [proc.name]` (one field per value column)"));
        }
        match (&ex.fields, &ex.comps) {
            (Some(Entry::List(fields, _)), comps) => {
                // A scalar comps with tuple fields counts as an empty list (Falco: length mismatch).
                let comps: Vec<&Entry> = match comps {
                    Some(Entry::List(c, _)) => c.iter().collect(),
                    Some(Entry::Scalar(t)) if !t.as_str().is_empty() => {
                        return Err(e("Fields and comps lists must have equal length", t.span));
                    }
                    _ => Vec::new(),
                };
                if comps.is_empty() {
                    return Ok(());
                }
                if comps.len() != fields.len() {
                    let span = ex.comps.as_ref().map_or(ex.span, Entry::span);
                    return Err(e("Fields and comps lists must have equal length", span)
                        .with_note(format!("{} fields, {} comps", fields.len(), comps.len())));
                }
                for c in comps {
                    let Entry::Scalar(t) = c else {
                        return Err(e("'' is not a supported comparison operator", c.span()));
                    };
                    if !is_exception_comp(t.as_str().trim()) {
                        return Err(e(
                            &format!(
                                "'{}' is not a supported comparison operator",
                                t.as_str().trim()
                            ),
                            t.span,
                        ));
                    }
                }
                Ok(())
            }
            (Some(Entry::Scalar(_)), Some(comps)) => {
                let Entry::Scalar(c) = comps else {
                    return Err(e("Fields and comps must both be strings", comps.span()));
                };
                let op = c.as_str().trim();
                if op.is_empty()
                    || matches!(op, "in" | "pmatch" | "intersects")
                    || is_modified_op(op)
                {
                    Ok(())
                } else {
                    Err(e("When fields is a single value, comps must be one of (in, pmatch, intersects) or a modifier operator (e.g. startswith oneof)", c.span))
                }
            }
            _ => Ok(()),
        }
    }
}

/// Defines or redefines a named record, keeping the original index (and what `keep` copies).
fn define<T>(
    vec: &mut Vec<T>,
    ids: &mut rustc_hash::FxHashMap<String, usize>,
    name: String,
    mut info: T,
    keep: impl FnOnce(&T, &mut T),
) {
    if let Some(&i) = ids.get(&name) {
        keep(&vec[i], &mut info);
        vec[i] = info;
    } else {
        ids.insert(name, vec.len());
        vec.push(info);
    }
}

fn empty_text(span: Span) -> Text {
    Text {
        text: MappedText::default(),
        span: Span::point(span.file, span.start),
    }
}

/// Span of the first key of a mapping item (where Falco's mark for the item points).
fn item_key_span(item: &Node) -> Span {
    match &item.kind {
        NodeKind::Map(pairs) => pairs.first().map_or(item.span, |(k, _)| k.span),
        _ => item.span,
    }
}

fn first_key(item: &Node) -> Option<&str> {
    match &item.kind {
        NodeKind::Map(pairs) => pairs
            .first()
            .and_then(|(k, _)| k.as_scalar())
            .map(|s| s.value.as_str()),
        _ => None,
    }
}

fn key_span(item: &Node, key: &str) -> Option<Span> {
    match &item.kind {
        NodeKind::Map(pairs) => pairs
            .iter()
            .find(|(k, _)| k.as_scalar().is_some_and(|s| s.value == key))
            .map(|(k, _)| k.span),
        _ => None,
    }
}

fn append_key_span(item: &Node) -> Span {
    key_span(item, "append").unwrap_or(item.span)
}

fn override_key_span(item: &Node, key: &str) -> Option<Span> {
    item.get("override").and_then(|o| key_span(o, key))
}

/// yaml-cpp's boolean conversion: y/n, yes/no, true/false, on/off in lower, UPPER or Title case.
pub fn parse_yaml_bool(s: &str) -> Option<bool> {
    const PAIRS: [(&str, &str); 4] = [("y", "n"), ("yes", "no"), ("true", "false"), ("on", "off")];
    let lower = s.to_ascii_lowercase();
    let cased_ok = s == lower || s == s.to_ascii_uppercase() || {
        let mut c = s.chars();
        c.next().is_some_and(|f| f.is_ascii_uppercase()) && c.as_str() == &lower[1..]
    };
    if !cased_ok {
        return None;
    }
    PAIRS.iter().find_map(|(t, f)| {
        if lower == *t {
            Some(true)
        } else if lower == *f {
            Some(false)
        } else {
            None
        }
    })
}

/// An unsigned 32-bit integer as yaml-cpp reads one (decimal, optional `+`, or `0x`/`0o`).
pub fn parse_yaml_u32(s: &str) -> Option<u32> {
    let s = s.strip_prefix('+').unwrap_or(s);
    if let Some(h) = s.strip_prefix("0x") {
        return u32::from_str_radix(h, 16).ok();
    }
    if let Some(o) = s.strip_prefix("0o") {
        return u32::from_str_radix(o, 8).ok();
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Full match of the identifier regex `[a-zA-Z]+[a-zA-Z0-9_]*`.
pub fn is_identifier(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic())
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Full match of the bare-string regex `[^()"'[:space:]=,]+`.
pub fn is_bare_string(s: &str) -> bool {
    !s.is_empty()
        && !s.bytes().any(|c| {
            matches!(
                c,
                b'(' | b')'
                    | b'"'
                    | b'\''
                    | b'='
                    | b','
                    | b' '
                    | b'\t'
                    | b'\n'
                    | b'\r'
                    | 0x0b
                    | 0x0c
            )
        })
}

const COMPARISON_OPS: &[&str] = &[
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "exists",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "glob",
    "iglob",
    "regex",
    "in",
    "intersects",
    "pmatch",
];
const MODIFIABLE_OPS: &[&str] = &[
    "=",
    "==",
    "!=",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "glob",
    "iglob",
    "regex",
];

/// `⟨op⟩ ⟨mod⟩` with exactly one space, e.g. `startswith oneof`.
pub fn is_modified_op(s: &str) -> bool {
    s.split_once(' ').is_some_and(|(op, m)| {
        MODIFIABLE_OPS.contains(&op) && matches!(m, "oneof" | "anyof" | "allof")
    })
}

/// An operator accepted in the `comps` of a tuple exception.
pub fn is_exception_comp(s: &str) -> bool {
    COMPARISON_OPS.contains(&s) || is_modified_op(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_bools_follow_yaml_cpp() {
        for t in ["true", "True", "TRUE", "yes", "Y", "on", "On"] {
            assert_eq!(parse_yaml_bool(t), Some(true), "{t}");
        }
        for f in ["false", "NO", "off", "n"] {
            assert_eq!(parse_yaml_bool(f), Some(false), "{f}");
        }
        for bad in ["maybe", "tRue", "1", ""] {
            assert_eq!(parse_yaml_bool(bad), None, "{bad}");
        }
    }

    #[test]
    fn versions_parse_like_sscanf() {
        assert_eq!(Version::parse("0.57.0-rc1"), Some(Version(0, 57, 0)));
        assert_eq!(Version::parse("0.26"), None);
        assert!(Version(0, 62, 0).satisfies(Version(0, 57, 0)));
        assert!(!Version(0, 62, 0).satisfies(Version(1, 0, 0)));
    }

    #[test]
    fn name_regexes() {
        assert!(is_identifier("my_macro1"));
        assert!(!is_identifier("my-macro"));
        assert!(is_bare_string("my-list"));
        assert!(!is_bare_string("my list"));
    }
}
