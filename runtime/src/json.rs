//! Strict reading of Bona's own JSON documents, with errors that say where.
//!
//! docs/commands.md: bad input of any kind gives "one clear message naming the file and the place (JSON
//! path, line and column)". Every input module (facts, the admission input of
//! docs/output.md#admission-input, the audit inventory of docs/output.md#inventory) reads its
//! document through [`from_slice`], so every one of those messages has the same shape:
//!
//! ```text
//! at images[2].ref (line 4, column 12): invalid type: integer `3`, expected a string
//! ```
//!
//! The JSON path comes from `serde_path_to_error`, which wraps the `serde_json` deserializer and
//! records the path of the innermost value that failed, including errors raised by custom
//! `deserialize_with` helpers (a bad `base` reference, a signature that is not base64). Line and
//! column come from `serde_json`, which stamps the reader's position on every error.
//!
//! Bona's own documents are strict: their types use `#[serde(deny_unknown_fields)]`, so a
//! misspelt field (`"scaned": true`) is an error at its path instead of a silently unknown fact.
//! Kubernetes documents (AdmissionReview, kubectl lists) are read leniently elsewhere and do not
//! use these attributes; `from_slice` itself is neutral and only reports what the target type
//! rejects.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_path_to_error::Segment;

/// Where and why a JSON document could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// The JSON path of the value that failed, like `images[2].facts.scan.finished_at`, or `.`
    /// for the document itself. Object keys that are not plain identifiers are quoted:
    /// `images["registry.company.com/app:1"].base`.
    pub path: String,
    /// 1-based line of the reader's position when the error was found (0 when unknown).
    pub line: usize,
    /// 1-based column of the reader's position when the error was found (0 when unknown).
    pub column: usize,
    /// What went wrong, as one lower-case sentence (serde's wording for type errors).
    pub message: String,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "at {}: {}", self.path, self.message)
        } else {
            write!(
                f,
                "at {} (line {}, column {}): {}",
                self.path, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for JsonError {}

/// Deserializes a whole JSON document into `T`, reporting the first error with its JSON path,
/// line and column.
///
/// Trailing content after the document (`{} {}`) is an error too.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonError> {
    // Reading with the path tracked costs an allocation per object key; a document that reads
    // is read without it, and only a failing one is read again to say where it fails (the same
    // bytes fail at the same place: deserializing is deterministic).
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = render_path(err.path());
        from_serde_json(bytes, path, err.inner())
    })?;
    de.end()
        .map_err(|err| from_serde_json(bytes, ".".to_owned(), &err))?;
    Ok(value)
}

/// Builds a [`JsonError`] from a `serde_json` error found at `path` in `bytes`.
fn from_serde_json(bytes: &[u8], path: String, err: &serde_json::Error) -> JsonError {
    let (line, byte_column) = (err.line(), err.column());
    let column = char_column(bytes, line, byte_column);
    let mut message = err.to_string();
    // serde_json appends " at line L column C" to the message when it knows the position; the
    // position is reported in its own fields, so drop the suffix.
    let suffix = format!(" at line {line} column {byte_column}");
    if line != 0 && message.ends_with(&suffix) {
        message.truncate(message.len() - suffix.len());
    }
    JsonError {
        path,
        line,
        column,
        message,
    }
}

/// serde_json counts columns in bytes; users count characters (docs/spec-map.md#details: positions are
/// characters). Converts the 1-based byte column of 1-based `line` into a character column by
/// counting the UTF-8 sequences that start in the line up to that byte.
fn char_column(bytes: &[u8], line: usize, byte_column: usize) -> usize {
    if line == 0 || byte_column == 0 {
        return byte_column;
    }
    let line_start = if line == 1 {
        Some(0)
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)
    };
    let Some(start) = line_start else {
        return byte_column;
    };
    let end = start.saturating_add(byte_column).min(bytes.len());
    bytes.get(start..end).map_or(byte_column, |span| {
        span.iter().filter(|b| (**b & 0xC0) != 0x80).count()
    })
}

/// Renders a path as `a.b[2]["not an identifier"]`, or `.` when it is empty.
pub(crate) fn render_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
            Segment::Map { key } | Segment::Enum { variant: key } => push_key(&mut out, key),
            Segment::Unknown => push_key(&mut out, "?"),
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// Appends `.key`, or `["key"]` (JSON-quoted) when the key is not a plain identifier, so that
/// keys holding dots or slashes (image references) stay readable and unambiguous.
fn push_key(out: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain || key == "?" {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(key);
    } else {
        out.push('[');
        // Serializing a `&str` cannot fail; fall back to a Debug rendering all the same.
        match serde_json::to_string(key) {
            Ok(quoted) => out.push_str(&quoted),
            Err(_) => out.push_str(&format!("{key:?}")),
        }
        out.push(']');
    }
}

