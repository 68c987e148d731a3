//! The webhook's log lines, which nothing a client sends can forge.
//!
//! Request fields (`uid`, `name`, an image…) are whatever the client wrote, newlines included.
//! In the text format (the default) a field value with a control character, a space, a quote
//! or `=` is written quoted with escapes, logfmt-style (`uid="a\nb"`), so one event is always
//! one line and `key=value` pairs cannot be added; message text taken from a request goes
//! through [`Text`], which escapes control characters. `--log-format json` writes one JSON
//! object per line instead (`timestamp`, `level`, `message`, then the fields), escaped by
//! serde_json.
//!
//! Lines are written through [`BufferedLog`]: an admission's line is buffered and written out
//! with the others at most [`FLUSH_EVERY`] later, so the request does not wait for a `write`
//! (5 µs of a 25 µs admission); warnings and errors are written at once, and whatever is
//! buffered when the server stops is written before it exits.
//!
//! The one line every admission writes, `admission uid=… decision=…`, is the access log: in the
//! text format it is written straight into that buffer ([`admission`]), byte for byte as
//! `tracing` writes the same event (a test holds them equal). Through `tracing`'s generic layers
//! it cost 4 µs of an admission in the server, where the code comes back cold after each
//! request's network I/O; written directly it costs a fraction of that.

use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::{Format, Full, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::fmt::{MakeWriter, SubscriberBuilder};
use tracing_subscriber::registry::LookupSpan;

/// How log lines look (`--log-format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-11-25T13:10:57.685272Z  INFO admission uid=… decision=prevent`
    #[default]
    Text,
    /// `{"timestamp":"…","level":"INFO","message":"admission","uid":"…",…}`
    Json,
}

/// How long an informational line may wait in the buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// The server's log file (its stderr), buffered: see the [module](self).
#[derive(Clone, Debug)]
pub struct BufferedLog(Arc<Mutex<BufWriter<File>>>);

/// The log `logging` installed, for [`flush`] and [`admission`].
static INSTALLED: OnceLock<Installed> = OnceLock::new();

#[derive(Debug)]
struct Installed {
    log: BufferedLog,
    format: LogFormat,
    /// Informational lines are written (`BONA_LOG` is `info` or more verbose).
    info: bool,
}

impl BufferedLog {
    /// A buffered `file`, written out every [`FLUSH_EVERY`] by a thread of its own that ends
    /// with the last clone.
    pub fn new(file: File) -> std::io::Result<BufferedLog> {
        let log = BufferedLog(Arc::new(Mutex::new(BufWriter::new(file))));
        let weak = Arc::downgrade(&log.0);
        std::thread::Builder::new()
            .name("bona-log".into())
            .spawn(move || flush_every(&weak))?;
        Ok(log)
    }

    /// Makes this the log of [`flush`] and [`admission`], with `level` and `format` as the
    /// subscriber writing into it has them. Once per process; later calls change nothing.
    pub fn install(&self, level: Level, format: LogFormat) {
        let _ = INSTALLED.set(Installed {
            log: self.clone(),
            format,
            info: level >= Level::INFO,
        });
    }

    fn file(&self) -> MutexGuard<'_, BufWriter<File>> {
        // A thread that panicked while writing leaves at worst a partial line.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes out what is buffered.
    pub fn flush(&self) {
        let _ = self.file().flush();
    }
}

fn flush_every(log: &Weak<Mutex<BufWriter<File>>>) {
    loop {
        std::thread::sleep(FLUSH_EVERY);
        let Some(log) = log.upgrade() else { return };
        BufferedLog(log).flush();
    }
}

/// Writes out the installed log's buffer: before the process exits.
pub fn flush() {
    if let Some(installed) = INSTALLED.get() {
        installed.log.flush();
    }
}

/// The server's subscriber writing into `log`, in the text format (`bona serve` adds the
/// JSON one and the filter on top).
pub fn builder(
    level: Level,
    log: BufferedLog,
) -> SubscriberBuilder<TextFields, Format<Full, SystemTime>, LevelFilter, BufferedLog> {
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_writer(log)
        .fmt_fields(TextFields)
}

/// One admission's line of the access log.
#[derive(Clone, Copy, Debug)]
pub struct Admission<'a> {
    pub uid: &'a str,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub decision: &'a str,
    pub images: u64,
    pub untrusted: u64,
    /// Microseconds the decision took.
    pub latency_us: u128,
}

