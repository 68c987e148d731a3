//! `bona facts trivy REPORT.json... [-o FILE]`: build a facts document (docs/images.md#facts) from other
//! tools' output. The conversion is `bona_host::trivy`; this module reads the files, reports
//! bad input, and writes the result atomically.

use std::io::Write;
use std::path::PathBuf;

use bona_host::trivy::{Report, TrivyFacts};
use bona_host::vuln_attestation;

use crate::policies;
use crate::{Exit, bad_input, load};

/// Build a facts document (for `--facts`) from scanner reports or registries.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub source: Source,
}

/// Where the facts come from.
#[derive(Debug, clap::Subcommand)]
pub enum Source {
    Trivy(TrivyArgs),
    Registry(crate::commands::registry_facts::RegistryArgs),
}

/// Turn Trivy JSON reports into a facts document.
///
/// Reads reports written by `trivy image --format json` (schema version 2) and prints one
/// facts document (docs/images.md#facts) for `bona eval --facts` and `bona audit --facts`. Each image is
/// stored under its digest (from RepoDigests) and under each of its tags (RepoTags), with
/// `scanned`, the scan time (CreatedAt), the counts of critical, high, medium and low
/// vulnerabilities (each advisory counted once per package; UNKNOWN severity not counted),
/// its tags and its labels. When several reports describe the same image, the latest scan
/// wins. Reports of directories or archives (`trivy fs`, `trivy image --input`) name no image
/// and are refused.
///
/// With --attestation, prints instead the in-toto statement of cosign's vulnerability
/// predicate (https://cosign.sigstore.dev/attestation/vuln/v1) for one report, with the
/// report in `scanner.result` and one subject per image digest, for a DSSE signer; with
/// --predicate, the predicate alone, for `cosign attest --type vuln`. Policies read it back
/// with `vuln(K).critical`, `vuln(K).scan.age` and the rest, counted as here.
///
/// Examples:
///   trivy image --format json --output app.json registry.company.com/app:1.2.3
///   bona facts trivy app.json -o facts.json
///   bona eval --policy policies/ --input deploy.json --facts facts.json
///
///   bona facts trivy reports/*.json > facts.json
///
///   bona facts trivy app.json --predicate -o vuln.json
///   cosign attest --key cosign.key --type vuln --predicate vuln.json registry.company.com/app@sha256:…
///   bona facts trivy app.json --attestation -o statement.json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct TrivyArgs {
    /// Trivy JSON reports (`trivy image --format json`).
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// Write the facts document to FILE (replaced atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format: the facts document is always JSON.
    #[arg(long, value_enum, default_value = "json", hide_possible_values = true)]
    pub format: JsonOnly,
    /// Print the in-toto statement of the vulnerability attestation for one report.
    #[arg(long, conflicts_with = "predicate")]
    pub attestation: bool,
    /// Print the vulnerability predicate alone (`cosign attest --type vuln --predicate`).
    #[arg(long)]
    pub predicate: bool,
}

/// `--format json` is accepted as everywhere else; the output is a document, never a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JsonOnly {
    /// The facts document of docs/images.md#facts.
    Json,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    match args.source {
        Source::Trivy(a) => trivy(&a, out, err),
        Source::Registry(a) => crate::commands::registry_facts::run(&a, out, err),
    }
}

fn trivy(args: &TrivyArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    if args.attestation || args.predicate {
        return attestation(args, out, err);
    }
    let mut reports = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        let bytes = match policies::read(path, err) {
            Ok(b) => b,
            Err(exit) => return exit,
        };
        match Report::from_json(&bytes) {
            Ok(report) => reports.push((path, report)),
            Err(e) => return bad_input(err, format!("{}: {e}", path.display())),
        }
    }
    for (path, report) in &reports {
        let uncounted = report.counts().uncounted;
        if uncounted > 0 {
            let (noun, verb) = if uncounted == 1 {
                ("vulnerability", "is")
            } else {
                ("vulnerabilities", "are")
            };
            let _ = writeln!(
                err,
                "note: {}: {uncounted} {noun} of UNKNOWN severity {verb} in none of the counts",
                path.display()
            );
        }
    }
    let reports: Vec<Report> = reports.into_iter().map(|(_, r)| r).collect();
    let facts = TrivyFacts::from_reports(&reports);
    let summary = format!(
        "{} {} from {} {}",
        facts.len(),
        if facts.len() == 1 { "key" } else { "keys" },
        reports.len(),
        if reports.len() == 1 {
            "report"
        } else {
            "reports"
        }
    );
    emit(args.output.as_deref(), &facts.to_json(), &summary, out, err)
}

/// `--attestation` / `--predicate`: one report's vulnerability statement or predicate.
fn attestation(args: &TrivyArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let [path] = args.reports.as_slice() else {
        return bad_input(
            err,
            format!(
                "--attestation and --predicate take one report (got {}): an attestation \
                 describes one scan of one image",
                args.reports.len()
            ),
        );
    };
    let bytes = match policies::read(path, err) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let report = match Report::from_json(&bytes) {
        Ok(report) => report,
        Err(e) => return bad_input(err, format!("{}: {e}", path.display())),
    };
    // INVARIANT: `Report::from_json` has just read these bytes as JSON.
    let raw: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let report = &report;
    let (doc, what) = if args.predicate {
        (vuln_attestation::predicate(report, &raw), "predicate")
    } else {
        (vuln_attestation::statement(report, &raw), "statement")
    };
    match doc {
        Ok(doc) => {
            // INVARIANT: a `Value` always serializes.
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
            emit(
                args.output.as_deref(),
                &text,
                &format!("the vulnerability {what} of {}", path.display()),
                out,
                err,
            )
        }
        Err(e) => bad_input(err, format!("{}: {e}", path.display())),
    }
}

/// Writes `text` to standard output, or atomically to `output` with a one-line summary.
pub(crate) fn emit(
    output: Option<&std::path::Path>,
    text: &str,
    summary: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Exit {
    match output {
        None => {
            let _ = out.write_all(text.as_bytes());
            Exit::Ok
        }
        Some(path) => match load::write_atomically(path, text.as_bytes()) {
            Ok(()) => {
                let _ = writeln!(err, "wrote {} ({summary})", path.display());
                Exit::Ok
            }
            Err(e) => bad_input(
                err,
                format!("{}: cannot write: {}", path.display(), load::io_reason(&e)),
            ),
        },
    }
}
