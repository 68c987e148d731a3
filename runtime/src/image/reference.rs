//! Image references: parsing and normalisation (docs/images.md#references and 4.5).
//!
//! A reference is `[registry/]repository[:tag][@digest]` in the grammar of Docker's
//! `distribution/reference`. Policies compare references part by part, so two spellings of the
//! same image (`nginx`, `docker.io/library/nginx`, `index.docker.io/nginx:latest`) must come out
//! identical; and a trust decision must never rest on a guess, so anything outside the grammar is
//! an error naming the reference and the 1-based character where it goes wrong.
//!
//! Why a hand-written scanner and not a regular expression: the error has to point at the
//! offending character and say what is wrong with it ("repository must be lower case"), which a
//! regex that merely fails to match cannot do; and `bona-runtime` stays free of a regex engine.
//!
//! The scan splits the text the way Docker does, from the outside in:
//! 1. the digest is everything after the first `@` (no other part may contain `@`);
//! 2. the tag is after the last `:` that follows the last `/` (a `:` before a `/` is a port);
//! 3. the first `/`-separated component is a registry when it contains `.` or `:`, is
//!    `localhost`, or contains an upper-case letter (Docker's rule: repositories are lower case,
//!    so an upper-case first component can only be a host name); otherwise the registry is
//!    `docker.io`.
//!
//! Normalisation then lower-cases the registry, maps `index.docker.io` and
//! `registry-1.docker.io` to `docker.io`, and prefixes `library/` to a one-component repository
//! on `docker.io`. Where Bona is stricter than Docker (only `sha256`/`sha512` digests in lower-case
//! hex) or follows Docker where other parsers do not, `docs/choices.md` ("Image references vs
//! oci-spec") lists the differences and `tests/reference_differential.rs` checks them.
//!
//! Every byte offset used below comes from `char_indices` or from a search for an ASCII byte, so
//! slicing never splits a character; the error position is converted to characters only when the
//! error is built.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// The registry a reference without one belongs to, and the name Docker Hub is printed under.
pub const DOCKER_HUB: &str = "docker.io";

/// Host names that mean Docker Hub and normalise to [`DOCKER_HUB`].
const DOCKER_HUB_ALIASES: [&str; 2] = ["index.docker.io", "registry-1.docker.io"];

/// The namespace Docker Hub's official images live in.
const OFFICIAL_NAMESPACE: &str = "library/";

/// The tag a reference with neither tag nor digest means.
pub const DEFAULT_TAG: &str = "latest";

/// The longest normalised name (`registry/repository`), in characters, that Docker accepts.
pub const NAME_MAX: usize = 255;

/// The longest tag, in characters.
pub const TAG_MAX: usize = 128;

/// The message for every malformed digest: there is only one correct shape to describe.
const DIGEST_MESSAGE: &str =
    "digest must be sha256 with 64 lower-case hex digits or sha512 with 128";

/// A parsed, normalised image reference.
///
/// Two references are equal exactly when they print the same, so `nginx` and
/// `docker.io/library/nginx` are equal; `nginx` and `nginx:latest` are not (only the second one
/// has an explicit tag), although both print as `docker.io/library/nginx:latest`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    /// The printed form, `registry/repository[:tag][@digest]` with `:latest` when neither is
    /// written: one string, so that reading a reference allocates once and printing it is a copy
    /// (an admission prints each image several times).
    printed: String,
    /// Where the registry ends in `printed` (at the `/`).
    registry_end: usize,
    /// Where the repository ends (at `:`, `@` or the end).
    name_end: usize,
    /// Where the digest starts (after `@`), when there is one.
    digest_start: Option<usize>,
    /// Whether the tag was written: `nginx` and `nginx:latest` print alike but differ.
    explicit_tag: bool,
}

/// Why a string is not an image reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReferenceError {
    /// The reference as written.
    pub reference: String,
    /// The 1-based character position of the offending character.
    pub position: usize,
    /// One lower-case sentence saying what is wrong.
    pub message: String,
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid image reference `{}` at character {}: {}",
            self.reference, self.position, self.message
        )
    }
}

impl std::error::Error for ReferenceError {}

/// A problem found while scanning: the byte offset of the offending character and the message.
type Fault = (usize, String);

