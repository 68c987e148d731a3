//! The cache in front of the registry client for `bona serve --registry` and `bona audit
//! --registry` (SPEC §9, docs/registry.md).
//!
//! **Lifetimes are the caller's.** Each fetch returns its own time to live with its outcome:
//! tag → digest `--tag-ttl`, content facts `--facts-ttl`, evidence lists `--facts-ttl` only when
//! complete and non-empty (else `--tag-ttl`, so a deploy racing CI's `cosign sign` is not
//! refused for ten minutes), failures 10 s. Failures are remembered like values, so a registry
//! that fails is asked once per key and lifetime, not once per admission. The cache knows
//! nothing of registries: one `Cache` per kind of fact, keys built by the caller (registry,
//! repository, platform, credential identity).
//!
//! **Single flight.** Concurrent lookups of one missing key share one fetch. The fetch runs as
//! a task of its own, so it finishes and fills the cache even after its first caller has given
//! up (the next admission then finds it), but it is dropped after [`Limits::max_flight`]; each
//! caller waits only until its own deadline.
//!
//! **Bounds.** At most [`Limits::entries`] entries and [`Limits::bytes`] bytes (as the caller
//! sizes them); the least recently used goes first. Recency is a tick per use kept in a
//! `BTreeMap`, so a hit costs one hash lookup and one move in that map, never a scan.
//!
//! A 429 is not a fact about one key but about a registry: [`Backoff`] holds those, shared by
//! every cache, and [`retry_after`] reads the header.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bona_sigstore::time::{civil_from_days, days_from_civil, days_in_month};
use tokio::sync::watch;
use tokio::time::Instant;

/// `--cache-entries`' default.
pub const DEFAULT_ENTRIES: usize = 10_000;
/// `--cache-bytes`' default: 256 MiB.
pub const DEFAULT_BYTES: usize = 256 << 20;
/// How long a started fetch may outlive its first caller's deadline.
pub const MAX_FLIGHT: Duration = Duration::from_secs(10);
/// The longest a 429 keeps Bona away from a registry, whatever it asks for: a registry (or
/// whoever answers in its name) must not switch off admission checks for long.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5 * 60);
/// The wait after a 429 without a readable `Retry-After`: long enough not to make a rate limit
/// worse, short enough that evidence comes back within the minute.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The bounds of one cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Entries kept (`--cache-entries`); 0 keeps none, but lookups still share fetches.
    pub entries: usize,
    /// Sum of the entries' sizes (`--cache-bytes`). A value larger than this alone is handed
    /// to its callers and not kept.
    pub bytes: usize,
    /// A fetch still running this long after it started is dropped (its request cancelled)
    /// and its key may be fetched again.
    pub max_flight: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            entries: DEFAULT_ENTRIES,
            bytes: DEFAULT_BYTES,
            max_flight: MAX_FLIGHT,
        }
    }
}

/// What a fetch returns: its outcome, how long it stays true, and what it costs to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched<V, E> {
    pub outcome: Result<V, E>,
    /// Zero: handed to the callers waiting now, and not kept.
    pub ttl: Duration,
    /// Counted against [`Limits::bytes`]; the caller's estimate of the value and its key.
    pub bytes: usize,
}

impl<V, E> Fetched<V, E> {
    /// A value kept for `ttl`, weighing `bytes`.
    pub fn value(value: V, ttl: Duration, bytes: usize) -> Self {
        Fetched {
            outcome: Ok(value),
            ttl,
            bytes,
        }
    }

    /// A failure weighs nothing against the byte bound: it is small, and the entry bound
    /// still counts it.
    pub fn failure(error: E, ttl: Duration) -> Self {
        Fetched {
            outcome: Err(error),
            ttl,
            bytes: 0,
        }
    }
}

/// How a lookup ended. Each variant is a different reason for the caller to write, and
/// [`Lookup::is_hit`] is what the hit and miss counters count.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum Lookup<V, E> {
    /// A fresh entry: no request was made.
    Hit(V),
    /// A fetch (this caller's or one it joined) brought it.
    Fetched(V),
    /// A failure seen within its lifetime: no request was made.
    CachedFailure(E),
    /// The fetch this caller waited for failed.
    Failed(E),
    /// The caller's deadline passed first; the fetch goes on and fills the cache.
    TimedOut,
    /// The fetch passed [`Limits::max_flight`] and was dropped. Not remembered: with single
    /// flight a silent registry already gets at most one request per key and `max_flight`.
    Abandoned,
    /// The fetch panicked: a bug in the fetch, reported to its waiters as a failure and not
    /// remembered.
    Panicked,
}

impl<V, E> Lookup<V, E> {
    /// Whether the cache answered without a request (a value or a remembered failure).
    pub fn is_hit(&self) -> bool {
        matches!(self, Lookup::Hit(_) | Lookup::CachedFailure(_))
    }

