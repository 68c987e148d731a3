//! The private Sigstore: its keys, CAs and clock, and the JSON documents clients read —
//! `trusted_root.json` (protobuf-specs `TrustedRoot`), bundles v0.1/v0.2/v0.3 (`Bundle`) and the
//! cosign `.sig` facts entry of docs/signatures.md#signature-entries.

use crate::keys::Key;
use crate::rekor::LogEntry;
use crate::x509::{CaChain, FulcioExt, Issued, San, TsaChain};
use crate::{b64, hex};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// 2025-01-01T00:00:00Z: every service of the private Sigstore starts here.
pub const EPOCH: u64 = 1_735_689_600;
/// 2026-01-01T00:00:00Z: the end of the "expired CA" window.
pub const EXPIRED_CA_END: u64 = 1_767_225_600;
/// 2026-03-01T12:00:00Z: when fixtures are signed.
pub const SIGN_TIME: u64 = 1_772_366_400;
/// 2035-01-01T00:00:00Z: when the CA certificates expire.
pub const CA_NOT_AFTER: u64 = 2_051_222_400;

pub const FULCIO_URL: &str = "https://fulcio.testkit.bona.invalid";
pub const REKOR_URL: &str = "https://rekor.testkit.bona.invalid";
pub const REKOR_NAME: &str = "rekor.testkit.bona.invalid";
pub const TSA_URL: &str = "https://tsa.testkit.bona.invalid/api/v1/timestamp";
pub const CTLOG_URL: &str = "https://ctfe.testkit.bona.invalid/test";
/// The repository the signed image lives in.
pub const IMAGE_REPO: &str = "registry.testkit.bona.invalid/company/app";
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
pub const EMAIL_ISSUER: &str = "https://accounts.testkit.bona.invalid";
/// The in-toto predicate type of cosign v3 image signatures.
pub const COSIGN_SIGN_V1: &str = "https://sigstore.dev/cosign/sign/v1";

/// The private Sigstore of one seed.
#[derive(Clone, Debug)]
pub struct PrivateSigstore {
    pub seed: u64,
    /// The CA of the trust root.
    pub ca: CaChain,
    /// A P-384 CA (SHA-384 signatures), as the public-good Fulcio has; it has its own trust root.
    pub ca_p384: CaChain,
    /// A CA no trust root names (the "wrong CA" negative).
    pub unrelated_ca: CaChain,
    /// The certificate-transparency log key.
    pub ct_log: Key,
    /// The Rekor log key.
    pub rekor: Key,
    /// A key nobody trusts: forges SCTs and checkpoints.
    pub intruder: Key,
    /// The timestamp authority of the trust root.
    pub tsa: TsaChain,
    /// A timestamp authority no trust root names.
    pub unrelated_tsa: TsaChain,
}

impl PrivateSigstore {
    /// Everything derived from `seed`.
    pub fn new(seed: u64) -> PrivateSigstore {
        PrivateSigstore {
            seed,
            ca: CaChain::new(seed, "testkit-fulcio", EPOCH, CA_NOT_AFTER),
            ca_p384: CaChain::new_p384(seed, "testkit-fulcio-p384", EPOCH, CA_NOT_AFTER),
            unrelated_ca: CaChain::new(seed, "unrelated-fulcio", EPOCH, CA_NOT_AFTER),
            ct_log: Key::derive(seed, "ctlog"),
            rekor: Key::derive(seed, "rekor"),
            intruder: Key::derive(seed, "intruder"),
            tsa: TsaChain::new(seed, "testkit-tsa", EPOCH, CA_NOT_AFTER),
            unrelated_tsa: TsaChain::new(seed, "unrelated-tsa", EPOCH, CA_NOT_AFTER),
        }
    }

    /// The digest of the image every fixture signs.
    pub fn image_digest(&self) -> [u8; 32] {
        Sha256::digest(format!("bona-testkit image {}", self.seed)).into()
    }

