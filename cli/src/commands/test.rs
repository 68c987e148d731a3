//! `bona test PATHS [--coverage]`: run the policy set's `test` blocks.

use std::io::Write;
use std::path::PathBuf;

use bona_compiler::compile::compile;
use bona_compiler::files::DbFiles;
use bona_compiler::testrun;
use bona_runtime::Engine;

use crate::commands::check::print_diagnostics;
use crate::policies::{self, OutputFormat};
use crate::progress::Delayed;
use crate::{Exit, bad_input, load};

/// Run the `test` blocks of a policy set.
///
/// Each test describes an admission input and what should happen (`expect prevent`,
/// `expect trusted "REF"`, `expect issues runtime 1`, …). Prints one line per test and a
/// summary `N passed, M failed`; exits 1 if any failed. `--coverage` lists the trust rules
/// no test made true and the scopes no test asset fell in.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively for `.trust` files).
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Also report the rules and scopes that no test exercised.
    #[arg(long)]
    pub coverage: bool,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
}

/// Runs the tests, with a bar on a terminal when they take long.
fn run_with_progress(
    engine: &Engine,
    tests: &[bona_compiler::testblock::TestCase],
    now: i64,
) -> Vec<testrun::TestOutcome> {
    let progress = Delayed::new(
        Some(tests.len() as u64),
        "{spinner} [{bar:24}] {pos}/{len} tests, {eta} left",
    );
    let mut cache = bona_runtime::signature::VerificationCache::new();
    let outcomes = tests
        .iter()
        .enumerate()
        .map(|(i, test)| {
            let outcome = testrun::run_test(engine, test, now, &mut cache);
            if let Some(bar) = progress.bar() {
                bar.set_position(i as u64 + 1);
                progress.visible();
            }
            outcome
        })
        .collect();
    progress.finish();
    outcomes
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let (db, ws) = match load::policy_set(&args.paths) {
        Ok(x) => x,
        Err(e) => return bad_input(err, e),
    };
    let compiled = compile(&db, ws);
    if compiled.has_errors() {
        print_diagnostics(&db, &compiled.diagnostics, err);
        let _ = writeln!(
            err,
            "{}",
            bona_compiler::diagnostics::summary(&compiled.diagnostics)
        );
        return Exit::Findings;
    }
    let engine = match Engine::new(compiled.set.clone()) {
        Ok(e) => e,
        Err(e) => return bad_input(err, e),
    };
    let now = policies::now();
    let outcomes = run_with_progress(&engine, &compiled.tests, now);
    let passed = outcomes.iter().filter(|o| o.passed()).count();
    let failed = outcomes.len() - passed;
    let files = DbFiles::new(&db);
    let uncovered: Vec<(String, String)> = if args.coverage {
        let cov = testrun::coverage(compiled, now);
        let mut list = Vec::new();
        let named = compiled.set.policies.iter().zip(&compiled.origins);
        for (pi, (policy, origin)) in named.enumerate() {
            let path = origin.file.path(&db).display().to_string();
            if !cov.scopes.get(pi).copied().unwrap_or(true) {
                let span = origin.scope_span.unwrap_or(origin.name_span);
                let pos = files.position(origin.file, span.start());
                list.push((
                    format!("{path}:{}:{}", pos.line, pos.column),
                    format!(
                        "scope of policy \"{}\": no test asset is in it",
                        policy.name
                    ),
                ));
            }
            for (ri, covered) in cov.rules.get(pi).into_iter().flatten().enumerate() {
                if *covered {
                    continue;
                }
                let span = origin
                    .rule_spans
                    .get(ri)
                    .copied()
                    .unwrap_or(origin.name_span);
                let pos = files.position(origin.file, span.start());
                let text = policy
                    .rules
                    .get(ri)
                    .map(|r| bona_runtime::ir_text::image_expr(r, &compiled.set.keys))
                    .unwrap_or_default();
                list.push((
                    format!("{path}:{}:{}", pos.line, pos.column),
                    format!(
                        "rule {} of policy \"{}\" is never true in a test: {text}",
                        ri + 1,
                        policy.name
                    ),
                ));
            }
        }
        list
    } else {
        Vec::new()
    };
    match policies::format_or_default(args.format) {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "tests": outcomes.iter().map(|o| serde_json::json!({
                    "name": o.name, "passed": o.passed(), "failures": o.failures,
                })).collect::<Vec<_>>(),
                "passed": passed,
                "failed": failed,
                "uncovered": uncovered.iter().map(|(at, what)| serde_json::json!({"at": at, "what": what})).collect::<Vec<_>>(),
            });
            let _ = writeln!(out, "{doc:#}");
        }
        OutputFormat::Table => {
            for o in &outcomes {
                if o.passed() {
                    let _ = writeln!(out, "ok    {}", o.name);
                } else {
                    let _ = writeln!(out, "FAIL  {}", o.name);
                    for f in &o.failures {
                        let _ = writeln!(out, "        {f}");
                    }
                }
            }
            if args.coverage {
                if uncovered.is_empty() {
                    let _ = writeln!(out, "\ncoverage: every rule and scope is exercised");
                } else {
                    let _ = writeln!(out, "\nnot exercised by any test:");
                    for (at, what) in &uncovered {
                        let _ = writeln!(out, "  {at}: {what}");
                    }
                }
            }
            let _ = writeln!(out, "\n{passed} passed, {failed} failed");
        }
    }
    if failed > 0 { Exit::Findings } else { Exit::Ok }
}
