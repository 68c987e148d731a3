//! `bona audit --format policyreport | openreports` (docs/reports.md): the real binary on every
//! inventory of the repository, its reports held to the spec's mapping and cross-checked with
//! `--format json` (every `fail`/`warn` result is one posture issue and the other way round),
//! the YAML form read back equal to the JSON form, and the details a report consumer keys on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use yaml_rust2::YamlLoader;

use crate::audit_stream::{bona, case_options, fixtures, s};
use crate::k8s::{from_yaml, tool};

fn json(out: &Output, context: &str) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{context}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{context}: {e}"))
}

fn str_at<'v>(v: &'v Value, pointer: &str) -> &'v str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// (namespace, kind, name, image, policy, reason) of every posture issue, sorted.
type Filed = Vec<(String, String, String, String, String, String)>;

fn issues_of(audit: &Value) -> Filed {
    let mut out: Filed = audit["issues"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            (
                str_at(i, "/asset/namespace").to_owned(),
                // A VM's report names a kind even when the inventory gives none.
                match (str_at(i, "/asset/type"), str_at(i, "/asset/kind")) {
                    ("vm", "") => "VirtualMachine".to_owned(),
                    (_, kind) => kind.to_owned(),
                },
                str_at(i, "/asset/name").to_owned(),
                str_at(i, "/image").to_owned(),
                str_at(i, "/policy").to_owned(),
                str_at(i, "/reason").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Checks one report against docs/reports.md and returns the issues its results stand for.
fn check_report(report: &Value, open: bool, context: &str) -> Filed {
    let kind = str_at(report, "/kind");
    let (api, namespaced, cluster) = if open {
        ("openreports.io/v1alpha1", "Report", "ClusterReport")
    } else {
        (
            "wgpolicyk8s.io/v1alpha2",
            "PolicyReport",
            "ClusterPolicyReport",
        )
    };
    assert_eq!(str_at(report, "/apiVersion"), api, "{context}");
    assert!(kind == namespaced || kind == cluster, "{context}: {kind}");
    assert_eq!(report.get("source").is_some(), open, "{context}");
    let name = str_at(report, "/metadata/name");
    assert!(
        name.len() == 25
            && name.starts_with("bona-")
            && name[5..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{context}: {name}"
    );
    assert_eq!(
        str_at(report, "/metadata/labels/app.kubernetes.io~1managed-by"),
        "bona",
        "{context}"
    );
    assert!(str_at(report, "/metadata/labels/bona.dev~1cluster").len() <= 63);
    assert_eq!(
        report.pointer("/metadata/namespace").is_some(),
        kind == namespaced,
        "{context}"
    );
    let results = report["results"].as_array().cloned().unwrap_or_default();
    assert!(!results.is_empty(), "{context}: a report has results");
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut filed = Filed::new();
    let mut last_image: Option<String> = None;
    let mut policies_of_image: Vec<String> = Vec::new();
    for r in &results {
        let result = str_at(r, "/result");
        *counts.entry(result.to_owned()).or_default() += 1;
        let action = str_at(r, "/properties/action");
        let reason = str_at(r, "/properties/reason");
        let expected = match (reason, action) {
            ("untrusted", "prevent") => "fail",
            ("", _) => "pass",
            _ => "warn",
        };
        assert_eq!(result, expected, "{context}: {r}");
        assert_eq!(r["scored"], Value::from(action == "prevent"), "{context}");
        assert_eq!(str_at(r, "/source"), "bona");
        assert_eq!(str_at(r, "/category"), "Trusted images");
        assert_eq!(r.pointer("/timestamp/nanos"), Some(&Value::from(0)));
        assert_eq!(str_at(r, "/rule"), str_at(r, "/properties/image"));
        let message = str_at(r, "/message");
        if result == "pass" {
            assert!(message.starts_with("trusted by "), "{context}: {message}");
            let by = &message["trusted by ".len()..];
            assert!(
                str_at(r, "/properties/trusted_by")
                    .split(", ")
                    .any(|p| p == by),
                "{context}: {r}"
            );
        } else {
            assert!(message.contains(str_at(r, "/rule")), "{context}: {message}");
            filed.push((
                str_at(report, "/scope/namespace").to_owned(),
                str_at(report, "/scope/kind").to_owned(),
                str_at(report, "/scope/name").to_owned(),
                str_at(r, "/rule").to_owned(),
                str_at(r, "/policy").to_owned(),
                reason.to_owned(),
            ));
        }
        // Image order, then policy name within an image.
        let image = str_at(r, "/rule").to_owned();
        if last_image.as_ref() != Some(&image) {
            policies_of_image.clear();
            last_image = Some(image);
        }
        let policy = str_at(r, "/policy").to_owned();
        if let Some(previous) = policies_of_image.last() {
            assert!(previous < &policy, "{context}: {previous} before {policy}");
        }
        policies_of_image.push(policy);
    }
    for key in ["pass", "fail", "warn"] {
        assert_eq!(
            report.pointer(&format!("/summary/{key}")),
            Some(&Value::from(counts.get(key).copied().unwrap_or(0))),
            "{context}: summary {key}"
        );
    }
    filed
}

#[test]
fn reports_agree_with_the_audit_on_every_inventory_of_the_repository() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut reports_seen = 0;
    // Every output, to validate against the schemas at the end (one checker run per API).
    let mut written: [Vec<PathBuf>; 2] = [Vec::new(), Vec::new()];
    for (n, (case, inventory)) in fixtures().into_iter().enumerate() {
        let (mut opts, _) = case_options(&case);
        if inventory.ends_with("pods-list.json") {
            opts.cluster = "prod-eu-1".into();
        }
        let facts = Some(case.join("facts.json")).filter(|f| f.is_file());
        let run = |extra: &[&str]| {
            let mut args = vec!["audit", "--policy", s(&case), "--inventory", s(&inventory)];
            if let Some(facts) = &facts {
                args.extend(["--facts", s(facts)]);
            }
            args.extend(["--cluster", &opts.cluster, "--cloud", &opts.cloud]);
            args.extend(extra);
            bona(&args)
        };
        let context = inventory.display().to_string();
        let probe = run(&["--format", "json"]);
        if probe.status.code() != Some(0) {
            // Bad input or policies: the same exit whatever the format.
            let reports = run(&["--format", "policyreport"]);
            assert_eq!(reports.status.code(), probe.status.code(), "{context}");
            assert!(reports.stdout.is_empty(), "{context}");
            continue;
        }
        let audit = json(&probe, &context);
        let policyreport = json(&run(&["--format", "policyreport"]), &context);
        let openreports = json(&run(&["--format", "openreports"]), &context);
        assert_eq!(str_at(&policyreport, "/kind"), "List", "{context}");
        assert_eq!(str_at(&policyreport, "/apiVersion"), "v1", "{context}");
        let items = policyreport["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut filed = Filed::new();
        for report in &items {
            filed.extend(check_report(report, false, &context));
            reports_seen += 1;
        }
        filed.sort();
        assert_eq!(filed, issues_of(&audit), "{context}");
        // openreports: the same reports under another API, with a top-level source.
        let open_items = openreports["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(open_items.len(), items.len(), "{context}");
        for (open, report) in open_items.iter().zip(&items) {
            check_report(open, true, &context);
            assert_eq!(open["results"], report["results"], "{context}");
            assert_eq!(open["scope"], report["scope"], "{context}");
            assert_eq!(open["metadata"], report["metadata"], "{context}");
        }
        // YAML into a .yaml file: the same value.
        let yaml_path = dir.path().join(format!("reports-{n}.yaml"));
        let to_file = run(&["--format", "policyreport", "-o", s(&yaml_path)]);
        assert_eq!(to_file.status.code(), Some(0), "{context}");
        assert!(to_file.stdout.is_empty(), "{context}");
        let text = std::fs::read_to_string(&yaml_path).expect("read the yaml");
        let docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{context}: {e}"));
        assert_eq!(docs.len(), 1, "{context}");
        assert_eq!(from_yaml(&docs[0]), policyreport, "{context}");
        let open_path = dir.path().join(format!("open-{n}.json"));
        std::fs::write(&open_path, openreports.to_string()).expect("write");
        written[0].push(yaml_path);
        written[1].push(open_path);
    }
    assert!(reports_seen >= 10, "only {reports_seen} reports checked");
    // Against the PolicyReport and openreports schemas written down in tests/schemas/.
    let Some(checker) = tool("check-jsonschema") else {
        return;
    };
    let schemas = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/schemas");
    for (files, schema) in written.iter().zip(["policyreport", "openreports"]) {
        let out = Command::new(&checker)
            .arg("--schemafile")
            .arg(schemas.join(format!("{schema}.schema.json")))
            .args(files)
            .output()
            .expect("run check-jsonschema");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{schema}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The schema refuses what a report must not be.
    let bad = dir.path().join("bad.json");
    let first = std::fs::read_to_string(&written[1][0]).expect("read");
    std::fs::write(&bad, first.replacen("\"result\":\"", "\"result\":\"x", 1)).expect("write");
    let out = Command::new(&checker)
        .arg("--schemafile")
        .arg(schemas.join("openreports.schema.json"))
        .arg(&bad)
        .output()
        .expect("run check-jsonschema");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

const POLICIES: &str = r#"
policy "b corporate" {
  action prevent
  trust registry == "registry.company.com"
}

policy "a scanned" {
  action issue
  trust scanned and vulns.critical == 0
}
"#;

const INVENTORY: &str = r#"{"time": "2026-11-22T00:00:00Z", "assets": [
  {"cluster": "prod-eu-1", "namespace": "payments", "kind": "Deployment", "name": "api", "images": [
    {"ref": "registry.company.com/payments/api:1.4.2", "facts": {"scanned": true, "scan": {"scanner": "trivy", "finished_at": "2026-11-21T00:00:00Z", "vulnerabilities": {"critical": 0}}}},
    {"ref": "docker.io/library/redis:7.2"}
  ]},
  {"type": "vm", "cluster": "prod-eu-1", "name": "bastion", "images": [{"ref": "registry.company.com/base/debian:12"}]}
]}"#;

#[test]
fn two_images_under_one_policy_are_two_results_and_vms_get_cluster_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policy = dir.path().join("p.trust");
    let inventory = dir.path().join("inventory.json");
    std::fs::write(&policy, POLICIES).expect("write");
    std::fs::write(&inventory, INVENTORY).expect("write");
    let out = bona(&[
        "audit",
        "--policy",
        s(&policy),
        "--inventory",
        s(&inventory),
        "--format",
        "policyreport",
    ]);
    let list = json(&out, "small");
    let items = list["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2);
    let workload = &items[0];
    assert_eq!(str_at(workload, "/kind"), "PolicyReport");
    assert_eq!(str_at(workload, "/metadata/namespace"), "payments");
    assert_eq!(
        workload["scope"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "payments", "name": "api"})
    );
    // Image order, then policy name; `rule` tells the two images apart.
    let keys: Vec<(String, String, String)> = workload["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                str_at(r, "/rule").to_owned(),
                str_at(r, "/policy").to_owned(),
                str_at(r, "/result").to_owned(),
            )
        })
        .collect();
    let api = "registry.company.com/payments/api:1.4.2";
    let redis = "docker.io/library/redis:7.2";
    assert_eq!(
        keys,
        [
            (api.into(), "a scanned".into(), "pass".into()),
            (api.into(), "b corporate".into(), "pass".into()),
            (redis.into(), "a scanned".into(), "warn".into()),
            (redis.into(), "b corporate".into(), "fail".into()),
        ]
    );
    let results = workload["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(str_at(&results[0], "/message"), "trusted by a scanned");
    assert_eq!(
        str_at(&results[0], "/properties/trusted_by"),
        "a scanned, b corporate"
    );
    assert_eq!(
        str_at(&results[2], "/properties/reason"),
        "missing-information"
    );
    assert_eq!(
        str_at(&results[3], "/message"),
        "Kubernetes workload payments/api is running the image docker.io/library/redis:7.2 that \
         does not comply with the trust criteria defined in the Trusted Images policy b corporate."
    );
    assert_eq!(
        results[0].pointer("/timestamp/seconds"),
        Some(&Value::from(1_795_305_600))
    );
    assert_eq!(
        workload["summary"],
        serde_json::json!({"pass": 2, "fail": 1, "warn": 1, "error": 0, "skip": 0})
    );
    let vm = &items[1];
    assert_eq!(str_at(vm, "/kind"), "ClusterPolicyReport");
    assert!(vm.pointer("/metadata/namespace").is_none());
    assert_eq!(
        vm["scope"],
        serde_json::json!({"kind": "VirtualMachine", "name": "bastion"})
    );
}
