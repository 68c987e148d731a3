//! An image's platform facts (docs/registry.md#what-bona-reads): `labels` and `created` from the
//! image config, `layers` (its `rootfs.diff_ids`, uncompressed, so mirroring or recompression
//! does not change them) and `declared_base` (the manifest's
//! `org.opencontainers.image.base.name` annotation, with `.base.digest` when present).
//!
//! They come from the image manifest itself, or from each entry of an index whose platform is
//! one of those asked for. A fact that differs between the matching platforms, or that no
//! matching platform has, is unknown: `None` here, left out of the facts.

use std::collections::BTreeMap;

use bona_runtime::facts::parse_rfc3339;
use bona_runtime::reference::{Reference, is_valid_digest};

use crate::client::Client;
use crate::facts::ImageError;
use crate::fetch::{self, Repo};
use crate::manifest::{CONFIG_LIMIT, ImageConfig, Manifest, Platform};

/// The annotation a build writes to name the image it started from.
const BASE_NAME: &str = "org.opencontainers.image.base.name";
/// Its digest, beside it.
const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// What one platform image gives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlatformFacts {
    pub labels: Option<BTreeMap<String, String>>,
    /// RFC 3339, as the config writes it; only a time the facts document reads is kept.
    pub created: Option<String>,
    pub layers: Option<Vec<String>>,
    /// Normalised.
    pub declared_base: Option<String>,
}

/// The platform facts of the image whose top manifest is `body` (of type `media_type`).
///
/// # Errors
/// A manifest or config that cannot be read or fails its checks.
pub async fn platform_facts(
    client: &Client,
    repo: Repo<'_>,
    media_type: &str,
    body: &[u8],
    platforms: &[Platform],
) -> Result<PlatformFacts, ImageError> {
    let images = match Manifest::parse(media_type, body)? {
        Manifest::Image {
            config,
            annotations,
            ..
        } => vec![(config, annotations)],
        Manifest::Index { manifests } => {
            let mut images = Vec::new();
            for entry in manifests.iter().filter(|m| {
                m.platform
                    .as_ref()
                    .is_some_and(|p| platforms.iter().any(|want| want.matches(p)))
            }) {
                let (media_type, body) =
                    fetch::manifest_by_digest(client, repo, &entry.digest).await?;
                match Manifest::parse(&media_type, &body)? {
                    Manifest::Image {
                        config,
                        annotations,
                        ..
                    } => images.push((config, annotations)),
                    // An index inside an index names no platform image of its own.
                    Manifest::Index { .. } => return Ok(PlatformFacts::default()),
                }
            }
            images
        }
    };
    let mut each = Vec::with_capacity(images.len());
    for (config, annotations) in &images {
        let bytes = fetch::blob(client, repo, config, CONFIG_LIMIT).await?;
        each.push(one_platform(&ImageConfig::parse(&bytes)?, annotations));
    }
    Ok(PlatformFacts {
        labels: agreed(each.iter().map(|f| &f.labels)),
        created: agreed(each.iter().map(|f| &f.created)),
        layers: agreed(each.iter().map(|f| &f.layers)),
        declared_base: agreed(each.iter().map(|f| &f.declared_base)),
    })
}

/// The facts of one platform image, each kept only in the form the facts document accepts
/// (a `created` it cannot read, a diff_id that is no digest, a base name that is no reference
/// would make the whole document bad input).
fn one_platform(config: &ImageConfig, annotations: &BTreeMap<String, String>) -> PlatformFacts {
    PlatformFacts {
        labels: Some(config.labels.clone()),
        created: config
            .created
            .clone()
            .filter(|c| parse_rfc3339(c).is_some()),
        layers: Some(config.diff_ids.clone()).filter(|l| l.iter().all(|d| is_valid_digest(d))),
        declared_base: declared_base(annotations),
    }
}

/// The normalised base an image declares: `NAME`, or `NAME@DIGEST` when the digest annotation
/// is there and the name carries none.
pub fn declared_base(annotations: &BTreeMap<String, String>) -> Option<String> {
    let name = annotations.get(BASE_NAME)?;
    let mut reference = Reference::parse(name).ok()?;
    if reference.digest().is_none()
        && let Some(digest) = annotations.get(BASE_DIGEST).filter(|d| is_valid_digest(d))
    {
        reference = Reference::parse(&format!("{name}@{digest}")).ok()?;
    }
    Some(reference.to_string())
}

/// The value every platform agrees on; `None` when they differ or there is none.
fn agreed<'a, T: Clone + PartialEq + 'a>(
    mut values: impl Iterator<Item = &'a Option<T>>,
) -> Option<T> {
    let first = values.next()?.clone()?;
    values.all(|v| v.as_ref() == Some(&first)).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_declared_base_is_normalised_with_its_digest() {
        assert_eq!(
            declared_base(&annotations(&[(BASE_NAME, "debian:12")])),
            Some("docker.io/library/debian:12".into())
        );
        assert_eq!(
            declared_base(&annotations(&[(BASE_NAME, "debian:12"), (BASE_DIGEST, D)])),
            Some(format!("docker.io/library/debian:12@{D}"))
        );
        // A digest that is no digest is ignored; a name that is no reference is no base.
        assert_eq!(
            declared_base(&annotations(&[
                (BASE_NAME, "debian:12"),
                (BASE_DIGEST, "x")
            ])),
            Some("docker.io/library/debian:12".into())
        );
        assert_eq!(
            declared_base(&annotations(&[(BASE_NAME, "UPPER CASE")])),
            None
        );
        assert_eq!(declared_base(&annotations(&[])), None);
    }

    #[test]
    fn only_facts_the_document_reads_are_kept() {
        let config = ImageConfig {
            labels: BTreeMap::new(),
            created: Some("last tuesday".into()),
            diff_ids: vec![D.into(), "md5:abc".into()],
        };
        let facts = one_platform(&config, &BTreeMap::new());
        assert_eq!(facts.labels, Some(BTreeMap::new()));
        assert_eq!((facts.created, facts.layers), (None, None));
        let config = ImageConfig {
            created: Some("2026-11-20T10:00:00.123456789Z".into()),
            diff_ids: vec![D.into()],
            ..config
        };
        let facts = one_platform(&config, &BTreeMap::new());
        assert_eq!(
            facts.created.as_deref(),
            Some("2026-11-20T10:00:00.123456789Z")
        );
        assert_eq!(facts.layers, Some(vec![D.to_owned()]));
    }

    #[test]
    fn platforms_that_disagree_leave_a_fact_unknown() {
        let (a, b) = (Some(1), Some(2));
        assert_eq!(agreed([&a, &a].into_iter()), Some(1));
        assert_eq!(agreed([&a, &b].into_iter()), None);
        assert_eq!(agreed([&a, &None].into_iter()), None);
        assert_eq!(agreed(std::iter::empty::<&Option<i32>>()), None);
    }
}
