//! Certificates of the private Fulcio: a root CA, an intermediate, and short-lived leaves.
//!
//! Built from `x509-cert`'s data types (not a builder) so that the exact TBS bytes are in hand:
//! the leaf's SCT is computed over the leaf's own TBS without the SCT extension (RFC 6962 §3.2,
//! the "precertificate" entry), and only then is the SCT extension added and the whole TBS signed
//! by the issuing CA. Extensions follow what Fulcio writes and what `cryptography`'s WebPKI policy
//! (the chain check of sigstore-python) expects: critical basic constraints and key usage on CAs,
//! AKI on every issued certificate, a critical SAN on the subject-less leaf.

use crate::ct;
use crate::keys::Key;
use sha2::{Digest, Sha256};
use std::str::FromStr;
use x509_cert::certificate::{Certificate, TbsCertificate, Version};
use x509_cert::der::asn1::Any;
use x509_cert::der::asn1::{BitString, Ia5String, OctetString, UtcTime, Utf8StringRef};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::{GeneralName, OtherName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

/// id-kp-codeSigning.
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// id-kp-emailProtection.
const EMAIL_PROTECTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
/// The embedded SCT list (RFC 6962 §3.3).
pub const SCT_LIST_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// A Fulcio certificate extension (docs/oid-info.md of sigstore/fulcio), by its documented name.
/// OIDs 1.1–1.6 hold the raw string (Fulcio's legacy encoding); 1.8 and later a DER UTF8String.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FulcioExt {
    IssuerV1,
    GithubWorkflowTrigger,
    GithubWorkflowSha,
    GithubWorkflowName,
    GithubWorkflowRepository,
    GithubWorkflowRef,
    Issuer,
    BuildSignerUri,
    BuildSignerDigest,
    RunnerEnvironment,
    SourceRepositoryUri,
    SourceRepositoryDigest,
    SourceRepositoryRef,
    SourceRepositoryIdentifier,
    SourceRepositoryOwnerUri,
    SourceRepositoryOwnerIdentifier,
    BuildConfigUri,
    BuildConfigDigest,
    BuildTrigger,
    RunInvocationUri,
    SourceRepositoryVisibilityAtSigning,
}

impl FulcioExt {
    /// The last arc under 1.3.6.1.4.1.57264.1.
    pub fn arc(self) -> u32 {
        use FulcioExt::*;
        match self {
            IssuerV1 => 1,
            GithubWorkflowTrigger => 2,
            GithubWorkflowSha => 3,
            GithubWorkflowName => 4,
            GithubWorkflowRepository => 5,
            GithubWorkflowRef => 6,
            Issuer => 8,
            BuildSignerUri => 9,
            BuildSignerDigest => 10,
            RunnerEnvironment => 11,
            SourceRepositoryUri => 12,
            SourceRepositoryDigest => 13,
            SourceRepositoryRef => 14,
            SourceRepositoryIdentifier => 15,
            SourceRepositoryOwnerUri => 16,
            SourceRepositoryOwnerIdentifier => 17,
            BuildConfigUri => 18,
            BuildConfigDigest => 19,
            BuildTrigger => 20,
            RunInvocationUri => 21,
            SourceRepositoryVisibilityAtSigning => 22,
        }
    }

    /// The dotted OID.
    pub fn oid(self) -> ObjectIdentifier {
        // INVARIANT: a fixed prefix and a small arc always make a valid OID.
        ObjectIdentifier::new(&format!("1.3.6.1.4.1.57264.1.{}", self.arc())).expect("valid OID")
    }

    /// Whether the value is the raw string (legacy 1.1–1.6) rather than a DER UTF8String.
    pub fn raw(self) -> bool {
        self.arc() <= 6
    }

    /// The extension's value bytes (inside the extnValue OCTET STRING).
    pub fn encode(self, value: &str) -> Vec<u8> {
        if self.raw() {
            value.as_bytes().to_vec()
        } else {
            // INVARIANT: any Rust string is valid UTF-8, and the length is far below DER limits.
            Utf8StringRef::new(value)
                .expect("utf8")
                .to_der()
                .expect("DER")
        }
    }
}

