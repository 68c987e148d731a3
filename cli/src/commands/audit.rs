//! `bona audit`: posture issues of running assets (SPEC §4.4).

use std::io::Write;
use std::path::PathBuf;

use bona_runtime::input::{ReviewOptions, is_kubectl_list, parse_inventory, parse_kubectl_list};
use bona_runtime::signature::VerificationCache;

use crate::policies::{self, OutputFormat, PolicySource};
use crate::{Exit, bad_input, render};

/// Report posture issues of what is running.
///
/// The inventory is Bona's audit document (SPEC 4.4) or the output of
/// `kubectl get pods -A -o json` (with `--cluster`): each pod is counted under its owning
/// workload. Issues come in a stable order: asset, image, policy.
///
/// Example:
///   kubectl get pods -A -o json > pods.json
///   bona audit --bundle policies.bundle --inventory pods.json --cluster prod-eu-1
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub source: PolicySource,
    /// Bona's inventory (JSON) or a `kubectl get pods -A -o json` list.
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    /// The cluster a kubectl list comes from.
    #[arg(long, value_name = "NAME", default_value = "")]
    pub cluster: String,
    /// The cloud a kubectl list comes from.
    #[arg(long, value_name = "NAME", default_value = "")]
    pub cloud: String,
    /// A facts document (JSON, SPEC 3.3).
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let engine = match policies::engine(&args.source, err) {
        Ok(e) => e,
        Err(exit) => return exit,
    };
    let facts = match policies::facts(args.facts.as_deref(), err) {
        Ok(f) => f,
        Err(exit) => return exit,
    };
    let bytes = match policies::read(&args.inventory, err) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let parsed = if is_kubectl_list(&bytes) {
        let opts = ReviewOptions {
            cluster: args.cluster.clone(),
            cloud: args.cloud.clone(),
        };
        parse_kubectl_list(&bytes, &opts)
    } else {
        parse_inventory(&bytes)
    };
    let inventory = match parsed {
        Ok(i) => i,
        Err(e) => return bad_input(err, format!("{}: {e}", args.inventory.display())),
    };
    let mut cache = VerificationCache::new();
    let audit = engine.audit(&inventory, facts.as_ref(), policies::now(), &mut cache);
    match policies::format_or_default(args.format) {
        OutputFormat::Json => {
            let text = serde_json::to_string_pretty(&audit)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            let _ = writeln!(out, "{text}");
        }
        OutputFormat::Table => {
            let _ = write!(out, "{}", render::audit(&audit));
        }
    }
    Exit::Ok
}
