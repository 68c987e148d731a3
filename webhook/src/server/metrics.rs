//! The webhook's counters, exposed at `GET /metrics` in the Prometheus text format (0.0.4).
//!
//! A handful of atomics written by hand: a metrics library would bring a registry, labels
//! interned at run time and a second HTTP stack for a dozen series. Every series is written
//! even at zero, so dashboards and alerts see it from the first scrape.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram: the webhook answers in microseconds, the
/// API server gives it 10 s at most.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

/// Why a `/validate` request got no decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 400: not JSON, not an AdmissionReview, no `request.uid`.
    BadRequest,
    /// 400 inside an answered review: an image that is not a valid reference.
    BadImage,
    /// 408: the body did not arrive within `--request-timeout`.
    Timeout,
    /// 413: the body is over the limit.
    TooLarge,
    /// 415: not `application/json`.
    UnsupportedMediaType,
    /// 500: a bug in Bona (a panic while deciding).
    Internal,
    /// 503: request bodies held at once are over `--max-buffered-bytes`.
    Busy,
    /// 401: no client certificate from a `--client-ca` authority.
    Unauthenticated,
}

impl Failure {
    const ALL: [Failure; 8] = [
        Failure::BadRequest,
        Failure::BadImage,
        Failure::Timeout,
        Failure::TooLarge,
        Failure::UnsupportedMediaType,
        Failure::Internal,
        Failure::Busy,
        Failure::Unauthenticated,
    ];

    fn label(self) -> &'static str {
        match self {
            Failure::BadRequest => "bad_request",
            Failure::BadImage => "bad_image",
            Failure::Timeout => "timeout",
            Failure::TooLarge => "too_large",
            Failure::UnsupportedMediaType => "unsupported_media_type",
            Failure::Internal => "internal",
            Failure::Busy => "busy",
            Failure::Unauthenticated => "unauthenticated",
        }
    }
}

/// Every counter of the process.
#[derive(Debug, Default)]
pub struct Metrics {
    allowed: AtomicU64,
    prevented: AtomicU64,
    failures: [AtomicU64; Failure::ALL.len()],
    images_trusted: AtomicU64,
    images_untrusted_allowed: AtomicU64,
    images_prevented: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_nanos: AtomicU64,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    policies: AtomicU64,
    loaded_at: AtomicU64,
    /// Connections open now (TLS handshake included).
    pub connections: AtomicU64,
}

impl Metrics {
    /// Counts one decision and its images.
    pub fn decided(&self, prevented: bool, trusted: u64, untrusted_allowed: u64, blocked: u64) {
        if prevented {
            &self.prevented
        } else {
            &self.allowed
        }
        .fetch_add(1, Relaxed);
        self.images_trusted.fetch_add(trusted, Relaxed);
        self.images_untrusted_allowed
            .fetch_add(untrusted_allowed, Relaxed);
        self.images_prevented.fetch_add(blocked, Relaxed);
    }

    /// Counts one request that got no decision.
    pub fn failed(&self, failure: Failure) {
        // INVARIANT: `failures` has one slot per `Failure::ALL` entry, in that order.
        let slot = Failure::ALL.iter().position(|f| *f == failure).unwrap_or(0);
        self.failures[slot].fetch_add(1, Relaxed);
    }

