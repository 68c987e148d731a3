//! Sigstore `TrustedRoot` documents (docs/signatures.md#signers): who Bona trusts for keyless
//! signatures.
//!
//! The JSON form of protobuf-specs' `dev.sigstore.trustroot.v1.TrustedRoot`: certificate
//! authorities (Fulcio) and timestamp authorities as certificate chains, transparency logs
//! (Rekor) and certificate-transparency logs as public keys with log IDs, each with a `validFor`
//! window. The reader is lenient on unknown fields (the format grows) and strict on what it
//! uses, naming the JSON path of any problem. Keys and certificates are decoded at read time so
//! that a bad trust root fails at compile time rather than at admission.
//!
//! Windows are inclusive at both ends (sigstore-conformance `trust-root-*-validity-end-inclusive`)
//! and an absent `end` means "still valid". An absent `validFor` is refused for logs and
//! authorities alike: a key whose validity cannot be bounded is a mistake in the file
//! (`trust-root-tlog-missing-validity-start_fail`).

use std::fmt;

use der::Decode as _;
use serde_json::Value;

use crate::json::{self, JsonError};
use crate::keys::PublicKey;
use crate::time::parse_rfc3339;

/// A `validFor` window in Unix seconds, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidFor {
    /// `start`.
    pub start: i64,
    /// `end`, `None` when open.
    pub end: Option<i64>,
}

impl ValidFor {
    /// Whether `time` lies in the window.
    pub fn contains(&self, time: i64) -> bool {
        self.start <= time && self.end.is_none_or(|end| time <= end)
    }
}

/// A transparency log or certificate-transparency log of the trust root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransparencyLog {
    /// `baseUrl`.
    pub base_url: String,
    /// `hashAlgorithm` (`SHA2_256`).
    pub hash_algorithm: String,
    /// `publicKey.keyDetails` as written.
    pub key_details: String,
    /// The log's key.
    pub key: PublicKey,
    /// `publicKey.validFor`.
    pub valid_for: ValidFor,
    /// `logId.keyId`, decoded.
    pub log_id: Vec<u8>,
}

/// A certificate authority or timestamp authority of the trust root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateAuthority {
    /// `subject.organization`.
    pub organization: String,
    /// `subject.commonName`.
    pub common_name: String,
    /// `uri`.
    pub uri: String,
    /// `certChain.certificates[].rawBytes`, leaf-most first, root last, as DER.
    pub chain: Vec<Vec<u8>>,
    /// `validFor`.
    pub valid_for: ValidFor,
}

/// A whole trusted root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRoot {
    /// `mediaType`, empty when absent.
    pub media_type: String,
    /// `tlogs`: Rekor instances.
    pub tlogs: Vec<TransparencyLog>,
    /// `certificateAuthorities`: Fulcio instances.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// `ctlogs`: certificate-transparency logs.
    pub ctlogs: Vec<TransparencyLog>,
    /// `timestampAuthorities`: RFC 3161 TSAs.
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

/// A trust root that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustRootError(pub JsonError);

impl fmt::Display for TrustRootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the trust root is not a Sigstore TrustedRoot: {}",
            self.0
        )
    }
}

impl std::error::Error for TrustRootError {}

impl From<JsonError> for TrustRootError {
    fn from(e: JsonError) -> Self {
        TrustRootError(e)
    }
}

