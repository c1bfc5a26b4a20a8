//! `append_output` formats (`extra_output`, `extra_fields`) compiled against a source's
//! schema without the compiler's output parser: literal text and `%[N]field` tokens, where
//! the field is the longest prefix of the token's field-name characters that the schema
//! resolves (libs' rule). Transformer expressions (`%tolower(...)`) need the condition parser
//! and are reported, then kept as literal text.

use rulec_ir::schema::SourceSchema;
use rulec_ir::value::FieldRef;

use crate::event::Event;
use crate::output::{apply_width, render_values};

/// A piece of a compiled format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// A field token.
    Field {
        /// Width (`%20proc.name`).
        width: Option<usize>,
        /// The field.
        field: FieldRef,
    },
}

fn field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '[' | ']' | '/' | '-')
}

/// Compiles `text`; the errors name the tokens that were kept as literal text.
pub fn compile(schema: &SourceSchema, text: &str) -> (Vec<Piece>, Vec<String>) {
    let mut pieces = Vec::new();
    let mut errors = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(pct) = rest.find('%') {
        lit.push_str(&rest[..pct]);
        let after = &rest[pct + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let name_part = &after[digits..];
        let len = name_part
            .find(|c: char| !field_char(c))
            .unwrap_or(name_part.len());
        let found = (1..=len)
            .rev()
            .filter(|&end| name_part.is_char_boundary(end))
            .find_map(|end| FieldRef::resolve(schema, &name_part[..end]).map(|f| (end, f)));
        match found {
            Some((end, field)) => {
                if !lit.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut lit)));
                }
                pieces.push(Piece::Field {
                    width: after[..digits].parse().ok(),
                    field,
                });
                rest = &name_part[end..];
            }
            None => {
                errors.push(format!(
                    "invalid formatting token %{}",
                    &after[..digits + len.max(1).min(name_part.len())]
                ));
                lit.push('%');
                rest = after;
            }
        }
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        pieces.push(Piece::Text(lit));
    }
    (pieces, errors)
}

/// Renders `pieces` for `ev`, adding each field's typed value to `fields` (as Falco's
/// formatter does for the fields of an appended output).
pub fn render(
    pieces: &[Piece],
    ev: &dyn Event,
    out: &mut String,
    fields: Option<&mut serde_json::Map<String, serde_json::Value>>,
) {
    let mut fields = fields;
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Field { width, field } => {
                let values = ev.extract(field);
                let (text, json) = render_values(values.as_deref(), field.is_list);
                out.push_str(&apply_width(&text, *width));
                if let Some(f) = fields.as_deref_mut() {
                    f.insert(field.text.clone(), json);
                }
            }
        }
    }
}

/// The JSON value of an `extra_fields` entry: a bare field keeps its typed value, any other
/// format is rendered to a string.
pub fn value(pieces: &[Piece], ev: &dyn Event) -> serde_json::Value {
    if let [Piece::Field { width: None, field }] = pieces {
        return render_values(ev.extract(field).as_deref(), field.is_list).1;
    }
    let mut s = String::new();
    render(pieces, ev, &mut s, None);
    serde_json::Value::String(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rulec_ir::schema::Registry;

    fn k8s() -> &'static SourceSchema {
        Registry::get()
            .source("k8s_audit")
            .expect("k8s_audit schema")
    }

    #[test]
    fn tokens_take_the_longest_field_the_schema_resolves() {
        let (p, errors) = compile(k8s(), "user=%ka.user.name) verb=%10ka.verb.");
        assert!(errors.is_empty(), "{errors:?}");
        let texts: Vec<String> = p
            .iter()
            .map(|x| match x {
                Piece::Text(t) => format!("T({t})"),
                Piece::Field { width, field } => format!("F({},{width:?})", field.text),
            })
            .collect();
        assert_eq!(
            texts,
            [
                "T(user=)",
                "F(ka.user.name,None)",
                "T() verb=)",
                "F(ka.verb,Some(10))",
                "T(.)"
            ]
        );
    }

    #[test]
    fn unknown_tokens_are_reported_and_kept_as_text() {
        let (p, errors) = compile(k8s(), "100% sure %nosuch.field");
        assert_eq!(
            errors,
            [
                "invalid formatting token % ",
                "invalid formatting token %nosuch.field"
            ]
        );
        assert_eq!(p, [Piece::Text("100% sure %nosuch.field".into())]);
    }
}
