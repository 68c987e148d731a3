//! Every diagnostic code is documented and exercised: `docs/diagnostics.md` has a heading
//! `## CODE — SUMMARY` for each entry of [`Code::ALL`], and the diagnostics corpus
//! (`tests/diagnostics/**/*.trust`, or `tests/lint/**/*.trust` for the linter's codes) expects
//! each code in at least one annotation.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bona_compiler::codes::{Code, Severity};

/// Codes the compiler defines but does not emit yet, so no corpus case can expect them.
/// Remove a code from here as soon as the checker reports it (a test below insists).
const NOT_EMITTED_YET: &[Code] = &[];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn trust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            trust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "trust") {
            out.push(path);
        }
    }
}

/// `(severity word, code, file)` for every `# error[CODE]: …` / `# warning[CODE]: …` line.
fn corpus_annotations() -> Vec<(String, String, PathBuf)> {
    let mut files = Vec::new();
    trust_files(&repo().join("tests/diagnostics"), &mut files);
    // The linter's codes are expected by the lint corpus, which shares the annotation syntax.
    trust_files(&repo().join("tests/lint"), &mut files);
    assert!(!files.is_empty(), "the diagnostics corpus is missing");
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for line in text.lines() {
            let Some(comment) = line.trim_start().strip_prefix('#') else {
                continue;
            };
            let comment = comment.trim_start();
            for severity in ["error", "warning"] {
                if let Some(rest) = comment
                    .strip_prefix(severity)
                    .and_then(|r| r.strip_prefix('['))
                    && let Some((code, _)) = rest.split_once("]:")
                {
                    out.push((severity.to_owned(), code.to_owned(), file.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn every_code_has_a_documented_heading_with_its_summary() {
    let doc = std::fs::read_to_string(repo().join("docs/diagnostics.md"))
        .expect("docs/diagnostics.md exists");
    let headings: BTreeSet<&str> = doc.lines().filter(|l| l.starts_with("## ")).collect();
    let missing: Vec<String> = Code::ALL
        .iter()
        .map(|c| format!("## {} — {}", c.as_str(), c.summary()))
        .filter(|h| !headings.contains(h.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/diagnostics.md lacks these headings:\n{}",
        missing.join("\n")
    );
    // And no heading for a code that does not exist (a renamed or removed code).
    let known: BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    for h in &headings {
        let word = h.trim_start_matches("## ").split(' ').next().unwrap_or("");
        let looks_like_code = word.len() == 5
            && (word.starts_with('E') || word.starts_with('W'))
            && word[1..].chars().all(|c| c.is_ascii_digit());
        assert!(
            !looks_like_code || known.contains(word),
            "docs/diagnostics.md documents `{word}`, which codes.rs does not define"
        );
    }
}

#[test]
fn every_emitted_code_is_expected_by_a_corpus_case() {
    let annotations = corpus_annotations();
    let expected: BTreeSet<&str> = annotations.iter().map(|(_, c, _)| c.as_str()).collect();
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !NOT_EMITTED_YET.contains(c))
        .map(|c| c.as_str())
        .filter(|c| !expected.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "no case in tests/diagnostics expects {missing:?}"
    );
    for code in NOT_EMITTED_YET {
        assert!(
            !expected.contains(code.as_str()),
            "{code} is now in the corpus: remove it from NOT_EMITTED_YET"
        );
    }
}

#[test]
fn corpus_annotations_name_real_codes_with_their_severity() {
    for (severity, code, file) in corpus_annotations() {
        let Some(c) = Code::ALL.iter().find(|c| c.as_str() == code) else {
            panic!("{}: unknown code `{code}`", file.display());
        };
        let want = match c.severity() {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        assert_eq!(
            severity,
            want,
            "{}: `{code}` has severity {want}, annotated as {severity}",
            file.display()
        );
    }
}
