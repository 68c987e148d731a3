//! The private Sigstore's fixtures: their structure, and OpenSSL's reading of them.
//!
//! One test binary for the crate, one module per area: each binary links the whole crate
//! and its dependencies, so fewer binaries build faster.

mod committed;
mod openssl;
mod structure;
