//! Attestation conformance cases for `tests/conformance/` (docs/attestations.md):
//! one `attest-*` case per attribute row, predicate-type spelling, entry form (keyed DSSE
//! envelope, keyless envelope with certificate and log entry, Sigstore v0.3 bundle) and
//! tri-state rule, and the pool of signed attestations the Python oracle draws from
//! (`tests/oracle/atts/table.json`). Deterministic: ECDSA is RFC 6979, so
//! `conformance-keyless DIR` writes the same bytes again.
//!
//! Keyed attestations are signed with the corpus's OpenSSL keys (`_keys/release.key`,
//! `_keys/other.key`), so the policies read `../_keys/release.pub`. Each case's expectation is
//! written here from the documented rule that its comment quotes, never from running Bona.

use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::conformance::{expect_of, input, pretty};
use crate::keys::Key;
use crate::rekor::{Log, dsse_body, hashedrekord_body};
use crate::sigstore::{
    BundleVersion, Content, GITHUB_ISSUER, IN_TOTO_PAYLOAD_TYPE, PrivateSigstore, Proofs,
    REKOR_NAME, SIGN_TIME, bundle_json, github_identity, pae, tlog_entry_json,
};
use crate::x509::{LeafSpec, SctMode, issue_leaf};
use crate::{b64, canonical_json, hex};

const POLICY: &str = "attestation";
const REPO: &str = "registry.company.com/app";
/// Image A of the corpus.
pub const DA: &str = "e82163ee11ade5d4acfd7675b1f55ec44d737851d4aeaa4742e4c20d87cb5228";
/// Image B of the corpus.
pub const DB: &str = "9b1b895437502f7e0868d568f6788e85ab72495116f688b1baf66be0b87b7105";

pub const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
pub const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
pub const VULN: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
pub const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";
pub const GITHUB_BUILD_TYPE: &str =
    "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1";
pub const GITHUB_RUNNER: &str = "https://github.com/actions/runner/github-hosted";
/// A custom predicate type, read with `predicate(K, "TYPE", "a.b.c")`.
pub const REVIEW: &str = "https://example.com/attestation/review/v1";

/// An ECDSA P-256 key of the corpus, read from its OpenSSL `EC PRIVATE KEY` file.
#[derive(Clone)]
pub struct FileKey(p256::ecdsa::SigningKey);

impl FileKey {
    fn from_sec1_pem(pem: &str) -> FileKey {
        // INVARIANT: the corpus's key files are P-256 SEC1 PEM (checked by the tests).
        let secret = p256::SecretKey::from_sec1_pem(pem).expect("a P-256 SEC1 PEM key");
        FileKey(p256::ecdsa::SigningKey::from(secret))
    }

    /// `_keys/release.key`.
    pub fn release() -> FileKey {
        FileKey::from_sec1_pem(include_str!("../../tests/conformance/_keys/release.key"))
    }

    /// `_keys/other.key`.
    pub fn other() -> FileKey {
        FileKey::from_sec1_pem(include_str!("../../tests/conformance/_keys/other.key"))
    }

    /// ECDSA P-256 SHA-256 over `msg`, DER (deterministic, RFC 6979).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer;
        let sig: p256::ecdsa::Signature = self.0.sign(msg);
        sig.to_der().as_bytes().to_vec()
    }
}

/// An in-toto v1 statement about `subjects` (`(algorithm, hex)`), canonical JSON.
pub fn statement(subjects: &[(&str, &str)], predicate_type: &str, predicate: Value) -> Vec<u8> {
    let subject: Vec<Value> = subjects
        .iter()
        .map(|(alg, hex)| json!({"name": REPO, "digest": {*alg: *hex}}))
        .collect();
    canonical_json(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subject,
        "predicateType": predicate_type,
        "predicate": predicate,
    }))
    .into_bytes()
}

/// A keyed attestation entry: a DSSE envelope over `payload` signed by `key`.
pub fn keyed(payload: &[u8], key: &FileKey) -> Value {
    let sig = key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, payload));
    json!({"envelope": {
        "payloadType": IN_TOTO_PAYLOAD_TYPE,
        "payload": b64(payload),
        "signatures": [{"keyid": "", "sig": b64(&sig)}],
    }})
}

/// `entry` with its payload replaced by `payload` (the signature left as it was).
pub fn tampered(entry: &Value, payload: &[u8]) -> Value {
    let mut e = entry.clone();
    e["envelope"]["payload"] = json!(b64(payload));
    e
}

/// SLSA v1 provenance of GitHub's build type.
pub fn slsa_v1_github(repo: &str, git_ref: &str, builder: &str) -> Value {
    json!({
        "buildDefinition": {
            "buildType": GITHUB_BUILD_TYPE,
            "externalParameters": {"workflow": {
                "repository": repo, "ref": git_ref, "path": ".github/workflows/release.yml"}},
            "internalParameters": {"github": {"event_name": "push", "runner_environment": "github-hosted"}},
            "resolvedDependencies": [{
                "uri": format!("git+{repo}@{git_ref}"),
                "digest": {"gitCommit": "0123456789abcdef0123456789abcdef01234567"}}],
        },
        "runDetails": {
            "builder": {"id": builder},
            "metadata": {"invocationId": format!("{repo}/actions/runs/42/attempts/1")},
        },
    })
}

/// SLSA v1 provenance of a generic build type: the source is the first resolved dependency.
pub fn slsa_v1_generic(build_type: &str, source_uri: &str, builder: &str) -> Value {
    json!({
        "buildDefinition": {
            "buildType": build_type,
            "externalParameters": {"target": "//app:image"},
            "resolvedDependencies": [
                {"uri": source_uri, "digest": {"gitCommit": "89abcdef0123456789abcdef0123456789abcdef"}},
                {"uri": "pkg:docker/debian@12", "digest": {"sha256": DB}}],
        },
        "runDetails": {"builder": {"id": builder}},
    })
}

/// SLSA v0.2 provenance; `config_source` `None` leaves the source to `materials`.
pub fn slsa_v02(
    builder: &str,
    build_type: &str,
    config_source: Option<&str>,
    material: &str,
) -> Value {
    let mut p = json!({
        "builder": {"id": builder},
        "buildType": build_type,
        "invocation": {"parameters": {}, "environment": {"github_event_name": "push"}},
        "metadata": {"buildInvocationId": "42-1", "completeness": {"parameters": true}},
        "materials": [{"uri": material, "digest": {"sha1": "0123456789abcdef0123456789abcdef01234567"}}],
    });
    if let Some(uri) = config_source {
        p["invocation"]["configSource"] = json!({
            "uri": uri, "digest": {"sha1": "0123456789abcdef0123456789abcdef01234567"},
            "entryPoint": ".github/workflows/release.yml"});
    }
    p
}

/// A Trivy vulnerability as the report lists it.
pub fn trivy_vuln(id: &str, package: &str, severity: &str) -> Value {
    json!({"VulnerabilityID": id, "PkgName": package, "InstalledVersion": "1.0.0",
           "Severity": severity, "Title": format!("{id} in {package}")})
}

