//! Keyless conformance cases for `tests/conformance/` (docs/signatures.md): one case per
//! private-Sigstore fixture and entry form, each expecting what the fixture's manifest says a
//! verifier following the rules must answer, plus the rules no single fixture shows (unknown
//! digest, absent signatures, globs, extensions, `N of`, keys that require a log, compile and
//! bad-input errors). Deterministic: `conformance-keyless DIR` writes the same bytes again.
//!
//! The expectations come from [`Variant::verifies`], reviewed case by case against the rules
//! when the fixtures were made, never from running Bona.

use std::path::Path;

use serde_json::{Value, json};

use crate::fixtures::{self, Fixture, Variant};
use crate::keys::Key;
use crate::rekor::{Log, hashedrekord_body};
use crate::sigstore::{IMAGE_REPO, PrivateSigstore, simple_signing_payload};
use crate::{b64, hex};

const POLICY: &str = "release signed";
const TIME: &str = "2026-11-22T00:00:00Z";

/// One case: its folder name and files.
struct Case {
    name: String,
    files: Vec<(String, String)>,
}

fn image(digest: &[u8; 32]) -> String {
    format!("{IMAGE_REPO}@sha256:{}", hex(digest))
}

pub(crate) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default() + "\n"
}

pub(crate) fn input(reference: &str, facts: Value) -> Value {
    json!({
        "time": TIME,
        "asset": {"type": "workload", "cluster": "prod-eu-1", "namespace": "payments",
                  "kind": "Deployment", "name": "api"},
        "images": [{"ref": reference, "facts": facts}],
    })
}

/// The expected output of an `issue` policy over one image: `result` is `trusted`, `untrusted`
/// or `unknown` (an unknown `issue` policy resolves to untrusted).
fn expect(reference: &str, result: &str, reasons: Vec<String>) -> Value {
    expect_of(POLICY, reference, result, &reasons)
}

/// The expected output of the one `issue` policy `policy` over one image.
pub(crate) fn expect_of(policy: &str, reference: &str, result: &str, reasons: &[String]) -> Value {
    let trusted = result == "trusted";
    let reasons: Vec<String> = if trusted {
        Vec::new()
    } else if reasons.is_empty() {
        vec!["...".to_owned()]
    } else {
        reasons.to_vec()
    };
    let issues = if trusted {
        json!([])
    } else {
        json!([{
            "type": "runtime-security",
            "image": reference,
            "policies": [policy],
            "prevented": false,
            "title": "Untrusted image deployed in Kubernetes workload payments/api",
            "description": format!(
                "Kubernetes workload payments/api uses the image {reference}, which no trusted \
                 image policy in scope trusts ({policy})."
            ),
        }])
    };
    json!({
        "decision": "allow",
        "images": [{
            "ref": reference,
            "verdict": if trusted { "trusted" } else { "untrusted" },
            "prevented": false,
            "policies": [{
                "policy": policy,
                "action": "issue",
                "result": result,
                "resolved": if trusted { "trusted" } else { "untrusted" },
                "reasons": reasons,
            }],
        }],
        "issues": issues,
    })
}

/// A `.trust` file: a comment saying what the case pins, the trust root, the signers, the
/// policy over `rule`.
fn policy(comment: &str, root: &str, signers: &str, rule: &str) -> String {
    let comment: String = comment.lines().map(|l| format!("# {l}\n")).collect();
    format!(
        "{comment}trustroot private = file(\"{root}\")\n\n{signers}\n\npolicy \"{POLICY}\" {{\n  action issue\n  trust {rule}\n}}\n"
    )
}

fn keyless(name: &str, constraints: &[String]) -> String {
    let body: String = constraints.iter().map(|c| format!("  {c}\n")).collect();
    format!("key {name} = keyless {{\n{body}}}")
}

fn exact(f: &Fixture) -> Vec<String> {
    vec![
        format!("issuer == {:?}", f.issuer),
        format!("subject == {:?}", f.identity),
    ]
}

/// The trust root a case names: the shared one, or its own when the fixture's differs.
fn root_for(f: &Fixture, shared: &Value, files: &mut Vec<(String, String)>) -> String {
    if &f.trusted_root == shared {
        "../_keyless/trusted_root.json".to_owned()
    } else {
        files.push(("trusted_root.json".into(), pretty(&f.trusted_root)));
        "trusted_root.json".to_owned()
    }
}

