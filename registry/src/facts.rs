//! An image's facts as read from its registry (docs/registry.md#bona-facts-registry), as one
//! entry of a facts document (docs/images.md#facts-document): its digest, its platform facts
//! ([`crate::platform_facts`]) and its evidence lists ([`crate::evidence`]).
//!
//! A fact that cannot be read is left out, so it is unknown, never false, and a list read only
//! in part is named in `incomplete`: a registry outage does not turn "not signed" into
//! evidence. Each source that failed is named in [`ImageFacts::failures`] for the caller to
//! report.

use std::sync::Arc;

use bona_runtime::reference::Reference;
use serde_json::{Map, Value, json};

use crate::client::{Client, FetchError};
use crate::evidence::evidence;
use crate::fetch::{self, Repo};
use crate::manifest::{ContentError, Platform};
use crate::platform_facts::platform_facts;

/// The most signatures, or attestations, read of one image.
pub const MAX_SIGNATURES: usize = 1_000;

/// What was read of one image.
#[derive(Debug)]
pub struct ImageFacts {
    /// The facts entry (`digest`, `labels`, `created`, `layers`, `declared_base`,
    /// `signatures`, `attestations`, each when read, and `incomplete`).
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

/// How images are read: which platforms give the platform facts, and where signatures live.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// `--platform`: the index entries platform facts come from.
    pub platforms: Vec<Platform>,
    /// `--signature-repository SRC=DST`.
    pub signature_repositories: Vec<SignatureRepository>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            platforms: vec![Platform::default_platform()],
            signature_repositories: Vec::new(),
        }
    }
}

/// `SRC=DST`: the signatures, attestations and referrers of SRC's images are stored in DST
/// (cosign's `COSIGN_REPOSITORY`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureRepository {
    source: (String, String),
    target: (String, String),
}

impl SignatureRepository {
    /// Parses `SRC=DST`, each a repository (`registry.company.com/app`).
    ///
    /// # Errors
    /// Not of that form, or a side that is no repository.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (source, target) = text
            .split_once('=')
            .ok_or_else(|| format!("`{text}` is not SRC=DST"))?;
        let repo = |side: &str| -> Result<(String, String), String> {
            let r = Reference::parse(side).map_err(|e| format!("`{side}`: {e}"))?;
            if r.digest().is_some() || side.rsplit('/').next().is_some_and(|l| l.contains(':')) {
                return Err(format!("`{side}` names a tag or digest; give a repository"));
            }
            Ok((r.registry().to_owned(), r.repository().to_owned()))
        };
        Ok(SignatureRepository {
            source: repo(source)?,
            target: repo(target)?,
        })
    }

    /// Where the evidence of `registry/repository`'s images is, when this mapping is for it.
    pub fn target_of(&self, registry: &str, repository: &str) -> Option<(&str, &str)> {
        (self.source.0 == registry && self.source.1 == repository)
            .then_some((self.target.0.as_str(), self.target.1.as_str()))
    }
}

/// Reads `image`'s facts from its registry.
///
/// # Errors
/// The digest cannot be established: nothing is known of the image.
pub async fn image_facts(
    client: &Client,
    image: &Reference,
    options: &ReadOptions,
) -> Result<ImageFacts, ImageError> {
    let repo = Repo {
        registry: image.registry(),
        repository: image.repository(),
    };
    let (digest, media_type, body) = match image.digest() {
        Some(digest) => {
            let (media_type, body) = fetch::manifest_by_digest(client, repo, digest).await?;
            (digest.to_owned(), media_type, body)
        }
        None => {
            let tagged = fetch::by_tag(client, repo, image.tag().unwrap_or("latest")).await?;
            (tagged.digest, tagged.media_type, tagged.body)
        }
    };
    let mut entry = Map::new();
    entry.insert("digest".into(), Value::String(digest.clone()));
    let mut failures = Vec::new();
    match platform_facts(client, repo, &media_type, &body, &options.platforms).await {
        Ok(facts) => {
            if let Some(labels) = facts.labels {
                entry.insert("labels".into(), json!(labels));
            }
            if let Some(created) = facts.created {
                entry.insert("created".into(), Value::String(created));
            }
            if let Some(layers) = facts.layers {
                entry.insert("layers".into(), json!(layers));
            }
            if let Some(base) = facts.declared_base {
                entry.insert("declared_base".into(), Value::String(base));
            }
        }
        Err(e) => failures.push(format!("labels, created, layers, declared_base: {e}")),
    }
    let signatures_repo = options
        .signature_repositories
        .iter()
        .find_map(|s| s.target_of(repo.registry, repo.repository))
        .map_or(repo, |(registry, repository)| Repo {
            registry,
            repository,
        });
    let (signatures, attestations) = evidence(client, signatures_repo, &digest).await;
    let mut incomplete = Vec::new();
    for (name, list) in [("signatures", signatures), ("attestations", attestations)] {
        if let Some((entries, complete)) = list.known() {
            entry.insert(name.into(), Value::Array(entries.to_vec()));
            if !complete {
                incomplete.push(Value::String(name.into()));
            }
        }
        failures.extend(list.failures.iter().map(|f| format!("{name}: {f}")));
    }
    if !incomplete.is_empty() {
        entry.insert("incomplete".into(), Value::Array(incomplete));
    }
    Ok(ImageFacts { entry, failures })
}

/// Reads every image of `images`, `concurrency` at a time, calling `done` as each is read; the
/// results are in the order given.
pub async fn images_facts(
    client: Arc<Client>,
    images: Vec<Reference>,
    options: ReadOptions,
    concurrency: usize,
    done: &dyn Fn(),
) -> Vec<Result<ImageFacts, ImageError>> {
    let options = Arc::new(options);
    let mut results: Vec<Option<Result<ImageFacts, ImageError>>> = Vec::new();
    results.resize_with(images.len(), || None);
    let mut running = tokio::task::JoinSet::new();
    let mut queue = images.into_iter().enumerate();
    loop {
        while running.len() < concurrency.max(1) {
            let Some((i, image)) = queue.next() else {
                break;
            };
            let (client, options) = (Arc::clone(&client), Arc::clone(&options));
            running.spawn(async move { (i, image_facts(&client, &image, &options).await) });
        }
        let next = running.join_next().await;
        if next.is_some() {
            done();
        }
        match next {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_repository_is_two_repositories() {
        let s = SignatureRepository::parse("registry.company.com/app=registry.company.com/sigs")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            s.source,
            ("registry.company.com".to_owned(), "app".to_owned())
        );
        assert_eq!(
            s.target,
            ("registry.company.com".to_owned(), "sigs".to_owned())
        );
        let hub = SignatureRepository::parse("nginx=ghcr.io/company/sigs")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            hub.source,
            ("docker.io".to_owned(), "library/nginx".to_owned())
        );
        for bad in ["app", "a=b:1", "a:1=b", "=b", "a=", "A=b"] {
            assert!(SignatureRepository::parse(bad).is_err(), "{bad}");
        }
    }
}
