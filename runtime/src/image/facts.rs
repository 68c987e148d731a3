//! The facts document (docs/images.md#facts-document): what is known about images beyond their
//! reference.
//!
//! ```json
//! { "images": { "registry.company.com/app@sha256:…": { "digest": "sha256:…", "tags": ["1.2.3"],
//!     "base": "registry.company.com/base/debian:12", "scanned": true,
//!     "scan": { "scanner": "trivy", "finished_at": "2026-11-20T10:00:00Z",
//!               "vulnerabilities": { "critical": 0, "high": 1, "medium": 4, "low": 9 } },
//!     "labels": { "org.opencontainers.image.source": "https://git.company.com/app" },
//!     "signatures": [ { "payload": "<base64>", "signature": "<base64>" } ] } } }
//! ```
//!
//! Design notes:
//! - **Everything is checked at load.** A fact that is present is valid: digests have the
//!   shape of docs/images.md#references, `base` is a parsed (normalised) reference,
//!   timestamps are Unix seconds, signatures are decoded bytes. Evaluation then never meets
//!   malformed data and never has to report it; bad input is reported once, at its JSON path,
//!   and exits 2 (docs/commands.md#exit-codes).
//! - **Absent and `null` are the same**: a missing fact is unknown
//!   (docs/language.md#three-valued-logic), never a default.
//! - **Strict fields** (`deny_unknown_fields`): a misspelt fact is an error, not a silently
//!   unknown attribute.
//! - [`ImageFacts`] implements `Deserialize` on its own, with every check done inside
//!   deserialization, so that documents embedding it (the admission input's inline `facts`)
//!   get the same checks and the same JSON paths through [`crate::json::from_slice`].
//! - **Keys** are normalised at load, so lookup is a few hash probes (docs/images.md#facts-lookup).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use base64::Engine as _;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::json::{self, JsonError, Object, ObjectFields, opt_object, opt_objects};
use crate::reference::{Reference, is_valid_digest};

/// A loaded facts document: normalised key → facts.
///
/// Keys are either a digest (`sha256:…`, `sha512:…`) or a reference in its normalised printed
/// form (`docker.io/library/nginx:1.27`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FactsDocument {
    images: HashMap<String, ImageFacts>,
    bases: BaseIndex,
}

/// The candidate base images of a document (docs/images.md#base-by-layers): the entries keyed
/// by a reference whose `layers` are known and not empty, by those layers.
#[derive(Clone, Debug, Default, PartialEq)]
struct BaseIndex {
    by_layers: HashMap<Vec<String>, Vec<Reference>>,
    /// The distinct lengths of the candidates' layer lists, longest first: an image's
    /// prefixes are probed at these lengths only, so finding its base is a few hash probes.
    lengths: Vec<usize>,
}

impl BaseIndex {
    fn new(images: &HashMap<String, ImageFacts>) -> BaseIndex {
        let mut by_layers: HashMap<Vec<String>, Vec<Reference>> = HashMap::new();
        for (key, facts) in images {
            let Some(layers) = facts.layers.as_ref().filter(|l| !l.is_empty()) else {
                continue;
            };
            let Ok(Key::Reference(reference)) = parse_key(key) else {
                continue;
            };
            by_layers.entry(layers.clone()).or_default().push(reference);
        }
        for references in by_layers.values_mut() {
            references.sort_by_cached_key(ToString::to_string);
        }
        let mut lengths: Vec<usize> = by_layers.keys().map(Vec::len).collect();
        lengths.sort_unstable_by(|a, b| b.cmp(a));
        lengths.dedup();
        BaseIndex { by_layers, lengths }
    }

    fn bases_of(&self, layers: &[String]) -> &[Reference] {
        self.lengths
            .iter()
            .filter(|&&n| n < layers.len())
            .find_map(|&n| self.by_layers.get(layers.get(..n)?))
            .map_or(&[], Vec::as_slice)
    }
}

/// Why a facts document could not be loaded: a JSON error, a bad key, a bad `base` reference, a
/// bad digest, timestamp or base64 value. All of them are found while reading the document, so
/// all of them carry the JSON path, line and column of the offending value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactsError(pub JsonError);

impl fmt::Display for FactsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for FactsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl From<FactsError> for JsonError {
    fn from(err: FactsError) -> JsonError {
        err.0
    }
}

impl FactsDocument {
    /// Reads a facts document (`{"images": {KEY: facts, …}}`).
    ///
    /// `images` may be absent or `null` (no facts). A key whose value is `null` is the same as
    /// an absent key. Two keys that normalise to the same image (`nginx` and
    /// `docker.io/library/nginx:latest`) are an error rather than a silent choice.
    pub fn from_json(bytes: &[u8]) -> Result<FactsDocument, FactsError> {
        let raw: RawDocument = json::from_slice::<Object<RawDocument>>(bytes)
            .map_err(FactsError)?
            .0;
        let images = raw.images.map(|m| m.0).unwrap_or_default();
        Ok(FactsDocument {
            bases: BaseIndex::new(&images),
            images,
        })
    }

    /// This document with `entries` added, each under its key (a digest, or a reference in
    /// its normalised printed form), replacing what was there: how a host adds what it read
    /// from registries to the static facts.
    pub fn with_entries(mut self, entries: impl IntoIterator<Item = (String, ImageFacts)>) -> Self {
        self.images.extend(entries);
        self.bases = BaseIndex::new(&self.images);
        self
    }

    /// The images of this document that an image with `layers` is built on
    /// (docs/images.md#base-by-layers): those keyed by a reference whose layers are the longest
    /// strict, non-empty prefix of `layers` found; `[]` when none is.
    pub fn bases_of(&self, layers: &[String]) -> &[Reference] {
        self.bases.bases_of(layers)
    }

