//! Registry facts at admission and in audits (docs/registry.md#at-admission): what `bona serve
//! --registry` and `bona audit --registry` add to the static facts of an image, through one
//! client, a bounded single-flight cache and a deadline.
//!
//! - **Static first.** Each top-level fact comes from the static facts (inline, else the
//!   `--facts` document) when present, else from the registry; lists are never merged, and
//!   only what is missing is asked for. A static entry found by a key other than the image's
//!   digest applies only if its `digest` is absent or is the digest the registry resolved.
//! - **The digest** is the reference's, else the registry's resolution of its tag, else the
//!   static facts'.
//! - **The cache** has one part per kind, each with its lifetime: tag → digest `tag_ttl`;
//!   platform facts `facts_ttl`; evidence lists `facts_ttl` when every list is complete and
//!   non-empty, else `tag_ttl` (a deploy racing CI's `cosign sign` is not refused for long);
//!   failures 10 s. Keys hold the registry, repository, platforms and the credentials in use.
//! - **The deadline** bounds each admission: what has not arrived by then is unknown, with a
//!   note naming the registry and what went wrong, while the fetch goes on and fills the cache.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use bona_runtime::facts::{FactsDocument, ImageFacts, TagClaim};
use bona_runtime::reference::Reference;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::cache::{Cache, Fetched, Limits, Lookup};
use crate::client::{Client, ClientOptions, FetchError};
use crate::credentials::Credentials;
use crate::evidence::{List, evidence};
use crate::facts::{ImageError, ReadOptions};
use crate::fetch::{self, Repo};
use crate::manifest::Platform;
use crate::platform_facts::{PlatformFacts, platform_facts};

/// How long a failure is remembered: a failing registry is asked again soon, not hammered.
pub const FAILURE_TTL: Duration = Duration::from_secs(10);

/// `bona serve --registry`'s knobs.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    pub read: ReadOptions,
    /// `--registry-deadline`: the longest the registry may hold up one admission.
    pub deadline: Duration,
    /// `--tag-ttl`.
    pub tag_ttl: Duration,
    /// `--facts-ttl`.
    pub facts_ttl: Duration,
    /// `--cache-entries` and `--cache-bytes`, shared by the kinds.
    pub cache: Limits,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            read: ReadOptions::default(),
            deadline: Duration::from_secs(3),
            tag_ttl: Duration::from_secs(60),
            facts_ttl: Duration::from_secs(600),
            cache: Limits::default(),
        }
    }
}

/// The kinds of cached facts, each its own cache (and metrics label).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Tag,
    Content,
    Evidence,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Tag, Kind::Content, Kind::Evidence];

    pub fn label(self) -> &'static str {
        match self {
            Kind::Tag => "tag",
            Kind::Content => "content",
            Kind::Evidence => "evidence",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    registry: String,
    repository: String,
    /// A tag, or a digest.
    what: String,
    platforms: String,
    /// Which credentials were in use: a reload does not serve what other ones fetched.
    credentials: u64,
}

/// An image whose platform facts are read: its digest, its top manifest when already in hand,
/// and the platforms that count.
struct Platformed<'a> {
    digest: &'a str,
    manifest: Option<(String, Arc<Vec<u8>>)>,
    platforms: &'a [Platform],
}

/// A tag's resolution.
#[derive(Clone, Debug)]
struct Resolved {
    digest: String,
    media_type: String,
    body: Arc<Vec<u8>>,
}

/// What the registry gave of one kind, with the notes of what it did not.
#[derive(Clone, Debug, Default)]
struct Part {
    facts: ImageFacts,
    notes: Vec<String>,
}

/// Why a fetch gave nothing: the reason shown, and the metrics' labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub registry: String,
    pub kind: &'static str,
    pub reason: String,
}

