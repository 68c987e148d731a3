//! `bona learn` (docs/learn.md): the real binary on every inventory of the repository, on the
//! real kubectl's output and on a generated list of 10,000 pods. What it writes passes `bona
//! check` and `bona lint` with no finding; `bona audit` of the same inventory against it files
//! no posture issue, and does as soon as any one pattern is taken out; the inventory's order
//! changes nothing; `bona diff` of the set against itself is empty.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::audit_stream::{bona, case_options, fixtures, s, text};

/// `bona learn` of `inventory`; `None` when the inventory is not one `learn` can read.
fn learned(inventory: &Path, cluster: &str, extra: &[&str]) -> Option<String> {
    let mut args = vec!["learn", "--inventory", s(inventory), "--cluster", cluster];
    args.extend(extra);
    let out = bona(&args);
    if out.status.code() == Some(2) {
        return None;
    }
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    Some(text(&out.stdout))
}

/// The posture issues of `bona audit` of `inventory` against `policies`.
fn issues(policies: &Path, inventory: &Path, cluster: &str) -> Vec<Value> {
    let out = bona(&[
        "audit",
        "--policy",
        s(policies),
        "--inventory",
        s(inventory),
        "--cluster",
        cluster,
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let audit: Value = serde_json::from_slice(&out.stdout).expect("json");
    audit["issues"].as_array().cloned().unwrap_or_default()
}

/// Every pattern of the `trust image matches [...]` lists, with the line it is on (the
/// formatter puts a long list one pattern a line).
fn patterns(policy: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_list = false;
    for (n, line) in policy.lines().enumerate() {
        let line = line.trim();
        let items = if let Some(list) = line.strip_prefix("trust image matches [") {
            in_list = !list.ends_with(']');
            list.trim_end_matches(']')
        } else if in_list {
            in_list = line != "]";
            line.trim_end_matches(']')
        } else {
            continue;
        };
        for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            out.push((n, item.trim_matches('"').to_owned()));
        }
    }
    out
}

/// `policy` with `pattern` taken out of line `n`: out of its list, or replaced by one that
/// matches nothing when it is the only one (an empty list is not a rule).
fn without(policy: &str, n: usize, pattern: &str) -> String {
    let alone = patterns(policy)
        .iter()
        .filter(|(line, _)| {
            // The patterns of the same `trust` list: between its opening and closing lines.
            let (lo, hi) = if *line <= n { (*line, n) } else { (n, *line) };
            !policy
                .lines()
                .skip(lo)
                .take(hi - lo)
                .any(|l| l.trim() == "}")
        })
        .count()
        == 1;
    let quoted = format!("\"{pattern}\"");
    let mut out = String::new();
    for (i, line) in policy.lines().enumerate() {
        if i == n {
            let replaced = if alone {
                line.replacen(&quoted, "\"nothing.invalid/none\"", 1)
            } else if line.trim() == format!("{quoted},") {
                continue;
            } else if line.contains(&format!("{quoted}, ")) {
                line.replacen(&format!("{quoted}, "), "", 1)
            } else {
                line.replacen(&format!(", {quoted}"), "", 1)
            };
            out.push_str(&replaced);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// The checks every learned set passes, on `inventory` (whose assets are in `cluster` when it
/// is a kubectl list).
fn round_trip(inventory: &Path, cluster: &str, dir: &Path, every_pattern: bool) -> Option<usize> {
    let policy = learned(inventory, cluster, &[])?;
    let path = dir.join("learned.trust");
    std::fs::write(&path, &policy).expect("write");
    let context = format!("{}\n{policy}", inventory.display());
    // Checks and lints clean; already in `bona fmt` layout.
    let check = bona(&["check", s(&path)]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{context}{}",
        text(&check.stderr)
    );
    assert!(!text(&check.stderr).contains("warning"), "{context}");
    let lint = bona(&["lint", s(&path)]);
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{context}{}",
        text(&lint.stderr)
    );
    assert!(
        text(&lint.stdout).trim().is_empty() && text(&lint.stderr).trim().is_empty(),
        "{context}{}{}",
        text(&lint.stdout),
        text(&lint.stderr)
    );
    let fmt = bona(&["fmt", "--check", s(&path)]);
    assert_eq!(fmt.status.code(), Some(0), "{context}{}", text(&fmt.stderr));
    // Nothing that runs files an issue.
    assert_eq!(
        issues(&path, inventory, cluster),
        Vec::<Value>::new(),
        "{context}"
    );
    // The set against itself changes nothing.
    let diff = bona(&[
        "diff",
        s(&path),
        s(&path),
        "--inventory",
        s(inventory),
        "--cluster",
        cluster,
        "--format",
        "json",
    ]);
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{context}{}",
        text(&diff.stderr)
    );
    let changes: Value = serde_json::from_slice(&diff.stdout).expect("json");
    assert_eq!(changes["changes"], Value::Array(Vec::new()), "{context}");
    // Every pattern is needed.
    // An inventory that runs nothing learns no policy.
    let found = patterns(&policy);
    assert_eq!(found.is_empty(), !policy.contains("\npolicy "), "{context}");
    if every_pattern {
        for (n, pattern) in &found {
            let cut = dir.join("cut.trust");
            std::fs::write(&cut, without(&policy, *n, pattern)).expect("write");
            assert!(
                !issues(&cut, inventory, cluster).is_empty(),
                "{context}\nwithout {pattern}: no issue"
            );
        }
    }
    Some(found.len())
}

#[test]
fn learned_sets_trust_what_runs_and_need_every_pattern() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut learned_sets = 0;
    let mut cases: Vec<(PathBuf, String)> = fixtures()
        .into_iter()
        .map(|(case, inventory)| {
            let (opts, _) = case_options(&case);
            (inventory, opts.cluster)
        })
        .collect();
    for case in &mut cases {
        if case.0.ends_with("pods-list.json") {
            case.1 = "prod-eu-1".into();
        }
    }
    for (inventory, cluster) in &cases {
        if round_trip(inventory, cluster, dir.path(), true).is_some_and(|n| n > 0) {
            learned_sets += 1;
        }
    }
    assert!(
        learned_sets >= 10,
        "only {learned_sets} inventories learned"
    );
}

#[test]
fn the_order_of_the_inventory_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("root");
    for (inventory, key) in [
        (root.join("examples/production/inventory.json"), "assets"),
        (
            root.join("runtime/tests/fixtures/kubernetes/pods-list.json"),
            "items",
        ),
    ] {
        let mut doc: Value =
            serde_json::from_slice(&std::fs::read(&inventory).expect("read")).expect("json");
        let first = learned(&inventory, "prod-eu-1", &[]).expect("learned");
        if let Some(list) = doc[key].as_array_mut() {
            list.reverse();
            let n = list.len();
            list.rotate_left(n / 2);
        }
        let shuffled = dir.path().join("shuffled.json");
        std::fs::write(&shuffled, doc.to_string()).expect("write");
        assert_eq!(
            learned(&shuffled, "prod-eu-1", &[]).expect("learned"),
            first
        );
    }
}

