//! Rekor log entries: the signed entry timestamp (SET) and what an entry body says.
//!
//! Two checks of docs/signatures.md#when-a-signature-verifies live here. Check 2 (in part): a
//! Rekor v1 SET is the log's signature over the RFC 8785 canonical JSON of `{body, integratedTime,
//! logID, logIndex}` (`body` base64,
//! `logID` hex); the log is found in the trust root by its log ID (SHA-256 of its key's SPKI)
//! and its key must be valid at the integrated time. Check 5: the entry's body must describe
//! *this* signature — same signature bytes, same certificate or key, same artifact digest —
//! because a valid entry for another signature proves nothing about this one. Body kinds:
//! `hashedrekord` 0.0.1 (Rekor v1) and 0.0.2 (Rekor v2, also used for DSSE envelopes, whose
//! "artifact" is then the PAE), `dsse` 0.0.1 and 0.0.2, `intoto` 0.0.2 (double-base64
//! signatures, as Rekor stores them).

use std::fmt;

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use crate::canonical::to_canonical_json;
use crate::dsse::Envelope;
use crate::json::{self, JsonError};
use crate::keys::{PublicKey, decode_base64_lenient, hex, pem_block, unhex};
use crate::trustroot::{TransparencyLog, TrustedRoot};

/// A hash algorithm and digest value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// `sha256`, `sha384` or `sha512` (normalised from `SHA2_256` and friends).
    pub algorithm: String,
    /// The digest bytes.
    pub value: Vec<u8>,
}

impl Digest {
    /// SHA-256 of `data`.
    pub fn sha256(data: &[u8]) -> Self {
        Digest {
            algorithm: "sha256".into(),
            value: Sha256::digest(data).to_vec(),
        }
    }

    /// The digest of `data` with this digest's algorithm, when it is one this crate knows.
    pub fn same_algorithm_of(&self, data: &[u8]) -> Option<Digest> {
        let value = match self.algorithm.as_str() {
            "sha256" => Sha256::digest(data).to_vec(),
            "sha384" => Sha384::digest(data).to_vec(),
            "sha512" => Sha512::digest(data).to_vec(),
            _ => return None,
        };
        Some(Digest {
            algorithm: self.algorithm.clone(),
            value,
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, hex(&self.value))
    }
}

/// `SHA2_256` → `sha256` (protobuf-specs `HashAlgorithm` names and Rekor's lower-case names).
pub fn normalize_algorithm(name: &str) -> String {
    match name {
        "SHA2_256" | "SHA256" | "sha256" => "sha256".into(),
        "SHA2_384" | "SHA384" | "sha384" => "sha384".into(),
        "SHA2_512" | "SHA512" | "sha512" => "sha512".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// The certificate or key that an entry (or a bundle) says verifies the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verifier {
    /// An X.509 certificate, DER.
    Certificate(Vec<u8>),
    /// A SubjectPublicKeyInfo, DER.
    PublicKey(Vec<u8>),
}

/// Why a Rekor entry does not verify or does not describe the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RekorError {
    /// The log ID names no transparency log of the trust root.
    UnknownLog(String),
    /// The log's key was not valid at the entry's time.
    LogKeyNotValid(i64),
    /// The SET does not verify under the log's key.
    BadSet,
    /// A negative log index.
    NegativeLogIndex(i64),
    /// The integrated time lies after the evaluation time.
    IntegratedTimeInFuture(i64),
    /// The body is not JSON of the expected shape.
    Body(JsonError),
    /// A body kind or version this crate does not read.
    UnsupportedKind(String),
    /// The body names another signature.
    SignatureMismatch,
    /// The body names another certificate or key.
    VerifierMismatch,
    /// The body names another artifact (or DSSE payload) digest.
    DigestMismatch {
        /// What the entry names.
        entry: String,
        /// What was signed.
        signed: String,
    },
    /// The body kind cannot describe this kind of signed content.
    KindMismatch {
        /// The entry's kind.
        kind: &'static str,
        /// What was signed.
        content: &'static str,
    },
}

impl fmt::Display for RekorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RekorError::UnknownLog(id) => {
                write!(
                    f,
                    "the log entry is from a transparency log not in the trust root (log ID {id})"
                )
            }
            RekorError::LogKeyNotValid(t) => {
                write!(
                    f,
                    "the transparency log's key was not valid at the signing time {t}"
                )
            }
            RekorError::BadSet => f.write_str(
                "the signed entry timestamp (SET) does not verify under the transparency log's key",
            ),
            RekorError::NegativeLogIndex(i) => {
                write!(f, "the log entry has a negative log index {i}")
            }
            RekorError::IntegratedTimeInFuture(t) => {
                write!(f, "the log entry's integrated time {t} is in the future")
            }
            RekorError::Body(e) => write!(f, "the log entry body is malformed: {e}"),
            RekorError::UnsupportedKind(k) => {
                write!(f, "log entries of kind {k} are not supported")
            }
            RekorError::SignatureMismatch => f.write_str("the log entry names another signature"),
            RekorError::VerifierMismatch => {
                f.write_str("the log entry names another certificate or key than the signature's")
            }
            RekorError::DigestMismatch { entry, signed } => {
                write!(
                    f,
                    "the log entry names artifact digest {entry}, not the signed {signed}"
                )
            }
            RekorError::KindMismatch { kind, content } => {
                write!(f, "a {kind} log entry cannot describe a {content}")
            }
        }
    }
}

