//! The wasm module and its host on hand-written cases: the module validates, decides the SPEC's
//! worked examples, and every way a module or a call can go wrong — foreign bytes, a missing or
//! future manifest, a missing export, fuel or memory exhausted, output bytes outside the ABI —
//! is a clean [`WasmError`], never a panic.

#![cfg(all(feature = "wasm", feature = "wasm-emit"))]

use bona_runtime::input::parse_admission_input;
use bona_runtime::ir::{
    Action, AssetAtom, AssetAttr, EqOp, Expr, ImageAtom, ImageBoolAttr, ImageStrAttr, Policy,
    PolicySet,
};
use bona_runtime::output::{DecisionKind, PolicyResult, Verdict};
use bona_runtime::signature::VerificationCache;
use bona_runtime::wasm_abi::{self, AbiError, Manifest};
use bona_runtime::wasm_emit::{emit, emit_manifest};
use bona_runtime::wasm_host::{WasmError, WasmLimits, WasmPolicy};
use bona_runtime::{Engine, bundle};
use wasm_encoder::{
    CodeSection, CustomSection, ExportKind, ExportSection, Function, FunctionSection,
    MemorySection, MemoryType, Module, TypeSection, ValType,
};

const NOW: i64 = 1_795_305_600;

fn registry(v: &str) -> Expr<ImageAtom> {
    Expr::Atom(ImageAtom::Str {
        attr: ImageStrAttr::Registry,
        op: EqOp::Eq,
        value: v.into(),
    })
}

fn policy(name: &str, action: Action, on_unknown: Action, rules: Vec<Expr<ImageAtom>>) -> Policy {
    Policy {
        name: name.into(),
        action,
        on_unknown,
        scope: None,
        rules,
        description: None,
    }
}

fn sample() -> PolicySet {
    let mut prod = policy(
        "production",
        Action::Prevent,
        Action::Prevent,
        vec![Expr::And(vec![
            registry("registry.company.com"),
            Expr::Atom(ImageAtom::Bool(ImageBoolAttr::Pinned)),
        ])],
    );
    prod.scope = Some(Expr::Atom(AssetAtom::Matches {
        attr: AssetAttr::Cluster,
        globs: vec![bona_runtime::glob::Glob::parse("prod-*").unwrap_or_else(|e| panic!("{e}"))],
    }));
    PolicySet {
        keys: vec![],
        policies: vec![
            prod,
            policy(
                "scanned",
                Action::Issue,
                Action::Issue,
                vec![Expr::Atom(ImageAtom::Bool(ImageBoolAttr::Scanned))],
            ),
            policy("nothing", Action::Issue, Action::Issue, vec![]),
        ],
    }
}

fn load(set: &PolicySet) -> WasmPolicy {
    let bytes = emit(set).unwrap_or_else(|e| panic!("{e}"));
    wasmparser::validate(&bytes).unwrap_or_else(|e| panic!("{e}"));
    WasmPolicy::new(&bytes).unwrap_or_else(|e| panic!("{e}"))
}

const INPUT: &[u8] = br#"{ "time": "2026-11-22T00:00:00Z",
    "asset": { "cluster": "prod-eu-1", "namespace": "payments", "name": "api" },
    "images": [
      { "ref": "registry.company.com/app@sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "facts": { "scanned": true } },
      { "ref": "nginx:1.27" } ] }"#;

#[test]
fn decides_like_the_engine() {
    let set = sample();
    let wasm = load(&set);
    let engine = Engine::new(set).unwrap_or_else(|e| panic!("{e}"));
    let input = parse_admission_input(INPUT).unwrap_or_else(|e| panic!("{e}"));
    let mut cache = VerificationCache::new();
    let got = wasm
        .evaluate(&input, None, NOW, &mut cache)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, engine.evaluate(&input, None, NOW, &mut cache));
    assert_eq!(got.decision, DecisionKind::Prevent);
    assert_eq!(got.images[0].verdict, Verdict::Trusted);
    assert!(got.images[1].prevented);
    assert_eq!(got.images[1].policies[2].result, PolicyResult::Unknown);
    assert_eq!(got.issues.len(), 1);
}

