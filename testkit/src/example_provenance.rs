//! The data of `examples/provenance/`: signed attestations for seven images — SLSA v1 build
//! provenance and an SPDX SBOM signed keyless by the release workflow (Sigstore bundles from
//! the private Sigstore of seed 1), and a cosign vulnerability attestation over a Trivy report
//! signed by the scanner's key (a DSSE envelope as cosign's `.att` layers carry it) — with
//! admission inputs and one `test` block per image. Deterministic: writing again gives the
//! same bytes (`cli/tests/examples.rs` checks that the committed files are what
//! [`write_provenance`] writes).

use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::example::{input, literal};
use crate::fixtures::{self, Variant};
use crate::keys::Key;
use crate::sigstore::{PrivateSigstore, pae};
use crate::{b64, canonical_json, hex};

const REPO: &str = "registry.company.com/app";
const IN_TOTO: &str = "application/vnd.in-toto+json";
const BUILDER: &str = "https://github.com/actions/runner/github-hosted";

/// What one image's attestations say, and how it should fare.
struct Image {
    name: &'static str,
    story: &'static str,
    /// The provenance's source ref.
    git_ref: &'static str,
    /// The provenance is about another image.
    provenance_for_other: bool,
    /// When the scan finished, and how many critical vulnerabilities it found.
    scanned: &'static str,
    critical: usize,
    /// The scan was signed by a key the policy does not name.
    forged_scan: bool,
    sbom: bool,
}

const GOOD: Image = Image {
    name: "app",
    story: "built by the release workflow from a tag, scanned yesterday, with an SBOM",
    git_ref: "refs/tags/v1.4.0",
    provenance_for_other: false,
    scanned: "2026-11-21T06:00:00Z",
    critical: 0,
    forged_scan: false,
    sbom: true,
};

const IMAGES: &[Image] = &[
    GOOD,
    Image {
        name: "stale-scan",
        story: "its last scan is twelve days old",
        scanned: "2026-11-10T00:00:00Z",
        ..GOOD
    },
    Image {
        name: "critical",
        story: "the scan found a critical vulnerability",
        critical: 1,
        ..GOOD
    },
    Image {
        name: "branch",
        story: "built from a branch, not a release tag",
        git_ref: "refs/heads/experiment",
        ..GOOD
    },
    Image {
        name: "borrowed-provenance",
        story: "its provenance is another image's",
        provenance_for_other: true,
        ..GOOD
    },
    Image {
        name: "forged-scan",
        story: "its scan is signed by a key that is not the scanner's",
        forged_scan: true,
        ..GOOD
    },
    Image {
        name: "no-sbom",
        story: "no SBOM was attested",
        sbom: false,
        ..GOOD
    },
];

/// The digest of an image of the example: each has its own.
fn digest_of(name: &str) -> [u8; 32] {
    Sha256::digest(format!("examples/provenance/{name}")).into()
}

fn statement(digest: &[u8; 32], predicate_type: &str, predicate: Value) -> Vec<u8> {
    canonical_json(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": REPO, "digest": {"sha256": hex(digest)}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }))
    .into_bytes()
}

/// SLSA v1 provenance as GitHub's `actions/attest-build-provenance` writes it.
fn provenance(git_ref: &str) -> Value {
    let commit = hex(&Sha256::digest(git_ref)[..20]);
    json!({
        "buildDefinition": {
            "buildType": "https://actions.github.io/buildtypes/workflow/v1",
            "externalParameters": {"workflow": {
                "ref": git_ref,
                "repository": "https://github.com/company/app",
                "path": ".github/workflows/release.yml",
            }},
            "internalParameters": {"github": {
                "event_name": "push",
                "repository_id": "100001",
                "repository_owner_id": "200002",
                "runner_environment": "github-hosted",
            }},
            "resolvedDependencies": [{
                "uri": format!("git+https://github.com/company/app@{git_ref}"),
                "digest": {"gitCommit": commit},
            }],
        },
        "runDetails": {
            "builder": {"id": BUILDER},
            "metadata": {"invocationId":
                "https://github.com/company/app/actions/runs/300003/attempts/1"},
        },
    })
}

/// Cosign's vulnerability predicate over a Trivy report of the image.
fn vuln(digest: &[u8; 32], scanned: &str, critical: usize) -> Value {
    let mut vulnerabilities = vec![json!({
        "VulnerabilityID": "CVE-2026-0001", "PkgName": "libexpat", "InstalledVersion": "2.6.2-r0",
        "FixedVersion": "2.6.3-r0", "Severity": "MEDIUM",
    })];
    for i in 0..critical {
        vulnerabilities.push(json!({
            "VulnerabilityID": format!("CVE-2026-10{i:02}"), "PkgName": "openssl",
            "InstalledVersion": "3.3.1-r0", "FixedVersion": "3.3.2-r0", "Severity": "CRITICAL",
        }));
    }
    let report = json!({
        "SchemaVersion": 2,
        "CreatedAt": scanned,
        "ArtifactName": format!("{REPO}@sha256:{}", hex(digest)),
        "ArtifactType": "container_image",
        "Metadata": {"RepoDigests": [format!("{REPO}@sha256:{}", hex(digest))]},
        "Results": [{"Target": "registry.company.com/app (alpine 3.20.2)", "Class": "os-pkgs",
                     "Type": "alpine", "Vulnerabilities": vulnerabilities}],
    });
    json!({
        "invocation": {"parameters": null, "uri": "", "event_id": "", "builder.id": ""},
        "scanner": {"uri": "pkg:github/aquasecurity/trivy@0.58.1", "version": "0.58.1",
                    "db": {"uri": "", "version": ""}, "result": report},
        "metadata": {"scanStartedOn": scanned, "scanFinishedOn": scanned},
    })
}

/// An SPDX 2.3 document naming the image.
fn sbom(name: &str) -> Value {
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{REPO}-{name}"),
        "documentNamespace": format!("https://company.example/spdx/{name}"),
        "creationInfo": {"created": "2026-11-20T00:00:00Z", "creators": ["Tool: syft-1.18.0"]},
        "packages": [{"name": "libexpat", "SPDXID": "SPDXRef-Package-apk-libexpat",
                      "versionInfo": "2.6.2-r0", "downloadLocation": "NOASSERTION"}],
    })
}