/// The identity a leaf carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum San {
    Uri(String),
    Email(String),
    /// Fulcio's otherName 1.3.6.1.4.1.57264.1.7 (a username identity), a UTF8String.
    OtherName(String),
}

impl San {
    /// The identity string (what `--cert-identity` names).
    pub fn value(&self) -> &str {
        match self {
            San::Uri(s) | San::Email(s) | San::OtherName(s) => s,
        }
    }
}

/// How the leaf's SCT is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SctMode {
    /// Signed by the CT log over the precertificate, as it should be.
    Valid,
    /// No SCT extension at all.
    Missing,
    /// Carries the CT log's ID but is signed by another key.
    Forged,
    /// Genuinely signed by the CT log, but over another certificate (another serial number).
    OtherCertificate,
}

/// A certificate and the key it certifies.
#[derive(Clone, Debug)]
pub struct Issued {
    pub key: Key,
    pub der: Vec<u8>,
    pub subject: Name,
}

impl Issued {
    /// The PEM `CERTIFICATE`.
    pub fn pem(&self) -> String {
        crate::pem("CERTIFICATE", &self.der)
    }

    /// The parsed certificate.
    pub fn parsed(&self) -> Certificate {
        // INVARIANT: `der` was produced by this module from x509-cert types.
        Certificate::from_der(&self.der).expect("own certificate parses")
    }
}

/// A CA: root plus intermediate; the intermediate issues leaves.
#[derive(Clone, Debug)]
pub struct CaChain {
    pub root: Issued,
    pub intermediate: Issued,
}

impl CaChain {
    /// A root and an intermediate named after `name`, valid `[not_before, not_after]`
    /// (unix seconds), with keys derived from `seed` and `name`.
    pub fn new(seed: u64, name: &str, not_before: u64, not_after: u64) -> CaChain {
        let root_key = Key::derive(seed, &format!("{name}/root"));
        let int_key = Key::derive(seed, &format!("{name}/intermediate"));
        CaChain::with_keys(seed, name, not_before, not_after, root_key, int_key)
    }

    /// The same with P-384 keys signing with SHA-384, like the public-good Fulcio.
    pub fn new_p384(seed: u64, name: &str, not_before: u64, not_after: u64) -> CaChain {
        let root_key = Key::derive_p384(seed, &format!("{name}/root"));
        let int_key = Key::derive_p384(seed, &format!("{name}/intermediate"));
        CaChain::with_keys(seed, name, not_before, not_after, root_key, int_key)
    }

    fn with_keys(
        seed: u64,
        name: &str,
        not_before: u64,
        not_after: u64,
        root_key: Key,
        int_key: Key,
    ) -> CaChain {
        let root_name = name_of(&format!("CN={name} root,O={name}"));
        let int_name = name_of(&format!("CN={name} intermediate,O={name}"));
        let root_der = sign_tbs(
            &root_key,
            tbs(
                serial(seed, &format!("{name}/root")),
                root_name.clone(),
                root_name.clone(),
                (not_before, not_after),
                &root_key,
                ca_extensions(&root_key, None, None),
            ),
        );
        let root = Issued {
            key: root_key,
            der: root_der,
            subject: root_name,
        };
        let int_der = sign_tbs(
            &root.key,
            tbs(
                serial(seed, &format!("{name}/intermediate")),
                root.subject.clone(),
                int_name.clone(),
                (not_before, not_after),
                &int_key,
                ca_extensions(&int_key, Some(&root.key), Some(0)),
            ),
        );
        let intermediate = Issued {
            key: int_key,
            der: int_der,
            subject: int_name,
        };
        CaChain { root, intermediate }
    }

    /// The TrustedRoot `certChain` order: the issuing certificate first, the root last.
    pub fn chain_der(&self) -> Vec<Vec<u8>> {
        vec![self.intermediate.der.clone(), self.root.der.clone()]
    }
}

