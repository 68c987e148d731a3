//! Bona's own audit inventory (docs/output.md#bona-audit): the assets running now, each with its images.
//!
//! ```json
//! { "time": "2026-11-22T00:00:00Z",
//!   "assets": [ { "type": "workload", "namespace": "payments", "kind": "Deployment",
//!                 "name": "api", "images": [ { "ref": "registry.company.com/app:1.2.3" } ] } ] }
//! ```
//!
//! Read strictly (see the [module overview](super)). An inventory asset is an [`Asset`]'s fields
//! plus `images` in one object. serde's `flatten` would read that shape but silently disables
//! `deny_unknown_fields`, so the asset struct spells the fields out and is converted. Assets
//! and images are kept as given, in order: the caller wrote them, and the posture output follows
//! the input's order (docs/decisions.md#order).
//!
//! # Streaming
//!
//! An inventory can hold every workload of a fleet, so [`stream_inventory`] reads it from any
//! [`std::io::Read`] and hands each asset to a callback as soon as it is parsed: memory holds one
//! asset at a time, whatever the inventory's size. [`parse_inventory`] is built on it, so the two
//! accept exactly the same documents and report exactly the same errors (JSON path, line,
//! column). The document is read as a `serde::de::DeserializeSeed` whose visitor walks the
//! top-level object by hand and `assets` through a `SeqAccess`; `serde_path_to_error` wraps the
//! deserializer as it wraps every other strict document, so a bad value deep in the stream is
//! still reported as `at assets[71234].images[1].ref (line …, column …)`.
//!
//! **`time` after `assets`.** Every asset is judged at the inventory's `time`, and JSON objects
//! are unordered: `{"assets": […], "time": …}` is a valid inventory whose time is known only
//! after the last asset. Two ways out were weighed:
//!
//! - hold the assets in memory until `time` is read: simple for the caller, but memory becomes
//!   proportional to the inventory in exactly the case the caller cannot foresee;
//! - read the document twice: a cheap first pass ([`inventory_time`]) skips `assets` with
//!   `serde::de::IgnoredAny` (it checks the JSON syntax and allocates nothing per asset) and
//!   finds `time`; the second pass streams with the time known.
//!
//! The reader takes the second: memory stays bounded in every case, and the price (one skim of
//! the file) is paid only by documents that put `time` last, which Bona's own integrations do
//! not write. [`InventoryTime::FromDocument`] streams when `time` comes first (or is absent and
//! `assets` is absent too); when `assets` comes first, it stops at the `assets` key, before any
//! callback, with [`Streamed::TimeAfterAssets`]. The caller then reads the time with
//! [`inventory_time`] and starts again with [`InventoryTime::Known`]. The second reading checks
//! that the document's `time` is the one the first found, so a file rewritten between the two
//! reads is an error rather than a silently wrong audit.
//!
//! `kubectl get pods -o json` lists do not stream: pods of one workload can be anywhere in the
//! list, and a workload is one asset, so [`super::parse_kubectl_list`] needs the whole list.
//!
//! **Positions.** `serde_json` reports the line and the *byte* column of an error; docs/output.md
//! counts characters. [`crate::json`] converts with the whole document at hand; a stream has
//! only the bytes it has read, so the reader sits between a [`BufReader`] (which keeps
//! `serde_json`'s byte-by-byte reads fast) and the caller's reader, remembers the last 64 KiB it
//! delivered and the line and character count where they start, and converts the error's byte
//! column from those. One difference with reading from memory remains, and it is the same in
//! both functions here: `serde_json`'s stream reader counts a byte it has peeked at, so an error
//! found while looking at the next byte (an unknown key, before its `:`) is reported one column
//! further than `serde_json` reports it for a slice.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufReader, Read};
use std::ops::ControlFlow;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{
    Asset, AssetType, ImageInput, InputError, Object, ObjectFields, null_as_default, objects,
    rfc3339_time,
};
use crate::json::{JsonError, render_path};

/// An audit inventory: the time of the audit and the running assets.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// `time` as unix seconds; `None` when absent, and the caller decides what "now" is.
    pub time: Option<i64>,
    /// The assets in the input's order.
    pub assets: Vec<InventoryAsset>,
}

