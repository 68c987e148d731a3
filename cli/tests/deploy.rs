//! deploy/: the kustomize base of `bona serve` and its overlays, rendered by the real
//! `kubectl kustomize`, every object validated against the Kubernetes schemas
//! (`kubernetes-validate --strict`), and held to what the webhook needs: the paths `bona serve`
//! answers, the namespaces it must skip, a Deployment that keeps running when a node goes, the
//! policies it mounts compiling clean.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use yaml_rust2::YamlLoader;

use crate::k8s::{from_yaml, tool};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// `kubectl kustomize DIR`, as text and as objects; `None` without kubectl.
fn render(dir: &Path) -> Option<(String, Vec<Value>)> {
    if !crate::xcheck::runs_path("kubectl") {
        crate::xcheck::tool_missing("kubectl is not installed");
        return None;
    }
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("run kubectl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let docs = YamlLoader::load_from_str(&text).expect("yaml");
    Some((text, docs.iter().map(from_yaml).collect()))
}

fn find<'v>(objects: &'v [Value], kind: &str) -> &'v Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn failure_policy(objects: &[Value]) -> String {
    find(objects, "ValidatingWebhookConfiguration")["webhooks"][0]["failurePolicy"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn the_base_renders_what_the_webhook_needs() {
    let Some((_, objects)) = render(&root().join("deploy")) else {
        return;
    };
    let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
    for kind in [
        "Namespace",
        "ServiceAccount",
        "ConfigMap",
        "Service",
        "Deployment",
        "PodDisruptionBudget",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ServiceMonitor",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    // The paths the webhooks call are routes `bona serve` has.
    let server = std::fs::read_to_string(root().join("webhook/src/server/mod.rs")).expect("read");
    for (kind, path) in [
        ("ValidatingWebhookConfiguration", "/validate"),
        ("MutatingWebhookConfiguration", "/mutate"),
    ] {
        let hook = &find(&objects, kind)["webhooks"][0];
        assert_eq!(hook["clientConfig"]["service"]["path"], path, "{kind}");
        assert!(server.contains(&format!(".route(\"{path}\"")), "{path}");
        assert_eq!(hook["clientConfig"]["service"]["name"], "bona");
        assert_eq!(hook["sideEffects"], "None");
        // Never kube-system nor Bona's own namespace.
        let expr = &hook["namespaceSelector"]["matchExpressions"][0];
        assert_eq!(expr["key"], "kubernetes.io/metadata.name");
        assert_eq!(expr["operator"], "NotIn");
        let skipped: Vec<&str> = expr["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        assert!(skipped.contains(&"kube-system") && skipped.contains(&"bona-system"));
    }
    assert_eq!(
        find(&objects, "MutatingWebhookConfiguration")["webhooks"][0]["failurePolicy"],
        "Ignore"
    );
    // Two replicas, not root, a read-only root filesystem, requests, probes on the routes.
    let deployment = find(&objects, "Deployment");
    assert_eq!(deployment["spec"]["replicas"], 2);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert!(pod["affinity"]["podAntiAffinity"].is_object());
    let container = &pod["containers"][0];
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert!(container["resources"]["requests"]["cpu"].is_string());
    assert!(container["resources"]["requests"]["memory"].is_string());
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    for path in ["/healthz", "/readyz", "/metrics"] {
        assert!(server.contains(&format!(".route(\"{path}\"")), "{path}");
    }
    assert_eq!(
        find(&objects, "ServiceMonitor")["spec"]["endpoints"][0]["path"],
        "/metrics"
    );
    assert_eq!(
        find(&objects, "PodDisruptionBudget")["spec"]["minAvailable"],
        1
    );
    // The Deployment mounts the generated ConfigMap, whose .trust files compile and lint clean.
    let config = find(&objects, "ConfigMap");
    let name = config["metadata"]["name"].as_str().unwrap_or_default();
    assert!(name.starts_with("bona-policies-"), "{name}");
    let volumes = pod["volumes"].as_array().cloned().unwrap_or_default();
    assert!(
        volumes.iter().any(|v| v["configMap"]["name"] == name),
        "{volumes:?}"
    );
    let args: Vec<&str> = container["args"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(args.contains(&"--policy=/etc/bona/policies"), "{args:?}");
    let dir = tempfile::tempdir().expect("tempdir");
    let files = config["data"].as_object().cloned().unwrap_or_default();
    assert!(!files.is_empty());
    for (file, text) in &files {
        assert!(file.ends_with(".trust"), "{file}");
        std::fs::write(dir.path().join(file), text.as_str().unwrap_or_default()).expect("write");
    }
    for command in ["check", "lint"] {
        let out = Command::new(env!("CARGO_BIN_EXE_bona"))
            .arg(command)
            .arg(dir.path())
            .output()
            .expect("run bona");
        assert!(
            out.status.success(),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("warning"),
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The base fails closed; the overlays say which way.
    assert_eq!(failure_policy(&objects), "Fail");
}

#[test]
fn the_overlays_fail_closed_or_open() {
    for (overlay, policy) in [("fail-closed", "Fail"), ("fail-open", "Ignore")] {
        let Some((_, objects)) = render(&root().join("deploy/overlays").join(overlay)) else {
            return;
        };
        assert_eq!(failure_policy(&objects), policy, "{overlay}");
    }
}

#[test]
fn every_rendered_object_passes_the_kubernetes_schemas() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rendered = Vec::new();
    for sub in [
        "deploy",
        "deploy/overlays/fail-closed",
        "deploy/overlays/fail-open",
    ] {
        let Some((text, _)) = render(&root().join(sub)) else {
            return;
        };
        let file = dir.path().join(format!("{}.yaml", sub.replace('/', "-")));
        std::fs::write(&file, text).expect("write");
        rendered.push(file);
    }
    let Some(validate) = tool("kubernetes-validate") else {
        return;
    };
    let out = Command::new(validate)
        .args(["--strict", "-k", "1.37.0", "-k", "1.30.0"])
        .args(&rendered)
        .output()
        .expect("run kubernetes-validate");
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    assert!(!report.contains("ERROR"), "{report}");
    // Every object but the ServiceMonitor (a CRD: no schema to check it with) passed.
    assert!(
        report.matches("passed for resource").count() >= 3 * 8 * 2,
        "{report}"
    );
}
