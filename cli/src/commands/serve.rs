//! `bona serve`: the admission webhook (docs/commands.md), AdmissionReview v1 over HTTPS.
//!
//! This module is the command's arguments; the server (startup, signals, shutdown and the HTTP
//! side) is [`bona_webhook::server`].

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bona_registry::client::Client;
use bona_registry::live::{Live, LiveOptions};
use bona_webhook::mutate::Pin;

use bona_webhook::server::limits::{self, Limits};
use bona_webhook::server::log;
use bona_webhook::server::tls::TlsFiles;
use bona_webhook::server::{Config, ServeError};
use clap::builder::TypedValueParser as _;

use crate::policies::{BundleKey, ClusterArgs, PolicySource};
use crate::registry::RegistryOptions;
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
/// With --registry, what the facts lack is read from the images' registries at admission
/// (docs/registry.md#at-admission): tags resolved to digests, platform facts, signatures and
/// attestations (cosign's tags and OCI referrers), through a bounded cache, within
/// --registry-deadline per admission (shortened to the API server's own timeout). What does not
/// arrive in time is unknown, never false, and each policy's `on unknown` decides; the reasons
/// name the registry and what went wrong. POST /mutate then pins tagged images to their
/// digests (a JSON Patch; a mutating webhook's answer, which never denies).
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
///   bona serve --policy policies/ --tls-cert tls.crt --tls-key tls.key --cluster prod-eu-1 \
///       --registry --registry-allow 'registry.company.com' --registry-config /pull/config.json
///   kill -HUP $(pidof bona)     # reload now
///
/// A ValidatingWebhookConfiguration and how to make a certificate: docs/serve.md.
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub source: PolicySource,
    #[command(flatten)]
    pub bundle_key: BundleKey,
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
    /// A facts document (JSON, docs/images.md#facts) for images without inline facts.
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
    /// then answers only clients presenting one (401 otherwise); the probes need none. Re-read
    /// with the TLS certificate (SIGHUP, or a change seen by --reload-interval).
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// With --client-ca, /metrics needs the client certificate too.
    #[arg(long, requires = "client_ca")]
    pub client_ca_metrics: bool,
    /// How log lines look: `text` (one line per event, request fields escaped) or `json` (one
    /// JSON object per line).
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Read what the facts lack from the images' registries (needs --registry-allow).
    #[arg(long, help_heading = "Registry")]
    pub registry: bool,
    #[command(flatten, next_help_heading = "Registry")]
    pub registry_options: RegistryOptions,
    /// Seconds the registry may hold up one admission; the API server's own `timeout`
    /// less 0.5 s when shorter.
    #[arg(long, value_name = "SECONDS", default_value = "3", value_parser = seconds, help_heading = "Registry")]
    pub registry_deadline: Duration,
    /// Seconds a tag's digest is kept.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = seconds, help_heading = "Registry")]
    pub tag_ttl: Duration,
    /// Seconds platform facts, and complete non-empty signature lists, are kept.
    #[arg(long, value_name = "SECONDS", default_value = "600", value_parser = seconds, help_heading = "Registry")]
    pub facts_ttl: Duration,
    /// Entries the registry cache holds at most (least recently used out first).
    #[arg(long, value_name = "N", default_value_t = bona_registry::cache::DEFAULT_ENTRIES, help_heading = "Registry")]
    pub cache_entries: usize,
    /// Bytes the registry cache holds at most.
    #[arg(long, value_name = "BYTES", default_value_t = bona_registry::cache::DEFAULT_BYTES, help_heading = "Registry")]
    pub cache_bytes: usize,
    /// What POST /mutate pins: `pods`, or `all` (workload and CronJob templates too, which
    /// GitOps tools then report as drift).
    #[arg(long, value_name = "WHAT", value_enum, default_value_t = PinArg::Pods, help_heading = "Registry")]
    pub pin: PinArg,
}

/// `--pin`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum PinArg {
    #[default]
    Pods,
    All,
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
    /// The server's configuration.
    fn config(&self) -> Config {
        Config {
            policies: self.source.files(self.bundle_key.key.as_deref()),
            facts: self.facts.clone(),
            tls: TlsFiles {
                cert: self.tls_cert.clone(),
                key: self.tls_key.clone(),
            },
            client_ca: self.client_ca.clone(),
            client_ca_metrics: self.client_ca_metrics,
            listen: self.listen,
            review: self.kubernetes.options(),
            reload_interval: (self.reload_interval > 0)
                .then(|| Duration::from_secs(self.reload_interval)),
            limits: self.limits(),
            registry: None,
            pin: match self.pin {
                PinArg::Pods => Pin::Pods,
                PinArg::All => Pin::All,
            },
        }
    }

    /// The registry side, with `--registry`.
    fn live(&self, err: &mut dyn Write) -> Result<Option<Arc<Live>>, Exit> {
        if !self.registry {
            if self.registry_options.any() {
                return Err(bad_input(
                    err,
                    "--registry-allow and the other registry flags need --registry",
                ));
            }
            return Ok(None);
        }
        let read = self.registry_options.read_options(err)?;
        let client_options = self.registry_options.client_options(
            bona_registry::cache::MAX_FLIGHT,
            "bona serve --registry",
            err,
        )?;
        let client = Client::new(client_options.clone()).map_err(|e| bad_input(&mut *err, e))?;
        let options = LiveOptions {
            read,
            deadline: self.registry_deadline,
            tag_ttl: self.tag_ttl,
            facts_ttl: self.facts_ttl,
            cache: bona_registry::cache::Limits {
                entries: self.cache_entries,
                bytes: self.cache_bytes,
                ..bona_registry::cache::Limits::default()
            },
        };
        let live = Live::new(client, options);
        // Re-read when it changes (SIGHUP, or --reload-interval), like the policies.
        let live = match self.registry_options.credentials_path() {
            Some(path) => live.with_credentials_file(path, client_options),
            None => live,
        };
        Ok(Some(Arc::new(live)))
    }

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

/// `--log-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `2026-11-25T13:10:57.685272Z  INFO admission uid=… decision=prevent`
    #[default]
    Text,
    /// `{"timestamp":"…","level":"INFO","message":"admission","uid":"…",…}`
    Json,
}

impl From<LogFormat> for log::LogFormat {
    fn from(format: LogFormat) -> log::LogFormat {
        match format {
            LogFormat::Text => log::LogFormat::Text,
            LogFormat::Json => log::LogFormat::Json,
        }
    }
}

/// Runs the server until SIGTERM or Ctrl-C.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> Exit {
    if let Err(message) = args.bundle_key.applies_to(&args.source) {
        return bad_input(err, message);
    }
    let live = match args.live(err) {
        Ok(live) => live,
        Err(exit) => return exit,
    };
    bona_webhook::server::logging(err, args.log_format.into());
    let config = Config {
        registry: live,
        ..args.config()
    };
    match bona_webhook::server::serve(config, out) {
        Ok(()) => Exit::Ok,
        Err(e @ ServeError::Compile(_)) => {
            let _ = writeln!(err, "error: {e}");
            Exit::Findings
        }
        Err(e @ ServeError::BadInput(_)) => bad_input(err, e),
        // `crate::run` says why: stdout cannot be written.
        Err(ServeError::Announce) => Exit::BadInput,
    }
}
