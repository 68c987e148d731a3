//! The results the runtime hands back, in the exact JSON shapes of docs/output.md#bona-eval and
//! 4.4.
//!
//! These types are the contract with everything downstream (the CLI's `--format json`, the
//! conformance corpus, admission components), so they are plain data with `serde` derives and no
//! behaviour beyond building the issue texts. Field order in each struct is the order
//! docs/output.md prints, and serde keeps it.
//!
//! The issue texts of docs/output.md#bona-eval are built here and only here, so the interpreter
//! and the decision table cannot drift apart on a comma:
//!
//! - posture title: `Untrusted image running in ASSET`
//! - posture description (untrusted): `ASSET is running the image REF that does not comply with
//!   the trust criteria defined in the Trusted Images policy POLICY.`
//! - posture description (missing information): `ASSET is running the image REF. Information is
//!   missing to determine compliance with the trust criteria defined in the Trusted Images policy
//!   POLICY.`
//! - runtime security title: `Untrusted image prevented in ASSET` / `Untrusted image deployed in
//!   ASSET`
//! - runtime security description: `ASSET uses the image REF, which no trusted image policy in
//!   scope trusts (POLICY, POLICY).`
//!
//! `ASSET` is [`Asset::describe`]; `REF` is the normalised printed reference.

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};

use crate::input::{Asset, AssetType};
use crate::ir::Action;
use crate::tri::Tri;

/// The workload's decision (docs/decisions.md#rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    /// At least one image is prevented.
    Prevent,
    /// Every image may run (possibly with issues).
    Allow,
}

impl DecisionKind {
    /// `prevent` or `allow`.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Prevent => "prevent",
            DecisionKind::Allow => "allow",
        }
    }
}

/// A two-valued trust outcome: an image's verdict, or a policy's resolved result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Trusted.
    Trusted,
    /// Untrusted.
    Untrusted,
}

impl Verdict {
    /// `trusted` or `untrusted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Trusted => "trusted",
            Verdict::Untrusted => "untrusted",
        }
    }

    /// Whether this is [`Verdict::Trusted`].
    pub fn is_trusted(self) -> bool {
        self == Verdict::Trusted
    }
}

impl From<bool> for Verdict {
    fn from(trusted: bool) -> Verdict {
        if trusted {
            Verdict::Trusted
        } else {
            Verdict::Untrusted
        }
    }
}

/// A policy's tri-state verdict v(p, i), printed as `result`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyResult {
    /// Some rule holds.
    Trusted,
    /// Every rule is false (or there is none).
    Untrusted,
    /// No rule holds and at least one is unknown.
    Unknown,
}

impl From<Tri> for PolicyResult {
    fn from(v: Tri) -> PolicyResult {
        match v {
            Tri::True => PolicyResult::Trusted,
            Tri::False => PolicyResult::Untrusted,
            Tri::Unknown => PolicyResult::Unknown,
        }
    }
}

/// The answer to one admission request (docs/output.md#bona-eval).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// `prevent` iff some image is prevented.
    pub decision: DecisionKind,
    /// One entry per input image, in the input's order.
    pub images: Vec<ImageDecision>,
    /// One runtime-security issue per image that is not trusted, in the images' order.
    pub issues: Vec<RuntimeIssue>,
}

/// One image's outcome within a [`Decision`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageDecision {
    /// The normalised printed reference.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Whether some applicable policy resolves to trusted (allow wins).
    pub verdict: Verdict,
    /// Whether the image is blocked.
    pub prevented: bool,
    /// Every applicable policy, in name order; `[]` when none applies.
    pub policies: Vec<PolicyOutcome>,
}

/// One applicable policy's judgement of one image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyOutcome {
    /// The policy's name.
    pub policy: String,
    /// `prevent` or `issue`.
    pub action: Action,
    /// The tri-state verdict v(p, i).
    pub result: PolicyResult,
    /// The resolved result r(p, i).
    pub resolved: Verdict,
    /// Why the result is not `trusted`; `[]` when it is.
    pub reasons: Vec<String>,
}

/// The `type` tag of a runtime security issue: always `runtime-security`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RuntimeIssueType {
    /// `runtime-security`.
    #[default]
    #[serde(rename = "runtime-security")]
    RuntimeSecurity,
}

/// A runtime security issue, created at admission for an image that is not trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeIssue {
    /// Always `runtime-security`.
    #[serde(rename = "type")]
    pub issue_type: RuntimeIssueType,
    /// The normalised printed reference.
    pub image: String,
    /// Every applicable policy, in name order.
    pub policies: Vec<String>,
    /// Whether the image was prevented.
    pub prevented: bool,
    /// `Untrusted image prevented in ASSET` or `Untrusted image deployed in ASSET`.
    pub title: String,
    /// `ASSET uses the image REF, which no trusted image policy in scope trusts (P1, P2).`
    pub description: String,
}

