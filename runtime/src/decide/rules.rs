//! The decision rules of docs/decisions.md and 4.5, one function per rule, and the direct interpreter
//! that applies them to a policy set as written.
//!
//! Every function below quotes the rule it implements. The rule functions are shared by both
//! evaluators — the interpreter at the bottom of this file (the oracle) and the indexed
//! [`crate::table`] — so that the outputs they build cannot differ in anything but the verdicts
//! each computes; the property tests compare those.
//!
//! > For an asset A, the applicable policies S(A) are those whose scope holds for A.
//!
//! The interpreter ([`admission`], [`audit`]) evaluates every scope and every rule of every
//! applicable policy for every image, with no index: slow for large sets, obviously right.

use std::cmp::Ordering;

use crate::eval::{Evaluator, KeyRing, policy_applies};
use crate::facts::FactsDocument;
use crate::image::ImageView;
use crate::input::{AdmissionInput, Asset, ImageInput, Inventory};
use crate::ir::{Action, Policy, PolicySet};
use crate::output::{
    AssetRef, Audit, Decision, DecisionKind, ImageAudit, ImageDecision, PolicyAudit, PolicyOutcome,
    PostureIssue, PostureReason, RuntimeIssue, Verdict,
};
use crate::signature::VerificationCache;
use crate::tri::Tri;

// ---------------------------------------------------------------------------------------------
// The rules.

/// Rule 1 and rule 3: whether an image is trusted, given the resolved results of S(A).
///
/// > 1. **No applicable policy:** every image is trusted, the decision is `allow`, no issues.
///
/// > 3. **OR-based, allow wins:** image i is trusted iff some p ∈ S(A) has r(p,i) = trusted,
/// > whatever its action. Policy order never matters.
pub fn is_trusted(applicable: usize, resolved: impl IntoIterator<Item = Verdict>) -> bool {
    applicable == 0 || resolved.into_iter().any(Verdict::is_trusted)
}

/// Rule 2: the resolved result r(p, i) of a verdict v(p, i).
///
/// > The **resolved** result r(p,i): trusted → trusted; untrusted → untrusted; unknown → for a
/// > `prevent` policy, trusted if `on unknown issue` (the default), untrusted if `on unknown
/// > prevent`; for an `issue` policy, untrusted (reason `missing-information`).
pub fn resolve(action: Action, on_unknown: Action, verdict: Tri) -> Verdict {
    match verdict {
        Tri::True => Verdict::Trusted,
        Tri::False => Verdict::Untrusted,
        Tri::Unknown => match (action, on_unknown) {
            (Action::Prevent, Action::Issue) => Verdict::Trusted,
            (Action::Prevent, Action::Prevent) | (Action::Issue, _) => Verdict::Untrusted,
        },
    }
}

/// Rule 2 for one policy.
pub fn resolve_policy(policy: &Policy, verdict: Tri) -> Verdict {
    resolve(policy.action, policy.on_unknown, verdict)
}

/// Rule 4: whether an image is prevented.
///
/// > 4. Image i is **prevented** iff it is not trusted and S(A) holds at least one `prevent`
/// > policy. Otherwise an untrusted image is allowed, with issues.
pub fn is_prevented(trusted: bool, applicable_prevent: bool) -> bool {
    !trusted && applicable_prevent
}

/// Rule 5: the workload's decision from its images' prevented flags.
///
/// > 5. **Workload:** the decision is `prevent` iff any of its images is prevented; one
/// > untrusted image blocks the whole workload.
pub fn workload_decision(prevented: impl IntoIterator<Item = bool>) -> DecisionKind {
    if prevented.into_iter().any(|p| p) {
        DecisionKind::Prevent
    } else {
        DecisionKind::Allow
    }
}

/// Rule 6: the runtime security issue of one image, if any.
///
/// > 6. **Runtime security issues** (admission): exactly one per image that is not trusted,
/// > prevented or not, naming every applicable policy. None for a trusted image.
///
/// `applicable` is S(A) in name order; the texts are docs/output.md#bona-eval's ([`RuntimeIssue::new`]).
pub fn runtime_issue(
    asset: &Asset,
    image: &str,
    applicable: &[&str],
    trusted: bool,
    prevented: bool,
) -> Option<RuntimeIssue> {
    (!trusted).then(|| {
        RuntimeIssue::new(
            asset.described(),
            image.to_owned(),
            applicable.iter().map(|s| (*s).to_owned()).collect(),
            prevented,
        )
    })
}

