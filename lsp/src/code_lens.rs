//! Code lens on each `test` block: passed, or failed with the first expectation that did not
//! hold. Tests run through [`bona_compiler::testrun::run_tests`], the code `bona test` runs, on
//! the policy set as the editor has it (open documents included). Like `bona test`, nothing
//! runs while the policy set has compile errors; the lens says so. Running the lens's command
//! (`workspace/executeCommand`) shows every failure of that test, not just the first.

use bona_compiler::compile::compile;
use bona_compiler::db::SourceFile;
use bona_compiler::syntax::ast::Item;
use bona_compiler::syntax::parse;
use bona_compiler::syntax::span::Span;
use bona_compiler::testrun::{TestOutcome, run_tests};
use bona_compiler::typeck::check_file;
use bona_host::clock::now;
use bona_runtime::Engine;
use serde_json::Value;
use tower_lsp_server::ls_types::{CodeLens, Command, MessageType, Uri};

use crate::convert::LineIndex;
use crate::session::Snapshot;

/// The command every lens carries; clients may bind it to run `bona test`.
pub const COMMAND: &str = "bona.test";

/// Answers `textDocument/codeLens`.
pub fn lenses(snap: &Snapshot, uri: &Uri) -> Option<Vec<CodeLens>> {
    let file = snap.file(uri)?;
    let db = snap.db();
    let text = file.text(db);
    let index = LineIndex::new(text);
    let blocks: Vec<(String, Span)> = parse(db, file)
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Test(t) => Some((
                t.name.value.clone(),
                Span::new(t.span.start(), t.name.span.end()),
            )),
            _ => None,
        })
        .collect();
    if blocks.is_empty() {
        return Some(Vec::new());
    }
    let outcomes = outcomes(snap, file);
    let lenses = blocks
        .into_iter()
        .map(|(name, span)| {
            let title = match &outcomes {
                Err(why) => why.clone(),
                Ok(outcomes) => match outcomes.iter().find(|o| o.name == name) {
                    None => "test not run: it has errors".to_owned(),
                    Some(o) if o.passed() => "✓ passed".to_owned(),
                    Some(o) => {
                        let first = o.failures.first().map_or("", String::as_str);
                        match o.failures.len() {
                            1 => format!("✗ failed: {first}"),
                            n => format!("✗ failed: {first} (and {} more)", n - 1),
                        }
                    }
                },
            };
            CodeLens {
                range: index.range(span),
                command: Some(Command {
                    title,
                    command: COMMAND.to_owned(),
                    arguments: Some(vec![Value::String(uri.to_string()), Value::String(name)]),
                }),
                data: None,
            }
        })
        .collect();
    Some(lenses)
}

/// The outcomes of the file's valid tests, or why none ran.
fn outcomes(snap: &Snapshot, file: SourceFile) -> Result<Vec<TestOutcome>, String> {
    let db = snap.db();
    let compiled = compile(db, snap.ws);
    let errors = compiled
        .diagnostics
        .iter()
        .filter(|d| d.severity() == bona_compiler::codes::Severity::Error)
        .count();
    if errors > 0 {
        let plural = if errors == 1 { "" } else { "s" };
        return Err(format!(
            "tests not run: the policy set has {errors} error{plural}"
        ));
    }
    let valid = &check_file(db, snap.ws, file).tests;
    match Engine::new(compiled.set.clone()) {
        Ok(engine) => Ok(run_tests(&engine, valid, now())),
        Err(e) => Err(format!("tests not run: {e}")),
    }
}

/// Runs the lens's command, `bona.test URI NAME`: the test's result with every failure, as a
/// message for the client to show. `None` when the arguments do not name a test.
pub fn run(snap: &Snapshot, arguments: &[Value]) -> Option<(MessageType, String)> {
    let [Value::String(uri), Value::String(name)] = arguments else {
        return None;
    };
    let file = snap.file(&uri.parse::<Uri>().ok()?)?;
    Some(match outcomes(snap, file) {
        Err(why) => (MessageType::WARNING, why),
        Ok(outcomes) => match outcomes.iter().find(|o| &o.name == name) {
            None => (
                MessageType::WARNING,
                format!("test \"{name}\" not run: it has errors"),
            ),
            Some(o) if o.passed() => (MessageType::INFO, format!("test \"{name}\" passed")),
            Some(o) => {
                let mut message = format!("test \"{name}\" failed:");
                for failure in &o.failures {
                    message.push_str("\n  - ");
                    message.push_str(failure);
                }
                (MessageType::ERROR, message)
            }
        },
    })
}
