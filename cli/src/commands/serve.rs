//! `bona serve`: the admission webhook (SPEC §5), AdmissionReview v1 over HTTPS.
//!
//! This module is the command: arguments, startup (policies, certificate, port), signals and
//! shutdown. The HTTP side is [`crate::serve`].

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;

use crate::policies::{ClusterArgs, PolicySource};
use crate::serve::limits::{self, Limits};
use crate::serve::log::{JsonEvents, LogFormat, TextFields};
use crate::serve::metrics::Metrics;
use crate::serve::reload::{self, Sources};
use crate::serve::tls::{self, Certificate, TlsFiles};
use crate::serve::{ClientAuth, State, listen, router};
use crate::{Exit, bad_input};

/// Run the admission webhook: Kubernetes AdmissionReview v1 over HTTPS.
///
/// The API server sends every Pod and workload (Deployment, ReplicaSet, StatefulSet, DaemonSet,
/// Job, CronJob) it creates or updates to `POST /validate`; Bona decides with the same engine
/// as `bona eval --admission-review` and answers:
///   prevent  → denied, HTTP 200 with `allowed: false` and `status.code: 403`, the message
///              naming each prevented image, its policies and the first reason
///   allow    → allowed; each untrusted image that an `issue` policy lets run becomes one
///              warning, which kubectl prints as `Warning: …`
/// DELETE and kinds without a pod spec are allowed. Malformed bodies get HTTP 400 (the API
/// server then applies the webhook's failurePolicy).
///
/// Other routes: GET /healthz (liveness), GET /readyz (readiness), GET /metrics (Prometheus).
///
/// Policies and facts are reloaded without a restart on SIGHUP and, every --reload-interval,
/// when their files change (the certificate too); a set that does not compile keeps the one
/// in use and is logged. SIGTERM or Ctrl-C turns /readyz to 503, keeps serving for
/// --shutdown-delay, stops accepting and lets requests in flight finish (--drain-timeout); a
/// second signal skips the delay.
///
/// Every client is bounded: connections (--max-connections), time to send a request
/// (--request-timeout) and to stay idle (--idle-timeout), body size (--max-request-bytes), body
/// bytes held across all requests (--max-buffered-bytes, 503 past it), HTTP/2 streams per
/// connection (--max-concurrent-streams); decisions run on --decision-threads threads apart from
/// those answering probes. The defaults and why: docs/serve.md, "Limits".
///
/// Logs go to stderr, one line per decision; set BONA_LOG=debug|info|warn|error.
/// The bound address is printed on stdout: `listening on https://ADDR`.
///
/// Examples:
///   bona serve --policy policies/ --tls-cert tls.crt --tls-key tls.key --cluster prod-eu-1
///   bona serve --bundle policies.bundle --tls-cert /tls/tls.crt --tls-key /tls/tls.key \
///       --listen 0.0.0.0:8443 --cluster prod-eu-1 --cloud aws --facts /facts/facts.json
///   kill -HUP $(pidof bona)     # reload now
///
/// A ValidatingWebhookConfiguration and how to make a certificate: docs/serve.md.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub source: PolicySource,
    /// The server's certificate chain (PEM, server certificate first).
    #[arg(long, value_name = "FILE")]
    pub tls_cert: PathBuf,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE")]
    pub tls_key: PathBuf,
    /// Address and port to listen on; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub kubernetes: ClusterArgs,
    /// A facts document (JSON, SPEC 3.3) for images without inline facts.
    #[arg(long, value_name = "FILE")]
    pub facts: Option<PathBuf>,
    /// Seconds between checks of the policy, facts and certificate files for changes;
    /// 0 reloads on SIGHUP only.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub reload_interval: u64,
    /// Connections open at once; more wait in the kernel's listen queue.
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    pub max_connections: usize,
    /// The largest request body (413 past it). The default fits an UPDATE review of an object
    /// at etcd's 1.5 MiB limit: object and oldObject, plus the envelope.
    #[arg(long, value_name = "BYTES", default_value_t = limits::DEFAULT_MAX_REQUEST_BYTES)]
    pub max_request_bytes: usize,
    /// Request body bytes held in memory across all connections; requests past it get 503.
    #[arg(long, value_name = "BYTES", default_value_t = limits::DEFAULT_MAX_BUFFERED_BYTES)]
    pub max_buffered_bytes: usize,
    /// HTTP/2 streams (requests at once) per connection.
    #[arg(long, value_name = "N", default_value_t = limits::DEFAULT_MAX_CONCURRENT_STREAMS,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_streams: u32,
    /// Seconds a client has for the TLS handshake and request headers of a new connection, and
    /// for the headers and body of each request (408 past it).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = seconds)]
    pub request_timeout: Duration,
    /// Seconds a connection may stay open with no request in progress.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = seconds)]
    pub idle_timeout: Duration,
    /// Decisions at once, on threads of their own [default: one per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    pub decision_threads: Option<usize>,
    /// Seconds between the first SIGTERM or SIGINT (when /readyz turns 503) and the listener
    /// closing, so load balancers stop sending first; a second signal skips the rest.
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = seconds_or_zero)]
    pub shutdown_delay: Duration,
    /// Seconds requests in flight get to finish once the listener is closed.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = seconds_or_zero)]
    pub drain_timeout: Duration,
    /// PEM certificates of the CAs that sign the API server's client certificate: /validate
    /// then answers only clients presenting one (401 otherwise); the probes need none.
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// With --client-ca, /metrics needs the client certificate too.
    #[arg(long, requires = "client_ca")]
    pub client_ca_metrics: bool,
    /// How log lines look: `text` (one line per event, request fields escaped) or `json` (one
    /// JSON object per line).
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// A positive number of seconds, fractions allowed.
fn seconds(text: &str) -> Result<Duration, String> {
    match seconds_or_zero(text)? {
        d if d.is_zero() => Err("must be more than 0".into()),
        d => Ok(d),
    }
}

