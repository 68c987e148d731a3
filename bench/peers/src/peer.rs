//! The one interface the agreement check and the timings drive every engine through.
//!
//! Each engine prepares its own native inputs from the workload's values *before* anything is
//! timed (Bona parses references and facts, Cedar builds entities and requests, regorus builds
//! `Value`s), so the timings compare evaluation, not input conversion. A decision follows the
//! shape of an admission webhook: S(A) once per asset ([`Peer::scope`]), then one verdict per
//! image ([`Peer::image_verdict`]); [`Peer::prevents`] is the whole admission.

use crate::workload::{Asset, Image};

/// One image's outcome under an asset's applicable policies (SPEC §4.2 rules 1–4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Some applicable policy trusts the image, or none applies.
    pub trusted: bool,
    /// Not trusted, and some applicable policy has `action prevent`.
    pub prevented: bool,
}

/// An engine, with its native forms of the workload's assets, images and admissions.
pub trait Peer {
    type Asset;
    /// What the engine keeps about S(A) between the images of one asset.
    type Scope;
    type Image;
    type Admission;

    fn asset(&self, asset: &Asset) -> Self::Asset;
    /// An image to judge for `asset` (Rego's input and Cedar's entities hold both).
    fn image(&self, asset: &Asset, image: &Image) -> Self::Image;
    fn admission(&self, asset: &Asset, images: &[&Image]) -> Self::Admission;

    /// Evaluates the scopes for an asset.
    fn scope(&mut self, asset: &Self::Asset) -> Self::Scope;
    /// One image decision under a scope from [`Peer::scope`].
    fn image_verdict(&mut self, scope: &Self::Scope, image: &Self::Image) -> Verdict;
    /// The whole admission: scopes, every image, the decision (SPEC §4.2 rule 5). True for
    /// `prevent`, false for `allow`.
    fn prevents(&mut self, admission: &Self::Admission) -> bool;
}
