//! `keys`: signatures made by the `openssl` command line for every key type and hash cosign
//! uses verify; tampered messages and wrong keys do not; refused key types are named. Also the
//! real cosign RSA signatures of the shared corpus.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;

use std::path::Path;
use std::process::Command;

use bona_sigstore::keys::{KeyError, PublicKey, decode_base64_lenient};

use common::{have_openssl, openssl};

fn scratch(name: &str) -> common::Scratch {
    common::scratch(name)
}

/// Generates a key with `genpkey` arguments, returns (private key path, public key).
fn keypair(dir: &Path, name: &str, genpkey: &[&str]) -> (String, Vec<u8>) {
    let key = format!("{name}.key");
    let pubk = format!("{name}.pub");
    let mut args = vec!["genpkey", "-out", &key];
    args.extend_from_slice(genpkey);
    openssl(dir, &args);
    openssl(dir, &["pkey", "-in", &key, "-pubout", "-out", &pubk]);
    (key, std::fs::read(dir.join(&pubk)).unwrap())
}

fn sign(dir: &Path, key: &str, args: &[&str]) -> Vec<u8> {
    std::fs::write(dir.join("msg"), MESSAGE).unwrap();
    let mut all = vec!["dgst"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-sign", key, "-out", "sig", "msg"]);
    openssl(dir, &all);
    std::fs::read(dir.join("sig")).unwrap()
}

const MESSAGE: &[u8] = b"{\"critical\":{\"image\":{\"docker-manifest-digest\":\"sha256:00\"}}}";

fn check(pubkey: &PublicKey, other: &PublicKey, sig: &[u8], what: &str) {
    pubkey
        .verify(MESSAGE, sig)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut tampered = MESSAGE.to_vec();
    tampered[5] ^= 1;
    assert!(
        pubkey.verify(&tampered, sig).is_err(),
        "{what}: tampered message verified"
    );
    assert!(
        other.verify(MESSAGE, sig).is_err(),
        "{what}: wrong key verified"
    );
}

#[test]
fn ecdsa_every_curve_and_hash() {
    if !have_openssl() {
        return;
    }
    let d = scratch("ecdsa");
    let (_, other_pem) = keypair(
        &d.0,
        "other",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let other = PublicKey::from_pem_or_der(&other_pem).unwrap();
    for (curve, kind, hashes, raw_len) in [
        ("P-256", "ECDSA P-256", &["-sha256"][..], 64),
        ("P-384", "ECDSA P-384", &["-sha256", "-sha384"][..], 96),
        ("P-521", "ECDSA P-521", &["-sha256", "-sha512"][..], 132),
    ] {
        let (key, pem) = keypair(
            &d.0,
            curve,
            &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                &format!("ec_paramgen_curve:{curve}"),
            ],
        );
        let pubkey = PublicKey::from_pem_or_der(&pem).unwrap();
        assert_eq!(pubkey.kind(), kind);
        for hash in hashes {
            let der = sign(&d.0, &key, &[hash]);
            check(&pubkey, &other, &der, &format!("{curve} {hash} DER"));
            let raw = der_to_raw(&der, raw_len / 2);
            check(&pubkey, &other, &raw, &format!("{curve} {hash} raw"));
        }
        // A hash cosign never uses (SHA-1) does not verify.
        let sha1 = sign(&d.0, &key, &["-sha1"]);
        assert!(
            pubkey.verify(MESSAGE, &sha1).is_err(),
            "{curve} SHA-1 verified"
        );
    }
}

/// The r‖s form of a DER ECDSA signature, each half `n` bytes.
fn der_to_raw(der: &[u8], n: usize) -> Vec<u8> {
    // SEQUENCE { INTEGER r, INTEGER s }, lengths short or 0x81-prefixed.
    let mut i = if der[1] == 0x81 { 3 } else { 2 };
    let mut out = Vec::new();
    for _ in 0..2 {
        assert_eq!(der[i], 2);
        let len = der[i + 1] as usize;
        let int = &der[i + 2..i + 2 + len];
        let int = &int[int.iter().take_while(|b| **b == 0).count()..];
        out.extend(std::iter::repeat_n(0u8, n - int.len()));
        out.extend_from_slice(int);
        i += 2 + len;
    }
    out
}

#[test]
fn ed25519_pure() {
    if !have_openssl() {
        return;
    }
    let d = scratch("ed25519");
    let (key, pem) = keypair(&d.0, "ed", &["-algorithm", "ED25519"]);
    let (_, other_pem) = keypair(&d.0, "other", &["-algorithm", "ED25519"]);
    let pubkey = PublicKey::from_pem_or_der(&pem).unwrap();
    let other = PublicKey::from_pem_or_der(&other_pem).unwrap();
    assert_eq!(pubkey.kind(), "Ed25519");
    std::fs::write(d.0.join("msg"), MESSAGE).unwrap();
    openssl(
        &d.0,
        &[
            "pkeyutl", "-sign", "-rawin", "-inkey", &key, "-in", "msg", "-out", "sig",
        ],
    );
    let sig = std::fs::read(d.0.join("sig")).unwrap();
    check(&pubkey, &other, &sig, "Ed25519");
}

#[test]
fn rsa_pkcs1_and_pss_every_size() {
    if !have_openssl() {
        return;
    }
    let d = scratch("rsa");
    let (_, other_pem) = keypair(
        &d.0,
        "other",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let other = PublicKey::from_pem_or_der(&other_pem).unwrap();
    for bits in ["2048", "3072", "4096"] {
        let (key, pem) = keypair(
            &d.0,
            &format!("rsa{bits}"),
            &[
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
            ],
        );
        let pubkey = PublicKey::from_pem_or_der(&pem).unwrap();
        assert_eq!(pubkey.kind(), format!("RSA {bits}-bit"));
        let v15 = sign(&d.0, &key, &["-sha256"]);
        check(&pubkey, &other, &v15, &format!("RSA {bits} PKCS#1 v1.5"));
        for salt in ["digest", "max"] {
            let pss = sign(
                &d.0,
                &key,
                &[
                    "-sha256",
                    "-sigopt",
                    "rsa_padding_mode:pss",
                    "-sigopt",
                    &format!("rsa_pss_saltlen:{salt}"),
                ],
            );
            check(
                &pubkey,
                &other,
                &pss,
                &format!("RSA {bits} PSS salt {salt}"),
            );
        }
        // SHA-512 is not a hash cosign uses with RSA.
        let sha512 = sign(&d.0, &key, &["-sha512"]);
        assert!(pubkey.verify(MESSAGE, &sha512).is_err());
    }
}

#[test]
fn refused_key_types_are_named() {
    if !have_openssl() {
        return;
    }
    let d = scratch("refused");
    let cases: [(&[&str], KeyError); 4] = [
        (
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            KeyError::RsaSize(1024),
        ),
        (
            &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:secp256k1",
            ],
            KeyError::UnsupportedCurve("secp256k1".into()),
        ),
        (
            &["-algorithm", "ED448"],
            KeyError::UnsupportedType("Ed448".into()),
        ),
        (
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-224"],
            KeyError::UnsupportedCurve("1.3.132.0.33".into()),
        ),
    ];
    for (i, (args, want)) in cases.into_iter().enumerate() {
        let (_, pem) = keypair(&d.0, &format!("k{i}"), args);
        assert_eq!(PublicKey::from_pem_or_der(&pem).unwrap_err(), want);
    }
    assert_eq!(
        KeyError::RsaSize(1024).to_string(),
        "RSA 1024-bit keys are not accepted"
    );
}

#[test]
fn der_and_pem_give_the_same_key() {
    if !have_openssl() {
        return;
    }
    let d = scratch("der");
    let (key, pem) = keypair(
        &d.0,
        "k",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    openssl(
        &d.0,
        &[
            "pkey", "-in", &key, "-pubout", "-outform", "DER", "-out", "k.der",
        ],
    );
    let der = std::fs::read(d.0.join("k.der")).unwrap();
    let a = PublicKey::from_pem_or_der(&pem).unwrap();
    let b = PublicKey::from_pem_or_der(&der).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.spki_der(), &der[..]);
    let sha = Command::new("openssl")
        .current_dir(&d.0)
        .args(["dgst", "-sha256", "-hex", "k.der"])
        .output()
        .unwrap();
    let text = String::from_utf8(sha.stdout).unwrap();
    assert!(
        text.trim_end()
            .ends_with(&bona_sigstore::keys::hex(&a.fingerprint()))
    );
}

/// The real cosign signatures of `conformance-real/cosign/goal-*` (four RSA keys, one
/// line-wrapped base64 signature) verify under the key their policy names.
#[test]
fn real_cosign_goal_cases_verify() {
    let Some(corpus) = common::corpus("real_cosign_goal_cases_verify") else {
        return;
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(corpus.join("cosign")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if !name.starts_with("goal-") {
            continue;
        }
        let policy = std::fs::read_to_string(dir.join("policy.trust")).unwrap();
        let file = policy
            .split("file(\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap();
        let key = PublicKey::from_pem_or_der(&std::fs::read(dir.join(file)).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let facts = common::json(&dir.join("facts.json"));
        for image in facts["images"].as_object().unwrap().values() {
            for sig in image["signatures"].as_array().unwrap() {
                let payload = decode_base64_lenient(sig["payload"].as_str().unwrap()).unwrap();
                let signature = decode_base64_lenient(sig["signature"].as_str().unwrap()).unwrap();
                key.verify(&payload, &signature)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let mut tampered = payload.clone();
                tampered[10] ^= 1;
                assert!(
                    key.verify(&tampered, &signature).is_err(),
                    "{name}: tampered verified"
                );
                seen += 1;
            }
        }
    }
    assert!(seen >= 5, "expected the 5 goal signatures, saw {seen}");
}

/// Every single-key cosign case of `conformance-real/cosign` (real P-256 and RSA signatures, and
/// their tampered-payload, tampered-signature and wrong-key variants): some signature verifies
/// under the case's key exactly when the case expects the image trusted. Cases whose verdict
/// depends on more than the signature (several keys, a payload naming another digest) are left
/// to the runtime's suite.
#[test]
fn real_cosign_cases_agree_with_their_verdicts() {
    let Some(corpus) = common::corpus("real_cosign_cases_agree_with_their_verdicts") else {
        return;
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(corpus.join("cosign")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let policy = std::fs::read_to_string(dir.join("policy.trust")).unwrap();
        if name.contains("borrowed") || policy.matches("file(\"").count() != 1 {
            continue;
        }
        let file = policy
            .split("file(\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap();
        let key = PublicKey::from_pem_or_der(&std::fs::read(dir.join(file)).unwrap()).unwrap();
        let trusted = common::json(&dir.join("expect.json"))["images"][0]["verdict"] == "trusted";
        let facts = common::json(&dir.join("facts.json"));
        let verifies = facts["images"].as_object().unwrap().values().any(|image| {
            image["signatures"].as_array().unwrap().iter().any(|sig| {
                let payload = decode_base64_lenient(sig["payload"].as_str().unwrap()).unwrap();
                let signature = decode_base64_lenient(sig["signature"].as_str().unwrap()).unwrap();
                key.verify(&payload, &signature).is_ok()
            })
        });
        assert_eq!(verifies, trusted, "{name}");
        checked += 1;
    }
    assert!(checked >= 90, "{checked}");
}
