//! What the cross-checks with real Sigstore tooling share (`sigstore_js`, `sigstore_python`):
//! Bona's verdict on one keyless image signature, two ways, and how a missing tool is reported.
//!
//! - [`runtime_verdict`]: the facts reader and the signer `bona eval` uses, with the signer's
//!   own image binding (`Signer::vouched`) — the same decision `signed by` makes, without the
//!   `.trust` front end.
//! - [`eval_verdict`]: the real `bona eval` on a policy with a `keyless` signer.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bona_runtime::eval::KeyRing;
use bona_runtime::facts::FactsDocument;
use bona_runtime::ir::{
    IdentityAttr, IdentityConstraint, IdentityTest, KeyDef, Signer, TrustRootDef,
};
use serde_json::{Value, json};

/// Reports a missing tool: a note when tools are optional, a failure under
/// `BONA_REQUIRE_TOOLS=1` (CI, after `scripts/install-test-tools.sh`), where a test that checks
/// nothing must not pass unseen.
pub fn tool_missing(msg: &str) {
    assert!(
        std::env::var("BONA_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "{msg} (BONA_REQUIRE_TOOLS=1; scripts/install-test-tools.sh installs it)"
    );
    eprintln!(
        "note: {msg}, so this test checks nothing (scripts/install-test-tools.sh installs it)"
    );
}

/// Whether `program` is on `PATH`.
pub fn runs_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// Whether `program --version` runs.
pub fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The Python virtual environment `scripts/install-test-tools.sh` makes (sigstore 4.5.1,
/// securesystemslib, in-toto-attestation), where `testkit/check-with-sigstore-python.sh` finds it.
pub fn python_venv() -> PathBuf {
    if let Some(v) = std::env::var_os("BONA_SIGSTORE_VENV") {
        return PathBuf::from(v);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    cache.join("bona-sigstore-python")
}

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A child process, leader of its own process group, killed with its whole group (and
/// reaped) when dropped, so that a failed assertion, a panic or a timeout leaves nothing
/// running: not the child, nor what it started (a shell's Python, Node's server).
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            // The group id is the child's pid (`process_group(0)` in `run_bounded`).
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.0.id())])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `cmd` to its end within `limit`, with its output captured; `Err` when it cannot start,
/// fails, or takes longer (then it is killed).
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<String, String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out_path = tmp.path().join("stdout");
    let err_path = tmp.path().join("stderr");
    // Files rather than pipes: nothing to drain while waiting, and a child that fills a pipe
    // cannot stall.
    let out = std::fs::File::create(&out_path).map_err(|e| e.to_string())?;
    let err = std::fs::File::create(&err_path).map_err(|e| e.to_string())?;
    let child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let mut child = KillOnDrop(child);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.0.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > limit {
            return Err(format!(
                "{cmd:?} did not finish within {} s",
                limit.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{cmd:?} exited with {status}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        ))
    }
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A keyless signer for exactly this subject and issuer.
fn keyless(identity: &str, issuer: &str) -> Signer {
    let eq = |attr, value: &str| IdentityConstraint {
        attr,
        test: IdentityTest::Eq(value.to_owned()),
    };
    Signer::Keyless {
        root: 0,
        identity: vec![
            eq(IdentityAttr::Issuer, issuer),
            eq(IdentityAttr::Subject, identity),
        ],
    }
}

/// Bona's decision on one signature entry of docs/signatures.md#signature-entries (JSON text,
/// read as a facts document would carry it) for the image of `digest`, under a keyless signer for `identity` and
/// `issuer` of the trust root `root` (a `TrustedRoot` document): `Ok` when the signature
/// vouches for that image, else `Err` with Bona's reason.
pub fn runtime_verdict(
    root: &str,
    identity: &str,
    issuer: &str,
    entry: &str,
    digest: &str,
    now: i64,
) -> Result<(), String> {
    let ring = KeyRing::from_set(
        &[KeyDef {
            name: "signer".into(),
            signer: keyless(identity, issuer),
        }],
        &[TrustRootDef {
            name: "root".into(),
            document: root.to_owned(),
        }],
    )
    .map_err(|(name, e)| format!("trust root or signer {name}: {e}"))?;
    let facts = format!(r#"{{"images": {{"{digest}": {{"signatures": [{entry}]}}}}}}"#);
    let doc = FactsDocument::from_json(facts.as_bytes()).map_err(|e| format!("facts: {e}"))?;
    let (_, image) = doc.iter().next().ok_or("no image in the facts")?;
    let signature = image
        .signatures
        .as_ref()
        .and_then(|s| s.first())
        .ok_or("no signature in the facts")?;
    let signer = ring.get(0).ok_or("no signer")?;
    if signer.vouched(signature, now).as_deref() == Some(digest) {
        Ok(())
    } else {
        Err(signer.explain(signature, Some(digest), now).to_string())
    }
}

/// The policy of docs/signatures.md with one keyless signer, the trust root in `trusted_root.json` beside it.
fn keyless_policy(identity: &str, issuer: &str) -> String {
    format!(
        "trustroot root = file(\"trusted_root.json\")\n\nkey signer = keyless {{\n  root root\n  \
         issuer == {issuer:?}\n  subject == {identity:?}\n}}\n\npolicy \"keyless\" {{\n  action prevent\n  \
         on unknown prevent\n  trust signed by signer\n}}\n"
    )
}

/// The real `bona eval` for the image `image_ref` whose facts are in `facts` (a facts document,
/// docs/images.md#facts-document), with a keyless signer for `identity` and `issuer` of the trust root
/// `root`: `Ok(true)` when the verdict is `trusted`, `Ok(false)` when `untrusted`.
pub fn eval_verdict(
    root: &Path,
    identity: &str,
    issuer: &str,
    facts: &Path,
    image_ref: &str,
) -> Result<bool, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::copy(root, dir.path().join("trusted_root.json"))
        .map_err(|e| format!("{}: {e}", root.display()))?;
    std::fs::write(
        dir.path().join("policy.trust"),
        keyless_policy(identity, issuer),
    )
    .map_err(|e| e.to_string())?;
    let input = json!({
        "asset": {"type": "workload", "cluster": "c", "namespace": "n", "kind": "Pod", "name": "p"},
        "images": [{"ref": image_ref}]
    });
    std::fs::write(dir.path().join("input.json"), input.to_string()).map_err(|e| e.to_string())?;
    let out = Command::new(env!("CARGO_BIN_EXE_bona"))
        .arg("eval")
        .arg("--policy")
        .arg(dir.path().join("policy.trust"))
        .arg("--input")
        .arg(dir.path().join("input.json"))
        .arg("--facts")
        .arg(facts)
        .args(["--format", "json"])
        .output()
        .map_err(|e| format!("cannot run bona: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.code() != Some(0) {
        return Err(format!(
            "bona eval exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let decision: Value =
        serde_json::from_str(&stdout).map_err(|e| format!("not JSON ({e}): {stdout}"))?;
    match decision["images"][0]["verdict"].as_str() {
        Some("trusted") => Ok(true),
        Some("untrusted") => Ok(false),
        other => Err(format!("verdict {other:?}: {stdout}")),
    }
}
