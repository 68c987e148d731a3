//! Registry faults that a real registry cannot be made to produce, served by the test's own
//! registry on 127.0.0.1 (`crate::facts_registry::Registry`): each with the reason Bona gives
//! and what it does with the facts. (Wrong credentials and a credential helper are tested
//! against Debian's docker-registry in `registry_real.rs`; tampered blobs, a lying digest header
//! and `--registry-allow` in `facts_registry.rs`; outages, slowness and single flight at
//! admission in `serve/registry.rs`.)

use std::collections::BTreeMap;
use std::process::Output;

use serde_json::json;

use crate::facts_registry::{
    Answer, Built, Registry, built, digest, facts_of, facts_registry, image, key,
};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn status(code: u16, headers: &[(&str, &str)]) -> Answer {
    Answer {
        status: code,
        content_type: "application/json",
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body: b"{}".to_vec(),
    }
}

#[test]
fn a_tag_that_cannot_be_read_leaves_the_image_out_with_the_reason() {
    let cases: [(Answer, &str); 4] = [
        (
            status(401, &[("WWW-Authenticate", "Basic realm=\"registry\"")]),
            "requires credentials, and none are configured for it",
        ),
        (status(403, &[]), "answered 403 for the manifest of tag v1"),
        (status(404, &[]), "the registry has no such manifest"),
        (status(500, &[]), "answered 500 for the manifest of tag v1"),
    ];
    for (answer, reason) in cases {
        let (_, mut routes) = image(None);
        routes.insert("/v2/demo/app/manifests/v1".into(), answer);
        let registry = Registry::start(routes, None);
        let image = format!("{}/demo/app:v1", registry.address);
        let out = facts_registry(&registry, &[], &image);
        assert_eq!(facts_of(&out)["images"], json!({}), "{reason}");
        let err = stderr(&out);
        assert!(
            err.contains(reason) && err.contains("(left out)"),
            "{reason}: {err}"
        );
        let out = facts_registry(&registry, &["--strict"], &image);
        assert_eq!(out.status.code(), Some(1), "{reason}");
    }
}

#[test]
fn a_failing_signature_source_makes_only_that_list_partial() {
    let key = key();
    let (digest, mut routes) = image(Some(&key));
    let sig = format!(
        "/v2/demo/app/manifests/{}.sig",
        digest.replacen(':', "-", 1)
    );
    routes.insert(sig, status(503, &[]));
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/app:v1", registry.address);
    let out = facts_registry(&registry, &[], &image);
    let entry = facts_of(&out)["images"][&image].clone();
    // The referrers answered (404, then the fallback tag 404): the list is known but partial.
    assert_eq!(entry["signatures"], json!([]), "{entry:#}");
    assert_eq!(entry["incomplete"], json!(["signatures"]), "{entry:#}");
    assert_eq!(entry["attestations"].as_array().map(Vec::len), Some(1));
    assert!(stderr(&out).contains("answered 503"), "{}", stderr(&out));
}

#[test]
fn a_rate_limit_holds_every_request_to_the_registry_until_retry_after() {
    let (_, mut routes) = image(None);
    routes.insert(
        "/v2/demo/app/manifests/v1".into(),
        status(429, &[("Retry-After", "120")]),
    );
    let registry = Registry::start(routes, None);
    let first = format!("{}/demo/app:v1", registry.address);
    let second = format!("{}/demo/other:v1", registry.address);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bona"))
        .args(["facts", "registry", &first, &second, "--registry-allow"])
        .arg(&registry.address)
        .arg("--insecure-registry")
        .arg(&registry.address)
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains(&format!("rate-limited by {} until", registry.address)),
        "{err}"
    );
    // One request answered 429; after it, none (the two images may be read at once, so the
    // second may have been asked before the answer came).
    assert!(registry.requests().len() <= 2, "{:?}", registry.requests());
}

#[test]
fn a_redirect_loop_is_not_followed_forever() {
    let (_, mut routes) = image(None);
    routes.insert(
        "/v2/demo/app/manifests/v1".into(),
        status(307, &[("Location", "/v2/demo/app/manifests/v1")]),
    );
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/app:v1", registry.address);
    let out = facts_registry(&registry, &[], &image);
    assert_eq!(facts_of(&out)["images"], json!({}));
    assert!(stderr(&out).contains("redirect"), "{}", stderr(&out));
    // The first request and at most five redirects.
    assert!(registry.requests().len() <= 6, "{:?}", registry.requests());
}