/// Rule 7 and docs/decisions.md#rule: whether policy p files a posture issue for a running
/// image i, and with which reason.
///
/// > 7. **Posture issues** (audit of running assets …): for each running image i,
/// >    - each `issue` policy p ∈ S(A) with r(p,i) = untrusted gives one posture issue (one per
/// >      image per policy; reason `untrusted`, or `missing-information` when v(p,i) was unknown);
/// >    - if i is not trusted (rule 3), each `prevent` policy p ∈ S(A) with r(p,i) = untrusted
/// >      gives one posture issue too.
///
/// > (4.5) A `prevent` policy with `on unknown issue` whose verdict is unknown lets the image run
/// > (its result resolves to trusted) and still files one posture issue, reason
/// > `missing-information`, at every audit: that is the "create an issue" half of the action.
/// > A prevent policy's posture reason follows the same rule as an issue policy's.
///
/// The last bullet is applied literally: it does not depend on whether the image is trusted
/// (it always is, by this very policy), nor on other policies (see `docs/choices.md`,
/// "Decisions").
pub fn posture_reason(policy: &Policy, verdict: Tri, image_trusted: bool) -> Option<PostureReason> {
    let reason = if verdict == Tri::Unknown {
        PostureReason::MissingInformation
    } else {
        PostureReason::Untrusted
    };
    let untrusted = resolve_policy(policy, verdict) == Verdict::Untrusted;
    match policy.action {
        Action::Issue => untrusted.then_some(reason),
        Action::Prevent if untrusted => (!image_trusted).then_some(reason),
        Action::Prevent => (verdict == Tri::Unknown && policy.on_unknown == Action::Issue)
            .then_some(PostureReason::MissingInformation),
    }
}

/// docs/decisions.md#order: `policies` by name in code-point order.
pub fn by_name(a: &Policy, b: &Policy) -> Ordering {
    a.name.cmp(&b.name)
}

// ---------------------------------------------------------------------------------------------
// Building outputs from verdicts (shared with the table).

/// One applicable policy and its verdict v(p, i) for the image at hand.
#[derive(Clone, Copy, Debug)]
pub struct Judged<'p> {
    /// The policy (∈ S(A)).
    pub policy: &'p Policy,
    /// v(p, i).
    pub verdict: Tri,
}

