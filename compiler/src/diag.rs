//! Diagnostics as data: a stable code, a message, a precise span, labels, notes and a fix.
//!
//! Rendering (ariadne, Falco JSON, SARIF, GitHub annotations, LSP) lives elsewhere; this
//! module only describes what went wrong and where. Every code has a stable id (`E0001`,
//! `W0001`, ...) and, where Falco has one, the Falco code name (`LOAD_UNUSED_MACRO`).

use crate::span::{SourceMap, Span};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The load fails (`successful: false` in Falco's result).
    Error,
    /// The load succeeds; reported in `warnings[]`.
    Warning,
}

impl Severity {
    /// Lowercase name: `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $id:literal, $sev:ident, $falco:literal, $short:literal, $long:literal; )*) => {
        /// Every diagnostic code the compiler can emit.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $variant, )* }

        impl Code {
            /// All codes, in id order.
            pub const ALL: &'static [Code] = &[ $( Code::$variant, )* ];

            /// Stable id such as `E0004` or `W0005`.
            pub fn id(self) -> &'static str { match self { $( Code::$variant => $id, )* } }

            /// Falco's code name (`LOAD_ERR_COMPILE_CONDITION`), or our own name for lints
            /// Falco does not have.
            pub fn falco_name(self) -> &'static str { match self { $( Code::$variant => $falco, )* } }

            /// Falco's short description of the code (verbatim where Falco has the code).
            pub fn short_description(self) -> &'static str { match self { $( Code::$variant => $short, )* } }

            /// A longer explanation (used as `codedesc` of warnings in Falco's JSON).
            pub fn long_description(self) -> &'static str { match self { $( Code::$variant => $long, )* } }

            /// Error or warning.
            pub fn severity(self) -> Severity { match self { $( Code::$variant => Severity::$sev, )* } }

            /// Looks a code up by id (`E0004`) or Falco name (`LOAD_UNUSED_LIST`).
            pub fn lookup(s: &str) -> Option<Code> {
                Code::ALL.iter().copied().find(|c| c.id().eq_ignore_ascii_case(s) || c.falco_name().eq_ignore_ascii_case(s))
            }
        }
    };
}

