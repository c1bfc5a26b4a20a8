//! Compiled rule bundles: a versioned, checksummed binary file holding the lowered IR
//! ([`Program`]s), the rule metadata and outputs, the schema versions and the per-rule and
//! global syscall prefilter sets (`falco-rulec compile -o FILE.bundle`).
//!
//! # Layout (all integers little-endian)
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `FRBNDL\0\x01` ([`MAGIC`]) |
//! | 8 | 2 | format version (u16, [`FORMAT_VERSION`]) |
//! | 10 | 2 | flags (u16): bit 0 [`FLAG_SIGNED`], every other bit must be 0 |
//! | 12 | 4 | header length `H` (u32) |
//! | 16 | 8 | payload length `P` (u64) |
//! | 24 | `H` | header: postcard-encoded [`Header`] (compiler, engine and schema versions) |
//! | 24+`H` | `P` | payload: postcard-encoded files, rule metadata, programs, global prefilter |
//! | 24+`H`+`P` | 96 | signed bundles only (flag [`FLAG_SIGNED`]): signature block, the signer's 32-byte Ed25519 public key then the 64-byte Ed25519 signature of bytes `0 .. 24+H+P` |
//! | 24+`H`+`P`+`S` | 32 | SHA-256 of bytes `0 .. 24+H+P+S` (`S` = 96 when signed, else 0) |
//!
//! An unsigned bundle ([`Bundle::write`]) has flags 0 and no signature block. A signed one
//! ([`Bundle::write_signed`]) is the same bytes with the [`FLAG_SIGNED`] bit set in the
//! preamble (before signing, so the flag is covered by the signature) and the signature block
//! inserted before the checksum; the checksum covers the signature block too. Keys are
//! Ed25519 ([`sign`]: PKCS#8 / SPKI PEM as OpenSSL writes them, or hex).
//!
//! [`Bundle::read`] checks, in order: magic, format version (a newer one is refused before
//! anything else is interpreted), lengths (truncation), checksum, flags, the signature (it
//! must verify against the public key embedded next to it: [`BundleError::BadSignature`]),
//! then decodes the two sections and validates every internal reference
//! ([`Bundle::validate`]), so that a crafted bundle that passes the checksum still cannot make
//! the interpreter index out of bounds, loop or recurse without bound. Decoding is bounded by
//! the input: every sequence element takes at least one input byte and preallocation is
//! capped by the remaining input.
//!
//! The checksum only detects accidents (anyone can recompute it); the signature says who
//! wrote the bundle, which only means something against a list of keys the reader trusts:
//! [`read_trusted`] also refuses unsigned bundles ([`BundleError::Unsigned`]) and bundles
//! signed by any other key ([`BundleError::UntrustedSigner`]) when that list is not empty.

pub mod sign;
mod validate;

use std::cell::Cell;
use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use self::sign::{SigningKey, VerifyingKey, PUBLIC_KEY_LEN, SIGNATURE_BLOCK_LEN};

use crate::program::Program;
use crate::schema::Registry;
use crate::vocab::Priority;

