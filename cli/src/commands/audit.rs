//! `bona audit`: posture issues of running assets (docs/output.md#bona-audit). The audit
//! itself streams in `bona_host::audit`; this is its command line and progress bar: on a
//! terminal (stderr, never on a pipe), a bar driven by the bytes read over the file's size
//! shows assets per second. It appears only after half a second, so short audits print nothing
//! extra, and it is drawn from the main thread only.

use std::cell::Cell;
use std::io::Write;
use std::path::PathBuf;

use bona_host::audit::{Audit, Format, Report, ReportApi};
use bona_registry::cache::MAX_FLIGHT;
use bona_registry::live::{Live, LiveOptions};
use bona_runtime::facts::FactsDocument;
use futures::StreamExt as _;

use crate::commands::registry_targets;
use crate::policies::{self, BundleKey, ClusterArgs, PolicySource};
use crate::progress::Delayed;
use crate::registry::RegistryOptions;
use crate::{Exit, bad_input};

/// Report posture issues of what is running.
///
/// The inventory is Bona's audit document (docs/output.md#bona-audit) or the output of
/// `kubectl get pods -A -o json` (with `--cluster`): each pod is counted under its owning
/// workload. Issues come in a stable order: asset, image, policy.
///
/// Bona's inventory is streamed: memory does not grow with its size. A kubectl list is read
/// into memory whole (the pods of one workload can be anywhere in it). Nothing is printed
/// until the whole inventory has been read: bad input anywhere gives one error and no
/// partial result. On a terminal, a progress bar shows on stderr during long audits.
///
/// With --registry, what the facts lack is first read from the images' registries
/// (docs/registry.md#in-audits): for a running container of a kubectl list, at the digest its
/// status's `imageID` says runs. What cannot be read stays unknown, reported on stderr.
///
/// Example:
///   kubectl get pods -A -o json > pods.json
///   bona audit --bundle policies.bundle --inventory pods.json --cluster prod-eu-1
///   bona audit --policy policies/ --inventory pods.json --cluster prod-eu-1 \
///       --registry --registry-allow 'registry.company.com'
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub source: PolicySource,
    #[command(flatten)]
    pub bundle_key: BundleKey,
    /// Bona's inventory (JSON, streamed) or a `kubectl get pods -A -o json` list (read whole).
    #[arg(long, value_name = "FILE")]
    pub inventory: PathBuf,
    #[command(flatten)]
    pub kubernetes: ClusterArgs,
    /// A facts document (JSON, docs/images.md#facts).
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Output format [default: table on a terminal, json otherwise]. `policyreport` and
    /// `openreports` print one Kubernetes report per asset (docs/reports.md), as YAML on a
    /// terminal or into a `.yaml`/`.yml` file, JSON otherwise; `html` one self-contained page
    /// (with -o report.html).
    #[arg(long, value_enum)]
    pub format: Option<AuditFormat>,
    /// Write the output to FILE (created once the whole inventory has been read) instead of
    /// stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Read what the facts lack from the images' registries (needs --registry-allow).
    #[arg(long, help_heading = "Registry")]
    pub registry: bool,
    #[command(flatten, next_help_heading = "Registry")]
    pub registry_options: RegistryOptions,
}

/// Runs the command.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    let engine = match policies::signed_engine(&args.source, &args.bundle_key, err) {
        Ok(e) => e,
        Err(exit) => return exit,
    };
    let facts = match policies::facts(args.facts.as_deref(), err) {
        Ok(f) => f,
        Err(exit) => return exit,
    };
    let facts = match (args.registry, args.registry_options.any()) {
        (true, _) => match with_registry(&args, facts, err) {
            Ok(f) => Some(f),
            Err(exit) => return exit,
        },
        (false, true) => {
            return bad_input(
                err,
                "--registry-allow and the other registry flags need --registry",
            );
        }
        (false, false) => facts,
    };
    let kubectl = args.kubernetes.options();
    let format = format_of(args.format, args.output.as_deref());
    let mut report = Report::new(format);
    let audit = Audit {
        path: &args.inventory,
        engine: &engine,
        facts: facts.as_ref(),
        now: policies::now(),
    };
    let progress = Progress::new(audit.size());
    let done = audit.run(&kubectl, &mut report, &progress);
    progress.finish();
    match (done, &args.output) {
        // As before, a closed stdout (`| head`) is not an error of the audit.
        (Ok(()), None) => {
            let _ = report.print(out);
            Exit::Ok
        }
        (Ok(()), Some(path)) => {
            let written = std::fs::File::create(path).and_then(|file| {
                report.print(&mut std::io::BufWriter::with_capacity(1 << 16, file))
            });
            match written {
                Ok(()) => Exit::Ok,
                Err(e) => bad_input(err, format!("{}: cannot write: {e}", path.display())),
            }
        }
        (Err(message), _) => bad_input(err, message),
    }
}

