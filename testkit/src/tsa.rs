//! A timestamp authority: RFC 3161 `TimeStampResp` over a signature's bytes.
//!
//! The token is CMS `SignedData` (RFC 5652) around a DER `TSTInfo` whose message imprint is
//! SHA-256 of the signature, signed by the TSA leaf (EKU id-kp-timeStamping, critical) over the
//! signed attributes contentType, messageDigest and signingCertificateV2 (RFC 5035, the ESS
//! binding of the TSA certificate). Encoded by hand with a tiny DER writer: every structure here
//! is a fixed shape, and SET OF contents are sorted as DER requires.

use crate::x509::Issued;
use sha2::{Digest, Sha256};
use x509_cert::der::Encode;
use x509_cert::der::oid::ObjectIdentifier;

const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const SIGNING_CERTIFICATE_V2: &str = "1.2.840.113549.1.9.16.2.47";
/// The testkit TSA's policy (an arbitrary arc under the Sigstore PEN, as a test value).
const POLICY: &str = "1.3.6.1.4.1.57264.99.1";

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = content.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let bytes: Vec<u8> = n
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        v.push(0x80 | bytes.len() as u8);
        v.extend(bytes);
    }
    v.extend_from_slice(content);
    v
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// DER SET OF: elements sorted by their encodings.
fn set(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut p = parts.to_vec();
    p.sort();
    tlv(0x31, &p.concat())
}

fn oid(s: &str) -> Vec<u8> {
    // INVARIANT: only this module's fixed OIDs.
    ObjectIdentifier::new(s)
        .expect("OID")
        .to_der()
        .expect("DER")
}

fn uint(bytes: &[u8]) -> Vec<u8> {
    let mut b: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if b.is_empty() || b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    tlv(0x02, &b)
}

fn octets(b: &[u8]) -> Vec<u8> {
    tlv(0x04, b)
}

fn alg(s: &str) -> Vec<u8> {
    seq(&[oid(s)])
}

/// `YYYYMMDDHHMMSS[.fraction]Z`: `der`'s type writes the X.509 profile, which has no fractions.
fn generalized_time(unix: u64, fraction: Option<&str>) -> Vec<u8> {
    // INVARIANT: testkit times are in range.
    let t = x509_cert::der::asn1::GeneralizedTime::from_unix_duration(
        std::time::Duration::from_secs(unix),
    )
    .expect("time");
    let der = t.to_der().expect("DER");
    let Some(fraction) = fraction else { return der };
    // Tag, length, then 14 digits and `Z`.
    let mut text = der[2..16].to_vec();
    text.push(b'.');
    text.extend_from_slice(fraction.as_bytes());
    text.push(b'Z');
    tlv(0x18, &text)
}

/// A timestamp over `signature` at `gen_time` by `tsa` (its leaf and key); `serial` numbers it.
pub fn timestamp_response(tsa: &Issued, signature: &[u8], gen_time: u64, serial: u64) -> Vec<u8> {
    timestamp_response_at(tsa, signature, gen_time, None, serial)
}

/// [`timestamp_response`] with `fraction` (digits, no trailing zero) of a second in `genTime`.
pub fn timestamp_response_at(
    tsa: &Issued,
    signature: &[u8],
    gen_time: u64,
    fraction: Option<&str>,
    serial: u64,
) -> Vec<u8> {
    let tst_info = seq(&[
        uint(&[1]),
        oid(POLICY),
        seq(&[alg(SHA256), octets(&Sha256::digest(signature))]),
        uint(&serial.to_be_bytes()),
        generalized_time(gen_time, fraction),
    ]);
    let cert = tsa.parsed();
    // INVARIANT: our own certificate's parts encode.
    let issuer = cert.tbs_certificate.issuer.to_der().expect("DER");
    let serial_number = cert.tbs_certificate.serial_number.to_der().expect("DER");
    let attrs = vec![
        seq(&[oid(CONTENT_TYPE), set(&[oid(TST_INFO)])]),
        seq(&[
            oid(MESSAGE_DIGEST),
            set(&[octets(&Sha256::digest(&tst_info))]),
        ]),
        // SigningCertificateV2 { certs: [ESSCertIDv2 { certHash }] } (SHA-256 is the default hash).
        seq(&[
            oid(SIGNING_CERTIFICATE_V2),
            set(&[seq(&[seq(&[seq(&[octets(&Sha256::digest(&tsa.der))])])])]),
        ]),
    ];
    // The signature is over the attributes as a DER SET; in the SignerInfo they are [0] IMPLICIT.
    let signed_attrs = set(&attrs);
    let signature_value = tsa.key.sign(&signed_attrs);
    let mut implicit_attrs = signed_attrs.clone();
    implicit_attrs[0] = 0xa0;
    let signer_info = seq(&[
        uint(&[1]),
        seq(&[issuer, serial_number]),
        alg(SHA256),
        implicit_attrs,
        alg(ECDSA_WITH_SHA256),
        octets(&signature_value),
    ]);
    let signed_data = seq(&[
        uint(&[3]),
        set(&[alg(SHA256)]),
        seq(&[oid(TST_INFO), tlv(0xa0, &octets(&tst_info))]),
        tlv(0xa0, &tsa.der),
        set(&[signer_info]),
    ]);
    let token = seq(&[oid(SIGNED_DATA), tlv(0xa0, &signed_data)]);
    seq(&[seq(&[uint(&[0])]), token])
}

/// The TSA's message imprint and genTime, read back (for the crate's tests): a minimal walk of
/// the fixed shape written above.
pub fn read_tst_info(resp: &[u8]) -> Option<([u8; 32], Vec<u8>)> {
    // Find the TSTInfo OCTET STRING: the eContent after the id-ct-TSTInfo OID.
    let marker = oid(TST_INFO);
    let at = resp
        .windows(marker.len())
        .position(|w| w == marker.as_slice())?
        + marker.len();
    // [0] EXPLICIT { OCTET STRING { TSTInfo } }
    let rest = resp.get(at..)?;
    let (_, inner) = read_tlv(rest)?; // [0]
    let (_, tst) = read_tlv(inner)?; // OCTET STRING
    let (_, body) = read_tlv(tst)?; // TSTInfo SEQUENCE
    let (after_version, _) = skip(body)?;
    let (after_policy, _) = skip(after_version)?;
    let (after_imprint, imprint) = skip(after_policy)?;
    let (_, imprint_body) = read_tlv(imprint)?;
    let (hashed, _) = skip(imprint_body)?;
    let (_, digest) = read_tlv(hashed)?;
    let (after_serial, _) = skip(after_imprint)?;
    let (_, gen_time) = read_tlv(after_serial)?;
    Some((digest.try_into().ok()?, gen_time.to_vec()))
}

/// (tag, content) of the TLV at the start of `b`.
fn read_tlv(b: &[u8]) -> Option<(u8, &[u8])> {
    let (tag, len, hdr) = header(b)?;
    Some((tag, b.get(hdr..hdr + len)?))
}

/// (the bytes after the first TLV, the first TLV whole).
fn skip(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, len, hdr) = header(b)?;
    Some((b.get(hdr + len..)?, b.get(..hdr + len)?))
}

fn header(b: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some((tag, first as usize, 2));
    }
    let n = (first & 0x7f) as usize;
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *b.get(2 + i)? as usize;
    }
    Some((tag, len, 2 + n))
}