impl Failure {
    fn of(registry: &str, e: &ImageError) -> Failure {
        let kind = match e {
            ImageError::NotFound => "not_found",
            ImageError::Content(_) => "integrity",
            ImageError::Fetch(f) => match f {
                FetchError::Refused(_) => "refused",
                FetchError::Connect { .. } => "connect",
                FetchError::Timeout { .. } => "timeout",
                FetchError::Unauthorized { .. } | FetchError::Auth { .. } => "auth",
                FetchError::Status { .. } => "status",
                FetchError::Redirect { .. } => "redirect",
                FetchError::TooLarge { .. } => "too_large",
                FetchError::RateLimited { .. } => "rate_limited",
            },
        };
        let reason = match e {
            ImageError::Fetch(FetchError::Status {
                registry, status, ..
            }) => format!("{registry} answered {status}"),
            other => other.to_string(),
        };
        Failure {
            registry: registry.to_owned(),
            kind,
            reason,
        }
    }
}

/// The facts to decide one image with, and why some are missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Static and registry facts merged; `None` when nothing is known.
    pub facts: Option<ImageFacts>,
    /// What the registry could not give, each naming the registry and how it failed.
    pub notes: Vec<String>,
}

/// The registry side of admissions and audits; shared by every request.
pub struct Live {
    client: RwLock<(Arc<Client>, u64)>,
    /// Where the credentials come from, to read them again when they change.
    credentials: Option<CredentialsFile>,
    options: LiveOptions,
    tags: Cache<Key, Resolved, Failure>,
    /// Every tag → digest seen, for `--facts-ttl`: what makes a tag claim good.
    seen: Cache<Key, (), Failure>,
    content: Cache<Key, Arc<Part>, Failure>,
    evidence: Cache<Key, Arc<Part>, Failure>,
    metrics: LiveMetrics,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Live {
    pub fn new(client: Client, options: LiveOptions) -> Live {
        // The bounds are shared: each kind gets a third.
        let third = Limits {
            entries: (options.cache.entries / 3).max(1),
            bytes: (options.cache.bytes / 3).max(1),
            max_flight: options.cache.max_flight,
        };
        Live {
            client: RwLock::new((Arc::new(client), 0)),
            credentials: None,
            tags: Cache::new(third),
            seen: Cache::new(third),
            content: Cache::new(third),
            evidence: Cache::new(third),
            options,
            metrics: LiveMetrics::default(),
        }
    }

    pub fn options(&self) -> &LiveOptions {
        &self.options
    }

    /// Reads the credentials again from `path` when [`Live::reload_credentials`] finds it
    /// changed; `options` (their own credentials aside) make the new client.
    #[must_use]
    pub fn with_credentials_file(mut self, path: PathBuf, options: ClientOptions) -> Live {
        let seen = std::fs::read(&path).map(|b| fingerprint(&b)).ok();
        self.credentials = Some(CredentialsFile {
            path,
            options,
            seen: Mutex::new(seen),
        });
        self
    }

    /// Re-reads the credentials file when its contents changed: `None` when there is none or
    /// it did not change, else whether the new credentials are in use. A file that cannot be
    /// read keeps the credentials in use.
    pub fn reload_credentials(&self) -> Option<Result<(), String>> {
        let file = self.credentials.as_ref()?;
        let bytes = match std::fs::read(&file.path) {
            Ok(bytes) => bytes,
            Err(e) => return Some(Err(format!("{}: {e}", file.path.display()))),
        };
        let now = fingerprint(&bytes);
        let mut seen = file.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if *seen == Some(now) {
            return None;
        }
        *seen = Some(now);
        let loaded = Credentials::from_bytes(&bytes)
            .map_err(|e| format!("{}: {e}", file.path.display()))
            .and_then(|credentials| {
                Client::new(ClientOptions {
                    credentials,
                    ..file.options.clone()
                })
            });
        Some(loaded.map(|client| self.replace_client(client)))
    }

    /// Replaces the client (new credentials): entries fetched with the old ones are not
    /// served again.
    pub fn replace_client(&self, client: Client) {
        let mut guard = self.client.write().unwrap_or_else(PoisonError::into_inner);
        guard.0 = Arc::new(client);
        guard.1 += 1;
    }

    fn client(&self) -> (Arc<Client>, u64) {
        let guard = self.client.read().unwrap_or_else(PoisonError::into_inner);
        (Arc::clone(&guard.0), guard.1)
    }

    /// The deadline of one admission: `--registry-deadline`, shortened to the API server's
    /// own `timeout` less 500 ms when it gives one.
    pub fn deadline(&self, api_timeout: Option<Duration>) -> Duration {
        let own = self.options.deadline;
        api_timeout.map_or(own, |t| {
            own.min(t.saturating_sub(Duration::from_millis(500)))
        })
    }

    /// The facts of every image, read concurrently, each by `deadline`.
    pub async fn images(
        &self,
        images: &[(Reference, Option<ImageFacts>)],
        document: Option<&FactsDocument>,
        deadline: Instant,
    ) -> Vec<Outcome> {
        self.images_on(images, document, deadline, None).await
    }

    /// As [`Live::images`], the platform facts read for `platform` rather than `--platform`
    /// (at admission, the one a pod's `nodeSelector` names).
    pub async fn images_on(
        &self,
        images: &[(Reference, Option<ImageFacts>)],
        document: Option<&FactsDocument>,
        deadline: Instant,
        platform: Option<&Platform>,
    ) -> Vec<Outcome> {
        let platforms = match platform {
            Some(p) => std::slice::from_ref(p),
            None => self.options.read.platforms.as_slice(),
        };
        futures::future::join_all(images.iter().map(|(reference, inline)| {
            let (stated, by_digest) = match inline {
                Some(facts) => (Some(facts), false),
                None => statics(reference, document),
            };
            self.image(reference, stated, by_digest, deadline, platforms)
        }))
        .await
    }

    /// One image's facts: `stated` are its static facts, found under its digest when
    /// `by_digest`; platform facts are those of `platforms`.
    async fn image(
        &self,
        reference: &Reference,
        stated: Option<&ImageFacts>,
        by_digest: bool,
        deadline: Instant,
        platforms: &[Platform],
    ) -> Outcome {
        let mut notes = Vec::new();
        let registry = reference.registry();
        let (client, credentials) = self.client();
        if let Err(e) = client.allowed(registry) {
            self.metrics.failed("other", "refused");
            notes.push(format!("registry facts: {e}"));
            return Outcome {
                facts: stated.cloned(),
                notes,
            };
        }
        let repo = Repo {
            registry,
            repository: reference.repository(),
        };
        // Made once: every key of this image carries it (up to three lookups per admission).
        let platforms_key = platforms_key(platforms);
        let key = |what: &str| Key {
            registry: registry.to_owned(),
            repository: reference.repository().to_owned(),
            what: what.to_owned(),
            platforms: platforms_key.clone(),
            credentials,
        };
        let resolved = match reference.digest() {
            Some(_) => None,
            None if reference.tag().is_none() => None,
            None => {
                let tag = reference.tag().unwrap_or("latest");
                match self.resolve(&client, repo, key(tag), tag, deadline).await {
                    Ok(r) => Some(r),
                    Err(note) => {
                        notes.push(note);
                        None
                    }
                }
            }
        };
        let digest = reference
            .digest()
            .map(str::to_owned)
            .or_else(|| resolved.as_ref().map(|r| r.digest.clone()));
        let mut stated = stated.cloned();
        if let (false, Some(resolved), Some(fact)) = (
            by_digest,
            resolved.as_ref(),
            stated.as_ref().and_then(|f| f.digest.as_deref()),
        ) && fact != resolved.digest
        {
            notes.push(format!(
                "the static facts of {reference} are for {fact}, but the registry names {}: \
                 they are ignored",
                resolved.digest
            ));
            stated = None;
        }
        let Some(digest) = digest.or_else(|| stated.as_ref().and_then(|f| f.digest.clone())) else {
            return Outcome {
                facts: stated,
                notes,
            };
        };
        let wants_content = stated.as_ref().is_none_or(|f| {
            f.labels.is_none()
                || f.created.is_none()
                || f.layers.is_none()
                || f.declared_base.is_none()
        });
        let wants_evidence = stated
            .as_ref()
            .is_none_or(|f| f.signatures.is_none() || f.attestations.is_none());
        let content = async {
            if !wants_content {
                return None;
            }
            let body = resolved
                .as_ref()
                .map(|r| (r.media_type.clone(), Arc::clone(&r.body)));
            let image = Platformed {
                digest: &digest,
                manifest: body,
                platforms,
            };
            Some(
                self.content(&client, repo, key(&digest), image, deadline)
                    .await,
            )
        };
        let evidence = async {
            if !wants_evidence {
                return None;
            }
            let signatures = self
                .options
                .read
                .signature_repositories
                .iter()
                .find_map(|s| s.target_of(repo.registry, repo.repository));
            let repo = signatures.map_or(repo, |(registry, repository)| Repo {
                registry,
                repository,
            });
            let mut k = key(&digest);
            k.registry = repo.registry.to_owned();
            k.repository = repo.repository.to_owned();
            k.platforms = String::new();
            Some(self.evidence(&client, repo, k, &digest, deadline).await)
        };
        let claim = async {
            match (reference.tag(), reference.digest()) {
                (Some(tag), Some(pinned)) => Some(
                    self.claim(&client, repo, key(tag), tag, pinned, deadline)
                        .await,
                ),
                _ => None,
            }
        };
        let (content, evidence, claim) = tokio::join!(content, evidence, claim);
        // Written even for a pinned reference: an audit keeps these facts under the reference
        // as written, which may not carry the digest that runs.
        let mut facts = stated.unwrap_or_default();
        facts.digest = Some(digest);
        if let Some((claim, note)) = claim {
            facts.tag_claim = claim;
            notes.extend(note);
        }
        for part in [content, evidence] {
            match part {
                Some(Ok(part)) => {
                    merge(&mut facts, &part.facts);
                    notes.extend(part.notes.iter().cloned());
                }
                Some(Err(note)) => notes.push(note),
                None => {}
            }
        }
        if !facts.incomplete.is_empty() {
            self.metrics.shared.partial.fetch_add(1, Relaxed);
        }
        Outcome {
            facts: (facts != ImageFacts::default()).then_some(facts),
            notes,
        }
    }

    /// The digest a tag names now (or within `tag_ttl`): for `/mutate`.
    ///
    /// # Errors
    /// The note saying why it is not known.
    pub async fn digest_of(
        &self,
        reference: &Reference,
        deadline: Instant,
    ) -> Result<String, String> {
        let (client, credentials) = self.client();
        client
            .allowed(reference.registry())
            .map_err(|e| e.to_string())?;
        let tag = reference.tag().unwrap_or("latest");
        let key = Key {
            registry: reference.registry().to_owned(),
            repository: reference.repository().to_owned(),
            what: tag.to_owned(),
            platforms: platforms_key(&self.options.read.platforms),
            credentials,
        };
        let repo = Repo {
            registry: reference.registry(),
            repository: reference.repository(),
        };
        self.resolve(&client, repo, key, tag, deadline)
            .await
            .map(|r| r.digest)
    }

    /// What the registry says of `tag` beside the digest `pinned` (docs/registry.md#tags-are-claims):
    /// good when it names `pinned` now or did within `--facts-ttl`.
    async fn claim(
        &self,
        client: &Arc<Client>,
        repo: Repo<'_>,
        key: Key,
        tag: &str,
        pinned: &str,
        deadline: Instant,
    ) -> (TagClaim, Option<String>) {
        let seen_key = Key {
            what: format!("{tag}@{pinned}"),
            ..key.clone()
        };
        let seen = self.seen.peek(&seen_key).is_some();
        match self.resolve(client, repo, key, tag, deadline).await {
            Ok(r) if r.digest == pinned || seen => (TagClaim::Confirmed, None),
            Ok(r) => (
                TagClaim::Denied,
                Some(format!(
                    "{} names {} under the tag {tag}, not the digest pinned",
                    repo.registry, r.digest
                )),
            ),
            Err(_) if seen => (TagClaim::Confirmed, None),
            Err(note) => (TagClaim::Unknown, Some(note)),
        }
    }

    async fn resolve(
        &self,
        client: &Arc<Client>,
        repo: Repo<'_>,
        key: Key,
        tag: &str,
        deadline: Instant,
    ) -> Result<Resolved, String> {
        let (client, owned, tag) = (Arc::clone(client), repo.owned(), tag.to_owned());
        let ttl = self.options.tag_ttl;
        let key_of_tag = key.clone();
        let metrics = self.metrics.clone_handle();
        let lookup = self
            .tags
            .get_or_fetch(key, deadline, || async move {
                let read = fetch::by_tag(&client, owned.repo(), &tag);
                match metrics.timed(read).await {
                    Ok(t) => {
                        let bytes = t.body.len() + t.digest.len() + 64;
                        let resolved = Resolved {
                            digest: t.digest,
                            media_type: t.media_type,
                            body: Arc::new(t.body),
                        };
                        Fetched::value(resolved, ttl, bytes)
                    }
                    Err(e) => Fetched::failure(Failure::of(&owned.registry, &e), FAILURE_TTL),
                }
            })
            .await;
        // Each fresh resolution is remembered (a hit was, when it was fetched).
        let fresh = matches!(lookup, Lookup::Fetched(_));
        let answer = self.answer(Kind::Tag, repo.registry, lookup);
        if let (true, Ok(resolved)) = (fresh, &answer) {
            let seen = Key {
                what: format!("{}@{}", key_of_tag.what, resolved.digest),
                ..key_of_tag
            };
            self.seen
                .insert(seen, Fetched::value((), self.options.facts_ttl, 64));
        }
        answer
    }

    async fn content(
        &self,
        client: &Arc<Client>,
        repo: Repo<'_>,
        key: Key,
        image: Platformed<'_>,
        deadline: Instant,
    ) -> Result<Arc<Part>, String> {
        let (client, owned, digest, manifest) = (
            Arc::clone(client),
            repo.owned(),
            image.digest.to_owned(),
            image.manifest,
        );
        let (platforms, ttl) = (image.platforms.to_vec(), self.options.facts_ttl);
        let metrics = self.metrics.clone_handle();
        let lookup = self
            .content
            .get_or_fetch(key, deadline, || async move {
                let repo = owned.repo();
                let read = async {
                    let (media_type, body) = match manifest {
                        Some((media_type, body)) => (media_type, body),
                        None => {
                            let (t, b) = fetch::manifest_by_digest(&client, repo, &digest).await?;
                            (t, Arc::new(b))
                        }
                    };
                    platform_facts(&client, repo, &media_type, &body, &platforms).await
                };
                match metrics.timed(read).await {
                    Ok(found) => {
                        let part = content_part(&found);
                        Fetched::value(Arc::new(part), ttl, 1024)
                    }
                    Err(e) => Fetched::failure(Failure::of(&owned.registry, &e), FAILURE_TTL),
                }
            })
            .await;
        self.answer(Kind::Content, repo.registry, lookup)
    }

    async fn evidence(
        &self,
        client: &Arc<Client>,
        repo: Repo<'_>,
        key: Key,
        digest: &str,
        deadline: Instant,
    ) -> Result<Arc<Part>, String> {
        let (client, owned, digest) = (Arc::clone(client), repo.owned(), digest.to_owned());
        let (tag_ttl, facts_ttl) = (self.options.tag_ttl, self.options.facts_ttl);
        let metrics = self.metrics.clone_handle();
        let lookup = self
            .evidence
            .get_or_fetch(key, deadline, || async move {
                let read = evidence(&client, owned.repo(), &digest);
                let (signatures, attestations) = metrics.timed(read).await;
                match evidence_part(&owned.registry, &signatures, &attestations) {
                    Ok((part, bytes)) => {
                        let settled = [&signatures, &attestations]
                            .iter()
                            .all(|l| l.failures.is_empty() && !l.entries.is_empty());
                        let ttl = if settled { facts_ttl } else { tag_ttl };
                        Fetched::value(Arc::new(part), ttl, bytes)
                    }
                    Err(failure) => Fetched::failure(failure, FAILURE_TTL),
                }
            })
            .await;
        self.answer(Kind::Evidence, repo.registry, lookup)
    }

    /// A lookup as a value or the note saying why there is none; counted.
    fn answer<V>(
        &self,
        kind: Kind,
        registry: &str,
        lookup: Lookup<V, Failure>,
    ) -> Result<V, String> {
        self.metrics.looked_up(kind, lookup.is_hit());
        match lookup {
            Lookup::Hit(v) | Lookup::Fetched(v) => Ok(v),
            Lookup::CachedFailure(f) | Lookup::Failed(f) => {
                self.metrics.failed(&f.registry, f.kind);
                Err(f.reason)
            }
            Lookup::TimedOut => {
                self.metrics.failed(registry, "deadline");
                Err(format!(
                    "no answer from {registry} within {}",
                    seconds(self.options.deadline)
                ))
            }
            Lookup::Abandoned => {
                self.metrics.failed(registry, "timeout");
                Err(format!(
                    "no answer from {registry} within {}",
                    seconds(self.options.cache.max_flight)
                ))
            }
            Lookup::Panicked => {
                self.metrics.failed(registry, "internal");
                Err(format!(
                    "reading from {registry} failed (this is a bug in Bona)"
                ))
            }
        }
    }

    /// The Prometheus series of the registry side (docs/serve.md#metrics).
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write as _;
        let caches: [(Kind, crate::cache::Stats); 3] = [
            (Kind::Tag, self.tags.stats()),
            (Kind::Content, self.content.stats()),
            (Kind::Evidence, self.evidence.stats()),
        ];
        let _ = writeln!(
            out,
            "# HELP bona_registry_cache_requests_total Registry facts asked of the cache, by kind and result.\n\
             # TYPE bona_registry_cache_requests_total counter"
        );
        for (kind, stats) in &caches {
            let _ = writeln!(
                out,
                "bona_registry_cache_requests_total{{kind=\"{0}\",result=\"hit\"}} {1}\n\
                 bona_registry_cache_requests_total{{kind=\"{0}\",result=\"miss\"}} {2}",
                kind.label(),
                stats.hits,
                stats.misses
            );
        }
        let _ = writeln!(
            out,
            "# HELP bona_registry_cache_entries Entries in the registry cache, by kind.\n\
             # TYPE bona_registry_cache_entries gauge"
        );
        for (kind, stats) in &caches {
            let _ = writeln!(
                out,
                "bona_registry_cache_entries{{kind=\"{}\"}} {}",
                kind.label(),
                stats.entries
            );
        }
        self.metrics.render(out);
    }
}

