//! Verification primitives against OpenSSL and against the peers' real data.
//!
//! One test binary for the crate, one module per area: each binary links the whole crate
//! and its dependencies, so fewer binaries build faster.

mod common;

mod cert_openssl;
mod conformance_primitives;
mod keys_openssl;
mod primitives_real;
