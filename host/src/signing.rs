//! Signed bundles: `bona build --sign-key KEY` writes `FILE.sig` beside the bundle (or wasm
//! module), and `--bundle-key PUB` on every command that loads one refuses a bundle without a
//! signature, or whose signature does not verify under PUB — as OPA's signed bundles do, so a
//! webhook only ever decides with policies its operators built.
//!
//! The signature is cosign's `sign-blob` shape: the base64 of an ECDSA P-256 / SHA-256
//! signature (ASN.1 DER) over the file's bytes, in a file of its own, so `cosign verify-blob
//! --key PUB --signature FILE.sig FILE` checks it too. Verification accepts every key type
//! that `key` declarations accept (`bona_sigstore::keys`).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use bona_compiler::disk::read_regular;
use bona_sigstore::keys::{PublicKey, decode_base64_lenient};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey as _;

/// Key and signature files are small; anything larger is not one.
const MAX_KEY_BYTES: u64 = 64 << 10;

/// Where the signature of `bundle` lives: the same path with `.sig` added.
pub fn signature_path(bundle: &Path) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Reads an unencrypted ECDSA P-256 private key: PKCS#8 `PRIVATE KEY` (what `openssl genpkey`
/// writes) or SEC1 `EC PRIVATE KEY` (`openssl ecparam -genkey`).
///
/// # Errors
/// The message names the file and says what is wrong.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, String> {
    let bytes =
        read_regular(path, MAX_KEY_BYTES).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{}: not a PEM private key (not text)", path.display()))?;
    if text.contains("ENCRYPTED") {
        return Err(format!(
            "{}: the private key is encrypted; give an unencrypted PEM key (for example \
             `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`)",
            path.display()
        ));
    }
    if let Ok(key) = SigningKey::from_pkcs8_pem(text.trim()) {
        return Ok(key);
    }
    p256::SecretKey::from_sec1_pem(text.trim())
        .map(SigningKey::from)
        .map_err(|_| {
            format!(
                "{}: not an ECDSA P-256 private key in PEM (`PRIVATE KEY` or `EC PRIVATE KEY`)",
                path.display()
            )
        })
}

/// The contents of `FILE.sig` for `bytes`: base64 of the DER signature, and a newline.
pub fn sign(key: &SigningKey, bytes: &[u8]) -> String {
    let signature: Signature = key.sign(bytes);
    let der = signature.to_der();
    format!(
        "{}\n",
        base64::engine::general_purpose::STANDARD.encode(der.as_bytes())
    )
}

/// Reads a public key file (`--bundle-key`) of any type `key` declarations accept.
///
/// # Errors
/// The message names the file and says what is wrong.
pub fn read_public_key(path: &Path) -> Result<PublicKey, String> {
    let bytes =
        read_regular(path, MAX_KEY_BYTES).map_err(|e| format!("{}: {e}", path.display()))?;
    PublicKey::from_pem_or_der(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Checks that `bytes`, read from `bundle`, carry a signature beside them that verifies under
/// `key` (read from `key_path`).
///
/// # Errors
/// One message naming the bundle: no signature file, an unreadable one, or one that does not
/// verify under the key.
pub fn verify(bundle: &Path, bytes: &[u8], key: &PublicKey, key_path: &Path) -> Result<(), String> {
    let sig_path = signature_path(bundle);
    let text = match read_regular(&sig_path, MAX_KEY_BYTES) {
        Ok(text) => text,
        Err(e) => {
            return Err(format!(
                "{}: the bundle is not signed: {} {e} (build it with `bona build --sign-key`, \
                 or drop --bundle-key)",
                bundle.display(),
                sig_path.display()
            ));
        }
    };
    let text = String::from_utf8_lossy(&text);
    let signature = decode_base64_lenient(text.trim()).map_err(|_| {
        format!(
            "{}: not a signature: the file is not base64",
            sig_path.display()
        )
    })?;
    key.verify(bytes, &signature).map_err(|_| {
        format!(
            "{}: the signature in {} does not verify under {}: the bundle was changed after it \
             was signed, or signed with another key",
            bundle.display(),
            sig_path.display(),
            key_path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};

    fn keys(dir: &Path) -> (PathBuf, PathBuf) {
        let secret = p256::SecretKey::from_slice(&[7; 32]).unwrap();
        let private = dir.join("bundle.key");
        std::fs::write(
            &private,
            secret.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes(),
        )
        .unwrap();
        let public = dir.join("bundle.pub");
        std::fs::write(
            &public,
            secret
                .public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        )
        .unwrap();
        (private, public)
    }

    #[test]
    fn a_signed_bundle_verifies_and_any_change_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (private, public) = keys(dir.path());
        let bundle = dir.path().join("p.bundle");
        let bytes = b"BONA-BUNDLE 1 ...".to_vec();
        let key = read_signing_key(&private).unwrap();
        std::fs::write(signature_path(&bundle), sign(&key, &bytes)).unwrap();
        let public_key = read_public_key(&public).unwrap();
        verify(&bundle, &bytes, &public_key, &public).unwrap();

        let mut changed = bytes.clone();
        changed[0] ^= 1;
        let err = verify(&bundle, &changed, &public_key, &public).unwrap_err();
        assert!(err.contains("does not verify under"), "{err}");

        let other = p256::SecretKey::from_slice(&[9; 32]).unwrap();
        let other_pub = dir.path().join("other.pub");
        std::fs::write(
            &other_pub,
            other
                .public_key()
                .to_public_key_pem(LineEnding::LF)
                .unwrap(),
        )
        .unwrap();
        let other_key = read_public_key(&other_pub).unwrap();
        assert!(verify(&bundle, &bytes, &other_key, &other_pub).is_err());

        std::fs::remove_file(signature_path(&bundle)).unwrap();
        let err = verify(&bundle, &bytes, &public_key, &public).unwrap_err();
        assert!(err.contains("the bundle is not signed"), "{err}");
    }

    #[test]
    fn encrypted_and_foreign_private_keys_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let encrypted = dir.path().join("cosign.key");
        std::fs::write(
            &encrypted,
            "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
        )
        .unwrap();
        assert!(
            read_signing_key(&encrypted)
                .unwrap_err()
                .contains("the private key is encrypted")
        );
        let (_, public) = keys(dir.path());
        assert!(
            read_signing_key(&public)
                .unwrap_err()
                .contains("not an ECDSA P-256 private key")
        );
    }
}