/// A number of seconds, 0 or more, fractions allowed.
fn seconds_or_zero(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(value).map_err(|_| format!("`{text}` is not a number of seconds"))
}

impl Args {
    fn limits(&self) -> Limits {
        Limits {
            max_connections: self.max_connections,
            max_request_bytes: self.max_request_bytes,
            max_buffered_bytes: self.max_buffered_bytes,
            max_concurrent_streams: self.max_concurrent_streams,
            request_timeout: self.request_timeout,
            idle_timeout: self.idle_timeout,
            decision_threads: self
                .decision_threads
                .unwrap_or_else(limits::default_decision_threads),
            shutdown_delay: self.shutdown_delay,
            drain_timeout: self.drain_timeout,
        }
    }
}

/// Runs the server until SIGTERM or Ctrl-C.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    logging(err, args.log_format);
    let sources = Arc::new(Sources {
        policy: args.source.clone(),
        facts: args.facts.clone(),
        tls: TlsFiles {
            cert: args.tls_cert.clone(),
            key: args.tls_key.clone(),
        },
    });
    let loaded = match reload::load_policies(&sources) {
        Ok(loaded) => loaded,
        Err(failure) => {
            let _ = writeln!(err, "error: {}", failure.message.trim_end());
            return failure.exit;
        }
    };
    let certificate = match Certificate::load(&sources.tls) {
        Ok(c) => Arc::new(c),
        Err(e) => return bad_input(err, e),
    };
    let client_roots = match args.client_ca.as_deref().map(tls::client_roots).transpose() {
        Ok(roots) => roots,
        Err(e) => return bad_input(err, e),
    };
    let client_auth = ClientAuth {
        validate: client_roots.is_some(),
        metrics: args.client_ca_metrics,
    };
    let tls_config = match tls::server_config(Arc::clone(&certificate), client_roots) {
        Ok(config) => Arc::new(config),
        Err(e) => return bad_input(err, e),
    };
    let policies = loaded.engine.policy_set().policies.len();
    let metrics = Metrics::default();
    metrics.loaded(true, policies, crate::policies::now());
    let state = Arc::new(State::new(
        loaded,
        metrics,
        args.kubernetes.options(),
        Arc::clone(&certificate),
        args.limits(),
        client_auth,
    ));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .thread_name("bona-serve")
        .thread_stack_size(8 << 20)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return bad_input(err, format!("cannot start the server: {e}")),
    };
    // Bind and register signal handlers first, then say where we listen: whoever reads the
    // address may send SIGHUP or SIGTERM right away.
    let setup = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let hangups = reload::hangups().map_err(|e| format!("cannot handle SIGHUP: {e}"))?;
        let stops = Stops::new().map_err(|e| format!("cannot handle SIGTERM and SIGINT: {e}"))?;
        Ok::<_, String>((listener, hangups, stops))
    });
    let (listener, hangups, mut stops) = match setup {
        Ok(s) => s,
        Err(e) => return bad_input(err, e),
    };
    let address = listener
        .local_addr()
        .map_or_else(|_| args.listen.to_string(), |a| a.to_string());
    let announced = writeln!(out, "listening on https://{address}").and_then(|()| out.flush());
    if announced.is_err_and(|e| e.kind() != std::io::ErrorKind::BrokenPipe) {
        // `crate::run` says why: stdout cannot be written.
        return Exit::BadInput;
    }
    if args.kubernetes.cluster.is_empty() {
        tracing::warn!(
            "no --cluster given: every review is judged with cluster \"\", which scopes such as `cluster matches \"prod-*\"` never match"
        );
    }
    tracing::info!(
        address = %address,
        policies,
        cluster = %args.kubernetes.cluster,
        "bona serve ready"
    );

    let acceptor = tokio_rustls::TlsAcceptor::from(tls_config);
    let app = router(Arc::clone(&state));
    let interval = (args.reload_interval > 0).then(|| Duration::from_secs(args.reload_interval));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let delay = state.limits.shutdown_delay;
    runtime.block_on(async {
        let watcher = tokio::spawn(reload::watch(
            Arc::clone(&state),
            Arc::clone(&sources),
            hangups,
            interval,
            stop_rx.clone(),
        ));
        let shutdown = async {
            let name = stops.recv().await;
            tracing::info!("{name} received: /readyz answers 503 from now");
            state.ready.store(false, Ordering::Relaxed);
            let _ = stop_tx.send(true);
            if !delay.is_zero() {
                tracing::info!("closing the listener in {delay:?}");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    name = stops.recv() => tracing::info!("{name} received again: closing now"),
                }
            }
        };
        listen::serve(
            listener,
            acceptor,
            app,
            Arc::clone(&state),
            stop_rx,
            shutdown,
        )
        .await;
        let _ = watcher.await;
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    tracing::info!("stopped");
    Exit::Ok
}

