//! What one client, or many, may hold of the server: connections, time, buffered bytes and
//! decision threads. Every bound is a flag of `bona serve` with the default below; the reasons
//! for the defaults are in `docs/serve.md` ("Limits").
//!
//! The sizes follow from Kubernetes: etcd refuses objects over 1.5 MiB (its default
//! `--max-request-bytes`), and an AdmissionReview carries at most the object and its old version
//! (an UPDATE), JSON-encoded, plus a small envelope. So one review is at most about 3 MiB and
//! [`DEFAULT_MAX_REQUEST_BYTES`] of 4 MiB leaves a margin. Bytes buffered across *all* requests
//! are bounded separately ([`Budget`]): a client that opens many connections and sends nearly
//! 4 MiB on each gets `503` once the budget is spent rather than growing the process until the
//! kernel kills it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// One request body at most: an UPDATE review of an object at etcd's 1.5 MiB limit, twice
/// (object and oldObject), plus 1 MiB for the envelope and JSON's overhead.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 4 << 20;
/// Request bodies buffered across all connections: eight reviews of the largest size at once,
/// thousands of ordinary ones (a Deployment's review is 5–20 KiB).
pub const DEFAULT_MAX_BUFFERED_BYTES: usize = 32 << 20;
/// Connections open at once; more wait in the kernel's listen queue.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// HTTP/2 streams (requests) one connection may have open at once; Go's own server uses 250,
/// the API server opens another connection when a connection is full.
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 250;
/// Time for the whole request: TLS handshake and headers on a new connection, then headers and
/// body of each request. The API server gives a webhook 10 s by default (`timeoutSeconds`, at
/// most 30), so a request slower than that is answered to nobody.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a connection may stay open with no request in progress (HTTP/1.1 keep-alive, an HTTP/2
/// connection without streams). The API server reconnects when it needs to.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Interval of HTTP/2 pings on a connection with streams open; a peer that does not answer one
/// within [`KEEP_ALIVE_TIMEOUT`] is gone and its connection is closed.
pub const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);
/// See [`KEEP_ALIVE_INTERVAL`].
pub const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// The limits of one server, from its flags.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub max_request_bytes: usize,
    /// Request body bytes held across all connections; past it requests get 503.
    pub max_buffered_bytes: usize,
    pub max_concurrent_streams: u32,
    pub request_timeout: Duration,
    pub idle_timeout: Duration,
    /// Decisions running at once, on threads apart from those that read and answer requests.
    pub decision_threads: usize,
    /// Seconds `/readyz` answers 503 while the server still serves, before the listener closes.
    pub shutdown_delay: Duration,
    /// Time requests in flight get to finish once the listener is closed.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            max_buffered_bytes: DEFAULT_MAX_BUFFERED_BYTES,
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            decision_threads: default_decision_threads(),
            shutdown_delay: Duration::ZERO,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// One decision thread per core.
pub fn default_decision_threads() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// A review over this size is "large": at most half the decision threads (at least one) decide
/// large reviews at once, so ordinary ones always find a thread when there are two or more. A
/// review of tens of thousands of containers takes a second and some 150 MiB to decide.
pub const LARGE_REVIEW: usize = 1 << 20;
/// A body at most this large is "small": an ordinary review (5–20 KiB) with room to spare.
pub const SMALL_REQUEST: usize = 64 << 10;

/// A count of request body bytes held in memory, shared by every connection.
///
/// An eighth of it is kept for small requests: when large bodies (such as a client declaring
/// 4 MiB and sending it slowly) have taken the rest, ordinary reviews are still read and
/// decided rather than refused with 503.
#[derive(Debug)]
pub struct Budget {
    used: AtomicUsize,
    /// What any request may take.
    max: usize,
    small_used: AtomicUsize,
    /// What only small requests may take, once `max` is spent.
    small_max: usize,
}

impl Budget {
    pub fn new(total: usize) -> Arc<Budget> {
        let small_max = total / 8;
        Arc::new(Budget {
            used: AtomicUsize::new(0),
            max: total - small_max,
            small_used: AtomicUsize::new(0),
            small_max,
        })
    }

    /// Takes `bytes` from the budget, or nothing when they do not fit.
    pub fn reserve(self: &Arc<Budget>, bytes: usize) -> Option<Reservation> {
        let mut reservation = Reservation {
            budget: Arc::clone(self),
            bytes: 0,
            small_bytes: 0,
        };
        reservation.grow(bytes).then_some(reservation)
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed) + self.small_used.load(Ordering::Relaxed)
    }

    /// The whole budget.
    pub fn max(&self) -> usize {
        self.max + self.small_max
    }
}

/// Takes `more` from `used` if the total stays within `max`.
fn take(used: &AtomicUsize, max: usize, more: usize) -> bool {
    used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
        now.checked_add(more).filter(|total| *total <= max)
    })
    .is_ok()
}

/// Bytes taken from a [`Budget`], given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<Budget>,
    bytes: usize,
    small_bytes: usize,
}

impl Reservation {
    /// Takes `more` bytes; false (taking nothing) when they do not fit.
    pub fn grow(&mut self, more: usize) -> bool {
        let budget = &self.budget;
        if take(&budget.used, budget.max, more) {
            self.bytes += more;
            return true;
        }
        if self.held() + more <= SMALL_REQUEST && take(&budget.small_used, budget.small_max, more) {
            self.small_bytes += more;
            return true;
        }
        false
    }

    /// Bytes held by this reservation.
    pub fn held(&self) -> usize {
        self.bytes + self.small_bytes
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
        self.budget
            .small_used
            .fetch_sub(self.small_bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_is_shared_and_given_back() {
        // 700 bytes for any request, 100 more for small ones only.
        let budget = Budget::new(800);
        let mut a = budget.reserve(600).unwrap();
        assert!(a.grow(100));
        assert_eq!(budget.used(), 700);
        // Spent: a small request still fits, a large one does not.
        let small = budget.reserve(100).unwrap();
        assert!(budget.reserve(1).is_none());
        drop(small);
        assert!(budget.reserve(SMALL_REQUEST + 1).is_none());
        drop(a);
        assert_eq!(budget.used(), 0);
        assert!(budget.reserve(700).is_some());
        assert!(budget.reserve(701).is_none());
        assert_eq!(budget.used(), 0);
    }
}
