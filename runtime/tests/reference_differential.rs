//! Differential test of Bona's image-reference parser against oci-spec's
//! (`oci_spec::distribution::Reference`, a port of Docker's `distribution/reference`).
//!
//! Both parsers see the same generated references, some shaped like valid ones and some mutated
//! by a few random edits, and must agree on accepting or rejecting each one and, when both accept,
//! on the registry, repository, tag and digest. The documented differences below (also listed in
//! `docs/choices.md`, "Image references vs oci-spec") are applied to oci-spec's answer before
//! comparing, by `expected`; the test `documented_differences` pins one example of each.
//!
//! Differences, each with the side Bona takes:
//! 1. Digests: Bona accepts only `sha256` with 64 and `sha512` with 128 lower-case hex digits
//!    (docs/images.md#references, 4.5). oci-spec also accepts `sha384` (96 digits) and upper-case hex digits.
//! 2. Tags: Bona's tag characters are ASCII `[A-Za-z0-9_.-]`, as in Docker's grammar. oci-spec's
//!    regex uses `\w`, which in Rust is Unicode-aware, so it also accepts tags like `é`.
//! 3. Upper-case first component: Bona, like Docker and docs/spec-map.md#details, treats a first component with an
//!    upper-case letter as a registry and lower-cases it (`Foo/bar` is registry `foo`, repository
//!    `bar`). oci-spec keeps it in the repository (`docker.io`, `Foo/bar`), an upper-case
//!    repository its own tests mark as a known bug.
//! 4. Registry case: Bona lower-cases the registry (docs/spec-map.md#details); oci-spec keeps it as written.
//! 5. Docker Hub aliases: Bona maps `index.docker.io` and `registry-1.docker.io`, in any case, to
//!    `docker.io` and then adds `library/` to a one-component repository (docs/images.md#references). oci-spec maps
//!    only a lower-case `index.docker.io`.
//! 6. Registries with `_`: a first component such as `foo_bar.com` is a registry by the `.` rule
//!    but not a valid host name. Bona rejects it, as Docker does; oci-spec accepts it because its
//!    regex can read the whole name as a path before splitting off the registry.
//! 7. Name length: Bona limits the normalised `registry/repository` to 255 characters, as Docker
//!    does; oci-spec limits only the repository, so it accepts some longer names.
//! 8. IPv6 registries: Bona accepts a bracketed IPv6 address (`[::1]:5000/app`), as current Docker
//!    does; oci-spec's grammar has no brackets and rejects it.
//! 9. Image ids: a reference that is exactly 64 lower-case hex digits is rejected by Bona, as by
//!    Docker (it is an image id, not a repository); oci-spec accepts it as a Docker Hub repository.

use bona_runtime::Reference;
use oci_spec::distribution::Reference as OciReference;
use proptest::prelude::*;

/// Registry, repository, tag (with the implied `latest`) and digest.
type Parts = (String, String, Option<String>, Option<String>);

/// What Bona should do with a reference, derived from oci-spec's answer.
#[derive(Debug, PartialEq)]
enum Expect {
    Reject,
    Accept(Parts),
    /// A bracketed IPv6 registry (difference 8): oci-spec cannot say.
    Ipv6,
}

fn is_bona_digest(digest: &str) -> bool {
    let lower_hex = |hex: &str, n: usize| {
        hex.len() == n && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    match digest.split_once(':') {
        Some(("sha256", hex)) => lower_hex(hex, 64),
        Some(("sha512", hex)) => lower_hex(hex, 128),
        _ => false,
    }
}

/// oci-spec's answer, adjusted by the documented differences.
fn expected(s: &str) -> Expect {
    let Ok(oci) = OciReference::try_from(s) else {
        return if s.starts_with('[') {
            Expect::Ipv6
        } else {
            Expect::Reject
        };
    };
    // 9: image ids.
    if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Expect::Reject;
    }
    // 1: digests.
    if oci.digest().is_some_and(|d| !is_bona_digest(d)) {
        return Expect::Reject;
    }
    // 2: tags.
    if oci.tag().is_some_and(|t| !t.is_ascii()) {
        return Expect::Reject;
    }
    // 6: a registry that is not a host name.
    if oci.registry().contains('_') {
        return Expect::Reject;
    }
    // 3: an upper-case first component that oci-spec left in the repository.
    let (registry, repository) = match oci.repository().split_once('/') {
        Some((first, rest))
            if oci.registry() == "docker.io" && first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first.to_owned(), rest.to_owned())
        }
        _ => (oci.registry().to_owned(), oci.repository().to_owned()),
    };
    // 4 and 5: registry case and Docker Hub aliases.
    let mut registry = registry.to_ascii_lowercase();
    if registry == "index.docker.io" || registry == "registry-1.docker.io" {
        registry = "docker.io".to_owned();
    }
    let repository = if registry == "docker.io" && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository
    };
    // 7: the limit on the normalised name.
    if registry.len() + 1 + repository.len() > 255 {
        return Expect::Reject;
    }
    Expect::Accept((
        registry,
        repository,
        oci.tag().map(str::to_owned),
        oci.digest().map(str::to_owned),
    ))
}

