//! The held-back Sigstore corpus (`shared/conformance-real/sigstore`: the sigstore-conformance
//! bundle-verification suite and real client bundles, 98 cases with their expected results).
//!
//! Cases that sign a container image (a cosign v3 keyless image signature: a DSSE envelope whose
//! statement has predicate type `https://sigstore.dev/cosign/sign/v1` and the image digest as
//! subject) run through the real `bona eval`: a policy with a keyless signer for the case's
//! identity and issuer, the bundle as the image's one
//! signature entry, and the verdict must be `trusted` exactly when the case expects success.
//!
//! Every other case signs a file (sigstore-conformance's `a.txt`, npm tarballs) or is an
//! attestation (predicate types other than cosign's signature statement). The spec's image
//! binding cannot apply to those — their payload names no image — so a thin adapter runs them
//! through the same runtime code `bona eval` uses, minus that binding: the facts reader
//! (`FactsDocument`), the signer (`Signer::verify_unbound`: checks 1–6), and, for DSSE
//! statements, the artifact digest among the statement's subjects (what sigstore-conformance
//! calls the artifact binding). The trust root and key go through the same readers as in a
//! policy set.
//!
//! The corpus is read in place (`../shared`, or `$BONA_SHARED_DIR`), never copied here.

use std::path::Path;

use crate::conformance_real::corpus;
use bona_runtime::eval::KeyRing;
use bona_runtime::facts::FactsDocument;
use bona_runtime::ir::{
    IdentityAttr, IdentityConstraint, IdentityTest, KeyDef, Signer, TrustRootDef,
};
use serde_json::{Value, json};

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the case signs a container image as cosign v3 does.
fn is_image_signature(case: &Value) -> bool {
    case["features"]["dsse_predicate_type"].as_str() == Some("https://sigstore.dev/cosign/sign/v1")
        && case["artifact_digest"].is_string()
}

/// The image case through `bona eval` (a policy with a keyless signer for the case's identity
/// and issuer, the bundle as the image's one signature entry): `Ok(true)` when trusted.
fn through_bona_eval(base: &Path, case: &Value) -> Result<bool, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = base.join(case["trusted_root"].as_str().ok_or("no trusted_root")?);
    let digest = case["artifact_digest"].as_str().ok_or("no digest")?;
    let bundle: Value = serde_json::from_slice(&read(
        &base.join(case["bundle"].as_str().ok_or("no bundle")?),
    )?)
    .map_err(|e| format!("bundle: {e}"))?;
    let facts = dir.path().join("facts.json");
    let doc = json!({"images": {digest: {"signatures": [{"bundle": bundle}]}}});
    std::fs::write(&facts, doc.to_string()).map_err(|e| e.to_string())?;
    crate::xcheck::eval_verdict(
        &root,
        case["identity"].as_str().unwrap_or_default(),
        case["issuer"].as_str().unwrap_or_default(),
        &facts,
        &format!("registry.example.com/app@{digest}"),
    )
}