/// A `kubectl get pods -A -o json` list of `pods` pods: 100 namespaces, each with
/// Deployments whose pods run a team image, a shared sidecar and sometimes a public one.
fn pods_list(pods: usize) -> String {
    let mut items = Vec::new();
    for i in 0..pods {
        let ns = format!("team{}", i % 100);
        let app = format!("app{}", (i / 100) % 12);
        let hash = format!("{:x}", 0x5f00 + (i / 100) % 12);
        let mut containers = vec![
            serde_json::json!({"name": "app", "image": format!("registry.company.com/{ns}/{app}:1.{}", i % 7)}),
            serde_json::json!({"name": "proxy", "image": "mirror.company.com/envoyproxy/envoy:v1.31.0"}),
        ];
        if i % 9 == 0 {
            containers.push(serde_json::json!({"name": "cache", "image": "redis:7.2"}));
        }
        items.push(serde_json::json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": format!("{app}-{hash}-{i:05}"),
                "namespace": ns,
                "labels": {"app": app, "pod-template-hash": hash},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("{app}-{hash}"), "controller": true}]
            },
            "spec": {"containers": containers}
        }));
    }
    serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string()
}

#[test]
fn ten_thousand_pods_are_learned_into_a_set_that_trusts_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = dir.path().join("pods.json");
    std::fs::write(&inventory, pods_list(10_000)).expect("write");
    let patterns = round_trip(&inventory, "prod-eu-1", dir.path(), false).expect("learned");
    let policy = learned(&inventory, "prod-eu-1", &[]).expect("learned");
    // Namespaces that run the same images share a policy: the team images differ, so one
    // policy per namespace, each with its team's glob, the mirror and (where it runs) redis.
    assert_eq!(
        policy.matches("\npolicy \"learned prod-eu-1/").count(),
        100,
        "{policy}"
    );
    assert!(
        policy.contains("\"registry.company.com/team7/*\""),
        "{policy}"
    );
    assert!(patterns >= 200, "{patterns}");
    // --min-group above the group sizes keeps every repository exact.
    let exact = learned(&inventory, "prod-eu-1", &["--min-group", "13"]).expect("learned");
    assert!(!exact.contains("/*\""), "{exact}");
    let mut count = String::new();
    let _ = write!(
        count,
        "{}",
        exact.matches("registry.company.com/team7/app").count()
    );
    assert_eq!(count, "12");
}

#[test]
fn bad_inventories_and_options_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"assets\": [{\"images\": [{\"ref\": \"Bad//ref\"}]}]}",
    )
    .expect("write");
    let out = bona(&["learn", "--inventory", s(&bad)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("bad.json"),
        "{}",
        text(&out.stderr)
    );
    let out = bona(&["learn", "--inventory", s(&bad), "--min-group", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