codes! {
    FileRead = "E0001", Error, "LOAD_ERR_FILE_READ", "File read error",
        "The rules file could not be read.";
    YamlParse = "E0002", Error, "LOAD_ERR_YAML_PARSE", "YAML parse error",
        "The rules file is not valid YAML.";
    YamlValidate = "E0003", Error, "LOAD_ERR_YAML_VALIDATE", "Error validating internal structure of YAML file",
        "The YAML is valid but does not have the structure of a rules file (missing, empty or mistyped keys, bad override entries, invalid priorities or versions).";
    ConditionSyntax = "E0004", Error, "LOAD_ERR_COMPILE_CONDITION", "Error compiling condition",
        "A rule or macro condition does not parse.";
    Validate = "E0005", Error, "LOAD_ERR_VALIDATE", "Error validating rule/macro/list/exception objects",
        "An item is inconsistent with the rest of the collection (append or override without a previous definition, different source on redefinition, enabled-only item without rule).";
    UndefinedMacro = "E0006", Error, "LOAD_ERR_VALIDATE", "Error validating rule/macro/list/exception objects",
        "A condition references a macro that is not defined, or not visible at that point of the load order.";
    MacroLoop = "E0007", Error, "LOAD_ERR_VALIDATE", "Error validating rule/macro/list/exception objects",
        "Macros reference each other in a cycle.";
    ExceptionInvalid = "E0008", Error, "LOAD_ERR_VALIDATE", "Error validating rule/macro/list/exception objects",
        "A rule exception is malformed (fields, comps and values do not fit together).";
    EngineVersion = "E0009", Error, "LOAD_ERR_VALIDATE", "Error validating rule/macro/list/exception objects",
        "The rules require a newer engine version than the one targeted.";
    PluginRequirement = "E0010", Error, "LOAD_ERR_VALIDATE", "Error validating rule/macro/list/exception objects",
        "A required_plugin_versions entry is invalid.";
    ConditionType = "E0011", Error, "LOAD_ERR_COMPILE_CONDITION", "Error compiling condition",
        "A rule condition parses but does not compile against the fields of its source: unknown field, operator not supported by the field type, invalid value or transformer.";
    CompileOutput = "E0012", Error, "LOAD_ERR_COMPILE_OUTPUT", "Error compiling output",
        "A rule output uses an unknown field or an invalid %-token.";
    UnknownSource = "W0001", Warning, "LOAD_UNKNOWN_SOURCE", "Unknown event source",
        "A rule specifies an event source that is not loaded; the rule is skipped.";
    UnsafeNaCheck = "W0002", Warning, "LOAD_UNSAFE_NA_CHECK", "Unsafe <NA> comparison in condition",
        "A condition compares a k8s audit field with the literal <NA>, which is the value shown for missing fields; the comparison is unreliable. Use exists or not exists instead.";
    NoEvttype = "W0003", Warning, "LOAD_NO_EVTTYPE", "Condition has no event-type restriction",
        "A rule condition matches too many evt.type values (or none). This has a significant performance penalty: every event must be evaluated against the rule. Add an evt.type restriction, or set warn_evttypes: false when this is intended.";
    UnknownFilter = "W0004", Warning, "LOAD_UNKNOWN_FILTER", "Unknown field or event-type in condition or output",
        "A rule with skip-if-unknown-filter: true uses a field or event type that is not known; the rule is skipped.";
    UnusedMacro = "W0005", Warning, "LOAD_UNUSED_MACRO", "Unused macro",
        "A macro is defined in the rules content but is not used by any other macro or rule.";
    UnusedList = "W0006", Warning, "LOAD_UNUSED_LIST", "Unused list",
        "A list is defined in the rules content but is not used by any other list, macro, or rule.";
    UnknownItem = "W0007", Warning, "LOAD_UNKNOWN_ITEM", "Unknown rules file item",
        "An item in the rules content is not a list, macro, rule or version requirement; it is ignored.";
    DeprecatedItem = "W0008", Warning, "LOAD_DEPRECATED_ITEM", "Used deprecated item",
        "The rules content uses a deprecated feature (append: true, a standalone enabled key, %container.info or a deprecated field); it may be removed in a future release.";
    AppendNoValues = "W0009", Warning, "LOAD_APPEND_NO_VALUES", "Overriding/appending with no values",
        "An exception is appended or overridden without values, so the override has no effect.";
    ExceptionNameNotUnique = "W0010", Warning, "LOAD_EXCEPTION_NAME_NOT_UNIQUE", "Multiple exceptions defined with the same name",
        "A rule defines several exceptions with the same name; names should be unique so they can be appended to.";
    InvalidMacroName = "W0011", Warning, "LOAD_INVALID_MACRO_NAME", "Invalid macro name",
        "A macro name is not a valid identifier, so no condition can reference it.";
    InvalidListName = "W0012", Warning, "LOAD_INVALID_LIST_NAME", "Invalid list name",
        "A list name contains characters that cannot appear in a bare string, so no condition can reference it.";
    CompileCondition = "W0013", Warning, "LOAD_COMPILE_CONDITION", "Warning in rule condition",
        "A rule condition compiles but contains a likely mistake.";
    UnknownKey = "W0014", Warning, "LOAD_UNKNOWN_KEY", "Unknown key in item definition",
        "An item has a key that is not known for its kind; the key is ignored.";
    NeverMatches = "W0015", Warning, "RULEC_NEVER_MATCHES", "Rule can never match",
        "The rule condition can never be true (contradictory evt.type restrictions or an empty literal list); the rule never fires.";
    ConstantMacro = "W0016", Warning, "RULEC_CONSTANT_MACRO", "Macro always evaluates the same",
        "The macro condition is constant (contradictory evt.type restrictions or an empty literal list), so every use of it is constant too.";
    ExceptionMatchesAll = "W0017", Warning, "RULEC_EXCEPTION_MATCHES_ALL", "Exception matches everything",
        "Every comparison of an exception value tuple is trivially true (glob *, regex .*, pmatch /), so the exception disables the rule wherever its fields exist.";
    DuplicateListItem = "W0018", Warning, "RULEC_DUPLICATE_LIST_ITEM", "Duplicate list item",
        "The same item appears twice in a list definition; the second one has no effect.";
    ShadowedRule = "W0019", Warning, "RULEC_SHADOWED_RULE", "Rule duplicates an earlier rule",
        "A rule has the same source, expanded condition and output as an earlier enabled rule, so it only produces duplicate alerts.";
    NewerPlugin = "W0020", Warning, "RULEC_NEWER_PLUGIN", "Plugin newer than the known field tables",
        "The rules require a plugin version newer than the one rulec's field tables were extracted from; fields added since are reported as unknown.";
}

