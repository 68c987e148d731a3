//! `bona diff OLD NEW --inventory FILE`: which running assets change decision or issues when
//! the policy set OLD is replaced by NEW (docs/commands.md).

use std::io::Write;
use std::path::{Path, PathBuf};

use bona_host::diff::{Comparison, Diff};
use bona_runtime::Engine;

use crate::policies::{self, ClusterArgs, OutputFormat, PolicySource};
use crate::{Exit, render};

/// Show which running assets a policy change affects.
///
/// Judges every asset of the inventory under the OLD and the NEW policy set, as at admission
/// (decision, image verdicts, runtime-security issues) and as in an audit (posture issues),
/// and prints the assets where anything differs: workloads that the next rollout would block
/// or stop blocking, and issues that would be filed or closed. OLD and NEW are each a `.trust`
/// file, a directory of them, or a bundle written by `bona build`.
///
/// The inventory is Bona's audit document (docs/output.md#bona-audit) or `kubectl get pods -A -o json` (with
/// `--cluster`), as for `bona audit`. Exit 0 whatever changes; 1 when a policy set has errors;
/// 2 on bad input.
///
/// Examples:
///   bona diff policies/ proposed/ --inventory inventory.json
///   git show main:policies/prod.trust > /tmp/old.trust
///   bona diff /tmp/old.trust policies/prod.trust --inventory pods.json --cluster prod-eu-1
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The policy set in force: `.trust` files' directory, one `.trust` file, or a bundle.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The proposed policy set, in the same forms.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
    /// Bona's inventory (JSON) or a `kubectl get pods -A -o json` list.
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    #[command(flatten)]
    pub kubernetes: ClusterArgs,
    /// A facts document (JSON, docs/images.md#facts), used for both sets.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    match diff(&args, err) {
        Ok(diff) => {
            let _ = match policies::format_or_default(args.format) {
                OutputFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&diff)
                        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
                ),
                OutputFormat::Table => write!(out, "{}", render::diff(&diff)),
            };
            Exit::Ok
        }
        Err(exit) => exit,
    }
}

fn diff(args: &Args, err: &mut dyn Write) -> Result<Diff, Exit> {
    let old = engine_at(&args.old, err)?;
    let new = engine_at(&args.new, err)?;
    let facts = policies::facts(args.facts.as_deref(), err)?;
    let opts = args.kubernetes.options();
    let inventory = policies::inventory(&args.inventory, &opts, err)?;
    let time = inventory.time.unwrap_or_else(policies::now);
    let mut comparison = Comparison::new(&old, &new, facts.as_ref());
    let mut diff = Diff::default();
    for entry in &inventory.assets {
        let change = comparison.asset(entry, time);
        diff.summary.count(change.as_ref());
        diff.changes.extend(change);
    }
    Ok(diff)
}

/// A policy set given as one path: sources (a directory or a `.trust` file) or a bundle.
fn engine_at(path: &Path, err: &mut dyn Write) -> Result<Engine, Exit> {
    let sources = path.is_dir() || path.extension().is_some_and(|e| e == "trust");
    let source = if sources {
        PolicySource {
            policy: vec![path.to_path_buf()],
            bundle: None,
        }
    } else {
        PolicySource {
            policy: Vec::new(),
            bundle: Some(path.to_path_buf()),
        }
    };
    policies::engine(&source, err)
}
