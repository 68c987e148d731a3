#!/usr/bin/env bash
# Bona against a real registry (docs/performance.md#registry): Debian's docker-registry on
# 127.0.0.1, plain HTTP, on the same machine.
#
#   1. a cold admission: `bona serve --registry` answering its first review, a pod of three
#      tagged images, each with a cosign `.sig` (tag, config, `.sig`, its payload, `.att`,
#      referrers and the fallback tag), then the same review again from the cache;
#   2. `bona facts registry --inventory` of N distinct images (N tags of one image and its
#      signature, made with the registry API).
#
# Needs docker-registry, umoci, skopeo, openssl, curl and python3 (scripts/install-test-tools.sh).
# Bounded: N requests of each kind, everything on 127.0.0.1, stopped when the script ends.
#
# Usage: scripts/registry-bench.sh          N=1000 scripts/registry-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
TARGET=${CARGO_TARGET_DIR:-target}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cargo build --release -q -p bona
BONA=$TARGET/release/bona
REG=127.0.0.1:$(free_port)
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n' \
  "$WORK/data" "$REG" > "$WORK/registry.yml"
docker-registry serve "$WORK/registry.yml" > "$WORK/registry.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://$REG/v2/" > /dev/null && break; sleep 0.1; done

# Three images, and a `.sig` for each (its signature need not verify: the cost is the reads).
umoci init --layout "$WORK/layout" && umoci new --image "$WORK/layout:base"
for i in 0 1 2; do
  umoci config --image "$WORK/layout:base" --tag "app$i" --config.label "n=$i"
  skopeo copy -q --dest-tls-verify=false "oci:$WORK/layout:app$i" "docker://$REG/demo/app$i:1.0"
  digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$REG/demo/app$i:1.0")
  python3 - "$WORK/sig$i" "$digest" <<'PY'
import hashlib, json, os, sys
out, digest = sys.argv[1:3]
os.makedirs(f"{out}/blobs/sha256")
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return {"digest": f"sha256:{d}", "size": len(data)}
payload = json.dumps({"critical": {"identity": {"docker-reference": "demo"},
    "image": {"docker-manifest-digest": digest}, "type": "cosign container image signature"},
    "optional": None}).encode()
layer = blob(payload)
config = blob(b"{}")
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
    "layers": [{"mediaType": "application/vnd.dev.cosign.simplesigning.v1+json", **layer,
                "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ=="}}]}).encode()
index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    **blob(manifest), "annotations": {"org.opencontainers.image.ref.name": "sig"}}]}
open(f"{out}/index.json", "w").write(json.dumps(index))
open(f"{out}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
  skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$WORK/sig$i:sig" \
    "docker://$REG/demo/app$i:sha256-${digest#sha256:}.sig"
done

echo "== 0. the registry alone: 20 manifest GETs one after another, and 21 at once"
python3 - "$REG" <<'PY'
import concurrent.futures, sys, time, urllib.request
url = f"http://{sys.argv[1]}/v2/demo/app0/manifests/1.0"
def get(_):
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
    started = time.perf_counter()
    urllib.request.urlopen(request).read()
    return time.perf_counter() - started
one = sorted(get(i) for i in range(20))
print(f"one at a time: median {one[10] * 1000:.1f} ms")
with concurrent.futures.ThreadPoolExecutor(21) as pool:
    started = time.perf_counter()
    times = sorted(pool.map(get, range(21)))
    print(f"21 at once: median {times[10] * 1000:.1f} ms, all done in {(time.perf_counter() - started) * 1000:.1f} ms")
PY

echo "== 1. a cold admission of a pod of three tagged, signed images"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/tls.key" \
  -out "$WORK/tls.crt" -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null
"$BONA" serve --policy examples/registry --cluster demo --tls-cert "$WORK/tls.crt" \
  --tls-key "$WORK/tls.key" --listen 127.0.0.1:0 --registry --registry-allow "$REG" \
  --insecure-registry "$REG" > "$WORK/serve.out" 2> "$WORK/serve.log" &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^listening on //p' "$WORK/serve.out")
python3 - "$REG" > "$WORK/review.json" <<'PY'
import json, sys
reg = sys.argv[1]
print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
  "request": {"uid": "bench", "operation": "CREATE", "namespace": "prod",
              "kind": {"group": "", "version": "v1", "kind": "Pod"},
              "object": {"kind": "Pod", "metadata": {"name": "web", "namespace": "prod"},
                         "spec": {"containers": [{"name": f"c{i}", "image": f"{reg}/demo/app{i}:1.0"}
                                                 for i in range(3)]}}}}))
PY
post() {
  curl -sf -o "$WORK/answer.json" --cacert "$WORK/tls.crt" \
    -H 'Content-Type: application/json' --data-binary @"$WORK/review.json" "$URL/validate"
}
# The server's own measure of an admission (body read to answer), from its histogram's sum.
metric() {
  curl -s --cacert "$WORK/tls.crt" "$URL/metrics" | sed -n 's/^bona_admission_duration_seconds_sum //p'
}
post
cold=$(metric)
python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))["response"]; print("answer:", "allowed" if r["allowed"] else "denied", r.get("status", {}).get("message", "")[:160] + "…")' "$WORK/answer.json"
post
both=$(metric)
python3 -c "import sys; c, b = map(float, sys.argv[1:]); print(f'cold: {c * 1000:.1f} ms, then warm: {(b - c) * 1000:.2f} ms (server side)')" "$cold" "$both"
curl -s --cacert "$WORK/tls.crt" "$URL/metrics" | grep -E '^bona_registry_fetch_duration_seconds_(sum|count)'

echo "== 2. bona facts registry --inventory of $N distinct images"
MANIFEST=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/demo/app0/manifests/1.0")
python3 - "$REG" "$N" "$MANIFEST" <<'PY'
import json, sys, urllib.request
reg, n, manifest = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
for i in range(n):
    request = urllib.request.Request(f"http://{reg}/v2/demo/app0/manifests/t{i}", data=manifest, method="PUT",
        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    urllib.request.urlopen(request).read()
PY
python3 - "$REG" "$N" > "$WORK/inventory.json" <<'PY'
import json, sys
reg, n = sys.argv[1], int(sys.argv[2])
print(json.dumps({"assets": [{"type": "workload", "cluster": "demo", "namespace": "prod",
    "kind": "Deployment", "name": f"app{i}", "images": [{"ref": f"{reg}/demo/app0:t{i}"}]}
    for i in range(n)]}))
PY
start=$(date +%s.%N)
"$BONA" facts registry --inventory "$WORK/inventory.json" --registry-allow "$REG" \
  --insecure-registry "$REG" -o "$WORK/facts.json"
end=$(date +%s.%N)
python3 -c "import json, sys; d = json.load(open(sys.argv[1]))['images']; print(f'{len(d)} images in {float(sys.argv[3]) - float(sys.argv[2]):.2f} s')" \
  "$WORK/facts.json" "$start" "$end"
