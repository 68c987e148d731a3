//! The admission webhook's HTTPS server, which `bona serve` runs ([`serve`]); the answer to
//! each review is [`crate::response`].
//!
//! | route | answer |
//! |---|---|
//! | `POST /validate` | AdmissionReview v1 in, AdmissionReview v1 out (same `apiVersion`, `response.uid` = `request.uid`) |
//! | `GET /healthz` | 200 while the process serves (liveness) |
//! | `GET /readyz` | 200 once a policy set is loaded, 503 while shutting down (readiness) |
//! | `GET /metrics` | Prometheus text |
//!
//! With `--client-ca`, `/validate` (and with `--client-ca-metrics` `/metrics`) answers only a
//! client that presented a certificate signed by one of those CAs (the API server, configured
//! to authenticate to webhooks); others get 401. The probes never need one.
//!
//! The decision and the answer are [`crate::admission`]'s: [`bona_runtime::Engine::evaluate`]
//! on the review read by [`bona_runtime::input::parse_admission_review`], exactly what
//! `bona eval --admission-review` does, so the two agree. It runs on a pool of `--decision-threads` threads apart from the
//! async workers, so a huge review being decided does not hold up probes, metrics or the
//! reading of other requests. HTTP errors (400 malformed, 408 body too slow, 413 too large,
//! 415 not JSON, 500 a bug, 503 too many bytes buffered at once) carry a JSON body `{"error": "…"}`; the API server then applies the webhook's
//! `failurePolicy`. A review that is well formed but names an image that is not a valid reference
//! is answered (denied, code 400) so the user sees why.

pub mod limits;
pub mod listen;
pub mod log;
pub mod metrics;
pub mod reload;
pub mod run;
pub mod tls;

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use arc_swap::ArcSwap;
use axum::body::Body;
use axum::extract::State as Extract;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use bona_registry::live::Live;
use bona_runtime::input::ReviewOptions;
use bona_runtime::output::{DecisionKind, ImageDecision, PolicyResult};
use bona_runtime::signature::VerificationCache;
use http_body_util::BodyExt;
use std::time::Duration;

use crate::admission;
use crate::mutate::Pin;
use crate::response::ReviewResponse;
use limits::{Budget, Limits};
use log::Text;
use metrics::{Failure, Metrics};
use reload::Loaded;
use tls::Certificate;

pub use run::{Config, ServeError, logging, serve};

/// What every request handler shares.
#[derive(Debug)]
pub struct State {
    /// The policy set in use; replaced whole on reload.
    pub loaded: ArcSwap<Loaded>,
    pub metrics: Metrics,
    /// False while shutting down.
    pub ready: AtomicBool,
    /// `--cluster` and `--cloud`.
    pub review: ReviewOptions,
    pub certificate: Arc<Certificate>,
    /// The TLS configuration new connections get: rebuilt when `--client-ca` changes.
    pub tls: ArcSwap<rustls::ServerConfig>,
    pub limits: Limits,
    /// Request body bytes held in memory, across all connections.
    pub budget: Arc<Budget>,
    /// One permit per decision thread.
    pub deciders: Arc<tokio::sync::Semaphore>,
    /// One permit per decision thread that a review over [`limits::LARGE_REVIEW`] may use:
    /// half of them, at least one.
    pub large_deciders: Arc<tokio::sync::Semaphore>,
    /// The routes that need a client certificate.
    pub client_auth: ClientAuth,
    /// `--registry`: facts read from registries at admission, and `/mutate`'s resolutions.
    pub live: Option<Arc<Live>>,
    /// `--pin`.
    pub pin: Pin,
}

/// `--client-ca` and `--client-ca-metrics`: which routes need a verified client certificate.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientAuth {
    pub validate: bool,
    pub metrics: bool,
}

/// Whether the request's connection presented a client certificate that `--client-ca`
/// verified; put on every request by [`listen`].
#[derive(Clone, Copy, Debug)]
pub struct ClientCert(pub bool);

