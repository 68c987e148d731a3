//! Reference patterns for `image matches P` and `base matches P` (docs/images.md#patterns and 4.5).
//!
//! A reference pattern is written like a reference, `[registry/]repository[:tag][@digest]`, with a
//! glob in each part, and is normalised *literally* the way a reference is: `alpine` means
//! `docker.io/library/alpine` and `*` means `docker.io/library/*`, not "any image". Normalising the
//! text instead of guessing intent keeps one rule for references and patterns; the compiler uses
//! [`Normalised`] to warn where the literal reading is probably not what the author meant.
//!
//! The text is split like a reference: the digest after the first `@`, the tag after the last `:`
//! that follows the last `/`, and the first `/`-separated component is the registry when it
//! contains `.` or `:`, is `localhost`, or has an upper-case letter. Wildcards take part in that
//! test as plain characters, so `*.company.com/**` has the registry glob `*.company.com` while
//! `*/app` is the Docker Hub namespace `*`.
//!
//! Matching compares the parts separately and combines them with Kleene `and` ([`Tri`]): registry
//! and repository are always known, so a mismatch there makes the whole match false even when the
//! tag or digest is unknown; a tag or digest part that the pattern has is unknown when the image's
//! tag or digest is. docs/images.md#patterns's example — `production/alpine:1.2.3` against
//! `production/alpine@sha256:…` with no facts — is therefore unknown, not false.

use std::fmt;
use std::hash::{Hash, Hasher};

use crate::glob::{Glob, GlobError};
use crate::reference::{
    DOCKER_HUB, Parts, Reference, is_registry_like, is_valid_digest, normalise_registry,
    split_parts,
};
use crate::tri::Tri;

/// A parsed, normalised reference pattern.
///
/// Equality and hashing compare the normalised parts, so `alpine` and `docker.io/library/alpine`
/// are equal patterns; serialisation keeps the text as written.
#[derive(Clone, Debug)]
pub struct ReferencePattern {
    source: String,
    registry: Glob,
    repository: Glob,
    tag: Option<Glob>,
    digest: Option<Glob>,
}

/// What normalisation added to a pattern, for the compiler's warnings (docs/images.md).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Normalised {
    /// No registry was written, so `docker.io/` was added.
    pub added_registry: bool,
    /// The repository was a single component on `docker.io`, so `library/` was added.
    pub added_library: bool,
    /// The component next to what normalisation adds holds a wildcard: the pattern's first
    /// component when no registry is written, else the first component after the registry.
    /// `*`, `*/app` and `docker.io/**` all set it.
    pub first_component_has_glob: bool,
}

impl Normalised {
    /// Whether normalisation added `docker.io/` or `library/` next to a wildcard, the case the
    /// compiler warns about.
    #[must_use]
    pub fn is_surprising(&self) -> bool {
        (self.added_registry || self.added_library) && self.first_component_has_glob
    }
}

/// Why a string is not a reference pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PatternError {
    /// The 1-based character position of the offending character in the pattern.
    pub position: usize,
    /// One lower-case sentence saying what is wrong.
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid reference pattern at character {}: {}",
            self.position, self.message
        )
    }
}

impl std::error::Error for PatternError {}

/// What is known about an image's tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tags<'a> {
    /// The reference's own tag (written, or the implied `latest`).
    One(&'a str),
    /// The facts' `tags` of a digest-only reference; a tag part matches if it matches one of them,
    /// and an empty list is known and matches nothing.
    Many(&'a [String]),
    /// Nothing is known about the tag.
    Unknown,
}

impl<'a> Tags<'a> {
    /// The tags docs/language.md#attributes gives an image: the reference's tag (implied `latest` included), else the
    /// facts' `tags` for a digest-only reference, else unknown.
    #[must_use]
    pub fn of(reference: &'a Reference, facts_tags: Option<&'a [String]>) -> Tags<'a> {
        match (reference.tag(), facts_tags) {
            (Some(tag), _) => Tags::One(tag),
            (None, Some(tags)) => Tags::Many(tags),
            (None, None) => Tags::Unknown,
        }
    }

    /// Whether the glob matches one of the tags; unknown when the tags are.
    #[must_use]
    pub fn matched_by(&self, glob: &Glob) -> Tri {
        match self {
            Tags::One(tag) => Tri::from(glob.matches(tag)),
            Tags::Many(tags) => Tri::from(tags.iter().any(|tag| glob.matches(tag))),
            Tags::Unknown => Tri::Unknown,
        }
    }
}

