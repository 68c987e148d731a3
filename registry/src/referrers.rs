//! OCI 1.1 referrers: the Sigstore bundles attached to an image (SPEC §8.1,
//! docs/registry.md#what-bona-reads), as `signatures` and `attestations` entries of its facts.
//!
//! **Listing.** `GET /v2/NAME/referrers/DIGEST` (an OCI index), following `Link: <…>;
//! rel="next"` for at most [`MAX_PAGES`] pages; only a 404 on the first page sends Bona to the
//! referrers tag `sha256-<hex>` instead, whose 404 means "no referrers".
//!
//! **Candidates.** An index entry whose `artifactType` is a Sigstore bundle media type
//! ([`is_bundle_type`]). GHCR lists its referrers with an empty or missing `artifactType`:
//! such an entry's manifest is fetched and its own `artifactType` (else `config.mediaType`)
//! decides. Annotations (`dev.sigstore.bundle.predicateType`, `dev.sigstore.bundle.content`)
//! are written by whoever pushed the artifact and are never read.
//!
//! **Classification by content.** Each candidate's manifest is fetched by digest, then its
//! bundle layer, both checked against digest, size and limit. A `dsseEnvelope` holding an
//! in-toto statement of predicate type `https://sigstore.dev/cosign/sign/v1` is a signature
//! (`{"bundle": …}` in `signatures`); any other statement is an attestation (`{"bundle": …}`
//! in `attestations`). The bundle is read with the runtime's own entry readers
//! ([`bona_runtime::facts::Signature`], [`bona_runtime::attestation::Attestation`]): an entry
//! the runtime cannot read would make the whole facts document bad input, so a bundle it
//! cannot read is left out instead (it could never verify), and noted in
//! [`Referrers::skipped`]. A `messageSignature` bundle is a signature too, but its facts entry
//! needs the signed payload, which a referrer does not carry: it is left out and the result is
//! partial ([`referrers`]).
//!
//! **Complete or partial.** The result is complete when every page answered 200 (or the first
//! 404 and the tag 200 or 404) and every candidate was read. Anything else — a timeout, 401,
//! 403, 429, 5xx, an integrity or size failure, a limit — keeps what was found and makes the
//! result partial, with a reason in [`Referrers::failures`]: a registry outage never turns
//! "not signed" into evidence. Content that is merely malformed (not a bundle, not an in-toto
//! statement) cannot verify under any signer, so leaving it out changes no answer and the
//! result stays complete.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::{Client, FetchError};
use crate::facts::MAX_SIGNATURES;
use crate::manifest::{
    self, ACCEPT, BUNDLE_LIMIT, ContentError, Descriptor, MANIFEST_LIMIT, Manifest, MediaType,
};

/// The most referrers pages read for one image; a next link on the last one makes the
/// result partial.
pub const MAX_PAGES: usize = 10;

/// The most candidates whose manifest is fetched for one image: enough for
/// [`MAX_SIGNATURES`] signatures and as many attestations. Past it the result is partial.
pub const MAX_CANDIDATES: usize = 2 * MAX_SIGNATURES;

/// The `Accept` header of a referrers request.
pub const REFERRERS_ACCEPT: &str = "application/vnd.oci.image.index.v1+json";

/// The predicate type of a cosign v3 image signature: a signature, never an attestation.
const COSIGN_SIGN_V1: &str = "https://sigstore.dev/cosign/sign/v1";

/// What the referrers of one image gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Referrers {
    /// Signature entries, each `{"bundle": …}` with a `dsseEnvelope` (docs/images.md#signatures).
    pub signatures: Vec<Value>,
    /// Attestation entries, each `{"bundle": …}` with a `dsseEnvelope`
    /// (docs/attestations.md#entries).
    pub attestations: Vec<Value>,
    /// Whether every source answered and every candidate was read: when `false`, the lists
    /// are partial (SPEC §8.1) and [`Referrers::failures`] says why.
    pub complete: bool,
    /// Whether the registry answered at all (a page, or the referrers tag). With nothing
    /// answered, the referrers are no source of the lists.
    pub answered: bool,
    /// Why the result is partial, each naming the registry and what failed; never a
    /// credential.
    pub failures: Vec<String>,
    /// Candidates left out because they could never verify (malformed, not an in-toto
    /// statement); they do not make the result partial.
    pub skipped: Vec<String>,
}

