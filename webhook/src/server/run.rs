//! Starting and stopping the server: policies, certificate, port, signals and shutdown. The
//! command line's `bona serve` parses its flags into a [`Config`] and calls [`serve`].

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bona_registry::live::Live;
use bona_runtime::input::ReviewOptions;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;

use super::limits::Limits;
use super::log::{BufferedLog, JsonEvents, LogFormat};
use super::metrics::Metrics;
use super::reload::{self, PolicyFiles, Sources};
use super::tls::{self, Certificate, TlsFiles};
use super::{ClientAuth, State, listen, router};
use crate::mutate::Pin;

/// Everything a server is started with (`bona serve`'s flags).
#[derive(Clone, Debug)]
pub struct Config {
    /// The policy set: `.trust` sources or a bundle.
    pub policies: PolicyFiles,
    /// A facts document for images without inline facts.
    pub facts: Option<PathBuf>,
    /// The server's certificate chain and key.
    pub tls: TlsFiles,
    /// PEM certificates of the CAs that sign the API server's client certificate: `/validate`
    /// then answers only clients presenting one.
    pub client_ca: Option<PathBuf>,
    /// With `client_ca`, `/metrics` needs the client certificate too.
    pub client_ca_metrics: bool,
    /// Address and port to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The asset's `cluster` and `cloud`.
    pub review: ReviewOptions,
    /// Time between checks of the files for changes; `None` reloads on SIGHUP only.
    pub reload_interval: Option<Duration>,
    pub limits: Limits,
    /// `--registry`: what the registry adds to the facts, through its cache.
    pub registry: Option<Arc<Live>>,
    /// `--pin`: what `/mutate` pins.
    pub pin: Pin,
}

/// Why the server did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServeError {
    /// The policies do not compile (the command's exit 1): the rendered diagnostics and summary.
    Compile(String),
    /// Unreadable input, a bad certificate, a port that cannot be bound… (exit 2).
    BadInput(String),
    /// The address could not be written to `out` (exit 2; the caller says why).
    Announce,
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Compile(message) | ServeError::BadInput(message) => {
                f.write_str(message.trim_end())
            }
            ServeError::Announce => f.write_str("cannot write the address being listened on"),
        }
    }
}

impl std::error::Error for ServeError {}

/// Runs the server until SIGTERM or Ctrl-C, writing `listening on https://ADDR` to `out` once
/// it is bound and its signal handlers are in place.
///
/// # Errors
/// [`ServeError`]: the policies, facts or certificate do not load, or the port cannot be bound.
pub fn serve(config: Config, out: &mut dyn Write) -> Result<(), ServeError> {
    let served = run(config, out);
    super::log::flush();
    served
}

