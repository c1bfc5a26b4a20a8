//! The vocabulary shared by the compiler front end, the IR and the runtime: comparison
//! operators ([`OpKind`], [`Modifier`]), transformers ([`TransformerName`]), rule priorities
//! ([`Priority`]) and versions ([`Version`]).

/// Binary comparison operators (`exists` is the unary check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OpKind {
    /// `=` or `==` (the condition AST's `Operator::text` keeps which one was written).
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `glob`
    Glob,
    /// `iglob`
    IGlob,
    /// `contains`
    Contains,
    /// `icontains`
    IContains,
    /// `bcontains`
    BContains,
    /// `startswith`
    StartsWith,
    /// `bstartswith`
    BStartsWith,
    /// `endswith`
    EndsWith,
    /// `regex`
    Regex,
    /// `in`
    In,
    /// `intersects`
    Intersects,
    /// `pmatch`
    PMatch,
}

impl OpKind {
    /// Canonical spelling (`=` for [`OpKind::Eq`]).
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Eq => "=",
            OpKind::Ne => "!=",
            OpKind::Lt => "<",
            OpKind::Le => "<=",
            OpKind::Gt => ">",
            OpKind::Ge => ">=",
            OpKind::Glob => "glob",
            OpKind::IGlob => "iglob",
            OpKind::Contains => "contains",
            OpKind::IContains => "icontains",
            OpKind::BContains => "bcontains",
            OpKind::StartsWith => "startswith",
            OpKind::BStartsWith => "bstartswith",
            OpKind::EndsWith => "endswith",
            OpKind::Regex => "regex",
            OpKind::In => "in",
            OpKind::Intersects => "intersects",
            OpKind::PMatch => "pmatch",
        }
    }

    /// Parses an operator spelling (`==` maps to [`OpKind::Eq`]).
    pub fn from_text(text: &str) -> Option<OpKind> {
        const ALL: [OpKind; 18] = [
            OpKind::Eq,
            OpKind::Ne,
            OpKind::Lt,
            OpKind::Le,
            OpKind::Gt,
            OpKind::Ge,
            OpKind::Glob,
            OpKind::IGlob,
            OpKind::Contains,
            OpKind::IContains,
            OpKind::BContains,
            OpKind::StartsWith,
            OpKind::BStartsWith,
            OpKind::EndsWith,
            OpKind::Regex,
            OpKind::In,
            OpKind::Intersects,
            OpKind::PMatch,
        ];
        if text == "==" {
            return Some(OpKind::Eq);
        }
        ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Numeric operators (`<`, `<=`, `>`, `>=`).
    pub fn is_numeric(self) -> bool {
        matches!(self, OpKind::Lt | OpKind::Le | OpKind::Gt | OpKind::Ge)
    }

    /// List operators (`in`, `intersects`, `pmatch`).
    pub fn is_list(self) -> bool {
        matches!(self, OpKind::In | OpKind::Intersects | OpKind::PMatch)
    }

    /// String operators (everything else); only these accept a modifier.
    pub fn is_string(self) -> bool {
        !self.is_numeric() && !self.is_list()
    }

    /// Word operators need a blank after them (`contains x`, not `containsx`).
    pub fn is_word(self) -> bool {
        self.as_str().bytes().all(|b| b.is_ascii_alphabetic())
    }
}

/// Comparison modifiers (`oneof`, `anyof`, `allof`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Modifier {
    /// Exactly one RHS value matches.
    OneOf,
    /// At least one RHS value matches.
    AnyOf,
    /// All RHS values match.
    AllOf,
}

impl Modifier {
    /// All modifiers in the order the parser tries them.
    pub const ALL: [Modifier; 3] = [Modifier::OneOf, Modifier::AnyOf, Modifier::AllOf];

    /// The modifier word.
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::OneOf => "oneof",
            Modifier::AnyOf => "anyof",
            Modifier::AllOf => "allof",
        }
    }
}

/// Transformer names (including `val`, which is only valid on the right-hand side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum TransformerName {
    /// `val(field)`: field-to-field comparison.
    Val,
    /// `tolower(x)`.
    ToLower,
    /// `toupper(x)`.
    ToUpper,
    /// `b64(x)`.
    B64,
    /// `basename(x)`.
    Basename,
    /// `len(x)`.
    Len,
    /// `join(sep, (list))`.
    Join,
    /// `concat(a, b, ...)`.
    Concat,
    /// `getopt(args, optstring)`.
    Getopt,
}

impl TransformerName {
    /// All names except `val`, in the order libs tries them.
    pub const TYPES: [TransformerName; 8] = [
        TransformerName::ToLower,
        TransformerName::ToUpper,
        TransformerName::B64,
        TransformerName::Basename,
        TransformerName::Len,
        TransformerName::Join,
        TransformerName::Concat,
        TransformerName::Getopt,
    ];

    /// The name as written.
    pub fn as_str(self) -> &'static str {
        match self {
            TransformerName::Val => "val",
            TransformerName::ToLower => "tolower",
            TransformerName::ToUpper => "toupper",
            TransformerName::B64 => "b64",
            TransformerName::Basename => "basename",
            TransformerName::Len => "len",
            TransformerName::Join => "join",
            TransformerName::Concat => "concat",
            TransformerName::Getopt => "getopt",
        }
    }

    /// Looks a name up (case-sensitive).
    pub fn from_name(name: &str) -> Option<TransformerName> {
        if name == "val" {
            return Some(TransformerName::Val);
        }
        Self::TYPES.into_iter().find(|t| t.as_str() == name)
    }
}

/// Rule priorities (§1.7), most severe first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Priority {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Informational,
    Debug,
}

impl Priority {
    /// Every priority, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// Parses a priority name, case-insensitively (`info` is `informational`).
    pub fn parse(s: &str) -> Option<Priority> {
        Some(match s.to_ascii_lowercase().as_str() {
            "emergency" => Priority::Emergency,
            "alert" => Priority::Alert,
            "critical" => Priority::Critical,
            "error" => Priority::Error,
            "warning" => Priority::Warning,
            "notice" => Priority::Notice,
            "informational" | "info" => Priority::Informational,
            "debug" => Priority::Debug,
            _ => return None,
        })
    }

    /// Canonical spelling (`Warning`).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }

    /// All priority names accepted by the loader, for suggestions.
    pub const NAMES: &'static [&'static str] = &[
        "emergency",
        "alert",
        "critical",
        "error",
        "warning",
        "notice",
        "informational",
        "info",
        "debug",
    ];
}

/// A semantic version `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// Parses `%u.%u.%u` like Falco: anything after the third number is ignored.
    pub fn parse(s: &str) -> Option<Version> {
        let mut rest = s;
        let mut parts = [0u32; 3];
        for (i, part) in parts.iter_mut().enumerate() {
            if i > 0 {
                rest = rest.strip_prefix('.')?;
            }
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            *part = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
        }
        Some(Version(parts[0], parts[1], parts[2]))
    }

    /// True when a runtime of version `self` satisfies requirement `req` (same major, `>=`).
    pub fn satisfies(self, req: Version) -> bool {
        self.0 == req.0 && self >= req
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}