impl Referrers {
    fn fail(&mut self, registry: &str, what: &str, why: impl std::fmt::Display) {
        self.complete = false;
        self.failures.push(format!("{registry}: {what}: {why}"));
    }
}

/// Reads the Sigstore bundles that refer to `digest` in `registry`/`repository` (SPEC §8.1).
///
/// Never fails as a whole: a failure makes the result partial ([`Referrers::complete`] is
/// `false`) and keeps what was found before and after it.
///
/// A bundle holding a `messageSignature` is a signature (SPEC §7.2), but a facts entry of that
/// kind needs the signed simple-signing `payload` beside the bundle
/// (`{"bundle": …, "payload": …}`), and a referrer carries no payload: such a bundle is left
/// out, with a failure, so the signatures are partial rather than wrongly "not signed".
pub async fn referrers(
    client: &Client,
    registry: &str,
    repository: &str,
    digest: &str,
) -> Referrers {
    let mut out = Referrers {
        complete: true,
        ..Referrers::default()
    };
    if let Err(e) = manifest::check_digest(digest) {
        out.fail(registry, "referrers", e);
        return out;
    }
    let reader = Reader {
        client,
        registry,
        repository,
        digest,
    };
    let descriptors = reader.list(&mut out).await;
    reader.read_candidates(descriptors, &mut out).await;
    out
}

/// One image's referrers being read.
struct Reader<'a> {
    client: &'a Client,
    registry: &'a str,
    repository: &'a str,
    digest: &'a str,
}

/// What one candidate turned out to be.
enum Entry {
    Signature(Value),
    Attestation(Value),
    /// A manifest (listed without `artifactType`) that is no Sigstore bundle.
    Other,
}

/// Why a candidate was left out.
enum Problem {
    /// It might have been evidence: the result becomes partial.
    Failed(String),
    /// It could never verify: left out, the result stays complete.
    Skipped(String),
}

impl From<FetchError> for Problem {
    fn from(e: FetchError) -> Self {
        Problem::Failed(e.to_string())
    }
}

impl From<ContentError> for Problem {
    fn from(e: ContentError) -> Self {
        Problem::Failed(e.to_string())
    }
}

