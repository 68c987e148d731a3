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
//! have `spec.template.spec.containers`) are never looked at.
//!
//! Those two passes, with the JSON path tracked, are the exact reading, and they cost what a
//! whole admission decision does. A review that reads without error (every review the API server
//! sends) is first read in one pass instead, holding the object's `spec` as raw JSON and then
//! reading the kind's path in it; only a review that fails there is read the exact way, which
//! says where it fails. The one pass is stricter (its types declare `apiVersion` and `spec`,
//! which the exact reading skips), never looser, and where both succeed they agree: a property
//! test below holds them equal on arbitrary reviews.
//!
//! Images come in the order initContainers, containers, ephemeralContainers, and a reference that
//! repeats once normalised is one image, at its first occurrence (docs/output.md#admission-review).

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

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
    /// The review's `apiVersion`, which the answer echoes: `None` when it is absent or not a
    /// string, or when the top-level `apiVersion` and `kind` cannot be read as strings.
    pub api_version: Option<String>,
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
    request: Option<RequestHead<ObjectHead>>,
}

/// `request` with the object `O`: its head, or its head and raw spec.
#[derive(Deserialize)]
#[serde(default, expecting = "an AdmissionReview request object")]
struct RequestHead<O> {
    uid: Option<String>,
    operation: Option<String>,
    kind: Option<GroupVersionKind>,
    namespace: Option<String>,
    name: Option<String>,
    object: Option<O>,
}

impl<O> Default for RequestHead<O> {
    fn default() -> Self {
        RequestHead {
            uid: None,
            operation: None,
            kind: None,
            namespace: None,
            name: None,
            object: None,
        }
    }
}

impl<O> RequestHead<O> {
    /// The same request with its object's kind and metadata only.
    fn object_head(self, head: impl FnOnce(O) -> ObjectHead) -> RequestHead<ObjectHead> {
        RequestHead {
            uid: self.uid,
            operation: self.operation,
            kind: self.kind,
            namespace: self.namespace,
            name: self.name,
            object: self.object.map(head),
        }
    }
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

/// The envelope fields of an `AdmissionReview`, which an answer echoes, read leniently: a
/// document where either is not a string reads as neither.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Envelope {
    /// `admission.k8s.io/v1` (or `v1beta1`, whose request has the same shape).
    pub api_version: Option<String>,
    /// `AdmissionReview`.
    pub kind: Option<String>,
}

// ---- One pass: the head, the envelope and the object's spec as raw JSON. -----------------------

#[derive(Deserialize)]
struct OnePass<'a> {
    #[serde(default, rename = "apiVersion")]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, borrow)]
    request: Option<RequestHead<ObjectWithSpec<'a>>>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
struct ObjectWithSpec<'a> {
    kind: Option<String>,
    metadata: Option<Metadata>,
    #[serde(borrow)]
    spec: Option<&'a RawValue>,
}

// ---- Second pass: the pod spec at the depth the kind puts it. ----------------------------------

/// The document, read for the spec `S` at `request.object.spec` alone.
#[derive(Deserialize)]
#[serde(expecting = "an AdmissionReview object")]
struct SpecAt<S> {
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
    let document: SpecAt<S> = read(bytes)?;
    let spec = document
        .request
        .and_then(|request| request.object)
        .and_then(|object| object.spec);
    Ok(images_of(spec))
}

/// The images of a kind's spec, read from its raw JSON; `None` when it does not read.
fn images_in<S: HoldsPodSpec>(spec: Option<&RawValue>) -> Option<Vec<ImageInput>> {
    match spec {
        Some(raw) => serde_json::from_str::<S>(raw.get()).ok().map(Some),
        None => Some(None),
    }
    .map(images_of)
}

/// The unique images of a kind's spec, in the documented order.
fn images_of<S: HoldsPodSpec>(spec: Option<S>) -> Vec<ImageInput> {
    let mut images = Vec::new();
    let mut seen = HashSet::new();
    let pod = spec.and_then(HoldsPodSpec::into_pod_spec);
    for reference in pod.into_iter().flat_map(PodSpec::references) {
        push_unique(&mut images, &mut seen, reference);
    }
    images
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
    match one_pass(bytes, opts) {
        Some(review) => Ok(review),
        None => exact(bytes, opts),
    }
}

/// The review in one pass, or `None` when anything about it does not read (then [`exact`]
/// says what).
fn one_pass(bytes: &[u8], opts: &ReviewOptions) -> Option<Review> {
    let head: OnePass = serde_json::from_slice(bytes).ok()?;
    let mut spec = None;
    let request = head.request.map(|request| {
        request.object_head(|object| {
            spec = object.spec;
            ObjectHead {
                kind: object.kind,
                metadata: object.metadata,
            }
        })
    });
    let images = |kind: &str| match kind {
        "Pod" => images_in::<PodSpec>(spec),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" => {
            images_in::<TemplateHolder>(spec)
        }
        "CronJob" => images_in::<CronJobSpec>(spec),
        _ => Some(Vec::new()),
    };
    // The error is never shown: the exact reading finds and says it.
    let unread = || InputError::at(".", "the spec does not read in one pass");
    let mut review = assemble(head.kind, request, opts, |kind| {
        images(kind).ok_or_else(unread)
    })
    .ok()?;
    review.api_version = head.api_version;
    Some(review)
}

