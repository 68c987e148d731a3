//! The two reads every other module builds on: a manifest by digest and a blob by descriptor,
//! each checked against its digest, size and limit before a byte of it is used.

use crate::client::{Client, FetchError};
use crate::facts::ImageError;
use crate::manifest::{self, ACCEPT, ContentError, Descriptor, MANIFEST_LIMIT};

/// Where a read goes: a registry and a repository in it (the image's, or the one
/// `--signature-repository` names for its signatures).
#[derive(Clone, Copy, Debug)]
pub struct Repo<'a> {
    pub registry: &'a str,
    pub repository: &'a str,
}

/// A manifest fetched by digest and checked against it: its content type and bytes.
pub async fn manifest_by_digest(
    client: &Client,
    repo: Repo<'_>,
    digest: &str,
) -> Result<(String, Vec<u8>), ImageError> {
    manifest::check_digest(digest)?;
    let response = client
        .get(
            repo.registry,
            repo.repository,
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
            registry: repo.registry.to_owned(),
            status,
            what: format!("manifest {digest}"),
        })),
    }
}

/// A blob fetched by its descriptor and checked against its digest and size.
pub async fn blob(
    client: &Client,
    repo: Repo<'_>,
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
            repo.registry,
            repo.repository,
            &format!("blobs/{}", descriptor.digest),
            None,
            limit,
        )
        .await?;
    if response.status != 200 {
        return Err(ImageError::Fetch(FetchError::Status {
            registry: repo.registry.to_owned(),
            status: response.status,
            what: format!("blob {}", descriptor.digest),
        }));
    }
    manifest::verify(&response.body, &descriptor.digest, Some(descriptor.size))?;
    Ok(response.body)
}