/// The magic bytes every bundle starts with.
pub const MAGIC: [u8; 8] = *b"FRBNDL\0\x01";
/// The bundle format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u16 = 1;
/// Size of the fixed preamble (magic, version, flags, header and payload lengths).
pub const PREAMBLE_LEN: usize = 24;
/// Size of the trailing SHA-256 checksum.
pub const CHECKSUM_LEN: usize = 32;
/// Flags bit 0: the bundle is signed (a signature block precedes the checksum).
pub const FLAG_SIGNED: u16 = 1;
/// Every flag this build knows.
pub const KNOWN_FLAGS: u16 = FLAG_SIGNED;
/// Syscall numbers in prefilter sets are below this bound (a 512-bit map).
pub const SYSCALL_LIMIT: u16 = 512;
/// The compiler version written into bundles.
pub const COMPILER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why a bundle could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// The input does not start with [`MAGIC`].
    #[error("not a falco-rulec bundle (bad magic bytes)")]
    NotABundle,
    /// The input is shorter than its preamble says.
    #[error("truncated bundle: expected {expected} bytes, found {actual}")]
    Truncated {
        /// Bytes the bundle should have (at least).
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// The checksum does not match the contents.
    #[error(
        "bundle checksum mismatch: the file is corrupt or was modified \
         (stored sha256 {stored}, computed {computed})"
    )]
    ChecksumMismatch {
        /// Checksum stored in the file (hex).
        stored: String,
        /// Checksum of the contents (hex).
        computed: String,
    },
    /// The format version is newer than this build reads.
    #[error(
        "bundle format version {found} is newer than this falco-rulec supports ({supported}): \
         upgrade falco-rulec"
    )]
    NewerVersion {
        /// Version in the file.
        found: u16,
        /// Newest version this build reads.
        supported: u16,
    },
    /// Format version 0 (never written).
    #[error("unsupported bundle format version {0}")]
    UnsupportedVersion(u16),
    /// Flags this build does not know (the unknown bits).
    #[error("bundle uses unknown flags {0:#06x}: upgrade falco-rulec")]
    UnknownFlags(u16),
    /// The signature does not verify against the public key embedded next to it.
    #[error(
        "bundle signature is invalid: it does not verify against the public key embedded in \
         the bundle (the file was modified after signing, or the signature block is corrupt)"
    )]
    BadSignature,
    /// Trusted keys are configured but the bundle is not signed.
    #[error(
        "bundle is not signed, and a trusted key is configured: sign it \
         (`falco-rulec compile --sign KEYFILE`) or remove the trusted keys"
    )]
    Unsigned,
    /// The bundle is validly signed, by a key that is not among the trusted ones.
    #[error(
        "bundle is signed by a key that is not trusted (public key {key_hex}): \
         add that public key to the trusted keys, or sign the bundle with a trusted key"
    )]
    UntrustedSigner {
        /// The signer's public key (hex).
        key_hex: String,
    },
    /// A section does not decode.
    #[error("corrupt bundle {section} at byte offset {offset}: {message}")]
    Corrupt {
        /// `header`, `payload` or `trailer`.
        section: &'static str,
        /// Absolute byte offset in the file where decoding stopped.
        offset: u64,
        /// What was wrong.
        message: String,
    },
    /// The contents decode but are inconsistent (a reference out of range ...).
    #[error("invalid bundle: {0}")]
    Invalid(String),
    /// A field of the IR does not exist in this build's schema.
    #[error(
        "bundle was compiled against a different {event_source} schema ({detail}): \
         recompile the rules with this falco-rulec"
    )]
    SchemaMismatch {
        /// The event source.
        event_source: String,
        /// Which field did not resolve.
        detail: String,
    },
    /// The load cannot be bundled (errors, rules that cannot be lowered).
    #[error("cannot build a bundle: {0}")]
    NotBundleable(String),
}

/// The bundle header: what produced the bundle and what it targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// falco-rulec version that wrote the bundle.
    pub compiler_version: String,
    /// Falco engine version the rules were checked against (`0.62.0`).
    pub engine_version: String,
    /// Per event source, the vendored schema's `version` string.
    pub schema_versions: Vec<SchemaVersion>,
}

/// The schema version of one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaVersion {
    /// Event source.
    pub source: String,
    /// The vendored schema's `version` string.
    pub version: String,
}

/// A rules file that went into the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// File name as given to the compiler.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the contents.
    pub sha256: [u8; 32],
}

/// Where a rule's lowered condition lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IrRef {
    /// Index into [`Bundle::programs`].
    pub program: u32,
    /// Index into that program's `rules`.
    pub rule: u32,
}

/// Metadata of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleMeta {
    /// Rule name.
    pub name: String,
    /// Priority.
    pub priority: Priority,
    /// Event source.
    pub source: String,
    /// Tags (sorted).
    pub tags: Vec<String>,
    /// Whether the rule is enabled.
    pub enabled: bool,
    /// Description.
    pub desc: String,
    /// Output template text.
    pub output: String,
    /// The `%` fields of the output, canonical text, in order.
    pub output_fields: Vec<String>,
    /// Event type names (syscall source; `None` for other sources).
    pub event_types: Option<Vec<String>>,
    /// x86_64 syscall numbers of the rule (its prefilter), sorted.
    pub syscalls: Vec<u16>,
    /// The lowered rule (`None` for disabled rules and rules that did not compile).
    pub ir: Option<IrRef>,
}

