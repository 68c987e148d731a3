//! `bona-webhook`: Bona as a Kubernetes validating admission webhook.
//!
//! - [`admission`]: one AdmissionReview in, its answer out ([`admission::review`]): product
//!   behaviour any embedder can call, with no HTTP types;
//! - [`response`]: that answer (the denial message, the warnings `kubectl` prints, the bounded
//!   audit annotations);
//! - [`server`]: the HTTPS server that `bona serve` runs ([`server::serve`]): TLS with client
//!   certificates, limits on every client, Prometheus metrics, reloads without a restart and a
//!   graceful drain.
//!
//! - [`mutate`]: the `/mutate` answer that pins tagged images to their digests.
//!
//! Facts from registries come from `bona-registry` ([`bona_registry::live`]), which the server
//! uses with `--registry`.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod admission;
pub mod mutate;
pub mod response;
pub mod server;
