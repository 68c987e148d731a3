//! Public keys as cosign, Fulcio and the transparency logs use them (docs/signatures.md#signers).
//!
//! A [`PublicKey`] is read from a PEM `PUBLIC KEY` block or from SubjectPublicKeyInfo DER, and
//! verifies a signature with every hash cosign has used for that key type: ECDSA with SHA-256
//! on every curve (older cosign) and with the curve's own hash (SHA-384 on P-384, SHA-512 on
//! P-521); pure Ed25519 and Ed25519ph; RSA PKCS#1 v1.5 and PSS with SHA-256. Being lenient on
//! the hash is deliberate: the signer chose it, and each candidate is a full verification, so a
//! signature that verifies under any of them was made by the key's owner over this message.
//! ECDSA signatures are accepted DER-encoded or as raw `r‖s`, and high-S values verify (Go's
//! `ecdsa.Verify`, which cosign uses, accepts them, and real cosign signatures carry them).
//!
//! Everything is pure Rust (RustCrypto) so the crate builds for `wasm32-unknown-unknown`.

use std::fmt;

use base64::Engine as _;
use const_oid::ObjectIdentifier;
use der::{Decode as _, Encode as _};
use ecdsa::signature::hazmat::PrehashVerifier as _;
use rsa::signature::Verifier as _;
use rsa::traits::PublicKeyParts as _;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const OID_ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");
const OID_SECP256K1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.10");

/// The smallest and largest RSA modulus accepted, in bits (docs/signatures.md#signers: RSA
/// 2048–4096).
pub const RSA_MIN_BITS: usize = 2048;
/// See [`RSA_MIN_BITS`].
pub const RSA_MAX_BITS: usize = 4096;

/// Why a public key could not be read or is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// PEM armour present but not a single well-formed block.
    BadPem,
    /// A PEM block of another kind (`PRIVATE KEY`, `CERTIFICATE`, …).
    WrongPemLabel(String),
    /// Not a DER SubjectPublicKeyInfo.
    BadDer,
    /// The algorithm is recognised but not accepted (named: "DSA", "Ed448", …).
    UnsupportedType(String),
    /// An ECDSA key on a curve other than P-256, P-384 or P-521.
    UnsupportedCurve(String),
    /// An RSA key whose modulus size is outside 2048–4096 bits.
    RsaSize(usize),
    /// The key bytes do not form a valid key of the declared type.
    InvalidKey(&'static str),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::BadPem => f.write_str("the key is not a well-formed PEM block"),
            KeyError::WrongPemLabel(label) => {
                write!(f, "the PEM block is a `{label}`, not a `PUBLIC KEY`")
            }
            KeyError::BadDer => {
                f.write_str("the key is not a DER SubjectPublicKeyInfo (a `PUBLIC KEY`)")
            }
            KeyError::UnsupportedType(kind) => write!(f, "{kind} keys are not accepted"),
            KeyError::UnsupportedCurve(curve) => {
                write!(f, "ECDSA keys on curve {curve} are not accepted")
            }
            KeyError::RsaSize(bits) => write!(f, "RSA {bits}-bit keys are not accepted"),
            KeyError::InvalidKey(kind) => write!(f, "the {kind} public key is not a valid key"),
        }
    }
}

impl std::error::Error for KeyError {}

/// Why a signature does not verify under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    /// The signature bytes are not an encoding this key type uses.
    Encoding(&'static str),
    /// Well-formed, but not a signature of this message by this key.
    Mismatch(&'static str),
}

impl fmt::Display for SigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SigError::Encoding(kind) => write!(f, "the signature is not a {kind} signature"),
            SigError::Mismatch(kind) => {
                write!(f, "the signature does not verify under the {kind} key")
            }
        }
    }
}

impl std::error::Error for SigError {}

#[derive(Clone)]
enum Inner {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(Box<p521::ecdsa::VerifyingKey>),
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(rsa::RsaPublicKey),
}