impl Reader<'_> {
    /// Every descriptor of the referrers pages, or of the referrers tag; a failure on the way
    /// keeps those read before it.
    async fn list(&self, out: &mut Referrers) -> Vec<Descriptor> {
        let mut found = Vec::new();
        let mut path = format!("referrers/{}", self.digest);
        for page in 1..=MAX_PAGES {
            let what = format!("referrers page {page}");
            let response = match self
                .client
                .get(
                    self.registry,
                    self.repository,
                    &path,
                    Some(REFERRERS_ACCEPT),
                    MANIFEST_LIMIT,
                )
                .await
            {
                Ok(response) => response,
                Err(e) => {
                    out.fail(self.registry, &what, e);
                    return found;
                }
            };
            match response.status {
                200 => {}
                404 if page == 1 => return self.referrers_tag(out).await,
                status => {
                    out.fail(self.registry, &what, format_args!("answered {status}"));
                    return found;
                }
            }
            out.answered = true;
            // The referrers API answers with an index; a header-less answer is read as one.
            let content_type = response
                .content_type
                .as_deref()
                .unwrap_or(MediaType::OciIndex.as_str());
            match index(content_type, &response.body) {
                Ok(descriptors) => found.extend(descriptors),
                Err(e) => {
                    out.fail(self.registry, &what, e);
                    return found;
                }
            }
            let Some(link) = response.link.as_deref().and_then(next_link) else {
                return found;
            };
            if page == MAX_PAGES {
                out.fail(
                    self.registry,
                    "referrers",
                    format_args!("more than {MAX_PAGES} pages (the rest is not read)"),
                );
                return found;
            }
            let current = format!("/v2/{}/{path}", self.repository);
            match next_path(self.registry, self.repository, &current, &link) {
                Ok(next) => path = next,
                Err(why) => {
                    out.fail(self.registry, &what, why);
                    return found;
                }
            }
        }
        found
    }

    /// The referrers tag `sha256-<hex>` of a registry without the referrers API: an index of
    /// the referrers, and 404 when there are none.
    async fn referrers_tag(&self, out: &mut Referrers) -> Vec<Descriptor> {
        let tag = self.digest.replacen(':', "-", 1);
        let what = format!("the referrers tag {tag}");
        let response = match self
            .client
            .get(
                self.registry,
                self.repository,
                &format!("manifests/{tag}"),
                Some(ACCEPT),
                MANIFEST_LIMIT,
            )
            .await
        {
            Ok(response) => response,
            Err(e) => {
                out.fail(self.registry, &what, e);
                return Vec::new();
            }
        };
        match response.status {
            200 => {}
            404 => {
                out.answered = true;
                return Vec::new();
            }
            status => {
                out.fail(self.registry, &what, format_args!("answered {status}"));
                return Vec::new();
            }
        }
        out.answered = true;
        // Fetched by tag: a `Docker-Content-Digest` that disagrees with the bytes is an
        // integrity error, as for any manifest fetched by tag.
        if let Some(header) = response.digest.as_deref()
            && let Err(e) = manifest::verify(&response.body, header, None)
        {
            out.fail(self.registry, &what, e);
            return Vec::new();
        }
        let content_type = response.content_type.as_deref().unwrap_or_default();
        match index(content_type, &response.body) {
            Ok(descriptors) => descriptors,
            Err(e) => {
                out.fail(self.registry, &what, e);
                Vec::new()
            }
        }
    }

    /// Fetches and classifies the candidates among `descriptors`, each once.
    async fn read_candidates(&self, descriptors: Vec<Descriptor>, out: &mut Referrers) {
        let mut seen = HashSet::new();
        let mut fetched = 0usize;
        let (mut signatures_full, mut attestations_full) = (false, false);
        for descriptor in descriptors {
            if !seen.insert(descriptor.digest.clone()) {
                continue;
            }
            // GHCR lists referrers without `artifactType`: their manifest says what they are.
            let listed = descriptor
                .artifact_type
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty());
            if listed.is_some_and(|t| !is_bundle_type(t)) {
                continue;
            }
            if fetched == MAX_CANDIDATES {
                out.fail(
                    self.registry,
                    "referrers",
                    format_args!("more than {MAX_CANDIDATES} candidates (the rest is not read)"),
                );
                return;
            }
            fetched += 1;
            let what = format!("referrer {}", descriptor.digest);
            match self.candidate(&descriptor, listed.is_some()).await {
                Ok(Entry::Signature(entry)) => {
                    if out.signatures.len() < MAX_SIGNATURES {
                        out.signatures.push(entry);
                    } else if !signatures_full {
                        signatures_full = true;
                        out.fail(
                            self.registry,
                            "referrers",
                            format_args!("more than {MAX_SIGNATURES} signatures"),
                        );
                    }
                }
                Ok(Entry::Attestation(entry)) => {
                    if out.attestations.len() < MAX_SIGNATURES {
                        out.attestations.push(entry);
                    } else if !attestations_full {
                        attestations_full = true;
                        out.fail(
                            self.registry,
                            "referrers",
                            format_args!("more than {MAX_SIGNATURES} attestations"),
                        );
                    }
                }
                Ok(Entry::Other) => {}
                Err(Problem::Failed(why)) => out.fail(self.registry, &what, why),
                Err(Problem::Skipped(why)) => out.skipped.push(format!("{what}: {why}")),
            }
        }
    }

    /// One candidate: its manifest by digest, its bundle layer, the bundle classified.
    /// `listed` says the index already named it a Sigstore bundle.
    async fn candidate(&self, descriptor: &Descriptor, listed: bool) -> Result<Entry, Problem> {
        let (content_type, body) = self.fetch(descriptor, "manifests", MANIFEST_LIMIT).await?;
        // The type is the `Content-Type`; without one, the descriptor's.
        let content_type = content_type.unwrap_or_else(|| descriptor.media_type.clone());
        let manifest = Manifest::parse(&content_type, &body)?;
        if !listed && !artifact_type(&body).as_deref().is_some_and(is_bundle_type) {
            return Ok(Entry::Other);
        }
        let Manifest::Image { layers, .. } = manifest else {
            return Err(Problem::Skipped(
                "an index, not an artifact manifest".into(),
            ));
        };
        // cosign's layout has one layer, the bundle; tools that add others mark the bundle
        // with its media type.
        let layer = layers
            .iter()
            .find(|l| is_bundle_type(&l.media_type))
            .or_else(|| layers.first())
            .ok_or_else(|| Problem::Skipped("a manifest without layers".into()))?;
        let (_, bytes) = self.fetch(layer, "blobs", BUNDLE_LIMIT).await?;
        let bundle: Value = serde_json::from_slice(&bytes)
            .map_err(|e| Problem::Skipped(format!("the bundle is not JSON: {e}")))?;
        classify(bundle)
    }

    /// Manifest or blob `descriptor` (`kind` is `manifests` or `blobs`), read up to its size
    /// and `limit` and checked against its digest and size: its `Content-Type` and bytes.
    async fn fetch(
        &self,
        descriptor: &Descriptor,
        kind: &str,
        limit: u64,
    ) -> Result<(Option<String>, Vec<u8>), Problem> {
        manifest::check_digest(&descriptor.digest)?;
        let what = if kind == "blobs" {
            "bundle"
        } else {
            "manifest"
        };
        if descriptor.size > limit {
            return Err(ContentError::TooLarge { what, limit }.into());
        }
        let response = self
            .client
            .get(
                self.registry,
                self.repository,
                &format!("{kind}/{}", descriptor.digest),
                (kind == "manifests").then_some(ACCEPT),
                // More bytes than the descriptor says is refused while reading.
                descriptor.size,
            )
            .await?;
        if response.status != 200 {
            return Err(Problem::Failed(format!(
                "answered {} for its {what}",
                response.status
            )));
        }
        manifest::verify(&response.body, &descriptor.digest, Some(descriptor.size))?;
        Ok((response.content_type, response.body))
    }
}

