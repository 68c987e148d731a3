//! `bona audit`: posture issues of running assets (docs/output.md#bona-audit), streamed.
//!
//! An inventory can list every workload of a fleet, so the audit never holds it whole:
//!
//! - **Reading.** Bona's own inventory is read from the file as a stream
//!   ([`stream_inventory`]): each asset is handed over as soon as it is parsed. When the document
//!   puts `time` after `assets`, the reader stops before the first asset and the file is read
//!   twice: a skim for `time` ([`inventory_time`]), then the stream (see
//!   `bona_runtime::input::inventory`). A `kubectl get pods -o json` list cannot stream (the pods
//!   of one workload can be anywhere in it), so it is read whole, as before. The strict reader
//!   runs first; only when it fails and the document has a top-level `kind` is the file read
//!   into memory to see whether it is a kubectl list.
//! - **Deciding.** The main thread parses and batches the assets; worker threads (one per core)
//!   evaluate each batch with [`Engine::audit_asset`] and render its issues (JSON or table text);
//!   the main thread puts the batches back in input order. At most [`IN_FLIGHT`] batches per
//!   worker are out at any time, so a slow batch cannot make the others pile up.
//! - **Printing.** docs/commands.md asks for "never a partial result", and bad input can sit at the last
//!   byte of the file. Rendered issues therefore go to a [`Report`] that keeps them in memory up
//!   to [`SPOOL_MEMORY`] and then in an unnamed temporary file, and reaches stdout only once the
//!   whole input has been read without error; on bad input nothing is printed but the message
//!   (exit 2). A first validating pass was the alternative: it would print as the audit goes,
//!   but parse everything twice (parsing is a third of the work) and trust the file not to change
//!   between the passes. Both formats are held back the same way: a table printed as it comes
//!   would also be a partial result. The output is byte for byte what rendering a whole
//!   [`Audit`](bona_runtime::output::Audit) gives (`serde_json::to_string_pretty`, and
//!   [`render::audit`]); the tests compare them.
//! - **Progress.** On a terminal (stderr, never on a pipe), a bar driven by the bytes read over
//!   the file's size shows assets per second. It appears only after half a second, so short
//!   audits print nothing extra, and it is drawn from the main thread only.
//!
//! Memory is bounded by the spool threshold, the batches in flight and the policy set, not by
//! the inventory; docs/performance.md, "Audit", has the numbers.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::num::NonZero;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

use bona_runtime::Engine;
use bona_runtime::facts::FactsDocument;
use bona_runtime::input::{
    InputError, InventoryAsset, InventoryTime, ReviewOptions, Streamed, inventory_time,
    is_kubectl_list, parse_kubectl_list, stream_inventory,
};
use bona_runtime::output::PostureIssue;
use bona_runtime::signature::VerificationCache;

use crate::policies::{self, BundleKey, ClusterArgs, OutputFormat, PolicySource};
use crate::progress::Delayed;
use crate::{Exit, bad_input, load};

#[cfg(doc)]
use crate::render;

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
/// Example:
///   kubectl get pods -A -o json > pods.json
///   bona audit --bundle policies.bundle --inventory pods.json --cluster prod-eu-1
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
    /// Output format [default: table on a terminal, json otherwise].
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,
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
    let kubectl = args.kubernetes.options();
    let mut report = Report::new(policies::format_or_default(args.format));
    let audit = Audit {
        path: &args.inventory,
        engine: &engine,
        facts: facts.as_ref(),
        now: policies::now(),
    };
    match audit.run(&kubectl, &mut report) {
        // As before, a closed stdout (`| head`) is not an error of the audit.
        Ok(()) => {
            let _ = report.print(out);
            Exit::Ok
        }
        Err(message) => bad_input(err, message),
    }
}

/// Assets per batch handed to a worker: large enough that channels cost nothing, small enough
/// that the batches in flight stay a few megabytes.
const BATCH: usize = 256;

