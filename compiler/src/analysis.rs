//! The analysis facade shared by the CLI and the language server.
//!
//! Files are loaded in order into one collection, as `falco -V a.yaml -V b.yaml` does: each
//! load compiles everything loaded so far and yields one result per file. Loading stops at
//! the first file that fails.

use crate::diag::{Code, Diagnostic, Severity};
use crate::load::compile::{compile_cached, CompileCache, Compiled};
use crate::load::context::Ctx;
use crate::load::read::read_file;
use crate::load::{Collection, LoadOptions};
use crate::span::{FileId, SourceMap, Span};

/// One file's load result (Falco's `falco_load_result`).
#[derive(Debug, Clone)]
pub struct FileResult {
    pub file: FileId,
    pub name: String,
    /// Errors and warnings in Falco's emission order.
    pub diagnostics: Vec<Diagnostic>,
}

impl FileResult {
    /// False when any diagnostic is an error.
    pub fn successful(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|d| d.severity() == Severity::Error)
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity() == Severity::Warning)
    }
}

/// Everything a load produced.
#[derive(Debug, Clone, Default)]
pub struct LoadOutcome {
    /// One result per file that was loaded (files after a failed one are not loaded).
    pub results: Vec<FileResult>,
    pub collection: Collection,
    pub compiled: Compiled,
}

impl LoadOutcome {
    /// True when every loaded file succeeded and no file was left unloaded.
    pub fn successful(&self) -> bool {
        self.results.iter().all(FileResult::successful)
    }

    /// All diagnostics of all results, without the duplicates that come from recompiling
    /// the collection at every file (for human-oriented output).
    pub fn unique_diagnostics(&self) -> Vec<&Diagnostic> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for d in self.results.iter().flat_map(|r| &r.diagnostics) {
            if seen.insert((d.code, d.message.clone(), d.span)) {
                out.push(d);
            }
        }
        out
    }
}

/// Source files plus load options: the input of every analysis.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub sources: SourceMap,
    pub options: LoadOptions,
    /// Files to load, in order, with a read error for files that could not be read.
    order: Vec<(FileId, Option<String>)>,
}

impl Analysis {
    /// An empty analysis with the given options.
    pub fn new(options: LoadOptions) -> Self {
        Analysis {
            sources: SourceMap::new(),
            options,
            order: Vec::new(),
        }
    }

    /// Adds a rules file (loaded after the files added before it).
    pub fn add_file(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = self.sources.add(name, text);
        self.order.push((id, None));
        id
    }

    /// Adds a file from raw bytes; bytes that are not UTF-8 make the file fail to load
    /// with a positioned error instead of being silently replaced.
    pub fn add_file_bytes(&mut self, name: impl Into<String>, bytes: Vec<u8>) -> FileId {
        match String::from_utf8(bytes) {
            Ok(text) => self.add_file(name, text),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let valid = String::from_utf8_lossy(&e.as_bytes()[..at]).into_owned();
                let id = self.sources.add(name, valid);
                self.order.push((
                    id,
                    Some(format!(
                        "invalid UTF-8 at byte {at}: a rules file must be UTF-8 text"
                    )),
                ));
                id
            }
        }
    }

    /// Records a file that could not be read at all.
    pub fn add_unreadable(&mut self, name: impl Into<String>, error: impl Into<String>) -> FileId {
        let id = self.sources.add(name, "");
        self.order.push((id, Some(error.into())));
        id
    }

    /// Loads all files in order with Falco's semantics.
    pub fn load(&self) -> LoadOutcome {
        self.load_with(LoadMode::FALCO)
    }

    /// Loads all files in order, walking them as `mode` says (the language server keeps going
    /// past failed files and publishes a compile-once result first).
    pub fn load_with(&self, mode: LoadMode) -> LoadOutcome {
        let mut out = LoadOutcome::default();
        let mut cache = CompileCache::default();
        let last = self.order.len().saturating_sub(1);
        for (i, &(file, ref read_error)) in self.order.iter().enumerate() {
            let src = self.sources.get(file);
            let mut diagnostics = Vec::new();
            if let Some(msg) = read_error {
                let code = if src.text.is_empty() && !msg.starts_with("invalid UTF-8") {
                    Code::FileRead
                } else {
                    Code::YamlParse
                };
                let span = (code == Code::YamlParse)
                    .then(|| Span::point(file, crate::span::to_u32(src.text.len())));
                diagnostics.push(
                    Diagnostic::new(code, msg.clone(), span).with_context(Ctx::file_root(src).0),
                );
                out.results.push(FileResult {
                    file,
                    name: src.name.clone(),
                    diagnostics,
                });
                if mode.keep_going {
                    continue;
                }
                break;
            }
            let read = read_file(&mut out.collection, file, src, &self.options);
            diagnostics.extend(read.diagnostics);
            let compile_now = if mode.compile_once {
                i == last
            } else {
                !read.failed
            };
            if compile_now {
                let (compiled, diags) =
                    compile_cached(&mut out.collection, &self.options, &mut cache);
                out.compiled = compiled;
                diagnostics.extend(diags);
            }
            let result = FileResult {
                file,
                name: src.name.clone(),
                diagnostics,
            };
            let failed = !result.successful();
            out.results.push(result);
            if failed && !mode.keep_going {
                break;
            }
        }
        out
    }
}

/// How [`Analysis::load_with`] walks the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadMode {
    /// Read and compile the files after a failed one too (Falco stops at the first failure;
    /// an editor wants every file's diagnostics).
    pub keep_going: bool,
    /// Compile the collection once, after the last file, instead of after every file: the
    /// final state at the cost of one compile, without Falco's per-file checks (a macro
    /// defined only in a later file is then no error).
    pub compile_once: bool,
}

impl LoadMode {
    /// Falco's semantics: compile after every file, stop at the first failure.
    pub const FALCO: LoadMode = LoadMode {
        keep_going: false,
        compile_once: false,
    };
}

#[cfg(test)]
mod tests {
    use super::{Analysis, LoadMode};
    use crate::LoadOptions;

    /// File 1 uses a macro that only file 3 defines; file 2 does not parse.
    fn three_files() -> Analysis {
        let mut a = Analysis::new(LoadOptions::default());
        a.add_file(
            "a.yaml",
            "- rule: r\n  desc: d\n  condition: later_macro\n  output: o\n  priority: INFO\n",
        );
        a.add_file("b.yaml", "- list: [unclosed\n");
        a.add_file(
            "c.yaml",
            "- macro: later_macro\n  condition: proc.name = x\n",
        );
        a
    }

    #[test]
    fn falco_mode_stops_at_the_first_failed_file() {
        let out = three_files().load();
        assert_eq!(out.results.len(), 1);
        assert!(!out.results[0].successful());
    }

    #[test]
    fn keep_going_loads_every_file() {
        let out = three_files().load_with(LoadMode {
            keep_going: true,
            compile_once: false,
        });
        let ok: Vec<bool> = out.results.iter().map(|r| r.successful()).collect();
        assert_eq!(ok, vec![false, false, true]);
        assert!(out
            .collection
            .macros
            .iter()
            .any(|m| m.name == "later_macro"));
    }

    #[test]
    fn compile_once_sees_the_final_collection() {
        let out = three_files().load_with(LoadMode {
            keep_going: true,
            compile_once: true,
        });
        // The macro of c.yaml resolves: only b.yaml's syntax error remains.
        let ok: Vec<bool> = out.results.iter().map(|r| r.successful()).collect();
        assert_eq!(ok, vec![true, false, true]);
    }
}
