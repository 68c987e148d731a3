//! `bona fmt [--check] PATHS`: rewrite `.trust` files in the one canonical layout.

use std::io::Write;
use std::path::PathBuf;

use bona_compiler::compile::compile;
use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};

use crate::commands::check::print_diagnostics;
use crate::{Exit, bad_input, load};

/// Format `.trust` files in place, keeping every comment.
///
/// With `--check`, nothing is written: the files that would change are listed and the
/// command exits 1 if there is any. A file with syntax errors is never rewritten; its
/// diagnostics are printed and the command exits 1. `--format json` prints
/// `{"changed": [...], "syntax_errors": [...]}` (the files rewritten, or with `--check` those
/// that would be) instead of the list.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively for `.trust` files).
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Don't write; exit 1 when a file is not formatted.
    #[arg(long)]
    pub check: bool,
    /// Output format [default: a list of files].
    #[arg(long, value_enum)]
    pub format: Option<FmtFormat>,
}

/// `bona fmt`'s output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FmtFormat {
    /// One path per line (`--check`: the files that would change).
    Text,
    /// `{"changed": [...], "syntax_errors": [...]}`.
    Json,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let files = match load::trust_files(&args.paths) {
        Ok(f) => f,
        Err(e) => return bad_input(err, e),
    };
    let json = args.format == Some(FmtFormat::Json);
    let mut exit = Exit::Ok;
    let mut changed: Vec<String> = Vec::new();
    let mut syntax_errors: Vec<String> = Vec::new();
    for path in files {
        let text = match load::read_source(&path) {
            Ok(t) => t,
            Err(e) => return bad_input(err, e),
        };
        let formatted = match bona_compiler::fmt::format(&text) {
            Ok(f) => f,
            Err(_) => {
                // Show the syntax errors the way `check` does.
                let db = BonaDatabase::default();
                let file = SourceFile::new(&db, path.clone(), text);
                let ws = Workspace::new(&db, vec![file]);
                let diags: Vec<_> = compile(&db, ws)
                    .diagnostics
                    .iter()
                    .filter(|d| d.code.as_str().starts_with("E01"))
                    .cloned()
                    .collect();
                print_diagnostics(&db, &diags, err);
                let _ = writeln!(
                    err,
                    "{}: not formatted: fix the syntax errors first",
                    path.display()
                );
                syntax_errors.push(path.display().to_string());
                exit = Exit::Findings;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed.push(path.display().to_string());
        if args.check {
            if !json {
                let _ = writeln!(out, "{}", path.display());
            }
            exit = Exit::Findings;
        } else if let Err(e) = std::fs::write(&path, formatted) {
            return bad_input(
                err,
                format!("{}: cannot write: {}", path.display(), load::io_reason(&e)),
            );
        }
    }
    if json {
        let doc = serde_json::json!({ "changed": changed, "syntax_errors": syntax_errors });
        let _ = writeln!(out, "{doc:#}");
    } else if args.check && !changed.is_empty() {
        let _ = writeln!(
            err,
            "{} file(s) would be reformatted by `bona fmt`",
            changed.len()
        );
    }
    exit
}