/// A compiled rule bundle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// Versions.
    pub header: Header,
    /// Rules files, in load order.
    pub files: Vec<SourceFile>,
    /// Rules in collection order.
    pub rules: Vec<RuleMeta>,
    /// Lowered programs, one per event source.
    pub programs: Vec<Program>,
    /// Global syscall prefilter: the union of the enabled, lowered rules' syscalls, sorted.
    pub prefilter: Vec<u16>,
}

/// The payload section (everything but the header).
#[derive(Serialize)]
struct PayloadRef<'a> {
    files: &'a [SourceFile],
    rules: &'a [RuleMeta],
    programs: &'a [Program],
    prefilter: &'a [u16],
}

#[derive(Deserialize)]
struct Payload {
    files: Vec<SourceFile>,
    rules: Vec<RuleMeta>,
    programs: Vec<Program>,
    prefilter: Vec<u16>,
}

/// Facts about a bundle file, from its preamble and trailer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Format version.
    pub format_version: u16,
    /// Flags.
    pub flags: u16,
    /// Header section length.
    pub header_len: u32,
    /// Payload section length.
    pub payload_len: u64,
    /// Whole file length.
    pub total_len: u64,
    /// The (verified) SHA-256 checksum.
    pub checksum: [u8; 32],
    /// Signed bundles: the signer's Ed25519 public key (the signature verified against it).
    pub signer: Option<[u8; 32]>,
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Bundle {
    /// Encodes the bundle, unsigned (see the module documentation for the layout).
    pub fn write(&self) -> Vec<u8> {
        seal(self.body(0))
    }

    /// Encodes the bundle signed with `key`: the unsigned layout with flag [`FLAG_SIGNED`]
    /// and the signature block (public key, signature of everything before it) before the
    /// checksum.
    pub fn write_signed(&self, key: &SigningKey) -> Vec<u8> {
        seal(sign_body(self.body(FLAG_SIGNED), key))
    }

    /// Preamble (with `flags`), header and payload.
    #[allow(clippy::expect_used)]
    fn body(&self, flags: u16) -> Vec<u8> {
        // The bundle types only use serde features postcard supports: encoding cannot fail.
        let header = postcard::to_allocvec(&self.header).expect("bundle header encodes");
        let payload = postcard::to_allocvec(&PayloadRef {
            files: &self.files,
            rules: &self.rules,
            programs: &self.programs,
            prefilter: &self.prefilter,
        })
        .expect("bundle payload encodes");
        let mut out = Vec::with_capacity(
            PREAMBLE_LEN + header.len() + payload.len() + SIGNATURE_BLOCK_LEN + CHECKSUM_LEN,
        );
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        let header_len = u32::try_from(header.len()).expect("bundle header under 4 GiB");
        out.extend_from_slice(&header_len.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&payload);
        out
    }

    /// Decodes and validates a bundle, signed or not (a signature must verify against the
    /// key embedded next to it; no key is required to be trusted: see [`read_trusted`]).
    pub fn read(bytes: &[u8]) -> Result<Bundle, BundleError> {
        Bundle::read_with_info(bytes).map(|(b, _)| b)
    }

    /// Decodes and validates a bundle; also returns the file facts (checksum, lengths,
    /// signer).
    pub fn read_with_info(bytes: &[u8]) -> Result<(Bundle, FileInfo), BundleError> {
        Bundle::read_trusted(bytes, &[])
    }

    /// [`read_trusted`].
    pub fn read_trusted(
        bytes: &[u8],
        trusted: &[VerifyingKey],
    ) -> Result<(Bundle, FileInfo), BundleError> {
        let info = check_frame(bytes, trusted)?;
        let h_start = PREAMBLE_LEN;
        let h_end = h_start + info.header_len as usize;
        let p_end = h_end + info.payload_len as usize;
        let header: Header = decode(&bytes[h_start..h_end], h_start, "header")?;
        let payload: Payload = decode(&bytes[h_end..p_end], h_end, "payload")?;
        let b = Bundle {
            header,
            files: payload.files,
            rules: payload.rules,
            programs: payload.programs,
            prefilter: payload.prefilter,
        };
        b.validate()?;
        Ok((b, info))
    }

    /// Checks every internal reference and invariant the interpreter relies on (ids in
    /// range, acyclic and depth-bounded arenas, fields resolving in this build's schema,
    /// rule metadata pointing at existing IR, sorted prefilter sets).
    pub fn validate(&self) -> Result<(), BundleError> {
        validate::bundle(self)
    }

    /// The program and rule index of metadata rule `i`, when it has IR.
    pub fn rule_ir(&self, i: usize) -> Option<(&Program, usize)> {
        let r = self.rules.get(i)?.ir?;
        let p = self.programs.get(r.program as usize)?;
        Some((p, r.rule as usize))
    }

    /// Header versions that differ from this build (`(source, bundle, this build)`).
    pub fn schema_differences(&self) -> Vec<(String, String, String)> {
        let reg = Registry::get();
        self.header
            .schema_versions
            .iter()
            .filter_map(|s| {
                let cur = reg.source(&s.source).map_or("", |x| x.version.as_str());
                (cur != s.version).then(|| (s.source.clone(), s.version.clone(), cur.to_owned()))
            })
            .collect()
    }
}

