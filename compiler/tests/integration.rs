//! The compiler as a library: documentation that must match the code, formatter and parser
//! properties, incrementality, lint soundness, the TextMate grammar.
//!
//! One test binary for the crate, one module per area: each binary links the whole crate
//! and its dependencies, so fewer binaries build faster.

mod common;

mod attestations;
mod codes_documented;
mod docs_attributes;
mod fmt_props;
mod incremental;
mod lint_props;
mod parser_props;
mod signers;
mod tmlanguage;
