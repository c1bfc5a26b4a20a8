//! Documents, the load order, and immutable analysis snapshots.
//!
//! Every change rebuilds a [`Snapshot`]: all files of the workspace model are loaded in order
//! into one collection with the compiler's loader (read, then compile after each file, as
//! `falco -r a -r b` does), so appends, overrides and cross-file references resolve like
//! Falco. Unlike [`rulec::Analysis::load`], loading goes on after a failing file so an error
//! in the first file does not hide the diagnostics of the others; the file where Falco would
//! stop is recorded in [`Snapshot::stopped_at`].

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rulec::load::compile::Compiled;
use rulec::load::Collection;
use rulec::span::{FileId, SourceMap};
use rulec::{Analysis, Diagnostic, FileResult, LoadMode, LoadOptions};
use tower_lsp_server::ls_types::Uri;

use crate::index::{FileIndex, Kind, RefKind};
use crate::ruletests::{self, TestIndex};
use crate::text::LineIndex;
use crate::workspace::{self, Settings};

/// One document: open in the editor, or read from disk.
#[derive(Debug, Clone)]
pub struct Doc {
    pub text: String,
    pub open: bool,
    pub version: Option<i32>,
}

/// The result of analyzing all files of the workspace model once.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// URI of each file, indexed by `FileId`.
    pub uris: Vec<String>,
    pub sources: SourceMap,
    /// Per-file load results (Falco's per-file semantics, loading past failures).
    pub results: Vec<FileResult>,
    pub collection: Collection,
    pub compiled: Compiled,
    /// Diagnostics grouped by the file they point into, duplicates removed.
    pub diagnostics: Vec<Vec<Diagnostic>>,
    pub index: Vec<Arc<FileIndex>>,
    pub lines: Vec<LineIndex>,
    /// Every entry (definition, append or override) of each named item, in load order.
    pub defs: HashMap<(Kind, String), Vec<(usize, usize)>>,
    /// The first file whose load failed (Falco stops there).
    pub stopped_at: Option<usize>,
    /// How the snapshot was compiled.
    pub mode: Option<Mode>,
    /// The options of the load.
    pub options: LoadOptions,
}

/// A named item.
pub type Symbol = (Kind, String);

/// How files are compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Exactly like Falco: the collection is compiled after each file, so a file is checked
    /// against what is loaded up to it (a macro defined only in a later file is an error).
    Exact,
    /// Every file is read, then the collection is compiled once: the final state, at the
    /// cost of one compile instead of one per file. Published first after an edit; the
    /// exact pass follows and corrects it when it differs.
    Fast,
}

fn first_error_file(diags: &[Vec<Diagnostic>]) -> Option<usize> {
    diags
        .iter()
        .position(|d| d.iter().any(|d| d.severity() == rulec::Severity::Error))
}

/// Indexes each file, reusing `cache` for unchanged texts (and the last good index of a
/// file whose YAML does not parse).
pub fn index_files(
    files: &[(String, String, String)],
    cache: &mut HashMap<String, (String, Arc<FileIndex>)>,
) -> Vec<Arc<FileIndex>> {
    let mut out = Vec::with_capacity(files.len());
    for (uri, _, text) in files {
        let idx = match cache.get(uri) {
            Some((t, idx)) if t == text => idx.clone(),
            _ => {
                let built = FileIndex::build(text);
                let idx = match (built.yaml_error.is_some(), cache.get(uri)) {
                    (true, Some((_, old))) => old.clone(),
                    _ => Arc::new(built),
                };
                cache.insert(uri.clone(), (text.clone(), idx.clone()));
                idx
            }
        };
        out.push(idx);
    }
    out
}

impl Snapshot {
    /// Loads `files` (uri, display name, text) in order, indexing them with `cache`.
    pub fn build(
        files: &[(String, String, String)],
        options: &LoadOptions,
        cache: &mut HashMap<String, (String, Arc<FileIndex>)>,
        mode: Mode,
    ) -> Snapshot {
        let index = index_files(files, cache);
        Snapshot::build_indexed(files, options, index, mode)
    }

