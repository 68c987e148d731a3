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
//!
//! The answer is gathered image by image ([`Answer`]): a workload judged by 10,000 applicable
//! policies has megabytes of reasons, which are summarised as they go by and never held. The
//! denial names every prevented image; for each it names at most [`POLICIES_NAMED`] policies.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bona_runtime::ir::Action;
use bona_runtime::output::{Decision, DecisionKind, ImageDecision, PolicyOutcome};
use serde::Serialize;

/// The AdmissionReview `apiVersion` answered when the request gives none.
pub const DEFAULT_API_VERSION: &str = "admission.k8s.io/v1";

/// Warnings longer than this are shortened (the API server's own limit is 256).
const WARNING_MAX: usize = 240;
/// At most this many warnings; the rest are counted in one last warning.
const WARNINGS_MAX: usize = 8;
/// A denial message longer than this names the remaining prevented images without reasons.
const MESSAGE_MAX: usize = 1024;
/// A sentence names at most this many policies, then counts the rest.
pub const POLICIES_NAMED: usize = 3;
/// The decision document goes into `auditAnnotations` only up to this size.
pub const DETAILS_MAX: usize = 16 * 1024;
/// The room the denial's sentences start with: two or three of them.
const SENTENCES_START: usize = 384;
/// What [`Details`] holds room for at first.
const DETAILS_START: usize = 2 * 1024;
/// The `untrusted-images` annotation lists images up to about this size.
pub const UNTRUSTED_MAX: usize = 4 * 1024;

pub use bona_runtime::input::Envelope;

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
    /// The answer to a request decided by the engine, from the whole decision (see [`Answer`]
    /// for the same answer gathered image by image).
    pub fn decided(api_version: Option<&str>, uid: String, decision: &Decision) -> ReviewResponse {
        let mut answer = Answer::new(decision.decision);
        decision.images.iter().for_each(|image| answer.image(image));
        let mut details = Details::new();
        if serde_json::to_writer(&mut details, decision).is_err() {
            details = Details::new();
        }
        answer.finish(api_version, uid, details)
    }

    /// The answer's JSON, written into a buffer sized for it up front: an answer carries the
    /// decision document escaped into an annotation, and growing the buffer to that size a
    /// doubling at a time was a tenth of the allocations of an admission.
    ///
    /// # Errors
    /// Those of `serde_json` (none for these types in practice).
    pub fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        let r = &self.response;
        // Escaping adds about one byte in five to the decision document (its quotes).
        let annotations: usize = r
            .audit_annotations
            .values()
            .map(|v| v.len() + v.len() / 4)
            .sum();
        let estimate = 256
            + r.uid.len()
            + r.status.as_ref().map_or(0, |s| s.message.len())
            + r.warnings.iter().map(|w| w.len() + 4).sum::<usize>()
            + annotations
            + r.patch.as_ref().map_or(0, String::len);
        let mut out = Vec::with_capacity(estimate);
        serde_json::to_writer(&mut out, self)?;
        Ok(out)
    }

    /// A refusal of a request Bona could not read (an image that is not a valid reference):
    /// answered, with code 400, so the API server shows the reason instead of a webhook error.
    pub fn unreadable(api_version: Option<&str>, uid: String, message: String) -> ReviewResponse {
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
        ReviewResponse::wrap(api_version, response)
    }

    /// A mutating webhook's answer: always allowed, with `patch` (base64 of a JSON Patch)
    /// when there is one.
    pub fn patched(
        api_version: Option<&str>,
        uid: String,
        patch: Option<String>,
    ) -> ReviewResponse {
        let response = Response {
            uid,
            allowed: true,
            status: None,
            warnings: Vec::new(),
            audit_annotations: BTreeMap::new(),
            patch_type: patch.as_ref().map(|_| "JSONPatch"),
            patch,
        };
        ReviewResponse::wrap(api_version, response)
    }

    /// The review around `response`, with the request's `apiVersion` (else v1).
    fn wrap(api_version: Option<&str>, response: Response) -> ReviewResponse {
        ReviewResponse {
            api_version: api_version
                .filter(|v| !v.is_empty())
                .unwrap_or(DEFAULT_API_VERSION)
                .to_owned(),
            kind: "AdmissionReview",
            response,
        }
    }
}

