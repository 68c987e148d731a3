//! Loading the policy set (and facts) the webhook decides with, and loading it again while the
//! server runs.
//!
//! A reload is asked for by SIGHUP, or found by polling: every `--reload-interval` the policy
//! files, bundle, facts and TLS files are read and hashed, and a changed hash triggers a reload of
//! that half (policies or certificate). Hashing contents rather than comparing modification
//! times also catches the symlink swap with which Kubernetes updates a mounted ConfigMap or
//! Secret. The new set is compiled on a thread of its own (the compiler recurses on deep input;
//! the thread gets the same large stack as `main`) and swapped in atomically: requests already
//! deciding finish with the set they started with. A set that does not compile, or a certificate
//! that does not load, leaves the one in use in place and is logged with its diagnostics.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bona_compiler::diagnostics::{render_text, summary};
use bona_compiler::disk::read_regular;
use bona_host::engine::{LoadError, load_engine, read_facts};
use bona_runtime::Engine;
use bona_runtime::facts::FactsDocument;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::watch;

use bona_host::walk::trust_files;

use super::State;
use super::run::ServeError;
use super::tls::{self, TlsFiles};

/// `--policy PATHS` or `--bundle FILE` (with `--bundle-key`): where the policy set comes from.
pub use bona_host::engine::PolicyFiles;

/// Everything the server reads from disk.
#[derive(Clone, Debug)]
pub struct Sources {
    pub policy: PolicyFiles,
    pub facts: Option<PathBuf>,
    pub tls: TlsFiles,
    /// `--client-ca`: re-read with the certificate, so a rotated CA needs no restart.
    pub client_ca: Option<PathBuf>,
}

/// A policy set ready to decide with, and the facts that go with it.
#[derive(Debug)]
pub struct Loaded {
    pub engine: Engine,
    pub facts: Option<FactsDocument>,
}

/// Why a policy set could not be loaded: the error at startup, whose text a reload logs.
#[derive(Debug)]
pub struct LoadFailure {
    pub error: ServeError,
}

fn bad(message: String) -> LoadFailure {
    LoadFailure {
        error: ServeError::BadInput(message),
    }
}

/// Compiles (or reads) the policy set and reads the facts, like `bona eval` does.
///
/// # Errors
/// Compile errors ([`ServeError::Compile`], with the rendered diagnostics) or unreadable input
/// ([`ServeError::BadInput`]).
pub fn load_policies(sources: &Sources) -> Result<Loaded, LoadFailure> {
    let engine = load_engine(sources.policy.source()).map_err(|e| match e {
        LoadError::BadInput(message) => bad(message),
        LoadError::Compile(failure) => LoadFailure {
            error: ServeError::Compile(format!(
                "{}{}; fix the policies first",
                render_text(&failure.db, &failure.diagnostics),
                summary(&failure.diagnostics)
            )),
        },
    })?;
    let facts = sources
        .facts
        .as_deref()
        .map(read_facts)
        .transpose()
        .map_err(bad)?;
    Ok(Loaded { engine, facts })
}

/// A hash of the files `load_policies` reads (errors included, so a file that appears or
/// disappears counts as a change).
pub fn policy_fingerprint(sources: &Sources) -> u64 {
    let mut hasher = DefaultHasher::new();
    match trust_files(&sources.policy.policy) {
        Ok(files) => files.iter().for_each(|f| hash_file(&mut hasher, f)),
        Err(e) => e.to_string().hash(&mut hasher),
    }
    // A re-signed bundle is a change too.
    let signature = sources
        .policy
        .bundle
        .as_deref()
        .filter(|_| sources.policy.bundle_key.is_some())
        .map(bona_host::signing::signature_path);
    sources
        .policy
        .bundle
        .iter()
        .chain(&signature)
        .chain(&sources.facts)
        .for_each(|f| hash_file(&mut hasher, f));
    hasher.finish()
}

/// A hash of the certificate and key files.
pub fn tls_fingerprint(files: &TlsFiles) -> u64 {
    let mut hasher = DefaultHasher::new();
    hash_file(&mut hasher, &files.cert);
    hash_file(&mut hasher, &files.key);
    hasher.finish()
}

/// The most a watched file may hold to be hashed: larger than any policy file, bundle or
/// facts document the loaders accept, so a file over it is a change the reload reports.
const MAX_HASHED_BYTES: u64 = 1 << 30;

fn hash_file(hasher: &mut DefaultHasher, path: &Path) {
    path.hash(hasher);
    // Bounded, regular files only: a FIFO or `/dev/zero` swapped in must not stall the watcher.
    match read_regular(path, MAX_HASHED_BYTES) {
        Ok(bytes) => bytes.hash(hasher),
        Err(e) => e.to_string().hash(hasher),
    }
}

/// Registers the SIGHUP handler. Done before the server announces itself, so a SIGHUP that
/// comes early reloads rather than ends the process (SIGHUP's default action).
pub fn hangups() -> std::io::Result<Signal> {
    signal(SignalKind::hangup())
}