/// A public key accepted by docs/signatures.md#signers, with the DER of its SubjectPublicKeyInfo.
#[derive(Clone)]
pub struct PublicKey {
    inner: Inner,
    spki_der: Vec<u8>,
    /// The SubjectPublicKeyInfo's key bits (SEC1 point, Ed25519 bytes, PKCS#1 RSAPublicKey):
    /// what `ring` verifies with on native targets.
    #[cfg(not(target_family = "wasm"))]
    raw: Vec<u8>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} {})", self.kind(), hex(&self.fingerprint()))
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

impl PublicKey {
    /// Reads a key from PEM (`-----BEGIN PUBLIC KEY-----`) or, when the bytes are not PEM, from
    /// SubjectPublicKeyInfo DER.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<Self, KeyError> {
        let text = std::str::from_utf8(bytes).ok();
        match text {
            Some(t) if t.contains("-----BEGIN") => Self::from_pem(t),
            _ => Self::from_der(bytes),
        }
    }

    /// Reads a PEM `PUBLIC KEY` block (text around the block is ignored, as openssl does).
    pub fn from_pem(text: &str) -> Result<Self, KeyError> {
        let (label, der) = pem_block(text).ok_or(KeyError::BadPem)?;
        if label != "PUBLIC KEY" {
            return Err(KeyError::WrongPemLabel(label));
        }
        Self::from_der(&der)
    }

    /// Reads a DER SubjectPublicKeyInfo.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der).map_err(|_| KeyError::BadDer)?;
        Self::from_spki(&spki)
    }

    /// Reads a bare PKCS#1 `RSAPublicKey` (some trust roots store RSA log keys so).
    pub fn from_pkcs1_rsa_der(der: &[u8]) -> Result<Self, KeyError> {
        let bits = der::asn1::BitStringRef::from_bytes(der).map_err(|_| KeyError::BadDer)?;
        let spki = spki::SubjectPublicKeyInfoRef {
            algorithm: spki::AlgorithmIdentifierRef {
                oid: OID_RSA,
                parameters: Some(der::asn1::AnyRef::NULL),
            },
            subject_public_key: bits,
        };
        Self::from_spki(&spki)
    }

    /// Reads an already parsed SubjectPublicKeyInfo (as found in a certificate).
    pub fn from_spki(spki: &spki::SubjectPublicKeyInfoRef<'_>) -> Result<Self, KeyError> {
        let spki_der = spki.to_der().map_err(|_| KeyError::BadDer)?;
        let key_bytes = spki.subject_public_key.raw_bytes();
        let oid = spki.algorithm.oid;
        let inner = if oid == OID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters_oid()
                .map_err(|_| KeyError::InvalidKey("ECDSA"))?;
            if curve == OID_P256 {
                Inner::P256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| KeyError::InvalidKey("ECDSA P-256"))?,
                )
            } else if curve == OID_P384 {
                Inner::P384(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| KeyError::InvalidKey("ECDSA P-384"))?,
                )
            } else if curve == OID_P521 {
                Inner::P521(Box::new(
                    p521::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes)
                        .map_err(|_| KeyError::InvalidKey("ECDSA P-521"))?,
                ))
            } else if curve == OID_SECP256K1 {
                return Err(KeyError::UnsupportedCurve("secp256k1".into()));
            } else {
                return Err(KeyError::UnsupportedCurve(curve.to_string()));
            }
        } else if oid == OID_ED25519 {
            let bytes: [u8; 32] = key_bytes
                .try_into()
                .map_err(|_| KeyError::InvalidKey("Ed25519"))?;
            Inner::Ed25519(
                ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                    .map_err(|_| KeyError::InvalidKey("Ed25519"))?,
            )
        } else if oid == OID_RSA {
            let key =
                <rsa::RsaPublicKey as rsa::pkcs1::DecodeRsaPublicKey>::from_pkcs1_der(key_bytes)
                    .map_err(|_| KeyError::InvalidKey("RSA"))?;
            let bits = key.n().bits();
            if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
                return Err(KeyError::RsaSize(bits));
            }
            Inner::Rsa(key)
        } else if oid == OID_RSA_PSS {
            return Err(KeyError::UnsupportedType("RSASSA-PSS-restricted".into()));
        } else if oid == OID_ED448 {
            return Err(KeyError::UnsupportedType("Ed448".into()));
        } else if oid == OID_DSA {
            return Err(KeyError::UnsupportedType("DSA".into()));
        } else {
            return Err(KeyError::UnsupportedType(format!("algorithm {oid}")));
        };
        Ok(PublicKey {
            inner,
            spki_der,
            #[cfg(not(target_family = "wasm"))]
            raw: key_bytes.to_vec(),
        })
    }

    /// The SubjectPublicKeyInfo DER as re-encoded from the parsed key.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// SHA-256 of the SubjectPublicKeyInfo DER: cosign's and Rekor's key identifier.
    pub fn fingerprint(&self) -> [u8; 32] {
        Sha256::digest(&self.spki_der).into()
    }

    /// What kind of key this is, for messages: "ECDSA P-256", "Ed25519", "RSA 4096-bit", ….
    pub fn kind(&self) -> String {
        match &self.inner {
            Inner::Rsa(k) => format!("RSA {}-bit", k.n().bits()),
            _ => self.kind_static().to_string(),
        }
    }

    fn kind_static(&self) -> &'static str {
        match &self.inner {
            Inner::P256(_) => "ECDSA P-256",
            Inner::P384(_) => "ECDSA P-384",
            Inner::P521(_) => "ECDSA P-521",
            Inner::Ed25519(_) => "Ed25519",
            Inner::Rsa(_) => "RSA",
        }
    }

    /// Verifies `signature` over `message` with every hash and encoding cosign uses for this
    /// key type (module docs).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SigError> {
        #[cfg(not(target_family = "wasm"))]
        if fast::verify_any(self, message, signature) {
            return Ok(());
        }
        let kind = self.kind_static();
        match &self.inner {
            Inner::P256(k) => {
                let sig = p256_sig(signature).ok_or(SigError::Encoding(kind))?;
                let h = Sha256::digest(message);
                k.verify_prehash(&h, &sig)
                    .map_err(|_| SigError::Mismatch(kind))
            }
            Inner::P384(k) => {
                let sig = p384_sig(signature).ok_or(SigError::Encoding(kind))?;
                let h384 = Sha384::digest(message);
                let h256 = Sha256::digest(message);
                if k.verify_prehash(&h384, &sig).is_ok() || k.verify_prehash(&h256, &sig).is_ok() {
                    Ok(())
                } else {
                    Err(SigError::Mismatch(kind))
                }
            }
            Inner::P521(k) => {
                let sig = p521_sig(signature).ok_or(SigError::Encoding(kind))?;
                // The ecdsa crate refuses a prehash shorter than half the field (33 bytes); a
                // digest left-padded with zeros is the same integer (SEC 1 §4.1.3 step 5), which
                // is what Go computes for SHA-256 on P-521.
                let h512 = Sha512::digest(message);
                let mut h256 = [0u8; 66];
                h256[34..].copy_from_slice(&Sha256::digest(message));
                if k.verify_prehash(&h512, &sig).is_ok() || k.verify_prehash(&h256, &sig).is_ok() {
                    Ok(())
                } else {
                    Err(SigError::Mismatch(kind))
                }
            }
            Inner::Ed25519(k) => {
                let sig = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| SigError::Encoding(kind))?;
                // Go's `ed25519.Verify` (cosign) is the non-strict check.
                if ed25519_dalek::Verifier::verify(k, message, &sig).is_ok() {
                    return Ok(());
                }
                let mut prehash = Sha512::new();
                prehash.update(message);
                k.verify_prehashed(prehash, None, &sig)
                    .map_err(|_| SigError::Mismatch(kind))
            }
            Inner::Rsa(k) => verify_rsa(k, message, signature),
        }
    }
}

