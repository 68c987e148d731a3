//! `bona eval` on attestation attributes (docs/attestations.md), end to end: a policy written
//! in `.trust` syntax, keyed DSSE attestations made here with a testkit key, and the three
//! values per policy in the JSON output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bona_testkit::b64;
use bona_testkit::keys::Key;
use serde_json::{Value, json};

fn bona(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bona"))
        .args(args)
        .output()
        .expect("run bona")
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write");
    p
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

const D1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const D2: &str = "2222222222222222222222222222222222222222222222222222222222222222";
const D3: &str = "3333333333333333333333333333333333333333333333333333333333333333";

/// One policy per attribute, `issue` so that an unknown result is reported as such.
const POLICY: &str = r#"
key release = file("release.pub")

policy "attested" {
  action issue
  trust attested(release, "https://slsa.dev/provenance/v1")
}

policy "builder" {
  action issue
  trust provenance(release).builder == "https://ci.example.com"
}

policy "critical" {
  action issue
  trust vuln(release).critical < 1
}

policy "fresh" {
  action issue
  trust vuln(release).scan.age <= 7d
}
"#;

fn statement(predicate_type: &str, digest: &str, predicate: Value) -> Value {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "registry.company.com/app", "digest": {"sha256": digest}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    })
}

/// `DSSEv1 <len> <type> <len> <payload>`, written out here so that the test does not lean on
/// the verifier's own encoder.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

fn envelope(statement: &Value, key: &Key) -> Value {
    let payload = statement.to_string().into_bytes();
    let sig = key.sign(&pae("application/vnd.in-toto+json", &payload));
    json!({"envelope": {
        "payloadType": "application/vnd.in-toto+json",
        "payload": b64(&payload),
        "signatures": [{"keyid": "", "sig": b64(&sig)}],
    }})
}

fn provenance(digest: &str, builder: &str) -> Value {
    statement(
        "https://slsa.dev/provenance/v1",
        digest,
        json!({
            "buildDefinition": {"buildType": "https://example.com/build/v1"},
            "runDetails": {"builder": {"id": builder}},
        }),
    )
}

fn vuln(digest: &str, finished: &str, critical: usize) -> Value {
    let vulns: Vec<Value> = (0..critical)
        .map(|i| {
            json!({"VulnerabilityID": format!("CVE-2026-{i}"), "PkgName": "openssl",
                   "Severity": "CRITICAL"})
        })
        .collect();
    statement(
        "https://cosign.sigstore.dev/attestation/vuln/v1",
        digest,
        json!({
            "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.58.0", "version": "0.58.0",
                        "result": {"SchemaVersion": 2, "Results": [{"Vulnerabilities": vulns}]}},
            "metadata": {"scanStartedOn": finished, "scanFinishedOn": finished},
        }),
    )
}

/// The `result` of `policy` for image `i` of the output.
fn result<'a>(doc: &'a Value, i: usize, policy: &str) -> &'a Value {
    let policies = doc["images"][i]["policies"]
        .as_array()
        .unwrap_or_else(|| panic!("no policies for image {i}: {doc}"));
    let p = policies
        .iter()
        .find(|p| p["policy"] == policy)
        .unwrap_or_else(|| panic!("no policy {policy} for image {i}: {doc}"));
    &p["result"]
}

