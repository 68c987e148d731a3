//! Pinning (docs/serve.md#pinning): the `/mutate` answer, which replaces each container's
//! tagged image with the same string and `@DIGEST`, the digest its tag resolved to in time.
//!
//! It never denies and evaluates no policy: `/validate` then judges the pinned reference. The
//! pod spec is `/spec` of a Pod, `/spec/template/spec` of a workload and
//! `/spec/jobTemplate/spec/template/spec` of a CronJob; templates are pinned only with `--pin
//! all` (pinning them makes GitOps tools report drift). On UPDATE only images that differ from
//! `oldObject` are pinned, and an image that already has a digest is kept, so with
//! `reinvocationPolicy: IfNeeded` a second pass patches nothing.

use base64::Engine as _;
use bona_runtime::reference::Reference;
use serde_json::{Value, json};

use crate::admission::ReviewError;
use crate::response::{Envelope, ReviewResponse};

/// `--pin`: what `/mutate` pins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pin {
    /// Pods only.
    #[default]
    Pods,
    /// Pods, workload templates and CronJob templates.
    All,
}

/// One container image that may be pinned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The JSON Pointer of its `image`.
    pub path: String,
    /// The image as written.
    pub written: String,
    /// It, parsed: what the registry is asked about.
    pub reference: Reference,
}

impl Slot {
    /// The pinned string: as written, `:latest` when it names no tag, then `@digest`.
    pub fn pinned(&self, digest: &str) -> String {
        let last = self.written.rsplit('/').next().unwrap_or_default();
        let tag = if last.contains(':') { "" } else { ":latest" };
        format!("{}{tag}@{digest}", self.written)
    }
}

/// A review to pin.
#[derive(Clone, Debug)]
pub struct MutateRequest {
    envelope: Envelope,
    uid: String,
    /// The images to resolve, in the object's order.
    pub slots: Vec<Slot>,
}

/// Reads a review for `/mutate`.
///
/// # Errors
/// Not an AdmissionReview with a `request.uid`.
pub fn read(body: &[u8], pin: Pin) -> Result<MutateRequest, ReviewError> {
    let review: Value =
        serde_json::from_slice(body).map_err(|e| ReviewError::Malformed(e.to_string()))?;
    let envelope: Envelope = serde_json::from_value(review.clone()).unwrap_or_default();
    let request = review
        .get("request")
        .ok_or_else(|| ReviewError::Malformed("no `request`".into()))?;
    let uid = request
        .get("uid")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or(ReviewError::MissingUid)?
        .to_owned();
    let kind = request
        .pointer("/kind/kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let spec = match (kind, pin) {
        ("Pod", _) => Some("/spec"),
        ("Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" | "Job", Pin::All) => {
            Some("/spec/template/spec")
        }
        ("CronJob", Pin::All) => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    };
    let operation = request.get("operation").and_then(Value::as_str);
    let deleting = operation == Some("DELETE");
    let old = (operation == Some("UPDATE"))
        .then(|| request.get("oldObject"))
        .flatten();
    let mut slots = Vec::new();
    if let (Some(spec), Some(object), false) = (spec, request.get("object"), deleting) {
        for field in ["initContainers", "containers", "ephemeralContainers"] {
            let pointer = format!("{spec}/{field}");
            let containers = object
                .pointer(&pointer)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for (n, container) in containers.iter().enumerate() {
                let Some(written) = container.get("image").and_then(Value::as_str) else {
                    continue;
                };
                let path = format!("{pointer}/{n}/image");
                let unchanged = old
                    .and_then(|o| o.pointer(&path))
                    .and_then(Value::as_str)
                    .is_some_and(|o| o == written);
                // A reference that does not parse is /validate's to refuse.
                let Ok(reference) = Reference::parse(written) else {
                    continue;
                };
                if unchanged || reference.digest().is_some() {
                    continue;
                }
                slots.push(Slot {
                    path,
                    written: written.to_owned(),
                    reference,
                });
            }
        }
    }
    Ok(MutateRequest {
        envelope,
        uid,
        slots,
    })
}

impl MutateRequest {
    /// The answer, given each slot's digest (`None`: not resolved in time, left as it is).
    pub fn answer(&self, digests: &[Option<String>]) -> ReviewResponse {
        let patch: Vec<Value> = self
            .slots
            .iter()
            .zip(digests)
            .filter_map(|(slot, digest)| {
                let digest = digest.as_deref()?;
                Some(json!({"op": "replace", "path": slot.path, "value": slot.pinned(digest)}))
            })
            .collect();
        let encoded = (!patch.is_empty()).then(|| {
            base64::engine::general_purpose::STANDARD.encode(Value::Array(patch).to_string())
        });
        ReviewResponse::patched(
            self.envelope.api_version.as_deref(),
            self.uid.clone(),
            encoded,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    fn review(kind: &str, operation: &str, object: &Value, old: Option<&Value>) -> Vec<u8> {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
               "request": {"uid": "u1", "operation": operation, "kind": {"kind": kind},
                           "object": object, "oldObject": old}})
        .to_string()
        .into_bytes()
    }

