//! The AdmissionReview v1 answer to one decision: what the API server and `kubectl` show.
//!
//! Kubernetes puts `status.message` of a denial after `admission webhook "NAME" denied the
//! request: ` and prints every `warnings` entry as `Warning: …` to the user of `kubectl`, so both
//! are written for a person at a terminal: one short sentence per image naming the reference,
//! the policy and the first reason. The API server truncates long warnings (over 256 characters
//! each, 4 KiB in all), so they are kept short here rather than cut mid-word there.
//!
//! `auditAnnotations` (recorded in the cluster's audit log under the webhook's name) carry the
//! decision and, when it fits, the whole docs/output.md#bona-eval decision document: the same JSON that
//! `bona eval --admission-review … --format json` prints, compacted. Every value is bounded, so
//! a pod with 50,000 images does not write megabytes into every audit event: the list of
//! untrusted images stops at [`UNTRUSTED_MAX`] and says how many it left out, and a decision
//! document over [`DETAILS_MAX`] is replaced by `details-omitted`, a note giving its size.

use std::collections::BTreeMap;

use bona_runtime::ir::Action;
use bona_runtime::output::{Decision, DecisionKind, ImageDecision};
use serde::{Deserialize, Serialize};

/// The AdmissionReview `apiVersion` answered when the request gives none.
pub const DEFAULT_API_VERSION: &str = "admission.k8s.io/v1";

/// Warnings longer than this are shortened (the API server's own limit is 256).
const WARNING_MAX: usize = 240;
/// At most this many warnings; the rest are counted in one last warning.
const WARNINGS_MAX: usize = 8;
/// A denial message longer than this stops listing images.
const MESSAGE_MAX: usize = 1024;
/// The decision document goes into `auditAnnotations` only up to this size.
pub const DETAILS_MAX: usize = 16 * 1024;
/// The `untrusted-images` annotation lists images up to about this size.
pub const UNTRUSTED_MAX: usize = 4 * 1024;

/// The envelope fields of a request that the answer echoes, read leniently.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Envelope {
    /// `admission.k8s.io/v1` (or `v1beta1`, whose request has the same shape).
    pub api_version: Option<String>,
    /// `AdmissionReview`.
    pub kind: Option<String>,
}

/// `AdmissionReview` with a `response`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewResponse {
    pub api_version: String,
    pub kind: &'static str,
    pub response: Response,
}

/// `AdmissionReview.response`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    /// The request's `uid`, which the API server matches.
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<&'static str, String>,
    /// `JSONPatch`, with [`Response::patch`] (a mutating webhook's answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
    /// The JSON Patch, base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
}

/// A `metav1.Status` for a denial.
#[derive(Debug, Serialize)]
pub struct Status {
    pub status: &'static str,
    pub reason: &'static str,
    pub code: u16,
    pub message: String,
}

impl ReviewResponse {
    /// The answer to a request decided by the engine.
    pub fn decided(envelope: &Envelope, uid: String, decision: &Decision) -> ReviewResponse {
        let prevented = decision.decision == DecisionKind::Prevent;
        let mut annotations = BTreeMap::new();
        annotations.insert("decision", decision.decision.as_str().to_owned());
        let untrusted: Vec<&str> = decision
            .images
            .iter()
            .filter(|image| !image.verdict.is_trusted())
            .map(|image| image.reference.as_str())
            .collect();
        if !untrusted.is_empty() {
            annotations.insert("untrusted-images", image_list(&untrusted));
        }
        if let Ok(details) = serde_json::to_string(decision) {
            if details.len() <= DETAILS_MAX {
                annotations.insert("details", details);
            } else {
                annotations.insert(
                    "details-omitted",
                    format!(
                        "the decision document ({} bytes, {} images) is over the {} KiB cap of \
                         this annotation; `bona eval --admission-review` on the object prints it",
                        details.len(),
                        decision.images.len(),
                        DETAILS_MAX >> 10
                    ),
                );
            }
        }
        let response = Response {
            uid,
            allowed: !prevented,
            status: prevented.then(|| Status {
                status: "Failure",
                reason: "Forbidden",
                code: 403,
                message: denial_message(decision),
            }),
            warnings: if prevented {
                Vec::new()
            } else {
                warnings(decision)
            },
            audit_annotations: annotations,
            patch_type: None,
            patch: None,
        };
        ReviewResponse::wrap(envelope, response)
    }