/// Decodes and validates a bundle like [`Bundle::read_with_info`], and when `trusted` is not
/// empty also requires it to be signed by one of those keys: an unsigned bundle is
/// [`BundleError::Unsigned`], one signed by another key [`BundleError::UntrustedSigner`].
/// With no trusted keys, any bundle with a valid (or no) signature is accepted.
pub fn read_trusted(
    bytes: &[u8],
    trusted: &[VerifyingKey],
) -> Result<(Bundle, FileInfo), BundleError> {
    Bundle::read_trusted(bytes, trusted)
}

/// Appends the SHA-256 trailer to `body` (preamble, header and payload, and the signature
/// block of a signed bundle). [`Bundle::write`] uses it; fuzzers and tests use it to reach the
/// decoder with crafted contents.
pub fn seal(mut body: Vec<u8>) -> Vec<u8> {
    let sum = Sha256::digest(&body);
    body.extend_from_slice(&sum);
    body
}

/// Appends the signature block (`key`'s public key, then its signature of `body`) to `body`
/// (preamble with [`FLAG_SIGNED`] set, header and payload); [`seal`] it next.
/// [`Bundle::write_signed`] uses it; tests use it to sign crafted contents.
pub fn sign_body(mut body: Vec<u8>, key: &SigningKey) -> Vec<u8> {
    use ed25519_dalek::Signer;
    let sig = key.sign(&body);
    body.extend_from_slice(key.verifying_key().as_bytes());
    body.extend_from_slice(&sig.to_bytes());
    body
}

/// The global prefilter of `rules`: the sorted union of the syscalls of every enabled rule
/// that has IR.
pub fn global_prefilter(rules: &[RuleMeta]) -> Vec<u16> {
    let set: BTreeSet<u16> = rules
        .iter()
        .filter(|r| r.enabled && r.ir.is_some())
        .flat_map(|r| r.syscalls.iter().copied())
        .collect();
    set.into_iter().collect()
}

