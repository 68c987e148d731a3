//! Differential property tests: the wasm module (`wasm_emit`, run by the wasmtime host
//! `wasm_host`) against the indexed table and the direct interpreter.
//!
//! On the generated policy sets and inputs of `table_vs_interpreter.rs`, the decision from the
//! module must equal the table's and the interpreter's in everything — decision, each image's
//! verdict and prevented flag, each applicable policy's result, resolved result and reasons,
//! the runtime issues — and so must the audit of the same asset as running. Every module is
//! validated with wasmparser, and emitting is deterministic: the shuffled set gives the same
//! bytes.

#![cfg(all(feature = "wasm", feature = "wasm-emit"))]

use bona_runtime::engine::Engine;
use bona_runtime::input::{AdmissionInput, Inventory, InventoryAsset};
use bona_runtime::ir::PolicySet;
use bona_runtime::signature::VerificationCache;
use bona_runtime::wasm_abi::{self, NOT_APPLICABLE};
use bona_runtime::wasm_emit::emit;
use bona_runtime::wasm_host::WasmPolicy;
use proptest::prelude::*;

mod strategies;
use strategies::*;

fn module(set: &PolicySet) -> Result<Vec<u8>, TestCaseError> {
    let bytes = emit(set).map_err(|e| TestCaseError::fail(e.to_string()))?;
    wasmparser::validate(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    Ok(bytes)
}

proptest! {
    // Each case compiles a module with cranelift; fewer cases than the table's property.
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn wasm_agrees_with_table_and_interpreter((policies, shuffled, asset, images) in case()) {
        let set = policy_set(policies);
        let engine = Engine::new(set.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bytes = module(&set)?;
        prop_assert_eq!(&bytes, &module(&policy_set(shuffled))?, "emitting depends on policy order");
        let wasm = WasmPolicy::new(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut sorted = set.clone();
        sorted.policies.sort_by(|a, b| a.name.cmp(&b.name));
        prop_assert_eq!(wasm.policy_set(), &sorted);

        let input = AdmissionInput { time: Some(NOW), asset: asset.clone(), images: images.clone() };
        let mut cache = VerificationCache::new();
        let table = engine.evaluate(&input, None, 0, &mut cache);
        let oracle = engine.interpret(&input, None, 0, &mut VerificationCache::new());
        let got = wasm.evaluate(&input, None, 0, &mut cache).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&got, &table);
        prop_assert_eq!(&got, &oracle);
        prop_assert_eq!(
            wasm.verdict(&input, None, 0, &mut cache).map_err(|e| TestCaseError::fail(e.to_string()))?,
            table.decision
        );

        // The raw bytes: policies that do not apply are marked so in every record.
        let m = wasm.manifest();
        let asset_atoms = m.asset_atom_values(&asset);
        let raw = wasm
            .run(&asset_atoms, &vec![wasm_abi::UNKNOWN; images.len() * m.image_atoms.len()], images.len())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (p, &applies) in raw.applicable.iter().enumerate() {
            for i in 0..images.len() {
                prop_assert_eq!(applies == 0, raw.verdict(i, p) == NOT_APPLICABLE);
                prop_assert_eq!(applies == 0, raw.resolved(i, p) == NOT_APPLICABLE);
            }
        }

        let inventory = Inventory { time: Some(NOW), assets: vec![InventoryAsset { asset, images }] };
        let audit = engine.audit(&inventory, None, 0, &mut cache);
        prop_assert_eq!(
            &wasm.audit(&inventory, None, 0, &mut cache).map_err(|e| TestCaseError::fail(e.to_string()))?,
            &audit
        );
        prop_assert_eq!(&engine.interpret_audit(&inventory, None, 0, &mut cache), &audit);
    }
}
