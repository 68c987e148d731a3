#!/usr/bin/env bash
# Cross-checks the testkit's fixtures with an independent verifier: Python sigstore 4.5.1, offline.
#
#   testkit/check-with-sigstore-python.sh [--json] [FIXTURE_DIR]
#   testkit/check-with-sigstore-python.sh --install     # only make the virtual environment
#
# Environment: VENV (default $BONA_SIGSTORE_VENV, else ~/.cache/bona-sigstore-python) is a
# virtual environment with sigstore==4.5.1 and in-toto-attestation==0.9.3; it is created when
# missing. scripts/install-test-tools.sh runs --install.
# Without FIXTURE_DIR the fixtures of seed 1 are generated into a temporary directory first.
#
# For every case of manifest.json, a ClientTrustConfig is written around the case's trust root
# (with sigstore-python's packaged signing config, which verification does not use) and
#   python -m sigstore --trust-config TC verify identity --offline --bundle B \
#       --cert-identity I --cert-oidc-issuer O sha256:DIGEST
# is run, DIGEST being the payload's digest for message signatures and the image digest for DSSE
# (the CLI then checks that a statement subject has it). One line per case: agree/DIFF, the
# manifest's expectation, sigstore-python's verdict and its reason. Exit status 0 when
# sigstore-python agrees with the manifest on every case, except the cases listed in KNOWN_DIFF
# below (it cannot judge those; the README says why); 1 otherwise.
#
# With --json, one JSON object per case instead, for programs that compare verdicts
# (cli/tests/sigstore_python.rs compares them with Bona's):
#   {"id", "expect", "sigstore_python": "success"|"failure", "why", "known_diff": bool}
# and exit status 0 whenever every case was judged, whatever the verdicts.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
VENV="${VENV:-${BONA_SIGSTORE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/bona-sigstore-python}}"
json=0
install_only=0
dir=""
for arg in "$@"; do
  case "$arg" in
    --json) json=1 ;;
    --install) install_only=1 ;;
    -*) echo "unknown option $arg" >&2; exit 2 ;;
    *) dir="$arg" ;;
  esac
done
# in-toto-attestation (with sigstore's securesystemslib) signs the keyed DSSE attestations of
# cli/tests/dsse_python.rs.
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sigstore, in_toto_attestation' 2>/dev/null; then
  echo "making $VENV (sigstore==4.5.1, in-toto-attestation==0.9.3)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check sigstore==4.5.1 in-toto-attestation==0.9.3 >&2
fi
if [ "$install_only" = 1 ]; then
  exit 0
fi
if [ -z "$dir" ]; then
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' EXIT
  cargo run -q -p bona-testkit --bin gen --manifest-path "$here/../Cargo.toml" -- --seed 1 "$dir" >/dev/null
fi
"$VENV/bin/python" - "$dir" "$json" <<'PY'
import json, os, re, subprocess, sys, tempfile
import sigstore

# Cases sigstore-python cannot judge the way SPEC §7.2 does (see testkit/README.md).
KNOWN_DIFF = {
    "downgrade-v0.1-without-inclusion-proof",  # it requires an inclusion proof in every version
    "bad-expired-ca",  # it uses CAs whatever their validFor end (allow_expired=True)
    "bad-dsse-other-predicate-type",  # its CLI does not look at the predicate type
    "good-issuer-only-v2",  # its issuer policy reads only the legacy extension 1.1
    "bad-issuer-v2-differs-from-legacy",  # the same: it never reads 1.8
    "bad-log-key-expired",  # it uses log keys whatever their validFor end (allow_expired)
    "bad-ctlog-key-expired",  # the same for CT log keys
    "good-othername-san",  # it reads the otherName's DER (tag and length) as the name
}

d = sys.argv[1]
as_json = sys.argv[2] == "1"
store = os.path.join(os.path.dirname(sigstore.__file__), "_store")
sc = None
for sub in sorted(os.listdir(store)):
    p = os.path.join(store, sub, "signing_config.v0.2.json")
    if sub.endswith("sigstore.dev") and os.path.exists(p):
        sc = json.load(open(p))
        break
if sc is None:
    sys.exit("no packaged signing config in " + store)

manifest = json.load(open(os.path.join(d, "manifest.json")))
bad = 0
if not as_json:
    print(f"sigstore-python {sigstore.__version__}, fixtures of seed {manifest['seed']}")
for c in manifest["cases"]:
    tc = {"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
          "trustedRoot": json.load(open(os.path.join(d, c["files"]["trusted_root"]))),
          "signingConfig": sc}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(tc, f)
    cmd = [sys.executable, "-m", "sigstore", "--trust-config", f.name, "verify", "identity",
           "--offline", "--bundle", os.path.join(d, c["files"]["bundle"]),
           "--cert-identity", c["identity"], "--cert-oidc-issuer", c["issuer"], c["artifact_digest"]]
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, COLUMNS="1000"))
    os.unlink(f.name)
    got = "success" if r.returncode == 0 else "failure"
    text = " ".join((r.stdout + r.stderr).split())
    if "Traceback" in text:
        why = "uncaught exception: " + text[-200:]
    else:
        parts = re.split(r"\bERROR\b", text)
        why = parts[-1] if len(parts) > 1 else text
        why = re.sub(r"\s*\w+\.py:\d+", "", why)
        why = why.replace("For detailed error information, run sigstore with the `--verbose` flag.", "").strip()
    agree = got == c["expect"]
    known = (not agree) and c["id"] in KNOWN_DIFF
    if not agree and not known:
        bad += 1
    if as_json:
        print(json.dumps({"id": c["id"], "expect": c["expect"], "sigstore_python": got,
                          "why": why[:300], "known_diff": c["id"] in KNOWN_DIFF}), flush=True)
        continue
    tag = "agree" if agree else ("known" if known else "DIFF ")
    print(f"{tag} {c['id']}: expect {c['expect']}, sigstore-python {got}: {why[:300]}")
if as_json:
    sys.exit(0)
print(f"{len(manifest['cases'])} cases, {bad} unexpected disagreements")
sys.exit(1 if bad else 0)
PY
