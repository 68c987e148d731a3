//! Sigstore bundles (v0.1, v0.2, v0.3): the JSON form of protobuf-specs' `Bundle`.
//!
//! The reader is lenient (unknown fields ignored, proto3 defaults such as a zero `logIndex` or an
//! empty `hashes` list may be absent) and only checks well-formedness: fields present with the
//! right types and encodings, a known media type, a leaf certificate when a chain is given.
//! What depends on the media type ("v0.1 carries a SET", "v0.2 and later carry an inclusion
//! proof with a checkpoint") is verification, done by [`check_tlog_requirements`], so that a
//! relabelled bundle is read and then fails the check it lacks
//! (docs/signatures.md#signature-entries).

use std::fmt;

use serde_json::Value;

use crate::dsse::{DsseError, Envelope};
use crate::json::{self, JsonError};
use crate::rekor::{Digest, normalize_algorithm};

/// The bundle format version, from the media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BundleVersion {
    /// `application/vnd.dev.sigstore.bundle+json;version=0.1`.
    V01,
    /// `…;version=0.2`.
    V02,
    /// `…;version=0.3` or `application/vnd.dev.sigstore.bundle.v0.3+json`.
    V03,
}

impl BundleVersion {
    /// The version a media type names, if one this reader knows.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => Some(BundleVersion::V01),
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => Some(BundleVersion::V02),
            "application/vnd.dev.sigstore.bundle+json;version=0.3"
            | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(BundleVersion::V03),
            _ => None,
        }
    }
}

/// `verificationMaterial`'s key or certificates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Material {
    /// `certificate.rawBytes`: the leaf alone (v0.3).
    Certificate(Vec<u8>),
    /// `x509CertificateChain.certificates[].rawBytes`: leaf first, then intermediates.
    Chain(Vec<Vec<u8>>),
    /// `publicKey.hint`: a managed key the verifier supplies.
    PublicKey(String),
}

impl Material {
    /// The leaf certificate, when the material is a certificate or chain.
    pub fn leaf(&self) -> Option<&[u8]> {
        match self {
            Material::Certificate(c) => Some(c),
            Material::Chain(chain) => chain.first().map(Vec::as_slice),
            Material::PublicKey(_) => None,
        }
    }

    /// The certificates after the leaf (intermediates; never trusted as anchors).
    pub fn intermediates(&self) -> &[Vec<u8>] {
        match self {
            Material::Chain(chain) => chain.get(1..).unwrap_or_default(),
            _ => &[],
        }
    }
}

/// An inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InclusionProof {
    /// The leaf index inside the (shard's) tree.
    pub log_index: i64,
    /// The root hash.
    pub root_hash: Vec<u8>,
    /// The tree size.
    pub tree_size: i64,
    /// The audit path.
    pub hashes: Vec<Vec<u8>>,
    /// `checkpoint.envelope`, when present.
    pub checkpoint: Option<String>,
}

/// One `tlogEntries` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogEntry {
    /// `logIndex` (global).
    pub log_index: i64,
    /// `logId.keyId`, decoded.
    pub log_id: Vec<u8>,
    /// `kindVersion.kind`.
    pub kind: String,
    /// `kindVersion.version`.
    pub version: String,
    /// `integratedTime`, absent (or zero) for Rekor v2.
    pub integrated_time: Option<i64>,
    /// `inclusionPromise.signedEntryTimestamp`.
    pub set: Option<Vec<u8>>,
    /// `inclusionProof`.
    pub inclusion_proof: Option<InclusionProof>,
    /// `canonicalizedBody`, decoded.
    pub body: Vec<u8>,
}

/// What the bundle signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// `messageSignature`: a signature over an artifact, with the digest the signer claimed.
    MessageSignature {
        /// `messageDigest`, when present (a claim, to be compared with the real artifact).
        digest: Option<Digest>,
        /// `signature`.
        signature: Vec<u8>,
    },
    /// `dsseEnvelope`.
    Dsse(Envelope),
}

