//! The data the testkit generated into the repository is what it generates today (byte for
//! byte): the keyless and attestation (`attest-*`) conformance cases of `tests/conformance/`
//! (the `.trust` files there are written in `bona fmt`'s layout by the generator itself), and
//! the pool of signed attestations of the Python oracle, `tests/oracle/atts/table.json`. A
//! change to the fixtures or to the generators must come with regenerated files:
//! `cargo run -p bona-testkit --bin conformance-keyless -- tests/conformance` and
//! `cargo run -p bona-testkit --bin oracle-attest -- tests/oracle/atts/table.json`.

use std::path::{Path, PathBuf};

fn files(dir: &Path, prefix: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if path.is_dir() {
            files(&path, prefix, out);
        } else if let Ok(rel) = path.strip_prefix(prefix) {
            out.push(rel.to_path_buf());
        }
    }
}

/// Writes with `write` into a fresh temporary directory and names the files that differ from
/// `tests/conformance`; `write` must write at least `at_least` cases.
fn stale_files(
    label: &str,
    at_least: usize,
    write: fn(&Path) -> std::io::Result<usize>,
) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("bona-conformance-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let n = write(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(n >= at_least, "{n} {label} cases");
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance");
    let mut generated = Vec::new();
    files(&dir, &dir, &mut generated);
    let stale: Vec<String> = generated
        .iter()
        .filter(|rel| std::fs::read(dir.join(rel)).ok() != std::fs::read(committed.join(rel)).ok())
        .map(|rel| rel.display().to_string())
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    stale
}

fn assert_current(stale: &[String]) {
    assert!(
        stale.is_empty(),
        "{} generated files differ from tests/conformance (regenerate them with `cargo run -p \
         bona-testkit --bin conformance-keyless -- tests/conformance`): {:?}",
        stale.len(),
        stale.iter().take(5).collect::<Vec<_>>()
    );
}

#[test]
fn the_committed_keyless_conformance_cases_are_current() {
    assert_current(&stale_files(
        "keyless",
        100,
        bona_testkit::conformance::write_cases,
    ));
}

#[test]
fn the_committed_attestation_conformance_cases_are_current() {
    assert_current(&stale_files(
        "attest",
        60,
        bona_testkit::conformance_attest::write_cases,
    ));
}

#[test]
fn the_committed_oracle_attestation_pool_is_current() {
    let path = std::env::temp_dir().join(format!("bona-oracle-attest-{}.json", std::process::id()));
    let n = bona_testkit::conformance_attest::write_oracle_pool(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(n >= 40, "{n} attestations");
    let generated = std::fs::read(&path).ok();
    let _ = std::fs::remove_file(&path);
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/oracle/atts/table.json");
    assert!(
        generated == std::fs::read(&committed).ok(),
        "tests/oracle/atts/table.json differs from what the testkit writes (regenerate it with \
         `cargo run -p bona-testkit --bin oracle-attest -- tests/oracle/atts/table.json`)"
    );
}