/// The hash an X.509 / CMS signature algorithm names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// No prehash (pure Ed25519).
    None,
}

impl HashAlg {
    /// The hash of an X.509 signature algorithm OID (ECDSA, RSA PKCS#1 v1.5, Ed25519).
    pub fn of_signature_algorithm(oid: &ObjectIdentifier) -> Option<Self> {
        match oid.to_string().as_str() {
            "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" => Some(HashAlg::Sha256),
            "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => Some(HashAlg::Sha384),
            "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => Some(HashAlg::Sha512),
            "1.3.101.112" => Some(HashAlg::None),
            _ => None,
        }
    }

    /// The hash of a digest algorithm OID (CMS `digestAlgorithm`, RFC 3161 `hashAlgorithm`).
    pub fn of_digest_algorithm(oid: &ObjectIdentifier) -> Option<Self> {
        match oid.to_string().as_str() {
            "2.16.840.1.101.3.4.2.1" => Some(HashAlg::Sha256),
            "2.16.840.1.101.3.4.2.2" => Some(HashAlg::Sha384),
            "2.16.840.1.101.3.4.2.3" => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    /// `data` hashed with this algorithm (`None`: `data` itself).
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => Sha512::digest(data).to_vec(),
            HashAlg::None => data.to_vec(),
        }
    }
}

