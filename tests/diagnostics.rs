//! The diagnostics corpus: every `tests/diagnostics/<group>/<case>.trust` (or every
//! `<group>/<case>/` folder of `.trust` files, compiled together as one policy set) is one
//! named test.
//!
//! Expected diagnostics are written inline in the input, ruff/typst style, as whole-line
//! comments:
//!
//! ```text
//! # error[E0203]: 4:9 unknown name
//! # warning[W0001]: 3:18
//! ```
//!
//! `4:9` is the 1-based line and character column where the primary span starts (as
//! `bona check --format json` reports it); the trailing text, when given, must be a
//! substring of the message. A case passes when the set of (file, severity, code, line,
//! column) it produces equals its annotations exactly, and the rendered codespan text
//! matches its insta snapshot (`tests/snapshots/diagnostics__<group>__<case>.snap`).
//!
//! The annotations record what the compiler says today. Where that is an echo of another
//! diagnostic or otherwise wrong, a `# Reported: …` comment above the annotation says so; fix the
//! compiler, delete the annotation and the comment, and re-accept the snapshot.
//!
//! The lint corpus, `tests/lint/<group>/<case>.trust` (or folders), works the same way with
//! `bona lint`'s diagnostics (the compiler's plus the `L0xxx` findings) and snapshots named
//! `lint__<group>__<case>`; cases there also say what must *not* be reported, by having no
//! annotation for it.
//!
//! To accept new or changed snapshots: `INSTA_UPDATE=always cargo test -p bona-tests --test
//! diagnostics`, then read every changed `.snap` before committing it.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use bona_compiler::compile::compile;
use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};
use bona_compiler::diagnostics::{render_text, to_json};
use bona_compiler::lint::lint;
use libtest_mimic::{Arguments, Failed, Trial};

/// One expected or actual diagnostic, as the corpus compares them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    file: String,
    severity: String,
    code: String,
    line: usize,
    column: usize,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}[{}]: {}:{}",
            self.file, self.severity, self.code, self.line, self.column
        )
    }
}

/// An annotation: the key plus the optional message fragment.
struct Annotation {
    key: Key,
    fragment: Option<String>,
}

/// A case: its name and its files (one, or several for a folder case).
struct Case {
    name: String,
    files: Vec<PathBuf>,
    /// A case of the lint corpus: compared with `bona lint`'s diagnostics.
    lint: bool,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The path as printed in snapshots and failure messages: relative to `tests/`.
fn display(path: &Path) -> String {
    path.strip_prefix(manifest_dir())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn trust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "trust"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `<group>/<case>.trust` is a single-file case; `<group>/<case>/*.trust` a folder case.
/// Folders without `.trust` files (`keys/`) hold fixtures.
fn discover(corpus: &str) -> Vec<Case> {
    let root = manifest_dir().join(corpus);
    let lint = corpus == "lint";
    let mut cases = Vec::new();
    for group in subdirs(&root) {
        let g = stem(&group);
        for file in trust_files(&group) {
            cases.push(Case {
                name: format!("{g}__{}", stem(&file)),
                files: vec![file],
                lint,
            });
        }
        for folder in subdirs(&group) {
            let files = trust_files(&folder);
            if !files.is_empty() {
                cases.push(Case {
                    name: format!("{g}__{}", stem(&folder)),
                    files,
                    lint,
                });
            }
        }
    }
    cases
}

/// Parses `# error[E0203]: 4:9 unknown name` lines.
fn annotations(file: &str, text: &str) -> Result<Vec<Annotation>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        let comment = comment.trim_start();
        let (severity, rest) = if let Some(rest) = comment.strip_prefix("error[") {
            ("error", rest)
        } else if let Some(rest) = comment.strip_prefix("warning[") {
            ("warning", rest)
        } else {
            continue;
        };
        let bad = || format!("{file}:{}: malformed annotation `{line}`", n + 1);
        let (code, rest) = rest.split_once("]:").ok_or_else(bad)?;
        let rest = rest.trim_start();
        let (position, fragment) = match rest.split_once(char::is_whitespace) {
            Some((p, f)) => (p, Some(f.trim().to_owned()).filter(|f| !f.is_empty())),
            None => (rest, None),
        };
        let (l, c) = position.split_once(':').ok_or_else(bad)?;
        out.push(Annotation {
            key: Key {
                file: file.to_owned(),
                severity: severity.to_owned(),
                code: code.to_owned(),
                line: l.parse().map_err(|_| bad())?,
                column: c.parse().map_err(|_| bad())?,
            },
            fragment,
        });
    }
    Ok(out)
}

fn run(case: &Case) -> Result<(), Failed> {
    let db = BonaDatabase::default();
    let mut sources = Vec::new();
    let mut expected = Vec::new();
    for path in &case.files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        expected.extend(annotations(&display(path), &text)?);
        sources.push(SourceFile::new(&db, path.clone(), text));
    }
    let ws = Workspace::new(&db, sources);
    let diagnostics = if case.lint {
        lint(&db, ws)
    } else {
        compile(&db, ws).diagnostics.clone()
    };

    let prefix = format!("{}/", manifest_dir().display());
    let actual: Vec<(Key, String)> = to_json(&db, &diagnostics)
        .into_iter()
        .map(|d| {
            let key = Key {
                file: d.file.strip_prefix(&prefix).unwrap_or(&d.file).to_owned(),
                severity: d.severity.to_owned(),
                code: d.code.to_owned(),
                line: d.start.line,
                column: d.start.column,
            };
            (key, d.message)
        })
        .collect();

    let want: BTreeSet<&Key> = expected.iter().map(|a| &a.key).collect();
    let got: BTreeSet<&Key> = actual.iter().map(|(k, _)| k).collect();
    let mut problems = Vec::new();
    for k in want.difference(&got) {
        problems.push(format!("missing:    {k}"));
    }
    for (k, message) in &actual {
        if !want.contains(k) {
            problems.push(format!("unexpected: {k} {message}"));
        }
    }
    for a in &expected {
        let Some(fragment) = &a.fragment else {
            continue;
        };
        let matched = actual
            .iter()
            .any(|(k, message)| *k == a.key && message.contains(fragment.as_str()));
        if got.contains(&a.key) && !matched {
            let messages: Vec<&str> = actual
                .iter()
                .filter(|(k, _)| *k == a.key)
                .map(|(_, m)| m.as_str())
                .collect();
            problems.push(format!(
                "wrong message at {}: expected it to contain `{fragment}`, got {messages:?}",
                a.key
            ));
        }
    }

    let rendered = render_text(&db, &diagnostics).replace(&prefix, "");
    if !problems.is_empty() {
        return Err(format!("{}\n\nrendered:\n{rendered}", problems.join("\n")).into());
    }

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(manifest_dir().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_input_file(&case.files[0]);
    let corpus = if case.lint { "lint" } else { "diagnostics" };
    let name = format!("{corpus}__{}", case.name);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(name.as_str(), rendered));
    }));
    result.map_err(|_| Failed::from(format!("snapshot {name} does not match")))
}

fn main() {
    let args = Arguments::from_args();
    let trials = discover("diagnostics")
        .into_iter()
        .chain(discover("lint"))
        .map(|case| {
            let prefix = if case.lint { "lint::" } else { "" };
            Trial::test(format!("{prefix}{}", case.name), move || run(&case))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
