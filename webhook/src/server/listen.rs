//! The accept loop: TCP, then the TLS handshake, then HTTP/1.1 or HTTP/2 (by ALPN) on each
//! connection, until shutdown; then the connections in flight are let finish.
//!
//! Each connection is its own task and holds one of `--max-connections` permits; when they are
//! all taken, new connections wait in the kernel's listen queue. Nothing a client does holds a
//! connection open for free: a new connection must finish its TLS handshake and start a request
//! within `--request-timeout`, a connection with no request in progress is closed after
//! `--idle-timeout` (HTTP/2: a GOAWAY first), and a request body must arrive within
//! `--request-timeout` (checked by the `/validate` handler). The protocol is the one ALPN
//! chose, with no sniffing of the first bytes (a client that offers no ALPN speaks HTTP/1.1).
//!
//! Shutdown, in order: at the first SIGTERM or SIGINT `/readyz` turns 503 and draining starts
//! (HTTP/1.1 answers carry `Connection: close`; HTTP/2 connections get a GOAWAY, so their
//! streams finish and the client opens a new connection elsewhere); the listener stays open for
//! `--shutdown-delay` so load balancers see the 503 first (HTTP/2 connections made meanwhile
//! get their GOAWAY when it closes); then it closes, and the process waits
//! for the connections in flight for at most `--drain-timeout`. An HTTP/1.1 connection is closed
//! only once it has been idle for [`LINGER`]: a request a client already sent on a keep-alive
//! connection is read and answered, not dropped with the connection.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, Request, Version, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use super::limits::{KEEP_ALIVE_INTERVAL, KEEP_ALIVE_TIMEOUT, Limits};
use super::{ClientCert, State};

/// While draining, an HTTP/1.1 connection idle this long is closed: long enough that a request
/// sent right after the previous answer arrives first, short enough not to hold up the exit.
pub const LINGER: Duration = Duration::from_millis(500);
/// How often each connection checks its timers.
const TICK: Duration = Duration::from_millis(100);
/// Time an HTTP/2 connection gets after its GOAWAY before it is closed outright.
const GOAWAY_GRACE: Duration = Duration::from_secs(1);

/// The two connection builders, one per protocol.
#[derive(Clone)]
struct Builders {
    h1: auto::Builder<TokioExecutor>,
    h2: auto::Builder<TokioExecutor>,
}