/// The descriptors of a referrers index.
fn index(content_type: &str, body: &[u8]) -> Result<Vec<Descriptor>, ContentError> {
    match Manifest::parse(content_type, body)? {
        Manifest::Index { manifests } => Ok(manifests),
        Manifest::Image { .. } => Err(ContentError::Malformed {
            what: "referrers index",
            why: "an image manifest, not an index".into(),
        }),
    }
}

/// A manifest's own `artifactType`, else its `config.mediaType` (OCI 1.1: what an artifact
/// without `artifactType` is).
fn artifact_type(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Raw {
        #[serde(default)]
        artifact_type: Option<String>,
        #[serde(default)]
        config: Option<Config>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Config {
        #[serde(default)]
        media_type: Option<String>,
    }
    let raw: Raw = serde_json::from_slice(body).ok()?;
    raw.artifact_type
        .filter(|t| !t.trim().is_empty())
        .or_else(|| raw.config.and_then(|c| c.media_type))
}

/// Classifies a bundle by what it holds, read as the runtime reads facts entries.
fn classify(bundle: Value) -> Result<Entry, Problem> {
    if !bundle.is_object() {
        return Err(Problem::Skipped("the bundle is not a JSON object".into()));
    }
    // The runtime reads `messageSignature` first when a bundle has both.
    if bundle.get("messageSignature").is_some() {
        return Err(Problem::Failed(
            "a messageSignature bundle: a referrer carries no signed payload, which its facts \
             entry needs"
                .into(),
        ));
    }
    let entry = json!({ "bundle": bundle });
    let attestation = bona_runtime::attestation::Attestation::deserialize(&entry)
        .map_err(|e| Problem::Skipped(format!("the runtime cannot read it: {e}")))?;
    let Some(statement) = attestation.statement() else {
        return Err(Problem::Skipped(
            "its DSSE payload is not an in-toto statement".into(),
        ));
    };
    if statement.predicate_type == COSIGN_SIGN_V1 {
        bona_runtime::facts::Signature::deserialize(&entry)
            .map_err(|e| Problem::Skipped(format!("the runtime cannot read it: {e}")))?;
        Ok(Entry::Signature(entry))
    } else {
        Ok(Entry::Attestation(entry))
    }
}

/// Whether `media_type` is a Sigstore bundle's, v0.1 to v0.3:
/// `application/vnd.dev.sigstore.bundle+json;version=0.1` (`0.2`, `0.3`) or
/// `application/vnd.dev.sigstore.bundle.v0.3+json`. Case and spaces around `;` and `=` are
/// ignored, and the version may be quoted.
#[must_use]
pub fn is_bundle_type(media_type: &str) -> bool {
    let mut parts = media_type.split(';').map(str::trim);
    let essence = parts.next().unwrap_or_default().to_ascii_lowercase();
    let params: Vec<&str> = parts.collect();
    match params.as_slice() {
        [] => essence == "application/vnd.dev.sigstore.bundle.v0.3+json",
        [param] => {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            essence == "application/vnd.dev.sigstore.bundle+json"
                && name.trim().eq_ignore_ascii_case("version")
                && matches!(value, "0.1" | "0.2" | "0.3")
        }
        _ => false,
    }
}

/// One link of a `Link` header (RFC 8288): its target as written and its relation types,
/// lower-case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub target: String,
    pub rel: Vec<String>,
}