/// id-kp-timeStamping.
const TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");

/// A timestamp authority's chain: a root and the leaf that signs timestamps.
#[derive(Clone, Debug)]
pub struct TsaChain {
    pub root: Issued,
    pub leaf: Issued,
}

impl TsaChain {
    /// A TSA root and signing leaf named after `name`, valid `[not_before, not_after]`.
    pub fn new(seed: u64, name: &str, not_before: u64, not_after: u64) -> TsaChain {
        let root_key = Key::derive(seed, &format!("{name}/root"));
        let leaf_key = Key::derive(seed, &format!("{name}/leaf"));
        let root_name = name_of(&format!("CN={name} root,O={name}"));
        let leaf_name = name_of(&format!("CN={name} signer,O={name}"));
        let root_der = sign_tbs(
            &root_key,
            tbs(
                serial(seed, &format!("{name}/root")),
                root_name.clone(),
                root_name.clone(),
                (not_before, not_after),
                &root_key,
                ca_extensions(&root_key, None, None),
            ),
        );
        let root = Issued {
            key: root_key,
            der: root_der,
            subject: root_name,
        };
        let exts = vec![
            ext(
                const_oid_ku(),
                true,
                KeyUsage(KeyUsages::DigitalSignature.into()).to_der(),
            ),
            // RFC 3161 §2.3: the TSA certificate has exactly this EKU, critical.
            ext(
                const_oid_eku(),
                true,
                ExtendedKeyUsage(vec![TIME_STAMPING]).to_der(),
            ),
            ext(
                ObjectIdentifier::new_unwrap("2.5.29.14"),
                false,
                SubjectKeyIdentifier(octets(&key_identifier(&leaf_key))).to_der(),
            ),
            aki(&root.key),
        ];
        let leaf_der = sign_tbs(
            &root.key,
            tbs(
                serial(seed, &format!("{name}/leaf")),
                root.subject.clone(),
                leaf_name.clone(),
                (not_before, not_after),
                &leaf_key,
                exts,
            ),
        );
        let leaf = Issued {
            key: leaf_key,
            der: leaf_der,
            subject: leaf_name,
        };
        TsaChain { root, leaf }
    }

    /// The TrustedRoot `certChain` order: the signing leaf first, the root last.
    pub fn chain_der(&self) -> Vec<Vec<u8>> {
        vec![self.leaf.der.clone(), self.root.der.clone()]
    }
}

/// What a Fulcio leaf says.
#[derive(Clone, Debug)]
pub struct LeafSpec {
    pub san: San,
    /// Fulcio extensions in the order they are written (issuer first, as Fulcio does).
    pub extensions: Vec<(FulcioExt, String)>,
    pub not_before: u64,
    pub not_after: u64,
    pub sct: SctMode,
    /// The SCT's timestamp (unix seconds).
    pub sct_time: u64,
    /// Whether the EKU is code signing (else e-mail protection).
    pub code_signing: bool,
}