fn run(config: Config, out: &mut dyn Write) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("bona-serve")
        .thread_stack_size(8 << 20)
        // A decision thread left idle exits soon, and the memory its allocator heap holds (a
        // huge review takes about 150 MiB to decide) goes back to the system with it.
        .thread_keep_alive(Duration::from_secs(1))
        .enable_all()
        .build()
        .map_err(|e| bad(format!("cannot start the server: {e}")))?;
    // Signal handlers come first, before anything that can take time: a SIGTERM or SIGINT while
    // a large policy set compiles stops the server cleanly, and a SIGHUP does not end it
    // (SIGHUP's default action) but reloads once it listens.
    let (hangups, mut stops) = runtime
        .block_on(async {
            let hangups = reload::hangups().map_err(|e| format!("cannot handle SIGHUP: {e}"))?;
            let stops =
                Stops::new().map_err(|e| format!("cannot handle SIGTERM and SIGINT: {e}"))?;
            Ok::<_, String>((hangups, stops))
        })
        .map_err(ServeError::BadInput)?;
    let sources = Arc::new(Sources {
        policy: config.policies.clone(),
        facts: config.facts.clone(),
        tls: config.tls.clone(),
        client_ca: config.client_ca.clone(),
    });
    tracing::debug!("loading the policies");
    let loading = {
        let (sources, config) = (Arc::clone(&sources), config.clone());
        // The files' fingerprints first: a file changed while the set loads is reloaded.
        runtime.spawn_blocking(move || (reload::Fingerprints::of(&sources), load(&sources, config)))
    };
    let loaded = runtime.block_on(async {
        tokio::select! {
            loaded = loading => Some(loaded),
            name = stops.recv() => {
                tracing::info!("{name} received while loading the policies: stopped");
                None
            }
        }
    });
    let (seen, state) = match loaded {
        Some(Ok((seen, state))) => (seen, Arc::new(state?)),
        Some(Err(e)) => return Err(bad(format!("loading the policies failed: {e}"))),
        None => {
            // The loading thread is left to finish on its own; the process ends with this call.
            runtime.shutdown_background();
            return Ok(());
        }
    };
    let policies = state.loaded.load().engine.policy_set().policies.len();
    let cluster = config.review.cluster.clone();
    // Bind, then say where we listen: whoever reads the address may send a signal right away,
    // and the handlers are already in place.
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(config.listen))
        .map_err(|e| bad(format!("cannot listen on {}: {e}", config.listen)))?;
    let address = listener
        .local_addr()
        .map_or_else(|_| config.listen.to_string(), |a| a.to_string());
    let announced = writeln!(out, "listening on https://{address}").and_then(|()| out.flush());
    if announced.is_err_and(|e| e.kind() != std::io::ErrorKind::BrokenPipe) {
        return Err(ServeError::Announce);
    }
    if cluster.is_empty() {
        tracing::warn!(
            "no --cluster given: every review is judged with cluster \"\", which scopes such as `cluster matches \"prod-*\"` never match"
        );
    }
    tracing::info!(
        address = %address,
        policies,
        cluster = %cluster,
        "bona serve ready"
    );

    let app = router(Arc::clone(&state));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let delay = state.limits.shutdown_delay;
    runtime.block_on(async {
        let watcher = tokio::spawn(reload::watch(
            Arc::clone(&state),
            Arc::clone(&sources),
            seen,
            hangups,
            config.reload_interval,
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
        listen::serve(listener, app, Arc::clone(&state), stop_rx, shutdown).await;
        let _ = watcher.await;
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
    tracing::info!("stopped");
    Ok(())
}

/// Reads and compiles the policies, the certificate and the client CA: everything the server
/// needs before it listens.
fn load(sources: &Sources, config: Config) -> Result<State, ServeError> {
    let loaded = reload::load_policies(sources).map_err(|failure| failure.error)?;
    let certificate = Arc::new(Certificate::load(&sources.tls).map_err(bad)?);
    let client_roots = config
        .client_ca
        .as_deref()
        .map(tls::client_roots)
        .transpose()
        .map_err(bad)?;
    let client_auth = ClientAuth {
        validate: client_roots.is_some(),
        metrics: config.client_ca_metrics,
    };
    let tls_config =
        Arc::new(tls::server_config(Arc::clone(&certificate), client_roots).map_err(bad)?);
    let metrics = Metrics::default();
    metrics.loaded(
        true,
        loaded.engine.policy_set().policies.len(),
        bona_host::clock::now(),
    );
    let mut state = State::new(
        loaded,
        metrics,
        config.review,
        certificate,
        tls_config,
        config.limits,
        client_auth,
    );
    state.live = config.registry;
    state.pin = config.pin;
    Ok(state)
}

fn bad(message: impl std::fmt::Display) -> ServeError {
    ServeError::BadInput(message.to_string())
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

/// Sends `tracing` output to stderr, one line per event, through a [`BufferedLog`]; a warning
/// goes to `err` when stderr cannot be duplicated.
///
/// The command line's `main` holds the lock of Rust's `stderr()` for the whole run, so the
/// runtime's threads write through a duplicate of the file descriptor instead (as `bona lsp`
/// does for stdout).
pub fn logging(err: &mut dyn Write, format: LogFormat) {
    use std::os::fd::AsFd;
    let level = match std::env::var("BONA_LOG").ok().as_deref() {
        Some("error") => tracing::Level::ERROR,
        Some("warn") => tracing::Level::WARN,
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    let stderr = match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => BufferedLog::new(std::fs::File::from(fd)),
        Err(e) => Err(e),
    };
    let stderr = match stderr {
        Ok(log) => log,
        Err(e) => {
            let _ = writeln!(err, "warning: cannot log to stderr: {e}");
            return;
        }
    };
    // The compiler's database (salsa) logs every query at info: that is its debugging, not ours.
    let filter = Targets::new()
        .with_default(level)
        .with_target("salsa", LevelFilter::WARN);
    let builder = super::log::builder(level, stderr.clone());
    let set = match format {
        LogFormat::Text => tracing::subscriber::set_global_default(builder.finish().with(filter)),
        LogFormat::Json => tracing::subscriber::set_global_default(
            builder.event_format(JsonEvents).finish().with(filter),
        ),
    };
    if set.is_ok() {
        stderr.install(level, format);
    }
}