/// The links of a `Link` header value (several fields joined with commas). Enough of RFC 8288
/// for pagination: `<target>` then `;`-separated parameters, bare or quoted with `\` escapes;
/// only the first `rel` counts; a link that does not parse is skipped up to the next comma.
#[must_use]
pub fn parse_links(value: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || is_space(c));
        if rest.is_empty() {
            return links;
        }
        let Some(after) = rest.strip_prefix('<') else {
            rest = skip_link(rest);
            continue;
        };
        let Some(end) = after.find('>') else {
            return links;
        };
        let target = after.get(..end).unwrap_or_default().trim().to_owned();
        rest = after.get(end + 1..).unwrap_or_default();
        let mut rel: Option<String> = None;
        loop {
            rest = rest.trim_start_matches(is_space);
            match rest.strip_prefix(';') {
                Some(r) => rest = r.trim_start_matches(is_space),
                None => {
                    if !rest.is_empty() && !rest.starts_with(',') {
                        // Junk after the target or a parameter: the link is malformed.
                        rel = None;
                        rest = skip_link(rest);
                    }
                    break;
                }
            }
            let name_end = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
            let name = rest.get(..name_end).unwrap_or_default();
            rest = rest
                .get(name_end..)
                .unwrap_or_default()
                .trim_start_matches(is_space);
            let mut param = String::new();
            if let Some(r) = rest.strip_prefix('=') {
                rest = r.trim_start_matches(is_space);
                (param, rest) = if let Some(r) = rest.strip_prefix('"') {
                    quoted(r)
                } else {
                    let end = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
                    (
                        rest.get(..end).unwrap_or_default().to_owned(),
                        rest.get(end..).unwrap_or_default(),
                    )
                };
            }
            if name.eq_ignore_ascii_case("rel") && rel.is_none() {
                rel = Some(param);
            }
        }
        if let Some(rel) = rel {
            links.push(Link {
                target,
                rel: rel
                    .split_ascii_whitespace()
                    .map(str::to_ascii_lowercase)
                    .collect(),
            });
        } else if !target.is_empty() {
            links.push(Link {
                target,
                rel: Vec::new(),
            });
        }
    }
}

