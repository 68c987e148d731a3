//! `bona check` and `bona table` on keys and signers (docs/signatures.md): a trust root that cannot be read
//! or has expired, and the signers `bona table` lists.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bona(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bona"))
        .args(args)
        .output()
        .expect("run bona")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write");
    p
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

const ROOT: &str = include_str!("../../tests/diagnostics/roots/trusted_root.json");
const EXPIRED_ROOT: &str = include_str!("../../tests/diagnostics/roots/expired_root.json");
const RELEASE_PUB: &str = include_str!("../../tests/diagnostics/keys/release.pub");

const SIGNERS: &str = r#"
trustroot sigstore = file("trusted_root.json")

key release_ci = keyless {
  root sigstore
  issuer == "https://token.actions.githubusercontent.com"
  subject matches "https://github.com/company/*/.github/workflows/release.yml@refs/tags/v*"
  source_repository_uri in ["https://github.com/company/app", "https://github.com/company/lib"]
  runner_environment != "self-hosted"
}

key release = file("release.pub") { tlog sigstore }

policy "p" {
  action prevent
  on unknown prevent
  trust signed by release_ci or signed by 2 of [release, release_ci]
}
"#;

fn workspace(root: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "trusted_root.json", root);
    write(dir.path(), "release.pub", RELEASE_PUB);
    write(dir.path(), "set.trust", SIGNERS);
    dir
}

#[test]
fn check_warns_on_an_expired_trust_root_and_fails_on_a_bad_one() {
    let dir = workspace(ROOT);
    let out = bona(&["check", s(dir.path())]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));

    let dir = workspace(EXPIRED_ROOT);
    let out = bona(&["check", s(dir.path())]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning[W0005]: trust root `sigstore` is out of date: every transparency log key's `validFor` has ended"),
        "{stderr}"
    );

    let dir = workspace("{\"tlogs\": [{\"publicKey\": {\"rawBytes\": \"bm90IGEga2V5\"}}]}");
    let out = bona(&["check", s(dir.path())]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[E0405]"), "{stderr}");
    assert!(stderr.contains("tlogs[0].publicKey.rawBytes"), "{stderr}");
    assert!(stderr.contains("set.trust:2:27"), "{stderr}");

    std::fs::remove_file(dir.path().join("trusted_root.json")).expect("remove");
    let out = bona(&["check", s(dir.path())]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[E0404]: cannot read trust root file"),
        "{stderr}"
    );
}

#[test]
fn table_lists_every_signer_with_its_root_and_constraints() {
    let dir = workspace(ROOT);
    let out = bona(&["table", s(dir.path()), "--format", "table"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("  trust  signed by release_ci or signed by 2 of [release, release_ci]\n"),
        "{stdout}"
    );
    let signers = &stdout[stdout.find("signer ").unwrap_or(0)..];
    assert_eq!(
        signers,
        "signer release  key, tlog sigstore\n\
         signer release_ci  keyless, root sigstore\n\
         \x20 issuer == \"https://token.actions.githubusercontent.com\"\n\
         \x20 subject matches \"https://github.com/company/*/.github/workflows/release.yml@refs/tags/v*\"\n\
         \x20 source_repository_uri in [\"https://github.com/company/app\", \"https://github.com/company/lib\"]\n\
         \x20 runner_environment != \"self-hosted\"\n"
    );

    let out = bona(&["table", s(dir.path()), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(doc["trust_roots"], serde_json::json!(["sigstore"]));
    assert_eq!(
        doc["signers"][0],
        serde_json::json!({ "name": "release", "kind": "key", "tlog": "sigstore" })
    );
    assert_eq!(doc["signers"][1]["kind"], "keyless");
    assert_eq!(doc["signers"][1]["root"], "sigstore");
    assert_eq!(
        doc["signers"][1]["identity"][0],
        "issuer == \"https://token.actions.githubusercontent.com\""
    );
}

/// The keyless signer of the spec's example, compiled from source and evaluated against a
/// private Sigstore's signature: what the front end lowers (attribute names, root index, globs)
/// is what the runtime verifies.
#[test]
fn a_keyless_signer_verifies_a_testkit_signature_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    bona_testkit::fixtures::write_dir(1, dir.path()).expect("fixtures");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).expect("manifest"))
            .expect("json");
    let case = manifest["cases"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["id"] == "good-message-v0.1"))
        .expect("the good v0.1 case");
    let issuer = case["issuer"].as_str().expect("issuer");
    let facts = dir
        .path()
        .join(case["files"]["facts"].as_str().expect("facts"));
    let image = manifest["image"].as_str().expect("image");
    let input = write(
        dir.path(),
        "input.json",
        serde_json::json!({
            "time": "2026-03-01T12:05:00Z",
            "asset": { "name": "api" },
            "images": [{ "ref": image }],
        })
        .to_string(),
    );
    // A second root, without the testkit's CA and log, sorts first: a signer anchored in the
    // wrong index would not verify.
    write(dir.path(), "other.json", ROOT);
    let decide = |root: &str, subject: &str| {
        let policy = format!(
            "trustroot sigstore = file(\"trusted_root.json\")\n\
             trustroot other = file(\"other.json\")\n\
             key ci = keyless {{\n  root {root}\n  issuer == \"{issuer}\"\n  subject matches \"{subject}\"\n}}\n\
             policy \"signed\" {{\n  action prevent\n  on unknown prevent\n  trust signed by 1 of [ci]\n}}\n"
        );
        let p = write(dir.path(), "p.trust", policy);
        let out = bona(&[
            "eval",
            "--policy",
            s(&p),
            "--input",
            s(&input),
            "--facts",
            s(&facts),
            "--format",
            "json",
        ]);
        let doc: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)));
        (
            doc["decision"].as_str().unwrap_or_default().to_owned(),
            doc["images"][0]["policies"][0]["reasons"].to_string(),
        )
    };
    let company = "https://github.com/company/*/.github/workflows/release.yml@refs/tags/v*";
    let (decision, reasons) = decide("sigstore", company);
    assert_eq!(decision, "allow", "{reasons}");
    let (decision, reasons) = decide("other", company);
    assert_eq!(decision, "prevent");
    assert!(reasons.contains("not in trust root `other`"), "{reasons}");
    let (decision, reasons) = decide(
        "sigstore",
        "https://github.com/evil/*/.github/workflows/release.yml@refs/tags/v*",
    );
    assert_eq!(decision, "prevent");
    assert!(reasons.contains("does not match"), "{reasons}");
}
