//! Fulcio leaf certificates: identity extraction and chain verification
//! (docs/signatures.md#when-a-signature-verifies, check 1).
//!
//! A keyless signer names *who* signed: the identity lives in the leaf certificate Fulcio issued
//! (SAN for the subject, Fulcio's `1.3.6.1.4.1.57264.1.*` extensions for the issuer and the CI
//! claims). The leaf is trusted only if it chains, by verified signatures, to a certificate
//! authority of the trust root that was valid (its `validFor`) at the signing time; certificates
//! the signature brings along may serve as intermediates but never as anchors, and a
//! self-signed certificate among them is refused outright (sigstore-conformance
//! `bundle-with-root-cert_fail`). Each check is its own function so that Bona's reason names the
//! first that failed.
//!
//! Extension values: 1.1–1.6 (legacy) are raw strings; from 1.8 on they are DER UTF8Strings.

use std::collections::BTreeMap;
use std::fmt;

use const_oid::ObjectIdentifier;
use der::{Decode as _, Encode as _};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;

use crate::keys::{HashAlg, PublicKey, hex};
use crate::trustroot::{CertificateAuthority, TrustedRoot};

const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1.";
const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const OID_FULCIO_OTHERNAME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7");

/// Fulcio's extensions by their documented names (Fulcio `docs/oid-info.md`): the last OID arc
/// after `1.3.6.1.4.1.57264.1.`, the name, and whether the value is a DER UTF8String.
pub const FULCIO_EXTENSIONS: &[(u32, &str, bool)] = &[
    (1, "issuer_v1", false),
    (2, "github_workflow_trigger", false),
    (3, "github_workflow_sha", false),
    (4, "github_workflow_name", false),
    (5, "github_workflow_repository", false),
    (6, "github_workflow_ref", false),
    (8, "issuer", true),
    (9, "build_signer_uri", true),
    (10, "build_signer_digest", true),
    (11, "runner_environment", true),
    (12, "source_repository_uri", true),
    (13, "source_repository_digest", true),
    (14, "source_repository_ref", true),
    (15, "source_repository_identifier", true),
    (16, "source_repository_owner_uri", true),
    (17, "source_repository_owner_identifier", true),
    (18, "build_config_uri", true),
    (19, "build_config_digest", true),
    (20, "build_trigger", true),
    (21, "run_invocation_uri", true),
    (22, "source_repository_visibility_at_signing", true),
    (23, "deployment_environment", true),
];

/// Why a certificate cannot be read or is not trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertError {
    /// Not a DER (or PEM) X.509 certificate.
    Malformed(String),
    /// The certificate's public key is not one Bona accepts.
    Key(String),
    /// No CA of the trust root issued the chain.
    UntrustedIssuer(String),
    /// The trust root's CA was not valid at the signing time.
    CaNotValidAt(i64),
    /// A certificate of the chain was not valid at the time.
    NotValidAt {
        /// Which certificate (`leaf`, `intermediate`, …).
        which: &'static str,
        /// The time checked.
        time: i64,
    },
    /// The leaf lacks the code-signing extended key usage.
    NotCodeSigning,
    /// The signature's chain brings a self-signed (root) certificate.
    RootInChain,
    /// An extension's value cannot be decoded.
    BadExtension(String),
    /// The leaf has no identity (no SAN).
    NoSubject,
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertError::Malformed(what) => write!(f, "the certificate is malformed: {what}"),
            CertError::Key(e) => write!(f, "the certificate's public key is not accepted: {e}"),
            CertError::UntrustedIssuer(issuer) => {
                write!(f, "certificate issued by a CA not in the trust root ({issuer})")
            }
            CertError::CaNotValidAt(t) => {
                write!(f, "the trust root's certificate authority was not valid at signing time {t}")
            }
            CertError::NotValidAt { which, time } => {
                write!(f, "the {which} certificate was not valid at time {time}")
            }
            CertError::NotCodeSigning => {
                f.write_str("the certificate lacks the code-signing extended key usage")
            }
            CertError::RootInChain => f.write_str(
                "the signature's certificate chain contains a root certificate, which only the trust root may provide",
            ),
            CertError::BadExtension(oid) => write!(f, "the certificate extension {oid} is malformed"),
            CertError::NoSubject => f.write_str("the certificate names no subject (no subject alternative name)"),
        }
    }
}

impl std::error::Error for CertError {}

/// A parsed certificate with its DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cert {
    /// The parsed certificate.
    pub cert: Certificate,
    /// Its DER encoding as received.
    pub der: Vec<u8>,
}