/// A credentials file and what was last read from it.
struct CredentialsFile {
    path: PathBuf,
    options: ClientOptions,
    seen: Mutex<Option<u64>>,
}

fn fingerprint(bytes: &[u8]) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// The static facts of `reference` in `document`, and whether they were found under its
/// digest (docs/images.md#facts-lookup).
fn statics<'d>(
    reference: &Reference,
    document: Option<&'d FactsDocument>,
) -> (Option<&'d ImageFacts>, bool) {
    let Some(document) = document else {
        return (None, false);
    };
    if let Some(facts) = reference.digest().and_then(|d| document.get(d)) {
        return (Some(facts), true);
    }
    (document.lookup(reference), false)
}

/// Fills the facts `into` lacks from `from`. Lists are taken whole, with their completeness.
fn merge(into: &mut ImageFacts, from: &ImageFacts) {
    if into.labels.is_none() {
        into.labels.clone_from(&from.labels);
    }
    if into.created.is_none() {
        into.created = from.created;
    }
    if into.layers.is_none() {
        into.layers.clone_from(&from.layers);
    }
    if into.declared_base.is_none() {
        into.declared_base.clone_from(&from.declared_base);
    }
    if into.signatures.is_none() && from.signatures.is_some() {
        into.signatures.clone_from(&from.signatures);
        into.incomplete.signatures = from.incomplete.signatures;
    }
    if into.attestations.is_none() && from.attestations.is_some() {
        into.attestations.clone_from(&from.attestations);
        into.incomplete.attestations = from.incomplete.attestations;
    }
}