/// The review read the exact way: a head, then the kind's path, with the JSON path tracked.
fn exact(bytes: &[u8], opts: &ReviewOptions) -> Result<Review, InputError> {
    let head: Head = read(bytes)?;
    let mut review = assemble(head.kind, head.request, opts, |kind| match kind {
        "Pod" => images_at::<PodSpec>(bytes),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job" => {
            images_at::<TemplateHolder>(bytes)
        }
        "CronJob" => images_at::<CronJobSpec>(bytes),
        _ => Ok(Vec::new()),
    })?;
    review.api_version = serde_json::from_slice::<Envelope>(bytes)
        .unwrap_or_default()
        .api_version;
    Ok(review)
}

/// The review of a head: its kind checked, its asset, and the images `images` reads for the
/// object's kind (a DELETE, or a request without an object, has none).
fn assemble(
    kind: Option<String>,
    request: Option<RequestHead<ObjectHead>>,
    opts: &ReviewOptions,
    images: impl FnOnce(&str) -> Result<Vec<ImageInput>, InputError>,
) -> Result<Review, InputError> {
    if let Some(kind) = kind.as_deref()
        && kind != "AdmissionReview"
    {
        return Err(InputError::at(
            "kind",
            format!("expected an `AdmissionReview`, found kind `{kind}`"),
        ));
    }
    let Some(request) = request else {
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
        images(&kind)?
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
        api_version: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn opts() -> ReviewOptions {
        ReviewOptions {
            cluster: "prod-eu-1".into(),
            cloud: "aws".into(),
        }
    }

    /// The kubectl-made reviews of the tests' fixtures.
    fn fixtures() -> Vec<(&'static str, &'static [u8])> {
        macro_rules! fixture {
            ($name:literal) => {
                (
                    $name,
                    include_bytes!(concat!("../../tests/fixtures/kubernetes/", $name)).as_slice(),
                )
            };
        }
        vec![
            fixture!("review-configmap-create.json"),
            fixture!("review-cronjob-create.json"),
            fixture!("review-deployment-create.json"),
            fixture!("review-deployment-delete.json"),
            fixture!("review-job-create.json"),
            fixture!("review-pod-create.json"),
            fixture!("review-pod-generatename.json"),
        ]
    }

    #[test]
    fn the_reviews_kubectl_makes_are_read_in_one_pass() {
        for (name, bytes) in fixtures() {
            let one = one_pass(bytes, &opts()).unwrap_or_else(|| panic!("{name}: not in one pass"));
            let exact = exact(bytes, &opts()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(format!("{one:?}"), format!("{exact:?}"), "{name}");
            assert_eq!(one.api_version.as_deref(), Some("admission.k8s.io/v1"));
        }
    }

    #[test]
    fn what_one_pass_cannot_read_is_read_the_exact_way() {
        // A bad reference: the exact reading says where.
        let review = json!({"kind": "AdmissionReview", "request": {"uid": "u", "object": {
            "kind": "Pod", "spec": {"containers": [{"image": "nginx:@@bad"}]}}}});
        let bytes = review.to_string().into_bytes();
        assert!(one_pass(&bytes, &opts()).is_none());
        let error = parse_admission_review(&bytes, &opts())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("request.object.spec.containers[0].image"),
            "{error}"
        );
        // An `apiVersion` that is not a string is no `apiVersion`, and the review still reads.
        let review = json!({"apiVersion": 1, "request": {"uid": "u"}});
        let bytes = review.to_string().into_bytes();
        assert!(
            one_pass(&bytes, &opts()).is_none(),
            "{:?}",
            one_pass(&bytes, &opts())
        );
        let read = parse_admission_review(&bytes, &opts()).unwrap();
        assert_eq!((read.uid.as_str(), read.api_version), ("u", None));
    }

    fn text() -> impl Strategy<Value = Value> {
        prop_oneof![
            1 => Just(Value::Null),
            1 => Just(json!("")),
            1 => Just(json!(7)),
            12 => "[a-z]{1,3}".prop_map(Value::from),
        ]
    }

    fn image() -> impl Strategy<Value = Value> {
        prop_oneof![
            8 => Just(json!("nginx:1.27")),
            8 => Just(json!("registry.company.com/team/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
            8 => Just(json!("docker.io/library/nginx:1.27")),
            1 => Just(json!("UPPER/case")),
            1 => Just(json!("nginx:@@bad")),
            1 => Just(json!("")),
            1 => Just(Value::Null),
            1 => Just(json!(3)),
        ]
    }

    fn containers() -> impl Strategy<Value = Value> {
        prop_oneof![
            4 => prop::collection::vec(
                prop_oneof![
                    12 => image().prop_map(|image| json!({"name": "c", "image": image})),
                    1 => Just(json!({"name": "no-image"})),
                    1 => Just(json!("not a container")),
                ],
                0..4,
            )
            .prop_map(Value::from),
            1 => text(),
        ]
    }

    fn pod_spec() -> impl Strategy<Value = Value> {
        (containers(), containers(), any::<bool>()).prop_map(|(init, main, both)| {
            if both {
                json!({"initContainers": init, "containers": main, "nodeName": "n"})
            } else {
                json!({"containers": main})
            }
        })
    }

    /// Specs of every shape, at the depths each kind reads and the ones it does not.
    fn spec() -> impl Strategy<Value = Value> {
        prop_oneof![
            pod_spec(),
            pod_spec().prop_map(|pod| json!({"template": {"spec": pod}})),
            pod_spec()
                .prop_map(|pod| json!({"jobTemplate": {"spec": {"template": {"spec": pod}}}})),
            pod_spec().prop_map(|pod| json!({"template": pod})),
            text(),
        ]
    }

    fn object() -> impl Strategy<Value = Value> {
        let kind = prop_oneof![
            Just(json!("Pod")),
            Just(json!("Deployment")),
            Just(json!("Job")),
            Just(json!("CronJob")),
            Just(json!("ConfigMap")),
            text(),
        ];
        let labels = prop_oneof![
            6 => Just(json!({"app": "web", "team": "a"})),
            1 => Just(Value::Null),
            1 => Just(json!({"app": 1})),
        ];
        (kind, text(), text(), text(), labels, spec(), 0..8u8).prop_map(
            |(kind, name, namespace, generate, labels, spec, omit)| {
                let mut object = json!({
                    "kind": kind,
                    "metadata": {"name": name, "namespace": namespace,
                                 "generateName": generate, "labels": labels},
                    "spec": spec,
                });
                match omit {
                    0 => object["metadata"] = Value::Null,
                    1 => object["spec"] = Value::Null,
                    _ => {}
                }
                object
            },
        )
    }

    fn review() -> impl Strategy<Value = Value> {
        let kind = prop_oneof![4 => Just(json!("AdmissionReview")), 1 => text()];
        let api_version = prop_oneof![4 => Just(json!("admission.k8s.io/v1")), 1 => text()];
        let operation = prop_oneof![Just(json!("CREATE")), Just(json!("DELETE")), text()];
        let object = prop_oneof![8 => object(), 1 => text()];
        (
            api_version,
            kind,
            text(),
            operation,
            text(),
            text(),
            object,
            0..10u8,
        )
            .prop_map(
                |(api_version, kind, uid, operation, namespace, name, object, omit)| {
                    let mut review = json!({
                        "apiVersion": api_version,
                        "kind": kind,
                        "request": {
                            "uid": uid, "operation": operation,
                            "kind": {"group": "", "version": "v1", "kind": "Pod"},
                            "namespace": namespace, "name": name, "object": object,
                        },
                    });
                    if let Some(map) = review.as_object_mut() {
                        match omit {
                            0 => {
                                map.remove("apiVersion");
                            }
                            1 => {
                                map.remove("kind");
                            }
                            2 => {
                                map.insert("request".into(), Value::Null);
                            }
                            _ => {}
                        }
                    }
                    review
                },
            )
    }

    /// The review's text, sometimes with a key written twice or the text cut short.
    fn review_text() -> impl Strategy<Value = String> {
        (review(), 0..12u8, any::<prop::sample::Index>()).prop_map(|(review, edit, at)| {
            let text = review.to_string();
            match edit {
                0 => text.replacen(
                    "{\"apiVersion\":",
                    "{\"apiVersion\":\"v\",\"apiVersion\":",
                    1,
                ),
                1 => text.replacen("\"spec\":", "\"spec\":null,\"spec\":", 1),
                2 => text.replacen("\"kind\":", "\"kind\":\"Pod\",\"kind\":", 1),
                3 => {
                    let cut = at.index(text.len());
                    text.get(..cut).unwrap_or_default().to_owned()
                }
                _ => text,
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn one_pass_reads_what_the_exact_reading_reads(text in review_text()) {
            let bytes = text.as_bytes();
            if let Some(one) = one_pass(bytes, &opts()) {
                let exact = exact(bytes, &opts());
                prop_assert!(exact.is_ok(), "one pass read what the exact way refuses: {exact:?}");
                prop_assert_eq!(format!("{one:?}"), format!("{:?}", exact.ok().unwrap_or_else(|| unreachable!())));
            }
        }
    }
}