/// cosign's vulnerability predicate around a Trivy report with `results`.
pub fn vuln_predicate(scanner: &str, finished: &str, results: Option<Vec<Value>>) -> Value {
    let mut p = json!({
        "invocation": {"parameters": null, "uri": "", "event_id": "", "builder.id": ""},
        "scanner": {"uri": scanner, "version": "0.58.0"},
        "metadata": {"scanStartedOn": finished, "scanFinishedOn": finished},
    });
    if let Some(results) = results {
        p["scanner"]["result"] = json!({"SchemaVersion": 2, "ArtifactName": REPO,
                                        "ArtifactType": "container_image", "Results": results});
    }
    p
}

/// The report of the counting cases: critical 2, high 2, medium 1, low 2 (docs/choices.md: one per
/// distinct ID and package, the highest severity of its copies; `UNKNOWN` in no count).
fn counted_report() -> Vec<Value> {
    vec![
        json!({"Target": "registry.company.com/app (debian 12.8)", "Class": "os-pkgs", "Type": "debian",
               "Vulnerabilities": [
                   trivy_vuln("CVE-2026-0001", "libssl3", "CRITICAL"),
                   // The same advisory for another package counts again.
                   trivy_vuln("CVE-2026-0001", "libcrypto3", "CRITICAL"),
                   trivy_vuln("CVE-2026-0002", "zlib1g", "HIGH"),
                   trivy_vuln("CVE-2026-0003", "curl", "MEDIUM"),
                   trivy_vuln("CVE-2026-0004", "bash", "LOW"),
                   trivy_vuln("CVE-2026-0005", "tar", "UNKNOWN")]}),
        json!({"Target": "app/package-lock.json", "Class": "lang-pkgs", "Type": "npm",
               "Vulnerabilities": [
                   // A copy of zlib1g's advisory with a lower severity: once, as HIGH.
                   trivy_vuln("CVE-2026-0002", "zlib1g", "MEDIUM"),
                   trivy_vuln("GHSA-aaaa-bbbb-cccc", "lodash", "HIGH"),
                   // The same advisory and package in a second lock file: once.
                   trivy_vuln("GHSA-aaaa-bbbb-cccc", "lodash", "HIGH"),
                   trivy_vuln("CVE-2026-0006", "lodash", "LOW"),
                   trivy_vuln("CVE-2026-0004", "bash", "LOW")]}),
        json!({"Target": "app/go.sum", "Class": "lang-pkgs", "Type": "gomod"}),
    ]
}

pub const TRIVY_URI: &str = "pkg:github/aquasecurity/trivy@0.58.0";

// ------------------------------------------------------------------ keyless

/// Keyless material: a Fulcio leaf of the GitHub identity `company/app` at `v1.2.3`.
struct Keyless {
    identity: String,
}

/// A keyless attestation over `payload`: the `.att`-layer envelope entry (certificate, chain,
/// `tlog` with SET) and the Sigstore v0.3 bundle entry of the same signature.
fn keyless_entries(ss: &PrivateSigstore, payload: &[u8], n: u64) -> (Value, Value, Keyless) {
    keyless_entries_logging(ss, payload, payload, n)
}

/// [`keyless_entries`] whose log entry records `logged_payload` (another payload: check 5 fails).
fn keyless_entries_logging(
    ss: &PrivateSigstore,
    payload: &[u8],
    logged_payload: &[u8],
    n: u64,
) -> (Value, Value, Keyless) {
    let signer = Key::derive(ss.seed, &format!("signer/attest/{n}"));
    let (san, extensions) = github_identity("company", "app", "v1.2.3");
    let identity = san.value().to_owned();
    let leaf = issue_leaf(
        ss.seed,
        &ss.ca,
        &signer,
        &LeafSpec {
            san,
            extensions,
            not_before: SIGN_TIME - 60,
            not_after: SIGN_TIME + 540,
            sct: SctMode::Valid,
            sct_time: SIGN_TIME - 59,
            code_signing: true,
        },
        &ss.ct_log,
        &ss.intruder,
    );
    let content = Content::Dsse {
        payload_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
        payload: payload.to_vec(),
    };
    let signature = signer.sign(&content.signed_bytes());
    // INVARIANT: DSSE content always has an envelope.
    let envelope = content.envelope(&signature).expect("envelope");
    let cert_pem = leaf.pem();
    let mut log = Log::new(ss.rekor.clone(), REKOR_NAME, 2_000 + n);
    let filler = Key::derive(ss.seed, "filler");
    log.append(
        hashedrekord_body(
            &Sha256::digest(format!("attest filler {n}")),
            &filler.sign(format!("attest filler {n}").as_bytes()),
            &cert_pem,
        ),
        SIGN_TIME - 100,
    );
    let index = log.append(
        dsse_body(
            canonical_json(&envelope).as_bytes(),
            logged_payload,
            &signature,
            &cert_pem,
        ),
        SIGN_TIME + 5,
    );
    let entry = log.entry(index);
    let layer = json!({
        "envelope": envelope,
        "certificate": cert_pem,
        "chain": format!("{}{}", ss.ca.intermediate.pem(), ss.ca.root.pem()),
        "tlog": {
            "SignedEntryTimestamp": b64(&entry.set),
            "Payload": {"body": b64(&entry.body), "integratedTime": entry.integrated_time,
                        "logIndex": entry.log_index, "logID": hex(&entry.log_id)},
        },
    });
    let bundle = bundle_json(
        BundleVersion::V03,
        &leaf,
        &content,
        &signature,
        tlog_entry_json(
            &entry,
            "dsse",
            Proofs {
                set: true,
                inclusion: true,
            },
        ),
        None,
    );
    (layer, json!({ "bundle": bundle }), Keyless { identity })
}

// ------------------------------------------------------------------ cases

/// One case: its folder name and files.
struct Case {
    name: String,
    files: Vec<(String, String)>,
}

/// The expected output of the one `issue` policy over one image.
fn expect(reference: &str, result: &str, reasons: &[String]) -> Value {
    expect_of(POLICY, reference, result, reasons)
}

/// A `.trust` file: the comment, the signers, the one `issue` policy over `rule`.
fn policy(comment: &str, signers: &str, rule: &str) -> String {
    let comment: String = comment.lines().map(|l| format!("# {l}\n")).collect();
    format!("{comment}{signers}\n\npolicy \"{POLICY}\" {{\n  action issue\n  trust {rule}\n}}\n")
}

const KEYED: &str = "key release = file(\"../_keys/release.pub\")";

struct Cases {
    out: Vec<Case>,
}

impl Cases {
    /// A case over image A (or `reference`) with `attestations` in its facts.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        name: &str,
        comment: &str,
        signers: &str,
        rule: &str,
        reference: &str,
        facts: Value,
        result: &str,
        reasons: &[String],
    ) {
        self.out.push(Case {
            name: format!("attest-{name}"),
            files: vec![
                ("policy.trust".into(), policy(comment, signers, rule)),
                ("input.json".into(), pretty(&input(reference, facts))),
                (
                    "expect.json".into(),
                    pretty(&expect(reference, result, reasons)),
                ),
            ],
        });
    }
}