/// Checks magic, version, lengths, checksum, flags and the signature (and the signer against
/// `trusted`, when not empty).
fn check_frame(bytes: &[u8], trusted: &[VerifyingKey]) -> Result<FileInfo, BundleError> {
    let actual = bytes.len() as u64;
    let n = bytes.len().min(MAGIC.len());
    if bytes[..n] != MAGIC[..n] {
        return Err(BundleError::NotABundle);
    }
    let truncated = |expected: u64| BundleError::Truncated { expected, actual };
    let min = (PREAMBLE_LEN + CHECKSUM_LEN) as u64;
    if bytes.len() < 10 {
        return Err(truncated(min));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version > FORMAT_VERSION {
        return Err(BundleError::NewerVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(BundleError::UnsupportedVersion(version));
    }
    if bytes.len() < PREAMBLE_LEN {
        return Err(truncated(min));
    }
    let flags = u16::from_le_bytes([bytes[10], bytes[11]]);
    let header_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let mut p = [0u8; 8];
    p.copy_from_slice(&bytes[16..24]);
    let payload_len = u64::from_le_bytes(p);
    // The SIGNED bit decides the length; unknown bits are refused after the checksum.
    let signed = flags & FLAG_SIGNED != 0;
    let sig_len = if signed { SIGNATURE_BLOCK_LEN } else { 0 };
    let total = (PREAMBLE_LEN as u64 + sig_len as u64 + CHECKSUM_LEN as u64)
        .checked_add(u64::from(header_len))
        .and_then(|t| t.checked_add(payload_len))
        .ok_or(truncated(u64::MAX))?;
    if actual < total {
        return Err(truncated(total));
    }
    if actual > total {
        return Err(BundleError::Corrupt {
            section: "trailer",
            offset: total,
            message: format!("{} unexpected bytes after the checksum", actual - total),
        });
    }
    let body = bytes.len() - CHECKSUM_LEN;
    let computed: [u8; 32] = Sha256::digest(&bytes[..body]).into();
    let mut stored = [0u8; 32];
    stored.copy_from_slice(&bytes[body..]);
    if computed != stored {
        return Err(BundleError::ChecksumMismatch {
            stored: hex(&stored),
            computed: hex(&computed),
        });
    }
    if flags & !KNOWN_FLAGS != 0 {
        return Err(BundleError::UnknownFlags(flags & !KNOWN_FLAGS));
    }
    let signer = if signed {
        let sig_start = body - SIGNATURE_BLOCK_LEN;
        Some(check_signature(
            &bytes[..sig_start],
            &bytes[sig_start..body],
        )?)
    } else {
        None
    };
    if !trusted.is_empty() {
        let key = signer.ok_or(BundleError::Unsigned)?;
        if !trusted.iter().any(|t| t.as_bytes() == &key) {
            return Err(BundleError::UntrustedSigner { key_hex: hex(&key) });
        }
    }
    Ok(FileInfo {
        format_version: version,
        flags,
        header_len,
        payload_len,
        total_len: total,
        checksum: stored,
        signer,
    })
}

/// Verifies the signature block `block` (public key, signature) over `signed`; returns the
/// public key.
fn check_signature(signed: &[u8], block: &[u8]) -> Result<[u8; 32], BundleError> {
    let mut key = [0u8; PUBLIC_KEY_LEN];
    key.copy_from_slice(&block[..PUBLIC_KEY_LEN]);
    let mut sig = [0u8; sign::SIGNATURE_LEN];
    sig.copy_from_slice(&block[PUBLIC_KEY_LEN..]);
    let vk = VerifyingKey::from_bytes(&key).map_err(|_| BundleError::BadSignature)?;
    // Strict verification: no malleable signatures, no small-order keys.
    vk.verify_strict(signed, &ed25519_dalek::Signature::from_bytes(&sig))
        .map_err(|_| BundleError::BadSignature)?;
    Ok(key)
}

/// A postcard input flavor over a slice that publishes its position (for error offsets) and
/// reports the remaining length (so sequence preallocation is capped by the input).
struct Tracked<'de> {
    data: &'de [u8],
    pos: usize,
    seen: &'de Cell<usize>,
}

impl<'de> postcard::de_flavors::Flavor<'de> for Tracked<'de> {
    type Remainder = usize;
    type Source = &'de [u8];

    fn pop(&mut self) -> postcard::Result<u8> {
        let b = *self
            .data
            .get(self.pos)
            .ok_or(postcard::Error::DeserializeUnexpectedEnd)?;
        self.pos += 1;
        self.seen.set(self.pos);
        Ok(b)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.data.len() - self.pos)
    }

    fn try_take_n(&mut self, ct: usize) -> postcard::Result<&'de [u8]> {
        let end = self
            .pos
            .checked_add(ct)
            .filter(|&e| e <= self.data.len())
            .ok_or(postcard::Error::DeserializeUnexpectedEnd)?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        self.seen.set(end);
        Ok(s)
    }

    fn finalize(self) -> postcard::Result<usize> {
        Ok(self.data.len() - self.pos)
    }
}

/// Decodes one section that must be consumed exactly.
fn decode<T: DeserializeOwned>(
    data: &[u8],
    base: usize,
    section: &'static str,
) -> Result<T, BundleError> {
    let seen = Cell::new(0usize);
    let mut de = postcard::Deserializer::from_flavor(Tracked {
        data,
        pos: 0,
        seen: &seen,
    });
    let corrupt = |at: usize, message: String| BundleError::Corrupt {
        section,
        offset: (base + at) as u64,
        message,
    };
    let v = T::deserialize(&mut de).map_err(|e| corrupt(seen.get(), e.to_string()))?;
    let left = de
        .finalize()
        .map_err(|e| corrupt(seen.get(), e.to_string()))?;
    if left != 0 {
        return Err(corrupt(
            data.len() - left,
            format!("{left} unexpected bytes at the end of the {section}"),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests;
