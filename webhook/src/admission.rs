//! One AdmissionReview in, its answer out: the webhook's product behaviour as a library, with
//! no HTTP types, for any program that receives reviews (a server of its own, a queue, a test).
//!
//! [`review`] does it all in one call. A server that wants to treat the steps apart (the
//! `bona serve` one decides on a thread of its own, catches a panic of the engine, counts and
//! logs) calls [`read`], then [`Request::decide`]; the answers are the same.
//!
//! A body is one of three things:
//! - a review to decide ([`Read::Request`]): allowed, or denied with code 403 and a message
//!   naming each prevented image (see [`crate::response`]);
//! - a review with a `request.uid` that the runtime cannot read, say because an image is not a
//!   valid reference ([`Read::Unreadable`]): answered, denied with code 400, so the user sees why;
//! - anything else ([`ReviewError`]): there is nobody to answer, and an HTTP server replies 400
//!   (the API server then applies the webhook's `failurePolicy`).
//!
//! ```
//! use bona_compiler::compile::compile;
//! use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};
//! use bona_runtime::Engine;
//! use bona_runtime::input::ReviewOptions;
//! use bona_runtime::signature::VerificationCache;
//!
//! // A policy set, compiled here (an embedder may as well read a bundle from `bona build`).
//! let db = BonaDatabase::default();
//! let policy = r#"
//! policy "corporate registry" {
//!   action prevent
//!   trust registry == "registry.example.com"
//! }
//! "#;
//! let file = SourceFile::new(&db, "policy.trust".into(), policy.into());
//! let compiled = compile(&db, Workspace::new(&db, vec![file]));
//! assert!(!compiled.has_errors());
//! let engine = Engine::new(compiled.set.clone())?;
//!
//! // A review as the API server sends it: no axum, no tokio, just bytes.
//! let body = br#"{
//!   "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
//!   "request": {
//!     "uid": "705ab4f5", "operation": "CREATE",
//!     "kind": {"group": "", "version": "v1", "kind": "Pod"},
//!     "namespace": "default",
//!     "object": {"kind": "Pod", "metadata": {"name": "web", "namespace": "default"},
//!                "spec": {"containers": [{"name": "web", "image": "docker.io/library/nginx:1.27"}]}}
//!   }
//! }"#;
//! let options = ReviewOptions { cluster: "prod-eu-1".into(), cloud: String::new() };
//! let mut cache = VerificationCache::new();
//! let now = 1_767_225_600; // seconds since 1970
//! let answer = bona_webhook::admission::review(&engine, None, body, &options, now, &mut cache)?;
//!
//! assert!(!answer.response.allowed);
//! assert_eq!(answer.response.uid, "705ab4f5");
//! let status = answer.response.status.as_ref().map(|s| (s.code, s.message.as_str()));
//! assert_eq!(
//!     status,
//!     Some((403, "image docker.io/library/nginx:1.27 is not trusted by policy \"corporate registry\" (registry is `docker.io`, the rule needs `registry.example.com`)"))
//! );
//! // The AdmissionReview to send back.
//! let json = serde_json::to_string(&answer)?;
//! assert!(json.starts_with(r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use bona_runtime::Engine;
use bona_runtime::evaluation::StreamedDecision;
use bona_runtime::facts::{FactsDocument, ImageFacts};
use bona_runtime::input::{AdmissionInput, Review, ReviewOptions, parse_admission_review};
use bona_runtime::output::{Decision, DecisionKind, ImageDecision};
use bona_runtime::signature::VerificationCache;
use bona_runtime::table::AssetScope;
use serde::Deserialize;

use crate::response::{Answer, Counts, Details, Envelope, ReviewResponse};

/// A review read from a body, ready to decide.
#[derive(Clone, Debug)]
pub struct Request {
    review: Review,
}

/// What a body that can be answered holds.
#[derive(Debug)]
pub enum Read {
    /// A review to decide.
    Request(Request),
    /// A review the runtime cannot read, but with a `request.uid` to answer: denied.
    Unreadable(Unreadable),
}

