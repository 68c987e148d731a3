//! The runtime's public face: load a policy set once, then decide admissions and audits.
//!
//! An [`Engine`] owns the policy set (policies in name order), its parsed keys and the indexed
//! [`Table`]. It is immutable after construction, so one engine can be shared by reference
//! between threads; the only mutable state a decision needs, the signature
//! [`VerificationCache`], belongs to the caller (one per worker thread, typically).
//!
//! The runtime performs no I/O and reads no clock: the caller passes the bytes it read and
//! `now`, the time used when an input carries none (docs/output.md#admission-input: `time`
//! defaults to now).
//!
//! Three levels of answer:
//! - [`Engine::evaluate`] / [`Engine::audit`]: the full outputs of docs/output.md#bona-eval
//!   and #bona-audit, with reasons; they allocate freely.
//! - [`Engine::evaluation`]: the output of [`Engine::evaluate`] one image at a time, for
//!   callers that stream it (an image's entry with 10,000 applicable policies is megabytes;
//!   20,000 of them are not held at once).
//! - [`Engine::verdict`] and [`Engine::image_verdict`]: only the decision and the per-image
//!   trusted/prevented flags, with no allocation in the common case — the admission hot path.
//! - [`Engine::interpret`] / [`Engine::interpret_audit`]: the same outputs computed by the
//!   direct interpreter of [`crate::decide`], the oracle that tests hold the table to.

use std::fmt;

use crate::bundle::{BundleError, read_bundle};
use crate::decide::{self, workload_decision};
use crate::eval::{Evaluator, KeyRing};
use crate::evaluation::Evaluation;
use crate::facts::FactsDocument;
use crate::image::ImageView;
use crate::input::{AdmissionInput, Asset, ImageInput, Inventory};
use crate::ir::PolicySet;
use crate::output::{Audit, Decision, DecisionKind, ImageAudit, PostureIssue};
use crate::signature::{KeyError, VerificationCache};
use crate::table::{AssetScope, ImageVerdict, Table, TableError};

