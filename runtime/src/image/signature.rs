//! Cosign "simple signing" verification: the `signed by K` attribute (docs/images.md#signatures).
//!
//! A cosign signature is a signature, under one of the key types of docs/signatures.md#signers
//! (ECDSA P-256, P-384, P-521, Ed25519, RSA), over a small JSON document, the *payload*, which
//! names the signed image by its manifest digest:
//!
//! ```json
//! {"critical": {"identity": {"docker-reference": "registry.company.com/app"},
//!               "image": {"docker-manifest-digest": "sha256:…"},
//!               "type": "cosign container image signature"},
//!  "optional": null}
//! ```
//!
//! `signed by K` is tri-state (docs/images.md#signatures):
//! - **true** when a signature verifies under K and its payload's `docker-manifest-digest`
//!   equals the image's digest;
//! - **false** when `signatures` is given (possibly `[]`) and no signature verifies under K, or
//!   the digest is known and none that verifies names it;
//! - **unknown** when `signatures` is absent, or the digest is unknown and a signature verifies
//!   under K (it may or may not be this image's).
//!
//! A signature only "verifies" when its payload is a simple-signing document (right `type`, a
//! valid digest): a valid signature over anything else verifies nothing. The payload's
//! `docker-reference` is read but, as docs/images.md#signatures says, not compared with the image:
//! the digest is what binds a signature to an image.
//!
//! The cryptography is `bona-sigstore`'s (pure RustCrypto, so it also runs in the wasm engine),
//! with `ring` as a native fast path for P-256 keys; no OpenSSL in the runtime. The tests
//! cross-check it against the `openssl` command. Verification costs tens of microseconds, so an
//! admission component that sees the same images again and again should use a
//! [`VerificationCache`].

use std::collections::HashMap;
use std::fmt;

use p256::ecdsa::VerifyingKey;
use p256::pkcs8::EncodePublicKey as _;
use sha2::{Digest as _, Sha256};

use crate::facts::Signature;
use crate::reference::is_valid_digest;
use crate::signer::{Signer, Vouch, quorum};
use crate::tri::Tri;

/// The `critical.type` of a cosign simple-signing payload.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";

/// A public key of any type docs/signatures.md#signers accepts (ECDSA P-256/P-384/P-521,
/// Ed25519, RSA 2048–4096), ready to verify signatures. Reading and verifying are
/// `bona-sigstore`'s (with `ring`'s assembly on native targets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey {
    key: bona_sigstore::keys::PublicKey,
    /// SHA-256 of the key's SubjectPublicKeyInfo DER: names the key in a [`VerificationCache`].
    fingerprint: [u8; 32],
}

/// Why a public key could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyError {
    /// What is wrong with the key, as one lower-case sentence.
    pub message: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for KeyError {}

impl From<bona_sigstore::keys::KeyError> for KeyError {
    fn from(err: bona_sigstore::keys::KeyError) -> Self {
        KeyError {
            message: err.to_string(),
        }
    }
}

impl PublicKey {
    /// Reads a PEM `PUBLIC KEY` (SubjectPublicKeyInfo) block, as written by
    /// `cosign generate-key-pair`, `cosign public-key`, `openssl pkey -pubout` or a KMS export.
    pub fn from_pem(pem: &str) -> Result<PublicKey, KeyError> {
        PublicKey::wrap(bona_sigstore::keys::PublicKey::from_pem(pem)?)
    }

