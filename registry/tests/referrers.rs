//! OCI 1.1 referrers (`registry/src/referrers.rs`) against a small registry of the test's own on
//! 127.0.0.1 (plain HTTP, `--insecure-registry`, allowed by a literal `--registry-allow`), which
//! serves fixed answers by path and query and can lie: pages linked by relative and absolute
//! `Link` headers, a registry without the referrers API (the `sha256-<hex>` tag), GHCR's
//! descriptors without `artifactType`, annotations that lie about the content, failing pages,
//! blobs that do not match their digest, and bundles over the limit.
//!
//! The bundles carry no valid signature: the runtime verifies them later; here they only need
//! to be well-formed, with a DSSE payload that is the base64 of an in-toto statement.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bona_registry::allow::RegistryAllow;
use bona_registry::client::{Client, ClientOptions};
use bona_registry::manifest::{BUNDLE_LIMIT, digest_of};
use bona_registry::referrers::{MAX_PAGES, Referrers, referrers};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

const REPOSITORY: &str = "org/app";
const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";
const SLSA_V1: &str = "https://slsa.dev/provenance/v1";

/// One route's answer.
#[derive(Clone)]
struct Answer {
    status: u16,
    content_type: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
    body: Bytes,
}

impl Answer {
    fn ok(content_type: &'static str, body: impl Into<Bytes>) -> Answer {
        Answer {
            status: 200,
            content_type: Some(content_type),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    fn status(status: u16) -> Answer {
        Answer {
            status,
            content_type: Some("application/json"),
            headers: Vec::new(),
            body: Bytes::from_static(br#"{"errors": [{"code": "UNKNOWN"}]}"#),
        }
    }
}

/// A registry on 127.0.0.1 answering by path and query (404 for anything else), logging every
/// request; it stops (its listener and connections) when dropped.
struct Registry {
    address: String,
    routes: Arc<Mutex<HashMap<String, Answer>>>,
    requests: Arc<Mutex<Vec<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Registry {
    fn drop(&mut self) {
        // The accept loop owns the connections' tasks: aborting it ends them too.
        self.server.abort();
    }
}

impl Registry {
    async fn start() -> Registry {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let routes: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let (served, log) = (Arc::clone(&routes), Arc::clone(&requests));
        let server = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (routes, log) = (Arc::clone(&served), Arc::clone(&log));
                let service = hyper::service::service_fn(move |request| {
                    let (routes, log) = (Arc::clone(&routes), Arc::clone(&log));
                    async move { Ok::<_, Infallible>(respond(&request, &routes, &log)) }
                });
                connections.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Registry {
            address,
            routes,
            requests,
            server,
        }
    }

    fn serve(&self, path: &str, answer: Answer) {
        self.routes.lock().unwrap().insert(path.to_owned(), answer);
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn requested(&self, path: &str) -> bool {
        self.requests().iter().any(|r| r == path)
    }

    fn client(&self) -> Client {
        Client::new(ClientOptions {
            // Loopback needs a glob naming the registry literally (allow.rs).
            allow: RegistryAllow::new([self.address.as_str()]).unwrap(),
            insecure: vec![self.address.clone()],
            timeout: Duration::from_secs(20),
            ..ClientOptions::default()
        })
        .unwrap()
    }

    async fn referrers(&self) -> Referrers {
        referrers(&self.client(), &self.address, REPOSITORY, &image()).await
    }

    /// Serves `bytes` as a blob; its descriptor.
    fn blob(&self, bytes: &[u8]) -> Value {
        let digest = digest_of(bytes);
        self.serve(
            &format!("/v2/{REPOSITORY}/blobs/{digest}"),
            Answer::ok("application/octet-stream", bytes.to_vec()),
        );
        json!({"mediaType": BUNDLE_V03, "digest": digest, "size": bytes.len()})
    }

    /// Serves an OCI 1.1 artifact holding `bundle` as cosign lays it out (an empty config, one
    /// layer, the image as subject), with the manifest's `artifact_type` and `annotations`; its
    /// descriptor as a referrers index lists it (both copied there, as registries do).
    fn artifact(&self, bundle: &[u8], artifact_type: Option<&str>, annotations: Value) -> Value {
        let layer = self.blob(bundle);
        self.artifact_with_layer(layer, artifact_type, annotations)
    }

    fn artifact_with_layer(
        &self,
        layer: Value,
        artifact_type: Option<&str>,
        annotations: Value,
    ) -> Value {
        let mut manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                       "digest": digest_of(b"{}"), "size": 2},
            "layers": [layer],
            "subject": {"mediaType": OCI_MANIFEST, "digest": image(), "size": 100},
            "annotations": annotations,
        });
        if let Some(t) = artifact_type {
            manifest["artifactType"] = json!(t);
        }
        let bytes = manifest.to_string().into_bytes();
        let digest = digest_of(&bytes);
        self.serve(
            &format!("/v2/{REPOSITORY}/manifests/{digest}"),
            Answer::ok(OCI_MANIFEST, bytes.clone()),
        );
        let mut descriptor = json!({
            "mediaType": OCI_MANIFEST, "digest": digest, "size": bytes.len(),
            "annotations": annotations,
        });
        if let Some(t) = artifact_type {
            descriptor["artifactType"] = json!(t);
        }
        descriptor
    }

    /// Serves a referrers index at `path`, with a `Link` header when given.
    fn page(&self, path: &str, descriptors: &[Value], link: Option<String>) {
        let mut answer = Answer::ok(OCI_INDEX, index(descriptors));
        if let Some(link) = link {
            answer.headers.push(("link", link));
        }
        self.serve(path, answer);
    }
}

fn respond(
    request: &hyper::Request<hyper::body::Incoming>,
    routes: &Mutex<HashMap<String, Answer>>,
    log: &Mutex<Vec<String>>,
) -> hyper::Response<Full<Bytes>> {
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    log.lock().unwrap().push(path.clone());
    let answer = routes
        .lock()
        .unwrap()
        .get(&path)
        .cloned()
        .unwrap_or_else(|| Answer::status(404));
    let mut response = hyper::Response::builder().status(answer.status);
    if let Some(content_type) = answer.content_type {
        response = response.header("content-type", content_type);
    }
    for (name, value) in &answer.headers {
        response = response.header(*name, value);
    }
    response.body(Full::new(answer.body)).unwrap()
}

/// The digest of the image whose referrers are read.
fn image() -> String {
    digest_of(b"the image")
}

fn referrers_path() -> String {
    format!("/v2/{REPOSITORY}/referrers/{}", image())
}

fn tag_path() -> String {
    format!(
        "/v2/{REPOSITORY}/manifests/{}",
        image().replacen(':', "-", 1)
    )
}

fn index(descriptors: &[Value]) -> Vec<u8> {
    json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors})
        .to_string()
        .into_bytes()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An in-toto v1 statement about the image.
fn statement(predicate_type: &str, predicate: Value) -> Vec<u8> {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.example/org/app",
                     "digest": {"sha256": image().trim_start_matches("sha256:")}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
    .to_string()
    .into_bytes()
}

/// A v0.3 bundle of a DSSE envelope holding `payload` (its signature is not a real one).
fn dsse_bundle_of(payload_type: &str, payload: &[u8]) -> Value {
    json!({
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {"publicKey": {"hint": "test-key"}},
        "dsseEnvelope": {
            "payload": b64(payload),
            "payloadType": payload_type,
            "signatures": [{"keyid": "", "sig": b64(b"not a real signature")}],
        },
    })
}

/// A cosign v3 image signature: a `https://sigstore.dev/cosign/sign/v1` statement.
fn signature_bundle(n: u32) -> Value {
    dsse_bundle_of(
        "application/vnd.in-toto+json",
        &statement(COSIGN_SIGN, json!({"n": n})),
    )
}

/// An SLSA v1 provenance attestation.
fn provenance_bundle(builder: &str) -> Value {
    dsse_bundle_of(
        "application/vnd.in-toto+json",
        &statement(SLSA_V1, json!({"runDetails": {"builder": {"id": builder}}})),
    )
}

fn bytes(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

fn entry(bundle: &Value) -> Value {
    json!({ "bundle": bundle })
}

fn hints(content: &str, predicate_type: &str) -> Value {
    json!({"dev.sigstore.bundle.content": content,
           "dev.sigstore.bundle.predicateType": predicate_type})
}

#[tokio::test]
async fn pages_are_followed_by_relative_and_absolute_links() {
    let registry = Registry::start().await;
    let (sig, att1, att2) = (
        signature_bundle(1),
        provenance_bundle("https://ci.example/one"),
        provenance_bundle("https://ci.example/two"),
    );
    let a = registry.artifact(&bytes(&sig), Some(BUNDLE_V03), json!({}));
    let b = registry.artifact(&bytes(&att1), Some(BUNDLE_V03), json!({}));
    let c = registry.artifact(&bytes(&att2), Some(BUNDLE_V03), json!({}));
    let first = referrers_path();
    let second = format!("{first}?n=1&last=a");
    let third = format!("{first}?n=1&last=b");
    // An absolute-path link, then an absolute URL on the registry itself (bare `rel`).
    registry.page(&first, &[a], Some(format!(r#"<{second}>; rel="next""#)));
    registry.page(
        &second,
        &[b],
        Some(format!(
            r#"<http://{}{third}>; rel=next, <{first}>; rel="first""#,
            registry.address
        )),
    );
    registry.page(&third, &[c], None);

    let found = registry.referrers().await;
    assert!(found.complete, "{:?}", found.failures);
    assert!(found.answered);
    assert_eq!(found.signatures, [entry(&sig)]);
    assert_eq!(found.attestations, [entry(&att1), entry(&att2)]);
    for page in [&first, &second, &third] {
        assert!(
            registry.requested(page),
            "{page}: {:?}",
            registry.requests()
        );
    }
    // The referrers API answered: the tag is not asked.
    assert!(!registry.requested(&tag_path()));
}

#[tokio::test]
async fn a_relative_path_link_is_resolved_against_the_page() {
    let registry = Registry::start().await;
    let att = provenance_bundle("https://ci.example/one");
    let a = registry.artifact(&bytes(&att), Some(BUNDLE_V03), json!({}));
    let first = referrers_path();
    let digest = image();
    registry.page(
        &first,
        &[],
        Some(format!("<./{digest}?last=x>; rel=\"next\"")),
    );
    registry.page(
        &format!("{first}?last=x"),
        &[a],
        Some("<?last=y>; rel=next".into()),
    );
    registry.page(&format!("{first}?last=y"), &[], None);

    let found = registry.referrers().await;
    assert!(found.complete, "{:?}", found.failures);
    assert_eq!(found.attestations, [entry(&att)]);
    assert!(registry.requested(&format!("{first}?last=y")));
}

#[tokio::test]
async fn a_404_falls_back_to_the_referrers_tag() {
    let registry = Registry::start().await;
    let (sig, att) = (
        signature_bundle(1),
        provenance_bundle("https://ci.example/b"),
    );
    let a = registry.artifact(&bytes(&sig), Some(BUNDLE_V03), json!({}));
    let b = registry.artifact(&bytes(&att), Some(BUNDLE_V03), json!({}));
    // No referrers API (unrouted: 404); the tag lists the artifacts.
    registry.serve(&tag_path(), Answer::ok(OCI_INDEX, index(&[a, b])));

    let found = registry.referrers().await;
    assert!(found.complete, "{:?}", found.failures);
    assert!(found.answered);
    assert_eq!(found.signatures, [entry(&sig)]);
    assert_eq!(found.attestations, [entry(&att)]);
    assert!(registry.requested(&referrers_path()));
    assert!(registry.requested(&tag_path()));
}

#[tokio::test]
async fn no_api_and_no_tag_is_complete_and_empty() {
    let registry = Registry::start().await;
    let found = registry.referrers().await;
    assert!(found.complete, "{:?}", found.failures);
    assert!(found.answered);
    assert!(found.signatures.is_empty() && found.attestations.is_empty());
    assert!(found.failures.is_empty());
    assert_eq!(registry.requests(), [referrers_path(), tag_path()]);
}

#[tokio::test]
async fn a_failing_page_keeps_the_earlier_ones() {
    let registry = Registry::start().await;
    let sig = signature_bundle(1);
    let a = registry.artifact(&bytes(&sig), Some(BUNDLE_V03), json!({}));
    let first = referrers_path();
    let second = format!("{first}?last=a");
    registry.page(&first, &[a], Some(format!("<{second}>; rel=\"next\"")));
    registry.serve(&second, Answer::status(500));

    let found = registry.referrers().await;
    assert!(!found.complete);
    assert!(found.answered);
    assert_eq!(found.signatures, [entry(&sig)]);
    assert_eq!(
        found.failures,
        [format!(
            "{}: referrers page 2: answered 500",
            registry.address
        )]
    );
    // A failing page is no reason to ask the tag: only a 404 on the first page is.
    assert!(!registry.requested(&tag_path()));
}

#[tokio::test]
async fn a_rate_limited_first_page_is_partial_and_nothing_answered() {
    let registry = Registry::start().await;
    registry.serve(&referrers_path(), Answer::status(429));
    let (client, digest) = (registry.client(), image());
    let read = || referrers(&client, &registry.address, REPOSITORY, &digest);
    let found = read().await;
    assert!(!found.complete);
    assert!(!found.answered);
    assert!(
        found.failures[0].contains(&format!("rate-limited by {} until", registry.address)),
        "{:?}",
        found.failures
    );
    assert!(found.failures[0].starts_with(&registry.address));
    assert!(!registry.requested(&tag_path()));
    // Until the Retry-After (60 s when none is given), the registry gets no request at all.
    let before = registry.requests().len();
    let again = read().await;
    assert!(!again.answered);
    assert!(
        again.failures[0].contains("rate-limited by"),
        "{:?}",
        again.failures
    );
    assert_eq!(registry.requests().len(), before);
}

#[tokio::test]
async fn a_failing_tag_is_partial() {
    let registry = Registry::start().await;
    registry.serve(&tag_path(), Answer::status(503));
    let found = registry.referrers().await;
    assert!(!found.complete);
    assert_eq!(
        found.failures,
        [format!(
            "{}: the referrers tag {}: answered 503",
            registry.address,
            image().replacen(':', "-", 1)
        )]
    );
}

#[tokio::test]
async fn eleven_pages_are_partial() {
    let registry = Registry::start().await;
    let base = referrers_path();
    let path = |n: usize| {
        if n == 1 {
            base.clone()
        } else {
            format!("{base}?page={n}")
        }
    };
    let mut bundles = Vec::new();
    for n in 1..=11 {
        let att = provenance_bundle(&format!("https://ci.example/{n}"));
        let d = registry.artifact(&bytes(&att), Some(BUNDLE_V03), json!({}));
        bundles.push(att);
        let link = (n < 11).then(|| format!("<{}>; rel=\"next\"", path(n + 1)));
        registry.page(&path(n), &[d], link);
    }

    let found = registry.referrers().await;
    assert!(!found.complete);
    assert_eq!(MAX_PAGES, 10);
    // The first ten pages are read and kept; the eleventh is never asked.
    let first_ten: Vec<Value> = bundles.iter().take(10).map(entry).collect();
    assert_eq!(found.attestations, first_ten);
    assert!(registry.requested(&path(10)));
    assert!(!registry.requested(&path(11)));
    assert_eq!(
        found.failures,
        [format!(
            "{}: referrers: more than 10 pages (the rest is not read)",
            registry.address
        )]
    );
}

#[tokio::test]
async fn ghcr_descriptors_without_artifact_type_are_read_from_their_manifest() {
    let registry = Registry::start().await;
    let (sig, att) = (
        signature_bundle(1),
        provenance_bundle("https://ci.example/g"),
    );
    // GHCR: `artifactType` empty, or missing, in the index; the manifests have theirs.
    let mut a = registry.artifact(&bytes(&sig), Some(BUNDLE_V03), json!({}));
    a["artifactType"] = json!("");
    let mut b = registry.artifact(
        &bytes(&att),
        Some("application/vnd.dev.sigstore.bundle+json;version=0.3"),
        json!({}),
    );
    b.as_object_mut().unwrap().remove("artifactType");
    // An SBOM, also without `artifactType` in the index: its manifest says what it is.
    let sbom_layer = registry.blob(b"{\"spdxVersion\": \"SPDX-2.3\"}");
    let mut c =
        registry.artifact_with_layer(sbom_layer.clone(), Some("application/spdx+json"), json!({}));
    c["artifactType"] = json!("");
    registry.page(&referrers_path(), &[a.clone(), b.clone(), c.clone()], None);

    let found = registry.referrers().await;
    assert!(found.complete, "{:?}", found.failures);
    assert_eq!(found.signatures, [entry(&sig)]);
    assert_eq!(found.attestations, [entry(&att)]);
    for d in [&a, &b, &c] {
        let digest = d["digest"].as_str().unwrap();
        assert!(registry.requested(&format!("/v2/{REPOSITORY}/manifests/{digest}")));
    }
    // The SBOM's manifest is no bundle: its layer is never fetched.
    let sbom = sbom_layer["digest"].as_str().unwrap();
    assert!(!registry.requested(&format!("/v2/{REPOSITORY}/blobs/{sbom}")));
}

#[tokio::test]
async fn content_decides_not_annotations() {
    let registry = Registry::start().await;
    let (sig, att) = (
        signature_bundle(1),
        provenance_bundle("https://ci.example/x"),
    );
    // Each artifact's annotations claim the other kind.
    let a = registry.artifact(
        &bytes(&sig),
        Some(BUNDLE_V03),
        hints("dsse-envelope", SLSA_V1),
    );
    let b = registry.artifact(
        &bytes(&att),
        Some("application/vnd.dev.sigstore.bundle+json ; version=0.2"),
        hints("message-signature", COSIGN_SIGN),
    );
    registry.page(&referrers_path(), &[a, b], None);

    let found = registry.referrers().await;
    assert!(found.complete, "{:?}", found.failures);
    assert_eq!(found.signatures, [entry(&sig)]);
    assert_eq!(found.attestations, [entry(&att)]);
}

#[tokio::test]
async fn other_artifact_types_are_not_fetched() {
    let registry = Registry::start().await;
    let notary = registry.artifact(
        b"{}",
        Some("application/vnd.cncf.notary.signature"),
        json!({}),
    );
    // The annotation says a Sigstore bundle; `artifactType` decides candidates.
    let sbom = registry.artifact(
        &bytes(&signature_bundle(1)),
        Some("application/spdx+json"),
        hints("dsse-envelope", COSIGN_SIGN),
    );
    registry.page(&referrers_path(), &[notary.clone(), sbom.clone()], None);

    let found = registry.referrers().await;
    assert!(found.complete, "{:?}", found.failures);
    assert!(found.signatures.is_empty() && found.attestations.is_empty());
    assert_eq!(registry.requests(), [referrers_path()]);
}

#[tokio::test]
async fn a_bundle_that_does_not_match_its_digest_is_dropped() {
    let registry = Registry::start().await;
    let (good, bad) = (
        provenance_bundle("https://ci.example/good"),
        provenance_bundle("https://ci.example/bad"),
    );
    let a = registry.artifact(&bytes(&good), Some(BUNDLE_V03), json!({}));
    let b = registry.artifact(&bytes(&bad), Some(BUNDLE_V03), json!({}));
    // The registry serves other bytes, of the same length, for the second bundle.
    let tampered = bytes(&bad)
        .iter()
        .map(|&c| if c == b'b' { b'B' } else { c })
        .collect::<Vec<_>>();
    let digest = digest_of(&bytes(&bad));
    registry.serve(
        &format!("/v2/{REPOSITORY}/blobs/{digest}"),
        Answer::ok("application/octet-stream", tampered.clone()),
    );
    registry.page(&referrers_path(), &[a, b.clone()], None);

    let found = registry.referrers().await;
    assert!(!found.complete);
    assert_eq!(found.attestations, [entry(&good)]);
    assert_eq!(
        found.failures,
        [format!(
            "{}: referrer {}: content fetched as {digest} hashes to {}",
            registry.address,
            b["digest"].as_str().unwrap(),
            digest_of(&tampered)
        )]
    );
}

#[tokio::test]
async fn a_manifest_that_does_not_match_its_digest_is_dropped() {
    let registry = Registry::start().await;
    let sig = signature_bundle(1);
    let a = registry.artifact(&bytes(&sig), Some(BUNDLE_V03), json!({}));
    let digest = a["digest"].as_str().unwrap();
    let size = a["size"].as_u64().unwrap() as usize;
    registry.serve(
        &format!("/v2/{REPOSITORY}/manifests/{digest}"),
        Answer::ok(OCI_MANIFEST, vec![b' '; size]),
    );
    registry.page(&referrers_path(), std::slice::from_ref(&a), None);

    let found = registry.referrers().await;
    assert!(!found.complete);
    assert!(found.signatures.is_empty());
    assert!(
        found.failures[0].contains("hashes to"),
        "{:?}",
        found.failures
    );
}

#[tokio::test]
async fn oversize_bundles_are_dropped() {
    let registry = Registry::start().await;
    let good = signature_bundle(1);
    let a = registry.artifact(&bytes(&good), Some(BUNDLE_V03), json!({}));
    // A layer whose descriptor is over the 16 MiB limit: refused before any request.
    let huge =
        json!({"mediaType": BUNDLE_V03, "digest": digest_of(b"huge"), "size": BUNDLE_LIMIT + 1});
    let b = registry.artifact_with_layer(huge, Some(BUNDLE_V03), json!({}));
    // A layer whose blob is longer than its descriptor says: refused while reading.
    let long = provenance_bundle("https://ci.example/long");
    let mut layer = registry.blob(&bytes(&long));
    let short = layer["size"].as_u64().unwrap() - 10;
    layer["size"] = json!(short);
    let c = registry.artifact_with_layer(layer, Some(BUNDLE_V03), json!({}));
    registry.page(&referrers_path(), &[a, b.clone(), c.clone()], None);

    let found = registry.referrers().await;
    assert!(!found.complete);
    assert_eq!(found.signatures, [entry(&good)]);
    assert!(found.attestations.is_empty());
    assert!(!registry.requested(&format!("/v2/{REPOSITORY}/blobs/{}", digest_of(b"huge"))));
    assert_eq!(found.failures.len(), 2, "{:?}", found.failures);
    assert_eq!(
        found.failures[0],
        format!(
            "{}: referrer {}: the bundle is larger than {BUNDLE_LIMIT} bytes",
            registry.address,
            b["digest"].as_str().unwrap()
        )
    );
    assert_eq!(
        found.failures[1],
        format!(
            "{}: referrer {}: the response is larger than {short} bytes",
            registry.address,
            c["digest"].as_str().unwrap()
        )
    );
}

#[tokio::test]
async fn a_message_signature_bundle_is_left_out_and_partial() {
    let registry = Registry::start().await;
    let message = json!({
        "mediaType": BUNDLE_V03,
        "verificationMaterial": {"publicKey": {"hint": "test-key"}},
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(&[7; 32])},
            "signature": b64(b"not a real signature"),
        },
    });
    let a = registry.artifact(
        &bytes(&message),
        Some(BUNDLE_V03),
        hints("message-signature", ""),
    );
    registry.page(&referrers_path(), std::slice::from_ref(&a), None);

    let found = registry.referrers().await;
    assert!(!found.complete);
    assert!(found.signatures.is_empty() && found.attestations.is_empty());
    assert_eq!(found.failures.len(), 1);
    assert!(
        found.failures[0].contains("messageSignature") && found.failures[0].contains("payload"),
        "{:?}",
        found.failures
    );
}

#[tokio::test]
async fn bundles_that_could_never_verify_are_skipped_and_complete() {
    let registry = Registry::start().await;
    let att = provenance_bundle("https://ci.example/ok");
    let good = registry.artifact(&bytes(&att), Some(BUNDLE_V03), json!({}));
    let not_json = registry.artifact(b"not json at all", Some(BUNDLE_V03), json!({}));
    // The runtime cannot read it (no verification material): it would make the whole facts
    // document bad input.
    let mut unreadable = signature_bundle(2);
    unreadable
        .as_object_mut()
        .unwrap()
        .remove("verificationMaterial");
    let unreadable = registry.artifact(&bytes(&unreadable), Some(BUNDLE_V03), json!({}));
    // A DSSE payload that is no in-toto statement counts for nothing.
    let other = dsse_bundle_of("text/plain", b"hello");
    let other = registry.artifact(&bytes(&other), Some(BUNDLE_V03), json!({}));
    registry.page(
        &referrers_path(),
        &[good, not_json, unreadable, other],
        None,
    );

    let found = registry.referrers().await;
    assert!(found.complete, "{:?}", found.failures);
    assert_eq!(found.attestations, [entry(&att)]);
    assert!(found.signatures.is_empty());
    assert_eq!(found.skipped.len(), 3, "{:?}", found.skipped);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let registry = Registry::start().await;
    let sig = signature_bundle(1);
    let a = registry.artifact(&bytes(&sig), Some(BUNDLE_V03), json!({}));
    registry.page(
        &referrers_path(),
        &[a],
        Some(format!(
            "<http://169.254.169.254{}?token=secret>; rel=\"next\"",
            referrers_path()
        )),
    );

    let found = registry.referrers().await;
    assert!(!found.complete);
    assert_eq!(found.signatures, [entry(&sig)]);
    assert_eq!(
        found.failures,
        [format!(
            "{}: referrers page 1: the next link leads to another host (169.254.169.254), \
             which is not followed",
            registry.address
        )]
    );
}

#[tokio::test]
async fn duplicate_descriptors_are_read_once() {
    let registry = Registry::start().await;
    let sig = signature_bundle(1);
    let a = registry.artifact(&bytes(&sig), Some(BUNDLE_V03), json!({}));
    let first = referrers_path();
    let second = format!("{first}?last=a");
    registry.page(
        &first,
        std::slice::from_ref(&a),
        Some(format!("<{second}>; rel=\"next\"")),
    );
    registry.page(&second, std::slice::from_ref(&a), None);

    let found = registry.referrers().await;
    assert!(found.complete, "{:?}", found.failures);
    assert_eq!(found.signatures, [entry(&sig)]);
    let manifest = format!(
        "/v2/{REPOSITORY}/manifests/{}",
        a["digest"].as_str().unwrap()
    );
    assert_eq!(
        registry
            .requests()
            .iter()
            .filter(|r| **r == manifest)
            .count(),
        1
    );
}

#[tokio::test]
async fn more_than_a_thousand_signatures_is_partial() {
    let registry = Registry::start().await;
    let descriptors: Vec<Value> = (0..1_001)
        .map(|n| registry.artifact(&bytes(&signature_bundle(n)), Some(BUNDLE_V03), json!({})))
        .collect();
    let att = provenance_bundle("https://ci.example/after");
    let mut all = descriptors;
    all.push(registry.artifact(&bytes(&att), Some(BUNDLE_V03), json!({})));
    registry.page(&referrers_path(), &all, None);

    let found = registry.referrers().await;
    assert!(!found.complete);
    assert_eq!(found.signatures.len(), 1_000);
    assert_eq!(found.signatures[0], entry(&signature_bundle(0)));
    // The attestations are not cut short by the signatures.
    assert_eq!(found.attestations, [entry(&att)]);
    assert_eq!(
        found.failures,
        [format!(
            "{}: referrers: more than 1000 signatures",
            registry.address
        )]
    );
}