/// Why a policy set cannot be loaded into an engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// A `key` is not a public key of an accepted type, or a `trustroot` is not a trust root.
    BadKey {
        /// The key's name.
        name: String,
        /// Why it cannot be read.
        error: KeyError,
    },
    /// A `signed by` names a key index the set does not define.
    UnknownKey {
        /// The policy using it.
        policy: String,
        /// The index.
        key: u32,
    },
    /// Two policies share a name.
    DuplicatePolicy(String),
    /// The bundle could not be read.
    Bundle(BundleError),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::BadKey { name, error } => write!(f, "key `{name}`: {error}"),
            EngineError::UnknownKey { policy, key } => write!(
                f,
                "policy `{policy}` uses key #{key}, which the policy set does not define"
            ),
            EngineError::DuplicatePolicy(name) => {
                write!(f, "two policies are named `{name}`")
            }
            EngineError::Bundle(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<BundleError> for EngineError {
    fn from(e: BundleError) -> Self {
        EngineError::Bundle(e)
    }
}

/// A loaded policy set, ready to decide.
#[derive(Debug)]
pub struct Engine {
    pub(crate) table: Table,
    pub(crate) keys: KeyRing,
}

impl Engine {
    /// Checks the set (unique policy names, parseable keys, every `signed by` naming a key),
    /// parses its keys and builds the decision table.
    ///
    /// # Errors
    /// An [`EngineError`] for the first problem found.
    pub fn new(set: PolicySet) -> Result<Engine, EngineError> {
        let keys = KeyRing::from_set(&set.keys, &set.trust_roots)
            .map_err(|(name, error)| EngineError::BadKey { name, error })?;
        let table = Table::new(set).map_err(|e| match e {
            TableError::DuplicatePolicy(name) => EngineError::DuplicatePolicy(name),
            TableError::UnknownKey { policy, key } => EngineError::UnknownKey { policy, key },
        })?;
        Ok(Engine { table, keys })
    }

    /// Loads a bundle written by [`crate::bundle::write_bundle`] (`bona build`).
    ///
    /// # Errors
    /// A bundle that is foreign, truncated, corrupt or from a newer format, or whose policy set
    /// [`Engine::new`] refuses.
    pub fn from_bundle(bytes: &[u8]) -> Result<Engine, EngineError> {
        Engine::new(read_bundle(bytes)?)
    }

    /// The policy set, policies in name order.
    pub fn policy_set(&self) -> &PolicySet {
        self.table.policy_set()
    }

    /// The decision table (for `bona table` and diagnostics).
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// S(A): evaluates the scopes once for an asset, for [`Engine::image_verdict`].
    pub fn scope(&self, asset: &Asset) -> AssetScope {
        self.table.scope(asset)
    }

    /// One image's trusted / prevented flags under a scope from [`Engine::scope`], at `time`.
    /// Allocates nothing (signature verification aside, which the cache makes rare).
    pub fn image_verdict(
        &self,
        scope: &AssetScope,
        image: &ImageInput,
        facts: Option<&FactsDocument>,
        time: i64,
        cache: &mut VerificationCache,
    ) -> ImageVerdict {
        let view = ImageView::of_input(image, facts, time);
        let mut evaluator = Evaluator::new(view, &self.keys, cache);
        self.table.verdict(scope, &mut evaluator)
    }

    /// The admission decision alone (docs/decisions.md#rule-5), without reasons or issues.
    pub fn verdict(
        &self,
        input: &AdmissionInput,
        facts: Option<&FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> DecisionKind {
        let time = input.time.unwrap_or(now);
        let scope = self.scope(&input.asset);
        workload_decision(input.images.iter().map(|image| {
            self.image_verdict(&scope, image, facts, time, cache)
                .prevented
        }))
    }

    /// The full admission decision of docs/decisions.md#reasons: every image's verdict with every
    /// applicable policy's result and reasons, and the runtime security issues.
    pub fn evaluate(
        &self,
        input: &AdmissionInput,
        facts: Option<&FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> Decision {
        let time = input.time.unwrap_or(now);
        let scope = self.scope(&input.asset);
        let applicable = self.table.applicable(&scope);
        decide::decide_images(
            input,
            facts,
            time,
            &self.keys,
            cache,
            scope.any_prevent(),
            |evaluator| self.table.judge(&scope, &applicable, evaluator),
        )
    }

    /// [`Engine::evaluate`] image by image: the decision is known at once (from the fast
    /// verdicts), each image's entry and each runtime-security issue is computed when asked
    /// for, so a caller can write them out without holding the whole decision.
    pub fn evaluation<'e>(
        &'e self,
        input: &'e AdmissionInput,
        facts: Option<&'e FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> Evaluation<'e> {
        self.evaluation_in(self.scope(&input.asset), input, facts, now, cache)
    }

    /// [`Engine::evaluation`] under `scope`, this engine's [`Engine::scope`] of the input's
    /// asset, for a caller that already has it (to judge how much work the decision is).
    pub fn evaluation_in<'e>(
        &'e self,
        scope: AssetScope,
        input: &'e AdmissionInput,
        facts: Option<&'e FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> Evaluation<'e> {
        let time = input.time.unwrap_or(now);
        let decision = workload_decision(input.images.iter().map(|image| {
            self.image_verdict(&scope, image, facts, time, cache)
                .prevented
        }));
        let applicable = self.table.applicable(&scope);
        Evaluation {
            engine: self,
            input,
            facts,
            time,
            scope,
            applicable,
            decision,
        }
    }

    /// The posture issues of one running asset at `time` (docs/decisions.md#rule-7), in image
    /// then policy-name order. Call it asset by asset to stream a large inventory.
    pub fn audit_asset(
        &self,
        asset: &Asset,
        images: &[ImageInput],
        facts: Option<&FactsDocument>,
        time: i64,
        cache: &mut VerificationCache,
    ) -> Vec<PostureIssue> {
        let scope = self.scope(asset);
        if !scope.any_applicable() {
            return Vec::new();
        }
        let applicable = self.table.applicable(&scope);
        decide::posture_of_images(asset, images, facts, time, &self.keys, cache, |evaluator| {
            self.table.judge(&scope, &applicable, evaluator)
        })
    }

    /// Every image of a running asset judged by every applicable policy at `time`, with the
    /// posture issues each files: [`Engine::audit_asset`] with the passes too (for reports
    /// that list them). Empty policy lists when no policy applies.
    pub fn audit_asset_results(
        &self,
        asset: &Asset,
        images: &[ImageInput],
        facts: Option<&FactsDocument>,
        time: i64,
        cache: &mut VerificationCache,
    ) -> Vec<ImageAudit> {
        let scope = self.scope(asset);
        let applicable = self.table.applicable(&scope);
        decide::audit_images(images, facts, time, &self.keys, cache, |evaluator| {
            self.table.judge(&scope, &applicable, evaluator)
        })
    }

    /// [`Engine::audit_asset_results`] computed by the direct interpreter.
    pub fn interpret_audit_asset_results(
        &self,
        asset: &Asset,
        images: &[ImageInput],
        facts: Option<&FactsDocument>,
        time: i64,
        cache: &mut VerificationCache,
    ) -> Vec<ImageAudit> {
        decide::audit_asset_results(
            self.policy_set(),
            &self.keys,
            asset,
            images,
            facts,
            time,
            cache,
        )
    }

    /// A whole audit (docs/output.md#bona-audit): assets in input order. `now` is used when the
    /// inventory carries no `time`.
    pub fn audit(
        &self,
        inventory: &Inventory,
        facts: Option<&FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> Audit {
        let time = inventory.time.unwrap_or(now);
        let mut issues = Vec::new();
        for entry in &inventory.assets {
            issues.extend(self.audit_asset(&entry.asset, &entry.images, facts, time, cache));
        }
        Audit { issues }
    }

    /// [`Engine::evaluate`] computed by the direct interpreter (the oracle).
    pub fn interpret(
        &self,
        input: &AdmissionInput,
        facts: Option<&FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> Decision {
        decide::admission(self.policy_set(), &self.keys, input, facts, now, cache)
    }

    /// [`Engine::audit_asset`] computed by the direct interpreter.
    pub fn interpret_audit_asset(
        &self,
        asset: &Asset,
        images: &[ImageInput],
        facts: Option<&FactsDocument>,
        time: i64,
        cache: &mut VerificationCache,
    ) -> Vec<PostureIssue> {
        decide::audit_asset(
            self.policy_set(),
            &self.keys,
            asset,
            images,
            facts,
            time,
            cache,
        )
    }

    /// [`Engine::audit`] computed by the direct interpreter.
    pub fn interpret_audit(
        &self,
        inventory: &Inventory,
        facts: Option<&FactsDocument>,
        now: i64,
        cache: &mut VerificationCache,
    ) -> Audit {
        decide::audit(self.policy_set(), &self.keys, inventory, facts, now, cache)
    }
}
