//! `bona serve --registry` end to end: the real binary, a registry of the test's own on
//! 127.0.0.1 (`crate::facts_registry::Registry`, which can be slow or gone), and reviews sent
//! the way the API server sends them.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use super::{DEADLINE, Server, serve};
use crate::facts_registry::{Built, Registry, built, key};

/// A Pod review in `namespace` running `images`.
fn pod_review(namespace: &str, images: &[String]) -> Vec<u8> {
    let containers: Vec<Value> = images
        .iter()
        .enumerate()
        .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
        .collect();
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
           "request": {"uid": "u-1", "operation": "CREATE", "namespace": namespace,
                       "kind": {"group": "", "version": "v1", "kind": "Pod"},
                       "object": {"kind": "Pod", "metadata": {"name": "web", "namespace": namespace},
                                  "spec": {"containers": containers}}}})
    .to_string()
    .into_bytes()
}

/// Policies: images in `prod` must be signed by `release`, refused when that is unknown;
/// in `staging` an image that is not is only reported (a warning).
fn policies(dir: &Path) {
    std::fs::write(dir.join("release.pub"), key().public_pem()).unwrap();
    std::fs::write(
        dir.join("policy.trust"),
        r#"key release = file("release.pub")

policy "prod signed" {
  action prevent
  on unknown prevent
  scope namespace == "prod"
  trust signed by release
}

policy "staging signed" {
  action issue
  scope namespace == "staging"
  trust signed by release
}

policy "release tags" {
  action prevent
  on unknown prevent
  scope namespace == "claims"
  trust tag == "v1"
}
"#,
    )
    .unwrap();
}

fn serve_with(dir: &Path, registry: &str, extra: &[&str]) -> Server {
    let policy = dir.join("policy.trust");
    let mut args = vec![
        "--policy",
        policy.to_str().unwrap(),
        "--cluster",
        "c",
        "--registry",
        "--registry-allow",
        registry,
        "--insecure-registry",
        registry,
    ];
    args.extend_from_slice(extra);
    serve(&args)
}

fn validate(server: &Server, body: Vec<u8>) -> Value {
    let answer = server.validate(body);
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    answer.json()
}