    /// The value, fresh or cached; `None` for every kind of failure.
    pub fn value(&self) -> Option<&V> {
        match self {
            Lookup::Hit(v) | Lookup::Fetched(v) => Some(v),
            _ => None,
        }
    }

    /// [`Lookup::value`], by value.
    pub fn into_value(self) -> Option<V> {
        match self {
            Lookup::Hit(v) | Lookup::Fetched(v) => Some(v),
            _ => None,
        }
    }
}

/// Counters and gauges for the metrics endpoint. A lookup is a hit when a fresh entry (value
/// or failure) answered it, and a miss otherwise, whether it started a fetch or joined one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub hits: u64,
    pub misses: u64,
    /// Entries pushed out by a bound (not those that expired).
    pub evictions: u64,
    pub entries: usize,
    pub bytes: usize,
}

/// A bounded, single-flight cache; cloning it shares it.
///
/// Every answer is a clone of `V` or `E` made under the lock: large values belong in an `Arc`.
pub struct Cache<K, V, E> {
    shared: Arc<Shared<K, V, E>>,
}

struct Shared<K, V, E> {
    limits: Limits,
    inner: Mutex<Inner<K, V, E>>,
}

struct Inner<K, V, E> {
    slots: HashMap<K, Slot<V, E>>,
    /// Last use → key, for every `Slot::Ready` and nothing else: the first is the next out.
    lru: BTreeMap<u64, K>,
    tick: u64,
    bytes: usize,
    flights: u64,
    hits: u64,
    misses: u64,
    evictions: u64,
}

enum Slot<V, E> {
    Ready(Entry<V, E>),
    /// A fetch under way; joining it is cloning the receiver.
    Flight {
        id: u64,
        done: watch::Receiver<Option<Done<V, E>>>,
    },
}

struct Entry<V, E> {
    outcome: Result<V, E>,
    expires: Instant,
    bytes: usize,
    used: u64,
}

/// What a flight tells its waiters. A panic tells them nothing: the sender is dropped.
#[derive(Clone)]
enum Done<V, E> {
    Value(V),
    Failure(E),
    Abandoned,
}

/// What a lookup does once the lock is released.
enum Wait<V, E> {
    Join(watch::Receiver<Option<Done<V, E>>>),
    Start {
        id: u64,
        done: watch::Sender<Option<Done<V, E>>>,
        rx: watch::Receiver<Option<Done<V, E>>>,
    },
}

impl<K, V, E> Cache<K, V, E>
where
    K: Eq + Hash + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
    E: Clone + Send + Sync + 'static,
{
    /// An empty cache; one per kind of fact, so that the metrics can tell them apart.
    pub fn new(limits: Limits) -> Self {
        Cache {
            shared: Arc::new(Shared {
                limits,
                inner: Mutex::new(Inner {
                    slots: HashMap::new(),
                    lru: BTreeMap::new(),
                    tick: 0,
                    bytes: 0,
                    flights: 0,
                    hits: 0,
                    misses: 0,
                    evictions: 0,
                }),
            }),
        }
    }

    /// The bounds it was made with.
    pub fn limits(&self) -> Limits {
        self.shared.limits
    }

    /// The entry for `key` when fresh; else the outcome of a fetch, shared with every other
    /// caller of this key meanwhile, or [`Lookup::TimedOut`] at `deadline`.
    ///
    /// `fetch` is called only when this caller starts the flight, on this task; the future it
    /// returns runs on a task of its own (so this must run inside a Tokio runtime). A deadline
    /// already past still starts a missing fetch: its answer serves the next caller.
    pub async fn get_or_fetch<F, Fut>(&self, key: K, deadline: Instant, fetch: F) -> Lookup<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Fetched<V, E>> + Send + 'static,
    {
        let now = Instant::now();
        let wait = {
            let mut guard = self.shared.lock();
            let inner = &mut *guard;
            match inner.slots.get_mut(&key) {
                Some(Slot::Ready(entry)) if entry.expires > now => {
                    inner.tick += 1;
                    if let Some(k) = inner.lru.remove(&entry.used) {
                        inner.lru.insert(inner.tick, k);
                    }
                    entry.used = inner.tick;
                    inner.hits += 1;
                    return match &entry.outcome {
                        Ok(v) => Lookup::Hit(v.clone()),
                        Err(e) => Lookup::CachedFailure(e.clone()),
                    };
                }
                Some(Slot::Flight { done, .. }) => {
                    inner.misses += 1;
                    Wait::Join(done.clone())
                }
                _ => {
                    inner.misses += 1;
                    inner.flights += 1;
                    let id = inner.flights;
                    let (done, rx) = watch::channel(None);
                    inner.forget(&key);
                    inner.slots.insert(
                        key.clone(),
                        Slot::Flight {
                            id,
                            done: rx.clone(),
                        },
                    );
                    Wait::Start { id, done, rx }
                }
            }
        };
        let mut rx = match wait {
            Wait::Join(rx) => rx,
            Wait::Start { id, done, rx } => {
                // Made before `fetch` runs: if that panics, dropping the flight frees the key.
                let flight = Flight {
                    shared: Arc::clone(&self.shared),
                    key,
                    id,
                    done,
                    landed: false,
                };
                let fetching = fetch();
                let limit = now.checked_add(self.shared.limits.max_flight);
                tokio::spawn(flight.run(fetching, limit));
                rx
            }
        };
        match tokio::time::timeout_at(deadline, rx.wait_for(Option::is_some)).await {
            Err(_elapsed) => Lookup::TimedOut,
            // The flight was dropped without an answer: only a panic does that.
            Ok(Err(_closed)) => Lookup::Panicked,
            Ok(Ok(done)) => match &*done {
                Some(Done::Value(v)) => Lookup::Fetched(v.clone()),
                Some(Done::Failure(e)) => Lookup::Failed(e.clone()),
                Some(Done::Abandoned) => Lookup::Abandoned,
                // `wait_for` returns only a `Some`.
                None => Lookup::Panicked,
            },
        }
    }

    /// The fresh outcome for `key`, if any, without counting it or refreshing its recency:
    /// for questions about the past such as "did this tag name this digest within
    /// `--facts-ttl`" (SPEC §9, tags are claims).
    pub fn peek(&self, key: &K) -> Option<Result<V, E>> {
        let now = Instant::now();
        match self.shared.lock().slots.get(key) {
            Some(Slot::Ready(entry)) if entry.expires > now => Some(entry.outcome.clone()),
            _ => None,
        }
    }

    /// Stores what was learnt outside a lookup (a tag → digest seen by `/mutate`). A fetch of
    /// the same key under way still answers its waiters, but no longer replaces this.
    pub fn insert(&self, key: K, fetched: Fetched<V, E>) {
        let now = Instant::now();
        self.shared
            .lock()
            .store(key, fetched, &self.shared.limits, now);
    }

    /// The counters so far and the current size.
    pub fn stats(&self) -> Stats {
        let inner = self.shared.lock();
        Stats {
            hits: inner.hits,
            misses: inner.misses,
            evictions: inner.evictions,
            entries: inner.lru.len(),
            bytes: inner.bytes,
        }
    }
}

