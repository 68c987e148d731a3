#!/bin/sh
# Prints one facts signature object {"payload", "signature"} (SPEC 3.4): a cosign
# simple-signing payload naming DIGEST and REFERENCE, signed with the P-256 key KEY.
#   usage: sign.sh KEY.key DIGEST REFERENCE [TYPE]
# TYPE defaults to `cosign container image signature`; pass another to make a payload that is
# not a simple-signing document. The keys here exist only for the conformance corpus.
set -eu
key=$1 digest=$2 ref=$3
type=${4:-cosign container image signature}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"%s"},"optional":null}' \
  "$ref" "$digest" "$type" > "$tmp/payload.json"
openssl dgst -sha256 -sign "$key" -out "$tmp/sig.der" "$tmp/payload.json"
openssl dgst -sha256 -verify "${key%.key}.pub" -signature "$tmp/sig.der" "$tmp/payload.json" >/dev/null
printf '{"payload": "%s", "signature": "%s"}\n' \
  "$(base64 -w0 < "$tmp/payload.json")" "$(base64 -w0 < "$tmp/sig.der")"
