//! The one clock of a Bona host. The runtime reads none (its callers pass the time), so every
//! command, the webhook and the test runner take "now" from here.

/// Seconds since the Unix epoch; 0 if the system clock is before it.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