    /// Loads `files` with their indexes already built.
    pub fn build_indexed(
        files: &[(String, String, String)],
        options: &LoadOptions,
        index: Vec<Arc<FileIndex>>,
        mode: Mode,
    ) -> Snapshot {
        let mut s = Snapshot {
            index,
            mode: Some(mode),
            options: options.clone(),
            ..Snapshot::default()
        };
        let mut analysis = Analysis::new(options.clone());
        for (uri, name, text) in files {
            analysis.add_file(name.clone(), text.clone());
            s.uris.push(uri.clone());
            s.lines.push(LineIndex::new(text));
        }
        let out = analysis.load_with(LoadMode {
            keep_going: true,
            compile_once: mode == Mode::Fast,
        });
        s.sources = analysis.sources;
        s.collection = out.collection;
        s.compiled = out.compiled;
        s.results = out.results;
        s.stopped_at = s.results.iter().position(|r| !r.successful());
        s.diagnostics = vec![Vec::new(); s.uris.len()];
        let mut seen = std::collections::HashSet::new();
        for r in &s.results {
            for d in &r.diagnostics {
                let file = d.span.map_or(r.file, |sp| sp.file);
                if seen.insert((d.code, d.message.clone(), d.span, file)) {
                    s.diagnostics[file.0 as usize].push(d.clone());
                }
            }
        }
        // In fast mode compile errors are known only after the last file.
        if mode == Mode::Fast {
            s.stopped_at = [s.stopped_at, first_error_file(&s.diagnostics)]
                .into_iter()
                .flatten()
                .min();
        }
        for (f, idx) in s.index.iter().enumerate() {
            for (i, it) in idx.items.iter().enumerate() {
                s.defs
                    .entry((it.kind, it.name.clone()))
                    .or_default()
                    .push((f, i));
            }
        }
        s
    }

    /// The file id of a URI.
    pub fn file_of(&self, uri: &str) -> Option<usize> {
        self.uris.iter().position(|u| u == uri)
    }

    /// The text of file `f`.
    pub fn text(&self, f: usize) -> &str {
        &self.sources.get(FileId(crate::text::to_u32(f))).text
    }

    /// True when an item of that kind and name exists anywhere.
    pub fn exists(&self, kind: Kind, name: &str) -> bool {
        self.defs.contains_key(&(kind, name.to_owned()))
    }

    /// What a candidate reference refers to, if anything.
    pub fn resolve_ref(&self, name: &str, kind: RefKind) -> Option<Symbol> {
        match kind {
            RefKind::Ident if self.exists(Kind::Macro, name) => Some((Kind::Macro, name.into())),
            _ if self.exists(Kind::List, name) => Some((Kind::List, name.into())),
            RefKind::Ident => Some((Kind::Macro, name.into())),
            RefKind::Bare => None,
        }
    }

    /// The symbol at byte `offset` of file `f` and the range of its occurrence.
    pub fn symbol_at(&self, f: usize, offset: u32) -> Option<(Symbol, (u32, u32))> {
        let idx = &self.index[f];
        let inside = |r: (u32, u32)| r.0 <= offset && offset <= r.1;
        if let Some(it) = idx.items.iter().find(|it| inside(it.name_range)) {
            return Some(((it.kind, it.name.clone()), it.name_range));
        }
        idx.refs
            .iter()
            .filter(|r| inside(r.range))
            .find_map(|r| self.resolve_ref(&r.name, r.kind).map(|s| (s, r.range)))
    }

    /// Every entry defining the symbol: (file, name range), first definition first.
    pub fn definitions(&self, sym: &Symbol) -> Vec<(usize, (u32, u32))> {
        let mut v: Vec<(usize, (u32, u32), bool)> = self
            .defs
            .get(sym)
            .into_iter()
            .flatten()
            .map(|&(f, i)| {
                let it = &self.index[f].items[i];
                (f, it.name_range, it.append)
            })
            .collect();
        v.sort_by_key(|&(f, r, append)| (append, f, r.0));
        v.into_iter().map(|(f, r, _)| (f, r)).collect()
    }

