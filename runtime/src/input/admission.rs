//! Bona's own admission input (docs/output.md#admission-input): one asset, its images, an optional time.
//!
//! ```json
//! { "time": "2026-11-22T00:00:00Z",
//!   "asset": { "type": "workload", "namespace": "payments", "kind": "Deployment", "name": "api" },
//!   "images": [ { "ref": "registry.company.com/app:1.2.3", "facts": { … } } ] }
//! ```
//!
//! Read strictly (see the [module overview](super)). Images are taken as given: no
//! de-duplication, because the caller wrote the list and the output keeps the input's order
//! (docs/output.md#admission-review, last sentence). `asset` and `images` may be absent (a default
//! asset, no images); only `ref` is required in an image.

use serde::Deserialize;

use super::{
    Asset, InputError, ObjectFields, object, objects, read_object, reference, rfc3339_time,
};
use crate::facts::ImageFacts;
use crate::json::opt_object;
use crate::reference::Reference;

/// One image to judge: its reference, parsed and normalised, and the facts given inline.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    /// `ref`, normalised (docs/images.md#references); a reference that breaks the grammar is bad input.
    #[serde(rename = "ref", deserialize_with = "reference")]
    pub reference: Reference,
    /// `facts` given inline; they win over a `--facts` document (docs/images.md#facts-lookup).
    #[serde(default, deserialize_with = "opt_object")]
    pub facts: Option<ImageFacts>,
}

impl ObjectFields for ImageInput {
    const EXPECTING: &'static str = "an image object with `ref` and optional `facts`";
}

impl ObjectFields for AdmissionInput {
    const EXPECTING: &'static str = "an admission input object";
}

impl ImageInput {
    /// An image with no inline facts, as Kubernetes documents give them.
    pub fn new(reference: Reference) -> Self {
        ImageInput {
            reference,
            facts: None,
        }
    }
}

/// An admission request: one asset and its images.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdmissionInput {
    /// `time` as unix seconds; `None` when absent, and the caller decides what "now" is.
    #[serde(default, deserialize_with = "rfc3339_time")]
    pub time: Option<i64>,
    /// The asset asking to run the images.
    #[serde(default, deserialize_with = "object")]
    pub asset: Asset,
    /// The images, in the input's order.
    #[serde(default, deserialize_with = "objects")]
    pub images: Vec<ImageInput>,
}

/// Reads Bona's admission input (docs/output.md#admission-input).
///
/// # Errors
/// Malformed JSON, an unknown field at any level, a value of the wrong type, a `time` that is not
/// RFC 3339 or a `ref` that is not an image reference: an [`InputError`] naming the JSON path, the
/// line and the column.
pub fn parse_admission_input(bytes: &[u8]) -> Result<AdmissionInput, InputError> {
    read_object(bytes)
}
