//! Manifests, indexes and image configs, checked before they are read
//! (docs/registry.md#what-bona-reads).
//!
//! - **Accept.** Every manifest request sends [`ACCEPT`]: all four index and manifest types. A
//!   narrower list makes some registries rewrite an index into one platform's manifest (digest
//!   included) or answer 404.
//! - **Integrity.** Content is fetched by digest and hashed ([`verify`]); a body larger than its
//!   descriptor says, or than the limit of its kind, is refused while it is read.
//! - **Type.** The type is the `Content-Type` (parameters ignored); a body whose `mediaType`
//!   disagrees is an integrity error. Docker schema 1 and unknown types are unsupported, and
//!   the facts they would give are unknown.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

/// The `Accept` header of every manifest request.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// The most bytes read of a manifest or index.
pub const MANIFEST_LIMIT: u64 = 4 << 20;
/// The most bytes read of an image config.
pub const CONFIG_LIMIT: u64 = 8 << 20;
/// The most bytes read of a simple-signing payload.
pub const PAYLOAD_LIMIT: u64 = 64 << 10;
/// The most bytes read of a Sigstore bundle or DSSE layer.
pub const BUNDLE_LIMIT: u64 = 16 << 20;
/// The most bytes read of a token endpoint's answer.
pub const TOKEN_LIMIT: u64 = 1 << 20;

/// What a manifest response is, from its `Content-Type`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaType {
    OciIndex,
    OciManifest,
    DockerList,
    DockerManifest,
    /// Docker schema 1, or a type that is no image: the facts it would give are unknown.
    Unsupported(String),
}

impl MediaType {
    /// The type of a `Content-Type` header value, parameters ignored.
    #[must_use]
    pub fn from_content_type(content_type: &str) -> Self {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/vnd.oci.image.index.v1+json" => MediaType::OciIndex,
            "application/vnd.oci.image.manifest.v1+json" => MediaType::OciManifest,
            "application/vnd.docker.distribution.manifest.list.v2+json" => MediaType::DockerList,
            "application/vnd.docker.distribution.manifest.v2+json" => MediaType::DockerManifest,
            _ => MediaType::Unsupported(essence),
        }
    }

    /// The media type's name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            MediaType::OciIndex => "application/vnd.oci.image.index.v1+json",
            MediaType::OciManifest => "application/vnd.oci.image.manifest.v1+json",
            MediaType::DockerList => "application/vnd.docker.distribution.manifest.list.v2+json",
            MediaType::DockerManifest => "application/vnd.docker.distribution.manifest.v2+json",
            MediaType::Unsupported(name) => name,
        }
    }

    fn is_index(&self) -> bool {
        matches!(self, MediaType::OciIndex | MediaType::DockerList)
    }
}

/// Why fetched content cannot be used; the text is the user-facing reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentError {
    /// A digest that is not `sha256:` and 64 lower-case hex digits.
    BadDigest(String),
    /// The bytes do not hash to the digest they were fetched by.
    DigestMismatch { expected: String, actual: String },
    /// More or fewer bytes than the descriptor says.
    SizeMismatch { expected: u64, actual: u64 },
    /// More bytes than the limit of their kind.
    TooLarge { what: &'static str, limit: u64 },
    /// The body's `mediaType` is not its `Content-Type`.
    TypeMismatch { header: String, body: String },
    /// Schema 1 or another type Bona does not read.
    Unsupported(String),
    /// Not the JSON document its type says.
    Malformed { what: &'static str, why: String },
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentError::BadDigest(d) => write!(f, "{d:?} is not a sha256 digest"),
            ContentError::DigestMismatch { expected, actual } => {
                write!(f, "content fetched as {expected} hashes to {actual}")
            }
            ContentError::SizeMismatch { expected, actual } => {
                write!(
                    f,
                    "content is {actual} bytes, its descriptor says {expected}"
                )
            }
            ContentError::TooLarge { what, limit } => {
                write!(f, "the {what} is larger than {limit} bytes")
            }
            ContentError::TypeMismatch { header, body } => write!(
                f,
                "the manifest is served as {header} but its mediaType says {body}"
            ),
            ContentError::Unsupported(t) => write!(f, "unsupported manifest type {t}"),
            ContentError::Malformed { what, why } => write!(f, "the {what} is malformed: {why}"),
        }
    }
}

