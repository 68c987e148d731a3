//! RFC 3161 timestamps: a verified signing time from a timestamp authority
//! (docs/signatures.md#when-a-signature-verifies check 2).
//!
//! Rekor v2 entries carry no integrated time, so the time a keyless signature was made comes
//! from a timestamp authority of the trust root: a CMS SignedData whose content is a `TSTInfo`
//! stating `genTime` and the hash of the signature it timestamps (`messageImprint`). Verifying
//! it means: the imprint is the hash of *this* signature; the CMS signer's certificate (embedded
//! or the trust root's TSA leaf) chains to a TSA of the trust root whose `validFor` contains
//! `genTime`, every certificate valid at `genTime`, the signer's certificate for time-stamping
//! (extended key usage, RFC 3161 §2.3); the signed attributes carry the hash of the
//! `TSTInfo`; and the signer's key verifies the signed attributes. Bundles hold the DER
//! `TimeStampResp` (cosign's `rfc3161timestamp` too); a bare `TimeStampToken` is accepted.

use std::fmt;

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, Int, OctetString, OctetStringRef};
use der::{Decode as _, Encode as _, Reader as _, Tagged as _};

use crate::cert::{self, Cert};
use crate::keys::HashAlg;
use crate::trustroot::{CertificateAuthority, TrustedRoot};

const OID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// Why a timestamp does not give a verified time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TsaError {
    /// The DER is not a timestamp response or token; says where.
    Malformed(&'static str),
    /// The response's status is not "granted".
    NotGranted,
    /// The timestamp is over another signature.
    ImprintMismatch,
    /// The signer certificate is neither embedded nor the trust root's TSA leaf.
    NoSignerCertificate,
    /// No TSA of the trust root issued the signer certificate.
    UntrustedTsa,
    /// The trust root's TSA was not valid at `genTime`.
    TsaNotValidAt(i64),
    /// A TSA certificate was not valid at `genTime`.
    CertificateNotValidAt(i64),
    /// The signed attributes do not carry the hash of the `TSTInfo`.
    ContentDigestMismatch,
    /// The CMS signature does not verify under the signer's key.
    BadSignature,
    /// The signer certificate is not for timestamping (RFC 3161 §2.3).
    NotTimestamping,
}

impl fmt::Display for TsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TsaError::Malformed(what) => write!(f, "the RFC 3161 timestamp is malformed: {what}"),
            TsaError::NotGranted => f.write_str("the RFC 3161 timestamp response is not granted"),
            TsaError::ImprintMismatch => f.write_str("the RFC 3161 timestamp is over another signature"),
            TsaError::NoSignerCertificate => {
                f.write_str("the RFC 3161 timestamp's signer certificate is neither embedded nor in the trust root")
            }
            TsaError::UntrustedTsa => f.write_str("timestamp signed by a timestamp authority not in the trust root"),
            TsaError::TsaNotValidAt(t) => {
                write!(f, "the trust root's timestamp authority was not valid at the timestamp's time {t}")
            }
            TsaError::CertificateNotValidAt(t) => {
                write!(f, "the timestamp authority's certificate was not valid at the timestamp's time {t}")
            }
            TsaError::ContentDigestMismatch => {
                f.write_str("the RFC 3161 timestamp's signed attributes do not match its content")
            }
            TsaError::NotTimestamping => {
                f.write_str("the RFC 3161 timestamp's signer certificate lacks the time-stamping extended key usage")
            }
            TsaError::BadSignature => {
                f.write_str("the RFC 3161 timestamp's signature does not verify under the timestamp authority's key")
            }
        }
    }
}

impl std::error::Error for TsaError {}

/// A parsed timestamp token.
#[derive(Debug, Clone)]
pub struct Timestamp {
    /// `genTime`, Unix seconds.
    pub gen_time: i64,
    /// The imprint's hash algorithm.
    pub imprint_hash: HashAlg,
    /// The imprint's hash value.
    pub imprint: Vec<u8>,
    signed_data: SignedData,
    tst_der: Vec<u8>,
}