    /// The facts of `image` (docs/images.md#facts-lookup): the entry under the image's digest, else
    /// under its full normalised reference, else — only for a reference with both a tag and a
    /// digest — under the reference without its digest. The first entry found is the answer;
    /// entries are never merged. A digest-only reference never takes the facts of `REPO:latest`.
    pub fn lookup(&self, image: &Reference) -> Option<&ImageFacts> {
        if let Some(digest) = image.digest()
            && let Some(facts) = self.images.get(digest)
        {
            return Some(facts);
        }
        if let Some(facts) = self.images.get(&image.to_string()) {
            return Some(facts);
        }
        // `without_digest` is `Some` only for a reference with both a tag and a digest.
        let without = image.without_digest()?;
        self.images.get(&without.to_string())
    }

    /// The entry stored under a normalised key (a digest or a normalised reference), without
    /// the fallbacks of [`FactsDocument::lookup`].
    pub fn get(&self, key: &str) -> Option<&ImageFacts> {
        self.images.get(key)
    }

    /// How many images the document describes.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether the document describes no image.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// The entries, in no particular order, under their normalised keys.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ImageFacts)> {
        self.images.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// What is known about one image. Every field is optional: absent (or `null`) means unknown.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageFacts {
    /// The image's digest (`sha256:…`), used when the reference carries none.
    #[serde(default, deserialize_with = "de_digest")]
    pub digest: Option<String>,
    /// The tags the image is known under, for a digest-only reference. `[]` is known: no tag.
    #[serde(default, deserialize_with = "de_tags")]
    pub tags: Option<Vec<String>>,
    /// The base image, as a parsed reference (printed normalised).
    #[serde(default, deserialize_with = "de_base")]
    pub base: Option<Reference>,
    /// Whether the image was scanned.
    #[serde(default)]
    pub scanned: Option<bool>,
    /// The latest vulnerability scan.
    #[serde(default, deserialize_with = "opt_object")]
    pub scan: Option<Scan>,
    /// The image configuration's labels. When present, a missing key is known to be missing.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// Cosign simple-signing signatures (docs/images.md#signatures). `[]` is known: no signature.
    #[serde(default, deserialize_with = "opt_objects")]
    pub signatures: Option<Vec<Signature>>,
    /// Signed in-toto attestations (docs/attestations.md). `[]` is known: none.
    #[serde(default, deserialize_with = "opt_objects")]
    pub attestations: Option<Vec<crate::attestation::Attestation>>,
    /// When the image was built (the image config's `created`), Unix seconds.
    #[serde(default, deserialize_with = "de_timestamp")]
    pub created: Option<i64>,
    /// The image config's `rootfs.diff_ids`, bottom layer first: what `base` is found by
    /// (docs/images.md#base-by-layers).
    #[serde(default, deserialize_with = "de_layers")]
    pub layers: Option<Vec<String>>,
    /// The base the image says it is built on (the `org.opencontainers.image.base.name`
    /// annotation): self-declared, so never `base`.
    #[serde(default, deserialize_with = "de_base")]
    pub declared_base: Option<Reference>,
    /// The lists only partly read (docs/images.md#partial-evidence): a check over one holds when
    /// an entry satisfies it and is otherwise unknown, never false.
    #[serde(default, deserialize_with = "de_incomplete")]
    pub incomplete: Incomplete,
    /// What a registry says of the tag of a `REPO:TAG@DIGEST` reference (docs/registry.md#tags-are-claims):
    /// set by a host that asked, never read from a document.
    #[serde(skip)]
    pub tag_claim: TagClaim,
}

/// Whether the tag written beside a digest names that digest. The kubelet pulls the digest and
/// ignores the tag, so a tag is a claim a registry confirms or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TagClaim {
    /// Nobody asked: the tag is taken as written (without a registry).
    #[default]
    Unchecked,
    /// The registry names the digest under the tag, now or recently.
    Confirmed,
    /// The registry names another digest: the image has no tag known.
    Denied,
    /// The registry could not be asked: the tag is unknown.
    Unknown,
}

/// Which of an image's evidence lists are partial: some source of them failed, so the entries
/// given are some of the image's, not all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Incomplete {
    pub signatures: bool,
    pub attestations: bool,
}

impl Incomplete {
    /// The names, as the facts document writes them.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        [
            (self.signatures, "signatures"),
            (self.attestations, "attestations"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
    }

    pub fn is_empty(self) -> bool {
        !self.signatures && !self.attestations
    }
}

// Every struct of a facts document is read from a JSON object only (see [`Object`]).
impl ObjectFields for ImageFacts {
    const EXPECTING: &'static str = "a facts object";
}
impl ObjectFields for Scan {
    const EXPECTING: &'static str = "a scan object";
}
impl ObjectFields for Vulnerabilities {
    const EXPECTING: &'static str = "an object of vulnerability counts";
}
impl ObjectFields for Signature {
    const EXPECTING: &'static str =
        "a signature object with `payload` and `signature`, or `bundle`";
}
impl ObjectFields for RawDocument {
    const EXPECTING: &'static str = "a facts document object with `images`";
}

/// A vulnerability scan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scan {
    /// The scanner's name (`trivy`).
    #[serde(default)]
    pub scanner: Option<String>,
    /// When the scan finished, in Unix seconds (read from an RFC 3339 timestamp).
    #[serde(default, deserialize_with = "de_timestamp")]
    pub finished_at: Option<i64>,
    /// Counts of vulnerabilities by severity.
    #[serde(default, deserialize_with = "opt_object")]
    pub vulnerabilities: Option<Vulnerabilities>,
}

/// Counts of vulnerabilities by severity; each count is unknown when absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vulnerabilities {
    /// Critical vulnerabilities.
    #[serde(default)]
    pub critical: Option<u64>,
    /// High vulnerabilities.
    #[serde(default)]
    pub high: Option<u64>,
    /// Medium vulnerabilities.
    #[serde(default)]
    pub medium: Option<u64>,
    /// Low vulnerabilities.
    #[serde(default)]
    pub low: Option<u64>,
}