/// The identity a Fulcio leaf certifies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The OIDC issuer (extension 1.8, else 1.1).
    pub issuer: Option<String>,
    /// The SAN: URI, e-mail or Fulcio otherName, in that order of preference.
    pub subject: Option<String>,
    /// Every Fulcio extension present, by documented name (see [`FULCIO_EXTENSIONS`]).
    pub extensions: BTreeMap<String, String>,
}

impl Cert {
    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let cert = Certificate::from_der(der).map_err(|e| CertError::Malformed(e.to_string()))?;
        Ok(Cert {
            cert,
            der: der.to_vec(),
        })
    }

    /// Reads every `CERTIFICATE` block of PEM text (cosign's `certificate` and `chain`).
    pub fn from_pem_chain(text: &str) -> Result<Vec<Self>, CertError> {
        let blocks = crate::keys::pem_blocks(text);
        if blocks.is_empty() {
            return Err(CertError::Malformed("no PEM `CERTIFICATE` block".into()));
        }
        blocks
            .into_iter()
            .map(|(label, der)| {
                if label == "CERTIFICATE" {
                    Self::from_der(&der)
                } else {
                    Err(CertError::Malformed(format!(
                        "a PEM `{label}` block where a certificate was expected"
                    )))
                }
            })
            .collect()
    }

    /// The certificate's public key.
    pub fn public_key(&self) -> Result<PublicKey, CertError> {
        let spki = self
            .cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| CertError::Malformed(e.to_string()))?;
        PublicKey::from_der(&spki).map_err(|e| CertError::Key(e.to_string()))
    }

    /// DER of the certificate's SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Result<Vec<u8>, CertError> {
        self.cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| CertError::Malformed(e.to_string()))
    }

    /// `notBefore` and `notAfter` in Unix seconds.
    pub fn validity(&self) -> (i64, i64) {
        let v = &self.cert.tbs_certificate.validity;
        let secs = |t: x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        (secs(v.not_before), secs(v.not_after))
    }

    /// Whether `time` lies within `notBefore..=notAfter`.
    pub fn valid_at(&self, time: i64) -> bool {
        let (nb, na) = self.validity();
        nb <= time && time <= na
    }

    /// The issuer distinguished name, as text.
    pub fn issuer_name(&self) -> String {
        self.cert.tbs_certificate.issuer.to_string()
    }

    fn is_self_issued(&self) -> bool {
        self.cert.tbs_certificate.issuer == self.cert.tbs_certificate.subject
    }

    fn extension(&self, oid: &ObjectIdentifier) -> Option<&[u8]> {
        self.cert
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == *oid)
            .map(|e| e.extn_value.as_bytes())
    }

    /// The TBSCertificate exactly as received: the signature covers these bytes, and decoding
    /// then re-encoding could change them (an explicitly encoded default, say).
    fn raw_tbs(&self) -> Option<Vec<u8>> {
        let outer = der::asn1::AnyRef::from_der(&self.der).ok()?;
        let mut reader = der::SliceReader::new(outer.value()).ok()?;
        let tbs: der::asn1::AnyRef<'_> = der::Reader::decode(&mut reader).ok()?;
        tbs.to_der().ok()
    }

    /// Whether `issuer`'s key verifies this certificate's signature.
    pub fn signed_by(&self, issuer: &Cert) -> bool {
        let Ok(key) = issuer.public_key() else {
            return false;
        };
        let Some(hash) = HashAlg::of_signature_algorithm(&self.cert.signature_algorithm.oid) else {
            return false;
        };
        let Some(tbs) = self.raw_tbs() else {
            return false;
        };
        let Some(sig) = self.cert.signature.as_bytes() else {
            return false;
        };
        key.verify_with_hash(&tbs, sig, hash).is_ok()
    }

    /// The identity of a Fulcio leaf: issuer, subject and named extensions.
    pub fn identity(&self) -> Result<Identity, CertError> {
        let mut id = Identity::default();
        if let Some(exts) = &self.cert.tbs_certificate.extensions {
            for ext in exts {
                let oid = ext.extn_id.to_string();
                let Some(arc) = oid
                    .strip_prefix(FULCIO_ARC)
                    .and_then(|a| a.parse::<u32>().ok())
                else {
                    continue;
                };
                let Some((_, name, is_der)) = FULCIO_EXTENSIONS.iter().find(|(a, _, _)| *a == arc)
                else {
                    continue;
                };
                let raw = ext.extn_value.as_bytes();
                let value = if *is_der {
                    der::asn1::Utf8StringRef::from_der(raw)
                        .map(|s| s.as_str().to_string())
                        .map_err(|_| CertError::BadExtension(oid.clone()))?
                } else {
                    String::from_utf8(raw.to_vec())
                        .map_err(|_| CertError::BadExtension(oid.clone()))?
                };
                id.extensions.insert((*name).to_string(), value);
            }
        }
        id.issuer = id
            .extensions
            .get("issuer")
            .or_else(|| id.extensions.get("issuer_v1"))
            .cloned();
        id.subject = self.san()?;
        Ok(id)
    }

    /// The subject alternative name Fulcio put in: a URI, an e-mail address or Fulcio's
    /// otherName (`1.3.6.1.4.1.57264.1.7`, a UTF8String such as `user!example.com`).
    pub fn san(&self) -> Result<Option<String>, CertError> {
        let Some(raw) = self.extension(&OID_SAN) else {
            return Ok(None);
        };
        let names = x509_cert::ext::pkix::SubjectAltName::from_der(raw)
            .map_err(|_| CertError::BadExtension(OID_SAN.to_string()))?;
        let mut email = None;
        let mut other = None;
        for n in names.0 {
            match n {
                GeneralName::UniformResourceIdentifier(u) => return Ok(Some(u.to_string())),
                GeneralName::Rfc822Name(e) if email.is_none() => email = Some(e.to_string()),
                GeneralName::OtherName(o)
                    if o.type_id == OID_FULCIO_OTHERNAME && other.is_none() =>
                {
                    other = o
                        .value
                        .decode_as::<der::asn1::Utf8StringRef<'_>>()
                        .ok()
                        .map(|s| s.as_str().to_string());
                }
                _ => {}
            }
        }
        Ok(email.or(other))
    }
}

