//! Certificate Transparency: the SCT a CT log embeds in a precertificate (RFC 6962 §3.2, §3.3).
//!
//! The log signs `digitally-signed struct { version v1(0); signature_type
//! certificate_timestamp(0); uint64 timestamp; LogEntryType precert_entry(1); PreCert {
//! issuer_key_hash[32] = SHA-256(issuer SPKI DER); opaque tbs_certificate<1..2^24-1> };
//! CtExtensions extensions<0..2^16-1> }`, where the TBS is the final certificate's without the
//! SCT list extension. The SCT is serialised TLS-style: version, log ID, timestamp, extensions,
//! then the signature with its hash (4 = SHA-256) and signature (3 = ECDSA) algorithm bytes.

use crate::keys::Key;

/// The bytes a CT log signs for a precertificate entry.
pub fn precert_signed_data(timestamp_ms: u64, issuer_key_hash: [u8; 32], tbs: &[u8]) -> Vec<u8> {
    let mut v = vec![0u8, 0u8];
    v.extend_from_slice(&timestamp_ms.to_be_bytes());
    v.extend_from_slice(&1u16.to_be_bytes());
    v.extend_from_slice(&issuer_key_hash);
    let len = tbs.len() as u32;
    v.extend_from_slice(&len.to_be_bytes()[1..]);
    v.extend_from_slice(tbs);
    v.extend_from_slice(&0u16.to_be_bytes());
    v
}

/// One serialised SCT for a precertificate, signed by `signer` under `log_id`.
pub fn precert_sct(
    log_id: [u8; 32],
    signer: &Key,
    timestamp_ms: u64,
    issuer: &Key,
    tbs: &[u8],
) -> Vec<u8> {
    let sig = signer.sign(&precert_signed_data(timestamp_ms, issuer.key_id(), tbs));
    let mut v = vec![0u8];
    v.extend_from_slice(&log_id);
    v.extend_from_slice(&timestamp_ms.to_be_bytes());
    v.extend_from_slice(&0u16.to_be_bytes());
    v.push(4);
    v.push(3);
    v.extend_from_slice(&(sig.len() as u16).to_be_bytes());
    v.extend_from_slice(&sig);
    v
}

/// `SignedCertificateTimestampList`: a u16-length list of u16-length SCTs.
pub fn sct_list(scts: &[Vec<u8>]) -> Vec<u8> {
    let mut body = Vec::new();
    for s in scts {
        body.extend_from_slice(&(s.len() as u16).to_be_bytes());
        body.extend_from_slice(s);
    }
    let mut v = (body.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(&body);
    v
}

/// A parsed SCT (for the crate's own tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    pub log_id: [u8; 32],
    pub timestamp_ms: u64,
    pub signature: Vec<u8>,
}

/// Reads the one SCT of a TLS-encoded list.
pub fn parse_single(list: &[u8]) -> Option<Sct> {
    let total = u16::from_be_bytes([*list.first()?, *list.get(1)?]) as usize;
    let body = list.get(2..2 + total)?;
    let len = u16::from_be_bytes([*body.first()?, *body.get(1)?]) as usize;
    let s = body.get(2..2 + len)?;
    let log_id: [u8; 32] = s.get(1..33)?.try_into().ok()?;
    let timestamp_ms = u64::from_be_bytes(s.get(33..41)?.try_into().ok()?);
    let ext_len = u16::from_be_bytes(s.get(41..43)?.try_into().ok()?) as usize;
    let rest = s.get(43 + ext_len..)?;
    let sig_len = u16::from_be_bytes(rest.get(2..4)?.try_into().ok()?) as usize;
    Some(Sct {
        log_id,
        timestamp_ms,
        signature: rest.get(4..4 + sig_len)?.to_vec(),
    })
}