impl std::error::Error for RekorError {}

impl From<JsonError> for RekorError {
    fn from(e: JsonError) -> Self {
        RekorError::Body(e)
    }
}

/// What a Rekor v1 SET signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetPayload {
    /// The entry body (decoded `canonicalizedBody`).
    pub body: Vec<u8>,
    /// `integratedTime`, Unix seconds.
    pub integrated_time: i64,
    /// `logIndex` (the global index, not the proof's shard index).
    pub log_index: i64,
    /// The log ID bytes.
    pub log_id: Vec<u8>,
}

impl SetPayload {
    /// The canonical JSON that the SET signs.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let v = serde_json::json!({
            "body": base64::engine::general_purpose::STANDARD.encode(&self.body),
            "integratedTime": self.integrated_time,
            "logID": hex(&self.log_id),
            "logIndex": self.log_index,
        });
        to_canonical_json(&v)
    }
}

/// Reads the SET payload of cosign's `tlog` annotation form (`Payload` of
/// docs/signatures.md#signature-entries:
/// `{"body": b64, "integratedTime": n, "logIndex": n, "logID": hex}`).
pub fn set_payload_from_cosign(v: &Value, path: &str) -> Result<SetPayload, JsonError> {
    let log_id_text = json::string(v, path, "logID")?;
    Ok(SetPayload {
        body: json::base64(v, path, "body")?,
        integrated_time: json::opt_i64(v, path, "integratedTime")?.unwrap_or(0),
        log_index: json::opt_i64(v, path, "logIndex")?.unwrap_or(0),
        log_id: unhex(log_id_text)
            .ok_or_else(|| JsonError::new(&json::join(path, "logID"), "is not hexadecimal"))?,
    })
}

/// The transparency log of `root` with this log ID.
pub fn find_log<'r>(
    root: &'r TrustedRoot,
    log_id: &[u8],
) -> Result<&'r TransparencyLog, RekorError> {
    root.tlog(log_id)
        .ok_or_else(|| RekorError::UnknownLog(hex(log_id)))
}

/// Check: a log's key was valid (its `validFor`) at `time`, the verified signing time. A SET
/// checks this itself at its integrated time; a checkpoint's signature carries no time, so the
/// caller applies this one with the time established otherwise (a timestamp, for Rekor v2).
pub fn check_log_valid_at(log: &TransparencyLog, time: i64) -> Result<(), RekorError> {
    if log.valid_for.contains(time) {
        Ok(())
    } else {
        Err(RekorError::LogKeyNotValid(time))
    }
}

