//! Keyless image signatures made by the real sigstore-js signer verify in Bona.
//!
//! `tests/sigstore-js/server-and-sign.mjs` serves `@sigstore/mock`'s Fulcio, Rekor and TSA on
//! 127.0.0.1 and signs with `@sigstore/sign` 4.1.1, as a GitHub Actions workflow would (an OIDC
//! token for `…/release.yml@refs/tags/v1.0.0`, issuer GitHub's): a cosign v3 image signature
//! (DSSE, in-toto statement of predicate type `https://sigstore.dev/cosign/sign/v1` naming the
//! image digest) and a message signature over cosign's simple-signing payload, each with a Rekor
//! entry alone and with an RFC 3161 timestamp as well — four bundles, none written by Bona's own
//! code. Each must vouch for the image under a keyless signer of that identity, and not for a
//! wrong subject or issuer, another image, a flipped signature byte, or an unrelated trust root
//! (a second mock Sigstore's).
//!
//! The bundles go in unaltered: what `bundleToJSON` writes, proto3 defaults omitted (the mock
//! log's one-leaf inclusion proof has no `logIndex` and no `hashes`), as any sigstore-js
//! client writes them.
//!
//! Bona decides through the runtime (the facts reader and `Signer::vouched`, what `signed by`
//! runs) and, once `bona` reads `keyless` signers, through `bona eval` as well.
//!
//! Needs Node and the npm packages of `tests/sigstore-js` (`scripts/install-test-tools.sh` runs
//! `npm ci` there); without them this test only says so, unless `BONA_REQUIRE_TOOLS=1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::xcheck::{self, eval_verdict, runtime_verdict};

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `tests/sigstore-js`, or `None` after saying what is missing.
fn tool_dir() -> Option<PathBuf> {
    let dir = xcheck::repo().join("tests/sigstore-js");
    if !xcheck::runs("node") {
        xcheck::tool_missing("node is not installed");
        return None;
    }
    if !dir
        .join("node_modules/@sigstore/sign/package.json")
        .is_file()
        || !dir
            .join("node_modules/@sigstore/mock/package.json")
            .is_file()
    {
        xcheck::tool_missing(&format!(
            "the npm packages of {} are not installed (npm ci there)",
            dir.display()
        ));
        return None;
    }
    Some(dir)
}

/// One question put to Bona: does `entry` vouch for the image `digest` under a keyless signer
/// for `identity`/`issuer` of the trust root in `root`?
struct Check {
    what: String,
    root: PathBuf,
    identity: String,
    issuer: String,
    entry: Value,
    digest: String,
    trusted: bool,
}

/// The image's facts entry for a bundle: a DSSE bundle carries its statement; a message
/// signature is over the payload, which travels beside it (docs/signatures.md#signature-entries).
fn entry(bundle: &Value, payload: &[u8]) -> Value {
    if bundle.get("dsseEnvelope").is_some() {
        json!({ "bundle": bundle })
    } else {
        json!({ "bundle": bundle, "payload": b64().encode(payload) })
    }
}

/// The bundle with one byte of its signature changed.
fn flip_signature(bundle: &Value) -> Value {
    let mut bundle = bundle.clone();
    let sig = if bundle.get("dsseEnvelope").is_some() {
        &mut bundle["dsseEnvelope"]["signatures"][0]["sig"]
    } else {
        &mut bundle["messageSignature"]["signature"]
    };
    let mut bytes = b64()
        .decode(sig.as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("signature: {e}"));
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    *sig = Value::String(b64().encode(bytes));
    bundle
}

