//! Embedded signed certificate timestamps (RFC 6962 §3): check 3 of
//! docs/signatures.md#when-a-signature-verifies.
//!
//! Fulcio logs each certificate to a certificate-transparency log before issuing it and embeds
//! the log's promise (an SCT) in the certificate. The log signed the *precertificate*: the
//! leaf's TBSCertificate without the SCT-list extension, bound to the issuer by the SHA-256 of
//! the issuer's SubjectPublicKeyInfo. Verifying means rebuilding that structure, finding the CT
//! log of the trust root by the SCT's log ID, checking that its key was valid at the SCT's
//! timestamp, and verifying the signature. SCT extensions (Static CT puts a leaf index there) are
//! opaque data inside the signed structure.

use std::fmt;

use const_oid::ObjectIdentifier;
use der::{Decode as _, Encode as _};
use sha2::{Digest as _, Sha256};

use crate::cert::Cert;
use crate::keys::{HashAlg, hex};
use crate::trustroot::TrustedRoot;

const OID_SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// One SCT as embedded in a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// `sct_version` (0 = v1).
    pub version: u8,
    /// The CT log's ID (SHA-256 of its key).
    pub log_id: [u8; 32],
    /// Milliseconds since the epoch.
    pub timestamp_ms: u64,
    /// The opaque extensions.
    pub extensions: Vec<u8>,
    /// The hash of `digitally-signed`.
    pub hash: u8,
    /// The signature.
    pub signature: Vec<u8>,
}

/// Why a certificate's SCT does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SctError {
    /// The certificate has no SCT-list extension (or an empty list).
    NoSct,
    /// The SCT list cannot be decoded.
    Malformed(&'static str),
    /// No CT log of the trust root has the SCT's log ID.
    UnknownLog(String),
    /// The CT log's key was not valid at the SCT's time.
    KeyNotValid(i64),
    /// The SCT's signature does not verify.
    BadSignature,
}

impl fmt::Display for SctError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SctError::NoSct => f.write_str(
                "the certificate has no embedded certificate-transparency timestamp (SCT)",
            ),
            SctError::Malformed(what) => {
                write!(f, "the certificate's SCT list is malformed: {what}")
            }
            SctError::UnknownLog(id) => {
                write!(
                    f,
                    "the certificate's SCT is from a CT log not in the trust root (log ID {id})"
                )
            }
            SctError::KeyNotValid(t) => {
                write!(f, "the CT log's key was not valid at the SCT's time {t}")
            }
            SctError::BadSignature => {
                f.write_str("the certificate's SCT does not verify under the CT log's key")
            }
        }
    }
}

impl std::error::Error for SctError {}

/// A forward-only reader over TLS-encoded bytes.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SctError> {
        let (head, rest) = self
            .0
            .split_at_checked(n)
            .ok_or(SctError::Malformed("it is truncated"))?;
        self.0 = rest;
        Ok(head)
    }

    fn uint(&mut self, n: usize) -> Result<u64, SctError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    fn vec16(&mut self) -> Result<&'a [u8], SctError> {
        let len = usize::try_from(self.uint(2)?)
            .map_err(|_| SctError::Malformed("a length overflows"))?;
        self.take(len)
    }
}

/// Parses a TLS `SignedCertificateTimestampList`.
pub fn parse_sct_list(bytes: &[u8]) -> Result<Vec<Sct>, SctError> {
    let mut outer = Reader(bytes);
    let mut list = Reader(outer.vec16()?);
    if !outer.0.is_empty() {
        return Err(SctError::Malformed("bytes follow the list"));
    }
    let mut out = Vec::new();
    while !list.0.is_empty() {
        let mut r = Reader(list.vec16()?);
        let version = r.take(1)?.first().copied().unwrap_or_default();
        let log_id: [u8; 32] = r
            .take(32)?
            .try_into()
            .map_err(|_| SctError::Malformed("a log ID is short"))?;
        let timestamp_ms = r.uint(8)?;
        let extensions = r.vec16()?.to_vec();
        let hash = r.take(1)?.first().copied().unwrap_or_default();
        let _sig_alg = r.take(1)?;
        let signature = r.vec16()?.to_vec();
        if !r.0.is_empty() {
            return Err(SctError::Malformed("bytes follow an SCT"));
        }
        out.push(Sct {
            version,
            log_id,
            timestamp_ms,
            extensions,
            hash,
            signature,
        });
    }
    Ok(out)
}

