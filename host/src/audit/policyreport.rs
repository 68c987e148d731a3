//! `bona audit --format policyreport | openreports` (docs/reports.md): one report per asset
//! with at least one applicable policy, as current Kyverno writes them, for the Policy Reporter
//! UI and `kubectl get polr`.
//!
//! Each asset's report is rendered on its own (the audit streams, and a report per namespace
//! can outgrow etcd's object limit anyway): a `PolicyReport` in the asset's namespace, or a
//! cluster-scoped report for a VM, named after the asset, with one result per (image, policy of
//! S(A)) in image order then policy name. `rule` is the image, so that a tool keying results
//! by resource, policy and rule keeps one result per image.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use bona_runtime::input::{Asset, AssetType};
use bona_runtime::ir::Action;
use bona_runtime::output::{AssetRef, ImageAudit, PolicyAudit, PostureIssue, PostureReason};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// Which report API is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportApi {
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` / `ClusterPolicyReport`.
    PolicyReport,
    /// `openreports.io/v1alpha1` `Report` / `ClusterReport`, with a top-level `source`.
    OpenReports,
}

/// What every result's `category` says.
const CATEGORY: &str = "Trusted images";
/// `source` of every result (and of an openreports report).
const SOURCE: &str = "bona";
/// Kubernetes' limit on a label value.
const LABEL_MAX: usize = 63;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
    scope: Scope,
    summary: Summary,
    results: Vec<Entry>,
}

#[derive(Serialize)]
struct Metadata {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    labels: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Scope {
    #[serde(skip_serializing_if = "Option::is_none")]
    api_version: Option<&'static str>,
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    name: String,
}

#[derive(Default, Serialize)]
struct Summary {
    pass: u64,
    fail: u64,
    warn: u64,
    error: u64,
    skip: u64,
}

#[derive(Serialize)]
struct Timestamp {
    seconds: i64,
    nanos: i32,
}

#[derive(Serialize)]
struct Entry {
    source: &'static str,
    policy: String,
    rule: String,
    category: &'static str,
    timestamp: Timestamp,
    result: &'static str,
    scored: bool,
    message: String,
    properties: BTreeMap<&'static str, String>,
}

/// `fail`, `warn` or `pass` for one policy's judgement of an image (docs/reports.md).
pub fn result_of(policy: &PolicyAudit) -> &'static str {
    match (policy.posture, policy.action) {
        (Some(PostureReason::Untrusted), Action::Prevent) => "fail",
        (Some(_), _) => "warn",
        (None, _) => "pass",
    }
}

/// `bona-` and the first 20 hex digits of sha256(`cluster/namespace/kind/name`).
pub fn report_name(asset: &Asset) -> String {
    let key = format!(
        "{}/{}/{}/{}",
        asset.cluster, asset.namespace, asset.kind, asset.name
    );
    let digest = Sha256::digest(key.as_bytes());
    let mut name = String::from("bona-");
    for byte in digest.iter().take(10) {
        let _ = write!(name, "{byte:02x}");
    }
    name
}

/// A label value for `text`: what Kubernetes accepts (`[A-Za-z0-9]` at both ends, `-_.` and
/// alphanumerics inside, at most 63 characters); other characters become `-`.
fn label_value(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(LABEL_MAX)
        .collect();
    cleaned
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

/// The `apiVersion` of a workload kind, when Bona knows it.
fn api_version_of(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" | "ReplicationController" => Some("v1"),
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => Some("apps/v1"),
        "Job" | "CronJob" => Some("batch/v1"),
        _ => None,
    }
}

/// The report of one asset, or `None` when no policy applies to it. `time` is the audit's.
pub fn asset_report(
    api: ReportApi,
    asset: &Asset,
    images: &[ImageAudit],
    time: i64,
) -> Option<impl Serialize + use<>> {
    if images.iter().all(|image| image.policies.is_empty()) {
        return None;
    }
    let vm = asset.asset_type == AssetType::Vm;
    let kind = match (api, vm) {
        (ReportApi::PolicyReport, false) => "PolicyReport",
        (ReportApi::PolicyReport, true) => "ClusterPolicyReport",
        (ReportApi::OpenReports, false) => "Report",
        (ReportApi::OpenReports, true) => "ClusterReport",
    };
    let namespace = (!vm).then(|| asset.namespace.clone());
    let mut labels = BTreeMap::new();
    labels.insert("app.kubernetes.io/managed-by", "bona".to_owned());
    labels.insert("bona.dev/cluster", label_value(&asset.cluster));
    let asset_ref = AssetRef::from(asset);
    let described = asset.describe();
    let mut summary = Summary::default();
    let mut results = Vec::new();
    for image in images {
        let trusting: Vec<&str> = image
            .policies
            .iter()
            .filter(|p| p.resolved.is_trusted())
            .map(|p| p.policy.as_str())
            .collect();
        for policy in &image.policies {
            let result = result_of(policy);
            match result {
                "fail" => summary.fail += 1,
                "warn" => summary.warn += 1,
                _ => summary.pass += 1,
            }
            let message = match policy.posture {
                Some(reason) => {
                    PostureIssue::new(
                        asset_ref.clone(),
                        &described,
                        image.reference.clone(),
                        policy.policy.clone(),
                        reason,
                    )
                    .description
                }
                // A pass: this policy trusts the image, or another one does (allow wins).
                None => {
                    let by = if policy.resolved.is_trusted() {
                        policy.policy.as_str()
                    } else {
                        trusting.first().copied().unwrap_or_default()
                    };
                    format!("trusted by {by}")
                }
            };
            let mut properties = BTreeMap::new();
            properties.insert("image", image.reference.clone());
            properties.insert("digest", image.digest.clone().unwrap_or_default());
            properties.insert("action", policy.action.as_str().to_owned());
            properties.insert(
                "reason",
                policy
                    .posture
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_default(),
            );
            properties.insert("trusted_by", trusting.join(", "));
            results.push(Entry {
                source: SOURCE,
                policy: policy.policy.clone(),
                rule: image.reference.clone(),
                category: CATEGORY,
                timestamp: Timestamp {
                    seconds: time,
                    nanos: 0,
                },
                result,
                scored: policy.action == Action::Prevent,
                message,
                properties,
            });
        }
    }
    let scope_kind = if asset.kind.is_empty() && vm {
        "VirtualMachine".to_owned()
    } else {
        asset.kind.clone()
    };
    Some(Report {
        api_version: match api {
            ReportApi::PolicyReport => "wgpolicyk8s.io/v1alpha2",
            ReportApi::OpenReports => "openreports.io/v1alpha1",
        },
        kind,
        metadata: Metadata {
            name: report_name(asset),
            namespace: namespace.clone(),
            labels,
        },
        source: (api == ReportApi::OpenReports).then_some(SOURCE),
        scope: Scope {
            api_version: if vm {
                None
            } else {
                api_version_of(&asset.kind)
            },
            kind: scope_kind,
            namespace,
            name: asset.name.clone(),
        },
        summary,
        results,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bona_runtime::output::Verdict;

    fn policy(
        name: &str,
        action: Action,
        trusted: bool,
        posture: Option<PostureReason>,
    ) -> PolicyAudit {
        PolicyAudit {
            policy: name.into(),
            action,
            resolved: Verdict::from(trusted),
            posture,
            reasons: Vec::new(),
        }
    }

    #[test]
    fn results_map_as_the_spec_says() {
        use PostureReason::{MissingInformation, Untrusted};
        assert_eq!(
            result_of(&policy("p", Action::Prevent, false, Some(Untrusted))),
            "fail"
        );
        assert_eq!(
            result_of(&policy("p", Action::Issue, false, Some(Untrusted))),
            "warn"
        );
        assert_eq!(
            result_of(&policy(
                "p",
                Action::Prevent,
                true,
                Some(MissingInformation)
            )),
            "warn"
        );
        assert_eq!(
            result_of(&policy("p", Action::Prevent, false, None)),
            "pass"
        );
        assert_eq!(result_of(&policy("p", Action::Issue, true, None)), "pass");
    }

    #[test]
    fn names_and_labels_are_what_kubernetes_accepts() {
        let asset = Asset {
            cluster: "prod-eu-1".into(),
            namespace: "payments".into(),
            kind: "Deployment".into(),
            name: "api".into(),
            ..Asset::default()
        };
        let name = report_name(&asset);
        assert_eq!(name.len(), "bona-".len() + 20);
        let expected = Sha256::digest(b"prod-eu-1/payments/Deployment/api");
        assert!(name.ends_with(&format!("{:02x}", expected[9])), "{name}");
        assert_eq!(label_value("prod-eu-1"), "prod-eu-1");
        assert_eq!(label_value(&"x".repeat(80)).len(), 63);
        assert_eq!(label_value("-gke_proj/zone/c-"), "gke_proj-zone-c");
    }

    #[test]
    fn an_asset_without_applicable_policy_has_no_report() {
        let image = ImageAudit {
            reference: "docker.io/library/nginx:1.27".into(),
            digest: None,
            trusted: true,
            policies: Vec::new(),
        };
        assert!(asset_report(ReportApi::PolicyReport, &Asset::default(), &[image], 0).is_none());
    }
}
