//! Code lens on each `test` block: passed, or failed with the first expectation that did not
//! hold. Tests run through [`bona_compiler::testrun::run_tests`], the code `bona test` runs, on
//! the policy set as the editor has it (open documents included). Like `bona test`, nothing
//! runs while the policy set has compile errors; the lens says so.

use bona_compiler::db::{check_file, compile, parse};
use bona_compiler::syntax::ast::Item;
use bona_compiler::syntax::span::Span;
use bona_compiler::testrun::{now, run_tests};
use bona_runtime::Engine;
use tower_lsp_server::ls_types::{CodeLens, Command, Uri};

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
                Span::new(t.span.start, t.name.span.end),
            )),
            _ => None,
        })
        .collect();
    if blocks.is_empty() {
        return Some(Vec::new());
    }
    let compiled = compile(db, snap.ws);
    let errors = compiled
        .diagnostics
        .iter()
        .filter(|d| d.severity() == bona_compiler::codes::Severity::Error)
        .count();
    let valid = &check_file(db, snap.ws, file).tests;
    let outcomes = if errors == 0 {
        match Engine::new(compiled.set.clone()) {
            Ok(engine) => Ok(run_tests(&engine, valid, now())),
            Err(e) => Err(format!("tests not run: {e}")),
        }
    } else {
        let plural = if errors == 1 { "" } else { "s" };
        Err(format!(
            "tests not run: the policy set has {errors} error{plural}"
        ))
    };
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
                    arguments: Some(vec![serde_json::Value::String(name)]),
                }),
                data: None,
            }
        })
        .collect();
    Some(lenses)
}
