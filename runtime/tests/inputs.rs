//! Reading the four input formats: Bona's admission input (docs/output.md#admission-input) and inventory (4.4), read
//! strictly, and Kubernetes AdmissionReview v1 and `kubectl get pods -A -o json` lists, read
//! leniently (docs/output.md#admission-review, "kubectl lists", docs/commands.md on bad input).
//!
//! The Kubernetes fixtures under `tests/fixtures/kubernetes/` were made by the real kubectl; see
//! the README there for the command behind each file.

use std::collections::BTreeMap;
use std::time::Instant;

use bona_runtime::input::{
    AdmissionInput, Asset, AssetType, ImageInput, InputError, Inventory, ReviewOptions,
    is_kubectl_list, parse_admission_input, parse_admission_review, parse_inventory,
    parse_kubectl_list,
};

// ---- helpers ------------------------------------------------------------------------------------

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/kubernetes/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|err| panic!("cannot read {path}: {err}"))
}

fn opts() -> ReviewOptions {
    ReviewOptions {
        cluster: "prod-eu-1".to_owned(),
        cloud: "aws".to_owned(),
    }
}

fn refs(images: &[ImageInput]) -> Vec<String> {
    images
        .iter()
        .map(|image| image.reference.to_string())
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn admission(text: &str) -> AdmissionInput {
    parse_admission_input(text.as_bytes()).unwrap_or_else(|err| panic!("{err}"))
}

fn admission_err(text: &str) -> InputError {
    match parse_admission_input(text.as_bytes()) {
        Ok(input) => panic!("expected an error, got {input:?}"),
        Err(err) => err,
    }
}

fn inventory(text: &str) -> Inventory {
    parse_inventory(text.as_bytes()).unwrap_or_else(|err| panic!("{err}"))
}

fn inventory_err(text: &str) -> InputError {
    match parse_inventory(text.as_bytes()) {
        Ok(inv) => panic!("expected an error, got {inv:?}"),
        Err(err) => err,
    }
}

fn review_err(bytes: &[u8]) -> InputError {
    match parse_admission_review(bytes, &opts()) {
        Ok(review) => panic!("expected an error, got {review:?}"),
        Err(err) => err,
    }
}

fn kubectl_err(bytes: &[u8]) -> InputError {
    match parse_kubectl_list(bytes, &opts()) {
        Ok(inv) => panic!("expected an error, got {inv:?}"),
        Err(err) => err,
    }
}

/// (namespace, kind, name, images) of every asset, for compact assertions.
fn summary(inventory: &Inventory) -> Vec<(String, String, String, Vec<String>)> {
    inventory
        .assets
        .iter()
        .map(|a| {
            (
                a.asset.namespace.clone(),
                a.asset.kind.clone(),
                a.asset.name.clone(),
                refs(&a.images),
            )
        })
        .collect()
}

fn row(ns: &str, kind: &str, name: &str, images: &[&str]) -> (String, String, String, Vec<String>) {
    (
        ns.to_owned(),
        kind.to_owned(),
        name.to_owned(),
        images.iter().map(|s| (*s).to_owned()).collect(),
    )
}

/// A pod of a kubectl list, with metadata and spec given as JSON text.
fn pod(metadata: &str, spec: &str) -> String {
    format!(r#"{{"apiVersion": "v1", "kind": "Pod", "metadata": {metadata}, "spec": {spec}}}"#)
}

fn list(items: &[String]) -> Vec<u8> {
    format!(
        r#"{{"apiVersion": "v1", "kind": "List", "metadata": {{"resourceVersion": ""}}, "items": [{}]}}"#,
        items.join(",")
    )
    .into_bytes()
}

/// An AdmissionReview v1 around `object`, with the request's own kind, namespace and name.
fn review_doc(operation: &str, kind: &str, namespace: &str, name: &str, object: &str) -> Vec<u8> {
    format!(
        r#"{{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {{"uid": "u-1", "kind": {{"group": "apps", "version": "v1", "kind": "{kind}"}},
                         "namespace": "{namespace}", "name": "{name}", "operation": "{operation}",
                         "userInfo": {{"username": "admin"}}, "object": {object}, "oldObject": null}}}}"#
    )
    .into_bytes()
}

// ---- Bona's admission input (docs/output.md#admission-input) ---------------------------------------------------------

#[test]
fn admission_input_reads_every_field() {
    let input = admission(
        r#"{ "time": "2026-11-22T00:00:00Z",
             "asset": { "type": "workload", "cloud": "aws", "cluster": "prod-eu-1",
                        "namespace": "payments", "kind": "Deployment", "name": "api",
                        "labels": { "team": "pay" } },
             "images": [ { "ref": "registry.company.com/app:1.2.3", "facts": { "scanned": true } },
                         { "ref": "Index.Docker.IO/alpine" } ] }"#,
    );
    assert_eq!(input.time, Some(1_795_305_600));
    assert_eq!(
        input.asset,
        Asset {
            asset_type: AssetType::Workload,
            cloud: "aws".to_owned(),
            cluster: "prod-eu-1".to_owned(),
            namespace: "payments".to_owned(),
            kind: "Deployment".to_owned(),
            name: "api".to_owned(),
            labels: labels(&[("team", "pay")]),
        }
    );
    assert_eq!(
        refs(&input.images),
        [
            "registry.company.com/app:1.2.3",
            "docker.io/library/alpine:latest"
        ]
    );
    assert!(input.images[0].facts.is_some());
    assert!(input.images[1].facts.is_none());
}

