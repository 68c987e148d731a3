//! `bona eval`: one admission decision (docs/output.md#admission-input).
//!
//! `--bundle` takes a bundle or a wasm module from `bona build --target wasm` (told apart by
//! their first bytes); a module runs in the wasmtime host of `bona-runtime` when this binary is
//! built with the `wasm` feature.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use bona_runtime::evaluation::{Evaluation, StreamedDecision};
use bona_runtime::input::{AdmissionInput, parse_admission_input, parse_admission_review};
#[cfg(feature = "wasm")]
use bona_runtime::output::Decision;
use bona_runtime::output::{DecisionKind, ImageDecision};
use bona_runtime::signature::VerificationCache;

use crate::policies::{self, BundleKey, ClusterArgs, OutputFormat, PolicySource};
use crate::{Exit, bad_input, render};

/// Decide whether a workload's images are trusted.
///
/// Reads Bona's admission input (`--input`, docs/output.md#admission-input) or a Kubernetes AdmissionReview v1
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
    #[command(flatten)]
    pub bundle_key: BundleKey,
    /// Bona's admission input (JSON, docs/output.md#admission-input).
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
    /// A facts document (JSON, docs/images.md#facts) for images without inline facts.
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
    let decided = decider(&args.source, &args.bundle_key, err).and_then(|decider| {
        let facts = policies::facts(args.facts.as_deref(), err)?;
        let doc = document(&args, err)?;
        let format = policies::format_or_default(args.format);
        let mut out = BufWriter::with_capacity(1 << 16, out);
        let decision = match &decider {
            Decider::Engine(engine) => {
                let mut cache = VerificationCache::new();
                let evaluation =
                    engine.evaluation(&doc.input, facts.as_ref(), policies::now(), &mut cache);
                write_streamed(&evaluation, format, &mut cache, &mut out);
                evaluation.decision()
            }
            #[cfg(feature = "wasm")]
            Decider::Wasm(wasm) => {
                let decision = decide_wasm(wasm, &args, &doc, err)?;
                let _ = match format {
                    OutputFormat::Json => writeln!(out, "{}", to_json(&decision)),
                    OutputFormat::Table => {
                        write!(out, "{}", render::decision(&doc.input, &decision))
                    }
                };
                decision.decision
            }
        };
        let _ = out.flush();
        Ok(decision)
    });
    match decided {
        Ok(DecisionKind::Prevent) if args.fail => Exit::Prevented,
        Ok(_) => Exit::Ok,
        Err(exit) => exit,
    }
}

/// Writes the decision image by image, holding one image's entry at a time: an image judged
/// by 10,000 policies is megabytes of reasons, and a workload may have thousands of images.
/// A write error (a closed pipe) stops the evaluation.
fn write_streamed<W: Write>(
    evaluation: &Evaluation<'_>,
    format: OutputFormat,
    cache: &mut VerificationCache,
    out: &mut W,
) {
    match format {
        OutputFormat::Json => {
            let mut untouched = |_: usize, _: &mut ImageDecision| {};
            let streamed = StreamedDecision::new(evaluation, cache, &mut untouched);
            if serde_json::to_writer_pretty(&mut *out, &streamed).is_ok() {
                let _ = writeln!(out);
            }
        }
        OutputFormat::Table => {
            let input = evaluation.input();
            if write!(
                out,
                "{}",
                render::decision_head(input, evaluation.decision())
            )
            .is_err()
            {
                return;
            }
            for i in 0..evaluation.image_count() {
                if let Some(image) = evaluation.image(i, cache)
                    && write!(out, "{}", render::decision_image(&image)).is_err()
                {
                    return;
                }
            }
            let mut first = true;
            for i in 0..evaluation.image_count() {
                if let Some(issue) = evaluation.issue(i, cache) {
                    if write!(out, "{}", render::decision_issue(&issue, first)).is_err() {
                        return;
                    }
                    first = false;
                }
            }
        }
    }
}