/// Batches per worker that may be out (queued, being evaluated, or waiting for an earlier one)
/// at once.
const IN_FLIGHT: usize = 4;

/// Rendered output kept in memory before it moves to a temporary file.
const SPOOL_MEMORY: usize = 4 << 20;

/// One audit: the inventory file and what it is judged against.
struct Audit<'a> {
    path: &'a Path,
    engine: &'a Engine,
    facts: Option<&'a FactsDocument>,
    /// The time of assets when the inventory has none.
    now: i64,
}

impl Audit<'_> {
    /// Reads and evaluates the inventory into `report`, or says why it cannot (one line, file
    /// name first).
    fn run(&self, kubectl: &ReviewOptions, report: &mut Report) -> Result<(), String> {
        let name = self.path.display();
        let progress = Progress::new(self.size());
        let mut time = InventoryTime::FromDocument;
        let streamed = loop {
            let file = self.open()?;
            let reader = Counting {
                inner: file,
                progress: &progress,
            };
            let now = self.now;
            let streamed = self.evaluate(report, &progress, |push| {
                stream_inventory(reader, time, |t, asset| push(t.unwrap_or(now), asset))
            });
            match streamed {
                Ok(Streamed::TimeAfterAssets) => {
                    let file = self.open()?;
                    time = InventoryTime::Known(inventory_time(file));
                    progress.restart();
                }
                other => break other,
            }
        };
        progress.finish();
        match streamed {
            Ok(_) => Ok(()),
            Err(Failure::Io(e)) => Err(format!("cannot write the audit's results: {e}")),
            Err(Failure::Input(e)) => {
                if !self.has_top_level_kind() {
                    return Err(format!("{name}: {e}"));
                }
                let bytes = std::fs::read(self.path)
                    .map_err(|e| format!("{name}: cannot read: {}", load::io_reason(&e)))?;
                if !is_kubectl_list(&bytes) {
                    return Err(format!("{name}: {e}"));
                }
                *report = Report::new(report.format);
                self.kubectl(&bytes, kubectl, report)
            }
        }
    }

    /// Evaluates a `kubectl get pods -o json` list, read whole.
    fn kubectl(
        &self,
        bytes: &[u8],
        opts: &ReviewOptions,
        report: &mut Report,
    ) -> Result<(), String> {
        let name = self.path.display();
        let inventory = parse_kubectl_list(bytes, opts).map_err(|e| format!("{name}: {e}"))?;
        let progress = Progress::new(None);
        let assets = inventory.assets.len();
        let time = inventory.time.unwrap_or(self.now);
        let streamed = self.evaluate(report, &progress, |push| {
            for asset in inventory.assets {
                if push(time, asset).is_break() {
                    return Ok(Streamed::Stopped { assets: 0 });
                }
            }
            Ok(Streamed::Done { time: None, assets })
        });
        progress.finish();
        match streamed {
            Ok(_) => Ok(()),
            Err(Failure::Io(e)) => Err(format!("cannot write the audit's results: {e}")),
            Err(Failure::Input(e)) => Err(format!("{name}: {e}")),
        }
    }

    fn open(&self) -> Result<File, String> {
        let fail = |e: &io::Error| {
            format!(
                "{}: cannot read: {}",
                self.path.display(),
                load::io_reason(e)
            )
        };
        let file = File::open(self.path).map_err(|e| fail(&e))?;
        match file.metadata() {
            Ok(meta) if meta.is_dir() => Err(fail(&io::Error::from(io::ErrorKind::IsADirectory))),
            _ => Ok(file),
        }
    }

    /// The file's size, when it is a regular file (not a pipe).
    fn size(&self) -> Option<u64> {
        std::fs::metadata(self.path)
            .ok()
            .filter(|meta| meta.is_file() && meta.len() > 0)
            .map(|meta| meta.len())
    }

    /// Whether the document has a string `kind` at the top level, read leniently and
    /// streamed: the cheap test before reading a file whole to see if it is a kubectl list.
    fn has_top_level_kind(&self) -> bool {
        #[derive(serde::Deserialize)]
        struct Kind {
            #[serde(default)]
            kind: Option<String>,
        }
        File::open(self.path)
            .ok()
            .and_then(|file| serde_json::from_reader::<_, Kind>(BufReader::new(file)).ok())
            .is_some_and(|doc| doc.kind.is_some())
    }

    /// Runs `feed` on the main thread, handing it `push`, which sends each asset (and the time
    /// to judge it at) to the worker threads; the issues go to `report` in input order. When
    /// `feed` ends with anything but [`Streamed::Done`], the work in flight is dropped.
    fn evaluate<F>(
        &self,
        report: &mut Report,
        progress: &Progress,
        feed: F,
    ) -> Result<Streamed, Failure>
    where
        F: FnOnce(
            &mut dyn FnMut(i64, InventoryAsset) -> ControlFlow<()>,
        ) -> Result<Streamed, InputError>,
    {
        let workers = std::thread::available_parallelism().map_or(1, NonZero::get);
        let format = report.format;
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers);
        let job_rx = Mutex::new(job_rx);
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        std::thread::scope(|scope| {
            let mut started = 0;
            for _ in 0..workers {
                let worker = Worker::new(self.engine, self.facts, format);
                let (jobs, done) = (&job_rx, done_tx.clone());
                let spawned = std::thread::Builder::new()
                    .name("bona-audit".into())
                    .spawn_scoped(scope, move || worker.serve(jobs, &done));
                started += usize::from(spawned.is_ok());
            }
            drop(done_tx);
            let mut pipe = Pipeline {
                jobs: (started > 0).then_some(job_tx),
                results: done_rx,
                inline: (started == 0).then(|| Worker::new(self.engine, self.facts, format)),
                limit: IN_FLIGHT * started.max(1),
                batch: Vec::with_capacity(BATCH),
                time: 0,
                sent: 0,
                next: 0,
                waiting: BTreeMap::new(),
                report,
                progress,
                failure: None,
            };
            let streamed = feed(&mut |time, asset| pipe.push(time, asset));
            match streamed {
                Ok(done @ Streamed::Done { .. }) => {
                    pipe.finish()?;
                    Ok(done)
                }
                // Stopped by the pipeline (its failure), or before the first asset.
                Ok(other) => pipe
                    .failure
                    .take()
                    .map_or(Ok(other), |e| Err(Failure::Io(e))),
                Err(e) => Err(Failure::Input(e)),
            }
            // Leaving the scope drops the channels and joins the workers.
        })
    }
}