/// One running asset and the images it runs.
#[derive(Clone, Debug, Default)]
pub struct InventoryAsset {
    /// The asset.
    pub asset: Asset,
    /// Its images, in the input's order.
    pub images: Vec<ImageInput>,
}

/// [`Asset`]'s fields plus `images`, with the same defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssetDoc {
    #[serde(rename = "type", default, deserialize_with = "null_as_default")]
    asset_type: AssetType,
    #[serde(default, deserialize_with = "null_as_default")]
    cloud: String,
    #[serde(default, deserialize_with = "null_as_default")]
    cluster: String,
    #[serde(default, deserialize_with = "null_as_default")]
    namespace: String,
    #[serde(default, deserialize_with = "null_as_default")]
    kind: String,
    #[serde(default, deserialize_with = "null_as_default")]
    name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    labels: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "objects")]
    images: Vec<ImageInput>,
}

impl ObjectFields for AssetDoc {
    const EXPECTING: &'static str = "an asset object";
}

impl From<AssetDoc> for InventoryAsset {
    fn from(doc: AssetDoc) -> Self {
        InventoryAsset {
            asset: Asset {
                asset_type: doc.asset_type,
                cloud: doc.cloud,
                cluster: doc.cluster,
                namespace: doc.namespace,
                kind: doc.kind,
                name: doc.name,
                labels: doc.labels,
            },
            images: doc.images,
        }
    }
}

/// What [`stream_inventory`] knows of the inventory's `time` before it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InventoryTime {
    /// Nothing: take `time` from the document. When `assets` comes before `time`, reading stops
    /// at `assets`, before any callback, with [`Streamed::TimeAfterAssets`].
    FromDocument,
    /// The document's `time` as found by [`inventory_time`] on a first reading (`None`: the
    /// document has none). The document's own `time`, wherever it is, must agree.
    Known(Option<i64>),
}

/// How [`stream_inventory`] ended when the document held no error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Streamed {
    /// The whole document was read and every asset passed on.
    Done {
        /// The inventory's `time`; `None` when absent.
        time: Option<i64>,
        /// How many assets were passed on.
        assets: usize,
    },
    /// `assets` comes before `time` and the time was not given: no asset was passed on. Read the
    /// time with [`inventory_time`] and call again with [`InventoryTime::Known`].
    TimeAfterAssets,
    /// The callback asked to stop; the rest of the document was not read (nor checked).
    Stopped {
        /// How many assets were passed on, the last one included.
        assets: usize,
    },
}

/// Reads Bona's audit inventory (docs/output.md#bona-audit) from `reader`, calling `on_asset(time, asset)` for
/// each asset, in order, as soon as it is parsed; `time` is the inventory's (`None` when it has
/// none). Memory holds one asset at a time. Reading stops early when `on_asset` returns
/// [`ControlFlow::Break`].
///
/// The reader is buffered here; pass the file (or any stream) as it is. A `kubectl get pods -o
/// json` list cannot be streamed (pods of one workload may be anywhere in it): read it whole with
/// [`super::parse_kubectl_list`].
///
/// See the [module documentation](self) for what happens when `time` comes after `assets`.
///
/// # Errors
/// As [`parse_inventory`], plus an error at `time` when `time` was [`InventoryTime::Known`] and
/// the document says otherwise, and a read error of `reader` (at the place it happened). Assets
/// before the error have been passed on: a caller that must not act on a bad document acts only
/// once this returns `Ok`.
pub fn stream_inventory<R, F>(
    reader: R,
    time: InventoryTime,
    mut on_asset: F,
) -> Result<Streamed, InputError>
where
    R: Read,
    F: FnMut(Option<i64>, InventoryAsset) -> ControlFlow<()>,
{
    let mut window = Window::default();
    let mut run = Run {
        given: time,
        on_asset: &mut on_asset,
        document_time: None,
        asset_time: None,
        assets: 0,
        abort: None,
    };
    let result = {
        // The `BufReader` is moved in, not borrowed: `serde_json` reads byte by byte, and
        // only a `BufReader` it owns gets the standard library's inlined one-byte read.
        let tracked = Tracked {
            inner: reader,
            window: &mut window,
        };
        let buffered = BufReader::with_capacity(CHUNK, tracked);
        let mut de = serde_json::Deserializer::from_reader(buffered);
        let mut track = serde_path_to_error::Track::new();
        let read = DocSeed(&mut run)
            .deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track));
        match read {
            Ok(()) => de.end().map_err(|err| (".".to_owned(), err)),
            Err(err) => Err((render_path(&track.path()), err)),
        }
    };
    match (run.abort, result) {
        (Some(Abort::TimeAfterAssets), _) => Ok(Streamed::TimeAfterAssets),
        (Some(Abort::Stopped), _) => Ok(Streamed::Stopped { assets: run.assets }),
        (None, Ok(())) => Ok(Streamed::Done {
            time: run.document_time.flatten(),
            assets: run.assets,
        }),
        (None, Err((path, err))) => Err(input_error(&window, path, &err)),
    }
}

