//! Field-name resolution (libsinsp `new_filter_check_from_fldname` + per-class
//! `parse_field_name`), approximated from the schema's argument metadata.

use super::{ArgKind, FieldDef, FieldType, Registry, SourceSchema};

/// A successfully resolved field reference.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'a> {
    /// Index into [`SourceSchema::fields`].
    pub index: usize,
    /// The field definition.
    pub def: &'a FieldDef,
    /// Effective type (for `evt.rawarg.X`: the type of parameter `X`).
    pub ty: FieldType,
    /// Multi-valued.
    pub is_list: bool,
}

/// Why a field reference does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// No class parses the whole text.
    Nonexistent,
    /// An index argument is not a decimal number.
    NotANumber(String),
    /// `evt.arg.X` / `evt.rawarg.X` with no such event parameter.
    UnknownEventArg(String),
    /// A plugin field given an argument it does not take.
    ArgNotAllowed(String),
    /// A plugin field whose required argument is missing.
    ArgRequired,
}

impl LookupError {
    /// The libs message for the field text `full` (`name` or `name[arg]`).
    pub fn message(&self, full: &str) -> String {
        match self {
            LookupError::Nonexistent => format!("filter_check called with nonexistent field {full}"),
            LookupError::NotANumber(a) => format!("{a} is not a valid number"),
            LookupError::UnknownEventArg(a) => format!("unknown event argument {a}"),
            LookupError::ArgNotAllowed(a) => format!(
                "filter {full}: field does not allow nor require an argument but one is provided: {a}"
            ),
            LookupError::ArgRequired => {
                format!("filter {full}: field requires an argument but none provided")
            }
        }
    }

    /// Whether the message qualifies for `skip-if-unknown-filter` (`nonexistent field`).
    pub fn is_unknown_field(&self) -> bool {
        matches!(self, LookupError::Nonexistent)
    }
}

impl SourceSchema {
    /// Resolves `name` with an optional bracket argument (`arg` unescaped, `Some("")` for `[""]`).
    pub fn lookup(&self, name: &str, arg: Option<&str>) -> Result<Resolved<'_>, LookupError> {
        let full;
        let text = match arg {
            Some(a) => {
                full = format!("{name}[{a}]");
                full.as_str()
            }
            None => name,
        };
        // Longest prefix per class; the lowest class index with a hit decides.
        let mut best: Option<(u16, usize)> = None;
        let mut len = text.len().min(self.max_len);
        while len > 0 {
            if self.name_lens[len] && text.is_char_boundary(len) {
                if let Some(ids) = self.by_name.get(&text[..len]) {
                    for &i in ids {
                        let c = self.class_of[i as usize];
                        if best.is_none_or(|(bc, _)| c < bc) {
                            best = Some((c, i as usize));
                        }
                    }
                }
            }
            len -= 1;
        }
        let Some((_, index)) = best else {
            return Err(LookupError::Nonexistent);
        };
        let def = &self.fields[index];
        let rest = &text[def.name.len()..];
        let ok = |ty: FieldType| {
            Ok(Resolved {
                index,
                def,
                ty,
                is_list: def.is_list,
            })
        };
        let is_plugin = def.plugin.is_some();
        if rest.is_empty() {
            return match &def.arg {
                Some(a) if a.required && a.values.is_none() => Err(if is_plugin {
                    LookupError::ArgRequired
                } else {
                    LookupError::Nonexistent
                }),
                _ => ok(def.ty),
            };
        }
        if let Some(inner) = rest.strip_prefix('[') {
            // Only a bracket argument written right after the full field name.
            let Some(a) = arg.filter(|a| inner.len() == a.len() + 1 && name == def.name) else {
                return Err(LookupError::Nonexistent);
            };
            let Some(spec) = def.arg.as_ref().filter(|s| s.bracket) else {
                return Err(if is_plugin {
                    LookupError::ArgNotAllowed(a.to_owned())
                } else {
                    LookupError::Nonexistent
                });
            };
            if spec.kind == ArgKind::Index {
                let valid = if is_plugin {
                    !a.is_empty()
                        && a.bytes().all(|b| b.is_ascii_digit())
                        && (a == "0" || !a.starts_with('0'))
                } else {
                    a.trim_start().parse::<i64>().is_ok()
                        || (def.name == "evt.around" && a.parse::<u64>().is_ok())
                };
                if !valid {
                    return Err(if spec.bad_index_is_unknown {
                        LookupError::Nonexistent
                    } else {
                        LookupError::NotANumber(a.to_owned())
                    });
                }
            }
            return ok(def.ty);
        }
        if let Some(dotted) = rest.strip_prefix('.') {
            let Some(spec) = def.arg.as_ref().filter(|s| s.dotted) else {
                return Err(LookupError::Nonexistent);
            };
            if arg.is_some() || dotted.is_empty() {
                return Err(LookupError::Nonexistent);
            }
            if let Some(values) = &spec.values {
                return if values.iter().any(|v| v == dotted) {
                    ok(def.ty)
                } else {
                    Err(LookupError::Nonexistent)
                };
            }
            return match def.name.as_str() {
                "evt.arg" | "evt.rawarg" => {
                    let events = &Registry::get().events;
                    match events.event_arg(dotted) {
                        Some(p) if p.name.len() == dotted.len() => {
                            if def.name == "evt.rawarg" {
                                ok(p.rawarg_type)
                            } else {
                                ok(def.ty)
                            }
                        }
                        _ => Err(LookupError::UnknownEventArg(dotted.to_owned())),
                    }
                }
                "thread.cgroup" => {
                    if dotted.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') {
                        ok(def.ty)
                    } else {
                        Err(LookupError::Nonexistent)
                    }
                }
                _ => ok(def.ty),
            };
        }
        Err(LookupError::Nonexistent)
    }

    /// True when `text` (as written, possibly `name[arg]`) is a valid field of this source.
    pub fn is_valid_field_text(&self, text: &str) -> bool {
        let (name, arg) = match text.find('[') {
            Some(i) if text.ends_with(']') => (&text[..i], Some(&text[i + 1..text.len() - 1])),
            _ => (text, None),
        };
        let root = name.split('.').next().unwrap_or("");
        name.contains('.') && self.has_root(root) && self.lookup(name, arg).is_ok()
    }
}