impl TrustedRoot {
    /// Reads a `trusted_root.json` document.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TrustRootError> {
        let v = json::parse(bytes)?;
        Ok(Self::from_value(&v)?)
    }

    /// Reads an already parsed document.
    pub fn from_value(v: &Value) -> Result<Self, JsonError> {
        json::object(v, "$")?;
        let media_type = json::opt_string(v, "$", "mediaType")?
            .unwrap_or_default()
            .to_string();
        let logs = |name: &str| -> Result<Vec<TransparencyLog>, JsonError> {
            json::opt_array(v, "$", name)?
                .iter()
                .enumerate()
                .map(|(i, t)| read_log(t, &json::index(name, i)))
                .collect()
        };
        let cas = |name: &str| -> Result<Vec<CertificateAuthority>, JsonError> {
            json::opt_array(v, "$", name)?
                .iter()
                .enumerate()
                .map(|(i, c)| read_ca(c, &json::index(name, i)))
                .collect()
        };
        Ok(TrustedRoot {
            media_type,
            tlogs: logs("tlogs")?,
            certificate_authorities: cas("certificateAuthorities")?,
            ctlogs: logs("ctlogs")?,
            timestamp_authorities: cas("timestampAuthorities")?,
        })
    }

    /// The transparency log whose log ID is `log_id`.
    pub fn tlog(&self, log_id: &[u8]) -> Option<&TransparencyLog> {
        self.tlogs.iter().find(|t| t.log_id == log_id)
    }

    /// The certificate-transparency log whose log ID is `log_id`.
    pub fn ctlog(&self, log_id: &[u8]) -> Option<&TransparencyLog> {
        self.ctlogs.iter().find(|t| t.log_id == log_id)
    }

    /// Kinds of key (`"transparency log"`, …) every one of which has a `validFor.end` before
    /// `now`: what `bona check` warns about (docs/signatures.md#signers).
    pub fn expired_kinds(&self, now: i64) -> Vec<&'static str> {
        let expired = |windows: &mut dyn Iterator<Item = ValidFor>| {
            let mut any = false;
            for w in windows {
                any = true;
                if w.end.is_none_or(|end| end >= now) {
                    return false;
                }
            }
            any
        };
        let mut out = Vec::new();
        if expired(&mut self.tlogs.iter().map(|t| t.valid_for)) {
            out.push("transparency log");
        }
        if expired(&mut self.certificate_authorities.iter().map(|c| c.valid_for)) {
            out.push("certificate authority");
        }
        if expired(&mut self.ctlogs.iter().map(|t| t.valid_for)) {
            out.push("certificate-transparency log");
        }
        if expired(&mut self.timestamp_authorities.iter().map(|c| c.valid_for)) {
            out.push("timestamp authority");
        }
        out
    }
}

fn read_valid_for(v: &Value, path: &str) -> Result<ValidFor, JsonError> {
    let w = json::required(v, path, "validFor")?;
    let wp = json::join(path, "validFor");
    let time = |name: &str| -> Result<Option<i64>, JsonError> {
        match json::opt_string(w, &wp, name)? {
            None => Ok(None),
            Some(s) => parse_rfc3339(s).map(Some).ok_or_else(|| {
                JsonError::new(
                    &json::join(&wp, name),
                    format!("is not an RFC 3339 time: `{s}`"),
                )
            }),
        }
    };
    let start =
        time("start")?.ok_or_else(|| JsonError::new(&json::join(&wp, "start"), "is missing"))?;
    let end = time("end")?;
    if end.is_some_and(|e| e < start) {
        return Err(JsonError::new(&wp, "ends before it starts"));
    }
    Ok(ValidFor { start, end })
}

fn read_log(v: &Value, path: &str) -> Result<TransparencyLog, JsonError> {
    let pk = json::required(v, path, "publicKey")?;
    let pkp = json::join(path, "publicKey");
    let raw = json::base64(pk, &pkp, "rawBytes")?;
    let key_details = json::opt_string(pk, &pkp, "keyDetails")?
        .unwrap_or_default()
        .to_string();
    let key = match PublicKey::from_der(&raw) {
        Ok(k) => k,
        // `PKCS1_RSA_*` keys may be a bare PKCS#1 RSAPublicKey rather than SPKI.
        Err(e) => PublicKey::from_pkcs1_rsa_der(&raw)
            .map_err(|_| JsonError::new(&json::join(&pkp, "rawBytes"), e.to_string()))?,
    };
    let idp = json::join(path, "logId");
    let log_id = json::base64(json::required(v, path, "logId")?, &idp, "keyId")?;
    Ok(TransparencyLog {
        base_url: json::opt_string(v, path, "baseUrl")?
            .unwrap_or_default()
            .to_string(),
        hash_algorithm: json::opt_string(v, path, "hashAlgorithm")?
            .unwrap_or_default()
            .to_string(),
        key_details,
        key,
        valid_for: read_valid_for(pk, &pkp)?,
        log_id,
    })
}