/// Why evaluating a stream failed.
#[derive(Debug)]
enum Failure {
    /// The input is bad.
    Input(InputError),
    /// The results could not be kept (the temporary file).
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

/// A batch of assets for a worker, numbered in input order.
struct Job {
    seq: u64,
    time: i64,
    assets: Vec<InventoryAsset>,
}

/// A batch's rendered issues.
struct Done {
    seq: u64,
    rendered: io::Result<Rendered>,
}

/// The issues of a batch, rendered in the report's format.
struct Rendered {
    bytes: Vec<u8>,
    issues: usize,
}

/// What one thread needs to evaluate and render batches.
struct Worker<'a> {
    engine: &'a Engine,
    facts: Option<&'a FactsDocument>,
    format: OutputFormat,
    cache: VerificationCache,
    scratch: Vec<u8>,
}

impl<'a> Worker<'a> {
    fn new(engine: &'a Engine, facts: Option<&'a FactsDocument>, format: OutputFormat) -> Self {
        Worker {
            engine,
            facts,
            format,
            cache: VerificationCache::new(),
            scratch: Vec::new(),
        }
    }

    /// Takes batches until the job channel closes or the results are no longer wanted.
    fn serve(mut self, jobs: &Mutex<Receiver<Job>>, done: &Sender<Done>) {
        loop {
            let job = match jobs.lock() {
                Ok(jobs) => jobs.recv(),
                Err(_) => return,
            };
            let Ok(job) = job else { return };
            let rendered = self.render(job.time, &job.assets);
            if done
                .send(Done {
                    seq: job.seq,
                    rendered,
                })
                .is_err()
            {
                return;
            }
        }
    }