/// The answer to one decision, gathered image by image in bounded memory: feed it every image's
/// entry in order ([`Answer::image`]) and the decision document ([`Details`]), then
/// [`Answer::finish`].
#[derive(Debug)]
pub struct Answer {
    decision: DecisionKind,
    /// The untrusted images listed so far, up to about [`UNTRUSTED_MAX`] bytes.
    untrusted: String,
    untrusted_listed: usize,
    untrusted_left: usize,
    /// The denial's sentences, up to about [`MESSAGE_MAX`] bytes.
    message: String,
    /// The prevented images after the message is full: named without reasons.
    also_prevented: Vec<String>,
    warnings: Vec<String>,
    warnings_left: usize,
    /// Images by outcome: trusted, untrusted and allowed, prevented.
    pub counts: Counts,
}

/// How many images of a decision had each outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Trusted.
    pub trusted: u64,
    /// Not trusted, allowed (an `issue` policy reports them).
    pub untrusted_allowed: u64,
    /// Prevented.
    pub blocked: u64,
}

impl Answer {
    /// An empty answer to a decision of kind `decision`.
    pub fn new(decision: DecisionKind) -> Answer {
        Answer {
            decision,
            untrusted: String::new(),
            untrusted_listed: 0,
            untrusted_left: 0,
            message: String::new(),
            also_prevented: Vec::new(),
            warnings: Vec::new(),
            warnings_left: 0,
            counts: Counts::default(),
        }
    }

    /// Takes the next image's entry into account.
    pub fn image(&mut self, image: &ImageDecision) {
        if image.verdict.is_trusted() {
            self.counts.trusted += 1;
            return;
        }
        self.note_untrusted(&image.reference);
        if image.prevented {
            self.counts.blocked += 1;
            if self.also_prevented.is_empty() {
                // The sentence is written in place and taken back when it does not fit.
                if self.message.capacity() == 0 {
                    self.message.reserve(SENTENCES_START);
                }
                let start = self.message.len();
                if start > 0 {
                    self.message.push_str("; ");
                }
                let body = self.message.len();
                write_image_sentence(&mut self.message, image, Some(Action::Prevent));
                if start == 0 || start + (self.message.len() - body) <= MESSAGE_MAX {
                    return;
                }
                self.message.truncate(start);
            }
            self.also_prevented
                .push(shorten(image.reference.clone(), WARNING_MAX));
        } else {
            self.counts.untrusted_allowed += 1;
            if self.warnings.len() < WARNINGS_MAX {
                let mut sentence = String::new();
                write_image_sentence(&mut sentence, image, None);
                self.warnings.push(shorten(sentence, WARNING_MAX));
            } else {
                self.warnings_left += 1;
            }
        }
    }

    /// `a, b, c`, cut after about [`UNTRUSTED_MAX`] bytes (the rest counted).
    fn note_untrusted(&mut self, reference: &str) {
        let separator = if self.untrusted_listed == 0 { "" } else { ", " };
        // A single reference longer than the cap (a client can send any string) is cut too.
        let (kept, cut) = match cut_at(reference, UNTRUSTED_MAX) {
            Some(end) => (reference.get(..end).unwrap_or_default(), "…"),
            None => (reference, ""),
        };
        if self.untrusted_left > 0
            || (self.untrusted_listed > 0
                && self.untrusted.len() + separator.len() + kept.len() + cut.len() > UNTRUSTED_MAX)
        {
            self.untrusted_left += 1;
            return;
        }
        if self.untrusted.capacity() == 0 {
            self.untrusted.reserve(SENTENCES_START / 2);
        }
        self.untrusted.push_str(separator);
        self.untrusted.push_str(kept);
        self.untrusted.push_str(cut);
        self.untrusted_listed += 1;
    }

    /// `status.message` of a denial: a sentence per prevented image while they fit in about
    /// [`MESSAGE_MAX`] bytes, then every other prevented image by reference.
    fn denial_message(mut message: String, also_prevented: &[String]) -> String {
        if !also_prevented.is_empty() {
            let noun = if also_prevented.len() == 1 {
                "image"
            } else {
                "images"
            };
            let _ = write!(
                message,
                "; and {} more untrusted {noun}: {}",
                also_prevented.len(),
                also_prevented.join(", ")
            );
        }
        message
    }

