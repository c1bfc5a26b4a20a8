//! Data flows one way through the crates (front end -> IR/bundle -> runtime) and through the
//! modules inside each: no top-level module imports (via `crate::`) a module that imports it
//! back, directly or through others. Comments and `#[cfg(test)] mod tests` are ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Top-level module -> the top-level modules it names through `crate::`.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rs_files(src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(src).unwrap_or(&f);
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        let Some(top) = first.map(|t| t.trim_end_matches(".rs").to_owned()) else {
            continue;
        };
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if top == "lib" || top == "main" || name.starts_with("tests") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let code = match text.find("#[cfg(test)]\nmod tests {") {
            Some(i) => &text[..i],
            None => &text[..],
        };
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            let mut rest = line;
            while let Some(i) = rest.find("crate::") {
                rest = &rest[i + 7..];
                let m: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !m.is_empty() && m != top {
                    g.entry(top.clone()).or_default().insert(m);
                }
            }
        }
    }
    g
}

fn reaches(g: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().cloned().unwrap_or_default();
        for n in g.get(&last).into_iter().flatten() {
            if n == to {
                let mut p = path.clone();
                p.push(n.clone());
                return Some(p);
            }
            if seen.insert(n.clone()) {
                let mut p = path.clone();
                p.push(n.clone());
                stack.push(p);
            }
        }
    }
    None
}

#[test]
fn no_module_import_circles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut circles = Vec::new();
    for krate in ["compiler", "ir", "runtime"] {
        let g = graph(&root.join(krate).join("src"));
        for (m, deps) in &g {
            for d in deps {
                if let Some(back) = reaches(&g, d, m) {
                    circles.push(format!("{krate}: {m} -> {}", back.join(" -> ")));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}