/// Platform facts as runtime facts; a fact the runtime would not read is left out.
fn content_part(found: &PlatformFacts) -> Part {
    let mut object = Map::new();
    if let Some(labels) = &found.labels {
        object.insert("labels".into(), json!(labels));
    }
    for (name, value) in [
        ("created", &found.created),
        ("declared_base", &found.declared_base),
    ] {
        if let Some(value) = value {
            object.insert(name.into(), Value::String(value.clone()));
        }
    }
    if let Some(layers) = &found.layers {
        object.insert("layers".into(), json!(layers));
    }
    let mut part = Part::default();
    for (name, value) in object {
        let one = Value::Object(Map::from_iter([(name, value)]));
        if let Ok(facts) = serde_json::from_value::<ImageFacts>(one) {
            merge(&mut part.facts, &facts);
        }
    }
    part
}

/// Evidence lists as runtime facts, each entry read on its own (one the runtime cannot read
/// could never verify, and is left out); a failure when no source answered at all.
fn evidence_part(
    registry: &str,
    signatures: &List,
    attestations: &List,
) -> Result<(Part, usize), Failure> {
    if !signatures.answered && !attestations.answered {
        let reason = signatures
            .failures
            .first()
            .or(attestations.failures.first())
            .cloned()
            .unwrap_or_else(|| format!("{registry} gave no signatures"));
        return Err(Failure {
            registry: registry.to_owned(),
            kind: "evidence",
            reason,
        });
    }
    let mut part = Part::default();
    let mut bytes = 0;
    for (name, list) in [("signatures", signatures), ("attestations", attestations)] {
        let Some((entries, complete)) = list.known() else {
            part.notes
                .extend(list.failures.iter().map(|f| format!("{name}: {f}")));
            continue;
        };
        let mut read = ImageFacts::default();
        for entry in entries {
            bytes += entry.to_string().len();
            let one = json!({ name: [entry] });
            if let Ok(facts) = serde_json::from_value::<ImageFacts>(one) {
                read.signatures
                    .get_or_insert_with(Vec::new)
                    .extend(facts.signatures.unwrap_or_default());
                read.attestations
                    .get_or_insert_with(Vec::new)
                    .extend(facts.attestations.unwrap_or_default());
            }
        }
        if name == "signatures" {
            part.facts.signatures = Some(read.signatures.unwrap_or_default());
            part.facts.incomplete.signatures = !complete;
        } else {
            part.facts.attestations = Some(read.attestations.unwrap_or_default());
            part.facts.incomplete.attestations = !complete;
        }
        part.notes
            .extend(list.failures.iter().map(|f| format!("{name}: {f}")));
    }
    Ok((part, bytes.max(64)))
}

