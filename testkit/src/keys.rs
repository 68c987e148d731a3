//! Keys derived from a seed and a label, so every fixture is reproducible.
//!
//! Each role of the private Sigstore (root CA, intermediate, CT log, Rekor log, signer, ...) has
//! its own label. The scalar is SHA-256 (P-256) or SHA-384 (P-384) of (`bona-testkit` ‖ seed ‖
//! label ‖ counter), retried with the next counter in the (never seen) case that it is zero or not
//! below the curve order. ECDSA signatures are deterministic too (RFC 6979), so the same seed
//! writes the same bytes. P-256 keys sign with SHA-256, P-384 keys with SHA-384, as Fulcio's
//! P-384 CA does.

use sha2::{Digest, Sha256, Sha384};
use x509_cert::der::oid::ObjectIdentifier;

/// ecdsa-with-SHA256.
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// ecdsa-with-SHA384.
pub const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");

#[derive(Clone)]
enum Signing {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

/// An ECDSA key pair (P-256 or P-384) made from a seed and a label.
#[derive(Clone)]
pub struct Key {
    signing: Signing,
    spki_der: Vec<u8>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", crate::hex(&self.key_id()))
    }
}

fn material(seed: u64, label: &str, counter: u32) -> Vec<u8> {
    let mut v = b"bona-testkit\0".to_vec();
    v.extend_from_slice(&seed.to_be_bytes());
    v.extend_from_slice(label.as_bytes());
    v.extend_from_slice(&counter.to_be_bytes());
    v
}

impl Key {
    /// The P-256 key of role `label` under `seed`.
    pub fn derive(seed: u64, label: &str) -> Key {
        use p256::pkcs8::EncodePublicKey;
        for counter in 0u32.. {
            let bytes = Sha256::digest(material(seed, label, counter));
            if let Ok(signing) = p256::ecdsa::SigningKey::from_slice(&bytes) {
                // INVARIANT: a valid P-256 point always encodes.
                let spki = signing
                    .verifying_key()
                    .to_public_key_der()
                    .expect("SPKI encodes");
                return Key {
                    spki_der: spki.into_vec(),
                    signing: Signing::P256(signing),
                };
            }
        }
        unreachable!("a u32 counter of SHA-256 outputs always yields a P-256 scalar")
    }

    /// The P-384 key of role `label` under `seed`.
    pub fn derive_p384(seed: u64, label: &str) -> Key {
        use p384::pkcs8::EncodePublicKey;
        for counter in 0u32.. {
            let bytes = Sha384::digest(material(seed, label, counter));
            if let Ok(signing) = p384::ecdsa::SigningKey::from_slice(&bytes) {
                // INVARIANT: a valid P-384 point always encodes.
                let spki = signing
                    .verifying_key()
                    .to_public_key_der()
                    .expect("SPKI encodes");
                return Key {
                    spki_der: spki.into_vec(),
                    signing: Signing::P384(signing),
                };
            }
        }
        unreachable!("a u32 counter of SHA-384 outputs always yields a P-384 scalar")
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

    /// The X.509 signature algorithm of this key's signatures.
    pub fn signature_algorithm(&self) -> ObjectIdentifier {
        match self.signing {
            Signing::P256(_) => ECDSA_WITH_SHA256,
            Signing::P384(_) => ECDSA_WITH_SHA384,
        }
    }

    /// ECDSA over `msg` with the curve's hash (SHA-256 for P-256, SHA-384 for P-384),
    /// DER-encoded (as X.509, Rekor, CT and DSSE carry it).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        match &self.signing {
            Signing::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
            Signing::P384(k) => {
                let sig: p384::ecdsa::Signature = k.sign(msg);
                sig.to_der().as_bytes().to_vec()
            }
        }
    }
}

/// Verifies a DER ECDSA signature with the curve's hash, for a P-256 or P-384 SPKI (for the
/// crate's own tests and sanity checks).
pub fn verify(spki_der: &[u8], msg: &[u8], sig_der: &[u8]) -> bool {
    use p256::ecdsa::signature::Verifier;
    if let Ok(key) =
        <p256::ecdsa::VerifyingKey as p256::pkcs8::DecodePublicKey>::from_public_key_der(spki_der)
    {
        return p256::ecdsa::Signature::from_der(sig_der)
            .is_ok_and(|s| key.verify(msg, &s).is_ok());
    }
    if let Ok(key) =
        <p384::ecdsa::VerifyingKey as p384::pkcs8::DecodePublicKey>::from_public_key_der(spki_der)
    {
        return p384::ecdsa::Signature::from_der(sig_der)
            .is_ok_and(|s| key.verify(msg, &s).is_ok());
    }
    false
}
