//! Signature checks: the first verification of an image and a repeated one answered by the
//! caller's `VerificationCache`, for a P-256 key, the other key types (P-384, Ed25519, RSA), and
//! keyless signers (a private Sigstore's bundles: chain, SCT, SET and inclusion proof with its
//! checkpoint, signature, log body, identity). Numbers in docs/performance.md.

use bona_runtime::facts::Signature;
use bona_runtime::signature::{PublicKey, VerificationCache, signed_by};
use bona_runtime::signer::Signer;
use criterion::{Criterion, criterion_group, criterion_main};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{SigningKey, VerifyingKey};

const DIGEST: &str = "sha256:16eb06ced985216bb14744c43dad833c58f56296d152e580542d0e8630f63316";

fn fixture() -> (PublicKey, Vec<Signature>) {
    let signing = SigningKey::random(&mut rand_core::OsRng);
    let key = PublicKey::from_verifying_key(VerifyingKey::from(&signing)).expect("a P-256 key");
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"registry.company.com/app"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":null}}"#
    )
    .into_bytes();
    let sig: p256::ecdsa::Signature = signing.sign(&payload);
    (
        key,
        vec![Signature {
            payload,
            signature: sig.to_der().as_bytes().to_vec(),
            evidence: None,
        }],
    )
}

fn signatures(c: &mut Criterion) {
    let (key, sigs) = fixture();
    c.bench_function("signed by: first verification (no cache)", |b| {
        b.iter(|| signed_by(&key, Some(&sigs), Some(DIGEST)))
    });
    let mut cache = VerificationCache::new();
    let _ = cache.signed_by_cached(&key, Some(&sigs), Some(DIGEST));
    c.bench_function("signed by: repeated (cache hit)", |b| {
        b.iter(|| cache.signed_by_cached(&key, Some(&sigs), Some(DIGEST)))
    });
}

/// A simple-signing entry for `DIGEST` signed by `sign`, and its verifying key from SPKI DER.
fn keyed(spki: &[u8], sign: impl Fn(&[u8]) -> Vec<u8>) -> (Signer, Vec<Signature>) {
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"registry.company.com/app"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":null}}"#
    )
    .into_bytes();
    let signature = sign(&payload);
    let key = PublicKey::from_spki_der(spki).expect("a key");
    (
        Signer::key("k", key),
        vec![Signature::simple(payload, signature)],
    )
}

/// First and cached verification of one signer over `sigs` for `digest` at `now`.
fn bench_signer(
    c: &mut Criterion,
    name: &str,
    signer: &Signer,
    sigs: &[Signature],
    digest: &str,
    now: i64,
) {
    assert!(
        signer.vouched(&sigs[0], now).is_some(),
        "{name}: the fixture must verify"
    );
    c.bench_function(&format!("{name}: first verification"), |b| {
        b.iter(|| signer.vouched(&sigs[0], now))
    });
    let mut cache = VerificationCache::new();
    let _ = cache.signed_by_signers(1, &[signer], Some(sigs), Some(digest), now);
    c.bench_function(&format!("{name}: repeated (cache hit)"), |b| {
        b.iter(|| cache.signed_by_signers(1, &[signer], Some(sigs), Some(digest), now))
    });
}

fn key_types(c: &mut Criterion) {
    use p384::pkcs8::EncodePublicKey as _;
    let p384 = p384::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let spki = p384.verifying_key().to_public_key_der().expect("der");
    let (signer, sigs) = keyed(spki.as_bytes(), |m| {
        let s: p384::ecdsa::Signature = p384.sign(m);
        s.to_der().as_bytes().to_vec()
    });
    bench_signer(c, "P-384 key", &signer, &sigs, DIGEST, 0);

    let ed = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
    let mut spki = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    spki.extend_from_slice(ed.verifying_key().as_bytes());
    let (signer, sigs) = keyed(&spki, |m| {
        ed25519_dalek::Signer::sign(&ed, m).to_bytes().to_vec()
    });
    bench_signer(c, "Ed25519 key", &signer, &sigs, DIGEST, 0);

    use rsa::signature::{SignatureEncoding as _, Signer as _};
    let rsa_key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).expect("an RSA key");
    let spki = rsa_key.to_public_key().to_public_key_der().expect("der");
    let signing = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(rsa_key);
    let (signer, sigs) = keyed(spki.as_bytes(), |m| signing.sign(m).to_vec());
    bench_signer(c, "RSA-2048 key", &signer, &sigs, DIGEST, 0);
}

fn keyless(c: &mut Criterion) {
    use bona_runtime::eval::KeyRing;
    use bona_runtime::facts::FactsDocument;
    use bona_runtime::ir::{
        IdentityAttr, IdentityConstraint, IdentityTest, KeyDef, Signer as Def, TrustRootDef,
    };
    use bona_testkit::fixtures::{self, Variant};
    use bona_testkit::sigstore::PrivateSigstore;

    let ss = PrivateSigstore::new(1);
    for (name, variant) in [
        (
            "keyless, message signature v0.2 (SET + inclusion proof)",
            Variant::GoodMessageV02,
        ),
        (
            "keyless, DSSE v0.3 (inclusion proof, SET)",
            Variant::GoodDsseV03,
        ),
        (
            "keyless, timestamp instead of SET",
            Variant::GoodMessageTimestampWithoutSet,
        ),
    ] {
        let n = Variant::ALL.iter().position(|v| *v == variant).unwrap_or(0);
        let f = fixtures::build(&ss, variant, n);
        let ring = KeyRing::from_set(
            &[KeyDef {
                name: "ci".into(),
                signer: Def::Keyless {
                    root: 0,
                    identity: vec![
                        IdentityConstraint {
                            attr: IdentityAttr::Issuer,
                            test: IdentityTest::Eq(f.issuer.clone()),
                        },
                        IdentityConstraint {
                            attr: IdentityAttr::Subject,
                            test: IdentityTest::Eq(f.identity.clone()),
                        },
                    ],
                },
            }],
            &[TrustRootDef {
                name: "root".into(),
                document: f.trusted_root.to_string(),
            }],
        )
        .expect("a ring");
        let facts = f.facts(&f.bundle_entry).to_string();
        let doc = FactsDocument::from_json(facts.as_bytes()).expect("facts");
        let (_, image) = doc.iter().next().expect("an image");
        let sigs = image.signatures.clone().expect("signatures");
        let digest = image.digest.clone().expect("a digest");
        bench_signer(
            c,
            name,
            ring.get(0).expect("a signer"),
            &sigs,
            &digest,
            1_780_000_000,
        );
    }
}

criterion_group!(benches, signatures, key_types, keyless);
criterion_main!(benches);