/// The target of the first link with relation type `next`.
#[must_use]
pub fn next_link(value: &str) -> Option<String> {
    parse_links(value)
        .into_iter()
        .find(|l| l.rel.iter().any(|r| r == "next"))
        .map(|l| l.target)
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// An RFC 7230 token character.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The rest after the next comma outside a quoted string.
fn skip_link(s: &str) -> &str {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => return s.get(i + 1..).unwrap_or_default(),
            _ => {}
        }
    }
    ""
}

/// A quoted string's value (after its opening quote) and the rest after its closing one.
fn quoted(s: &str) -> (String, &str) {
    let mut value = String::new();
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => {
                value.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            '"' => return (value, s.get(i + 1..).unwrap_or_default()),
            _ => value.push(c),
        }
    }
    (value, "")
}

/// The path (under `/v2/REPOSITORY/`, with its query) of a next link found on the page at
/// `current` (`/v2/REPOSITORY/referrers/…`). The link may be absolute — on the registry
/// itself, not another host — an absolute path, a query, or a relative path (RFC 3986
/// reference resolution); it must stay in the repository's referrers.
///
/// # Errors
/// The link leads elsewhere or is no http(s) URL; the text never quotes the link, which may
/// carry a token.
pub fn next_path(
    registry: &str,
    repository: &str,
    current: &str,
    link: &str,
) -> Result<String, String> {
    let link = link.split('#').next().unwrap_or_default().trim();
    let (current_path, current_query) = match current.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (current, None),
    };
    let resolved: String = if let Some(scheme_end) = scheme_length(link) {
        let scheme = link.get(..scheme_end).unwrap_or_default();
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err("the next link is not an http(s) URL".into());
        }
        same_registry(registry, link)?
    } else if link.starts_with("//") {
        same_registry(registry, &format!("https:{link}"))?
    } else if link.starts_with('/') {
        link.to_owned()
    } else if link.is_empty() {
        match current_query {
            Some(query) => format!("{current_path}?{query}"),
            None => current_path.to_owned(),
        }
    } else if link.starts_with('?') {
        format!("{current_path}{link}")
    } else {
        let directory = current_path
            .rsplit_once('/')
            .map_or("", |(directory, _)| directory);
        format!("{directory}/{link}")
    };
    let (path, query) = match resolved.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (resolved.as_str(), None),
    };
    let path = remove_dot_segments(path);
    let base = format!("/v2/{repository}/");
    let Some(rest) = path
        .strip_prefix(&base)
        .filter(|rest| rest.starts_with("referrers/"))
    else {
        return Err("the next link leaves the repository's referrers".into());
    };
    Ok(match query {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_owned(),
    })
}

/// The length of a URI reference's scheme, when it has one (RFC 3986: a letter, then letters,
/// digits, `+`, `-`, `.`, before the first `:` and any `/`, `?`, `#`).
fn scheme_length(link: &str) -> Option<usize> {
    let colon = link.find(':')?;
    let scheme = link.get(..colon)?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(colon)
}

/// The path and query of an absolute URL on `registry`'s own host and port.
fn same_registry(registry: &str, url: &str) -> Result<String, String> {
    let uri: hyper::Uri = url
        .parse()
        .map_err(|_| "the next link is not a valid URL".to_owned())?;
    let https = uri
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https"));
    let host = uri
        .host()
        .ok_or_else(|| "the next link has no host".to_owned())?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    // Docker Hub's API lives under another name than its images (as the client does).
    let authority = if registry == "docker.io" {
        "registry-1.docker.io"
    } else {
        registry
    };
    let (registry_host, registry_port) = match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (host, port.parse::<u16>().ok())
        }
        _ => (authority, None),
    };
    let registry_host = registry_host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let same_port = match registry_port {
        Some(p) => p == port,
        None => uri.port_u16().is_none() || port == if https { 443 } else { 80 },
    };
    if registry_host != host || !same_port {
        let shown = match uri.port_u16() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        return Err(format!(
            "the next link leads to another host ({shown}), which is not followed"
        ));
    }
    Ok(uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()))
}

