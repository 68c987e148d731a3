//! The third-party cosign corpus (`shared/conformance-real/cosign`: real signatures of
//! connaisseur, containers/image, StackRox, … with their keys and expected outcomes) run through
//! the real `bona` binary, exactly as `shared/conformance-real/run.sh` runs it: every case must
//! pass, the RSA-signed and line-wrapped-base64 ones included.
//!
//! The corpus is read in place beside the repository (`../shared`, or `$BONA_SHARED_DIR`), never
//! copied here. When it is absent the test prints a note and passes, unless
//! `BONA_REQUIRE_SHARED=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// `conformance-real/NAME` beside the repository (holding `marker`, when one is given), or
/// `None` after saying why nothing runs.
pub(crate) fn corpus(name: &str, marker: Option<&str>) -> Option<PathBuf> {
    let shared = std::env::var_os("BONA_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let dir = shared.join("conformance-real").join(name);
    let present = match marker {
        Some(file) => dir.join(file).is_file(),
        None => dir.is_dir(),
    };
    if present {
        return Some(dir);
    }
    let msg = format!(
        "the third-party corpus {} is absent, so this test checks nothing",
        dir.display()
    );
    assert!(
        std::env::var("BONA_REQUIRE_SHARED").as_deref() != Ok("1"),
        "{msg} (BONA_REQUIRE_SHARED=1)"
    );
    eprintln!("note: {msg}");
    None
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// `expected` ⊆ `actual`: objects as subsets, lists item by item, other values equal (the
/// comparison of `run.sh`). `Err` names the first difference by its path.
fn subset(expected: &Value, actual: &Value, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().try_for_each(|(k, v)| match a.get(k) {
            Some(av) => subset(v, av, &format!("{path}.{k}")),
            None => Err(format!("{path}.{k}: missing")),
        }),
        (Value::Object(_), _) => Err(format!("{path}: expected an object, got {actual}")),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .try_for_each(|(i, (x, y))| subset(x, y, &format!("{path}[{i}]"))),
        (Value::Array(e), _) => Err(format!("{path}: expected {} items, got {actual}", e.len())),
        _ if expected == actual => Ok(()),
        _ => Err(format!("{path}: expected {expected}, got {actual}")),
    }
}

/// Runs one case; `Err` says how it failed.
fn run_case(dir: &Path) -> Result<(), String> {
    let mut expect = read_json(&dir.join("expect.json"))?;
    let obj = expect
        .as_object_mut()
        .ok_or("expect.json is not an object")?;
    let mode = obj
        .remove("mode")
        .and_then(|m| m.as_str().map(str::to_owned))
        .unwrap_or_else(|| "eval".into());
    let want_exit = obj.remove("exit").and_then(|e| e.as_i64()).unwrap_or(0);
    let want_text = obj
        .remove("stderr_contains")
        .and_then(|s| s.as_str().map(str::to_owned));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bona"));
    if mode == "check" {
        cmd.arg("check").arg(dir.join("policy.trust"));
    } else {
        cmd.arg("eval")
            .arg("--policy")
            .arg(dir.join("policy.trust"))
            .arg("--input")
            .arg(dir.join("input.json"))
            .arg("--facts")
            .arg(dir.join("facts.json"))
            .args(["--format", "json"]);
    }
    let out = cmd.output().map_err(|e| format!("cannot run bona: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let short = |s: &str| s.trim().chars().take(300).collect::<String>();
    let code = out.status.code().map_or(-1, i64::from);
    if code != want_exit {
        let text = if stderr.trim().is_empty() {
            &stdout
        } else {
            &stderr
        };
        return Err(format!(
            "exit {code}, expected {want_exit}: {}",
            short(text)
        ));
    }
    if stderr.contains("panicked") {
        return Err(format!("panicked: {}", short(&stderr)));
    }
    if let Some(text) = want_text
        && !stderr.contains(&text)
        && !stdout.contains(&text)
    {
        return Err(format!("output lacks {text:?}: {}", short(&stderr)));
    }
    if mode == "check" || obj.is_empty() {
        return Ok(());
    }
    let actual: Value =
        serde_json::from_str(&stdout).map_err(|e| format!("output is not JSON ({e})"))?;
    subset(&expect, &actual, "")
}

#[test]
fn every_cosign_case_passes_through_bona_eval() {
    let Some(dir) = corpus("cosign", None) else {
        return;
    };
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    cases.retain(|p| p.join("expect.json").is_file());
    cases.sort();
    assert!(!cases.is_empty(), "{} holds no cases", dir.display());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let name = case.file_name()?.to_string_lossy().into_owned();
            run_case(case).err().map(|why| format!("{name}: {why}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cosign cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!("{} cosign cases passed", cases.len());
}