impl Cases {
    /// A case whose run must exit with `exit` (2: bad input), with `stderr` in its message.
    fn add_error(
        &mut self,
        name: &str,
        comment: &str,
        rule: &str,
        facts: Value,
        exit: u8,
        stderr: &str,
    ) {
        self.out.push(Case {
            name: format!("attest-{name}"),
            files: vec![
                ("policy.trust".into(), policy(comment, KEYED, rule)),
                ("input.json".into(), pretty(&input(&image_a(), facts))),
                ("expect.exit".into(), format!("{exit}\n")),
                ("expect.stderr".into(), format!("{stderr}\n")),
            ],
        });
    }
}

fn image_a() -> String {
    format!("{REPO}@sha256:{DA}")
}

fn atts(entries: Vec<Value>) -> Value {
    json!({ "attestations": entries })
}

/// The keyed cases.
fn keyed_cases(c: &mut Cases) {
    let release = FileKey::release();
    let other = FileKey::other();
    let a = image_a();
    let on_a = [("sha256", DA)];
    let repo_uri = "https://github.com/company/app";
    let gh = statement(
        &on_a,
        SLSA_V1,
        slsa_v1_github(repo_uri, "refs/tags/v1.2.3", GITHUB_RUNNER),
    );
    let gh_att = keyed(&gh, &release);
    let s = |x: &str| x.to_owned();

    // --- attested(K, "TYPE") and predicate-type spellings.
    let attested = format!("attested(release, {SLSA_V1:?})");
    c.add(
        "attested-true",
        "docs/attestations.md: `attested(K, TYPE)` holds when an attestation of that predicate type counts for K\n(verifies under K, one of its subjects has the image's digest): true.",
        KEYED,
        &attested,
        &a,
        atts(vec![gh_att.clone()]),
        "trusted",
        &[],
    );
    c.add(
        "type-policy-without-https",
        "docs/attestations.md: predicate types are matched as published and with the `https://` prefix added\nor removed: the policy writes `slsa.dev/provenance/v1`, the statement `https://…`: true.",
        KEYED,
        "attested(release, \"slsa.dev/provenance/v1\")",
        &a,
        atts(vec![gh_att.clone()]),
        "trusted",
        &[],
    );
    let bare = statement(
        &on_a,
        "slsa.dev/provenance/v1",
        slsa_v1_github(repo_uri, "refs/tags/v1.2.3", GITHUB_RUNNER),
    );
    c.add(
        "type-statement-without-https",
        "docs/attestations.md: predicate types are matched with the `https://` prefix added or removed: the\nstatement writes `slsa.dev/provenance/v1`, the policy `https://…`: true.",
        KEYED,
        &attested,
        &a,
        atts(vec![keyed(&bare, &release)]),
        "trusted",
        &[],
    );
    c.add(
        "type-statement-without-https-provenance",
        "docs/attestations.md: provenance attributes read a statement whose type is spelled\n`slsa.dev/provenance/v1` like one of `https://slsa.dev/provenance/v1`: true.",
        KEYED,
        &format!("provenance(release).builder == {GITHUB_RUNNER:?}"),
        &a,
        atts(vec![keyed(&bare, &release)]),
        "trusted",
        &[],
    );
    c.add(
        "attested-other-type",
        "docs/attestations.md: a comparison is false when attestations are given but none of the type counts\nfor K: only a provenance is given, an SPDX document is asked for: false.",
        KEYED,
        "attested(release, \"https://spdx.dev/Document\")",
        &a,
        atts(vec![gh_att.clone()]),
        "untrusted",
        &[s("attested(`release`, \"https://spdx.dev/Document\") does not hold: the facts have no attestation of type https://spdx.dev/Document")],
    );

    // --- tri-state.
    c.add(
        "absent-unknown",
        "docs/attestations.md: unknown when `attestations` is absent.",
        KEYED,
        &attested,
        &a,
        json!({"scanned": true}),
        "unknown",
        &[s("attested(`release`, \"https://slsa.dev/provenance/v1\") is unknown: the facts give no attestations")],
    );
    c.add(
        "absent-unknown-provenance",
        "docs/attestations.md: unknown when `attestations` is absent (a string attribute).",
        KEYED,
        &format!("provenance(release).builder == {GITHUB_RUNNER:?}"),
        &a,
        json!({"scanned": true}),
        "unknown",
        &[],
    );
    c.add(
        "empty-false",
        "docs/attestations.md: attestations given (`[]`) but none of the type counts for K: false.",
        KEYED,
        &attested,
        &a,
        atts(vec![]),
        "untrusted",
        &[],
    );
    let tagged = format!("{REPO}:1.2.3");
    c.add(
        "digest-unknown-verifies",
        "docs/attestations.md: unknown when the image's digest is unknown (a tag-only reference, no facts\n`digest`) and an attestation of the type verifies under K.",
        KEYED,
        &attested,
        &tagged,
        atts(vec![gh_att.clone()]),
        "unknown",
        &[s("attested(`release`, \"https://slsa.dev/provenance/v1\") is unknown: an attestation of the type verifies under the signer but the image's digest is unknown")],
    );
    c.add(
        "digest-unknown-none-verifies",
        "docs/attestations.md: the digest is unknown but no attestation of the type verifies under K (it is\nsigned by another key): attestations are given and none of the type counts: false.",
        KEYED,
        &attested,
        &tagged,
        atts(vec![keyed(&gh, &other)]),
        "untrusted",
        &[],
    );
    c.add(
        "digest-from-facts",
        "docs/images.md#facts-document, docs/attestations.md: the facts' `digest` is the image's digest for a tag-only reference; the\nattestation names it: true.",
        KEYED,
        &attested,
        &tagged,
        json!({"digest": format!("sha256:{DA}"), "attestations": [gh_att.clone()]}),
        "trusted",
        &[],
    );
    let on_b = statement(
        &[("sha256", DB)],
        SLSA_V1,
        slsa_v1_github(repo_uri, "refs/tags/v1.2.3", GITHUB_RUNNER),
    );
    c.add(
        "other-digest",
        "docs/attestations.md: an attestation counts only if one of its subjects has the image's digest; this one\nis about image B: false, and the reason says it is for another digest.",
        KEYED,
        &attested,
        &a,
        atts(vec![keyed(&on_b, &release)]),
        "untrusted",
        &[format!("attested(`release`, \"https://slsa.dev/provenance/v1\") does not hold: the attestation of type https://slsa.dev/provenance/v1 verifies under the signer but none of its subjects is the image's digest `sha256:{DA}`")],
    );
    let two_subjects = statement(
        &[("sha256", DB), ("sha256", DA)],
        SLSA_V1,
        slsa_v1_github(repo_uri, "refs/tags/v1.2.3", GITHUB_RUNNER),
    );
    c.add(
        "second-subject",
        "docs/attestations.md: one of its subjects has the image's digest (the second of two): true.",
        KEYED,
        &attested,
        &a,
        atts(vec![keyed(&two_subjects, &release)]),
        "trusted",
        &[],
    );
    c.add(
        "other-key",
        "docs/attestations.md: an attestation counts for K only if it verifies under K (§7.2); this one is signed\nby `other`: false, and the reason names the check that failed.",
        KEYED,
        &attested,
        &a,
        atts(vec![keyed(&gh, &other)]),
        "untrusted",
        &[],
    );
    c.add(
        "reason-other-key",
        "docs/attestations.md#tri-state: reasons say which attestation did not verify, and the first\ncheck that failed (docs/signatures.md: `reasons` name the first check that failed): for a keyed\nattestation signed by another key, that the signature does not verify under the key.",
        KEYED,
        &attested,
        &a,
        atts(vec![keyed(&gh, &other)]),
        "untrusted",
        &[s("attested(`release`, \"https://slsa.dev/provenance/v1\") does not hold: no attestation of type https://slsa.dev/provenance/v1 verifies under the signer (the signature does not verify under the ECDSA P-256 key)")],
    );
    let forged = statement(
        &on_a,
        SLSA_V1,
        slsa_v1_github(repo_uri, "refs/tags/v1.2.3", "https://ci.example.com"),
    );
    c.add(
        "tampered-payload",
        "docs/signatures.md, docs/attestations.md: the payload was changed after signing (its builder rewritten to the one the\nrule wants): it does not verify, does not count: false.",
        KEYED,
        "provenance(release).builder == \"https://ci.example.com\"",
        &a,
        atts(vec![tampered(&gh_att, &forged)]),
        "untrusted",
        &[],
    );
    c.add(
        "reason-tampered-payload",
        "docs/attestations.md#tri-state: reasons name the first check that failed: for a tampered\npayload, that the signature does not verify under the key.",
        KEYED,
        "provenance(release).builder == \"https://ci.example.com\"",
        &a,
        atts(vec![tampered(&gh_att, &forged)]),
        "untrusted",
        &[s("provenance(`release`).builder does not hold: no attestation of type https://slsa.dev/provenance/v1 or https://slsa.dev/provenance/v0.2 verifies under the signer (the signature does not verify under the ECDSA P-256 key)")],
    );
    let sign = statement(&on_a, COSIGN_SIGN, json!({}));
    c.add(
        "cosign-sign-not-attestation",
        "docs/signatures.md: a `https://sigstore.dev/cosign/sign/v1` statement is a signature, never an\nattestation: signed by K and naming the image among `attestations`, it does not count: false.",
        KEYED,
        &format!("attested(release, {COSIGN_SIGN:?})"),
        &a,
        atts(vec![keyed(&sign, &release)]),
        "untrusted",
        &[],
    );
    c.add(
        "cosign-sign-not-attestation-bare-type",
        "docs/signatures.md, docs/attestations.md: the cosign signature statement is not an attestation, whichever spelling\nof its type the policy asks for: false.",
        KEYED,
        "attested(release, \"sigstore.dev/cosign/sign/v1\")",
        &a,
        atts(vec![keyed(&sign, &release)]),
        "untrusted",
        &[],
    );
    // An attestation among `signatures`: a bundle whose DSSE statement is a provenance.
    let sig = release.sign(&pae(IN_TOTO_PAYLOAD_TYPE, &gh));
    let provenance_bundle = json!({"bundle": {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": "release"}, "tlogEntries": []},
        "dsseEnvelope": {"payload": b64(&gh), "payloadType": IN_TOTO_PAYLOAD_TYPE,
                         "signatures": [{"sig": b64(&sig), "keyid": ""}]}}});
    c.add(
        "in-signatures-not-signature",
        "docs/signatures.md: an in-toto statement of any other predicate type is an attestation, never a\nsignature: a provenance bundle among `signatures`, and the same provenance among\n`attestations`, do not make `signed by` hold: false.",
        KEYED,
        "signed by release",
        &a,
        json!({"signatures": [provenance_bundle], "attestations": [gh_att.clone()]}),
        "untrusted",
        &[],
    );
    c.add(
        "keyed-bundle",
        "docs/attestations.md: an attestation entry may be `{\"bundle\": {...}}` with a `dsseEnvelope`; a keyed\nv0.3 bundle (`publicKey` hint, no log entry) signed by K verifies under K: true.",
        KEYED,
        &attested,
        &a,
        atts(vec![provenance_bundle.clone()]),
        "trusted",
        &[],
    );
    let mut two = keyed(&gh, &other);
    if let Some(sigs) = two["envelope"]["signatures"].as_array_mut() {
        sigs.push(gh_att["envelope"]["signatures"][0].clone());
    }
    c.add(
        "envelope-two-signatures",
        "docs/attestations.md#counting: one of its envelope's signatures verifies under K (the\nsecond of two; the first is by `other`): true.",
        KEYED,
        &attested,
        &a,
        atts(vec![two]),
        "trusted",
        &[],
    );
    let v01 = {
        let mut st: Value = serde_json::from_slice(&gh).unwrap_or(Value::Null);
        st["_type"] = json!("https://in-toto.io/Statement/v0.1");
        canonical_json(&st).into_bytes()
    };
    c.add(
        "statement-v01",
        "docs/attestations.md#entries: in-toto statements v0.1 and v1 are read: a v0.1 statement\nof SLSA v1 provenance counts: true.",
        KEYED,
        "provenance(release).source == \"github.com/company/app\"",
        &a,
        atts(vec![keyed(&v01, &release)]),
        "trusted",
        &[],
    );
    let mut extra = gh_att.clone();
    extra["extra"] = json!(true);
    c.add_error(
        "bad-input-unknown-field",
        "docs/attestations.md#entries: the entry's own keys are read strictly: an unknown\nfield is bad input (exit 2) naming its JSON path.",
        &attested,
        atts(vec![gh_att.clone(), extra]),
        2,
        "attestations[1]",
    );
    let mut both = gh_att.clone();
    both["bundle"] = provenance_bundle["bundle"].clone();
    c.add_error(
        "bad-input-envelope-and-bundle",
        "docs/attestations.md#entries: an entry is a DSSE `envelope` or a `bundle`, not both: bad input\n(exit 2) naming its JSON path.",
        &attested,
        atts(vec![both]),
        2,
        "attestations[0]",
    );
    c.add(
        "attestations-not-signatures",
        "docs/attestations.md, docs/images.md#signatures: attestations are not signatures: facts with attestations and no\n`signatures` leave `signed by` unknown.",
        KEYED,
        "signed by release",
        &a,
        atts(vec![gh_att.clone()]),
        "unknown",
        &[],
    );
    c.add(
        "not-in-payload-type",
        "docs/attestations.md#entries: a payload that is not an in-toto statement counts for nothing:\nthe envelope's `payloadType` is not in-toto: false.",
        KEYED,
        &attested,
        &a,
        {
            let mut e = gh_att.clone();
            let sig = release.sign(&pae("application/json", &gh));
            e["envelope"]["payloadType"] = json!("application/json");
            e["envelope"]["signatures"][0]["sig"] = json!(b64(&sig));
            atts(vec![e])
        },
        "untrusted",
        &[],
    );

    // --- provenance(K): SLSA v1, GitHub's build type.
    for (field, value) in [
        ("builder", GITHUB_RUNNER),
        ("build_type", GITHUB_BUILD_TYPE),
        ("source", "github.com/company/app"),
        ("ref", "refs/tags/v1.2.3"),
    ] {
        c.add(
            &format!("provenance-v1-github-{}", field.replace('_', "-")),
            &format!("docs/attestations.md: `provenance(K).{field}` of SLSA v1 provenance of GitHub's build type\n(docs/attestations.md#attributes: `externalParameters.workflow`): {value:?}."),
            KEYED,
            &format!("provenance(release).{field} == {value:?}"),
            &a,
            atts(vec![gh_att.clone()]),
            "trusted",
            &[],
        );
    }
    c.add(
        "provenance-builder-differs",
        "docs/attestations.md: a comparison on a field of the attestation that counts, which does not hold:\nfalse, and the reason gives the value and the rule.",
        KEYED,
        "provenance(release).builder == \"https://ci.example.com\"",
        &a,
        atts(vec![gh_att.clone()]),
        "untrusted",
        &[format!("provenance(`release`).builder is {GITHUB_RUNNER:?}, the rule needs `== \"https://ci.example.com\"`")],
    );
    c.add(
        "provenance-source-matches",
        "docs/attestations.md: string attributes take `matches` with the globs of §3.2: true.",
        KEYED,
        "provenance(release).source matches \"github.com/company/*\"",
        &a,
        atts(vec![gh_att.clone()]),
        "trusted",
        &[],
    );

    // --- SLSA v1, a generic build type: the source is the first resolved dependency.
    let generic = keyed(
        &statement(
            &on_a,
            SLSA_V1,
            slsa_v1_generic(
                "https://ci.company.com/buildtypes/make/v1",
                "git+https://gitlab.company.com/team/app.git@refs/heads/main",
                "https://ci.company.com/builders/linux",
            ),
        ),
        &release,
    );
    for (field, value) in [
        ("builder", "https://ci.company.com/builders/linux"),
        ("build_type", "https://ci.company.com/buildtypes/make/v1"),
        ("source", "gitlab.company.com/team/app"),
        ("ref", "refs/heads/main"),
    ] {
        c.add(
            &format!("provenance-v1-generic-{}", field.replace('_', "-")),
            &format!("docs/attestations.md: `provenance(K).{field}` of SLSA v1 provenance of a generic build type\n(docs/attestations.md#attributes: the first `resolvedDependencies[].uri`, without `git+`,\nthe scheme, `@ref` and `.git`): {value:?}."),
            KEYED,
            &format!("provenance(release).{field} == {value:?}"),
            &a,
            atts(vec![generic.clone()]),
            "trusted",
            &[],
        );
    }

    // --- SLSA v0.2.
    let v02_builder = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0";
    let v02_type = "https://github.com/slsa-framework/slsa-github-generator/container@v1";
    let v02 = keyed(
        &statement(
            &on_a,
            SLSA_V02,
            slsa_v02(
                v02_builder,
                v02_type,
                Some("git+https://github.com/company/app@refs/tags/v1.2.3"),
                "git+https://github.com/company/app@refs/tags/v1.2.3",
            ),
        ),
        &release,
    );
    for (field, value) in [
        ("builder", v02_builder),
        ("build_type", v02_type),
        ("source", "github.com/company/app"),
        ("ref", "refs/tags/v1.2.3"),
    ] {
        c.add(
            &format!("provenance-v02-{}", field.replace('_', "-")),
            &format!("docs/attestations.md: `provenance(K).{field}` of SLSA v0.2 provenance\n(docs/attestations.md#attributes: `builder.id`, `buildType`, `invocation.configSource.uri`): {value:?}."),
            KEYED,
            &format!("provenance(release).{field} == {value:?}"),
            &a,
            atts(vec![v02.clone()]),
            "trusted",
            &[],
        );
    }
    let v02_materials = keyed(
        &statement(
            &on_a,
            SLSA_V02,
            slsa_v02(
                "https://ci.company.com/builders/linux",
                "https://ci.company.com/buildtypes/make/v1",
                None,
                "git+https://git.company.com/team/lib.git@refs/heads/release",
            ),
        ),
        &release,
    );
    c.add(
        "provenance-v02-materials-source",
        "docs/attestations.md#attributes: v0.2 without `invocation.configSource` takes\nits source from the first `materials[].uri`: \"git.company.com/team/lib\".",
        KEYED,
        "provenance(release).source == \"git.company.com/team/lib\"",
        &a,
        atts(vec![v02_materials.clone()]),
        "trusted",
        &[],
    );

    // --- missing fields, several attestations.
    let mut no_builder = slsa_v1_github(repo_uri, "refs/tags/v1.2.3", GITHUB_RUNNER);
    no_builder["runDetails"] = json!({"metadata": {}});
    let no_builder = keyed(&statement(&on_a, SLSA_V1, no_builder), &release);
    c.add(
        "field-missing-unknown",
        "docs/attestations.md: a missing field is unknown: the provenance that counts has no\n`runDetails.builder.id`.",
        KEYED,
        &format!("provenance(release).builder == {GITHUB_RUNNER:?}"),
        &a,
        atts(vec![no_builder.clone()]),
        "unknown",
        &[s("provenance(`release`).builder is unknown: the attestations that count do not give it")],
    );
    c.add(
        "several-one-holds",
        "docs/attestations.md: when several count, a comparison holds if it holds for one: a GitHub and a\ngeneric provenance, the rule wants the generic builder: true.",
        KEYED,
        "provenance(release).builder == \"https://ci.company.com/builders/linux\"",
        &a,
        atts(vec![gh_att.clone(), generic.clone()]),
        "trusted",
        &[],
    );
    c.add(
        "several-ne-holds-for-one",
        "docs/attestations.md (as with several tags, §4.5): `!=` holds if it holds for one: the builders are\nGitHub's and another: true.",
        KEYED,
        &format!("provenance(release).builder != {GITHUB_RUNNER:?}"),
        &a,
        atts(vec![gh_att.clone(), generic.clone()]),
        "trusted",
        &[],
    );
    c.add(
        "several-none-holds",
        "docs/attestations.md: several count and the comparison holds for none: false; the reason gives both\nvalues.",
        KEYED,
        "provenance(release).builder == \"https://ci.example.com\"",
        &a,
        atts(vec![gh_att.clone(), generic.clone()]),
        "untrusted",
        &[format!("provenance(`release`).builder is {GITHUB_RUNNER:?} and \"https://ci.company.com/builders/linux\", the rule needs `== \"https://ci.example.com\"`")],
    );
    c.add(
        "several-missing-and-false",
        "docs/attestations.md: one that counts lacks the field (unknown for it), the other's does not hold:\nunknown.",
        KEYED,
        "provenance(release).builder == \"https://ci.example.com\"",
        &a,
        atts(vec![no_builder.clone(), gh_att.clone()]),
        "unknown",
        &[],
    );
    c.add(
        "several-missing-and-true",
        "docs/attestations.md: one that counts lacks the field, the other's holds: true.",
        KEYED,
        &format!("provenance(release).builder == {GITHUB_RUNNER:?}"),
        &a,
        atts(vec![no_builder.clone(), gh_att.clone()]),
        "trusted",
        &[],
    );
    c.add(
        "several-only-counting-one-read",
        "docs/attestations.md: attributes are read from the attestations that count only: a provenance by\n`other` names the wanted builder, release's does not: false.",
        KEYED,
        "provenance(release).builder == \"https://ci.example.com\"",
        &a,
        atts(vec![keyed(&forged, &other), gh_att.clone()]),
        "untrusted",
        &[],
    );

    // --- vuln(K).
    let report = statement(
        &on_a,
        VULN,
        vuln_predicate(TRIVY_URI, "2026-11-20T10:00:00Z", Some(counted_report())),
    );
    let vuln_att = keyed(&report, &release);
    c.add(
        "vuln-scanner",
        "docs/attestations.md: `vuln(K).scanner` is the cosign vulnerability predicate's `scanner.uri`.",
        KEYED,
        &format!("vuln(release).scanner == {TRIVY_URI:?}"),
        &a,
        atts(vec![vuln_att.clone()]),
        "trusted",
        &[],
    );
    for (sev, n) in [("critical", 2), ("high", 2), ("medium", 1), ("low", 2)] {
        c.add(
            &format!("vuln-{sev}"),
            &format!("docs/attestations.md: `vuln(K).{sev}` counts the Trivy report in `scanner.result` as `bona facts trivy`\ndoes (docs/choices.md: one per distinct vulnerability ID and package, the highest severity\nof its copies, UNKNOWN in none): the report has critical 2, high 2, medium 1, low 2."),
            KEYED,
            &format!("vuln(release).{sev} == {n}"),
            &a,
            atts(vec![vuln_att.clone()]),
            "trusted",
            &[],
        );
    }
    c.add(
        "vuln-critical-fails",
        "docs/attestations.md: `vuln(K).critical < 1` on a report with two critical: false; the reason gives\nthe count.",
        KEYED,
        "vuln(release).critical < 1",
        &a,
        atts(vec![vuln_att.clone()]),
        "untrusted",
        &[s("vuln(`release`).critical is 2, the rule needs `< 1`")],
    );
    c.add(
        "vuln-scan-age-fresh",
        "docs/attestations.md: `vuln(K).scan.age` is evaluation time − `metadata.scanFinishedOn` (38h): `<= 7d`\nholds.",
        KEYED,
        "vuln(release).scan.age <= 7d",
        &a,
        atts(vec![vuln_att.clone()]),
        "trusted",
        &[],
    );
    let stale = keyed(
        &statement(
            &on_a,
            VULN,
            vuln_predicate(TRIVY_URI, "2026-11-01T00:00:00Z", Some(vec![])),
        ),
        &release,
    );
    c.add(
        "vuln-scan-age-stale",
        "docs/attestations.md: the seed example `vuln(scanner).scan.age <= 7d` on a scan of 21 days ago: false;\nthe reason gives the age.",
        KEYED,
        "vuln(release).scan.age <= 7d",
        &a,
        atts(vec![stale.clone()]),
        "untrusted",
        &[s("vuln(`release`).scan.age is 21d, the rule needs `<= 7d`")],
    );
    let future = keyed(
        &statement(
            &on_a,
            VULN,
            vuln_predicate(TRIVY_URI, "2026-11-23T00:00:00Z", Some(vec![])),
        ),
        &release,
    );
    c.add(
        "vuln-scan-age-future",
        "docs/attestations.md#attributes: a scan finished after the evaluation time is 0 old:\n`< 1h` holds.",
        KEYED,
        "vuln(release).scan.age < 1h",
        &a,
        atts(vec![future]),
        "trusted",
        &[],
    );
    c.add(
        "vuln-several-fresh-one",
        "docs/attestations.md: several scans count; `scan.age <= 7d` holds for the recent one: true.",
        KEYED,
        "vuln(release).scan.age <= 7d",
        &a,
        atts(vec![stale.clone(), vuln_att.clone()]),
        "trusted",
        &[],
    );
    let no_result = keyed(
        &statement(
            &on_a,
            VULN,
            vuln_predicate(TRIVY_URI, "2026-11-20T10:00:00Z", None),
        ),
        &release,
    );
    c.add(
        "vuln-result-missing-unknown",
        "docs/attestations.md: a missing field is unknown: the vulnerability attestation that counts has no\n`scanner.result`.",
        KEYED,
        "vuln(release).critical == 0",
        &a,
        atts(vec![no_result]),
        "unknown",
        &[],
    );
    let mut clean = vuln_predicate(TRIVY_URI, "2026-11-20T10:00:00Z", Some(vec![]));
    if let Some(o) = clean["scanner"]["result"].as_object_mut() {
        // Trivy leaves `Results` out of the report when there is nothing to list.
        o.remove("Results");
    }
    c.add(
        "vuln-report-without-results",
        "docs/attestations.md: `vuln(K).critical` counts the Trivy report in `scanner.result` \"exactly as `bona\nfacts trivy` counts them\"; a report without `Results` (Trivy omits the empty list) is\ncounted 0 by `bona facts trivy`: `critical == 0` holds.",
        KEYED,
        "vuln(release).critical == 0",
        &a,
        atts(vec![keyed(&statement(&on_a, VULN, clean), &release)]),
        "trusted",
        &[],
    );
    c.add(
        "vuln-only-provenance-false",
        "docs/attestations.md: attestations are given but no vulnerability attestation counts: false.",
        KEYED,
        "vuln(release).critical == 0",
        &a,
        atts(vec![gh_att.clone()]),
        "untrusted",
        &[s("vuln(`release`).critical does not hold: the facts have no attestation of type https://cosign.sigstore.dev/attestation/vuln/v1")],
    );

    // --- predicate(K, "TYPE", "a.b.c").
    let review = keyed(
        &statement(
            &on_a,
            REVIEW,
            json!({"reviewer": {"team": "security", "approvals": 2}, "verdict": "approved"}),
        ),
        &release,
    );
    c.add(
        "predicate-string",
        "docs/attestations.md: `predicate(K, TYPE, \"a.b.c\")` is a string field of that predicate type by dotted\npath: `reviewer.team` is \"security\".",
        KEYED,
        &format!("predicate(release, {REVIEW:?}, \"reviewer.team\") == \"security\""),
        &a,
        atts(vec![review.clone()]),
        "trusted",
        &[],
    );
    c.add(
        "predicate-type-without-https",
        "docs/attestations.md: `predicate` matches the type with the `https://` prefix removed too: true.",
        KEYED,
        "predicate(release, \"example.com/attestation/review/v1\", \"verdict\") in [\"approved\", \"waived\"]",
        &a,
        atts(vec![review.clone()]),
        "trusted",
        &[],
    );
    c.add(
        "predicate-provenance-path",
        "docs/attestations.md: `predicate` reads any predicate type, provenance included: the workflow path.",
        KEYED,
        &format!("predicate(release, {SLSA_V1:?}, \"buildDefinition.externalParameters.workflow.path\") == \".github/workflows/release.yml\""),
        &a,
        atts(vec![gh_att.clone()]),
        "trusted",
        &[],
    );
    c.add(
        "predicate-not-a-string-unknown",
        "docs/attestations.md: `predicate` is a string field; `reviewer.approvals` is a number, so the string\nis missing: unknown.",
        KEYED,
        &format!("predicate(release, {REVIEW:?}, \"reviewer.approvals\") == \"2\""),
        &a,
        atts(vec![review.clone()]),
        "unknown",
        &[],
    );
    c.add(
        "predicate-path-missing-unknown",
        "docs/attestations.md: a missing field is unknown: `reviewer.name` is absent.",
        KEYED,
        &format!("predicate(release, {REVIEW:?}, \"reviewer.name\") == \"alice\""),
        &a,
        atts(vec![review.clone()]),
        "unknown",
        &[],
    );
    c.add(
        "predicate-other-type-false",
        "docs/attestations.md: attestations are given but none of the type counts (only a provenance): false.",
        KEYED,
        &format!("predicate(release, {REVIEW:?}, \"verdict\") == \"approved\""),
        &a,
        atts(vec![gh_att.clone()]),
        "untrusted",
        &[],
    );
}