/// Check: the leaf has the code-signing extended key usage.
pub fn check_code_signing(leaf: &Cert) -> Result<(), CertError> {
    if has_extended_key_usage(leaf, &OID_CODE_SIGNING)? {
        Ok(())
    } else {
        Err(CertError::NotCodeSigning)
    }
}

/// Whether `c` lists `usage` in its extended key usage extension (`false` without one).
pub fn has_extended_key_usage(c: &Cert, usage: &ObjectIdentifier) -> Result<bool, CertError> {
    let Some(raw) = c.extension(&OID_EKU) else {
        return Ok(false);
    };
    let eku = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(raw)
        .map_err(|_| CertError::BadExtension(OID_EKU.to_string()))?;
    Ok(eku.0.contains(usage))
}

/// Check: the leaf was valid at `time` (a verified signing time).
pub fn check_leaf_valid_at(leaf: &Cert, time: i64) -> Result<(), CertError> {
    if leaf.valid_at(time) {
        Ok(())
    } else {
        Err(CertError::NotValidAt {
            which: "leaf",
            time,
        })
    }
}

/// Strict check, for callers that want it: no certificate the signature brings (besides the
/// leaf) is self-issued. [`verify_chain`] does not require it: it only never anchors on one.
pub fn check_no_root_in_chain(intermediates: &[Cert]) -> Result<(), CertError> {
    if intermediates.iter().any(Cert::is_self_issued) {
        Err(CertError::RootInChain)
    } else {
        Ok(())
    }
}

fn is_ca(c: &Cert) -> bool {
    c.extension(&OID_BASIC_CONSTRAINTS)
        .and_then(|raw| x509_cert::ext::pkix::BasicConstraints::from_der(raw).ok())
        .is_some_and(|b| b.ca)
}

/// The result of a successful chain check: which CA of the trust root anchors the leaf and the
/// certificate that issued the leaf (whose key the SCT check needs).
#[derive(Debug, Clone)]
pub struct VerifiedChain<'r> {
    /// The trust root's certificate authority.
    pub authority: &'r CertificateAuthority,
    /// The leaf's direct issuer.
    pub issuer: Cert,
}