#[test]
fn empty_sets_and_no_images() {
    let wasm = load(&PolicySet::default());
    let input = parse_admission_input(INPUT).unwrap_or_else(|e| panic!("{e}"));
    let mut cache = VerificationCache::new();
    let d = wasm
        .evaluate(&input, None, NOW, &mut cache)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.decision, DecisionKind::Allow);
    assert!(d.images.iter().all(|i| i.verdict == Verdict::Trusted));
    let none = parse_admission_input(br#"{"images": []}"#).unwrap_or_else(|e| panic!("{e}"));
    let d = load(&sample())
        .evaluate(&none, None, NOW, &mut cache)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.decision, DecisionKind::Allow);
    assert!(d.images.is_empty());
}

#[test]
fn many_images_grow_the_memory() {
    let set = sample();
    let wasm = load(&set);
    let engine = Engine::new(set).unwrap_or_else(|e| panic!("{e}"));
    let mut input = parse_admission_input(INPUT).unwrap_or_else(|e| panic!("{e}"));
    let first = input.images.clone();
    for _ in 0..20_000 {
        input.images.extend(first.iter().cloned());
    }
    let mut cache = VerificationCache::new();
    assert_eq!(
        wasm.verdict(&input, None, NOW, &mut cache),
        Ok(engine.verdict(&input, None, NOW, &mut cache))
    );
    let tight = wasm.with_limits(WasmLimits {
        fuel: None,
        memory_bytes: 1 << 16,
    });
    assert!(matches!(
        tight.verdict(&input, None, NOW, &mut cache),
        Err(WasmError::Memory { .. })
    ));
}

#[test]
fn out_of_fuel_is_an_error() {
    let wasm = load(&sample()).with_limits(WasmLimits {
        fuel: Some(50),
        ..WasmLimits::default()
    });
    let input = parse_admission_input(INPUT).unwrap_or_else(|e| panic!("{e}"));
    let err = wasm
        .evaluate(&input, None, NOW, &mut VerificationCache::new())
        .err();
    assert_eq!(err, Some(WasmError::OutOfFuel { fuel: 50 }));
    assert!(err.is_some_and(|e| e.to_string().contains("ran out of fuel")));
}

#[test]
fn foreign_bytes_are_refused() {
    for bytes in [
        &b""[..],
        b"garbage",
        b"\0asm\x01\0\0\0",
        b"\0asm\x01\0\0\0\x00\x7f",
        &bundle::write_bundle(&sample()),
    ] {
        let err = WasmPolicy::new(bytes).err();
        assert!(matches!(err, Some(WasmError::Manifest(_))), "{err:?}");
    }
    // A valid manifest in front of a truncated module.
    let mut bytes = emit(&sample()).unwrap_or_else(|e| panic!("{e}"));
    bytes.truncate(bytes.len() - 3);
    let err = WasmPolicy::new(&bytes).err();
    assert!(matches!(err, Some(WasmError::Module(_))), "{err:?}");
}

#[test]
fn another_abi_version_is_refused() {
    let mut manifest = Manifest::of_set(&sample()).unwrap_or_else(|e| panic!("{e}"));
    manifest.abi = wasm_abi::ABI_VERSION + 1;
    let err = WasmPolicy::new(&emit_manifest(&manifest)).err();
    assert_eq!(
        err,
        Some(WasmError::Abi(AbiError::Version {
            found: wasm_abi::ABI_VERSION + 1,
            supported: wasm_abi::ABI_VERSION
        }))
    );
    assert!(err.is_some_and(|e| e.to_string().contains("rebuild it")));
}