#[test]
fn bundles_from_the_sigstore_js_signer_verify_for_their_identity_only() {
    let Some(tool) = tool_dir() else { return };
    let out = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut node = Command::new("node");
    node.arg(tool.join("server-and-sign.mjs"))
        .arg(out.path())
        .current_dir(&tool)
        // Loopback only: a proxy from the environment must not see the signing requests.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    if let Err(e) = xcheck::run_bounded(&mut node, Duration::from_secs(120)) {
        panic!("the sigstore-js signer failed: {e}");
    }

    let dir = out.path();
    let image = read_json(&dir.join("image.json"));
    let digest = image["digest"]
        .as_str()
        .expect("image.json: digest")
        .to_owned();
    let identity = image["identity"]
        .as_str()
        .expect("image.json: identity")
        .to_owned();
    let issuer = image["issuer"]
        .as_str()
        .expect("image.json: issuer")
        .to_owned();
    let payload = std::fs::read(dir.join("payload.json")).unwrap_or_else(|e| panic!("{e}"));
    let root = dir.join("trusted_root.json");
    let other_root = dir.join("other_trusted_root.json");
    let other_digest = format!("sha256:{}", "0f".repeat(32));

    let mut checks = Vec::new();
    for name in ["dsse", "dsse-tsa", "msg", "msg-tsa"] {
        let bundle = read_json(&dir.join(format!("{name}.json")));
        // What the signer made, so that the checks below test what their names say.
        let media_type = bundle["mediaType"].as_str().unwrap_or_default();
        assert!(
            media_type.starts_with("application/vnd.dev.sigstore.bundle"),
            "{name}: {media_type}"
        );
        assert_eq!(
            bundle.get("dsseEnvelope").is_some(),
            name.starts_with("dsse"),
            "{name}: content"
        );
        let timestamps =
            &bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"];
        assert_eq!(
            timestamps.as_array().is_some_and(|t| !t.is_empty()),
            name.ends_with("-tsa"),
            "{name}: RFC 3161 timestamps"
        );
        // The shape Bona must read as is: proto3 JSON omits the one-leaf proof's zero
        // `logIndex` and empty `hashes`, and the entry's own `logIndex` is not the proof's.
        let entry0 = &bundle["verificationMaterial"]["tlogEntries"][0];
        let proof = &entry0["inclusionProof"];
        assert_eq!(proof["treeSize"], "1", "{name}: {proof}");
        assert!(
            proof.get("logIndex").is_none() && proof.get("hashes").is_none(),
            "{name}: proto3 defaults present: {proof}"
        );
        assert!(entry0["logIndex"].is_string(), "{name}: {entry0}");
        let good = entry(&bundle, &payload);
        let check = |what: &str,
                     root: &Path,
                     identity: &str,
                     issuer: &str,
                     entry: &Value,
                     digest: &str,
                     trusted| Check {
            what: format!("{name}: {what}"),
            root: root.to_owned(),
            identity: identity.to_owned(),
            issuer: issuer.to_owned(),
            entry: entry.clone(),
            digest: digest.to_owned(),
            trusted,
        };
        checks.push(check(
            "as signed",
            &root,
            &identity,
            &issuer,
            &good,
            &digest,
            true,
        ));
        checks.push(check(
            "another workflow's subject",
            &root,
            &identity.replace("release.yml", "nightly.yml"),
            &issuer,
            &good,
            &digest,
            false,
        ));
        checks.push(check(
            "another repository's subject",
            &root,
            &identity.replace("company/app", "company-evil/app"),
            &issuer,
            &good,
            &digest,
            false,
        ));
        checks.push(check(
            "another issuer",
            &root,
            &identity,
            "https://accounts.google.com",
            &good,
            &digest,
            false,
        ));
        checks.push(check(
            "another image",
            &root,
            &identity,
            &issuer,
            &good,
            &other_digest,
            false,
        ));
        checks.push(check(
            "a signature byte flipped",
            &root,
            &identity,
            &issuer,
            &entry(&flip_signature(&bundle), &payload),
            &digest,
            false,
        ));
        checks.push(check(
            "an unrelated trust root",
            &other_root,
            &identity,
            &issuer,
            &good,
            &digest,
            false,
        ));
    }

    let now = xcheck::now();
    let mut failures = Vec::new();
    for c in &checks {
        let document = std::fs::read_to_string(&c.root).unwrap_or_else(|e| panic!("{e}"));
        let entry = c.entry.to_string();
        match runtime_verdict(&document, &c.identity, &c.issuer, &entry, &c.digest, now) {
            Ok(()) if !c.trusted => failures.push(format!("{}: vouches, should not", c.what)),
            Err(why) if c.trusted => failures.push(format!("{}: refused: {why}", c.what)),
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "runtime: {} of {} checks wrong:\n{}",
        failures.len(),
        checks.len(),
        failures.join("\n")
    );

    // The same checks through `bona eval`.
    for (i, c) in checks.iter().enumerate() {
        let image_ref = format!("registry.example.com/app@{}", c.digest);
        let facts = json!({"images": {&image_ref: {"digest": c.digest, "signatures": [c.entry]}}});
        let facts_path = dir.join(format!("facts-{i}.json"));
        std::fs::write(&facts_path, facts.to_string()).unwrap_or_else(|e| panic!("{e}"));
        match eval_verdict(&c.root, &c.identity, &c.issuer, &facts_path, &image_ref) {
            Ok(trusted) if trusted == c.trusted => {}
            Ok(trusted) => failures.push(format!("{}: bona eval says trusted={trusted}", c.what)),
            Err(e) => failures.push(format!("{}: {e}", c.what)),
        }
    }
    assert!(
        failures.is_empty(),
        "bona eval: {} of {} checks wrong:\n{}",
        failures.len(),
        checks.len(),
        failures.join("\n")
    );
    eprintln!(
        "{} checks of 4 sigstore-js bundles: as expected through the runtime and bona eval",
        checks.len()
    );
    attestations_count_for_their_identity_and_image(dir, &identity, &issuer, &digest);
}

