//! `bona eval`: one admission decision (SPEC §4.1–4.3).
//!
//! `--bundle` takes a bundle or a wasm module from `bona build --target wasm` (told apart by
//! their first bytes); a module runs in the wasmtime host of `bona-runtime` when this binary is
//! built with the `wasm` feature.

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
///   bona eval --bundle policies.wasm --input deploy.json   (a `bona build --target wasm` module)
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

/// The policies to decide with: an engine, or a wasm module.
enum Decider {
    Engine(bona_runtime::Engine),
    #[cfg(feature = "wasm")]
    Wasm(bona_runtime::wasm_host::WasmPolicy),
}

/// Loads `--bundle` as a wasm module when it is one, else as the other commands do.
fn decider(source: &PolicySource, err: &mut dyn Write) -> Result<Decider, Exit> {
    if let Some(path) = &source.bundle {
        let bytes = policies::read(path, err)?;
        if bona_runtime::wasm_abi::is_wasm(&bytes) {
            return wasm_decider(path, &bytes, err);
        }
    }
    policies::engine(source, err).map(Decider::Engine)
}

#[cfg(feature = "wasm")]
fn wasm_decider(
    path: &std::path::Path,
    bytes: &[u8],
    err: &mut dyn Write,
) -> Result<Decider, Exit> {
    bona_runtime::wasm_host::WasmPolicy::new(bytes)
        .map(Decider::Wasm)
        .map_err(|e| bad_input(err, format!("{}: {e}", path.display())))
}

#[cfg(not(feature = "wasm"))]
fn wasm_decider(
    path: &std::path::Path,
    _bytes: &[u8],
    err: &mut dyn Write,
) -> Result<Decider, Exit> {
    Err(bad_input(
        err,
        format!(
            "{}: this is a wasm module, and this `bona` was built without the wasm host; \
             rebuild it with `cargo build -p bona --features wasm`, or give a bundle from \
             `bona build` (--target bundle)",
            path.display()
        ),
    ))
}

fn decide(args: &Args, err: &mut dyn Write) -> Result<(AdmissionInput, Decision), Exit> {
    let decider = decider(&args.source, err)?;
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
    let decision = match &decider {
        Decider::Engine(engine) => {
            engine.evaluate(&input, facts.as_ref(), policies::now(), &mut cache)
        }
        #[cfg(feature = "wasm")]
        Decider::Wasm(wasm) => wasm
            .evaluate(&input, facts.as_ref(), policies::now(), &mut cache)
            .map_err(|e| {
                let path = args
                    .source
                    .bundle
                    .as_deref()
                    .unwrap_or(std::path::Path::new(""));
                bad_input(err, format!("{}: {e}", path.display()))
            })?,
    };
    Ok((input, decision))
}