    /// Records the time one `/validate` request took, from its body read to its answer.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.latency_sum_nanos.fetch_add(nanos, Relaxed);
    }

    /// Records a policy (re)load: its outcome and, on success, the set's size and when.
    pub fn loaded(&self, ok: bool, policies: usize, unix_seconds: i64) {
        if ok {
            self.reloads_ok.fetch_add(1, Relaxed);
            self.policies
                .store(u64::try_from(policies).unwrap_or(u64::MAX), Relaxed);
            self.loaded_at
                .store(u64::try_from(unix_seconds).unwrap_or(0), Relaxed);
        } else {
            self.reloads_failed.fetch_add(1, Relaxed);
        }
    }

    /// The exposition text; `buffered` is the request body bytes held now.
    pub fn render(&self, buffered: usize) -> String {
        let mut out = String::with_capacity(2048);
        let get = |a: &AtomicU64| a.load(Relaxed);
        let _ = writeln!(
            out,
            "# HELP bona_admission_requests_total Admission requests decided, by decision.\n\
             # TYPE bona_admission_requests_total counter\n\
             bona_admission_requests_total{{decision=\"allow\"}} {}\n\
             bona_admission_requests_total{{decision=\"prevent\"}} {}",
            get(&self.allowed),
            get(&self.prevented)
        );
        let _ = writeln!(
            out,
            "# HELP bona_admission_errors_total Requests to /validate answered without a decision, by reason.\n\
             # TYPE bona_admission_errors_total counter"
        );
        for (failure, count) in Failure::ALL.iter().zip(&self.failures) {
            let _ = writeln!(
                out,
                "bona_admission_errors_total{{reason=\"{}\"}} {}",
                failure.label(),
                get(count)
            );
        }
        let _ = writeln!(
            out,
            "# HELP bona_admission_images_total Images judged at admission, by outcome.\n\
             # TYPE bona_admission_images_total counter\n\
             bona_admission_images_total{{result=\"trusted\"}} {}\n\
             bona_admission_images_total{{result=\"untrusted_allowed\"}} {}\n\
             bona_admission_images_total{{result=\"prevented\"}} {}",
            get(&self.images_trusted),
            get(&self.images_untrusted_allowed),
            get(&self.images_prevented)
        );
        let _ = writeln!(
            out,
            "# HELP bona_admission_duration_seconds Time to answer a /validate request, body read to answer.\n\
             # TYPE bona_admission_duration_seconds histogram"
        );
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "bona_admission_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                get(bucket)
            );
        }
        let count = get(&self.latency_count);
        // Precision loss is irrelevant for a sum of latencies in seconds.
        let sum = get(&self.latency_sum_nanos) as f64 / 1e9;
        let _ = writeln!(
            out,
            "bona_admission_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n\
             bona_admission_duration_seconds_sum {sum}\n\
             bona_admission_duration_seconds_count {count}"
        );
        let _ = writeln!(
            out,
            "# HELP bona_policy_reloads_total Policy loads, the first one included, by result.\n\
             # TYPE bona_policy_reloads_total counter\n\
             bona_policy_reloads_total{{result=\"success\"}} {}\n\
             bona_policy_reloads_total{{result=\"failure\"}} {}\n\
             # HELP bona_policies Policies in the set in use.\n\
             # TYPE bona_policies gauge\n\
             bona_policies {}\n\
             # HELP bona_policy_loaded_timestamp_seconds When the set in use was loaded (Unix time).\n\
             # TYPE bona_policy_loaded_timestamp_seconds gauge\n\
             bona_policy_loaded_timestamp_seconds {}",
            get(&self.reloads_ok),
            get(&self.reloads_failed),
            get(&self.policies),
            get(&self.loaded_at)
        );
        let _ = writeln!(
            out,
            "# HELP bona_connections Connections open now, of at most --max-connections.\n\
             # TYPE bona_connections gauge\n\
             bona_connections {}\n\
             # HELP bona_request_body_bytes Request body bytes held in memory now, of at most --max-buffered-bytes.\n\
             # TYPE bona_request_body_bytes gauge\n\
             bona_request_body_bytes {buffered}",
            get(&self.connections)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative() {
        let m = Metrics::default();
        m.observe(Duration::from_micros(50));
        m.observe(Duration::from_millis(3));
        let text = m.render(0);
        assert!(text.contains("bona_admission_duration_seconds_bucket{le=\"0.0001\"} 1\n"));
        assert!(text.contains("bona_admission_duration_seconds_bucket{le=\"0.005\"} 2\n"));
        assert!(text.contains("bona_admission_duration_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("bona_admission_duration_seconds_count 2\n"));
    }

    #[test]
    fn every_series_is_present_at_zero() {
        let text = Metrics::default().render(0);
        assert!(text.contains("bona_admission_requests_total{decision=\"prevent\"} 0\n"));
        assert!(text.contains("bona_admission_errors_total{reason=\"internal\"} 0\n"));
        assert!(text.contains("bona_policies 0\n"));
        assert!(text.contains("bona_connections 0\n"));
        assert!(text.contains("bona_request_body_bytes 0\n"));
    }
}
