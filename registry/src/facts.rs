//! An image's facts as read from its registry (docs/registry.md#bona-facts-registry): its
//! digest, its labels, and the cosign signatures and attestations stored under its `.sig` and
//! `.att` tags, as one entry of a facts document (docs/images.md#facts-document).
//!
//! A fact that cannot be read is left out, so it is unknown, never false: a registry outage
//! does not turn "not signed" into evidence. Each source that failed is named in
//! [`ImageFacts::failures`] for the command to report.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use bona_runtime::reference::Reference;
use serde_json::{Map, Value, json};

use crate::client::{Client, FetchError};
use crate::manifest::{
    self, ACCEPT, BUNDLE_LIMIT, ContentError, Descriptor, ImageConfig, MANIFEST_LIMIT, Manifest,
    PAYLOAD_LIMIT, Platform,
};

/// The most signatures, or attestations, read of one image.
pub const MAX_SIGNATURES: usize = 1_000;

/// What was read of one image.
#[derive(Debug)]
pub struct ImageFacts {
    /// The facts entry (`digest`, `labels`, `signatures`, `attestations`, each when read).
    pub entry: Map<String, Value>,
    /// The sources that failed, each with its reason: `labels: …`, `signatures: …`.
    pub failures: Vec<String>,
}

/// Why an image could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageError {
    Fetch(FetchError),
    Content(ContentError),
    /// The manifest or tag does not exist.
    NotFound,
}

impl std::fmt::Display for ImageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageError::Fetch(e) => e.fmt(f),
            ImageError::Content(e) => e.fmt(f),
            ImageError::NotFound => f.write_str("the registry has no such manifest"),
        }
    }
}

impl std::error::Error for ImageError {}

impl From<FetchError> for ImageError {
    fn from(e: FetchError) -> Self {
        ImageError::Fetch(e)
    }
}

impl From<ContentError> for ImageError {
    fn from(e: ContentError) -> Self {
        ImageError::Content(e)
    }
}

/// Reads `image`'s facts from its registry; `platform` picks the index entry labels come from.
///
/// # Errors
/// The digest cannot be established: nothing is known of the image.
pub async fn image_facts(
    client: &Client,
    image: &Reference,
    platform: &Platform,
) -> Result<ImageFacts, ImageError> {
    let (registry, repository) = (image.registry(), image.repository());
    let (digest, media_type, body) = match image.digest() {
        Some(digest) => {
            let (media_type, body) = manifest_by_digest(client, image, digest).await?;
            (digest.to_owned(), media_type, body)
        }
        None => {
            let tag = image.tag().unwrap_or("latest");
            let response = client
                .get(
                    registry,
                    repository,
                    &format!("manifests/{tag}"),
                    Some(ACCEPT),
                    MANIFEST_LIMIT,
                )
                .await?;
            match response.status {
                200 => {}
                404 => return Err(ImageError::NotFound),
                status => {
                    return Err(ImageError::Fetch(FetchError::Status {
                        registry: registry.to_owned(),
                        status,
                        what: format!("the manifest of tag {tag}"),
                    }));
                }
            }
            // The digest is the content's: hashed here, and a header that disagrees is an
            // integrity error rather than a second opinion.
            let digest = manifest::digest_of(&response.body);
            if let Some(header) = response.digest.as_deref() {
                manifest::verify(&response.body, header, None)?;
            }
            (
                digest,
                response.content_type.unwrap_or_default(),
                response.body,
            )
        }
    };
    let mut entry = Map::new();
    entry.insert("digest".into(), Value::String(digest.clone()));
    let mut failures = Vec::new();
    match labels(client, image, &media_type, &body, platform).await {
        Ok(Some(labels)) => {
            entry.insert("labels".into(), json!(labels));
        }
        Ok(None) => {}
        Err(e) => failures.push(format!("labels: {e}")),
    }
    match cosign_tag(client, image, &digest, Kind::Signatures).await {
        Ok(signatures) => {
            entry.insert("signatures".into(), Value::Array(signatures));
        }
        Err(e) => failures.push(format!("signatures: {e}")),
    }
    match cosign_tag(client, image, &digest, Kind::Attestations).await {
        Ok(attestations) => {
            entry.insert("attestations".into(), Value::Array(attestations));
        }
        Err(e) => failures.push(format!("attestations: {e}")),
    }
    Ok(ImageFacts { entry, failures })
}

/// Reads every image of `images`, `concurrency` at a time; the results are in the order given.
pub async fn images_facts(
    client: Arc<Client>,
    images: Vec<Reference>,
    platform: Platform,
    concurrency: usize,
) -> Vec<Result<ImageFacts, ImageError>> {
    let platform = Arc::new(platform);
    let mut results: Vec<Option<Result<ImageFacts, ImageError>>> = Vec::new();
    results.resize_with(images.len(), || None);
    let mut running = tokio::task::JoinSet::new();
    let mut queue = images.into_iter().enumerate();
    loop {
        while running.len() < concurrency.max(1) {
            let Some((i, image)) = queue.next() else {
                break;
            };
            let (client, platform) = (Arc::clone(&client), Arc::clone(&platform));
            running.spawn(async move { (i, image_facts(&client, &image, &platform).await) });
        }
        match running.join_next().await {
            Some(Ok((i, result))) => {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some(result);
                }
            }
            // A read that panicked: that image is unknown, like one that failed.
            Some(Err(_)) => {}
            None => break,
        }
    }
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or(Err(ImageError::Fetch(FetchError::Connect {
                host: String::new(),
                why: "the read stopped".into(),
            })))
        })
        .collect()
}

