//! Signed attestations as facts (docs/attestations.md): in-toto statements in DSSE envelopes,
//! keyed or keyless, and the typed attributes policies read from them.
//!
//! An attestation counts for a signer K when one of its envelope's signatures verifies under K
//! (exactly as a signature does, over the DSSE pre-authentication encoding: [`Signer`]) and
//! one of its statement's subjects has the image's digest. A cosign signature statement
//! (`https://sigstore.dev/cosign/sign/v1`) is a signature, never an attestation.
//!
//! Reading the predicates is lenient and total: a field that is absent or of another type is
//! *unknown* for that attestation, never an error, since predicates evolve and belong to their
//! authors; the entry around the envelope is read strictly, as signature entries are.
//!
//! [`Signer`]: crate::signer::Signer

use serde::Deserialize;
use serde_json::Value;

use bona_sigstore::bundle::{Bundle, Content};
use bona_sigstore::dsse::Envelope;
use bona_sigstore::intoto::{COSIGN_SIGN_V1, Statement};

use crate::facts::{
    RawTlog, Signature, bundle_evidence, de_some_base64, de_some_string, layer_evidence,
};
use crate::json::{ObjectFields, opt_object};
use crate::severity::{SeverityCounts, count_severities};
use crate::signature::signature_hash;

/// SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
/// SLSA provenance v0.2.
pub const SLSA_PROVENANCE_V02: &str = "https://slsa.dev/provenance/v0.2";
/// cosign's vulnerability-scan predicate.
pub const COSIGN_VULN_V1: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
/// The in-toto payload type of DSSE envelopes.
const IN_TOTO: &str = "application/vnd.in-toto+json";

/// One attestation entry of the facts.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "RawAttestation")]
pub struct Attestation {
    /// One entry per signature of the envelope: its pre-authentication encoding, that
    /// signature, and the keyless evidence (certificate, log entries) when there is any.
    pub signatures: Vec<Signature>,
    /// The in-toto statement, when the envelope's payload is one; `None` counts for nothing.
    pub statement: Option<Statement>,
    /// Each signature's verification-cache key ([`signature_hash`]), computed once when the
    /// entry is read: hashing a large statement at every lookup would cost more than the
    /// lookup saves.
    pub cache_keys: Vec<[u8; 32]>,
    /// What `vuln(K)` reads, for a vulnerability statement: computed once when the entry is
    /// read rather than at every evaluation (a Trivy report can hold thousands of findings).
    pub vuln: Option<VulnScan>,
}

/// The parts of a cosign vulnerability predicate `vuln(K)` reads; `None` where it is absent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VulnScan {
    /// The counts of the Trivy report in `scanner.result` ([`vuln_counts`]).
    pub counts: Option<SeverityCounts>,
    /// `metadata.scanFinishedOn`, Unix seconds ([`vuln_finished`]).
    pub finished: Option<i64>,
}

impl Attestation {
    /// Its statement, for an attestation [`counting`](crate::eval) has let through.
    pub fn statement(&self) -> Option<&Statement> {
        self.statement.as_ref()
    }
}

impl ObjectFields for Attestation {
    const EXPECTING: &'static str = "an attestation object with `envelope`, or `bundle`";
}

/// An attestation entry as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttestation {
    #[serde(default)]
    envelope: Option<Value>,
    #[serde(default, deserialize_with = "de_some_string")]
    certificate: Option<String>,
    #[serde(default, deserialize_with = "de_some_string")]
    chain: Option<String>,
    #[serde(default, deserialize_with = "opt_object")]
    tlog: Option<RawTlog>,
    #[serde(default, deserialize_with = "de_some_base64")]
    rfc3161_timestamp: Option<Vec<u8>>,
    #[serde(default)]
    bundle: Option<Value>,
}

impl TryFrom<RawAttestation> for Attestation {
    type Error = String;