impl PublicKey {
    /// Verifies a DER ECDSA, RSA PKCS#1 v1.5 or Ed25519 signature made with exactly the hash
    /// `hash` (as an X.509 or CMS signature algorithm names it) — the strict form certificate
    /// and timestamp signatures need, unlike the cosign-lenient [`PublicKey::verify`].
    pub fn verify_with_hash(
        &self,
        message: &[u8],
        signature: &[u8],
        hash: HashAlg,
    ) -> Result<(), SigError> {
        #[cfg(not(target_family = "wasm"))]
        if fast::verify_exact(self, message, signature, hash) {
            return Ok(());
        }
        let kind = self.kind_static();
        let mismatch = |_| SigError::Mismatch(kind);
        let prehash = hash.digest(message);
        match (&self.inner, hash) {
            (Inner::Ed25519(k), HashAlg::None) => {
                let sig = ed25519_dalek::Signature::from_slice(signature)
                    .map_err(|_| SigError::Encoding(kind))?;
                ed25519_dalek::Verifier::verify(k, message, &sig).map_err(mismatch)
            }
            (_, HashAlg::None) | (Inner::Ed25519(_), _) => Err(SigError::Mismatch(kind)),
            (Inner::P256(k), _) => {
                let sig = p256_sig(signature).ok_or(SigError::Encoding(kind))?;
                k.verify_prehash(&prehash, &sig).map_err(mismatch)
            }
            (Inner::P384(k), _) => {
                let sig = p384_sig(signature).ok_or(SigError::Encoding(kind))?;
                k.verify_prehash(&prehash, &sig).map_err(mismatch)
            }
            (Inner::P521(k), _) => {
                let sig = p521_sig(signature).ok_or(SigError::Encoding(kind))?;
                let mut padded = [0u8; 66];
                let start = padded.len().saturating_sub(prehash.len());
                if let Some(tail) = padded.get_mut(start..)
                    && tail.len() == prehash.len()
                {
                    tail.copy_from_slice(&prehash);
                }
                k.verify_prehash(&padded, &sig).map_err(mismatch)
            }
            (Inner::Rsa(k), h) => {
                let sig = rsa::pkcs1v15::Signature::try_from(signature)
                    .map_err(|_| SigError::Encoding(kind))?;
                let ok =
                    match h {
                        HashAlg::Sha384 => rsa::pkcs1v15::VerifyingKey::<Sha384>::new(k.clone())
                            .verify(message, &sig),
                        HashAlg::Sha512 => rsa::pkcs1v15::VerifyingKey::<Sha512>::new(k.clone())
                            .verify(message, &sig),
                        _ => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(k.clone())
                            .verify(message, &sig),
                    };
                ok.map_err(|_| SigError::Mismatch("RSA"))
            }
        }
    }
}

