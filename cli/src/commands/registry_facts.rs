//! `bona facts registry REF...`: facts read from the images' registries (docs/registry.md#bona-facts-registry).
//! The reading is `bona_registry`; this module takes the flags, runs a few images at once,
//! reports what could not be read, and writes the document.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bona_runtime::reference::Reference;
use serde_json::{Map, Value};

use crate::commands::facts::{JsonOnly, emit};
use crate::commands::registry_targets::targets;
use crate::progress::Delayed;
use crate::registry::RegistryOptions;
use crate::{Exit, bad_input};

/// Read images' digests, platform facts, signatures and attestations from their registries.
///
/// Writes a facts document (docs/images.md#facts) for `bona eval --facts` and `bona audit
/// --facts`, one entry per image under its normalised reference: the digest (the reference's
/// own, or the tag's manifest hashed); `labels`, `created`, `layers` and `declared_base` of
/// the --platform images; and the signatures and attestations stored under cosign's
/// `sha256-<hex>.sig` and `.att` tags and as OCI 1.1 referrers (Sigstore bundles). Every
/// manifest and blob is checked against its digest and size.
///
/// With --inventory, the images are those of an inventory or kubectl list; for a running
/// container the digest is its status's `imageID`, what actually runs. --base adds candidate
/// base images: an image whose layers start with a candidate's has it as `base`.
///
/// Only registries matching a --registry-allow glob are contacted, and a name that resolves
/// to a loopback or link-local address only when a glob names it literally. Credentials come
/// from Docker's config.json (--registry-config, else $DOCKER_CONFIG/config.json, else
/// ~/.docker/config.json) or a Kubernetes pull Secret; credential helpers are never run.
///
/// A fact that cannot be read is left out, so it stays unknown: an image that cannot be read
/// at all is reported and left out, and exit is 0 (1 with --strict).
///
/// Examples:
///   bona facts registry registry.company.com/app:1.2.3 \
///       --registry-allow registry.company.com -o facts.json
///   bona eval --policy policies/ --input deploy.json --facts facts.json
///
///   bona facts registry localhost:5000/demo/app:v1 \
///       --registry-allow localhost:5000 --insecure-registry localhost:5000
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct RegistryArgs {
    /// Image references.
    #[arg(value_name = "REF", required_unless_present_any = ["inventory", "base"])]
    pub images: Vec<String>,
    /// Read every image of an inventory (docs/commands.md#bona-audit) or kubectl list.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,
    /// A candidate base image, read for its layers. Repeatable.
    #[arg(long, value_name = "REF")]
    pub base: Vec<String>,
    #[command(flatten)]
    pub registry: RegistryOptions,
    /// Seconds one request may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
    /// Exit 1 when an image, or a fact of one, could not be read.
    #[arg(long)]
    pub strict: bool,
    /// Write the facts document to FILE (replaced atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Output format: the facts document is always JSON.
    #[arg(long, value_enum, default_value = "json", hide_possible_values = true)]
    pub format: JsonOnly,
}

/// Images read at once.
const CONCURRENCY: usize = 8;

pub fn run(args: &RegistryArgs, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let options = match args.registry.read_options(err) {
        Ok(o) => o,
        Err(exit) => return exit,
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    let client = match args.registry.client(timeout, "bona facts registry", err) {
        Ok(c) => Arc::new(c),
        Err(exit) => return exit,
    };
    let targets = match targets(args, err) {
        Ok(t) => t,
        Err(exit) => return exit,
    };
    let images: Vec<Reference> = targets.iter().map(|t| t.read.clone()).collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return bad_input(err, format!("cannot start: {e}")),
    };
    let progress = Delayed::new(
        Some(images.len() as u64),
        "{spinner} reading images {pos}/{len} [{bar:30}] {elapsed}",
    );
    let results = runtime.block_on(bona_registry::facts::images_facts(
        client,
        images,
        options,
        CONCURRENCY,
        &|| {
            if let Some(bar) = progress.bar() {
                bar.inc(1);
            }
            let _ = progress.visible();
        },
    ));
    progress.finish();
    let mut document = BTreeMap::new();
    let mut problems = 0;
    for (target, result) in targets.iter().zip(results) {
        let key = target.key.to_string();
        if document.contains_key(&key) {
            // Two pods running one tag at different digests: the first read is kept.
            let _ = writeln!(
                err,
                "warning: {key}: runs at several digests; the facts give the first"
            );
            continue;
        }
        match result {
            Ok(facts) => {
                for failure in &facts.failures {
                    problems += 1;
                    let _ = writeln!(err, "warning: {key}: {failure} (left unknown)");
                }
                document.insert(key, Value::Object(facts.entry));
            }
            Err(e) => {
                problems += 1;
                let _ = writeln!(err, "warning: {key}: {e} (left out)");
            }
        }
    }
    let mut root = Map::new();
    root.insert("images".into(), serde_json::json!(document));
    // INVARIANT: a `Value` always serializes.
    let text = serde_json::to_string_pretty(&Value::Object(root)).unwrap_or_default() + "\n";
    let summary = format!("{} of {} images read", document.len(), targets.len());
    match emit(args.output.as_deref(), &text, &summary, out, err) {
        Exit::Ok if args.strict && problems > 0 => Exit::Findings,
        other => other,
    }
}
