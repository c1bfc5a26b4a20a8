//! The workspace model: which files load together, in which order.
//!
//! * With the setting `falcoRulec.files` (or `initializationOptions.files`): an ordered list
//!   of globs relative to the workspace folder (`*`, `?`, `**`). Files are loaded glob by
//!   glob, alphabetically within one glob, each file once. Nothing else is analyzed.
//! * Without it (the default): every rules file of the workspace folder (its top level and
//!   `rules.d/`) plus every open YAML document that looks like a rules file, in Falco's order:
//!   `falco_rules.yaml` first, then the other `*_rules.yaml`, then the rest (local files,
//!   `*.local.yaml`, ...) alphabetically.
//!
//! "Looks like a rules file": the name ends in `rules.yaml`/`rules.yml`, the file is under a
//! `rules.d` folder, or a line starts with `- rule:`, `- macro:`, `- list:` or
//! `- required_engine_version:`. Rule-test files (a mapping with a `tests` key, see
//! [`crate::ruletests`]) are never rules files, whatever their name.

use std::path::{Path, PathBuf};

/// Settings of the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Ordered globs, or `None` for the default order.
    pub files: Option<Vec<String>>,
    /// Directories where `rules:` entries of rule-test files are looked up when they are not
    /// next to the test file (relative to the first workspace folder), like
    /// `falco-rulec test --rules-path`.
    pub rules_path: Vec<String>,
}

fn strings(v: Option<&serde_json::Value>) -> Option<Vec<String>> {
    v.and_then(|f| f.as_array()).map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    })
}

impl Settings {
    /// Reads `{ "files": [...], "rulesPath": [...] }`, also under a `falcoRulec` key.
    pub fn from_json(v: &serde_json::Value) -> Settings {
        let v = v.get("falcoRulec").unwrap_or(v);
        Settings {
            files: strings(v.get("files")).filter(|f| !f.is_empty()),
            rules_path: strings(v.get("rulesPath")).unwrap_or_default(),
        }
    }
}

/// Falco's default rank of a file name: 0 = `falco_rules.yaml`, 1 = `*_rules.yaml`, 2 = rest.
pub fn falco_rank(path: &Path) -> u8 {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name == "falco_rules.yaml" || name == "falco_rules.yml" {
        0
    } else if name.ends_with("_rules.yaml") || name.ends_with("_rules.yml") {
        1
    } else {
        2
    }
}

/// Sorts paths in Falco's default order.
pub fn sort_falco(paths: &mut [PathBuf]) {
    paths.sort_by(|a, b| {
        (falco_rank(a), a.file_name(), a.as_os_str()).cmp(&(
            falco_rank(b),
            b.file_name(),
            b.as_os_str(),
        ))
    });
}

/// True for `.yaml` / `.yml` paths.
pub fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// The heuristic of the module docs.
pub fn looks_like_rules(path: &Path, text: &str) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with("rules.yaml") || name.ends_with("rules.yml") {
        return true;
    }
    if path.components().any(|c| c.as_os_str() == "rules.d") {
        return true;
    }
    text.lines().any(|l| {
        [
            "- rule:",
            "- macro:",
            "- list:",
            "- required_engine_version:",
        ]
        .iter()
        .any(|p| l.starts_with(p))
    })
}

/// The YAML files the default model considers in `root`: its top level and `rules.d/`.
pub fn default_candidates(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in [root.to_path_buf(), root.join("rules.d")] {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_file() && is_yaml(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// Every YAML file under `root` (hidden folders, `node_modules` and `target` skipped).
pub fn walk_yaml(root: &Path) -> Vec<PathBuf> {
    fn go(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
        if depth > 8 {
            return;
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if p.is_dir() {
                if !name.starts_with('.') && name != "node_modules" && name != "target" {
                    go(&p, depth + 1, out);
                }
            } else if is_yaml(&p) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    go(root, 0, &mut out);
    out
}

/// Orders `paths` by the globs: glob by glob, alphabetically within one, each path once.
/// Paths matching no glob are dropped.
pub fn order_by_globs(root: &Path, globs: &[String], paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for g in globs {
        let mut matched: Vec<PathBuf> = paths
            .iter()
            .filter(|p| {
                let rel = p.strip_prefix(root).unwrap_or(p);
                let rel = rel.to_string_lossy().replace('\\', "/");
                glob_match(g.trim_start_matches("./"), &rel) || glob_match(g, &p.to_string_lossy())
            })
            .filter(|p| !out.contains(p))
            .cloned()
            .collect();
        matched.sort();
        matched.dedup();
        out.extend(matched);
    }
    out
}

/// Matches a path against a glob: `*` and `?` stay within one path segment, `**` spans any
/// number of segments.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(b'*') if p.get(1) == Some(&b'*') => {
                let rest = &p[2..];
                let rest = rest.strip_prefix(b"/").unwrap_or(rest);
                (0..=s.len()).any(|i| (i == 0 || s[i - 1] == b'/') && go(rest, &s[i..]))
                    || go(rest, s)
            }
            Some(b'*') => {
                let rest = &p[1..];
                for i in 0..=s.len() {
                    if go(rest, &s[i..]) {
                        return true;
                    }
                    if i < s.len() && s[i] == b'/' {
                        break;
                    }
                }
                false
            }
            Some(b'?') => !s.is_empty() && s[0] != b'/' && go(&p[1..], &s[1..]),
            Some(&c) => !s.is_empty() && s[0] == c && go(&p[1..], &s[1..]),
        }
    }
    go(pattern.as_bytes(), path.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("*.yaml", "a_rules.yaml"));
        assert!(!glob_match("*.yaml", "d/a.yaml"));
        assert!(glob_match("**/*.yaml", "d/e/a.yaml"));
        assert!(glob_match("**/*.yaml", "a.yaml"));
        assert!(glob_match("rules.d/*.y?ml", "rules.d/x.yaml"));
    }

    #[test]
    fn falco_order() {
        let mut v: Vec<PathBuf> = [
            "z.yaml",
            "k8s_audit_rules.yaml",
            "falco_rules.yaml",
            "a_rules.yaml",
            "falco_rules.local.yaml",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        sort_falco(&mut v);
        let names: Vec<_> = v.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        assert_eq!(
            names,
            [
                "falco_rules.yaml",
                "a_rules.yaml",
                "k8s_audit_rules.yaml",
                "falco_rules.local.yaml",
                "z.yaml"
            ]
        );
    }
}
