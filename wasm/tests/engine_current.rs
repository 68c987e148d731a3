//! The committed wasm engine (`wasm-engine/bona-engine.wasm`) was built from the sources in the
//! tree: `wasm-engine/bona-engine.sources` records their hash when `scripts/build-wasm-engine.sh`
//! builds it, and this test recomputes it (the same recipe as `scripts/wasm-engine-sources.sh`).
//! A change to the runtime without a rebuilt engine would make `bona build --target wasm` ship
//! yesterday's semantics; this test stops that.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir` (relative to the repository).
fn rust_files(dir: &str, out: &mut Vec<String>) {
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(repo().join(&d)).unwrap_or_else(|e| panic!("{d}: {e}"));
        for entry in entries {
            let entry = entry.unwrap_or_else(|e| panic!("{d}: {e}"));
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{d}/{name}");
            if entry.path().is_dir() {
                stack.push(rel);
            } else if name.ends_with(".rs") {
                out.push(rel);
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_committed_engine_matches_the_sources() {
    let mut files = Vec::new();
    rust_files("runtime/src", &mut files);
    rust_files("wasm-engine/src", &mut files);
    rust_files("sigstore/src", &mut files);
    // Of this crate, the engine contains the ABI only (the builder and host are features).
    files.push("wasm/src/abi.rs".into());
    files.push("wasm/src/lib.rs".into());
    files.push("runtime/Cargo.toml".into());
    files.push("sigstore/Cargo.toml".into());
    files.push("wasm/Cargo.toml".into());
    files.push("wasm-engine/Cargo.toml".into());
    files.sort();
    let mut stream = String::new();
    for f in &files {
        let bytes = std::fs::read(repo().join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        stream.push_str(f);
        stream.push('\n');
        stream.push_str(&hex(&Sha256::digest(&bytes)));
        stream.push('\n');
    }
    let now = hex(&Sha256::digest(stream.as_bytes()));
    let recorded_path = repo().join("wasm-engine/bona-engine.sources");
    let recorded = std::fs::read_to_string(&recorded_path)
        .unwrap_or_else(|e| panic!("{}: {e}", recorded_path.display()));
    assert_eq!(
        recorded.trim(),
        now,
        "wasm-engine/bona-engine.wasm is older than runtime/src or wasm-engine/: run \
         scripts/build-wasm-engine.sh and commit both files it writes"
    );
    assert!(
        repo().join("wasm-engine/bona-engine.wasm").is_file(),
        "the engine is missing"
    );
}