/// The keyless cases: a `.att`-layer envelope with certificate and log entry, and a Sigstore
/// v0.3 bundle with a `dsseEnvelope`.
fn keyless_cases(c: &mut Cases, ss: &PrivateSigstore) {
    let a = image_a();
    let on_a = [("sha256", DA)];
    let gh = statement(
        &on_a,
        SLSA_V1,
        slsa_v1_github(
            "https://github.com/company/app",
            "refs/tags/v1.2.3",
            GITHUB_RUNNER,
        ),
    );
    let (layer, bundle, who) = keyless_entries(ss, &gh, 1);
    let vuln = statement(
        &on_a,
        VULN,
        vuln_predicate(TRIVY_URI, "2026-11-20T10:00:00Z", Some(counted_report())),
    );
    let (vuln_layer, vuln_bundle, _) = keyless_entries(ss, &vuln, 2);
    let signers = format!(
        "trustroot private = file(\"../_keyless/trusted_root.json\")\n\nkey release_ci = keyless {{\n  issuer == {GITHUB_ISSUER:?}\n  subject == {:?}\n}}",
        who.identity
    );
    let evil = format!(
        "trustroot private = file(\"../_keyless/trusted_root.json\")\n\nkey release_ci = keyless {{\n  issuer == {GITHUB_ISSUER:?}\n  subject == {:?}\n}}",
        who.identity.replace("/company/", "/company-evil/")
    );
    c.add(
        "keyless-envelope-source",
        "docs/attestations.md: a keyless DSSE envelope with `certificate`, `chain` and `tlog` (as cosign's .att\nlayers carry it) verifies under the keyless signer (§7.2, checks 1–6): the provenance's\nsource is read: true.",
        &signers,
        "provenance(release_ci).source == \"github.com/company/app\"",
        &a,
        atts(vec![layer.clone()]),
        "trusted",
        &[],
    );
    c.add(
        "keyless-bundle-attested",
        "docs/attestations.md: a Sigstore v0.3 bundle with a `dsseEnvelope` (keyless, with an inclusion proof and\na SET) is an attestation entry: true.",
        &signers,
        &format!("attested(release_ci, {SLSA_V1:?})"),
        &a,
        atts(vec![bundle.clone()]),
        "trusted",
        &[],
    );
    c.add(
        "keyless-bundle-vuln",
        "docs/attestations.md: `vuln(K).critical` read from a keyless bundle attestation: 2.",
        &signers,
        "vuln(release_ci).critical == 2",
        &a,
        atts(vec![vuln_bundle]),
        "trusted",
        &[],
    );
    c.add(
        "keyless-envelope-vuln-scanner",
        "docs/attestations.md: `vuln(K).scanner` read from a keyless envelope attestation.",
        &signers,
        &format!("vuln(release_ci).scanner == {TRIVY_URI:?}"),
        &a,
        atts(vec![vuln_layer]),
        "trusted",
        &[],
    );
    c.add(
        "keyless-other-identity",
        "docs/attestations.md, docs/signatures.md check 6: the signer wants another identity (company-evil): the attestation\ndoes not verify under it: false.",
        &evil,
        &format!("attested(release_ci, {SLSA_V1:?})"),
        &a,
        atts(vec![layer.clone(), bundle.clone()]),
        "untrusted",
        &[],
    );
    c.add(
        "keyless-digest-unknown",
        "docs/attestations.md: a keyless attestation of the type verifies but the image's digest is unknown:\nunknown.",
        &signers,
        &format!("attested(release_ci, {SLSA_V1:?})"),
        &format!("{REPO}:1.2.3"),
        atts(vec![bundle.clone()]),
        "unknown",
        &[],
    );
    let (other_layer, other_bundle, _) =
        keyless_entries_logging(ss, &gh, &statement(&on_a, SLSA_V1, json!({})), 3);
    c.add(
        "keyless-log-body-other-payload",
        "docs/signatures.md check 5, docs/attestations.md#counting (\"the log entry describing the envelope\"): the\nlog entry names another payload's hash, in both entry forms: false.",
        &signers,
        &format!("attested(release_ci, {SLSA_V1:?})"),
        &a,
        atts(vec![other_layer, other_bundle]),
        "untrusted",
        &[],
    );
    let mut no_log = layer.clone();
    if let Some(o) = no_log.as_object_mut() {
        o.remove("tlog");
    }
    c.add(
        "keyless-envelope-without-tlog",
        "docs/signatures.md check 2: a keyless envelope with no transparency-log proof does not verify:\nfalse.",
        &signers,
        &format!("attested(release_ci, {SLSA_V1:?})"),
        &a,
        atts(vec![no_log]),
        "untrusted",
        &[],
    );
}