    fn try_from(raw: RawAttestation) -> Result<Attestation, String> {
        let (envelope, evidence) = match (raw.envelope, raw.bundle) {
            (Some(_), Some(_)) => {
                return Err("an attestation has an `envelope` or a `bundle`, not both".into());
            }
            (None, None) => return Err("missing field `envelope` (or `bundle`)".into()),
            (Some(v), None) => {
                let envelope = Envelope::from_value(&v, "envelope").map_err(|e| e.to_string())?;
                let evidence = layer_evidence(
                    raw.certificate.as_deref(),
                    raw.chain.as_deref(),
                    raw.tlog,
                    raw.rfc3161_timestamp,
                    || Content::Dsse(envelope.clone()),
                )?;
                (envelope, evidence)
            }
            (None, Some(b)) => {
                if raw.certificate.is_some()
                    || raw.chain.is_some()
                    || raw.tlog.is_some()
                    || raw.rfc3161_timestamp.is_some()
                {
                    return Err("an attestation with `bundle` takes nothing beside it".into());
                }
                let bundle = Bundle::from_value(&b).map_err(|e| format!("bundle: {e}"))?;
                let Content::Dsse(envelope) = &bundle.content else {
                    return Err(
                        "bundle: an attestation bundle carries a `dsseEnvelope`, not a \
                         `messageSignature`"
                            .into(),
                    );
                };
                let envelope = envelope.clone();
                (envelope, Some(bundle_evidence(bundle)))
            }
        };
        let pae = envelope.pae();
        let signatures: Vec<Signature> = envelope
            .signatures
            .iter()
            .map(|s| Signature {
                payload: pae.clone(),
                signature: s.sig.clone(),
                evidence: evidence.clone(),
            })
            .collect();
        let statement = (envelope.payload_type == IN_TOTO)
            .then(|| Statement::from_json(&envelope.payload).ok())
            .flatten();
        let cache_keys = signatures.iter().map(signature_hash).collect();
        let vuln = statement
            .as_ref()
            .filter(|st| is_of_type(st, COSIGN_VULN_V1))
            .map(|st| VulnScan {
                counts: vuln_counts(st),
                finished: vuln_finished(st),
            });
        Ok(Attestation {
            signatures,
            statement,
            cache_keys,
            vuln,
        })
    }
}

/// Whether a statement's predicate type is `wanted`, as published or with the `https://`
/// prefix added or removed (both spellings exist). A cosign signature statement is never an
/// attestation.
pub fn is_of_type(statement: &Statement, wanted: &str) -> bool {
    let bare = |t: &str| t.strip_prefix("https://").unwrap_or(t).to_owned();
    statement.predicate_type != COSIGN_SIGN_V1 && bare(&statement.predicate_type) == bare(wanted)
}

/// The value at a dotted path of a JSON value (`a.b.c`).
fn at<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(value, |v, key| v.as_object()?.get(key))
}

fn string_at(value: &Value, path: &str) -> Option<String> {
    at(value, path)?.as_str().map(str::to_owned)
}

/// `predicate(K, "TYPE", "a.b.c")`: a string field of the predicate.
pub fn predicate_string(statement: &Statement, path: &str) -> Option<String> {
    string_at(&statement.predicate, path)
}

/// A source URI as `slsa-verifier --source-uri` takes it: no `git+`, no scheme, no `@ref`, no
/// `.git` (`git+https://github.com/company/app@refs/tags/v1` → `github.com/company/app`).
fn source_of(uri: &str) -> String {
    let uri = uri.strip_prefix("git+").unwrap_or(uri);
    let uri = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let uri = uri.split_once('@').map_or(uri, |(repo, _)| repo);
    uri.strip_suffix(".git").unwrap_or(uri).to_owned()
}

/// The ref of a `git+…@ref` URI.
fn ref_of(uri: &str) -> Option<String> {
    uri.rsplit_once('@').map(|(_, r)| r.to_owned())
}

/// Which SLSA provenance version a statement is, if any.
fn provenance_version(statement: &Statement) -> Option<u8> {
    if is_of_type(statement, SLSA_PROVENANCE_V1) {
        Some(1)
    } else if is_of_type(statement, SLSA_PROVENANCE_V02) {
        Some(0)
    } else {
        None
    }
}

/// The source URI a provenance names: v1's GitHub workflow repository, else its first resolved
/// dependency; v0.2's `invocation.configSource.uri`, else its first material.
fn provenance_source_uri(statement: &Statement) -> Option<String> {
    let p = &statement.predicate;
    match provenance_version(statement)? {
        1 => string_at(p, "buildDefinition.externalParameters.workflow.repository").or_else(|| {
            at(p, "buildDefinition.resolvedDependencies")?
                .as_array()?
                .first()
                .and_then(|d| string_at(d, "uri"))
        }),
        _ => string_at(p, "invocation.configSource.uri").or_else(|| {
            p.get("materials")?
                .as_array()?
                .first()
                .and_then(|m| string_at(m, "uri"))
        }),
    }
}

