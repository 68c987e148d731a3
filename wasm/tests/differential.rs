//! Differential property test: a policy module (`wasm_module::build`, run by the wasmtime host)
//! against the engine, on the generated policy sets and images of `table_vs_interpreter.rs`.
//!
//! The input goes to the module as the JSON of docs/output.md#admission-input (the engine's decision is taken on the
//! same bytes, parsed), so the module's own parsing, facts, signatures, table and rules are all
//! under test, and its answer must equal the engine's field for field, reasons included. Each
//! generated set is compiled once (winch) and asked several inputs on one instance.

use bona_runtime::engine::Engine;
use bona_runtime::input::parse_admission_input;
use bona_runtime::signature::VerificationCache;
use bona_wasm::host::{WasmCompiler, WasmOptions, WasmPolicy};
use bona_wasm::module::build;
use proptest::prelude::*;

#[path = "../../runtime/tests/strategies/mod.rs"]
mod strategies;
use strategies::*;

fn inputs() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec((asset(), proptest::collection::vec(image(), 1..4)), 1..6).prop_map(
        |cases| {
            cases
                .iter()
                .map(|(asset, images)| input_json(NOW, asset, images))
                .collect()
        },
    )
}

proptest! {
    // Each case compiles a module: few cases, several inputs each.
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn the_module_decides_as_the_engine((policies, inputs) in (policies(), inputs())) {
        let set = policy_set(policies);
        let engine = Engine::new(set.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bytes = build(&set).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let options = WasmOptions { compiler: WasmCompiler::Baseline, ..WasmOptions::default() };
        let wasm = WasmPolicy::with_options(&bytes, options)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut instance = wasm.instance().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut cache = VerificationCache::new();
        for json in &inputs {
            let parsed = parse_admission_input(json)
                .map_err(|e| TestCaseError::fail(format!("generated input: {e}")))?;
            let expected = engine.evaluate(&parsed, None, 0, &mut cache);
            let got = instance.evaluate(json, None, 0)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(got, expected);
        }
    }
}
