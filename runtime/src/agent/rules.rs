//! The running rule set: a bundle read and checked, its programs JIT-compiled, and atomic
//! replacement on reload.
//!
//! A [`RuleSet`] is immutable once built. [`Rules`] holds the current one; a reload builds the
//! new set beside the running one (reading, verifying, compiling) and then publishes it with
//! one atomic pointer swap and a generation bump. Source threads compare the generation
//! before pulling each event, so they switch at an event boundary: no event is dropped or
//! evaluated twice by a reload. A bundle that is missing, corrupt, wrongly signed or
//! incompatible with this build never replaces the running set.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use rulec_ir::bundle::sign::VerifyingKey;
use rulec_ir::bundle::{hex, read_trusted, Bundle, BundleError, FileInfo};
use rulec_ir::program::Program;

use crate::engine::Backend;
use crate::jit::JitProgram;

/// Why a bundle was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read bundle {path}: {source}")]
    Read {
        /// The bundle path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The bundle is corrupt, truncated, of a newer format, unsigned or wrongly signed.
    #[error("bundle {path} refused: {source}")]
    Bundle {
        /// The bundle path.
        path: PathBuf,
        /// Why.
        source: BundleError,
    },
    /// The bundle was compiled against field tables this build does not have.
    #[error("bundle {path} is incompatible with this agent: {detail}")]
    Incompatible {
        /// The bundle path.
        path: PathBuf,
        /// Which schemas differ.
        detail: String,
    },
}

/// How a rule set evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EngineChoice {
    /// The backend for every program; `None` (auto): the JIT for the syscall source, the
    /// interpreter for plugin sources, whose cost is JSON extraction (the JIT gains nothing
    /// there and its code costs memory: BENCHMARKS.md, "Agent").
    pub backend: Option<Backend>,
}

impl EngineChoice {
    /// The backend for a program of `source`.
    pub fn for_source(self, source: &str) -> Backend {
        self.backend.unwrap_or(if source == "syscall" {
            Backend::Jit
        } else {
            Backend::Interpreter
        })
    }
}

/// One immutable, ready-to-run rule set.
pub struct RuleSet {
    /// The bundle.
    pub bundle: Bundle,
    /// Its frame (checksum, signer).
    pub info: FileInfo,
    /// Native code per program (`None`: interpreter, or the JIT failed and was logged).
    jits: Vec<Option<JitProgram>>,
    /// Where it came from (`None` for in-process bundles).
    pub path: Option<PathBuf>,
    /// When it was loaded.
    pub loaded_at: SystemTime,
    /// How long reading, checking and compiling took.
    pub build_time: Duration,
}

impl RuleSet {
    /// Reads the bundle at `path` and builds a rule set from it. With `trusted` keys, only
    /// bundles signed by one of them are accepted.
    pub fn load(
        path: &Path,
        trusted: &[VerifyingKey],
        engine: EngineChoice,
    ) -> Result<RuleSet, LoadError> {
        let t = Instant::now();
        let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        let (bundle, info) = read_trusted(&bytes, trusted).map_err(|source| LoadError::Bundle {
            path: path.to_owned(),
            source,
        })?;
        let mut set =
            RuleSet::build(bundle, info, engine).map_err(|detail| LoadError::Incompatible {
                path: path.to_owned(),
                detail,
            })?;
        set.path = Some(path.to_owned());
        set.build_time = t.elapsed();
        Ok(set)
    }

    /// Builds a rule set from a bundle already read (e.g. compiled in-process). Refuses
    /// bundles whose schemas differ from this build's (field indices would not match).
    pub fn build(bundle: Bundle, info: FileInfo, engine: EngineChoice) -> Result<RuleSet, String> {
        let t = Instant::now();
        let diffs = bundle.schema_differences();
        if !diffs.is_empty() {
            return Err(diffs
                .iter()
                .map(|(src, b, cur)| {
                    format!(
                        "source {src}: bundle schema {b}, this agent {}",
                        if cur.is_empty() {
                            "(unknown source)"
                        } else {
                            cur
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; "));
        }
        let jits = bundle
            .programs
            .iter()
            .map(|p| match engine.for_source(&p.source) {
                Backend::Interpreter => None,
                Backend::Jit => match JitProgram::compile(p) {
                    Ok(j) => Some(j),
                    Err(e) => {
                        tracing::warn!(source = %p.source, error = %e, "JIT unavailable: the interpreter evaluates this source");
                        None
                    }
                },
            })
            .collect();
        Ok(RuleSet {
            bundle,
            info,
            jits,
            path: None,
            loaded_at: SystemTime::now(),
            build_time: t.elapsed(),
        })
    }

    /// The program of event source `source`, with its native code when compiled.
    pub fn program(&self, source: &str) -> Option<(&Program, Option<&JitProgram>)> {
        let i = self
            .bundle
            .programs
            .iter()
            .position(|p| p.source == source)?;
        Some((&self.bundle.programs[i], self.jits[i].as_ref()))
    }

    /// The bundle's checksum, hex.
    pub fn checksum_hex(&self) -> String {
        hex(&self.info.checksum)
    }

    /// Event sources with at least one enabled rule.
    pub fn sources(&self) -> Vec<&str> {
        self.bundle
            .programs
            .iter()
            .filter(|p| !p.rules.is_empty())
            .map(|p| p.source.as_str())
            .collect()
    }
}

/// The current rule set, replaced atomically.
pub struct Rules {
    current: ArcSwap<RuleSet>,
    generation: AtomicU64,
}

impl Rules {
    /// Starts with `set`.
    pub fn new(set: RuleSet) -> Rules {
        Rules {
            current: ArcSwap::from_pointee(set),
            generation: AtomicU64::new(1),
        }
    }

    /// The current set and its generation.
    pub fn current(&self) -> (Arc<RuleSet>, u64) {
        // Read the generation first: a swap between the two reads makes the caller see an
        // older generation with the newer set, and switch once more (harmless).
        let g = self.generation.load(Ordering::Acquire);
        (self.current.load_full(), g)
    }

    /// The generation (bumped by every replacement).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Publishes `set`.
    pub fn replace(&self, set: RuleSet) {
        self.current.store(Arc::new(set));
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