/// A module with a valid manifest whose code is `body` (type `(i32) -> i32`), exported as
/// `bona_eval` only when `export` is set.
fn hand_made(body: &Function, export: bool) -> Vec<u8> {
    let manifest = Manifest::of_set(&sample()).unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_vec(&manifest).unwrap_or_default();
    let mut m = Module::new();
    m.section(&CustomSection {
        name: wasm_abi::MANIFEST_SECTION.into(),
        data: json.as_slice().into(),
    });
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    m.section(&types);
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    m.section(&funcs);
    let mut mems = MemorySection::new();
    mems.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    m.section(&mems);
    let mut exports = ExportSection::new();
    exports.export(wasm_abi::MEMORY_EXPORT, ExportKind::Memory, 0);
    if export {
        exports.export(wasm_abi::EVAL_EXPORT, ExportKind::Func, 0);
    }
    m.section(&exports);
    let mut code = CodeSection::new();
    code.function(body);
    m.section(&code);
    let mut data = wasm_encoder::DataSection::new();
    data.active(
        0,
        &wasm_encoder::ConstExpr::i32_const(0),
        wasm_abi::ABI_VERSION.to_le_bytes(),
    );
    m.section(&data);
    let bytes = m.finish();
    wasmparser::validate(&bytes).unwrap_or_else(|e| panic!("{e}"));
    bytes
}

#[test]
fn modules_breaking_the_abi_give_errors() {
    let input = parse_admission_input(INPUT).unwrap_or_else(|e| panic!("{e}"));
    let mut cache = VerificationCache::new();
    let run = |bytes: &[u8], cache: &mut VerificationCache| {
        WasmPolicy::new(bytes)
            .unwrap_or_else(|e| panic!("{e}"))
            .evaluate(&input, None, NOW, cache)
            .err()
    };

    let mut returns_zero = Function::new([]);
    returns_zero.instructions().i32_const(0).end();
    let err = run(&hand_made(&returns_zero, false), &mut cache);
    assert!(matches!(err, Some(WasmError::Export(_))), "{err:?}");

    // A decision byte outside the ABI.
    let mut bad_decision = Function::new([]);
    bad_decision
        .instructions()
        .i32_const(0)
        .i32_const(7)
        .i32_store8(wasm_encoder::MemArg {
            offset: u64::from(wasm_abi::DECISION_OFFSET),
            align: 0,
            memory_index: 0,
        })
        .i32_const(0)
        .end();
    let err = run(&hand_made(&bad_decision, true), &mut cache);
    assert!(matches!(err, Some(WasmError::Output(_))), "{err:?}");

    let mut status = Function::new([]);
    status.instructions().i32_const(1).end();
    let err = run(&hand_made(&status, true), &mut cache);
    assert!(matches!(err, Some(WasmError::Output(_))), "{err:?}");

    let mut traps = Function::new([]);
    traps.instructions().unreachable().end();
    let err = run(&hand_made(&traps, true), &mut cache);
    assert!(matches!(err, Some(WasmError::Trap(_))), "{err:?}");

    let mut spins = Function::new([]);
    spins
        .instructions()
        .loop_(wasm_encoder::BlockType::Empty)
        .br(0)
        .end()
        .i32_const(0)
        .end();
    let err = run(&hand_made(&spins, true), &mut cache);
    assert!(matches!(err, Some(WasmError::OutOfFuel { .. })), "{err:?}");
}

#[test]
fn negative_counts_and_wrong_lengths_are_refused() {
    let wasm = load(&sample());
    let m = wasm.manifest();
    assert!(matches!(wasm.run(&[], &[], 0), Err(WasmError::Output(_))));
    let asset = vec![0u8; m.asset_atoms.len()];
    assert!(wasm.run(&asset, &[], 0).is_ok());
    assert!(matches!(
        wasm.run(&asset, &[1], 1),
        Err(WasmError::Output(_))
    ));
}