/// The inventory's `time`, found by skimming the document: values other than a top-level `time`
/// are skipped unread (`serde::de::IgnoredAny`), and reading stops at `time`.
///
/// The first pass of a document that puts `time` after `assets` (see the [module
/// documentation](self)); its answer goes to [`stream_inventory`] as [`InventoryTime::Known`].
/// Lenient on purpose: a document with an error gives the time found before the error, or
/// `None`, and the strict second reading reports the error in document order.
pub fn inventory_time<R: Read>(reader: R) -> Option<i64> {
    let mut found = None;
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(CHUNK, reader));
    // Ends with an error when the time is found (to stop reading) and on any error in the
    // document; either way `found` holds the answer.
    let _ = de.deserialize_map(TimeSkim(&mut found));
    found
}

/// Reads Bona's audit inventory (docs/output.md#bona-audit). `{}` and `{"assets": []}` are an empty inventory.
///
/// Built on [`stream_inventory`], so it reports the same errors.
///
/// # Errors
/// Malformed JSON, an unknown field at any level, a value of the wrong type, a `time` that is not
/// RFC 3339 or a `ref` that is not an image reference: an [`InputError`] naming the JSON path, the
/// line and the column.
pub fn parse_inventory(bytes: &[u8]) -> Result<Inventory, InputError> {
    let mut assets = Vec::new();
    let mut keep = |_: Option<i64>, asset: InventoryAsset| {
        assets.push(asset);
        ControlFlow::Continue(())
    };
    let mut streamed = stream_inventory(bytes, InventoryTime::FromDocument, &mut keep)?;
    if streamed == Streamed::TimeAfterAssets {
        let time = InventoryTime::Known(inventory_time(bytes));
        streamed = stream_inventory(bytes, time, &mut keep)?;
    }
    let time = match streamed {
        Streamed::Done { time, .. } => time,
        // INVARIANT: `keep` never stops, and a known time never asks for one.
        Streamed::TimeAfterAssets | Streamed::Stopped { .. } => None,
    };
    Ok(Inventory { time, assets })
}

/// The size of the reads from the caller's reader.
const CHUNK: usize = 64 * 1024;

/// The state of one [`stream_inventory`] run, shared by the seeds below.
struct Run<'f, F> {
    /// What the caller said about `time`.
    given: InventoryTime,
    on_asset: &'f mut F,
    /// The document's `time` once read (`Some(None)`: `"time": null`).
    document_time: Option<Option<i64>>,
    /// The time handed to `on_asset`, fixed when `assets` starts.
    asset_time: Option<i64>,
    /// Assets passed on so far.
    assets: usize,
    /// Why reading was cut short without an error in the document.
    abort: Option<Abort>,
}

/// Why a run stopped early: the visitor returns an error to unwind the deserializer, and this
/// says the error is not the document's.
#[derive(Clone, Copy, Debug)]
enum Abort {
    TimeAfterAssets,
    Stopped,
}

/// The top-level keys, read as a derived struct reads them (same unknown-field message).
#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum Field {
    Time,
    Assets,
}

/// The whole document: an object with `time` and `assets`.
struct DocSeed<'r, 'f, F>(&'r mut Run<'f, F>);

