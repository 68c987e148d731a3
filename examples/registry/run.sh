#!/usr/bin/env bash
# A throwaway registry, a signed and an unsigned image, and Bona reading them: `bona facts
# registry`, `bona eval` with those facts, and `bona serve --registry` answering a review of
# each and pinning a tag through /mutate. examples/registry/README.md says what each step
# prints.
#
# Needs Debian's docker-registry, umoci, skopeo, openssl, curl and python3
# (scripts/install-test-tools.sh installs them). Everything listens on 127.0.0.1 and is
# stopped when the script ends, whatever happens.
#
# Usage: examples/registry/run.sh          BONA=target/debug/bona examples/registry/run.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BONA=${BONA:-bona}
for tool in docker-registry umoci skopeo openssl curl python3; do
  command -v "$tool" >/dev/null || {
    echo "run.sh needs $tool: run scripts/install-test-tools.sh" >&2
    exit 2
  }
done
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
step() { printf '\n== %s\n' "$*"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A fresh key pair for this run, and the policy set beside its public half: the private key
# never leaves the temporary directory.
mkdir -p "$WORK/policy/keys"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null \
  | openssl pkcs8 -topk8 -nocrypt -out "$WORK/release.key"
openssl ec -in "$WORK/release.key" -pubout -out "$WORK/policy/keys/release.pub" 2>/dev/null
cp "$HERE/registry.trust" "$WORK/policy/"
POLICY=$WORK/policy

step "0. A registry on 127.0.0.1"
REG=127.0.0.1:$(free_port)
cat > "$WORK/registry.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $WORK/data}}
http: {addr: $REG}
YAML
docker-registry serve "$WORK/registry.yml" > "$WORK/registry.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://$REG/v2/" > /dev/null && break; sleep 0.1; done
echo "registry: http://$REG"

step "1. Two images, pushed with skopeo"
umoci init --layout "$WORK/layout"
umoci new --image "$WORK/layout:base"
umoci unpack --rootless --image "$WORK/layout:base" "$WORK/bundle" > /dev/null
echo "hello from bona" > "$WORK/bundle/rootfs/hello"
umoci repack --image "$WORK/layout:base" "$WORK/bundle"
for name in signed unsigned; do
  umoci config --image "$WORK/layout:base" --tag "$name" --os linux --architecture amd64 \
    --config.label "org.opencontainers.image.title=$name"
  skopeo copy -q --dest-tls-verify=false "oci:$WORK/layout:$name" "docker://$REG/demo/$name:1.0"
  digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/demo/$name:1.0")
  echo "$REG/demo/$name:1.0 is $digest"
done

step "2. demo/signed:1.0 signed as cosign signs, with this run's key"
DIGEST=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/demo/signed:1.0")
printf '{"critical":{"identity":{"docker-reference":"%s/demo/signed"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' \
  "$REG" "$DIGEST" > "$WORK/payload.json"
SIGNATURE=$(openssl dgst -sha256 -sign "$WORK/release.key" "$WORK/payload.json" | base64 -w0)
# The .sig tag as cosign writes it: one layer, the payload, its signature in an annotation.
python3 - "$WORK/sig" "$WORK/payload.json" "$SIGNATURE" <<'PY'
import hashlib, json, os, sys
out, payload_path, signature = sys.argv[1:4]
os.makedirs(f"{out}/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return {"digest": f"sha256:{d}", "size": len(data)}
payload = open(payload_path, "rb").read()
layer = blob(payload)
config = blob(json.dumps({"architecture": "", "os": "", "config": {},
                          "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}).encode())
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
    "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", **layer,
                "annotations": {"dev.cosignproject.cosign/signature": signature}}]}).encode()
index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    **blob(manifest), "annotations": {"org.opencontainers.image.ref.name": "sig"}}]}
open(f"{out}/index.json", "w").write(json.dumps(index))
open(f"{out}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
SIG_TAG="sha256-${DIGEST#sha256:}.sig"
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$WORK/sig:sig" "docker://$REG/demo/signed:$SIG_TAG"
echo "pushed $REG/demo/signed:$SIG_TAG"

step "3. bona facts registry"
"$BONA" facts registry "$REG/demo/signed:1.0" "$REG/demo/unsigned:1.0" \
  --registry-allow "$REG" --insecure-registry "$REG" -o "$WORK/facts.json"
python3 - "$WORK/facts.json" <<'PY'
import json, sys
for ref, facts in json.load(open(sys.argv[1]))["images"].items():
    print(f"{ref}: digest {facts['digest'][:19]}…, {len(facts['signatures'])} signature(s), "
          f"labels {facts['labels']}")
PY

step "4. bona eval with those facts"
cat > "$WORK/input.json" <<JSON
{"time": "2026-12-07T00:00:00Z",
 "asset": {"type": "workload", "cluster": "demo", "namespace": "prod", "kind": "Pod", "name": "web"},
 "images": [{"ref": "$REG/demo/signed:1.0"}, {"ref": "$REG/demo/unsigned:1.0"}]}
JSON
"$BONA" eval --policy "$POLICY" --input "$WORK/input.json" --facts "$WORK/facts.json" --format json \
  > "$WORK/decision.json"
python3 - "$WORK/decision.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"decision: {d['decision']}")
for image in d["images"]:
    reasons = [r for p in image["policies"] for r in p["reasons"]]
    print(f"  {image['ref']}: {image['verdict']}" + (f" ({reasons[0]})" if reasons else ""))
PY

step "5. bona serve --registry"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/tls.key" \
  -out "$WORK/tls.crt" -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
"$BONA" serve --policy "$POLICY" --cluster demo --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" \
  --listen 127.0.0.1:0 --registry --registry-allow "$REG" --insecure-registry "$REG" \
  > "$WORK/serve.out" 2> "$WORK/serve.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$WORK/serve.out")
echo "webhook: $URL"
review() { # NAMESPACE IMAGE: a Pod review as the API server sends it
  python3 -c 'import json, sys
ns, image = sys.argv[1:3]
print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
  "request": {"uid": "demo", "operation": "CREATE", "namespace": ns,
              "kind": {"group": "", "version": "v1", "kind": "Pod"},
              "object": {"kind": "Pod", "metadata": {"name": "web", "namespace": ns},
                         "spec": {"containers": [{"name": "web", "image": image}]}}}}))' "$1" "$2"
}
post() { # ROUTE BODY
  curl -sf --cacert "$WORK/tls.crt" -H 'Content-Type: application/json' --data-binary "$2" "$URL$1"
}
for name in signed unsigned; do
  post /validate "$(review prod "$REG/demo/$name:1.0")" | python3 -c 'import json, sys
r = json.load(sys.stdin)["response"]
print(f"{sys.argv[1]}: " + ("allowed" if r["allowed"] else "denied: " + r["status"]["message"]))' "$name"
done
post /mutate "$(review prod "$REG/demo/signed:1.0")" | python3 -c 'import base64, json, sys
r = json.load(sys.stdin)["response"]
for op in json.loads(base64.b64decode(r["patch"])):
    print("/mutate: %s %s with %s" % (op["op"], op["path"], op["value"]))'

step "6. The registry goes away"
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true
# A tag not read before: nothing cached, so the signatures are unknown and `on unknown prevent`
# refuses, naming the registry.
post /validate "$(review prod "$REG/demo/signed:2.0")" | python3 -c 'import json, sys
r = json.load(sys.stdin)["response"]
print("signed:2.0 while the registry is down: " + ("allowed" if r["allowed"] else "denied: " + r["status"]["message"]))'