/// Verifies a SET (check 2, Rekor v1): the log is in `root`, its key was valid at the
/// integrated time and signed the canonical payload. Returns the log.
pub fn verify_set<'r>(
    set: &[u8],
    payload: &SetPayload,
    root: &'r TrustedRoot,
) -> Result<&'r TransparencyLog, RekorError> {
    if payload.log_index < 0 {
        return Err(RekorError::NegativeLogIndex(payload.log_index));
    }
    let log = find_log(root, &payload.log_id)?;
    if !log.valid_for.contains(payload.integrated_time) {
        return Err(RekorError::LogKeyNotValid(payload.integrated_time));
    }
    log.key
        .verify(&payload.canonical_bytes(), set)
        .map_err(|_| RekorError::BadSet)?;
    Ok(log)
}

/// Check: a log's integrated time is not after `now` (the evaluation time, a parameter: this
/// crate reads no clock). A log entry from the future was not made by an honest log.
pub fn check_integrated_time(integrated_time: i64, now: i64) -> Result<(), RekorError> {
    if integrated_time > now {
        Err(RekorError::IntegratedTimeInFuture(integrated_time))
    } else {
        Ok(())
    }
}

/// One signature an entry body records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodySignature {
    /// The signature bytes.
    pub signature: Vec<u8>,
    /// Who verifies it.
    pub verifier: Verifier,
}

/// What a log entry body says, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryBody {
    /// `hashedrekord` 0.0.1 or 0.0.2: a signature over an artifact digest.
    HashedRekord {
        /// The signature and its verifier.
        signature: BodySignature,
        /// The artifact digest.
        digest: Digest,
    },
    /// `dsse` 0.0.1 / 0.0.2 or `intoto` 0.0.2: a DSSE envelope by its payload hash.
    Dsse {
        /// `dsse` or `intoto`.
        kind: &'static str,
        /// Digest of the envelope's decoded payload.
        payload_hash: Option<Digest>,
        /// The envelope's signatures.
        signatures: Vec<BodySignature>,
    },
}

impl EntryBody {
    /// Parses a (decoded) entry body.
    pub fn parse(body: &[u8]) -> Result<Self, RekorError> {
        let v = json::parse(body)?;
        let kind = json::string(&v, "$", "kind")?;
        let version = json::string(&v, "$", "apiVersion")?;
        let spec = json::required(&v, "$", "spec")?;
        match (kind, version) {
            ("hashedrekord", "0.0.1") => hashedrekord_v001(spec),
            ("hashedrekord", "0.0.2") => hashedrekord_v002(spec),
            ("dsse", "0.0.1") => dsse_v001(spec),
            ("dsse", "0.0.2") => dsse_v002(spec),
            ("intoto", "0.0.2") => intoto_v002(spec),
            _ => Err(RekorError::UnsupportedKind(format!("{kind} {version}"))),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            EntryBody::HashedRekord { .. } => "hashedrekord",
            EntryBody::Dsse { kind, .. } => kind,
        }
    }
}

/// PEM text (base64-encoded, as Rekor v1 stores it) of a certificate or public key.
fn pem_verifier(b64: &str, path: &str) -> Result<Verifier, JsonError> {
    let bytes = decode_base64_lenient(b64).map_err(|_| JsonError::new(path, "is not base64"))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| JsonError::new(path, "is not PEM"))?;
    match pem_block(text) {
        Some((label, der)) if label == "CERTIFICATE" => Ok(Verifier::Certificate(der)),
        Some((label, der)) if label == "PUBLIC KEY" => Ok(Verifier::PublicKey(der)),
        _ => Err(JsonError::new(
            path,
            "is not a PEM certificate or public key",
        )),
    }
}

