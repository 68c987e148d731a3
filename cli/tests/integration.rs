//! The `bona` binary end to end: exit codes and messages, every command, the examples, the
//! webhook under normal and hostile clients, real editors, the Python oracle.
//!
//! One test binary for the crate, one module per area: each binary links the whole crate
//! and its dependencies, so fewer binaries build faster.

mod editors;
mod k8s;
mod keys;
mod xcheck;

mod attestations;
mod audit_stream;
mod cli;
mod conformance_real;
mod conformance_sigstore;
mod deploy;
mod dsse_python;
mod emacs_lsp;
mod eval_stream;
mod examples;
mod facts_registry;
mod facts_trivy;
mod html_report;
mod learn;
mod nvim_lsp;
mod oracle;
mod policyreport;
mod registry_faults;
mod registry_real;
mod serve;
mod signers;
mod sigstore_js;
mod sigstore_python;
mod vscode_lsp;
