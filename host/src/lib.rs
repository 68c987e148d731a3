//! `bona-host`: what a program that hosts Bona's engine needs beyond the compiler and the
//! runtime, shared by the command line, the webhook and the language server.
//!
//! - [`walk`]: which files make a policy set (one walk for every host, safe on hostile
//!   directories) and [`source`]: reading them into the compiler's database;
//! - [`engine`]: sources or a bundle to an [`Engine`](bona_runtime::Engine), and the facts that go
//!   with it;
//! - [`signing`]: signed bundles (`bona build --sign-key`, `--bundle-key`);
//! - [`clock`]: the time every host decides at;
//! - [`trivy`]: Trivy reports to facts, and [`vuln_attestation`] to the statement CI signs;
//!   [`diff`]: what a policy change does to an inventory;
//! - [`audit`]: the streaming audit of an inventory, never holding it whole;
//! - [`learn`]: a policy set that trusts what an inventory runs.

pub mod audit;
pub mod clock;
pub mod diff;
pub mod engine;
pub mod learn;
pub mod signing;
pub mod source;
pub mod trivy;
pub mod vuln_attestation;
pub mod walk;
