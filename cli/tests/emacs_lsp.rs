//! End to end with a real editor: Emacs in batch mode with eglot (Debian's `emacs-nox` 28 and
//! `elpa-eglot` 1.9) opens a copy of `examples/production` in which one name is misspelt. Emacs is
//! configured with nothing but the elisp snippet of README.md's Emacs section, so this tests what
//! the README tells users: the snippet's `trust-mode` and `eglot-ensure` start `bona lsp` (found
//! on PATH, as for a user). The script `tests/emacs/eglot_e2e.el` prints what Emacs received: the
//! diagnostic flymake shows, the hover eldoc shows, the candidates of `completion-at-point`, and
//! how the server exited after eglot's shutdown.
//!
//! Emacs is a test tool like openssl: `scripts/install-test-tools.sh` installs it, and CI runs
//! that script first. Without `emacs` this test fails and says so, rather than pass unseen.

use crate::editors;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use editors::{example_workspace, installed, position, run_to_end};

/// How long Emacs may take before it is killed (it takes about a second).
const TIMEOUT: Duration = Duration::from_secs(60);

/// The elisp block of README.md's Emacs item, without its list indentation.
fn readme_emacs_snippet() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("read README.md");
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.starts_with("- **Emacs**"))
        .skip(1)
        .skip_while(|l| l.trim() != "```elisp");
    assert!(
        lines.next().is_some(),
        "README.md has no ```elisp block after its `- **Emacs**` item"
    );
    let snippet: Vec<&str> = lines
        .take_while(|l| l.trim() != "```")
        .map(|l| l.strip_prefix("  ").unwrap_or(l))
        .collect();
    assert!(
        snippet.iter().any(|l| l.contains("eglot")),
        "README.md's Emacs snippet does not mention eglot:\n{}",
        snippet.join("\n")
    );
    snippet.join("\n") + "\n"
}

/// Runs `emacs -Q --batch -l eglot_e2e.el production.trust` in `root`; returns its standard
/// output, or fails with everything it printed.
fn run_emacs(root: &Path, env: &[(&str, String)]) -> String {
    assert!(
        installed("emacs"),
        "emacs is not installed: run scripts/install-test-tools.sh (it installs Debian's \
         emacs-nox and elpa-eglot), then run the tests again"
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/emacs/eglot_e2e.el");
    let mut command = Command::new("emacs");
    command
        .args(["-Q", "--batch", "-l"])
        .arg(&script)
        .arg("production.trust")
        .current_dir(root)
        .envs(env.iter().map(|(k, v)| (k, v)));
    run_to_end(command, "emacs", TIMEOUT)
}

#[test]
fn emacs_eglot_with_the_readme_snippet_gets_diagnostics_hover_and_completion() {
    let (dir, root) = example_workspace();
    let snippet = dir.path().join("readme-emacs.el");
    std::fs::write(&snippet, readme_emacs_snippet()).expect("write snippet");
    let production = std::fs::read_to_string(root.join("production.trust")).expect("read");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_bona"))
        .parent()
        .expect("bin dir")
        .to_owned();
    let pos = |(line, column): (usize, usize)| format!("{line},{column}");
    let stdout = run_emacs(
        &root,
        &[
            ("README_SNIPPET", snippet.display().to_string()),
            (
                "PATH",
                format!(
                    "{}:{}",
                    bin_dir.display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            ),
            // Keep Emacs away from the real home directory.
            ("HOME", dir.path().display().to_string()),
            (
                "HOVER_POS",
                pos(position(&production, "registry in corprate", 2)),
            ),
            (
                "COMPLETE_POS",
                pos(position(&production, "action prevent", 7)),
            ),
        ],
    );

    let (typo_line, typo_column) = position(&production, "corprate", 0);
    let diag = format!(
        "DIAG {}:{typo_column} eglot-error bona [E0203]: unknown name `corprate` | help: did you mean `corporate`?",
        typo_line + 1
    );
    let facts: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("HOVER ") && !l.starts_with("STDERR "))
        .collect();
    assert_eq!(
        facts,
        vec![
            "MODE trust-mode",
            "LANGUAGE-ID trust",
            "COMMAND bona lsp",
            diag.as_str(),
            "COMPLETION prevent,issue",
            "SHUTDOWN ok",
            "EXIT exit 0",
        ],
        "\nstdout:\n{stdout}"
    );

    let hovers: Vec<Vec<&str>> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("HOVER "))
        .map(|h| h.split(" | ").collect())
        .collect();
    assert_eq!(hovers.len(), 1, "one hover expected\nstdout:\n{stdout}");
    let hover = &hovers[0];
    assert_eq!(
        hover[0], "**`registry`**: `string`, image attribute (in `trust` rules)",
        "\nstdout:\n{stdout}"
    );
    assert!(
        hover.contains(&"The registry host of the image reference."),
        "\nstdout:\n{stdout}"
    );
}
