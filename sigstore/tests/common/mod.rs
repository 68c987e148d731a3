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

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh scratch directory for test `name`.
pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("bona-sigstore-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// Runs `openssl` in `dir`, failing the test with its stderr.
pub fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether the `openssl` command is there (else a note, and the test checks nothing).
pub fn have_openssl() -> bool {
    let ok = std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: no `openssl` command, so this openssl test checks nothing");
    }
    ok
}