/// `ring` (AWS-LC for P-384, where ring's generic arithmetic is 3x slower) on native targets.
/// Each function answers only "verified"; anything else falls through to the pure-Rust
/// verifiers above, so the set of accepted signatures is exactly theirs (these are stricter in
/// places, never looser: a signature they refuse still gets the lenient check) and only a valid
/// signature is fast. Neither has P-521 nor Ed25519ph here.
#[cfg(not(target_family = "wasm"))]
mod fast {
    use ring::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};

    use super::{HashAlg, Inner, PublicKey};

    fn check(
        alg: &'static dyn VerificationAlgorithm,
        key: &PublicKey,
        msg: &[u8],
        s: &[u8],
    ) -> bool {
        UnparsedPublicKey::new(alg, &key.raw).verify(msg, s).is_ok()
    }

    /// P-384 with AWS-LC: exactly `hash`, DER or raw `r‖s`.
    fn p384_lc(key: &PublicKey, msg: &[u8], s: &[u8], hash: HashAlg) -> bool {
        use aws_lc_rs::signature as lc;
        let algs: &[&'static lc::EcdsaVerificationAlgorithm] = match hash {
            HashAlg::Sha384 => &[&lc::ECDSA_P384_SHA384_ASN1, &lc::ECDSA_P384_SHA384_FIXED],
            HashAlg::Sha256 => &[&lc::ECDSA_P384_SHA256_ASN1],
            _ => return false,
        };
        algs.iter().any(|alg| {
            lc::UnparsedPublicKey::new(*alg, &key.raw)
                .verify(msg, s)
                .is_ok()
        })
    }

    /// Any hash and encoding cosign uses for the key type.
    pub(super) fn verify_any(key: &PublicKey, msg: &[u8], s: &[u8]) -> bool {
        let algs: &[&'static dyn VerificationAlgorithm] = match &key.inner {
            Inner::P256(_) => &[&sig::ECDSA_P256_SHA256_ASN1, &sig::ECDSA_P256_SHA256_FIXED],
            Inner::P384(_) => {
                return p384_lc(key, msg, s, HashAlg::Sha384)
                    || p384_lc(key, msg, s, HashAlg::Sha256);
            }
            Inner::Ed25519(_) => &[&sig::ED25519],
            Inner::Rsa(_) => &[
                &sig::RSA_PKCS1_2048_8192_SHA256,
                &sig::RSA_PSS_2048_8192_SHA256,
            ],
            Inner::P521(_) => &[],
        };
        algs.iter().any(|alg| check(*alg, key, msg, s))
    }

    /// Exactly `hash`, DER (certificates, SCTs, timestamps, checkpoints).
    pub(super) fn verify_exact(key: &PublicKey, msg: &[u8], s: &[u8], hash: HashAlg) -> bool {
        let alg: &'static dyn VerificationAlgorithm = match (&key.inner, hash) {
            (Inner::P256(_), HashAlg::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
            (Inner::P256(_), HashAlg::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
            (Inner::P384(_), _) => return p384_lc(key, msg, s, hash),
            (Inner::Rsa(_), HashAlg::Sha256) => &sig::RSA_PKCS1_2048_8192_SHA256,
            (Inner::Rsa(_), HashAlg::Sha384) => &sig::RSA_PKCS1_2048_8192_SHA384,
            (Inner::Rsa(_), HashAlg::Sha512) => &sig::RSA_PKCS1_2048_8192_SHA512,
            (Inner::Ed25519(_), HashAlg::None) => &sig::ED25519,
            _ => return false,
        };
        check(alg, key, msg, s)
    }
}

fn verify_rsa(key: &rsa::RsaPublicKey, message: &[u8], signature: &[u8]) -> Result<(), SigError> {
    let kind = "RSA";
    let sig =
        rsa::pkcs1v15::Signature::try_from(signature).map_err(|_| SigError::Encoding(kind))?;
    let pkcs1 = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key.clone());
    if pkcs1.verify(message, &sig).is_ok() {
        return Ok(());
    }
    let pss_sig = rsa::pss::Signature::try_from(signature).map_err(|_| SigError::Encoding(kind))?;
    // PSS salt: the hash length (the usual choice, and Go's `PSSSaltLengthEqualsHash`) or the
    // largest that fits (Go's `PSSSaltLengthAuto` when signing).
    let em_len = key.n().bits().saturating_sub(1).div_ceil(8);
    let max_salt = em_len.saturating_sub(32 + 2);
    for salt in [32, max_salt] {
        let pss = rsa::pss::VerifyingKey::<Sha256>::new_with_salt_len(key.clone(), salt);
        if pss.verify(message, &pss_sig).is_ok() {
            return Ok(());
        }
    }
    Err(SigError::Mismatch(kind))
}

