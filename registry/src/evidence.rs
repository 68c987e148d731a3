//! An image's evidence lists, `signatures` and `attestations` (docs/registry.md#what-bona-reads):
//! cosign's `sha256-<hex>.sig` and `.att` tags and the OCI 1.1 referrers ([`crate::referrers`]),
//! each list complete, partial or absent.
//!
//! A list is *complete* when every source of it answered in full, *partial* when some source
//! failed (its entries found are kept, and the facts name the list in `incomplete`), and
//! *absent* when no source answered: a registry failure never makes a check false.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::client::Client;
use crate::facts::{ImageError, MAX_SIGNATURES};
use crate::fetch::{self, Repo, Tagged};
use crate::manifest::{BUNDLE_LIMIT, ContentError, Manifest, PAYLOAD_LIMIT};
use crate::referrers::referrers;

/// One evidence list as read from all its sources.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct List {
    pub entries: Vec<Value>,
    /// Whether any source answered: without one, the list is unknown.
    pub answered: bool,
    /// Why the list is partial; empty when it is complete.
    pub failures: Vec<String>,
}

impl List {
    /// The list as the facts write it: `None` when unknown, else the entries and whether they
    /// are all of them.
    pub fn known(&self) -> Option<(&[Value], bool)> {
        self.answered
            .then_some((self.entries.as_slice(), self.failures.is_empty()))
    }

    fn add(&mut self, other: List) {
        self.entries.extend(other.entries);
        self.answered |= other.answered;
        self.failures.extend(other.failures);
    }

    /// Keeps at most [`MAX_SIGNATURES`] entries; more make the list partial.
    fn bound(&mut self, what: &str) {
        if self.entries.len() > MAX_SIGNATURES {
            self.entries.truncate(MAX_SIGNATURES);
            self.failures.push(format!(
                "more than {MAX_SIGNATURES} {what}; the rest are not read"
            ));
        }
    }
}

/// Both lists of the image `digest`, read from `repo`.
pub async fn evidence(client: &Client, repo: Repo<'_>, digest: &str) -> (List, List) {
    // The three sources at once: each is a chain of round trips of its own.
    let (mut signatures, mut attestations, found) = tokio::join!(
        cosign_tag(client, repo, digest, Kind::Signatures),
        cosign_tag(client, repo, digest, Kind::Attestations),
        referrers(client, repo.registry, repo.repository, digest),
    );
    // The referrers are one source of both lists: a failure there makes both partial.
    let failures: Vec<String> = found
        .failures
        .iter()
        .map(|f| format!("referrers: {f}"))
        .collect();
    let from_referrers = |entries: Vec<Value>| List {
        entries,
        answered: found.answered,
        failures: failures.clone(),
    };
    signatures.add(from_referrers(found.signatures));
    attestations.add(from_referrers(found.attestations));
    signatures.bound("signatures");
    attestations.bound("attestations");
    (signatures, attestations)
}

/// What a cosign tag holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `sha256-<hex>.sig`: simple-signing payloads, the signature in an annotation.
    Signatures,
    /// `sha256-<hex>.att`: DSSE envelopes.
    Attestations,
}

/// The entries of cosign's `sha256-<hex>.sig` or `.att` tag for `digest`: `[]` when the tag
/// does not exist. A layer that cannot be read is left out and makes the list partial.
async fn cosign_tag(client: &Client, repo: Repo<'_>, digest: &str, kind: Kind) -> List {
    let suffix = match kind {
        Kind::Signatures => "sig",
        Kind::Attestations => "att",
    };
    let tag = format!("{}.{suffix}", digest.replacen(':', "-", 1));
    let failed = |e: ImageError| List {
        failures: vec![format!("the tag {tag}: {e}")],
        ..List::default()
    };
    // The tag's manifest, read as any tag is: checked against its digest header and type.
    let layers = match fetch::by_tag(client, repo, &tag).await {
        Ok(Tagged {
            manifest: Manifest::Image { layers, .. },
            ..
        }) => layers,
        Ok(_) => {
            return failed(ImageError::Content(ContentError::Malformed {
                what: "cosign manifest",
                why: "an index, not an image manifest".into(),
            }));
        }
        Err(ImageError::NotFound) => {
            return List {
                answered: true,
                ..List::default()
            };
        }
        Err(e) => return failed(e),
    };
    let mut list = List {
        answered: true,
        ..List::default()
    };
    for layer in layers.iter().take(MAX_SIGNATURES + 1) {
        let entry = match kind {
            Kind::Signatures => {
                let Some(signature) = layer.annotations.get("dev.cosignproject.cosign/signature")
                else {
                    continue;
                };
                match fetch::blob(client, repo, layer, PAYLOAD_LIMIT).await {
                    Ok(payload) => signature_entry(&payload, signature, &layer.annotations),
                    Err(e) => {
                        list.failures.push(format!("the tag {tag}: {e}"));
                        continue;
                    }
                }
            }
            Kind::Attestations => match fetch::blob(client, repo, layer, BUNDLE_LIMIT).await {
                // A layer that is no JSON object is no envelope: it could never verify.
                Ok(bytes) => match serde_json::from_slice(&bytes) {
                    Ok(envelope @ Value::Object(_)) => {
                        attestation_entry(envelope, &layer.annotations)
                    }
                    _ => continue,
                },
                Err(e) => {
                    list.failures.push(format!("the tag {tag}: {e}"));
                    continue;
                }
            },
        };
        list.entries.push(entry);
    }
    list
}

