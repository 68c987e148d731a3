#!/usr/bin/env bash
# Makes the `signed-by-bundle-dsse*` cases (SPEC §7.1, §7.2 "Under a key K"): a Sigstore v0.3
# bundle whose DSSE envelope holds an in-toto statement about image A, signed by OpenSSL with
# `release.key` over the DSSE pre-authentication encoding. `signed-by-bundle-dsse` uses
# cosign v3's predicate type `https://sigstore.dev/cosign/sign/v1` (a signature: true);
# `signed-by-bundle-dsse-provenance` a SLSA provenance (an attestation, never a signature: false).
set -euo pipefail
cd "$(dirname "$0")"
CORPUS=$(cd .. && pwd)
A=e82163ee11ade5d4acfd7675b1f55ec44d737851d4aeaa4742e4c20d87cb5228
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pair in "signed-by-bundle-dsse https://sigstore.dev/cosign/sign/v1" \
            "signed-by-bundle-dsse-provenance https://slsa.dev/provenance/v1"; do
  set -- $pair
  case=$1 predicate=$2 dir=$CORPUS/$1
  mkdir -p "$dir"
  printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"registry.company.com/app","digest":{"sha256":"%s"}}],"predicateType":"%s","predicate":{}}' \
    "$A" "$predicate" > "$tmp/statement.json"
  type=application/vnd.in-toto+json
  printf 'DSSEv1 %d %s %d ' "${#type}" "$type" "$(wc -c < "$tmp/statement.json")" > "$tmp/pae"
  cat "$tmp/statement.json" >> "$tmp/pae"
  openssl dgst -sha256 -sign release.key -out "$tmp/sig" "$tmp/pae"
  openssl dgst -sha256 -verify release.pub -signature "$tmp/sig" "$tmp/pae" >/dev/null
  python3 - "$dir" "$(base64 -w0 < "$tmp/statement.json")" "$(base64 -w0 < "$tmp/sig")" <<'PY'
import json, sys
d, payload, sig = sys.argv[1:]
src = json.load(open(f"{d}/../signed-by-true/input.json"))
src["images"][0]["facts"]["signatures"] = [{"bundle": {
    "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
    "verificationMaterial": {"publicKey": {"hint": "release"}, "tlogEntries": []},
    "dsseEnvelope": {"payload": payload, "payloadType": "application/vnd.in-toto+json",
                     "signatures": [{"sig": sig, "keyid": ""}]}}}]
with open(f"{d}/input.json", "w") as f:
    json.dump(src, f, indent=2)
    f.write("\n")
PY
  cp release.pub "$dir/release.pub"
done