fn p256_sig(bytes: &[u8]) -> Option<p256::ecdsa::Signature> {
    p256::ecdsa::Signature::from_der(bytes)
        .or_else(|_| p256::ecdsa::Signature::from_slice(bytes))
        .ok()
}

fn p384_sig(bytes: &[u8]) -> Option<p384::ecdsa::Signature> {
    p384::ecdsa::Signature::from_der(bytes)
        .or_else(|_| p384::ecdsa::Signature::from_slice(bytes))
        .ok()
}

fn p521_sig(bytes: &[u8]) -> Option<p521::ecdsa::Signature> {
    p521::ecdsa::Signature::from_der(bytes)
        .or_else(|_| p521::ecdsa::Signature::from_slice(bytes))
        .ok()
}

/// The first PEM block of `text`: its label and decoded body. Lenient on what surrounds the
/// block and on line lengths; `None` when there is no complete block or its body is not base64.
pub fn pem_block(text: &str) -> Option<(String, Vec<u8>)> {
    pem_blocks(text).into_iter().next()
}

/// Every PEM block of `text`, in order (a certificate chain is several `CERTIFICATE` blocks).
/// Stops at the first malformed block.
pub fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        // INVARIANT: `find` returns char boundaries and the markers are ASCII.
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = &after[..label_end];
        let body_and_rest = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = body_and_rest.find(&end_marker) else {
            break;
        };
        let body = &body_and_rest[..end];
        let Ok(der) = decode_base64_lenient(body) else {
            break;
        };
        if der.is_empty() {
            break;
        }
        out.push((label.to_string(), der));
        rest = &body_and_rest[end + end_marker.len()..];
    }
    out
}

/// Base64 that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base64Error;

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the value is not valid base64")
    }
}

impl std::error::Error for Base64Error {}