/// RFC 3986 §5.2.4, for a path starting with `/`.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." => {
                if *segment == ".." {
                    out.pop();
                }
                // A final dot segment leaves a directory: a trailing slash.
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(value: &str) -> Option<String> {
        next_link(value)
    }

    #[test]
    fn next_links_quoted_or_bare() {
        assert_eq!(
            next(r#"</v2/app/referrers/sha256:1?last=a>; rel="next""#).as_deref(),
            Some("/v2/app/referrers/sha256:1?last=a")
        );
        assert_eq!(
            next("<https://r.example/x>;rel=next").as_deref(),
            Some("https://r.example/x")
        );
        assert_eq!(next("<a> ; REL = \"Next\"").as_deref(), Some("a"));
        // Several relation types in one `rel`.
        assert_eq!(next(r#"<a>; rel="prev next""#).as_deref(), Some("a"));
    }

    #[test]
    fn several_links_and_commas_inside() {
        let value =
            r#"</p?a=1,2>; rel="prev"; title="x, y", </n?a=3,4>; title="a \"q\"; b"; rel=next"#;
        assert_eq!(next(value).as_deref(), Some("/n?a=3,4"));
        let links = parse_links(value);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].rel, ["prev"]);
        // Several header fields, joined by the client.
        assert_eq!(
            next(r#"<https://r/first>; rel="first", <https://r/2>; rel="next""#).as_deref(),
            Some("https://r/2")
        );
    }

    #[test]
    fn only_the_first_rel_counts_and_others_are_not_next() {
        assert_eq!(next(r#"<a>; rel="prev"; rel="next""#), None);
        assert_eq!(next(r#"<a>; rel="nextpage""#), None);
        assert_eq!(next("<a>"), None);
        assert_eq!(next("<a>; anchor=\"x\""), None);
        assert_eq!(next(""), None);
        assert_eq!(next("   ,, "), None);
    }

    #[test]
    fn malformed_links_are_skipped() {
        assert_eq!(next(r#"a; rel="next""#), None);
        assert_eq!(next(r#"<a; rel="next""#), None);
        assert_eq!(
            next(r#"<a> junk; rel="next", <b>; rel=next"#).as_deref(),
            Some("b")
        );
        assert_eq!(
            next(r#"garbage "with, comma", <b>; rel=next"#).as_deref(),
            Some("b")
        );
        assert_eq!(next(r#"<a>; rel="next"#).as_deref(), Some("a"));
    }

    const CURRENT: &str = "/v2/org/app/referrers/sha256:1";

    #[test]
    fn next_paths_resolve_under_the_repository() {
        let path = |link: &str| next_path("r.example:5000", "org/app", CURRENT, link);
        assert_eq!(
            path("/v2/org/app/referrers/sha256:1?last=x").as_deref(),
            Ok("referrers/sha256:1?last=x")
        );
        assert_eq!(
            path("http://R.Example:5000/v2/org/app/referrers/sha256:1?n=2#frag").as_deref(),
            Ok("referrers/sha256:1?n=2")
        );
        assert_eq!(
            path("//r.example:5000/v2/org/app/referrers/sha256:1?n=3").as_deref(),
            Ok("referrers/sha256:1?n=3")
        );
        assert_eq!(path("?last=y").as_deref(), Ok("referrers/sha256:1?last=y"));
        assert_eq!(
            path("../referrers/sha256:1?last=z").as_deref(),
            Ok("referrers/sha256:1?last=z")
        );
        // RFC 3986: a first segment with a colon is a scheme; `./` makes it a path.
        assert_eq!(
            path("sha256:1?last=z").unwrap_err(),
            "the next link is not an http(s) URL"
        );
        assert_eq!(
            path("./sha256:1?last=w").as_deref(),
            Ok("referrers/sha256:1?last=w")
        );
    }

    #[test]
    fn next_paths_elsewhere_are_refused() {
        let path = |link: &str| next_path("r.example:5000", "org/app", CURRENT, link);
        let e =
            path("https://evil.example/v2/org/app/referrers/sha256:1?token=s3cret").unwrap_err();
        assert_eq!(
            e,
            "the next link leads to another host (evil.example), which is not followed"
        );
        assert!(!e.contains("s3cret"));
        assert!(path("http://r.example:5001/v2/org/app/referrers/x").is_err());
        assert!(path("http://r.example/v2/org/app/referrers/x").is_err());
        assert!(path("ftp://r.example:5000/v2/org/app/referrers/x").is_err());
        assert!(path("/v2/org/other/referrers/sha256:1").is_err());
        assert!(path("/v2/org/app/manifests/latest").is_err());
        assert!(path("/v2/org/app/referrers/../../other/referrers/x").is_err());
        assert!(path("../../other/referrers/x").is_err());
        assert!(
            path("http://user:pw@r.example:6000/v2/org/app/referrers/x")
                .is_err_and(|e| !e.contains("pw"))
        );
    }

    #[test]
    fn default_ports_and_docker_hub() {
        assert_eq!(
            next_path(
                "docker.io",
                "library/alpine",
                "/v2/library/alpine/referrers/sha256:1",
                "https://registry-1.docker.io/v2/library/alpine/referrers/sha256:1?n=2"
            )
            .as_deref(),
            Ok("referrers/sha256:1?n=2")
        );
        assert!(
            next_path(
                "ghcr.io",
                "o/a",
                "/v2/o/a/referrers/d",
                "https://ghcr.io:443/v2/o/a/referrers/d?n=1"
            )
            .is_ok()
        );
        assert!(
            next_path(
                "ghcr.io:443",
                "o/a",
                "/v2/o/a/referrers/d",
                "https://ghcr.io/v2/o/a/referrers/d"
            )
            .is_ok()
        );
    }

    #[test]
    fn dot_segments() {
        assert_eq!(remove_dot_segments("/a/b/../c/./d"), "/a/c/d");
        assert_eq!(remove_dot_segments("/a/.."), "/");
        assert_eq!(remove_dot_segments("/../../a"), "/a");
        assert_eq!(remove_dot_segments("/a/b/."), "/a/b/");
    }

    #[test]
    fn bundle_media_types() {
        for yes in [
            "application/vnd.dev.sigstore.bundle+json;version=0.1",
            "application/vnd.dev.sigstore.bundle+json;version=0.2",
            "application/vnd.dev.sigstore.bundle+json;version=0.3",
            "application/vnd.dev.sigstore.bundle+json ; version=0.2",
            "application/vnd.dev.sigstore.bundle+json;  version = \"0.3\"",
            "Application/Vnd.Dev.Sigstore.Bundle.v0.3+json",
            "application/vnd.dev.sigstore.bundle.v0.3+json",
        ] {
            assert!(is_bundle_type(yes), "{yes}");
        }
        for no in [
            "application/vnd.dev.sigstore.bundle+json",
            "application/vnd.dev.sigstore.bundle+json;version=0.4",
            "application/vnd.dev.sigstore.bundle+json;charset=utf-8",
            "application/vnd.dev.sigstore.bundle+json;version=0.1;x=y",
            "application/vnd.dev.sigstore.bundle.v0.4+json",
            "application/vnd.dev.sigstore.bundle.v0.3+json;version=0.3",
            "application/vnd.dev.cosign.simplesigning.v1+json",
            "application/vnd.cncf.notary.signature",
            "",
        ] {
            assert!(!is_bundle_type(no), "{no}");
        }
    }

    #[test]
    fn arbitrary_headers_never_panic() {
        for value in [
            "<",
            ">",
            "<>",
            "<>;",
            "<>;=",
            "<>;rel=\"",
            "<>;rel=\"\\",
            "\u{e9}<\u{e9}>;\u{e9}=\u{e9}",
        ] {
            let _ = parse_links(value);
        }
    }

    proptest::proptest! {
        #[test]
        fn link_parsing_never_panics(value in "\\PC{0,80}") {
            let _ = parse_links(&value);
            if let Some(link) = next_link(&value) {
                let _ = next_path("r.example", "a", "/v2/a/referrers/d", &link);
            }
        }
    }
}