/// A review that names, say, an image that is not a valid reference: answered and denied with
/// code 400, so the API server shows the reason instead of a webhook error.
#[derive(Debug)]
pub struct Unreadable {
    /// The request's `uid`.
    pub uid: String,
    /// Why the runtime cannot read it (with the JSON path, line and column).
    pub reason: String,
    /// The answer: `allowed: false`, `status.code: 400`, `Bona cannot read the object: …`.
    pub answer: ReviewResponse,
}

/// A body that cannot be answered: an HTTP server replies 400 with this message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewError {
    /// Not an AdmissionReview, or one without a `request.uid` that the runtime cannot read.
    Malformed(String),
    /// A readable review without `request.uid`, which the answer must echo.
    MissingUid,
}

impl std::fmt::Display for ReviewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReviewError::Malformed(message) => write!(f, "malformed AdmissionReview: {message}"),
            ReviewError::MissingUid => {
                f.write_str("missing `request.uid`: the answer must echo it")
            }
        }
    }
}

impl std::error::Error for ReviewError {}

/// Reads a review from `body` (the asset's `cluster` and `cloud` from `options`).
///
/// # Errors
/// [`ReviewError`]: a body that cannot be answered.
pub fn read(body: &[u8], options: &ReviewOptions) -> Result<Read, ReviewError> {
    let review = match parse_admission_review(body, options) {
        Ok(review) => review,
        Err(e) => {
            let envelope: Envelope = serde_json::from_slice(body).unwrap_or_default();
            return unreadable(body, &envelope, e.to_string());
        }
    };
    if review.uid.is_empty() {
        return Err(ReviewError::MissingUid);
    }
    Ok(Read::Request(Request { review }))
}

impl Request {
    /// `request.uid`, never empty.
    pub fn uid(&self) -> &str {
        &self.review.uid
    }

    /// The asset and its images, as the engine sees them.
    pub fn input(&self) -> &AdmissionInput {
        &self.review.input
    }

    /// Sets the facts of the `i`th image (what a registry added to its static facts): they
    /// are then its inline facts.
    pub fn set_facts(&mut self, i: usize, facts: Option<ImageFacts>) {
        if let Some(image) = self.review.input.images.get_mut(i) {
            image.facts = facts;
        }
    }

    /// The decision, exactly as `bona eval --admission-review` makes it; `now` (seconds since
    /// 1970) is the time of a review that gives none. It holds every outcome: [`Request::decide`]
    /// answers without holding them.
    pub fn evaluate(
        &self,
        engine: &Engine,
        facts: Option<&FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> Decision {
        engine.evaluate(&self.review.input, facts, now, cache)
    }

    /// The AdmissionReview answering this request with `decision`.
    pub fn answer(&self, decision: &Decision) -> ReviewResponse {
        ReviewResponse::decided(
            self.review.api_version.as_deref(),
            self.review.uid.clone(),
            decision,
        )
    }

    /// The asset's scope in `engine`: what [`Request::decide`] decides under, and how much
    /// work that is ([`Scope::work`]).
    pub fn scope<'e>(&self, engine: &'e Engine) -> Scope<'e> {
        Scope {
            engine,
            asset: engine.scope(&self.review.input.asset),
        }
    }

    /// Decides and answers image by image, in memory bounded by one image's entry (an image
    /// judged by 10,000 policies is megabytes of reasons): the same answer as
    /// [`Request::evaluate`] then [`Request::answer`]. `scope` is this request's
    /// ([`Request::scope`]), and gives the engine. `amend` sees each image's entry (its index,
    /// the entry) before it is summarised and written into the `details` annotation.
    pub fn decide(
        &self,
        scope: Scope<'_>,
        facts: Option<&FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
        amend: &mut dyn FnMut(usize, &mut ImageDecision),
    ) -> Decided {
        let input = &self.review.input;
        let evaluation = scope
            .engine
            .evaluation_in(scope.asset, input, facts, now, cache);
        let decision = evaluation.decision();
        let mut answer = Answer::new(decision);
        let mut details = Details::new();
        {
            let mut inspect = |i: usize, image: &mut ImageDecision| {
                amend(i, image);
                answer.image(image);
            };
            let streamed = StreamedDecision::new(&evaluation, cache, &mut inspect);
            // Details never fails to write; a serialiser error leaves the annotation out.
            if serde_json::to_writer(&mut details, &streamed).is_err() {
                details = Details::new();
            }
        }
        let counts = answer.counts;
        Decided {
            decision,
            counts,
            response: answer.finish(
                self.review.api_version.as_deref(),
                self.review.uid.clone(),
                details,
            ),
        }
    }
}

