//! DSSE envelopes (Dead Simple Signing Envelope, secure-systems-lab/dsse v1).
//!
//! A DSSE signature is not over the payload but over its pre-authentication encoding
//! `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, which binds the payload type so a
//! signature over one kind of document cannot be replayed as another. Envelopes come from cosign
//! `.att` layers and from Sigstore bundles and are read leniently: unknown fields are ignored and
//! `keyid` may be absent.

use std::fmt;

use serde_json::Value;

use crate::json::{self, JsonError};
use crate::keys::{PublicKey, SigError};

/// The in-toto payload type.
pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeSignature {
    /// The optional, unauthenticated key hint.
    pub keyid: String,
    /// The raw signature bytes.
    pub sig: Vec<u8>,
}

/// A DSSE envelope with its payload and signatures decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// `payloadType`.
    pub payload_type: String,
    /// The decoded `payload`.
    pub payload: Vec<u8>,
    /// The decoded `signatures`.
    pub signatures: Vec<EnvelopeSignature>,
}

/// Why an envelope cannot be read or does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DsseError {
    /// The envelope's JSON is malformed at a path.
    Json(JsonError),
    /// The envelope carries no signature.
    NoSignature,
    /// A bundle's envelope must carry exactly one signature.
    NotOneSignature(usize),
    /// No signature of the envelope verifies under the key.
    Signature(SigError),
}

impl fmt::Display for DsseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DsseError::Json(e) => write!(f, "the DSSE envelope is malformed: {e}"),
            DsseError::NoSignature => f.write_str("the DSSE envelope has no signature"),
            DsseError::NotOneSignature(n) => {
                write!(
                    f,
                    "the DSSE envelope has {n} signatures where exactly one is required"
                )
            }
            DsseError::Signature(e) => write!(f, "the DSSE envelope does not verify: {e}"),
        }
    }
}

impl std::error::Error for DsseError {}

impl From<JsonError> for DsseError {
    fn from(e: JsonError) -> Self {
        DsseError::Json(e)
    }
}

impl Envelope {
    /// Reads an envelope from JSON bytes.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DsseError> {
        Self::from_value(&json::parse(bytes)?, "$")
    }

    /// Reads an envelope from a JSON value found at `path` (for error messages).
    pub fn from_value(v: &Value, path: &str) -> Result<Self, DsseError> {
        let payload_type = json::string(v, path, "payloadType")?.to_string();
        let payload = json::base64(v, path, "payload")?;
        let list_path = json::join(path, "signatures");
        let mut signatures = Vec::new();
        for (i, s) in json::opt_array(v, path, "signatures")?.iter().enumerate() {
            let p = json::index(&list_path, i);
            json::object(s, &p)?;
            signatures.push(EnvelopeSignature {
                keyid: json::opt_string(s, &p, "keyid")?
                    .unwrap_or_default()
                    .to_string(),
                sig: json::base64(s, &p, "sig")?,
            });
        }
        Ok(Envelope {
            payload_type,
            payload,
            signatures,
        })
    }

    /// The pre-authentication encoding of this envelope: the bytes that are signed.
    pub fn pae(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }

    /// Checks that at least one signature verifies under `key` over the PAE.
    pub fn verify_any(&self, key: &PublicKey) -> Result<(), DsseError> {
        let message = self.pae();
        let mut last = None;
        for s in &self.signatures {
            match key.verify(&message, &s.sig) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.map_or(DsseError::NoSignature, DsseError::Signature))
    }

    /// The one signature of a bundle's envelope (Sigstore requires exactly one).
    pub fn only_signature(&self) -> Result<&EnvelopeSignature, DsseError> {
        match self.signatures.as_slice() {
            [one] => Ok(one),
            [] => Err(DsseError::NoSignature),
            many => Err(DsseError::NotOneSignature(many.len())),
        }
    }
}

/// `DSSEv1 <len> <payload_type> <len> <payload>`, lengths in ASCII decimal bytes.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        // The example of the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn reads_leniently_and_names_paths() {
        let env = Envelope::from_json(
            br#"{"payloadType":"t","payload":"aGk=","signatures":[{"sig":"AAE="}],"extra":1}"#,
        );
        let Ok(env) = env else {
            unreachable!("{env:?}")
        };
        assert_eq!(env.payload, b"hi");
        assert_eq!(env.signatures[0].sig, vec![0, 1]);
        assert_eq!(
            env.only_signature().map(|s| s.keyid.clone()),
            Ok(String::new())
        );
        let bad = Envelope::from_json(
            br#"{"payloadType":"t","payload":"aGk=","signatures":[{"sig":"!"}]}"#,
        );
        assert_eq!(
            bad.map_err(|e| e.to_string()),
            Err("the DSSE envelope is malformed: `signatures[0].sig` is not base64".into())
        );
    }

    #[test]
    fn two_signatures_are_not_one() {
        let env = Envelope {
            payload_type: "t".into(),
            payload: vec![],
            signatures: vec![
                EnvelopeSignature {
                    keyid: String::new(),
                    sig: vec![1],
                },
                EnvelopeSignature {
                    keyid: String::new(),
                    sig: vec![2],
                },
            ],
        };
        assert_eq!(env.only_signature(), Err(DsseError::NotOneSignature(2)));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = Envelope::from_json(&bytes);
        }
        #[test]
        fn reader_never_panics_on_json(s in r#"\{("payloadType":"[a-z]*",)?("payload":"[A-Za-z0-9=]*",)?"signatures":\[(\{"sig":"[A-Za-z0-9=]*"\})?\]\}"#) {
            let _ = Envelope::from_json(s.as_bytes());
        }
    }
}