/// One signature entry (docs/signatures.md#signature-entries), decoded from base64 at load: the
/// signed bytes, the signature over them and, for a keyless or logged signature, its Sigstore
/// evidence.
///
/// The three entry forms are read: `{payload, signature}` (simple signing); the same with the
/// keyless material of a cosign `.sig` layer (`certificate`, `chain`, `tlog`,
/// `rfc3161_timestamp`), read strictly; and `{bundle, payload}`, a Sigstore bundle read
/// leniently, whose `messageSignature` signs `payload`. For a bundle holding a `dsseEnvelope`,
/// `payload` is the envelope's pre-authentication encoding (what its signature signs), whose
/// in-toto statement the verifier reads.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawEntry")]
pub struct Signature {
    /// The signed simple-signing JSON document, byte for byte (or a DSSE PAE).
    pub payload: Vec<u8>,
    /// The signature over `payload` (ECDSA as ASN.1 DER or raw r‖s, Ed25519, RSA).
    pub signature: Vec<u8>,
    /// The certificate, chain, log entries and timestamps, when the entry has any: what a
    /// keyless signer, or a key with `{ tlog R }`, verifies.
    pub evidence: Option<Box<Evidence>>,
}

impl Signature {
    /// A keyed simple-signing entry with no Sigstore evidence.
    pub fn simple(payload: Vec<u8>, signature: Vec<u8>) -> Signature {
        Signature {
            payload,
            signature,
            evidence: None,
        }
    }
}

/// A signature entry's Sigstore evidence and its fingerprint (which a verification cache keys
/// on, beside the payload and signature).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub sigstore: bona_sigstore::verify::Evidence,
    pub fingerprint: [u8; 32],
}

impl Evidence {
    fn new(sigstore: bona_sigstore::verify::Evidence) -> Box<Evidence> {
        let fingerprint = sigstore.fingerprint();
        Box::new(Evidence {
            sigstore,
            fingerprint,
        })
    }
}

/// A signature entry as written: every key of the three forms, each strictly typed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    #[serde(default, deserialize_with = "de_some_base64")]
    payload: Option<Vec<u8>>,
    #[serde(default, deserialize_with = "de_some_base64")]
    signature: Option<Vec<u8>>,
    #[serde(default, deserialize_with = "de_some_string")]
    certificate: Option<String>,
    #[serde(default, deserialize_with = "de_some_string")]
    chain: Option<String>,
    #[serde(default, deserialize_with = "opt_object")]
    tlog: Option<RawTlog>,
    #[serde(default, deserialize_with = "de_some_base64")]
    rfc3161_timestamp: Option<Vec<u8>>,
    #[serde(default)]
    bundle: Option<serde_json::Value>,
}

/// A cosign `.sig` layer's `dev.sigstore.cosign/bundle` annotation (a Rekor v1 entry).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTlog {
    #[serde(rename = "SignedEntryTimestamp", deserialize_with = "de_base64")]
    signed_entry_timestamp: Vec<u8>,
    #[serde(rename = "Payload", deserialize_with = "de_tlog_payload")]
    payload: RawTlogPayload,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTlogPayload {
    #[serde(deserialize_with = "de_base64")]
    body: Vec<u8>,
    #[serde(rename = "integratedTime")]
    integrated_time: i64,
    #[serde(rename = "logIndex")]
    log_index: u64,
    #[serde(rename = "logID")]
    log_id: String,
}

impl ObjectFields for RawTlog {
    const EXPECTING: &'static str = "a `tlog` object with `SignedEntryTimestamp` and `Payload`";
}
impl ObjectFields for RawTlogPayload {
    const EXPECTING: &'static str =
        "a `Payload` object with `body`, `integratedTime`, `logIndex` and `logID`";
}

/// The DER certificates of a PEM text (`certificate`, `chain`); `field` names the key.
fn pem_certificates(text: &str, field: &str) -> Result<Vec<Vec<u8>>, String> {
    let certs =
        bona_sigstore::cert::Cert::from_pem_chain(text).map_err(|e| format!("{field}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{field}: no `-----BEGIN CERTIFICATE-----` block"));
    }
    Ok(certs.into_iter().map(|c| c.der).collect())
}

/// The keyless material of a cosign `.sig` or `.att` layer entry (`certificate`, `chain`,
/// `tlog`, `rfc3161_timestamp`) around what it signs (built only when there is material), or
/// `None` when it has none of them.
pub(crate) fn layer_evidence(
    certificate: Option<&str>,
    chain: Option<&str>,
    tlog: Option<RawTlog>,
    rfc3161_timestamp: Option<Vec<u8>>,
    content: impl FnOnce() -> bona_sigstore::bundle::Content,
) -> Result<Option<Box<Evidence>>, String> {
    if certificate.is_none() && chain.is_none() && tlog.is_none() && rfc3161_timestamp.is_none() {
        return Ok(None);
    }
    let certificate = match certificate {
        Some(text) => pem_certificates(text, "certificate")?.into_iter().next(),
        None => None,
    };
    // cosign writes no chain annotation rather than an empty one, but an empty chain is no
    // chain, not a malformed one.
    let chain = match chain {
        Some(text) if !text.trim().is_empty() => pem_certificates(text, "chain")?,
        _ => Vec::new(),
    };
    let tlog_entries = match tlog {
        None => Vec::new(),
        Some(t) => {
            let log_id = bona_sigstore::keys::unhex(&t.payload.log_id)
                .ok_or("tlog.Payload.logID: is not hexadecimal")?;
            let log_index = i64::try_from(t.payload.log_index)
                .map_err(|_| "tlog.Payload.logIndex: is too large")?;
            vec![bona_sigstore::bundle::TlogEntry {
                log_index,
                log_id,
                kind: String::new(),
                version: String::new(),
                integrated_time: Some(t.payload.integrated_time),
                set: Some(t.signed_entry_timestamp),
                inclusion_proof: None,
                body: t.payload.body,
            }]
        }
    };
    Ok(Some(Evidence::new(bona_sigstore::verify::Evidence {
        version: None,
        certificate,
        chain,
        tlog_entries,
        rfc3161_timestamps: rfc3161_timestamp.into_iter().collect(),
        content: content(),
    })))
}