/// Issues a leaf for `leaf_key` from `ca`'s intermediate, with an embedded SCT from `ct_log`
/// (or none / a forged one, per `spec.sct`). `forger` signs forged SCTs.
pub fn issue_leaf(
    seed: u64,
    ca: &CaChain,
    leaf_key: &Key,
    spec: &LeafSpec,
    ct_log: &Key,
    forger: &Key,
) -> Issued {
    let issuer = &ca.intermediate;
    let mut exts = vec![
        ext(
            const_oid_ku(),
            true,
            KeyUsage(KeyUsages::DigitalSignature.into()).to_der(),
        ),
        ext(
            const_oid_eku(),
            false,
            ExtendedKeyUsage(vec![if spec.code_signing {
                CODE_SIGNING
            } else {
                EMAIL_PROTECTION
            }])
            .to_der(),
        ),
        ext(
            ObjectIdentifier::new_unwrap("2.5.29.14"),
            false,
            SubjectKeyIdentifier(octets(&key_identifier(leaf_key))).to_der(),
        ),
        aki(&issuer.key),
        ext(
            ObjectIdentifier::new_unwrap("2.5.29.17"),
            true,
            SubjectAltName(vec![match &spec.san {
                San::Uri(u) => GeneralName::UniformResourceIdentifier(ia5(u)),
                San::Email(e) => GeneralName::Rfc822Name(ia5(e)),
                San::OtherName(n) => GeneralName::OtherName(OtherName {
                    type_id: ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.7"),
                    // INVARIANT: a UTF8String of a Rust string always encodes.
                    value: Any::encode_from(&Utf8StringRef::new(n).expect("utf8")).expect("DER"),
                }),
            }])
            .to_der(),
        ),
    ];
    for (which, value) in &spec.extensions {
        exts.push(Extension {
            extn_id: which.oid(),
            critical: false,
            extn_value: octets(&which.encode(value)),
        });
    }
    let mut tbs = tbs(
        serial(
            seed,
            &format!("leaf/{}/{}", spec.san.value(), spec.not_before),
        ),
        issuer.subject.clone(),
        Name::default(),
        (spec.not_before, spec.not_after),
        leaf_key,
        exts,
    );
    tbs.signature = AlgorithmIdentifierOwned {
        oid: issuer.key.signature_algorithm(),
        parameters: None,
    };
    if spec.sct != SctMode::Missing {
        // INVARIANT: the TBS was built from valid parts above.
        let precert_tbs = if spec.sct == SctMode::OtherCertificate {
            let mut other = tbs.clone();
            other.serial_number = serial(seed, "another certificate");
            other.to_der().expect("TBS encodes")
        } else {
            tbs.to_der().expect("TBS encodes")
        };
        let signer = if spec.sct == SctMode::Forged {
            forger
        } else {
            ct_log
        };
        let sct = ct::precert_sct(
            ct_log.key_id(),
            signer,
            spec.sct_time * 1000,
            &issuer.key,
            &precert_tbs,
        );
        let list = ct::sct_list(&[sct]);
        // The extnValue holds a DER OCTET STRING that holds the TLS-encoded list.
        let inner = octets(&list).to_der().expect("DER");
        if let Some(v) = tbs.extensions.as_mut() {
            v.push(Extension {
                extn_id: SCT_LIST_OID,
                critical: false,
                extn_value: octets(&inner),
            })
        }
    }
    let der = sign_tbs(&issuer.key, tbs);
    Issued {
        key: leaf_key.clone(),
        der,
        subject: Name::default(),
    }
}

/// The DER TBS of `cert` with the extension `oid` removed (the RFC 6962 precertificate TBS when
/// `oid` is the SCT list).
pub fn tbs_without(cert_der: &[u8], oid: ObjectIdentifier) -> Option<Vec<u8>> {
    let cert = Certificate::from_der(cert_der).ok()?;
    let mut tbs = cert.tbs_certificate;
    if let Some(exts) = tbs.extensions.as_mut() {
        exts.retain(|e| e.extn_id != oid);
    }
    tbs.to_der().ok()
}

fn const_oid_ku() -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap("2.5.29.15")
}

fn const_oid_eku() -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap("2.5.29.37")
}

fn name_of(s: &str) -> Name {
    // INVARIANT: only called with fixed `CN=…,O=…` strings of this module.
    Name::from_str(s).expect("valid RFC 4514 name")
}

fn ia5(s: &str) -> Ia5String {
    // INVARIANT: identities used by the testkit are ASCII URIs and e-mail addresses.
    Ia5String::new(s).expect("ASCII identity")
}

fn octets(b: &[u8]) -> OctetString {
    // INVARIANT: lengths are far below DER limits.
    OctetString::new(b.to_vec()).expect("octet string")
}