fn builders(limits: &Limits) -> Builders {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.request_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_concurrent_streams)
        .keep_alive_interval(KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(KEEP_ALIVE_TIMEOUT);
    Builders {
        h1: builder.clone().http1_only(),
        h2: builder.http2_only(),
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains. `draining` turns true at
/// the first signal, before `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    state: Arc<State>,
    draining: watch::Receiver<bool>,
    shutdown: impl Future<Output = ()>,
) {
    let limits = state.limits.clone();
    let builders = builders(&limits);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut tasks = JoinSet::new();
    // Turns true when the listener closes: the drain signal of connections accepted while
    // already draining (during --shutdown-delay). A GOAWAY on those at once would only send an
    // HTTP/2 client round to reconnect, maybe to this replica again; they are served until the
    // listener closes. (An HTTP/1.1 one closes after its first answer, `Connection: close`.)
    let (closed_tx, closed) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, typically: wait rather than spin.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while tasks.try_join_next().is_some() {}
        let connection = Connection {
            app: app.clone(),
            builders: builders.clone(),
            state: Arc::clone(&state),
            draining: if *draining.borrow() {
                closed.clone()
            } else {
                draining.clone()
            },
            peer,
        };
        let open = Open::new(&state);
        tasks.spawn(async move {
            connection.run(tcp).await;
            drop((permit, open));
        });
    }
    drop(listener);
    let _ = closed_tx.send(true);
    while tasks.try_join_next().is_some() {}
    tracing::info!(
        connections = tasks.len(),
        "shutting down: finishing requests in flight"
    );
    let drain = limits.drain_timeout;
    if tokio::time::timeout(drain, async { while tasks.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        tracing::warn!(
            connections = tasks.len(),
            "connections still open after {drain:?}; closing them"
        );
        tasks.abort_all();
    }
}

/// One connection counted in `bona_connections` while it lives.
struct Open(Arc<State>);

impl Open {
    fn new(state: &Arc<State>) -> Open {
        state.metrics.connections.fetch_add(1, Ordering::Relaxed);
        Open(Arc::clone(state))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.metrics.connections.fetch_sub(1, Ordering::Relaxed);
    }
}

/// When a connection last did something, and whether a request is in progress on it.
#[derive(Debug)]
struct Activity {
    started: Instant,
    /// Requests being answered now.
    busy: AtomicUsize,
    /// Requests begun so far.
    requests: AtomicU64,
    /// Milliseconds after `started` when the last request ended.
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Arc<Activity> {
        Arc::new(Activity {
            started: Instant::now(),
            busy: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            last_ms: AtomicU64::new(0),
        })
    }

    fn begin(self: &Arc<Activity>) -> Busy {
        self.busy.fetch_add(1, Ordering::AcqRel);
        self.requests.fetch_add(1, Ordering::AcqRel);
        Busy(Arc::clone(self))
    }

    /// How long no request has been in progress; `None` while one is.
    fn idle_for(&self, now: Instant) -> Option<Duration> {
        if self.busy.load(Ordering::Acquire) > 0 {
            return None;
        }
        let last = self.started + Duration::from_millis(self.last_ms.load(Ordering::Acquire));
        Some(now.saturating_duration_since(last))
    }
}

/// A request in progress; its end is stamped when dropped.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let ms = u64::try_from(self.0.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last_ms.store(ms, Ordering::Release);
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One accepted connection.
struct Connection {
    app: Router,
    builders: Builders,
    state: Arc<State>,
    /// Turns true when this connection is to drain: at the first signal, or for a connection
    /// accepted after it, when the listener closes.
    draining: watch::Receiver<bool>,
    peer: SocketAddr,
}

impl Connection {
    async fn run(mut self, tcp: TcpStream) {
        let _ = tcp.set_nodelay(true);
        let peer = self.peer;
        let limits = &self.state.limits;
        let activity = Activity::new();
        // The configuration current when the connection arrives: a reloaded `--client-ca`
        // applies from the next connection on.
        let acceptor = TlsAcceptor::from(self.state.tls.load_full());
        let handshake = tokio::time::timeout(limits.request_timeout, acceptor.accept(tcp));
        let tls = match handshake.await {
            Ok(Ok(tls)) => tls,
            Ok(Err(e)) => {
                tracing::debug!(%peer, "TLS handshake failed: {e}");
                return;
            }
            Err(_) => {
                tracing::debug!(%peer, "TLS handshake timed out");
                return;
            }
        };
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        // With `--client-ca`, a certificate present here was verified in the handshake.
        let client_cert = ClientCert(
            tls.get_ref()
                .1
                .peer_certificates()
                .is_some_and(|chain| !chain.is_empty()),
        );
        // The router, with the connection's activity recorded and, while draining, HTTP/1.1
        // answers marked `Connection: close`.
        let service = {
            let inner = TowerToHyperService::new(self.app.clone());
            let state = Arc::clone(&self.state);
            let activity = Arc::clone(&activity);
            hyper::service::service_fn(move |mut request: Request<Incoming>| {
                let busy = activity.begin();
                request.extensions_mut().insert(client_cert);
                let http1 = request.version() < Version::HTTP_2;
                let answer = hyper::service::Service::call(&inner, request);
                let state = Arc::clone(&state);
                async move {
                    let _busy = busy;
                    let mut response = answer.await?;
                    if http1 && !state.ready.load(Ordering::Relaxed) {
                        response
                            .headers_mut()
                            .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    }
                    Ok::<_, Infallible>(response)
                }
            })
        };
        let builder = if h2 {
            &self.builders.h2
        } else {
            &self.builders.h1
        };
        let connection = builder.serve_connection(TokioIo::new(tls), service);
        tokio::pin!(connection);
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut draining = *self.draining.borrow_and_update();
        let mut goaway: Option<Instant> = None;
        if draining && h2 {
            connection.as_mut().graceful_shutdown();
            goaway = Some(Instant::now());
        }
        loop {
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(e) = ended {
                        tracing::debug!(%peer, "connection ended: {e}");
                    }
                    return;
                }
                changed = self.draining.changed(), if !draining => {
                    draining = changed.is_err() || *self.draining.borrow_and_update();
                    if draining && h2 && goaway.is_none() {
                        connection.as_mut().graceful_shutdown();
                        goaway = Some(Instant::now());
                    }
                }
                _ = ticker.tick() => {
                    let now = Instant::now();
                    if let Some(sent) = goaway
                        && now.saturating_duration_since(sent) >= GOAWAY_GRACE
                        && activity.idle_for(now).is_some()
                    {
                        return;
                    }
                    let Some(idle) = activity.idle_for(now) else { continue };
                    let limit = if activity.requests.load(Ordering::Acquire) == 0 {
                        limits.request_timeout
                    } else if draining && !h2 {
                        LINGER
                    } else {
                        limits.idle_timeout
                    };
                    if idle < limit {
                        continue;
                    }
                    if h2 && goaway.is_none() {
                        tracing::debug!(%peer, "closing an idle HTTP/2 connection");
                        connection.as_mut().graceful_shutdown();
                        goaway = Some(now);
                    } else if goaway.is_none() {
                        tracing::debug!(%peer, "closing an idle connection");
                        return;
                    }
                }
            }
        }
    }
}
