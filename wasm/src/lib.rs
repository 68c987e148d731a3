//! `bona-wasm`: Bona's policies as one self-contained WebAssembly module.
//!
//! - [`abi`]: the contract between a module and its host (`docs/wasm-abi.md`), the one
//!   definition that the engine (`wasm-engine/`, built for wasm32), the builder and the host
//!   share;
//! - [`module`] (feature `build`): `bona build --target wasm`, the committed engine with a policy
//!   set placed after its heap base;
//! - [`host`] (feature `host`): a wasmtime host with fuel and memory limits.
//!
//! The runtime knows nothing of this: it is what the engine is compiled from, not where the
//! engine lives.

pub mod abi;
#[cfg(feature = "host")]
pub mod host;
#[cfg(feature = "build")]
pub mod module;