/// A request's asset in the scopes of one engine ([`Request::scope`]).
#[derive(Debug)]
pub struct Scope<'e> {
    engine: &'e Engine,
    asset: AssetScope,
}

impl Scope<'_> {
    /// How much deciding `request` under this scope is: its images times the rules of the
    /// policies that apply (saturating).
    pub fn work(&self, request: &Request) -> usize {
        let rules = usize::try_from(self.asset.applicable_rules()).unwrap_or(usize::MAX);
        rules.saturating_mul(request.review.input.images.len())
    }
}

/// A request decided and answered by [`Request::decide`].
#[derive(Debug)]
pub struct Decided {
    /// The workload's decision.
    pub decision: DecisionKind,
    /// Images by outcome.
    pub counts: Counts,
    /// The AdmissionReview to send back.
    pub response: ReviewResponse,
}

/// Reads, decides and answers one review: the AdmissionReview to send back.
///
/// # Errors
/// [`ReviewError`]: a body that cannot be answered.
pub fn review(
    engine: &Engine,
    facts: Option<&FactsDocument>,
    body: &[u8],
    options: &ReviewOptions,
    now: i64,
    cache: &mut VerificationCache,
) -> Result<ReviewResponse, ReviewError> {
    match read(body, options)? {
        Read::Request(request) => {
            let scope = request.scope(engine);
            let decided = request.decide(scope, facts, now, cache, &mut |_, _| {});
            Ok(decided.response)
        }
        Read::Unreadable(unreadable) => Ok(unreadable.answer),
    }
}

/// A review the runtime could not read. With a `request.uid` (a real API server request whose
/// object holds, say, an image that is not a valid reference) it is answered and denied, so the
/// user sees the reason; without one there is nobody to answer.
fn unreadable(body: &[u8], envelope: &Envelope, reason: String) -> Result<Read, ReviewError> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Uid {
        request: Option<UidRequest>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct UidRequest {
        uid: Option<String>,
    }
    let uid = serde_json::from_slice::<Uid>(body)
        .ok()
        .and_then(|u| u.request)
        .and_then(|r| r.uid)
        .filter(|uid| !uid.is_empty());
    let is_review = envelope.kind.as_deref() == Some("AdmissionReview");
    match uid {
        Some(uid) if is_review => {
            let answer = ReviewResponse::unreadable(
                envelope.api_version.as_deref(),
                uid.clone(),
                format!("Bona cannot read the object: {reason}"),
            );
            Ok(Read::Unreadable(Unreadable {
                uid,
                reason,
                answer,
            }))
        }
        _ => Err(ReviewError::Malformed(reason)),
    }
}

/// The platform a review's pods run on when their `nodeSelector` says (a single
/// `kubernetes.io/arch`, with `kubernetes.io/os`, else `linux`): the index entry whose platform
/// facts count (docs/registry.md#what-bona-reads). `None` when it does not say.
pub fn node_platform(body: &[u8]) -> Option<bona_registry::manifest::Platform> {
    #[derive(Deserialize)]
    struct Review {
        request: Request,
    }
    #[derive(Deserialize)]
    struct Request {
        object: serde_json::Value,
    }
    let review: Review = serde_json::from_slice(body).ok()?;
    let object = &review.request.object;
    let spec = [
        "/spec",
        "/spec/template/spec",
        "/spec/jobTemplate/spec/template/spec",
    ]
    .iter()
    .filter_map(|p| object.pointer(p))
    .find(|spec| spec.get("containers").is_some())?;
    let selector = spec.get("nodeSelector")?;
    let arch = selector.get("kubernetes.io/arch")?.as_str()?;
    let os = selector
        .get("kubernetes.io/os")
        .and_then(|o| o.as_str())
        .unwrap_or("linux");
    bona_registry::manifest::Platform::parse(&format!("{os}/{arch}")).ok()
}
#[cfg(test)]
mod tests {
    use bona_compiler::compile::compile;
    use bona_compiler::db::{BonaDatabase, SourceFile, Workspace};