/// The evidence of a Sigstore bundle.
pub(crate) fn bundle_evidence(bundle: bona_sigstore::bundle::Bundle) -> Box<Evidence> {
    Evidence::new(bona_sigstore::verify::Evidence {
        version: Some(bundle.version),
        certificate: bundle.material.leaf().map(<[u8]>::to_vec),
        chain: bundle.material.intermediates().to_vec(),
        tlog_entries: bundle.tlog_entries,
        rfc3161_timestamps: bundle.rfc3161_timestamps,
        content: bundle.content,
    })
}

impl TryFrom<RawEntry> for Signature {
    type Error = String;

    fn try_from(mut raw: RawEntry) -> Result<Signature, String> {
        let Some(bundle) = raw.bundle.take() else {
            let payload = raw.payload.take().ok_or("missing field `payload`")?;
            let signature = raw.signature.take().ok_or("missing field `signature`")?;
            let evidence = layer_evidence(
                raw.certificate.as_deref(),
                raw.chain.as_deref(),
                raw.tlog.take(),
                raw.rfc3161_timestamp.take(),
                || bona_sigstore::bundle::Content::MessageSignature {
                    digest: None,
                    signature: signature.clone(),
                },
            )?;
            return Ok(Signature {
                payload,
                signature,
                evidence,
            });
        };
        if raw.signature.is_some()
            || raw.certificate.is_some()
            || raw.chain.is_some()
            || raw.tlog.is_some()
            || raw.rfc3161_timestamp.is_some()
        {
            return Err("an entry with `bundle` takes only `payload` beside it".into());
        }
        let bundle = bona_sigstore::bundle::Bundle::from_value(&bundle)
            .map_err(|e| format!("bundle: {e}"))?;
        let (payload, signature) = match &bundle.content {
            bona_sigstore::bundle::Content::MessageSignature { signature, .. } => {
                let payload = raw.payload.take().ok_or(
                    "missing field `payload` (a bundle with `messageSignature` signs the \
                     simple-signing document given in `payload`)",
                )?;
                (payload, signature.clone())
            }
            bona_sigstore::bundle::Content::Dsse(envelope) => {
                if raw.payload.is_some() {
                    return Err(
                        "a bundle with `dsseEnvelope` carries its own payload: remove `payload`"
                            .into(),
                    );
                }
                // What the envelope's signature signs: the pre-authentication encoding, which
                // the verifier reads back (its statement binds the image).
                let signature = envelope
                    .signatures
                    .first()
                    .map(|s| s.sig.clone())
                    .unwrap_or_default();
                (envelope.pae(), signature)
            }
        };
        Ok(Signature {
            payload,
            signature,
            evidence: Some(bundle_evidence(bundle)),
        })
    }
}

/// Parses an RFC 3339 timestamp (`2026-11-20T10:00:00Z`, `2026-11-20T11:30:00.5+01:30`) into
/// Unix seconds. Fractions of a second are dropped (rounded towards the past); `t`, `z` and a
/// space separator are accepted as RFC 3339 allows; a leap second `:60` counts as the next
/// second. Anything else, including a missing offset, is `None`.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let at = |i: usize| b.get(i).copied();
    let year = num(0, 4)?;
    let month = num(5, 2)?;
    let day = num(8, 2)?;
    let hour = num(11, 2)?;
    let minute = num(14, 2)?;
    let second = num(17, 2)?;
    if at(4) != Some(b'-')
        || at(7) != Some(b'-')
        || !matches!(at(10), Some(b'T' | b't' | b' '))
        || at(13) != Some(b':')
        || at(16) != Some(b':')
    {
        return None;
    }
    let mut i = 19;
    if at(i) == Some(b'.') {
        i += 1;
        let start = i;
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match at(i)? {
        b'Z' | b'z' => {
            i += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if at(i + 3) != Some(b':') || oh > 23 || om > 59 {
                return None;
            }
            i += 6;
            let minutes = oh * 60 + om;
            if sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    if i != b.len()
        || !(1..=12).contains(&month)
        || day < 1
        || day > bona_sigstore::time::days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let days = bona_sigstore::time::days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second - offset * 60)
}

/// Unix seconds as an RFC 3339 UTC timestamp, `2026-11-20T10:00:00Z`: the form
/// [`parse_rfc3339`] reads back.
pub fn format_rfc3339(unix: i64) -> String {
    bona_sigstore::time::format_rfc3339(unix)
}

/// Whether `tag` fits the Docker tag grammar `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn is_valid_tag(tag: &str) -> bool {
    let ok = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b'-';
    match tag.as_bytes().split_first() {
        Some((first, rest)) => {
            (first.is_ascii_alphanumeric() || *first == b'_')
                && rest.len() <= 127
                && rest.iter().all(|&c| ok(c))
        }
        None => false,
    }
}

fn digest_error(digest: &str) -> String {
    format!(
        "`{digest}` is not a valid digest: expected `sha256:` with 64 or `sha512:` with 128 \
         lower-case hex digits"
    )
}

fn de_digest<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(digest) if !is_valid_digest(&digest) => Err(de::Error::custom(digest_error(&digest))),
        other => Ok(other),
    }
}

fn de_tags<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let tags = Option::<Vec<String>>::deserialize(d)?;
    if let Some(bad) = tags.iter().flatten().find(|t| !is_valid_tag(t)) {
        return Err(de::Error::custom(format!(
            "`{bad}` is not a valid tag: a tag is 1 to 128 letters, digits, `_`, `.` or `-`, \
             and does not start with `.` or `-`"
        )));
    }
    Ok(tags)
}