    /// Evaluates `assets` at `time` and renders their posture issues.
    fn render(&mut self, time: i64, assets: &[InventoryAsset]) -> io::Result<Rendered> {
        let mut bytes = Vec::new();
        let mut issues = 0;
        for entry in assets {
            let found = self.engine.audit_asset(
                &entry.asset,
                &entry.images,
                self.facts,
                time,
                &mut self.cache,
            );
            for issue in &found {
                match self.format {
                    OutputFormat::Json => json_issue(issue, &mut self.scratch, &mut bytes)?,
                    OutputFormat::Table => table_issue(issue, &mut bytes),
                }
            }
            issues += found.len();
        }
        Ok(Rendered { bytes, issues })
    }
}

/// Appends `,` and `issue` as the pretty printer writes an element of `issues` in
/// `{"issues": [...]}`: on its own lines, indented by four spaces. A pretty-printed JSON value
/// has no raw newline inside its strings (they are escaped), so indenting after each newline is
/// exact.
fn json_issue(issue: &PostureIssue, scratch: &mut Vec<u8>, out: &mut Vec<u8>) -> io::Result<()> {
    scratch.clear();
    serde_json::to_writer_pretty(&mut *scratch, issue)?;
    out.extend_from_slice(b",\n    ");
    for &byte in scratch.iter() {
        out.push(byte);
        if byte == b'\n' {
            out.extend_from_slice(b"    ");
        }
    }
    Ok(())
}

/// Appends `issue` as [`render::audit`] prints it.
fn table_issue(issue: &PostureIssue, out: &mut Vec<u8>) {
    let mut text = String::new();
    crate::render::posture_issue(issue, &mut text);
    out.extend_from_slice(text.as_bytes());
}

/// The main thread's side of the workers: batches assets, keeps at most `limit` batches out,
/// and appends the results to the report in input order.
struct Pipeline<'a, 'w> {
    /// `None` when no worker thread could be started, or once closed.
    jobs: Option<SyncSender<Job>>,
    results: Receiver<Done>,
    /// Evaluates on the main thread when no worker could be started.
    inline: Option<Worker<'w>>,
    limit: usize,
    batch: Vec<InventoryAsset>,
    time: i64,
    /// Batches sent so far (the next one's number).
    sent: u64,
    /// The next batch to append to the report.
    next: u64,
    /// Batches done before an earlier one.
    waiting: BTreeMap<u64, Rendered>,
    report: &'a mut Report,
    progress: &'a Progress,
    /// Why results cannot be kept; stops the stream.
    failure: Option<io::Error>,
}

