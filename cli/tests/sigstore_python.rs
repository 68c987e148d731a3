//! Python sigstore 4.5.1, an independent verifier, agrees with Bona on every fixture of the
//! private Sigstore (`bona-testkit`, seed 1), case by case — not with the fixtures' expected
//! results but with what Bona actually decides.
//!
//! The fixtures are written to a temporary directory by `bona_testkit::fixtures::write_dir`;
//! `testkit/check-with-sigstore-python.sh --json` runs `sigstore verify identity --offline` on
//! each case's bundle with the case's trust root, identity and issuer; Bona judges the case's
//! `entry.json` (the bundle as a facts entry) through the runtime (facts reader and
//! `Signer::vouched`, with the image binding) and, once `bona` reads `keyless` signers,
//! `facts.json` through `bona eval`.
//!
//! They must agree on every case but these, where sigstore-python cannot judge as docs/signatures.md
//! does (the script's `KNOWN_DIFF`; Bona must then give the documented answer, the manifest's):
//!
//! - `downgrade-v0.1-without-inclusion-proof`: a v0.1 bundle with a SET and no inclusion
//!   proof. protobuf-specs lets v0.1 carry only a SET, and §7.2 check 2 is met by it (a
//!   verified log proof and time); sigstore-python demands an inclusion proof in every version.
//! - `bad-expired-ca`: the trust root's CA `validFor` ended before signing; sigstore-python
//!   uses a CA whatever its end (`allow_expired`).
//! - `bad-log-key-expired`, `bad-ctlog-key-expired`: the same for the Rekor and CT log keys.
//! - `good-issuer-only-v2`: the issuer is only in extension 1.8; sigstore-python's issuer
//!   policy reads only the legacy 1.1.
//! - `bad-issuer-v2-differs-from-legacy`: 1.8 is a near miss while 1.1 matches; the same
//!   blindness to 1.8 makes sigstore-python accept it.
//! - `good-othername-san`: the identity is a username in Fulcio's otherName SAN; sigstore-python
//!   reads the UTF8String's DER (tag and length included) as the name.
//! - `bad-dsse-other-predicate-type`: a statement of SLSA provenance, not a cosign signature;
//!   sigstore-python's CLI does not look at the predicate type.
//!
//! Needs python3 with venv and the virtual environment `scripts/install-test-tools.sh` makes
//! (`testkit/check-with-sigstore-python.sh --install`); without it this test only says so,
//! unless `BONA_REQUIRE_TOOLS=1`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::xcheck::{self, eval_verdict, runtime_verdict};

/// The cases of the module comment, where sigstore-python and docs/signatures.md part.
const KNOWN_DIFF: [&str; 8] = [
    "downgrade-v0.1-without-inclusion-proof",
    "bad-expired-ca",
    "bad-log-key-expired",
    "bad-ctlog-key-expired",
    "good-issuer-only-v2",
    "bad-issuer-v2-differs-from-legacy",
    "good-othername-san",
    "bad-dsse-other-predicate-type",
];

/// Whether the virtual environment has sigstore 4.5.1.
fn has_sigstore(venv: &Path) -> bool {
    Command::new(venv.join("bin/python"))
        .args([
            "-c",
            "import sigstore, sys; sys.exit(sigstore.__version__ != '4.5.1')",
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn sigstore_python_agrees_with_bona_on_every_testkit_fixture() {
    let venv = xcheck::python_venv();
    if !has_sigstore(&venv) {
        xcheck::tool_missing(&format!(
            "no virtual environment with Python sigstore 4.5.1 at {}",
            venv.display()
        ));
        return;
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path();
    bona_testkit::fixtures::write_dir(1, dir).unwrap_or_else(|e| panic!("fixtures: {e}"));
    let manifest = read_json(&dir.join("manifest.json"));
    let cases = manifest["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 40, "only {} cases", cases.len());

    let mut script = Command::new("bash");
    script
        .arg(xcheck::repo().join("testkit/check-with-sigstore-python.sh"))
        .arg("--json")
        .arg(dir)
        .env("VENV", &venv);
    let out = xcheck::run_bounded(&mut script, Duration::from_secs(540))
        .unwrap_or_else(|e| panic!("sigstore-python: {e}"));
    let python: BTreeMap<String, Value> = out
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            (v["id"].as_str().unwrap_or_default().to_owned(), v)
        })
        .collect();
    // The script's list and this module's must be the same cases, explained here.
    let script_known: Vec<&str> = python
        .values()
        .filter(|v| v["known_diff"] == true)
        .filter_map(|v| v["id"].as_str())
        .collect();
    let mut ours = KNOWN_DIFF.to_vec();
    ours.sort_unstable();
    assert_eq!(script_known, ours, "KNOWN_DIFF differs from the script's");

    let now = xcheck::now();
    let mut agree = 0;
    let mut known = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        let Some(py) = python.get(id) else {
            failures.push(format!("{id}: sigstore-python gave no verdict"));
            continue;
        };
        let py_ok = py["sigstore_python"] == "success";
        let spec_ok = case["expect"] == "success";
        let file = |key: &str| dir.join(case["files"][key].as_str().unwrap_or_default());
        let root = std::fs::read_to_string(file("trusted_root")).unwrap_or_else(|e| panic!("{e}"));
        let entry = std::fs::read_to_string(file("entry")).unwrap_or_else(|e| panic!("{e}"));
        let identity = case["identity"].as_str().unwrap_or_default();
        let issuer = case["issuer"].as_str().unwrap_or_default();
        let digest = case["image_digest"].as_str().unwrap_or_default();
        let bona = runtime_verdict(&root, identity, issuer, &entry, digest, now);
        let mut verdicts = vec![("runtime", bona.is_ok(), bona.err().unwrap_or_default())];
        let facts = file("facts");
        let image_ref = read_json(&facts)["images"]
            .as_object()
            .and_then(|m| m.keys().next().cloned())
            .unwrap_or_default();
        match eval_verdict(&file("trusted_root"), identity, issuer, &facts, &image_ref) {
            Ok(trusted) => verdicts.push(("bona eval", trusted, String::new())),
            Err(e) => {
                failures.push(format!("{id}: bona eval: {e}"));
                continue;
            }
        }
        let is_known = KNOWN_DIFF.contains(&id);
        let mut this_agrees = true;
        for (how, ok, why) in &verdicts {
            if is_known {
                // sigstore-python is no oracle here: Bona must give the documented answer.
                if *ok != spec_ok {
                    failures.push(format!(
                        "{id}: {how} says {ok}, docs/signatures.md (manifest) {spec_ok}: {why}"
                    ));
                }
            } else if *ok != py_ok {
                this_agrees = false;
                failures.push(format!(
                    "{id}: {how} says {ok} ({why}), sigstore-python {py_ok} ({})",
                    py["why"].as_str().unwrap_or_default()
                ));
            }
        }
        if is_known {
            known.push(format!("{id}: sigstore-python {py_ok}, Bona {spec_ok}"));
        } else if this_agrees {
            agree += 1;
        }
    }
    eprintln!(
        "sigstore-python and Bona (runtime and bona eval) agree on {agree} of {} cases; {} known \
         differences:\n  {}",
        cases.len(),
        known.len(),
        known.join("\n  ")
    );
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(agree + known.len(), cases.len());
}