    /// A refusal of a request Bona could not read (an image that is not a valid reference):
    /// answered, with code 400, so the API server shows the reason instead of a webhook error.
    pub fn unreadable(envelope: &Envelope, uid: String, message: String) -> ReviewResponse {
        let response = Response {
            uid,
            allowed: false,
            status: Some(Status {
                status: "Failure",
                reason: "BadRequest",
                code: 400,
                message,
            }),
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
            patch_type: None,
            patch: None,
        };
        ReviewResponse::wrap(envelope, response)
    }

    /// A mutating webhook's answer: always allowed, with `patch` (base64 of a JSON Patch)
    /// when there is one.
    pub fn patched(envelope: &Envelope, uid: String, patch: Option<String>) -> ReviewResponse {
        let response = Response {
            uid,
            allowed: true,
            status: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
            patch_type: patch.as_ref().map(|_| "JSONPatch"),
            patch,
        };
        ReviewResponse::wrap(envelope, response)
    }

    fn wrap(envelope: &Envelope, response: Response) -> ReviewResponse {
        ReviewResponse {
            api_version: envelope
                .api_version
                .clone()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned()),
            kind: "AdmissionReview",
            response,
        }
    }
}

/// `a, b, c`, cut after about [`UNTRUSTED_MAX`] bytes: `a, b and 49998 more (list cut at
/// 4 KiB)`.
fn image_list(images: &[&str]) -> String {
    let mut out = String::new();
    for (n, image) in images.iter().enumerate() {
        let separator = if n == 0 { "" } else { ", " };
        if n > 0 && out.len() + separator.len() + image.len() > UNTRUSTED_MAX {
            let rest = images.len() - n;
            out.push_str(&format!(
                " and {rest} more (list cut at {} KiB)",
                UNTRUSTED_MAX >> 10
            ));
            break;
        }
        out.push_str(separator);
        // A single reference longer than the cap (a client can send any string) is cut too.
        out.push_str(&shorten((*image).to_owned(), UNTRUSTED_MAX));
    }
    out
}

