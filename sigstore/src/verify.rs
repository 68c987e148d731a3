//! Checks 1–5 of docs/signatures.md#when-a-signature-verifies, composed in order over one
//! signature entry's evidence (docs/signatures.md#when-a-signature-verifies). Check 6 (the
//! signer's identity constraints) and the image binding are the policy's, so the caller applies
//! them to what this returns.
//!
//! The order is the one a reason should follow: read the evidence, then the transparency-log
//! proofs and the verified signing times (check 2), the certificate chain and the leaf's
//! validity at those times (check 1), the embedded SCT (check 3), the signature itself (check
//! 4) and whether each log entry describes this signature (check 5). [`Step`] numbers them so
//! that a caller comparing several failed signatures can report the one that got furthest.

use std::fmt;

use crate::bundle::{self, BundleVersion, Content, TlogEntry};
use crate::cert::{self, Cert, Identity};
use crate::checkpoint::Checkpoint;
use crate::keys::PublicKey;
use crate::rekor::{self, Digest, EntryBody, SetPayload, SignedContent, Verifier};
use crate::trustroot::TrustedRoot;
use crate::{merkle, sct, tsa};

/// The Sigstore evidence of one signature entry, whatever form it came in: a Sigstore bundle,
/// or the annotations of a cosign `.sig` layer (certificate, chain, Rekor v1 bundle, RFC 3161
/// timestamp).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The bundle version, whose media type decides which proofs entries must carry; `None` for
    /// a cosign `.sig` layer, whose entry needs a SET or an inclusion proof.
    pub version: Option<BundleVersion>,
    /// The leaf certificate (DER), when the signature was made with one.
    pub certificate: Option<Vec<u8>>,
    /// Certificates after the leaf (DER): intermediates, never trust anchors.
    pub chain: Vec<Vec<u8>>,
    /// Transparency-log entries.
    pub tlog_entries: Vec<TlogEntry>,
    /// RFC 3161 timestamp responses (DER).
    pub rfc3161_timestamps: Vec<Vec<u8>>,
    /// What was signed: a message (the entry's payload) or a DSSE envelope.
    pub content: Content,
}

/// The checks, in the order they run: a later step means a signature got further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// The evidence cannot be used at all (no certificate, an unreadable one, several DSSE
    /// signatures).
    Material,
    /// Check 2: no transparency-log proof, or not the proofs the bundle version requires.
    Proof,
    /// Check 2: a SET, inclusion proof or checkpoint does not verify.
    Log,
    /// Check 2: no verified signing time, or a timestamp that does not verify.
    Time,
    /// Check 1: the chain to a certificate authority of the trust root, code signing.
    Chain,
    /// Check 2: a verified time outside the leaf's validity.
    LeafValidity,
    /// Check 3: the embedded SCT.
    Sct,
    /// Check 4: the signature under the leaf's (or the signer's) key.
    Signature,
    /// Check 5: a log entry describes another signature, certificate or artifact.
    Describes,
}

/// Why the evidence does not verify: the first check that failed and why, as a phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check that failed.
    pub step: Step,
    /// Why, as one lower-case phrase.
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for Failure {}

fn fail<E: fmt::Display>(step: Step) -> impl FnOnce(E) -> Failure {
    move |e| Failure {
        step,
        reason: e.to_string(),
    }
}

fn failure(step: Step, reason: impl Into<String>) -> Failure {
    Failure {
        step,
        reason: reason.into(),
    }
}

impl Evidence {
    /// The signature bytes: a message signature, or the envelope's one signature.
    fn signature(&self) -> Result<&[u8], Failure> {
        match &self.content {
            Content::MessageSignature { signature, .. } => Ok(signature),
            Content::Dsse(env) => env
                .only_signature()
                .map(|s| s.sig.as_slice())
                .map_err(fail(Step::Material)),
        }
    }

    /// Check 2's first part: a proof is present, and the ones the bundle version requires.
    fn check_proofs_present(&self) -> Result<(), Failure> {
        match self.version {
            Some(version) => {
                let b = bundle::Bundle {
                    media_type: String::new(),
                    version,
                    material: bundle::Material::PublicKey(String::new()),
                    tlog_entries: self.tlog_entries.clone(),
                    rfc3161_timestamps: Vec::new(),
                    content: self.content.clone(),
                };
                bundle::check_tlog_requirements(&b).map_err(fail(Step::Proof))
            }
            None if self.tlog_entries.is_empty() => Err(failure(
                Step::Proof,
                "no transparency-log proof: the signature has no log entry",
            )),
            None => Ok(()),
        }
    }
}