impl std::error::Error for ContentError {}

/// `sha256:` and the hex of `bytes`' SHA-256.
#[must_use]
pub fn digest_of(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for byte in hash {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Checks a digest's shape: only sha256 is read (every registry and cosign use it).
///
/// # Errors
/// [`ContentError::BadDigest`].
pub fn check_digest(digest: &str) -> Result<(), ContentError> {
    let ok = digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(ContentError::BadDigest(digest.to_owned()))
    }
}

/// Checks fetched bytes against the digest they were fetched by and, when a descriptor gave
/// one, their size.
///
/// # Errors
/// The digest is malformed, or the bytes do not match it or the size.
pub fn verify(bytes: &[u8], digest: &str, size: Option<u64>) -> Result<(), ContentError> {
    check_digest(digest)?;
    if let Some(expected) = size {
        let actual = bytes.len() as u64;
        if actual != expected {
            return Err(ContentError::SizeMismatch { expected, actual });
        }
    }
    let actual = digest_of(bytes);
    if actual == digest {
        Ok(())
    } else {
        Err(ContentError::DigestMismatch {
            expected: digest.to_owned(),
            actual,
        })
    }
}

/// A content descriptor.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default)]
    pub platform: Option<Platform>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub artifact_type: Option<String>,
}

/// An index entry's platform.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default)]
    pub variant: Option<String>,
}

impl Platform {
    /// `linux/amd64`, the platform read when none is asked for.
    pub fn default_platform() -> Self {
        Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }

    /// Parses `os/arch[/variant]` (`--platform`).
    ///
    /// # Errors
    /// Not of that form.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [os, arch] | [os, arch, _] if !os.is_empty() && !arch.is_empty() => Ok(Platform {
                os: (*os).to_owned(),
                architecture: (*arch).to_owned(),
                variant: parts
                    .get(2)
                    .map(|v| (*v).to_owned())
                    .filter(|v| !v.is_empty()),
            }),
            _ => Err(format!(
                "{s:?} is not a platform (os/architecture[/variant])"
            )),
        }
    }

    /// Whether an index entry's platform is this one: a variant asked for must match, none
    /// asked for takes any.
    #[must_use]
    pub fn matches(&self, entry: &Platform) -> bool {
        self.os == entry.os
            && self.architecture == entry.architecture
            && self
                .variant
                .as_ref()
                .is_none_or(|v| entry.variant.as_ref() == Some(v))
    }
}

/// A manifest response, checked and read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Manifest {
    /// A multi-platform index: its entries.
    Index { manifests: Vec<Descriptor> },
    /// One image: its config and layers, and the manifest's annotations.
    Image {
        config: Descriptor,
        layers: Vec<Descriptor>,
        annotations: BTreeMap<String, String>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    schema_version: Option<u64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

impl Manifest {
    /// Reads a manifest or index served with `content_type`; its bytes must already have been
    /// checked with [`verify`].
    ///
    /// # Errors
    /// Unsupported types, a `mediaType` that disagrees with the header, or a malformed body.
    pub fn parse(content_type: &str, bytes: &[u8]) -> Result<Self, ContentError> {
        let media_type = MediaType::from_content_type(content_type);
        if let MediaType::Unsupported(name) = &media_type {
            return Err(ContentError::Unsupported(name.clone()));
        }
        if bytes.len() as u64 > MANIFEST_LIMIT {
            return Err(ContentError::TooLarge {
                what: "manifest",
                limit: MANIFEST_LIMIT,
            });
        }
        let malformed = |why: String| ContentError::Malformed {
            what: "manifest",
            why,
        };
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
        if let Some(body) = raw.media_type.as_deref() {
            let body_type = MediaType::from_content_type(body);
            if body_type != media_type {
                return Err(ContentError::TypeMismatch {
                    header: media_type.as_str().to_owned(),
                    body: body.to_owned(),
                });
            }
        }
        if raw.schema_version != Some(2) {
            return Err(malformed("schemaVersion is not 2".into()));
        }
        let descriptors =
            |list: &[Descriptor]| list.iter().try_for_each(|d| check_digest(&d.digest));
        if media_type.is_index() {
            let manifests = raw
                .manifests
                .ok_or_else(|| malformed("an index without manifests".into()))?;
            descriptors(&manifests)?;
            Ok(Manifest::Index { manifests })
        } else {
            let config = raw
                .config
                .ok_or_else(|| malformed("a manifest without config".into()))?;
            let layers = raw.layers.unwrap_or_default();
            check_digest(&config.digest)?;
            descriptors(&layers)?;
            Ok(Manifest::Image {
                config,
                layers,
                annotations: raw.annotations,
            })
        }
    }
}

/// What Bona reads of an image config: `labels`, `created` and `layers` (the uncompressed
/// `rootfs.diff_ids`, which mirroring or recompression does not change).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageConfig {
    pub labels: BTreeMap<String, String>,
    /// As written (RFC 3339); the facts writer converts it.
    pub created: Option<String>,
    pub diff_ids: Vec<String>,
}