impl State {
    /// The shared state of a server deciding with `loaded`.
    pub fn new(
        loaded: Loaded,
        metrics: Metrics,
        review: ReviewOptions,
        certificate: Arc<Certificate>,
        tls: Arc<rustls::ServerConfig>,
        limits: Limits,
        client_auth: ClientAuth,
    ) -> State {
        State {
            loaded: ArcSwap::from_pointee(loaded),
            metrics,
            ready: AtomicBool::new(true),
            review,
            certificate,
            tls: ArcSwap::new(tls),
            budget: Budget::new(limits.max_buffered_bytes),
            deciders: Arc::new(tokio::sync::Semaphore::new(limits.decision_threads.max(1))),
            large_deciders: Arc::new(tokio::sync::Semaphore::new(
                (limits.decision_threads / 2).max(1),
            )),
            limits,
            client_auth,
            live: None,
            pin: Pin::default(),
        }
    }
}

thread_local! {
    /// One signature cache per worker thread: the runtime takes no locks, and entries are keyed
    /// by key fingerprint, so they stay valid across policy reloads.
    static CACHE: RefCell<VerificationCache> = RefCell::new(VerificationCache::new());
}

/// The routes.
pub fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(mutate))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(Extract(state): Extract<Arc<State>>) -> Response {
    if state.ready.load(Ordering::Relaxed) {
        "ok\n".into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    }
}

async fn metrics(
    Extract(state): Extract<Arc<State>>,
    Extension(cert): Extension<ClientCert>,
) -> Response {
    if state.client_auth.metrics && !cert.0 {
        return unauthenticated();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        {
            let mut text = state.metrics.render(state.budget.used());
            if let Some(live) = &state.live {
                live.render_metrics(&mut text);
            }
            text
        },
    )
        .into_response()
}

/// 401 for a client without the certificate `--client-ca` asks for.
fn unauthenticated() -> Response {
    let body = serde_json::json!({
        "error": "a client certificate signed by a --client-ca authority is required"
    })
    .to_string();
    json_response(StatusCode::UNAUTHORIZED, body)
}

/// An HTTP error with a JSON body, counted.
fn failure(state: &State, failure: Failure, status: StatusCode, message: String) -> Response {
    state.metrics.failed(failure);
    tracing::warn!(
        status = status.as_u16(),
        "rejected request: {}",
        Text(&message)
    );
    let body = serde_json::json!({ "error": message }).to_string();
    json_response(status, body)
}

fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.into(),
    )
        .into_response()
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// A request body read within the limits, and the budget it holds.
struct Received {
    bytes: Vec<u8>,
    reservation: limits::Reservation,
}

/// Reads a review's body within `--max-request-bytes`, `--max-buffered-bytes` and
/// `--request-timeout`; the answer to send instead when it cannot be.
async fn receive(
    state: &Arc<State>,
    cert: ClientCert,
    headers: &HeaderMap,
    body: Body,
) -> Result<Received, Response> {
    if state.client_auth.validate && !cert.0 {
        state.metrics.failed(Failure::Unauthenticated);
        tracing::warn!(status = 401, "rejected request: no client certificate");
        return Err(unauthenticated());
    }
    let limit = state.limits.max_request_bytes;
    let too_large = || {
        failure(
            state,
            Failure::TooLarge,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {}", bytes_text(limit)),
        )
    };
    let busy = || busy(state);
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    // The declared length is taken from the budget before a byte is read; a body without one
    // (chunked, HTTP/2) takes it as it comes.
    let Some(mut reservation) = state.budget.reserve(declared.unwrap_or(0)) else {
        return Err(busy());
    };
    let read = async {
        let mut bytes = Vec::with_capacity(declared.unwrap_or(0));
        let mut body = body;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| Read::Failed(e.to_string()))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let total = bytes.len() + data.len();
            if total > limit {
                return Err(Read::TooLarge);
            }
            if total > reservation.held() && !reservation.grow(total - reservation.held()) {
                return Err(Read::Busy);
            }
            bytes.extend_from_slice(&data);
        }
        Ok(bytes)
    };
    let bytes = match tokio::time::timeout(state.limits.request_timeout, read).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(Read::TooLarge)) => return Err(too_large()),
        Ok(Err(Read::Busy)) => return Err(busy()),
        Ok(Err(Read::Failed(e))) => {
            return Err(failure(
                state,
                Failure::BadRequest,
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            ));
        }
        Err(_) => {
            return Err(failure(
                state,
                Failure::Timeout,
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the body did not arrive within {} s",
                    state.limits.request_timeout.as_secs_f64()
                ),
            ));
        }
    };
    // Checked after the body is read: an HTTP/2 stream answered before its body is consumed
    // is reset, and clients report the reset rather than the answer.
    if !is_json(headers) {
        return Err(failure(
            state,
            Failure::UnsupportedMediaType,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected `Content-Type: application/json` (an AdmissionReview)".into(),
        ));
    }
    Ok(Received { bytes, reservation })
}

