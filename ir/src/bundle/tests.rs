use std::path::{Path, PathBuf};
use std::process::Command;

use super::sign::{
    generate, read_signing_key, read_verifying_key, signing_key_pem, verifying_key_pem, KeyError,
    SigningKey, VerifyingKey, SIGNATURE_BLOCK_LEN,
};
use super::*;

fn sample() -> Bundle {
    Bundle {
        header: Header {
            compiler_version: COMPILER_VERSION.into(),
            engine_version: "0.62.0".into(),
            schema_versions: vec![SchemaVersion {
                source: "syscall".into(),
                version: "test".into(),
            }],
        },
        files: vec![SourceFile {
            name: "rules.yaml".into(),
            size: 123,
            sha256: [7; 32],
        }],
        rules: vec![RuleMeta {
            name: "r".into(),
            priority: Priority::Notice,
            source: "syscall".into(),
            tags: vec!["a".into()],
            enabled: true,
            desc: "a rule".into(),
            output: "out".into(),
            output_fields: vec![],
            event_types: Some(vec!["execve".into()]),
            syscalls: vec![59],
            ir: None,
        }],
        programs: vec![],
        prefilter: vec![],
    }
}

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

/// `bytes` without their checksum, changed by `f`, sealed again.
fn reseal_with(bytes: &[u8], f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut body = bytes[..bytes.len() - CHECKSUM_LEN].to_vec();
    f(&mut body);
    seal(body)
}

#[test]
fn unsigned_bundles_have_no_flags_and_no_signer() {
    let b = sample();
    let bytes = b.write();
    assert_eq!(&bytes[10..12], &[0, 0]);
    let (back, info) = Bundle::read_with_info(&bytes).expect("reads");
    assert_eq!(back, b);
    assert_eq!(info.flags, 0);
    assert_eq!(info.signer, None);
    assert_eq!(info.total_len, bytes.len() as u64);
    assert_eq!(read_trusted(&bytes, &[]), Bundle::read_with_info(&bytes));
}

#[test]
fn sign_then_read_round_trips() {
    let b = sample();
    let k = key(1);
    let vk = k.verifying_key();
    let unsigned = b.write();
    let signed = b.write_signed(&k);
    assert_eq!(signed.len(), unsigned.len() + SIGNATURE_BLOCK_LEN);
    // The unsigned layout with the flag set and the signature block before the checksum.
    let body = unsigned.len() - CHECKSUM_LEN;
    assert_eq!(&signed[..10], &unsigned[..10]);
    assert_eq!(&signed[10..12], &FLAG_SIGNED.to_le_bytes());
    assert_eq!(&signed[12..body], &unsigned[12..body]);
    assert_eq!(&signed[body..body + 32], vk.as_bytes());
    // Ed25519 is deterministic.
    assert_eq!(signed, b.write_signed(&k));

    let (back, info) = Bundle::read_with_info(&signed).expect("reads");
    assert_eq!(back, b);
    assert_eq!(info.flags, FLAG_SIGNED);
    assert_eq!(info.signer, Some(*vk.as_bytes()));
    assert_eq!(info.total_len, signed.len() as u64);
    assert_eq!(
        info.header_len,
        Bundle::read_with_info(&unsigned)
            .expect("reads")
            .1
            .header_len
    );
    assert_eq!(Bundle::read(&signed).expect("reads"), b);
    assert_eq!(read_trusted(&signed, &[]).expect("reads").1, info);
    assert_eq!(read_trusted(&signed, &[vk]).expect("trusted").0, b);
    let other = key(2).verifying_key();
    assert_eq!(
        Bundle::read_trusted(&signed, &[other, vk])
            .expect("trusted")
            .1
            .signer,
        Some(*vk.as_bytes())
    );
}

#[test]
fn tampered_signed_payload_is_a_checksum_error() {
    let signed = sample().write_signed(&key(1));
    let mut bytes = signed.clone();
    bytes[PREAMBLE_LEN + 3] ^= 0x01;
    assert!(
        matches!(
            Bundle::read(&bytes),
            Err(BundleError::ChecksumMismatch { .. })
        ),
        "{:?}",
        Bundle::read(&bytes)
    );
    // The checksum is checked before the signature.
    let mut bytes = signed.clone();
    let last_sig = signed.len() - CHECKSUM_LEN - 1;
    bytes[last_sig] ^= 0x01;
    assert!(matches!(
        read_trusted(&bytes, &[key(1).verifying_key()]),
        Err(BundleError::ChecksumMismatch { .. })
    ));
}

