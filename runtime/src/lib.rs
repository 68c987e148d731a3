//! `bona-runtime`: what an admission component embeds to evaluate compiled Bona policies.
//!
//! It has no dependency on the compiler and performs no I/O of its own: callers hand it bytes
//! (a bundle, an input document) and get values back.
//!
//! # Deciding
//!
//! An [`Engine`] is built once from a compiled policy set — [`engine::Engine::new`] from the
//! typed model of [`ir`], or [`engine::Engine::from_bundle`] from the bytes `bona build` wrote
//! — and then answers admissions ([`Engine::evaluate`], or the allocation-free
//! [`Engine::verdict`]) and audits ([`Engine::audit`], [`Engine::audit_asset`]) with the
//! outputs of docs/output.md#bona-eval and 4.4 ([`output`]). The caller owns the signature
//! [`signature::VerificationCache`] and passes the time used when an input carries none.
//!
//! ```
//! use bona_runtime::engine::Engine;
//! use bona_runtime::input::parse_admission_input;
//! use bona_runtime::ir::{Action, EqOp, Expr, ImageAtom, ImageStrAttr, Policy, PolicySet};
//! use bona_runtime::output::DecisionKind;
//! use bona_runtime::signature::VerificationCache;
//!
//! // policy "corporate" { action prevent  trust registry == "registry.company.com" }
//! let set = PolicySet {
//!     trust_roots: vec![],
//!     keys: vec![],
//!     policies: vec![Policy {
//!         name: "corporate".into(),
//!         action: Action::Prevent,
//!         on_unknown: Action::Issue,
//!         scope: None,
//!         rules: vec![Expr::Atom(ImageAtom::Str {
//!             attr: ImageStrAttr::Registry,
//!             op: EqOp::Eq,
//!             value: "registry.company.com".into(),
//!         })],
//!         description: None,
//!     }],
//! };
//! let engine = Engine::new(set)?;
//! let input = parse_admission_input(br#"{
//!     "asset": { "namespace": "payments", "name": "api" },
//!     "images": [ { "ref": "registry.company.com/app:1.2.3" }, { "ref": "nginx" } ] }"#)?;
//! let mut cache = VerificationCache::new();
//! let now = 1_795_305_600; // the caller's clock: the runtime reads none
//!
//! let decision = engine.evaluate(&input, None, now, &mut cache);
//! assert_eq!(decision.decision, DecisionKind::Prevent);
//! assert_eq!(decision.issues.len(), 1);
//! assert_eq!(
//!     decision.images[1].policies[0].reasons,
//!     ["registry is `docker.io`, the rule needs `registry.company.com`"]
//! );
//! assert_eq!(
//!     decision.issues[0].description,
//!     "Kubernetes workload payments/api uses the image docker.io/library/nginx:latest, \
//!      which no trusted image policy in scope trusts (corporate)."
//! );
//!
//! // The hot path: the same decision, no reasons, no allocation per image.
//! assert_eq!(engine.verdict(&input, None, now, &mut cache), DecisionKind::Prevent);
//!
//! // A bundle round trip.
//! let bundle = bona_runtime::bundle::write_bundle(engine.policy_set());
//! let loaded = Engine::from_bundle(&bundle)?;
//! assert_eq!(loaded.evaluate(&input, None, now, &mut cache), decision);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// An admission component embeds this crate: bad input is an error value, never a panic.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod decide;
pub mod image;
pub mod input;
pub mod json;
pub mod model;

// The flat paths embedders use (`bona_runtime::ir`, `bona_runtime::signature`, …) name the
// modules where they live in the folders above.
pub use decide::{engine, eval, evaluation, output, table, tri};
pub use image::{attestation, facts, glob, reference, refpattern, severity, signature, signer};
pub use model::{bundle, ir, ir_text};

pub use engine::{Engine, EngineError};
pub use reference::{Reference, ReferenceError};
pub use tri::Tri;
