//! Keyed DSSE attestations made by an independent implementation: Python's `in-toto-attestation`
//! builds the statements and `securesystemslib` signs them with ECDSA P-256, Ed25519 and RSA
//! keys (`tests/dsse-python/attest.py`, which also checks each envelope with securesystemslib's
//! own verifier). `bona eval` must read every attribute of them (SLSA v1 from the generic
//! GitHub generator, SLSA v0.2 from Cloud Build, a cosign vuln predicate around a real Trivy
//! report of `tests/trivy/`) and count exactly what securesystemslib verifies: the tampered
//! envelopes and the provenance of another image count for nothing.
//!
//! Needs the virtual environment `scripts/install-test-tools.sh` makes; without it this test
//! only says so, unless `BONA_REQUIRE_TOOLS=1`.

use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::xcheck;

const DIGEST: &str = "f1886655a34cbee6f5486f1932541e22f4aeae23b8638e7e0302d8d6707e116f";

const POLICY: &str = r#"
key p256 = file("p256.pub.pem")
key ed = file("ed25519.pub.pem")
key rsa = file("rsa.pub.pem")

policy "v1 builder" {
  action issue
  trust provenance(p256).builder == "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.0.0"
}
policy "v1 source and ref" {
  action issue
  trust provenance(p256).source == "github.com/company/app" and provenance(p256).ref == "refs/tags/v1.4.0"
}
policy "v1 build type" {
  action issue
  trust provenance(p256).build_type == "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"
}
policy "v0.2 builder and type" {
  action issue
  trust provenance(ed).builder == "https://cloudbuild.googleapis.com/GoogleHostedWorker"
    and provenance(ed).build_type == "https://cloudbuild.googleapis.com/CloudBuildYaml@v0.1"
}
policy "v0.2 source and ref" {
  action issue
  trust provenance(ed).source == "gitlab.company.com/platform/app" and provenance(ed).ref == "refs/tags/v2.0.1"
}
policy "v0.2 without https" {
  action issue
  trust attested(ed, "slsa.dev/provenance/v0.2")
}
policy "vuln counts" {
  action issue
  trust vuln(rsa).critical == 2 and vuln(rsa).high == 2 and vuln(rsa).medium == 4 and vuln(rsa).low == 3
}
policy "vuln scanner and age" {
  action issue
  trust vuln(rsa).scanner == "pkg:github/aquasecurity/trivy@0.58.1" and vuln(rsa).scan.age <= 1d
}
policy "predicate path" {
  action issue
  trust predicate(p256, "https://slsa.dev/provenance/v1", "runDetails.metadata.invocationId") == "https://github.com/company/app/actions/runs/1/attempts/1"
}
"#;

const POLICIES: [&str; 9] = [
    "v1 builder",
    "v1 source and ref",
    "v1 build type",
    "v0.2 builder and type",
    "v0.2 source and ref",
    "v0.2 without https",
    "vuln counts",
    "vuln scanner and age",
    "predicate path",
];

fn entry(dir: &std::path::Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).expect("read"))
        .expect("an entry")
}

#[test]
fn bona_reads_and_verifies_keyed_dsse_attestations_made_by_securesystemslib() {
    let python = xcheck::python_venv().join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import in_toto_attestation, securesystemslib"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        xcheck::tool_missing("no Python venv with in-toto-attestation and securesystemslib");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let report = xcheck::repo().join("tests/trivy/reports/image-v1.json");
    xcheck::run_bounded(
        Command::new(&python)
            .arg(xcheck::repo().join("tests/dsse-python/attest.py"))
            .arg(dir.path())
            .arg(DIGEST)
            .arg(&report),
        Duration::from_secs(60),
    )
    .expect("attest.py signs");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).expect("manifest"))
            .expect("manifest json");
    std::fs::write(dir.path().join("set.trust"), POLICY).expect("write policy");

    let good = ["provenance-v1", "provenance-v02", "vuln"];
    let image = |entries: Vec<Value>| {
        json!({"ref": format!("127.0.0.1:5055/demo/app@sha256:{DIGEST}"),
               "facts": {"attestations": entries}})
    };
    let tampered: Vec<Value> = good
        .iter()
        .map(|n| entry(dir.path(), &format!("{n}-tampered")))
        .collect();
    let input = json!({
        // Half a day after the report's CreatedAt.
        "time": "2026-11-26T00:00:00Z",
        "asset": {"namespace": "payments", "name": "api"},
        "images": [
            image(good.iter().map(|n| entry(dir.path(), n)).collect()),
            image(tampered),
            image(vec![entry(dir.path(), "provenance-other-image")]),
        ],
    });
    std::fs::write(dir.path().join("input.json"), input.to_string()).expect("write input");
    for name in good {
        assert_eq!(manifest[name]["securesystemslib"], true, "{name}");
        assert_eq!(
            manifest[format!("{name}-tampered")]["securesystemslib"],
            false
        );
    }

    let out = Command::new(env!("CARGO_BIN_EXE_bona"))
        .current_dir(dir.path())
        .args([
            "eval",
            "--policy",
            "set.trust",
            "--input",
            "input.json",
            "--format",
            "json",
        ])
        .output()
        .expect("run bona");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let result = |i: usize, policy: &str| -> String {
        doc["images"][i]["policies"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["policy"] == policy))
            .map(|p| p["result"].as_str().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("no {policy} for image {i}: {doc}"))
    };
    for policy in POLICIES {
        assert_eq!(result(0, policy), "trusted", "{policy}: {doc:#}");
        assert_eq!(
            result(1, policy),
            "untrusted",
            "tampered, {policy}: {doc:#}"
        );
    }
    assert_eq!(
        result(2, "v1 builder"),
        "untrusted",
        "another image: {doc:#}"
    );
}