/// A manifest fetched by digest and checked against it: its content type and bytes.
async fn manifest_by_digest(
    client: &Client,
    image: &Reference,
    digest: &str,
) -> Result<(String, Vec<u8>), ImageError> {
    manifest::check_digest(digest)?;
    let response = client
        .get(
            image.registry(),
            image.repository(),
            &format!("manifests/{digest}"),
            Some(ACCEPT),
            MANIFEST_LIMIT,
        )
        .await?;
    match response.status {
        200 => {
            manifest::verify(&response.body, digest, None)?;
            Ok((response.content_type.unwrap_or_default(), response.body))
        }
        404 => Err(ImageError::NotFound),
        status => Err(ImageError::Fetch(FetchError::Status {
            registry: image.registry().to_owned(),
            status,
            what: format!("manifest {digest}"),
        })),
    }
}

/// A blob fetched by its descriptor and checked against its digest and size.
async fn blob(
    client: &Client,
    image: &Reference,
    descriptor: &Descriptor,
    limit: u64,
) -> Result<Vec<u8>, ImageError> {
    manifest::check_digest(&descriptor.digest)?;
    if descriptor.size > limit {
        return Err(ImageError::Content(ContentError::TooLarge {
            what: "blob",
            limit,
        }));
    }
    let response = client
        .get(
            image.registry(),
            image.repository(),
            &format!("blobs/{}", descriptor.digest),
            None,
            limit,
        )
        .await?;
    if response.status != 200 {
        return Err(ImageError::Fetch(FetchError::Status {
            registry: image.registry().to_owned(),
            status: response.status,
            what: format!("blob {}", descriptor.digest),
        }));
    }
    manifest::verify(&response.body, &descriptor.digest, Some(descriptor.size))?;
    Ok(response.body)
}

/// The labels of the image config for `platform`: `None` when an index has no entry for it or
/// its entries disagree (unknown).
async fn labels(
    client: &Client,
    image: &Reference,
    media_type: &str,
    body: &[u8],
    platform: &Platform,
) -> Result<Option<BTreeMap<String, String>>, ImageError> {
    let configs = match Manifest::parse(media_type, body)? {
        Manifest::Image { config, .. } => vec![config],
        Manifest::Index { manifests } => {
            let mut configs = Vec::new();
            for entry in manifests
                .iter()
                .filter(|m| m.platform.as_ref().is_some_and(|p| platform.matches(p)))
            {
                let (media_type, body) = manifest_by_digest(client, image, &entry.digest).await?;
                match Manifest::parse(&media_type, &body)? {
                    Manifest::Image { config, .. } => configs.push(config),
                    // An index inside an index names no platform image of its own.
                    Manifest::Index { .. } => return Ok(None),
                }
            }
            configs
        }
    };
    let mut found: Option<BTreeMap<String, String>> = None;
    for config in &configs {
        let bytes = blob(client, image, config, manifest::CONFIG_LIMIT).await?;
        let labels = ImageConfig::parse(&bytes)?.labels;
        match &found {
            Some(previous) if *previous != labels => return Ok(None),
            _ => found = Some(labels),
        }
    }
    Ok(found)
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
/// does not exist.
async fn cosign_tag(
    client: &Client,
    image: &Reference,
    digest: &str,
    kind: Kind,
) -> Result<Vec<Value>, ImageError> {
    let suffix = match kind {
        Kind::Signatures => "sig",
        Kind::Attestations => "att",
    };
    let tag = format!("{}.{suffix}", digest.replacen(':', "-", 1));
    let response = client
        .get(
            image.registry(),
            image.repository(),
            &format!("manifests/{tag}"),
            Some(ACCEPT),
            MANIFEST_LIMIT,
        )
        .await?;
    match response.status {
        200 => {}
        404 => return Ok(Vec::new()),
        status => {
            return Err(ImageError::Fetch(FetchError::Status {
                registry: image.registry().to_owned(),
                status,
                what: format!("the tag {tag}"),
            }));
        }
    }
    let media_type = response.content_type.unwrap_or_default();
    let Manifest::Image { layers, .. } = Manifest::parse(&media_type, &response.body)? else {
        return Err(ImageError::Content(ContentError::Malformed {
            what: "cosign manifest",
            why: "an index, not an image manifest".into(),
        }));
    };
    if layers.len() > MAX_SIGNATURES {
        return Err(ImageError::Content(ContentError::TooLarge {
            what: "list of layers",
            limit: MAX_SIGNATURES as u64,
        }));
    }
    let mut entries = Vec::with_capacity(layers.len());
    for layer in &layers {
        let entry = match kind {
            Kind::Signatures => {
                let Some(signature) = layer.annotations.get("dev.cosignproject.cosign/signature")
                else {
                    continue;
                };
                let payload = blob(client, image, layer, PAYLOAD_LIMIT).await?;
                signature_entry(&payload, signature, &layer.annotations)
            }
            Kind::Attestations => {
                let envelope = blob(client, image, layer, BUNDLE_LIMIT).await?;
                // A layer that is no JSON object is no envelope: it could never verify.
                let Ok(envelope @ Value::Object(_)) = serde_json::from_slice(&envelope) else {
                    continue;
                };
                attestation_entry(envelope, &layer.annotations)
            }
        };
        entries.push(entry);
    }
    Ok(entries)
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
}
