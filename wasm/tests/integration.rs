//! The wasm target: host errors and limits, module against engine, the committed engine.
//!
//! One test binary for the crate, one module per area: each binary links the whole crate
//! and its dependencies, so fewer binaries build faster.

mod differential;
mod engine_current;
mod host;
mod keyless;