fn busy(state: &State) -> Response {
    failure(
        state,
        Failure::Busy,
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "too many request bytes held at once (over {}); try again",
            bytes_text(state.budget.max())
        ),
    )
}

async fn validate(
    Extract(state): Extract<Arc<State>>,
    Extension(cert): Extension<ClientCert>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Received { bytes, reservation } = match receive(&state, cert, &headers, body).await {
        Ok(received) => received,
        Err(answer) => return answer,
    };
    // A decision thread, then the decision on it; the body stays counted until it is done. A
    // large review first waits for one of the threads that large reviews may use, so the
    // others stay free for ordinary ones (and the memory of huge decisions is bounded).
    let large = if bytes.len() > limits::LARGE_REVIEW {
        match Arc::clone(&state.large_deciders).acquire_owned().await {
            Ok(permit) => Some(permit),
            Err(_) => return busy(&state),
        }
    } else {
        None
    };
    let started = Instant::now();
    let decided = match state.live.clone() {
        Some(live) => {
            let timeout = api_timeout(uri.query());
            let answer = with_registry(&state, live, bytes, timeout).await;
            drop((reservation, large));
            answer
        }
        None if bytes.len() <= SMALL_REVIEW => {
            let Ok(permit) = Arc::clone(&state.deciders).acquire_owned().await else {
                return busy(&state);
            };
            match read_request(&state, &bytes) {
                Ok(request) => {
                    drop(bytes);
                    decide_read(&state, request, Vec::new(), (reservation, permit, large)).await
                }
                Err(answer) => Ok(*answer),
            }
        }
        None => {
            let Ok(permit) = Arc::clone(&state.deciders).acquire_owned().await else {
                return busy(&state);
            };
            let deciding = Arc::clone(&state);
            tokio::task::spawn_blocking(move || {
                let answer = decide(&deciding, &bytes);
                drop((bytes, reservation, permit, large));
                answer
            })
            .await
        }
    };
    state.metrics.observe(started.elapsed());
    decided.unwrap_or_else(|e| {
        failure(
            &state,
            Failure::Internal,
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("internal error while deciding (this is a bug in Bona; please report it): {e}"),
        )
    })
}

/// Why reading a body stopped.
enum Read {
    TooLarge,
    Busy,
    Failed(String),
}

/// `4 MiB`, `512 KiB`, `100 bytes`.
fn bytes_text(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// The API server's `timeout` query parameter (`10s`, `1m30s`, `500ms`), as it sends it to
/// webhooks.
fn api_timeout(query: Option<&str>) -> Option<Duration> {
    let value = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("timeout="))?;
    go_duration(value)
}

/// A Go duration of `h`, `m`, `s` and `ms` parts.
fn go_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit() && c != '.')?;
        let (number, tail) = rest.split_at(digits);
        let number: f64 = number.parse().ok()?;
        let unit_len = tail
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(unit_len);
        let seconds = match unit {
            "h" => number * 3600.0,
            "m" => number * 60.0,
            "s" => number,
            "ms" => number / 1000.0,
            _ => return None,
        };
        total += Duration::try_from_secs_f64(seconds).ok()?;
        rest = tail;
    }
    (!text.is_empty()).then_some(total)
}

/// The largest review read on an async worker rather than a decision thread.
const SMALL_REVIEW: usize = 64 << 10;

/// At most this many rule evaluations (images × applicable rules) make a decision quick
/// enough for an async worker: tens of microseconds, well under what holding up the other
/// connections of that worker would be noticed at.
const QUICK_WORK: usize = 1024;

