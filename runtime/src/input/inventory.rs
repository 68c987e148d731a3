//! Bona's own audit inventory (SPEC 4.4): the assets running now, each with its images.
//!
//! ```json
//! { "time": "2026-11-22T00:00:00Z",
//!   "assets": [ { "type": "workload", "namespace": "payments", "kind": "Deployment",
//!                 "name": "api", "images": [ { "ref": "registry.company.com/app:1.2.3" } ] } ] }
//! ```
//!
//! Read strictly (see the [module overview](super)). An inventory asset is an [`Asset`]'s fields
//! plus `images` in one object. serde's `flatten` would read that shape but silently disables
//! `deny_unknown_fields`, so the document struct spells the fields out and is converted. Assets
//! and images are kept as given, in order: the caller wrote them, and the posture output follows
//! the input's order (SPEC 4.5 "Order").

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    Asset, AssetType, ImageInput, InputError, ObjectFields, null_as_default, objects, read_object,
    rfc3339_time,
};

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

/// The document as written; see the module note on `flatten`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InventoryDoc {
    #[serde(default, deserialize_with = "rfc3339_time")]
    time: Option<i64>,
    #[serde(default, deserialize_with = "objects")]
    assets: Vec<AssetDoc>,
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

impl ObjectFields for InventoryDoc {
    const EXPECTING: &'static str = "an inventory object";
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

/// Reads Bona's audit inventory (SPEC 4.4). `{}` and `{"assets": []}` are an empty inventory.
///
/// # Errors
/// Malformed JSON, an unknown field at any level, a value of the wrong type, a `time` that is not
/// RFC 3339 or a `ref` that is not an image reference: an [`InputError`] naming the JSON path, the
/// line and the column.
pub fn parse_inventory(bytes: &[u8]) -> Result<Inventory, InputError> {
    let doc: InventoryDoc = read_object(bytes)?;
    Ok(Inventory {
        time: doc.time,
        assets: doc.assets.into_iter().map(InventoryAsset::from).collect(),
    })
}
