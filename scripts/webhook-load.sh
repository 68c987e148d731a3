#!/usr/bin/env bash
# Load test of `bona serve` on loopback (docs/performance.md, "Admission webhook").
#
# Builds the release binary, makes a throwaway certificate, starts the webhook on 127.0.0.1 with
# examples/production and --cluster prod-eu-1, then POSTs examples/production/review.json (the
# kubectl-made Deployment review: two images, both prevented) with wrk and hey. Bounded: each run
# lasts DURATION seconds or N requests, on 127.0.0.1 only. Needs Debian's `wrk` and `hey` and
# `openssl`. The server's log (one line per decision) goes to $WORK/serve.log, as in production.
#
# With REGISTRY=1 the webhook runs with --registry against Debian's docker-registry on
# 127.0.0.1 (needs umoci and skopeo too): the review names a tagged image of that registry, the
# first request fills the cache, and the load measures admissions on a warm cache.
#
# With SCOPED=N the webhook runs with N generated team-scoped policies (policy i scoped to team i,
# the set of `gen_inventory --policies N`), and the review is a Deployment of team 4 with three
# images, two of them prevented: the whole admission at N = 10 and at N = 10,000 compare.
#
# Usage: scripts/webhook-load.sh            DURATION=10 N=20000 scripts/webhook-load.sh
#        REGISTRY=1 DURATION=5 N=10000 scripts/webhook-load.sh
#        SCOPED=10000 DURATION=5 N=10000 scripts/webhook-load.sh
#        LIGHT=1 SCOPED=10000 N=5000 scripts/webhook-load.sh   (one client at 500/s: the
#          server-side duration of an admission on an idle machine)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
N=${N:-20000}
# Port 443, so the URL carries no port: hey (Go 1.19) sends the URL's host *with* its port as
# the TLS server name (`127.0.0.1:18443`), which is not a host name, and rustls refuses the
# handshake with illegal_parameter. The API server sends the service's DNS name, so only the
# load generator is affected. Binding 443 needs root (or CAP_NET_BIND_SERVICE).
PORT=${PORT:-443}
TARGET=${CARGO_TARGET_DIR:-target}
WORK=$(mktemp -d)
SERVER=""
REGISTRY_PID=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null
  [ -n "$REGISTRY_PID" ] && kill "$REGISTRY_PID" 2>/dev/null
  wait 2>/dev/null; rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

cargo build --release -q -p bona --bin bona --example gen_inventory
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/tls.key" \
  -out "$WORK/tls.crt" -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 2>/dev/null

REVIEW=examples/production/review.json
SERVE_ARGS=(--policy examples/production --cluster prod-eu-1)
if [ "${REGISTRY:-0}" = 1 ]; then
  REG=127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n' \
    "$WORK/data" "$REG" > "$WORK/registry.yml"
  docker-registry serve "$WORK/registry.yml" > "$WORK/registry.log" 2>&1 &
  REGISTRY_PID=$!
  for _ in $(seq 100); do curl -sf "http://$REG/v2/" > /dev/null && break; sleep 0.1; done
  umoci init --layout "$WORK/layout" && umoci new --image "$WORK/layout:1.0"
  skopeo copy -q --dest-tls-verify=false "oci:$WORK/layout:1.0" "docker://$REG/demo/app:1.0"
  python3 - "$REG/demo/app:1.0" > "$WORK/review.json" <<'PY'
import json, sys
print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
  "request": {"uid": "load", "operation": "CREATE", "namespace": "prod",
              "kind": {"group": "", "version": "v1", "kind": "Pod"},
              "object": {"kind": "Pod", "metadata": {"name": "web", "namespace": "prod"},
                         "spec": {"containers": [{"name": "web", "image": sys.argv[1]}]}}}}))
PY
  REVIEW=$WORK/review.json
  SERVE_ARGS=(--policy examples/registry --cluster demo --registry --registry-allow "$REG" --insecure-registry "$REG")
fi
if [ -n "${SCOPED:-}" ]; then
  "$TARGET/release/examples/gen_inventory" 1 "$WORK/scoped" --policies "$SCOPED" > /dev/null
  python3 > "$WORK/review.json" <<'PY'
import json
images = ["registry4.company.com/team4/api:1.4.2", "registry4.company.com/other/tool:2",
          "docker.io/library/redis:7.2"]
containers = [{"name": f"c{n}", "image": image} for n, image in enumerate(images)]
print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
  "request": {"uid": "load", "operation": "CREATE", "namespace": "team4",
              "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
              "object": {"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": {"name": "api", "namespace": "team4"},
                         "spec": {"template": {"spec": {"containers": containers}}}}}}))
PY
  REVIEW=$WORK/review.json
  SERVE_ARGS=(--policy "$WORK/scoped/policies.trust" --cluster prod-eu-1)
fi
"$TARGET/release/bona" serve "${SERVE_ARGS[@]}" \
  --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" --listen "127.0.0.1:$PORT" \
  > "$WORK/serve.out" 2> "$WORK/serve.log" &
SERVER=$!
for _ in $(seq 50); do grep -q listening "$WORK/serve.out" 2>/dev/null && break; sleep 0.1; done
if [ "$PORT" = 443 ]; then URL="https://127.0.0.1/validate?timeout=10s"; else URL="https://127.0.0.1:$PORT/validate?timeout=10s"; fi

cat > "$WORK/post.lua" <<LUA
local f = assert(io.open("$REVIEW", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
LUA

if [ "${LIGHT:-0}" = 1 ]; then
  # The admission alone, not the queueing of a saturated machine: one client at 500/s.
  echo "== hey -n $N -c 1 -q ${RATE:-500} -h2 (light load)"
  hey -n "$N" -c 1 -q "${RATE:-500}" -h2 -m POST -T application/json -D "$REVIEW" "$URL"
else
for c in 1 4 16; do
  echo "== wrk -t1 -c$c -d${DURATION}s --latency"
  wrk -t1 -c"$c" -d"${DURATION}s" --latency -s "$WORK/post.lua" "$URL"
done
echo "== hey -n $N -c 4 (HTTP/1.1)"
hey -n "$N" -c 4 -m POST -T application/json -D "$REVIEW" "$URL"
echo "== hey -n $N -c 4 -h2 (HTTP/2, as the API server)"
hey -n "$N" -c 4 -h2 -m POST -T application/json -D "$REVIEW" "$URL"
fi

echo "== server side (bona_admission_duration_seconds)"
curl -sk "${URL%%/validate*}/metrics" | grep -E '^bona_(admission_(requests_total|duration_seconds_(bucket|sum|count))|registry_cache_requests_total)'
echo "== peak RSS of the server"
grep VmHWM "/proc/$SERVER/status"