impl<K, V, E> Clone for Cache<K, V, E> {
    fn clone(&self) -> Self {
        Cache {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<K, V, E> fmt::Debug for Cache<K, V, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("limits", &self.shared.limits)
            .finish_non_exhaustive()
    }
}

impl<K, V, E> Shared<K, V, E> {
    /// A panic elsewhere while the lock was held leaves at worst a miscounted byte total:
    /// better than an admission webhook that panics on every later request.
    fn lock(&self) -> MutexGuard<'_, Inner<K, V, E>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K: Eq + Hash + Clone, V, E> Inner<K, V, E> {
    /// Removes `key`'s slot and its share of the bounds.
    fn forget(&mut self, key: &K) {
        if let Some(Slot::Ready(entry)) = self.slots.remove(key) {
            self.lru.remove(&entry.used);
            self.bytes = self.bytes.saturating_sub(entry.bytes);
        }
    }

    /// Ends flight `id` of `key`, keeping what it fetched; a slot that is no longer that
    /// flight (replaced by [`Cache::insert`]) is left alone.
    fn land(&mut self, key: &K, id: u64, fetched: Option<Fetched<V, E>>, limits: &Limits) {
        if !matches!(self.slots.get(key), Some(Slot::Flight { id: ours, .. }) if *ours == id) {
            return;
        }
        let Some((key, _flight)) = self.slots.remove_entry(key) else {
            return;
        };
        if let Some(fetched) = fetched {
            self.store(key, fetched, limits, Instant::now());
        }
    }