/// `provenance(K).builder`, `.build_type`, `.source`, `.ref` of one statement
/// (docs/attestations.md#provenance).
pub fn provenance(statement: &Statement, field: &crate::ir::AttestedField) -> Option<String> {
    use crate::ir::AttestedField as F;
    let p = &statement.predicate;
    let v1 = provenance_version(statement)? == 1;
    match field {
        F::Builder if v1 => string_at(p, "runDetails.builder.id"),
        F::Builder => string_at(p, "builder.id"),
        F::BuildType if v1 => string_at(p, "buildDefinition.buildType"),
        F::BuildType => string_at(p, "buildType"),
        F::Source => provenance_source_uri(statement).map(|u| source_of(&u)),
        F::Ref if v1 => string_at(p, "buildDefinition.externalParameters.workflow.ref")
            .or_else(|| provenance_source_uri(statement).and_then(|u| ref_of(&u))),
        F::Ref => provenance_source_uri(statement).and_then(|u| ref_of(&u)),
        _ => None,
    }
}

/// `vuln(K).scanner`: the vulnerability predicate's `scanner.uri`.
pub fn vuln_scanner(statement: &Statement) -> Option<String> {
    string_at(&statement.predicate, "scanner.uri")
}

/// When the scan finished (`metadata.scanFinishedOn`), Unix seconds.
pub fn vuln_finished(statement: &Statement) -> Option<i64> {
    crate::facts::parse_rfc3339(&string_at(&statement.predicate, "metadata.scanFinishedOn")?)
}

