//! Signing keys made by OpenSSL, an implementation independent of Bona's.

use std::path::Path;
use std::process::Command;

/// Writes `NAME.key` (an unencrypted ECDSA P-256 private key, PKCS#8 PEM) and `NAME.pub` (its
/// public key) in `dir`.
pub fn p256_pair(dir: &Path, name: &str) {
    let key = dir.join(format!("{name}.key"));
    let public = dir.join(format!("{name}.pub"));
    let runs: [Vec<&std::ffi::OsStr>; 2] = [
        vec![
            "genpkey".as_ref(),
            "-algorithm".as_ref(),
            "EC".as_ref(),
            "-pkeyopt".as_ref(),
            "ec_paramgen_curve:P-256".as_ref(),
            "-out".as_ref(),
            key.as_os_str(),
        ],
        vec![
            "pkey".as_ref(),
            "-pubout".as_ref(),
            "-in".as_ref(),
            key.as_os_str(),
            "-out".as_ref(),
            public.as_os_str(),
        ],
    ];
    for args in runs {
        let out = Command::new("openssl").args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
