//! `bona facts registry` against a small registry of the test's own on 127.0.0.1 (plain HTTP,
//! `--insecure-registry`): an image by tag with labels and a cosign `.sig` signed by a testkit
//! key, read into facts that `bona eval` then judges `signed by` the key. Faults the same
//! registry serves: a blob whose bytes do not match its digest, a `Docker-Content-Digest` that
//! lies, a token flow, a registry outside `--registry-allow` (no request at all).
//!
//! The server answers each connection once and closes it (the client opens one per request),
//! runs on its own thread, and stops when the test drops it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use bona_testkit::keys::Key;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const BONA: &str = env!("CARGO_BIN_EXE_bona");

pub(crate) fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    format!(
        "sha256:{}",
        hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// One route's answer.
#[derive(Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// A registry on 127.0.0.1 serving fixed answers by path; with `token`, every `/v2/` path wants
/// `Authorization: Bearer TOKEN` and `/token` hands it out.
pub(crate) struct Registry {
    pub(crate) address: String,
    requests: Arc<Mutex<Vec<String>>>,
    /// The paths asked for with an `Authorization` header.
    authorized: Arc<Mutex<Vec<String>>>,
    /// What it serves; [`Registry::route`] changes it while it runs (a tag moved).
    routes: Arc<Mutex<BTreeMap<String, Answer>>>,
    stop: Arc<AtomicBool>,
    /// Milliseconds each answer waits before it is sent: a slow registry.
    pub(crate) delay: Arc<std::sync::atomic::AtomicU64>,
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop.
        let _ = TcpStream::connect(&self.address);
    }
}

impl Registry {
    pub(crate) fn start(routes: BTreeMap<String, Answer>, token: Option<&'static str>) -> Registry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let delay = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let authorized = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(Mutex::new(routes));
        let (log, stopped, realm, wait, with_auth, served) = (
            Arc::clone(&requests),
            Arc::clone(&stop),
            format!("http://{address}/token"),
            Arc::clone(&delay),
            Arc::clone(&authorized),
            Arc::clone(&routes),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (routes, realm, log, with_auth) = (
                    Arc::clone(&served),
                    realm.clone(),
                    Arc::clone(&log),
                    Arc::clone(&with_auth),
                );
                let wait = Duration::from_millis(wait.load(Ordering::Relaxed));
                // One thread per connection: a slow answer does not hold up the others.
                std::thread::spawn(move || {
                    std::thread::sleep(wait);
                    let _ = answer(stream, &routes, token, &realm, &log, &with_auth);
                });
            }
        });
        Registry {
            address,
            requests,
            authorized,
            routes,
            stop,
            delay,
        }
    }

    /// Serves `answer` at `path` from now on.
    pub(crate) fn route(&self, path: &str, answer: Answer) {
        self.routes.lock().unwrap().insert(path.to_owned(), answer);
    }

    /// The paths asked for with an `Authorization` header.
    pub(crate) fn authorized(&self) -> Vec<String> {
        self.authorized.lock().unwrap().clone()
    }

    pub(crate) fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn answer(
    mut stream: TcpStream,
    routes: &Mutex<BTreeMap<String, Answer>>,
    token: Option<&str>,
    realm: &str,
    log: &Mutex<Vec<String>>,
    authorized: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
    let mut authorization = None;
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':').unwrap_or((header, ""));
        match name.to_ascii_lowercase().as_str() {
            "authorization" => authorization = Some(value.trim().to_owned()),
            "content-length" => length = value.trim().parse().unwrap_or(0),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    log.lock().unwrap().push(path.clone());
    if authorization.is_some() {
        authorized.lock().unwrap().push(path.clone());
    }
    let route = path.split('?').next().unwrap_or_default();
    let reply = if route == "/token" {
        Answer {
            status: 200,
            content_type: "application/json",
            headers: vec![],
            body: json!({"token": token.unwrap_or_default(), "expires_in": 300})
                .to_string()
                .into_bytes(),
        }
    } else if let Some(t) = token
        && authorization.as_deref() != Some(&format!("Bearer {t}"))
    {
        Answer {
            status: 401,
            content_type: "application/json",
            headers: vec![(
                "WWW-Authenticate".into(),
                format!(r#"Bearer realm="{realm}",service="test""#),
            )],
            body: b"{}".to_vec(),
        }
    } else {
        let found = routes.lock().unwrap().get(route).cloned();
        found.unwrap_or(Answer {
            status: 404,
            content_type: "application/json",
            headers: vec![],
            body: br#"{"errors": [{"code": "MANIFEST_UNKNOWN"}]}"#.to_vec(),
        })
    };
    let mut head = format!(
        "HTTP/1.1 {} X\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n",
        reply.status,
        reply.content_type,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(&reply.body)?;
    stream.flush()
}

/// The simple-signing payload cosign signs for `digest`, and its signature by `key` (base64).
pub fn signed_payload(digest: &str, key: &Key) -> (Vec<u8>, String) {
    let payload = json!({
        "critical": {"identity": {"docker-reference": "demo/app"},
                     "image": {"docker-manifest-digest": digest},
                     "type": "cosign container image signature"},
        "optional": null,
    })
    .to_string()
    .into_bytes();
    let signature = base64::engine::general_purpose::STANDARD.encode(key.sign(&payload));
    (payload, signature)
}

/// A DSSE envelope of an SLSA v1 provenance statement for `digest`, signed by `key`.
pub fn provenance_envelope(digest: &str, key: &Key) -> Vec<u8> {
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "demo/app", "digest": {"sha256": digest.trim_start_matches("sha256:")}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {"buildDefinition": {"buildType": "https://example.com/build/v1"}},
    })
    .to_string()
    .into_bytes();
    let pae = bona_testkit::sigstore::pae("application/vnd.in-toto+json", &statement);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": b64(&statement),
        "signatures": [{"keyid": "", "sig": b64(&key.sign(&pae))}],
    })
    .to_string()
    .into_bytes()
}

