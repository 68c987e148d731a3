//! Helpers shared by the integration tests: where the third-party corpus lives, and running
//! `openssl`. The corpus (`shared/conformance-real`) is read in place, never copied here; when
//! it is absent a test prints a note and passes, unless `BONA_REQUIRE_SHARED=1`.
#![allow(dead_code)]

use std::path::PathBuf;

/// `shared/conformance-real` beside the repository (or `$BONA_SHARED_DIR/conformance-real`),
/// or `None` after printing why the test is skipped.
pub fn corpus(test: &str) -> Option<PathBuf> {
    let shared = std::env::var_os("BONA_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let dir = shared.join("conformance-real");
    if dir.is_dir() {
        return Some(dir);
    }
    let msg = format!(
        "{test}: the third-party corpus {} is absent, so this test checks nothing",
        dir.display()
    );
    if std::env::var("BONA_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("{msg} (BONA_REQUIRE_SHARED=1)");
    }
    eprintln!("note: {msg}");
    None
}

/// Reads a JSON file of the corpus.
pub fn json(path: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The sigstore-conformance manifest's cases whose id ends with one of `ids`.
pub fn manifest_cases(corpus: &std::path::Path) -> Vec<serde_json::Value> {
    let m = json(&corpus.join("sigstore/manifest.json"));
    m["cases"].as_array().cloned().unwrap_or_default()
}
