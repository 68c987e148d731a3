//! The two reads every other module builds on: a manifest by digest and a blob by descriptor,
//! each checked against its digest, size and limit before a byte of it is used.

use crate::client::{Client, FetchError};
use crate::facts::ImageError;
use crate::manifest::{self, ACCEPT, ContentError, Descriptor, MANIFEST_LIMIT, Manifest};

/// Where a read goes: a registry and a repository in it (the image's, or the one
/// `--signature-repository` names for its signatures).
#[derive(Clone, Copy, Debug)]
pub struct Repo<'a> {
    pub registry: &'a str,
    pub repository: &'a str,
}

impl Repo<'_> {
    /// The same names, owned: for a read that outlives the request that asked for it (the
    /// cache's fetches do).
    pub fn owned(self) -> OwnedRepo {
        OwnedRepo {
            registry: self.registry.to_owned(),
            repository: self.repository.to_owned(),
        }
    }
}

/// A [`Repo`] that owns its names.
#[derive(Clone, Debug)]
pub struct OwnedRepo {
    pub registry: String,
    pub repository: String,
}

impl OwnedRepo {
    pub fn repo(&self) -> Repo<'_> {
        Repo {
            registry: &self.registry,
            repository: &self.repository,
        }
    }
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

/// A tag's manifest: its digest, content type and bytes, and what they say.
#[derive(Clone, Debug)]
pub struct Tagged {
    pub digest: String,
    pub media_type: String,
    pub body: Vec<u8>,
    pub manifest: Manifest,
}

/// The manifest a tag names. The digest is the content's: hashed here, and a
/// `Docker-Content-Digest` that disagrees is an integrity error rather than a second opinion.
/// A type Bona does not read (Docker schema 1, whose digest is not its bytes' hash) leaves the
/// digest unknown too.
pub async fn by_tag(client: &Client, repo: Repo<'_>, tag: &str) -> Result<Tagged, ImageError> {
    let response = client
        .get(
            repo.registry,
            repo.repository,
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
                registry: repo.registry.to_owned(),
                status,
                what: format!("the manifest of tag {tag}"),
            }));
        }
    }
    let media_type = response.content_type.unwrap_or_default();
    let parsed = Manifest::parse(&media_type, &response.body)?;
    let digest = manifest::digest_of(&response.body);
    if let Some(header) = response.digest.as_deref() {
        manifest::verify(&response.body, header, None)?;
    }
    Ok(Tagged {
        digest,
        media_type,
        body: response.body,
        manifest: parsed,
    })
}