    /// The AdmissionReview answering request `uid` with what was gathered.
    pub fn finish(
        self,
        api_version: Option<&str>,
        uid: String,
        details: Details,
    ) -> ReviewResponse {
        let prevented = self.decision == DecisionKind::Prevent;
        let mut annotations = BTreeMap::new();
        annotations.insert("decision", self.decision.as_str().to_owned());
        if self.untrusted_listed > 0 {
            let mut list = self.untrusted;
            if self.untrusted_left > 0 {
                let _ = write!(
                    list,
                    " and {} more (list cut at {} KiB)",
                    self.untrusted_left,
                    UNTRUSTED_MAX >> 10
                );
            }
            annotations.insert("untrusted-images", list);
        }
        let images = self.counts.trusted + self.counts.untrusted_allowed + self.counts.blocked;
        match details.into_text() {
            Ok(text) => {
                annotations.insert("details", text);
            }
            Err(size) => {
                annotations.insert(
                    "details-omitted",
                    format!(
                        "the decision document ({size} bytes, {images} images) is over the {} KiB \
                         cap of this annotation; `bona eval --admission-review` on the object \
                         prints it",
                        DETAILS_MAX >> 10
                    ),
                );
            }
        }
        let message = prevented.then(|| Answer::denial_message(self.message, &self.also_prevented));
        let mut warnings = Vec::new();
        if !prevented {
            warnings = self.warnings;
            if self.warnings_left > 0
                && let Some(last) = warnings.last_mut()
            {
                *last = format!(
                    "and {} more untrusted images allowed",
                    self.warnings_left + 1
                );
            }
        }
        let response = Response {
            uid,
            allowed: !prevented,
            status: message.map(|message| Status {
                status: "Failure",
                reason: "Forbidden",
                code: 403,
                message,
            }),
            warnings,
            audit_annotations: annotations,
            patch_type: None,
            patch: None,
        };
        ReviewResponse::wrap(api_version, response)
    }
}

/// The compact decision document, written into it (`serde_json::to_writer`) as it is made:
/// kept up to [`DETAILS_MAX`] bytes, only counted beyond.
#[derive(Debug, Default)]
pub struct Details {
    kept: Vec<u8>,
    size: usize,
}

impl Details {
    /// Nothing written yet, with room for a small workload's document (a few images: about
    /// 1.5 KiB), so that it is not regrown a byte count at a time.
    pub fn new() -> Details {
        Details {
            kept: Vec::with_capacity(DETAILS_START),
            size: 0,
        }
    }

    /// The document, or its size when it is over the cap.
    fn into_text(self) -> Result<String, usize> {
        if self.size > DETAILS_MAX {
            return Err(self.size);
        }
        String::from_utf8(self.kept).map_err(|_| self.size)
    }
}