impl Reference {
    /// Parses and normalises a reference (docs/images.md#references).
    ///
    /// # Errors
    /// A [`ReferenceError`] naming the first character that breaks the grammar.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        parse_reference(s).map_err(|(offset, message)| ReferenceError {
            reference: s.to_owned(),
            position: char_position(s, offset),
            message,
        })
    }

    /// The registry host, normalised: lower case, `docker.io` for Docker Hub.
    #[must_use]
    pub fn registry(&self) -> &str {
        self.printed.get(..self.registry_end).unwrap_or_default()
    }

    /// The repository path, e.g. `library/alpine`.
    #[must_use]
    pub fn repository(&self) -> &str {
        self.printed
            .get(self.registry_end + 1..self.name_end)
            .unwrap_or_default()
    }

    /// The tag written in the reference, if any.
    #[must_use]
    pub fn explicit_tag(&self) -> Option<&str> {
        if self.explicit_tag {
            self.printed_tag()
        } else {
            None
        }
    }

    /// The tag the reference means: the written one, or `latest` when it has neither tag nor
    /// digest. A digest-only reference has no tag (the facts may know some).
    #[must_use]
    pub fn tag(&self) -> Option<&str> {
        self.printed_tag()
    }

    /// The tag in the printed form: the written one, or the `latest` added to a reference with
    /// neither tag nor digest.
    fn printed_tag(&self) -> Option<&str> {
        let end = self
            .digest_start
            .map_or(self.printed.len(), |start| start - 1);
        (end > self.name_end)
            .then(|| self.printed.get(self.name_end + 1..end))
            .flatten()
    }

    /// The digest, `algorithm:hex`, if the reference carries one.
    #[must_use]
    pub fn digest(&self) -> Option<&str> {
        self.digest_start
            .and_then(|start| self.printed.get(start..))
    }

    /// Whether the reference carries a digest (docs/language.md#attributes `pinned`).
    #[must_use]
    pub fn is_pinned(&self) -> bool {
        self.digest_start.is_some()
    }

    /// The same reference without its digest, for a reference with both a tag and a digest (the
    /// last step of the facts lookup in docs/images.md); `None` otherwise, so that a digest-only
    /// reference never falls back to `REPO:latest`.
    #[must_use]
    pub fn without_digest(&self) -> Option<Reference> {
        match (self.explicit_tag, self.digest_start) {
            (true, Some(start)) => Some(Reference {
                printed: self.printed.get(..start - 1).unwrap_or_default().to_owned(),
                digest_start: None,
                ..*self
            }),
            _ => None,
        }
    }

    /// `registry/repository`, without tag or digest.
    #[must_use]
    pub fn name(&self) -> String {
        self.printed
            .get(..self.name_end)
            .unwrap_or_default()
            .to_owned()
    }

    /// The printed form (what [`Display`](fmt::Display) writes), without allocating.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.printed
    }
}

impl fmt::Display for Reference {
    /// The printed form of docs/images.md: `registry/repository[:tag][@digest]`, with `:latest` added
    /// when the reference has neither tag nor digest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.printed)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Reference, ReferenceError> {
        Reference::parse(s)
    }
}