    /// The digest of another image.
    pub fn other_image_digest(&self) -> [u8; 32] {
        Sha256::digest(format!("bona-testkit other image {}", self.seed)).into()
    }

    /// The trust root: this Sigstore's CA, Rekor log, CT log and TSA, all valid from [`EPOCH`] on.
    pub fn trusted_root(&self) -> Value {
        self.trusted_root_with(&Ends::default())
    }

    /// The trust root with some `validFor` windows closed at the given ends.
    pub fn trusted_root_with(&self, ends: &Ends) -> Value {
        self.trusted_root_for(&self.ca, ends)
    }

    /// The trust root with `ca` as its one certificate authority.
    pub fn trusted_root_for(&self, ca: &CaChain, ends: &Ends) -> Value {
        let ca_valid = valid_for(ends.ca);
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [transparency_log(&self.rekor, REKOR_URL, ends.tlog)],
            "certificateAuthorities": [{
                "subject": {"organization": "testkit-fulcio", "commonName": "testkit-fulcio"},
                "uri": FULCIO_URL,
                "certChain": {"certificates": ca.chain_der().iter()
                    .map(|d| json!({"rawBytes": b64(d)})).collect::<Vec<_>>()},
                "validFor": ca_valid,
            }],
            "ctlogs": [transparency_log(&self.ct_log, CTLOG_URL, ends.ctlog)],
            "timestampAuthorities": [{
                "subject": {"organization": "testkit-tsa", "commonName": "testkit-tsa"},
                "uri": TSA_URL,
                "certChain": {"certificates": self.tsa.chain_der().iter()
                    .map(|d| json!({"rawBytes": b64(d)})).collect::<Vec<_>>()},
                "validFor": valid_for(ends.tsa),
            }],
        })
    }
}

/// Where the trust root's `validFor` windows end (unix seconds); `None` leaves them open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ends {
    pub ca: Option<u64>,
    pub tlog: Option<u64>,
    pub ctlog: Option<u64>,
    pub tsa: Option<u64>,
}

fn valid_for(end: Option<u64>) -> Value {
    let mut v = json!({"start": rfc3339(EPOCH)});
    if let Some(end) = end {
        v["end"] = json!(rfc3339(end));
    }
    v
}

fn transparency_log(key: &Key, url: &str, end: Option<u64>) -> Value {
    json!({
        "baseUrl": url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": b64(key.spki_der()),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": valid_for(end),
        },
        "logId": {"keyId": b64(&key.key_id())},
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(unix: u64) -> String {
    // INVARIANT: testkit times lie in 1970–9999.
    x509_cert::der::DateTime::from_unix_duration(std::time::Duration::from_secs(unix))
        .expect("date in range")
        .to_string()
}

/// A GitHub Actions identity of Fulcio: the workflow SAN, the issuer and the GitHub extensions.
pub fn github_identity(owner: &str, repo: &str, tag: &str) -> (San, Vec<(FulcioExt, String)>) {
    use FulcioExt::*;
    let repo_uri = format!("https://github.com/{owner}/{repo}");
    let workflow = format!("{repo_uri}/.github/workflows/release.yml@refs/tags/{tag}");
    let git_ref = format!("refs/tags/{tag}");
    let sha = hex(&Sha256::digest(format!("{owner}/{repo}@{tag}"))[..20]);
    let exts = vec![
        (IssuerV1, GITHUB_ISSUER.to_string()),
        (GithubWorkflowTrigger, "push".to_string()),
        (GithubWorkflowSha, sha.clone()),
        (GithubWorkflowName, "release".to_string()),
        (GithubWorkflowRepository, format!("{owner}/{repo}")),
        (GithubWorkflowRef, git_ref.clone()),
        (Issuer, GITHUB_ISSUER.to_string()),
        (BuildSignerUri, workflow.clone()),
        (BuildSignerDigest, sha.clone()),
        (RunnerEnvironment, "github-hosted".to_string()),
        (SourceRepositoryUri, repo_uri.clone()),
        (SourceRepositoryDigest, sha.clone()),
        (SourceRepositoryRef, git_ref),
        (SourceRepositoryIdentifier, "100001".to_string()),
        (
            SourceRepositoryOwnerUri,
            format!("https://github.com/{owner}"),
        ),
        (SourceRepositoryOwnerIdentifier, "200002".to_string()),
        (BuildConfigUri, workflow.clone()),
        (BuildConfigDigest, sha),
        (BuildTrigger, "push".to_string()),
        (
            RunInvocationUri,
            format!("{repo_uri}/actions/runs/300003/attempts/1"),
        ),
        (SourceRepositoryVisibilityAtSigning, "public".to_string()),
    ];
    (San::Uri(workflow), exts)
}

/// The cosign simple-signing payload for `repo@sha256:digest`.
pub fn simple_signing_payload(repo: &str, digest: &[u8; 32]) -> Vec<u8> {
    crate::canonical_json(&json!({
        "critical": {
            "identity": {"docker-reference": repo},
            "image": {"docker-manifest-digest": format!("sha256:{}", hex(digest))},
            "type": "cosign container image signature",
        },
        "optional": null,
    }))
    .into_bytes()
}

/// An in-toto v1 statement of `predicate_type` about `repo` with `digest` (cosign v3 writes
/// `{}` as the predicate of its `sign/v1` image signatures).
pub fn statement(repo: &str, digest: &[u8; 32], predicate_type: &str) -> Vec<u8> {
    crate::canonical_json(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": repo, "digest": {"sha256": hex(digest)}}],
        "predicateType": predicate_type,
        "predicate": {},
    }))
    .into_bytes()
}

pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// DSSE's pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut v = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    v.extend_from_slice(payload);
    v
}

/// Bundle versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BundleVersion {
    V01,
    V02,
    V03,
}

impl BundleVersion {
    pub fn media_type(self) -> &'static str {
        match self {
            BundleVersion::V01 => "application/vnd.dev.sigstore.bundle+json;version=0.1",
            BundleVersion::V02 => "application/vnd.dev.sigstore.bundle+json;version=0.2",
            BundleVersion::V03 => "application/vnd.dev.sigstore.bundle.v0.3+json",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BundleVersion::V01 => "v0.1",
            BundleVersion::V02 => "v0.2",
            BundleVersion::V03 => "v0.3",
        }
    }
}

/// What was signed.
#[derive(Clone, Debug)]
pub enum Content {
    /// A simple-signing payload, signed as is (`messageSignature`).
    Message { payload: Vec<u8> },
    /// A DSSE envelope's payload, signed over its PAE (`dsseEnvelope`).
    Dsse {
        payload_type: String,
        payload: Vec<u8>,
    },
}

impl Content {
    /// The bytes the signer signs.
    pub fn signed_bytes(&self) -> Vec<u8> {
        match self {
            Content::Message { payload } => payload.clone(),
            Content::Dsse {
                payload_type,
                payload,
            } => pae(payload_type, payload),
        }
    }

    pub fn payload(&self) -> &[u8] {
        match self {
            Content::Message { payload } | Content::Dsse { payload, .. } => payload,
        }
    }

    /// The Rekor kind of its entry.
    pub fn kind(&self) -> &'static str {
        match self {
            Content::Message { .. } => "hashedrekord",
            Content::Dsse { .. } => "dsse",
        }
    }

    /// The envelope JSON (DSSE only): the bundle's `dsseEnvelope` and what Rekor hashed.
    pub fn envelope(&self, signature: &[u8]) -> Option<Value> {
        match self {
            Content::Message { .. } => None,
            Content::Dsse {
                payload_type,
                payload,
            } => Some(json!({
                "payload": b64(payload),
                "payloadType": payload_type,
                "signatures": [{"sig": b64(signature), "keyid": ""}],
            })),
        }
    }
}

/// Which proofs a bundle's log entry carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proofs {
    pub set: bool,
    pub inclusion: bool,
}

