//! Which images `bona facts registry` reads (docs/registry.md#bona-facts-registry): those named,
//! those of an inventory or kubectl list, and the candidate bases of `--base`.
//!
//! For a container of a kubectl list the digest is its status's `imageID` — what the kubelet
//! actually pulled — matched by container name, so that a moved tag does not make the facts
//! describe an image that is not running. The facts stay under the reference as written,
//! which is how audits look them up (docs/images.md#facts-lookup).

use std::collections::{HashMap, HashSet};
use std::io::Write;

use bona_runtime::input::{is_kubectl_list, parse_inventory};
use bona_runtime::reference::{Reference, is_valid_digest};
use serde_json::Value;

use crate::commands::registry_facts::RegistryArgs;
use crate::{Exit, bad_input, policies};

/// One image to read.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    /// The facts key: the reference as written, normalised.
    pub key: Reference,
    /// What is read: the key, or the key at the digest a running container has.
    pub read: Reference,
}

impl Target {
    fn named(reference: Reference) -> Target {
        Target {
            key: reference.clone(),
            read: reference,
        }
    }
}

/// The images of the command line, then of `--inventory`, then of `--base`, each once.
pub fn targets(args: &RegistryArgs, err: &mut dyn Write) -> Result<Vec<Target>, Exit> {
    let mut out = Vec::new();
    for image in &args.images {
        let reference =
            Reference::parse(image).map_err(|e| bad_input(&mut *err, format!("{image}: {e}")))?;
        out.push(Target::named(reference));
    }
    if let Some(path) = &args.inventory {
        out.extend(inventory(path, err)?);
    }
    for base in &args.base {
        let reference = Reference::parse(base)
            .map_err(|e| bad_input(&mut *err, format!("--base {base}: {e}")))?;
        out.push(Target::named(reference));
    }
    let mut seen = HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    Ok(out)
}

/// The images of an inventory or kubectl list, a running container at its `imageID`, each once.
pub fn inventory(path: &std::path::Path, err: &mut dyn Write) -> Result<Vec<Target>, Exit> {
    let bytes = policies::read(path, err)?;
    let found = if is_kubectl_list(&bytes) {
        running(&bytes)
    } else {
        parse_inventory(&bytes)
            .map(|inventory| {
                inventory
                    .assets
                    .into_iter()
                    .flat_map(|a| a.images)
                    .map(|i| Target::named(i.reference))
                    .collect()
            })
            .map_err(|e| e.to_string())
    };
    let mut found = found.map_err(|e| bad_input(&mut *err, format!("{}: {e}", path.display())))?;
    let mut seen = HashSet::new();
    found.retain(|t| seen.insert(t.clone()));
    Ok(found)
}

/// The containers of a kubectl list, each at the digest its status says it runs when it says.
fn running(bytes: &[u8]) -> Result<Vec<Target>, String> {
    let list: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let items = list
        .get("items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut out = Vec::new();
    for (i, pod) in items.iter().enumerate() {
        if pod
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k != "Pod")
        {
            continue;
        }
        let running = image_ids(pod);
        let spec = pod.get("spec");
        for field in ["initContainers", "containers", "ephemeralContainers"] {
            let containers = spec
                .and_then(|s| s.get(field))
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for container in containers {
                let Some(image) = container.get("image").and_then(Value::as_str) else {
                    continue;
                };
                let key = Reference::parse(image)
                    .map_err(|e| format!("items[{i}].spec.{field}: `{image}`: {e}"))?;
                let name = container.get("name").and_then(Value::as_str);
                let read = match name.and_then(|n| running.get(n)) {
                    Some(digest) if key.digest().is_none() => {
                        Reference::parse(&format!("{key}@{digest}")).unwrap_or_else(|_| key.clone())
                    }
                    _ => key.clone(),
                };
                out.push(Target { key, read });
            }
        }
    }
    Ok(out)
}

/// Container name → the digest of its `imageID` (`docker-pullable://REPO@sha256:…`,
/// `REPO@sha256:…` or a bare `sha256:…`), for every status that has one.
fn image_ids(pod: &Value) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let status = pod.get("status");
    for field in [
        "initContainerStatuses",
        "containerStatuses",
        "ephemeralContainerStatuses",
    ] {
        let statuses = status
            .and_then(|s| s.get(field))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for s in statuses {
            let (Some(name), Some(id)) = (
                s.get("name").and_then(Value::as_str),
                s.get("imageID").and_then(Value::as_str),
            ) else {
                continue;
            };
            let id = id.strip_prefix("docker-pullable://").unwrap_or(id);
            let digest = id.rsplit_once('@').map_or(id, |(_, d)| d);
            if is_valid_digest(digest) {
                out.insert(name.to_owned(), digest.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn a_running_container_is_read_at_its_image_id() {
        let list = serde_json::json!({"kind": "List", "items": [{
            "kind": "Pod",
            "spec": {"containers": [
                {"name": "app", "image": "registry.company.com/app:1"},
                {"name": "sidecar", "image": "nginx:1.27"},
                {"name": "pinned", "image": format!("redis@{D}")}],
              "initContainers": [{"name": "init", "image": "busybox"}]},
            "status": {"containerStatuses": [
                {"name": "app", "imageID": format!("docker-pullable://registry.company.com/app@{D}")},
                {"name": "sidecar", "imageID": ""},
                {"name": "pinned", "imageID": "sha256:2222222222222222222222222222222222222222222222222222222222222222"}],
              "initContainerStatuses": [{"name": "init", "imageID": D}]}}]});
        let targets = running(list.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let shown: Vec<(String, String)> = targets
            .iter()
            .map(|t| (t.key.to_string(), t.read.to_string()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "docker.io/library/busybox:latest".into(),
                    format!("docker.io/library/busybox:latest@{D}")
                ),
                (
                    "registry.company.com/app:1".into(),
                    format!("registry.company.com/app:1@{D}")
                ),
                (
                    "docker.io/library/nginx:1.27".into(),
                    "docker.io/library/nginx:1.27".into()
                ),
                // A reference's own digest is what runs; the status cannot contradict it.
                (
                    format!("docker.io/library/redis@{D}"),
                    format!("docker.io/library/redis@{D}")
                ),
            ]
        );
    }

    #[test]
    fn a_bad_image_in_a_list_names_its_place() {
        let list = r#"{"kind": "List", "items": [{"spec": {"containers": [{"name": "a", "image": "UPPER:1"}]}}]}"#;
        let e = running(list.as_bytes()).err().unwrap_or_default();
        assert!(e.starts_with("items[0].spec.containers: `UPPER:1`"), "{e}");
    }
}
