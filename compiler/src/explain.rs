//! Data for an `explain` command: what a rule really checks after expansion.

use crate::analysis::LoadOutcome;

/// One field used by a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExplainField {
    /// As written (`proc.aname[2]`).
    pub name: String,
    /// Type name as libs prints it (`CHARBUF`).
    pub ty: String,
    /// Multi-valued.
    pub is_list: bool,
    /// Where it is used: `condition` or `output`.
    pub used_in: &'static str,
}

/// Everything `explain ⟨rule⟩` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explain {
    /// Rule name.
    pub rule: String,
    /// Event source.
    pub source: String,
    /// Canonical (libs AST string) form of the expanded condition: exceptions appended, lists
    /// substituted, macros inlined. `None` when the condition did not compile.
    pub condition: Option<String>,
    /// Sorted event names (`None` for non-syscall sources or when the condition did not
    /// compile; every event when unrestricted).
    pub event_types: Option<Vec<String>>,
    /// True when the condition does not restrict the event type at all.
    pub all_event_types: bool,
    /// Number of event codes selected.
    pub event_code_count: usize,
    /// x86_64 syscalls of the kernel prefilter, `(name, number)`.
    pub syscalls: Vec<(String, u16)>,
    /// Fields of the condition and output with their types.
    pub fields: Vec<ExplainField>,
    /// Rough cost: number of checks evaluated in the worst case (every check of the expanded
    /// condition) plus the literal values compared.
    pub checks: usize,
    /// Literal RHS values in the condition.
    pub values: usize,
}

/// Explains rule `name` of a load outcome (`None` when there is no compiled rule by that name).
pub fn explain(outcome: &LoadOutcome, name: &str) -> Option<Explain> {
    let &i = outcome.collection.rule_ids.get(name)?;
    let info = &outcome.collection.rules[i];
    let cr = outcome.compiled.rules.iter().find(|r| r.rule == i)?;
    let mut fields = Vec::new();
    if let Some(t) = &cr.typed {
        for f in t.fields() {
            fields.push(ExplainField {
                name: f.text.clone(),
                ty: f.ty.name().to_owned(),
                is_list: f.is_list,
                used_in: "condition",
            });
        }
    }
    for o in &cr.output_fields {
        for f in &o.fields {
            if !fields
                .iter()
                .any(|x| x.name == f.text && x.used_in == "output")
            {
                fields.push(ExplainField {
                    name: f.text.clone(),
                    ty: f.ty.name().to_owned(),
                    is_list: f.is_list,
                    used_in: "output",
                });
            }
        }
    }
    let (checks, values) = cr.typed.as_ref().map_or((0, 0), |t| {
        (t.checks.len(), t.checks.iter().map(|c| c.values).sum())
    });
    let all = crate::evttype::EventTypes::all();
    Some(Explain {
        rule: info.name.clone(),
        source: info.source.clone(),
        condition: cr.ast.as_ref().map(ToString::to_string),
        event_types: cr.event_types.map(|e| e.names()),
        all_event_types: cr.event_types.is_some_and(|e| e.events == all.events),
        event_code_count: cr.event_types.map_or(0, |e| e.events.len()),
        syscalls: cr.event_types.map(|e| e.syscall_list()).unwrap_or_default(),
        fields,
        checks,
        values,
    })
}