fn fixture(ss: &PrivateSigstore, variant: Variant) -> Fixture {
    let n = Variant::ALL.iter().position(|v| *v == variant).unwrap_or(0);
    fixtures::build(ss, variant, n)
}

/// One case per fixture and entry form.
fn fixture_cases(ss: &PrivateSigstore, shared: &Value, out: &mut Vec<Case>) {
    for f in fixtures::all(ss) {
        let mut forms = vec![("", f.bundle_entry.clone())];
        if let Some(sig) = &f.sig_entry {
            forms.push(("sig-", sig.clone()));
        }
        for (prefix, entry) in forms {
            // A `.sig` entry without `tlog` has no transparency-log proof (a timestamp is not
            // one): it cannot verify, whatever its bundle form does.
            let in_log = prefix.is_empty() || entry.get("tlog").is_some();
            let verifies = f.variant.verifies() && in_log;
            let what = match (f.variant.breaks(), verifies) {
                ("", true) => "a good signature: true".to_owned(),
                ("", false) => "a good signature without a transparency-log proof (a .sig entry \
                                without `tlog`): false"
                    .to_owned(),
                (b, true) => format!("{b}: true"),
                (b, false) => format!("{b}: false"),
            };
            let mut files = Vec::new();
            let root = root_for(&f, shared, &mut files);
            let reference = image(&f.image_digest);
            let comment = format!(
                "docs/signatures.md#when-a-signature-verifies, private Sigstore case `{}`{}:\n{what}",
                f.variant.id(),
                if prefix.is_empty() {
                    " (bundle entry)"
                } else {
                    " (cosign .sig entry)"
                },
            );
            files.push((
                "policy.trust".into(),
                policy(
                    &comment,
                    &root,
                    &keyless("release_ci", &exact(&f)),
                    "signed by release_ci",
                ),
            ));
            files.push((
                "input.json".into(),
                pretty(&input(&reference, json!({"signatures": [entry]}))),
            ));
            let result = if verifies { "trusted" } else { "untrusted" };
            files.push((
                "expect.json".into(),
                pretty(&expect(&reference, result, vec![])),
            ));
            out.push(Case {
                name: format!("keyless-{prefix}{}", f.variant.id()),
                files,
            });
        }
    }
}

/// A keyed simple signature of `digest` by `key`, logged in a log of `ss` (SET), as a `.sig`
/// entry; with `logged == false` the same signature without `tlog`.
fn keyed_entry(ss: &PrivateSigstore, key: &Key, digest: &[u8; 32], logged: bool) -> Value {
    use sha2::{Digest as _, Sha256};
    let payload = simple_signing_payload(IMAGE_REPO, digest);
    let signature = key.sign(&payload);
    let mut entry = json!({"payload": b64(&payload), "signature": b64(&signature)});
    if logged {
        let sum: [u8; 32] = Sha256::digest(&payload).into();
        let mut log = Log::new(ss.rekor.clone(), "rekor.testkit.bona.invalid", 11);
        log.append(b"{}".to_vec(), 1_772_366_000);
        let i = log.append(
            hashedrekord_body(&sum, &signature, &key.public_pem()),
            1_772_366_405,
        );
        let e = log.entry(i);
        entry["tlog"] = json!({
            "SignedEntryTimestamp": b64(&e.set),
            "Payload": {"body": b64(&e.body), "integratedTime": e.integrated_time,
                        "logIndex": e.log_index, "logID": hex(&e.log_id)},
        });
    }
    entry
}

