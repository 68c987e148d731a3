//! The evaluation threads of an audit: the calling thread batches assets, one worker per core
//! evaluates and renders each batch, and the results go to the report in input order. At most
//! [`IN_FLIGHT`] batches per worker are out at any time, so a slow batch cannot make the others
//! pile up.

use std::collections::BTreeMap;
use std::io;
use std::num::NonZero;
use std::ops::ControlFlow;
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

use bona_runtime::Engine;
use bona_runtime::facts::FactsDocument;
use bona_runtime::input::{InputError, InventoryAsset, Streamed};
use bona_runtime::signature::VerificationCache;

use super::policyreport;
use super::report::{Format, Rendered, Report};
use super::{Audit, Progress};

/// Assets per batch handed to a worker: large enough that channels cost nothing, small enough
/// that the batches in flight stay a few megabytes.
const BATCH: usize = 256;

/// Batches per worker that may be out (queued, being evaluated, or waiting for an earlier one)
/// at once.
const IN_FLIGHT: usize = 4;

/// Why evaluating a stream failed.
#[derive(Debug)]
pub(super) enum Failure {
    /// The input is bad.
    Input(InputError),
    /// The results could not be kept (the temporary file).
    Io(io::Error),
}

/// Runs `feed` on the calling thread, handing it `push`, which sends each asset (and the time
/// to judge it at) to the worker threads; the issues go to `report` in input order. When
/// `feed` ends with anything but [`Streamed::Done`], the work in flight is dropped.
pub(super) fn evaluate<F>(
    audit: &Audit<'_>,
    report: &mut Report,
    progress: &dyn Progress,
    feed: F,
) -> Result<Streamed, Failure>
where
    F: FnOnce(
        &mut dyn FnMut(i64, InventoryAsset) -> ControlFlow<()>,
    ) -> Result<Streamed, InputError>,
{
    let workers = std::thread::available_parallelism().map_or(1, NonZero::get);
    let format = report.format();
    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(workers);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        let mut started = 0;
        for _ in 0..workers {
            let worker = Worker::new(audit.engine, audit.facts, format);
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
            inline: (started == 0).then(|| Worker::new(audit.engine, audit.facts, format)),
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
                pipe.finish().map_err(Failure::Io)?;
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

/// What one thread needs to evaluate and render batches.
struct Worker<'a> {
    engine: &'a Engine,
    facts: Option<&'a FactsDocument>,
    format: Format,
    cache: VerificationCache,
    scratch: Vec<u8>,
}

impl<'a> Worker<'a> {
    fn new(engine: &'a Engine, facts: Option<&'a FactsDocument>, format: Format) -> Self {
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

    /// Evaluates `assets` at `time` and renders their posture issues (or their reports).
    fn render(&mut self, time: i64, assets: &[InventoryAsset]) -> io::Result<Rendered> {
        let mut rendered = Rendered::default();
        if matches!(self.format, Format::Reports { .. } | Format::Html) {
            // Every policy's result of every image, not only the issues.
            for entry in assets {
                let images = self.engine.audit_asset_results(
                    &entry.asset,
                    &entry.images,
                    self.facts,
                    time,
                    &mut self.cache,
                );
                match self.format {
                    Format::Reports { api, yaml } => {
                        if let Some(report) =
                            policyreport::asset_report(api, &entry.asset, &images, time)
                        {
                            rendered.push_report(yaml, &report, &mut self.scratch)?;
                        }
                    }
                    _ => rendered.push_rows(&entry.asset, &images)?,
                }
            }
            return Ok(rendered);
        }
        for entry in assets {
            let found = self.engine.audit_asset(
                &entry.asset,
                &entry.images,
                self.facts,
                time,
                &mut self.cache,
            );
            for issue in &found {
                rendered.push(self.format, issue, &mut self.scratch)?;
            }
        }
        Ok(rendered)
    }
}

/// The calling thread's side of the workers: batches assets, keeps at most `limit` batches
/// out, and appends the results to the report in input order.
struct Pipeline<'a, 'w> {
    /// `None` when no worker thread could be started, or once closed.
    jobs: Option<SyncSender<Job>>,
    results: Receiver<Done>,
    /// Evaluates on the calling thread when no worker could be started.
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
    progress: &'a dyn Progress,
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