/// A DSSE envelope signed by `key`, as a keyed attestation entry.
fn keyed(statement: &[u8], key: &Key) -> Value {
    let sig = key.sign(&pae(IN_TOTO, statement));
    json!({"envelope": {
        "payloadType": IN_TOTO,
        "payload": b64(statement),
        "signatures": [{"keyid": "", "sig": b64(&sig)}],
    }})
}

/// A Sigstore bundle signed keyless by the release workflow, as an attestation entry.
fn keyless(ss: &PrivateSigstore, n: usize, statement: Vec<u8>) -> Value {
    fixtures::build_attestation(ss, Variant::GoodDsseV03, n, statement).bundle_entry
}

/// The scanner's key pair.
pub fn scanner_key() -> Key {
    Key::derive(1, "examples/provenance/scanner")
}

/// Writes the example's data files into `dir`.
///
/// # Errors
/// When a file cannot be written.
pub fn write_provenance(dir: &Path) -> std::io::Result<()> {
    let ss = PrivateSigstore::new(1);
    let write_json = |name: &str, v: &Value| {
        std::fs::write(
            dir.join(name),
            serde_json::to_string_pretty(v).unwrap_or_default() + "\n",
        )
    };
    write_json("trusted_root.json", &ss.trusted_root())?;
    let scanner = scanner_key();
    std::fs::write(dir.join("scanner.pub"), scanner.public_pem())?;
    let intruder = Key::derive(1, "examples/provenance/intruder");

    let mut facts = serde_json::Map::new();
    let mut refs = Vec::new();
    let mut tests = String::from(
        "# Generated by `cargo run -p bona-testkit --bin example-provenance -- examples/provenance`\n\
         # (then `bona fmt`) from the private Sigstore of bona-testkit (seed 1): do not edit.\n",
    );
    for (n, image) in IMAGES.iter().enumerate() {
        let digest = digest_of(image.name);
        let built = if image.provenance_for_other {
            digest_of("another image")
        } else {
            digest
        };
        let mut attestations = vec![
            keyless(
                &ss,
                2 * n,
                statement(
                    &built,
                    "https://slsa.dev/provenance/v1",
                    provenance(image.git_ref),
                ),
            ),
            keyed(
                &statement(
                    &digest,
                    "https://cosign.sigstore.dev/attestation/vuln/v1",
                    vuln(&digest, image.scanned, image.critical),
                ),
                if image.forged_scan {
                    &intruder
                } else {
                    &scanner
                },
            ),
        ];
        if image.sbom {
            attestations.push(keyless(
                &ss,
                2 * n + 1,
                statement(&digest, "https://spdx.dev/Document", sbom(image.name)),
            ));
        }
        let r = format!("{REPO}@sha256:{}", hex(&digest));
        let image_facts = json!({ "attestations": attestations });
        facts.insert(r.clone(), image_facts.clone());
        let expect = if image.name == GOOD.name {
            format!("expect allow\n  expect trusted \"{r}\"\n  expect issues runtime 0")
        } else {
            format!("expect prevent\n  expect untrusted \"{r}\"\n  expect issues runtime 1")
        };
        let case = input(std::slice::from_ref(&r));
        let mut case_with_facts = case.clone();
        case_with_facts["images"][0]["facts"] = image_facts;
        tests.push_str(&format!(
            "\ntest \"{}: {}\" {{\n  input {}\n  {expect}\n}}\n",
            image.name,
            image.story,
            literal(&case_with_facts, 2)
        ));
        write_json(&format!("{}.json", image.name), &case)?;
        refs.push(r);
    }
    write_json("facts.json", &json!({ "images": facts }))?;
    write_json("mixed.json", &input(&refs))?;
    std::fs::write(dir.join("tests.trust"), tests)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-11-22T00:00:00Z";

    #[test]
    fn the_example_input_is_evaluated_after_every_scan_and_signature() {
        for image in IMAGES {
            assert!(image.scanned < NOW, "{}", image.name);
        }
        assert_eq!(input(&[]).get("time").and_then(Value::as_str), Some(NOW));
    }
}
