//! Transparency-log checkpoints: signed notes committing to a tree size and root hash.
//!
//! A checkpoint (transparency-dev "signed note", used by Rekor v1 and v2) is
//!
//! ```text
//! <origin>\n<tree size>\n<base64 root hash>\n[<extension line>\n…]\n— <name> <base64(key hint ‖ signature)>\n…
//! ```
//!
//! The signed bytes are the note text up to and including the newline before the blank line.
//! Each signature line starts with a 4-byte key hint: for Rekor v1 the first bytes of the log ID
//! (SHA-256 of the log key's SubjectPublicKeyInfo), for Rekor v2 the first bytes of the note key
//! ID, which the trust root records as the log's `logId.keyId`. Checkpoints may be cosigned by
//! witnesses, so lines with other hints are ignored; at least one line must carry the log's hint
//! and every such line must verify under the log's key. The verified root hash must then equal
//! the inclusion proof's.

use std::fmt;

use crate::keys::{PublicKey, decode_base64_lenient, hex};

/// A parsed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line (`rekor.sigstore.dev - 2605736670972794746`).
    pub origin: String,
    /// The tree size the checkpoint commits to.
    pub tree_size: u64,
    /// The root hash the checkpoint commits to.
    pub root_hash: Vec<u8>,
    /// Extension lines after the root hash (`Timestamp: …`).
    pub extensions: Vec<String>,
    /// The signature lines.
    pub signatures: Vec<NoteSignature>,
    /// The signed text (the note through the newline before the blank line).
    pub signed_text: String,
}

/// One `— name base64` line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The signer's name.
    pub name: String,
    /// The first four bytes of the signer's key ID.
    pub key_hint: [u8; 4],
    /// The signature proper.
    pub signature: Vec<u8>,
}

/// Why a checkpoint cannot be read or does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointError {
    /// The note's layout is wrong; says what is missing.
    Malformed(&'static str),
    /// No signature line carries the log's key hint.
    NoSignatureByLog {
        /// The expected key hint.
        expected: [u8; 4],
    },
    /// A signature line with the log's key hint does not verify under the log key.
    BadSignature,
    /// The checkpoint commits to another root hash than the inclusion proof's.
    RootMismatch,
    /// The checkpoint commits to another tree size than the inclusion proof's.
    SizeMismatch {
        /// The checkpoint's tree size.
        checkpoint: u64,
        /// The proof's tree size.
        proof: u64,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Malformed(what) => write!(f, "the checkpoint is malformed: {what}"),
            CheckpointError::NoSignatureByLog { expected } => write!(
                f,
                "the checkpoint has no signature with the log's key hint {}",
                hex(expected)
            ),
            CheckpointError::BadSignature => {
                f.write_str("the checkpoint's signature does not verify under the log's key")
            }
            CheckpointError::RootMismatch => {
                f.write_str("the checkpoint's root hash is not the inclusion proof's root hash")
            }
            CheckpointError::SizeMismatch { checkpoint, proof } => write!(
                f,
                "the checkpoint's tree size {checkpoint} is not the inclusion proof's {proof}"
            ),
        }
    }
}

impl std::error::Error for CheckpointError {}

impl Checkpoint {
    /// Parses a checkpoint envelope (the bundle's `inclusionProof.checkpoint.envelope`).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let (body, sigs) = text.split_once("\n\n").ok_or(CheckpointError::Malformed(
            "no blank line before the signatures",
        ))?;
        let signed_text = format!("{body}\n");
        let mut lines = body.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(CheckpointError::Malformed("the origin line is empty"));
        }
        let size_line = lines
            .next()
            .ok_or(CheckpointError::Malformed("no tree size"))?;
        if size_line.is_empty() || !size_line.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CheckpointError::Malformed(
                "the second line is not a tree size",
            ));
        }
        let tree_size = size_line
            .parse::<u64>()
            .map_err(|_| CheckpointError::Malformed("the tree size is too large"))?;
        let root_line = lines
            .next()
            .ok_or(CheckpointError::Malformed("no root hash"))?;
        let root_hash = base64_strict(root_line).filter(|h| h.len() == 32).ok_or(
            CheckpointError::Malformed("the third line is not a base64 SHA-256 root hash"),
        )?;
        let extensions = lines.map(str::to_string).collect();
        let mut signatures = Vec::new();
        for line in sigs.split('\n') {
            if line.is_empty() {
                continue;
            }
            let rest = line
                .strip_prefix("\u{2014} ")
                .ok_or(CheckpointError::Malformed(
                    "a signature line does not start with an em dash",
                ))?;
            let (name, b64) = rest.split_once(' ').ok_or(CheckpointError::Malformed(
                "a signature line has no signature",
            ))?;
            let bytes = base64_strict(b64)
                .ok_or(CheckpointError::Malformed("a signature is not base64"))?;
            let (hint, sig) = bytes
                .split_first_chunk::<4>()
                .filter(|(_, sig)| !sig.is_empty())
                .ok_or(CheckpointError::Malformed("a signature is too short"))?;
            signatures.push(NoteSignature {
                name: name.to_string(),
                key_hint: *hint,
                signature: sig.to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(CheckpointError::Malformed("it has no signature"));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            tree_size,
            root_hash,
            extensions,
            signatures,
            signed_text,
        })
    }

    /// Checks the signature of the log whose key is `key` and whose log ID (trust root
    /// `logId.keyId`) is `log_id`: at least one signature line has its key hint, and all of
    /// those verify.
    pub fn verify_signature(&self, key: &PublicKey, log_id: &[u8]) -> Result<(), CheckpointError> {
        let mut expected = [0u8; 4];
        if let Some(first) = log_id.first_chunk::<4>() {
            expected = *first;
        }
        let mut found = false;
        for sig in self.signatures.iter().filter(|s| s.key_hint == expected) {
            found = true;
            key.verify(self.signed_text.as_bytes(), &sig.signature)
                .map_err(|_| CheckpointError::BadSignature)?;
        }
        if found {
            Ok(())
        } else {
            Err(CheckpointError::NoSignatureByLog { expected })
        }
    }

    /// Checks that the checkpoint commits to the inclusion proof's tree: same root hash and,
    /// when `tree_size` is given, the same size.
    pub fn check_proof_root(
        &self,
        root_hash: &[u8],
        tree_size: Option<u64>,
    ) -> Result<(), CheckpointError> {
        if self.root_hash != root_hash {
            return Err(CheckpointError::RootMismatch);
        }
        match tree_size {
            Some(proof) if proof != self.tree_size => Err(CheckpointError::SizeMismatch {
                checkpoint: self.tree_size,
                proof,
            }),
            _ => Ok(()),
        }
    }
}