/// A secondary span with its own message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A suggested edit: replace `span` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
    pub message: String,
}

/// One step of Falco's context chain (`rules content` > `rule 'x'` > `rule condition` ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// Falco's item type string, e.g. `rule`, `macro condition`, `condition expression`.
    pub item_type: &'static str,
    /// Item name, empty when none.
    pub item_name: String,
    /// Position name: the file name, or the quoted condition text for condition expressions.
    pub name: String,
    /// Falco's position (0-based YAML line/column, byte offset).
    pub line: u32,
    pub column: u32,
    pub offset: u32,
    /// The precise span this step stands for, when it is in a file.
    pub span: Option<Span>,
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    /// Falco's message text (verbatim where Falco has one).
    pub message: String,
    /// The exact place the diagnostic is about.
    pub span: Option<Span>,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    /// A short suggestion, rendered as `help: ...`.
    pub help: Option<String>,
    pub fix: Option<Fix>,
    /// Falco-compatible context chain; the first entry is always `rules content`.
    pub context: Vec<Location>,
    /// For deprecated-field warnings: the field name.
    pub deprecated_field: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a code, message and primary span.
    pub fn new(code: Code, message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            span,
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
            fix: None,
            context: Vec::new(),
            deprecated_field: None,
        }
    }

    /// Error or warning, from the code.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// Adds a secondary label.
    #[must_use]
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the help line.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets a machine-applicable fix.
    #[must_use]
    pub fn with_fix(
        mut self,
        span: Span,
        replacement: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.fix = Some(Fix {
            span,
            replacement: replacement.into(),
            message: message.into(),
        });
        self
    }

    /// Sets the Falco context chain.
    #[must_use]
    pub fn with_context(mut self, context: Vec<Location>) -> Self {
        self.context = context;
        self
    }

    /// The 1-based line and column of the primary span, for plain-text output.
    pub fn line_col(&self, sources: &SourceMap) -> Option<(u32, u32)> {
        let span = self.span?;
        let lc = sources.get(span.file).line_char_col(span.start);
        Some((lc.line + 1, lc.col + 1))
    }
}

/// A list of "did you mean" candidates closest to `word`, best first.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let max = (word.len() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= max)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

/// Levenshtein distance over bytes.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn code_ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.id()), "duplicate id {}", c.id());
            let prefix = if c.severity() == Severity::Error {
                'E'
            } else {
                'W'
            };
            assert!(
                c.id().starts_with(prefix) && c.id().len() == 5,
                "{}",
                c.id()
            );
            assert_eq!(Code::lookup(c.id()), Some(*c));
        }
    }

    #[test]
    fn suggest_finds_close_names() {
        assert_eq!(
            suggest("shell_binares", ["shell_binaries", "shell_mgmt"]),
            Some("shell_binaries")
        );
        assert_eq!(suggest("zzz", ["shell_binaries"]), None);
    }
}