/// A read bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// `mediaType`.
    pub media_type: String,
    /// The version the media type names.
    pub version: BundleVersion,
    /// `verificationMaterial` key or certificates.
    pub material: Material,
    /// `verificationMaterial.tlogEntries`.
    pub tlog_entries: Vec<TlogEntry>,
    /// `verificationMaterial.timestampVerificationData.rfc3161Timestamps[].signedTimestamp`, DER.
    pub rfc3161_timestamps: Vec<Vec<u8>>,
    /// The signed content.
    pub content: Content,
}

/// Why a bundle cannot be read or lacks what its version requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// Malformed JSON or a missing/mistyped field.
    Json(JsonError),
    /// An unknown `mediaType`.
    UnknownMediaType(String),
    /// No transparency-log entry at all.
    NoTlogEntry,
    /// An entry with neither SET nor inclusion proof.
    NoProof,
    /// A v0.1 entry without SET.
    MissingSet,
    /// A v0.2+ entry without inclusion proof.
    MissingInclusionProof,
    /// An inclusion proof without checkpoint where one is required (v0.2+).
    MissingCheckpoint,
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleError::Json(e) => write!(f, "the bundle is malformed: {e}"),
            BundleError::UnknownMediaType(m) => write!(f, "the bundle's media type `{m}` is not a known Sigstore bundle version"),
            BundleError::NoTlogEntry => f.write_str("no transparency-log proof: the bundle has no log entry"),
            BundleError::NoProof => {
                f.write_str("no transparency-log proof: the entry has neither SET nor inclusion proof")
            }
            BundleError::MissingSet => f.write_str("the v0.1 bundle's log entry has no signed entry timestamp (SET)"),
            BundleError::MissingInclusionProof => {
                f.write_str("the bundle's log entry has no inclusion proof, which bundles from v0.2 on require")
            }
            BundleError::MissingCheckpoint => {
                f.write_str("the bundle's inclusion proof has no checkpoint, which bundles from v0.2 on require")
            }
        }
    }
}

impl std::error::Error for BundleError {}

impl From<JsonError> for BundleError {
    fn from(e: JsonError) -> Self {
        BundleError::Json(e)
    }
}

impl From<DsseError> for BundleError {
    fn from(e: DsseError) -> Self {
        match e {
            DsseError::Json(j) => BundleError::Json(j),
            other => BundleError::Json(JsonError::new("dsseEnvelope", other.to_string())),
        }
    }
}

impl Bundle {
    /// Reads a bundle from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        Self::from_value(&json::parse(bytes)?)
    }

    /// Reads a bundle from a parsed JSON value.
    pub fn from_value(v: &Value) -> Result<Self, BundleError> {
        json::object(v, "$")?;
        let media_type = json::string(v, "$", "mediaType")?.to_string();
        let version = BundleVersion::from_media_type(&media_type)
            .ok_or_else(|| BundleError::UnknownMediaType(media_type.clone()))?;
        let vm = json::required(v, "$", "verificationMaterial")?;
        let vp = "verificationMaterial";
        let material = read_material(vm, vp)?;
        let mut tlog_entries = Vec::new();
        let tp = json::join(vp, "tlogEntries");
        for (i, e) in json::opt_array(vm, vp, "tlogEntries")?.iter().enumerate() {
            tlog_entries.push(read_entry(e, &json::index(&tp, i))?);
        }
        let mut rfc3161_timestamps = Vec::new();
        if let Some(tvd) = json::optional(vm, "timestampVerificationData") {
            let p = json::join(vp, "timestampVerificationData");
            let lp = json::join(&p, "rfc3161Timestamps");
            for (i, t) in json::opt_array(tvd, &p, "rfc3161Timestamps")?
                .iter()
                .enumerate()
            {
                rfc3161_timestamps.push(json::base64(t, &json::index(&lp, i), "signedTimestamp")?);
            }
        }
        let content = if let Some(ms) = json::optional(v, "messageSignature") {
            let digest = match json::optional(ms, "messageDigest") {
                Some(d) => Some(Digest {
                    algorithm: normalize_algorithm(json::string(
                        d,
                        "messageSignature.messageDigest",
                        "algorithm",
                    )?),
                    value: json::base64(d, "messageSignature.messageDigest", "digest")?,
                }),
                None => None,
            };
            Content::MessageSignature {
                digest,
                signature: json::base64(ms, "messageSignature", "signature")?,
            }
        } else if let Some(env) = json::optional(v, "dsseEnvelope") {
            Content::Dsse(Envelope::from_value(env, "dsseEnvelope")?)
        } else {
            return Err(
                JsonError::new("$", "has neither `messageSignature` nor `dsseEnvelope`").into(),
            );
        };
        Ok(Bundle {
            media_type,
            version,
            material,
            tlog_entries,
            rfc3161_timestamps,
            content,
        })
    }

    /// The signature bytes of the content (the DSSE envelope's only signature).
    pub fn signature(&self) -> Result<&[u8], DsseError> {
        match &self.content {
            Content::MessageSignature { signature, .. } => Ok(signature),
            Content::Dsse(env) => env.only_signature().map(|s| s.sig.as_slice()),
        }
    }
}