fn de_base<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Reference>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(text) => Reference::parse(&text).map(Some).map_err(de::Error::custom),
    }
}

fn de_layers<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let layers = Option::<Vec<String>>::deserialize(d)?;
    if let Some(bad) = layers.iter().flatten().find(|l| !is_valid_digest(l)) {
        return Err(de::Error::custom(format!("layer {}", digest_error(bad))));
    }
    Ok(layers)
}

fn de_incomplete<'de, D: Deserializer<'de>>(d: D) -> Result<Incomplete, D::Error> {
    let mut incomplete = Incomplete::default();
    for name in Option::<Vec<String>>::deserialize(d)?.unwrap_or_default() {
        match name.as_str() {
            "signatures" => incomplete.signatures = true,
            "attestations" => incomplete.attestations = true,
            _ => {
                return Err(de::Error::custom(format!(
                    "`{name}` cannot be incomplete: only the lists `signatures` and \
                     `attestations` can be partly read"
                )));
            }
        }
    }
    Ok(incomplete)
}

fn de_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(text) => parse_rfc3339(&text).map(Some).ok_or_else(|| {
            de::Error::custom(format!(
                "`{text}` is not an RFC 3339 timestamp like `2026-11-20T10:00:00Z`"
            ))
        }),
    }
}

/// Standard base64 alphabet; padding optional (some tools strip it). ASCII whitespace anywhere
/// is skipped first: cosign accepts base64 wrapped over several lines, as registries and
/// `kubectl` sometimes deliver it.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

pub(crate) fn de_some_base64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    de_base64(d).map(Some)
}

pub(crate) fn de_tlog_payload<'de, D: Deserializer<'de>>(d: D) -> Result<RawTlogPayload, D::Error> {
    Object::<RawTlogPayload>::deserialize(d).map(|o| o.0)
}

pub(crate) fn de_some_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

pub(crate) fn de_base64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(d)?;
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    BASE64
        .decode(&compact)
        .map_err(|err| de::Error::custom(format!("not valid base64: {err}")))
}

/// The document as read: `images` is optional, unknown top-level fields are rejected.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocument {
    #[serde(default)]
    images: Option<ImagesMap>,
}

/// The `images` object, with keys normalised and checked while reading so that errors carry
/// the key's JSON path.
struct ImagesMap(HashMap<String, ImageFacts>);

impl<'de> Deserialize<'de> for ImagesMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ImagesMap, D::Error> {
        d.deserialize_map(ImagesVisitor)
    }
}

struct ImagesVisitor;

impl<'de> Visitor<'de> for ImagesVisitor {
    type Value = ImagesMap;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object from image keys (digests or references) to facts")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ImagesMap, A::Error> {
        let mut images = HashMap::new();
        // normalised key -> key as written, to name both keys of a duplicate.
        let mut seen: HashMap<String, String> = HashMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let entry = map.next_value_seed(EntrySeed {
                key: &key,
                seen: &seen,
            })?;
            if let Some(facts) = entry.facts {
                images.insert(entry.normalised.clone(), facts);
            }
            seen.insert(entry.normalised, key);
        }
        Ok(ImagesMap(images))
    }
}

/// Reads one entry's value, checking its key first so that a bad key is reported at
/// `images["KEY"]`.
struct EntrySeed<'a> {
    key: &'a str,
    seen: &'a HashMap<String, String>,
}

struct Entry {
    normalised: String,
    facts: Option<ImageFacts>,
}

/// What a facts key names.
enum Key {
    Digest(String),
    Reference(Reference),
}