    fn store(&mut self, key: K, fetched: Fetched<V, E>, limits: &Limits, now: Instant) {
        self.forget(&key);
        let Some(expires) = now.checked_add(fetched.ttl) else {
            return;
        };
        if fetched.ttl.is_zero() || limits.entries == 0 || fetched.bytes > limits.bytes {
            return;
        }
        self.tick += 1;
        self.lru.insert(self.tick, key.clone());
        self.bytes = self.bytes.saturating_add(fetched.bytes);
        self.slots.insert(
            key,
            Slot::Ready(Entry {
                outcome: fetched.outcome,
                expires,
                bytes: fetched.bytes,
                used: self.tick,
            }),
        );
        while self.lru.len() > limits.entries || self.bytes > limits.bytes {
            let Some((_, old)) = self.lru.pop_first() else {
                break;
            };
            match self.slots.remove(&old) {
                Some(Slot::Ready(entry)) => {
                    self.bytes = self.bytes.saturating_sub(entry.bytes);
                    self.evictions += 1;
                }
                // `lru` holds only ready keys; put back anything else rather than lose a flight.
                Some(flight) => {
                    self.slots.insert(old, flight);
                }
                None => {}
            }
        }
    }
}

/// A fetch under way, owned by its task. Dropping it unanswered (a panic in the fetch, or in
/// the closure that made it, or the runtime shutting down) frees the key and closes the
/// channel, so no waiter hangs and the next caller fetches again.
struct Flight<K, V, E>
where
    K: Eq + Hash + Clone,
{
    shared: Arc<Shared<K, V, E>>,
    key: K,
    id: u64,
    done: watch::Sender<Option<Done<V, E>>>,
    landed: bool,
}

impl<K, V, E> Flight<K, V, E>
where
    K: Eq + Hash + Clone,
    V: Clone,
    E: Clone,
{
    async fn run<Fut>(mut self, fetching: Fut, limit: Option<Instant>)
    where
        Fut: Future<Output = Fetched<V, E>>,
    {
        let fetched = match limit {
            Some(limit) => tokio::time::timeout_at(limit, fetching).await.ok(),
            None => Some(fetching.await),
        };
        let done = match &fetched {
            Some(Fetched { outcome: Ok(v), .. }) => Done::Value(v.clone()),
            Some(Fetched {
                outcome: Err(e), ..
            }) => Done::Failure(e.clone()),
            None => Done::Abandoned,
        };
        // The cache is filled before the waiters wake, so none of them can miss it.
        self.shared
            .lock()
            .land(&self.key, self.id, fetched, &self.shared.limits);
        self.landed = true;
        self.done.send_replace(Some(done));
    }
}

impl<K, V, E> Drop for Flight<K, V, E>
where
    K: Eq + Hash + Clone,
{
    fn drop(&mut self) {
        if !self.landed {
            self.shared
                .lock()
                .land(&self.key, self.id, None, &self.shared.limits);
        }
    }
}

/// Registries that answered 429, and until when Bona leaves them alone (SPEC §9). One per
/// process, shared by every cache: a rate limit is the registry's, whatever was asked.
///
/// A fetch checks [`Backoff::blocked_until`] before its first request and fails at once,
/// reason "rate-limited by R until T", when blocked.
#[derive(Debug, Default)]
pub struct Backoff {
    until: Mutex<HashMap<String, Instant>>,
}

impl Backoff {
    /// No registry blocked.
    pub fn new() -> Self {
        Backoff::default()
    }

    /// Blocks `registry` (as the client names it, `host[:port]`) until `until`, at most
    /// [`MAX_BACKOFF`] from now. A block already longer is kept: a 429 answered late for an
    /// older request must not shorten what a newer one asked for.
    pub fn block(&self, registry: &str, until: Instant) {
        let now = Instant::now();
        let until = now
            .checked_add(MAX_BACKOFF)
            .map_or(until, |cap| until.min(cap));
        if until <= now {
            return;
        }
        let mut blocked = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        // 429s are rare; dropping the ended blocks here keeps the map as small as the outage.
        blocked.retain(|_, t| *t > now);
        let t = blocked.entry(registry.to_owned()).or_insert(until);
        *t = (*t).max(until);
    }

    /// When `registry` may be asked again, if not now.
    pub fn blocked_until(&self, registry: &str) -> Option<Instant> {
        let blocked = self.until.lock().unwrap_or_else(PoisonError::into_inner);
        blocked
            .get(registry)
            .copied()
            .filter(|t| *t > Instant::now())
    }
}

/// The wait a 429's `Retry-After` asks for (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date
/// in any of its three forms (IMF-fixdate, the obsolete RFC 850 and asctime forms, which
/// recipients must accept), measured from `now`; a date in the past is no wait. Capped at
/// [`MAX_BACKOFF`].
///
/// A header that is absent, empty or unreadable (a negative or fractional number, a malformed
/// date) means [`DEFAULT_RETRY_AFTER`]: the registry did say 429, and retrying at once would
/// only prolong the limit.
pub fn retry_after(value: Option<&str>, now: SystemTime) -> Duration {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return DEFAULT_RETRY_AFTER;
    };
    let wait = if value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds is still a number of seconds, only a large one.
        Duration::from_secs(value.parse().unwrap_or(u64::MAX))
    } else if let Some(at) = http_date(value, now) {
        at.duration_since(now).unwrap_or(Duration::ZERO)
    } else {
        return DEFAULT_RETRY_AFTER;
    };
    wait.min(MAX_BACKOFF)
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An HTTP-date (RFC 9110 §5.6.7). The day name is not checked against the date, and runs of
/// spaces count as one.
fn http_date(value: &str, now: SystemTime) -> Option<SystemTime> {
    let mut words = value.split_ascii_whitespace();
    let first = words.next()?;
    let (year, month, day, time) = if let Some(name) = first.strip_suffix(',') {
        let date = if DAYS.contains(&name) {
            // IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`
            let day = digits(words.next()?, 1, 2)?;
            let month = month(words.next()?)?;
            let year = digits(words.next()?, 4, 4)?;
            (i64::from(year), month, day, words.next()?)
        } else if LONG_DAYS.contains(&name) {
            // rfc850-date: `Sunday, 06-Nov-94 08:49:37 GMT`
            let mut date = words.next()?.split('-');
            let day = digits(date.next()?, 1, 2)?;
            let month = month(date.next()?)?;
            let year = digits(date.next()?, 2, 2)?;
            if date.next().is_some() {
                return None;
            }
            (two_digit_year(year, now), month, day, words.next()?)
        } else {
            return None;
        };
        if words.next()? != "GMT" {
            return None;
        }
        date
    } else if DAYS.contains(&first) {
        // asctime-date: `Sun Nov  6 08:49:37 1994`
        let month = month(words.next()?)?;
        let day = digits(words.next()?, 1, 2)?;
        let time = words.next()?;
        let year = digits(words.next()?, 4, 4)?;
        (i64::from(year), month, day, time)
    } else {
        return None;
    };
    if words.next().is_some() || day == 0 || i64::from(day) > days_in_month(year, i64::from(month))
    {
        return None;
    }
    let mut clock = time.split(':');
    let hour = digits(clock.next()?, 2, 2)?;
    let minute = digits(clock.next()?, 2, 2)?;
    let second = digits(clock.next()?, 2, 2)?;
    // 60: a leap second.
    if clock.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let secs = days_from_civil(year, i64::from(month), i64::from(day)) * 86_400
        + i64::from(hour * 3_600 + minute * 60 + second);
    // Before 1970 is as past as any other past date.
    Some(u64::try_from(secs).map_or(UNIX_EPOCH, |s| UNIX_EPOCH + Duration::from_secs(s)))
}