#[test]
fn a_redirect_to_another_host_carries_no_authorization() {
    // Blob storage elsewhere: the config blob redirects to a second server.
    let mut routes = BTreeMap::new();
    let config = json!({"architecture": "amd64", "os": "linux",
                        "config": {"Labels": {"team": "payments"}},
                        "rootfs": {"type": "layers", "diff_ids": []}})
    .to_string()
    .into_bytes();
    let config_digest = digest(&config);
    let mut storage_routes = BTreeMap::new();
    storage_routes.insert(
        format!("/blobs/{config_digest}"),
        Answer {
            status: 200,
            content_type: "application/octet-stream",
            headers: vec![],
            body: config.clone(),
        },
    );
    let storage = Registry::start(storage_routes, None);
    let manifest = json!({"schemaVersion": 2, "mediaType": MANIFEST,
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                     "digest": config_digest, "size": config.len()},
                          "layers": []})
    .to_string()
    .into_bytes();
    routes.insert(
        "/v2/demo/app/manifests/v1".into(),
        Answer {
            status: 200,
            content_type: MANIFEST,
            headers: vec![],
            body: manifest,
        },
    );
    routes.insert(
        format!("/v2/demo/app/blobs/{config_digest}"),
        status(
            307,
            &[(
                "Location",
                &format!("http://{}/blobs/{config_digest}", storage.address),
            )],
        ),
    );
    // The registry wants a token for everything under /v2/.
    let registry = Registry::start(routes, Some("s3cret"));
    let image = format!("{}/demo/app:v1", registry.address);
    let out = facts_registry(&registry, &["--registry-allow", &storage.address], &image);
    let facts = facts_of(&out);
    assert_eq!(
        facts["images"][&image]["labels"],
        json!({"team": "payments"}),
        "{}",
        stderr(&out)
    );
    assert!(!registry.authorized().is_empty());
    assert_eq!(storage.requests().len(), 1);
    assert!(
        storage.authorized().is_empty(),
        "{:?}",
        storage.authorized()
    );
}

#[test]
fn oversized_and_schema_1_manifests_are_refused() {
    let big = Answer {
        status: 200,
        content_type: MANIFEST,
        headers: vec![],
        body: vec![b' '; 5 << 20],
    };
    let schema1 = Answer {
        status: 200,
        content_type: "application/vnd.docker.distribution.manifest.v1+prettyjws",
        headers: vec![],
        body: json!({"schemaVersion": 1, "name": "demo/app", "tag": "v1", "fsLayers": []})
            .to_string()
            .into_bytes(),
    };
    for (answer, reason) in [(big, "larger than"), (schema1, "unsupported manifest type")] {
        let (_, mut routes) = image(None);
        routes.insert("/v2/demo/app/manifests/v1".into(), answer);
        let registry = Registry::start(routes, None);
        let image = format!("{}/demo/app:v1", registry.address);
        let out = facts_registry(&registry, &[], &image);
        assert_eq!(facts_of(&out)["images"], json!({}), "{reason}");
        assert!(stderr(&out).contains(reason), "{reason}: {}", stderr(&out));
    }
}

#[test]
fn a_pinned_reference_is_read_at_its_digest_whatever_its_tag_names() {
    // `REPO:TAG@DIGEST`: the kubelet pulls DIGEST; the tag is not resolved.
    let key = key();
    let mut routes = BTreeMap::new();
    let signed = built(&mut routes, &Built::app(), Some(&key));
    let moved = built(
        &mut routes,
        &Built {
            tag: "v2",
            diff_ids: vec![digest(b"other")],
            ..Built::app()
        },
        None,
    );
    // v1 now names the unsigned image.
    let unsigned_manifest = routes[&format!("/v2/demo/app/manifests/{moved}")].clone();
    routes.insert("/v2/demo/app/manifests/v1".into(), unsigned_manifest);
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/app:v1@{signed}", registry.address);
    let facts = facts_of(&facts_registry(&registry, &[], &image));
    let entry = &facts["images"][&image];
    assert_eq!(
        entry["signatures"].as_array().map(Vec::len),
        Some(1),
        "{facts:#}"
    );
    assert!(
        !registry
            .requests()
            .iter()
            .any(|p| p.ends_with("/manifests/v1")),
        "{:?}",
        registry.requests()
    );
}
