//! Kubernetes `AdmissionReview` v1, as kube-apiserver sends it to a webhook
//! (docs/output.md#admission-input, 4.5).
//!
//! Read leniently (see the [module overview](super)): only `request.uid`, `request.operation`,
//! `request.kind.kind`, `request.namespace`, `request.name` and `request.object` matter.
//!
//! The pod spec sits at a different depth for each kind — `object.spec` for a Pod,
//! `object.spec.template.spec` for Deployment, ReplicaSet, StatefulSet, DaemonSet and Job,
//! `object.spec.jobTemplate.spec.template.spec` for CronJob — and the JSON may give `kind` after
//! `spec`. So the document is read twice: first a head (kind, metadata, operation) that skips
//! every spec, then, for a kind with a pod spec, the one path that kind uses, with the images
//! parsed as references while they are read. That way a bad image reference is reported with
//! its JSON path, line and column, and the specs of other kinds (a custom resource that happens to
//! have `spec.template.spec.containers`) are never looked at. Both passes are cheap next to the
//! apiserver round trip; review bodies are kilobytes.
//!
//! Images come in the order initContainers, containers, ephemeralContainers, and a reference that
//! repeats once normalised is one image, at its first occurrence (docs/output.md#admission-review).

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{
    AdmissionInput, Asset, AssetType, ImageInput, InputError, ReviewOptions, null_as_default,
    optional_reference, read,
};
use crate::reference::Reference;

/// An admission request read from an `AdmissionReview`: the answer must echo `uid`.
#[derive(Clone, Debug)]
pub struct Review {
    /// `request.uid` (`""` when absent), to be echoed in the response.
    pub uid: String,
    /// The asset and its images; `time` is `None` (the caller uses now).
    pub input: AdmissionInput,
}

/// The fields of `metadata` that describe an asset.
#[derive(Default, Deserialize)]
#[serde(
    default,
    rename_all = "camelCase",
    expecting = "a Kubernetes object metadata object"
)]
pub(super) struct Metadata {
    pub(super) name: Option<String>,
    pub(super) generate_name: Option<String>,
    pub(super) namespace: Option<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub(super) labels: BTreeMap<String, String>,
    #[serde(deserialize_with = "null_as_default")]
    pub(super) owner_references: Vec<OwnerReference>,
}

/// One of `metadata.ownerReferences`.
#[derive(Default, Deserialize)]
#[serde(default, expecting = "an owner reference object")]
pub(super) struct OwnerReference {
    pub(super) kind: Option<String>,
    pub(super) name: Option<String>,
    pub(super) controller: Option<bool>,
}

/// The three container lists of a pod spec; everything else in it is ignored.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase", expecting = "a pod spec object")]
pub(super) struct PodSpec {
    #[serde(deserialize_with = "null_as_default")]
    init_containers: Vec<Container>,
    #[serde(deserialize_with = "null_as_default")]
    containers: Vec<Container>,
    #[serde(deserialize_with = "null_as_default")]
    ephemeral_containers: Vec<Container>,
}

impl PodSpec {
    /// The references of the pod spec in the documented order: init containers, containers,
    /// ephemeral containers. Containers without an image are skipped.
    pub(super) fn references(self) -> impl Iterator<Item = Reference> {
        self.init_containers
            .into_iter()
            .chain(self.containers)
            .chain(self.ephemeral_containers)
            .filter_map(|container| container.image)
    }
}

#[derive(Default, Deserialize)]
#[serde(default, expecting = "a container object")]
struct Container {
    #[serde(deserialize_with = "optional_reference")]
    image: Option<Reference>,
}

/// Appends `reference` unless its normalised form is already in `seen`.
pub(super) fn push_unique(
    images: &mut Vec<ImageInput>,
    seen: &mut HashSet<String>,
    reference: Reference,
) {
    if seen.insert(reference.to_string()) {
        images.push(ImageInput::new(reference));
    }
}

// ---- First pass: everything but the spec. ------------------------------------------------------

#[derive(Deserialize)]
#[serde(expecting = "an AdmissionReview object")]
struct Head {
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    request: Option<RequestHead>,
}

#[derive(Default, Deserialize)]
#[serde(default, expecting = "an AdmissionReview request object")]
struct RequestHead {
    uid: Option<String>,
    operation: Option<String>,
    kind: Option<GroupVersionKind>,
    namespace: Option<String>,
    name: Option<String>,
    object: Option<ObjectHead>,
}

#[derive(Default, Deserialize)]
#[serde(default, expecting = "a group-version-kind object")]
struct GroupVersionKind {
    kind: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default, expecting = "a Kubernetes object")]
struct ObjectHead {
    kind: Option<String>,
    metadata: Option<Metadata>,
}

// ---- Second pass: the pod spec at the depth the kind puts it. ----------------------------------

#[derive(Deserialize)]
#[serde(expecting = "an AdmissionReview object")]
struct Envelope<S> {
    #[serde(default = "none")]
    request: Option<Request<S>>,
}

#[derive(Deserialize)]
#[serde(expecting = "an AdmissionReview request object")]
struct Request<S> {
    #[serde(default = "none")]
    object: Option<Object<S>>,
}

