//! `bona build PATHS -o FILE`: compile a policy set into a bundle for `eval --bundle`,
//! `bona serve` and embedders of `bona-runtime`.

use std::io::Write;
use std::path::PathBuf;

use bona_compiler::db::compile;

use crate::commands::check::print_diagnostics;
use crate::{Exit, bad_input, load};

/// Compile a policy set into a bundle file.
///
/// The bundle carries a versioned header and the sha256 of its body; loading it checks both,
/// so a corrupt or truncated bundle is refused rather than misread.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files or directories (searched recursively for `.trust` files).
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
    /// Where to write the bundle.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// What to build.
    #[arg(long, value_enum, default_value_t = Target::Bundle)]
    pub target: Target,
}

/// Build targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Bona's bundle format, loaded by `bona-runtime`.
    Bundle,
}

/// Runs the command.
pub fn run(args: Args, _out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let (db, ws) = match load::policy_set(&args.paths) {
        Ok(x) => x,
        Err(e) => return bad_input(err, e),
    };
    let compiled = compile(&db, ws);
    if !compiled.diagnostics.is_empty() {
        print_diagnostics(&db, &compiled.diagnostics, err);
    }
    if compiled.has_errors() {
        let _ = writeln!(
            err,
            "{}; no bundle written",
            bona_compiler::diagnostics::summary(&compiled.diagnostics)
        );
        return Exit::Findings;
    }
    let bytes = bona_runtime::bundle::write_bundle(&compiled.set);
    if let Err(e) = std::fs::write(&args.output, &bytes) {
        return bad_input(
            err,
            format!(
                "{}: cannot write: {}",
                args.output.display(),
                load::io_reason(&e)
            ),
        );
    }
    let _ = writeln!(
        err,
        "wrote {} ({} policies, {} bytes)",
        args.output.display(),
        compiled.set.policies.len(),
        bytes.len()
    );
    Exit::Ok
}