    /// Reads a PEM `PUBLIC KEY` block or, when the bytes are not PEM, a DER
    /// SubjectPublicKeyInfo (what some KMS exports write).
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<PublicKey, KeyError> {
        PublicKey::wrap(bona_sigstore::keys::PublicKey::from_pem_or_der(bytes)?)
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, KeyError> {
        PublicKey::wrap(bona_sigstore::keys::PublicKey::from_der(der)?)
    }

    /// Wraps an already decoded P-256 key.
    pub fn from_verifying_key(key: VerifyingKey) -> Result<PublicKey, KeyError> {
        let der = key.to_public_key_der().map_err(|err| KeyError {
            message: format!("the key cannot be encoded: {err}"),
        })?;
        PublicKey::from_spki_der(der.as_bytes())
    }

    fn wrap(key: bona_sigstore::keys::PublicKey) -> Result<PublicKey, KeyError> {
        let fingerprint = key.fingerprint();
        Ok(PublicKey { key, fingerprint })
    }

    /// The key as DER SubjectPublicKeyInfo (what a bundle stores).
    pub fn to_spki_der(&self) -> Vec<u8> {
        self.key.spki_der().to_vec()
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo: a stable name for the key.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// What kind of key this is, for messages: `ECDSA P-384`, `Ed25519`, `RSA 4096-bit`, ….
    pub fn kind(&self) -> String {
        self.key.kind()
    }

    /// The `bona-sigstore` key underneath.
    pub fn sigstore_key(&self) -> &bona_sigstore::keys::PublicKey {
        &self.key
    }
}

/// The parts of a simple-signing payload that Bona uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleSigning {
    /// `critical.image.docker-manifest-digest`: the signed image's digest.
    pub docker_manifest_digest: String,
    /// `critical.identity.docker-reference`, when present and a string.
    pub docker_reference: Option<String>,
}

/// Reads a cosign simple-signing payload. It must be a JSON object whose `critical.type` is
/// `cosign container image signature` and whose `critical.image.docker-manifest-digest` is a
/// valid digest; other fields are ignored, as cosign does. Anything else is `None`: such a
/// payload verifies nothing.
pub fn parse_payload(payload: &[u8]) -> Option<SimpleSigning> {
    if payload.starts_with(b"DSSEv1 ") {
        return parse_dsse_statement(payload);
    }
    let value: serde_json::Value = serde_json::from_slice(payload).ok()?;
    let critical = value.get("critical")?;
    if critical.get("type")?.as_str()? != SIMPLE_SIGNING_TYPE {
        return None;
    }
    let digest = critical
        .get("image")?
        .get("docker-manifest-digest")?
        .as_str()?;
    if !is_valid_digest(digest) {
        return None;
    }
    let docker_reference = critical
        .get("identity")
        .and_then(|identity| identity.get("docker-reference"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    Some(SimpleSigning {
        docker_manifest_digest: digest.to_owned(),
        docker_reference,
    })
}

/// The in-toto media type of a DSSE envelope's payload.
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Reads a DSSE pre-authentication encoding (`DSSEv1 <len> <type> <len> <body>`, what a DSSE
/// signature signs; the facts reader stores a bundle's envelope so) holding an in-toto
/// statement of predicate type `https://sigstore.dev/cosign/sign/v1`
/// (docs/signatures.md#signature-entries: a cosign v3 signature). Its image is the first subject's
/// `sha256` digest: cosign signs one subject; a statement naming several images is, for now, bound
/// to the first only (it can fail to vouch for the others, never vouch for an image it does not
/// name). Any other predicate type is an attestation, never a signature: `None`.
fn parse_dsse_statement(pae: &[u8]) -> Option<SimpleSigning> {
    let rest = pae.strip_prefix(b"DSSEv1 ")?;
    let (payload_type, rest) = pae_field(rest)?;
    let rest = rest.strip_prefix(b" ")?;
    let (body, rest) = pae_field(rest)?;
    if !rest.is_empty() || payload_type != IN_TOTO_PAYLOAD_TYPE.as_bytes() {
        return None;
    }
    let statement = bona_sigstore::intoto::Statement::from_json(body).ok()?;
    if statement.predicate_type != bona_sigstore::intoto::COSIGN_SIGN_V1 {
        return None;
    }
    let hex = statement
        .subjects
        .iter()
        .find_map(|s| s.digest.get("sha256"))?;
    let digest = format!("sha256:{}", hex.to_ascii_lowercase());
    is_valid_digest(&digest).then_some(SimpleSigning {
        docker_manifest_digest: digest,
        docker_reference: None,
    })
}

/// One `<len> <bytes>` field of a PAE: the bytes and what follows them.
fn pae_field(text: &[u8]) -> Option<(&[u8], &[u8])> {
    let space = text.iter().position(|&b| b == b' ')?;
    let len: usize = std::str::from_utf8(text.get(..space)?).ok()?.parse().ok()?;
    let start = space.checked_add(1)?;
    let end = start.checked_add(len)?;
    Some((text.get(start..end)?, text.get(end..)?))
}

/// Whether `signature` is a valid signature of `payload` under `key`, with any hash and
/// encoding cosign uses for the key's type (docs/signatures.md#signers): ECDSA signatures are
/// ASN.1 DER (what cosign and OpenSSL write) or raw `r‖s`; Ed25519 pure or prehashed; RSA
/// PKCS#1 v1.5 or PSS. `bona-sigstore` verifies with `ring`'s assembly on native targets (about
/// 4× the pure-Rust `p256` for P-256, more for P-384 and RSA: a first verification is the cost
/// that matters at admission) and with pure RustCrypto in the wasm engine; the OpenSSL tests
/// cross-check both.
pub fn verify(key: &PublicKey, payload: &[u8], signature: &[u8]) -> bool {
    key.key.verify(payload, signature).is_ok()
}

/// The digest a signature vouches for under `key`: `Some` when the payload is simple signing
/// and the signature verifies. The payload is read first, so a payload that is not simple
/// signing costs no ECDSA verification.
fn vouched_digest(key: &PublicKey, signature: &Signature) -> Option<String> {
    let payload = parse_payload(&signature.payload)?;
    verify(key, &signature.payload, &signature.signature).then_some(payload.docker_manifest_digest)
}

/// Why `signature` vouches for nothing under `key`: the first check that fails, in the order
/// the verifier runs them (payload, then signature), as a phrase for `reasons`
/// (docs/signatures.md#when-a-signature-verifies). Off the hot path: only called to explain a
/// false answer.
pub fn failed_check(key: &PublicKey, signature: &Signature) -> String {
    if parse_payload(&signature.payload).is_none() {
        return unbound_payload(&signature.payload);
    }
    signature_failure(key, signature)
}

/// Why the signature bytes do not verify under `key`, whatever the payload says: the reason
/// for attestations, whose payload is a statement about any subject.
pub fn signature_failure(key: &PublicKey, signature: &Signature) -> String {
    match key.key.verify(&signature.payload, &signature.signature) {
        Ok(()) => "it verifies".to_owned(),
        Err(err) => err.to_string(),
    }
}

/// Why a payload that [`parse_payload`] refuses binds no image, as a phrase for `reasons`.
pub fn unbound_payload(payload: &[u8]) -> String {
    if payload.starts_with(b"DSSEv1 ") {
        format!(
            "its DSSE statement is not a cosign signature (predicate type `{}`) naming an image \
             digest",
            bona_sigstore::intoto::COSIGN_SIGN_V1
        )
    } else {
        "its payload is not a cosign simple-signing document".to_owned()
    }
}

/// The tri-state of docs/images.md#signatures from what each signature vouches for.
fn decide<'a>(
    signatures: Option<&'a [Signature]>,
    digest: Option<&str>,
    mut vouched: impl FnMut(&'a Signature) -> Option<String>,
) -> Tri {
    let Some(signatures) = signatures else {
        return Tri::Unknown;
    };
    for signature in signatures {
        if let Some(signed) = vouched(signature) {
            match digest {
                Some(digest) if digest == signed => return Tri::True,
                // Verifies, but for another image: keep looking.
                Some(_) => {}
                // Something verifies, but whether it is this image's cannot be known.
                None => return Tri::Unknown,
            }
        }
    }
    // No signature verifies, or the digest is known and none that verifies names it.
    Tri::False
}

/// `signed by K` for an image whose facts carry `signatures` and whose digest is `digest`
/// (the reference's, else the facts'), exactly as docs/signatures.md#tri-state says (see the
/// module docs).
pub fn signed_by(key: &PublicKey, signatures: Option<&[Signature]>, digest: Option<&str>) -> Tri {
    match digest {
        // With the digest known, a signature whose payload names another image cannot make the
        // answer true, and the answer is false whether or not it verifies: skip its ECDSA.
        Some(d) => decide(signatures, digest, |s| {
            let payload = parse_payload(&s.payload)?;
            (payload.docker_manifest_digest == d && verify(key, &s.payload, &s.signature))
                .then_some(payload.docker_manifest_digest)
        }),
        None => decide(signatures, digest, |s| vouched_digest(key, s)),
    }
}

/// A [`VerificationCache`] entry's key: the public key's fingerprint and [`signature_hash`].
type CacheKey = ([u8; 32], [u8; 32]);

/// Remembers what each (key, signature) pair vouches for, so that an image seen again costs a
/// SHA-256 of its signatures and a hash lookup instead of ECDSA verifications.
///
/// It is a plain value owned by the caller (one per worker thread, or per audit run) rather
/// than a shared, locked cache inside the runtime: the runtime takes no locks on its hot path
/// and keeps no hidden state, so an embedding component decides how results are shared and for
/// how long they live.
///
/// Entries are keyed by the key's fingerprint and a SHA-256 of the payload and signature bytes:
/// a cryptographic hash, because a collision would let an unverified signature borrow a
/// verified one's result. The cache holds at most a fixed number of entries (65,536 unless
/// [`VerificationCache::with_limit`] says otherwise) and starts afresh when full, so a
/// long-running webhook cannot grow it without bound.
#[derive(Clone, Debug)]
pub struct VerificationCache {
    /// (key fingerprint, [`signature_hash`]) → the digest vouched for, or `None`.
    entries: HashMap<CacheKey, Option<Box<str>>>,
    /// (signer fingerprint, [`signature_hash`]) → whether it verifies, binding aside
    /// (attestations).
    verified: HashMap<CacheKey, bool>,
    limit: usize,
    hits: u64,
    misses: u64,
}

impl Default for VerificationCache {
    fn default() -> Self {
        VerificationCache::new()
    }
}

impl VerificationCache {
    /// The default number of entries kept.
    pub const DEFAULT_LIMIT: usize = 65_536;

    /// An empty cache holding at most [`VerificationCache::DEFAULT_LIMIT`] entries.
    pub fn new() -> VerificationCache {
        VerificationCache::with_limit(VerificationCache::DEFAULT_LIMIT)
    }

    /// An empty cache holding at most `limit` entries (at least 1).
    pub fn with_limit(limit: usize) -> VerificationCache {
        VerificationCache {
            entries: HashMap::new(),
            verified: HashMap::new(),
            limit: limit.max(1),
            hits: 0,
            misses: 0,
        }
    }

    /// [`signed_by`], remembering each signature's outcome under `key`.
    pub fn signed_by_cached(
        &mut self,
        key: &PublicKey,
        signatures: Option<&[Signature]>,
        digest: Option<&str>,
    ) -> Tri {
        decide(signatures, digest, |signature| {
            let id = (key.fingerprint, signature_hash(signature));
            if let Some(outcome) = self.entries.get(&id) {
                self.hits += 1;
                return outcome.as_deref().map(str::to_owned);
            }
            self.misses += 1;
            let outcome = vouched_digest(key, signature);
            if self.entries.len() >= self.limit {
                self.entries.clear();
            }
            self.entries.insert(id, outcome.as_deref().map(Box::from));
            outcome
        })
    }

    /// What `signature` vouches for under `signer` at time `now` ([`Signer::vouched`]),
    /// remembered.
    pub fn vouched(&mut self, signer: &Signer, signature: &Signature, now: i64) -> Option<String> {
        let id = (signer.fingerprint(), signature_hash(signature));
        if let Some(outcome) = self.entries.get(&id) {
            self.hits += 1;
            return outcome.as_deref().map(str::to_owned);
        }
        self.misses += 1;
        let outcome = signer.vouched(signature, now);
        if self.entries.len() >= self.limit {
            self.entries.clear();
        }
        self.entries.insert(id, outcome.as_deref().map(Box::from));
        outcome
    }

    /// `signed by n of [signers]` (docs/signatures.md#several-signers) for an image whose facts
    /// carry `signatures` and whose digest is `digest`, at time `now`: absent signatures are
    /// unknown; otherwise [`quorum`] over what each signature vouches for under each signer.
    /// `signed by K` is `n = 1` with one signer.
    pub fn signed_by_signers(
        &mut self,
        n: usize,
        signers: &[&Signer],
        signatures: Option<&[Signature]>,
        digest: Option<&str>,
        now: i64,
    ) -> Tri {
        let Some(signatures) = signatures else {
            return Tri::Unknown;
        };
        if let [signer] = signers
            && n == 1
        {
            // The common case: stop at the first signature that vouches for this image.
            let mut maybe = false;
            for s in signatures {
                match Vouch::of(self.vouched(signer, s, now).as_deref(), digest) {
                    Vouch::Yes => return Tri::True,
                    Vouch::Maybe => maybe = true,
                    Vouch::No => {}
                }
            }
            return if maybe { Tri::Unknown } else { Tri::False };
        }
        // The same signature given twice (say, as a bundle and as a `.sig` entry) is one
        // signature: it may count for one signer only.
        let mut distinct: Vec<Vec<&Signature>> = Vec::new();
        for s in signatures {
            match distinct.iter_mut().find(|group| {
                group
                    .first()
                    .is_some_and(|g| g.payload == s.payload && g.signature == s.signature)
            }) {
                Some(group) => group.push(s),
                None => distinct.push(vec![s]),
            }
        }
        let mut vouches = Vec::with_capacity(signers.len() * distinct.len());
        for signer in signers {
            for group in &distinct {
                let mut best = Vouch::No;
                for s in group {
                    match Vouch::of(self.vouched(signer, s, now).as_deref(), digest) {
                        Vouch::Yes => {
                            best = Vouch::Yes;
                            break;
                        }
                        Vouch::Maybe => best = Vouch::Maybe,
                        Vouch::No => {}
                    }
                }
                vouches.push(best);
            }
        }
        let width = distinct.len();
        quorum(n, signers.len(), width, |i, j| {
            vouches.get(i * width + j).copied().unwrap_or(Vouch::No)
        })
    }

    /// Whether `signature` verifies under `signer` at `now`, whatever it binds (an
    /// attestation's envelope signature: its statement's subjects bind the image), remembered.
    pub fn verifies(&mut self, signer: &Signer, signature: &Signature, now: i64) -> bool {
        self.verifies_keyed(signer, signature, signature_hash(signature), now)
    }

    /// [`verifies`](Self::verifies) with the signature's [`signature_hash`] computed already.
    pub fn verifies_keyed(
        &mut self,
        signer: &Signer,
        signature: &Signature,
        hash: [u8; 32],
        now: i64,
    ) -> bool {
        let id = (signer.fingerprint(), hash);
        if let Some(&outcome) = self.verified.get(&id) {
            self.hits += 1;
            return outcome;
        }
        self.misses += 1;
        let outcome = signer.verify_unbound(signature, now).is_ok();
        if self.verified.len() >= self.limit {
            self.verified.clear();
        }
        self.verified.insert(id, outcome);
        outcome
    }

    /// How many outcomes are remembered.
    pub fn len(&self) -> usize {
        self.entries.len() + self.verified.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty() && self.verified.is_empty()
    }

    /// Forgets everything (for instance when the trusted keys change).
    pub fn clear(&mut self) {
        self.entries.clear();
        self.verified.clear();
    }

    /// (hits, misses) since the cache was made: misses are ECDSA verifications (or payloads
    /// that were not simple signing).
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}

/// SHA-256 of a signature's payload and signature bytes, with the payload's length first so
/// that the boundary between the two is unambiguous, and of its Sigstore evidence when it has
/// any (so that the same signature with other certificates or proofs is another entry).
pub fn signature_hash(signature: &Signature) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((signature.payload.len() as u64).to_be_bytes());
    hasher.update(&signature.payload);
    hasher.update((signature.signature.len() as u64).to_be_bytes());
    hasher.update(&signature.signature);
    if let Some(evidence) = &signature.evidence {
        hasher.update(evidence.fingerprint);
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::{Signature as EcdsaSignature, SigningKey};
    use rand_core::OsRng;

    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    fn payload(digest: &str) -> Vec<u8> {
        format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"registry.company.com/app"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"{SIMPLE_SIGNING_TYPE}"}},"optional":null}}"#
        )
        .into_bytes()
    }

    fn keypair() -> (SigningKey, PublicKey) {
        let signing = SigningKey::random(&mut OsRng);
        match PublicKey::from_verifying_key(*signing.verifying_key()) {
            Ok(public) => (signing, public),
            Err(e) => panic!("{e}"),
        }
    }

    fn sign(key: &SigningKey, payload: &[u8]) -> Signature {
        let sig: EcdsaSignature = key.sign(payload);
        Signature {
            payload: payload.to_vec(),
            signature: sig.to_der().as_bytes().to_vec(),
            evidence: None,
        }
    }

    fn sign_raw(key: &SigningKey, payload: &[u8]) -> Signature {
        let sig: EcdsaSignature = key.sign(payload);
        Signature {
            payload: payload.to_vec(),
            signature: sig.to_bytes().to_vec(),
            evidence: None,
        }
    }

    /// Checks `signed_by` and a fresh and a warm cache agree on `expected`.
    fn check(key: &PublicKey, sigs: Option<&[Signature]>, digest: Option<&str>, expected: Tri) {
        assert_eq!(signed_by(key, sigs, digest), expected, "signed_by");
        let mut cache = VerificationCache::new();
        assert_eq!(cache.signed_by_cached(key, sigs, digest), expected, "cold");
        assert_eq!(cache.signed_by_cached(key, sigs, digest), expected, "warm");
    }

    #[test]
    fn the_three_answers() {
        let (sk, pk) = keypair();
        let good = [sign(&sk, &payload(D1))];
        check(&pk, Some(&good), Some(D1), Tri::True);
        // Verifies, but names another image.
        check(&pk, Some(&good), Some(D2), Tri::False);
        // Verifies, digest unknown: it may or may not be this image's.
        check(&pk, Some(&good), None, Tri::Unknown);
        // No `signatures` at all: unknown whatever the digest.
        check(&pk, None, Some(D1), Tri::Unknown);
        check(&pk, None, None, Tri::Unknown);
        // `[]` is known: nothing verifies.
        check(&pk, Some(&[]), Some(D1), Tri::False);
        check(&pk, Some(&[]), None, Tri::False);
    }

    #[test]
    fn wrong_key_and_tampering() {
        let (sk, pk) = keypair();
        let (other_sk, other_pk) = keypair();
        let good = [sign(&sk, &payload(D1))];
        check(&other_pk, Some(&good), Some(D1), Tri::False);
        // Nothing verifies under the key, so even an unknown digest gives false.
        check(&other_pk, Some(&good), None, Tri::False);

        // The payload changed after signing (digest swapped): the signature no longer holds.
        let mut tampered = sign(&sk, &payload(D2));
        tampered.payload = payload(D1);
        check(
            &pk,
            Some(std::slice::from_ref(&tampered)),
            Some(D1),
            Tri::False,
        );
        check(&pk, Some(std::slice::from_ref(&tampered)), None, Tri::False);

        // A flipped bit in the signature.
        let mut flipped = sign(&sk, &payload(D1));
        if let Some(last) = flipped.signature.last_mut() {
            *last ^= 1;
        }
        check(&pk, Some(&[flipped]), Some(D1), Tri::False);

        // One signature by another key and one by K: K's counts.
        let mixed = [sign(&other_sk, &payload(D1)), sign(&sk, &payload(D1))];
        check(&pk, Some(&mixed), Some(D1), Tri::True);
        check(&other_pk, Some(&mixed), Some(D1), Tri::True);
        // Several images signed by K: the one naming the digest counts.
        let several = [sign(&sk, &payload(D2)), sign(&sk, &payload(D1))];
        check(&pk, Some(&several), Some(D1), Tri::True);
        check(&pk, Some(&several), Some(D2), Tri::True);
        check(&pk, Some(&several), None, Tri::Unknown);
    }

    #[test]
    fn a_payload_that_is_not_simple_signing_verifies_nothing() {
        let (sk, pk) = keypair();
        let text = payload(D1);
        let text = String::from_utf8_lossy(&text).into_owned();
        let other_type = text.replace(SIMPLE_SIGNING_TYPE, "atomic container signature");
        let bad_digest = text.replace(D1, "sha256:1234");
        for bytes in [
            other_type.as_bytes(),
            bad_digest.as_bytes(),
            b"not json".as_slice(),
            b"{}".as_slice(),
            br#"{"critical": null}"#.as_slice(),
        ] {
            let sigs = [sign(&sk, bytes)];
            assert!(verify(&pk, bytes, &sigs[0].signature));
            check(&pk, Some(&sigs), Some(D1), Tri::False);
            check(&pk, Some(&sigs), None, Tri::False);
        }
    }

    #[test]
    fn raw_and_high_s_signatures_are_accepted() {
        let (sk, pk) = keypair();
        let raw = sign_raw(&sk, &payload(D1));
        assert_eq!(raw.signature.len(), 64);
        check(&pk, Some(&[raw]), Some(D1), Tri::True);

        // OpenSSL does not normalise `s`; cosign accepts either, and so must Bona.
        let message = payload(D1);
        let sig: EcdsaSignature = sk.sign(&message);
        let (r, s) = sig.split_scalars();
        let high = match EcdsaSignature::from_scalars(r, -*s) {
            Ok(high) => high,
            Err(e) => panic!("{e}"),
        };
        assert_ne!(high, sig);
        assert!(verify(&pk, &message, sig.to_der().as_bytes()));
        assert!(verify(&pk, &message, high.to_der().as_bytes()));
        assert!(verify(&pk, &message, &high.to_bytes()));
    }

    #[test]
    fn garbage_never_verifies() {
        let (_, pk) = keypair();
        let msg = payload(D1);
        for sig in [
            &[][..],
            &[0x30, 0x00][..],
            &[0u8; 64][..],
            &[0xffu8; 64][..],
            &[0x30u8; 72][..],
            &[1u8; 63][..],
            &[1u8; 65][..],
        ] {
            assert!(!verify(&pk, &msg, sig));
        }
    }

    #[test]
    fn payloads() {
        let parsed = parse_payload(&payload(D1));
        assert_eq!(
            parsed,
            Some(SimpleSigning {
                docker_manifest_digest: D1.to_owned(),
                docker_reference: Some("registry.company.com/app".to_owned()),
            })
        );
        let minimal = format!(
            r#"{{"critical":{{"type":"{SIMPLE_SIGNING_TYPE}","image":{{"docker-manifest-digest":"{D2}"}}}},"extra":1}}"#
        );
        assert_eq!(
            parse_payload(minimal.as_bytes()),
            Some(SimpleSigning {
                docker_manifest_digest: D2.to_owned(),
                docker_reference: None,
            })
        );
        for bad in [
            "",
            "[]",
            "null",
            r#"{"critical":{"type":"cosign container image signature"}}"#,
            r#"{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":7}}}"#,
            r#"{"critical":{"type":"Cosign Container Image Signature","image":{"docker-manifest-digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111"}}}"#,
            r#"{"critical":{"image":{"docker-manifest-digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111"}}}"#,
        ] {
            assert_eq!(parse_payload(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn keys() {
        let (_, pk) = keypair();
        let der = pk.to_spki_der();
        let again = match PublicKey::from_spki_der(&der) {
            Ok(k) => k,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(again, pk);
        assert_eq!(again.fingerprint(), pk.fingerprint());
        let (_, other) = keypair();
        assert_ne!(other.fingerprint(), pk.fingerprint());
        for bad in [
            "",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "not a key",
        ] {
            assert!(PublicKey::from_pem(bad).is_err(), "{bad}");
        }
        assert!(PublicKey::from_spki_der(&der[1..]).is_err());
        assert!(PublicKey::from_spki_der(&[]).is_err());
    }

    /// Keys of every other type of docs/signatures.md#signers, made with the RustCrypto signers:
    /// each verifies its own signatures, and not another key's.
    #[test]
    fn every_key_type_verifies() {
        use p256::pkcs8::EncodePublicKey as _;
        let message = payload(D1);
        let mut cases: Vec<(PublicKey, Vec<u8>)> = Vec::new();

        let p384 = p384::ecdsa::SigningKey::random(&mut OsRng);
        let sig: p384::ecdsa::Signature = p384.sign(&message);
        let der = p384.verifying_key().to_public_key_der();
        cases.push((
            spki(der.map(|d| d.into_vec())),
            sig.to_der().as_bytes().to_vec(),
        ));

        let ed = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let sig = ed25519_dalek::Signer::sign(&ed, &message);
        // SubjectPublicKeyInfo of an Ed25519 key: a fixed prefix (RFC 8410) and the point.
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(ed.verifying_key().as_bytes());
        cases.push((spki(Ok::<_, String>(der)), sig.to_bytes().to_vec()));

        let (_, p256_pk) = keypair();
        for (pk, sig) in &cases {
            let signatures = [Signature {
                payload: message.clone(),
                signature: sig.clone(),
                evidence: None,
            }];
            check(pk, Some(&signatures), Some(D1), Tri::True);
            check(pk, Some(&signatures), Some(D2), Tri::False);
            check(&p256_pk, Some(&signatures), Some(D1), Tri::False);
            let mut flipped = sig.clone();
            if let Some(last) = flipped.last_mut() {
                *last ^= 1;
            }
            assert!(!verify(pk, &message, &flipped), "{}", pk.kind());
        }
        assert_eq!(cases[0].0.kind(), "ECDSA P-384");
        assert_eq!(cases[1].0.kind(), "Ed25519");
        assert_eq!(p256_pk.kind(), "ECDSA P-256");
    }

    fn spki<E: std::fmt::Display>(der: Result<Vec<u8>, E>) -> PublicKey {
        match der.map(|d| PublicKey::from_spki_der(&d)) {
            Ok(Ok(k)) => k,
            Ok(Err(e)) => panic!("{e}"),
            Err(e) => panic!("{e}"),
        }
    }

    /// A cosign v3 DSSE signature: the statement's subject binds the image; another predicate
    /// type is an attestation and verifies nothing as a signature.
    #[test]
    fn dsse_statements() {
        let (sk, pk) = keypair();
        let pae = |predicate: &str, digest: &str| {
            let hex = digest.trim_start_matches("sha256:");
            let body = format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"app","digest":{{"sha256":"{hex}"}}}}],"predicateType":"{predicate}","predicate":{{}}}}"#
            );
            format!(
                "DSSEv1 28 application/vnd.in-toto+json {} {body}",
                body.len()
            )
            .into_bytes()
        };
        let good = [sign(&sk, &pae(bona_sigstore::intoto::COSIGN_SIGN_V1, D1))];
        check(&pk, Some(&good), Some(D1), Tri::True);
        check(&pk, Some(&good), Some(D2), Tri::False);
        check(&pk, Some(&good), None, Tri::Unknown);
        let provenance = [sign(&sk, &pae("https://slsa.dev/provenance/v1", D1))];
        check(&pk, Some(&provenance), Some(D1), Tri::False);
        // A wrong length, another payload type: not a statement.
        let mut bad = pae(bona_sigstore::intoto::COSIGN_SIGN_V1, D1);
        bad.push(b' ');
        assert_eq!(parse_payload(&bad), None);
        let other = String::from_utf8_lossy(&pae(bona_sigstore::intoto::COSIGN_SIGN_V1, D1))
            .replace("28 application/vnd.in-toto+json", "16 application/json");
        assert_eq!(parse_payload(other.as_bytes()), None);
    }

    #[test]
    fn the_cache_remembers_and_stays_bounded() {
        let (sk, pk) = keypair();
        let (_, other_pk) = keypair();
        let sigs = [sign(&sk, &payload(D2)), sign(&sk, &payload(D1))];
        let mut cache = VerificationCache::new();
        assert_eq!(
            cache.signed_by_cached(&pk, Some(&sigs), Some(D1)),
            Tri::True
        );
        assert_eq!(cache.stats(), (0, 2));
        assert_eq!(
            cache.signed_by_cached(&pk, Some(&sigs), Some(D1)),
            Tri::True
        );
        assert_eq!(cache.stats(), (2, 2));
        // Another key is another entry: no result leaks between keys.
        assert_eq!(
            cache.signed_by_cached(&other_pk, Some(&sigs), Some(D1)),
            Tri::False
        );
        assert_eq!(cache.len(), 4);

        let mut small = VerificationCache::with_limit(1);
        assert_eq!(
            small.signed_by_cached(&pk, Some(&sigs), Some(D1)),
            Tri::True
        );
        assert_eq!(small.len(), 1);
        small.clear();
        assert!(small.is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn never_panics_on_arbitrary_bytes(
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            sig in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
        ) {
            let _ = parse_payload(&payload);
            let key = SigningKey::from_slice(&[7u8; 32]).map(|k| *k.verifying_key());
            if let Ok(key) = key && let Ok(pk) = PublicKey::from_verifying_key(key) {
                proptest::prop_assert!(!verify(&pk, &payload, &sig));
                let _ = PublicKey::from_spki_der(&sig);
            }
        }
    }
}
