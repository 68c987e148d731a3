#!/usr/bin/env bash
# Installs what Bona's test suite needs beyond the Rust toolchain, when it is missing:
#   openssl  — signature tests cross-check Bona's ECDSA verification against OpenSSL.
#   neovim   — cli/tests/nvim_lsp.rs drives `bona lsp` from a real editor.
#   emacs-nox, elpa-eglot — cli/tests/emacs_lsp.rs does the same with Emacs and eglot.
#   npm      — .ci/run builds the VS Code extension (editors/vscode); brings nodejs.
#   python3  — cli/tests/oracle.rs runs the independent SPEC oracle in tests/oracle/;
#              cli/tests/sigstore_python.rs runs Python sigstore 4.5.1 from a virtual
#              environment in a cache directory (python3-venv; testkit/check-with-sigstore-python.sh
#              --install makes it).
#   node packages of tests/sigstore-js — cli/tests/sigstore_js.rs signs with the real sigstore-js
#              signer against @sigstore/mock (npm ci into tests/sigstore-js/node_modules).
#   docker-registry, skopeo, umoci, apache2-utils — cli/tests/registry_real.rs starts a real
#              registry (distribution 2.8) with TLS and htpasswd, builds an image with umoci and
#              pushes it and its cosign signature with skopeo.
#   kubectl — cli/tests/deploy.rs renders deploy/ with `kubectl kustomize`; kubernetes-validate
#              and check-jsonschema go to a virtual environment (scripts/k8s-tools.sh --install).
#   chromium — cli/tests/vscode_lsp.rs drives VS Code (code-server) in headless Chromium; the
#              npm packages it needs go to a cache directory (editors/vscode/test/e2e.sh --install).
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v nvim >/dev/null 2>&1 || missing+=(neovim)
command -v emacs >/dev/null 2>&1 || missing+=(emacs-nox elpa-eglot)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
command -v umoci >/dev/null 2>&1 || missing+=(umoci)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
command -v kubectl >/dev/null 2>&1 || missing+=(kubectl)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

"$(dirname "$0")/../editors/vscode/test/e2e.sh" --install

here="$(cd "$(dirname "$0")/.." && pwd)"
"$here/testkit/check-with-sigstore-python.sh" --install
"$here/scripts/k8s-tools.sh" --install

# npm ci only when the lock file changed since the last install (a stamp inside node_modules).
js="$here/tests/sigstore-js"
stamp="ready-$(cat "$js/package.json" "$js/package-lock.json" | sha256sum | cut -c1-16)"
if [ ! -f "$js/node_modules/.bona-$stamp" ]; then
  echo "installing the npm packages of tests/sigstore-js"
  (cd "$js" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  touch "$js/node_modules/.bona-$stamp"
fi
