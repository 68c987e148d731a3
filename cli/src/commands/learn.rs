//! `bona learn`: a policy set that trusts what runs now (docs/learn.md).

use std::io::Write;
use std::path::PathBuf;

use bona_host::learn::{LearnOptions, learn};

use crate::policies::{self, ClusterArgs};
use crate::{Exit, bad_input};

/// Write a policy set that trusts what an inventory runs.
///
/// Reads Bona's inventory or a `kubectl get pods -A -o json` list (with --cluster) and writes
/// one `issue` policy per group of namespaces of a cluster that run the same images:
/// repositories are kept exact, or become `REGISTRY/PARENT/*` when at least --min-group of them
/// share a parent. The output passes `bona check` and `bona lint`, and `bona audit` of the same
/// inventory against it files no posture issue: a baseline to review, tighten (signatures,
/// digests, `prevent`) and commit. The same inventory in any order gives the same text.
///
/// Example:
///   kubectl get pods -A -o json > pods.json
///   bona learn --inventory pods.json --cluster prod-eu-1 -o learned.trust
///   bona audit --policy learned.trust --inventory pods.json --cluster prod-eu-1
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Bona's inventory (JSON) or a `kubectl get pods -A -o json` list.
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    #[command(flatten)]
    pub kubernetes: ClusterArgs,
    /// Repositories of one registry and parent that make a `*` pattern.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_group: u32,
    /// Write the policies to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let inventory = match policies::inventory(&args.inventory, &args.kubernetes.options(), err) {
        Ok(inventory) => inventory,
        Err(exit) => return exit,
    };
    let options = LearnOptions {
        min_group: usize::try_from(args.min_group).unwrap_or(usize::MAX),
    };
    let text = learn(&inventory, options);
    match &args.output {
        None => {
            let _ = out.write_all(text.as_bytes());
            Exit::Ok
        }
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => Exit::Ok,
            Err(e) => bad_input(err, format!("{}: cannot write: {e}", path.display())),
        },
    }
}