fn malformed(what: &'static str) -> impl Fn(der::Error) -> TsaError {
    move |_| TsaError::Malformed(what)
}

/// Reads a DER `TimeStampResp` (or a bare `TimeStampToken`).
pub fn parse_timestamp(der_bytes: &[u8]) -> Result<Timestamp, TsaError> {
    let token = match ContentInfo::from_der(der_bytes) {
        Ok(ci) if ci.content_type == OID_SIGNED_DATA => ci,
        _ => {
            let outer = AnyRef::from_der(der_bytes).map_err(malformed("not DER"))?;
            let mut r = der::SliceReader::new(outer.value()).map_err(malformed("not DER"))?;
            let status: AnyRef<'_> = r.decode().map_err(malformed("no status"))?;
            let mut sr = der::SliceReader::new(status.value()).map_err(malformed("bad status"))?;
            let code: Int = sr.decode().map_err(malformed("bad status"))?;
            if !matches!(code.as_bytes(), [0] | [1]) {
                return Err(TsaError::NotGranted);
            }
            let ci: ContentInfo = r.decode().map_err(malformed("no timestamp token"))?;
            if ci.content_type != OID_SIGNED_DATA {
                return Err(TsaError::Malformed("the token is not CMS SignedData"));
            }
            ci
        }
    };
    let signed_data: SignedData = token
        .content
        .decode_as()
        .map_err(malformed("the SignedData"))?;
    let eci = &signed_data.encap_content_info;
    if eci.econtent_type != OID_TST_INFO {
        return Err(TsaError::Malformed("the content is not a TSTInfo"));
    }
    let econtent = eci
        .econtent
        .as_ref()
        .ok_or(TsaError::Malformed("no TSTInfo"))?;
    let tst_der = econtent
        .decode_as::<OctetString>()
        .map_err(malformed("the TSTInfo wrapper"))?
        .into_bytes();
    let (imprint_hash, imprint, gen_time) = parse_tst_info(&tst_der)?;
    Ok(Timestamp {
        gen_time,
        imprint_hash,
        imprint,
        signed_data,
        tst_der,
    })
}

/// `TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, … }`.
fn parse_tst_info(bytes: &[u8]) -> Result<(HashAlg, Vec<u8>, i64), TsaError> {
    let outer = AnyRef::from_der(bytes).map_err(malformed("the TSTInfo"))?;
    let mut r = der::SliceReader::new(outer.value()).map_err(malformed("the TSTInfo"))?;
    let _version: Int = r.decode().map_err(malformed("the TSTInfo version"))?;
    let _policy: ObjectIdentifier = r.decode().map_err(malformed("the TSTInfo policy"))?;
    let imprint: AnyRef<'_> = r.decode().map_err(malformed("the message imprint"))?;
    let _serial: Int = r.decode().map_err(malformed("the TSTInfo serial number"))?;
    let gen_time: AnyRef<'_> = r.decode().map_err(malformed("the TSTInfo genTime"))?;
    let mut ir =
        der::SliceReader::new(imprint.value()).map_err(malformed("the message imprint"))?;
    let alg: spki::AlgorithmIdentifierOwned =
        ir.decode().map_err(malformed("the imprint algorithm"))?;
    let hashed: OctetStringRef<'_> = ir.decode().map_err(malformed("the imprint hash"))?;
    let hash = HashAlg::of_digest_algorithm(&alg.oid)
        .ok_or(TsaError::Malformed("the imprint uses an unknown hash"))?;
    let secs = (gen_time.tag() == der::Tag::GeneralizedTime)
        .then(|| gen_time_secs(gen_time.value()))
        .flatten()
        .ok_or(TsaError::Malformed("the TSTInfo genTime"))?;
    Ok((hash, hashed.as_bytes().to_vec(), secs))
}