    fn pod(images: &[&str]) -> Value {
        let containers: Vec<Value> = images
            .iter()
            .enumerate()
            .map(|(i, image)| json!({"name": format!("c{i}"), "image": image}))
            .collect();
        json!({"spec": {"containers": containers, "initContainers": [{"name": "init", "image": "busybox"}]}})
    }

    fn patch_of(answer: &ReviewResponse) -> Value {
        let encoded = answer.response.patch.as_deref().unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_default();
        serde_json::from_slice(&bytes).unwrap_or(Value::Null)
    }

    #[test]
    fn a_pod_is_pinned_as_written() {
        let body = review(
            "Pod",
            "CREATE",
            &pod(&["nginx", "localhost:5000/app:1", &format!("redis@{D}")]),
            None,
        );
        let request = read(&body, Pin::Pods).unwrap_or_else(|e| panic!("{e:?}"));
        let paths: Vec<&str> = request.slots.iter().map(|s| s.path.as_str()).collect();
        // The pinned one is left out: its digest is kept.
        assert_eq!(
            paths,
            [
                "/spec/initContainers/0/image",
                "/spec/containers/0/image",
                "/spec/containers/1/image"
            ]
        );
        let answer = request.answer(&[Some(D.into()), Some(D.into()), None]);
        assert!(answer.response.allowed);
        assert_eq!(answer.response.patch_type, Some("JSONPatch"));
        assert_eq!(
            patch_of(&answer),
            json!([
                {"op": "replace", "path": "/spec/initContainers/0/image", "value": format!("busybox:latest@{D}")},
                {"op": "replace", "path": "/spec/containers/0/image", "value": format!("nginx:latest@{D}")},
            ])
        );
        // Nothing resolved: allowed, no patch.
        let answer = request.answer(&[None, None, None]);
        assert!(answer.response.allowed && answer.response.patch.is_none());
    }

    #[test]
    fn templates_are_pinned_only_with_pin_all() {
        let deployment = json!({"spec": {"template": pod(&["nginx:1.27"])}});
        let body = review("Deployment", "CREATE", &deployment, None);
        assert!(
            read(&body, Pin::Pods)
                .map(|r| r.slots)
                .unwrap_or_default()
                .is_empty()
        );
        let slots = read(&body, Pin::All).map(|r| r.slots).unwrap_or_default();
        assert_eq!(slots[1].path, "/spec/template/spec/containers/0/image");
        let cron = json!({"spec": {"jobTemplate": {"spec": {"template": pod(&["nginx:1.27"])}}}});
        let body = review("CronJob", "CREATE", &cron, None);
        let slots = read(&body, Pin::All).map(|r| r.slots).unwrap_or_default();
        assert_eq!(
            slots[1].path,
            "/spec/jobTemplate/spec/template/spec/containers/0/image"
        );
    }

    #[test]
    fn an_update_pins_only_what_changed_and_a_second_pass_nothing() {
        let old = pod(&["nginx:1.27", "redis:7"]);
        let new = pod(&["nginx:1.27", "redis:8"]);
        let body = review("Pod", "UPDATE", &new, Some(&old));
        let slots = read(&body, Pin::Pods).map(|r| r.slots).unwrap_or_default();
        let paths: Vec<&str> = slots.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, ["/spec/containers/1/image"]);
        // Reinvoked on its own output: every image has a digest now.
        let pinned = pod(&[&format!("nginx:1.27@{D}"), &format!("redis:8@{D}")]);
        let mut pinned = pinned;
        pinned["spec"]["initContainers"][0]["image"] = json!(format!("busybox:latest@{D}"));
        let body = review("Pod", "CREATE", &pinned, None);
        assert!(
            read(&body, Pin::Pods)
                .map(|r| r.slots)
                .unwrap_or_default()
                .is_empty()
        );
    }

    #[test]
    fn bodies_without_a_uid_are_errors_and_deletes_are_left_alone() {
        assert_eq!(
            read(b"{}", Pin::Pods).err(),
            Some(ReviewError::Malformed("no `request`".into()))
        );
        let body = br#"{"request": {"kind": {"kind": "Pod"}}}"#;
        assert_eq!(read(body, Pin::Pods).err(), Some(ReviewError::MissingUid));
        let body = review("Pod", "DELETE", &pod(&["nginx"]), None);
        assert!(
            read(&body, Pin::Pods)
                .map(|r| r.slots)
                .unwrap_or_default()
                .is_empty()
        );
    }
}
