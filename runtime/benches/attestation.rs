//! Attestations (docs/attestations.md): a decision on an image with five keyed DSSE
//! attestations whose verifications are cached (the steady state of a webhook that has seen
//! the image), and parsing and verifying a 1 MiB SLSA provenance attestation from its facts
//! text with a cold cache. Numbers in docs/performance.md.
//!
//! Run: `cargo bench -p bona-runtime --bench attestation`.

use std::hint::black_box;
use std::time::Duration;

use bona_runtime::eval::{Evaluator, KeyRing};
use bona_runtime::facts::FactsDocument;
use bona_runtime::image::ImageView;
use bona_runtime::ir::{AttestedField, CmpOp, IdentityTest, ImageAtom, KeyDef, VulnSeverity};
use bona_runtime::reference::Reference;
use bona_runtime::signature::VerificationCache;
use bona_runtime::tri::Tri;
use bona_testkit::b64;
use bona_testkit::keys::Key;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

/// 2026-11-22T00:00:00Z.
const NOW: i64 = 1_795_305_600;
const DIGEST: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
const VULN: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
const BUILDER: &str = "https://github.com/actions/runner/github-hosted";

fn statement(predicate_type: &str, digest: &str, predicate: Value) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.company.com/app", "digest": {"sha256": digest}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
}

fn envelope(statement: &Value, key: &Key) -> Value {
    let payload = statement.to_string().into_bytes();
    let pae = bona_sigstore::dsse::pae("application/vnd.in-toto+json", &payload);
    json!({"envelope": {
        "payloadType": "application/vnd.in-toto+json",
        "payload": b64(&payload),
        "signatures": [{"keyid": "", "sig": b64(&key.sign(&pae))}],
    }})
}

/// SLSA v1 provenance with `deps` resolved dependencies (about 190 bytes each).
fn provenance(deps: usize) -> Value {
    let resolved: Vec<Value> = (0..deps)
        .map(|i| {
            json!({"uri": format!("pkg:npm/%40company/dependency-number-{i}@1.{i}.0"),
                   "digest": {"sha256": format!("{i:064x}")}})
        })
        .collect();
    statement(
        SLSA_V1,
        DIGEST,
        json!({
            "buildDefinition": {
                "buildType": "https://actions.github.io/buildtypes/workflow/v1",
                "externalParameters": {"workflow": {"ref": "refs/tags/v1.2.3",
                    "repository": "https://github.com/company/app",
                    "path": ".github/workflows/release.yml"}},
                "resolvedDependencies": resolved,
            },
            "runDetails": {"builder": {"id": BUILDER}},
        }),
    )
}

/// A cosign vulnerability attestation over a Trivy report of 40 findings.
fn vuln() -> Value {
    let vulns: Vec<Value> = (0..40)
        .map(|i| {
            let severity = ["LOW", "MEDIUM", "HIGH"][i % 3];
            json!({"VulnerabilityID": format!("CVE-2026-{i:04}"), "PkgName": format!("pkg{}", i % 7),
                   "InstalledVersion": "1.0.0", "FixedVersion": "1.0.1", "Severity": severity})
        })
        .collect();
    statement(
        VULN,
        DIGEST,
        json!({
            "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.58.1", "version": "0.58.1",
                        "result": {"SchemaVersion": 2, "Results": [{"Target": "app",
                                   "Vulnerabilities": vulns}]}},
            "metadata": {"scanStartedOn": "2026-11-21T00:00:00Z",
                         "scanFinishedOn": "2026-11-21T00:00:00Z"},
        }),
    )
}

fn reference() -> Reference {
    Reference::parse(&format!("registry.company.com/app@sha256:{DIGEST}"))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn facts_text(attestations: &[Value]) -> String {
    let r = reference().to_string();
    json!({"images": {r: {"attestations": attestations}}}).to_string()
}

/// The trust rule of examples/provenance, as its atoms: provenance builder, SBOM, scan age
/// and critical count.
fn rule() -> Vec<ImageAtom> {
    vec![
        ImageAtom::AttestedStr {
            key: 0,
            field: Box::new(AttestedField::Builder),
            test: Box::new(IdentityTest::Eq(BUILDER.into())),
        },
        ImageAtom::Attested {
            key: 0,
            predicate_type: "https://spdx.dev/Document".into(),
        },
        ImageAtom::AttestedScanAge {
            key: 0,
            op: CmpOp::Le,
            seconds: 7 * 86_400,
        },
        ImageAtom::AttestedVulns {
            key: 0,
            severity: VulnSeverity::Critical,
            op: CmpOp::Lt,
            value: 1,
        },
    ]
}

fn decide(eval: &mut Evaluator<'_, '_>, rule: &[ImageAtom]) -> Tri {
    rule.iter()
        .fold(Tri::True, |acc, atom| acc.and(eval.atom(atom)))
}

fn attestations(c: &mut Criterion) {
    let key = Key::derive(7, "bench/attestations");
    let ring = KeyRing::from_set(&[KeyDef::key("ci", key.spki_der().to_vec())], &[])
        .unwrap_or_else(|(n, e)| panic!("{n}: {e}"));
    let rule = rule();
    let r = reference();

    let five = [
        envelope(&provenance(20), &key),
        envelope(&vuln(), &key),
        envelope(
            &statement(
                "https://spdx.dev/Document",
                DIGEST,
                json!({"spdxVersion": "SPDX-2.3", "name": "app"}),
            ),
            &key,
        ),
        envelope(
            &statement(
                "https://in-toto.io/attestation/test-result/v0.1",
                DIGEST,
                json!({"result": "PASSED"}),
            ),
            &key,
        ),
        envelope(
            &statement(
                "https://in-toto.io/attestation/release/v0.1",
                DIGEST,
                json!({"purl": "pkg:oci/app"}),
            ),
            &key,
        ),
    ];
    let doc =
        FactsDocument::from_json(facts_text(&five).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let view = ImageView::new(&r, doc.lookup(&r), NOW);
    let mut cache = VerificationCache::new();
    assert_eq!(
        decide(&mut Evaluator::new(view, &ring, &mut cache), &rule),
        Tri::True,
        "the fixture must be trusted"
    );
    let mut group = c.benchmark_group("attestations");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("decision, five attestations, cached", |b| {
        b.iter(|| {
            let view = ImageView::new(&r, doc.lookup(&r), NOW);
            decide(
                &mut Evaluator::new(view, &ring, &mut cache),
                black_box(&rule),
            )
        })
    });

    // About 1 MiB of provenance.
    let big = facts_text(&[envelope(&provenance(5_400), &key)]);
    assert!(
        (1 << 20..(1 << 20) + (1 << 18)).contains(&big.len()),
        "{} bytes",
        big.len()
    );
    let builder = &rule[..1];
    group.bench_function("1 MiB provenance: parse and verify", |b| {
        b.iter(|| {
            let doc = FactsDocument::from_json(black_box(big.as_bytes()))
                .unwrap_or_else(|e| panic!("{e}"));
            let view = ImageView::new(&r, doc.lookup(&r), NOW);
            let mut cache = VerificationCache::new();
            let got = decide(&mut Evaluator::new(view, &ring, &mut cache), builder);
            assert_eq!(got, Tri::True);
        })
    });
    group.finish();
}

criterion_group!(benches, attestations);
criterion_main!(benches);
