//! Cross-checks Bona's ECDSA P-256 verification with OpenSSL, an independent implementation.
//!
//! - Fixtures made by the `openssl` command (see `fixtures/signatures/README.md`) must verify
//!   under Bona, through the public API and through a facts document.
//! - Signatures made by Bona's dependency (`p256`) must verify under `openssl dgst -verify`.
//! - Fresh OpenSSL signatures (about half of them with a high `s`) must verify under Bona.
//!
//! These tests need the `openssl` command. They fail, rather than skip, when it is missing: CI
//! installs it (`apt-get install -y openssl`).

use std::path::PathBuf;
use std::process::{Command, Output};

use base64::Engine as _;
use bona_runtime::Reference;
use bona_runtime::Tri;
use bona_runtime::facts::{FactsDocument, Signature};
use bona_runtime::signature::{PublicKey, VerificationCache, parse_payload, signed_by, verify};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};
use p256::pkcs8::{EncodePublicKey as _, LineEnding};
use rand_core::OsRng;

const DIGEST: &str = "sha256:73061f1552fbefddeb3a518fad01232c73ac1609458235cf3660611ad30c2909";
const OTHER_DIGEST: &str =
    "sha256:2222222222222222222222222222222222222222222222222222222222222222";

const COSIGN_PUB: &str = include_str!("fixtures/signatures/cosign.pub");
const COSIGN_PUB_DER: &[u8] = include_bytes!("fixtures/signatures/cosign.pub.der");
const OTHER_PUB: &str = include_str!("fixtures/signatures/other.pub");
const PAYLOAD: &[u8] = include_bytes!("fixtures/signatures/payload.json");
const SIG_DER: &[u8] = include_bytes!("fixtures/signatures/payload.sig.der");
const SIG_B64: &str = include_str!("fixtures/signatures/payload.sig.b64");
const FACTS: &[u8] = include_bytes!("fixtures/signatures/facts.json");

fn key(pem: &str) -> PublicKey {
    PublicKey::from_pem(pem).unwrap_or_else(|e| panic!("fixture key: {e}"))
}

/// A fresh directory under Cargo's per-test scratch space.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("signature_openssl-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn write(path: &std::path::Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Runs `openssl ARGS`, failing loudly when the command is not installed.
fn openssl(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run `openssl` ({e}): these tests need it; install it with \
             `apt-get install -y openssl`"
            )
        })
}