/// A facts `signatures` entry from a `.sig` layer: its payload, and the signature and keyless
/// material cosign keeps in the layer's annotations (docs/signatures.md).
fn signature_entry(
    payload: &[u8],
    signature: &str,
    annotations: &BTreeMap<String, String>,
) -> Value {
    let mut entry = Map::new();
    entry.insert(
        "payload".into(),
        Value::String(base64::engine::general_purpose::STANDARD.encode(payload)),
    );
    entry.insert("signature".into(), Value::String(signature.to_owned()));
    keyless_material(annotations, &mut entry);
    Value::Object(entry)
}

/// A facts `attestations` entry from a `.att` layer: the DSSE envelope and the keyless
/// material of its annotations (docs/attestations.md#entries).
fn attestation_entry(envelope: Value, annotations: &BTreeMap<String, String>) -> Value {
    let mut entry = Map::new();
    entry.insert("envelope".into(), envelope);
    keyless_material(annotations, &mut entry);
    Value::Object(entry)
}

/// The certificate, chain and Rekor bundle cosign keeps in a layer's annotations.
fn keyless_material(annotations: &BTreeMap<String, String>, entry: &mut Map<String, Value>) {
    if let Some(certificate) = annotations.get("dev.sigstore.cosign/certificate") {
        entry.insert("certificate".into(), Value::String(certificate.clone()));
    }
    if let Some(chain) = annotations.get("dev.sigstore.cosign/chain") {
        entry.insert("chain".into(), Value::String(chain.clone()));
    }
    if let Some(bundle) = annotations
        .get("dev.sigstore.cosign/bundle")
        .and_then(|b| serde_json::from_str::<Value>(b).ok())
    {
        entry.insert("tlog".into(), bundle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_sig_layer_becomes_a_signature_entry() {
        let mut annotations = BTreeMap::new();
        annotations.insert("dev.cosignproject.cosign/signature".into(), "c2ln".into());
        annotations.insert("dev.sigstore.cosign/certificate".into(), "PEM".into());
        annotations.insert(
            "dev.sigstore.cosign/bundle".into(),
            r#"{"SignedEntryTimestamp": "c2V0"}"#.into(),
        );
        let entry = signature_entry(b"{}", "c2ln", &annotations);
        assert_eq!(
            entry,
            json!({"payload": "e30=", "signature": "c2ln", "certificate": "PEM",
                   "tlog": {"SignedEntryTimestamp": "c2V0"}})
        );
    }

    #[test]
    fn sources_add_up_to_complete_partial_or_unknown() {
        let answered = |n: usize| List {
            entries: vec![json!({}); n],
            answered: true,
            failures: vec![],
        };
        let failed = List {
            failures: vec!["503".into()],
            ..List::default()
        };
        let mut both = answered(1);
        both.add(answered(2));
        assert_eq!(both.known().map(|(e, c)| (e.len(), c)), Some((3, true)));
        let mut partial = answered(1);
        partial.add(failed.clone());
        assert_eq!(partial.known().map(|(e, c)| (e.len(), c)), Some((1, false)));
        let mut none = failed.clone();
        none.add(failed);
        assert_eq!(none.known(), None);
        let mut many = answered(MAX_SIGNATURES + 1);
        many.bound("signatures");
        assert_eq!(
            many.known().map(|(e, c)| (e.len(), c)),
            Some((MAX_SIGNATURES, false))
        );
    }
}