/// Writes every `attest-*` case into `dir` (`tests/conformance`; the shared trust root is
/// `conformance::write_cases`'s).
///
/// # Errors
/// When a file cannot be written.
pub fn write_cases(dir: &Path) -> std::io::Result<usize> {
    let ss = PrivateSigstore::new(1);
    let mut c = Cases { out: Vec::new() };
    keyed_cases(&mut c);
    keyless_cases(&mut c, &ss);
    for case in &c.out {
        let d = dir.join(&case.name);
        std::fs::create_dir_all(&d)?;
        for (name, text) in &case.files {
            std::fs::write(d.join(name), text)?;
        }
    }
    Ok(c.out.len())
}

// ------------------------------------------------------------------ the oracle's pool

/// A deterministic generator (SplitMix64), so the pool is the same bytes on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform below `n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    /// True with probability `pct`%.
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
}

/// The digests the oracle's generator gives images (`tests/oracle/gen.py`): A, B, C and a
/// sha512 one, as `(algorithm, hex)`.
fn pool_digests() -> Vec<(String, String)> {
    vec![
        ("sha256".into(), DA.into()),
        ("sha256".into(), DB.into()),
        ("sha256".into(), hex(&Sha256::digest(b"c"))),
        ("sha512".into(), "ab".repeat(64)),
    ]
}