/// The image `demo/app:v1`: its manifest digest, and the routes that serve it with a `.sig`
/// signed by `key` (when given).
pub(crate) fn image(key: Option<&Key>) -> (String, BTreeMap<String, Answer>) {
    let mut routes = BTreeMap::new();
    let digest = built(&mut routes, &Built::app(), key);
    (digest, routes)
}

/// An image to serve: where, its layers and its manifest's annotations.
pub(crate) struct Built {
    pub(crate) repository: &'static str,
    pub(crate) tag: &'static str,
    pub(crate) diff_ids: Vec<String>,
    pub(crate) annotations: Value,
    /// Where its `.sig` and `.att` go (cosign's COSIGN_REPOSITORY), when not beside it.
    pub(crate) signatures_in: Option<&'static str>,
}

impl Built {
    pub(crate) fn app() -> Built {
        Built {
            repository: "demo/app",
            tag: "v1",
            diff_ids: vec![digest(b"layer")],
            annotations: json!({}),
            signatures_in: None,
        }
    }
}

/// Adds the routes of `image` (signed and attested by `key` when given); its manifest digest.
pub(crate) fn built(
    routes: &mut BTreeMap<String, Answer>,
    image: &Built,
    key: Option<&Key>,
) -> String {
    const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    let repo = image.repository;
    let config = json!({
        "architecture": "amd64", "os": "linux", "created": "2026-11-20T10:00:00Z",
        "config": {"Labels": {"team": "payments"}},
        "rootfs": {"type": "layers", "diff_ids": image.diff_ids},
    })
    .to_string()
    .into_bytes();
    let manifest = json!({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest(&config), "size": config.len()},
        "layers": [],
        "annotations": image.annotations,
    })
    .to_string()
    .into_bytes();
    let manifest_digest = digest(&manifest);
    let sig_repo = image.signatures_in.unwrap_or(repo);
    let ok = |content_type, body: &Vec<u8>| Answer {
        status: 200,
        content_type,
        headers: vec![("Docker-Content-Digest".into(), digest(body))],
        body: body.clone(),
    };
    routes.insert(
        format!("/v2/{repo}/manifests/{}", image.tag),
        ok(MANIFEST, &manifest),
    );
    routes.insert(
        format!("/v2/{repo}/manifests/{manifest_digest}"),
        ok(MANIFEST, &manifest),
    );
    routes.insert(
        format!("/v2/{repo}/blobs/{}", digest(&config)),
        ok("application/octet-stream", &config),
    );
    if let Some(key) = key {
        let (payload, signature) = signed_payload(&manifest_digest, key);
        let sig_manifest = json!({
            "schemaVersion": 2, "mediaType": MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": digest(b"{}"), "size": 2},
            "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                        "digest": digest(&payload), "size": payload.len(),
                        "annotations": {"dev.cosignproject.cosign/signature": signature}}],
        })
        .to_string()
        .into_bytes();
        let tag = format!("{}.sig", manifest_digest.replacen(':', "-", 1));
        routes.insert(
            format!("/v2/{sig_repo}/manifests/{tag}"),
            ok(MANIFEST, &sig_manifest),
        );
        routes.insert(
            format!("/v2/{sig_repo}/blobs/{}", digest(&payload)),
            ok("application/octet-stream", &payload),
        );
        // An SLSA provenance attestation of the image under the `.att` tag.
        let envelope = provenance_envelope(&manifest_digest, key);
        let att_manifest = json!({
            "schemaVersion": 2, "mediaType": MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": digest(b"{}"), "size": 2},
            "layers": [{"mediaType": "application/vnd.dsse.envelope.v1+json",
                        "digest": digest(&envelope), "size": envelope.len(),
                        "annotations": {"predicateType": "https://slsa.dev/provenance/v1"}}],
        })
        .to_string()
        .into_bytes();
        let tag = format!("{}.att", manifest_digest.replacen(':', "-", 1));
        routes.insert(
            format!("/v2/{sig_repo}/manifests/{tag}"),
            ok(MANIFEST, &att_manifest),
        );
        routes.insert(
            format!("/v2/{sig_repo}/blobs/{}", digest(&envelope)),
            ok("application/octet-stream", &envelope),
        );
    }
    manifest_digest
}