#[cfg(feature = "wasm")]
fn to_json(d: &Decision) -> String {
    serde_json::to_string_pretty(d).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The policies to decide with: an engine, or a wasm module.
enum Decider {
    Engine(Box<bona_runtime::Engine>),
    #[cfg(feature = "wasm")]
    Wasm(bona_wasm::host::WasmPolicy),
}

/// Loads `--bundle` as a wasm module when it is one, else as the other commands do.
fn decider(source: &PolicySource, key: &BundleKey, err: &mut dyn Write) -> Result<Decider, Exit> {
    if let Some(path) = &source.bundle {
        let bytes = policies::read(path, err)?;
        if bona_wasm::abi::is_wasm(&bytes) {
            if let Some(key) = &key.key {
                bona_host::engine::verify_signed(path, &bytes, key)
                    .map_err(|message| crate::bad_input(err, message))?;
            }
            return wasm_decider(path, &bytes, err);
        }
    }
    policies::signed_engine(source, key, err).map(|e| Decider::Engine(Box::new(e)))
}

#[cfg(feature = "wasm")]
fn wasm_decider(
    path: &std::path::Path,
    bytes: &[u8],
    err: &mut dyn Write,
) -> Result<Decider, Exit> {
    use bona_wasm::host::{WasmCompiler, WasmOptions, WasmPolicy};
    // One decision: compiling fast matters more than running fast.
    let options = WasmOptions {
        compiler: WasmCompiler::Baseline,
        ..WasmOptions::default()
    };
    WasmPolicy::with_options(bytes, options)
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
             rebuild it with `cargo build -p bona --features wasm`, run the module in another \
             wasm host (docs/wasm-abi.md), or give a bundle from `bona build` (--target bundle)",
            path.display()
        ),
    ))
}

/// The document to decide, as read (a wasm module parses it itself) and as parsed.
#[cfg_attr(
    not(feature = "wasm"),
    expect(dead_code, reason = "the bytes are for the wasm host")
)]
struct Document {
    bytes: Vec<u8>,
    input: AdmissionInput,
    review: bool,
}

fn document(args: &Args, err: &mut dyn Write) -> Result<Document, Exit> {
    match (&args.input, &args.admission_review) {
        (Some(path), _) => {
            let bytes = policies::read(path, err)?;
            let input = parse_admission_input(&bytes)
                .map_err(|e| bad_input(err, format!("{}: {e}", path.display())))?;
            Ok(Document {
                bytes,
                input,
                review: false,
            })
        }
        (None, Some(path)) => {
            let bytes = policies::read(path, err)?;
            let opts = args.kubernetes.options();
            let input = parse_admission_review(&bytes, &opts)
                .map_err(|e| bad_input(err, format!("{}: {e}", path.display())))?
                .input;
            Ok(Document {
                bytes,
                input,
                review: true,
            })
        }
        // INVARIANT: clap requires one of the two.
        (None, None) => Err(bad_input(err, "give --input or --admission-review")),
    }
}

/// The decision of a wasm module, which parses the documents itself.
#[cfg(feature = "wasm")]
fn decide_wasm(
    wasm: &bona_wasm::host::WasmPolicy,
    args: &Args,
    doc: &Document,
    err: &mut dyn Write,
) -> Result<Decision, Exit> {
    // Both documents were checked already, so that a mistake is reported against its file;
    // the module reads them again, itself.
    let facts = match &args.facts {
        Some(path) => Some(policies::read(path, err)?),
        None => None,
    };
    let now = policies::now();
    let decided = if doc.review {
        wasm.review(
            &doc.bytes,
            &args.kubernetes.options(),
            facts.as_deref(),
            now,
        )
    } else {
        wasm.evaluate(&doc.bytes, facts.as_deref(), now)
    };
    decided.map_err(|e| {
        let path = args
            .source
            .bundle
            .as_deref()
            .unwrap_or(std::path::Path::new(""));
        bad_input(err, format!("{}: {e}", path.display()))
    })
}
