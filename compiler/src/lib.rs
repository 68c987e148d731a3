//! `bona-compiler`: `.trust` source → diagnostics, formatted text, and the typed policy model
//! ([`bona_runtime::ir`]) that the runtime evaluates.
//!
//! The pipeline, one module per stage: [`syntax`] (lexer, parser, syntax tree) → `resolve`
//! (names across the whole policy set) → `typeck` (types, sides, literals) → the runtime's IR.
//! [`db`] wires the stages into salsa queries so that an edit re-checks only what depends on it.

pub mod attributes;
pub mod codes;
pub mod compile;
pub mod db;
pub mod diagnostics;
pub mod disk;
pub mod files;
pub mod fmt;
pub mod generate;
pub mod identity;
pub mod lint;
pub mod resolve;
pub mod suggest;
pub mod syntax;
pub mod testblock;
pub mod testrun;
pub mod typeck;