/// A problem found while parsing: the byte offset of the offending character and the message.
type Fault = (usize, String);

impl ReferencePattern {
    /// Parses and normalises a pattern, reporting what normalisation added.
    ///
    /// # Errors
    /// A [`PatternError`] for an empty pattern or part, `***`, upper case in the repository, or a
    /// digest without wildcards that is not a valid digest.
    pub fn parse(s: &str) -> Result<(ReferencePattern, Normalised), PatternError> {
        parse_pattern(s).map_err(|(offset, message)| PatternError {
            position: s.get(..offset).map_or(1, |p| p.chars().count() + 1),
            message,
        })
    }

    /// The pattern as written.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The registry glob, lower case (`docker.io` when none was written).
    #[must_use]
    pub fn registry(&self) -> &Glob {
        &self.registry
    }

    /// The repository glob, with `library/` added where due.
    #[must_use]
    pub fn repository(&self) -> &Glob {
        &self.repository
    }

    /// The tag glob, if the pattern has one.
    #[must_use]
    pub fn tag(&self) -> Option<&Glob> {
        self.tag.as_ref()
    }

    /// The digest glob, if the pattern has one.
    #[must_use]
    pub fn digest(&self) -> Option<&Glob> {
        self.digest.as_ref()
    }

    /// Matches an image part by part (docs/images.md#patterns). `registry` and `repository` are the image's
    /// normalised ones (the registry is compared ignoring ASCII case all the same); the tag part
    /// is only consulted when the pattern has one, likewise the digest part, which is unknown when
    /// `digest` is `None`.
    #[must_use]
    pub fn matches(
        &self,
        registry: &str,
        repository: &str,
        tags: Tags<'_>,
        digest: Option<&str>,
    ) -> Tri {
        let name = self.registry.matches_ignore_ascii_case(registry)
            && self.repository.matches(repository);
        if !name {
            return Tri::False;
        }
        let tag = self
            .tag
            .as_ref()
            .map_or(Tri::True, |glob| tags.matched_by(glob));
        let digest = match (&self.digest, digest) {
            (None, _) => Tri::True,
            (Some(glob), Some(digest)) => Tri::from(glob.matches(digest)),
            (Some(_), None) => Tri::Unknown,
        };
        tag.and(digest)
    }

    /// Matches a parsed reference, taking the tags from it or from the facts (see [`Tags::of`])
    /// and the digest from it or else from the facts.
    #[must_use]
    pub fn matches_reference(
        &self,
        reference: &Reference,
        facts_tags: Option<&[String]>,
        facts_digest: Option<&str>,
    ) -> Tri {
        self.matches(
            reference.registry(),
            reference.repository(),
            Tags::of(reference, facts_tags),
            reference.digest().or(facts_digest),
        )
    }
}

impl PartialEq for ReferencePattern {
    fn eq(&self, other: &Self) -> bool {
        self.registry == other.registry
            && self.repository == other.repository
            && self.tag == other.tag
            && self.digest == other.digest
    }
}

impl Eq for ReferencePattern {}

impl Hash for ReferencePattern {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.registry.hash(state);
        self.repository.hash(state);
        self.tag.hash(state);
        self.digest.hash(state);
    }
}

impl fmt::Display for ReferencePattern {
    /// Prints the normalised pattern, `registry/repository[:tag][@digest]`, e.g.
    /// `docker.io/library/*` for `*`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ReferencePattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<ReferencePattern, PatternError> {
        ReferencePattern::parse(s).map(|(pattern, _)| pattern)
    }
}

impl serde::Serialize for ReferencePattern {
    /// Serialises as the pattern's text as written.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.source)
    }
}