impl RuntimeIssue {
    /// Builds the issue with the docs/output.md#bona-eval texts.
    pub fn new(
        asset: impl fmt::Display,
        image: String,
        policies: Vec<String>,
        prevented: bool,
    ) -> RuntimeIssue {
        // Written into strings sized for them: an admission files one of these per untrusted
        // image, and each regrowth is an allocation on its path.
        const USES: &str = " uses the image , which no trusted image policy in scope trusts ().";
        let mut title = String::with_capacity(96);
        let verb = if prevented { "prevented" } else { "deployed" };
        let _ = write!(title, "Untrusted image {verb} in {asset}");
        // The title holds the asset's description and a little more.
        let policies_len: usize = policies.iter().map(|p| p.len() + 2).sum();
        let mut description =
            String::with_capacity(title.len() + USES.len() + image.len() + policies_len);
        let _ = write!(
            description,
            "{asset} uses the image {image}, which no trusted image policy in scope trusts ("
        );
        for (i, policy) in policies.iter().enumerate() {
            if i > 0 {
                description.push_str(", ");
            }
            description.push_str(policy);
        }
        description.push_str(").");
        RuntimeIssue {
            issue_type: RuntimeIssueType::RuntimeSecurity,
            image,
            policies,
            prevented,
            title,
            description,
        }
    }
}

/// The answer to an audit (docs/output.md#bona-audit): `{"issues": [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    /// Posture issues: assets in input order, then images in order, then policy name.
    pub issues: Vec<PostureIssue>,
}

/// One running image judged by every applicable policy: what an audit report that lists
/// passes as well as issues needs (a PolicyReport's results, docs/reports.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageAudit {
    /// The normalised printed reference.
    pub reference: String,
    /// The digest, when the reference or the facts give it.
    pub digest: Option<String>,
    /// Whether some applicable policy resolves to trusted (allow wins).
    pub trusted: bool,
    /// Every applicable policy, in name order.
    pub policies: Vec<PolicyAudit>,
}

/// One applicable policy's judgement of a running image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyAudit {
    /// The policy's name.
    pub policy: String,
    /// `prevent` or `issue`.
    pub action: Action,
    /// The resolved result r(p, i).
    pub resolved: Verdict,
    /// The posture issue this policy files for the image, if any (rule 7).
    pub posture: Option<PostureReason>,
    /// Why the result is not `trusted` (as in `bona eval`); `[]` when it is.
    pub reasons: Vec<String>,
}

/// The `type` tag of a posture issue: always `posture`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PostureIssueType {
    /// `posture`.
    #[default]
    #[serde(rename = "posture")]
    Posture,
}

/// Why a posture issue was filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostureReason {
    /// The policy's verdict was untrusted.
    Untrusted,
    /// The policy's verdict was unknown.
    MissingInformation,
}

impl PostureReason {
    /// `untrusted` or `missing-information`.
    pub fn as_str(self) -> &'static str {
        match self {
            PostureReason::Untrusted => "untrusted",
            PostureReason::MissingInformation => "missing-information",
        }
    }
}

/// The asset as printed in a posture issue: its identifying fields, without labels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRef {
    /// `workload` or `vm`.
    #[serde(rename = "type")]
    pub asset_type: AssetType,
    /// `cloud`.
    pub cloud: String,
    /// `cluster`.
    pub cluster: String,
    /// `namespace`.
    pub namespace: String,
    /// `kind`.
    pub kind: String,
    /// `name`.
    pub name: String,
}

impl From<&Asset> for AssetRef {
    fn from(asset: &Asset) -> AssetRef {
        AssetRef {
            asset_type: asset.asset_type,
            cloud: asset.cloud.clone(),
            cluster: asset.cluster.clone(),
            namespace: asset.namespace.clone(),
            kind: asset.kind.clone(),
            name: asset.name.clone(),
        }
    }
}

/// A posture issue: a running image that one policy does not trust (docs/decisions.md#rule, 4.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostureIssue {
    /// Always `posture`.
    #[serde(rename = "type")]
    pub issue_type: PostureIssueType,
    /// The asset running the image.
    pub asset: AssetRef,
    /// The normalised printed reference.
    pub image: String,
    /// The policy filing the issue.
    pub policy: String,
    /// `untrusted` or `missing-information`.
    pub reason: PostureReason,
    /// `Untrusted image running in ASSET`.
    pub title: String,
    /// One of the two posture descriptions of docs/output.md#bona-eval.
    pub description: String,
}

