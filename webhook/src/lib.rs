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
//! The registry client that later work brings will live beside these (or in `bona-host`), not
//! in the command line.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod admission;
pub mod response;
pub mod server;