fn message(review: &Value) -> String {
    review["response"]["status"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The registry serving `demo/app:v1` signed by `key()` and `demo/unsigned:v1`.
fn registry() -> (Registry, String) {
    let mut routes = BTreeMap::new();
    let digest = built(&mut routes, &Built::app(), Some(&key()));
    built(
        &mut routes,
        &Built {
            repository: "demo/unsigned",
            ..Built::app()
        },
        None,
    );
    (Registry::start(routes, None), digest)
}

#[test]
fn a_signed_tag_is_admitted_an_unsigned_one_denied_and_mutate_pins() {
    let (registry, digest) = registry();
    let dir = tempfile::tempdir().unwrap();
    policies(dir.path());
    let server = serve_with(dir.path(), &registry.address, &[]);
    let signed = format!("{}/demo/app:v1", registry.address);
    let unsigned = format!("{}/demo/unsigned:v1", registry.address);

    let review = validate(&server, pod_review("prod", std::slice::from_ref(&signed)));
    assert_eq!(review["response"]["allowed"], true, "{review:#}");
    let review = validate(&server, pod_review("prod", std::slice::from_ref(&unsigned)));
    assert_eq!(review["response"]["allowed"], false, "{review:#}");
    assert!(message(&review).contains("prod signed"), "{review:#}");

    // /mutate pins the tag to what it names; /validate then judges the pinned reference.
    let answer = server.send(
        "POST",
        "/mutate",
        Some("application/json"),
        pod_review("prod", std::slice::from_ref(&signed)),
        false,
    );
    assert_eq!(answer.status, 200);
    let mutation = answer.json();
    assert_eq!(mutation["response"]["allowed"], true);
    assert_eq!(mutation["response"]["patchType"], "JSONPatch");
    let patch: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(mutation["response"]["patch"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let pinned = format!("{signed}@{digest}");
    assert_eq!(
        patch,
        json!([{"op": "replace", "path": "/spec/containers/0/image", "value": pinned}])
    );
    let review = validate(&server, pod_review("prod", &[pinned]));
    assert_eq!(review["response"]["allowed"], true, "{review:#}");

    // Every answer after the first came from the cache: the tag was fetched once.
    let tag_reads = registry
        .requests()
        .iter()
        .filter(|p| p.ends_with("/demo/app/manifests/v1"))
        .count();
    assert_eq!(tag_reads, 1, "{:?}", registry.requests());
    let metrics = String::from_utf8_lossy(&server.get("/metrics").body).into_owned();
    assert!(
        metrics.contains("bona_registry_cache_requests_total{kind=\"tag\",result=\"hit\"}"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("bona_registry_cache_requests_total{kind=\"tag\",result=\"hit\"} 0\n")
    );
}

#[test]
fn an_outage_refuses_what_on_unknown_prevent_guards_and_lets_the_rest_run() {
    // A port that nothing listens on: every connection is refused.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = gone.local_addr().unwrap().to_string();
    drop(gone);
    let dir = tempfile::tempdir().unwrap();
    policies(dir.path());
    let server = serve_with(dir.path(), &address, &[]);
    let image = format!("{address}/demo/app:v1");

    let review = validate(&server, pod_review("prod", std::slice::from_ref(&image)));
    assert_eq!(review["response"]["allowed"], false, "{review:#}");
    assert!(
        message(&review).contains(&format!("cannot reach {address}")),
        "{review:#}"
    );

    let review = validate(&server, pod_review("staging", std::slice::from_ref(&image)));
    assert_eq!(review["response"]["allowed"], true, "{review:#}");
    let warnings = review["response"]["warnings"].to_string();
    assert!(
        warnings.contains(&format!("cannot reach {address}")),
        "{review:#}"
    );
}

#[test]
fn a_slow_registry_costs_at_most_the_deadline() {
    let (registry, _) = registry();
    registry
        .delay
        .store(5_000, std::sync::atomic::Ordering::Relaxed);
    let dir = tempfile::tempdir().unwrap();
    policies(dir.path());
    let server = serve_with(
        dir.path(),
        &registry.address,
        &["--registry-deadline", "0.5"],
    );
    let image = format!("{}/demo/app:v1", registry.address);
    let started = Instant::now();
    let review = validate(&server, pod_review("prod", &[image]));
    let took = started.elapsed();
    assert_eq!(review["response"]["allowed"], false, "{review:#}");
    assert!(
        message(&review).contains(&format!("no answer from {} within 0.5 s", registry.address)),
        "{review:#}"
    );
    // The deadline, and the time to connect and decide in a debug build.
    assert!(took < Duration::from_millis(2_500), "{took:?}");
    assert!(took < DEADLINE);
}

#[test]
fn a_hundred_concurrent_admissions_of_one_image_make_one_fetch() {
    let (registry, _) = registry();
    // Slow enough that every admission arrives while the first fetch is under way.
    registry
        .delay
        .store(300, std::sync::atomic::Ordering::Relaxed);
    let dir = tempfile::tempdir().unwrap();
    policies(dir.path());
    let server = serve_with(
        dir.path(),
        &registry.address,
        &["--registry-deadline", "20"],
    );
    let image = format!("{}/demo/app:v1", registry.address);
    let body = pod_review("prod", &[image]);
    let allowed: Vec<bool> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..100)
            .map(|_| {
                let (server, body) = (&server, body.clone());
                scope.spawn(move || validate(server, body)["response"]["allowed"] == true)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(allowed.iter().all(|a| *a), "{allowed:?}");
    let requests = registry.requests();
    for path in ["/demo/app/manifests/v1", "/demo/app/manifests/sha256-"] {
        let n = requests.iter().filter(|p| p.contains(path)).count();
        assert!(n >= 1, "{path}: {requests:?}");
    }
    let tag_reads = requests
        .iter()
        .filter(|p| p.ends_with("/demo/app/manifests/v1"))
        .count();
    assert_eq!(tag_reads, 1, "{requests:?}");
    let sig_reads = requests.iter().filter(|p| p.ends_with(".sig")).count();
    assert_eq!(sig_reads, 1, "{requests:?}");
}

#[test]
fn a_tag_moved_between_two_admissions_is_read_again_after_the_tag_ttl() {
    let mut routes = BTreeMap::new();
    built(&mut routes, &Built::app(), Some(&key()));
    // An unsigned image of the same repository, under another tag for now.
    let unsigned = built(
        &mut routes,
        &Built {
            tag: "next",
            diff_ids: vec![crate::facts_registry::digest(b"next")],
            ..Built::app()
        },
        None,
    );
    let next = routes[&format!("/v2/demo/app/manifests/{unsigned}")].clone();
    let registry = Registry::start(routes, None);
    let dir = tempfile::tempdir().unwrap();
    policies(dir.path());
    let server = serve_with(dir.path(), &registry.address, &["--tag-ttl", "1"]);
    let body = pod_review("prod", &[format!("{}/demo/app:v1", registry.address)]);
    assert_eq!(validate(&server, body.clone())["response"]["allowed"], true);
    // v1 is moved to the unsigned image: within --tag-ttl the cache still answers.
    registry.route("/v2/demo/app/manifests/v1", next);
    assert_eq!(validate(&server, body.clone())["response"]["allowed"], true);
    std::thread::sleep(Duration::from_millis(1_200));
    let review = validate(&server, body);
    assert_eq!(review["response"]["allowed"], false, "{review:#}");
}

#[test]
fn a_tag_beside_a_digest_is_a_claim_the_registry_confirms() {
    let mut routes = BTreeMap::new();
    let v1 = built(&mut routes, &Built::app(), Some(&key()));
    let other = built(
        &mut routes,
        &Built {
            tag: "next",
            diff_ids: vec![crate::facts_registry::digest(b"next")],
            ..Built::app()
        },
        None,
    );
    let registry = Registry::start(routes, None);
    let dir = tempfile::tempdir().unwrap();
    policies(dir.path());
    let server = serve_with(dir.path(), &registry.address, &[]);
    // v1 names this digest: the tag holds.
    let honest = format!("{}/demo/app:v1@{v1}", registry.address);
    let review = validate(&server, pod_review("claims", &[honest]));
    assert_eq!(review["response"]["allowed"], true, "{review:#}");
    // v1 names another digest than the one pinned: the image has no tag known.
    let claimed = format!("{}/demo/app:v1@{other}", registry.address);
    let review = validate(&server, pod_review("claims", &[claimed]));
    assert_eq!(review["response"]["allowed"], false, "{review:#}");
    assert!(
        message(&review).contains("names another digest under tag `v1`"),
        "{review:#}"
    );
}

#[test]
fn credentials_are_read_again_when_they_change() {
    let (registry, _) = registry();
    let dir = tempfile::tempdir().unwrap();
    policies(dir.path());
    let config = dir.path().join("config.json");
    std::fs::write(&config, r#"{"auths": {}}"#).unwrap();
    let server = serve_with(
        dir.path(),
        &registry.address,
        &["--registry-config", config.to_str().unwrap()],
    );
    // A pull Secret as kubectl prints it, in place of the file: read on SIGHUP.
    std::fs::write(
        &config,
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\": {}}'\n",
    )
    .unwrap();
    server.signal("HUP");
    server.log.wait_for("registry credentials reloaded", 1);
    // A broken edit keeps the credentials in use.
    std::fs::write(&config, "{").unwrap();
    server.signal("HUP");
    server.log.wait_for(
        "registry credentials reload failed; keeping the previous ones",
        1,
    );
    let image = format!("{}/demo/app:v1", registry.address);
    let review = validate(&server, pod_review("prod", &[image]));
    assert_eq!(review["response"]["allowed"], true, "{review:#}");
}

#[test]
fn a_node_selector_picks_the_platform_whose_facts_count() {
    let mut routes = BTreeMap::new();
    crate::facts_registry::multi_platform(&mut routes);
    let registry = Registry::start(routes, None);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.trust"),
        "policy \"arm only\" {\n  action prevent\n  on unknown prevent\n  trust labels[\"arch\"] == \"arm64\"\n}\n",
    )
    .unwrap();
    let server = serve_with(dir.path(), &registry.address, &[]);
    let image = format!("{}/demo/multi:v1", registry.address);
    let review = |selector: Value| {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
               "request": {"uid": "u", "operation": "CREATE", "namespace": "n",
                           "kind": {"group": "", "version": "v1", "kind": "Pod"},
                           "object": {"kind": "Pod", "metadata": {"name": "p", "namespace": "n"},
                                      "spec": {"nodeSelector": selector,
                                               "containers": [{"name": "c", "image": image}]}}}})
        .to_string()
        .into_bytes()
    };
    let arm = validate(&server, review(json!({"kubernetes.io/arch": "arm64"})));
    assert_eq!(arm["response"]["allowed"], true, "{arm:#}");
    // Without a selector, --platform's default: linux/amd64.
    let default = validate(&server, review(json!({})));
    assert_eq!(default["response"]["allowed"], false, "{default:#}");
}