/// A Rekor v2 `Verifier` message: `{publicKey{rawBytes} | x509Certificate{rawBytes}}`.
fn v2_verifier(v: &Value, path: &str) -> Result<Verifier, JsonError> {
    if let Some(c) = json::optional(v, "x509Certificate") {
        return Ok(Verifier::Certificate(json::base64(
            c,
            &json::join(path, "x509Certificate"),
            "rawBytes",
        )?));
    }
    if let Some(k) = json::optional(v, "publicKey") {
        return Ok(Verifier::PublicKey(json::base64(
            k,
            &json::join(path, "publicKey"),
            "rawBytes",
        )?));
    }
    Err(JsonError::new(
        path,
        "has neither `x509Certificate` nor `publicKey`",
    ))
}

fn hex_digest(v: &Value, path: &str) -> Result<Digest, JsonError> {
    let value = json::string(v, path, "value")?;
    Ok(Digest {
        algorithm: normalize_algorithm(json::string(v, path, "algorithm")?),
        value: unhex(value)
            .ok_or_else(|| JsonError::new(&json::join(path, "value"), "is not hexadecimal"))?,
    })
}

fn b64_digest(v: &Value, path: &str) -> Result<Digest, JsonError> {
    Ok(Digest {
        algorithm: normalize_algorithm(json::string(v, path, "algorithm")?),
        value: json::base64(v, path, "digest")?,
    })
}

fn hashedrekord_v001(spec: &Value) -> Result<EntryBody, RekorError> {
    let sig = json::required(spec, "spec", "signature")?;
    let pk = json::required(sig, "spec.signature", "publicKey")?;
    let pem = json::string(pk, "spec.signature.publicKey", "content")?;
    let data = json::required(spec, "spec", "data")?;
    let hash = json::required(data, "spec.data", "hash")?;
    Ok(EntryBody::HashedRekord {
        signature: BodySignature {
            signature: json::base64(sig, "spec.signature", "content")?,
            verifier: pem_verifier(pem, "spec.signature.publicKey.content")?,
        },
        digest: hex_digest(hash, "spec.data.hash")?,
    })
}

fn hashedrekord_v002(spec: &Value) -> Result<EntryBody, RekorError> {
    let p = "spec.hashedRekordV002";
    let h = json::required(spec, "spec", "hashedRekordV002")?;
    let sig = json::required(h, p, "signature")?;
    let sp = json::join(p, "signature");
    Ok(EntryBody::HashedRekord {
        signature: BodySignature {
            signature: json::base64(sig, &sp, "content")?,
            verifier: v2_verifier(
                json::required(sig, &sp, "verifier")?,
                &json::join(&sp, "verifier"),
            )?,
        },
        digest: b64_digest(json::required(h, p, "data")?, &json::join(p, "data"))?,
    })
}

fn dsse_v001(spec: &Value) -> Result<EntryBody, RekorError> {
    let mut signatures = Vec::new();
    for (i, s) in json::opt_array(spec, "spec", "signatures")?
        .iter()
        .enumerate()
    {
        let p = json::index("spec.signatures", i);
        signatures.push(BodySignature {
            signature: json::base64(s, &p, "signature")?,
            verifier: pem_verifier(
                json::string(s, &p, "verifier")?,
                &json::join(&p, "verifier"),
            )?,
        });
    }
    let payload_hash = match json::optional(spec, "payloadHash") {
        Some(h) => Some(hex_digest(h, "spec.payloadHash")?),
        None => None,
    };
    Ok(EntryBody::Dsse {
        kind: "dsse",
        payload_hash,
        signatures,
    })
}

fn dsse_v002(spec: &Value) -> Result<EntryBody, RekorError> {
    let p = "spec.dsseV002";
    let d = json::required(spec, "spec", "dsseV002")?;
    let mut signatures = Vec::new();
    let list = json::join(p, "signatures");
    for (i, s) in json::opt_array(d, p, "signatures")?.iter().enumerate() {
        let sp = json::index(&list, i);
        signatures.push(BodySignature {
            signature: json::base64(s, &sp, "content")?,
            verifier: v2_verifier(
                json::required(s, &sp, "verifier")?,
                &json::join(&sp, "verifier"),
            )?,
        });
    }
    let payload_hash = match json::optional(d, "payloadHash") {
        Some(h) => Some(b64_digest(h, &json::join(p, "payloadHash"))?),
        None => None,
    };
    Ok(EntryBody::Dsse {
        kind: "dsse",
        payload_hash,
        signatures,
    })
}