impl serde::Serialize for Reference {
    /// Serialises as the printed form.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Reference {
    /// Deserialises from a string, parsing and normalising it.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Reference, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Reference::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Whether `s` is a digest Bona accepts: `sha256:` and 64, or `sha512:` and 128, lower-case hex
/// digits.
#[must_use]
pub fn is_valid_digest(s: &str) -> bool {
    check_digest(s, 0).is_ok()
}

/// The 1-based character position of the character starting at byte `offset`.
fn char_position(s: &str, offset: usize) -> usize {
    s.get(..offset)
        .map_or(1, |prefix| prefix.chars().count() + 1)
}

/// Describes a character for a message: printable ones as they are, others escaped.
fn shown(c: char) -> String {
    c.escape_debug().to_string()
}

/// A reference's (or reference pattern's) text cut into its parts, each with its byte offset.
pub(crate) struct Parts<'a> {
    /// `[registry/]repository`.
    pub name: &'a str,
    pub tag: Option<(usize, &'a str)>,
    pub digest: Option<(usize, &'a str)>,
}

/// Cuts `name[:tag][@digest]` the way Docker does: the digest is everything after the first
/// `@`, the tag is after the last `:` that follows the last `/` (so a registry port is not a
/// tag). Reports an empty tag or digest; validating the parts is the caller's job, since
/// references and patterns accept different things in them.
pub(crate) fn split_parts(s: &str) -> Result<Parts<'_>, Fault> {
    let (rest, digest) = match s.find('@') {
        Some(at) => {
            // INVARIANT: `at` is the offset of the one-byte `@`, so `at + 1` is a char boundary.
            let text = s.get(at + 1..).unwrap_or_default();
            if text.is_empty() {
                return Err((at, "missing digest after `@`".to_owned()));
            }
            (s.get(..at).unwrap_or_default(), Some((at + 1, text)))
        }
        None => (s, None),
    };
    let after_slash = rest.rfind('/').map_or(0, |slash| slash + 1);
    let (name, tag) = match rest.get(after_slash..).and_then(|tail| tail.rfind(':')) {
        Some(colon) => {
            let colon = after_slash + colon;
            let text = rest.get(colon + 1..).unwrap_or_default();
            if text.is_empty() {
                return Err((colon, "missing tag after `:`".to_owned()));
            }
            (
                rest.get(..colon).unwrap_or_default(),
                Some((colon + 1, text)),
            )
        }
        None => (rest, None),
    };
    Ok(Parts { name, tag, digest })
}

fn parse_reference(s: &str) -> Result<Reference, Fault> {
    if s.is_empty() {
        return Err((0, "image reference is empty".to_owned()));
    }
    if s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err((
            0,
            "a string of 64 hex digits is an image id, not a reference".to_owned(),
        ));
    }

    let Parts { name, tag, digest } = split_parts(s)?;
    if let Some((start, text)) = digest {
        check_digest(text, start)?;
    }
    if name.is_empty() {
        return Err((0, "missing repository name".to_owned()));
    }

    // 3. The registry: a first component that looks like a host name.
    let (registry, path, path_start) = match name.find('/') {
        Some(slash) if is_registry_like(name.get(..slash).unwrap_or_default()) => {
            let host = name.get(..slash).unwrap_or_default();
            check_domain(host, 0)?;
            (
                normalised_registry(host),
                name.get(slash + 1..).unwrap_or_default(),
                slash + 1,
            )
        }
        _ => (Cow::Borrowed(DOCKER_HUB), name, 0),
    };
    check_path(path, path_start)?;
    if let Some((start, text)) = tag {
        check_tag(text, start)?;
    }

    let needs_library = *registry == *DOCKER_HUB && !path.contains('/');
    let library = if needs_library {
        OFFICIAL_NAMESPACE
    } else {
        ""
    };
    let repository_len = library.len() + path.len();

    // The limit applies to the normalised name, as in Docker (which checks it after adding
    // `docker.io/` and `library/`). Everything checked so far is ASCII, so bytes are characters.
    let name_len = registry.len() + 1 + repository_len;
    if name_len > NAME_MAX {
        let prefix_len = name_len - path.len();
        let offset = if NAME_MAX >= prefix_len {
            // The first character over the limit is in the written path, which is kept verbatim.
            path_start + (NAME_MAX - prefix_len)
        } else if NAME_MAX < registry.len() {
            // A registry this long was written out and kept its length when lower-cased.
            NAME_MAX
        } else {
            path_start.saturating_sub(1)
        };
        return Err((
            offset,
            format!("name is {name_len} characters long, longer than {NAME_MAX}"),
        ));
    }

    let shown_tag = match (tag, digest) {
        (Some((_, text)), _) => Some(text),
        (None, None) => Some(DEFAULT_TAG),
        (None, Some(_)) => None,
    };
    let len =
        name_len + shown_tag.map_or(0, |t| 1 + t.len()) + digest.map_or(0, |(_, d)| 1 + d.len());
    let mut printed = String::with_capacity(len);
    printed.push_str(&registry);
    printed.push('/');
    printed.push_str(library);
    printed.push_str(path);
    if let Some(shown) = shown_tag {
        printed.push(':');
        printed.push_str(shown);
    }
    let digest_start = digest.map(|(_, d)| {
        printed.push('@');
        let start = printed.len();
        printed.push_str(d);
        start
    });
    Ok(Reference {
        printed,
        registry_end: registry.len(),
        name_end: name_len,
        digest_start,
        explicit_tag: tag.is_some(),
    })
}

