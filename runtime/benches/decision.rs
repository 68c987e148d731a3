//! Decision cost against policy-set size, and bundle load time.
//!
//! Policy sets of N = 1, 100, 1,000 and 10,000 policies are generated, each policy with its own
//! registry group (`rI.company.com`, `mI.company.com`) and repository glob (`team-I/**`), and one
//! of four shapes:
//! 0. registry + repository glob;
//! 1. two registries + pinned + signed by a key;
//! 2. tag glob and not latest + scanned + no critical vulnerabilities;
//! 3. image pattern + base image in a set + signed.
//!
//! 1,000 images: 10% trusted by some policy, 10% near misses (a policy's registry with the wrong
//! repository, tag or facts), 80% foreign (registries no policy names). The benchmark measures
//! one image decision (the fast verdict, [`Engine::image_verdict`], scopes evaluated once per
//! asset beforehand) per N, cycling through all the images and through each kind alone, and the
//! load of a 10,000-policy bundle.
//!
//! It also measures the cost of one explained outcome (an image judged by one policy, with its
//! reasons, written as `bona eval` writes it) at 10,000 applicable policies.
//!
//! Run: `cargo bench -p bona-runtime --bench decision`.

use std::hint::black_box;
use std::time::Duration;

use bona_runtime::bundle::{read_bundle, write_bundle};
use bona_runtime::engine::Engine;
use bona_runtime::evaluation::StreamedDecision;
use bona_runtime::input::{AdmissionInput, Asset, ImageInput};
use bona_runtime::output::ImageDecision;
use bona_runtime::signature::VerificationCache;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

mod common;
use common::*;

/// Which image indexes a benchmark keeps.
type Keep = fn(usize) -> bool;

/// The Deployment both benchmarks decide for.
fn payments_api() -> Asset {
    Asset {
        cluster: "prod-eu-1".into(),
        namespace: "payments".into(),
        kind: "Deployment".into(),
        name: "api".into(),
        ..Asset::default()
    }
}

fn bench_decisions(c: &mut Criterion) {
    let asset = payments_api();
    let mut group = c.benchmark_group("image decision");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for n in [1usize, 100, 1_000, 10_000] {
        let engine = Engine::new(policy_set(n)).unwrap_or_else(|e| panic!("{e}"));
        let images = images(n);
        let scope = engine.scope(&asset);
        let mut cache = VerificationCache::new();
        // Warm the signature cache, as a long-running webhook's would be.
        let trusted = images
            .iter()
            .filter(|image| {
                engine
                    .image_verdict(&scope, image, None, NOW, &mut cache)
                    .trusted
            })
            .count();
        eprintln!(
            "N = {n}: {trusted} of {} images trusted, {} unindexed rules",
            images.len(),
            engine.table().unindexed_count()
        );
        // Every image in turn, then each kind of image alone (`images` makes image k trusted
        // when k % 10 == 0, a near miss when k % 10 == 1, foreign otherwise).
        let classes: [(&str, Keep); 4] = [
            ("all", |_| true),
            ("trusted", |k| k % 10 == 0),
            ("near-miss", |k| k % 10 == 1),
            ("foreign", |k| k % 10 > 1),
        ];
        for (class, keep) in classes {
            let chosen: Vec<&ImageInput> = images
                .iter()
                .enumerate()
                .filter(|(k, _)| keep(*k))
                .map(|(_, image)| image)
                .collect();
            let mut next = 0usize;
            group.bench_function(BenchmarkId::new(class, n), |b| {
                b.iter(|| {
                    next = (next + 1) % chosen.len();
                    let image = chosen.get(next).unwrap_or_else(|| panic!("in range"));
                    black_box(engine.image_verdict(&scope, black_box(image), None, NOW, &mut cache))
                });
            });
        }
    }
    group.finish();
}

/// One explained (image, policy) outcome as `bona eval --format json` writes it: every one of
/// the 10,000 policies applies to the asset, and each image's entry, with every policy's
/// result and reasons, is serialised (pretty) as it is computed and thrown away
/// ([`StreamedDecision`]). Criterion reports outcomes per second; the target is at most
/// 1.5 µs an outcome.
fn bench_outcomes(c: &mut Criterion) {
    let n = 10_000;
    let engine = Engine::new(policy_set(n)).unwrap_or_else(|e| panic!("{e}"));
    let asset = payments_api();
    // A trusted image, a near miss and a foreign one: reasons of every kind.
    let chosen: Vec<ImageInput> = images(n).into_iter().take(3).collect();
    let input = AdmissionInput {
        time: Some(NOW),
        asset,
        images: chosen,
    };
    let mut cache = VerificationCache::new();
    let evaluation = engine.evaluation(&input, None, NOW, &mut cache);
    assert_eq!(
        engine.table().applicable(&engine.scope(&input.asset)).len(),
        n
    );
    let mut group = c.benchmark_group("explained outcomes");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements((n * input.images.len()) as u64));
    group.bench_function(BenchmarkId::new("eval json", n), |b| {
        b.iter(|| {
            let mut untouched = |_: usize, _: &mut ImageDecision| {};
            let streamed = StreamedDecision::new(&evaluation, &mut cache, &mut untouched);
            let mut out = std::io::BufWriter::new(std::io::sink());
            black_box(serde_json::to_writer_pretty(&mut out, &streamed).is_ok())
        });
    });
    group.finish();
}

fn bench_bundle(c: &mut Criterion) {
    let bytes = write_bundle(&policy_set(10_000));
    let mut group = c.benchmark_group("bundle load 10000");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("read_bundle", |b| {
        // Dropping 10,000 policies is not part of loading them: keep it out of the timing.
        b.iter_with_large_drop(|| read_bundle(black_box(&bytes)));
    });
    group.bench_function("Engine::from_bundle", |b| {
        b.iter_with_large_drop(|| Engine::from_bundle(black_box(&bytes)));
    });
    group.finish();
}

criterion_group!(benches, bench_decisions, bench_outcomes, bench_bundle);
criterion_main!(benches);
