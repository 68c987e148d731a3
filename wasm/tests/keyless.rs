//! The wasm module and the native engine agree on the keyless corpus: every case of the private
//! Sigstore of `bona-testkit` (good and broken bundles and `.sig` entries) is decided by a
//! policy module, run by the wasmtime host, exactly as by the engine, reasons included. The
//! module carries the trust root and the keyless signer in its bundle and verifies with the
//! same pure-Rust code compiled to wasm32.

use std::collections::BTreeMap;

use bona_runtime::Engine;
use bona_runtime::facts::FactsDocument;
use bona_runtime::input::parse_admission_input;
use bona_runtime::ir::{
    Action, Expr, IdentityAttr, IdentityConstraint, IdentityTest, ImageAtom, KeyDef, Policy,
    PolicySet, Signer, TrustRootDef,
};
use bona_runtime::signature::VerificationCache;
use bona_testkit::fixtures::{self, Fixture};
use bona_testkit::hex;
use bona_testkit::sigstore::{IMAGE_REPO, PrivateSigstore};
use bona_wasm::host::{WasmCompiler, WasmOptions, WasmPolicy};
use bona_wasm::module::build;

/// 2026-06-01, three months after the fixtures were signed.
const NOW: i64 = 1_780_272_000;

fn set_for(f: &Fixture) -> PolicySet {
    let constraint = |attr, value: &str| IdentityConstraint {
        attr,
        test: IdentityTest::Eq(value.to_owned()),
    };
    PolicySet {
        trust_roots: vec![TrustRootDef {
            name: "private".into(),
            document: f.trusted_root.to_string(),
        }],
        keys: vec![KeyDef {
            name: "release_ci".into(),
            signer: Signer::Keyless {
                root: 0,
                identity: vec![
                    constraint(IdentityAttr::Issuer, &f.issuer),
                    constraint(IdentityAttr::Subject, &f.identity),
                ],
            },
        }],
        policies: vec![Policy {
            name: "keyless".into(),
            action: Action::Prevent,
            on_unknown: Action::Prevent,
            scope: None,
            rules: vec![Expr::Atom(ImageAtom::SignedBy { key: 0 })],
            description: None,
        }],
    }
}

#[test]
fn the_module_decides_every_keyless_case_as_the_engine() {
    let ss = PrivateSigstore::new(1);
    // One module per trust root and identity: most cases share them.
    let mut groups: BTreeMap<String, Vec<Fixture>> = BTreeMap::new();
    for f in fixtures::all(&ss) {
        let key = format!("{}|{}|{}", f.trusted_root, f.issuer, f.identity);
        groups.entry(key).or_default().push(f);
    }
    let mut compared = 0;
    let mut trusted = 0;
    for cases in groups.values() {
        let set = set_for(&cases[0]);
        let engine = Engine::new(set.clone()).unwrap_or_else(|e| panic!("{e}"));
        let bytes = build(&set).unwrap_or_else(|e| panic!("{e}"));
        let options = WasmOptions {
            compiler: WasmCompiler::Baseline,
            ..WasmOptions::default()
        };
        let wasm = WasmPolicy::with_options(&bytes, options).unwrap_or_else(|e| panic!("{e}"));
        let mut instance = wasm.instance().unwrap_or_else(|e| panic!("{e}"));
        for f in cases {
            let mut entries = vec![f.bundle_entry.clone()];
            entries.extend(f.sig_entry.clone());
            for entry in entries {
                let facts = f.facts(&entry).to_string();
                let input = format!(
                    r#"{{"asset": {{"cluster": "prod", "namespace": "n", "kind": "Pod", "name": "p"}},
                        "images": [{{"ref": "{IMAGE_REPO}@sha256:{}"}}]}}"#,
                    hex(&f.image_digest)
                );
                let parsed =
                    parse_admission_input(input.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
                let doc =
                    FactsDocument::from_json(facts.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
                let mut cache = VerificationCache::new();
                let expected = engine.evaluate(&parsed, Some(&doc), NOW, &mut cache);
                let got = instance
                    .evaluate(input.as_bytes(), Some(facts.as_bytes()), NOW)
                    .unwrap_or_else(|e| panic!("{}: {e}", f.variant.id()));
                assert_eq!(got, expected, "{}", f.variant.id());
                if format!("{expected:?}").contains("Trusted") {
                    trusted += 1;
                }
                compared += 1;
            }
        }
    }
    assert!(
        compared >= 70 && trusted >= 10,
        "{compared} compared, {trusted} trusted"
    );
}