#[test]
fn tampered_signature_with_recomputed_checksum_is_bad_signature() {
    let k = key(1);
    let signed = sample().write_signed(&k);
    let sig_start = signed.len() - CHECKSUM_LEN - SIGNATURE_BLOCK_LEN;

    // A flipped signature bit.
    let bytes = reseal_with(&signed, |b| b[sig_start + 40] ^= 0x04);
    assert_eq!(Bundle::read(&bytes), Err(BundleError::BadSignature));
    assert_eq!(
        read_trusted(&bytes, &[k.verifying_key()]),
        Err(BundleError::BadSignature)
    );
    // A modified payload, checksum recomputed.
    let bytes = reseal_with(&signed, |b| b[sig_start - 1] ^= 0x01);
    assert_eq!(Bundle::read(&bytes), Err(BundleError::BadSignature));
    // Another (valid) key put in place of the signer's.
    let other = key(2).verifying_key();
    let bytes = reseal_with(&signed, |b| {
        b[sig_start..sig_start + 32].copy_from_slice(other.as_bytes());
    });
    assert_eq!(Bundle::read(&bytes), Err(BundleError::BadSignature));
    assert_eq!(
        read_trusted(&bytes, &[other]),
        Err(BundleError::BadSignature)
    );
    // The SIGNED flag is covered by the signature: a signed bundle's signature does not
    // carry over to other flags (here an unknown one, refused first).
    let bytes = reseal_with(&signed, |b| b[10] = 0x03);
    assert_eq!(Bundle::read(&bytes), Err(BundleError::UnknownFlags(2)));
    // An embedded key that is no curve point.
    let bad = (0u8..=255)
        .map(|i| {
            let mut k = [0u8; 32];
            k[0] = i;
            k
        })
        .find(|k| VerifyingKey::from_bytes(k).is_err())
        .expect("some y has no point");
    let bytes = reseal_with(&signed, |b| {
        b[sig_start..sig_start + 32].copy_from_slice(&bad)
    });
    assert_eq!(Bundle::read(&bytes), Err(BundleError::BadSignature));
    let msg = BundleError::BadSignature.to_string();
    assert!(msg.starts_with("bundle signature is invalid: "), "{msg}");
}

#[test]
fn signed_by_another_key_is_untrusted() {
    let signed = sample().write_signed(&key(2));
    let trusted = [key(1).verifying_key(), key(3).verifying_key()];
    let e = read_trusted(&signed, &trusted).expect_err("untrusted");
    assert_eq!(
        e,
        BundleError::UntrustedSigner {
            key_hex: hex(key(2).verifying_key().as_bytes())
        }
    );
    let msg = e.to_string();
    assert!(
        msg.starts_with("bundle is signed by a key that is not trusted (public key "),
        "{msg}"
    );
    assert!(
        msg.contains(&hex(key(2).verifying_key().as_bytes())),
        "{msg}"
    );
    // Without trusted keys, any valid signature is accepted.
    assert!(read_trusted(&signed, &[]).is_ok());
}

#[test]
fn unsigned_with_trusted_keys_is_refused() {
    let bytes = sample().write();
    let e = read_trusted(&bytes, &[key(1).verifying_key()]).expect_err("unsigned");
    assert_eq!(e, BundleError::Unsigned);
    assert!(
        e.to_string()
            .starts_with("bundle is not signed, and a trusted key is configured"),
        "{e}"
    );
    assert!(Bundle::read(&bytes).is_ok());
}

#[test]
fn flags_decide_the_layout_and_unknown_bits_are_refused() {
    let unsigned = sample().write();
    // The SIGNED bit on an unsigned bundle: the signature block is missing.
    let bytes = reseal_with(&unsigned, |b| b[10] = 1);
    assert_eq!(
        Bundle::read(&bytes),
        Err(BundleError::Truncated {
            expected: (unsigned.len() + SIGNATURE_BLOCK_LEN) as u64,
            actual: unsigned.len() as u64,
        })
    );
    for (lo, hi, unknown) in [(2u8, 0u8, 2u16), (0, 0x80, 0x8000), (0x10, 1, 0x110)] {
        let bytes = reseal_with(&unsigned, |b| {
            b[10] = lo;
            b[11] = hi;
        });
        assert_eq!(
            Bundle::read(&bytes),
            Err(BundleError::UnknownFlags(unknown))
        );
    }
    // A truncated signed bundle.
    let signed = sample().write_signed(&key(1));
    assert!(matches!(
        Bundle::read(&signed[..signed.len() - 40]),
        Err(BundleError::Truncated { .. })
    ));
}

#[test]
fn keys_round_trip_through_pem_and_hex() {
    let k = generate();
    assert_ne!(k.to_bytes(), generate().to_bytes());
    let pem = signing_key_pem(&k);
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    assert!(pem.ends_with("-----END PRIVATE KEY-----\n"), "{pem}");
    assert_eq!(
        read_signing_key(&pem).expect("pem").to_bytes(),
        k.to_bytes()
    );
    let seed_hex = hex(&k.to_bytes());
    assert_eq!(
        read_signing_key(&format!("  {seed_hex}\n"))
            .expect("hex")
            .to_bytes(),
        k.to_bytes()
    );
    assert_eq!(
        read_signing_key(&seed_hex.to_uppercase())
            .expect("upper-case hex")
            .to_bytes(),
        k.to_bytes()
    );

    let vk = k.verifying_key();
    let pub_pem = verifying_key_pem(&vk);
    assert!(
        pub_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"),
        "{pub_pem}"
    );
    assert_eq!(read_verifying_key(&pub_pem).expect("pem"), vk);
    assert_eq!(read_verifying_key(&hex(vk.as_bytes())).expect("hex"), vk);
}