/// Rules 1–3 for one image: trusted iff no policy applies or one resolves to trusted.
fn judged_trusted(judged: &[Judged<'_>]) -> bool {
    is_trusted(
        judged.len(),
        judged.iter().map(|j| resolve_policy(j.policy, j.verdict)),
    )
}

/// Rules 1–4 for one image, with every applicable policy's reasons: its entry of
/// docs/output.md#bona-eval.
///
/// `judged` is S(A) in name order; `explain` gives the reasons for a non-trusted verdict.
pub(crate) fn image_decision(
    reference: String,
    judged: &[Judged<'_>],
    applicable_prevent: bool,
    mut explain: impl FnMut(&Policy, Tri) -> Vec<String>,
) -> ImageDecision {
    let trusted = judged_trusted(judged);
    let policies = judged
        .iter()
        .map(|j| PolicyOutcome {
            policy: j.policy.name.clone(),
            action: j.policy.action,
            result: j.verdict.into(),
            resolved: resolve_policy(j.policy, j.verdict),
            reasons: explain(j.policy, j.verdict),
        })
        .collect();
    ImageDecision {
        reference,
        verdict: trusted.into(),
        prevented: is_prevented(trusted, applicable_prevent),
        policies,
    }
}

/// Rule 6 for one image: its runtime-security issue, if it is not trusted. Needs verdicts
/// only, no reasons.
pub(crate) fn image_issue(
    asset: &Asset,
    reference: &str,
    judged: &[Judged<'_>],
    applicable_prevent: bool,
) -> Option<RuntimeIssue> {
    let trusted = judged_trusted(judged);
    let names: Vec<&str> = judged.iter().map(|j| j.policy.name.as_str()).collect();
    let prevented = is_prevented(trusted, applicable_prevent);
    runtime_issue(asset, reference, &names, trusted, prevented)
}

/// Rule 7 for one running image, with every applicable policy's result as well as the issues
/// it files.
pub(crate) fn image_audit(
    reference: String,
    digest: Option<String>,
    judged: &[Judged<'_>],
    mut explain: impl FnMut(&Policy, Tri) -> Vec<String>,
) -> ImageAudit {
    let trusted = judged_trusted(judged);
    let policies = judged
        .iter()
        .map(|j| PolicyAudit {
            policy: j.policy.name.clone(),
            action: j.policy.action,
            resolved: resolve_policy(j.policy, j.verdict),
            posture: posture_reason(j.policy, j.verdict, trusted),
            reasons: explain(j.policy, j.verdict),
        })
        .collect();
    ImageAudit {
        reference,
        digest,
        trusted,
        policies,
    }
}

/// Rule 7 for one running image: appends its posture issues in policy-name order.
pub(crate) fn image_posture(
    asset_ref: &AssetRef,
    described: &str,
    reference: &str,
    judged: &[Judged<'_>],
    out: &mut Vec<PostureIssue>,
) {
    let trusted = judged_trusted(judged);
    for j in judged {
        if let Some(reason) = posture_reason(j.policy, j.verdict, trusted) {
            out.push(PostureIssue::new(
                asset_ref.clone(),
                described,
                reference.to_owned(),
                j.policy.name.clone(),
                reason,
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The interpreter (oracle).

/// S(A): the policies whose scope holds for `asset`, in name order.
pub fn applicable<'p>(set: &'p PolicySet, asset: &Asset) -> Vec<&'p Policy> {
    let mut policies: Vec<&Policy> = set
        .policies
        .iter()
        .filter(|p| policy_applies(p, asset))
        .collect();
    policies.sort_by(|a, b| by_name(a, b));
    policies
}

/// Evaluates every applicable policy directly for one image.
fn judge<'p>(applicable: &[&'p Policy], evaluator: &mut Evaluator<'_, '_>) -> Vec<Judged<'p>> {
    applicable
        .iter()
        .map(|p| Judged {
            policy: p,
            verdict: evaluator.policy(p),
        })
        .collect()
}

/// One admission decision by direct interpretation (docs/decisions.md rules 1–6, output of 4.3).
///
/// `now` is used when the input carries no `time`.
pub fn admission(
    set: &PolicySet,
    keys: &KeyRing,
    input: &AdmissionInput,
    facts: Option<&FactsDocument>,
    now: i64,
    cache: &mut VerificationCache,
) -> Decision {
    let time = input.time.unwrap_or(now);
    let applicable = applicable(set, &input.asset);
    let applicable_prevent = applicable.iter().any(|p| p.action == Action::Prevent);
    decide_images(
        input,
        facts,
        time,
        keys,
        cache,
        applicable_prevent,
        |evaluator| judge(&applicable, evaluator),
    )
}

/// Rules 2–6 and the output of 4.3 for every image of an admission at `time`. The interpreter
/// and the indexed table differ only in how they judge one image (`judge`), so they share
/// everything else, and any difference in their outputs comes from judging alone.
pub fn decide_images<'p>(
    input: &AdmissionInput,
    facts: Option<&FactsDocument>,
    time: i64,
    keys: &KeyRing,
    cache: &mut VerificationCache,
    applicable_prevent: bool,
    mut judge: impl FnMut(&mut Evaluator<'_, '_>) -> Vec<Judged<'p>>,
) -> Decision {
    let mut images = Vec::with_capacity(input.images.len());
    let mut issues = Vec::new();
    for image in &input.images {
        let view = ImageView::of_input(image, facts, time);
        let mut evaluator = Evaluator::new(view, keys, cache);
        let judged = judge(&mut evaluator);
        let reference = image.reference.to_string();
        issues.extend(image_issue(
            &input.asset,
            &reference,
            &judged,
            applicable_prevent,
        ));
        images.push(image_decision(
            reference,
            &judged,
            applicable_prevent,
            |p, v| evaluator.explain_policy(p, v),
        ));
    }
    Decision {
        decision: workload_decision(images.iter().map(|i| i.prevented)),
        images,
        issues,
    }
}

/// The posture issues of one running asset by direct interpretation (rule 7), at `time`.
pub fn audit_asset(
    set: &PolicySet,
    keys: &KeyRing,
    asset: &Asset,
    images: &[ImageInput],
    facts: Option<&FactsDocument>,
    time: i64,
    cache: &mut VerificationCache,
) -> Vec<PostureIssue> {
    let applicable = applicable(set, asset);
    posture_of_images(asset, images, facts, time, keys, cache, |evaluator| {
        judge(&applicable, evaluator)
    })
}

/// Every image of a running asset judged by every applicable policy, by direct interpretation
/// (see [`audit_images`]).
pub fn audit_asset_results(
    set: &PolicySet,
    keys: &KeyRing,
    asset: &Asset,
    images: &[ImageInput],
    facts: Option<&FactsDocument>,
    time: i64,
    cache: &mut VerificationCache,
) -> Vec<ImageAudit> {
    let applicable = applicable(set, asset);
    audit_images(images, facts, time, keys, cache, |evaluator| {
        judge(&applicable, evaluator)
    })
}

/// Rule 7 for every image of a running asset at `time`, with every applicable policy's result,
/// given how to judge one image (see [`decide_images`]).
pub fn audit_images<'p>(
    images: &[ImageInput],
    facts: Option<&FactsDocument>,
    time: i64,
    keys: &KeyRing,
    cache: &mut VerificationCache,
    mut judge: impl FnMut(&mut Evaluator<'_, '_>) -> Vec<Judged<'p>>,
) -> Vec<ImageAudit> {
    images
        .iter()
        .map(|image| {
            let view = ImageView::of_input(image, facts, time);
            let digest = view.digest().map(str::to_owned);
            let mut evaluator = Evaluator::new(view, keys, cache);
            let judged = judge(&mut evaluator);
            image_audit(image.reference.to_string(), digest, &judged, |p, v| {
                evaluator.explain_policy(p, v)
            })
        })
        .collect()
}

/// Rule 7 for every image of a running asset at `time`, given how to judge one image (see
/// [`decide_images`]).
pub fn posture_of_images<'p>(
    asset: &Asset,
    images: &[ImageInput],
    facts: Option<&FactsDocument>,
    time: i64,
    keys: &KeyRing,
    cache: &mut VerificationCache,
    mut judge: impl FnMut(&mut Evaluator<'_, '_>) -> Vec<Judged<'p>>,
) -> Vec<PostureIssue> {
    let asset_ref = AssetRef::from(asset);
    let described = asset.describe();
    let mut out = Vec::new();
    for image in images {
        let view = ImageView::of_input(image, facts, time);
        let mut evaluator = Evaluator::new(view, keys, cache);
        let judged = judge(&mut evaluator);
        image_posture(
            &asset_ref,
            &described,
            image.reference.as_str(),
            &judged,
            &mut out,
        );
    }
    out
}

/// A whole audit by direct interpretation: assets in input order, images in order, policies
/// by name (docs/decisions.md#order). `now` is used when the inventory carries no `time`.
pub fn audit(
    set: &PolicySet,
    keys: &KeyRing,
    inventory: &Inventory,
    facts: Option<&FactsDocument>,
    now: i64,
    cache: &mut VerificationCache,
) -> Audit {
    let time = inventory.time.unwrap_or(now);
    let mut issues = Vec::new();
    for entry in &inventory.assets {
        issues.extend(audit_asset(
            set,
            keys,
            &entry.asset,
            &entry.images,
            facts,
            time,
            cache,
        ));
    }
    Audit { issues }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(action: Action, on_unknown: Action) -> Policy {
        Policy {
            name: "p".into(),
            action,
            on_unknown,
            scope: None,
            rules: vec![],
            description: None,
        }
    }

    #[test]
    fn resolution_table() {
        use Action::{Issue, Prevent};
        assert_eq!(resolve(Prevent, Issue, Tri::Unknown), Verdict::Trusted);
        assert_eq!(resolve(Prevent, Prevent, Tri::Unknown), Verdict::Untrusted);
        assert_eq!(resolve(Issue, Issue, Tri::Unknown), Verdict::Untrusted);
        for (a, u) in [(Prevent, Issue), (Prevent, Prevent), (Issue, Issue)] {
            assert_eq!(resolve(a, u, Tri::True), Verdict::Trusted);
            assert_eq!(resolve(a, u, Tri::False), Verdict::Untrusted);
        }
    }

    #[test]
    fn posture_reasons() {
        use Action::{Issue, Prevent};
        let issue = policy(Issue, Issue);
        assert_eq!(posture_reason(&issue, Tri::True, false), None);
        assert_eq!(
            posture_reason(&issue, Tri::False, true),
            Some(PostureReason::Untrusted)
        );
        assert_eq!(
            posture_reason(&issue, Tri::Unknown, true),
            Some(PostureReason::MissingInformation)
        );
        let strict = policy(Prevent, Prevent);
        assert_eq!(posture_reason(&strict, Tri::False, true), None);
        assert_eq!(
            posture_reason(&strict, Tri::False, false),
            Some(PostureReason::Untrusted)
        );
        assert_eq!(
            posture_reason(&strict, Tri::Unknown, false),
            Some(PostureReason::MissingInformation)
        );
        let lenient = policy(Prevent, Issue);
        assert_eq!(
            posture_reason(&lenient, Tri::Unknown, true),
            Some(PostureReason::MissingInformation)
        );
        assert_eq!(posture_reason(&lenient, Tri::True, true), None);
    }
}
