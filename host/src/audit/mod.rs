//! The streaming audit behind `bona audit` (docs/output.md#bona-audit): posture issues of an
//! inventory that can list every workload of a fleet, so it is never held whole.
//!
//! - **Reading.** Bona's own inventory is read from the file as a stream
//!   ([`stream_inventory`]): each asset is handed over as soon as it is parsed. When the document
//!   puts `time` after `assets`, the reader stops before the first asset and the file is read
//!   twice: a skim for `time` ([`inventory_time`]), then the stream (see
//!   `bona_runtime::input::inventory`). A `kubectl get pods -o json` list cannot stream (the pods
//!   of one workload can be anywhere in it), so it is read whole. The strict reader runs first;
//!   only when it fails and the document has a top-level `kind` is the file read into memory to
//!   see whether it is a kubectl list.
//! - **Deciding.** The calling thread parses and batches the assets; worker threads (one per
//!   core) evaluate each batch with [`Engine::audit_asset`] and render its issues
//!   ([`pipeline`]); the batches are put back in input order.
//! - **Holding back.** docs/commands.md asks for "never a partial result", and bad input can sit
//!   at the last byte of the file. Rendered issues therefore go to a [`Report`] that keeps them
//!   in memory up to a threshold and then in an unnamed temporary file, and reach the output
//!   only once the whole input has been read without error. A first validating pass was the
//!   alternative: it would print as the audit goes, but parse everything twice (parsing is a
//!   third of the work) and trust the file not to change between the passes.
//! - **Progress** is reported to a [`Progress`] the host supplies (the command line draws a bar
//!   on a terminal), always from the calling thread.
//!
//! Memory is bounded by the spool threshold, the batches in flight and the policy set, not by
//! the inventory; docs/performance.md, "Audit", has the numbers.

mod html;
mod pipeline;
pub mod policyreport;
mod report;
mod yaml;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use bona_runtime::Engine;
use bona_runtime::facts::FactsDocument;
use bona_runtime::input::{
    InventoryTime, ReviewOptions, Streamed, inventory_time, is_kubectl_list, parse_kubectl_list,
    stream_inventory,
};

pub use policyreport::ReportApi;
pub use report::{Format, Report, audit_text, posture_issue_text};

use pipeline::Failure;

/// What a host learns of a long audit as it goes; every call comes from the thread that runs
/// [`Audit::run`].
pub trait Progress {
    /// `n` more bytes of the inventory were read.
    fn read(&self, n: usize);
    /// `n` more assets were handed to the evaluation threads.
    fn assets(&self, n: u64);
    /// The file is read again from the start (its `time` came after its assets).
    fn restart(&self);
}

/// No progress to show.
impl Progress for () {
    fn read(&self, _: usize) {}
    fn assets(&self, _: u64) {}
    fn restart(&self) {}
}

/// One audit: the inventory file and what it is judged against.
pub struct Audit<'a> {
    pub path: &'a Path,
    pub engine: &'a Engine,
    pub facts: Option<&'a FactsDocument>,
    /// The time of assets when the inventory has none.
    pub now: i64,
}

impl Audit<'_> {
    /// Reads and evaluates the inventory into `report`, or says why it cannot (one line, file
    /// name first). `kubectl` scopes the pods of a `kubectl get pods -o json` list.
    ///
    /// # Errors
    /// The inventory cannot be read or is not an inventory, or the results cannot be kept.
    pub fn run(
        &self,
        kubectl: &ReviewOptions,
        report: &mut Report,
        progress: &dyn Progress,
    ) -> Result<(), String> {
        let name = self.path.display();
        let mut time = InventoryTime::FromDocument;
        let streamed = loop {
            let file = self.open()?;
            let reader = Counting {
                inner: file,
                progress,
            };
            let now = self.now;
            let streamed = pipeline::evaluate(self, report, progress, |push| {
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
        match streamed {
            Ok(_) => Ok(()),
            Err(Failure::Io(e)) => Err(format!("cannot write the audit's results: {e}")),
            Err(Failure::Input(e)) => {
                if !self.has_top_level_kind() {
                    return Err(format!("{name}: {e}"));
                }
                let bytes = std::fs::read(self.path).map_err(|e| {
                    format!(
                        "{name}: cannot read: {}",
                        bona_compiler::disk::io_reason(&e)
                    )
                })?;
                if !is_kubectl_list(&bytes) {
                    return Err(format!("{name}: {e}"));
                }
                *report = Report::new(report.format());
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
        let assets = inventory.assets.len();
        let time = inventory.time.unwrap_or(self.now);
        let streamed = pipeline::evaluate(self, report, &(), |push| {
            for asset in inventory.assets {
                if push(time, asset).is_break() {
                    return Ok(Streamed::Stopped { assets: 0 });
                }
            }
            Ok(Streamed::Done { time: None, assets })
        });
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
                bona_compiler::disk::io_reason(e)
            )
        };
        let file = File::open(self.path).map_err(|e| fail(&e))?;
        match file.metadata() {
            Ok(meta) if meta.is_dir() => Err(fail(&io::Error::from(io::ErrorKind::IsADirectory))),
            _ => Ok(file),
        }
    }

    /// The inventory's size, when it is a regular file (not a pipe): the length of a progress
    /// bar.
    pub fn size(&self) -> Option<u64> {
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
}

/// The inventory file, counting the bytes read for progress.
struct Counting<'p, R> {
    inner: R,
    progress: &'p dyn Progress,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.read(n);
        Ok(n)
    }
}
