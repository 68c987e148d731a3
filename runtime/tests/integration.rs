//! The runtime: decision rules, inputs, references against oci-spec, signatures against
//! OpenSSL, the table against the interpreter.
//!
//! One test binary for the crate, one module per area: each binary links the whole crate
//! and its dependencies, so fewer binaries build faster.

mod strategies;

mod attestations;
mod decide_rules;
mod inputs;
mod keyless;
mod readers;
mod reference_differential;
mod signature_openssl;
mod table_vs_interpreter;
