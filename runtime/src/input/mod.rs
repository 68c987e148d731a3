//! The documents Bona decides about, read into one shape.
//!
//! Four formats reach the runtime, and they all end as assets with images:
//!
//! | document | read by | reading |
//! |---|---|---|
//! | Bona's admission input (docs/output.md#admission-input, `bona eval --input`) | [`parse_admission_input`] | strict |
//! | Kubernetes `AdmissionReview` v1 (`bona eval --admission-review`, `bona serve`) | [`parse_admission_review`] | lenient |
//! | Bona's audit inventory (docs/output.md#bona-audit, `bona audit --inventory`) | [`stream_inventory`] (asset by asset), [`parse_inventory`] | strict |
//! | `kubectl get pods -A -o json` (`bona audit --inventory … --cluster`) | [`parse_kubectl_list`] | lenient |
//!
//! *Strict* (docs/commands.md): Bona's own documents are written by people and by Bona's integrations, so a
//! misspelt field must be an error at its place rather than a silently missing value; every struct
//! uses `deny_unknown_fields`. *Lenient*: Kubernetes documents carry hundreds of fields Bona has no
//! use for and gain new ones every release, so unknown fields are ignored, as Kubernetes clients
//! do, and `null` is accepted wherever a value is optional. Malformed JSON and a bad image
//! reference are errors in both.
//!
//! Image references are parsed and normalised while the document is read, so every later stage
//! handles a [`Reference`], never a string, and a bad reference is reported with its JSON path,
//! the line and column, and the character position inside the reference. Errors are
//! [`InputError`]s: one line naming the place; the CLI prefixes the file name and exits 2
//! (docs/commands.md#exit-codes).

mod admission;
mod asset;
mod inventory;
mod kubectl;
mod review;

use std::fmt;

use serde::{Deserialize, Deserializer};

use crate::json::{self, JsonError, Object, ObjectFields, object, objects};
use crate::reference::Reference;

pub use admission::{AdmissionInput, ImageInput, parse_admission_input};
pub use asset::{Asset, AssetType};
pub use inventory::{
    Inventory, InventoryAsset, InventoryTime, Streamed, inventory_time, parse_inventory,
    stream_inventory,
};
pub use kubectl::{is_kubectl_list, parse_kubectl_list};
pub use review::{Envelope, Review, parse_admission_review};

/// Why an input document could not be read, and where.
///
/// Displayed as one line, `at PATH (line L, column C): MESSAGE`, the shape
/// [`JsonError`] uses for every other document; the CLI prefixes the file name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// JSON path of the value at fault (`images[2].ref`), or `.` for the document itself.
    pub path: String,
    /// 1-based line of the reader's position when the fault was found, when known.
    pub line: Option<usize>,
    /// 1-based column of the reader's position when the fault was found, when known.
    pub column: Option<usize>,
    /// What went wrong, as one lower-case sentence with user input in backticks.
    pub message: String,
}

impl InputError {
    /// An error found after the document was read, where no line and column are known.
    pub(crate) fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            path: path.into(),
            line: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(
                f,
                "at {} (line {line}, column {column}): {}",
                self.path, self.message
            ),
            (Some(line), None) => write!(f, "at {} (line {line}): {}", self.path, self.message),
            _ => write!(f, "at {}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for InputError {}

impl From<JsonError> for InputError {
    fn from(err: JsonError) -> Self {
        let known = |n: usize| (n != 0).then_some(n);
        InputError {
            path: err.path,
            line: known(err.line),
            column: known(err.column),
            message: err.message,
        }
    }
}

/// What a Kubernetes document does not say about the asset it describes: the `--cluster` and
/// `--cloud` of the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReviewOptions {
    /// The cluster name given to every asset (`--cluster`).
    pub cluster: String,
    /// The cloud given to every asset (`--cloud`, default `""`).
    pub cloud: String,
}

/// Reads a whole document through [`json::from_slice`], converting its error.
fn read<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, InputError> {
    json::from_slice(bytes).map_err(InputError::from)
}

/// Reads a whole strict document, which must be a JSON object.
fn read_object<T: serde::de::DeserializeOwned + ObjectFields>(
    bytes: &[u8],
) -> Result<T, InputError> {
    read::<Object<T>>(bytes).map(|object| object.0)
}

/// `deserialize_with` for fields where `null` means absent (docs/images.md#facts-lookup): `null`
/// gives the type's default, like a missing field with `#[serde(default)]`.
fn null_as_default<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(de)?.unwrap_or_default())
}

/// Parses an image reference, or says why it is not one (with the 1-based character position).
fn parse_reference(text: &str) -> Result<Reference, String> {
    Reference::parse(text).map_err(|err| err.to_string())
}

/// `deserialize_with` for a required reference string (`ref` of Bona's own documents).
fn reference<'de, D: Deserializer<'de>>(de: D) -> Result<Reference, D::Error> {
    match Option::<String>::deserialize(de)? {
        Some(text) => parse_reference(&text).map_err(serde::de::Error::custom),
        // `null` is absent (docs/output.md), and `ref` may not be absent.
        None => Err(serde::de::Error::custom("missing field `ref`")),
    }
}

/// `deserialize_with` for a Kubernetes container `image`: absent, `null` or `""` is no image
/// (the API allows a template without one; the apiserver rejects the pod itself), anything
/// else must be a valid reference.
fn optional_reference<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Reference>, D::Error> {
    match Option::<String>::deserialize(de)? {
        Some(text) if !text.is_empty() => parse_reference(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
        _ => Ok(None),
    }
}

/// `deserialize_with` for `time`: an RFC 3339 timestamp, as unix seconds; `null` is absent.
fn rfc3339_time<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
    match Option::<String>::deserialize(de)? {
        None => Ok(None),
        Some(text) => match crate::facts::parse_rfc3339(&text) {
            Some(seconds) => Ok(Some(seconds)),
            None => Err(serde::de::Error::custom(format!(
                "invalid time `{text}`: expected an RFC 3339 timestamp such as `2026-11-22T00:00:00Z`"
            ))),
        },
    }
}
