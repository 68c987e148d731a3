//! `bona check PATHS`: compile the policy set and print its diagnostics.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use bona_compiler::compile::compile;
use bona_compiler::diagnostics;
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};

use crate::{Exit, bad_input, load};

/// Compile `.trust` files and report errors and warnings.
///
/// Every `.trust` file under the given paths is part of one policy set. Diagnostics are
/// printed with the source line and a `help:` with the fix. Exits 0 when there are no errors
/// (warnings allowed), 1 on errors, 2 when a path cannot be read.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively for `.trust` files).
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Output formats of `check` and `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable diagnostics with source snippets.
    Text,
    /// `{"diagnostics": [...], "errors": N, "warnings": M}`.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let (db, ws) = match load::policy_set(&args.paths) {
        Ok(x) => x,
        Err(e) => return bad_input(err, e),
    };
    let compiled = compile(&db, ws);
    let diags = &compiled.diagnostics;
    let errors = diags
        .iter()
        .filter(|d| d.severity() == bona_compiler::codes::Severity::Error)
        .count();
    match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "diagnostics": diagnostics::to_json(&db, diags),
                "errors": errors,
                "warnings": diags.len() - errors,
            });
            let _ = writeln!(out, "{doc:#}");
        }
        Format::Sarif => {
            let _ = writeln!(out, "{:#}", crate::sarif::log(&db, diags));
        }
        Format::Text => {
            if !diags.is_empty() {
                print_diagnostics(&db, diags, err);
                let _ = writeln!(err, "{}", diagnostics::summary(diags));
            }
        }
    }
    if errors > 0 { Exit::Findings } else { Exit::Ok }
}

/// Prints diagnostics as text: in colour when stderr is a terminal and `err` is stderr's
/// stand-in, plain otherwise (tests, pipes).
pub fn print_diagnostics(
    db: &dyn bona_compiler::db::Db,
    diags: &[bona_compiler::diagnostics::Diagnostic],
    err: &mut dyn Write,
) {
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        let stream = StandardStream::stderr(ColorChoice::Auto);
        let files = bona_compiler::files::DbFiles::new(db);
        let config = codespan_reporting::term::Config::default();
        let mut lock = stream.lock();
        let mut ok = true;
        for d in diags {
            ok &= codespan_reporting::term::emit_to_write_style(
                &mut lock,
                &config,
                &files,
                &d.to_codespan(),
            )
            .is_ok();
        }
        if ok {
            return;
        }
    }
    let _ = write!(err, "{}", diagnostics::render_text(db, diags));
}