/// The adapter for files and attestations: `Ok(())` when the bundle verifies under the case's
/// signer and binds its artifact, `Err` with the reason otherwise.
fn through_the_runtime(base: &Path, case: &Value, now: i64) -> Result<(), String> {
    let root = case["trusted_root"].as_str().ok_or("no trusted_root")?;
    let document = String::from_utf8(read(&base.join(root))?).map_err(|e| e.to_string())?;
    let signer = match case["key"].as_str() {
        Some(key) => {
            let key = bona_runtime::signature::PublicKey::from_pem_or_der(&read(&base.join(key))?)
                .map_err(|e| e.to_string())?;
            Signer::Key {
                spki_der: key.to_spki_der(),
                tlog: Some(0),
            }
        }
        None => Signer::Keyless {
            root: 0,
            identity: vec![
                IdentityConstraint {
                    attr: IdentityAttr::Issuer,
                    test: IdentityTest::Eq(case["issuer"].as_str().unwrap_or_default().into()),
                },
                IdentityConstraint {
                    attr: IdentityAttr::Subject,
                    test: IdentityTest::Eq(case["identity"].as_str().unwrap_or_default().into()),
                },
            ],
        },
    };
    let ring = KeyRing::from_set(
        &[KeyDef {
            name: "signer".into(),
            signer,
        }],
        &[TrustRootDef {
            name: "root".into(),
            document,
        }],
    )
    .map_err(|(name, e)| format!("{name}: {e}"))?;
    let bundle_text = String::from_utf8_lossy(&read(
        &base.join(case["bundle"].as_str().ok_or("no bundle")?),
    )?)
    .into_owned();
    let artifact = match case["artifact"].as_str() {
        Some(p) => Some(read(&base.join(p))?),
        None => None,
    };
    // The facts entry, as JSON text so that a malformed bundle reaches the facts reader as is.
    let entry = match (&artifact, case["features"]["content"].as_str()) {
        (Some(bytes), Some("messageSignature")) => {
            format!(
                r#"{{"bundle": {bundle_text}, "payload": "{}"}}"#,
                b64(bytes)
            )
        }
        _ => format!(r#"{{"bundle": {bundle_text}}}"#),
    };
    let facts =
        format!(r#"{{"images": {{"registry.example.com/file": {{"signatures": [{entry}]}}}}}}"#);
    let doc = FactsDocument::from_json(facts.as_bytes()).map_err(|e| e.to_string())?;
    let (_, image) = doc.iter().next().ok_or("no image")?;
    let signature = image
        .signatures
        .as_ref()
        .and_then(|s| s.first())
        .ok_or("no signature")?;
    let signer = ring.get(0).ok_or("no signer")?;
    signer.verify_unbound(signature, now)?;
    // The artifact binding of a DSSE statement: the artifact's digest is a subject's.
    if let Some(rest) = signature.payload.strip_prefix(b"DSSEv1 ") {
        let want = match (&artifact, case["artifact_digest"].as_str()) {
            (Some(bytes), _) => Some(format!("sha256:{}", sha256_hex(bytes))),
            (None, Some(d)) => Some(d.to_owned()),
            (None, None) => None,
        };
        if let Some(want) = want {
            let envelope = bona_sigstore_payload(rest).ok_or("the DSSE payload cannot be read")?;
            let statement = bona_sigstore::intoto::Statement::from_json(&envelope)
                .map_err(|e| e.to_string())?;
            if !statement.has_subject_digest(&want) {
                return Err(format!("no subject of the statement has digest {want}"));
            }
        }
    }
    Ok(())
}

/// The body of a PAE (`DSSEv1 <len> <type> <len> <body>`) after its `DSSEv1 ` prefix.
fn bona_sigstore_payload(rest: &[u8]) -> Option<Vec<u8>> {
    fn field(text: &[u8]) -> Option<(&[u8], &[u8])> {
        let space = text.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(text.get(..space)?).ok()?.parse().ok()?;
        let start = space + 1;
        Some((text.get(start..start + len)?, text.get(start + len..)?))
    }
    let (_, rest) = field(rest)?;
    let rest = rest.strip_prefix(b" ")?;
    let (body, _) = field(rest)?;
    Some(body.to_vec())
}

#[test]
fn every_sigstore_case_gives_its_expected_result() {
    let Some(base) = corpus("sigstore", Some("manifest.json")) else {
        return;
    };
    let manifest: Value =
        serde_json::from_slice(&read(&base.join("manifest.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("manifest.json: {e}"));
    let cases = manifest["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 98, "{} cases", cases.len());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut through_eval = 0;
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        let want = case["expect"].as_str() == Some("success");
        let got = if is_image_signature(case) {
            through_eval += 1;
            through_bona_eval(&base, case)
        } else {
            Ok(through_the_runtime(&base, case, now).is_ok())
        };
        match got {
            Ok(got) if got == want => {}
            Ok(got) => {
                let why = through_the_runtime(&base, case, now)
                    .err()
                    .unwrap_or_default();
                failures.push(format!("{id}: expected {want}, got {got} ({why})"));
            }
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
    assert!(through_eval >= 4, "only {through_eval} image cases");
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