/// `min..=max` ASCII digits.
fn digits(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// 1 to 12.
fn month(s: &str) -> Option<u32> {
    let i = MONTHS.iter().position(|m| *m == s)?;
    u32::try_from(i + 1).ok()
}

/// RFC 9110: a two-digit year more than 50 years ahead is the most recent past year with
/// those digits.
fn two_digit_year(yy: u32, now: SystemTime) -> i64 {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let this = year_of_day(secs.div_euclid(86_400));
    let year = this - this.rem_euclid(100) + i64::from(yy);
    if year > this + 50 { year - 100 } else { year }
}

/// The year of a day counted from 1970-01-01.
fn year_of_day(days: i64) -> i64 {
    civil_from_days(days).0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use tokio::task::JoinSet;
    use tokio::time::{advance, sleep};

    type Fut = Pin<Box<dyn Future<Output = Fetched<u32, String>> + Send>>;
    type TestCache = Cache<&'static str, u32, String>;

    const MINUTE: Duration = Duration::from_secs(60);

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn in_secs(n: u64) -> Instant {
        Instant::now() + secs(n)
    }

    /// A fetch that counts its calls, waits `delay`, then answers `fetched`.
    fn fetch(
        calls: &Arc<AtomicUsize>,
        delay: Duration,
        fetched: Fetched<u32, String>,
    ) -> impl FnOnce() -> Fut + use<> {
        let calls = Arc::clone(calls);
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                sleep(delay).await;
                fetched
            })
        }
    }

    fn value(v: u32, bytes: usize) -> Fetched<u32, String> {
        Fetched::value(v, MINUTE, bytes)
    }

    #[tokio::test(start_paused = true)]
    async fn a_fetched_value_is_then_a_hit() {
        let cache = TestCache::new(Limits::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let first = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(1), value(7, 10)))
            .await;
        assert_eq!(first, Lookup::Fetched(7));
        assert!(!first.is_hit());
        let second = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(1), value(8, 10)))
            .await;
        assert_eq!(second, Lookup::Hit(7));
        assert!(second.is_hit());
        assert_eq!(second.value(), Some(&7));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(
            cache.stats(),
            Stats {
                hits: 1,
                misses: 1,
                evictions: 0,
                entries: 1,
                bytes: 10
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_their_lifetime() {
        let cache = TestCache::new(Limits::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let ttl = Fetched::value(1, secs(60), 1);
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, Duration::ZERO, ttl))
            .await;
        assert_eq!(got, Lookup::Fetched(1));
        advance(secs(59)).await;
        assert_eq!(cache.peek(&"a"), Some(Ok(1)));
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, Duration::ZERO, value(2, 1)))
            .await;
        assert_eq!(got, Lookup::Hit(1));
        advance(secs(2)).await;
        assert_eq!(cache.peek(&"a"), None);
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, Duration::ZERO, value(2, 1)))
            .await;
        assert_eq!(got, Lookup::Fetched(2));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // The expired entry was replaced, not added to.
        assert_eq!(cache.stats().entries, 1);
        assert_eq!(cache.stats().bytes, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_zero_lifetime_answers_the_waiters_and_is_not_kept() {
        let cache = TestCache::new(Limits::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let once = Fetched::value(3, Duration::ZERO, 1);
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(1), once))
            .await;
        assert_eq!(got, Lookup::Fetched(3));
        assert_eq!(cache.peek(&"a"), None);
        assert_eq!(cache.stats().entries, 0);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_lookups_share_one_fetch() {
        let cache = TestCache::new(Limits::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..100 {
            let cache = cache.clone();
            let f = fetch(&calls, secs(1), value(7, 1));
            set.spawn(async move { cache.get_or_fetch("a", in_secs(3), f).await });
        }
        let mut answers = 0;
        while let Some(got) = set.join_next().await {
            assert_eq!(got.unwrap(), Lookup::Fetched(7));
            answers += 1;
        }
        assert_eq!(answers, 100);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (0, 100, 1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_lookups_share_one_fetch_across_threads() {
        let cache = TestCache::new(Limits::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..100 {
            let cache = cache.clone();
            let f = fetch(&calls, Duration::from_millis(20), value(7, 1));
            set.spawn(async move { cache.get_or_fetch("a", in_secs(60), f).await });
        }
        while let Some(got) = set.join_next().await {
            // A task scheduled after the fetch landed finds the entry.
            assert_eq!(got.unwrap().into_value(), Some(7));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let stats = cache.stats();
        assert_eq!(stats.hits + stats.misses, 100);
    }

    #[tokio::test(start_paused = true)]
    async fn each_waiter_stops_at_its_deadline_and_the_fetch_goes_on() {
        let cache = TestCache::new(Limits::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let patient = {
            let cache = cache.clone();
            let f = fetch(&calls, secs(5), value(1, 1));
            tokio::spawn(async move { cache.get_or_fetch("a", in_secs(8), f).await })
        };
        tokio::task::yield_now().await;
        let hasty = cache
            .get_or_fetch("a", in_secs(1), fetch(&calls, secs(5), value(2, 1)))
            .await;
        assert_eq!(hasty, Lookup::TimedOut);
        assert_eq!(Instant::now() - start, secs(1));
        assert_eq!(patient.await.unwrap(), Lookup::Fetched(1));
        assert_eq!(Instant::now() - start, secs(5));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fetch_outlives_its_first_callers_deadline_and_fills_the_cache() {
        let cache = TestCache::new(Limits::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(5), value(1, 1)))
            .await;
        assert_eq!(got, Lookup::TimedOut);
        sleep(secs(3)).await;
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(5), value(2, 1)))
            .await;
        assert_eq!(got, Lookup::Hit(1));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_already_past_still_starts_the_fetch() {
        let cache = TestCache::new(Limits::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let past = Instant::now();
        advance(secs(1)).await;
        let got = cache
            .get_or_fetch("a", past, fetch(&calls, secs(1), value(1, 1)))
            .await;
        assert_eq!(got, Lookup::TimedOut);
        sleep(secs(2)).await;
        assert_eq!(cache.peek(&"a"), Some(Ok(1)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_fetch_past_max_flight_is_dropped_and_the_key_fetched_again() {
        let limits = Limits {
            max_flight: secs(10),
            ..Limits::default()
        };
        let cache = TestCache::new(limits);
        let calls = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicBool::new(false));
        let slow = {
            let calls = Arc::clone(&calls);
            let finished = Arc::clone(&finished);
            move || -> Fut {
                calls.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move {
                    sleep(secs(60)).await;
                    finished.store(true, Ordering::SeqCst);
                    value(1, 1)
                })
            }
        };
        let start = Instant::now();
        let got = cache.get_or_fetch("a", in_secs(30), slow).await;
        assert_eq!(got, Lookup::Abandoned);
        assert_eq!(Instant::now() - start, secs(10));
        assert_eq!(cache.peek(&"a"), None);
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(1), value(2, 1)))
            .await;
        assert_eq!(got, Lookup::Fetched(2));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        sleep(secs(120)).await;
        assert!(
            !finished.load(Ordering::SeqCst),
            "the abandoned fetch still ran"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn failures_are_remembered_for_their_lifetime() {
        let cache = TestCache::new(Limits::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let failing = Fetched::failure("registry.example answered 503".to_owned(), secs(10));
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(1), failing))
            .await;
        assert_eq!(got, Lookup::Failed("registry.example answered 503".into()));
        assert_eq!(got.value(), None);
        advance(secs(8)).await;
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(1), value(1, 1)))
            .await;
        assert_eq!(
            got,
            Lookup::CachedFailure("registry.example answered 503".into())
        );
        assert!(got.is_hit());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        advance(secs(2)).await;
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(1), value(1, 1)))
            .await;
        assert_eq!(got, Lookup::Fetched(1));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    async fn fill(
        cache: &TestCache,
        key: &'static str,
        v: u32,
        bytes: usize,
    ) -> Lookup<u32, String> {
        let calls = Arc::new(AtomicUsize::new(0));
        cache
            .get_or_fetch(
                key,
                in_secs(3),
                fetch(&calls, Duration::ZERO, value(v, bytes)),
            )
            .await
    }

    #[tokio::test(start_paused = true)]
    async fn the_entry_bound_drops_the_least_recently_used() {
        let cache = TestCache::new(Limits {
            entries: 2,
            ..Limits::default()
        });
        assert_eq!(fill(&cache, "a", 1, 1).await, Lookup::Fetched(1));
        assert_eq!(fill(&cache, "b", 2, 1).await, Lookup::Fetched(2));
        // A hit makes `a` the most recent: `b` goes first.
        assert_eq!(fill(&cache, "a", 0, 1).await, Lookup::Hit(1));
        assert_eq!(fill(&cache, "c", 3, 1).await, Lookup::Fetched(3));
        assert_eq!(cache.peek(&"a"), Some(Ok(1)));
        assert_eq!(cache.peek(&"b"), None);
        assert_eq!(cache.peek(&"c"), Some(Ok(3)));
        assert_eq!(fill(&cache, "d", 4, 1).await, Lookup::Fetched(4));
        assert_eq!(cache.peek(&"a"), None);
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.evictions), (2, 2));
    }

    #[tokio::test(start_paused = true)]
    async fn the_byte_bound_drops_the_least_recently_used() {
        let cache = TestCache::new(Limits {
            bytes: 100,
            ..Limits::default()
        });
        assert_eq!(fill(&cache, "a", 1, 40).await, Lookup::Fetched(1));
        assert_eq!(fill(&cache, "b", 2, 40).await, Lookup::Fetched(2));
        assert_eq!(fill(&cache, "a", 0, 40).await, Lookup::Hit(1));
        assert_eq!(fill(&cache, "c", 3, 40).await, Lookup::Fetched(3));
        assert_eq!(cache.peek(&"b"), None);
        assert_eq!((cache.stats().entries, cache.stats().bytes), (2, 80));
        // Larger than the whole bound: answered, not kept, and nothing pushed out for it.
        assert_eq!(fill(&cache, "huge", 4, 150).await, Lookup::Fetched(4));
        assert_eq!(cache.peek(&"huge"), None);
        assert_eq!((cache.stats().entries, cache.stats().bytes), (2, 80));
        // One of 90 pushes out both.
        assert_eq!(fill(&cache, "d", 5, 90).await, Lookup::Fetched(5));
        assert_eq!(cache.peek(&"a"), None);
        assert_eq!(cache.peek(&"c"), None);
        assert_eq!((cache.stats().entries, cache.stats().bytes), (1, 90));
    }

    #[tokio::test(start_paused = true)]
    async fn insert_keeps_what_was_learnt_and_wins_over_a_flight() {
        let cache = TestCache::new(Limits::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let waiting = {
            let cache = cache.clone();
            let f = fetch(&calls, secs(2), value(1, 1));
            tokio::spawn(async move { cache.get_or_fetch("a", in_secs(3), f).await })
        };
        tokio::task::yield_now().await;
        cache.insert("a", value(9, 1));
        assert_eq!(waiting.await.unwrap(), Lookup::Fetched(1));
        assert_eq!(cache.peek(&"a"), Some(Ok(9)));
        assert_eq!(cache.stats().entries, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_fetch_fails_its_waiters_and_frees_the_key() {
        let cache = TestCache::new(Limits::default());
        let panicking = || -> Fut {
            Box::pin(async {
                sleep(secs(1)).await;
                panic!("a bug in the fetch");
            })
        };
        let other = {
            let cache = cache.clone();
            let calls = Arc::new(AtomicUsize::new(0));
            let f = fetch(&calls, secs(1), value(2, 1));
            tokio::spawn(async move { cache.get_or_fetch("a", in_secs(3), f).await })
        };
        let first = cache.get_or_fetch("a", in_secs(3), panicking).await;
        assert_eq!(first, Lookup::Panicked);
        assert_eq!(other.await.unwrap(), Lookup::Panicked);
        let calls = Arc::new(AtomicUsize::new(0));
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(1), value(3, 1)))
            .await;
        assert_eq!(got, Lookup::Fetched(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_panicking_fetch_closure_frees_the_key() {
        let cache = TestCache::new(Limits::default());
        let caller = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_fetch("a", in_secs(3), || -> Fut { panic!("a bug in the caller") })
                    .await
            })
        };
        assert!(caller.await.unwrap_err().is_panic());
        let calls = Arc::new(AtomicUsize::new(0));
        let got = cache
            .get_or_fetch("a", in_secs(3), fetch(&calls, secs(1), value(3, 1)))
            .await;
        assert_eq!(got, Lookup::Fetched(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_poisoned_lock_does_not_panic() {
        let cache = TestCache::new(Limits::default());
        assert_eq!(fill(&cache, "a", 1, 1).await, Lookup::Fetched(1));
        let shared = Arc::clone(&cache.shared);
        let poisoner = std::thread::spawn(move || {
            let _guard = shared.inner.lock().unwrap();
            panic!("poison");
        });
        assert!(poisoner.join().is_err());
        assert!(cache.shared.inner.is_poisoned());
        assert_eq!(fill(&cache, "a", 0, 1).await, Lookup::Hit(1));
        assert_eq!(fill(&cache, "b", 2, 1).await, Lookup::Fetched(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_blocks_its_registry_for_at_most_five_minutes() {
        let backoff = Backoff::new();
        assert_eq!(backoff.blocked_until("r.example"), None);
        let until = in_secs(30);
        backoff.block("r.example", until);
        assert_eq!(backoff.blocked_until("r.example"), Some(until));
        assert_eq!(backoff.blocked_until("other.example"), None);
        // A shorter block does not shorten it.
        backoff.block("r.example", in_secs(5));
        assert_eq!(backoff.blocked_until("r.example"), Some(until));
        advance(secs(31)).await;
        assert_eq!(backoff.blocked_until("r.example"), None);
        // An hour asked for is five minutes given.
        backoff.block("r.example", in_secs(3_600));
        assert_eq!(backoff.blocked_until("r.example"), Some(in_secs(300)));
        advance(secs(301)).await;
        assert_eq!(backoff.blocked_until("r.example"), None);
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's example.
    const EXAMPLE: u64 = 784_111_777;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn retry_after_reads_seconds() {
        let now = SystemTime::now();
        assert_eq!(retry_after(Some("120"), now), secs(120));
        assert_eq!(retry_after(Some(" 30 "), now), secs(30));
        assert_eq!(retry_after(Some("0"), now), Duration::ZERO);
        assert_eq!(retry_after(Some("300"), now), secs(300));
        assert_eq!(retry_after(Some("301"), now), MAX_BACKOFF);
        assert_eq!(retry_after(Some("86400"), now), MAX_BACKOFF);
        assert_eq!(
            retry_after(Some("99999999999999999999999999"), now),
            MAX_BACKOFF
        );
    }

    #[test]
    fn retry_after_reads_the_three_date_forms() {
        let now = at(EXAMPLE - 120);
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(retry_after(Some(date), now), secs(120), "{date}");
        }
        // Past dates mean now; far ones are capped.
        assert_eq!(
            retry_after(Some("Sun, 06 Nov 1994 08:49:37 GMT"), at(EXAMPLE + 5)),
            Duration::ZERO
        );
        assert_eq!(
            retry_after(Some("Thu, 01 Jan 1970 00:00:00 GMT"), now),
            Duration::ZERO
        );
        assert_eq!(
            retry_after(Some("Sun, 06 Nov 1994 09:49:37 GMT"), now),
            MAX_BACKOFF
        );
        // Leap years and month ends.
        let leap = http_date("Thu, 29 Feb 2024 00:00:00 GMT", now);
        assert_eq!(leap, Some(at(1_709_164_800)));
        let end = http_date("Fri, 31 Dec 1999 23:59:59 GMT", now);
        assert_eq!(end, Some(at(946_684_799)));
    }

    #[test]
    fn rfc850_years_are_the_closest_past_or_near_future_ones() {
        // Seen from 2026: `94` is 1994 (2094 is over 50 years ahead), `30` is 2030.
        let now = at(1_780_000_000);
        assert_eq!(two_digit_year(94, now), 1994);
        assert_eq!(two_digit_year(30, now), 2030);
        assert_eq!(two_digit_year(76, now), 2076);
        assert_eq!(two_digit_year(77, now), 1977);
        assert_eq!(year_of_day(0), 1970);
        assert_eq!(year_of_day(-1), 1969);
        assert_eq!(year_of_day(19_722), 2023);
        assert_eq!(year_of_day(19_723), 2024);
    }

    #[test]
    fn retry_after_without_a_readable_value_waits_a_minute() {
        let now = at(EXAMPLE - 120);
        for value in [
            None,
            Some(""),
            Some("   "),
            Some("soon"),
            Some("-5"),
            Some("1.5"),
            Some("+5"),
            Some("Sun, 06 Nov 1994 08:49:37"),
            Some("Sun, 06 Nov 1994 08:49:37 UTC"),
            Some("Sun, 31 Feb 1994 08:49:37 GMT"),
            Some("Sun, 29 Feb 1994 08:49:37 GMT"),
            Some("Sun, 06 Nov 1994 24:00:00 GMT"),
            Some("Sun, 06 Nov 1994 08:49 GMT"),
            Some("Sun, 06 Nov 94 08:49:37 GMT"),
            Some("Sun, 06 nov 1994 08:49:37 GMT"),
            Some("Dim, 06 Nov 1994 08:49:37 GMT"),
            Some("Sunday, 06-Nov-1994 08:49:37 GMT"),
            Some("Sunday, 06-Nov-94-1 08:49:37 GMT"),
            Some("Sun Nov  6 08:49:37 1994 GMT"),
            Some("Sun, 06 Nov 1994 08:49:37 GMT extra"),
        ] {
            assert_eq!(retry_after(value, now), DEFAULT_RETRY_AFTER, "{value:?}");
        }
    }
}