#[derive(Deserialize)]
#[serde(expecting = "a Kubernetes object")]
struct Object<S> {
    #[serde(default = "none")]
    spec: Option<S>,
}

/// A default for `Option<S>` fields that does not ask `S: Default`.
fn none<T>() -> Option<T> {
    None
}

/// Where a kind keeps its pod spec.
trait HoldsPodSpec: DeserializeOwned {
    fn into_pod_spec(self) -> Option<PodSpec>;
}

impl HoldsPodSpec for PodSpec {
    fn into_pod_spec(self) -> Option<PodSpec> {
        Some(self)
    }
}

/// `spec` of a Deployment, ReplicaSet, StatefulSet, DaemonSet or Job: `template.spec`.
#[derive(Default, Deserialize)]
#[serde(default, expecting = "a workload spec object")]
struct TemplateHolder {
    template: Option<PodTemplate>,
}

#[derive(Default, Deserialize)]
#[serde(default, expecting = "a pod template object")]
struct PodTemplate {
    spec: Option<PodSpec>,
}

impl HoldsPodSpec for TemplateHolder {
    fn into_pod_spec(self) -> Option<PodSpec> {
        self.template.and_then(|template| template.spec)
    }
}

/// `spec` of a CronJob: `jobTemplate.spec.template.spec`.
#[derive(Default, Deserialize)]
#[serde(default, rename_all = "camelCase", expecting = "a CronJob spec object")]
struct CronJobSpec {
    job_template: Option<JobTemplate>,
}

#[derive(Default, Deserialize)]
#[serde(default, expecting = "a job template object")]
struct JobTemplate {
    spec: Option<TemplateHolder>,
}

impl HoldsPodSpec for CronJobSpec {
    fn into_pod_spec(self) -> Option<PodSpec> {
        self.job_template
            .and_then(|job| job.spec)
            .and_then(TemplateHolder::into_pod_spec)
    }
}

/// Reads the document again as `S` at `request.object.spec` and collects its images.
fn images_at<S: HoldsPodSpec>(bytes: &[u8]) -> Result<Vec<ImageInput>, InputError> {
    let envelope: Envelope<S> = read(bytes)?;
    let mut images = Vec::new();
    let mut seen = HashSet::new();
    let spec = envelope
        .request
        .and_then(|request| request.object)
        .and_then(|object| object.spec)
        .and_then(HoldsPodSpec::into_pod_spec);
    for reference in spec.into_iter().flat_map(PodSpec::references) {
        push_unique(&mut images, &mut seen, reference);
    }
    Ok(images)
}

/// A string that is present and not empty.
fn given(value: Option<String>) -> Option<String> {
    value.filter(|text| !text.is_empty())
}

/// Reads a Kubernetes `AdmissionReview` (v1; v1beta1 has the same request) into an admission
/// input for the asset it creates or changes.
///
/// The asset: `kind` from the object (else `request.kind.kind`), namespace from the object (else
/// the request), name from the object (else the request, else `metadata.generateName`), labels
/// from the object's own `metadata.labels` (a workload's, not its pod template's), `cloud` and
/// `cluster` from `opts`. A DELETE, a request without an object, or a kind without a pod spec
/// gives no images.
///
/// # Errors
/// Malformed JSON, a document whose `kind` is not `AdmissionReview`, one without `request`, a
/// field of the wrong type on the way to the images, or an image that is not a valid reference
/// (with its JSON path, line and column).
pub fn parse_admission_review(bytes: &[u8], opts: &ReviewOptions) -> Result<Review, InputError> {
    let head: Head = read(bytes)?;
    if let Some(kind) = head.kind.as_deref()
        && kind != "AdmissionReview"
    {
        return Err(InputError::at(
            "kind",
            format!("expected an `AdmissionReview`, found kind `{kind}`"),
        ));
    }
    let Some(request) = head.request else {
        return Err(InputError::at(
            ".",
            "missing field `request`: an AdmissionReview sent to a webhook carries one",
        ));
    };
    let request_kind = request.kind.and_then(|gvk| gvk.kind);
    let deleting = request.operation.as_deref() == Some("DELETE");
    let (object_kind, metadata, has_object) = match request.object {
        Some(object) => (object.kind, object.metadata.unwrap_or_default(), true),
        None => (None, Metadata::default(), false),
    };
    let kind = given(object_kind)
        .or(given(request_kind))
        .unwrap_or_default();

    let images = if deleting || !has_object {
        Vec::new()
    } else {
        match kind.as_str() {
            "Pod" => images_at::<PodSpec>(bytes)?,
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" => {
                images_at::<TemplateHolder>(bytes)?
            }
            "CronJob" => images_at::<CronJobSpec>(bytes)?,
            _ => Vec::new(),
        }
    };

    let asset = Asset {
        asset_type: AssetType::Workload,
        cloud: opts.cloud.clone(),
        cluster: opts.cluster.clone(),
        namespace: given(metadata.namespace)
            .or(given(request.namespace))
            .unwrap_or_default(),
        kind,
        name: given(metadata.name)
            .or(given(request.name))
            .or(given(metadata.generate_name))
            .unwrap_or_default(),
        labels: metadata.labels,
    };
    Ok(Review {
        uid: request.uid.unwrap_or_default(),
        input: AdmissionInput {
            time: None,
            asset,
            images,
        },
    })
}