/// The vulnerabilities of the Trivy report in `scanner.result`, counted as `bona facts trivy`
/// counts them; `None` when there is no report.
pub fn vuln_counts(statement: &Statement) -> Option<SeverityCounts> {
    let result = at(&statement.predicate, "scanner.result")?;
    // Trivy leaves `Results` out of the report of an image it found nothing to scan in, and
    // `bona facts trivy` counts that as none of each; only a report says so, not any object.
    let results = match result.get("Results") {
        Some(results) => results.as_array()?.as_slice(),
        None if result.get("SchemaVersion").is_some() => &[],
        None => return None,
    };
    let mut found = Vec::new();
    for r in results {
        for v in r
            .get("Vulnerabilities")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let id = v.get("VulnerabilityID").and_then(Value::as_str)?;
            let package = v.get("PkgName").and_then(Value::as_str).unwrap_or_default();
            let severity = v.get("Severity").and_then(Value::as_str)?;
            found.push((id, package, severity));
        }
    }
    Some(count_severities(found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::AttestedField;

    fn statement(predicate_type: &str, predicate: Value) -> Statement {
        let json = serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [{"name": "app", "digest": {"sha256": "11"}}],
            "predicateType": predicate_type,
            "predicate": predicate,
        });
        Statement::from_json(json.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn predicate_types_match_with_and_without_https() {
        let s = statement("slsa.dev/provenance/v1", Value::Null);
        assert!(is_of_type(&s, SLSA_PROVENANCE_V1));
        assert!(is_of_type(&s, "slsa.dev/provenance/v1"));
        assert!(!is_of_type(&s, SLSA_PROVENANCE_V02));
        let sign = statement(COSIGN_SIGN_V1, Value::Null);
        assert!(!is_of_type(&sign, COSIGN_SIGN_V1));
    }

    #[test]
    fn slsa_v1_github_and_generic() {
        let github = statement(
            SLSA_PROVENANCE_V1,
            serde_json::json!({
                "buildDefinition": {
                    "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                    "externalParameters": {"workflow": {
                        "ref": "refs/tags/v1.2.3",
                        "repository": "https://github.com/company/app",
                        "path": ".github/workflows/release.yml"}},
                },
                "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"}},
            }),
        );
        let f = |s: &Statement, f: AttestedField| provenance(s, &f);
        assert_eq!(
            f(&github, AttestedField::Builder).as_deref(),
            Some("https://github.com/actions/runner/github-hosted")
        );
        assert_eq!(
            f(&github, AttestedField::Source).as_deref(),
            Some("github.com/company/app")
        );
        assert_eq!(
            f(&github, AttestedField::Ref).as_deref(),
            Some("refs/tags/v1.2.3")
        );
        let generic = statement(
            SLSA_PROVENANCE_V1,
            serde_json::json!({
                "buildDefinition": {
                    "buildType": "https://example.com/build/v1",
                    "resolvedDependencies": [{"uri": "git+https://gitlab.com/company/app.git@refs/heads/main"}],
                },
                "runDetails": {"builder": {"id": "https://ci.example.com"}},
            }),
        );
        assert_eq!(
            f(&generic, AttestedField::Source).as_deref(),
            Some("gitlab.com/company/app")
        );
        assert_eq!(
            f(&generic, AttestedField::Ref).as_deref(),
            Some("refs/heads/main")
        );
        assert_eq!(
            f(&generic, AttestedField::BuildType).as_deref(),
            Some("https://example.com/build/v1")
        );
        // Not provenance: nothing.
        let other = statement(
            "https://spdx.dev/Document",
            serde_json::json!({"builder": {"id": "x"}}),
        );
        assert_eq!(f(&other, AttestedField::Builder), None);
    }

    #[test]
    fn slsa_v02() {
        let s = statement(
            SLSA_PROVENANCE_V02,
            serde_json::json!({
                "builder": {"id": "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v1.9.0"},
                "buildType": "https://github.com/slsa-framework/slsa-github-generator/generic@v1",
                "invocation": {"configSource": {"uri": "git+https://github.com/company/app@refs/tags/v1.2.3",
                                                "entryPoint": ".github/workflows/release.yml"}},
            }),
        );
        assert_eq!(
            provenance(&s, &AttestedField::Source).as_deref(),
            Some("github.com/company/app")
        );
        assert_eq!(
            provenance(&s, &AttestedField::Ref).as_deref(),
            Some("refs/tags/v1.2.3")
        );
        assert!(
            provenance(&s, &AttestedField::Builder)
                .is_some_and(|b| b.ends_with("@refs/tags/v1.9.0"))
        );
    }

    #[test]
    fn vulnerability_predicates() {
        let s = statement(
            COSIGN_VULN_V1,
            serde_json::json!({
                "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.50.0", "version": "0.50.0",
                            "result": {"SchemaVersion": 2, "Results": [
                                {"Vulnerabilities": [
                                    {"VulnerabilityID": "CVE-1", "PkgName": "a", "Severity": "CRITICAL"},
                                    {"VulnerabilityID": "CVE-1", "PkgName": "a", "Severity": "HIGH"},
                                    {"VulnerabilityID": "CVE-2", "PkgName": "b", "Severity": "LOW"}]},
                                {"Target": "no vulnerabilities"}]}},
                "metadata": {"scanStartedOn": "2026-11-20T10:00:00Z", "scanFinishedOn": "2026-11-20T10:05:00Z"},
            }),
        );
        assert_eq!(
            vuln_scanner(&s).as_deref(),
            Some("pkg:github/aquasecurity/trivy@0.50.0")
        );
        assert_eq!(
            vuln_finished(&s),
            crate::facts::parse_rfc3339("2026-11-20T10:05:00Z")
        );
        let c = vuln_counts(&s).unwrap_or_default();
        assert_eq!((c.critical, c.high, c.medium, c.low), (1, 0, 0, 1));
        let empty = statement(COSIGN_VULN_V1, serde_json::json!({"scanner": {"uri": "x"}}));
        assert_eq!(vuln_counts(&empty), None);
        // A clean report without `Results` counts none, as `bona facts trivy` does; an object
        // that is not a report counts nothing.
        let clean = statement(
            COSIGN_VULN_V1,
            serde_json::json!({"scanner": {"result": {"SchemaVersion": 2, "ArtifactName": "a"}}}),
        );
        assert_eq!(vuln_counts(&clean), Some(SeverityCounts::default()));
        let other = statement(
            COSIGN_VULN_V1,
            serde_json::json!({"scanner": {"result": {"matches": []}}}),
        );
        assert_eq!(vuln_counts(&other), None);
        assert_eq!(
            predicate_string(&s, "scanner.version").as_deref(),
            Some("0.50.0")
        );
        assert_eq!(predicate_string(&s, "scanner.result"), None);
        assert_eq!(predicate_string(&s, "nothing.here"), None);
    }
}