/// Logs an admission at info: straight into the installed log in the text format, through
/// `tracing` otherwise (see the [module](self)).
pub fn admission(line: &Admission<'_>) {
    match INSTALLED.get() {
        Some(installed) if installed.format == LogFormat::Text => {
            if installed.info {
                let mut text = String::with_capacity(256);
                if line
                    .write_text(&mut text, std::time::SystemTime::now())
                    .is_ok()
                {
                    let _ = installed.log.file().write_all(text.as_bytes());
                }
            }
        }
        _ => tracing::info!(
            uid = %line.uid,
            kind = %line.kind,
            namespace = %line.namespace,
            name = %line.name,
            decision = %line.decision,
            images = line.images,
            untrusted = line.untrusted,
            latency_us = line.latency_us,
            "admission"
        ),
    }
}

impl Admission<'_> {
    /// The text format's line at `now`, as `tracing_subscriber`'s full format with
    /// [`TextFields`] writes it.
    fn write_text(&self, out: &mut String, now: std::time::SystemTime) -> fmt::Result {
        timestamp(out, now)?;
        out.push_str("  INFO admission");
        for (key, value) in [
            ("uid", self.uid),
            ("kind", self.kind),
            ("namespace", self.namespace),
            ("name", self.name),
            ("decision", self.decision),
        ] {
            write!(out, " {key}=")?;
            field_value(out, value)?;
        }
        writeln!(
            out,
            " images={} untrusted={} latency_us={}",
            self.images, self.untrusted, self.latency_us
        )
    }
}

/// `2026-11-25T13:10:57.685272Z`: UTC, microseconds, as `tracing_subscriber`'s `SystemTime`.
fn timestamp(out: &mut String, now: std::time::SystemTime) -> fmt::Result {
    let since = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    let whole = bona_sigstore::time::format_rfc3339(seconds);
    let whole = whole.strip_suffix('Z').unwrap_or(&whole);
    write!(out, "{whole}.{:06}Z", since.subsec_micros())
}

/// One event's line; a warning's or an error's is written out when it is dropped.
pub struct LogLine<'a> {
    log: &'a BufferedLog,
    urgent: bool,
}

impl std::io::Write for LogLine<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.log.file().write(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.log.file().write_all(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.log.file().flush()
    }
}

impl Drop for LogLine<'_> {
    fn drop(&mut self) {
        if self.urgent {
            self.log.flush();
        }
    }
}

impl<'a> MakeWriter<'a> for BufferedLog {
    type Writer = LogLine<'a>;

    fn make_writer(&'a self) -> LogLine<'a> {
        LogLine {
            log: self,
            urgent: true,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> LogLine<'a> {
        LogLine {
            log: self,
            urgent: matches!(*meta.level(), Level::ERROR | Level::WARN),
        }
    }
}

/// Text from a request, written with its control characters escaped (`\n`, `\u{1b}`).
pub struct Text<'a>(pub &'a str);

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if is_control(c) {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// Control characters, and the Unicode line and paragraph separators some viewers break on.
fn is_control(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// Writes `value` as one logfmt value: as it is when that is unambiguous, quoted otherwise.
fn field_value(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    let plain = value
        .chars()
        .all(|c| !is_control(c) && !c.is_whitespace() && c != '"' && c != '=');
    if plain {
        return out.write_str(value);
    }
    out.write_char('"')?;
    for c in value.chars() {
        match c {
            '"' => out.write_str("\\\"")?,
            '\\' => out.write_str("\\\\")?,
            c if is_control(c) => write!(out, "{}", c.escape_default())?,
            c => out.write_char(c)?,
        }
    }
    out.write_char('"')
}

/// The text format's fields: the message as written, then `key=value` with values escaped.
#[derive(Debug, Default)]
pub struct TextFields;

impl<'writer> FormatFields<'writer> for TextFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = TextVisitor {
            out: writer,
            first: true,
            scratch: String::new(),
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

/// Writes the fields straight into the line.
struct TextVisitor<W> {
    out: W,
    first: bool,
    /// A `Debug` or `Display` value, formatted to be escaped.
    scratch: String,
    result: fmt::Result,
}

impl<W: fmt::Write> TextVisitor<W> {
    fn field(&mut self, field: &Field, value: &str) -> fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.out.write_char(' ')?;
        }
        if field.name() == "message" {
            self.out.write_str(value)
        } else {
            self.out.write_str(field.name())?;
            self.out.write_char('=')?;
            field_value(&mut self.out, value)
        }
    }
}

impl<W: fmt::Write> Visit for TextVisitor<W> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_ok() {
            self.result = self.field(field, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        if write!(scratch, "{value:?}").is_ok() {
            self.record_str(field, &scratch);
        }
        self.scratch = scratch;
    }
}

/// `--log-format json`: one object per event.
#[derive(Debug, Default)]
pub struct JsonEvents;

impl<S, N> FormatEvent<S, N> for JsonEvents
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let mut visitor = JsonVisitor(serde_json::Map::new());
        visitor
            .0
            .insert("timestamp".into(), serde_json::Value::String(timestamp));
        visitor.0.insert(
            "level".into(),
            serde_json::Value::String(event.metadata().level().to_string()),
        );
        event.record(&mut visitor);
        writeln!(writer, "{}", serde_json::Value::Object(visitor.0))
    }
}