/// Removes the field at dotted `path`, if there is one.
fn remove_at(v: &mut Value, path: &str) {
    let (parent, last) = path.rsplit_once('.').unwrap_or(("", path));
    let mut cur = v;
    for k in parent.split('.').filter(|k| !k.is_empty()) {
        match cur.get_mut(k) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(o) = cur.as_object_mut() {
        o.remove(last);
    }
}

/// The value sets the oracle's generator draws literals from (tests/oracle/gen.py keeps a copy).
pub const POOL_BUILDERS: [&str; 3] = [
    GITHUB_RUNNER,
    "https://ci.company.com/builders/linux",
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0",
];
pub const POOL_REFS: [&str; 3] = ["refs/tags/v1.2.3", "refs/heads/main", "refs/tags/v2.0.0"];
pub const POOL_GITHUB_REPOS: [&str; 2] = [
    "https://github.com/company/app",
    "https://github.com/company/lib",
];
pub const POOL_SOURCE_URIS: [&str; 4] = [
    "git+https://gitlab.company.com/team/app.git@refs/heads/main",
    "git+https://github.com/company/app@refs/tags/v1.2.3",
    "https://git.company.com/team/lib",
    "git+ssh://git.company.com/team/lib.git@refs/tags/v2.0.0",
];
pub const POOL_BUILD_TYPES: [&str; 2] = [
    "https://ci.company.com/buildtypes/make/v1",
    "https://github.com/slsa-framework/slsa-github-generator/container@v1",
];
pub const POOL_SCANNERS: [&str; 2] = [TRIVY_URI, "pkg:github/anchore/grype@0.80.0"];
pub const POOL_FINISHED: [&str; 6] = [
    "2026-11-21T12:00:00Z",
    "2026-11-15T00:00:00Z",
    "2026-11-21T23:30:00+02:00",
    "2026-11-01T00:00:00Z",
    "2026-06-29T00:00:00Z",
    "2026-11-23T00:00:00Z",
];
const POOL_VULNS: [(&str, &str); 6] = [
    ("CVE-2026-0001", "libssl3"),
    ("CVE-2026-0001", "libcrypto3"),
    ("CVE-2026-0002", "zlib1g"),
    ("CVE-2026-0003", "curl"),
    ("GHSA-aaaa-bbbb-cccc", "lodash"),
    ("CVE-2026-0004", "bash"),
];
const POOL_SEVERITIES: [&str; 7] = [
    "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN", "high", "LOW",
];

/// One random statement of the pool about `subjects`: (predicate type, predicate).
fn pool_predicate(rng: &mut Rng) -> (String, Value) {
    let with_https = |rng: &mut Rng, t: &str| {
        if rng.chance(20) {
            t.trim_start_matches("https://").to_owned()
        } else {
            t.to_owned()
        }
    };
    match rng.below(10) {
        0 | 1 => {
            let mut p = slsa_v1_github(
                rng.pick(&POOL_GITHUB_REPOS),
                rng.pick(&POOL_REFS),
                rng.pick(&POOL_BUILDERS),
            );
            for f in [
                "runDetails.builder.id",
                "buildDefinition.buildType",
                "buildDefinition.externalParameters.workflow.ref",
                "buildDefinition.externalParameters.workflow.repository",
            ] {
                if rng.chance(10) {
                    remove_at(&mut p, f);
                }
            }
            (with_https(rng, SLSA_V1), p)
        }
        2 | 3 => {
            let mut p = slsa_v1_generic(
                rng.pick(&POOL_BUILD_TYPES),
                rng.pick(&POOL_SOURCE_URIS),
                rng.pick(&POOL_BUILDERS),
            );
            if rng.chance(15) {
                remove_at(&mut p, "buildDefinition.resolvedDependencies");
            }
            (with_https(rng, SLSA_V1), p)
        }
        4 | 5 => {
            let source = rng.pick(&POOL_SOURCE_URIS);
            let config = rng.chance(60).then_some(source);
            let material = rng.pick(&POOL_SOURCE_URIS);
            let mut p = slsa_v02(
                rng.pick(&POOL_BUILDERS),
                rng.pick(&POOL_BUILD_TYPES),
                config,
                material,
            );
            if rng.chance(10) {
                remove_at(&mut p, "builder.id");
            }
            (with_https(rng, SLSA_V02), p)
        }
        6 | 7 => {
            let results = (!rng.chance(10)).then(|| {
                let targets = 1 + rng.below(3);
                (0..targets)
                    .map(|t| {
                        let n = rng.below(5);
                        let vulns: Vec<Value> = (0..n)
                            .map(|_| {
                                let (id, pkg) = rng.pick(&POOL_VULNS);
                                trivy_vuln(id, pkg, rng.pick(&POOL_SEVERITIES))
                            })
                            .collect();
                        if vulns.is_empty() && rng.chance(50) {
                            json!({"Target": format!("target {t}")})
                        } else {
                            json!({"Target": format!("target {t}"), "Vulnerabilities": vulns})
                        }
                    })
                    .collect()
            });
            let mut p = vuln_predicate(rng.pick(&POOL_SCANNERS), rng.pick(&POOL_FINISHED), results);
            for f in ["scanner.uri", "metadata.scanFinishedOn"] {
                if rng.chance(8) {
                    remove_at(&mut p, f);
                }
            }
            (with_https(rng, VULN), p)
        }
        8 => {
            let mut p = json!({
                "reviewer": {"team": rng.pick(&["security", "platform"]), "approvals": rng.below(3)},
                "verdict": rng.pick(&["approved", "rejected"]),
            });
            if rng.chance(20) {
                remove_at(&mut p, "reviewer.team");
            }
            (with_https(rng, REVIEW), p)
        }
        _ => (COSIGN_SIGN.to_owned(), json!({})),
    }
}

/// The pool of signed attestations the Python oracle draws from (`tests/oracle/atts/table.json`):
/// for each digest of the oracle's generator, random SLSA v1/v0.2 provenance, cosign
/// vulnerability scans, a custom review predicate and cosign signature statements, as keyed
/// DSSE envelopes by `release` or `other` (`tests/conformance/_keys/`); some about two images,
/// some tampered after signing. Each row records the entry, which key made it (`null` for a
/// tampered one: it verifies under no key) and a name; the oracle reads the statement from the
/// entry itself.
pub fn oracle_pool() -> Value {
    let mut rng = Rng(0x0b0a_a77e);
    let keys = [("release", FileKey::release()), ("other", FileKey::other())];
    let digests = pool_digests();
    let mut rows = Vec::new();
    for (d, (alg, hex_digest)) in digests.iter().enumerate() {
        for i in 0..24 {
            let (predicate_type, predicate) = pool_predicate(&mut rng);
            let mut subjects = vec![(alg.as_str(), hex_digest.as_str())];
            if rng.chance(15) {
                let (a2, h2) = &digests[(d + 1 + rng.below(3)) % digests.len()];
                subjects.insert(rng.below(2), (a2.as_str(), h2.as_str()));
            }
            let payload = statement(&subjects, &predicate_type, predicate.clone());
            let k = usize::from(rng.chance(30));
            let (key_name, key) = &keys[k];
            let mut entry = keyed(&payload, key);
            let mut signer = json!(key_name);
            if rng.chance(10) {
                // Tampered: the statement is rewritten after signing (another builder, another
                // scanner, or one more subject), the signature kept.
                let mut p = predicate;
                p["tampered"] = json!(true);
                let forged = statement(&subjects, &predicate_type, p);
                entry = tampered(&entry, &forged);
                signer = Value::Null;
            }
            rows.push(json!({
                "name": format!("{}-{}-{i}", &hex_digest[..4], key_name),
                "key": signer,
                "att": entry,
            }));
        }
    }
    Value::Array(rows)
}

/// Writes [`oracle_pool`] to `path`.
///
/// # Errors
/// When the file cannot be written.
pub fn write_oracle_pool(path: &Path) -> std::io::Result<usize> {
    let pool = oracle_pool();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, pretty(&pool))?;
    Ok(pool.as_array().map_or(0, Vec::len))
}
