//! Signature checks: the first verification of an image (ECDSA P-256 over the payload) and a
//! repeated one answered by the caller's `VerificationCache`. Numbers in docs/performance.md.

use bona_runtime::facts::Signature;
use bona_runtime::signature::{PublicKey, VerificationCache, signed_by};
use criterion::{Criterion, criterion_group, criterion_main};
use p256::ecdsa::signature::Signer;
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

criterion_group!(benches, signatures);
criterion_main!(benches);
