//! The wasm path (`bona build --target wasm` + the wasmtime host) against policy-set size.
//!
//! The policy sets and images of `decision.rs` (N = 1, 1,000, 10,000). Per N:
//! - `wasm verdict`: one admission of one image through [`WasmPolicy::verdict`] — the host
//!   evaluates every image atom of the manifest, instantiates the module in a fresh store with
//!   fuel, writes the atoms, calls it and reads the decision;
//! - `wasm call`: the same with the atom bytes computed beforehand ([`WasmPolicy::run`]), the
//!   cost of the module itself (instantiation included);
//! - `engine verdict`: [`Engine::verdict`] on the same one-image admission, for comparison.
//!
//! The module's size and its compile time ([`WasmPolicy::new`], cranelift) are printed once.
//!
//! Run: `cargo bench -p bona-runtime --bench wasm`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bona_runtime::engine::Engine;
use bona_runtime::eval::{Evaluator, KeyRing};
use bona_runtime::image::ImageView;
use bona_runtime::input::{AdmissionInput, Asset};
use bona_runtime::signature::VerificationCache;
use bona_runtime::wasm_emit::emit;
use bona_runtime::wasm_host::WasmPolicy;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

mod common;
use common::*;

fn bench_wasm(c: &mut Criterion) {
    let asset = Asset {
        cluster: "prod-eu-1".into(),
        namespace: "payments".into(),
        kind: "Deployment".into(),
        name: "api".into(),
        ..Asset::default()
    };
    let mut group = c.benchmark_group("wasm decision");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for n in [1usize, 1_000, 10_000] {
        let set = policy_set(n);
        let started = Instant::now();
        let bytes = emit(&set).unwrap_or_else(|e| panic!("{e}"));
        let emitted = started.elapsed();
        let started = Instant::now();
        let wasm = WasmPolicy::new(&bytes).unwrap_or_else(|e| panic!("{e}"));
        let compiled = started.elapsed();
        let m = wasm.manifest();
        eprintln!(
            "N = {n}: module {} bytes, {} asset atoms, {} image atoms; emit {emitted:.1?}, \
             WasmPolicy::new (manifest + cranelift) {compiled:.1?}",
            bytes.len(),
            m.asset_atoms.len(),
            m.image_atoms.len()
        );
        let engine = Engine::new(set.clone()).unwrap_or_else(|e| panic!("{e}"));
        let keys = KeyRing::from_defs(&set.keys).unwrap_or_else(|(n, e)| panic!("{n}: {e}"));
        let inputs: Vec<AdmissionInput> = images(n)
            .into_iter()
            .map(|image| AdmissionInput {
                time: Some(NOW),
                asset: asset.clone(),
                images: vec![image],
            })
            .collect();
        let mut cache = VerificationCache::new();
        // Warm the signature cache, and check the two paths agree on every input.
        for input in &inputs {
            assert_eq!(
                wasm.verdict(input, None, NOW, &mut cache),
                Ok(engine.verdict(input, None, NOW, &mut cache))
            );
        }
        let asset_atoms = m.asset_atom_values(&asset);
        let atom_bytes: Vec<Vec<u8>> = inputs
            .iter()
            .map(|input| {
                let mut out = vec![0u8; m.image_atoms.len()];
                if let Some(image) = input.images.first() {
                    let view = ImageView::of_input(image, None, NOW);
                    m.image_atom_values(&mut Evaluator::new(view, &keys, &mut cache), &mut out);
                }
                out
            })
            .collect();

        let mut next = 0usize;
        group.bench_function(BenchmarkId::new("wasm verdict", n), |b| {
            b.iter(|| {
                next = (next + 1) % inputs.len();
                let input = inputs.get(next).unwrap_or_else(|| panic!("in range"));
                black_box(wasm.verdict(black_box(input), None, NOW, &mut cache))
            });
        });
        group.bench_function(BenchmarkId::new("wasm call", n), |b| {
            b.iter(|| {
                next = (next + 1) % atom_bytes.len();
                let atoms = atom_bytes.get(next).unwrap_or_else(|| panic!("in range"));
                black_box(wasm.run(&asset_atoms, black_box(atoms), 1))
            });
        });
        group.bench_function(BenchmarkId::new("engine verdict", n), |b| {
            b.iter(|| {
                next = (next + 1) % inputs.len();
                let input = inputs.get(next).unwrap_or_else(|| panic!("in range"));
                black_box(engine.verdict(black_box(input), None, NOW, &mut cache))
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_wasm);
criterion_main!(benches);
