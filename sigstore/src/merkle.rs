//! RFC 6962 / RFC 9162 Merkle tree hashing and inclusion proofs.
//!
//! Rekor (v1 and v2) and certificate-transparency logs are Merkle trees whose leaves are
//! `SHA-256(0x00 ‖ entry)` and inner nodes `SHA-256(0x01 ‖ left ‖ right)`; the distinct prefixes
//! keep a leaf from passing for an inner node. An inclusion proof is the audit path of sibling
//! hashes from the leaf at `index` to the root of a tree of `tree_size` leaves; verifying it
//! means recomputing the root (RFC 9162 §2.1.3.2) and comparing it with the root the log signed
//! in a checkpoint (see `checkpoint`).

use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::keys::hex;

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// Why an inclusion proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MerkleError {
    /// The leaf index is not inside the tree.
    IndexOutOfRange {
        /// The proof's leaf index.
        index: u64,
        /// The proof's tree size.
        tree_size: u64,
    },
    /// The audit path is longer or shorter than the tree shape requires.
    WrongPathLength,
    /// A hash of the path or the root is not 32 bytes.
    BadHashLength,
    /// The recomputed root is not the expected root.
    RootMismatch {
        /// The root the proof leads to.
        computed: Hash,
        /// The root it should lead to.
        expected: Vec<u8>,
    },
}

impl fmt::Display for MerkleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MerkleError::IndexOutOfRange { index, tree_size } => write!(
                f,
                "the inclusion proof's leaf index {index} is outside its tree of {tree_size} entries"
            ),
            MerkleError::WrongPathLength => {
                f.write_str("the inclusion proof has the wrong number of hashes for its tree")
            }
            MerkleError::BadHashLength => {
                f.write_str("the inclusion proof has a hash that is not 32 bytes long")
            }
            MerkleError::RootMismatch { computed, expected } => write!(
                f,
                "the inclusion proof leads to root hash {} instead of {}",
                hex(computed),
                hex(expected)
            ),
        }
    }
}

impl std::error::Error for MerkleError {}

/// `SHA-256(0x00 ‖ data)`: the hash of a log entry.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an inner node.
pub fn node_hash(left: &[u8], right: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root that the audit path `proof` leads to from `leaf` at `index` in a tree of
/// `tree_size` leaves (RFC 9162 §2.1.3.2).
pub fn root_from_inclusion_proof(
    index: u64,
    tree_size: u64,
    leaf: &Hash,
    proof: &[Vec<u8>],
) -> Result<Hash, MerkleError> {
    if index >= tree_size {
        return Err(MerkleError::IndexOutOfRange { index, tree_size });
    }
    let mut f_n = index;
    let mut s_n = tree_size - 1;
    let mut r = *leaf;
    for p in proof {
        if p.len() != 32 {
            return Err(MerkleError::BadHashLength);
        }
        if s_n == 0 {
            return Err(MerkleError::WrongPathLength);
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(MerkleError::WrongPathLength);
    }
    Ok(r)
}

/// Checks that `proof` proves `leaf` at `index` in the tree of `tree_size` leaves whose root is
/// `root`.
pub fn verify_inclusion(
    index: u64,
    tree_size: u64,
    leaf: &Hash,
    proof: &[Vec<u8>],
    root: &[u8],
) -> Result<(), MerkleError> {
    if root.len() != 32 {
        return Err(MerkleError::BadHashLength);
    }
    let computed = root_from_inclusion_proof(index, tree_size, leaf, proof)?;
    if computed.as_slice() == root {
        Ok(())
    } else {
        Err(MerkleError::RootMismatch {
            computed,
            expected: root.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Merkle tree hash of RFC 6962 §2.1, computed directly.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaves[0],
            n => {
                let k = n.next_power_of_two() / 2;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    /// The audit path of RFC 6962 §2.1.1, computed directly.
    fn path(m: usize, leaves: &[Hash]) -> Vec<Vec<u8>> {
        let n = leaves.len();
        if n <= 1 {
            return vec![];
        }
        let k = n.next_power_of_two() / 2;
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]).to_vec());
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]).to_vec());
            p
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn every_leaf_of_small_trees_verifies() {
        for n in 1..=17 {
            let ls = leaves(n);
            let root = mth(&ls);
            for m in 0..n {
                let p = path(m, &ls);
                assert_eq!(
                    verify_inclusion(m as u64, n as u64, &ls[m], &p, &root),
                    Ok(()),
                    "{m}/{n}"
                );
            }
        }
    }

    #[test]
    fn a_corrupted_hash_is_refused() {
        let ls = leaves(11);
        let root = mth(&ls);
        let mut p = path(6, &ls);
        p[1][0] ^= 1;
        assert!(matches!(
            verify_inclusion(6, 11, &ls[6], &p, &root),
            Err(MerkleError::RootMismatch { .. })
        ));
        let p = path(6, &ls);
        assert_eq!(
            verify_inclusion(6, 11, &ls[6], &p[..2], &root).map_err(|e| e.to_string()),
            Err("the inclusion proof has the wrong number of hashes for its tree".into())
        );
        assert_eq!(
            verify_inclusion(11, 11, &ls[6], &p, &root),
            Err(MerkleError::IndexOutOfRange {
                index: 11,
                tree_size: 11
            })
        );
        // The right path for another index does not prove this one.
        assert!(verify_inclusion(5, 11, &ls[6], &p, &root).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn never_panics(index in 0u64..u64::MAX, size in 0u64..u64::MAX, n in 0usize..70, len in 30usize..34) {
            let proof = vec![vec![7u8; len]; n];
            let _ = verify_inclusion(index, size, &[0; 32], &proof, &[0; 32]);
        }
    }
}