#[test]
fn admission_input_defaults_absent_fields() {
    let input = admission(r#"{"images": [{"ref": "nginx"}]}"#);
    assert_eq!(input.time, None);
    assert_eq!(input.asset, Asset::default());
    assert_eq!(input.asset.asset_type, AssetType::Workload);
    assert_eq!(input.asset.name, "");
    assert!(input.asset.labels.is_empty());

    let input = admission(r#"{"asset": {"name": "x"}}"#);
    assert!(input.images.is_empty());
    let input = admission("{}");
    assert_eq!(input.asset, Asset::default());
}

#[test]
fn admission_input_null_is_absent() {
    let input = admission(
        r#"{"time": null,
            "asset": {"type": null, "cloud": null, "cluster": null, "namespace": null,
                      "kind": null, "name": null, "labels": null},
            "images": [{"ref": "alpine", "facts": null}]}"#,
    );
    assert_eq!(input.time, None);
    assert_eq!(input.asset, Asset::default());
    assert!(input.images[0].facts.is_none());
    let input = admission(r#"{"asset": null, "images": null}"#);
    assert_eq!(input.asset, Asset::default());
    assert!(input.images.is_empty());
}

#[test]
fn admission_input_takes_images_as_given() {
    // No de-duplication in Bona's own input: `nginx` and `nginx:latest` print the same and
    // both stay, in order.
    let input = admission(
        r#"{"images": [{"ref": "nginx"}, {"ref": "busybox"}, {"ref": "nginx:latest"}, {"ref": "nginx"}]}"#,
    );
    assert_eq!(
        refs(&input.images),
        [
            "docker.io/library/nginx:latest",
            "docker.io/library/busybox:latest",
            "docker.io/library/nginx:latest",
            "docker.io/library/nginx:latest"
        ]
    );
}

#[test]
fn asset_type_vm_and_descriptions() {
    let input = admission(r#"{"asset": {"type": "vm", "name": "build-01"}}"#);
    assert_eq!(input.asset.asset_type, AssetType::Vm);
    assert_eq!(input.asset.describe(), "Virtual machine build-01");
    assert_eq!(AssetType::Vm.as_str(), "vm");
    assert_eq!(AssetType::Workload.to_string(), "workload");

    let workload = Asset {
        namespace: "payments".to_owned(),
        name: "api".to_owned(),
        ..Asset::default()
    };
    assert_eq!(workload.describe(), "Kubernetes workload payments/api");
    let no_namespace = Asset {
        name: "api".to_owned(),
        ..Asset::default()
    };
    assert_eq!(no_namespace.describe(), "Kubernetes workload /api");
}

#[test]
fn admission_input_rejects_unknown_fields_at_every_level() {
    let err = admission_err("{\"images\": [],\n \"assets\": {}}");
    assert_eq!(err.path, "assets");
    assert!(err.message.starts_with("unknown field `assets`"), "{err}");
    assert_eq!((err.line, err.column), (Some(2), Some(9)));

    let err = admission_err(r#"{"asset": {"namespace": "a", "namepsace": "b"}}"#);
    assert_eq!(err.path, "asset.namepsace");
    assert!(
        err.message.starts_with("unknown field `namepsace`"),
        "{err}"
    );
    assert!(err.line.is_some() && err.column.is_some());

    let err = admission_err(r#"{"images": [{"ref": "alpine"}, {"ref": "alpine", "fact": {}}]}"#);
    assert_eq!(err.path, "images[1].fact");
    assert!(err.message.starts_with("unknown field `fact`"), "{err}");
    assert!(
        err.to_string()
            .starts_with("at images[1].fact (line 1, column "),
        "{err}"
    );
}

#[test]
fn admission_input_rejects_wrong_types() {
    let err = admission_err("{\"asset\": {\n  \"name\": 3}}");
    assert_eq!(err.path, "asset.name");
    assert_eq!(err.message, "invalid type: integer `3`, expected a string");
    assert_eq!((err.line, err.column), (Some(2), Some(11)));

    let err = admission_err(r#"{"asset": {"type": "vmm"}}"#);
    assert_eq!(err.path, "asset.type");
    assert!(err.message.contains("`vmm`"), "{err}");

    let err = admission_err(r#"{"asset": {"labels": {"team": 1}}}"#);
    assert_eq!(err.path, "asset.labels.team");

    // No Rust type names in messages.
    let err = admission_err(r#"{"asset": 3}"#);
    assert_eq!(err.path, "asset");
    assert_eq!(
        err.message,
        "invalid type: integer `3`, expected an asset object"
    );
    let err = admission_err(r#"{"images": ["alpine"]}"#);
    assert_eq!(err.path, "images[0]");
    assert!(err.message.contains("expected an image object"), "{err}");
    let err = admission_err(r#"{"asset": {"type": {"vm": null}}}"#);
    assert_eq!(err.path, "asset.type");
    // Objects only: a derived struct would also take an array of its fields.
    let err = admission_err(r#"{"asset": ["vm", "aws"]}"#);
    assert_eq!(err.path, "asset");
    assert_eq!(
        err.message,
        "invalid type: sequence, expected an asset object"
    );
    let err = admission_err(r#"{"images": [["alpine"]]}"#);
    assert_eq!(err.path, "images[0]");
    let err = inventory_err(r#"{"assets": [["vm"]]}"#);
    assert_eq!(err.path, "assets[0]");
    let err = inventory_err("[]");
    assert_eq!(err.path, ".");
    let err = admission_err("[]");
    assert_eq!(err.path, ".");
    assert!(err.message.contains("an admission input object"), "{err}");
}

#[test]
fn admission_input_rejects_bad_time() {
    let err = admission_err(r#"{"time": "22/11/2026"}"#);
    assert_eq!(err.path, "time");
    assert!(err.message.contains("`22/11/2026`"), "{err}");
    assert!(err.message.contains("RFC 3339"), "{err}");
    assert!(err.line.is_some());
    let err = admission_err(r#"{"time": 1795305600}"#);
    assert_eq!(err.path, "time");
}

#[test]
fn admission_input_rejects_bad_reference_with_path_and_position() {
    let err = admission_err(
        "{\"images\": [\n  {\"ref\": \"alpine\"},\n  {\"ref\": \"registry.company.com/App:1\"}\n]}",
    );
    assert_eq!(err.path, "images[1].ref");
    assert_eq!(err.line, Some(3));
    assert!(err.column.is_some());
    assert!(
        err.message
            .starts_with("invalid image reference `registry.company.com/App:1` at character 22"),
        "{err}"
    );

    let err = admission_err(r#"{"images": [{"ref": "alpine@sha256:abc"}]}"#);
    assert_eq!(err.path, "images[0].ref");
    assert!(err.message.contains("at character "), "{err}");

    let err = admission_err(r#"{"images": [{"ref": ""}]}"#);
    assert_eq!(err.path, "images[0].ref");
}

#[test]
fn admission_input_requires_ref() {
    let err = admission_err(r#"{"images": [{"facts": {}}]}"#);
    assert_eq!(err.path, "images[0]");
    assert_eq!(err.message, "missing field `ref`");
    let err = admission_err(r#"{"images": [{"ref": null}]}"#);
    assert_eq!(err.path, "images[0].ref");
    assert_eq!(err.message, "missing field `ref`");
}

#[test]
fn admission_input_malformed_json_has_line_and_column() {
    let err = admission_err("{\"images\": [\n  {\"ref\": \"alpine\"},\n]}");
    assert_eq!(err.line, Some(3));
    assert!(err.column.is_some());
    assert!(err.to_string().contains("(line 3, column "), "{err}");
    let err = admission_err("");
    assert_eq!(err.path, ".");
    let err = admission_err("{} {}");
    assert!(err.message.contains("trailing characters"), "{err}");
    let err = admission_err("{\"images\": [{\"ref\": \"alp");
    assert!(err.message.contains("EOF"), "{err}");
}

#[test]
fn admission_input_facts_are_read_strictly_too() {
    let err = admission_err(r#"{"images": [{"ref": "alpine", "facts": {"scaned": true}}]}"#);
    assert!(err.path.starts_with("images[0].facts"), "{err}");
    assert!(err.message.contains("scaned"), "{err}");
}

#[test]
fn admission_input_with_100000_images() {
    let mut text = String::from(r#"{"time": "2026-11-22T00:00:00Z", "images": ["#);
    for i in 0..100_000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#"{{"ref": "registry.company.com/team-{}/app:1.{i}"}}"#,
            i % 97
        ));
    }
    text.push_str("]}");
    let start = Instant::now();
    let input = admission(&text);
    let elapsed = start.elapsed();
    assert_eq!(input.images.len(), 100_000);
    assert_eq!(
        input.images[99_999].reference.to_string(),
        "registry.company.com/team-89/app:1.99999"
    );
    // Not a timing assertion (STYLE: never assert timings); printed for the curious.
    eprintln!("100,000 images read in {elapsed:?}");
}

// ---- Bona's inventory (docs/output.md#bona-audit) ---------------------------------------------------------------

#[test]
fn inventory_reads_flattened_assets() {
    let inv = inventory(
        r#"{"time": "2026-11-22T10:30:00+01:00",
            "assets": [
              {"type": "workload", "cloud": "aws", "cluster": "prod", "namespace": "payments",
               "kind": "Deployment", "name": "api", "labels": {"team": "pay"},
               "images": [{"ref": "registry.company.com/app:1.2.3"}, {"ref": "nginx:1.27", "facts": {"tags": ["1.27"]}}]},
              {"type": "vm", "name": "build-01", "images": [{"ref": "alpine"}, {"ref": "alpine"}]},
              {"name": "idle"}
            ]}"#,
    );
    assert_eq!(inv.time, Some(1_795_339_800));
    assert_eq!(inv.assets.len(), 3);
    let first = &inv.assets[0];
    assert_eq!(first.asset.kind, "Deployment");
    assert_eq!(first.asset.cloud, "aws");
    assert_eq!(first.asset.labels, labels(&[("team", "pay")]));
    assert_eq!(
        refs(&first.images),
        [
            "registry.company.com/app:1.2.3",
            "docker.io/library/nginx:1.27"
        ]
    );
    assert!(first.images[1].facts.is_some());
    assert_eq!(inv.assets[1].asset.asset_type, AssetType::Vm);
    // Taken as given: the repeated image stays.
    assert_eq!(inv.assets[1].images.len(), 2);
    assert!(inv.assets[2].images.is_empty());
    assert_eq!(inv.assets[2].asset.asset_type, AssetType::Workload);
}

#[test]
fn inventory_empty_is_fine() {
    for text in [
        r#"{"assets": []}"#,
        "{}",
        r#"{"assets": null}"#,
        r#"{"time": "2026-11-22T00:00:00Z", "assets": []}"#,
    ] {
        let inv = inventory(text);
        assert!(inv.assets.is_empty(), "{text}");
    }
}

#[test]
fn inventory_rejects_unknown_fields_at_every_level() {
    let err = inventory_err(r#"{"assets": [], "asset": {}}"#);
    assert_eq!(err.path, "asset");
    assert!(err.message.starts_with("unknown field `asset`"), "{err}");

    let err =
        inventory_err("{\"assets\": [\n {\"name\": \"a\"},\n {\"name\": \"b\", \"imagez\": []}]}");
    assert_eq!(err.path, "assets[1].imagez");
    assert!(err.message.starts_with("unknown field `imagez`"), "{err}");
    assert_eq!(err.line, Some(3));

    let err = inventory_err(r#"{"assets": [{"images": [{"ref": "a", "digest": "x"}]}]}"#);
    assert_eq!(err.path, "assets[0].images[0].digest");
}

#[test]
fn inventory_rejects_wrong_types_bad_refs_and_bad_time() {
    let err = inventory_err(r#"{"assets": [{"labels": []}]}"#);
    assert_eq!(err.path, "assets[0].labels");
    let err = inventory_err(r#"{"assets": {}}"#);
    assert_eq!(err.path, "assets");
    let err = inventory_err(r#"{"assets": [3]}"#);
    assert_eq!(
        err.message,
        "invalid type: integer `3`, expected an asset object"
    );

    let err = inventory_err(
        r#"{"assets": [{"images": []}, {"images": [{"ref": "ok"}, {"ref": "bad//path"}]}]}"#,
    );
    assert_eq!(err.path, "assets[1].images[1].ref");
    assert!(err.message.contains("`bad//path` at character 5"), "{err}");
    assert!(err.line.is_some() && err.column.is_some());

    let err = inventory_err(r#"{"time": "yesterday", "assets": []}"#);
    assert_eq!(err.path, "time");

    let err = inventory_err("{\"assets\": [");
    assert!(err.line.is_some());
}

// ---- AdmissionReview v1 ------------------------------------------------------------------------

#[test]
fn review_of_a_deployment() {
    let review = parse_admission_review(&fixture("review-deployment-create.json"), &opts())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(review.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(review.input.time, None);
    assert_eq!(
        review.input.asset,
        Asset {
            asset_type: AssetType::Workload,
            cloud: "aws".to_owned(),
            cluster: "prod-eu-1".to_owned(),
            namespace: "payments".to_owned(),
            kind: "Deployment".to_owned(),
            name: "api".to_owned(),
            labels: labels(&[("app", "api")]),
        }
    );
    assert_eq!(
        refs(&review.input.images),
        [
            "registry.company.com/app:1.2.3",
            "docker.io/library/nginx:1.27"
        ]
    );
    assert!(review.input.images.iter().all(|i| i.facts.is_none()));
}

#[test]
fn review_of_a_pod_orders_and_deduplicates_images() {
    let review = parse_admission_review(&fixture("review-pod-create.json"), &opts())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(review.input.asset.kind, "Pod");
    assert_eq!(review.input.asset.namespace, "shop");
    assert_eq!(review.input.asset.name, "web");
    assert_eq!(review.input.asset.labels, labels(&[("run", "web")]));
    // initContainers, containers, ephemeralContainers; `nginx:1.27` repeats
    // `docker.io/library/nginx:1.27` and is dropped.
    assert_eq!(
        refs(&review.input.images),
        [
            "docker.io/library/busybox:1.36",
            "docker.io/library/nginx:1.27",
            "registry.company.com/proxy:3",
            "docker.io/library/busybox:latest"
        ]
    );
}

#[test]
fn review_of_a_job_and_a_cronjob() {
    let job = parse_admission_review(&fixture("review-job-create.json"), &opts())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(job.input.asset.kind, "Job");
    assert_eq!(job.input.asset.name, "migrate");
    assert_eq!(refs(&job.input.images), ["registry.company.com/migrate:7"]);

    let cron = parse_admission_review(&fixture("review-cronjob-create.json"), &opts())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(cron.input.asset.kind, "CronJob");
    assert_eq!(cron.input.asset.namespace, "ops");
    assert_eq!(cron.input.asset.name, "nightly");
    assert_eq!(refs(&cron.input.images), ["registry.company.com/report:2"]);
}

#[test]
fn review_of_a_pod_without_a_name_uses_generate_name() {
    let review = parse_admission_review(&fixture("review-pod-generatename.json"), &opts())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(review.input.asset.kind, "Pod");
    assert_eq!(review.input.asset.namespace, "payments");
    assert_eq!(review.input.asset.name, "api-7c9d8b5f4-");
    assert_eq!(review.input.images.len(), 2);
}

#[test]
fn review_of_a_delete_has_no_images() {
    let review = parse_admission_review(&fixture("review-deployment-delete.json"), &opts())
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(review.input.images.is_empty());
    assert_eq!(review.input.asset.kind, "Deployment");
    assert_eq!(review.input.asset.namespace, "payments");
    assert_eq!(review.input.asset.name, "api");

    // Even when a DELETE carries an object, its images are not judged.
    let object = r#"{"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"image": "nginx"}]}}"#;
    let review = parse_admission_review(&review_doc("DELETE", "Pod", "ns", "p", object), &opts())
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(review.input.images.is_empty());
}

#[test]
fn review_of_a_kind_without_pod_spec_has_no_images() {
    let review = parse_admission_review(&fixture("review-configmap-create.json"), &opts())
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(review.input.asset.kind, "ConfigMap");
    assert_eq!(review.input.asset.name, "settings");
    assert!(review.input.images.is_empty());

    // A custom resource shaped like a Deployment is not read, even with a bad image.
    let object = r#"{"kind": "Rollout", "metadata": {"name": "r"},
                     "spec": {"template": {"spec": {"containers": [{"image": "Not//Valid"}]}}}}"#;
    let review =
        parse_admission_review(&review_doc("CREATE", "Rollout", "ns", "r", object), &opts())
            .unwrap_or_else(|err| panic!("{err}"));
    assert!(review.input.images.is_empty());
    assert_eq!(review.input.asset.kind, "Rollout");
}

#[test]
fn review_of_every_pod_template_kind() {
    for kind in [
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
    ] {
        let object = format!(
            r#"{{"kind": "{kind}", "metadata": {{"name": "w", "namespace": "ns"}},
                "spec": {{"containers": [{{"image": "wrong-place"}}],
                          "template": {{"metadata": {{"labels": {{"tier": "pod"}}}},
                                        "spec": {{"containers": [{{"name": "c", "image": "nginx:1"}}],
                                                  "initContainers": [{{"name": "i", "image": "busybox"}}]}}}}}}}}"#
        );
        let review =
            parse_admission_review(&review_doc("CREATE", kind, "ns", "w", &object), &opts())
                .unwrap_or_else(|err| panic!("{kind}: {err}"));
        assert_eq!(review.input.asset.kind, kind);
        assert_eq!(
            refs(&review.input.images),
            [
                "docker.io/library/busybox:latest",
                "docker.io/library/nginx:1"
            ],
            "{kind}"
        );
        // The workload's labels, not the pod template's.
        assert!(review.input.asset.labels.is_empty(), "{kind}");
    }
}

#[test]
fn review_asset_falls_back_to_the_request() {
    // No object kind, namespace or name: the request's.
    let object =
        r#"{"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"image": "nginx"}]}}"#;
    let review = parse_admission_review(
        &review_doc("CREATE", "Pod", "team-a", "req-name", object),
        &opts(),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(review.input.asset.kind, "Pod");
    assert_eq!(review.input.asset.namespace, "team-a");
    assert_eq!(review.input.asset.name, "req-name");
    assert_eq!(review.input.asset.labels, labels(&[("app", "x")]));
    assert_eq!(
        refs(&review.input.images),
        ["docker.io/library/nginx:latest"]
    );

    // The object's kind, namespace and name win over the request's.
    let object = r#"{"kind": "Pod", "metadata": {"name": "obj", "namespace": "obj-ns"}}"#;
    let review = parse_admission_review(
        &review_doc("UPDATE", "Deployment", "req-ns", "req", object),
        &opts(),
    )
    .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(review.input.asset.kind, "Pod");
    assert_eq!(review.input.asset.namespace, "obj-ns");
    assert_eq!(review.input.asset.name, "obj");
    assert!(review.input.images.is_empty());
}

#[test]
fn review_is_lenient_about_unknown_fields_and_nulls() {
    let body = br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "future": 1,
        "request": {"uid": "u", "operation": "CREATE", "kind": {"kind": "Pod"}, "extra": [1, 2],
                    "namespace": null, "name": null,
                    "object": {"kind": "Pod", "metadata": {"name": "p", "labels": null,
                                                           "creationTimestamp": null, "annotations": {"a": "b"}},
                               "spec": {"initContainers": null, "containers": [
                                           {"name": "a", "image": "nginx", "resources": {}, "ports": [{"containerPort": 80}]},
                                           {"name": "b"}, {"name": "c", "image": null}, {"name": "d", "image": ""}],
                                        "ephemeralContainers": null, "volumes": []},
                               "status": {"phase": "Pending"}}}}"#;
    let review = parse_admission_review(body, &opts()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(review.uid, "u");
    assert_eq!(review.input.asset.namespace, "");
    assert_eq!(
        refs(&review.input.images),
        ["docker.io/library/nginx:latest"]
    );

    // A request with no object, and an AdmissionReview without apiVersion/kind.
    let body = br#"{"request": {"uid": "u2", "operation": "CONNECT", "kind": {"kind": "Pod"}, "name": "p"}}"#;
    let review = parse_admission_review(body, &opts()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(review.uid, "u2");
    assert!(review.input.images.is_empty());
}

#[test]
fn review_bad_image_names_path_position_line_and_column() {
    let body = fixture("review-deployment-create.json");
    let text = String::from_utf8(body).unwrap_or_default();
    let bad = text.replace("\"nginx:1.27\"", "\"nginx:1.27@sha256:123\"");
    assert_ne!(bad, text);
    let err = review_err(bad.as_bytes());
    assert_eq!(
        err.path,
        "request.object.spec.template.spec.containers[1].image"
    );
    assert!(
        err.message
            .starts_with("invalid image reference `nginx:1.27@sha256:123` at character "),
        "{err}"
    );
    assert!(err.line.is_some() && err.column.is_some(), "{err}");

    let object = r#"{"kind": "CronJob", "metadata": {"name": "c"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"image": "registry.io/UPPER:1"}]}}}}}}"#;
    let err = review_err(&review_doc("CREATE", "CronJob", "ns", "c", object));
    assert_eq!(
        err.path,
        "request.object.spec.jobTemplate.spec.template.spec.containers[0].image"
    );
}

#[test]
fn review_rejects_malformed_and_foreign_documents() {
    let err = review_err(b"{\"request\": {\n  \"uid\": \"u\",,}}");
    assert_eq!(err.line, Some(2));
    assert!(err.column.is_some());

    // A bare Deployment is not an AdmissionReview.
    let err = review_err(&fixture("deployment-api.json"));
    assert_eq!(err.path, "kind");
    assert!(err.message.contains("`Deployment`"), "{err}");

    let err = review_err(br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}"#);
    assert!(err.message.contains("`request`"), "{err}");

    let err = review_err(br#"{"request": {"uid": 7}}"#);
    assert_eq!(err.path, "request.uid");

    let err = review_err(b"[]");
    assert_eq!(err.path, ".");
}

// ---- kubectl get pods -A -o json ---------------------------------------------------------------

#[test]
fn kubectl_list_fixture_groups_pods_into_workloads() {
    let bytes = fixture("pods-list.json");
    assert!(is_kubectl_list(&bytes));
    let inv = parse_kubectl_list(&bytes, &opts()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(inv.time, None);
    assert_eq!(
        summary(&inv),
        [
            // Two ReplicaSets of one Deployment (mid-rollout), images merged; `imageID`s in the
            // status are not used.
            row(
                "payments",
                "Deployment",
                "api",
                &[
                    "registry.company.com/app:1.2.3",
                    "docker.io/library/nginx:1.27",
                    "registry.company.com/app:1.2.4"
                ]
            ),
            row(
                "payments",
                "Pod",
                "debug",
                &["docker.io/library/busybox:latest"]
            ),
            row(
                "ops",
                "Job",
                "nightly-29377980",
                &["registry.company.com/report:2"]
            ),
            row(
                "shop",
                "StatefulSet",
                "db",
                &[
                    "docker.io/library/busybox:1.36",
                    "docker.io/library/postgres:16"
                ]
            ),
            row(
                "shop",
                "ReplicaSet",
                "legacy",
                &["registry.company.com/legacy:1"]
            ),
            row(
                "kube-system",
                "Pod",
                "kube-proxy-node-1",
                &["registry.k8s.io/kube-proxy:v1.37.1"]
            ),
            row(
                "shop",
                "DaemonSet",
                "worker",
                &["registry.company.com/worker:5"]
            ),
        ]
    );
    let api = &inv.assets[0].asset;
    // Labels of the first pod only (the second carries `replica: two`).
    assert_eq!(
        api.labels,
        labels(&[("app", "api"), ("pod-template-hash", "7c9d8b5f4")])
    );
    assert_eq!(api.cluster, "prod-eu-1");
    assert_eq!(api.cloud, "aws");
    assert_eq!(api.asset_type, AssetType::Workload);
}

#[test]
fn kubectl_owner_rules() {
    let bytes = list(&[
        // Only non-controller owners: the first one.
        pod(
            r#"{"name": "a-1", "namespace": "n", "ownerReferences": [
                {"kind": "StatefulSet", "name": "first"}, {"kind": "DaemonSet", "name": "second", "controller": false}]}"#,
            r#"{"containers": [{"image": "a"}]}"#,
        ),
        // A hash that does not match the ReplicaSet name: stays a ReplicaSet.
        pod(
            r#"{"name": "web-abc-1", "namespace": "n", "labels": {"pod-template-hash": "xyz"},
                "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "controller": true}]}"#,
            r#"{"containers": [{"image": "b"}]}"#,
        ),
        // No pod-template-hash label: stays a ReplicaSet.
        pod(
            r#"{"name": "web-abc-2", "namespace": "n",
                "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "controller": true}]}"#,
            r#"{"containers": [{"image": "c"}]}"#,
        ),
        // The hash is the whole name: no Deployment name is left.
        pod(
            r#"{"name": "abc-1", "namespace": "n", "labels": {"pod-template-hash": "abc"},
                "ownerReferences": [{"kind": "ReplicaSet", "name": "-abc", "controller": true}]}"#,
            r#"{"containers": [{"image": "d"}]}"#,
        ),
        // A Deployment whose own name contains dashes.
        pod(
            r#"{"name": "my-web-app-6b7f9-q", "namespace": "n", "labels": {"pod-template-hash": "6b7f9"},
                "ownerReferences": [{"kind": "ReplicaSet", "name": "my-web-app-6b7f9", "controller": true}]}"#,
            r#"{"containers": [{"image": "e"}]}"#,
        ),
        // An owner without a name counts as no owner.
        pod(
            r#"{"name": "orphan", "namespace": "n", "ownerReferences": [{"kind": "Job", "controller": true}]}"#,
            r#"{"containers": [{"image": "f"}]}"#,
        ),
        // No name at all: its generateName.
        pod(
            r#"{"generateName": "gen-", "namespace": "n"}"#,
            r#"{"containers": [{"image": "g"}]}"#,
        ),
    ]);
    let inv = parse_kubectl_list(&bytes, &opts()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        summary(&inv),
        [
            row("n", "StatefulSet", "first", &["docker.io/library/a:latest"]),
            row(
                "n",
                "ReplicaSet",
                "web-abc",
                &["docker.io/library/b:latest", "docker.io/library/c:latest"]
            ),
            row("n", "ReplicaSet", "-abc", &["docker.io/library/d:latest"]),
            row(
                "n",
                "Deployment",
                "my-web-app",
                &["docker.io/library/e:latest"]
            ),
            row("n", "Pod", "orphan", &["docker.io/library/f:latest"]),
            row("n", "Pod", "gen-", &["docker.io/library/g:latest"]),
        ]
    );
}

#[test]
fn kubectl_merges_by_namespace_kind_and_name() {
    let owner = |ns: &str| {
        format!(
            r#"{{"name": "x", "namespace": "{ns}", "labels": {{"ns": "{ns}"}},
                "ownerReferences": [{{"kind": "DaemonSet", "name": "agent", "controller": true}}]}}"#
        )
    };
    let bytes = list(&[
        pod(
            &owner("a"),
            r#"{"initContainers": [{"image": "init:1"}], "containers": [{"image": "agent:1"}],
                "ephemeralContainers": [{"image": "debug:1"}]}"#,
        ),
        pod(&owner("b"), r#"{"containers": [{"image": "agent:1"}]}"#),
        // Same DaemonSet in namespace a again: merged, new images appended in order.
        pod(
            &owner("a"),
            r#"{"initContainers": [{"image": "init:2"}], "containers": [{"image": "docker.io/library/agent:1"}, {"image": "agent:2"}]}"#,
        ),
        // The same name with another kind is another asset.
        pod(
            r#"{"name": "agent", "namespace": "a"}"#,
            r#"{"containers": [{"image": "agent:1"}]}"#,
        ),
    ]);
    let inv = parse_kubectl_list(&bytes, &opts()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        summary(&inv),
        [
            row(
                "a",
                "DaemonSet",
                "agent",
                &[
                    "docker.io/library/init:1",
                    "docker.io/library/agent:1",
                    "docker.io/library/debug:1",
                    "docker.io/library/init:2",
                    "docker.io/library/agent:2"
                ]
            ),
            row("b", "DaemonSet", "agent", &["docker.io/library/agent:1"]),
            row("a", "Pod", "agent", &["docker.io/library/agent:1"]),
        ]
    );
    assert_eq!(inv.assets[0].asset.labels, labels(&[("ns", "a")]));
}

#[test]
fn kubectl_is_lenient_and_skips_other_kinds() {
    let bytes = br#"{"kind": "List", "items": [
        {"kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
         "spec": {"template": {"spec": {"containers": [{"image": "nginx"}]}}}},
        {"metadata": {"name": "p", "namespace": "n", "labels": null, "ownerReferences": null,
                      "uid": "x", "creationTimestamp": "2026-11-22T00:00:00Z"},
         "spec": {"containers": [{"name": "c", "image": "nginx", "env": []}, {"name": "noimage"}],
                  "initContainers": null},
         "status": {"containerStatuses": [{"imageID": "docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}]}},
        {"kind": "Pod", "metadata": null, "spec": null}
    ], "metadata": {"resourceVersion": ""}, "unknown": true}"#;
    let inv = parse_kubectl_list(bytes, &opts()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(
        summary(&inv),
        [
            row("n", "Pod", "p", &["docker.io/library/nginx:latest"]),
            row("", "Pod", "", &[]),
        ]
    );

    for empty in [
        &br#"{"kind": "List", "items": []}"#[..],
        br#"{"kind": "PodList", "items": null}"#,
        br#"{"items": []}"#,
    ] {
        let inv = parse_kubectl_list(empty, &opts()).unwrap_or_else(|err| panic!("{err}"));
        assert!(inv.assets.is_empty());
    }
}

#[test]
fn kubectl_rejects_bad_input() {
    let err = kubectl_err(&list(&[
        pod(
            r#"{"name": "ok"}"#,
            r#"{"containers": [{"image": "nginx"}]}"#,
        ),
        pod(
            r#"{"name": "bad"}"#,
            r#"{"containers": [{"image": "nginx"}, {"image": "nginx@sha256:zz"}]}"#,
        ),
    ]));
    assert_eq!(err.path, "items[1].spec.containers[1].image");
    assert!(
        err.message
            .starts_with("invalid image reference `nginx@sha256:zz` at character "),
        "{err}"
    );
    assert!(err.line.is_some() && err.column.is_some());

    let err = kubectl_err(b"{\"kind\": \"List\",\n \"items\": [}");
    assert_eq!(err.line, Some(2));

    let err = kubectl_err(&fixture("review-pod-create.json"));
    assert_eq!(err.path, "kind");
    assert!(err.message.contains("`AdmissionReview`"), "{err}");

    let err = kubectl_err(br#"{"kind": "List"}"#);
    assert!(err.message.contains("missing field `items`"), "{err}");

    let err = kubectl_err(br#"{"kind": "List", "items": [{"metadata": {"labels": {"a": 1}}}]}"#);
    assert_eq!(err.path, "items[0].metadata.labels.a");
}

#[test]
fn kubectl_list_detection() {
    assert!(is_kubectl_list(
        br#"{"apiVersion": "v1", "kind": "List", "items": []}"#
    ));
    assert!(is_kubectl_list(br#"{"kind": "PodList", "items": []}"#));
    assert!(!is_kubectl_list(br#"{"assets": []}"#));
    assert!(!is_kubectl_list(br#"{"kind": "AdmissionReview"}"#));
    assert!(!is_kubectl_list(b"not json"));
    assert!(!is_kubectl_list(b"[]"));
}

#[test]
fn fixtures_made_by_kubectl_are_what_the_tests_expect() {
    // The raw objects are not AdmissionReviews; the wrapped ones are. A guard against a
    // regenerated fixture silently changing shape.
    for name in [
        "deployment-api.json",
        "job-migrate.json",
        "cronjob-nightly.json",
        "configmap-settings.json",
        "pod-debug.json",
        "pod-web.json",
    ] {
        assert!(
            parse_admission_review(&fixture(name), &opts()).is_err(),
            "{name}"
        );
    }
    let debug = String::from_utf8(fixture("pod-debug.json")).unwrap_or_default();
    assert!(debug.contains("\"kind\": \"Pod\""));
}

// ---- no panics on any input --------------------------------------------------------------------

fn parse_all(bytes: &[u8]) {
    let _ = parse_admission_input(bytes);
    let _ = parse_inventory(bytes);
    let _ = parse_admission_review(bytes, &opts());
    let _ = parse_kubectl_list(bytes, &opts());
    let _ = is_kubectl_list(bytes);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    #[test]
    fn parsers_never_panic_on_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        parse_all(&bytes);
    }

    #[test]
    fn parsers_never_panic_on_json_like_text(text in r#"[{}\[\]":, a-zA-Z0-9@/._:-]{0,200}"#) {
        parse_all(text.as_bytes());
    }

    #[test]
    fn parsers_never_panic_on_mutated_fixtures(
        which in 0usize..4,
        edits in proptest::collection::vec((0usize..100_000, proptest::prelude::any::<u8>()), 1..4),
    ) {
        let name = ["review-pod-create.json", "review-cronjob-create.json", "pods-list.json", "review-deployment-delete.json"][which];
        let mut bytes = fixture(name);
        for (at, byte) in edits {
            let len = bytes.len();
            if let Some(slot) = bytes.get_mut(at % len) {
                *slot = byte;
            }
        }
        parse_all(&bytes);
    }
}
