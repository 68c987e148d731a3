//! bona-testkit: a private, deterministic Sigstore that writes keyless fixtures — good ones and
//! ones that break exactly one thing — for Bona's offline verifier (docs/signatures.md). Test code
//! only.
//!
//! The pieces, each a module:
//! - [`keys`]: ECDSA P-256 keys derived from a seed and a role label (fixtures are reproducible);
//! - [`x509`]: a root and an intermediate CA and 10-minute Fulcio-style leaves with the Fulcio
//!   identity extensions and an embedded SCT;
//! - [`ct`]: RFC 6962 precertificate SCTs;
//! - [`rekor`]: `hashedrekord`/`dsse` 0.0.1 bodies, SETs, the Merkle tree, inclusion proofs and
//!   signed checkpoints;
//! - [`tsa`]: RFC 3161 timestamps over signature bytes;
//! - [`sigstore`]: the world (keys, CAs, times), `trusted_root.json`, bundles v0.1–v0.3 and
//!   cosign `.sig` facts entries;
//! - [`fixtures`]: the named good and bad cases ([`fixtures::Variant`]) and the directory writer
//!   that `cargo run -p bona-testkit --bin gen` drives.

pub mod conformance;
pub mod conformance_attest;
pub mod ct;
pub mod example;
pub mod example_provenance;
pub mod fixtures;
pub mod keys;
pub mod rekor;
pub mod sigstore;
pub mod tsa;
pub mod x509;

use base64::Engine;

/// Standard base64 with padding (what protobuf JSON, Rekor and cosign use).
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64 (for tests).
pub fn unb64(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s).ok()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// PEM with 64-column lines and a final newline, as OpenSSL and Python's `cryptography` write it
/// (Rekor bodies carry the certificate's PEM, and verifiers compare it byte for byte).
pub fn pem(label: &str, der: &[u8]) -> String {
    let body = b64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        // INVARIANT: base64 output is ASCII, so any chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).expect("ascii"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// RFC 8785 canonical JSON for the values the testkit signs: object keys sorted by UTF-16 code
/// units (the same as byte order for the ASCII keys used here), no whitespace, integers as
/// integers, strings escaped as `serde_json` does (identical to RFC 8785 for these strings).
pub fn canonical_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(items) => {
            format!(
                "[{}]",
                items
                    .iter()
                    .map(canonical_json)
                    .collect::<Vec<_>>()
                    .join(",")
            )
        }
        other => other.to_string(),
    }
}