struct JsonVisitor(serde_json::Map<String, serde_json::Value>);

impl Visit for JsonVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        let value = u64::try_from(value).map_or_else(|_| value.to_string().into(), Into::into);
        self.0.insert(field.name().into(), value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> String {
        let mut out = String::new();
        field_value(&mut out, text).unwrap();
        out
    }

    #[test]
    fn warnings_are_written_at_once_and_the_rest_soon() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = BufferedLog::new(File::create(&path).unwrap()).unwrap();
        let subscriber = builder(Level::INFO, log.clone()).finish();
        let read = || std::fs::read_to_string(&path).unwrap();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(uid = "u1", "admission");
            tracing::warn!("policies did not reload");
        });
        // The warning's line brought the buffered one with it, in order.
        let text = read();
        let (info, warn) = (text.find("uid=u1").unwrap(), text.find("did not").unwrap());
        assert!(info < warn, "{text}");
        let subscriber = tracing_subscriber::fmt().with_writer(log.clone()).finish();
        tracing::subscriber::with_default(subscriber, || tracing::info!("later"));
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !read().contains("later") {
            assert!(
                std::time::Instant::now() < deadline,
                "never written: {}",
                read()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn the_access_log_writes_what_tracing_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = BufferedLog::new(File::create(&path).unwrap()).unwrap();
        let lines = [
            Admission {
                uid: "705ab4f5-6393-11e8",
                kind: "Deployment",
                namespace: "team4",
                name: "api",
                decision: "prevent",
                images: 3,
                untrusted: 2,
                latency_us: 14,
            },
            Admission {
                uid: "a\n2026 INFO admission uid=FORGED",
                kind: "",
                namespace: "q\"\\",
                name: "x decision=allow",
                decision: "allow",
                images: 0,
                untrusted: 0,
                latency_us: u128::from(u64::MAX) + 1,
            },
        ];
        let subscriber = builder(Level::INFO, log.clone()).finish();
        tracing::subscriber::with_default(subscriber, || {
            for line in &lines {
                // What `admission` writes when no log is installed.
                admission(line);
            }
        });
        log.flush();
        let written = std::fs::read_to_string(&path).unwrap();
        let written: Vec<&str> = written.lines().collect();
        assert_eq!(written.len(), lines.len(), "{written:?}");
        let at = std::time::UNIX_EPOCH + Duration::from_micros(1_764_076_257_685_272);
        for (line, traced) in lines.iter().zip(written) {
            let mut direct = String::new();
            line.write_text(&mut direct, at).unwrap();
            assert!(
                direct.starts_with("2025-11-25T13:10:57.685272Z  INFO "),
                "{direct}"
            );
            let traced_after = traced.split_once(' ').unwrap().1;
            let direct_after = direct.trim_end_matches('\n').split_once(' ').unwrap().1;
            assert_eq!(direct_after, traced_after);
            assert_eq!(traced.find(' '), Some(27), "{traced}");
        }
    }

    #[test]
    fn timestamps_are_utc_with_microseconds() {
        let mut text = String::new();
        timestamp(
            &mut text,
            std::time::UNIX_EPOCH + Duration::from_micros(951_868_799_000_007),
        )
        .unwrap();
        assert_eq!(text, "2000-02-29T23:59:59.000007Z");
        text.clear();
        timestamp(&mut text, std::time::UNIX_EPOCH).unwrap();
        assert_eq!(text, "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn field_values_cannot_add_lines_or_fields() {
        assert_eq!(value("3f1c9a52-7e0b"), "3f1c9a52-7e0b");
        assert_eq!(value(""), "");
        assert_eq!(
            value("a\n2026 INFO admission uid=FORGED"),
            "\"a\\n2026 INFO admission uid=FORGED\""
        );
        assert_eq!(value("x decision=allow"), "\"x decision=allow\"");
        assert_eq!(value("q\"\\"), "\"q\\\"\\\\\"");
        assert_eq!(Text("a\r\nb\u{1b}[31m").to_string(), "a\\r\\nb\\u{1b}[31m");
    }
}