fn openssl_ok(args: &[&str]) -> Output {
    let out = openssl(args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn openssl_is_installed() {
    let out = openssl_ok(&["version"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("OpenSSL"));
}

#[test]
fn openssl_fixture_verifies() {
    let pk = key(COSIGN_PUB);
    let from_der =
        PublicKey::from_spki_der(COSIGN_PUB_DER).unwrap_or_else(|e| panic!("DER key: {e}"));
    assert_eq!(from_der, pk);
    assert_eq!(pk.to_spki_der(), COSIGN_PUB_DER);

    let decoded = base64::engine::general_purpose::STANDARD
        .decode(SIG_B64.trim())
        .unwrap_or_else(|e| panic!("payload.sig.b64: {e}"));
    assert_eq!(decoded, SIG_DER);

    assert!(verify(&pk, PAYLOAD, SIG_DER));
    assert!(!verify(&key(OTHER_PUB), PAYLOAD, SIG_DER));
    let mut tampered = PAYLOAD.to_vec();
    tampered.push(b'\n');
    assert!(!verify(&pk, &tampered, SIG_DER));

    let parsed = parse_payload(PAYLOAD).unwrap_or_else(|| panic!("not simple signing"));
    assert_eq!(parsed.docker_manifest_digest, DIGEST);
    assert_eq!(
        parsed.docker_reference.as_deref(),
        Some("registry.company.com/app")
    );

    let sigs = [Signature {
        payload: PAYLOAD.to_vec(),
        signature: SIG_DER.to_vec(),
        evidence: None,
    }];
    assert_eq!(signed_by(&pk, Some(&sigs), Some(DIGEST)), Tri::True);
    assert_eq!(signed_by(&pk, Some(&sigs), Some(OTHER_DIGEST)), Tri::False);
    assert_eq!(signed_by(&pk, Some(&sigs), None), Tri::Unknown);
    assert_eq!(
        signed_by(&key(OTHER_PUB), Some(&sigs), Some(DIGEST)),
        Tri::False
    );
}

#[test]
fn openssl_fixture_through_a_facts_document() {
    let doc = FactsDocument::from_json(FACTS).unwrap_or_else(|e| panic!("facts.json: {e}"));
    let image = Reference::parse(&format!("registry.company.com/app@{DIGEST}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let facts = doc
        .lookup(&image)
        .unwrap_or_else(|| panic!("no facts for {image}"));
    let sigs = facts.signatures.as_deref();
    let pk = key(COSIGN_PUB);
    let mut cache = VerificationCache::new();
    for _ in 0..3 {
        assert_eq!(cache.signed_by_cached(&pk, sigs, image.digest()), Tri::True);
        assert_eq!(
            cache.signed_by_cached(&key(OTHER_PUB), sigs, image.digest()),
            Tri::False
        );
    }
    assert_eq!(cache.stats(), (4, 2));
}

#[test]
fn openssl_verifies_what_p256_signs() {
    let dir = scratch("p256");
    let signing = SigningKey::random(&mut OsRng);
    let pem = signing
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap_or_else(|e| panic!("{e}"));
    let pub_path = dir.join("key.pub");
    write(&pub_path, pem.as_bytes());
    // Bona reads the PEM it wrote, as it would read a cosign.pub.
    let pk = key(&pem);

    let payload = PAYLOAD.to_vec();
    let sig: EcdsaSignature = signing.sign(&payload);
    let der = sig.to_der();
    assert!(verify(&pk, &payload, der.as_bytes()));

    let payload_path = dir.join("payload.json");
    let sig_path = dir.join("payload.sig.der");
    write(&payload_path, &payload);
    write(&sig_path, der.as_bytes());
    let args = [
        "dgst",
        "-sha256",
        "-verify",
        path_str(&pub_path),
        "-signature",
        path_str(&sig_path),
        path_str(&payload_path),
    ];
    let out = openssl_ok(&args);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Verified OK");

    // OpenSSL rejects the same signature over a changed payload, as Bona does.
    let mut tampered = payload.clone();
    tampered.push(b' ');
    write(&payload_path, &tampered);
    let out = openssl(&args);
    assert!(!out.status.success(), "openssl accepted a tampered payload");
    assert!(!verify(&pk, &tampered, der.as_bytes()));
}

#[test]
fn bona_verifies_what_openssl_signs() {
    let dir = scratch("openssl");
    let key_path = dir.join("key.pem");
    let pub_path = dir.join("key.pub");
    openssl_ok(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        path_str(&key_path),
    ]);
    openssl_ok(&[
        "ec",
        "-in",
        path_str(&key_path),
        "-pubout",
        "-out",
        path_str(&pub_path),
    ]);
    let pem = std::fs::read_to_string(&pub_path).unwrap_or_else(|e| panic!("{e}"));
    let pk = key(&pem);

    // ECDSA is randomised and OpenSSL leaves `s` as it comes, so a dozen signatures cover both
    // low and high `s` with near certainty.
    let mut sigs = Vec::new();
    for i in 0..12 {
        let digest = format!("sha256:{i:064x}");
        let payload = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"registry.company.com/app"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"cosign container image signature"}},"optional":null}}"#
        );
        let payload_path = dir.join(format!("payload{i}.json"));
        let sig_path = dir.join(format!("payload{i}.sig"));
        write(&payload_path, payload.as_bytes());
        openssl_ok(&[
            "dgst",
            "-sha256",
            "-sign",
            path_str(&key_path),
            "-out",
            path_str(&sig_path),
            path_str(&payload_path),
        ]);
        let signature = std::fs::read(&sig_path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            verify(&pk, payload.as_bytes(), &signature),
            "OpenSSL signature {i} does not verify"
        );
        sigs.push((
            digest,
            Signature {
                payload: payload.into_bytes(),
                signature,
                evidence: None,
            },
        ));
    }
    let all: Vec<Signature> = sigs.iter().map(|(_, s)| s.clone()).collect();
    for (digest, _) in &sigs {
        assert_eq!(signed_by(&pk, Some(&all), Some(digest)), Tri::True);
    }
    assert_eq!(signed_by(&pk, Some(&all), Some(OTHER_DIGEST)), Tri::False);
    assert_eq!(signed_by(&key(OTHER_PUB), Some(&all), None), Tri::False);
}

fn path_str(path: &std::path::Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("non-UTF-8 scratch path {}", path.display()))
}