/// A key is a digest when it starts with a digest algorithm and a colon (`sha256:`,
/// `sha512:`); anything else is a reference.
fn parse_key(key: &str) -> Result<Key, String> {
    if key.starts_with("sha256:") || key.starts_with("sha512:") {
        if is_valid_digest(key) {
            Ok(Key::Digest(key.to_owned()))
        } else {
            Err(digest_error(key))
        }
    } else {
        Reference::parse(key)
            .map(Key::Reference)
            .map_err(|err| err.to_string())
    }
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = Entry;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Entry, D::Error> {
        let key = parse_key(self.key).map_err(de::Error::custom)?;
        let (normalised, key_digest) = match &key {
            Key::Digest(digest) => (digest.clone(), Some(digest.as_str())),
            Key::Reference(reference) => (reference.to_string(), reference.digest()),
        };
        if let Some(first) = self.seen.get(&normalised) {
            let message = if first == self.key {
                format!("duplicate key `{first}`")
            } else {
                format!(
                    "keys `{first}` and `{}` name the same image `{normalised}`",
                    self.key
                )
            };
            return Err(de::Error::custom(message));
        }
        let facts = Option::<Object<ImageFacts>>::deserialize(d)?.map(|o| o.0);
        if let (Some(key_digest), Some(fact_digest)) =
            (key_digest, facts.as_ref().and_then(|f| f.digest.as_deref()))
            && key_digest != fact_digest
        {
            return Err(de::Error::custom(format!(
                "the facts' digest `{fact_digest}` contradicts the key's digest `{key_digest}`"
            )));
        }
        Ok(Entry { normalised, facts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    const D2: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    #[test]
    fn times_print_as_they_parse() {
        for t in [0, 951_868_799, 1_795_305_600, -86_401, 253_402_300_799] {
            let text = format_rfc3339(t);
            assert_eq!(parse_rfc3339(&text), Some(t), "{text}");
        }
        assert_eq!(format_rfc3339(951_868_799), "2000-02-29T23:59:59Z");
    }

    fn load(text: &str) -> FactsDocument {
        match FactsDocument::from_json(text.as_bytes()) {
            Ok(doc) => doc,
            Err(e) => panic!("{e}"),
        }
    }

    fn load_err(text: &str) -> JsonError {
        match FactsDocument::from_json(text.as_bytes()) {
            Ok(doc) => panic!("expected an error, got {doc:?}"),
            Err(e) => e.0,
        }
    }

    fn reference(s: &str) -> Reference {
        match Reference::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{s}: {}", e.message),
        }
    }

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2026-11-20T10:00:00Z"), Some(1_795_168_800));
        assert_eq!(
            parse_rfc3339("2026-11-20T10:00:00.999Z"),
            Some(1_795_168_800)
        );
        assert_eq!(parse_rfc3339("2026-11-20t10:00:00z"), Some(1_795_168_800));
        assert_eq!(parse_rfc3339("2026-11-20 10:00:00Z"), Some(1_795_168_800));
        assert_eq!(
            parse_rfc3339("2026-11-20T11:30:00+01:30"),
            Some(1_795_168_800)
        );
        assert_eq!(
            parse_rfc3339("2026-11-20T08:00:00-02:00"),
            Some(1_795_168_800)
        );
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse_rfc3339("1969-12-31T23:59:59Z"), Some(-1));
        assert_eq!(parse_rfc3339("2016-12-31T23:59:60Z"), Some(1_483_228_800));
        for bad in [
            "",
            "2026-11-20",
            "2026-11-20T10:00:00",
            "2026-11-20T10:00Z",
            "2026-13-20T10:00:00Z",
            "2026-02-29T10:00:00Z",
            "1900-02-29T10:00:00Z",
            "2026-11-31T10:00:00Z",
            "2026-11-00T10:00:00Z",
            "2026-11-20T24:00:00Z",
            "2026-11-20T10:60:00Z",
            "2026-11-20T10:00:61Z",
            "2026-11-20T10:00:00.Z",
            "2026-11-20T10:00:00+0100",
            "2026-11-20T10:00:00+24:00",
            "2026-11-20T10:00:00Zx",
            "2026/11/20T10:00:00Z",
            "+026-11-20T10:00:00Z",
            "2026-11-20T10:00:00Ž",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_three_entry_forms() {
        let tlog = r#""tlog": {"SignedEntryTimestamp": "MEUC", "Payload": {"body": "e30=",
            "integratedTime": 1700000000, "logIndex": 42, "logID": "ab"}}"#;
        let bundle = |content: &str| {
            format!(
                r#""bundle": {{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                  "verificationMaterial": {{"publicKey": {{"hint": "k"}}, "tlogEntries": []}},
                  {content}, "future": 1}}"#
            )
        };
        let message = bundle(r#""messageSignature": {"signature": "MEUC"}"#);
        let dsse = bundle(
            r#""dsseEnvelope": {"payload": "e30=", "payloadType": "application/vnd.in-toto+json",
                "signatures": [{"sig": "MEUC"}]}"#,
        );
        let hello = (b"hello".to_vec(), vec![0x30, 0x45, 0x02]);
        for (entry, want, evidence) in [
            (
                r#"{"payload": "aGVsbG8=", "signature": "MEUC"}"#.to_owned(),
                hello.clone(),
                false,
            ),
            (
                format!(
                    r#"{{"payload": "aGVsbG8=", "signature": "MEUC", {tlog},
                       "rfc3161_timestamp": "MEUC"}}"#
                ),
                hello.clone(),
                true,
            ),
            (
                format!(r#"{{"payload": "aGVsbG8=", {message}}}"#),
                hello.clone(),
                true,
            ),
            (
                format!("{{{dsse}}}"),
                (
                    b"DSSEv1 28 application/vnd.in-toto+json 2 {}".to_vec(),
                    vec![0x30, 0x45, 0x02],
                ),
                true,
            ),
        ] {
            let doc = load(&format!(
                r#"{{"images": {{"{D1}": {{"signatures": [{entry}]}}}}}}"#
            ));
            let facts = doc.get(D1).cloned().unwrap_or_default();
            let got: Vec<_> = facts
                .signatures
                .unwrap_or_default()
                .into_iter()
                .map(|s| ((s.payload, s.signature), s.evidence.is_some()))
                .collect();
            assert_eq!(got, vec![(want, evidence)], "{entry}");
        }
        for (entry, path, message) in [
            (format!("{{{message}}}"), "signatures[0]", "missing field `payload`"),
            (
                format!(r#"{{"payload": "aGk=", {dsse}}}"#),
                "signatures[0]",
                "a bundle with `dsseEnvelope`",
            ),
            (
                format!(r#"{{"payload": "aGk=", "signature": "aGk=", {message}}}"#),
                "signatures[0]",
                "an entry with `bundle`",
            ),
            (
                r#"{"payload": "aGk=", "bundle": {"mediaType": "x"}}"#.to_owned(),
                "signatures[0]",
                "bundle:",
            ),
            (
                r#"{"payload": "aGk=", "signature": "aGk=", "tlog": {"SignedEntryTimestamp": "aGk="}}"#
                    .to_owned(),
                "signatures[0].tlog",
                "missing field `Payload`",
            ),
            (
                r#"{"payload": "aGk=", "signature": "aGk=", "certificate": 7}"#.to_owned(),
                "signatures[0].certificate",
                "invalid type: integer",
            ),
            (
                r#"{"payload": "aGk=", "signature": "aGk=", "certificate": "PEM"}"#.to_owned(),
                "signatures[0]",
                "certificate: the certificate is malformed: no PEM `CERTIFICATE` block",
            ),
            (
                r#"{"payload": "aGk=", "signature": "aGk=", "chain": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}"#.to_owned(),
                "signatures[0]",
                "chain: the certificate is malformed",
            ),
        ] {
            let e = load_err(&format!(r#"{{"images": {{"nginx": {{"signatures": [{entry}]}}}}}}"#));
            assert_eq!(e.path, format!("images.nginx.{path}"), "{entry}: {e}");
            assert!(e.message.contains(message), "{entry}: {e}");
        }
    }

    #[test]
    fn signature_base64_may_be_wrapped() {
        let text = format!(
            r#"{{ "images": {{ "{D1}": {{
              "signatures": [ {{ "payload": "aGVs\nbG8=", "signature": "ME\r\n UC\t" }} ] }} }} }}"#
        );
        let doc = load(&text);
        let facts = doc
            .lookup(&reference(&format!("registry.company.com/app@{D1}")))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            facts.signatures,
            Some(vec![Signature {
                payload: b"hello".to_vec(),
                signature: vec![0x30, 0x45, 0x02],
                evidence: None,
            }])
        );
    }

    #[test]
    fn full_document() {
        let text = format!(
            r#"{{ "images": {{ "registry.company.com/app@{D1}": {{
              "digest": "{D1}", "tags": ["1.2.3"], "base": "debian:12",
              "scanned": true,
              "scan": {{ "scanner": "trivy", "finished_at": "2026-11-20T10:00:00Z",
                        "vulnerabilities": {{ "critical": 0, "high": 1, "medium": 4, "low": 9 }} }},
              "labels": {{ "org.opencontainers.image.source": "https://git.company.com/app" }},
              "signatures": [ {{ "payload": "aGVsbG8=", "signature": "MEUC" }} ] }} }} }}"#
        );
        let doc = load(&text);
        assert_eq!(doc.len(), 1);
        let facts = doc
            .lookup(&reference(&format!("registry.company.com/app@{D1}")))
            .cloned()
            .unwrap_or_default();
        assert_eq!(facts.digest.as_deref(), Some(D1));
        assert_eq!(facts.tags, Some(vec!["1.2.3".to_owned()]));
        assert_eq!(
            facts.base.map(|b| b.to_string()).as_deref(),
            Some("docker.io/library/debian:12")
        );
        assert_eq!(facts.scanned, Some(true));
        let scan = facts.scan.unwrap_or_default();
        assert_eq!(scan.scanner.as_deref(), Some("trivy"));
        assert_eq!(scan.finished_at, Some(1_795_168_800));
        assert_eq!(
            scan.vulnerabilities,
            Some(Vulnerabilities {
                critical: Some(0),
                high: Some(1),
                medium: Some(4),
                low: Some(9)
            })
        );
        assert_eq!(facts.labels.map(|l| l.len()), Some(1));
        assert_eq!(
            facts.signatures,
            Some(vec![Signature {
                payload: b"hello".to_vec(),
                signature: vec![0x30, 0x45, 0x02],
                evidence: None,
            }])
        );
    }

    #[test]
    fn null_is_absent_and_everything_is_optional() {
        let doc = load(
            r#"{"images": {"nginx": {"digest": null, "tags": null, "base": null, "scanned": null,
                "scan": {"scanner": null, "finished_at": null, "vulnerabilities": {"high": null}},
                "labels": null, "signatures": null},
              "alpine": null, "busybox": {}}}"#,
        );
        let nginx = doc.get("docker.io/library/nginx:latest").cloned();
        let expected = ImageFacts {
            scan: Some(Scan {
                vulnerabilities: Some(Vulnerabilities::default()),
                ..Scan::default()
            }),
            ..ImageFacts::default()
        };
        assert_eq!(nginx, Some(expected));
        assert_eq!(doc.get("docker.io/library/alpine:latest"), None);
        assert_eq!(
            doc.get("docker.io/library/busybox:latest"),
            Some(&ImageFacts::default())
        );
        assert!(load("{}").is_empty());
        assert!(load(r#"{"images": null}"#).is_empty());
        assert!(load(r#"{"images": {}}"#).is_empty());
    }

    #[test]
    fn keys_are_normalised() {
        let doc = load(&format!(
            r#"{{"images": {{"nginx": {{"scanned": true}}, "{D1}": {{"scanned": false}},
                "Registry.Example.com/team/app:1@{D2}": {{"tags": []}}}}}}"#
        ));
        assert!(doc.get("docker.io/library/nginx:latest").is_some());
        assert!(doc.get(D1).is_some());
        assert!(
            doc.get(&format!("registry.example.com/team/app:1@{D2}"))
                .is_some()
        );
        let mut keys: Vec<&str> = doc.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        assert_eq!(keys.len(), 3);
    }

    #[test]
    fn lookup_order() {
        let doc = load(&format!(
            r#"{{"images": {{
                "{D1}": {{"scan": {{"scanner": "by digest"}}}},
                "registry.example.com/app@{D1}": {{"scan": {{"scanner": "by reference and digest"}}}},
                "registry.example.com/app:1.0": {{"scan": {{"scanner": "by tag"}}}},
                "registry.example.com/app": {{"scan": {{"scanner": "latest"}}}},
                "registry.example.com/app:2.0@{D2}": {{"scan": {{"scanner": "full"}}}}
            }}}}"#
        ));
        let found = |image: &str| {
            doc.lookup(&reference(image))
                .and_then(|f| f.scan.as_ref())
                .and_then(|s| s.scanner.clone())
        };
        let app = "registry.example.com/app";
        assert_eq!(found(&format!("{app}@{D1}")).as_deref(), Some("by digest"));
        assert_eq!(
            found(&format!("{app}:1.0@{D1}")).as_deref(),
            Some("by digest")
        );
        assert_eq!(
            found(&format!("other.io/x@{D1}")).as_deref(),
            Some("by digest")
        );
        assert_eq!(found(&format!("{app}:1.0@{D2}")).as_deref(), Some("by tag"));
        assert_eq!(found(&format!("{app}:2.0@{D2}")).as_deref(), Some("full"));
        assert_eq!(found(app).as_deref(), Some("latest"));
        assert_eq!(found(&format!("{app}:latest")).as_deref(), Some("latest"));
        // A digest-only reference never takes the facts of `REPO:latest`.
        assert_eq!(found(&format!("{app}@{D2}")), None);
        assert_eq!(found(&format!("{app}:3.0")), None);
        assert_eq!(found(&format!("{app}:3.0@{D2}")), None);
    }

    #[test]
    fn bad_keys_are_named() {
        let e = load_err(r#"{"images": {"Alpine": {}}}"#);
        assert_eq!(e.path, "images.Alpine");
        assert!(
            e.message.starts_with("invalid image reference `Alpine`"),
            "{e}"
        );
        let e = load_err(r#"{"images": {"sha256:abc": {}}}"#);
        assert_eq!(e.path, r#"images["sha256:abc"]"#);
        assert!(e.message.contains("not a valid digest"), "{e}");
        let e = load_err(r#"{"images": {"nginx": {}, "docker.io/library/nginx:latest": {}}}"#);
        assert_eq!(e.path, r#"images["docker.io/library/nginx:latest"]"#);
        assert_eq!(
            e.message,
            "keys `nginx` and `docker.io/library/nginx:latest` name the same image \
             `docker.io/library/nginx:latest`"
        );
        let e = load_err(r#"{"images": {"nginx": null, "nginx": {}}}"#);
        assert_eq!(e.message, "duplicate key `nginx`");
    }

    #[test]
    fn bad_values_are_reported_at_their_path() {
        let cases: &[(&str, &str, &str)] = &[
            (
                r#"{"base": "Debian:12"}"#,
                "base",
                "invalid image reference `Debian:12`",
            ),
            (
                r#"{"digest": "sha256:AB"}"#,
                "digest",
                "`sha256:AB` is not a valid digest",
            ),
            (
                r#"{"tags": ["ok", "-x"]}"#,
                "tags",
                "`-x` is not a valid tag",
            ),
            (r#"{"tags": "1.0"}"#, "tags", "invalid type: string"),
            (r#"{"scanned": "yes"}"#, "scanned", "invalid type: string"),
            (
                r#"{"scan": {"finished_at": "yesterday"}}"#,
                "scan.finished_at",
                "`yesterday` is not an RFC 3339 timestamp",
            ),
            (
                r#"{"scan": {"vulnerabilities": {"high": -1}}}"#,
                "scan.vulnerabilities.high",
                "invalid value: integer `-1`",
            ),
            (
                r#"{"scan": {"vulnerabilities": {"severe": 1}}}"#,
                "scan.vulnerabilities.severe",
                "unknown field `severe`",
            ),
            (r#"{"scaned": true}"#, "scaned", "unknown field `scaned`"),
            (
                r#"{"labels": {"a": 1}}"#,
                "labels.a",
                "invalid type: integer",
            ),
            (
                r#"{"signatures": [{"payload": "aGk=", "signature": "a!b"}]}"#,
                "signatures[0].signature",
                "not valid base64",
            ),
            (
                r#"{"signatures": [{"payload": "aGk="}]}"#,
                "signatures[0]",
                "missing field `signature`",
            ),
            (
                r#"{"signatures": [{"payload": null, "signature": "aGk="}]}"#,
                "signatures[0].payload",
                "invalid type: null",
            ),
            (
                r#"{"signatures": [{"payload": "aGk=", "signature": "aGk=", "cert": ""}]}"#,
                "signatures[0].cert",
                "unknown field `cert`",
            ),
        ];
        for (facts, path, message) in cases {
            let e = load_err(&format!(r#"{{"images": {{"nginx": {facts}}}}}"#));
            assert_eq!(e.path, format!("images.nginx.{path}"), "{facts}: {e}");
            assert!(e.message.starts_with(message), "{facts}: {e}");
            assert!(e.line >= 1 && e.column >= 1, "{facts}: {e}");
        }
    }

    #[test]
    fn contradicting_digests_are_rejected() {
        let e = load_err(&format!(
            r#"{{"images": {{"{D1}": {{"digest": "{D2}"}}}}}}"#
        ));
        assert_eq!(e.path, format!(r#"images["{D1}"]"#));
        assert!(e.message.contains("contradicts"), "{e}");
        let e = load_err(&format!(
            r#"{{"images": {{"app@{D1}": {{"digest": "{D2}"}}}}}}"#
        ));
        assert!(e.message.contains("contradicts"), "{e}");
        load(&format!(
            r#"{{"images": {{"app:1": {{"digest": "{D2}"}}}}}}"#
        ));
    }

    #[test]
    fn top_level_is_strict() {
        let e = load_err(r#"{"images": {}, "image": {}}"#);
        assert_eq!(e.path, "image");
        let e = load_err(r#"{"images": []}"#);
        assert_eq!(e.path, "images");
        let e = load_err("not json");
        assert_eq!(e.path, ".");
    }

    #[test]
    fn image_facts_embed_in_other_documents() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Input {
            images: Vec<InputImage>,
        }
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct InputImage {
            #[serde(rename = "ref")]
            _reference: String,
            #[serde(default)]
            facts: Option<ImageFacts>,
        }
        let ok: Input = match json::from_slice(
            br#"{"images": [{"ref": "a", "facts": {"base": "alpine"}}, {"ref": "b"}]}"#,
        ) {
            Ok(v) => v,
            Err(e) => panic!("{e}"),
        };
        assert!(
            ok.images[0]
                .facts
                .as_ref()
                .is_some_and(|f| f.base.is_some())
        );
        assert!(ok.images[1].facts.is_none());
        let e = match json::from_slice::<Input>(
            br#"{"images": [{"ref": "a"}, {"ref": "b", "facts": {"base": "A//b"}}]}"#,
        ) {
            Ok(v) => panic!("{v:?}"),
            Err(e) => e,
        };
        assert_eq!(e.path, "images[1].facts.base");
    }
}