    /// Every reference to the symbol in conditions, list items and exception values.
    pub fn references(&self, sym: &Symbol) -> Vec<(usize, (u32, u32))> {
        let mut out = Vec::new();
        for (f, idx) in self.index.iter().enumerate() {
            for r in &idx.refs {
                if r.name == sym.1 && self.resolve_ref(&r.name, r.kind).as_ref() == Some(sym) {
                    out.push((f, r.range));
                }
            }
        }
        out
    }
}

/// The mutable state of the server: documents, settings and the current snapshot.
#[derive(Debug, Default)]
pub struct World {
    pub roots: Vec<PathBuf>,
    pub settings: Settings,
    pub options: LoadOptions,
    pub docs: BTreeMap<String, Doc>,
    /// URIs of the workspace model, in load order.
    pub order: Vec<String>,
    cache: HashMap<String, (String, Arc<FileIndex>)>,
    pub snapshot: Arc<Snapshot>,
    generation: u64,
    /// The rule-test files of the workspace folders.
    pub tests: TestIndex,
}

/// The inputs of an exact (Falco per-file) pass, run after a fast one.
#[derive(Debug, Clone)]
pub struct ExactJob {
    pub generation: u64,
    pub files: Vec<(String, String, String)>,
    pub index: Vec<Arc<FileIndex>>,
    pub options: LoadOptions,
}

impl ExactJob {
    /// Runs the pass.
    pub fn run(self) -> (u64, Snapshot) {
        let s = Snapshot::build_indexed(&self.files, &self.options, self.index, Mode::Exact);
        (self.generation, s)
    }
}

/// The URI of a path.
pub fn path_uri(p: &Path) -> Option<String> {
    Uri::from_file_path(p).map(|u| u.as_str().to_owned())
}

/// The path of a `file:` URI.
pub fn uri_path(uri: &str) -> Option<PathBuf> {
    let u: Uri = uri.parse().ok()?;
    if !uri.starts_with("file:") {
        return None;
    }
    u.to_file_path().map(|p| p.into_owned())
}

impl World {
    /// A world over the given workspace folders.
    pub fn new(roots: Vec<PathBuf>, settings: Settings) -> World {
        let mut w = World {
            roots,
            settings,
            ..World::default()
        };
        w.refresh_order();
        w
    }

    /// Recomputes which files load and in which order (after opening/closing documents,
    /// a settings change or a file change on disk).
    pub fn refresh_order(&mut self) {
        let mut paths: Vec<PathBuf> = Vec::new();
        let mut extra: Vec<String> = Vec::new();
        match &self.settings.files {
            Some(globs) => {
                for root in &self.roots {
                    let mut all = workspace::walk_yaml(root);
                    for uri in self.docs.keys() {
                        if let Some(p) = uri_path(uri) {
                            if p.starts_with(root) && !all.contains(&p) {
                                all.push(p);
                            }
                        }
                    }
                    paths.extend(
                        workspace::order_by_globs(root, globs, &all)
                            .into_iter()
                            .filter(|p| {
                                !self
                                    .text_of_path(p)
                                    .is_some_and(|t| ruletests::is_test_file(&t))
                            }),
                    );
                }
            }
            None => {
                for root in &self.roots {
                    for p in workspace::default_candidates(root) {
                        let text = self.text_of_path(&p);
                        if text.as_deref().is_some_and(|t| {
                            workspace::looks_like_rules(&p, t) && !ruletests::is_test_file(t)
                        }) {
                            paths.push(p);
                        }
                    }
                }
                for (uri, doc) in &self.docs {
                    if !doc.open {
                        continue;
                    }
                    match uri_path(uri) {
                        Some(p) => {
                            if workspace::is_yaml(&p)
                                && workspace::looks_like_rules(&p, &doc.text)
                                && !ruletests::is_test_file(&doc.text)
                                && !paths.contains(&p)
                            {
                                paths.push(p);
                            }
                        }
                        None => extra.push(uri.clone()),
                    }
                }
                workspace::sort_falco(&mut paths);
            }
        }
        let mut order = Vec::new();
        for p in paths {
            let Some(uri) = path_uri(&p) else { continue };
            if !self.docs.contains_key(&uri) {
                match std::fs::read_to_string(&p) {
                    Ok(text) => {
                        self.docs.insert(
                            uri.clone(),
                            Doc {
                                text,
                                open: false,
                                version: None,
                            },
                        );
                    }
                    Err(_) => continue,
                }
            }
            if !order.contains(&uri) {
                order.push(uri);
            }
        }
        order.extend(extra);
        self.order = order;
    }