fn read_material(vm: &Value, vp: &str) -> Result<Material, JsonError> {
    if let Some(c) = json::optional(vm, "certificate") {
        return Ok(Material::Certificate(json::base64(
            c,
            &json::join(vp, "certificate"),
            "rawBytes",
        )?));
    }
    if let Some(ch) = json::optional(vm, "x509CertificateChain") {
        let cp = json::join(vp, "x509CertificateChain");
        let lp = json::join(&cp, "certificates");
        let mut chain = Vec::new();
        for (i, c) in json::opt_array(ch, &cp, "certificates")?.iter().enumerate() {
            chain.push(json::base64(c, &json::index(&lp, i), "rawBytes")?);
        }
        if chain.is_empty() {
            return Err(JsonError::new(
                &lp,
                "is empty: the chain has no leaf certificate",
            ));
        }
        return Ok(Material::Chain(chain));
    }
    if let Some(k) = json::optional(vm, "publicKey") {
        return Ok(Material::PublicKey(
            json::opt_string(k, &json::join(vp, "publicKey"), "hint")?
                .unwrap_or_default()
                .to_string(),
        ));
    }
    Err(JsonError::new(
        vp,
        "has no `certificate`, `x509CertificateChain` or `publicKey`",
    ))
}

fn read_entry(e: &Value, p: &str) -> Result<TlogEntry, JsonError> {
    let kv = json::required(e, p, "kindVersion")?;
    let kvp = json::join(p, "kindVersion");
    let proof = match json::optional(e, "inclusionProof") {
        None => None,
        Some(ip) => {
            let pp = json::join(p, "inclusionProof");
            let hp = json::join(&pp, "hashes");
            let mut hashes = Vec::new();
            for (i, h) in json::opt_array(ip, &pp, "hashes")?.iter().enumerate() {
                let text = h
                    .as_str()
                    .ok_or_else(|| JsonError::new(&json::index(&hp, i), "is not a string"))?;
                hashes.push(
                    crate::keys::decode_base64_lenient(text)
                        .map_err(|_| JsonError::new(&json::index(&hp, i), "is not base64"))?,
                );
            }
            let checkpoint = match json::optional(ip, "checkpoint") {
                Some(c) => json::opt_string(c, &json::join(&pp, "checkpoint"), "envelope")?
                    .map(str::to_string),
                None => None,
            };
            Some(InclusionProof {
                log_index: json::opt_i64(ip, &pp, "logIndex")?.unwrap_or(0),
                root_hash: json::base64(ip, &pp, "rootHash")?,
                tree_size: json::opt_i64(ip, &pp, "treeSize")?.unwrap_or(0),
                hashes,
                checkpoint,
            })
        }
    };
    let set = match json::optional(e, "inclusionPromise") {
        Some(pr) => Some(json::base64(
            pr,
            &json::join(p, "inclusionPromise"),
            "signedEntryTimestamp",
        )?),
        None => None,
    };
    Ok(TlogEntry {
        log_index: json::opt_i64(e, p, "logIndex")?.unwrap_or(0),
        log_id: json::base64(
            json::required(e, p, "logId")?,
            &json::join(p, "logId"),
            "keyId",
        )?,
        kind: json::string(kv, &kvp, "kind")?.to_string(),
        version: json::string(kv, &kvp, "version")?.to_string(),
        integrated_time: json::opt_i64(e, p, "integratedTime")?.filter(|t| *t != 0),
        set,
        inclusion_proof: proof,
        body: json::base64(e, p, "canonicalizedBody")?,
    })
}