/// The rules no single fixture shows.
fn rule_cases(ss: &PrivateSigstore, out: &mut Vec<Case>) {
    let good = fixture(ss, Variant::GoodMessageV03);
    let evil = fixture(ss, Variant::IdentityOtherOrg);
    let suffix = fixture(ss, Variant::IdentitySuffix);
    let root = "../_keyless/trusted_root.json";
    let reference = image(&good.image_digest);
    let entry = good.bundle_entry.clone();
    let glob = "subject matches \"https://github.com/company/*/.github/workflows/release.yml@refs/tags/v*\"";
    let issuer = format!("issuer == {:?}", good.issuer);
    let mut case = |name: &str,
                    comment: &str,
                    signers: String,
                    rule: &str,
                    input: Value,
                    expected: Value,
                    extra: Vec<(String, String)>| {
        let mut files = vec![
            (
                "policy.trust".to_owned(),
                policy(comment, root, &signers, rule),
            ),
            ("input.json".to_owned(), pretty(&input)),
            ("expect.json".to_owned(), pretty(&expected)),
        ];
        files.extend(extra);
        out.push(Case {
            name: format!("keyless-{name}"),
            files,
        });
    };
    let sigs = |entries: Vec<Value>| json!({ "signatures": entries });

    case(
        "absent-signatures",
        "docs/signatures.md#tri-state: facts without `signatures` leave `signed by` unknown.",
        keyless("release_ci", &exact(&good)),
        "signed by release_ci",
        input(&reference, json!({"scanned": true})),
        expect(&reference, "unknown", vec![]),
        vec![],
    );
    case(
        "empty-signatures",
        "docs/signatures.md#tri-state: `signatures: []` is known: false.",
        keyless("release_ci", &exact(&good)),
        "signed by release_ci",
        input(&reference, sigs(vec![])),
        expect(&reference, "untrusted", vec![]),
        vec![],
    );
    let tagged = format!("{IMAGE_REPO}:1.0");
    case(
        "digest-unknown",
        "docs/signatures.md#tri-state: a signature verifies but the image's digest is unknown\n(a tag-only reference, no facts digest): unknown.",
        keyless("release_ci", &exact(&good)),
        "signed by release_ci",
        input(&tagged, sigs(vec![entry.clone()])),
        expect(&tagged, "unknown", vec![]),
        vec![],
    );
    case(
        "digest-from-facts",
        "docs/signatures.md#tri-state: the facts' digest binds a tag-only reference: true.",
        keyless("release_ci", &exact(&good)),
        "signed by release_ci",
        input(
            &tagged,
            json!({"digest": format!("sha256:{}", hex(&good.image_digest)), "signatures": [entry.clone()]}),
        ),
        expect(&tagged, "trusted", vec![]),
        vec![],
    );
    case(
        "glob-subject",
        "docs/signatures.md#when-a-signature-verifies: `subject matches` with the globs of image\npatterns, anchored: the release workflow of company/app at tag v1.0.0 matches.",
        keyless("release_ci", &[issuer.clone(), glob.to_owned()]),
        "signed by release_ci",
        input(&reference, sigs(vec![entry.clone()])),
        expect(&reference, "trusted", vec![]),
        vec![],
    );
    case(
        "glob-other-org",
        "check 6: `company/*` does not match a workflow of `company-evil`: false.",
        keyless("release_ci", &[issuer.clone(), glob.to_owned()]),
        "signed by release_ci",
        input(&reference, sigs(vec![evil.bundle_entry.clone()])),
        expect(&reference, "untrusted", vec![]),
        vec![],
    );
    case(
        "glob-anchored-end",
        "check 6: globs are anchored at the end: the identity with `/evil` appended does not\nmatch `refs/tags/v*` (`*` does not cross `/`): false.",
        keyless("release_ci", &[issuer.clone(), glob.to_owned()]),
        "signed by release_ci",
        input(&reference, sigs(vec![suffix.bundle_entry.clone()])),
        expect(&reference, "untrusted", vec![]),
        vec![],
    );
    let with = |extra: &str| {
        let mut c = exact(&good);
        c.push(extra.to_owned());
        keyless("release_ci", &c)
    };
    let ext_cases = [
        (
            "extension-eq",
            "an extension constraint that holds: true.",
            "source_repository_uri == \"https://github.com/company/app\"",
            "trusted",
        ),
        (
            "extension-eq-near-miss",
            "an extension constraint that does not hold (a prefix of the value): false.",
            "source_repository_uri == \"https://github.com/company/ap\"",
            "untrusted",
        ),
        (
            "extension-in",
            "`in` holds when the value is one of the list: true.",
            "runner_environment in [\"self-hosted\", \"github-hosted\"]",
            "trusted",
        ),
        (
            "extension-ne",
            "`!=` on an extension the certificate has, with another value: true.",
            "runner_environment != \"self-hosted\"",
            "trusted",
        ),
        (
            "extension-missing-ne",
            "a constraint on an extension the certificate lacks does not hold, `!=` included: false.",
            "deployment_environment != \"production\"",
            "untrusted",
        ),
        (
            "extension-matches",
            "`matches` on an extension: true.",
            "build_signer_uri matches \"https://github.com/company/**\"",
            "trusted",
        ),
    ];
    for (name, comment, constraint, result) in ext_cases {
        case(
            name,
            &format!("docs/signatures.md#when-a-signature-verifies, check 6: {comment}"),
            with(constraint),
            "signed by release_ci",
            input(&reference, sigs(vec![entry.clone()])),
            expect(&reference, result, vec![]),
            vec![],
        );
    }

    // A key of the corpus, and its signatures of the fixture image.
    let key = Key::derive(1, "conformance/release-key");
    let key_file = vec![("release.pub".to_owned(), key.public_pem())];
    let logged = keyed_entry(ss, &key, &good.image_digest, true);
    let bare = keyed_entry(ss, &key, &good.image_digest, false);
    let loose = keyless(
        "any_company",
        &[
            issuer.clone(),
            "subject matches \"https://github.com/company/**\"".to_owned(),
        ],
    );
    case(
        "n-of-two-signers",
        "docs/signatures.md#several-signers: two signers, each with its own signature: true.",
        format!(
            "{}\n\nkey release = file(\"release.pub\")",
            keyless("release_ci", &exact(&good))
        ),
        "signed by 2 of [release_ci, release]",
        input(&reference, sigs(vec![entry.clone(), bare.clone()])),
        expect(&reference, "trusted", vec![]),
        key_file.clone(),
    );
    case(
        "n-of-one-signature-two-signers",
        "docs/signatures.md#several-signers: each signature counts for one signer; two keyless\nsigners that both accept the one signature make one: false.",
        format!("{}\n\n{loose}", keyless("release_ci", &exact(&good))),
        "signed by 2 of [release_ci, any_company]",
        input(&reference, sigs(vec![entry.clone()])),
        expect(&reference, "untrusted", vec![]),
        vec![],
    );
    case(
        "n-of-same-signature-twice",
        "docs/signatures.md#several-signers: the same signature in two entries (its bundle and its\n.sig form) is one signature: false.",
        format!("{}\n\n{loose}", keyless("release_ci", &exact(&good))),
        "signed by 2 of [release_ci, any_company]",
        input(
            &reference,
            sigs(vec![
                entry.clone(),
                good.sig_entry.clone().unwrap_or(Value::Null),
            ]),
        ),
        expect(&reference, "untrusted", vec![]),
        vec![],
    );
    case(
        "n-of-one-needed",
        "docs/signatures.md#several-signers: 1 of two signers, one satisfied: true.",
        format!(
            "{}\n\nkey release = file(\"release.pub\")",
            keyless("release_ci", &exact(&good))
        ),
        "signed by 1 of [release, release_ci]",
        input(&reference, sigs(vec![entry.clone()])),
        expect(&reference, "trusted", vec![]),
        key_file.clone(),
    );
    case(
        "n-of-digest-unknown",
        "docs/signatures.md#several-signers: two signatures verify, but the digest is unknown:\nunknown.",
        format!(
            "{}\n\nkey release = file(\"release.pub\")",
            keyless("release_ci", &exact(&good))
        ),
        "signed by 2 of [release_ci, release]",
        input(&tagged, sigs(vec![entry.clone(), bare.clone()])),
        expect(&tagged, "unknown", vec![]),
        key_file.clone(),
    );
    case(
        "key-with-tlog",
        "docs/signatures.md#signers: a key with `{ tlog R }`, its signature in a log of R (SET):\ntrue.",
        "key release = file(\"release.pub\") { tlog private }".to_owned(),
        "signed by release",
        input(&reference, sigs(vec![logged.clone()])),
        expect(&reference, "trusted", vec![]),
        key_file.clone(),
    );
    case(
        "key-with-tlog-not-logged",
        "docs/signatures.md#signers: a key with `{ tlog R }` and a signature with no log entry:\nfalse (a plain key would accept it).",
        "key release = file(\"release.pub\") { tlog private }".to_owned(),
        "signed by release",
        input(&reference, sigs(vec![bare.clone()])),
        expect(&reference, "untrusted", vec![]),
        key_file.clone(),
    );
    case(
        "plain-key-ignores-tlog",
        "docs/signatures.md#signers: a plain key ignores transparency-log material: true.",
        "key release = file(\"release.pub\")".to_owned(),
        "signed by release",
        input(&reference, sigs(vec![logged.clone()])),
        expect(&reference, "trusted", vec![]),
        key_file.clone(),
    );
    case(
        "keyed-signature-under-keyless",
        "docs/signatures.md#when-a-signature-verifies: a keyed signature (no certificate) never\nverifies under a keyless signer: false.",
        keyless("release_ci", &exact(&good)),
        "signed by release_ci",
        input(&reference, sigs(vec![bare.clone()])),
        expect(&reference, "untrusted", vec![]),
        vec![],
    );
    case(
        "reason-identity",
        "docs/signatures.md#reasons: a wrong identity is named, with what the signer wanted.",
        keyless("release_ci", &[issuer.clone(), glob.to_owned()]),
        "signed by release_ci",
        input(&reference, sigs(vec![evil.bundle_entry.clone()])),
        expect(
            &reference,
            "untrusted",
            vec![format!(
                "not signed by `release_ci`: the one signature does not verify (identity subject {} \
                 does not match https://github.com/company/*/.github/workflows/release.yml@refs/tags/v*)",
                evil.identity.replace("/company/", "/company-evil/")
            )],
        ),
        vec![],
    );

    // Compile errors (exit 1) and bad input (exit 2).
    let mut error = |name: &str,
                     comment: &str,
                     signers: String,
                     rule: &str,
                     input: Value,
                     exit: u8,
                     stderr: &str| {
        let mut files = vec![
            (
                "policy.trust".to_owned(),
                policy(comment, root, &signers, rule),
            ),
            ("input.json".to_owned(), pretty(&input)),
            ("expect.exit".to_owned(), format!("{exit}\n")),
        ];
        if !stderr.is_empty() {
            files.push(("expect.stderr".to_owned(), format!("{stderr}\n")));
        }
        out.push(Case {
            name: format!("keyless-{name}"),
            files,
        });
    };
    let plain = input(&reference, sigs(vec![entry.clone()]));
    error(
        "error-no-issuer",
        "docs/signatures.md#when-a-signature-verifies: a keyless signer with no `issuer` would\ntrust any issuer: a compile error.",
        keyless("release_ci", &[format!("subject == {:?}", good.identity)]),
        "signed by release_ci",
        plain.clone(),
        1,
        "",
    );
    error(
        "error-no-subject",
        "A keyless signer with no `subject` would trust anyone: a compile error.",
        keyless("release_ci", std::slice::from_ref(&issuer)),
        "signed by release_ci",
        plain.clone(),
        1,
        "",
    );
    error(
        "error-n-out-of-range",
        "docs/signatures.md#several-signers: N outside 1..len is a compile error.",
        format!("{}\n\n{loose}", keyless("release_ci", &exact(&good))),
        "signed by 3 of [release_ci, any_company]",
        plain.clone(),
        1,
        "",
    );
    error(
        "error-n-repeated",
        "docs/signatures.md#several-signers: a name repeated in the list is a compile error.",
        keyless("release_ci", &exact(&good)),
        "signed by 1 of [release_ci, release_ci]",
        plain.clone(),
        1,
        "",
    );
    let mut bad_cert = good.sig_entry.clone().unwrap_or(Value::Null);
    bad_cert["certificate"] =
        json!("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    error(
        "bad-input-certificate",
        "docs/signatures.md#signature-entries: a `certificate` that is not a certificate is bad\ninput (exit 2) naming its JSON path.",
        keyless("release_ci", &exact(&good)),
        "signed by release_ci",
        input(&reference, sigs(vec![bad_cert])),
        2,
        "signatures[0]",
    );
    let mut bad_bundle = entry.clone();
    bad_bundle["bundle"]["mediaType"] =
        json!("application/vnd.dev.sigstore.bundle+json;version=9.9");
    error(
        "bad-input-bundle-media-type",
        "docs/signatures.md#signature-entries: a bundle of an unknown version is bad input (exit\n2) naming its JSON path.",
        keyless("release_ci", &exact(&good)),
        "signed by release_ci",
        input(&reference, sigs(vec![bad_bundle])),
        2,
        "signatures[0]",
    );
}

/// Writes every case into `dir` (`tests/conformance`), and the shared trust root into
/// `dir/_keyless/`.
///
/// # Errors
/// When a file cannot be written.
pub fn write_cases(dir: &Path) -> std::io::Result<usize> {
    let ss = PrivateSigstore::new(1);
    let shared = ss.trusted_root();
    std::fs::create_dir_all(dir.join("_keyless"))?;
    std::fs::write(dir.join("_keyless/trusted_root.json"), pretty(&shared))?;
    let mut cases = Vec::new();
    fixture_cases(&ss, &shared, &mut cases);
    rule_cases(&ss, &mut cases);
    for case in &cases {
        let d = dir.join(&case.name);
        std::fs::create_dir_all(&d)?;
        for (name, text) in &case.files {
            std::fs::write(d.join(name), text)?;
        }
    }
    Ok(cases.len())
}