/// `"production images"`, or `"a", "b"` for several.
fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("\"{name}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `image REF is not trusted by policy "P" (first reason)`, naming the policies with `action`
/// (every applicable policy when `action` is `None`).
fn image_sentence(image: &ImageDecision, action: Option<Action>) -> String {
    let policies: Vec<_> = image
        .policies
        .iter()
        .filter(|p| action.is_none_or(|a| p.action == a) && !p.resolved.is_trusted())
        .collect();
    let names: Vec<&str> = policies.iter().map(|p| p.policy.as_str()).collect();
    let reason = policies.iter().find_map(|p| p.reasons.first());
    let noun = if names.len() == 1 {
        "policy"
    } else {
        "policies"
    };
    let mut text = format!(
        "image {} is not trusted by {noun} {}",
        image.reference,
        quoted(&names)
    );
    if let Some(reason) = reason {
        text.push_str(&format!(" ({reason})"));
    }
    text
}

/// `status.message` of a denial: one sentence per prevented image, cut after about 1 KiB.
pub fn denial_message(decision: &Decision) -> String {
    let prevented: Vec<_> = decision.images.iter().filter(|i| i.prevented).collect();
    let mut message = String::new();
    for (n, image) in prevented.iter().enumerate() {
        let sentence = image_sentence(image, Some(Action::Prevent));
        if n > 0 && message.len() + sentence.len() > MESSAGE_MAX {
            let rest = prevented.len() - n;
            let noun = if rest == 1 { "image" } else { "images" };
            message.push_str(&format!("; and {rest} more untrusted {noun}"));
            break;
        }
        if n > 0 {
            message.push_str("; ");
        }
        message.push_str(&sentence);
    }
    message
}

/// One warning per untrusted image that is allowed (an `issue` policy reports it).
pub fn warnings(decision: &Decision) -> Vec<String> {
    let untrusted: Vec<_> = decision
        .images
        .iter()
        .filter(|i| !i.verdict.is_trusted() && !i.prevented)
        .collect();
    let mut out = Vec::new();
    for (n, image) in untrusted.iter().enumerate() {
        if n == WARNINGS_MAX - 1 && untrusted.len() > WARNINGS_MAX {
            out.push(format!(
                "and {} more untrusted images allowed",
                untrusted.len() - n
            ));
            break;
        }
        out.push(shorten(image_sentence(image, None), WARNING_MAX));
    }
    out
}

/// Cuts `text` to at most `max` bytes on a character boundary, ending with `…`.
fn shorten(mut text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text.push('…');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use bona_runtime::output::{PolicyOutcome, PolicyResult, Verdict};

    fn image(reference: &str, prevented: bool, policy: &str, action: Action) -> ImageDecision {
        ImageDecision {
            reference: reference.to_owned(),
            verdict: Verdict::Untrusted,
            prevented,
            policies: vec![PolicyOutcome {
                policy: policy.to_owned(),
                action,
                result: PolicyResult::Untrusted,
                resolved: Verdict::Untrusted,
                reasons: vec!["registry is `docker.io`".to_owned()],
            }],
        }
    }

    #[test]
    fn denial_names_image_policy_and_reason() {
        let decision = Decision {
            decision: DecisionKind::Prevent,
            images: vec![image(
                "docker.io/library/redis:7.2",
                true,
                "prod",
                Action::Prevent,
            )],
            issues: Vec::new(),
        };
        assert_eq!(
            denial_message(&decision),
            "image docker.io/library/redis:7.2 is not trusted by policy \"prod\" (registry is `docker.io`)"
        );
    }

    #[test]
    fn long_denials_and_many_warnings_are_bounded() {
        let many = |prevented, action| Decision {
            decision: if prevented {
                DecisionKind::Prevent
            } else {
                DecisionKind::Allow
            },
            images: (0..100)
                .map(|n| {
                    image(
                        &format!("docker.io/library/app{n}:1"),
                        prevented,
                        "p",
                        action,
                    )
                })
                .collect(),
            issues: Vec::new(),
        };
        let message = denial_message(&many(true, Action::Prevent));
        assert!(message.len() < MESSAGE_MAX + 200, "{message}");
        assert!(message.ends_with("more untrusted images"), "{message}");
        let warnings = warnings(&many(false, Action::Issue));
        assert_eq!(warnings.len(), WARNINGS_MAX);
        assert_eq!(
            warnings[WARNINGS_MAX - 1],
            "and 93 more untrusted images allowed"
        );
    }

    #[test]
    fn annotations_are_capped_with_a_note() {
        let decision = Decision {
            decision: DecisionKind::Allow,
            images: (0..5000)
                .map(|n| {
                    image(
                        &format!("docker.io/library/app{n}:1"),
                        false,
                        "p",
                        Action::Issue,
                    )
                })
                .collect(),
            issues: Vec::new(),
        };
        let answer = ReviewResponse::decided(&Envelope::default(), "u".into(), &decision);
        let annotations = &answer.response.audit_annotations;
        let list = &annotations["untrusted-images"];
        assert!(list.len() <= UNTRUSTED_MAX + 64, "{}", list.len());
        assert!(
            list.ends_with(" more (list cut at 4 KiB)"),
            "{}",
            &list[list.len() - 60..]
        );
        assert!(!annotations.contains_key("details"));
        assert!(
            annotations["details-omitted"].contains("5000 images) is over the 16 KiB cap"),
            "{}",
            annotations["details-omitted"]
        );
        for value in annotations.values() {
            assert!(value.len() <= UNTRUSTED_MAX + 64);
        }
    }

    #[test]
    fn shorten_keeps_char_boundaries() {
        let text = "é".repeat(200);
        let short = shorten(text, 241);
        assert!(short.len() <= 241 && short.ends_with('…'));
    }
}
