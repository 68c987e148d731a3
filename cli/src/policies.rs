//! Where the policies of `eval` and `audit` come from: `.trust` sources compiled on the spot
//! (`--policy`) or a bundle written by `bona build` (`--bundle`), and the other inputs those
//! commands read (facts, admission inputs, inventories). Every failure is reported once, with
//! the file and the place, and mapped to its exit code.

use std::io::Write;
use std::path::{Path, PathBuf};

use bona_host::engine::{LoadError, PolicyFiles, load_engine, read_facts, read_input};
use bona_runtime::Engine;
use bona_runtime::facts::FactsDocument;
use bona_runtime::input::{
    Inventory, ReviewOptions, is_kubectl_list, parse_inventory, parse_kubectl_list,
};

use crate::commands::check::print_diagnostics;
use crate::{Exit, bad_input};

/// `--policy PATHS` or `--bundle FILE`.
#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct PolicySource {
    /// `.trust` files or directories, compiled now.
    #[arg(long = "policy", value_name = "PATHS", num_args = 1..)]
    pub policy: Vec<PathBuf>,
    /// A bundle written by `bona build`.
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
}

/// `--bundle-key PUB`, on the commands that load bundles.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BundleKey {
    /// Refuse the bundle unless `FILE.sig` (written by `bona build --sign-key`) verifies under
    /// this public key.
    #[arg(long = "bundle-key", value_name = "PUB")]
    pub key: Option<PathBuf>,
}

impl BundleKey {
    /// A key needs a bundle to check: sources compiled with `--policy` carry no signature.
    ///
    /// # Errors
    /// The message for a key given without `--bundle`.
    pub fn applies_to(&self, src: &PolicySource) -> Result<(), &'static str> {
        if self.key.is_some() && src.bundle.is_none() {
            return Err(
                "--bundle-key checks the signature of a bundle: give --bundle FILE, or drop \
                 --bundle-key (sources given with --policy are not signed)",
            );
        }
        Ok(())
    }
}

impl PolicySource {
    /// The files as the host crate keeps them, with the key a bundle must be signed with.
    pub fn files(&self, key: Option<&Path>) -> PolicyFiles {
        PolicyFiles {
            policy: self.policy.clone(),
            bundle: self.bundle.clone(),
            bundle_key: key.map(Path::to_path_buf),
        }
    }
}

/// Builds the engine, printing diagnostics or the load error on failure.
pub fn engine(src: &PolicySource, err: &mut dyn Write) -> Result<Engine, Exit> {
    signed_engine(src, &BundleKey::default(), err)
}

/// [`engine`], refusing a bundle that is not signed with `key` when one is given.
pub fn signed_engine(
    src: &PolicySource,
    key: &BundleKey,
    err: &mut dyn Write,
) -> Result<Engine, Exit> {
    key.applies_to(src)
        .map_err(|message| bad_input(err, message))?;
    load_engine(src.files(key.key.as_deref()).source()).map_err(|e| match e {
        LoadError::BadInput(message) => bad_input(err, message),
        LoadError::Compile(failure) => {
            print_diagnostics(&failure.db, &failure.diagnostics, err);
            let _ = writeln!(
                err,
                "{}; fix the policies first",
                bona_compiler::diagnostics::summary(&failure.diagnostics)
            );
            Exit::Findings
        }
    })
}

/// Reads a whole input file.
pub fn read(path: &Path, err: &mut dyn Write) -> Result<Vec<u8>, Exit> {
    read_input(path).map_err(|message| bad_input(err, message))
}

/// Reads `--facts FILE` when given.
pub fn facts(path: Option<&Path>, err: &mut dyn Write) -> Result<Option<FactsDocument>, Exit> {
    path.map(read_facts)
        .transpose()
        .map_err(|message| bad_input(err, message))
}

pub use bona_host::clock::now;

/// `--cluster` and `--cloud`: where a Kubernetes document (an AdmissionReview, a kubectl
/// list) comes from. Kubernetes does not say; the asset's `cluster` and `cloud` come from here.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// The cluster the Kubernetes document comes from (the asset's `cluster`).
    #[arg(long, value_name = "NAME", default_value = "")]
    pub cluster: String,
    /// The cloud the Kubernetes document comes from (the asset's `cloud`).
    #[arg(long, value_name = "NAME", default_value = "")]
    pub cloud: String,
}

impl ClusterArgs {
    /// The options of the Kubernetes readers.
    pub fn options(&self) -> bona_runtime::input::ReviewOptions {
        bona_runtime::input::ReviewOptions {
            cluster: self.cluster.clone(),
            cloud: self.cloud.clone(),
        }
    }
}

/// `--format json|table`; the default is a table on a terminal and JSON on a pipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// The stable JSON shapes of docs/output.md.
    Json,
    /// A readable table.
    Table,
}

/// Resolves the default format.
pub fn format_or_default(f: Option<OutputFormat>) -> OutputFormat {
    use std::io::IsTerminal;
    f.unwrap_or(if std::io::stdout().is_terminal() {
        OutputFormat::Table
    } else {
        OutputFormat::Json
    })
}

/// Bona's inventory, or a kubectl list when the document is one, read whole (the pods of one
/// workload can be anywhere in a list; `bona diff` and `bona learn` are review tools, not
/// fleet-wide jobs like `bona audit`, which streams).
pub fn inventory(
    path: &Path,
    opts: &ReviewOptions,
    err: &mut dyn Write,
) -> Result<Inventory, Exit> {
    let bytes = read(path, err)?;
    match parse_inventory(&bytes) {
        Ok(inventory) => Ok(inventory),
        Err(_) if is_kubectl_list(&bytes) => parse_kubectl_list(&bytes, opts)
            .map_err(|e| bad_input(err, format!("{}: {e}", path.display()))),
        Err(e) => Err(bad_input(err, format!("{}: {e}", path.display()))),
    }
}
