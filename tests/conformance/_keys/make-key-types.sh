#!/usr/bin/env bash
# Makes the `signed-by-key-*` cases (SPEC §6.1): one key pair per accepted key type, made and
# used by OpenSSL only (an implementation independent of Bona's), each case signing image A's
# simple-signing payload with its key. Re-running makes new keys and signatures; the expected
# outputs do not change.
#
#   case                          key            signature
#   signed-by-key-p384            ECDSA P-384    SHA-384 (current cosign), DER
#   signed-by-key-p384-sha256     ECDSA P-384    SHA-256 (older cosign), DER
#   signed-by-key-p521            ECDSA P-521    SHA-512, DER
#   signed-by-key-ed25519         Ed25519        pure Ed25519
#   signed-by-key-rsa2048         RSA 2048       PKCS#1 v1.5, SHA-256
#   signed-by-key-rsa3072-pss     RSA 3072       PSS, SHA-256, salt = hash length
#   signed-by-key-rsa4096-pss     RSA 4096       PSS, SHA-256, largest salt
#
# Each case has two images: A carries the good signature (trusted); B carries the same
# signature over a payload rewritten to name B (a tampered payload: untrusted).
set -euo pipefail
cd "$(dirname "$0")"
KEYS=$(pwd)/types
CORPUS=$(cd .. && pwd)
A=sha256:e82163ee11ade5d4acfd7675b1f55ec44d737851d4aeaa4742e4c20d87cb5228
B=sha256:9b1b895437502f7e0868d568f6788e85ab72495116f688b1baf66be0b87b7105
REPO=registry.company.com/app
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

payload() {
  printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' "$REPO" "$1"
}

genkey() { # NAME, openssl genpkey arguments...
  local name=$1; shift
  openssl genpkey "$@" -out "$KEYS/$name.key" 2>/dev/null
  openssl pkey -in "$KEYS/$name.key" -pubout -out "$KEYS/$name.pub"
}

sign() { # NAME KIND -> signature of $tmp/payload.json in $tmp/sig
  local key=$KEYS/$1.key pub=$KEYS/$1.pub
  case $2 in
    sha256|sha384|sha512)
      openssl dgst -"$2" -sign "$key" -out "$tmp/sig" "$tmp/payload.json"
      openssl dgst -"$2" -verify "$pub" -signature "$tmp/sig" "$tmp/payload.json" >/dev/null ;;
    ed25519)
      openssl pkeyutl -sign -inkey "$key" -rawin -in "$tmp/payload.json" -out "$tmp/sig"
      openssl pkeyutl -verify -pubin -inkey "$pub" -rawin -in "$tmp/payload.json" -sigfile "$tmp/sig" >/dev/null ;;
    pss-digest|pss-max)
      local salt=digest; [ "$2" = pss-max ] && salt=max
      openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:$salt \
        -sign "$key" -out "$tmp/sig" "$tmp/payload.json"
      openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:auto \
        -verify "$pub" -signature "$tmp/sig" "$tmp/payload.json" >/dev/null ;;
  esac
}

make_case() { # CASE KEYNAME SIGKIND DESCRIPTION
  local case=$1 name=$2 kind=$3 what=$4 dir=$CORPUS/$1
  mkdir -p "$dir"
  payload "$A" > "$tmp/payload.json"
  sign "$name" "$kind"
  cp "$KEYS/$name.pub" "$dir/signer.pub"
  local good_payload good_sig bad_payload
  good_payload=$(base64 -w0 < "$tmp/payload.json")
  good_sig=$(base64 -w0 < "$tmp/sig")
  bad_payload=$(payload "$B" | base64 -w0)
  cat > "$dir/policy.trust" <<TRUST
# SPEC §6.1: a key of type $what verifies cosign signatures made with it (made by OpenSSL,
# _keys/make-key-types.sh). Image A: a good signature (true); image B: the same signature over
# a payload rewritten to name B (false).
key signer = file("signer.pub")

policy "release signed" {
  action issue
  trust signed by signer
}
TRUST
  python3 - "$dir" "$REPO@$A" "$REPO@$B" "$good_payload" "$good_sig" "$bad_payload" <<'PY'
import json, sys
d, ref_a, ref_b, gp, gs, bp = sys.argv[1:]
asset = {"type": "workload", "cloud": "aws", "cluster": "prod-eu-1", "namespace": "payments",
         "kind": "Deployment", "name": "api"}
inp = {"time": "2026-11-22T00:00:00Z", "asset": asset, "images": [
    {"ref": ref_a, "facts": {"signatures": [{"payload": gp, "signature": gs}]}},
    {"ref": ref_b, "facts": {"signatures": [{"payload": bp, "signature": gs}]}}]}
def image(ref, ok):
    v = "trusted" if ok else "untrusted"
    return {"ref": ref, "verdict": v, "prevented": False, "policies": [
        {"policy": "release signed", "action": "issue", "result": v, "resolved": v,
         "reasons": [] if ok else ["..."]}]}
exp = {"decision": "allow", "images": [image(ref_a, True), image(ref_b, False)], "issues": [{
    "type": "runtime-security", "image": ref_b, "policies": ["release signed"], "prevented": False,
    "title": "Untrusted image deployed in Kubernetes workload payments/api",
    "description": f"Kubernetes workload payments/api uses the image {ref_b}, which no trusted image policy in scope trusts (release signed)."}]}
for name, doc in (("input.json", inp), ("expect.json", exp)):
    with open(f"{d}/{name}", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
PY
}

mkdir -p "$KEYS"
genkey p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384
genkey p521 -algorithm EC -pkeyopt ec_paramgen_curve:P-521
genkey ed25519 -algorithm ed25519
genkey rsa2048 -algorithm RSA -pkeyopt rsa_keygen_bits:2048
genkey rsa3072 -algorithm RSA -pkeyopt rsa_keygen_bits:3072
genkey rsa4096 -algorithm RSA -pkeyopt rsa_keygen_bits:4096

make_case signed-by-key-p384 p384 sha384 "ECDSA P-384 (SHA-384)"
make_case signed-by-key-p384-sha256 p384 sha256 "ECDSA P-384 (SHA-256, older cosign)"
make_case signed-by-key-p521 p521 sha512 "ECDSA P-521 (SHA-512)"
make_case signed-by-key-ed25519 ed25519 ed25519 "Ed25519"
make_case signed-by-key-rsa2048 rsa2048 sha256 "RSA 2048 (PKCS#1 v1.5)"
make_case signed-by-key-rsa3072-pss rsa3072 pss-digest "RSA 3072 (PSS, salt = hash length)"
make_case signed-by-key-rsa4096-pss rsa4096 pss-max "RSA 4096 (PSS, largest salt)"
echo "made $(ls -d "$CORPUS"/signed-by-key-* | wc -l) cases"