/// Base64 without whitespace tolerance (note lines are exact).
fn base64_strict(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || s.bytes().any(|b| b.is_ascii_whitespace()) {
        return None;
    }
    decode_base64_lenient(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "rs1YPY0ydAV0lxgfrq5pE4oRpUJwo3syeps5+eGUTDI=";

    fn note(body: &str, sigs: &str) -> String {
        format!("{body}\n\n{sigs}")
    }

    #[test]
    fn parses_a_cosigned_note() {
        let text = note(
            &format!("log.example\n736\n{ROOT}\nTimestamp: 1"),
            "\u{2014} log.example AAAAAQID\n\u{2014} witness.example AQIDBAU=\n",
        );
        let cp = Checkpoint::parse(&text);
        let Ok(cp) = cp else { unreachable!("{cp:?}") };
        assert_eq!(cp.origin, "log.example");
        assert_eq!(cp.tree_size, 736);
        assert_eq!(cp.extensions, vec!["Timestamp: 1".to_string()]);
        assert_eq!(cp.signatures.len(), 2);
        assert_eq!(cp.signatures[0].key_hint, [0, 0, 0, 1]);
        assert_eq!(
            cp.signed_text,
            format!("log.example\n736\n{ROOT}\nTimestamp: 1\n")
        );
    }

    #[test]
    fn malformed_notes_say_what_is_missing() {
        let sig = "\u{2014} log AAAAAQID\n";
        for (text, want) in [
            (
                note(&format!("736\n{ROOT}"), sig),
                "the second line is not a tree size",
            ),
            (
                note(&format!("log\n{ROOT}"), sig),
                "the second line is not a tree size",
            ),
            (note("log\n736", sig), "no root hash"),
            (
                note(&format!("log\n736\n{ROOT}"), ""),
                "it has no signature",
            ),
            (
                format!("log\n736\n{ROOT}\n"),
                "no blank line before the signatures",
            ),
            (
                note(&format!("log\n736\n{ROOT}"), "- log AAAAAQID\n"),
                "a signature line does not start with an em dash",
            ),
        ] {
            assert_eq!(
                Checkpoint::parse(&text),
                Err(CheckpointError::Malformed(want)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn root_and_size_must_match_the_proof() {
        let cp = Checkpoint::parse(&note(
            &format!("log\n736\n{ROOT}"),
            "\u{2014} log AAAAAQID\n",
        ));
        let Ok(cp) = cp else { unreachable!() };
        let root = cp.root_hash.clone();
        assert_eq!(cp.check_proof_root(&root, Some(736)), Ok(()));
        assert_eq!(
            cp.check_proof_root(&[0; 32], Some(736)),
            Err(CheckpointError::RootMismatch)
        );
        assert_eq!(
            cp.check_proof_root(&root, Some(735)),
            Err(CheckpointError::SizeMismatch {
                checkpoint: 736,
                proof: 735
            })
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn parser_never_panics(text in "[a-z0-9 \n\u{2014}+/=]{0,120}") {
            let _ = Checkpoint::parse(&text);
        }
        #[test]
        fn parser_never_panics_on_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = Checkpoint::parse(&String::from_utf8_lossy(&bytes));
        }
    }
}
