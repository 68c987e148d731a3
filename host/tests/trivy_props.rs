//! Properties of the Trivy conversion (`bona_host::trivy`): whatever the bytes, reading a
//! report never panics, and a report that is accepted always becomes a facts document that
//! Bona's own facts reader loads (so `bona facts trivy` exits 2 or writes a valid document).
//!
//! Three sources of input: arbitrary bytes; a real Trivy report (`tests/trivy/reports/`) with
//! random bytes changed, cut or inserted; and small reports assembled from valid and invalid
//! pieces (schema versions, digests, tags, severities, timestamps).

use bona_host::trivy::{Report, TrivyFacts};
use bona_runtime::facts::FactsDocument;
use proptest::prelude::*;

fn real_report() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/trivy/reports/image-v1.json"
    );
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Converts the reports that are accepted, and checks the document loads.
fn check(inputs: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let reports: Vec<Report> = inputs
        .iter()
        .filter_map(|bytes| Report::from_json(bytes).ok())
        .collect();
    let facts = TrivyFacts::from_reports(&reports);
    let text = facts.to_json();
    let doc = FactsDocument::from_json(text.as_bytes());
    prop_assert!(doc.is_ok(), "{:?}\n{text}", doc.err());
    if let Ok(doc) = doc {
        prop_assert_eq!(doc.len(), facts.len());
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum Edit {
    Set(usize, u8),
    Cut(usize, usize),
    Insert(usize, Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Set(at, b)),
        (any::<usize>(), 0usize..64).prop_map(|(at, n)| Edit::Cut(at, n)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                b"\"".to_vec(),
                b"null".to_vec(),
                b"{}".to_vec(),
                b"[]".to_vec(),
                b",".to_vec(),
                b"\"UNKNOWN\"".to_vec(),
                b"\"sha256:12\"".to_vec(),
                b"\\u0000".to_vec(),
                "é".as_bytes().to_vec(),
            ])
        )
            .prop_map(|(at, bytes)| Edit::Insert(at, bytes)),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len().max(1);
        match e {
            Edit::Set(at, b) => {
                if let Some(slot) = bytes.get_mut(at % len) {
                    *slot = *b;
                }
            }
            Edit::Cut(at, n) => {
                let start = (at % len).min(bytes.len());
                let end = (start + n).min(bytes.len());
                bytes.drain(start..end);
            }
            Edit::Insert(at, insert) => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, insert.iter().copied());
            }
        }
    }
    bytes
}

fn piece<T: Clone + std::fmt::Debug + 'static>(items: Vec<T>) -> impl Strategy<Value = T> {
    prop::sample::select(items)
}

/// A small report from valid and invalid pieces.
fn assembled() -> impl Strategy<Value = Vec<u8>> {
    // Valid pieces are drawn more often, so that many reports are accepted.
    let schema = piece(vec!["2", "2", "2", "1", "\"2\"", "null", "2.0"]);
    let created = piece(vec![
        "\"2026-11-20T10:00:00Z\"",
        "\"2026-11-20T10:00:00.123456789+02:00\"",
        "\"yesterday\"",
        "null",
    ]);
    let digest = piece(vec![
        "\"registry.example.com/app@sha256:1111111111111111111111111111111111111111111111111111111111111111\"",
        "\"app@sha256:2222222222222222222222222222222222222222222222222222222222222222\"",
        "\"mirror.example.com/app@sha256:1111111111111111111111111111111111111111111111111111111111111111\"",
        "\"app@sha256:12\"",
        "\"app:1\"",
    ]);
    let tag = piece(vec![
        "\"registry.example.com/app:1.0\"",
        "\"app\"",
        "\"app:latest\"",
        "\"index.docker.io/library/app:1\"",
        "\"App:1\"",
        "\"app:-x\"",
    ]);
    let vuln = (
        piece(vec!["CVE-1", "CVE-2", "CVE-3"]),
        piece(vec!["a", "b"]),
        piece(vec![
            "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN", "low", "",
        ]),
    );
    let labels = piece(vec![
        "",
        r#", "ImageConfig": {"config": {"Labels": {"a": "1", "b": ""}}}"#,
        r#", "ImageConfig": {"config": {}}"#,
        r#", "ImageConfig": null"#,
        r#", "ImageConfig": {"config": {"Labels": {"a": 1}}}"#,
    ]);
    (
        schema,
        created,
        prop::collection::vec(digest, 0..3),
        prop::collection::vec(tag, 0..3),
        prop::collection::vec(vuln, 0..6),
        labels,
    )
        .prop_map(|(schema, created, digests, tags, vulns, labels)| {
            let vulns: Vec<String> = vulns
                .iter()
                .map(|(id, pkg, sev)| {
                    format!(
                        r#"{{"VulnerabilityID": "{id}", "PkgName": "{pkg}", "Severity": "{sev}"}}"#
                    )
                })
                .collect();
            format!(
                r#"{{"SchemaVersion": {schema}, "CreatedAt": {created}, "ArtifactName": "x",
                    "Metadata": {{"RepoDigests": [{}], "RepoTags": [{}]{labels}}},
                    "Results": [{{"Vulnerabilities": [{}]}}]}}"#,
                digests.join(", "),
                tags.join(", "),
                vulns.join(", ")
            )
            .into_bytes()
        })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&[bytes])?;
    }

    #[test]
    fn edited_real_reports_never_panic(edits in prop::collection::vec(edit(), 1..6)) {
        let real = real_report();
        check(&[apply(real.clone(), &edits), real])?;
    }

    #[test]
    fn assembled_reports_load_when_accepted(reports in prop::collection::vec(assembled(), 1..4)) {
        check(&reports)?;
    }
}

#[test]
fn the_real_report_is_accepted() {
    let report = Report::from_json(&real_report());
    assert!(report.is_ok(), "{:?}", report.err());
}
