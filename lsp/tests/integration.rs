//! The language server: cancellation, every position of every file, the stdio transport.
//! (The protocol case files have their own harness: tests/protocol.rs.)
//!
//! One test binary for the crate, one module per area: each binary links the whole crate
//! and its dependencies, so fewer binaries build faster.

mod cancellation;
mod every_position;
mod transport;