/// Check: the bundle's log entries carry what its version requires. Every entry needs a SET or
/// an inclusion proof; v0.1 entries need a SET; from v0.2 on, entries need an inclusion proof
/// with a checkpoint.
pub fn check_tlog_requirements(bundle: &Bundle) -> Result<(), BundleError> {
    if bundle.tlog_entries.is_empty() {
        return Err(BundleError::NoTlogEntry);
    }
    for e in &bundle.tlog_entries {
        if e.set.is_none() && e.inclusion_proof.is_none() {
            return Err(BundleError::NoProof);
        }
        match bundle.version {
            BundleVersion::V01 if e.set.is_none() => return Err(BundleError::MissingSet),
            BundleVersion::V01 => {}
            _ => match &e.inclusion_proof {
                None => return Err(BundleError::MissingInclusionProof),
                Some(p) if p.checkpoint.is_none() => return Err(BundleError::MissingCheckpoint),
                Some(_) => {}
            },
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(media: &str, entry: &str) -> String {
        format!(
            r#"{{"mediaType":"{media}","verificationMaterial":{{"certificate":{{"rawBytes":"AQID"}},"tlogEntries":[{entry}]}},
            "messageSignature":{{"messageDigest":{{"algorithm":"SHA2_256","digest":"AAAA"}},"signature":"AQI="}}}}"#
        )
    }

    const SET_ONLY: &str = r#"{"logIndex":"5","logId":{"keyId":"AAAA"},"kindVersion":{"kind":"hashedrekord","version":"0.0.1"},"integratedTime":"1","inclusionPromise":{"signedEntryTimestamp":"AQ=="},"canonicalizedBody":"e30="}"#;

    #[test]
    fn version_requirements_are_checked_after_reading() {
        let v1 = Bundle::from_json(
            bundle(
                "application/vnd.dev.sigstore.bundle+json;version=0.1",
                SET_ONLY,
            )
            .as_bytes(),
        );
        let Ok(v1) = v1 else { unreachable!("{v1:?}") };
        assert_eq!(check_tlog_requirements(&v1), Ok(()));
        assert_eq!(v1.tlog_entries[0].log_index, 5);
        assert_eq!(v1.signature(), Ok(&[1u8, 2][..]));
        let v3 = Bundle::from_json(
            bundle("application/vnd.dev.sigstore.bundle.v0.3+json", SET_ONLY).as_bytes(),
        );
        let Ok(v3) = v3 else { unreachable!() };
        assert_eq!(
            check_tlog_requirements(&v3),
            Err(BundleError::MissingInclusionProof)
        );
    }

    #[test]
    fn unknown_versions_and_empty_chains_are_refused() {
        let e = Bundle::from_json(
            bundle(
                "application/vnd.dev.sigstore.bundle+json;version=99.9",
                SET_ONLY,
            )
            .as_bytes(),
        );
        assert!(matches!(e, Err(BundleError::UnknownMediaType(_))));
        let text = bundle(
            "application/vnd.dev.sigstore.bundle+json;version=0.1",
            SET_ONLY,
        )
        .replace(
            r#""certificate":{"rawBytes":"AQID"}"#,
            r#""x509CertificateChain":{"certificates":[]}"#,
        );
        assert_eq!(
            Bundle::from_json(text.as_bytes()).map_err(|e| e.to_string()),
            Err("the bundle is malformed: `verificationMaterial.x509CertificateChain.certificates` is empty: the chain has no leaf certificate".into())
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = Bundle::from_json(&bytes);
        }
        #[test]
        fn reader_never_panics_on_mutated_bundles(cut in 0usize..400, byte in proptest::prelude::any::<u8>()) {
            let mut b = bundle("application/vnd.dev.sigstore.bundle+json;version=0.1", SET_ONLY).into_bytes();
            if let Some(x) = b.get_mut(cut) { *x = byte; }
            if let Ok(parsed) = Bundle::from_json(&b) {
                let _ = check_tlog_requirements(&parsed);
            }
        }
    }
}