/// Docker's rule for a first path component that names a registry (docs/images.md#references, 4.5).
pub(crate) fn is_registry_like(component: &str) -> bool {
    component.contains(['.', ':'])
        || component == "localhost"
        || component.chars().any(|c| c.is_ascii_uppercase())
}

/// [`normalise_registry`] without allocating when `host` is already normal.
fn normalised_registry(host: &str) -> Cow<'_, str> {
    if host.bytes().any(|b| b.is_ascii_uppercase()) || DOCKER_HUB_ALIASES.contains(&host) {
        Cow::Owned(normalise_registry(host))
    } else {
        Cow::Borrowed(host)
    }
}

/// Lower-cases a registry and maps Docker Hub's aliases to `docker.io`.
pub(crate) fn normalise_registry(host: &str) -> String {
    let lower = host.to_ascii_lowercase();
    if DOCKER_HUB_ALIASES.contains(&lower.as_str()) {
        DOCKER_HUB.to_owned()
    } else {
        lower
    }
}

/// Checks a registry: `host[:port]` where host is dot-separated components of letters, digits
/// and inner hyphens, or a bracketed IPv6 address.
fn check_domain(host: &str, start: usize) -> Result<(), Fault> {
    // `port` is the offset of the `:` before the port and the port's text.
    let port = if let Some(inner) = host.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return Err((start, "unclosed `[` in registry".to_owned()));
        };
        let address = inner.get(..close).unwrap_or_default();
        if address.is_empty() {
            return Err((start + 1, "empty IPv6 address in registry".to_owned()));
        }
        for (i, c) in address.char_indices() {
            if !(c.is_ascii_hexdigit() || c == ':') {
                return Err((
                    start + 1 + i,
                    format!("invalid character `{}` in IPv6 address", shown(c)),
                ));
            }
        }
        // INVARIANT: `[` and `]` are one byte each, so the text after `]` starts at `close + 2`.
        let after = close + 2;
        let tail = host.get(after..).unwrap_or_default();
        match (tail.strip_prefix(':'), tail.chars().next()) {
            (_, None) => None,
            (Some(port), _) => Some((after, port)),
            (None, Some(c)) => {
                return Err((
                    start + after,
                    format!("expected `:` or `/` after `]`, found `{}`", shown(c)),
                ));
            }
        }
    } else {
        match host.find(':') {
            Some(colon) => {
                check_host_name(host.get(..colon).unwrap_or_default(), start)?;
                Some((colon, host.get(colon + 1..).unwrap_or_default()))
            }
            None => {
                check_host_name(host, start)?;
                None
            }
        }
    };
    if let Some((colon, port)) = port {
        if port.is_empty() {
            return Err((start + colon, "missing port number after `:`".to_owned()));
        }
        if let Some((i, c)) = port.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            return Err((
                start + colon + 1 + i,
                format!("port must be a number, found `{}`", shown(c)),
            ));
        }
    }
    Ok(())
}

/// Checks a host name: components `[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?` joined by `.`.
fn check_host_name(name: &str, start: usize) -> Result<(), Fault> {
    let mut component_start = 0;
    for component in name.split('.') {
        let at = start + component_start;
        if component.is_empty() {
            // Point at the `.` that ends (or, at the very end, begins) the empty component.
            let dot = if component_start < name.len() || component_start == 0 {
                at
            } else {
                at.saturating_sub(1)
            };
            return Err((dot, "empty component in registry host name".to_owned()));
        }
        for (i, c) in component.char_indices() {
            if !(c.is_ascii_alphanumeric() || c == '-') {
                return Err((
                    at + i,
                    format!("invalid character `{}` in registry", shown(c)),
                ));
            }
        }
        if component.starts_with('-') {
            return Err((
                at,
                "registry host name component must not start with `-`".to_owned(),
            ));
        }
        if component.ends_with('-') {
            return Err((
                at + component.len() - 1,
                "registry host name component must not end with `-`".to_owned(),
            ));
        }
        component_start += component.len() + 1;
    }
    Ok(())
}

