//! The webhook's log lines, which nothing a client sends can forge.
//!
//! Request fields (`uid`, `name`, an image…) are whatever the client wrote, newlines included.
//! In the text format (the default) a field value with a control character, a space, a quote
//! or `=` is written quoted with escapes, logfmt-style (`uid="a\nb"`), so one event is always
//! one line and `key=value` pairs cannot be added; message text taken from a request goes
//! through [`Text`], which escapes control characters. `--log-format json` writes one JSON
//! object per line instead (`timestamp`, `level`, `message`, then the fields), escaped by
//! serde_json.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
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
    fn format_fields<R: RecordFields>(
        &self,
        mut writer: Writer<'writer>,
        fields: R,
    ) -> fmt::Result {
        let mut visitor = TextVisitor { out: String::new() };
        fields.record(&mut visitor);
        writer.write_str(&visitor.out)
    }
}

struct TextVisitor {
    out: String,
}

impl TextVisitor {
    fn separate(&mut self) {
        if !self.out.is_empty() {
            self.out.push(' ');
        }
    }
}

impl Visit for TextVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.separate();
        if field.name() == "message" {
            self.out.push_str(value);
        } else {
            self.out.push_str(field.name());
            self.out.push('=');
            let _ = field_value(&mut self.out, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
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
