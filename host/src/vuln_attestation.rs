//! A Trivy report as cosign's vulnerability attestation (docs/attestations.md#from-trivy): the
//! pure part of `bona facts trivy --attestation` and `--predicate`.
//!
//! The predicate is what `trivy image --format cosign-vuln` writes and what `cosign attest
//! --type vuln --predicate` takes: the whole report in `scanner.result`, the scan time in
//! `metadata`. The statement wraps it for signers that take a statement (`cosign attest-blob
//! --statement`, `sigstore attest`, any DSSE signer), with one subject per image digest the
//! report lists, so what Bona reads back counts the same vulnerabilities as `bona facts trivy`.

use std::fmt;

use serde_json::{Value, json};

use crate::trivy::Report;
use bona_runtime::attestation::COSIGN_VULN_V1;

/// The in-toto statement type written.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// Why a report cannot be turned into an attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttestationError {
    /// No `CreatedAt`: the predicate needs the scan time, and `vuln(K).scan.age` reads it.
    NoScanTime,
    /// No `Metadata.RepoDigests`: the statement must bind the image by digest.
    NoDigest,
}

impl fmt::Display for AttestationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttestationError::NoScanTime => f.write_str(
                "CreatedAt: the report has no scan time, which the vulnerability predicate \
                 records as `metadata.scanFinishedOn` (scan again with a current Trivy)",
            ),
            AttestationError::NoDigest => f.write_str(
                "Metadata.RepoDigests: the report lists no image digest for the statement's \
                 subject; scan the image from its registry (`trivy image \
                 REGISTRY/REPOSITORY@sha256:…`) after pushing it",
            ),
        }
    }
}

impl std::error::Error for AttestationError {}

/// The cosign vulnerability predicate of `report`, whose JSON text is `raw`.
///
/// # Errors
/// [`AttestationError::NoScanTime`] when the report has no `CreatedAt`.
pub fn predicate(report: &Report, raw: &Value) -> Result<Value, AttestationError> {
    let finished = report.created_at().ok_or(AttestationError::NoScanTime)?;
    let version = report.trivy_version().unwrap_or("");
    let uri = if version.is_empty() {
        "pkg:github/aquasecurity/trivy".to_owned()
    } else {
        format!("pkg:github/aquasecurity/trivy@{version}")
    };
    Ok(json!({
        "invocation": {"parameters": null, "uri": "", "event_id": "", "builder.id": ""},
        "scanner": {
            "uri": uri,
            "version": version,
            "db": {"uri": "", "version": ""},
            "result": raw,
        },
        // Trivy records one time for the whole scan; both ends of it are that time.
        "metadata": {"scanStartedOn": finished, "scanFinishedOn": finished},
    }))
}

/// The in-toto statement v1 of the predicate, with one subject per digest the report lists.
///
/// # Errors
/// As [`predicate`], and [`AttestationError::NoDigest`] when the report lists no digest.
pub fn statement(report: &Report, raw: &Value) -> Result<Value, AttestationError> {
    let subjects: Vec<Value> = report
        .repo_digests()
        .map(|(name, digest)| {
            let (algorithm, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
            json!({"name": name, "digest": {algorithm: hex}})
        })
        .collect();
    if subjects.is_empty() {
        return Err(AttestationError::NoDigest);
    }
    Ok(json!({
        "_type": STATEMENT_V1,
        "subject": subjects,
        "predicateType": COSIGN_VULN_V1,
        "predicate": predicate(report, raw)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(doc: &Value) -> Report {
        Report::from_json(doc.to_string().as_bytes()).expect("a report")
    }

    fn doc(created: Option<&str>, digests: &[&str]) -> Value {
        let mut d = json!({
            "SchemaVersion": 2,
            "ArtifactName": "registry.company.com/app:1.0",
            "Metadata": {"RepoTags": ["registry.company.com/app:1.0"],
                         "RepoDigests": digests},
            "Results": [{"Vulnerabilities": [
                {"VulnerabilityID": "CVE-1", "PkgName": "a", "Severity": "HIGH"}]}],
        });
        if let Some(c) = created {
            d["CreatedAt"] = json!(c);
        }
        d
    }

    const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn the_statement_binds_every_listed_digest_and_embeds_the_report() {
        let other = format!("registry.company.com/mirror@{DIGEST}");
        let d = doc(
            Some("2026-11-25T12:00:00Z"),
            &[&format!("registry.company.com/app@{DIGEST}"), &other],
        );
        let s = statement(&report(&d), &d).expect("statement");
        assert_eq!(s["_type"], STATEMENT_V1);
        assert_eq!(s["predicateType"], COSIGN_VULN_V1);
        assert_eq!(s["subject"].as_array().map(Vec::len), Some(2));
        assert_eq!(s["subject"][0]["name"], "registry.company.com/app");
        assert_eq!(s["subject"][0]["digest"]["sha256"], &DIGEST[7..]);
        assert_eq!(s["subject"][1]["name"], "registry.company.com/mirror");
        assert_eq!(s["predicate"]["scanner"]["result"], d);
        assert_eq!(
            s["predicate"]["metadata"]["scanFinishedOn"],
            "2026-11-25T12:00:00Z"
        );
        assert_eq!(
            s["predicate"]["scanner"]["uri"],
            "pkg:github/aquasecurity/trivy"
        );
    }

    #[test]
    fn the_scanner_uri_carries_the_trivy_version_when_the_report_has_it() {
        let mut d = doc(Some("2026-11-25T12:00:00Z"), &[&format!("r.io/a@{DIGEST}")]);
        d["Trivy"] = json!({"Version": "0.58.1"});
        let p = predicate(&report(&d), &d).expect("predicate");
        assert_eq!(p["scanner"]["uri"], "pkg:github/aquasecurity/trivy@0.58.1");
        assert_eq!(p["scanner"]["version"], "0.58.1");
    }

    #[test]
    fn a_report_without_scan_time_or_digest_is_refused() {
        let d = doc(None, &[&format!("r.io/a@{DIGEST}")]);
        assert_eq!(
            statement(&report(&d), &d),
            Err(AttestationError::NoScanTime)
        );
        let d = doc(Some("2026-11-25T12:00:00Z"), &[]);
        assert_eq!(statement(&report(&d), &d), Err(AttestationError::NoDigest));
        // The predicate alone needs no digest: cosign adds the subject when it signs.
        assert!(predicate(&report(&d), &d).is_ok());
    }
}
