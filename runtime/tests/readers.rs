//! Every reader of the runtime's own documents, fed arbitrary and damaged bytes: facts
//! documents and bundles never panic, and what they accept is usable. (The inputs, reviews and
//! inventories have the same properties in `inputs.rs`; `.trust` files in the compiler's
//! `parser_props.rs`; trust roots and Sigstore material in `bona-sigstore`'s tests.)

use bona_runtime::Engine;
use bona_runtime::bundle::{read_bundle, write_bundle};
use bona_runtime::facts::FactsDocument;
use bona_runtime::ir::{Action, EqOp, Expr, ImageAtom, ImageStrAttr, Policy, PolicySet};
use proptest::prelude::*;

fn repo_file(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Real facts documents of the repository: Trivy-made, hand-written, with signatures.
const FACTS: [&str; 3] = [
    "examples/base-and-scan/facts.json",
    "examples/signed/facts.json",
    "tests/trivy/cases/image-v1/expect.json",
];

fn a_bundle() -> Vec<u8> {
    let set = PolicySet {
        trust_roots: Vec::new(),
        keys: vec![],
        policies: vec![Policy {
            name: "corporate".into(),
            action: Action::Prevent,
            on_unknown: Action::Issue,
            scope: None,
            rules: vec![Expr::Atom(ImageAtom::Str {
                attr: ImageStrAttr::Registry,
                op: EqOp::Eq,
                value: "registry.company.com".into(),
            })],
            description: None,
        }],
    };
    write_bundle(&set)
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)]) -> Vec<u8> {
    for &(at, byte) in edits {
        let len = bytes.len();
        if let Some(slot) = bytes.get_mut(at % len.max(1)) {
            *slot = byte;
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn facts_never_panic_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = FactsDocument::from_json(&bytes);
    }

    #[test]
    fn facts_never_panic_on_json_like_text(text in r#"[{}\[\]":, a-z0-9@/._:-]{0,300}"#) {
        let _ = FactsDocument::from_json(text.as_bytes());
    }

    #[test]
    fn facts_never_panic_on_damaged_real_documents(
        which in 0usize..FACTS.len(),
        edits in proptest::collection::vec((0usize..1_000_000, any::<u8>()), 1..4),
    ) {
        let _ = FactsDocument::from_json(&mutate(repo_file(FACTS[which]), &edits));
    }

    #[test]
    fn bundles_never_panic_and_what_they_accept_loads(
        edits in proptest::collection::vec((0usize..100_000, any::<u8>()), 1..4),
        cut in proptest::option::of(0usize..400),
    ) {
        let mut bytes = mutate(a_bundle(), &edits);
        if let Some(cut) = cut {
            bytes.truncate(cut);
        }
        if let Ok(set) = read_bundle(&bytes) {
            // The sha256 in the header guards the body: whatever passes it is a set the
            // engine accepts or refuses with an error, never a panic.
            let _ = Engine::new(set);
        }
    }

    #[test]
    fn bundles_never_panic_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = read_bundle(&bytes);
    }
}

#[test]
fn the_real_documents_read() {
    for path in FACTS {
        FactsDocument::from_json(&repo_file(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    read_bundle(&a_bundle()).unwrap();
}