/// The SCTs embedded in `leaf`.
pub fn embedded_scts(leaf: &Cert) -> Result<Vec<Sct>, SctError> {
    let Some(exts) = &leaf.cert.tbs_certificate.extensions else {
        return Err(SctError::NoSct);
    };
    let Some(ext) = exts.iter().find(|e| e.extn_id == OID_SCT_LIST) else {
        return Err(SctError::NoSct);
    };
    let inner = der::asn1::OctetStringRef::from_der(ext.extn_value.as_bytes())
        .map_err(|_| SctError::Malformed("the extension is not an OCTET STRING"))?;
    let scts = parse_sct_list(inner.as_bytes())?;
    if scts.is_empty() {
        Err(SctError::NoSct)
    } else {
        Ok(scts)
    }
}

/// The bytes a CT log signed for an embedded SCT: RFC 6962 §3.2 `digitally-signed` struct over
/// the precertificate entry.
pub fn signed_data(sct: &Sct, leaf: &Cert, issuer_spki_der: &[u8]) -> Result<Vec<u8>, SctError> {
    let mut tbs = leaf.cert.tbs_certificate.clone();
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id != OID_SCT_LIST);
    }
    let tbs_der = tbs
        .to_der()
        .map_err(|_| SctError::Malformed("the certificate cannot be re-encoded"))?;
    let tbs_len = u32::try_from(tbs_der.len())
        .map_err(|_| SctError::Malformed("the certificate is too large"))?;
    let ext_len = u16::try_from(sct.extensions.len())
        .map_err(|_| SctError::Malformed("extensions too long"))?;
    let mut out = Vec::with_capacity(tbs_der.len() + 64);
    out.push(sct.version);
    out.push(0); // signature_type = certificate_timestamp
    out.extend_from_slice(&sct.timestamp_ms.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // entry_type = precert_entry
    out.extend_from_slice(&Sha256::digest(issuer_spki_der));
    out.extend_from_slice(tbs_len.to_be_bytes().get(1..).unwrap_or_default());
    out.extend_from_slice(&tbs_der);
    out.extend_from_slice(&ext_len.to_be_bytes());
    out.extend_from_slice(&sct.extensions);
    Ok(out)
}

/// Check 3 of docs/signatures.md#when-a-signature-verifies: when `root` has CT logs, an SCT
/// embedded in `leaf` (issued by
/// `issuer`) verifies under one of them, whose key was valid at the SCT's time.
pub fn verify_embedded_sct(leaf: &Cert, issuer: &Cert, root: &TrustedRoot) -> Result<(), SctError> {
    if root.ctlogs.is_empty() {
        return Ok(());
    }
    let issuer_spki = issuer
        .spki_der()
        .map_err(|_| SctError::Malformed("the issuer's key cannot be encoded"))?;
    let mut last = SctError::NoSct;
    for sct in embedded_scts(leaf)? {
        let Some(log) = root.ctlog(&sct.log_id) else {
            last = SctError::UnknownLog(hex(&sct.log_id));
            continue;
        };
        let time = i64::try_from(sct.timestamp_ms / 1000).unwrap_or(i64::MAX);
        if !log.valid_for.contains(time) {
            last = SctError::KeyNotValid(time);
            continue;
        }
        let hash = match sct.hash {
            4 => HashAlg::Sha256,
            5 => HashAlg::Sha384,
            6 => HashAlg::Sha512,
            _ => {
                last = SctError::Malformed("an SCT uses an unknown hash");
                continue;
            }
        };
        let data = signed_data(&sct, leaf, &issuer_spki)?;
        match log.key.verify_with_hash(&data, &sct.signature, hash) {
            Ok(()) => return Ok(()),
            Err(_) => last = SctError::BadSignature,
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_sct(ext: &[u8]) -> Vec<u8> {
        let mut sct = vec![0u8];
        sct.extend_from_slice(&[7u8; 32]);
        sct.extend_from_slice(&1_700_000_000_000u64.to_be_bytes());
        sct.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        sct.extend_from_slice(ext);
        sct.extend_from_slice(&[4, 3, 0, 2, 0xaa, 0xbb]);
        let mut list = (sct.len() as u16).to_be_bytes().to_vec();
        list.extend(sct);
        let mut out = (list.len() as u16).to_be_bytes().to_vec();
        out.extend(list);
        out
    }

    #[test]
    fn parses_an_sct_with_extensions() {
        let scts = parse_sct_list(&one_sct(&[1, 2, 3]));
        let Ok(scts) = scts else {
            unreachable!("{scts:?}")
        };
        assert_eq!(scts.len(), 1);
        assert_eq!(scts[0].extensions, vec![1, 2, 3]);
        assert_eq!(scts[0].timestamp_ms, 1_700_000_000_000);
        assert_eq!(scts[0].signature, vec![0xaa, 0xbb]);
    }

    #[test]
    fn truncated_lists_are_malformed() {
        let bytes = one_sct(&[]);
        for cut in 0..bytes.len() {
            assert!(parse_sct_list(&bytes[..cut]).is_err(), "{cut}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = parse_sct_list(&bytes);
        }
    }
}
