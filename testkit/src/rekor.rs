//! A Rekor-style transparency log: entry bodies, signed entry timestamps (SETs), an RFC 6962
//! Merkle tree with inclusion proofs, and signed checkpoints.
//!
//! - Bodies are the canonical JSON Rekor stores for `hashedrekord` 0.0.1 and `dsse` 0.0.1 (keys
//!   sorted, no spaces; the certificate as base64 of its PEM).
//! - A SET is the log key's ECDSA-SHA256 signature over the RFC 8785 JSON
//!   `{"body","integratedTime","logID","logIndex"}` (body base64, logID hex).
//! - Leaves hash as SHA-256(0x00 ‖ body), nodes as SHA-256(0x01 ‖ left ‖ right) (RFC 6962 §2.1).
//! - A checkpoint is a signed note (transparency-dev formats): `origin\nsize\nbase64(root)\n`, a
//!   blank line, then `— name base64(key hint ‖ signature)\n`, the hint being the first four bytes
//!   of the log ID.

use crate::keys::Key;
use crate::{b64, canonical_json, hex};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The canonical `hashedrekord` 0.0.1 body: artifact digest, signature, signing certificate.
pub fn hashedrekord_body(artifact_sha256: &[u8], signature: &[u8], cert_pem: &str) -> Vec<u8> {
    canonical_json(&json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex(artifact_sha256)}},
            "signature": {"content": b64(signature), "publicKey": {"content": b64(cert_pem.as_bytes())}},
        },
    }))
    .into_bytes()
}

/// The canonical `dsse` 0.0.1 body. `envelope_json` is the envelope as submitted (its hash is
/// recorded, not checked by verifiers, since envelopes have no canonical form).
pub fn dsse_body(
    envelope_json: &[u8],
    payload: &[u8],
    signature: &[u8],
    cert_pem: &str,
) -> Vec<u8> {
    canonical_json(&json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex(&Sha256::digest(envelope_json))},
            "payloadHash": {"algorithm": "sha256", "value": hex(&Sha256::digest(payload))},
            "signatures": [{"signature": b64(signature), "verifier": b64(cert_pem.as_bytes())}],
        },
    }))
    .into_bytes()
}

/// The bytes a SET signs.
pub fn set_payload(
    body: &[u8],
    integrated_time: u64,
    log_id: &[u8; 32],
    log_index: u64,
) -> Vec<u8> {
    canonical_json(&json!({
        "body": b64(body),
        "integratedTime": integrated_time,
        "logID": hex(log_id),
        "logIndex": log_index,
    }))
    .into_bytes()
}

/// RFC 6962 leaf hash.
pub fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(body);
    h.finalize().into()
}

/// RFC 6962 interior node hash.
pub fn node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// MTH over leaf hashes (RFC 6962 §2.1); the empty tree hashes to SHA-256 of nothing.
pub fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest([]).into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// `PATH(m, D[n])` (RFC 6962 §2.1.1): the audit path of leaf `m`, lowest sibling first.
pub fn inclusion_path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    let n = leaves.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = split(n);
    if m < k {
        let mut p = inclusion_path(m, &leaves[..k]);
        p.push(root(&leaves[k..]));
        p
    } else {
        let mut p = inclusion_path(m - k, &leaves[k..]);
        p.push(root(&leaves[..k]));
        p
    }
}

/// Recomputes the root from an inclusion proof (RFC 9162 §2.1.3.2); `None` if the proof has the
/// wrong length for (index, size).
pub fn root_from_proof(
    index: u64,
    size: u64,
    leaf: [u8; 32],
    proof: &[[u8; 32]],
) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut fnode, mut snode, mut r) = (index, size - 1, leaf);
    for p in proof {
        if snode == 0 {
            return None;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    (snode == 0).then_some(r)
}

/// An inclusion proof with the checkpoint that signs its root.
#[derive(Clone, Debug)]
pub struct InclusionProof {
    pub log_index: u64,
    pub tree_size: u64,
    pub root_hash: [u8; 32],
    pub hashes: Vec<[u8; 32]>,
    pub checkpoint: String,
}

/// A log entry as a client sees it.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub body: Vec<u8>,
    pub log_index: u64,
    pub integrated_time: u64,
    pub log_id: [u8; 32],
    pub set: Vec<u8>,
    pub proof: InclusionProof,
}

/// A log: its key, its origin, its bodies and their integration times.
#[derive(Clone, Debug)]
pub struct Log {
    pub key: Key,
    /// The checkpoint signer name (`rekor.example` style).
    pub name: String,
    /// The checkpoint origin line (`name - tree id`).
    pub origin: String,
    /// Added to tree positions to make the entries' global `logIndex` (a sharded Rekor: the
    /// SET signs the global index, the inclusion proof uses the position in this shard's tree).
    pub index_offset: u64,
    /// Lines after the root hash in checkpoints (the note's "other content", e.g. a timestamp).
    pub extra_lines: Vec<String>,
    entries: Vec<(Vec<u8>, u64)>,
}

impl Log {
    /// An empty log signing with `key`.
    pub fn new(key: Key, name: &str, tree_id: u64) -> Log {
        Log {
            key,
            name: name.to_string(),
            origin: format!("{name} - {tree_id}"),
            index_offset: 0,
            extra_lines: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Appends a body integrated at `time`; returns its index.
    pub fn append(&mut self, body: Vec<u8>, time: u64) -> u64 {
        self.entries.push((body, time));
        self.entries.len() as u64 - 1
    }

    /// The number of entries.
    pub fn size(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The signed note over the current tree head, signed by `signer` under this log's name and
    /// key hint (a different `signer` makes the "checkpoint signed by another key" negative).
    pub fn checkpoint_signed_by(&self, signer: &Key) -> String {
        self.checkpoint_at(self.size(), signer)
    }

    /// The signed note over the tree of the first `size` entries (an older tree head).
    pub fn checkpoint_at(&self, size: u64, signer: &Key) -> String {
        let mut leaves = self.leaves();
        leaves.truncate(size as usize);
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            leaves.len(),
            b64(&root(&leaves))
        );
        for line in &self.extra_lines {
            text.push_str(line);
            text.push('\n');
        }
        let mut sig = self.key.key_id()[..4].to_vec();
        sig.extend(signer.sign(text.as_bytes()));
        format!("{text}\n\u{2014} {} {}\n", self.name, b64(&sig))
    }

    fn leaves(&self) -> Vec<[u8; 32]> {
        self.entries.iter().map(|(b, _)| leaf_hash(b)).collect()
    }

    /// Entry `index` (a position in the tree) with its SET and an inclusion proof against the
    /// current tree head; its `log_index` is the global one (`index + index_offset`).
    pub fn entry(&self, index: u64) -> LogEntry {
        let leaves = self.leaves();
        // INVARIANT: callers pass indexes `append` returned.
        let (body, time) = self.entries[index as usize].clone();
        let log_id = self.key.key_id();
        let global = index + self.index_offset;
        LogEntry {
            set: self.key.sign(&set_payload(&body, time, &log_id, global)),
            body,
            log_index: global,
            integrated_time: time,
            log_id,
            proof: InclusionProof {
                log_index: index,
                tree_size: leaves.len() as u64,
                root_hash: root(&leaves),
                hashes: inclusion_path(index as usize, &leaves),
                checkpoint: self.checkpoint_signed_by(&self.key),
            },
        }
    }
}
