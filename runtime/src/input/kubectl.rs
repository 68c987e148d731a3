//! `kubectl get pods -A -o json` lists as an audit inventory (docs/output.md#bona-audit, 4.5 "kubectl lists").
//!
//! Read leniently (see the [module overview](super)). A cluster runs pods, but people own
//! workloads, so each pod is counted under the workload that owns it:
//!
//! - the owner is the `ownerReferences` entry with `controller: true`, else the first entry;
//! - a ReplicaSet named `D-H` whose pod carries the label `pod-template-hash: H` was made by the
//!   Deployment `D` (that is how the Deployment controller names ReplicaSets), so the pod belongs
//!   to Deployment `D`; a ReplicaSet whose name does not fit stays a ReplicaSet;
//! - a Job stays a Job, even when a CronJob made it: the pod does not name the CronJob (only the
//!   Job's own `ownerReferences` do, and a pod list does not include Jobs), and guessing from a
//!   numeric name suffix would misfile a Job that someone named `backup-2024`. Each run of a
//!   CronJob is therefore its own asset, which is also what is running;
//! - a mirror pod of a static pod names its Node as controller; a Node is not a workload (it
//!   would merge every static pod of the node into one asset), so such a pod is a `Pod` asset;
//! - every other owner (StatefulSet, DaemonSet, an operator's custom resource) is the asset, with
//!   the owner's kind and name;
//! - a pod with no owner is a `Pod` asset named after the pod.
//!
//! Pods of one (namespace, kind, name) are one asset, with the labels of its first pod, and
//! their images merged in order of first appearance, per pod initContainers, containers,
//! ephemeralContainers, a repeated normalised reference counting once. Assets come in order of
//! first appearance.
//!
//! Images come from the pod spec only. `status.containerStatuses[].imageID` would give the
//! digest actually pulled, but it is absent for pods still pending, is runtime-specific
//! (`docker-pullable://…`, bare `sha256:…` for local images), and mixing it in would make the
//! audit judge a different reference than admission judged for the same pod. Digests belong in
//! the facts document, which is looked up by reference.
//!
//! Items whose `kind` is present and is not `Pod` (from `kubectl get all -o json`) are skipped:
//! their pods are in the list too.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use super::review::{Metadata, PodSpec, push_unique};
use super::{
    Asset, AssetType, ImageInput, InputError, Inventory, InventoryAsset, ReviewOptions,
    null_as_default, read,
};

#[derive(Deserialize)]
#[serde(expecting = "a `kubectl get pods -o json` list object")]
struct List {
    #[serde(default)]
    kind: Option<String>,
    /// `None` when absent; `null` is an empty list.
    #[serde(default, deserialize_with = "present")]
    items: Option<Vec<Item>>,
}

#[derive(Default, Deserialize)]
#[serde(default, expecting = "a pod object")]
struct Item {
    kind: Option<String>,
    metadata: Option<Metadata>,
    spec: Option<PodSpec>,
}

/// `deserialize_with` telling an absent field (`None`, by `default`) from `null` (empty).
fn present<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<Vec<Item>>, D::Error> {
    null_as_default(de).map(Some)
}

/// Kinds of list `kubectl get` prints.
fn is_list_kind(kind: &str) -> bool {
    kind == "List" || kind == "PodList"
}

/// Whether `bytes` look like a kubectl list (`"kind": "List"` or `"PodList"` at the top) rather
/// than Bona's own inventory. Malformed JSON is not a list: [`super::parse_inventory`] will
/// report it.
pub fn is_kubectl_list(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Kind {
        #[serde(default)]
        kind: Option<String>,
    }
    serde_json::from_slice::<Kind>(bytes)
        .ok()
        .and_then(|doc| doc.kind)
        .is_some_and(|kind| is_list_kind(&kind))
}

/// The asset kind and name a pod is counted under; see the module documentation.
fn owner_of(metadata: &Metadata) -> (String, String) {
    let pod_name = metadata
        .name
        .as_deref()
        .filter(|name| !name.is_empty())
        .or(metadata.generate_name.as_deref())
        .unwrap_or_default();
    let owner = metadata
        .owner_references
        .iter()
        .find(|owner| owner.controller == Some(true))
        .or_else(|| metadata.owner_references.first());
    let (kind, name) = match owner {
        Some(owner) => (
            owner.kind.as_deref().unwrap_or_default(),
            owner.name.as_deref().unwrap_or_default(),
        ),
        None => ("", ""),
    };
    if kind.is_empty() || name.is_empty() || kind == "Node" {
        return ("Pod".to_owned(), pod_name.to_owned());
    }
    if kind == "ReplicaSet"
        && let Some(hash) = metadata
            .labels
            .get("pod-template-hash")
            .filter(|hash| !hash.is_empty())
        && let Some(deployment) = name
            .strip_suffix(hash.as_str())
            .and_then(|rest| rest.strip_suffix('-'))
            .filter(|deployment| !deployment.is_empty())
    {
        return ("Deployment".to_owned(), deployment.to_owned());
    }
    (kind.to_owned(), name.to_owned())
}

/// Reads a `kubectl get pods -A -o json` list into an inventory of workloads; `time` is `None`.
///
/// # Errors
/// Malformed JSON, a top-level `kind` other than `List` or `PodList`, no `items`, a field of
/// the wrong type on the way to the images, or an image that is not a valid reference (with its
/// JSON path, line and column).
pub fn parse_kubectl_list(bytes: &[u8], opts: &ReviewOptions) -> Result<Inventory, InputError> {
    let list: List = read(bytes)?;
    if let Some(kind) = list.kind.as_deref()
        && !is_list_kind(kind)
    {
        return Err(InputError::at(
            "kind",
            format!(
                "expected a `List` of pods (`kubectl get pods -A -o json`), found kind `{kind}`"
            ),
        ));
    }
    let Some(items) = list.items else {
        return Err(InputError::at(".", "missing field `items`"));
    };
    let mut assets: Vec<InventoryAsset> = Vec::new();
    // (namespace, kind, name) → index in `assets`, and the references that asset already has.
    let mut index: HashMap<(String, String, String), (usize, HashSet<String>)> = HashMap::new();
    for item in items {
        if item.kind.as_deref().is_some_and(|kind| kind != "Pod") {
            continue;
        }
        let metadata = item.metadata.unwrap_or_default();
        let (kind, name) = owner_of(&metadata);
        let namespace = metadata.namespace.unwrap_or_default();
        let key = (namespace, kind, name);
        let labels = metadata.labels;
        let (position, seen) = index
            .entry(key)
            .or_insert_with_key(|(namespace, kind, name)| {
                assets.push(InventoryAsset {
                    asset: Asset {
                        asset_type: AssetType::Workload,
                        cloud: opts.cloud.clone(),
                        cluster: opts.cluster.clone(),
                        namespace: namespace.clone(),
                        kind: kind.clone(),
                        name: name.clone(),
                        labels,
                    },
                    images: Vec::new(),
                });
                (assets.len() - 1, HashSet::new())
            });
        let Some(asset) = assets.get_mut(*position) else {
            continue;
        };
        let images: &mut Vec<ImageInput> = &mut asset.images;
        for reference in item.spec.into_iter().flat_map(PodSpec::references) {
            push_unique(images, seen, reference);
        }
    }
    Ok(Inventory { time: None, assets })
}