/// Unix seconds of a TSTInfo `genTime` (`YYYYMMDDHHMMSS[.f…]Z`). RFC 3161 §2.4.2 lets a TSA give
/// fractions of a second, and real ones do (sigstore's timestamp-authority, `@sigstore/mock`);
/// `der`'s `GeneralizedTime` follows the X.509 profile, which forbids them. The fraction is
/// dropped: every time Bona compares `genTime` with is in whole seconds.
fn gen_time_secs(text: &[u8]) -> Option<i64> {
    let (whole, rest) = text.split_at_checked(14)?;
    let rest = match rest.strip_prefix(b".") {
        Some(fraction) => {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            (digits > 0).then_some(&fraction[digits..])?
        }
        None => rest,
    };
    if rest != b"Z" || !whole.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |at: usize, len: usize| -> u16 {
        whole[at..at + len]
            .iter()
            .fold(0, |acc, d| acc * 10 + u16::from(d - b'0'))
    };
    let byte = |at: usize| u8::try_from(n(at, 2)).ok();
    let time =
        der::DateTime::new(n(0, 4), byte(4)?, byte(6)?, byte(8)?, byte(10)?, byte(12)?).ok()?;
    i64::try_from(time.unix_duration().as_secs()).ok()
}

/// Check: the timestamp's imprint is the hash of `signature` (the bytes it timestamps).
pub fn check_message_imprint(ts: &Timestamp, signature: &[u8]) -> Result<(), TsaError> {
    if ts.imprint_hash.digest(signature) == ts.imprint {
        Ok(())
    } else {
        Err(TsaError::ImprintMismatch)
    }
}

fn embedded_certificates(sd: &SignedData) -> Vec<Cert> {
    let Some(set) = &sd.certificates else {
        return vec![];
    };
    set.0
        .iter()
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => {
                c.to_der().ok().and_then(|d| Cert::from_der(&d).ok())
            }
            CertificateChoices::Other(_) => None,
        })
        .collect()
}

fn is_signer(c: &Cert, sid: &SignerIdentifier) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            c.cert.tbs_certificate.issuer == ias.issuer
                && c.cert.tbs_certificate.serial_number == ias.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => c
            .cert
            .tbs_certificate
            .extensions
            .as_ref()
            .and_then(|exts| exts.iter().find(|e| e.extn_id == OID_SUBJECT_KEY_ID))
            .and_then(|e| OctetStringRef::from_der(e.extn_value.as_bytes()).ok())
            .is_some_and(|v| v.as_bytes() == ski.0.as_bytes()),
    }
}

/// Check: the timestamp is signed by a timestamp authority of `root` that was valid at
/// `genTime`. Returns that authority.
pub fn verify_timestamp_signature<'r>(
    ts: &Timestamp,
    root: &'r TrustedRoot,
) -> Result<&'r CertificateAuthority, TsaError> {
    let signer_info = ts
        .signed_data
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or(TsaError::Malformed("no signer"))?;
    let embedded = embedded_certificates(&ts.signed_data);
    let mut last = TsaError::UntrustedTsa;
    for tsa in &root.timestamp_authorities {
        let anchors: Vec<Cert> = tsa
            .chain
            .iter()
            .filter_map(|d| Cert::from_der(d).ok())
            .collect();
        let Some(signer) = embedded
            .iter()
            .chain(anchors.iter())
            .find(|c| is_signer(c, &signer_info.sid))
        else {
            last = TsaError::NoSignerCertificate;
            continue;
        };
        if !cert::has_extended_key_usage(signer, &OID_TIME_STAMPING).unwrap_or(false) {
            last = TsaError::NotTimestamping;
            continue;
        }
        // The signature first: a tampered token is reported as such, not by the time it claims.
        if let Err(e) = verify_signer_info(ts, signer_info, signer) {
            last = e;
            continue;
        }
        match cert::chain_to_anchors(signer, &embedded, &anchors, ts.gen_time) {
            Ok(_) => {}
            Err(cert::CertError::NotValidAt { .. }) => {
                last = TsaError::CertificateNotValidAt(ts.gen_time);
                continue;
            }
            Err(_) => continue,
        }
        if !tsa.valid_for.contains(ts.gen_time) {
            last = TsaError::TsaNotValidAt(ts.gen_time);
            continue;
        }
        return Ok(tsa);
    }
    Err(last)
}