/// Check 1 of docs/signatures.md#when-a-signature-verifies (chain part): `leaf` chains, through
/// `intermediates` (from the signature) and the CA chains of `root`, to a certificate authority of
/// `root` whose `validFor` contains `time`; every certificate on the path is valid at `time` and
/// signed by the next. Self-issued certificates among `intermediates` are never used, so a chain
/// that brings its own root anchors only if the trust root's CA issued it (sigstore-js bundles
/// carry Sigstore's own root and verify; sigstore-conformance `bundle-with-root-cert_fail` brings
/// another and fails).
pub fn verify_chain<'r>(
    leaf: &Cert,
    intermediates: &[Cert],
    root: &'r TrustedRoot,
    time: i64,
) -> Result<VerifiedChain<'r>, CertError> {
    let usable: Vec<&Cert> = intermediates
        .iter()
        .filter(|c| !c.is_self_issued())
        .collect();
    let mut last_error = CertError::UntrustedIssuer(leaf.issuer_name());
    for ca in &root.certificate_authorities {
        let anchors: Vec<Cert> = ca
            .chain
            .iter()
            .filter_map(|d| Cert::from_der(d).ok())
            .collect();
        match path_to(leaf, &usable, &anchors, time) {
            Ok(issuer) if ca.valid_for.contains(time) => {
                return Ok(VerifiedChain {
                    authority: ca,
                    issuer,
                });
            }
            Ok(_) => last_error = CertError::CaNotValidAt(time),
            Err(e @ CertError::NotValidAt { .. }) => last_error = e,
            Err(_) => {}
        }
    }
    Err(last_error)
}

/// The general form of the chain walk, for other certificate hierarchies (timestamp
/// authorities): `leaf` is trusted when it is one of `anchors` or chains to one through the
/// non-self-issued `intermediates`, every certificate valid at `time`. Returns the leaf's issuer
/// (the leaf itself when it is an anchor).
pub fn chain_to_anchors(
    leaf: &Cert,
    intermediates: &[Cert],
    anchors: &[Cert],
    time: i64,
) -> Result<Cert, CertError> {
    if anchors.iter().any(|a| a.der == leaf.der) {
        return if leaf.valid_at(time) {
            Ok(leaf.clone())
        } else {
            Err(CertError::NotValidAt {
                which: "leaf",
                time,
            })
        };
    }
    let usable: Vec<&Cert> = intermediates
        .iter()
        .filter(|c| !c.is_self_issued())
        .collect();
    path_to(leaf, &usable, anchors, time)
}

/// Walks from `leaf` up through `intermediates` until a certificate of `anchors` verifiably
/// issued the current one. Returns the leaf's issuer.
fn path_to(
    leaf: &Cert,
    intermediates: &[&Cert],
    anchors: &[Cert],
    time: i64,
) -> Result<Cert, CertError> {
    let mut current = leaf.clone();
    let mut leaf_issuer: Option<Cert> = None;
    // A path longer than the certificates at hand would revisit one.
    for _ in 0..=intermediates.len() {
        let name = &current.cert.tbs_certificate.issuer;
        let issued = |c: &Cert| c.cert.tbs_certificate.subject == *name && current.signed_by(c);
        if let Some(anchor) = anchors.iter().find(|a| issued(a)) {
            if !anchor.valid_at(time) {
                return Err(CertError::NotValidAt {
                    which: "certificate authority",
                    time,
                });
            }
            return Ok(leaf_issuer.unwrap_or_else(|| anchor.clone()));
        }
        let Some(next) = intermediates.iter().find(|c| issued(c) && is_ca(c)) else {
            return Err(CertError::UntrustedIssuer(current.issuer_name()));
        };
        if !next.valid_at(time) {
            return Err(CertError::NotValidAt {
                which: "intermediate",
                time,
            });
        }
        if leaf_issuer.is_none() {
            leaf_issuer = Some((*next).clone());
        }
        current = (*next).clone();
    }
    Err(CertError::UntrustedIssuer(current.issuer_name()))
}

/// SHA-256 of a certificate's DER, hex (for messages and logs).
pub fn fingerprint(c: &Cert) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(&c.der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_input_is_an_error() {
        assert!(matches!(
            Cert::from_der(b"\x30\x03\x02\x01\x01"),
            Err(CertError::Malformed(_))
        ));
        assert!(matches!(
            Cert::from_pem_chain("nothing"),
            Err(CertError::Malformed(_))
        ));
        assert!(matches!(
            Cert::from_pem_chain("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"),
            Err(CertError::Malformed(_))
        ));
    }

    #[test]
    fn messages_are_sentences() {
        assert_eq!(
            CertError::UntrustedIssuer("CN=evil".into()).to_string(),
            "certificate issued by a CA not in the trust root (CN=evil)"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            if let Ok(c) = Cert::from_der(&bytes) {
                let _ = c.identity();
                let _ = check_code_signing(&c);
            }
        }
        #[test]
        fn reader_never_panics_on_certificate_prefix(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let mut bytes = vec![0x30, 0x82, 0x01, 0x00, 0x30, 0x81, 0xf0];
            bytes.extend(tail);
            let _ = Cert::from_der(&bytes);
        }
    }
}