/// Whether deciding `request` under `scope` is quick enough to do on the async worker: few
/// images against few applicable rules. Anything bigger (10,000 applicable policies, a pod
/// with hundreds of images) goes to a decision thread.
fn is_quick(scope: &admission::Scope<'_>, request: &admission::Request) -> bool {
    scope.work(request) <= QUICK_WORK
}

/// Reads the review (on a decision thread when it is large), asks the registry for what the
/// facts lack (by the
/// admission's deadline, on the async side: waiting holds no thread), then decides on a
/// decision thread.
async fn with_registry(
    state: &Arc<State>,
    live: Arc<Live>,
    bytes: Vec<u8>,
    timeout: Option<Duration>,
) -> Result<Response, tokio::task::JoinError> {
    let deadline = tokio::time::Instant::now() + live.deadline(timeout);
    // A small review is read here (tens of microseconds), a large one on a decision thread:
    // the hop costs more than reading what a Pod usually is.
    let (read, platform) = if bytes.len() <= SMALL_REVIEW {
        (
            read_request(state, &bytes),
            admission::node_platform(&bytes),
        )
    } else {
        let Ok(permit) = Arc::clone(&state.deciders).acquire_owned().await else {
            return Ok(busy(state));
        };
        let reading = Arc::clone(state);
        tokio::task::spawn_blocking(move || {
            let read = (
                read_request(&reading, &bytes),
                admission::node_platform(&bytes),
            );
            drop((bytes, permit));
            read
        })
        .await?
    };
    let mut request = match read {
        Ok(request) => request,
        Err(answer) => return Ok(*answer),
    };
    let images: Vec<_> = request
        .input()
        .images
        .iter()
        .map(|i| (i.reference.clone(), i.facts.clone()))
        .collect();
    let loaded = state.loaded.load_full();
    let outcomes = live
        .images_on(&images, loaded.facts.as_ref(), deadline, platform.as_ref())
        .await;
    let mut notes = Vec::with_capacity(outcomes.len());
    for (i, outcome) in outcomes.into_iter().enumerate() {
        request.set_facts(i, outcome.facts);
        notes.push(outcome.notes);
    }
    let Ok(permit) = Arc::clone(&state.deciders).acquire_owned().await else {
        return Ok(busy(state));
    };
    decide_read(state, request, notes, permit).await
}

/// Decides a review already read: here, on the async worker, when it is quick ([`is_quick`]:
/// handing it to a decision thread and back would cost more, two thread wake-ups, 50-100 µs
/// on an idle machine), else on a decision thread. `notes` lead the reasons of each image's
/// unknown policies; `hold` (permits, the body's reservation) is released once it is decided.
async fn decide_read<H: Send + 'static>(
    state: &Arc<State>,
    request: admission::Request,
    notes: Vec<Vec<String>>,
    hold: H,
) -> Result<Response, tokio::task::JoinError> {
    let loaded = state.loaded.load_full();
    let scope = request.scope(&loaded.engine);
    if is_quick(&scope, &request) {
        let answer = decide_request(state, &loaded, scope, &request, &notes);
        drop(hold);
        return Ok(answer);
    }
    let deciding = Arc::clone(state);
    tokio::task::spawn_blocking(move || {
        let scope = request.scope(&loaded.engine);
        let answer = decide_request(&deciding, &loaded, scope, &request, &notes);
        drop((request, hold));
        answer
    })
    .await
}

/// `POST /mutate`: pins tagged images to the digests their tags resolve to
/// ([`crate::mutate`]). Never denies: an image not resolved in time is left as it is.
async fn mutate(
    Extract(state): Extract<Arc<State>>,
    Extension(cert): Extension<ClientCert>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Received { bytes, reservation } = match receive(&state, cert, &headers, body).await {
        Ok(received) => received,
        Err(answer) => return answer,
    };
    let request = match crate::mutate::read(&bytes, state.pin) {
        Ok(request) => request,
        Err(e) => {
            return failure(
                &state,
                Failure::BadRequest,
                StatusCode::BAD_REQUEST,
                e.to_string(),
            );
        }
    };
    drop((bytes, reservation));
    let digests: Vec<Option<String>> = match &state.live {
        Some(live) => {
            let deadline = tokio::time::Instant::now() + live.deadline(api_timeout(uri.query()));
            futures::future::join_all(
                request
                    .slots
                    .iter()
                    .map(|slot| live.digest_of(&slot.reference, deadline)),
            )
            .await
            .into_iter()
            .zip(&request.slots)
            .map(|(digest, slot)| match digest {
                Ok(digest) => Some(digest),
                Err(why) => {
                    tracing::warn!(image = %Text(&slot.written), "not pinned: {}", Text(&why));
                    None
                }
            })
            .collect()
        }
        None => vec![None; request.slots.len()],
    };
    let answer_ = request.answer(&digests);
    tracing::info!(
        uid = %answer_.response.uid,
        pinned = digests.iter().flatten().count(),
        images = digests.len(),
        "mutation"
    );
    answer(&state, &answer_)
}