fn verify_signer_info(
    ts: &Timestamp,
    si: &cms::signed_data::SignerInfo,
    signer: &Cert,
) -> Result<(), TsaError> {
    let digest_hash = HashAlg::of_digest_algorithm(&si.digest_alg.oid)
        .ok_or(TsaError::Malformed("an unknown digest algorithm"))?;
    let sig_hash = match HashAlg::of_signature_algorithm(&si.signature_algorithm.oid) {
        Some(h) => h,
        None if si.signature_algorithm.oid == OID_EC_PUBLIC_KEY
            || si.signature_algorithm.oid == OID_RSA =>
        {
            digest_hash
        }
        None => return Err(TsaError::Malformed("an unknown signature algorithm")),
    };
    let key = signer.public_key().map_err(|_| TsaError::BadSignature)?;
    let signature = si.signature.as_bytes();
    let Some(attrs) = &si.signed_attrs else {
        // Without signed attributes the signature is over the content itself.
        return key
            .verify_with_hash(&ts.tst_der, signature, sig_hash)
            .map_err(|_| TsaError::BadSignature);
    };
    let digest = attrs
        .iter()
        .find(|a| a.oid == OID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetStringRef<'_>>().ok())
        .ok_or(TsaError::Malformed("no message-digest attribute"))?;
    if digest.as_bytes() != digest_hash.digest(&ts.tst_der).as_slice() {
        return Err(TsaError::ContentDigestMismatch);
    }
    let content_type = attrs
        .iter()
        .find(|a| a.oid == OID_CONTENT_TYPE)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<ObjectIdentifier>().ok());
    if content_type.is_some_and(|ct| ct != OID_TST_INFO) {
        return Err(TsaError::ContentDigestMismatch);
    }
    // The signature covers the DER of the attributes as a SET OF (RFC 5652 §5.4).
    let signed = attrs.to_der().map_err(malformed("the signed attributes"))?;
    key.verify_with_hash(&signed, signature, sig_hash)
        .map_err(|_| TsaError::BadSignature)
}

/// Check 2 (time part) of docs/signatures.md#when-a-signature-verifies for one timestamp: parsed,
/// over `signature`, signed by a TSA of `root` valid at its time. Returns the verified time.
pub fn verify_rfc3161(
    der_bytes: &[u8],
    signature: &[u8],
    root: &TrustedRoot,
) -> Result<i64, TsaError> {
    let ts = parse_timestamp(der_bytes)?;
    check_message_imprint(&ts, signature)?;
    verify_timestamp_signature(&ts, root)?;
    Ok(ts.gen_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(parse_timestamp(b""), Err(TsaError::Malformed(_))));
        assert!(matches!(
            parse_timestamp(&[0x30, 0x03, 0x02, 0x01, 0x00]),
            Err(TsaError::Malformed(_))
        ));
        // status 2 (rejection) with no token.
        assert_eq!(
            parse_timestamp(&[0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02]).err(),
            Some(TsaError::NotGranted)
        );
    }

    #[test]
    fn gen_time_may_have_a_fraction_of_a_second() {
        // 2026-12-07T04:04:50Z, as `@sigstore/mock`'s TSA writes it, and without the fraction.
        assert_eq!(gen_time_secs(b"20261207040450.242Z"), Some(1_796_616_290));
        assert_eq!(gen_time_secs(b"20261207040450Z"), Some(1_796_616_290));
        assert_eq!(gen_time_secs(b"20261207040450.5Z"), Some(1_796_616_290));
        for bad in [
            &b"20261207040450."[..],
            b"20261207040450.Z",
            b"20261207040450.2",
            b"20261207040450+0100",
            b"2026120704045Z",
            b"20261307040450Z",
            b"20261207040450.2x5Z",
            b"",
        ] {
            assert_eq!(gen_time_secs(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse_timestamp(&bytes);
        }
        #[test]
        fn never_panics_on_sequences(tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let mut bytes = vec![0x30, 0x81, tail.len().min(255) as u8];
            bytes.extend(tail);
            let _ = parse_timestamp(&bytes);
        }
    }
}
