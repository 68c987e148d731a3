//! `bona-lsp`: the language server for `.trust` files, on `tower-lsp-server` over the
//! compiler's salsa database.
//!
//! The layering follows rust-analyzer and salsa's own examples: the compiler crate owns the
//! inputs and queries; this crate owns the [`session`] (the database behind a lock, the open
//! documents, snapshots for readers, cancellation of stale work) and the protocol
//! ([`server`]). Each feature is one module: [`diagnostics`], [`hover`], [`completion`],
//! [`navigation`] (definition, references), [`rename`], [`symbols`], [`formatting`],
//! [`semantic_tokens`], [`code_actions`], [`code_lens`]. [`convert`] is the only place where
//! byte offsets meet LSP's lines and UTF-16 columns; [`document`] applies incremental edits;
//! [`framing`] keeps the wire alive through malformed client input;
//! [`analysis`] holds the syntax facts the features share.
//!
//! The server answers every request from whatever the parser recovered, so a file with syntax
//! errors still gets hover, completion and the rest.

pub mod analysis;
pub mod code_actions;
pub mod code_lens;
pub mod completion;
pub mod convert;
pub mod diagnostics;
pub mod document;
pub mod formatting;
pub mod framing;
pub mod hover;
pub mod navigation;
pub mod rename;
pub mod semantic_tokens;
pub mod server;
pub mod session;
pub mod symbols;

pub use framing::serve;
pub use server::Backend;