    use super::*;
    use crate::response::{DETAILS_MAX, UNTRUSTED_MAX};

    const NOW: i64 = 1_767_225_600;

    fn engine(policy: &str) -> Engine {
        let db = BonaDatabase::default();
        let file = SourceFile::new(&db, "p.trust".into(), policy.into());
        let compiled = compile(&db, Workspace::new(&db, vec![file]));
        assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
        Engine::new(compiled.set.clone()).unwrap()
    }

    fn policy(action: &str) -> String {
        format!(
            "policy \"corporate\" {{\n  action {action}\n  trust registry == \"registry.example.com\"\n}}\n"
        )
    }

    fn pod(api_version: &str, uid: &str, images: &[String]) -> Vec<u8> {
        let containers: Vec<_> = images
            .iter()
            .enumerate()
            .map(|(n, image)| serde_json::json!({"name": format!("c{n}"), "image": image}))
            .collect();
        serde_json::json!({
            "apiVersion": api_version,
            "kind": "AdmissionReview",
            "request": {
                "uid": uid,
                "operation": "CREATE",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "namespace": "default",
                "object": {
                    "kind": "Pod",
                    "metadata": {"name": "web", "namespace": "default"},
                    "spec": {"containers": containers}
                }
            }
        })
        .to_string()
        .into_bytes()
    }

    fn options() -> ReviewOptions {
        ReviewOptions {
            cluster: "prod-eu-1".into(),
            cloud: String::new(),
        }
    }

    fn review_of(engine: &Engine, body: &[u8]) -> Result<ReviewResponse, ReviewError> {
        review(
            engine,
            None,
            body,
            &options(),
            NOW,
            &mut VerificationCache::new(),
        )
    }

    #[test]
    fn a_denial_names_the_image_and_echoes_the_envelope() {
        let engine = engine(&policy("prevent"));
        let body = pod(
            "admission.k8s.io/v1beta1",
            "u-1",
            &["docker.io/library/redis:7.2".into()],
        );
        let answer = review_of(&engine, &body).unwrap();
        assert_eq!(answer.api_version, "admission.k8s.io/v1beta1");
        assert_eq!(answer.response.uid, "u-1");
        assert!(!answer.response.allowed);
        assert!(answer.response.warnings.is_empty());
        let status = answer.response.status.as_ref().unwrap();
        assert_eq!((status.code, status.reason), (403, "Forbidden"));
        assert!(
            status.message.starts_with(
                "image docker.io/library/redis:7.2 is not trusted by policy \"corporate\" ("
            ),
            "{}",
            status.message
        );
        let annotations = &answer.response.audit_annotations;
        assert_eq!(annotations["decision"], "prevent");
        assert_eq!(
            annotations["untrusted-images"],
            "docker.io/library/redis:7.2"
        );
        let json = serde_json::to_string(&answer).unwrap();
        assert!(
            json.starts_with(
                r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","response":{"uid":"u-1","allowed":false,"status":{"status":"Failure","reason":"Forbidden","code":403,"#
            ),
            "{json}"
        );
    }

    #[test]
    fn the_steps_give_the_same_answer_as_review() {
        let many: Vec<String> = (0..300)
            .map(|n| format!("docker.io/library/app{n}:1"))
            .collect();
        let mixed = vec![
            "registry.example.com/app:1".to_owned(),
            "docker.io/library/redis:7.2".to_owned(),
            "registry.example.com/db:2".to_owned(),
        ];
        for action in ["prevent", "issue"] {
            let engine = engine(&policy(action));
            for images in [
                &vec!["registry.example.com/app:1".to_owned()],
                &mixed,
                &many,
            ] {
                let body = pod("admission.k8s.io/v1", "u-2", images);
                let Ok(Read::Request(request)) = read(&body, &options()) else {
                    panic!("not a request");
                };
                assert_eq!(request.uid(), "u-2");
                assert_eq!(request.input().asset.cluster, "prod-eu-1");
                // The whole decision, then its answer; and the answer made image by image.
                let decision = request.evaluate(&engine, None, NOW, &mut VerificationCache::new());
                let steps = serde_json::to_string(&request.answer(&decision)).unwrap();
                let whole = serde_json::to_string(&review_of(&engine, &body).unwrap()).unwrap();
                assert_eq!(steps, whole);
            }
        }
    }

