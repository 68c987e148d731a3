//! Offline Sigstore verification primitives (SPEC §6–7.2).
//!
//! Each check of SPEC §7.2 is a separate function here returning a typed error whose `Display`
//! is one lower-case sentence, the "reason" Bona shows. The crate has no network, file system or
//! clock access (times are parameters, in Unix seconds) and builds for `wasm32-unknown-unknown`:
//! the compiler reads trust roots with it and the runtime verifies with it.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod bundle;
pub mod canonical;
pub mod cert;
pub mod checkpoint;
pub mod dsse;
pub mod intoto;
pub mod json;
pub mod keys;
pub mod merkle;
pub mod rekor;
pub mod sct;
pub mod time;
pub mod trustroot;
pub mod tsa;

pub use keys::{KeyError, PublicKey, SigError, decode_base64_lenient};