impl<'de, F> DeserializeSeed<'de> for DocSeed<'_, '_, F>
where
    F: FnMut(Option<i64>, InventoryAsset) -> ControlFlow<()>,
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de, F> Visitor<'de> for DocSeed<'_, '_, F>
where
    F: FnMut(Option<i64>, InventoryAsset) -> ControlFlow<()>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an inventory object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let run = self.0;
        let mut seen_assets = false;
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Time => {
                    if run.document_time.is_some() {
                        return Err(de::Error::duplicate_field("time"));
                    }
                    let expected = match run.given {
                        InventoryTime::Known(time) => Some(time),
                        InventoryTime::FromDocument => None,
                    };
                    run.document_time = Some(map.next_value_seed(TimeSeed { expected })?);
                }
                Field::Assets => {
                    if seen_assets {
                        return Err(de::Error::duplicate_field("assets"));
                    }
                    seen_assets = true;
                    run.asset_time = match (run.given, run.document_time) {
                        (InventoryTime::Known(time), _) => time,
                        (InventoryTime::FromDocument, Some(time)) => time,
                        (InventoryTime::FromDocument, None) => {
                            run.abort = Some(Abort::TimeAfterAssets);
                            return Err(de::Error::custom("`time` comes after `assets`"));
                        }
                    };
                    map.next_value_seed(AssetsSeed(&mut *run))?;
                }
            }
        }
        if let (InventoryTime::Known(Some(_)), None) = (run.given, run.document_time) {
            return Err(de::Error::custom(CHANGED));
        }
        Ok(())
    }
}

/// The message for a `time` that differs between the two readings.
const CHANGED: &str =
    "`time` differs from the first reading of the inventory: the file changed while it was read";

/// `time`: an RFC 3339 timestamp or `null`, equal to `expected` when that is given.
struct TimeSeed {
    expected: Option<Option<i64>>,
}

impl<'de> DeserializeSeed<'de> for TimeSeed {
    type Value = Option<i64>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Option<i64>, D::Error> {
        let time = rfc3339_time(de)?;
        match self.expected {
            Some(expected) if expected != time => Err(de::Error::custom(CHANGED)),
            _ => Ok(time),
        }
    }
}

/// `assets`: `null` (none) or an array of asset objects, each passed on as it is read.
struct AssetsSeed<'r, 'f, F>(&'r mut Run<'f, F>);

impl<'de, F> DeserializeSeed<'de> for AssetsSeed<'_, '_, F>
where
    F: FnMut(Option<i64>, InventoryAsset) -> ControlFlow<()>,
{
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_option(self)
    }
}

impl<'de, F> Visitor<'de> for AssetsSeed<'_, '_, F>
where
    F: FnMut(Option<i64>, InventoryAsset) -> ControlFlow<()>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The words a `Vec` uses, so the message is the one a derived struct gives.
        f.write_str("a sequence")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let run = self.0;
        while let Some(Object(doc)) = seq.next_element::<Object<AssetDoc>>()? {
            run.assets += 1;
            if (run.on_asset)(run.asset_time, InventoryAsset::from(doc)).is_break() {
                run.abort = Some(Abort::Stopped);
                return Err(de::Error::custom("stopped by the caller"));
            }
        }
        Ok(())
    }
}

/// The lenient first pass of [`inventory_time`]: records the first valid top-level `time` and
/// stops there.
struct TimeSkim<'a>(&'a mut Option<i64>);

impl<'de> Visitor<'de> for TimeSkim<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an inventory object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "time" {
                #[derive(Deserialize)]
                struct Time(#[serde(deserialize_with = "rfc3339_time")] Option<i64>);
                *self.0 = map.next_value::<Time>()?.0;
                return Err(de::Error::custom("found"));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

/// A line and a column, in bytes and in characters, of a place in the stream.
#[derive(Clone, Copy, Debug)]
struct Place {
    /// 1-based line.
    line: usize,
    /// Bytes of the line before the place.
    bytes: usize,
    /// Characters (UTF-8 sequences started) of the line before the place.
    chars: usize,
}

impl Place {
    /// The place after `bytes` more bytes.
    fn advance(self, bytes: &[u8]) -> Place {
        match bytes.iter().rposition(|b| *b == b'\n') {
            Some(last) => {
                let tail = bytes.get(last + 1..).unwrap_or_default();
                Place {
                    line: self.line + bytes.iter().filter(|b| **b == b'\n').count(),
                    bytes: tail.len(),
                    chars: char_starts(tail),
                }
            }
            None => Place {
                line: self.line,
                bytes: self.bytes + bytes.len(),
                chars: self.chars + char_starts(bytes),
            },
        }
    }
}

/// How many UTF-8 sequences start in `bytes` (continuation bytes are `10xxxxxx`).
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|b| (**b & 0xC0) != 0x80).count()
}