/// Compiles on a thread with `main`'s stack size and waits for it without blocking the runtime.
async fn load_off_runtime(sources: Arc<Sources>) -> Result<Loaded, LoadFailure> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("bona-reload".into())
        .stack_size(256 << 20)
        .spawn(move || {
            let _ = tx.send(load_policies(&sources));
        });
    if let Err(e) = spawned {
        return Err(bad(format!("cannot start the reload thread: {e}")));
    }
    rx.await
        .unwrap_or_else(|_| Err(bad("the reload thread stopped without an answer".into())))
}

/// The policy and certificate fingerprints, computed on a blocking thread: reading the files
/// must never hold up the threads that answer requests and signals.
async fn fingerprints(sources: Arc<Sources>) -> Fingerprints {
    tokio::task::spawn_blocking(move || Fingerprints::of(&sources))
        .await
        .unwrap_or(Fingerprints { policy: 0, tls: 0 })
}

/// What the watched files were when last looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fingerprints {
    policy: u64,
    tls: u64,
}

impl Fingerprints {
    /// The files as they are now (blocking: reads them). Taken before the policies first load,
    /// so that a change made while they load, or before the watcher starts, is seen.
    pub fn of(sources: &Sources) -> Fingerprints {
        let mut tls = tls_fingerprint(&sources.tls);
        if let Some(ca) = &sources.client_ca {
            let mut hasher = DefaultHasher::new();
            tls.hash(&mut hasher);
            hash_file(&mut hasher, ca);
            tls = hasher.finish();
        }
        Fingerprints {
            policy: policy_fingerprint(sources),
            tls,
        }
    }
}

/// Reloads on SIGHUP (always, even when nothing changed) and, with an interval, when the
/// files change from what `seen` says they were when the serving set was loaded. Returns when
/// `shutdown` turns true.
pub async fn watch(
    state: Arc<State>,
    sources: Arc<Sources>,
    seen: Fingerprints,
    mut hangups: Signal,
    interval: Option<Duration>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Fingerprints {
        policy: mut policy_seen,
        tls: mut tls_seen,
    } = seen;
    let mut ticker = interval.map(tokio::time::interval);
    loop {
        let forced = tokio::select! {
            _ = hangups.recv() => {
                tracing::info!("SIGHUP: reloading policies and certificate");
                true
            }
            _ = async {
                match ticker.as_mut() {
                    Some(t) => { t.tick().await; }
                    None => std::future::pending::<()>().await,
                }
            } => false,
            _ = shutdown.changed() => return,
        };
        if let Some(live) = &state.live {
            match live.reload_credentials() {
                Some(Ok(())) => tracing::info!("registry credentials reloaded"),
                Some(Err(e)) => tracing::error!(
                    "registry credentials reload failed; keeping the previous ones: {e}"
                ),
                None => {}
            }
        }
        let Fingerprints {
            policy: policy_now,
            tls: tls_now,
        } = fingerprints(Arc::clone(&sources)).await;
        if forced || policy_now != policy_seen {
            policy_seen = policy_now;
            reload_policies(&state, Arc::clone(&sources), forced).await;
        }
        if forced || tls_now != tls_seen {
            tls_seen = tls_now;
            match state.certificate.reload(&sources.tls) {
                Ok(()) => tracing::info!("TLS certificate reloaded"),
                Err(e) => {
                    tracing::error!("TLS certificate reload failed; keeping the previous one: {e}");
                }
            }
            if let Some(ca) = &sources.client_ca {
                let rebuilt = tls::client_roots(ca).and_then(|roots| {
                    tls::server_config(Arc::clone(&state.certificate), Some(roots))
                });
                match rebuilt {
                    Ok(config) => {
                        state.tls.store(Arc::new(config));
                        tracing::info!("client CA reloaded");
                    }
                    Err(e) => {
                        tracing::error!("client CA reload failed; keeping the previous one: {e}");
                    }
                }
            }
        }
    }
}

async fn reload_policies(state: &State, sources: Arc<Sources>, forced: bool) {
    let why = if forced { "SIGHUP" } else { "files changed" };
    match load_off_runtime(sources).await {
        Ok(loaded) => {
            let count = loaded.engine.policy_set().policies.len();
            state.loaded.store(Arc::new(loaded));
            state.metrics.loaded(true, count, bona_host::clock::now());
            tracing::info!(policies = count, "policies reloaded ({why})");
        }
        Err(failure) => {
            state.metrics.loaded(false, 0, 0);
            tracing::error!(
                "policy reload failed ({why}); keeping the previous policies:\n{}",
                failure.error
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_follows_contents() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.trust");
        std::fs::write(&file, "let x = 1\n").unwrap();
        let sources = Sources {
            policy: PolicyFiles {
                policy: vec![dir.path().to_owned()],
                ..PolicyFiles::default()
            },
            facts: None,
            client_ca: None,
            tls: TlsFiles {
                cert: dir.path().join("missing.pem"),
                key: dir.path().join("missing.key"),
            },
        };
        let before = policy_fingerprint(&sources);
        assert_eq!(before, policy_fingerprint(&sources));
        std::fs::write(&file, "let x = 2\n").unwrap();
        assert_ne!(before, policy_fingerprint(&sources));
    }
}
