//! What changes for running assets when a policy set is replaced (`bona diff OLD NEW`): each
//! asset is judged by both sets as if admitted now (decision, image verdicts, runtime-security
//! issues) and as if audited (posture issues), and the differences are reported asset by asset.
//!
//! This is the question a reviewer of a policy change asks before merging it: which workloads
//! would be blocked at their next rollout, which would stop being blocked, and which issues
//! would be filed or closed.

use serde::{Deserialize, Serialize};

use bona_runtime::engine::Engine;
use bona_runtime::facts::FactsDocument;
use bona_runtime::input::{AdmissionInput, InventoryAsset};
use bona_runtime::output::{AssetRef, DecisionKind, PostureIssue, RuntimeIssue, Verdict};
use bona_runtime::signature::VerificationCache;

/// A value before and after the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change<T> {
    /// Under the old policy set.
    pub old: T,
    /// Under the new policy set.
    pub new: T,
}

/// An image's outcome at admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageState {
    /// Trusted by some applicable policy (allow wins).
    pub verdict: Verdict,
    /// Blocked at admission.
    pub prevented: bool,
}

/// An image whose verdict or prevention changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageChange {
    /// The normalised printed reference.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Its outcome under each set.
    #[serde(flatten)]
    pub change: Change<ImageState>,
}

/// An issue one set files and the other does not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Issue {
    /// Filed at admission (docs/decisions.md#rule).
    RuntimeSecurity(RuntimeIssue),
    /// Filed by an audit (docs/decisions.md#rule).
    Posture(PostureIssue),
}

/// The issues only the new set files, and those only the old one filed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueChanges {
    /// Filed under the new set only.
    pub added: Vec<Issue>,
    /// Filed under the old set only.
    pub removed: Vec<Issue>,
}

/// One asset whose decision, image verdicts or issues differ between the two sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetChange {
    /// The asset.
    pub asset: AssetRef,
    /// How issue texts name it (`Kubernetes workload NAMESPACE/NAME`).
    pub described: String,
    /// The workload's admission decision under each set (possibly equal).
    pub decision: Change<DecisionKind>,
    /// The images whose verdict or prevention changes, in the asset's order.
    pub images: Vec<ImageChange>,
    /// The issues that appear or disappear, runtime-security first, each in its own order.
    pub issues: IssueChanges,
}

impl AssetChange {
    /// Blocked at its next admission under the new set, and not under the old one.
    pub fn newly_prevented(&self) -> bool {
        self.decision.old == DecisionKind::Allow && self.decision.new == DecisionKind::Prevent
    }

    /// No longer blocked under the new set.
    pub fn newly_allowed(&self) -> bool {
        self.decision.old == DecisionKind::Prevent && self.decision.new == DecisionKind::Allow
    }
}

/// The counts printed under the changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSummary {
    /// Assets compared.
    pub assets: usize,
    /// Assets with any change.
    pub changed: usize,
    /// Assets allowed before and prevented after.
    pub newly_prevented: usize,
    /// Assets prevented before and allowed after.
    pub newly_allowed: usize,
    /// Issues filed under the new set only.
    pub issues_added: usize,
    /// Issues filed under the old set only.
    pub issues_removed: usize,
}

impl DiffSummary {
    /// Counts `change` (one compared asset; `None` when it did not change).
    pub fn count(&mut self, change: Option<&AssetChange>) {
        self.assets += 1;
        let Some(change) = change else { return };
        self.changed += 1;
        self.newly_prevented += usize::from(change.newly_prevented());
        self.newly_allowed += usize::from(change.newly_allowed());
        self.issues_added += change.issues.added.len();
        self.issues_removed += change.issues.removed.len();
    }
}

/// The whole answer of `bona diff`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    /// Changed assets, in the inventory's order.
    pub changes: Vec<AssetChange>,
    /// The counts.
    pub summary: DiffSummary,
}

/// The two policy sets being compared, with a signature cache for each (a key can differ
/// between them, so verifications are not shared).
pub struct Comparison<'a> {
    /// The set in force.
    pub old: &'a Engine,
    /// The proposed set.
    pub new: &'a Engine,
    /// The facts both are judged with.
    pub facts: Option<&'a FactsDocument>,
    old_cache: VerificationCache,
    new_cache: VerificationCache,
}

impl<'a> Comparison<'a> {
    /// Compares `old` with `new`, judging images with `facts`.
    pub fn new(old: &'a Engine, new: &'a Engine, facts: Option<&'a FactsDocument>) -> Self {
        Comparison {
            old,
            new,
            facts,
            old_cache: VerificationCache::new(),
            new_cache: VerificationCache::new(),
        }
    }

    /// What changes for one running asset at `time`; `None` when nothing does.
    pub fn asset(&mut self, entry: &InventoryAsset, time: i64) -> Option<AssetChange> {
        let input = AdmissionInput {
            time: Some(time),
            asset: entry.asset.clone(),
            images: entry.images.clone(),
        };
        let old = self
            .old
            .evaluate(&input, self.facts, time, &mut self.old_cache);
        let new = self
            .new
            .evaluate(&input, self.facts, time, &mut self.new_cache);
        let old_posture = self.old.audit_asset(
            &entry.asset,
            &entry.images,
            self.facts,
            time,
            &mut self.old_cache,
        );
        let new_posture = self.new.audit_asset(
            &entry.asset,
            &entry.images,
            self.facts,
            time,
            &mut self.new_cache,
        );

        let images: Vec<ImageChange> = old
            .images
            .iter()
            .zip(&new.images)
            .filter_map(|(o, n)| {
                let change = Change {
                    old: ImageState {
                        verdict: o.verdict,
                        prevented: o.prevented,
                    },
                    new: ImageState {
                        verdict: n.verdict,
                        prevented: n.prevented,
                    },
                };
                (change.old != change.new).then(|| ImageChange {
                    reference: o.reference.clone(),
                    change,
                })
            })
            .collect();
        let mut issues = IssueChanges::default();
        only_in(
            &new.issues,
            &old.issues,
            Issue::RuntimeSecurity,
            &mut issues.added,
        );
        only_in(
            &new_posture,
            &old_posture,
            Issue::Posture,
            &mut issues.added,
        );
        only_in(
            &old.issues,
            &new.issues,
            Issue::RuntimeSecurity,
            &mut issues.removed,
        );
        only_in(
            &old_posture,
            &new_posture,
            Issue::Posture,
            &mut issues.removed,
        );

        let decision = Change {
            old: old.decision,
            new: new.decision,
        };
        let unchanged = decision.old == decision.new
            && images.is_empty()
            && issues.added.is_empty()
            && issues.removed.is_empty();
        (!unchanged).then(|| AssetChange {
            asset: AssetRef::from(&entry.asset),
            described: entry.asset.describe(),
            decision,
            images,
            issues,
        })
    }
}

/// Appends, wrapped by `wrap`, the issues of `these` that `those` does not hold. Issue lists
/// are per asset and short, so a linear search is the cheap way.
fn only_in<T: PartialEq + Clone>(
    these: &[T],
    those: &[T],
    wrap: fn(T) -> Issue,
    out: &mut Vec<Issue>,
) {
    out.extend(
        these
            .iter()
            .filter(|issue| !those.contains(issue))
            .cloned()
            .map(wrap),
    );
}
