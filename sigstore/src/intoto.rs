//! in-toto attestation Statements (v0.1 and v1), the payload of DSSE attestations.
//!
//! Only the envelope of the statement is interpreted here (`_type`, `subject`,
//! `predicateType`); the predicate stays a `serde_json::Value` for the attribute readers of
//! attestations (issue 12). A subject binds the image when one of its digests equals the image
//! digest; a subject's `name` is optional (cosign v3 image signatures carry only a digest).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::json::{self, JsonError};

/// `_type` of in-toto Statement v0.1.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// `_type` of in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// The predicate type of a cosign v3 image signature (a signature, never an attestation).
pub const COSIGN_SIGN_V1: &str = "https://sigstore.dev/cosign/sign/v1";

/// One subject: an optional name and its digests by algorithm (`sha256` → lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// `name`, empty when absent.
    pub name: String,
    /// `digest`: algorithm → hex.
    pub digest: BTreeMap<String, String>,
}

/// A parsed in-toto Statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// `_type` (one of [`STATEMENT_V01`], [`STATEMENT_V1`]).
    pub statement_type: String,
    /// `subject`.
    pub subjects: Vec<Subject>,
    /// `predicateType`.
    pub predicate_type: String,
    /// `predicate`, `null` when absent.
    pub predicate: Value,
}

/// Why a payload is not an in-toto Statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementError {
    /// Malformed JSON or a missing/mistyped field.
    Json(JsonError),
    /// `_type` is not a Statement version this reader knows.
    UnknownType(String),
}

impl fmt::Display for StatementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatementError::Json(e) => write!(f, "the in-toto statement is malformed: {e}"),
            StatementError::UnknownType(t) => {
                write!(
                    f,
                    "the payload is not an in-toto statement: its `_type` is `{t}`"
                )
            }
        }
    }
}

impl std::error::Error for StatementError {}

impl From<JsonError> for StatementError {
    fn from(e: JsonError) -> Self {
        StatementError::Json(e)
    }
}

impl Statement {
    /// Reads a Statement from its JSON bytes (a DSSE payload).
    pub fn from_json(bytes: &[u8]) -> Result<Self, StatementError> {
        let mut v = json::parse(bytes)?;
        let statement_type = json::string(&v, "$", "_type")?.to_string();
        if statement_type != STATEMENT_V01 && statement_type != STATEMENT_V1 {
            return Err(StatementError::UnknownType(statement_type));
        }
        let mut subjects = Vec::new();
        for (i, s) in json::array(&v, "$", "subject")?.iter().enumerate() {
            let p = json::index("subject", i);
            let name = json::opt_string(s, &p, "name")?
                .unwrap_or_default()
                .to_string();
            let dp = json::join(&p, "digest");
            let mut digest = BTreeMap::new();
            for (alg, hex) in json::object(json::required(s, &p, "digest")?, &dp)? {
                let hex = hex
                    .as_str()
                    .ok_or_else(|| JsonError::new(&json::join(&dp, alg), "is not a string"))?;
                digest.insert(alg.clone(), hex.to_ascii_lowercase());
            }
            subjects.push(Subject { name, digest });
        }
        let predicate_type = json::string(&v, "$", "predicateType")?.to_string();
        // Moved out, not cloned: a provenance predicate can be megabytes.
        let predicate = v
            .as_object_mut()
            .and_then(|m| m.remove("predicate"))
            .unwrap_or(Value::Null);
        Ok(Statement {
            statement_type,
            subjects,
            predicate_type,
            predicate,
        })
    }

    /// Whether a subject has `digest` (`sha256:<hex>` or another `alg:<hex>`).
    pub fn has_subject_digest(&self, digest: &str) -> bool {
        let Some((alg, hex)) = digest.split_once(':') else {
            return false;
        };
        let hex = hex.to_ascii_lowercase();
        self.subjects
            .iter()
            .any(|s| s.digest.get(alg).is_some_and(|h| *h == hex))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_v1_with_nameless_subject() {
        let st = Statement::from_json(
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"ABCD"}}],
                "predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}"#,
        );
        let Ok(st) = st else { unreachable!("{st:?}") };
        assert!(st.has_subject_digest("sha256:abcd"));
        assert!(!st.has_subject_digest("sha512:abcd"));
        assert!(!st.has_subject_digest("abcd"));
        assert_eq!(st.predicate_type, COSIGN_SIGN_V1);
    }

    #[test]
    fn refuses_other_documents() {
        let e = Statement::from_json(br#"{"_type":"x","subject":[],"predicateType":"p"}"#);
        assert_eq!(e, Err(StatementError::UnknownType("x".into())));
        let e = Statement::from_json(
            br#"{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"digest":{"sha256":1}}],"predicateType":"p"}"#,
        );
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err(
                "the in-toto statement is malformed: `subject[0].digest.sha256` is not a string"
                    .into()
            )
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = Statement::from_json(&bytes);
        }
    }
}
