#!/usr/bin/env bash
# The Kubernetes schema checkers the tests of deploy/ and of `bona audit --format policyreport`
# use, in a virtual environment of their own (PyPI):
#   kubernetes-validate 1.37.0 — every object of `kubectl kustomize deploy/` against the
#                                Kubernetes schemas (cli/tests/deploy.rs);
#   check-jsonschema 0.39.0    — reports against the PolicyReport and openreports schemas
#                                written down in tests/schemas/ (cli/tests/policyreport.rs).
#
#   scripts/k8s-tools.sh --install    make the environment when missing (install-test-tools.sh)
#   scripts/k8s-tools.sh --bin        print its bin directory
#
# VENV defaults to $BONA_K8S_VENV, else ~/.cache/bona-k8s-tools. kubectl itself (for
# `kubectl kustomize`) comes with the machine; install-test-tools.sh installs it if not.
set -euo pipefail
VENV="${VENV:-${BONA_K8S_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/bona-k8s-tools}}"
case "${1:-}" in
  --install)
    if ! "$VENV/bin/kubernetes-validate" --version >/dev/null 2>&1 \
       || ! "$VENV/bin/check-jsonschema" --version >/dev/null 2>&1; then
      echo "installing kubernetes-validate and check-jsonschema into $VENV"
      python3 -m venv "$VENV"
      "$VENV/bin/pip" install -q --disable-pip-version-check \
        kubernetes-validate==1.37.0 check-jsonschema==0.39.0
    fi
    ;;
  --bin) echo "$VENV/bin" ;;
  *) echo "usage: scripts/k8s-tools.sh --install | --bin" >&2; exit 2 ;;
esac