impl Pipeline<'_, '_> {
    fn push(&mut self, time: i64, asset: InventoryAsset) -> ControlFlow<()> {
        if !self.batch.is_empty() && time != self.time {
            self.dispatch();
        }
        self.time = time;
        self.batch.push(asset);
        if self.batch.len() >= BATCH {
            self.dispatch();
            self.progress.assets(BATCH as u64);
        }
        if self.failure.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Sends the current batch out, after waiting for room.
    fn dispatch(&mut self) {
        let assets = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let job = Job {
            seq: self.sent,
            time: self.time,
            assets,
        };
        self.sent += 1;
        if let Some(worker) = &mut self.inline {
            let rendered = worker.render(job.time, &job.assets);
            self.accept(job.seq, rendered);
            return;
        }
        while self.failure.is_none() && self.in_flight() > self.limit {
            self.receive();
        }
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
        if !sent {
            self.fail(io::Error::other("the evaluation threads stopped"));
        }
        while let Ok(done) = self.results.try_recv() {
            self.accept(done.seq, done.rendered);
        }
    }

    /// Batches sent (the current one included) and not yet appended.
    fn in_flight(&self) -> usize {
        usize::try_from(self.sent - self.next).unwrap_or(usize::MAX)
    }

    /// Waits for one result.
    fn receive(&mut self) {
        match self.results.recv() {
            Ok(done) => self.accept(done.seq, done.rendered),
            Err(_) => self.fail(io::Error::other("the evaluation threads stopped")),
        }
    }

    fn accept(&mut self, seq: u64, rendered: io::Result<Rendered>) {
        match rendered {
            Ok(rendered) => {
                self.waiting.insert(seq, rendered);
            }
            Err(e) => return self.fail(e),
        }
        while let Some(rendered) = self.waiting.remove(&self.next) {
            self.next += 1;
            if let Err(e) = self.report.append(&rendered) {
                return self.fail(e);
            }
        }
    }

    fn fail(&mut self, e: io::Error) {
        self.failure.get_or_insert(e);
    }

    /// Sends the last batch and waits for every result.
    fn finish(&mut self) -> io::Result<()> {
        if !self.batch.is_empty() {
            self.progress.assets(self.batch.len() as u64);
            self.dispatch();
        }
        self.jobs = None;
        while self.failure.is_none() && self.next < self.sent {
            self.receive();
        }
        self.failure.take().map_or(Ok(()), Err)
    }
}

/// The rendered issues, in memory up to [`SPOOL_MEMORY`], then in an unnamed temporary file;
/// printed only once the whole input has been read.
struct Report {
    format: OutputFormat,
    issues: usize,
    memory: Vec<u8>,
    file: Option<BufWriter<File>>,
}

impl Report {
    fn new(format: OutputFormat) -> Self {
        Report {
            format,
            issues: 0,
            memory: Vec::new(),
            file: None,
        }
    }