impl PostureIssue {
    /// Builds the issue with the docs/output.md#bona-eval texts; `described` is
    /// [`Asset::describe`].
    pub fn new(
        asset: AssetRef,
        described: &str,
        image: String,
        policy: String,
        reason: PostureReason,
    ) -> PostureIssue {
        let title = format!("Untrusted image running in {described}");
        let description = match reason {
            PostureReason::Untrusted => format!(
                "{described} is running the image {image} that does not comply with the trust \
                 criteria defined in the Trusted Images policy {policy}."
            ),
            PostureReason::MissingInformation => format!(
                "{described} is running the image {image}. Information is missing to determine \
                 compliance with the trust criteria defined in the Trusted Images policy {policy}."
            ),
        };
        PostureIssue {
            issue_type: PostureIssueType::Posture,
            asset,
            image,
            policy,
            reason,
            title,
            description,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset() -> Asset {
        Asset {
            namespace: "payments".into(),
            name: "api".into(),
            kind: "Deployment".into(),
            cluster: "prod-eu-1".into(),
            ..Asset::default()
        }
    }

    #[test]
    fn runtime_issue_texts_and_shape() {
        let a = asset();
        let issue = RuntimeIssue::new(
            a.described(),
            "docker.io/library/nginx:1.27".into(),
            vec!["a".into(), "b".into()],
            true,
        );
        assert_eq!(
            issue.title,
            "Untrusted image prevented in Kubernetes workload payments/api"
        );
        assert_eq!(
            issue.description,
            "Kubernetes workload payments/api uses the image docker.io/library/nginx:1.27, which \
             no trusted image policy in scope trusts (a, b)."
        );
        let json = serde_json::to_string(&issue).unwrap_or_default();
        assert!(json.starts_with(
            r#"{"type":"runtime-security","image":"docker.io/library/nginx:1.27","policies":["a","b"],"prevented":true,"title":"#
        ));
        assert!(json.contains(r#","description":"Kubernetes workload"#));
        let deployed = RuntimeIssue::new("Virtual machine vm1", "r".into(), vec![], false);
        assert_eq!(
            deployed.title,
            "Untrusted image deployed in Virtual machine vm1"
        );
    }

    #[test]
    fn posture_issue_texts_and_shape() {
        let a = asset();
        let issue = PostureIssue::new(
            AssetRef::from(&a),
            &a.describe(),
            "docker.io/library/nginx:1.27".into(),
            "base".into(),
            PostureReason::MissingInformation,
        );
        assert_eq!(
            issue.title,
            "Untrusted image running in Kubernetes workload payments/api"
        );
        assert_eq!(
            issue.description,
            "Kubernetes workload payments/api is running the image docker.io/library/nginx:1.27. \
             Information is missing to determine compliance with the trust criteria defined in \
             the Trusted Images policy base."
        );
        let json = serde_json::to_string(&issue).unwrap_or_default();
        assert!(json.starts_with(
            r#"{"type":"posture","asset":{"type":"workload","cloud":"","cluster":"prod-eu-1","namespace":"payments","kind":"Deployment","name":"api"},"image":"docker.io/library/nginx:1.27","policy":"base","reason":"missing-information","title":"#
        ));
        let untrusted = PostureIssue::new(
            AssetRef::from(&a),
            &a.describe(),
            "r".into(),
            "p".into(),
            PostureReason::Untrusted,
        );
        assert_eq!(
            untrusted.description,
            "Kubernetes workload payments/api is running the image r that does not comply with \
             the trust criteria defined in the Trusted Images policy p."
        );
    }

    #[test]
    fn decision_shape() {
        let d = Decision {
            decision: DecisionKind::Allow,
            images: vec![ImageDecision {
                reference: "docker.io/library/alpine:1.2.3".into(),
                verdict: Verdict::Trusted,
                prevented: false,
                policies: vec![PolicyOutcome {
                    policy: "p".into(),
                    action: Action::Prevent,
                    result: PolicyResult::Unknown,
                    resolved: Verdict::Trusted,
                    reasons: vec!["x".into()],
                }],
            }],
            issues: vec![],
        };
        assert_eq!(
            serde_json::to_string(&d).unwrap_or_default(),
            r#"{"decision":"allow","images":[{"ref":"docker.io/library/alpine:1.2.3","verdict":"trusted","prevented":false,"policies":[{"policy":"p","action":"prevent","result":"unknown","resolved":"trusted","reasons":["x"]}]}],"issues":[]}"#
        );
    }
}
