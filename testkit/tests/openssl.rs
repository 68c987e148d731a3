//! Runs `check-with-openssl.sh` on freshly generated fixtures: OpenSSL, an independent
//! implementation, must find every keyed piece (chain, signature, SET, Merkle proof, checkpoint,
//! timestamp) of every case as the script's table says. Needs `bash`, `python3` and `openssl`;
//! it fails, rather than skips, when they are missing (scripts/install-test-tools.sh installs
//! them, as for the runtime's OpenSSL tests).

use std::process::Command;

#[test]
fn openssl_judges_every_keyed_piece_as_expected() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("testkit-openssl");
    let _ = std::fs::remove_dir_all(&dir);
    bona_testkit::fixtures::write_dir(1, &dir).expect("fixtures written");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/check-with-openssl.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(&dir)
        .output()
        .expect("bash runs check-with-openssl.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check-with-openssl.sh failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cases = bona_testkit::fixtures::Variant::ALL.len();
    assert!(
        stdout.contains(&format!("{cases} cases, 0 not as expected")),
        "{stdout}"
    );
}
