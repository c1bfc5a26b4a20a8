//! Ed25519 keys for signed bundles ([`super::Bundle::write_signed`],
//! [`super::read_trusted`]).
//!
//! Keys are read in the formats OpenSSL writes, so an operator can make and inspect them with
//! the tools they already have:
//!
//! * private keys: PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, what
//!   `openssl genpkey -algorithm ed25519` writes and what `falco-rulec keygen` writes), or the
//!   32-byte seed as 64 hex characters;
//! * public keys: SPKI PEM (`-----BEGIN PUBLIC KEY-----`, what `openssl pkey -pubout` writes),
//!   or the 32-byte key as 64 hex characters (what `falco-rulec inspect` prints as the signer).

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};

pub use ed25519_dalek::{SigningKey, VerifyingKey};

/// Size of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Size of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;
/// Size of a signed bundle's signature block (public key, then signature).
pub const SIGNATURE_BLOCK_LEN: usize = PUBLIC_KEY_LEN + SIGNATURE_LEN;

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The text is empty (or only whitespace).
    #[error("empty key: expected a PEM key or 64 hex characters")]
    Empty,
    /// Neither PEM nor hex.
    #[error(
        "not a key: expected a PEM key (-----BEGIN {expected}-----) or 64 hex characters \
         (a 32-byte key), found {found}"
    )]
    Unrecognised {
        /// The PEM label that was expected (`PRIVATE KEY` or `PUBLIC KEY`).
        expected: &'static str,
        /// What the text looks like.
        found: String,
    },
    /// A PEM block of a kind this reader does not take.
    #[error("{0}")]
    WrongKind(String),
    /// A PEM block of the right kind that does not decode as an Ed25519 key.
    #[error("not an Ed25519 {what}: {message}")]
    BadPem {
        /// `PKCS#8 private key` or `SPKI public key`.
        what: &'static str,
        /// The decoder's message.
        message: String,
    },
    /// 32 bytes that are not a point on the curve.
    #[error("invalid Ed25519 public key (not a valid curve point)")]
    InvalidPublicKey,
}

/// Reads a private key: PKCS#8 PEM (as `openssl genpkey -algorithm ed25519` writes) or the
/// 32-byte seed as 64 hex characters.
pub fn read_signing_key(pem_or_hex: &str) -> Result<SigningKey, KeyError> {
    let text = pem_or_hex.trim();
    if text.is_empty() {
        return Err(KeyError::Empty);
    }
    if let Some(label) = pem_label(text) {
        return match label {
            "PRIVATE KEY" => SigningKey::from_pkcs8_pem(text).map_err(|e| KeyError::BadPem {
                what: "PKCS#8 private key",
                message: e.to_string(),
            }),
            "PUBLIC KEY" => Err(KeyError::WrongKind(
                "this is a public key (-----BEGIN PUBLIC KEY-----): signing needs the private \
                 key (-----BEGIN PRIVATE KEY-----)"
                    .into(),
            )),
            other => Err(wrong_pem(other, "PRIVATE KEY")),
        };
    }
    let seed = parse_hex32(text).ok_or_else(|| unrecognised(text, "PRIVATE KEY"))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Reads a public key: SPKI PEM (as `openssl pkey -pubout` writes) or the 32-byte key as 64
/// hex characters.
pub fn read_verifying_key(text: &str) -> Result<VerifyingKey, KeyError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(KeyError::Empty);
    }
    if let Some(label) = pem_label(text) {
        return match label {
            "PUBLIC KEY" => VerifyingKey::from_public_key_pem(text).map_err(|e| KeyError::BadPem {
                what: "SPKI public key",
                message: e.to_string(),
            }),
            "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => Err(KeyError::WrongKind(
                "this is a private key: a trusted key must be the public key \
                 (-----BEGIN PUBLIC KEY-----, `openssl pkey -pubout` or the .pub file of \
                 `falco-rulec keygen`); never give nodes the private key"
                    .into(),
            )),
            other => Err(wrong_pem(other, "PUBLIC KEY")),
        };
    }
    let bytes = parse_hex32(text).ok_or_else(|| unrecognised(text, "PUBLIC KEY"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPublicKey)
}

/// A new random private key (from the operating system's random source).
#[allow(clippy::expect_used)]
pub fn generate() -> SigningKey {
    let mut seed = [0u8; 32];
    // Fails only when the operating system has no random source at all.
    getrandom::getrandom(&mut seed).expect("the operating system's random source");
    let key = SigningKey::from_bytes(&seed);
    seed.fill(0);
    key
}

/// The private key as PKCS#8 PEM (version 1, the form `openssl genpkey` writes), LF line ends.
#[allow(clippy::expect_used)]
pub fn signing_key_pem(key: &SigningKey) -> String {
    let bytes = ed25519_dalek::pkcs8::KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    // A 32-byte key always encodes.
    let pem = bytes
        .to_pkcs8_pem(LineEnding::LF)
        .expect("Ed25519 PKCS#8 encodes");
    pem.as_str().to_owned()
}

/// The public key as SPKI PEM (the form `openssl pkey -pubout` writes), LF line ends.
#[allow(clippy::expect_used)]
pub fn verifying_key_pem(key: &VerifyingKey) -> String {
    // A 32-byte key always encodes.
    key.to_public_key_pem(LineEnding::LF)
        .expect("Ed25519 SPKI encodes")
}

/// The label of the first PEM block of `text` (`PRIVATE KEY` for `-----BEGIN PRIVATE KEY-----`).
fn pem_label(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("-----BEGIN ")?;
    let end = rest.find("-----")?;
    Some(&rest[..end])
}

fn wrong_pem(label: &str, expected: &'static str) -> KeyError {
    let hint = match label {
        "ENCRYPTED PRIVATE KEY" => {
            ": encrypted keys are not supported, decrypt it first (`openssl pkey -in KEY -out PLAIN`)"
        }
        "OPENSSH PRIVATE KEY" => {
            ": OpenSSH keys are not supported, use `falco-rulec keygen` or \
             `openssl genpkey -algorithm ed25519`"
        }
        _ => "",
    };
    KeyError::WrongKind(format!(
        "unsupported PEM block -----BEGIN {label}-----, expected -----BEGIN {expected}-----{hint}"
    ))
}

fn unrecognised(text: &str, expected: &'static str) -> KeyError {
    // Never quote the text: it may be (part of) a secret.
    let n = text.chars().count();
    let found = if text.chars().all(|c| c.is_ascii_hexdigit()) {
        format!("{n} hex characters")
    } else {
        format!("{n} characters of neither PEM nor hex")
    };
    KeyError::Unrecognised { expected, found }
}

/// 64 hex digits to 32 bytes.
fn parse_hex32(text: &str) -> Option<[u8; 32]> {
    let b = text.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks_exact(2).enumerate() {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        out[i] = (hi * 16 + lo) as u8;
    }
    Some(out)
}