#[test]
fn bad_keys_have_clear_errors() {
    let k = key(5);
    let pub_pem = verifying_key_pem(&k.verifying_key());
    let priv_pem = signing_key_pem(&k);

    assert_eq!(read_signing_key(" \n"), Err(KeyError::Empty));
    assert_eq!(read_verifying_key(""), Err(KeyError::Empty));
    let e = read_signing_key(&pub_pem).expect_err("public as private");
    assert!(e.to_string().contains("this is a public key"), "{e}");
    let e = read_verifying_key(&priv_pem).expect_err("private as public");
    assert!(e.to_string().contains("this is a private key"), "{e}");

    let e = read_signing_key("abcd").expect_err("short hex");
    assert_eq!(
        e.to_string(),
        "not a key: expected a PEM key (-----BEGIN PRIVATE KEY-----) or 64 hex characters \
         (a 32-byte key), found 4 hex characters"
    );
    // Text that is not hex is described, never quoted (it may be a secret).
    let secret = format!("0x{}", hex(&[9; 32]));
    let e = read_signing_key(&secret).expect_err("0x prefix");
    assert!(!e.to_string().contains("0909"), "{e}");
    assert!(
        e.to_string()
            .contains("66 characters of neither PEM nor hex"),
        "{e}"
    );

    let e = read_signing_key(
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    )
    .expect_err("encrypted");
    assert!(
        e.to_string().contains("encrypted keys are not supported"),
        "{e}"
    );
    let e = read_signing_key(
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    )
    .expect_err("openssh");
    assert!(
        e.to_string().contains("OpenSSH keys are not supported"),
        "{e}"
    );
    let e = read_verifying_key("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        .expect_err("certificate");
    assert!(
        e.to_string().starts_with(
            "unsupported PEM block -----BEGIN CERTIFICATE-----, expected -----BEGIN PUBLIC KEY-----"
        ),
        "{e}"
    );

    // A PEM private key whose body is corrupt.
    let broken = priv_pem.replacen("MC4C", "MC4D", 1);
    let e = read_signing_key(&broken).expect_err("corrupt pem");
    assert!(
        matches!(
            e,
            KeyError::BadPem {
                what: "PKCS#8 private key",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .starts_with("not an Ed25519 PKCS#8 private key: "),
        "{e}"
    );

    let bad = (0u8..=255)
        .map(|i| {
            let mut k = [0u8; 32];
            k[0] = i;
            k
        })
        .find(|k| VerifyingKey::from_bytes(k).is_err())
        .expect("some y has no point");
    assert_eq!(
        read_verifying_key(&hex(&bad)),
        Err(KeyError::InvalidPublicKey)
    );
}

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn openssl(args: &[&str], dir: &Path) -> Vec<u8> {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rulec-ir-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn openssl_keys_and_signatures_interoperate() {
    if !openssl_available() {
        println!("skipped: openssl is not on PATH");
        return;
    }
    let dir = scratch("openssl");
    // A key openssl made reads, and so does its public key.
    openssl(
        &["genpkey", "-algorithm", "ed25519", "-out", "ossl.key"],
        &dir,
    );
    let pub_pem = openssl(&["pkey", "-in", "ossl.key", "-pubout"], &dir);
    let key_text = std::fs::read_to_string(dir.join("ossl.key")).expect("key written");
    let k = read_signing_key(&key_text).expect("openssl private key");
    let vk = read_verifying_key(&String::from_utf8_lossy(&pub_pem)).expect("openssl public key");
    assert_eq!(k.verifying_key(), vk);
    // What we write is byte-identical to what openssl writes for the same key.
    assert_eq!(signing_key_pem(&k), key_text);
    assert_eq!(verifying_key_pem(&vk).as_bytes(), pub_pem.as_slice());

    // Our key, read by openssl, gives our public key.
    let ours = key(9);
    std::fs::write(dir.join("ours.key"), signing_key_pem(&ours)).expect("write key");
    let pub_pem = openssl(&["pkey", "-in", "ours.key", "-pubout"], &dir);
    assert_eq!(
        String::from_utf8_lossy(&pub_pem),
        verifying_key_pem(&ours.verifying_key())
    );

    // openssl verifies a bundle signature made here (over the bytes before the block).
    let signed = sample().write_signed(&k);
    let sig_start = signed.len() - CHECKSUM_LEN - SIGNATURE_BLOCK_LEN;
    std::fs::write(dir.join("body"), &signed[..sig_start]).expect("write body");
    std::fs::write(dir.join("sig"), &signed[sig_start + 32..sig_start + 96]).expect("write sig");
    std::fs::write(dir.join("ossl.pub"), verifying_key_pem(&vk)).expect("write pub");
    let out = openssl(
        &[
            "pkeyutl", "-verify", "-pubin", "-inkey", "ossl.pub", "-rawin", "-in", "body",
            "-sigfile", "sig",
        ],
        &dir,
    );
    assert!(
        String::from_utf8_lossy(&out).contains("Signature Verified Successfully"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