/// What verified: the leaf's identity for a keyless signature, and the verified signing times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The leaf certificate's identity (`None` under a key).
    pub identity: Option<Identity>,
    /// Every verified signing time (integrated times of SETs, RFC 3161 `genTime`s).
    pub times: Vec<i64>,
}

/// Checks 1–5 for a keyless signature: `payload` is the signed message (for a message
/// signature) and is ignored for a DSSE envelope, which carries its own. `now` is the
/// evaluation time (an integrated time after it is refused).
pub fn verify_keyless(
    evidence: &Evidence,
    payload: &[u8],
    root: &TrustedRoot,
    now: i64,
) -> Result<Verified, Failure> {
    let Some(leaf_der) = &evidence.certificate else {
        return Err(failure(
            Step::Material,
            "the signature carries no certificate, so it cannot be a keyless signer's",
        ));
    };
    let leaf = Cert::from_der(leaf_der).map_err(fail(Step::Material))?;
    let intermediates: Vec<Cert> = evidence
        .chain
        .iter()
        .map(|d| Cert::from_der(d))
        .collect::<Result<_, _>>()
        .map_err(fail(Step::Material))?;
    let key = leaf.public_key().map_err(fail(Step::Material))?;
    let material = Verifier::Certificate(leaf.der.clone());
    let signature = evidence.signature()?;

    let times = check_log(evidence, signature, root, now)?;

    for &time in &times {
        let chain =
            cert::verify_chain(&leaf, &intermediates, root, time).map_err(fail(Step::Chain))?;
        cert::check_code_signing(&leaf).map_err(fail(Step::Chain))?;
        cert::check_leaf_valid_at(&leaf, time).map_err(fail(Step::LeafValidity))?;
        sct::verify_embedded_sct(&leaf, &chain.issuer, root).map_err(fail(Step::Sct))?;
    }

    check_signature(evidence, payload, signature, &key)?;
    check_described(evidence, payload, signature, &material)?;
    let identity = leaf.identity().map_err(fail(Step::Material))?;
    Ok(Verified {
        identity: Some(identity),
        times,
    })
}

/// Checks 2, 4 and 5 for a keyed signer that requires a transparency log (`{ tlog R }`): the
/// entry is in a log of `root`, the signature verifies under `key`, and the log entry names this
/// signature and key.
pub fn verify_keyed_in_log(
    evidence: &Evidence,
    payload: &[u8],
    key: &PublicKey,
    root: &TrustedRoot,
    now: i64,
) -> Result<Verified, Failure> {
    let signature = evidence.signature()?;
    let times = check_log(evidence, signature, root, now)?;
    check_signature(evidence, payload, signature, key)?;
    check_described(
        evidence,
        payload,
        signature,
        &Verifier::PublicKey(key.spki_der().to_vec()),
    )?;
    Ok(Verified {
        identity: None,
        times,
    })
}

/// Check 2: every proof present verifies (SETs, inclusion proofs against signed checkpoints),
/// every RFC 3161 timestamp verifies, and at least one verified signing time results; the logs
/// that signed checkpoints were valid at each of those times. Returns the times.
fn check_log(
    evidence: &Evidence,
    signature: &[u8],
    root: &TrustedRoot,
    now: i64,
) -> Result<Vec<i64>, Failure> {
    evidence.check_proofs_present()?;
    let mut times = Vec::new();
    let mut checkpoint_logs = Vec::new();
    for entry in &evidence.tlog_entries {
        if let Some(set) = &entry.set {
            let payload = SetPayload {
                body: entry.body.clone(),
                integrated_time: entry.integrated_time.unwrap_or(0),
                log_index: entry.log_index,
                log_id: entry.log_id.clone(),
            };
            rekor::verify_set(set, &payload, root).map_err(fail(Step::Log))?;
            rekor::check_integrated_time(payload.integrated_time, now).map_err(fail(Step::Log))?;
            times.push(payload.integrated_time);
        }
        if let Some(proof) = &entry.inclusion_proof {
            let leaf_hash = merkle::leaf_hash(&entry.body);
            let index = u64::try_from(proof.log_index).map_err(fail(Step::Log))?;
            let size = u64::try_from(proof.tree_size).map_err(fail(Step::Log))?;
            merkle::verify_inclusion(index, size, &leaf_hash, &proof.hashes, &proof.root_hash)
                .map_err(fail(Step::Log))?;
            if let Some(text) = &proof.checkpoint {
                let log = rekor::find_log(root, &entry.log_id).map_err(fail(Step::Log))?;
                let cp = Checkpoint::parse(text).map_err(fail(Step::Log))?;
                cp.verify_signature(&log.key, &log.log_id)
                    .map_err(fail(Step::Log))?;
                cp.check_proof_root(&proof.root_hash, Some(size))
                    .map_err(fail(Step::Log))?;
                checkpoint_logs.push(log);
            }
        }
    }
    for ts in &evidence.rfc3161_timestamps {
        times.push(tsa::verify_rfc3161(ts, signature, root).map_err(fail(Step::Time))?);
    }
    if times.is_empty() {
        return Err(failure(
            Step::Time,
            "no verified signing time: no signed entry timestamp (SET) and no RFC 3161 timestamp",
        ));
    }
    for log in &checkpoint_logs {
        for &time in &times {
            rekor::check_log_valid_at(log, time).map_err(fail(Step::Log))?;
        }
    }
    Ok(times)
}