/// The last bytes read from the caller's reader, and the place where they start.
struct Window {
    /// Between [`WINDOW`] and twice that many bytes, or all of them.
    bytes: Vec<u8>,
    /// The place where `bytes` starts.
    start: Place,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            bytes: Vec::new(),
            start: Place {
                line: 1,
                bytes: 0,
                chars: 0,
            },
        }
    }
}

/// How far back [`Window`] remembers. After an error, `serde_json` reads on to the ends of the
/// enclosing arrays and objects (whitespace and one bracket each) before the error reaches the
/// caller, so the error's place is a little behind the last byte read.
const WINDOW: usize = 64 * 1024;

impl Window {
    /// The character column of 1-based `line`, byte column `column`, as `serde_json` reports
    /// them: the characters among the first `column` bytes of the line. Exact when the place is
    /// in the window; otherwise, and for a position `serde_json` does not know (0), the byte
    /// column is kept.
    fn char_column(&self, line: usize, column: usize) -> usize {
        let start = self.start;
        if line == 0 || column == 0 || line < start.line {
            return column;
        }
        let (line_start, before) = if line == start.line {
            if column < start.bytes {
                return column;
            }
            (0, start)
        } else {
            let newline = self
                .bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .nth(line - start.line - 1)
                .map(|(i, _)| i + 1);
            match newline {
                Some(at) => (
                    at,
                    Place {
                        line,
                        bytes: 0,
                        chars: 0,
                    },
                ),
                None => return column,
            }
        };
        let wanted = column - before.bytes;
        match self.bytes.get(line_start..line_start + wanted) {
            Some(span) => before.chars + char_starts(span),
            None => column,
        }
    }

    /// Appends what was just read, forgetting the oldest bytes beyond the window.
    fn push(&mut self, got: &[u8]) {
        self.bytes.extend_from_slice(got);
        if self.bytes.len() > 2 * WINDOW {
            let cut = self.bytes.len() - WINDOW;
            self.start = self
                .start
                .advance(self.bytes.get(..cut).unwrap_or_default());
            self.bytes.drain(..cut);
        }
    }
}

/// The caller's reader, keeping a [`Window`] on what it delivers, to turn `serde_json`'s byte
/// columns into character columns (see the module documentation).
struct Tracked<'w, R> {
    inner: R,
    window: &'w mut Window,
}

impl<R: Read> Read for Tracked<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let Some(got) = buf.get(..n) else {
            return Err(io::Error::other(
                "the reader returned more bytes than asked",
            ));
        };
        self.window.push(got);
        Ok(n)
    }
}