impl<'de> serde::Deserialize<'de> for ReferencePattern {
    /// Deserialises from a string, parsing it again.
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<ReferencePattern, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses the glob `text` that starts at byte `start` of the pattern, placing errors in it.
fn glob_at(text: &str, start: usize) -> Result<Glob, Fault> {
    Glob::parse(text).map_err(|GlobError { position, message }| {
        // `position` counts characters of `text`; turn it back into a byte offset in `s`.
        let in_text = text
            .char_indices()
            .nth(position.saturating_sub(1))
            .map_or(text.len(), |(i, _)| i);
        (start + in_text, message)
    })
}

fn parse_pattern(s: &str) -> Result<(ReferencePattern, Normalised), Fault> {
    if s.is_empty() {
        return Err((0, "reference pattern is empty".to_owned()));
    }

    let Parts { name, tag, digest } = split_parts(s)?;
    let digest = match digest {
        Some((start, text)) => {
            let glob = glob_at(text, start)?;
            if glob.is_literal() && !is_valid_digest(text) {
                return Err((
                    start,
                    "digest must be sha256 with 64 lower-case hex digits or sha512 with 128"
                        .to_owned(),
                ));
            }
            Some(glob)
        }
        None => None,
    };
    let tag = match tag {
        Some((start, text)) => Some(glob_at(text, start)?),
        None => None,
    };
    if name.is_empty() {
        return Err((0, "missing repository".to_owned()));
    }

    // Every component must be non-empty; point at the `/` next to an empty one.
    let mut offset = 0;
    for component in name.split('/') {
        if component.is_empty() {
            let slash = if offset < name.len() {
                offset
            } else {
                offset.saturating_sub(1)
            };
            return Err((slash, "empty path component".to_owned()));
        }
        offset += component.len() + 1;
    }

    let (registry_text, path, path_start) = match name.find('/') {
        Some(slash) if is_registry_like(name.get(..slash).unwrap_or_default()) => (
            name.get(..slash),
            name.get(slash + 1..).unwrap_or_default(),
            slash + 1,
        ),
        _ => (None, name, 0),
    };

    let registry = match registry_text {
        // Lower-casing ASCII keeps every character where it was, so error positions still hold.
        Some(text) => glob_at(&normalise_registry(text), 0)?,
        None => Glob::parse(DOCKER_HUB).map_err(|e| (0, e.message))?,
    };

    if let Some((i, _)) = path.char_indices().find(|(_, c)| c.is_ascii_uppercase()) {
        return Err((path_start + i, "repository must be lower case".to_owned()));
    }
    let repository_glob = glob_at(path, path_start)?;

    let first_component = path.split('/').next().unwrap_or_default();
    let added_library = registry.as_str() == DOCKER_HUB && !path.contains('/');
    let repository = if added_library {
        Glob::parse(&format!("library/{path}")).map_err(|e| (path_start, e.message))?
    } else {
        repository_glob
    };
    let normalised = Normalised {
        added_registry: registry_text.is_none(),
        added_library,
        first_component_has_glob: first_component.contains(['*', '?']),
    };

    Ok((
        ReferencePattern {
            source: s.to_owned(),
            registry,
            repository,
            tag,
            digest,
        },
        normalised,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:5544c5e7cad9b8d2fba4c4e2b0a0d9a1e0ac8b3a0c47e6e0d8a9b6f5e4d3c2b1";

    fn pattern(s: &str) -> (ReferencePattern, Normalised) {
        ReferencePattern::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn p(s: &str) -> ReferencePattern {
        pattern(s).0
    }

    fn fails(s: &str, position: usize, message: &str) {
        match ReferencePattern::parse(s) {
            Ok((p, _)) => panic!("`{s}` parsed as {p}"),
            Err(e) => assert_eq!(
                (e.position, e.message.as_str()),
                (position, message),
                "`{s}`"
            ),
        }
    }

    /// Matches the pattern against a reference with no facts.
    fn against(pattern: &str, reference: &str) -> Tri {
        let r = Reference::parse(reference).unwrap_or_else(|e| panic!("{e}"));
        p(pattern).matches_reference(&r, None, None)
    }

    #[test]
    fn normalises_like_a_reference() {
        let (pat, n) = pattern("alpine");
        assert_eq!(pat.registry().as_str(), "docker.io");
        assert_eq!(pat.repository().as_str(), "library/alpine");
        assert_eq!(pat.tag(), None);
        assert_eq!(pat.digest(), None);
        assert_eq!(
            n,
            Normalised {
                added_registry: true,
                added_library: true,
                first_component_has_glob: false
            }
        );
        assert!(!n.is_surprising());
        assert_eq!(pat.to_string(), "docker.io/library/alpine");
        assert_eq!(pat, p("docker.io/library/alpine"));
        assert_eq!(pat, p("index.docker.io/alpine"));
        assert_eq!(pat, p("registry-1.docker.io/library/alpine"));
    }

    #[test]
    fn a_lone_star_means_official_images() {
        let (pat, n) = pattern("*");
        assert_eq!(pat.to_string(), "docker.io/library/*");
        assert!(n.added_registry && n.added_library && n.first_component_has_glob);
        assert!(n.is_surprising());
        assert_eq!(against("*", "nginx"), Tri::True);
        assert_eq!(against("*", "bitnami/redis"), Tri::False);
        assert_eq!(against("*", "registry.company.com/app"), Tri::False);
    }

    #[test]
    fn normalisation_flags() {
        let (pat, n) = pattern("*/app");
        assert_eq!(pat.to_string(), "docker.io/*/app");
        assert_eq!(
            (
                n.added_registry,
                n.added_library,
                n.first_component_has_glob
            ),
            (true, false, true)
        );

        let (pat, n) = pattern("docker.io/**");
        assert_eq!(pat.to_string(), "docker.io/library/**");
        assert_eq!(
            (
                n.added_registry,
                n.added_library,
                n.first_component_has_glob
            ),
            (false, true, true)
        );

        let (pat, n) = pattern("*.company.com/**");
        assert_eq!(pat.registry().as_str(), "*.company.com");
        assert_eq!(pat.repository().as_str(), "**");
        assert!(!n.added_registry && !n.added_library && n.first_component_has_glob);
        assert!(!n.is_surprising());

        let (_, n) = pattern("registry.company.com/*");
        assert!(!n.added_registry && !n.added_library && n.first_component_has_glob);
        assert!(!n.is_surprising());

        let (pat, _) = pattern("team-*/app:1.*");
        assert_eq!(pat.registry().as_str(), "docker.io");
        assert_eq!(pat.repository().as_str(), "team-*/app");
    }

    #[test]
    fn registry_detection_and_case() {
        assert_eq!(p("localhost/app").registry().as_str(), "localhost");
        assert_eq!(
            p("localhost:5000/app").registry().as_str(),
            "localhost:5000"
        );
        assert_eq!(p("*:5000/app").registry().as_str(), "*:5000");
        assert_eq!(
            p("Registry.Company.COM/app").registry().as_str(),
            "registry.company.com"
        );
        assert_eq!(p("MyReg*/app").registry().as_str(), "myreg*");
        assert_eq!(
            against("REGISTRY.company.com/app", "registry.company.com/app"),
            Tri::True
        );
        // The registry is compared ignoring case even if a caller passes it unnormalised.
        assert_eq!(
            p("registry.company.com/app").matches(
                "Registry.Company.com",
                "app",
                Tags::Unknown,
                None
            ),
            Tri::True
        );
        assert_eq!(
            p("localhost:5000").to_string(),
            "docker.io/library/localhost:5000"
        );
    }

    #[test]
    fn tag_and_digest_split() {
        let pat = p("registry:5000/team/app:v1.*@sha256:*");
        assert_eq!(pat.registry().as_str(), "registry:5000");
        assert_eq!(pat.repository().as_str(), "team/app");
        assert_eq!(pat.tag().map(Glob::as_str), Some("v1.*"));
        assert_eq!(pat.digest().map(Glob::as_str), Some("sha256:*"));
        assert_eq!(pat.to_string(), "registry:5000/team/app:v1.*@sha256:*");
        let pat = p(&format!("alpine@{DIGEST}"));
        assert_eq!(pat.digest().map(Glob::as_str), Some(DIGEST));
        assert_eq!(pat.tag(), None);
    }

    #[test]
    fn spec_example_is_unknown() {
        let pattern = p("production/alpine:1.2.3");
        let image = format!("production/alpine@{DIGEST}");
        assert_eq!(against("production/alpine:1.2.3", &image), Tri::Unknown);
        let r = Reference::parse(&image).unwrap_or_else(|e| panic!("{e}"));
        let tags = vec!["1.2.3".to_owned(), "latest".to_owned()];
        assert_eq!(pattern.matches_reference(&r, Some(&tags), None), Tri::True);
        let tags = vec!["1.2.4".to_owned()];
        assert_eq!(pattern.matches_reference(&r, Some(&tags), None), Tri::False);
        // `tags: []` is known: a pattern with a tag part is false.
        assert_eq!(pattern.matches_reference(&r, Some(&[]), None), Tri::False);
        // Without a tag part, the tags do not matter.
        assert_eq!(against("production/alpine", &image), Tri::True);
    }

    #[test]
    fn failed_name_beats_unknown_parts() {
        let pat = p("production/alpine:1.2.3@sha256:*");
        assert_eq!(
            pat.matches("docker.io", "production/other", Tags::Unknown, None),
            Tri::False
        );
        assert_eq!(
            pat.matches("quay.io", "production/alpine", Tags::Unknown, None),
            Tri::False
        );
        assert_eq!(
            pat.matches("docker.io", "production/alpine", Tags::Unknown, None),
            Tri::Unknown
        );
        // A known mismatching tag is false even when the digest is unknown.
        assert_eq!(
            pat.matches("docker.io", "production/alpine", Tags::One("2"), None),
            Tri::False
        );
        assert_eq!(
            pat.matches("docker.io", "production/alpine", Tags::One("1.2.3"), None),
            Tri::Unknown
        );
        assert_eq!(
            pat.matches(
                "docker.io",
                "production/alpine",
                Tags::One("1.2.3"),
                Some(DIGEST)
            ),
            Tri::True
        );
        assert_eq!(
            pat.matches(
                "docker.io",
                "production/alpine",
                Tags::One("1.2.3"),
                Some("sha512:00")
            ),
            Tri::False
        );
        assert_eq!(
            pat.matches(
                "docker.io",
                "production/alpine",
                Tags::Many(&[]),
                Some(DIGEST)
            ),
            Tri::False
        );
    }

    #[test]
    fn implied_latest_and_facts_digest() {
        assert_eq!(against("nginx:latest", "nginx"), Tri::True);
        assert_eq!(against("nginx:1.*", "nginx:1.27"), Tri::True);
        assert_eq!(against("nginx:1.*", "nginx"), Tri::False);
        let pat = p(&format!("nginx@{DIGEST}"));
        let r = Reference::parse("nginx:1.27").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pat.matches_reference(&r, None, None), Tri::Unknown);
        assert_eq!(pat.matches_reference(&r, None, Some(DIGEST)), Tri::True);
    }

    #[test]
    fn globs_in_each_part() {
        assert_eq!(
            against("*.company.com/**", "registry.company.com/team/app:1"),
            Tri::True
        );
        assert_eq!(
            against("*.company.com/**", "company.com/team/app"),
            Tri::False
        );
        assert_eq!(
            against(
                "registry.company.com/team/*",
                "registry.company.com/team/a/b"
            ),
            Tri::False
        );
        assert_eq!(
            against("registry.company.com/team/**", "registry.company.com/team"),
            Tri::False
        );
        assert_eq!(against("docker.io/bitnami/*", "bitnami/redis"), Tri::True);
        assert_eq!(against("**", "nginx"), Tri::True);
        assert_eq!(against("**", "bitnami/redis"), Tri::False);
    }

    #[test]
    fn errors() {
        fails("", 1, "reference pattern is empty");
        fails("a//b", 3, "empty path component");
        fails("/a", 1, "empty path component");
        fails("a/", 2, "empty path component");
        fails(":tag", 1, "missing repository");
        fails("a:", 2, "missing tag after `:`");
        fails("a@", 2, "missing digest after `@`");
        fails(
            "a@sha256:abc",
            3,
            "digest must be sha256 with 64 lower-case hex digits or sha512 with 128",
        );
        fails("Alpine", 1, "repository must be lower case");
        fails("registry.io/Team/*", 13, "repository must be lower case");
        let triple = "`***` is not a pattern: use `*` for a run without `/` or `**` for any run";
        fails("team/***", 8, triple);
        fails("*.com/a:v***", 12, triple);
        fails("***.com/a", 3, triple);
        fails("a@sha256:***", 12, triple);
        fails("é/a***", 6, triple);
        assert_eq!(
            ReferencePattern::parse("a//b")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("invalid reference pattern at character 3: empty path component")
        );
    }

    #[test]
    fn serde_and_equality() {
        let pat = p("alpine:3.*");
        let json = serde_json::to_string(&pat).unwrap_or_default();
        assert_eq!(json, "\"alpine:3.*\"");
        let back: ReferencePattern = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, pat);
        assert_eq!(back.source(), "alpine:3.*");
        let bad = serde_json::from_str::<ReferencePattern>("\"a//b\"");
        assert!(bad.is_err_and(|e| e.to_string().contains("empty path component")));
        let from_str: Result<ReferencePattern, _> = "docker.io/library/alpine:3.*".parse();
        assert_eq!(from_str.ok(), Some(pat));
    }

    #[test]
    fn tags_of_a_reference() {
        let tagged = Reference::parse("a:1").unwrap_or_else(|e| panic!("{e}"));
        let tags = vec!["x".to_owned()];
        assert_eq!(Tags::of(&tagged, Some(&tags)), Tags::One("1"));
        let bare = Reference::parse("a").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Tags::of(&bare, None), Tags::One("latest"));
        let pinned = Reference::parse(&format!("a@{DIGEST}")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(Tags::of(&pinned, Some(&tags)), Tags::Many(&tags));
        assert_eq!(Tags::of(&pinned, None), Tags::Unknown);
    }
}