    #[test]
    fn annotations_of_a_large_review_are_capped() {
        let engine = engine(&policy("issue"));
        let images: Vec<String> = (0..2000)
            .map(|n| format!("docker.io/library/app{n}:1"))
            .collect();
        let answer = review_of(&engine, &pod("admission.k8s.io/v1", "u-3", &images)).unwrap();
        assert!(answer.response.allowed);
        assert_eq!(answer.response.warnings.len(), 8);
        assert_eq!(
            answer.response.warnings[7],
            "and 1993 more untrusted images allowed"
        );
        let annotations = &answer.response.audit_annotations;
        assert!(!annotations.contains_key("details"));
        assert!(
            annotations["details-omitted"].contains(&format!(
                "2000 images) is over the {} KiB cap",
                DETAILS_MAX >> 10
            )),
            "{}",
            annotations["details-omitted"]
        );
        let list = &annotations["untrusted-images"];
        assert!(list.len() <= UNTRUSTED_MAX + 64, "{}", list.len());
        assert!(list.ends_with(" more (list cut at 4 KiB)"), "{list}");
    }

    #[test]
    fn an_unreadable_review_with_a_uid_is_denied_with_400() {
        let engine = engine(&policy("prevent"));
        let body = pod("admission.k8s.io/v1", "u-4", &["Not A Reference!".into()]);
        let Ok(Read::Unreadable(unreadable)) = read(&body, &options()) else {
            panic!("not unreadable");
        };
        assert_eq!(unreadable.uid, "u-4");
        let answer = review_of(&engine, &body).unwrap();
        assert!(!answer.response.allowed);
        assert!(answer.response.audit_annotations.is_empty());
        let status = answer.response.status.as_ref().unwrap();
        assert_eq!((status.code, status.reason), (400, "BadRequest"));
        assert_eq!(
            status.message,
            format!("Bona cannot read the object: {}", unreadable.reason)
        );
    }

    #[test]
    fn bodies_without_anyone_to_answer_are_errors() {
        let engine = engine(&policy("prevent"));
        let error = review_of(&engine, b"{not json").unwrap_err();
        assert!(matches!(error, ReviewError::Malformed(_)));
        assert!(
            error.to_string().starts_with("malformed AdmissionReview: "),
            "{error}"
        );
        let no_uid = pod(
            "admission.k8s.io/v1",
            "",
            &["docker.io/library/redis:7.2".into()],
        );
        let error = review_of(&engine, &no_uid).unwrap_err();
        assert_eq!(error, ReviewError::MissingUid);
        assert_eq!(
            error.to_string(),
            "missing `request.uid`: the answer must echo it"
        );
    }

    #[test]
    fn a_node_selector_names_the_platform() {
        let review = |spec: serde_json::Value| {
            serde_json::json!({"request": {"object": spec}})
                .to_string()
                .into_bytes()
        };
        let pod = review(serde_json::json!({"spec": {"containers": [],
            "nodeSelector": {"kubernetes.io/arch": "arm64"}}}));
        let platform = node_platform(&pod).map(|p| format!("{}/{}", p.os, p.architecture));
        assert_eq!(platform.as_deref(), Some("linux/arm64"));
        let cron = review(
            serde_json::json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {
            "containers": [], "nodeSelector": {"kubernetes.io/arch": "amd64", "kubernetes.io/os": "windows"}}}}}}}),
        );
        let platform = node_platform(&cron).map(|p| format!("{}/{}", p.os, p.architecture));
        assert_eq!(platform.as_deref(), Some("windows/amd64"));
        let none = review(
            serde_json::json!({"spec": {"containers": [], "nodeSelector": {"disk": "ssd"}}}),
        );
        assert_eq!(node_platform(&none), None);
        assert_eq!(node_platform(b"not json"), None);
    }
}
