//! Policy modules (`wasm_module::build`) run by the wasmtime host (`wasm_host`) on hand-written
//! cases: the module is valid wasm with no imports and the manifest says what it holds; it
//! decides, reviews and audits exactly as the engine does, with both compilers, on fresh and
//! reused instances; and every way a module or a call can go wrong — the bare engine, a corrupt
//! bundle, a malformed document, foreign bytes, another ABI, a missing export, fuel or memory
//! exhausted — is a clean [`WasmError`] with a message, never a panic.

use bona_runtime::facts::FactsDocument;
use bona_runtime::input::{
    ReviewOptions, parse_admission_input, parse_admission_review, parse_inventory,
    parse_kubectl_list,
};
use bona_runtime::ir::{
    Action, AssetAtom, AssetAttr, EqOp, Expr, ImageAtom, ImageBoolAttr, ImageStrAttr, Policy,
    PolicySet,
};
use bona_runtime::output::DecisionKind;
use bona_runtime::signature::VerificationCache;
use bona_runtime::{Engine, glob::Glob};
use bona_wasm::abi::{self, POLICY_MAGIC};
use bona_wasm::host::{WasmCompiler, WasmError, WasmOptions, WasmPolicy};
use bona_wasm::module::{ENGINE, build, manifest};

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

/// Production needs corporate and pinned images; an audit policy wants scanned ones.
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
        globs: vec![Glob::parse("prod-*").unwrap_or_else(|e| panic!("{e}"))],
    }));
    prod.description = Some("Pinned corporate images only.".into());
    PolicySet {
        trust_roots: Vec::new(),
        keys: vec![],
        policies: vec![
            prod,
            policy(
                "audit",
                Action::Issue,
                Action::Issue,
                vec![Expr::Atom(ImageAtom::Bool(ImageBoolAttr::Scanned))],
            ),
        ],
    }
}

const DIGEST: &str = "sha256:e8215cf0b4d8f1b4a1ab5d0b5b95e2a6f2b6a3b95d8b1fd8c1c3b16c04fb5228";

fn input() -> Vec<u8> {
    format!(
        r#"{{"time": "2026-11-22T00:00:00Z",
            "asset": {{"cluster": "prod-eu-1", "namespace": "payments", "kind": "Deployment", "name": "api"}},
            "images": [ {{"ref": "registry.company.com/app@{DIGEST}"}},
                        {{"ref": "nginx:1.27"}},
                        {{"ref": "registry.company.com/app:1.0", "facts": {{"scanned": true}}}} ]}}"#
    )
    .into_bytes()
}