fn intoto_v002(spec: &Value) -> Result<EntryBody, RekorError> {
    let content = json::required(spec, "spec", "content")?;
    let env = json::required(content, "spec.content", "envelope")?;
    let mut signatures = Vec::new();
    for (i, s) in json::opt_array(env, "spec.content.envelope", "signatures")?
        .iter()
        .enumerate()
    {
        let p = json::index("spec.content.envelope.signatures", i);
        // Rekor's intoto 0.0.2 stores the envelope's base64 signature base64-encoded again;
        // bytes that are not base64 text are taken as they are (and will not match).
        let once = json::base64(s, &p, "sig")?;
        let signature = std::str::from_utf8(&once)
            .ok()
            .and_then(|t| decode_base64_lenient(t).ok())
            .unwrap_or(once);
        signatures.push(BodySignature {
            signature,
            verifier: pem_verifier(
                json::string(s, &p, "publicKey")?,
                &json::join(&p, "publicKey"),
            )?,
        });
    }
    let payload_hash = match json::optional(content, "payloadHash") {
        Some(h) => Some(hex_digest(h, "spec.content.payloadHash")?),
        None => None,
    };
    Ok(EntryBody::Dsse {
        kind: "intoto",
        payload_hash,
        signatures,
    })
}

/// What was signed, as the bundle or facts say.
#[derive(Debug, Clone, Copy)]
pub enum SignedContent<'a> {
    /// A signature over an artifact whose digest is known (simple signing, message signatures).
    Message {
        /// The artifact digest the verifier computed (never the bundle's claimed digest).
        digest: &'a Digest,
        /// The signature bytes.
        signature: &'a [u8],
    },
    /// A DSSE envelope with its one signature.
    Dsse {
        /// The envelope.
        envelope: &'a Envelope,
        /// The signature being checked (one of the envelope's).
        signature: &'a [u8],
    },
}

/// Whether a body's verifier is the signature's certificate or key. Keys are compared by
/// their re-encoded SPKI so that equivalent encodings match.
fn same_verifier(body: &Verifier, material: &Verifier) -> bool {
    match (body, material) {
        (Verifier::Certificate(a), Verifier::Certificate(b)) => a == b,
        (Verifier::PublicKey(a), Verifier::PublicKey(b)) => {
            a == b
                || matches!((PublicKey::from_der(a), PublicKey::from_der(b)), (Ok(x), Ok(y)) if x == y)
        }
        _ => false,
    }
}

/// Check 5 of docs/signatures.md#when-a-signature-verifies: the entry `body` describes `content`
/// signed by `material` — same signature bytes, same certificate or key, and same artifact (or
/// DSSE payload / PAE) digest.
pub fn check_body_describes(
    body: &EntryBody,
    content: SignedContent<'_>,
    material: &Verifier,
) -> Result<(), RekorError> {
    match (body, content) {
        (
            EntryBody::HashedRekord { signature, digest },
            SignedContent::Message {
                digest: signed,
                signature: sig,
            },
        ) => {
            check_signature(signature, sig, material)?;
            check_digest(digest, signed)
        }
        (
            EntryBody::HashedRekord { signature, digest },
            SignedContent::Dsse {
                envelope,
                signature: sig,
            },
        ) => {
            // Rekor v2 logs a DSSE envelope as a hashedrekord over its PAE.
            check_signature(signature, sig, material)?;
            let pae = envelope.pae();
            let signed = digest
                .same_algorithm_of(&pae)
                .unwrap_or_else(|| Digest::sha256(&pae));
            check_digest(digest, &signed)
        }
        (
            EntryBody::Dsse {
                payload_hash,
                signatures,
                ..
            },
            SignedContent::Dsse {
                envelope,
                signature: sig,
            },
        ) => {
            let sig_matches = signatures.iter().any(|s| s.signature == sig);
            if !sig_matches {
                return Err(RekorError::SignatureMismatch);
            }
            if !signatures
                .iter()
                .any(|s| s.signature == sig && same_verifier(&s.verifier, material))
            {
                return Err(RekorError::VerifierMismatch);
            }
            if let Some(h) = payload_hash {
                let signed = h
                    .same_algorithm_of(&envelope.payload)
                    .unwrap_or_else(|| Digest::sha256(&envelope.payload));
                check_digest(h, &signed)?;
            }
            Ok(())
        }
        (b @ EntryBody::Dsse { .. }, SignedContent::Message { .. }) => {
            Err(RekorError::KindMismatch {
                kind: b.kind(),
                content: "message signature",
            })
        }
    }
}

