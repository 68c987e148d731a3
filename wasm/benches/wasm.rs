//! The wasm target (`bona build --target wasm` run by the wasmtime host) against the engine.
//!
//! Policy sets of `decision.rs` (N = 1, 1,000, 10,000), the asset `prod-eu-1/payments/api`, and
//! one-image admission inputs as JSON (the references of `decision.rs`'s images, without
//! facts), since JSON is what a module reads. Per N:
//! - `wasm evaluate`: [`WasmInstance::evaluate`] on a reused cranelift-compiled instance: copy
//!   the input in, parse, decide with reasons, write the JSON out, parse it back;
//! - `engine evaluate`: [`parse_admission_input`] and [`Engine::evaluate`] on the same bytes,
//!   the native cost of the same work.
//!
//! The module's size, the build, and the compile and first-call times with both compilers are
//! printed once per N.
//!
//! Run: `cargo bench -p bona-wasm --bench wasm`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bona_runtime::engine::Engine;
use bona_runtime::input::parse_admission_input;
use bona_runtime::signature::VerificationCache;
use bona_wasm::host::{WasmCompiler, WasmOptions, WasmPolicy};
use bona_wasm::module::build;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

#[path = "../../runtime/benches/common/mod.rs"]
mod common;
use common::*;

fn input(reference: &str) -> Vec<u8> {
    format!(
        r#"{{"time": "2026-11-22T00:00:00Z",
            "asset": {{"cluster": "prod-eu-1", "namespace": "payments", "kind": "Deployment", "name": "api"}},
            "images": [{{"ref": "{reference}"}}]}}"#
    )
    .into_bytes()
}

fn bench_wasm(c: &mut Criterion) {
    let mut group = c.benchmark_group("wasm decision");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for n in [1usize, 1_000, 10_000] {
        let set = policy_set(n);
        let started = Instant::now();
        let bytes = build(&set).unwrap_or_else(|e| panic!("{e}"));
        let built = started.elapsed();
        let mut timings = Vec::new();
        for compiler in [WasmCompiler::Optimizing, WasmCompiler::Baseline] {
            let options = WasmOptions {
                compiler,
                ..WasmOptions::default()
            };
            let started = Instant::now();
            let policy =
                WasmPolicy::with_options(&bytes, options).unwrap_or_else(|e| panic!("{e}"));
            let compiled = started.elapsed();
            let started = Instant::now();
            policy
                .evaluate(&input("nginx:1.27"), None, NOW)
                .unwrap_or_else(|e| panic!("{e}"));
            timings.push(format!(
                "{compiler:?}: compile {compiled:.2?}, first call {:.2?}",
                started.elapsed()
            ));
        }
        eprintln!(
            "N = {n}: module {} bytes (build {built:.1?}); {}",
            bytes.len(),
            timings.join("; ")
        );

        let policy = WasmPolicy::new(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let mut instance = policy.instance().unwrap_or_else(|e| panic!("{e}"));
        let engine = Engine::new(set).unwrap_or_else(|e| panic!("{e}"));
        let inputs: Vec<Vec<u8>> = images(n)
            .iter()
            .map(|image| input(&image.reference.to_string()))
            .collect();
        let mut cache = VerificationCache::new();
        for json in &inputs {
            let parsed = parse_admission_input(json).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                instance.evaluate(json, None, NOW),
                Ok(engine.evaluate(&parsed, None, NOW, &mut cache))
            );
        }
        let mut next = 0usize;
        group.bench_function(BenchmarkId::new("wasm evaluate", n), |b| {
            b.iter(|| {
                next = (next + 1) % inputs.len();
                let json = inputs.get(next).unwrap_or_else(|| panic!("in range"));
                black_box(instance.evaluate(black_box(json), None, NOW))
            });
        });
        group.bench_function(BenchmarkId::new("engine evaluate", n), |b| {
            b.iter(|| {
                next = (next + 1) % inputs.len();
                let json = inputs.get(next).unwrap_or_else(|| panic!("in range"));
                let parsed = parse_admission_input(black_box(json));
                black_box(parsed.map(|p| engine.evaluate(&p, None, NOW, &mut cache)))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_wasm);
criterion_main!(benches);