fn read_ca(v: &Value, path: &str) -> Result<CertificateAuthority, JsonError> {
    let (organization, common_name) = match json::optional(v, "subject") {
        Some(s) => {
            let sp = json::join(path, "subject");
            (
                json::opt_string(s, &sp, "organization")?
                    .unwrap_or_default()
                    .to_string(),
                json::opt_string(s, &sp, "commonName")?
                    .unwrap_or_default()
                    .to_string(),
            )
        }
        None => (String::new(), String::new()),
    };
    let cp = json::join(path, "certChain");
    let certs_path = json::join(&cp, "certificates");
    let mut chain = Vec::new();
    for (i, c) in json::array(json::required(v, path, "certChain")?, &cp, "certificates")?
        .iter()
        .enumerate()
    {
        let p = json::index(&certs_path, i);
        let der = json::base64(c, &p, "rawBytes")?;
        x509_cert::Certificate::from_der(&der).map_err(|_| {
            JsonError::new(
                &json::join(&p, "rawBytes"),
                "is not a DER X.509 certificate",
            )
        })?;
        chain.push(der);
    }
    if chain.is_empty() {
        return Err(JsonError::new(&certs_path, "is empty"));
    }
    Ok(CertificateAuthority {
        organization,
        common_name,
        uri: json::opt_string(v, path, "uri")?
            .unwrap_or_default()
            .to_string(),
        chain,
        valid_for: read_valid_for(v, path)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256_SPKI_B64: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==";

    fn root(tlog_valid_for: &str) -> String {
        format!(
            r#"{{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","future":1,
            "tlogs":[{{"baseUrl":"https://rekor.example","hashAlgorithm":"SHA2_256",
            "publicKey":{{"rawBytes":"{P256_SPKI_B64}","keyDetails":"PKIX_ECDSA_P256_SHA_256",{tlog_valid_for}}},
            "logId":{{"keyId":"wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="}}}}]}}"#
        )
    }

    #[test]
    fn reads_a_log_and_its_window() {
        let r = TrustedRoot::from_json(
            root(r#""validFor":{"start":"2021-01-12T11:53:27Z"}"#).as_bytes(),
        );
        let Ok(r) = r else { unreachable!("{r:?}") };
        assert_eq!(r.tlogs.len(), 1);
        let w = r.tlogs[0].valid_for;
        assert!(w.contains(1_610_452_407) && !w.contains(1_610_452_406) && w.contains(i64::MAX));
        assert!(r.tlog(&r.tlogs[0].log_id.clone()).is_some());
        assert!(r.expired_kinds(2_000_000_000).is_empty());
    }

    #[test]
    fn errors_name_the_json_path() {
        let e = TrustedRoot::from_json(root(r#""validFor":{}"#).as_bytes());
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("the trust root is not a Sigstore TrustedRoot: `tlogs[0].publicKey.validFor.start` is missing".into())
        );
        let e = TrustedRoot::from_json(root(r#""validFor":{"start":"yesterday"}"#).as_bytes());
        assert_eq!(
            e.map_err(|e| e.0.path),
            Err("tlogs[0].publicKey.validFor.start".into())
        );
        let e = TrustedRoot::from_json(br#"{"certificateAuthorities":[{"certChain":{"certificates":[{"rawBytes":"AAAA"}]},"validFor":{"start":"2021-01-12T11:53:27Z"}}]}"#);
        assert_eq!(
            e.map_err(|e| e.0.to_string()),
            Err("`certificateAuthorities[0].certChain.certificates[0].rawBytes` is not a DER X.509 certificate".into())
        );
    }

    #[test]
    fn expired_kinds_need_every_key_expired() {
        let r = TrustedRoot::from_json(
            root(r#""validFor":{"start":"2021-01-12T11:53:27Z","end":"2022-01-01T00:00:00Z"}"#)
                .as_bytes(),
        );
        let Ok(r) = r else { unreachable!() };
        assert_eq!(r.expired_kinds(1_700_000_000), vec!["transparency log"]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn reader_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = TrustedRoot::from_json(&bytes);
        }
        #[test]
        fn reader_never_panics_on_shapes(s in r#"\{"(tlogs|ctlogs|certificateAuthorities)":\[\{("publicKey":\{("rawBytes":"[A-Za-z0-9]{0,8}")?\})?,?("validFor":\{\})?\}\]\}"#) {
            let _ = TrustedRoot::from_json(s.as_bytes());
        }
    }
}