impl std::io::Write for Details {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.size += buf.len();
        if self.size <= DETAILS_MAX {
            self.kept.extend_from_slice(buf);
        } else if !self.kept.is_empty() {
            self.kept = Vec::new();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes `image REF is not trusted by policy "P" (first reason)`, naming the policies with
/// `action` (every applicable policy when `action` is `None`): `"production images"`, `"a",
/// "b"` for several, and `"a", "b", "c" and 9997 more` past [`POLICIES_NAMED`].
fn write_image_sentence(out: &mut String, image: &ImageDecision, action: Option<Action>) {
    let named =
        |p: &&PolicyOutcome| action.is_none_or(|a| p.action == a) && !p.resolved.is_trusted();
    let count = image.policies.iter().filter(named).count();
    let noun = if count == 1 { "policy" } else { "policies" };
    let _ = write!(out, "image {} is not trusted by {noun} ", image.reference);
    for (i, policy) in image
        .policies
        .iter()
        .filter(named)
        .take(POLICIES_NAMED)
        .enumerate()
    {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('"');
        out.push_str(&policy.policy);
        out.push('"');
    }
    if count > POLICIES_NAMED {
        let _ = write!(out, " and {} more", count - POLICIES_NAMED);
    }
    if let Some(reason) = image
        .policies
        .iter()
        .filter(named)
        .find_map(|p| p.reasons.first())
    {
        out.push_str(" (");
        out.push_str(reason);
        out.push(')');
    }
}

/// `status.message` of a denial (see [`Answer`]).
pub fn denial_message(decision: &Decision) -> String {
    let mut answer = Answer::new(decision.decision);
    decision.images.iter().for_each(|image| answer.image(image));
    Answer::denial_message(answer.message, &answer.also_prevented)
}

/// Cuts `text` to at most `max` bytes on a character boundary, ending with `…`.
fn shorten(mut text: String, max: usize) -> String {
    if let Some(end) = cut_at(&text, max) {
        text.truncate(end);
        text.push('…');
    }
    text
}

/// Where to cut `text` so that it and a `…` fit in `max` bytes; `None` when it fits whole.
fn cut_at(text: &str, max: usize) -> Option<usize> {
    if text.len() <= max {
        return None;
    }
    let mut end = max - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Some(end)
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
        // Every prevented image is named; those past the first kilobyte without reasons.
        for n in 0..100 {
            assert!(message.contains(&format!("app{n}:1")), "{message}");
        }
        let (sentences, rest) = message
            .split_once("; and ")
            .unwrap_or_else(|| panic!("{message}"));
        assert!(sentences.len() <= MESSAGE_MAX, "{sentences}");
        assert!(
            rest.starts_with("89 more untrusted images: docker.io/library/app11:1, "),
            "{rest}"
        );
        let answer = ReviewResponse::decided(None, "u".into(), &many(false, Action::Issue));
        let warnings = answer.response.warnings;
        assert_eq!(warnings.len(), WARNINGS_MAX);
        assert_eq!(
            warnings[WARNINGS_MAX - 1],
            "and 93 more untrusted images allowed"
        );
    }

    #[test]
    fn a_denial_names_a_few_policies_and_counts_the_rest() {
        let mut one = image("docker.io/library/redis:7.2", true, "p0", Action::Prevent);
        let outcome = one.policies[0].clone();
        one.policies = (0..10_000)
            .map(|n| PolicyOutcome {
                policy: format!("p{n}"),
                ..outcome.clone()
            })
            .collect();
        let decision = Decision {
            decision: DecisionKind::Prevent,
            images: vec![one],
            issues: Vec::new(),
        };
        assert_eq!(
            denial_message(&decision),
            "image docker.io/library/redis:7.2 is not trusted by policies \"p0\", \"p1\", \"p2\" \
             and 9997 more (registry is `docker.io`)"
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
        let answer = ReviewResponse::decided(None, "u".into(), &decision);
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
    fn a_reference_longer_than_the_list_is_cut_alone() {
        let long = format!("docker.io/library/{}:1", "a".repeat(UNTRUSTED_MAX));
        let decision = Decision {
            decision: DecisionKind::Allow,
            images: vec![
                image(&long, false, "p", Action::Issue),
                image("docker.io/library/b:1", false, "p", Action::Issue),
            ],
            issues: Vec::new(),
        };
        let answer = ReviewResponse::decided(None, "u".into(), &decision);
        let list = &answer.response.audit_annotations["untrusted-images"];
        assert!(list.starts_with("docker.io/library/aaa"), "{list}");
        assert!(list.ends_with("… and 1 more (list cut at 4 KiB)"), "{list}");
        assert_eq!(
            list.len(),
            UNTRUSTED_MAX + " and 1 more (list cut at 4 KiB)".len()
        );
    }

    #[test]
    fn sentences_name_the_untrusted_policies_of_their_action() {
        let mut one = image(
            "docker.io/library/redis:7.2",
            true,
            "block",
            Action::Prevent,
        );
        let outcome = one.policies[0].clone();
        one.policies.push(PolicyOutcome {
            policy: "report".into(),
            action: Action::Issue,
            reasons: vec!["tag is `7.2`".into()],
            ..outcome.clone()
        });
        one.policies.push(PolicyOutcome {
            policy: "lenient".into(),
            resolved: Verdict::Trusted,
            ..outcome
        });
        let mut sentence = String::new();
        write_image_sentence(&mut sentence, &one, Some(Action::Prevent));
        assert_eq!(
            sentence,
            "image docker.io/library/redis:7.2 is not trusted by policy \"block\" \
             (registry is `docker.io`)"
        );
        sentence.clear();
        write_image_sentence(&mut sentence, &one, None);
        assert_eq!(
            sentence,
            "image docker.io/library/redis:7.2 is not trusted by policies \"block\", \"report\" \
             (registry is `docker.io`)"
        );
    }

    #[test]
    fn shorten_keeps_char_boundaries() {
        let text = "é".repeat(200);
        let short = shorten(text, 241);
        assert!(short.len() <= 241 && short.ends_with('…'));
    }
}