fn parts(r: &Reference) -> Parts {
    (
        r.registry().to_owned(),
        r.repository().to_owned(),
        r.tag().map(str::to_owned),
        r.digest().map(str::to_owned),
    )
}

/// Checks one input; returns a description of the disagreement, if any.
fn disagreement(s: &str) -> Option<String> {
    let ours = Reference::parse(s);
    match (expected(s), &ours) {
        (Expect::Accept(want), Ok(r)) if parts(r) == want => {
            // The printed form must parse back to the same reference, except where the registry
            // was one only because of its upper case (see `docs/choices.md`).
            if !r.registry().contains(['.', ':']) && r.registry() != "localhost" {
                return None;
            }
            match Reference::parse(&r.to_string()) {
                Ok(again) if parts(&again) == want => None,
                other => Some(format!("`{s}` printed as `{r}` re-parses as {other:?}")),
            }
        }
        (Expect::Reject, Err(_)) | (Expect::Ipv6, Err(_)) => None,
        (Expect::Ipv6, Ok(r)) if r.registry().starts_with('[') => None,
        (want, got) => Some(format!("`{s}`: expected {want:?}, Bona gave {got:?}")),
    }
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-zA-Z0-9]([a-zA-Z0-9-]{0,3}[a-zA-Z0-9])?(\\.[a-zA-Z0-9]{1,4}){0,2}(:[0-9]{1,4})?",
        1 => prop::sample::select(vec![
            "localhost",
            "localhost:5000",
            "LOCALHOST",
            "registry.company.com",
            "docker.io",
            "Docker.IO",
            "index.docker.io",
            "INDEX.docker.io",
            "registry-1.docker.io",
            "MyRegistry",
            "foo_bar.com",
            "[::1]:5000",
            "[fe80::1]",
        ])
        .prop_map(str::to_owned),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let component = "[a-z0-9]{1,3}((\\.|_|__|-{1,2})[a-z0-9]{1,3}){0,2}";
    prop_oneof![
        8 => prop::collection::vec(component, 1..4),
        1 => prop::collection::vec("[a-z]{55,70}", 3..5),
    ]
    .prop_map(|components| components.join("/"))
}

fn tag() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}",
        1 => "[a-z]{126,130}",
    ]
}

fn digest() -> impl Strategy<Value = String> {
    let algorithm = prop::sample::select(vec!["sha256", "sha512", "sha384", "md5", "SHA256"]);
    let length = prop::sample::select(vec![64usize, 128, 96, 32, 63]);
    (algorithm, length, any::<bool>(), "[0-9a-f]{128}").prop_map(
        |(algorithm, length, upper, hex)| {
            let hex = hex.get(..length).unwrap_or_default();
            let hex = if upper {
                hex.to_ascii_uppercase()
            } else {
                hex.to_owned()
            };
            format!("{algorithm}:{hex}")
        },
    )
}

fn valid_shaped() -> impl Strategy<Value = String> {
    (
        prop::option::weighted(0.6, host()),
        path(),
        prop::option::weighted(0.6, tag()),
        prop::option::weighted(0.3, digest()),
    )
        .prop_map(|(host, path, tag, digest)| {
            let mut s = String::new();
            if let Some(host) = host {
                s.push_str(&host);
                s.push('/');
            }
            s.push_str(&path);
            if let Some(tag) = tag {
                s.push(':');
                s.push_str(&tag);
            }
            if let Some(digest) = digest {
                s.push('@');
                s.push_str(&digest);
            }
            s
        })
}

/// An edit: where (taken modulo the length), what (insert, replace, delete) and which character.
type Edit = (usize, u8, char);

fn apply(s: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for &(at, kind, c) in edits {
        let at = at % (chars.len() + 1);
        match kind {
            0 => chars.insert(at, c),
            1 if at < chars.len() => chars[at] = c,
            _ if at < chars.len() => {
                chars.remove(at);
            }
            _ => chars.push(c),
        }
    }
    chars.into_iter().collect()
}