/// `--format` of `bona audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// The stable JSON shape of docs/output.md#bona-audit.
    Json,
    /// A readable table.
    Table,
    /// A `v1` `List` of `wgpolicyk8s.io/v1alpha2` PolicyReports, one per asset.
    Policyreport,
    /// A `v1` `List` of `openreports.io/v1alpha1` Reports, one per asset.
    Openreports,
    /// One self-contained HTML page: charts, a filterable table of every image, the issues.
    Html,
}

/// The format to print in: the default is a table on a terminal and JSON otherwise; reports
/// are YAML on a terminal and in a `.yaml`/`.yml` file.
fn format_of(format: Option<AuditFormat>, output: Option<&std::path::Path>) -> Format {
    use std::io::IsTerminal;
    let terminal = output.is_none() && std::io::stdout().is_terminal();
    let yaml = match output {
        Some(path) => path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml")),
        None => terminal,
    };
    match format {
        Some(AuditFormat::Json) => Format::Json,
        Some(AuditFormat::Table) => Format::Text,
        Some(AuditFormat::Html) => Format::Html,
        None if terminal => Format::Text,
        None => Format::Json,
        Some(AuditFormat::Policyreport) => Format::Reports {
            api: ReportApi::PolicyReport,
            yaml,
        },
        Some(AuditFormat::Openreports) => Format::Reports {
            api: ReportApi::OpenReports,
            yaml,
        },
    }
}

/// Registries read at once.
const CONCURRENCY: usize = 8;

/// The static facts with what the registry adds for every image of the inventory, each under
/// the key an audit looks it up by (its digest when the reference has one, else the reference).
fn with_registry(
    args: &Args,
    facts: Option<FactsDocument>,
    err: &mut dyn Write,
) -> Result<FactsDocument, Exit> {
    let targets = registry_targets::inventory(&args.inventory, err)?;
    let read = args.registry_options.read_options(err)?;
    let client = args
        .registry_options
        .client(MAX_FLIGHT, "bona audit --registry", err)?;
    let live = Live::new(
        client,
        LiveOptions {
            read,
            // An audit has no API server waiting: each read gets the client's own bounds.
            deadline: MAX_FLIGHT,
            ..LiveOptions::default()
        },
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| bad_input(&mut *err, format!("cannot start: {e}")))?;
    let progress = Delayed::new(
        Some(targets.len() as u64),
        "{spinner} reading registries {pos}/{len} [{bar:30}] {elapsed}",
    );
    let document = facts.as_ref();
    let outcomes: Vec<_> = runtime.block_on(
        futures::stream::iter(&targets)
            .map(|target| {
                let live = &live;
                let progress = &progress;
                async move {
                    let deadline = tokio::time::Instant::now() + MAX_FLIGHT;
                    let image = [(target.read.clone(), None)];
                    let outcome = live.images(&image, document, deadline).await;
                    if let Some(bar) = progress.bar() {
                        bar.inc(1);
                    }
                    let _ = progress.visible();
                    outcome.into_iter().next().unwrap_or_default()
                }
            })
            .buffered(CONCURRENCY)
            .collect(),
    );
    progress.finish();
    let mut entries = Vec::new();
    for (target, outcome) in targets.iter().zip(outcomes) {
        for note in &outcome.notes {
            let _ = writeln!(err, "warning: {}: {note} (left unknown)", target.key);
        }
        if let Some(found) = outcome.facts {
            let key = target
                .key
                .digest()
                .map_or_else(|| target.key.to_string(), str::to_owned);
            entries.push((key, found));
        }
    }
    Ok(facts.unwrap_or_default().with_entries(entries))
}

/// The progress bar on stderr: only on a terminal, only after [`Progress::DELAY`], and only
/// ever touched from the main thread (which holds the stderr lock while `bona` runs).
struct Progress {
    delayed: Delayed,
    bytes: Cell<u64>,
    assets: Cell<u64>,
}

impl Progress {
    /// A bar over `size` bytes, or a spinner when the size is unknown.
    fn new(size: Option<u64>) -> Self {
        let template = match size {
            Some(_) => "{spinner} [{bar:24}] {bytes}/{total_bytes}, {msg}, {eta} left",
            None => "{spinner} {msg}",
        };
        Progress {
            delayed: Delayed::new(size, template),
            bytes: Cell::new(0),
            assets: Cell::new(0),
        }
    }

    /// Removes the bar before anything else is printed.
    fn finish(&self) {
        self.delayed.finish();
    }
}

impl bona_host::audit::Progress for Progress {
    fn read(&self, n: usize) {
        self.bytes.set(self.bytes.get() + n as u64);
        if let Some(bar) = self.delayed.bar() {
            bar.set_position(self.bytes.get());
        }
    }

    fn assets(&self, n: u64) {
        self.assets.set(self.assets.get() + n);
        if let Some(bar) = self.delayed.visible() {
            let assets = self.assets.get();
            let rate = assets as f64 / self.delayed.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{assets} assets ({rate:.0} assets/s)"));
        }
    }

    fn restart(&self) {
        self.bytes.set(0);
        self.assets.set(0);
        if let Some(bar) = self.delayed.bar() {
            bar.set_position(0);
        }
    }
}