/// The provenance attestation sigstore-js signed (docs/attestations.md): it counts for a
/// signer of its identity and its image only; it is never a signature, and the cosign
/// signature statement is never an attestation.
fn attestations_count_for_their_identity_and_image(
    dir: &Path,
    identity: &str,
    issuer: &str,
    digest: &str,
) {
    let provenance = json!({"bundle": read_json(&dir.join("provenance.json"))});
    let signature = json!({"bundle": read_json(&dir.join("dsse.json"))});
    let flipped = json!({"bundle": flip_signature(&read_json(&dir.join("provenance.json")))});
    let policy = format!(
        r#"trustroot mock = file("trusted_root.json")
key ci = keyless {{
  issuer == "{issuer}"
  subject == "{identity}"
}}
key other = keyless {{
  issuer == "{issuer}"
  subject == "{}"
}}
policy "attested" {{
  action issue
  trust attested(ci, "https://slsa.dev/provenance/v1")
}}
policy "provenance" {{
  action issue
  trust provenance(ci).builder == "https://github.com/actions/runner/github-hosted"
    and provenance(ci).source == "github.com/company/app"
    and provenance(ci).ref == "refs/tags/v1.0.0"
}}
policy "other identity" {{
  action issue
  trust attested(other, "https://slsa.dev/provenance/v1")
}}
policy "signed" {{
  action issue
  trust signed by ci
}}
policy "signature as attestation" {{
  action issue
  trust attested(ci, "https://sigstore.dev/cosign/sign/v1")
}}
"#,
        identity.replace("release.yml", "nightly.yml")
    );
    std::fs::write(dir.join("attest.trust"), policy).unwrap_or_else(|e| panic!("{e}"));
    let image = |digest: &str, attestations: Vec<&Value>, signatures: Vec<&Value>| {
        json!({"ref": format!("registry.example.com/app@{digest}"),
               "facts": {"attestations": attestations, "signatures": signatures}})
    };
    let other_digest = format!("sha256:{}", "0f".repeat(32));
    let input = json!({
        "asset": {"type": "workload", "cluster": "c", "namespace": "n", "kind": "Pod", "name": "p"},
        "images": [
            // The provenance among the attestations, the signature statement among both.
            image(digest, vec![&provenance, &signature], vec![&provenance]),
            image(&other_digest, vec![&provenance], vec![]),
            image(digest, vec![&flipped], vec![]),
        ],
    });
    std::fs::write(dir.join("attest-input.json"), input.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(env!("CARGO_BIN_EXE_bona"))
        .current_dir(dir)
        .args([
            "eval",
            "--policy",
            "attest.trust",
            "--input",
            "attest-input.json",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run bona: {e}"));
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let result = |i: usize, policy: &str| {
        doc["images"][i]["policies"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["policy"] == policy))
            .map(|p| p["result"].clone())
            .unwrap_or_else(|| panic!("no {policy} for image {i}: {doc}"))
    };
    let want = [
        (0, "attested", "trusted"),
        (0, "provenance", "trusted"),
        (0, "other identity", "untrusted"),
        (0, "signed", "untrusted"),
        (0, "signature as attestation", "untrusted"),
        (1, "attested", "untrusted"),
        (1, "provenance", "untrusted"),
        (2, "attested", "untrusted"),
        (2, "provenance", "untrusted"),
    ];
    for (i, policy, verdict) in want {
        assert_eq!(result(i, policy), verdict, "image {i}, {policy}: {doc:#}");
    }
}