/// Checks a repository path: `/`-separated components of the form
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn check_path(path: &str, start: usize) -> Result<(), Fault> {
    let mut component_start = 0;
    for component in path.split('/') {
        let at = start + component_start;
        if component.is_empty() {
            // Point at the `/` after the empty component, or before it at the end of the path.
            let slash = if component_start < path.len() {
                at
            } else {
                at.saturating_sub(1)
            };
            return Err((slash, "empty path component".to_owned()));
        }
        check_path_component(component, at)?;
        component_start += component.len() + 1;
    }
    Ok(())
}

/// Checks one repository path component.
fn check_path_component(component: &str, start: usize) -> Result<(), Fault> {
    // `run` counts the separator characters since the last letter or digit, `kind` is the first.
    let mut run: Option<(char, usize)> = None;
    let mut previous_alnum = false;
    for (i, c) in component.char_indices() {
        let at = start + i;
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            run = None;
            previous_alnum = true;
            continue;
        }
        if c.is_ascii_uppercase() {
            return Err((at, "repository must be lower case".to_owned()));
        }
        if !matches!(c, '.' | '_' | '-') {
            return Err((
                at,
                format!("invalid character `{}` in repository", shown(c)),
            ));
        }
        if !previous_alnum && run.is_none() {
            return Err((
                at,
                "path component must start with a letter or digit".to_owned(),
            ));
        }
        run = match run {
            None => Some((c, 1)),
            Some(('-', n)) if c == '-' => Some(('-', n + 1)),
            Some(('_', 1)) if c == '_' => Some(('_', 2)),
            Some(_) => {
                return Err((
                    at,
                    "separators in a repository are `.`, `_`, `__` or a run of `-`".to_owned(),
                ));
            }
        };
        previous_alnum = false;
    }
    if let Some((_, n)) = run {
        return Err((
            start + component.len() - n,
            "path component must end with a letter or digit".to_owned(),
        ));
    }
    Ok(())
}

/// Checks a tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn check_tag(tag: &str, start: usize) -> Result<(), Fault> {
    for (count, (i, c)) in tag.char_indices().enumerate() {
        let at = start + i;
        if count == 0 && matches!(c, '.' | '-') {
            return Err((at, "tag must start with a letter, digit or `_`".to_owned()));
        }
        if !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
            return Err((at, format!("invalid character `{}` in tag", shown(c))));
        }
        if count == TAG_MAX {
            return Err((at, format!("tag is longer than {TAG_MAX} characters")));
        }
    }
    Ok(())
}