fn facts() -> Vec<u8> {
    format!(r#"{{"images": {{"{DIGEST}": {{"scanned": true}}}}}}"#).into_bytes()
}

fn module() -> Vec<u8> {
    build(&sample()).unwrap_or_else(|e| panic!("{e}"))
}

/// Winch: these tests are about answers, not speed, and it compiles ten times faster.
fn fast() -> WasmOptions {
    WasmOptions {
        compiler: WasmCompiler::Baseline,
        ..WasmOptions::default()
    }
}

fn load(bytes: &[u8]) -> WasmPolicy {
    WasmPolicy::with_options(bytes, fast()).unwrap_or_else(|e| panic!("{e}"))
}

fn engine() -> Engine {
    Engine::new(sample()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_module_is_valid_wasm_with_no_imports_and_a_manifest() {
    let bytes = module();
    let mut validator = wasmparser::Validator::new();
    validator
        .validate_all(&bytes)
        .unwrap_or_else(|e| panic!("invalid module: {e}"));
    let m = manifest(&bytes).unwrap_or_else(|| panic!("no manifest"));
    assert_eq!(m.abi, abi::ABI_VERSION);
    let names: Vec<&str> = m.policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["audit", "production"], "policies in name order");
    let prod = &m.policies[1];
    assert_eq!(
        (prod.action.as_str(), prod.on_unknown.as_str()),
        ("prevent", "prevent")
    );
    assert_eq!(prod.scope.as_deref(), Some("cluster matches [\"prod-*\"]"));
    assert_eq!(
        prod.rules,
        ["registry == \"registry.company.com\" and pinned"]
    );
    assert_eq!(
        prod.description.as_deref(),
        Some("Pinned corporate images only.")
    );
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let Ok(wasmparser::Payload::ImportSection(r)) = payload {
            assert_eq!(r.count(), 0, "a policy module imports nothing");
        }
    }
    // The bundle is in the module, after the engine's code.
    assert!(bytes.windows(8).any(|w| w == POLICY_MAGIC));
    assert!(bytes.len() > ENGINE.len());
}

#[test]
fn decisions_audits_and_reviews_equal_the_engines() {
    let wasm = load(&module());
    let engine = engine();
    let mut cache = VerificationCache::new();
    let facts_doc = FactsDocument::from_json(&facts()).unwrap_or_else(|e| panic!("{e}"));

    let parsed = parse_admission_input(&input()).unwrap_or_else(|e| panic!("{e}"));
    for facts in [None, Some(facts())] {
        let expected =
            engine.evaluate(&parsed, facts.as_ref().map(|_| &facts_doc), NOW, &mut cache);
        let got = wasm
            .evaluate(&input(), facts.as_deref(), NOW)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(got, expected);
        assert_eq!(got.decision, DecisionKind::Prevent);
    }

    let review = include_bytes!("../../examples/production/review.json");
    let opts = ReviewOptions {
        cluster: "prod-eu-1".into(),
        cloud: "aws".into(),
    };
    let parsed = parse_admission_review(review, &opts).unwrap_or_else(|e| panic!("{e}"));
    let expected = engine.evaluate(&parsed.input, None, NOW, &mut cache);
    let got = wasm
        .review(review, &opts, None, NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, expected);

    let inventory = include_bytes!("../../examples/production/inventory.json");
    let parsed = parse_inventory(inventory).unwrap_or_else(|e| panic!("{e}"));
    let expected = engine.audit(&parsed, Some(&facts_doc), NOW, &mut cache);
    let got = wasm
        .audit(inventory, &ReviewOptions::default(), Some(&facts()), NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, expected);
    assert!(!got.issues.is_empty(), "the example inventory has issues");

    let pods = include_bytes!("../../tests/conformance/kubectl-list-grouping/inventory.json");
    let parsed = parse_kubectl_list(pods, &opts).unwrap_or_else(|e| panic!("{e}"));
    let expected = engine.audit(&parsed, None, NOW, &mut cache);
    let got = wasm
        .audit(pods, &opts, None, NOW)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(got, expected);
}

#[test]
fn an_instance_answers_many_calls_and_forgets_facts_it_is_not_given() {
    let wasm = load(&module());
    let engine = engine();
    let mut cache = VerificationCache::new();
    let parsed = parse_admission_input(&input()).unwrap_or_else(|e| panic!("{e}"));
    let facts_doc = FactsDocument::from_json(&facts()).unwrap_or_else(|e| panic!("{e}"));
    let with = engine.evaluate(&parsed, Some(&facts_doc), NOW, &mut cache);
    let without = engine.evaluate(&parsed, None, NOW, &mut cache);
    assert_ne!(with, without, "the facts matter to this input");
    let mut instance = wasm.instance().unwrap_or_else(|e| panic!("{e}"));
    for _ in 0..3 {
        let a = instance.evaluate(&input(), Some(&facts()), NOW);
        assert_eq!(a, Ok(with.clone()));
        let b = instance.evaluate(&input(), None, NOW);
        assert_eq!(b, Ok(without.clone()));
        // A bad input in between leaves the instance usable.
        let bad = instance.evaluate(b"{", None, NOW);
        assert!(matches!(bad, Err(WasmError::BadInput(_))), "{bad:?}");
    }
}

#[test]
fn cranelift_and_winch_give_the_same_answers() {
    let bytes = module();
    let optimizing = WasmPolicy::new(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let baseline = load(&bytes);
    for facts in [None, Some(facts())] {
        assert_eq!(
            optimizing.evaluate(&input(), facts.as_deref(), NOW),
            baseline.evaluate(&input(), facts.as_deref(), NOW)
        );
    }
}

/// The module's message for a malformed document.
fn bad_input(wasm: &WasmPolicy, doc: &[u8], facts: Option<&[u8]>) -> String {
    match wasm.evaluate(doc, facts, NOW) {
        Err(WasmError::BadInput(message)) => message,
        other => panic!("expected bad input, got {other:?}"),
    }
}

#[test]
fn malformed_documents_give_the_runtimes_own_messages() {
    let wasm = load(&module());
    for doc in [
        &b"{\"images\": [{\"ref\": \"Nginx\"}]}"[..],
        b"{\"asset\": {}, \"extra\": 1}",
        b"{\"images\": [{\"ref\": \"nginx\", \"facts\": [true]}]}",
    ] {
        let native = parse_admission_input(doc)
            .err()
            .unwrap_or_else(|| panic!("a bad document"));
        assert_eq!(bad_input(&wasm, doc, None), format!("input: {native}"));
    }
    let facts = b"{\"images\": {\"nginx\": {\"scaned\": true}}}";
    let native = FactsDocument::from_json(facts)
        .err()
        .unwrap_or_else(|| panic!("bad facts"));
    assert_eq!(
        bad_input(&wasm, &input(), Some(facts)),
        format!("facts: {native}")
    );
    let empty = bad_input(&wasm, b"", None);
    assert!(
        empty.starts_with("input: ") && empty.contains("EOF"),
        "{empty}"
    );
    let review = wasm.review(b"{}", &ReviewOptions::default(), None, NOW);
    assert!(matches!(review, Err(WasmError::BadInput(m)) if m.starts_with("admission review:")));
}

#[test]
fn the_bare_engine_and_a_corrupt_bundle_say_what_is_wrong() {
    let bare = load(ENGINE);
    match bare.evaluate(&input(), None, NOW) {
        Err(WasmError::NoPolicy(m)) => {
            assert!(m.contains("bona build"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    // One byte of the bundle's body flipped: its checksum refuses it.
    let mut bytes = module();
    let at = bytes
        .windows(8)
        .position(|w| w == POLICY_MAGIC)
        .unwrap_or_else(|| panic!("no region"));
    let last = bytes.len() - 1;
    let target = (at + 16 + 40).min(last);
    bytes[target] ^= 0x55;
    let corrupt = load(&bytes);
    match corrupt.evaluate(&input(), None, NOW) {
        Err(WasmError::NoPolicy(m)) => assert!(m.starts_with("the module's policy set:"), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// A module exporting only `memory` and `bona_abi_version` returning `version`.
fn stub(version: i32) -> Vec<u8> {
    use wasm_encoder::{
        CodeSection, ExportKind, ExportSection, Function, FunctionSection, MemorySection,
        MemoryType, Module, TypeSection, ValType,
    };
    let mut m = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([], [ValType::I32]);
    m.section(&types);
    let mut funcs = FunctionSection::new();
    funcs.function(0);
    m.section(&funcs);
    let mut mem = MemorySection::new();
    mem.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    m.section(&mem);
    let mut exports = ExportSection::new();
    exports
        .export("memory", ExportKind::Memory, 0)
        .export("bona_abi_version", ExportKind::Func, 0);
    m.section(&exports);
    let mut code = CodeSection::new();
    let mut f = Function::new([]);
    f.instructions().i32_const(version).end();
    code.function(&f);
    m.section(&code);
    m.finish()
}

#[test]
fn foreign_modules_are_refused() {
    assert!(matches!(
        WasmPolicy::with_options(b"\0asm\x01\0\0\0garbage", fast()),
        Err(WasmError::Module(_))
    ));
    assert!(matches!(
        WasmPolicy::with_options(b"not wasm at all", fast()),
        Err(WasmError::Module(_))
    ));
    let old = WasmPolicy::with_options(&stub(1), fast());
    assert_eq!(
        old.as_ref().err(),
        Some(&WasmError::Abi {
            found: 1,
            supported: 2
        })
    );
    let message = old.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("bona build --target wasm"), "{message}");
    match WasmPolicy::with_options(&stub(2), fast()) {
        Err(WasmError::Export(m)) => assert!(m.contains("bona_buffer"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn fuel_and_memory_limits_end_calls_cleanly() {
    let bytes = module();
    let starved = WasmPolicy::with_options(
        &bytes,
        WasmOptions {
            fuel: 10_000,
            ..fast()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        starved.evaluate(&input(), None, NOW),
        Err(WasmError::OutOfFuel { fuel: 10_000 })
    );
    // Less memory than the module's initial size: it cannot even be instantiated.
    let cramped = WasmPolicy::with_options(
        &bytes,
        WasmOptions {
            memory_bytes: 64 * 1024,
            ..fast()
        },
    );
    assert!(
        matches!(cramped, Err(WasmError::Instantiate(_))),
        "{cramped:?}"
    );
    // Enough to start, not enough for a large document: a trap, not a crash.
    let tight = WasmPolicy::with_options(
        &bytes,
        WasmOptions {
            memory_bytes: 3 << 20,
            ..fast()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut big = b"{\"images\": [".to_vec();
    for i in 0..40_000 {
        if i > 0 {
            big.push(b',');
        }
        big.extend_from_slice(b"{\"ref\": \"nginx:1.27\"}");
    }
    big.extend_from_slice(b"]}");
    let result = tight.evaluate(&big, None, NOW);
    assert!(
        matches!(result, Err(WasmError::Trap(_) | WasmError::Output(_))),
        "{result:?}"
    );
}