/// Check 4: the signature verifies under `key` — over `payload` for a message signature (whose
/// claimed digest, when given, must be the payload's), over the PAE for a DSSE envelope.
fn check_signature(
    evidence: &Evidence,
    payload: &[u8],
    signature: &[u8],
    key: &PublicKey,
) -> Result<(), Failure> {
    match &evidence.content {
        Content::MessageSignature { digest, .. } => {
            if let Some(claimed) = digest {
                let actual = claimed.same_algorithm_of(payload).ok_or_else(|| {
                    failure(
                        Step::Signature,
                        format!(
                            "the bundle's message digest uses an unknown algorithm ({claimed})"
                        ),
                    )
                })?;
                if &actual != claimed {
                    return Err(failure(
                        Step::Signature,
                        format!(
                            "the bundle's message digest {claimed} is not the payload's {actual}"
                        ),
                    ));
                }
            }
            key.verify(payload, signature)
                .map_err(fail(Step::Signature))
        }
        Content::Dsse(env) => env.verify_any(key).map_err(fail(Step::Signature)),
    }
}

/// Check 5: each log entry's body names this signature, this certificate or key, and this
/// payload — a valid entry of another signature proves nothing.
fn check_described(
    evidence: &Evidence,
    payload: &[u8],
    signature: &[u8],
    material: &Verifier,
) -> Result<(), Failure> {
    let digest = Digest::sha256(payload);
    for entry in &evidence.tlog_entries {
        let body = EntryBody::parse(&entry.body).map_err(fail(Step::Describes))?;
        let content = match &evidence.content {
            Content::MessageSignature { .. } => SignedContent::Message {
                digest: &digest,
                signature,
            },
            Content::Dsse(envelope) => SignedContent::Dsse {
                envelope,
                signature,
            },
        };
        rekor::check_body_describes(&body, content, material).map_err(fail(Step::Describes))?;
    }
    Ok(())
}

impl Evidence {
    /// SHA-256 over every byte of the evidence, each field length-prefixed: two entries with
    /// the same payload and signature but different certificates or proofs never share a
    /// cached verification result.
    pub fn fingerprint(&self) -> [u8; 32] {
        use sha2::{Digest as _, Sha256};
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(format!("{:?}", self.version).as_bytes());
        field(self.certificate.as_deref().unwrap_or_default());
        for c in &self.chain {
            field(c);
        }
        field(b"|tlog");
        for e in &self.tlog_entries {
            field(&e.log_index.to_be_bytes());
            field(&e.log_id);
            field(e.kind.as_bytes());
            field(e.version.as_bytes());
            field(&e.integrated_time.unwrap_or(i64::MIN).to_be_bytes());
            field(e.set.as_deref().unwrap_or_default());
            field(&e.body);
            if let Some(p) = &e.inclusion_proof {
                field(&p.log_index.to_be_bytes());
                field(&p.root_hash);
                field(&p.tree_size.to_be_bytes());
                for x in &p.hashes {
                    field(x);
                }
                field(p.checkpoint.as_deref().unwrap_or_default().as_bytes());
            }
        }
        field(b"|tsa");
        for t in &self.rfc3161_timestamps {
            field(t);
        }
        field(b"|content");
        match &self.content {
            Content::MessageSignature { digest, signature } => {
                field(
                    digest
                        .as_ref()
                        .map(|d| d.to_string())
                        .unwrap_or_default()
                        .as_bytes(),
                );
                field(signature);
            }
            Content::Dsse(env) => {
                field(env.payload_type.as_bytes());
                field(&env.payload);
                for s in &env.signatures {
                    field(&s.sig);
                    field(s.keyid.as_bytes());
                }
            }
        }
        h.finalize().into()
    }
}
