//! End to end with VS Code itself: `editors/vscode/test/e2e.sh` packages the extension, installs
//! it into code-server (VS Code's workbench and Node extension host, from the npm registry),
//! points `bona.path` at the built `bona`, and drives the workbench in headless Chromium: the
//! diagnostic in the Problems panel, a hover, completions, the test lenses and their
//! `bona.test` command, and a restart of the server when `bona.path` changes.
//!
//! Its tools are test tools like Neovim: `scripts/install-test-tools.sh` installs them (Debian's
//! chromium, and the npm packages into a cache directory), and the script installs whatever is
//! still missing itself. A failed run keeps its screenshots and logs and says where.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn vscode_shows_diagnostics_hover_completion_and_test_lenses_from_bona_lsp() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/vscode/test/e2e.sh");
    let mut child = Command::new("bash")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_bona"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start editors/vscode/test/e2e.sh");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for e2e.sh") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(900) {
            let _ = child.kill();
            panic!("editors/vscode/test/e2e.sh did not finish within 900 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stdout = out.join().expect("stdout reader");
    let stderr = err.join().expect("stderr reader");
    assert!(
        status.success(),
        "editors/vscode/test/e2e.sh exited with {status}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for check in [
        "ok diagnostics",
        "ok hover",
        "ok completion",
        "ok lens",
        "ok restart",
        "ok all checks",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(check)),
            "no `{check}` line\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
    }
}
