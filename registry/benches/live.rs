//! What the registry adds to an admission (docs/performance.md#registry): a cache hit, a cold
//! admission of a pod of three tagged signed images, and an outage that never costs more than
//! the deadline. (Making the client, which reads the system's certificates, is left out.) The registry is an in-process one on 127.0.0.1 (HTTP/1.1, one connection per
//! request like the client's), so the numbers are Bona's and the loopback's.
//!
//! `cargo bench -p bona-registry --bench live`

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bona_registry::allow::RegistryAllow;
use bona_registry::client::{Client, ClientOptions};
use bona_registry::credentials::Credentials;
use bona_registry::live::{Live, LiveOptions};
use bona_runtime::reference::Reference;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::json;
use sha2::{Digest as _, Sha256};

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    format!(
        "sha256:{}",
        hash.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

type Routes = HashMap<String, (&'static str, Vec<u8>)>;

/// `n` images `demo/app{i}:v1`, each with a config and a one-layer `.sig`.
fn routes(n: usize) -> Routes {
    let mut routes = Routes::new();
    for i in 0..n {
        let repo = format!("demo/app{i}");
        let config = json!({"architecture": "amd64", "os": "linux",
                            "config": {"Labels": {"n": i.to_string()}},
                            "rootfs": {"type": "layers", "diff_ids": [digest(repo.as_bytes())]}})
        .to_string()
        .into_bytes();
        let manifest = json!({"schemaVersion": 2, "mediaType": MANIFEST,
                              "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                         "digest": digest(&config), "size": config.len()},
                              "layers": []})
        .to_string()
        .into_bytes();
        let manifest_digest = digest(&manifest);
        let payload = json!({"critical": {"identity": {"docker-reference": repo},
                             "image": {"docker-manifest-digest": manifest_digest},
                             "type": "cosign container image signature"}, "optional": null})
        .to_string()
        .into_bytes();
        let signature = base64::engine::general_purpose::STANDARD.encode([7u8; 70]);
        let sig = json!({"schemaVersion": 2, "mediaType": MANIFEST,
                         "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                    "digest": digest(b"{}"), "size": 2},
                         "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                                     "digest": digest(&payload), "size": payload.len(),
                                     "annotations": {"dev.cosignproject.cosign/signature": signature}}]})
        .to_string()
        .into_bytes();
        let sig_tag = format!("{}.sig", manifest_digest.replacen(':', "-", 1));
        routes.insert(
            format!("/v2/{repo}/manifests/v1"),
            (MANIFEST, manifest.clone()),
        );
        routes.insert(
            format!("/v2/{repo}/manifests/{manifest_digest}"),
            (MANIFEST, manifest),
        );
        routes.insert(
            format!("/v2/{repo}/blobs/{}", digest(&config)),
            ("application/octet-stream", config),
        );
        routes.insert(format!("/v2/{repo}/manifests/{sig_tag}"), (MANIFEST, sig));
        routes.insert(
            format!("/v2/{repo}/blobs/{}", digest(&payload)),
            ("application/octet-stream", payload),
        );
    }
    routes
}

/// Serves `routes` (404 elsewhere) on 127.0.0.1; with `silent`, accepts and never answers.
async fn registry(routes: Arc<Routes>, silent: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            if silent {
                held.push(stream);
                continue;
            }
            let routes = Arc::clone(&routes);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let routes = Arc::clone(&routes);
                    async move {
                        let found = routes.get(request.uri().path()).cloned();
                        let response = match found {
                            Some((content_type, body)) => Response::builder()
                                .status(200)
                                .header("content-type", content_type)
                                .body(Full::new(Bytes::from(body))),
                            None => Response::builder()
                                .status(404)
                                .body(Full::new(Bytes::new())),
                        };
                        Ok::<_, Infallible>(response.unwrap())
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

fn live(address: &str, deadline: Duration) -> Live {
    let client = Client::new(ClientOptions {
        allow: RegistryAllow::new([address]).unwrap(),
        insecure: vec![address.to_owned()],
        extra_roots: Vec::new(),
        credentials: Credentials::default(),
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    Live::new(
        client,
        LiveOptions {
            deadline,
            ..LiveOptions::default()
        },
    )
}

fn images(address: &str) -> Vec<(Reference, Option<bona_runtime::facts::ImageFacts>)> {
    (0..3)
        .map(|i| {
            (
                Reference::parse(&format!("{address}/demo/app{i}:v1")).unwrap(),
                None,
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let routes = Arc::new(routes(1_000));
    let address = runtime.block_on(registry(Arc::clone(&routes), false));
    let far = || tokio::time::Instant::now() + Duration::from_secs(10);

    // One image, already read: what a cache hit adds to an admission.
    let warm = live(&address, Duration::from_secs(3));
    let one = images(&address).into_iter().take(1).collect::<Vec<_>>();
    let first = runtime.block_on(warm.images(&one, None, far()));
    assert!(first[0].notes.is_empty(), "{:?}", first[0].notes);
    assert!(
        first[0]
            .facts
            .as_ref()
            .is_some_and(|f| f.signatures.is_some())
    );
    c.bench_function("registry: cache hit, one image", |b| {
        b.iter(|| runtime.block_on(warm.images(&one, None, far())));
    });

    // Three tagged, signed images, nothing cached: each artifact one round trip, concurrently.
    let three = images(&address);
    let mut group = c.benchmark_group("registry");
    group.sample_size(30);
    group.bench_function("cold admission, three tagged signed images", |b| {
        b.iter_batched(
            || live(&address, Duration::from_secs(3)),
            |cold| {
                let outcomes = runtime.block_on(cold.images(&three, None, far()));
                assert!(outcomes.iter().all(|o| o.notes.is_empty()));
            },
            BatchSize::PerIteration,
        );
    });

    // A registry that accepts and never answers: the admission ends at its deadline.
    let silent = runtime.block_on(registry(Arc::new(Routes::new()), true));
    let unreachable = images(&silent);
    group.sample_size(10);
    group.bench_function("outage, deadline 100 ms", |b| {
        b.iter_batched(
            || live(&silent, Duration::from_millis(100)),
            |down| {
                let deadline = tokio::time::Instant::now() + Duration::from_millis(100);
                let outcomes = runtime.block_on(down.images(&unreachable, None, deadline));
                assert!(
                    outcomes
                        .iter()
                        .all(|o| o.notes.iter().any(|n| n.contains("no answer from")))
                );
            },
            BatchSize::PerIteration,
        );
    });

    // `bona facts registry --inventory` of 1,000 distinct images: eight at a time.
    let thousand: Vec<Reference> = (0..1_000)
        .map(|i| Reference::parse(&format!("{address}/demo/app{i}:v1")).unwrap())
        .collect();
    let client = Arc::new(
        Client::new(ClientOptions {
            allow: RegistryAllow::new([address.as_str()]).unwrap(),
            insecure: vec![address.clone()],
            extra_roots: Vec::new(),
            credentials: Credentials::default(),
            timeout: Duration::from_secs(10),
        })
        .unwrap(),
    );
    group.bench_function("facts of 1,000 images, 8 at a time", |b| {
        b.iter(|| {
            let read = runtime.block_on(bona_registry::facts::images_facts(
                Arc::clone(&client),
                thousand.clone(),
                bona_registry::facts::ReadOptions::default(),
                8,
                &|| {},
            ));
            assert!(
                read.iter()
                    .all(|r| r.as_ref().is_ok_and(|f| f.failures.is_empty()))
            );
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
