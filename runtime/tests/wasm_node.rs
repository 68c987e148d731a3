//! "Any wasm host": the JavaScript host of `tests/wasm-host/host.mjs`, running on Node.js's
//! built-in WebAssembly with only the manifest and docs/wasm-abi.md to go by, must read the same
//! outputs as the wasmtime host for the same atom values, on generated policy sets and images.
//!
//! Skipped (with a note on stderr) when `node` is not on the PATH.

#![cfg(all(feature = "wasm", feature = "wasm-emit"))]

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use bona_runtime::eval::Evaluator;
use bona_runtime::image::ImageView;
use bona_runtime::signature::VerificationCache;
use bona_runtime::wasm_emit::emit;
use bona_runtime::wasm_host::WasmPolicy;
use proptest::prelude::*;
use serde_json::{Value, json};

mod strategies;
use strategies::*;

fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn host_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/wasm-host/host.mjs")
}

fn scratch(ext: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::env::temp_dir().join(format!(
        "bona-wasm-node-{}-{}.{ext}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

proptest! {
    // One Node.js process per case.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn node_reads_what_wasmtime_reads((policies, _shuffled, asset, images) in case()) {
        if !node_available() {
            eprintln!("node is not installed: skipping the JavaScript host");
            return Ok(());
        }
        let bytes = emit(&policy_set(policies)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let wasm = WasmPolicy::new(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let m = wasm.manifest();

        let asset_atoms = m.asset_atom_values(&asset);
        let width = m.image_atoms.len();
        let mut image_atoms = vec![0u8; images.len() * width];
        let mut cache = VerificationCache::new();
        for (i, image) in images.iter().enumerate() {
            let view = ImageView::of_input(image, None, NOW);
            let mut ev = Evaluator::new(view, &keys().ring, &mut cache);
            m.image_atom_values(&mut ev, &mut image_atoms[i * width..(i + 1) * width]);
        }
        let raw = wasm
            .run(&asset_atoms, &image_atoms, images.len())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let p = m.policies.len();
        let expected = json!({
            "policies": m.policies.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
            "decision": raw.decision,
            "any_applicable": raw.any_applicable,
            "any_prevent": raw.any_prevent,
            "applicable": raw.applicable,
            "images": (0..images.len()).map(|i| json!({
                "verdicts": (0..p).map(|q| raw.verdict(i, q)).collect::<Vec<_>>(),
                "resolved": (0..p).map(|q| raw.resolved(i, q)).collect::<Vec<_>>(),
                "trusted": raw.trusted(i),
                "prevented": raw.prevented(i),
            })).collect::<Vec<_>>(),
        });

        let module = scratch("wasm");
        let fixture = scratch("json");
        let atoms = json!({
            "asset_atoms": asset_atoms,
            "images": (0..images.len()).map(|i| image_atoms[i * width..(i + 1) * width].to_vec()).collect::<Vec<_>>(),
        });
        std::fs::write(&module, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        std::fs::write(&fixture, atoms.to_string()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let out = Command::new("node").arg(host_script()).arg(&module).arg(&fixture).output();
        let _ = std::fs::remove_file(&module);
        let _ = std::fs::remove_file(&fixture);
        let out = out.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(out.status.success(), "node failed: {}", String::from_utf8_lossy(&out.stderr));
        let got: Value = serde_json::from_slice(&out.stdout).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got, expected);
    }
}