const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Standard base64, ignoring ASCII whitespace anywhere (cosign accepts line-wrapped base64
/// pulled from registries) and with or without `=` padding.
pub fn decode_base64_lenient(text: &str) -> Result<Vec<u8>, Base64Error> {
    let bytes = text.as_bytes();
    // Most base64 has no whitespace: decode it in place rather than copy a megabyte-sized
    // payload first. (A byte of a multi-byte character is never ASCII whitespace.)
    if !bytes.iter().any(u8::is_ascii_whitespace) {
        return LENIENT.decode(bytes).map_err(|_| Base64Error);
    }
    let compact: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    LENIENT.decode(compact).map_err(|_| Base64Error)
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Decodes hexadecimal (either case); `None` on odd length or a non-hex digit.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| {
            let hi = char::from(*pair.first()?).to_digit(16)?;
            let lo = char::from(*pair.get(1)?).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_is_read_with_or_without_whitespace_and_padding() {
        for text in ["aGVsbG8=", "aGVsbG8", "aGVs\nbG8=", " aG Vs\r\n\tbG8 "] {
            assert_eq!(
                decode_base64_lenient(text),
                Ok(b"hello".to_vec()),
                "{text:?}"
            );
        }
        assert_eq!(decode_base64_lenient("aGVs bG8é"), Err(Base64Error));
    }

    use super::*;

    // PEM armour whose body is not base64.
    const BROKEN_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6r6K3fbZ2o3v9LQ0x8UzZ9s5r0v+
not base64!
-----END PUBLIC KEY-----";

    fn ed25519_pair() -> (ed25519_dalek::SigningKey, PublicKey) {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        // SubjectPublicKeyInfo { id-Ed25519, BIT STRING key } (RFC 8410).
        let mut der = vec![
            0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
        ];
        der.extend_from_slice(sk.verifying_key().as_bytes());
        match PublicKey::from_der(&der) {
            Ok(k) => (sk, k),
            Err(e) => unreachable!("{e}"),
        }
    }

    /// ring takes every common valid signature on native targets (the fast path is the one
    /// benchmarked), and refuses what the pure verifiers refuse.
    #[cfg(not(target_family = "wasm"))]
    #[test]
    fn ring_takes_the_common_signatures() {
        use p256::pkcs8::EncodePublicKey as _;
        let msg = b"payload";
        let p384 =
            p384::ecdsa::SigningKey::from_slice(&[3u8; 48]).unwrap_or_else(|e| unreachable!("{e}"));
        let sig: p384::ecdsa::Signature = p384::ecdsa::signature::Signer::sign(&p384, msg);
        let der = p384
            .verifying_key()
            .to_public_key_der()
            .unwrap_or_else(|e| unreachable!("{e}"));
        let pk = PublicKey::from_der(der.as_bytes()).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(fast::verify_any(&pk, msg, sig.to_der().as_bytes()));
        assert!(fast::verify_exact(
            &pk,
            msg,
            sig.to_der().as_bytes(),
            HashAlg::Sha384
        ));
        assert!(!fast::verify_any(&pk, b"other", sig.to_der().as_bytes()));
        let (sk, ed) = ed25519_pair();
        let sig = ed25519_dalek::Signer::sign(&sk, msg);
        assert!(fast::verify_any(&ed, msg, &sig.to_bytes()));
    }

    #[test]
    fn ed25519ph_verifies_and_only_with_the_prehash() {
        let (sk, pk) = ed25519_pair();
        let mut h = Sha512::new();
        h.update(b"payload");
        let ph = sk.sign_prehashed(h, None);
        let Ok(ph) = ph else { unreachable!() };
        assert_eq!(pk.verify(b"payload", &ph.to_bytes()), Ok(()));
        assert_eq!(
            pk.verify(b"payloaD", &ph.to_bytes()),
            Err(SigError::Mismatch("Ed25519"))
        );
        let pure = ed25519_dalek::Signer::sign(&sk, b"payload");
        assert_eq!(pk.verify(b"payload", &pure.to_bytes()), Ok(()));
        assert_eq!(
            pk.verify(b"payload", &pure.to_bytes()[..63]),
            Err(SigError::Encoding("Ed25519"))
        );
    }

    #[test]
    fn lenient_base64_accepts_wrapped_lines_and_missing_padding() {
        assert_eq!(
            decode_base64_lenient("aGVs\nbG8=\r\n"),
            Ok(b"hello".to_vec())
        );
        assert_eq!(decode_base64_lenient(" aGVsbG8 "), Ok(b"hello".to_vec()));
        assert_eq!(decode_base64_lenient("aGVs*bG8="), Err(Base64Error));
    }

    #[test]
    fn malformed_pem_is_refused() {
        assert_eq!(PublicKey::from_pem(BROKEN_PEM), Err(KeyError::BadPem));
        assert_eq!(
            PublicKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"),
            Err(KeyError::WrongPemLabel("PRIVATE KEY".into()))
        );
        assert_eq!(PublicKey::from_der(b"\x30\x00"), Err(KeyError::BadDer));
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(unhex("00ABff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(
            KeyError::RsaSize(1024).to_string(),
            "RSA 1024-bit keys are not accepted"
        );
        assert_eq!(
            SigError::Mismatch("ECDSA P-256").to_string(),
            "the signature does not verify under the ECDSA P-256 key"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn key_reader_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = PublicKey::from_pem_or_der(&bytes);
        }
        #[test]
        fn pem_reader_never_panics(text in "(-----BEGIN [A-Z ]{0,12}-----)?[A-Za-z0-9+/=\n]{0,80}(-----END [A-Z ]{0,12}-----)?") {
            let _ = PublicKey::from_pem_or_der(text.as_bytes());
        }
    }
}