pub(crate) fn facts_registry(registry: &Registry, extra: &[&str], image: &str) -> Output {
    Command::new(BONA)
        .args(["facts", "registry", image, "--registry-allow"])
        .arg(&registry.address)
        .arg("--insecure-registry")
        .arg(&registry.address)
        .args(["--timeout", "5"])
        .args(extra)
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap()
}

pub(crate) fn facts_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub(crate) fn key() -> Key {
    Key::derive(7, "registry-test")
}

/// `bona eval` of `image` with `facts` against a policy that prevents what `key` did not sign.
pub fn eval_signed(dir: &Path, key: &Key, facts: &Value, image: &str) -> Value {
    eval_with(dir, key, facts, image, "signed by release")
}

/// `bona eval` of `image` with `facts` against a policy that prevents what `trust` does not
/// hold for, with the key `release`.
pub fn eval_with(dir: &Path, key: &Key, facts: &Value, image: &str, trust: &str) -> Value {
    std::fs::write(dir.join("release.pub"), key.public_pem()).unwrap();
    std::fs::write(
        dir.join("policy.trust"),
        format!(
            "key release = file(\"release.pub\")\n\npolicy \"signed\" {{\n  action prevent\n  \
             on unknown prevent\n  trust {trust}\n}}\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("facts.json"), facts.to_string()).unwrap();
    let input = json!({
        "time": "2026-11-22T00:00:00Z",
        "asset": {"type": "workload", "cluster": "c", "namespace": "n", "kind": "Deployment", "name": "a"},
        "images": [{"ref": image}],
    });
    std::fs::write(dir.join("input.json"), input.to_string()).unwrap();
    let out = Command::new(BONA)
        .arg("eval")
        .arg("--policy")
        .arg(dir.join("policy.trust"))
        .arg("--input")
        .arg(dir.join("input.json"))
        .arg("--facts")
        .arg(dir.join("facts.json"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn a_signed_tagged_image_is_read_and_judged_signed() {
    let key = key();
    let (manifest_digest, routes) = image(Some(&key));
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/app:v1", registry.address);
    let facts = facts_of(&facts_registry(&registry, &[], &image));
    let entry = &facts["images"][&image];
    assert_eq!(entry["digest"], manifest_digest.as_str());
    assert_eq!(entry["labels"], json!({"team": "payments"}));
    assert_eq!(entry["signatures"].as_array().map(Vec::len), Some(1));

    let dir = tempfile::tempdir().unwrap();
    let decision = eval_signed(dir.path(), &key, &facts, &image);
    assert_eq!(decision["decision"], "allow", "{decision:#}");
    // Another key's policy: the signature is there and does not verify, so not trusted.
    let other = Key::derive(8, "someone-else");
    let decision = eval_signed(dir.path(), &other, &facts, &image);
    assert_eq!(decision["decision"], "prevent", "{decision:#}");

    // The provenance attestation of the `.att` tag counts for the key, not for another.
    assert_eq!(entry["attestations"].as_array().map(Vec::len), Some(1));
    let attested = "attested(release, \"https://slsa.dev/provenance/v1\")";
    let decision = eval_with(dir.path(), &key, &facts, &image, attested);
    assert_eq!(decision["decision"], "allow", "{decision:#}");
    let decision = eval_with(dir.path(), &other, &facts, &image, attested);
    assert_eq!(decision["decision"], "prevent", "{decision:#}");
}

#[test]
fn an_unsigned_image_has_no_signatures_known() {
    let (_, routes) = image(None);
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/app:v1", registry.address);
    let facts = facts_of(&facts_registry(&registry, &[], &image));
    // The .sig and .att tags answered 404: known to have none, so `signed by` is false, not
    // unknown.
    assert_eq!(facts["images"][&image]["signatures"], json!([]));
    assert_eq!(facts["images"][&image]["attestations"], json!([]));
}

#[test]
fn a_token_is_fetched_when_the_registry_asks() {
    let (manifest_digest, routes) = image(Some(&key()));
    let registry = Registry::start(routes, Some("t0ken"));
    let image = format!("{}/demo/app:v1", registry.address);
    let facts = facts_of(&facts_registry(&registry, &[], &image));
    assert_eq!(facts["images"][&image]["digest"], manifest_digest.as_str());
    let requests = registry.requests();
    let tokens = requests.iter().filter(|r| r.starts_with("/token")).count();
    // One token for the repository, cached for the requests that follow.
    assert_eq!(tokens, 1, "{requests:?}");
    assert!(
        requests
            .iter()
            .any(|r| r.contains("scope=repository:demo/app:pull")),
        "{requests:?}"
    );
}

#[test]
fn a_blob_that_does_not_match_its_digest_makes_the_list_partial() {
    let key = key();
    let (manifest_digest, mut routes) = image(Some(&key));
    let tag = format!("{}.sig", manifest_digest.replacen(':', "-", 1));
    // The signature's payload blob: serve other bytes under its digest.
    let sig_manifest: Value =
        serde_json::from_slice(&routes[&format!("/v2/demo/app/manifests/{tag}")].body).unwrap();
    let payload_digest = sig_manifest["layers"][0]["digest"].as_str().unwrap();
    let route = format!("/v2/demo/app/blobs/{payload_digest}");
    let mut tampered = routes[&route].clone();
    tampered.body[0] ^= 1;
    routes.insert(route, tampered);
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/app:v1", registry.address);
    let out = facts_registry(&registry, &[], &image);
    let facts = facts_of(&out);
    let entry = &facts["images"][&image];
    assert_eq!(entry["digest"], manifest_digest.as_str());
    // The tag answered, its one layer did not check: no entry, and the list is partial.
    assert_eq!(entry["signatures"], json!([]), "{entry:#}");
    assert_eq!(entry["incomplete"], json!(["signatures"]), "{entry:#}");
    assert_eq!(entry["attestations"].as_array().map(Vec::len), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("signatures: the tag sha256-")
            && stderr.contains("content fetched as sha256:")
            && stderr.contains("left unknown"),
        "{stderr}"
    );
    // So `signed by` is unknown, never false: `on unknown prevent` refuses, for that reason.
    let dir = tempfile::tempdir().unwrap();
    let decision = eval_signed(dir.path(), &key, &facts, &image);
    let policy = &decision["images"][0]["policies"][0];
    assert_eq!(policy["result"], "unknown", "{decision:#}");
    assert!(
        policy["reasons"][0]
            .as_str()
            .is_some_and(|r| r.contains("the signatures are incomplete")),
        "{decision:#}"
    );
    // --strict makes it a failure.
    let out = facts_registry(&registry, &["--strict"], &image);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_digest_header_that_lies_is_an_integrity_error() {
    let (_, mut routes) = image(None);
    let route = "/v2/demo/app/manifests/v1".to_owned();
    let mut lying = routes[&route].clone();
    lying.headers = vec![("Docker-Content-Digest".into(), digest(b"other"))];
    routes.insert(route, lying);
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/app:v1", registry.address);
    let out = facts_registry(&registry, &[], &image);
    let facts = facts_of(&out);
    assert_eq!(facts["images"], json!({}));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("hashes to") && stderr.contains("left out"),
        "{stderr}"
    );
}

#[test]
fn a_registry_outside_the_allow_list_gets_no_request() {
    let (_, routes) = image(None);
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/app:v1", registry.address);
    let out = Command::new(BONA)
        .args([
            "facts",
            "registry",
            &image,
            "--registry-allow",
            "registry.company.com",
        ])
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("is not in --registry-allow"), "{stderr}");
    // A wildcard does not permit the loopback address either.
    let out = Command::new(BONA)
        .args(["facts", "registry", &image, "--registry-allow", "127.0.0.*"])
        .args(["--insecure-registry", &registry.address])
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("resolves to the loopback address"),
        "{stderr}"
    );
    assert!(registry.requests().is_empty(), "{:?}", registry.requests());
}

#[test]
fn no_allow_list_is_bad_input() {
    let out = Command::new(BONA)
        .args(["facts", "registry", "nginx"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn platform_facts_and_a_base_found_by_its_layers() {
    let mut routes = BTreeMap::new();
    let (l1, l2) = (digest(b"debian"), digest(b"app"));
    let base = Built {
        repository: "demo/base",
        tag: "12",
        diff_ids: vec![l1.clone()],
        ..Built::app()
    };
    built(&mut routes, &base, None);
    // The app declares some other base; its layers say it is built on demo/base:12.
    let app = Built {
        diff_ids: vec![l1.clone(), l2.clone()],
        annotations: json!({"org.opencontainers.image.base.name": "debian:12"}),
        ..Built::app()
    };
    built(&mut routes, &app, None);
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/app:v1", registry.address);
    let base_ref = format!("{}/demo/base:12", registry.address);
    let facts = facts_of(&facts_registry(&registry, &["--base", &base_ref], &image));
    let entry = &facts["images"][&image];
    assert_eq!(entry["layers"], json!([l1, l2]));
    assert_eq!(entry["created"], "2026-11-20T10:00:00Z");
    assert_eq!(entry["declared_base"], "docker.io/library/debian:12");
    assert_eq!(facts["images"][&base_ref]["layers"], json!([l1]));

    let dir = tempfile::tempdir().unwrap();
    let key = key();
    let on_base = format!(
        "registry == \"{}\" and base == \"{base_ref}\"",
        registry.address
    );
    let decision = eval_with(dir.path(), &key, &facts, &image, &on_base);
    assert_eq!(decision["decision"], "allow", "{decision:#}");
    let declared = "declared_base == \"debian:12\" and not (base == \"debian:12\")";
    let decision = eval_with(dir.path(), &key, &facts, &image, declared);
    assert_eq!(decision["decision"], "allow", "{decision:#}");
    // Without the candidate, the layers are known and no base is found: false, not unknown.
    let facts = facts_of(&facts_registry(&registry, &[], &image));
    let decision = eval_with(dir.path(), &key, &facts, &image, &on_base);
    assert_eq!(
        decision["images"][0]["policies"][0]["result"], "untrusted",
        "{decision:#}"
    );
}

#[test]
fn an_inventory_is_read_at_the_digests_that_run() {
    let key = key();
    let (manifest_digest, routes) = image(Some(&key));
    let registry = Registry::start(routes, None);
    // The pod names a tag the registry no longer has; its status says what runs.
    let moved = format!("{}/demo/app:moved", registry.address);
    let list = json!({"kind": "List", "items": [{
        "kind": "Pod", "metadata": {"name": "a", "namespace": "n"},
        "spec": {"containers": [{"name": "app", "image": moved}]},
        "status": {"containerStatuses": [{"name": "app",
            "imageID": format!("docker-pullable://{}/demo/app@{manifest_digest}", registry.address)}]}}]});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pods.json");
    std::fs::write(&path, list.to_string()).unwrap();
    let out = Command::new(BONA)
        .args(["facts", "registry", "--inventory"])
        .arg(&path)
        .arg("--registry-allow")
        .arg(&registry.address)
        .arg("--insecure-registry")
        .arg(&registry.address)
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    let facts = facts_of(&out);
    let entry = &facts["images"][&moved];
    assert_eq!(entry["digest"], manifest_digest.as_str(), "{facts:#}");
    assert_eq!(entry["signatures"].as_array().map(Vec::len), Some(1));
    let decision = eval_signed(dir.path(), &key, &facts, &moved);
    assert_eq!(decision["decision"], "allow", "{decision:#}");
}

#[test]
fn signatures_are_read_from_the_signature_repository() {
    let key = key();
    let mut routes = BTreeMap::new();
    let app = Built {
        signatures_in: Some("demo/signatures"),
        ..Built::app()
    };
    built(&mut routes, &app, Some(&key));
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/app:v1", registry.address);
    // Beside the image there is nothing: known unsigned.
    let facts = facts_of(&facts_registry(&registry, &[], &image));
    assert_eq!(facts["images"][&image]["signatures"], json!([]));
    let mapping = format!("{0}/demo/app={0}/demo/signatures", registry.address);
    let facts = facts_of(&facts_registry(
        &registry,
        &["--signature-repository", &mapping],
        &image,
    ));
    assert_eq!(
        facts["images"][&image]["signatures"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        facts["images"][&image]["attestations"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let dir = tempfile::tempdir().unwrap();
    let decision = eval_signed(dir.path(), &key, &facts, &image);
    assert_eq!(decision["decision"], "allow", "{decision:#}");
    // A mapping that is not SRC=DST is bad input.
    let out = facts_registry(&registry, &["--signature-repository", "demo/app"], &image);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn an_audit_with_the_registry_judges_what_runs() {
    let key = key();
    let mut routes = BTreeMap::new();
    let signed = built(&mut routes, &Built::app(), Some(&key));
    built(
        &mut routes,
        &Built {
            repository: "demo/unsigned",
            ..Built::app()
        },
        None,
    );
    let registry = Registry::start(routes, None);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("release.pub"), key.public_pem()).unwrap();
    std::fs::write(
        dir.path().join("policy.trust"),
        "key release = file(\"release.pub\")\n\npolicy \"signed\" {\n  action issue\n  trust signed by release\n}\n",
    )
    .unwrap();
    // The pod names a tag the registry does not have; its status says what runs.
    let list = json!({"kind": "List", "items": [
        {"kind": "Pod", "metadata": {"name": "a", "namespace": "n"},
         "spec": {"containers": [{"name": "app", "image": format!("{}/demo/app:gone", registry.address)}]},
         "status": {"containerStatuses": [{"name": "app",
             "imageID": format!("{}/demo/app@{signed}", registry.address)}]}},
        {"kind": "Pod", "metadata": {"name": "b", "namespace": "n"},
         "spec": {"containers": [{"name": "app", "image": format!("{}/demo/unsigned:v1", registry.address)}]}}]});
    std::fs::write(dir.path().join("pods.json"), list.to_string()).unwrap();
    let audit = |extra: &[&str]| {
        Command::new(BONA)
            .arg("audit")
            .arg("--policy")
            .arg(dir.path().join("policy.trust"))
            .arg("--inventory")
            .arg(dir.path().join("pods.json"))
            .args(["--cluster", "c", "--format", "json"])
            .args(extra)
            .env("DOCKER_CONFIG", "/nonexistent")
            .output()
            .unwrap()
    };
    let out = audit(&[
        "--registry",
        "--registry-allow",
        &registry.address,
        "--insecure-registry",
        &registry.address,
    ]);
    let report: Value = facts_of(&out);
    let issues: Vec<String> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {}",
                i["image"].as_str().unwrap(),
                i["reason"].as_str().unwrap_or("")
            )
        })
        .collect();
    // Only the unsigned image is an issue, and it is untrusted, not missing information.
    assert_eq!(issues.len(), 1, "{report:#}");
    assert!(issues[0].contains("/demo/unsigned:v1"), "{issues:?}");
    assert!(issues[0].ends_with("untrusted"), "{issues:?}");
    // Without the registry both are missing information.
    let report: Value = facts_of(&audit(&[]));
    assert_eq!(
        report["issues"].as_array().map(Vec::len),
        Some(2),
        "{report:#}"
    );
    // Registry flags without --registry are bad input.
    let out = audit(&["--registry-allow", &registry.address]);
    assert_eq!(out.status.code(), Some(2));
}

/// `demo/multi:v1`, an OCI index of a linux/amd64 and a linux/arm64 image whose `arch` labels
/// say which; the index's digest.
pub(crate) fn multi_platform(routes: &mut BTreeMap<String, Answer>) -> String {
    const INDEX: &str = "application/vnd.oci.image.index.v1+json";
    const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    let ok = |content_type, body: Vec<u8>| Answer {
        status: 200,
        content_type,
        headers: vec![],
        body,
    };
    let mut entries = Vec::new();
    for arch in ["amd64", "arm64"] {
        let config = json!({"architecture": arch, "os": "linux",
                            "config": {"Labels": {"arch": arch}},
                            "rootfs": {"type": "layers", "diff_ids": [digest(arch.as_bytes())]}})
        .to_string()
        .into_bytes();
        let manifest = json!({"schemaVersion": 2, "mediaType": MANIFEST,
                              "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                         "digest": digest(&config), "size": config.len()},
                              "layers": []})
        .to_string()
        .into_bytes();
        entries.push(json!({"mediaType": MANIFEST, "digest": digest(&manifest),
                            "size": manifest.len(),
                            "platform": {"os": "linux", "architecture": arch}}));
        routes.insert(
            format!("/v2/demo/multi/blobs/{}", digest(&config)),
            ok("application/octet-stream", config),
        );
        routes.insert(
            format!("/v2/demo/multi/manifests/{}", digest(&manifest)),
            ok(MANIFEST, manifest),
        );
    }
    let index = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": entries})
        .to_string()
        .into_bytes();
    let index_digest = digest(&index);
    routes.insert(
        "/v2/demo/multi/manifests/v1".into(),
        ok(INDEX, index.clone()),
    );
    routes.insert(
        format!("/v2/demo/multi/manifests/{index_digest}"),
        ok(INDEX, index),
    );
    index_digest
}

#[test]
fn a_multi_platform_index_gives_the_facts_of_the_platforms_asked_for() {
    let mut routes = BTreeMap::new();
    let index = multi_platform(&mut routes);
    let registry = Registry::start(routes, None);
    let image = format!("{}/demo/multi:v1", registry.address);
    let entry = |extra: &[&str]| {
        facts_of(&facts_registry(&registry, extra, &image))["images"][&image].clone()
    };
    // The digest is the index's: what the kubelet pulls and cosign signs given the tag.
    let amd64 = entry(&[]);
    assert_eq!(amd64["digest"], index.as_str());
    assert_eq!(amd64["labels"], json!({"arch": "amd64"}));
    let arm64 = entry(&["--platform", "linux/arm64"]);
    assert_eq!(arm64["labels"], json!({"arch": "arm64"}));
    assert_eq!(arm64["layers"], json!([digest(b"arm64")]));
    // Two platforms that disagree: unknown, not one of them.
    let both = entry(&["--platform", "linux/amd64", "--platform", "linux/arm64"]);
    assert!(
        both.get("labels").is_none() && both.get("layers").is_none(),
        "{both:#}"
    );
    // No platform of the index: unknown too.
    let none = entry(&["--platform", "linux/s390x"]);
    assert!(none.get("labels").is_none(), "{none:#}");
    assert_eq!(none["digest"], index.as_str());
}
