//! A small timing harness: batches of calls, the median of the batches' per-call times.
//!
//! Criterion would take minutes per engine at N = 10,000, where one Cedar or Rego decision
//! costs tens of milliseconds; the whole run must stay within a quarter of an hour on two
//! shared cores. So: one call to warm up and estimate, batches sized to about
//! [`BATCH_TARGET`] (at least one call), [`BATCHES`] batches (fewer when a single call is
//! slow), and the median of the batches, which a noisy neighbour moves less than the mean.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// How long one batch aims to run.
const BATCH_TARGET: Duration = Duration::from_millis(100);
/// Batches per measurement: at least 0.5 s of calls for fast operations.
const BATCHES: usize = 5;
/// Batches when one call already takes longer than a batch's target (slow loads at N = 10,000).
const SLOW_BATCHES: usize = 3;
/// Calls per batch at most (fast operations reach the target long before).
const MAX_CALLS: u64 = 5_000_000;

/// The median time of one call of `f`.
pub fn measure<R>(mut f: impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    black_box(f());
    let first = start.elapsed().max(Duration::from_nanos(1));
    // Estimate again over a few calls when the first was fast (it paid for cold caches).
    let estimate = if first < BATCH_TARGET / 100 {
        let start = Instant::now();
        for _ in 0..100 {
            black_box(f());
        }
        (start.elapsed() / 100).max(Duration::from_nanos(1))
    } else {
        first
    };
    let calls = (BATCH_TARGET.as_nanos() / estimate.as_nanos()).clamp(1, u128::from(MAX_CALLS));
    let calls = u64::try_from(calls).unwrap_or(1);
    let batches = if estimate > BATCH_TARGET {
        SLOW_BATCHES
    } else {
        BATCHES
    };
    let mut per_call: Vec<Duration> = (0..batches)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                black_box(f());
            }
            start.elapsed() / u32::try_from(calls).unwrap_or(u32::MAX)
        })
        .collect();
    per_call.sort_unstable();
    per_call[per_call.len() / 2]
}

/// A duration with three significant digits and a fitting unit.
pub fn format(d: Duration) -> String {
    let ns = d.as_secs_f64() * 1e9;
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    let digits = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.digits$} {unit}")
}

/// `peer / base` as a ratio, like `250×` or `0.8×`.
pub fn ratio(peer: Duration, base: Duration) -> String {
    let r = peer.as_secs_f64() / base.as_secs_f64();
    if r >= 100.0 {
        format!("{r:.0}×")
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}