/// The [`InputError`] for a `serde_json` error at `path`, with its column in characters.
fn input_error(window: &Window, path: String, err: &serde_json::Error) -> InputError {
    let (line, byte_column) = (err.line(), err.column());
    let mut message = err.to_string();
    // serde_json appends " at line L column C" when it knows the position; the position is
    // reported in its own fields.
    let suffix = format!(" at line {line} column {byte_column}");
    if line != 0 && message.ends_with(&suffix) {
        message.truncate(message.len() - suffix.len());
    }
    InputError::from(JsonError {
        path,
        line,
        column: window.char_column(line, byte_column),
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reader before streaming: a derived document struct read whole by `json::from_slice`.
    /// The streaming reader must accept and reject exactly what it did, with the same errors.
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct InventoryDoc {
        #[serde(default, deserialize_with = "rfc3339_time")]
        time: Option<i64>,
        #[serde(default, deserialize_with = "objects")]
        assets: Vec<AssetDoc>,
    }

    impl ObjectFields for InventoryDoc {
        const EXPECTING: &'static str = "an inventory object";
    }

    fn derived(bytes: &[u8]) -> Result<(Option<i64>, usize), InputError> {
        let doc: InventoryDoc = super::super::read_object(bytes)?;
        Ok((doc.time, doc.assets.len()))
    }

    fn streamed(bytes: &[u8]) -> Result<(Option<i64>, usize), InputError> {
        parse_inventory(bytes).map(|inv| (inv.time, inv.assets.len()))
    }

    /// A reader that returns at most `n` bytes per read, to move chunk boundaries around.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(self.1);
            let (head, rest) = self.0.split_at(n);
            buf[..n].copy_from_slice(head);
            self.0 = rest;
            Ok(n)
        }
    }

    fn trickled(bytes: &[u8], n: usize) -> Result<(Option<i64>, usize), InputError> {
        let mut count = 0;
        let mut streamed =
            stream_inventory(Trickle(bytes, n), InventoryTime::FromDocument, |_, _| {
                count += 1;
                ControlFlow::Continue(())
            })?;
        if streamed == Streamed::TimeAfterAssets {
            let time = InventoryTime::Known(inventory_time(Trickle(bytes, n)));
            streamed = stream_inventory(Trickle(bytes, n), time, |_, _| {
                count += 1;
                ControlFlow::Continue(())
            })?;
        }
        match streamed {
            Streamed::Done { time, assets } => {
                assert_eq!(assets, count);
                Ok((time, count))
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    const CASES: &[&str] = &[
        "{}",
        r#"{"assets": []}"#,
        r#"{"assets": null}"#,
        r#"{"time": null}"#,
        r#"{"time": "2026-11-22T00:00:00Z", "assets": [{}]}"#,
        r#"{"assets": [{"name": "a"}, {}], "time": "2026-11-22T00:00:00Z"}"#,
        r#"{"assets": [{"name": "a"}], "time": "2026-11-22T00:00:00Z", "x": 1}"#,
        "{\"assets\": [\n {\"name\": \"a\"},\n {\"name\": \"b\", \"imagez\": []}]}",
        r#"{"assets": [], "asset": {}}"#,
        r#"{"assets": [{"images": [{"ref": "a", "digest": "x"}]}]}"#,
        r#"{"assets": [{"labels": []}]}"#,
        r#"{"assets": {}}"#,
        r#"{"assets": 5}"#,
        r#"{"assets": [3]}"#,
        r#"{"assets": [["vm"]]}"#,
        "[]",
        "",
        "3",
        "{} {}",
        "{} x",
        "{\"assets\": [",
        "{\"time\": \"yesterday\", \"assets\": []}",
        r#"{"time": 3}"#,
        r#"{"time": "2026-11-22T00:00:00Z", "time": "2026-11-22T00:00:00Z"}"#,
        r#"{"assets": [], "assets": []}"#,
        r#"{"assets": [{"type": "pod"}]}"#,
        r#"{"assets": [{"name": 3}]}"#,
        r#"{"assets": [{"images": [{"ref": null}]}]}"#,
        r#"{"assets": [{"images": [{}]}]}"#,
        r#"{"assets": [{"images": [{"ref": "ok"}, {"ref": "bad//path"}]}]}"#,
        "{\"assets\": [{\"name\": \"\u{e9}\u{e9}\", \"images\": [{\"ref\": \"\u{e9}\"}]}]}",
        "{\"time\": \"2026-11-22T00:00:00Z\",\n \"assets\": [\n  {\"name\": \"\u{e9}\u{e9}\u{e9}\", \"x\": 1}]}",
        "{\"assets\": [{\"images\": [{\"ref\": \"nginx\", \"facts\": {\"scan\": {\"finished_at\": 3}}}]}]}",
        r#"{"assets": [{"images": [{"ref": "nginx", "facts": {"scaned": true}}]}]}"#,
        "{\"assets\": [{\"labels\": {\"a\": 1}}]}",
    ];

    #[test]
    fn same_documents_and_errors_as_the_derived_reader() {
        for case in CASES {
            let bytes = case.as_bytes();
            let (old, new) = (derived(bytes), streamed(bytes));
            match (&old, &new) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{case}"),
                (Err(a), Err(b)) => {
                    assert_eq!(a.path, b.path, "{case}");
                    assert_eq!(a.message, b.message, "{case}");
                    assert_eq!(a.line, b.line, "{case}");
                    // serde_json's reader counts a byte it peeked at; the in-memory reader did
                    // not: a number cut short where a string is due is one column further.
                    let (x, y) = (a.column.unwrap_or(0), b.column.unwrap_or(0));
                    assert!(y == x || y == x + 1, "{case}: {a} vs {b}");
                }
                _ => panic!("{case}: {old:?} vs {new:?}"),
            }
        }
    }

    #[test]
    fn chunk_boundaries_do_not_change_anything() {
        for case in CASES {
            let whole = streamed(case.as_bytes());
            for n in [1, 2, 3, 7] {
                assert_eq!(whole, trickled(case.as_bytes(), n), "{case} by {n}");
            }
        }
    }

    /// The names of the assets passed on, with the time each was given.
    type Seen = Vec<(Option<i64>, String)>;

    fn collect(bytes: &[u8], time: InventoryTime) -> (Result<Streamed, InputError>, Seen) {
        let mut seen = Vec::new();
        let streamed = stream_inventory(bytes, time, |time, asset| {
            seen.push((time, asset.asset.name));
            ControlFlow::Continue(())
        });
        (streamed, seen)
    }

    const T: i64 = 1_795_305_600; // 2026-11-22T00:00:00Z

    #[test]
    fn time_before_assets_streams_at_once() {
        let doc = br#"{"time": "2026-11-22T00:00:00Z", "assets": [{"name": "a"}, {"name": "b"}]}"#;
        let (streamed, seen) = collect(doc, InventoryTime::FromDocument);
        assert_eq!(
            streamed,
            Ok(Streamed::Done {
                time: Some(T),
                assets: 2
            })
        );
        assert_eq!(seen, [(Some(T), "a".into()), (Some(T), "b".into())]);
    }

    #[test]
    fn time_after_assets_takes_a_first_pass() {
        let doc = br#"{"assets": [{"name": "a"}, {"name": "b"}], "time": "2026-11-22T00:00:00Z"}"#;
        let (streamed, seen) = collect(doc, InventoryTime::FromDocument);
        assert_eq!(streamed, Ok(Streamed::TimeAfterAssets));
        assert!(seen.is_empty());
        assert_eq!(inventory_time(&doc[..]), Some(T));
        let (streamed, seen) = collect(doc, InventoryTime::Known(Some(T)));
        assert_eq!(
            streamed,
            Ok(Streamed::Done {
                time: Some(T),
                assets: 2
            })
        );
        assert_eq!(seen, [(Some(T), "a".into()), (Some(T), "b".into())]);
        // No time at all: the first pass says so, and the assets are judged "now".
        let doc = br#"{"assets": [{"name": "a"}]}"#;
        assert_eq!(inventory_time(&doc[..]), None);
        let (streamed, seen) = collect(doc, InventoryTime::Known(None));
        assert_eq!(
            streamed,
            Ok(Streamed::Done {
                time: None,
                assets: 1
            })
        );
        assert_eq!(seen, [(None, "a".into())]);
        assert_eq!(parse_inventory(doc).map(|i| i.time), Ok(None));
    }

    #[test]
    fn a_time_that_changed_between_readings_is_an_error() {
        let doc = br#"{"assets": [{"name": "a"}], "time": "2026-11-22T00:00:00Z"}"#;
        let (streamed, _) = collect(doc, InventoryTime::Known(Some(T + 1)));
        let err = streamed.err();
        assert_eq!(err.as_ref().map(|e| e.path.as_str()), Some("time"));
        assert_eq!(err.map(|e| e.message), Some(CHANGED.to_owned()));
        let (streamed, _) = collect(br#"{"assets": []}"#, InventoryTime::Known(Some(T)));
        assert_eq!(streamed.err().map(|e| e.message), Some(CHANGED.to_owned()));
        let (streamed, _) = collect(
            br#"{"time": "2026-11-22T00:00:00Z", "assets": []}"#,
            InventoryTime::Known(None),
        );
        assert_eq!(streamed.err().map(|e| e.path), Some("time".to_owned()));
    }

    #[test]
    fn the_first_pass_is_lenient_and_stops_at_time() {
        assert_eq!(
            inventory_time(
                &b"{\"assets\": [1, 2], \"time\": \"2026-11-22T00:00:00Z\", \"x\": ["[..]
            ),
            Some(T)
        );
        assert_eq!(inventory_time(&b"{\"assets\": [1, 2"[..]), None);
        assert_eq!(inventory_time(&b"{\"time\": \"soon\"}"[..]), None);
        assert_eq!(inventory_time(&b"[]"[..]), None);
    }

    #[test]
    fn the_callback_can_stop_the_reading() {
        let doc = br#"{"time": null, "assets": [{"name": "a"}, {"name": "b"}, {"name": "c"}, ]}"#;
        let mut names = Vec::new();
        let streamed = stream_inventory(&doc[..], InventoryTime::FromDocument, |_, asset| {
            names.push(asset.asset.name);
            if names.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        // The trailing comma further on is never read.
        assert_eq!(streamed, Ok(Streamed::Stopped { assets: 2 }));
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn assets_before_an_error_have_been_passed_on() {
        let doc = br#"{"time": null, "assets": [{"name": "a"}, {"name": "b", "nam": "c"}]}"#;
        let (streamed, seen) = collect(doc, InventoryTime::FromDocument);
        assert_eq!(
            streamed.err().map(|e| e.path),
            Some("assets[1].nam".to_owned())
        );
        assert_eq!(seen, [(None, "a".into())]);
    }

    #[test]
    fn read_errors_are_input_errors() {
        struct Broken(usize);
        impl Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let text = br#"{"assets": [{"name": "a"}, "#;
                if self.0 >= text.len() {
                    return Err(io::Error::other("disk on fire"));
                }
                let n = (text.len() - self.0).min(buf.len());
                buf[..n].copy_from_slice(&text[self.0..self.0 + n]);
                self.0 += n;
                Ok(n)
            }
        }
        let err = stream_inventory(Broken(0), InventoryTime::Known(None), |_, _| {
            ControlFlow::Continue(())
        })
        .err();
        assert_eq!(err.map(|e| e.message), Some("disk on fire".to_owned()));
    }

    #[test]
    fn columns_count_characters() {
        let text = "{\"assets\": [\n {\"name\": \"\u{e9}\u{e9}\u{e9}\", \"x\": 1}]}";
        let err = streamed(text.as_bytes()).err();
        let err = err.as_ref().map(|e| (e.path.as_str(), e.line, e.column));
        // 21 characters (24 bytes) up to the `:` after `"x"`, which the reader has peeked at.
        assert_eq!(err, Some(("assets[0].x", Some(2), Some(21))));
    }

    #[test]
    fn columns_stay_exact_far_into_a_long_line() {
        // One line of about 1 MiB with many non-ASCII characters: the window has moved on many
        // times before the error.
        let asset = "{\"name\": \"caf\u{e9}-\u{e9}t\u{e9}\", \"images\": [{\"ref\": \"nginx\"}]}";
        let mut text = String::from(r#"{"time": "2026-11-22T00:00:00Z", "assets": ["#);
        for _ in 0..15_000 {
            text.push_str(asset);
            text.push_str(", ");
        }
        text.push_str(r#"{"images": [{"ref": "ok"}, {"ref": "Bad//x"}]}]}"#);
        let err = streamed(text.as_bytes()).err();
        let old = derived(text.as_bytes()).err();
        assert_eq!(
            err.as_ref().map(|e| e.path.as_str()),
            Some("assets[15000].images[1].ref")
        );
        let column = err.and_then(|e| e.column).unwrap_or(0);
        let expected = old.and_then(|e| e.column).unwrap_or(1);
        assert_eq!(column, expected);
        assert!(
            column < text.len() - 40_000,
            "{column} looks like a byte column"
        );
    }
}
