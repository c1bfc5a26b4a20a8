//! Building a rule bundle from a successful load: every enabled rule lowered, its metadata,
//! prefilter sets, versions and the files' hashes. The format itself (writer and validating
//! reader) is [`rulec_ir::bundle`].

use std::collections::{BTreeSet, HashMap};

use rulec_ir::bundle::{
    global_prefilter, Bundle, BundleError, Header, IrRef, RuleMeta, SchemaVersion, SourceFile,
    COMPILER_VERSION,
};
use sha2::{Digest, Sha256};

use crate::analysis::LoadOutcome;
use crate::load::Version;
use crate::lower::lower_outcome;
use crate::schema::Registry;
use crate::span::{to_u32, SourceMap};

/// Builds a bundle from a successful load: lowers every enabled rule, records metadata,
/// prefilter sets, versions and the files' hashes. `sources` must be the source map the
/// load was made from; `engine_version` the version the rules were checked against.
pub fn build(
    outcome: &LoadOutcome,
    sources: &SourceMap,
    engine_version: Version,
) -> Result<Bundle, BundleError> {
    if !outcome.successful() {
        let errors = outcome
            .unique_diagnostics()
            .iter()
            .filter(|d| d.severity() == crate::Severity::Error)
            .count();
        return Err(BundleError::NotBundleable(format!(
            "the rules have {errors} load error{}",
            if errors == 1 { "" } else { "s" }
        )));
    }
    let programs = lower_outcome(outcome);
    for p in &programs {
        if let Some((name, why)) = p.skipped.first() {
            return Err(BundleError::NotBundleable(format!(
                "rule '{name}' cannot be lowered: {why}"
            )));
        }
    }
    let mut ir_of: HashMap<(&str, &str), IrRef> = HashMap::new();
    for (pi, p) in programs.iter().enumerate() {
        for (ri, r) in p.rules.iter().enumerate() {
            ir_of.insert(
                (p.source.as_str(), r.name.as_str()),
                IrRef {
                    program: to_u32(pi),
                    rule: to_u32(ri),
                },
            );
        }
    }
    let mut rules = Vec::with_capacity(outcome.compiled.rules.len());
    for cr in &outcome.compiled.rules {
        let info = &outcome.collection.rules[cr.rule];
        let ir = if info.enabled {
            ir_of
                .get(&(info.source.as_str(), info.name.as_str()))
                .copied()
        } else {
            None
        };
        rules.push(RuleMeta {
            name: info.name.clone(),
            priority: info.priority,
            source: info.source.clone(),
            tags: info.tags.iter().cloned().collect(),
            enabled: info.enabled,
            desc: info.desc.clone(),
            output: info.output.as_str().to_owned(),
            output_fields: cr.output_fields.iter().map(|o| o.text.clone()).collect(),
            event_types: cr.event_types.map(|e| e.names()),
            syscalls: cr
                .event_types
                .map(|e| e.syscall_list().into_iter().map(|(_, n)| n).collect())
                .unwrap_or_default(),
            ir,
        });
    }
    let reg = Registry::get();
    let mut seen = BTreeSet::new();
    let schema_versions = rules
        .iter()
        .map(|r| r.source.as_str())
        .chain(programs.iter().map(|p| p.source.as_str()))
        .filter(|s| seen.insert(*s))
        .filter_map(|s| reg.source(s))
        .map(|s| SchemaVersion {
            source: s.name.clone(),
            version: s.version.clone(),
        })
        .collect();
    let files = outcome
        .results
        .iter()
        .map(|r| {
            let text = &sources.get(r.file).text;
            SourceFile {
                name: r.name.clone(),
                size: text.len() as u64,
                sha256: Sha256::digest(text.as_bytes()).into(),
            }
        })
        .collect();
    let prefilter = global_prefilter(&rules);
    let b = Bundle {
        header: Header {
            compiler_version: COMPILER_VERSION.to_owned(),
            engine_version: engine_version.to_string(),
            schema_versions,
        },
        files,
        rules,
        programs,
        prefilter,
    };
    b.validate()?;
    Ok(b)
}
