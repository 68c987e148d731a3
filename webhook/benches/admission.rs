//! The whole admission against the size of a scoped policy set: AdmissionReview bytes in,
//! answer bytes out, as `bona serve` does between reading a body and writing the response
//! (`bona_admission_duration_seconds` measures the same span, plus the thread hand-off).
//!
//! Policy sets are `bona_compiler::generate::policy_set(N)`: policy `i` is scoped to team `i`
//! (by namespace, by `team` label, or by namespace and a `prod-*` cluster), so at N = 10,000
//! there are 10,000 distinct scopes and one or two apply to a given workload. The review is a
//! Deployment of team 4 in cluster `prod-eu-1` with three images: one its policy trusts, one
//! from its registry in the wrong repository, one public (`docker.io/library/redis`). Its
//! policy prevents, so the answer is a denial naming two images, with the decision document in
//! `auditAnnotations`.
//!
//! Run: `cargo bench -p bona-webhook --bench admission`.

use std::hint::black_box;
use std::time::Duration;

use bona_compiler::compile::compile;
use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};
use bona_compiler::generate;
use bona_runtime::Engine;
use bona_runtime::input::ReviewOptions;
use bona_runtime::signature::VerificationCache;
use bona_webhook::admission;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const NOW: i64 = 1_767_225_600;

fn engine(n: usize) -> Engine {
    let db = BonaDatabase::default();
    let files = generate::policy_set(n, 1)
        .into_iter()
        .enumerate()
        .map(|(i, text)| SourceFile::new(&db, format!("p{i}.trust").into(), text))
        .collect();
    let compiled = compile(&db, Workspace::new(&db, files));
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    Engine::new(compiled.set.clone()).unwrap_or_else(|e| panic!("{e}"))
}

/// A Deployment of team 4 with three images, as the API server sends it.
fn review() -> Vec<u8> {
    let images = [
        "registry4.company.com/team4/api:1.4.2",
        "registry4.company.com/other/tool:2",
        "docker.io/library/redis:7.2",
    ];
    let containers: Vec<_> = images
        .iter()
        .enumerate()
        .map(|(n, image)| serde_json::json!({"name": format!("c{n}"), "image": image}))
        .collect();
    serde_json::json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "operation": "CREATE",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "namespace": "team4",
            "object": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "api", "namespace": "team4", "labels": {"app": "api"}},
                "spec": {"template": {"spec": {"containers": containers}}}
            }
        }
    })
    .to_string()
    .into_bytes()
}

fn bench_admission(c: &mut Criterion) {
    let body = review();
    let options = ReviewOptions {
        cluster: "prod-eu-1".into(),
        cloud: String::new(),
    };
    let mut read = c.benchmark_group("read the review");
    read.sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    read.bench_function("admission::read", |b| {
        b.iter(|| black_box(admission::read(black_box(&body), &options).is_ok()));
    });
    read.finish();
    let mut group = c.benchmark_group("whole admission");
    group
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for n in [10usize, 100, 1_000, 10_000] {
        let engine = engine(n);
        let mut cache = VerificationCache::new();
        // The same answer at every N: a denial of the two images team 4's policy does not trust.
        let answer = admission::review(&engine, None, &body, &options, NOW, &mut cache)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!answer.response.allowed);
        let status = answer.response.status.as_ref().map(|s| s.message.as_str());
        assert!(
            status.is_some_and(|m| m.contains("other/tool:2") && m.contains("redis:7.2")),
            "{status:?}"
        );
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                let answer =
                    admission::review(&engine, None, black_box(&body), &options, NOW, &mut cache);
                black_box(answer.ok().and_then(|a| serde_json::to_vec(&a).ok()))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_admission);
criterion_main!(benches);