/// The protobuf-JSON `TransparencyLogEntry` (int64 as strings, bytes as base64).
pub fn tlog_entry_json(entry: &LogEntry, kind: &str, proofs: Proofs) -> Value {
    let mut v = json!({
        "logIndex": entry.log_index.to_string(),
        "logId": {"keyId": b64(&entry.log_id)},
        "kindVersion": {"kind": kind, "version": "0.0.1"},
        "integratedTime": entry.integrated_time.to_string(),
        "canonicalizedBody": b64(&entry.body),
    });
    if proofs.set {
        v["inclusionPromise"] = json!({"signedEntryTimestamp": b64(&entry.set)});
    }
    if proofs.inclusion {
        let p = &entry.proof;
        v["inclusionProof"] = json!({
            "logIndex": p.log_index.to_string(),
            "rootHash": b64(&p.root_hash),
            "treeSize": p.tree_size.to_string(),
            "hashes": p.hashes.iter().map(|h| b64(h)).collect::<Vec<_>>(),
            "checkpoint": {"envelope": p.checkpoint},
        });
    }
    v
}

/// A Sigstore bundle. v0.1 and v0.2 carry the leaf in `x509CertificateChain` (the leaf alone,
/// as cosign writes it); v0.3 in `certificate`.
pub fn bundle_json(
    version: BundleVersion,
    leaf: &Issued,
    content: &Content,
    signature: &[u8],
    tlog_entry: Value,
    timestamp: Option<&[u8]>,
) -> Value {
    let mut material = json!({"tlogEntries": [tlog_entry]});
    if let Some(ts) = timestamp {
        material["timestampVerificationData"] =
            json!({"rfc3161Timestamps": [{"signedTimestamp": b64(ts)}]});
    }
    match version {
        BundleVersion::V03 => material["certificate"] = json!({"rawBytes": b64(&leaf.der)}),
        _ => {
            material["x509CertificateChain"] =
                json!({"certificates": [{"rawBytes": b64(&leaf.der)}]})
        }
    }
    let mut bundle = json!({"mediaType": version.media_type(), "verificationMaterial": material});
    match content {
        Content::Message { payload } => {
            bundle["messageSignature"] = json!({
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64(&Sha256::digest(payload))},
                "signature": b64(signature),
            });
        }
        Content::Dsse { .. } => {
            bundle["dsseEnvelope"] = content.envelope(signature).unwrap_or(Value::Null);
        }
    }
    bundle
}

/// The docs/signatures.md#signature-entries facts entry of a bundle: `{bundle, payload}` with a
/// message signature,
/// `{bundle}` with a DSSE envelope.
pub fn bundle_facts_entry(bundle: &Value, content: &Content) -> Value {
    match content {
        Content::Message { payload } => json!({"bundle": bundle, "payload": b64(payload)}),
        Content::Dsse { .. } => json!({"bundle": bundle}),
    }
}

/// The docs/signatures.md#signature-entries cosign `.sig` facts entry (simple signing with the
/// keyless annotations);
/// `tlog` is left out when `set` is false (the legacy form carries no inclusion proof);
/// `rfc3161_timestamp` is the DER `TimeStampResp`, when there is one.
pub fn sig_facts_entry(
    payload: &[u8],
    signature: &[u8],
    leaf: &Issued,
    ca: &CaChain,
    entry: &LogEntry,
    set: bool,
    timestamp: Option<&[u8]>,
) -> Value {
    let mut v = json!({
        "payload": b64(payload),
        "signature": b64(signature),
        "certificate": leaf.pem(),
        "chain": format!("{}{}", ca.intermediate.pem(), ca.root.pem()),
    });
    if set {
        v["tlog"] = json!({
            "SignedEntryTimestamp": b64(&entry.set),
            "Payload": {
                "body": b64(&entry.body),
                "integratedTime": entry.integrated_time,
                "logIndex": entry.log_index,
                "logID": hex(&entry.log_id),
            },
        });
    }
    if let Some(ts) = timestamp {
        v["rfc3161_timestamp"] = json!(b64(ts));
    }
    v
}