/// Reads the review, decides, answers.
fn decide(state: &State, bytes: &[u8]) -> Response {
    match read_request(state, bytes) {
        Ok(request) => {
            let loaded = state.loaded.load_full();
            decide_request(state, &loaded, request.scope(&loaded.engine), &request, &[])
        }
        Err(answer) => *answer,
    }
}

/// The review in `bytes`, or the answer to send when there is none to decide.
fn read_request(state: &State, bytes: &[u8]) -> Result<admission::Request, Box<Response>> {
    match admission::read(bytes, &state.review) {
        Ok(admission::Read::Request(request)) => Ok(request),
        Ok(admission::Read::Unreadable(unreadable)) => {
            state.metrics.failed(Failure::BadImage);
            tracing::warn!(
                uid = %unreadable.uid,
                "denied an unreadable review: {}",
                Text(&unreadable.reason)
            );
            Err(Box::new(answer(state, &unreadable.answer)))
        }
        Err(e) => Err(Box::new(failure(
            state,
            Failure::BadRequest,
            StatusCode::BAD_REQUEST,
            e.to_string(),
        ))),
    }
}

/// Decides a review under `scope` (its asset's, in `loaded`'s engine) and answers; `notes`
/// say, per image, what the registry could not give, and lead the reasons of every policy
/// left unknown for that image.
fn decide_request(
    state: &State,
    loaded: &Loaded,
    scope: admission::Scope<'_>,
    request: &admission::Request,
    notes: &[Vec<String>],
) -> Response {
    let started = Instant::now();
    // What the registry could not give leads the reasons of each policy it left unknown.
    let mut amend = |i: usize, image: &mut ImageDecision| {
        let Some(notes) = notes.get(i).filter(|n| !n.is_empty()) else {
            return;
        };
        for policy in &mut image.policies {
            if policy.result == PolicyResult::Unknown {
                policy.reasons.splice(0..0, notes.iter().cloned());
            }
        }
    };
    let decided = std::panic::catch_unwind(AssertUnwindSafe(|| {
        CACHE.with(|cache| {
            request.decide(
                scope,
                loaded.facts.as_ref(),
                bona_host::clock::now(),
                &mut cache.borrow_mut(),
                &mut amend,
            )
        })
    }));
    let Ok(decided) = decided else {
        // The cache may be half-updated; start it afresh.
        CACHE.with(|cache| *cache.borrow_mut() = VerificationCache::new());
        return failure(
            state,
            Failure::Internal,
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "internal error while deciding request {} (this is a bug in Bona; please report it)",
                request.uid()
            ),
        );
    };
    let prevented = decided.decision == DecisionKind::Prevent;
    let counts = decided.counts;
    state.metrics.decided(
        prevented,
        counts.trusted,
        counts.untrusted_allowed,
        counts.blocked,
    );
    let asset = &request.input().asset;
    log::admission(&log::Admission {
        uid: request.uid(),
        kind: &asset.kind,
        namespace: &asset.namespace,
        name: &asset.name,
        decision: decided.decision.as_str(),
        images: counts.trusted + counts.untrusted_allowed + counts.blocked,
        untrusted: counts.untrusted_allowed + counts.blocked,
        latency_us: started.elapsed().as_micros(),
    });
    answer(state, &decided.response)
}

/// 200 with the AdmissionReview answer.
fn answer(state: &State, answer: &ReviewResponse) -> Response {
    match answer.to_json() {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => failure(
            state,
            Failure::Internal,
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the answer: {e}"),
        ),
    }
}
