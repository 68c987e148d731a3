//! Offline Sigstore verification primitives (docs/signatures.md).
//!
//! Each check of docs/signatures.md#when-a-signature-verifies is a separate function here
//! returning a typed error whose `Display` is one lower-case sentence, the "reason" Bona shows.
//! The crate has no network, file system or clock access (times are parameters, in Unix seconds)
//! and builds for `wasm32-unknown-unknown`: the compiler reads trust roots with it and the runtime
//! verifies with it.
//!
//! Where each check of docs/signatures.md#when-a-signature-verifies lives (composing them, in this
//! order, is the caller's job;
//! `tests/conformance_primitives.rs` does it for the 98 cases of the shared Sigstore corpus):
//!
//! | check | functions |
//! |---|---|
//! | reading the evidence | [`bundle::Bundle::from_json`], [`trustroot::TrustedRoot::from_json`], [`cert::Cert::from_pem_chain`], [`dsse::Envelope::from_value`], [`rekor::set_payload_from_cosign`] |
//! | 2 · a proof is present | [`bundle::check_tlog_requirements`] |
//! | 2 · SET | [`rekor::verify_set`], [`rekor::check_integrated_time`] |
//! | 2 · inclusion proof | [`merkle::leaf_hash`], [`merkle::verify_inclusion`] |
//! | 2 · checkpoint | [`checkpoint::Checkpoint::parse`], [`checkpoint::Checkpoint::verify_signature`], [`checkpoint::Checkpoint::check_proof_root`], [`rekor::check_log_valid_at`] |
//! | 2 · signing time from a TSA | [`tsa::verify_rfc3161`] (or [`tsa::parse_timestamp`], [`tsa::check_message_imprint`], [`tsa::verify_timestamp_signature`]) |
//! | 1 · chain to a CA, code signing | [`cert::verify_chain`], [`cert::check_code_signing`], [`cert::check_leaf_valid_at`] |
//! | 3 · embedded SCT | [`sct::verify_embedded_sct`] |
//! | 4 · the signature | [`keys::PublicKey::verify`], [`dsse::Envelope::verify_any`] over [`dsse::pae`] |
//! | 5 · the entry describes it | [`rekor::EntryBody::parse`], [`rekor::check_body_describes`] |
//! | 6 · identity | [`cert::Cert::identity`] (the constraints are the policy's) |
//! | the payload binds the image | [`intoto::Statement::has_subject_digest`] |
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod bundle;
pub mod canonical;
pub mod cert;
pub mod checkpoint;
pub mod dsse;
pub mod intoto;
pub mod json;
pub mod keys;
pub mod merkle;
pub mod rekor;
pub mod sct;
pub mod time;
pub mod trustroot;
pub mod tsa;
pub mod verify;

pub use keys::{KeyError, PublicKey, SigError, decode_base64_lenient};