fn mutated() -> impl Strategy<Value = String> {
    let edit = (
        any::<usize>(),
        0u8..3,
        prop::sample::select(vec![
            'a', 'A', 'Z', '0', '/', ':', '@', '.', '_', '-', '[', ']', 'é', '$', ' ',
        ]),
    );
    (valid_shaped(), prop::collection::vec(edit, 1..4)).prop_map(|(s, edits)| apply(&s, &edits))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]

    #[test]
    fn agrees_on_valid_shaped_references(s in valid_shaped()) {
        if let Some(problem) = disagreement(&s) {
            prop_assert!(false, "{}", problem);
        }
    }

    #[test]
    fn agrees_on_mutated_references(s in mutated()) {
        if let Some(problem) = disagreement(&s) {
            prop_assert!(false, "{}", problem);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_text(s in ".{0,300}") {
        let _ = Reference::parse(&s);
    }
}

#[test]
fn agrees_on_oci_specs_own_examples() {
    let f64 = "f".repeat(64);
    let f128 = "f".repeat(128);
    for s in [
        "busybox".to_owned(),
        "test.com:tag".to_owned(),
        "test.com:5000".to_owned(),
        "test.com/repo:tag".to_owned(),
        "test:5000/repo".to_owned(),
        "test:5000/repo:tag".to_owned(),
        format!("test:5000/repo@sha256:{f64}"),
        format!("test:5000/repo:tag@sha256:{f64}"),
        "lowercase:Uppercase".to_owned(),
        "sub-dom1.foo.com/bar/baz/quux".to_owned(),
        "sub-dom1.foo.com/bar/baz/quux:some-long-tag".to_owned(),
        "b.gcr.io/test.example.com/my-app:test.example.com".to_owned(),
        "xn--n3h.com/myimage:xn--n3h.com".to_owned(),
        format!("xn--7o8h.com/myimage:xn--7o8h.com@sha512:{f128}"),
        "foo_bar.com:8080".to_owned(),
        "foo/foo_bar.com:8080".to_owned(),
        "opensuse/leap:15.3".to_owned(),
        String::new(),
        ":justtag".to_owned(),
        format!("@sha256:{f64}"),
        "repo@sha256:ffffffffffffffffffffffffffffffffff".to_owned(),
        format!("validname@invaliddigest:{f64}"),
        "Uppercase:tag".to_owned(),
        "test:5000/Uppercase/lowercase:tag".to_owned(),
        "a".repeat(256),
        "aa/asdf$$^/aa".to_owned(),
    ] {
        assert_eq!(disagreement(&s), None);
    }
}

/// One example of each documented difference, with both parsers' answers spelled out, so that a
/// change on either side shows up here first.
#[test]
fn documented_differences() {
    let oci = |s: &str| {
        OciReference::try_from(s).map(|r| {
            (
                r.registry().to_owned(),
                r.repository().to_owned(),
                r.tag().map(str::to_owned),
            )
        })
    };
    let bona = |s: &str| {
        Reference::parse(s).map(|r| {
            (
                r.registry().to_owned(),
                r.repository().to_owned(),
                r.tag().map(str::to_owned),
            )
        })
    };
    let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), Some(c.to_owned()));

    // 1. sha384 and upper-case hex.
    let sha384 = format!("a@sha384:{}", "0".repeat(96));
    let upper = format!("a@sha256:{}", "A".repeat(64));
    for s in [&sha384, &upper] {
        assert!(oci(s).is_ok(), "{s}");
        assert!(bona(s).is_err(), "{s}");
    }
    // 2. A non-ASCII tag.
    assert!(oci("a:é").is_ok());
    assert!(bona("a:é").is_err());
    // 3. An upper-case first component.
    assert_eq!(oci("Foo/bar:1"), Ok(owned("docker.io", "Foo/bar", "1")));
    assert_eq!(bona("Foo/bar:1"), Ok(owned("foo", "bar", "1")));
    // 4. Registry case.
    assert_eq!(oci("Reg.IO/a"), Ok(owned("Reg.IO", "a", "latest")));
    assert_eq!(bona("Reg.IO/a"), Ok(owned("reg.io", "a", "latest")));
    // 5. Docker Hub aliases.
    assert_eq!(
        oci("registry-1.docker.io/a"),
        Ok(owned("registry-1.docker.io", "a", "latest"))
    );
    assert_eq!(
        bona("registry-1.docker.io/a"),
        Ok(owned("docker.io", "library/a", "latest"))
    );
    assert_eq!(
        oci("INDEX.DOCKER.IO/a"),
        Ok(owned("INDEX.DOCKER.IO", "a", "latest"))
    );
    assert_eq!(
        bona("INDEX.DOCKER.IO/a"),
        Ok(owned("docker.io", "library/a", "latest"))
    );
    // 6. A registry with `_`.
    assert_eq!(
        oci("foo_bar.com/a"),
        Ok(owned("foo_bar.com", "a", "latest"))
    );
    assert!(bona("foo_bar.com/a").is_err());
    // 7. Name length: 245 characters of repository on a 20-character registry.
    let long = format!("registry.company.com/{}", "a".repeat(245));
    assert!(oci(&long).is_ok());
    assert!(bona(&long).is_err());
    // 8. IPv6.
    assert!(oci("[::1]:5000/a").is_err());
    assert_eq!(bona("[::1]:5000/a"), Ok(owned("[::1]:5000", "a", "latest")));
    // 9. Image ids.
    let id = "0123456789abcdef".repeat(4);
    assert!(oci(&id).is_ok());
    assert!(bona(&id).is_err());
}