/// Checks a digest, `sha256:` plus 64 or `sha512:` plus 128 lower-case hex digits. Errors point at
/// the first bad hex digit, the first digit too many, or else the start of the digest.
fn check_digest(digest: &str, start: usize) -> Result<(), Fault> {
    let fault = |offset: usize| Err((offset, DIGEST_MESSAGE.to_owned()));
    let (hex, expected, hex_start) = if let Some(hex) = digest.strip_prefix("sha256:") {
        (hex, 64, 7)
    } else if let Some(hex) = digest.strip_prefix("sha512:") {
        (hex, 128, 7)
    } else {
        return fault(start);
    };
    for (count, (i, c)) in hex.char_indices().enumerate() {
        if !(c.is_ascii_digit() || matches!(c, 'a'..='f')) {
            return fault(start + hex_start + i);
        }
        if count == expected {
            return fault(start + hex_start + i);
        }
    }
    if hex.len() < expected {
        return fault(start);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: &str = "sha256:5544c5e7cad9b8d2fba4c4e2b0a0d9a1e0ac8b3a0c47e6e0d8a9b6f5e4d3c2b1";

    fn sha512() -> String {
        format!("sha512:{}", "ab".repeat(64))
    }

    fn parse(s: &str) -> Reference {
        match Reference::parse(s) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    /// Asserts the error position and message.
    fn fails(s: &str, position: usize, message: &str) {
        match Reference::parse(s) {
            Ok(r) => panic!("`{s}` parsed as {r}"),
            Err(e) => {
                assert_eq!(
                    (e.position, e.message.as_str()),
                    (position, message),
                    "`{s}`"
                );
                assert_eq!(e.reference, s);
            }
        }
    }

    fn parts(s: &str) -> (String, String, Option<String>, Option<String>) {
        let r = parse(s);
        (
            r.registry().to_owned(),
            r.repository().to_owned(),
            r.explicit_tag().map(str::to_owned),
            r.digest().map(str::to_owned),
        )
    }

    #[test]
    fn official_image_gets_registry_library_and_latest() {
        let r = parse("nginx");
        assert_eq!(r.registry(), "docker.io");
        assert_eq!(r.repository(), "library/nginx");
        assert_eq!(r.explicit_tag(), None);
        assert_eq!(r.tag(), Some("latest"));
        assert_eq!(r.digest(), None);
        assert!(!r.is_pinned());
        assert_eq!(r.name(), "docker.io/library/nginx");
        assert_eq!(r.to_string(), "docker.io/library/nginx:latest");
    }

    #[test]
    fn spellings_of_docker_hub_are_equal() {
        let canonical = parse("docker.io/library/nginx");
        for s in [
            "nginx",
            "docker.io/nginx",
            "index.docker.io/nginx",
            "registry-1.docker.io/nginx",
            "INDEX.Docker.IO/library/nginx",
            "Docker.io/nginx",
        ] {
            assert_eq!(parse(s), canonical, "{s}");
        }
        assert_ne!(parse("nginx:latest"), canonical);
        assert_eq!(parse("nginx:latest").to_string(), canonical.to_string());
    }

    #[test]
    fn namespaced_docker_hub_image_keeps_its_path() {
        assert_eq!(
            parts("bitnami/redis:7.2"),
            (
                "docker.io".into(),
                "bitnami/redis".into(),
                Some("7.2".into()),
                None
            )
        );
        assert_eq!(parse("docker.io/a/b/c").repository(), "a/b/c");
    }

    #[test]
    fn first_component_is_a_registry_when_it_looks_like_a_host() {
        assert_eq!(
            parse("registry.company.com/app").registry(),
            "registry.company.com"
        );
        assert_eq!(parse("localhost/app").registry(), "localhost");
        assert_eq!(parse("localhost:5000/app").registry(), "localhost:5000");
        assert_eq!(parse("host:5000/app").registry(), "host:5000");
        // Upper case: only a host name may have it, so it is a registry (lower-cased).
        assert_eq!(
            parts("MyRegistry/app"),
            ("myregistry".into(), "app".into(), None, None)
        );
        // A plain first component is a Docker Hub namespace.
        assert_eq!(parse("company/app").registry(), "docker.io");
        assert_eq!(parse("company/app").repository(), "company/app");
        // A registry other than Docker Hub never gets `library/`.
        assert_eq!(parse("registry.company.com/app").repository(), "app");
        assert_eq!(parse("localhost/app").repository(), "app");
    }

    #[test]
    fn registry_is_lower_cased() {
        let r = parse("Registry.Company.COM:5000/team/app:V1");
        assert_eq!(r.registry(), "registry.company.com:5000");
        assert_eq!(r.repository(), "team/app");
        assert_eq!(r.tag(), Some("V1"));
    }

    #[test]
    fn ipv6_registry() {
        assert_eq!(parse("[::1]:5000/app").registry(), "[::1]:5000");
        assert_eq!(parse("[fe80::1]/app:1").registry(), "[fe80::1]");
        assert_eq!(parse("[FE80::1]/app").registry(), "[fe80::1]");
    }

    #[test]
    fn tag_and_digest() {
        let digest = SHA256;
        let r = parse(&format!("production/alpine@{digest}"));
        assert_eq!(r.tag(), None);
        assert_eq!(r.explicit_tag(), None);
        assert_eq!(r.digest(), Some(digest));
        assert!(r.is_pinned());
        assert_eq!(r.without_digest(), None);
        assert_eq!(
            r.to_string(),
            format!("docker.io/production/alpine@{digest}")
        );

        let r = parse(&format!("alpine:3.20@{digest}"));
        assert_eq!(r.tag(), Some("3.20"));
        assert_eq!(
            r.to_string(),
            format!("docker.io/library/alpine:3.20@{digest}")
        );
        let bare = r.without_digest();
        assert_eq!(bare, Some(parse("alpine:3.20")));

        assert_eq!(parse("alpine:3.20").without_digest(), None);
        assert_eq!(parse("alpine").without_digest(), None);

        let long = sha512();
        assert_eq!(parse(&format!("a@{long}")).digest(), Some(long.as_str()));
    }

    #[test]
    fn colon_before_the_last_slash_is_a_port_after_it_a_tag() {
        assert_eq!(
            parts("localhost:5000"),
            (
                "docker.io".into(),
                "library/localhost".into(),
                Some("5000".into()),
                None
            )
        );
        assert_eq!(
            parts("host:5000/app:5000"),
            ("host:5000".into(), "app".into(), Some("5000".into()), None)
        );
    }

    #[test]
    fn separators_in_path_components() {
        for s in [
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a---b",
            "a.b_c__d-e",
            "0",
            "a/b.c/d",
        ] {
            parse(s);
        }
    }

    #[test]
    fn tag_limits() {
        let max = "t".repeat(128);
        assert_eq!(parse(&format!("a:{max}")).tag(), Some(max.as_str()));
        parse("a:_x");
        parse("a:X.y-Z");
        fails(
            &format!("a:{max}x"),
            131,
            "tag is longer than 128 characters",
        );
    }

    #[test]
    fn name_limit_counts_the_normalised_name() {
        // `docker.io/` is 10 characters: a 245-character repository fills the 255.
        let path = format!("a/{}", "b".repeat(243));
        assert_eq!(parse(&path).name().len(), 255);
        let over = format!("{path}b");
        fails(&over, 246, "name is 256 characters long, longer than 255");
        // With `library/` added, 237 characters are the most.
        parse(&"c".repeat(237));
        fails(
            &"c".repeat(238),
            238,
            "name is 256 characters long, longer than 255",
        );
        // A written registry counts as written.
        let host = format!("{}.com", "h".repeat(300));
        fails(
            &format!("{host}/a"),
            256,
            "name is 306 characters long, longer than 255",
        );
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "nginx",
            "bitnami/redis:7",
            "registry.company.com:443/a/b:c",
            &format!("alpine@{SHA256}"),
            &format!("Foo.com/alpine:1@{}", sha512()),
        ] {
            let r = parse(s);
            let printed = r.to_string();
            let again = parse(&printed);
            assert_eq!(again.to_string(), printed);
            assert_eq!(again.name(), r.name());
            assert_eq!(again.tag(), r.tag());
            assert_eq!(again.digest(), r.digest());
        }
    }

    #[test]
    fn upper_case_registry_prints_lower_case() {
        // docs/images.md makes `MyRegistry` a registry and lower-cases it; the printed form then reads
        // as a Docker Hub namespace (docs/choices.md). Registries with `.`, `:` or `localhost`
        // round-trip.
        let r = parse("MyRegistry/app");
        assert_eq!(r.to_string(), "myregistry/app:latest");
        assert_eq!(parse(&r.to_string()).registry(), "docker.io");
        let r = parse("Reg.IO:5000/app");
        assert_eq!(parse(&r.to_string()), parse("reg.io:5000/app:latest"));
    }

    #[test]
    fn from_str_and_serde() {
        let r: Reference = "alpine:3".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.to_string(), "docker.io/library/alpine:3");
        let json = serde_json::to_string(&r).unwrap_or_default();
        assert_eq!(json, "\"docker.io/library/alpine:3\"");
        let back: Reference =
            serde_json::from_str("\"alpine:3\"").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, r);
        let bad = serde_json::from_str::<Reference>("\"Alpine\"");
        assert!(bad.is_err_and(|e| e.to_string().contains("repository must be lower case")));
    }

    #[test]
    fn error_display() {
        let e = Reference::parse("docker.io/Alpine").err();
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some(
                "invalid image reference `docker.io/Alpine` at character 11: repository must be lower case"
            )
        );
    }

    #[test]
    fn errors_name_the_character() {
        fails("", 1, "image reference is empty");
        fails(
            &"a1".repeat(32),
            1,
            "a string of 64 hex digits is an image id, not a reference",
        );
        fails(":tag", 1, "missing repository name");
        fails(&format!("@{SHA256}"), 1, "missing repository name");
        // Upper case in the repository is never guessed.
        fails("Alpine", 1, "repository must be lower case");
        fails("Alpine:3", 1, "repository must be lower case");
        fails("library/Alpine", 9, "repository must be lower case");
        fails("registry.io/team/App", 18, "repository must be lower case");
        // Empty components.
        fails("a//b", 3, "empty path component");
        fails("a/", 2, "empty path component");
        fails("/a", 1, "empty path component");
        fails("registry.io/", 12, "empty path component");
        fails("registry.io//a", 13, "empty path component");
        // Path component grammar.
        fails(
            "a/.b",
            3,
            "path component must start with a letter or digit",
        );
        fails("a-", 2, "path component must end with a letter or digit");
        fails("ab__", 3, "path component must end with a letter or digit");
        fails(
            "a..b",
            3,
            "separators in a repository are `.`, `_`, `__` or a run of `-`",
        );
        fails(
            "a___b",
            4,
            "separators in a repository are `.`, `_`, `__` or a run of `-`",
        );
        fails(
            "a.-b",
            3,
            "separators in a repository are `.`, `_`, `__` or a run of `-`",
        );
        fails("a$b", 2, "invalid character `$` in repository");
        fails("café", 4, "invalid character `é` in repository");
        fails("a b", 2, "invalid character ` ` in repository");
        // Tags.
        fails("a:", 2, "missing tag after `:`");
        fails("a:.x", 3, "tag must start with a letter, digit or `_`");
        fails("a:-x", 3, "tag must start with a letter, digit or `_`");
        fails("a:x!", 4, "invalid character `!` in tag");
        fails("a:é", 3, "invalid character `é` in tag");
        fails("a:b:c", 2, "invalid character `:` in repository");
        // Registries.
        fails("reg_istry.io/a", 4, "invalid character `_` in registry");
        fails(
            "-reg.io/a",
            1,
            "registry host name component must not start with `-`",
        );
        fails(
            "reg-.io/a",
            4,
            "registry host name component must not end with `-`",
        );
        fails("reg..io/a", 5, "empty component in registry host name");
        fails(".reg.io/a", 1, "empty component in registry host name");
        fails("reg.io./a", 7, "empty component in registry host name");
        fails("reg.io:/a", 7, "missing port number after `:`");
        fails("reg.io:50x0/a", 10, "port must be a number, found `x`");
        fails(":5000/a", 1, "empty component in registry host name");
        fails("[::1/a", 1, "unclosed `[` in registry");
        fails("[]:5/a", 2, "empty IPv6 address in registry");
        fails("[::g]/a", 4, "invalid character `g` in IPv6 address");
        fails("[::1]x:5/a", 6, "expected `:` or `/` after `]`, found `x`");
        fails("[::1]:/a", 6, "missing port number after `:`");
    }

    #[test]
    fn digest_errors() {
        let msg = DIGEST_MESSAGE;
        fails("a@", 2, "missing digest after `@`");
        fails("a@sha384:abc", 3, msg);
        fails("a@md5:abc", 3, msg);
        fails("a@sha256", 3, msg);
        fails("a@SHA256:00", 3, msg);
        fails(&format!("a@sha256:{}", "0".repeat(63)), 3, msg);
        fails(&format!("a@sha256:{}", "0".repeat(65)), 74, msg);
        fails(
            &format!("a@sha256:{}A{}", "0".repeat(10), "0".repeat(53)),
            20,
            msg,
        );
        fails(&format!("a@sha256:{}g", "0".repeat(63)), 73, msg);
        fails(&format!("a@sha512:{}", "0".repeat(64)), 3, msg);
        fails(&format!("a:tag@{SHA256}@x"), 78, msg);
        // The digest is checked first: it ends the reference.
        fails(&format!("A@sha256:{}", "0".repeat(3)), 3, msg);
    }

    #[test]
    fn valid_digest_predicate() {
        assert!(is_valid_digest(SHA256));
        assert!(is_valid_digest(&sha512()));
        assert!(!is_valid_digest(""));
        assert!(!is_valid_digest("sha256:"));
        assert!(!is_valid_digest(&SHA256.to_uppercase()));
        assert!(!is_valid_digest(&format!("{SHA256}0")));
        assert!(!is_valid_digest(&format!("sha384:{}", "0".repeat(96))));
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        // `é` is two bytes; the `A` after it is the third character.
        fails("éA", 1, "invalid character `é` in repository");
        fails("a:éé!", 3, "invalid character `é` in tag");
        fails("ab/é/A", 4, "invalid character `é` in repository");
    }
}