fn ext(oid: ObjectIdentifier, critical: bool, value: x509_cert::der::Result<Vec<u8>>) -> Extension {
    // INVARIANT: the value types above always encode.
    Extension {
        extn_id: oid,
        critical,
        extn_value: octets(&value.expect("extension encodes")),
    }
}

/// RFC 5280 §4.2.1.2 method 1: SHA-1 of the key bits; SHA-256 truncated to 20 bytes here (any
/// unique value is allowed, and it spares a SHA-1 dependency).
fn key_identifier(key: &Key) -> Vec<u8> {
    Sha256::digest(key.spki_der())[..20].to_vec()
}

fn aki(issuer: &Key) -> Extension {
    ext(
        ObjectIdentifier::new_unwrap("2.5.29.35"),
        false,
        AuthorityKeyIdentifier {
            key_identifier: Some(octets(&key_identifier(issuer))),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        }
        .to_der(),
    )
}

fn ca_extensions(key: &Key, issuer: Option<&Key>, path_len: Option<u8>) -> Vec<Extension> {
    let mut v = vec![
        ext(
            ObjectIdentifier::new_unwrap("2.5.29.19"),
            true,
            BasicConstraints {
                ca: true,
                path_len_constraint: path_len,
            }
            .to_der(),
        ),
        ext(
            const_oid_ku(),
            true,
            KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign).to_der(),
        ),
        ext(
            ObjectIdentifier::new_unwrap("2.5.29.14"),
            false,
            SubjectKeyIdentifier(octets(&key_identifier(key))).to_der(),
        ),
    ];
    if let Some(issuer) = issuer {
        v.push(aki(issuer));
        // Fulcio's intermediate carries the code-signing EKU; the chain check allows it.
        v.push(ext(
            const_oid_eku(),
            false,
            ExtendedKeyUsage(vec![CODE_SIGNING]).to_der(),
        ));
    }
    v
}

fn serial(seed: u64, label: &str) -> SerialNumber {
    let mut h = Sha256::new();
    h.update(seed.to_be_bytes());
    h.update(label.as_bytes());
    let mut bytes = h.finalize()[..16].to_vec();
    // Positive and without a leading zero octet: DER INTEGER rules.
    bytes[0] = (bytes[0] & 0x7f) | 0x10;
    // INVARIANT: 16 positive bytes make a valid serial.
    SerialNumber::new(&bytes).expect("serial")
}

fn time(unix: u64) -> Time {
    // INVARIANT: testkit times lie between 1970 and 2049, UTCTime's range.
    Time::UtcTime(
        UtcTime::from_unix_duration(std::time::Duration::from_secs(unix)).expect("UTCTime range"),
    )
}

fn tbs(
    serial_number: SerialNumber,
    issuer: Name,
    subject: Name,
    (not_before, not_after): (u64, u64),
    key: &Key,
    extensions: Vec<Extension>,
) -> TbsCertificate {
    TbsCertificate {
        version: Version::V3,
        serial_number,
        // Set to the issuer's algorithm by `sign_tbs` (and before a leaf's SCT is computed).
        signature: AlgorithmIdentifierOwned {
            oid: crate::keys::ECDSA_WITH_SHA256,
            parameters: None,
        },
        issuer,
        validity: Validity {
            not_before: time(not_before),
            not_after: time(not_after),
        },
        subject,
        // INVARIANT: our own SPKI DER parses.
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(key.spki_der())
            .expect("SPKI parses"),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    }
}

fn sign_tbs(issuer: &Key, mut tbs: TbsCertificate) -> Vec<u8> {
    let alg = AlgorithmIdentifierOwned {
        oid: issuer.signature_algorithm(),
        parameters: None,
    };
    tbs.signature = alg.clone();
    // INVARIANT: the TBS was built from valid parts.
    let tbs_der = tbs.to_der().expect("TBS encodes");
    let sig = issuer.sign(&tbs_der);
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: alg,
        signature: BitString::from_bytes(&sig).expect("bit string"),
    };
    cert.to_der().expect("certificate encodes")
}
