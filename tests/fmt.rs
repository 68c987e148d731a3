//! The formatter corpus: every `tests/fmt/<case>.trust` is one named test.
//!
//! A case passes when `bona fmt`'s engine ([`bona_compiler::fmt::format`]):
//! - formats it, and the output matches the insta snapshot `tests/snapshots/fmt__<case>.snap`
//!   (review changes with `cargo insta review`, or run with `INSTA_UPDATE=always` and read the
//!   diff before committing);
//! - leaves its own output unchanged (idempotence);
//! - keeps the syntax tree (modulo spans) and every comment, in order;
//! - refuses the same text once a syntax error is appended to it.
//!
//! Cases named `canonical*` are already in the canonical layout and must come out byte for
//! byte unchanged. One more test checks that files with syntax errors are refused.

use std::path::{Path, PathBuf};

use bona_compiler::fmt::{FormatError, format};
use bona_compiler::syntax::parser::{Parsed, parse};
use bona_compiler::syntax::spanless::SpanlessEq;
use libtest_mimic::{Arguments, Failed, Trial};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `tests/fmt/*.trust`, sorted by name.
fn discover() -> Vec<PathBuf> {
    let dir = manifest_dir().join("fmt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "trust"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn comments(p: &Parsed) -> Vec<(bool, String)> {
    p.trivia.iter().map(|t| (t.doc, t.text.clone())).collect()
}

fn run(path: &Path) -> Result<(), Failed> {
    let name = stem(path);
    let src = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let out = format(&src).map_err(|e| format!("{e}: {e:?}"))?;

    let again = format(&out).map_err(|e| format!("formatting the output: {e}"))?;
    if again != out {
        return Err(format!("not idempotent\n--- once\n{out}\n--- twice\n{again}").into());
    }
    let (input, output) = (parse(&src), parse(&out));
    if !output.file.spanless_eq(&input.file) {
        return Err(format!("the syntax tree changed\n--- output\n{out}").into());
    }
    if comments(&output) != comments(&input) {
        return Err("a comment was lost, changed or moved out of order".into());
    }
    if name.starts_with("canonical") && out != src {
        return Err(format!("a canonical file changed\n--- output\n{out}").into());
    }
    let broken = format!("{src}\npolicy \"broken\" {{\n  trust (pinned\n");
    match format(&broken) {
        Err(FormatError::Syntax(errors)) if !errors.is_empty() => {}
        other => return Err(format!("a syntax error was not refused: {other:?}").into()),
    }

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(manifest_dir().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(path);
    let snapshot = format!("fmt__{name}");
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(snapshot.as_str(), out));
    }));
    result.map_err(|_| Failed::from(format!("snapshot {snapshot} does not match")))
}

/// Files that do not parse are refused with their syntax errors, never half-formatted.
fn refuses_syntax_errors() -> Result<(), Failed> {
    let cases = [
        "policy \"p\" {",
        "let x = \"unterminated",
        "scope s = registry ==",
        "policy \"p\" { action prevent trust registry = \"x\" }",
        "test \"t\" { input { a: } }",
        "let x = 1h30m",
        "key k = pem(\"x\"",
        "policy p {}",
        "let x = 1 @",
    ];
    for src in cases {
        match format(src) {
            Err(FormatError::Syntax(errors)) if !errors.is_empty() => {}
            other => return Err(format!("`{src}` was not refused: {other:?}").into()),
        }
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials: Vec<Trial> = discover()
        .into_iter()
        .map(|path| Trial::test(stem(&path), move || run(&path)))
        .collect();
    trials.push(Trial::test("refuses_syntax_errors", refuses_syntax_errors));
    libtest_mimic::run(&args, trials).exit();
}
