//! Keys derived from a seed and a label, so every fixture is reproducible.
//!
//! Each role of the private Sigstore (root CA, intermediate, CT log, Rekor log, signer, ...) has
//! its own label. The scalar is SHA-256(`bona-testkit` ‖ seed ‖ label ‖ counter), retried with the
//! next counter in the (never seen) case that it is zero or not below the curve order. ECDSA
//! signatures are deterministic too (RFC 6979), so the same seed writes the same bytes.

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::EncodePublicKey;
use sha2::{Digest, Sha256};

/// An ECDSA P-256 key pair made from a seed and a label.
#[derive(Clone)]
pub struct Key {
    signing: SigningKey,
    spki_der: Vec<u8>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", crate::hex(&self.key_id()))
    }
}

impl Key {
    /// The key of role `label` under `seed`.
    pub fn derive(seed: u64, label: &str) -> Key {
        for counter in 0u32.. {
            let mut h = Sha256::new();
            h.update(b"bona-testkit\0");
            h.update(seed.to_be_bytes());
            h.update(label.as_bytes());
            h.update(counter.to_be_bytes());
            let bytes = h.finalize();
            if let Ok(signing) = SigningKey::from_slice(&bytes) {
                let spki_der = signing
                    .verifying_key()
                    .to_public_key_der()
                    // INVARIANT: a valid P-256 point always encodes.
                    .expect("P-256 SPKI encodes")
                    .into_vec();
                return Key { signing, spki_der };
            }
        }
        unreachable!("a u32 counter of SHA-256 outputs always yields a P-256 scalar")
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The PEM `PUBLIC KEY`.
    pub fn public_pem(&self) -> String {
        crate::pem("PUBLIC KEY", &self.spki_der)
    }

    /// SHA-256 of the SPKI DER: a Rekor log ID, a CT log ID, a TrustedRoot `keyId`.
    pub fn key_id(&self) -> [u8; 32] {
        Sha256::digest(&self.spki_der).into()
    }

    /// The verifying half.
    pub fn verifying_key(&self) -> &VerifyingKey {
        self.signing.verifying_key()
    }

    /// ECDSA-SHA256 over `msg`, DER-encoded (as X.509, Rekor, CT and DSSE carry it).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let sig: Signature = self.signing.sign(msg);
        sig.to_der().as_bytes().to_vec()
    }
}

/// Verifies a DER ECDSA-SHA256 signature (for the crate's own tests and sanity checks).
pub fn verify(spki_der: &[u8], msg: &[u8], sig_der: &[u8]) -> bool {
    use p256::ecdsa::signature::Verifier;
    use p256::pkcs8::DecodePublicKey;
    let Ok(key) = VerifyingKey::from_public_key_der(spki_der) else {
        return false;
    };
    let Ok(sig) = Signature::from_der(sig_der) else {
        return false;
    };
    key.verify(msg, &sig).is_ok()
}