    fn text_of_path(&self, p: &Path) -> Option<String> {
        if let Some(d) = path_uri(p).and_then(|u| self.docs.get(&u)) {
            return Some(d.text.clone());
        }
        std::fs::read_to_string(p).ok()
    }

    /// The display name of a URI: the path relative to its workspace folder.
    pub fn display_name(&self, uri: &str) -> String {
        match uri_path(uri) {
            Some(p) => {
                for r in &self.roots {
                    if let Ok(rel) = p.strip_prefix(r) {
                        return rel.to_string_lossy().into_owned();
                    }
                }
                p.to_string_lossy().into_owned()
            }
            None => uri.to_owned(),
        }
    }

    /// The files of the workspace model: (uri, display name, text), in load order.
    pub fn files(&self) -> Vec<(String, String, String)> {
        self.order
            .iter()
            .filter_map(|u| {
                let d = self.docs.get(u)?;
                Some((u.clone(), self.display_name(u), d.text.clone()))
            })
            .collect()
    }

    /// Re-analyzes everything and stores the new snapshot; returns it with the inputs of
    /// a later exact pass when `mode` is [`Mode::Fast`].
    pub fn reanalyze(&mut self, mode: Mode) -> (Arc<Snapshot>, ExactJob) {
        let files = self.files();
        self.cache.retain(|u, _| self.order.contains(u));
        let index = index_files(&files, &mut self.cache);
        self.generation += 1;
        let snap = Arc::new(Snapshot::build_indexed(
            &files,
            &self.options,
            index.clone(),
            mode,
        ));
        self.snapshot = snap.clone();
        let job = ExactJob {
            generation: self.generation,
            files,
            index,
            options: self.options.clone(),
        };
        (snap, job)
    }

    /// Stores the result of an exact pass unless a newer analysis replaced its inputs.
    pub fn store_exact(&mut self, generation: u64, snap: Arc<Snapshot>) -> bool {
        if generation != self.generation {
            return false;
        }
        self.snapshot = snap;
        true
    }

    /// Opens (or replaces) a document.
    pub fn open(&mut self, uri: &str, text: String, version: Option<i32>) {
        self.docs.insert(
            uri.to_owned(),
            Doc {
                text,
                open: true,
                version,
            },
        );
        if !self.order.iter().any(|u| u == uri) {
            self.refresh_order();
        }
    }

    /// Directories where `rules:` entries of test files are looked up: the setting
    /// `rulesPath` (relative to the first workspace folder), then `FALCO_RULEC_RULES_PATH`.
    pub fn search_path(&self) -> Vec<PathBuf> {
        let base = self.roots.first().cloned().unwrap_or_default();
        let mut out: Vec<PathBuf> = self
            .settings
            .rules_path
            .iter()
            .map(|d| base.join(d))
            .collect();
        if let Some(env) = std::env::var_os(ruletests::RULES_PATH_ENV) {
            out.extend(std::env::split_paths(&env));
        }
        out
    }

    /// Texts of the open documents by canonical path.
    pub fn open_texts(&self) -> HashMap<PathBuf, String> {
        self.docs
            .iter()
            .filter(|(_, d)| d.open)
            .filter_map(|(u, d)| Some((ruletests::canonical(&uri_path(u)?), d.text.clone())))
            .collect()
    }

    /// Rescans the rule-test files; true when what they test changed.
    pub fn refresh_tests(&mut self) -> bool {
        let open = self.open_texts();
        let search = self.search_path();
        let roots: Vec<PathBuf> = self.roots.iter().map(|r| ruletests::canonical(r)).collect();
        self.tests.refresh(&roots, &open, &search)
    }

    /// Closes a document: its text is read back from disk.
    pub fn close(&mut self, uri: &str) {
        self.docs.remove(uri);
        self.refresh_order();
    }
}