#[test]
fn eval_reads_attestations_through_the_trust_syntax() {
    let key = Key::derive(1, "x");
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "release.pub", key.public_pem());
    let policy = write(dir.path(), "set.trust", POLICY);

    let good = vec![
        envelope(&provenance(D1, "https://ci.example.com"), &key),
        envelope(&vuln(D1, "2026-11-20T00:00:00Z", 0), &key),
    ];
    // Attestations are given, but no provenance and a stale scan with findings.
    let bad = vec![envelope(&vuln(D2, "2026-11-01T00:00:00Z", 2), &key)];
    let input = json!({
        "time": "2026-11-22T00:00:00Z",
        "asset": {"namespace": "payments", "name": "api"},
        "images": [
            {"ref": format!("registry.company.com/app@sha256:{D1}"),
             "facts": {"attestations": good}},
            {"ref": format!("registry.company.com/app@sha256:{D2}"),
             "facts": {"attestations": bad}},
            {"ref": format!("registry.company.com/app@sha256:{D3}"),
             "facts": {"scanned": true}},
        ],
    });
    let input = write(dir.path(), "input.json", input.to_string());

    let out = bona(&[
        "eval",
        "--policy",
        s(&policy),
        "--input",
        s(&input),
        "--format",
        "json",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");

    for policy in ["attested", "builder", "critical", "fresh"] {
        assert_eq!(result(&doc, 0, policy), "trusted", "{policy}: {doc}");
        assert_eq!(result(&doc, 1, policy), "untrusted", "{policy}: {doc}");
        assert_eq!(result(&doc, 2, policy), "unknown", "{policy}: {doc}");
    }
}

#[test]
fn check_reports_a_misspelt_attestation_field() {
    let key = Key::derive(1, "x");
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "release.pub", key.public_pem());
    write(
        dir.path(),
        "set.trust",
        "key release = file(\"release.pub\")\npolicy \"p\" {\n  action prevent\n  trust vuln(release).critcal < 1\n}\n",
    );
    let out = bona(&["check", s(dir.path())]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[E0312]"), "{stderr}");
    assert!(stderr.contains("did you mean `critical`?"), "{stderr}");
}

fn trivy_report(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/trivy/reports")
        .join(name)
}

/// `bona facts trivy --attestation` → signed → `vuln(K)` reads back exactly the counts and scan
/// time that `bona facts trivy` writes for the same real Trivy report.
#[test]
fn a_trivy_attestation_reads_back_as_the_facts_trivy_counts() {
    let key = Key::derive(1, "scanner");
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "scanner.pub", key.public_pem());
    let mut policy = String::from("key scanner = file(\"scanner.pub\")\n");
    for (i, field) in ["critical", "high", "medium", "low"].iter().enumerate() {
        // Each count is pinned from both sides by the facts below.
        policy.push_str(&format!(
            "policy \"{field}\" {{\n  action issue\n  trust vuln(scanner).{field} == C{i}\n}}\n"
        ));
    }
    policy.push_str(
        "policy \"fresh\" {\n  action issue\n  trust vuln(scanner).scan.age <= 1d\n}\n\
         policy \"trivy\" {\n  action issue\n  trust vuln(scanner).scanner == \"pkg:github/aquasecurity/trivy\"\n}\n",
    );
    for name in ["image-v1.json", "image-v2.json"] {
        let report = trivy_report(name);
        let facts = bona(&["facts", "trivy", s(&report)]);
        assert_eq!(facts.status.code(), Some(0), "{name}");
        let facts: Value = serde_json::from_slice(&facts.stdout).expect("facts json");
        let (digest, entry) = facts["images"]
            .as_object()
            .and_then(|m| m.iter().find(|(k, _)| k.starts_with("sha256:")))
            .expect("an entry by digest");
        let counts = &entry["scan"]["vulnerabilities"];
        let mut policy = policy.clone();
        for (i, field) in ["critical", "high", "medium", "low"].iter().enumerate() {
            policy = policy.replace(&format!("C{i}"), &counts[field].to_string());
        }
        let policy = write(dir.path(), "set.trust", policy);

        let st_path = dir.path().join("statement.json");
        let out = bona(&[
            "facts",
            "trivy",
            s(&report),
            "--attestation",
            "-o",
            s(&st_path),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let statement: Value =
            serde_json::from_slice(&std::fs::read(&st_path).expect("read")).expect("statement");
        assert_eq!(statement["subject"][0]["digest"]["sha256"], digest[7..]);
        let finished = statement["predicate"]["metadata"]["scanFinishedOn"]
            .as_str()
            .expect("scan time");
        assert_eq!(finished, entry["scan"]["finished_at"], "{name}");

        let image = |d: &str, att: &Value| {
            json!({"ref": format!("127.0.0.1:5055/demo/app@{d}"),
                   "facts": {"attestations": [att]}})
        };
        let input = json!({
            // Half a day after the scan: fresh.
            "time": "2026-11-26T00:00:00Z",
            "asset": {"namespace": "payments", "name": "api"},
            "images": [
                image(digest, &envelope(&statement, &key)),
                // Signed by another key: nothing counts.
                image(digest, &envelope(&statement, &Key::derive(2, "other"))),
            ],
        });
        let input = write(dir.path(), "input.json", input.to_string());
        let out = bona(&[
            "eval",
            "--policy",
            s(&policy),
            "--input",
            s(&input),
            "--format",
            "json",
        ]);
        let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
        for p in ["critical", "high", "medium", "low", "fresh", "trivy"] {
            assert_eq!(result(&doc, 0, p), "trusted", "{name} {p}: {doc}");
            assert_eq!(result(&doc, 1, p), "untrusted", "{name} {p}: {doc}");
        }
    }
}

#[test]
fn facts_trivy_predicate_is_the_statements_predicate_and_bad_uses_exit_2() {
    let report = trivy_report("image-v1.json");
    let st = bona(&["facts", "trivy", s(&report), "--attestation"]);
    let pr = bona(&["facts", "trivy", s(&report), "--predicate"]);
    assert_eq!((st.status.code(), pr.status.code()), (Some(0), Some(0)));
    let st: Value = serde_json::from_slice(&st.stdout).expect("statement");
    let pr: Value = serde_json::from_slice(&pr.stdout).expect("predicate");
    assert_eq!(st["predicate"], pr);
    assert_eq!(
        st["predicateType"],
        "https://cosign.sigstore.dev/attestation/vuln/v1"
    );

    // Two reports: one attestation describes one scan.
    let two = bona(&["facts", "trivy", s(&report), s(&report), "--attestation"]);
    assert_eq!(two.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&two.stderr).contains("take one report (got 2)"));
    // A report that lists no digest cannot bind a subject.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("read")).expect("json");
    doc["Metadata"]["RepoDigests"] = json!([]);
    let nodigest = write(dir.path(), "nodigest.json", doc.to_string());
    let out = bona(&["facts", "trivy", s(&nodigest), "--attestation"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("nodigest.json: Metadata.RepoDigests"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        bona(&["facts", "trivy", s(&report), "--attestation", "--predicate"])
            .status
            .code(),
        Some(2)
    );
}

/// A real cosign attestation (`cosign attest --new-bundle-format`, in-toto Statement v0.1,
/// from cosign's own test data in the third-party corpus): it counts for its signer and its
/// image only, and its predicate is read.
#[test]
fn a_real_cosign_attestation_counts_for_its_identity_and_image() {
    let Some(corpus) = crate::conformance_real::corpus("sigstore", Some("manifest.json")) else {
        return;
    };
    let case = corpus.join("extra/cosign-oci-attestation");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        case.join("trusted_root.json"),
        dir.path().join("trusted_root.json"),
    )
    .expect("copy the trust root");
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(case.join("bundle.sigstore.json")).expect("read"))
            .expect("bundle");
    let policy = write(
        dir.path(),
        "set.trust",
        r#"trustroot pgi = file("trusted_root.json")
key cody = keyless {
  issuer == "https://github.com/login/oauth"
  subject == "cody@soyland.com"
}
key someone = keyless {
  issuer == "https://github.com/login/oauth"
  subject == "someone@soyland.com"
}
policy "attested" {
  action issue
  trust attested(cody, "cosign.sigstore.dev/attestation/v1")
}
policy "timestamp" {
  action issue
  trust predicate(cody, "https://cosign.sigstore.dev/attestation/v1", "Timestamp") == "2025-02-28T19:18:11Z"
}
policy "someone" {
  action issue
  trust attested(someone, "https://cosign.sigstore.dev/attestation/v1")
}
"#,
    );
    let digest = "732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
    let image = |d: &str| {
        json!({"ref": format!("127.0.0.1:60943/repo@sha256:{d}"),
               "facts": {"attestations": [{"bundle": bundle}]}})
    };
    let input = json!({
        "asset": {"namespace": "n", "name": "p"},
        "images": [image(digest), image(D1)],
    });
    let input = write(dir.path(), "input.json", input.to_string());
    let out = bona(&[
        "eval",
        "--policy",
        s(&policy),
        "--input",
        s(&input),
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(result(&doc, 0, "attested"), "trusted", "{doc:#}");
    assert_eq!(result(&doc, 0, "timestamp"), "trusted", "{doc:#}");
    assert_eq!(result(&doc, 0, "someone"), "untrusted", "{doc:#}");
    assert_eq!(result(&doc, 1, "attested"), "untrusted", "{doc:#}");
    assert_eq!(result(&doc, 1, "timestamp"), "untrusted", "{doc:#}");
}