impl ImageConfig {
    /// Reads an image config; its bytes must already have been checked with [`verify`].
    ///
    /// # Errors
    /// More than [`CONFIG_LIMIT`] bytes, or not an image config.
    pub fn parse(bytes: &[u8]) -> Result<Self, ContentError> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            created: Option<String>,
            #[serde(default)]
            config: Option<Inner>,
            #[serde(default)]
            rootfs: Option<RootFs>,
        }
        #[derive(Deserialize)]
        struct Inner {
            #[serde(default, rename = "Labels")]
            labels: Option<BTreeMap<String, String>>,
        }
        #[derive(Deserialize)]
        struct RootFs {
            #[serde(default)]
            diff_ids: Vec<String>,
        }
        if bytes.len() as u64 > CONFIG_LIMIT {
            return Err(ContentError::TooLarge {
                what: "image config",
                limit: CONFIG_LIMIT,
            });
        }
        let raw: Raw = serde_json::from_slice(bytes).map_err(|e| ContentError::Malformed {
            what: "image config",
            why: e.to_string(),
        })?;
        let diff_ids = raw.rootfs.map(|r| r.diff_ids).unwrap_or_default();
        for id in &diff_ids {
            check_digest(id)?;
        }
        Ok(ImageConfig {
            labels: raw.config.and_then(|c| c.labels).unwrap_or_default(),
            created: raw.created,
            diff_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(n: u8) -> String {
        digest_of(&[n])
    }

    fn image_manifest(media_type: Option<&str>) -> String {
        let media = media_type.map_or(String::new(), |m| format!(r#""mediaType": "{m}","#));
        format!(
            r#"{{"schemaVersion": 2, {media}
                "config": {{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "{}", "size": 10}},
                "layers": [{{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "{}", "size": 20}}],
                "annotations": {{"org.opencontainers.image.base.name": "docker.io/library/alpine:3.20"}}}}"#,
            d(1),
            d(2)
        )
    }

    #[test]
    fn the_accept_list_names_all_four_types() {
        for t in [
            MediaType::OciIndex,
            MediaType::OciManifest,
            MediaType::DockerList,
            MediaType::DockerManifest,
        ] {
            assert!(ACCEPT.contains(t.as_str()));
        }
        assert_eq!(
            MediaType::from_content_type(
                "Application/Vnd.OCI.Image.Manifest.v1+json; charset=utf-8"
            ),
            MediaType::OciManifest
        );
    }

    #[test]
    fn verification_checks_digest_and_size() {
        let body = b"{}";
        let digest = digest_of(body);
        assert_eq!(
            digest,
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert!(verify(body, &digest, Some(2)).is_ok());
        assert!(matches!(
            verify(b"{ }", &digest, None),
            Err(ContentError::DigestMismatch { .. })
        ));
        assert_eq!(
            verify(body, &digest, Some(3)).unwrap_err().to_string(),
            "content is 2 bytes, its descriptor says 3"
        );
        for bad in ["sha512:00", "sha256:ABC", &digest.to_uppercase(), "sha256:"] {
            assert!(
                matches!(verify(body, bad, None), Err(ContentError::BadDigest(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_image_manifest_is_read() {
        let body = image_manifest(Some("application/vnd.oci.image.manifest.v1+json"));
        let m = Manifest::parse(
            "application/vnd.oci.image.manifest.v1+json",
            body.as_bytes(),
        )
        .unwrap();
        let Manifest::Image {
            config,
            layers,
            annotations,
        } = m
        else {
            panic!("not an image: {m:?}");
        };
        assert_eq!(config.digest, d(1));
        assert_eq!(layers.len(), 1);
        assert_eq!(
            annotations["org.opencontainers.image.base.name"],
            "docker.io/library/alpine:3.20"
        );
        // Without a body mediaType, the header decides.
        let body = image_manifest(None);
        assert!(
            Manifest::parse(
                "application/vnd.docker.distribution.manifest.v2+json",
                body.as_bytes()
            )
            .is_ok()
        );
    }

    #[test]
    fn a_body_type_that_disagrees_is_an_integrity_error() {
        let body = image_manifest(Some("application/vnd.oci.image.index.v1+json"));
        let e = Manifest::parse(
            "application/vnd.oci.image.manifest.v1+json",
            body.as_bytes(),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the manifest is served as application/vnd.oci.image.manifest.v1+json but its \
             mediaType says application/vnd.oci.image.index.v1+json"
        );
    }

    #[test]
    fn schema_1_and_unknown_types_are_unsupported() {
        let e = Manifest::parse(
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            br#"{"schemaVersion": 1}"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unsupported manifest type application/vnd.docker.distribution.manifest.v1+prettyjws"
        );
        assert!(matches!(
            Manifest::parse("text/html", b"<html>"),
            Err(ContentError::Unsupported(_))
        ));
    }

    #[test]
    fn an_index_and_its_platforms() {
        let body = format!(
            r#"{{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [
                  {{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{}", "size": 1,
                    "platform": {{"os": "linux", "architecture": "amd64"}}}},
                  {{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{}", "size": 1,
                    "platform": {{"os": "linux", "architecture": "arm64", "variant": "v8"}}}}
                ]}}"#,
            d(3),
            d(4)
        );
        let Manifest::Index { manifests } =
            Manifest::parse("application/vnd.oci.image.index.v1+json", body.as_bytes()).unwrap()
        else {
            panic!("not an index");
        };
        let amd64 = Platform::parse("linux/amd64").unwrap();
        let arm64 = Platform::parse("linux/arm64").unwrap();
        let arm64_v7 = Platform::parse("linux/arm64/v7").unwrap();
        let matching = |p: &Platform| {
            manifests
                .iter()
                .filter(|m| m.platform.as_ref().is_some_and(|e| p.matches(e)))
                .map(|m| m.digest.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(matching(&amd64), [d(3)]);
        assert_eq!(matching(&arm64), [d(4)]);
        assert!(matching(&arm64_v7).is_empty());
        assert!(Platform::parse("linux").is_err());
        assert!(Platform::parse("/amd64").is_err());
    }

    #[test]
    fn a_config_gives_labels_created_and_layers() {
        let body = format!(
            r#"{{"created": "2026-11-20T10:00:00Z", "architecture": "amd64", "os": "linux",
                "config": {{"Labels": {{"team": "payments"}}}},
                "rootfs": {{"type": "layers", "diff_ids": ["{}", "{}"]}}}}"#,
            d(5),
            d(6)
        );
        let c = ImageConfig::parse(body.as_bytes()).unwrap();
        assert_eq!(c.labels["team"], "payments");
        assert_eq!(c.created.as_deref(), Some("2026-11-20T10:00:00Z"));
        assert_eq!(c.diff_ids, [d(5), d(6)]);
        // `Labels: null`, as Docker writes for an image without any.
        let c = ImageConfig::parse(br#"{"config": {"Labels": null}}"#).unwrap();
        assert!(c.labels.is_empty() && c.diff_ids.is_empty());
        assert!(ImageConfig::parse(br#"{"rootfs": {"diff_ids": ["md5:x"]}}"#).is_err());
    }

    #[test]
    fn oversized_content_is_refused() {
        let big = vec![b' '; (MANIFEST_LIMIT + 1) as usize];
        assert!(matches!(
            Manifest::parse("application/vnd.oci.image.manifest.v1+json", &big),
            Err(ContentError::TooLarge { .. })
        ));
        let big = vec![b' '; (CONFIG_LIMIT + 1) as usize];
        assert!(matches!(
            ImageConfig::parse(&big),
            Err(ContentError::TooLarge { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bodies_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Manifest::parse("application/vnd.oci.image.index.v1+json", &bytes);
            let _ = Manifest::parse("application/vnd.oci.image.manifest.v1+json", &bytes);
            let _ = ImageConfig::parse(&bytes);
        }
    }
}