/// SIGTERM and SIGINT, both registered before the server says where it listens (until then,
/// SIGINT's default action would kill the process).
struct Stops {
    terms: Signal,
    interrupts: Signal,
}

impl Stops {
    fn new() -> std::io::Result<Stops> {
        Ok(Stops {
            terms: signal(SignalKind::terminate())?,
            interrupts: signal(SignalKind::interrupt())?,
        })
    }

    /// The name of the next stop signal.
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terms.recv() => "SIGTERM",
            _ = self.interrupts.recv() => "SIGINT",
        }
    }
}

/// Sends `tracing` output to stderr, one line per event.
///
/// `main` holds the lock of Rust's `stderr()` for the whole run, so the runtime's threads write
/// through a duplicate of the file descriptor instead (as `bona lsp` does for stdout).
fn logging(err: &mut dyn Write, format: LogFormat) {
    use std::os::fd::AsFd;
    let level = match std::env::var("BONA_LOG").ok().as_deref() {
        Some("error") => tracing::Level::ERROR,
        Some("warn") => tracing::Level::WARN,
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    let stderr = match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => std::fs::File::from(fd),
        Err(e) => {
            let _ = writeln!(err, "warning: cannot log to stderr: {e}");
            return;
        }
    };
    // The compiler's database (salsa) logs every query at info: that is its debugging, not ours.
    let filter = Targets::new()
        .with_default(level)
        .with_target("salsa", LevelFilter::WARN);
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .with_writer(std::sync::Mutex::new(stderr))
        .fmt_fields(TextFields);
    let _ = match format {
        LogFormat::Text => tracing::subscriber::set_global_default(builder.finish().with(filter)),
        LogFormat::Json => tracing::subscriber::set_global_default(
            builder.event_format(JsonEvents).finish().with(filter),
        ),
    };
}