fn check_signature(
    body: &BodySignature,
    sig: &[u8],
    material: &Verifier,
) -> Result<(), RekorError> {
    if body.signature != sig {
        return Err(RekorError::SignatureMismatch);
    }
    if !same_verifier(&body.verifier, material) {
        return Err(RekorError::VerifierMismatch);
    }
    Ok(())
}

fn check_digest(entry: &Digest, signed: &Digest) -> Result<(), RekorError> {
    if entry == signed {
        Ok(())
    } else {
        Err(RekorError::DigestMismatch {
            entry: entry.to_string(),
            signed: signed.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(data: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(data)
    }

    const CERT_PEM: &str = "-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n";

    fn hashedrekord(sig: &[u8], digest_hex: &str) -> Vec<u8> {
        format!(
            r#"{{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{{"data":{{"hash":{{"algorithm":"sha256","value":"{digest_hex}"}}}},"signature":{{"content":"{}","publicKey":{{"content":"{}"}}}}}}}}"#,
            b64(sig),
            b64(CERT_PEM.as_bytes())
        )
        .into_bytes()
    }

    #[test]
    fn set_payload_is_canonical() {
        let p = SetPayload {
            body: b"{}".to_vec(),
            integrated_time: 1_700_000_000,
            log_index: 42,
            log_id: vec![0xab, 0x01],
        };
        assert_eq!(
            String::from_utf8_lossy(&p.canonical_bytes()),
            r#"{"body":"e30=","integratedTime":1700000000,"logID":"ab01","logIndex":42}"#
        );
    }

    #[test]
    fn hashedrekord_must_name_this_signature_certificate_and_digest() {
        let artifact = Digest::sha256(b"artifact");
        let body = EntryBody::parse(&hashedrekord(b"sig", &hex(&artifact.value)));
        let Ok(body) = body else {
            unreachable!("{body:?}")
        };
        let cert = Verifier::Certificate(vec![1, 2, 3]);
        let ok = SignedContent::Message {
            digest: &artifact,
            signature: b"sig",
        };
        assert_eq!(check_body_describes(&body, ok, &cert), Ok(()));
        let other_sig = SignedContent::Message {
            digest: &artifact,
            signature: b"gis",
        };
        assert_eq!(
            check_body_describes(&body, other_sig, &cert),
            Err(RekorError::SignatureMismatch)
        );
        assert_eq!(
            check_body_describes(&body, ok, &Verifier::Certificate(vec![9])),
            Err(RekorError::VerifierMismatch)
        );
        let other = Digest::sha256(b"other");
        let e = check_body_describes(
            &body,
            SignedContent::Message {
                digest: &other,
                signature: b"sig",
            },
            &cert,
        );
        assert!(matches!(e, Err(RekorError::DigestMismatch { .. })));
    }

    #[test]
    fn unsupported_kinds_and_bad_bodies_are_named() {
        assert_eq!(
            EntryBody::parse(br#"{"apiVersion":"0.0.1","kind":"rekord","spec":{}}"#),
            Err(RekorError::UnsupportedKind("rekord 0.0.1".into()))
        );
        let e = EntryBody::parse(
            br#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"signature":{}}}"#,
        );
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("the log entry body is malformed: `spec.signature.publicKey` is missing".into())
        );
    }

    #[test]
    fn negative_log_index_is_refused_before_anything_else() {
        let root = TrustedRoot {
            media_type: String::new(),
            tlogs: vec![],
            certificate_authorities: vec![],
            ctlogs: vec![],
            timestamp_authorities: vec![],
        };
        let p = SetPayload {
            body: vec![],
            integrated_time: 0,
            log_index: -1,
            log_id: vec![],
        };
        assert_eq!(
            verify_set(&[], &p, &root),
            Err(RekorError::NegativeLogIndex(-1))
        );
        let p = SetPayload { log_index: 1, ..p };
        assert_eq!(
            verify_set(&[], &p, &root),
            Err(RekorError::UnknownLog(String::new()))
        );
    }

    #[test]
    fn dsse_v002_names_signature_key_and_payload() {
        let env = Envelope {
            payload_type: "application/vnd.in-toto+json".into(),
            payload: b"{}".to_vec(),
            signatures: vec![crate::dsse::EnvelopeSignature {
                keyid: String::new(),
                sig: b"sig".to_vec(),
            }],
        };
        let body = format!(
            r#"{{"apiVersion":"0.0.2","kind":"dsse","spec":{{"dsseV002":{{"payloadHash":{{"algorithm":"SHA2_256","digest":"{}"}},
            "signatures":[{{"content":"{}","verifier":{{"keyDetails":"PKIX_ED25519","publicKey":{{"rawBytes":"AQID"}}}}}}]}}}}}}"#,
            b64(&Sha256::digest(b"{}")),
            b64(b"sig")
        );
        let parsed = EntryBody::parse(body.as_bytes());
        let Ok(parsed) = parsed else {
            unreachable!("{parsed:?}")
        };
        let key = Verifier::PublicKey(vec![1, 2, 3]);
        let content = SignedContent::Dsse {
            envelope: &env,
            signature: b"sig",
        };
        assert_eq!(check_body_describes(&parsed, content, &key), Ok(()));
        assert_eq!(
            check_body_describes(
                &parsed,
                SignedContent::Dsse {
                    envelope: &env,
                    signature: b"gis"
                },
                &key
            ),
            Err(RekorError::SignatureMismatch)
        );
        assert_eq!(
            check_body_describes(&parsed, content, &Verifier::Certificate(vec![1, 2, 3])),
            Err(RekorError::VerifierMismatch)
        );
        let other = Envelope {
            payload: b"[]".to_vec(),
            ..env.clone()
        };
        let e = check_body_describes(
            &parsed,
            SignedContent::Dsse {
                envelope: &other,
                signature: b"sig",
            },
            &key,
        );
        assert!(matches!(e, Err(RekorError::DigestMismatch { .. })), "{e:?}");
        let digest = Digest::sha256(b"x");
        assert_eq!(
            check_body_describes(
                &parsed,
                SignedContent::Message {
                    digest: &digest,
                    signature: b"sig"
                },
                &key
            ),
            Err(RekorError::KindMismatch {
                kind: "dsse",
                content: "message signature"
            })
        );
    }

    #[test]
    fn integrated_time_may_not_be_in_the_future() {
        assert_eq!(check_integrated_time(100, 100), Ok(()));
        assert_eq!(
            check_integrated_time(101, 100),
            Err(RekorError::IntegratedTimeInFuture(101))
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn body_parser_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = EntryBody::parse(&bytes);
        }
        #[test]
        fn body_parser_never_panics_on_shapes(kind in "(hashedrekord|dsse|intoto)", version in "0\\.0\\.[12]", spec in r#"\{("signature"|"data"|"content"|"hashedRekordV002"|"dsseV002"|"signatures")?:?(\{\}|\[\{\}\]|"QQ==")?\}"#) {
            let text = format!(r#"{{"kind":"{kind}","apiVersion":"{version}","spec":{spec}}}"#);
            let _ = EntryBody::parse(text.as_bytes());
        }
    }
}
