//! What the real-editor tests share: the workspace they open, where a position is, whether an
//! editor is installed, and running one to the end with a time limit.

#![allow(dead_code)] // each test binary uses its own part

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A copy of `examples/production` in `<temp>/ws`, with `corporate` misspelt in
/// `production.trust`: one E0203 with a "did you mean" fix.
pub fn example_workspace() -> (tempfile::TempDir, PathBuf) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir
        .path()
        .canonicalize()
        .expect("canonical temp dir")
        .join("ws");
    std::fs::create_dir(&root).expect("workspace dir");
    for name in [
        "production.trust",
        "registries.trust",
        "staging.trust",
        "tests.trust",
    ] {
        let text = std::fs::read_to_string(repo.join("examples/production").join(name))
            .expect("example file");
        let text = if name == "production.trust" {
            text.replace("trust registry in corporate", "trust registry in corprate")
        } else {
            text
        };
        std::fs::write(root.join(name), text).expect("write");
    }
    (dir, root)
}

/// 0-based line and column of the first `needle` in `text`, plus `after` characters. The
/// examples are ASCII, so the column is the same in UTF-16 units (LSP) and characters (Emacs).
pub fn position(text: &str, needle: &str, after: usize) -> (usize, usize) {
    let at = text.find(needle).expect("needle in the example") + after;
    let before = &text[..at];
    let line = before.matches('\n').count();
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.encode_utf16().count());
    (line, column)
}

/// Whether `program --version` runs.
pub fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `command` (its stdin closed, its output captured while it runs so that a chatty
/// editor never blocks on a full pipe) for at most `limit`, and returns its standard output.
/// Fails with everything it printed when it fails or runs out of time.
pub fn run_to_end(mut command: Command, what: &str, limit: Duration) -> String {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = pipe(Box::new(child.stdout.take().expect("stdout")));
    let stderr = pipe(Box::new(child.stderr.take().expect("stderr")));
    let status: Option<ExitStatus> = loop {
        if let Some(status) = child.try_wait().expect("wait for the editor") {
            break Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    eprintln!("{what} took {:.2?}", started.elapsed());
    match status {
        None => panic!(
            "{what} did not finish within {limit:?} and was killed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        ),
        Some(status) => assert!(
            status.success(),
            "{what} exited with {status}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        ),
    }
    stdout
}