fn platforms_key(platforms: &[Platform]) -> String {
    platforms
        .iter()
        .map(|p| {
            format!(
                "{}/{}/{}",
                p.os,
                p.architecture,
                p.variant.as_deref().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `3 s`, `0.5 s`.
fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// Upper bounds (seconds) of the registry latency histogram.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// The registry side's own counters.
#[derive(Debug, Default)]
struct LiveMetrics {
    shared: Arc<MetricsInner>,
}

#[derive(Debug, Default)]
struct MetricsInner {
    lookups: [[AtomicU64; 2]; 3],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
    /// (registry or `other`, kind) → failures.
    failures: Mutex<BTreeMap<(String, &'static str), u64>>,
    partial: AtomicU64,
}

impl LiveMetrics {
    fn clone_handle(&self) -> LiveMetrics {
        LiveMetrics {
            shared: Arc::clone(&self.shared),
        }
    }

    fn looked_up(&self, kind: Kind, hit: bool) {
        let k = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        if let Some(slot) = self
            .shared
            .lookups
            .get(k)
            .and_then(|s| s.get(usize::from(!hit)))
        {
            slot.fetch_add(1, Relaxed);
        }
    }

    /// `read`, its time observed.
    async fn timed<T>(&self, read: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let done = read.await;
        self.observe(started.elapsed());
        done
    }

    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.shared.buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.shared.count.fetch_add(1, Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.shared.sum_nanos.fetch_add(nanos, Relaxed);
    }

    fn failed(&self, registry: &str, kind: &'static str) {
        let mut failures = self
            .shared
            .failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *failures.entry((registry.to_owned(), kind)).or_default() += 1;
    }

    fn render(&self, out: &mut String) {
        use std::fmt::Write as _;
        let get = |a: &AtomicU64| a.load(Relaxed);
        let _ = writeln!(
            out,
            "# HELP bona_registry_fetch_duration_seconds Time the registry took to give one kind of facts of one image.\n\
             # TYPE bona_registry_fetch_duration_seconds histogram"
        );
        for (bucket, bound) in self.shared.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "bona_registry_fetch_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let count = get(&self.shared.count);
        let sum = get(&self.shared.sum_nanos) as f64 / 1e9;
        let _ = writeln!(
            out,
            "bona_registry_fetch_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n\
             bona_registry_fetch_duration_seconds_sum {sum}\n\
             bona_registry_fetch_duration_seconds_count {count}\n\
             # HELP bona_registry_failures_total Registry facts not obtained, by registry and kind of failure.\n\
             # TYPE bona_registry_failures_total counter"
        );
        let failures = self
            .shared
            .failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for ((registry, kind), n) in failures.iter() {
            let _ = writeln!(
                out,
                "bona_registry_failures_total{{registry=\"{}\",kind=\"{kind}\"}} {n}",
                label_value(registry)
            );
        }
        drop(failures);
        let _ = writeln!(
            out,
            "# HELP bona_registry_partial_evidence_total Images judged on partial signatures or attestations.\n\
             # TYPE bona_registry_partial_evidence_total counter\n\
             bona_registry_partial_evidence_total {}",
            get(&self.shared.partial)
        );
    }
}

/// A Prometheus label value with `\`, `"` and newlines escaped.
fn label_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allow::RegistryAllow;

    fn options() -> ClientOptions {
        ClientOptions {
            allow: RegistryAllow::new(["r.io"]).unwrap_or_default(),
            insecure: vec!["r.io".into()],
            ..ClientOptions::default()
        }
    }

    #[test]
    fn credentials_are_read_again_when_they_change() {
        let dir = std::env::temp_dir().join(format!("bona-live-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("config.json");
        std::fs::write(&path, r#"{"auths": {}}"#).unwrap();
        let client = Client::new(options()).unwrap();
        let live = Live::new(client, LiveOptions::default())
            .with_credentials_file(path.clone(), options());
        // Unchanged: nothing to do, the client and its cache entries stay.
        assert_eq!(live.reload_credentials(), None);
        assert_eq!(live.client().1, 0);
        std::fs::write(&path, r#"{"auths": {"r.io": {"auth": "dTpw"}}}"#).unwrap();
        assert_eq!(live.reload_credentials(), Some(Ok(())));
        assert_eq!(live.client().1, 1);
        assert_eq!(live.reload_credentials(), None);
        // A broken edit keeps the credentials in use, and says why.
        std::fs::write(&path, "{").unwrap();
        let e = live
            .reload_credentials()
            .and_then(Result::err)
            .unwrap_or_default();
        assert!(e.contains("config.json: not JSON"), "{e}");
        assert_eq!(live.client().1, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_deadline_is_the_shorter_of_ours_and_the_api_servers() {
        let live = Live::new(Client::new(options()).unwrap(), LiveOptions::default());
        assert_eq!(live.deadline(None), Duration::from_secs(3));
        assert_eq!(
            live.deadline(Some(Duration::from_secs(10))),
            Duration::from_secs(3)
        );
        assert_eq!(
            live.deadline(Some(Duration::from_secs(2))),
            Duration::from_millis(1_500)
        );
        assert_eq!(
            live.deadline(Some(Duration::from_millis(300))),
            Duration::ZERO
        );
    }
}