/// A struct of Bona's own documents, and how a type error names it (`an asset object`).
pub(crate) trait ObjectFields {
    const EXPECTING: &'static str;
}

/// Reads `T` from a JSON object only.
///
/// A derived `Deserialize` also accepts a JSON array, filling the fields in order (and, as every
/// field of Bona's documents has a default, `[]` would be an empty admission input that allows
/// everything). Bona's own documents are strict, so every struct in them is read through this
/// wrapper, which asks the deserializer for a map and hands that map to the derived code: paths,
/// `deny_unknown_fields` and line/column reporting are unchanged.
pub(crate) struct Object<T>(pub(crate) T);

impl<'de, T: Deserialize<'de> + ObjectFields> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct MapOnly<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de> + ObjectFields> Visitor<'de> for MapOnly<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        de.deserialize_map(MapOnly(PhantomData)).map(Object)
    }
}

/// `deserialize_with` for an object field of a strict document; `null` is absent.
pub(crate) fn object<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + ObjectFields + Default,
{
    Ok(Option::<Object<T>>::deserialize(de)?
        .map(|object| object.0)
        .unwrap_or_default())
}

/// `deserialize_with` for an array of objects in a strict document; `null` is absent (empty).
pub(crate) fn objects<'de, D, T>(de: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + ObjectFields,
{
    Ok(Option::<Vec<Object<T>>>::deserialize(de)?
        .unwrap_or_default()
        .into_iter()
        .map(|object| object.0)
        .collect())
}

/// `deserialize_with` for an optional object field of a strict document: absent or `null` is
/// `None` (unknown, for facts), anything but an object an error.
pub(crate) fn opt_object<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + ObjectFields,
{
    Ok(Option::<Object<T>>::deserialize(de)?.map(|object| object.0))
}

/// `deserialize_with` for an optional array of objects: absent or `null` is `None`, `[]` is
/// `Some` of nothing (a known empty list).
pub(crate) fn opt_objects<'de, D, T>(de: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + ObjectFields,
{
    Ok(Option::<Vec<Object<T>>>::deserialize(de)?
        .map(|list| list.into_iter().map(|object| object.0).collect()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        images: Vec<Image>,
        #[serde(default)]
        map: BTreeMap<String, Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Image {
        r#ref: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u64,
    }

    fn err(text: &str) -> JsonError {
        match from_slice::<Doc>(text.as_bytes()) {
            Ok(doc) => panic!("expected an error, got {doc:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn type_error_has_path_line_and_column() {
        let e = err("{\"images\": [\n {\"ref\": \"a\"},\n {\"ref\": \"b\"},\n {\"ref\": 3}\n]}");
        assert_eq!(e.path, "images[2].ref");
        assert_eq!((e.line, e.column), (4, 10));
        assert_eq!(e.message, "invalid type: integer `3`, expected a string");
        assert_eq!(
            e.to_string(),
            "at images[2].ref (line 4, column 10): invalid type: integer `3`, expected a string"
        );
    }

    #[test]
    fn unknown_field_is_rejected() {
        let e = err(r#"{"images": [{"ref": "a", "reff": "b"}]}"#);
        assert_eq!(e.path, "images[0].reff");
        assert!(e.message.starts_with("unknown field `reff`"), "{e}");
    }

    #[test]
    fn keys_that_are_not_identifiers_are_quoted() {
        let e = err(r#"{"images": [], "map": {"docker.io/a:1": {"n": -1}}}"#);
        assert_eq!(e.path, r#"map["docker.io/a:1"].n"#);
    }

    #[test]
    fn syntax_errors_and_trailing_content() {
        let e = err("{\"images\": [");
        assert_eq!(e.line, 1);
        assert!(e.message.contains("EOF"), "{e}");
        let e = err(r#"{"images": []} x"#);
        assert_eq!(e.path, ".");
        assert!(e.message.contains("trailing characters"), "{e}");
        let e = err("");
        assert_eq!(e.path, ".");
        let e = err("[]");
        assert_eq!(e.path, ".");
    }

    #[test]
    fn columns_count_characters() {
        let e = err("{\"images\": [\n {\"ref\": \"\u{e9}\u{e9}\u{e9}\", \"x\": 1}]}");
        assert_eq!(e.path, "images[0].x");
        assert_eq!((e.line, e.column), (2, 19));
        let ascii = err("{\"images\": [\n {\"ref\": \"eee\", \"x\": 1}]}");
        assert_eq!((ascii.line, ascii.column), (2, 19));
    }

    #[test]
    fn missing_field_names_the_object() {
        let e = err(r#"{"images": [{}]}"#);
        assert_eq!(e.path, "images[0]");
        assert_eq!(e.message, "missing field `ref`");
    }
}
