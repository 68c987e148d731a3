//! `bona eval`: one admission decision (SPEC §4.1–4.3).

use std::io::Write;
use std::path::PathBuf;

use bona_runtime::input::{AdmissionInput, parse_admission_input, parse_admission_review};
use bona_runtime::output::{Decision, DecisionKind};
use bona_runtime::signature::VerificationCache;

use crate::policies::{self, ClusterArgs, OutputFormat, PolicySource};
use crate::{Exit, bad_input, render};

/// Decide whether a workload's images are trusted.
///
/// Reads Bona's admission input (`--input`, SPEC 4.1) or a Kubernetes AdmissionReview v1
/// (`--admission-review`), evaluates every image against the policies, and prints the
/// decision, each image's verdict with every applicable policy's result and reasons, and the
/// runtime-security issues.
///
/// Examples:
///   bona eval --policy examples/production --input examples/production/deploy.json
///   bona eval --bundle policies.bundle --admission-review review.json --cluster prod-eu-1 --fail
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub source: PolicySource,
    /// Bona's admission input (JSON, SPEC 4.1).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "admission_review",
        conflicts_with = "admission_review"
    )]
    pub input: Option<PathBuf>,
    /// A Kubernetes AdmissionReview v1 (JSON) for a Pod or a workload with a pod template.
    #[arg(long, value_name = "FILE")]
    pub admission_review: Option<PathBuf>,
    #[command(flatten)]
    pub kubernetes: ClusterArgs,
    /// A facts document (JSON, SPEC 3.3) for images without inline facts.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
    /// Exit 3 when the decision is `prevent`.
    #[arg(long)]
    pub fail: bool,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    match decide(&args, err) {
        Ok((input, decision)) => {
            match policies::format_or_default(args.format) {
                OutputFormat::Json => {
                    let _ = writeln!(out, "{}", to_json(&decision));
                }
                OutputFormat::Table => {
                    let _ = write!(out, "{}", render::decision(&input, &decision));
                }
            }
            if args.fail && decision.decision == DecisionKind::Prevent {
                Exit::Prevented
            } else {
                Exit::Ok
            }
        }
        Err(exit) => exit,
    }
}

fn to_json(d: &Decision) -> String {
    serde_json::to_string_pretty(d).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

fn decide(args: &Args, err: &mut dyn Write) -> Result<(AdmissionInput, Decision), Exit> {
    let engine = policies::engine(&args.source, err)?;
    let facts = policies::facts(args.facts.as_deref(), err)?;
    let input = match (&args.input, &args.admission_review) {
        (Some(path), _) => {
            let bytes = policies::read(path, err)?;
            parse_admission_input(&bytes)
                .map_err(|e| bad_input(err, format!("{}: {e}", path.display())))?
        }
        (None, Some(path)) => {
            let bytes = policies::read(path, err)?;
            let opts = args.kubernetes.options();
            parse_admission_review(&bytes, &opts)
                .map_err(|e| bad_input(err, format!("{}: {e}", path.display())))?
                .input
        }
        // INVARIANT: clap requires one of the two.
        (None, None) => return Err(bad_input(err, "give --input or --admission-review")),
    };
    let mut cache = VerificationCache::new();
    let decision = engine.evaluate(&input, facts.as_ref(), policies::now(), &mut cache);
    Ok((input, decision))
}
