//! `bona lint PATHS`: the compiler's warnings plus the static analysis of docs/language.md#linting.

use std::io::Write;
use std::path::PathBuf;

use bona_compiler::codes::Severity;
use bona_compiler::diagnostics;

use crate::commands::check::{Format, print_diagnostics};
use crate::{Exit, bad_input, load, sarif};

/// Find rules that never hold, redundant rules and policies, and overridden prevent policies.
///
/// Reports every compiler warning plus: rules that can never hold (L0001), rules another rule
/// of the same policy makes redundant (L0002), prevent policies another prevent policy always
/// overrides (L0003), and prevent policies an overlapping issue policy overrides (L0004, with
/// an example asset and image the runtime confirms). Only what is proven is reported, under
/// the three-valued logic of the language; docs/diagnostics.md explains each code and its fix.
///
/// Exits 0 (1 with `--deny` when anything is reported), 1 on compile errors, 2 when a path
/// cannot be read.
///
/// Examples:
///   bona lint policies/
///   bona lint --deny policies/                          # fail a CI job on any finding
///   bona lint --format sarif policies/ > lint.sarif     # for code scanning
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Files or directories (searched recursively for `.trust` files).
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Exit 1 when there is any finding or warning.
    #[arg(long)]
    pub deny: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let (db, ws) = match load::policy_set(&args.paths) {
        Ok(x) => x,
        Err(e) => return bad_input(err, e),
    };
    let diags = bona_compiler::lint::lint(&db, ws);
    let errors = diags
        .iter()
        .filter(|d| d.severity() == Severity::Error)
        .count();
    match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "diagnostics": diagnostics::to_json(&db, &diags),
                "errors": errors,
                "warnings": diags.len() - errors,
            });
            let _ = writeln!(out, "{doc:#}");
        }
        Format::Sarif => {
            let _ = writeln!(out, "{:#}", sarif::log(&db, &diags));
        }
        Format::Text => {
            if !diags.is_empty() {
                print_diagnostics(&db, &diags, err);
                let _ = writeln!(err, "{}", diagnostics::summary(&diags));
            }
        }
    }
    if errors > 0 || (args.deny && !diags.is_empty()) {
        Exit::Findings
    } else {
        Exit::Ok
    }
}