    fn append(&mut self, rendered: &Rendered) -> io::Result<()> {
        let mut bytes = rendered.bytes.as_slice();
        if self.issues == 0 && self.format == OutputFormat::Json {
            // The first issue follows `[` without a comma.
            bytes = bytes.strip_prefix(b",").unwrap_or(bytes);
        }
        self.issues += rendered.issues;
        if self.file.is_none() && self.memory.len() + bytes.len() > SPOOL_MEMORY {
            // Without a temporary directory, memory it is: a complete result matters more.
            if let Ok(file) = tempfile::tempfile() {
                let mut file = BufWriter::with_capacity(1 << 16, file);
                file.write_all(&self.memory)?;
                self.memory = Vec::new();
                self.file = Some(file);
            }
        }
        match &mut self.file {
            Some(file) => file.write_all(bytes),
            None => {
                self.memory.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// Writes the whole output: exactly what rendering the complete audit at once prints.
    fn print(self, out: &mut dyn Write) -> io::Result<()> {
        let (head, tail) = match self.format {
            OutputFormat::Json if self.issues == 0 => ("{\n  \"issues\": []\n}\n".to_owned(), None),
            OutputFormat::Json => (
                "{\n  \"issues\": [".to_owned(),
                Some("\n  ]\n}\n".to_owned()),
            ),
            OutputFormat::Table if self.issues == 0 => ("no posture issues\n".to_owned(), None),
            OutputFormat::Table => (
                String::new(),
                Some(format!("\n{} posture issue(s)\n", self.issues)),
            ),
        };
        out.write_all(head.as_bytes())?;
        match self.file {
            Some(file) => {
                let mut file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
                file.rewind()?;
                io::copy(&mut file, out)?;
            }
            None => out.write_all(&self.memory)?,
        }
        if let Some(tail) = tail {
            out.write_all(tail.as_bytes())?;
        }
        out.flush()
    }
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

    /// Counts bytes read from the inventory.
    fn read(&self, n: usize) {
        self.bytes.set(self.bytes.get() + n as u64);
        if let Some(bar) = self.delayed.bar() {
            bar.set_position(self.bytes.get());
        }
    }

    /// Counts assets handed to the workers.
    fn assets(&self, n: u64) {
        self.assets.set(self.assets.get() + n);
        if let Some(bar) = self.delayed.visible() {
            let assets = self.assets.get();
            let rate = assets as f64 / self.delayed.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!("{assets} assets ({rate:.0} assets/s)"));
        }
    }

    /// Starts over for a second reading of the file.
    fn restart(&self) {
        self.bytes.set(0);
        self.assets.set(0);
        if let Some(bar) = self.delayed.bar() {
            bar.set_position(0);
        }
    }

    /// Removes the bar before anything else is printed.
    fn finish(&self) {
        self.delayed.finish();
    }
}

/// The inventory file, counting the bytes read for the progress bar.
struct Counting<'p, R> {
    inner: R,
    progress: &'p Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.read(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use bona_runtime::input::AssetType;
    use bona_runtime::output::{AssetRef, Audit, PostureReason};

    use super::*;

    fn issue(n: usize, reason: PostureReason) -> PostureIssue {
        let asset = AssetRef {
            asset_type: AssetType::Workload,
            cloud: "aws".into(),
            cluster: "prod \"eu\"\n1".into(),
            namespace: "payments".into(),
            kind: "Deployment".into(),
            name: format!("api-{n}"),
        };
        PostureIssue::new(
            asset,
            &format!("Kubernetes workload payments/api-{n}"),
            "docker.io/library/nginx:1.27".into(),
            format!("p\u{e9}{n}"),
            reason,
        )
    }

    /// Renders `issues` through the report, in batches of `per_batch`.
    fn through_report(format: OutputFormat, issues: &[PostureIssue], per_batch: usize) -> String {
        let mut report = Report::new(format);
        let mut scratch = Vec::new();
        for chunk in issues.chunks(per_batch.max(1)) {
            let mut bytes = Vec::new();
            for issue in chunk {
                match format {
                    OutputFormat::Json => json_issue(issue, &mut scratch, &mut bytes).unwrap(),
                    OutputFormat::Table => table_issue(issue, &mut bytes),
                }
            }
            let rendered = Rendered {
                bytes,
                issues: chunk.len(),
            };
            report.append(&rendered).unwrap();
        }
        let mut out = Vec::new();
        report.print(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_report_prints_what_the_whole_audit_prints() {
        for n in [0, 1, 2, 7] {
            let issues: Vec<PostureIssue> = (0..n)
                .map(|i| {
                    issue(
                        i,
                        [PostureReason::Untrusted, PostureReason::MissingInformation][i % 2],
                    )
                })
                .collect();
            let audit = Audit {
                issues: issues.clone(),
            };
            let json = serde_json::to_string_pretty(&audit).unwrap() + "\n";
            let table = crate::render::audit(&audit);
            for per_batch in [1, 3] {
                assert_eq!(through_report(OutputFormat::Json, &issues, per_batch), json);
                assert_eq!(
                    through_report(OutputFormat::Table, &issues, per_batch),
                    table
                );
            }
        }
    }

    #[test]
    fn a_large_report_spills_to_a_file_and_comes_back_whole() {
        let issues: Vec<PostureIssue> = (0..12_000)
            .map(|i| issue(i, PostureReason::Untrusted))
            .collect();
        let audit = Audit {
            issues: issues.clone(),
        };
        let json = serde_json::to_string_pretty(&audit).unwrap() + "\n";
        assert!(json.len() > SPOOL_MEMORY, "the test must spill");
        assert_eq!(through_report(OutputFormat::Json, &issues, 500), json);
    }
}
