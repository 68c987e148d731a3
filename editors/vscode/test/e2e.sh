#!/usr/bin/env bash
# End-to-end test of the VS Code extension in a real VS Code: code-server (VS Code's workbench
# served to a browser, with the usual Node extension host) from the npm registry, driven by
# headless Debian Chromium through playwright-core. Packages the extension with vsce, installs
# the .vsix, opens a copy of examples/production with one name misspelt, and checks what a
# person would see: the diagnostic, a hover, completions, the test code lenses and their
# `bona.test` command, and a restart when `bona.path` changes (test/e2e.js).
#
#   editors/vscode/test/e2e.sh [BONA]   # BONA: the bona binary (or $BONA; default: bona on PATH)
#   editors/vscode/test/e2e.sh --install  # only install the tools, run nothing
#
# The tools (test/tools/package-lock.json) go to $BONA_VSCODE_TOOLS, by default
# ~/.cache/bona-vscode-e2e, once; Chromium comes from apt when /usr/bin/chromium is missing.
# scripts/install-test-tools.sh runs `--install`, so that CI's test run finds them ready.
# Screenshots and logs of a failed run stay in the work directory it prints.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
ext_dir="$(cd "$here/.." && pwd)"
repo="$(cd "$ext_dir/../.." && pwd)"
tools="${BONA_VSCODE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/bona-vscode-e2e}"
chromium="${CHROMIUM:-/usr/bin/chromium}"

log() { echo "e2e: $*" >&2; }

install_tools() {
  if [ ! -x "$chromium" ]; then
    log "installing Debian's chromium"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
  fi
  local stamp
  stamp="$(cat "$here/tools/package.json" "$here/tools/package-lock.json" | sha256sum | cut -c1-16)"
  if [ -f "$tools/ready-$stamp" ]; then
    return
  fi
  log "installing code-server, playwright-core and vsce into $tools"
  rm -rf "$tools"
  mkdir -p "$tools"
  cp "$here/tools/package.json" "$here/tools/package-lock.json" "$tools/"
  # Install scripts stay off: code-server's postinstall builds native modules the test does not
  # need (a terminal, Kerberos) and downloads ripgrep from outside the npm registry, which fails.
  (cd "$tools" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  # code-server itself loads argon2 (password hashing) at start: build it from source.
  (cd "$tools" && npm rebuild argon2 --no-audit --no-fund --loglevel=error >/dev/null)
  # What the postinstall does otherwise: VS Code's own dependencies, without their scripts.
  # @parcel/watcher, the file watcher, comes prebuilt; spdlog, which writes the logs and so the
  # output channels, is built from source; the rest (terminal, Kerberos, ...) is left out.
  local vscode="$tools/node_modules/code-server/lib/vscode"
  (cd "$vscode" && npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  (cd "$vscode" && npm rebuild @vscode/spdlog --no-audit --no-fund --loglevel=error >/dev/null)
  ln -sfn node_modules "$vscode/node_modules.asar"
  touch "$tools/ready-$stamp"
}

install_tools
if [ "${1:-}" = "--install" ]; then
  exit 0
fi

bona="${1:-${BONA:-$(command -v bona || true)}}"
if [ -z "$bona" ] || [ ! -x "$bona" ]; then
  log "no bona binary: pass its path as the argument or in \$BONA"
  exit 2
fi
bona="$(cd "$(dirname "$bona")" && pwd)/$(basename "$bona")"

work="$(mktemp -d "${TMPDIR:-/tmp}/bona-vscode-e2e.XXXXXX")"
server_pid=""
cleanup() {
  local status=$?
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    # CI keeps only what is printed: the extension's own output and the extension host's log.
    local f
    while IFS= read -r -d '' f; do
      log "--- ${f#"$work"/} (last 40 lines)"
      tail -n 40 "$f" >&2
    done < <(find "$work/user-data/logs" \( -name '*Bona Language Server.log' \
      -o -name 'remoteexthost.log' \) -print0 2>/dev/null)
  fi
  if [ "$status" -eq 0 ] && [ -z "${KEEP:-}" ]; then
    rm -rf "$work"
  else
    log "kept $work (screenshots *.png, server.log, user-data/logs)"
  fi
  exit "$status"
}
trap cleanup EXIT

# The extension, packaged as a user would (vscode:prepublish compiles it).
if [ ! -d "$ext_dir/node_modules" ]; then
  (cd "$ext_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
(cd "$ext_dir" && "$tools/node_modules/.bin/vsce" package --allow-missing-repository \
  --skip-license --out "$work/bona-trust.vsix" </dev/null >"$work/vsce.log" 2>&1) || {
  cat "$work/vsce.log" >&2
  exit 1
}

# XDG_DATA_HOME: code-server keeps its own logs there; they stay in the work directory too.
code_server=(env XDG_DATA_HOME="$work/data" node "$tools/node_modules/code-server/out/node/entry.js"
  --config "$work/config.yaml" --user-data-dir "$work/user-data"
  --extensions-dir "$work/extensions")
printf 'auth: none\ncert: false\n' >"$work/config.yaml"
"${code_server[@]}" --install-extension "$work/bona-trust.vsix" >"$work/install.log" 2>&1 || {
  cat "$work/install.log" >&2
  exit 1
}

mkdir -p "$work/user-data/User" "$work/workspace"
cat >"$work/user-data/User/settings.json" <<EOF
{
  "bona.path": "$bona",
  "workbench.startupEditor": "none",
  "files.autoSave": "off",
  "workbench.tips.enabled": false,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "git.enabled": false
}
EOF
for f in production registries staging tests; do
  cp "$repo/examples/production/$f.trust" "$work/workspace/"
done
sed -i 's/trust registry in corporate/trust registry in corprate/' "$work/workspace/production.trust"
grep -q corprate "$work/workspace/production.trust"

# `bona` is on code-server's PATH too. bona.path above is what the extension runs; but once in
# a CI run (code-server 4.100.3, a loaded machine) the extension host started without the user
# settings and ran the default `bona`, which was nowhere, and the run failed on a code-server
# race rather than on the extension. Step 6 of e2e.js still proves that bona.path is what runs:
# a wrong path fails and the right one starts the server again.
mkdir -p "$work/bin"
ln -s "$bona" "$work/bin/bona"

# No gallery: nothing to fetch from outside.
PATH="$work/bin:$PATH" EXTENSIONS_GALLERY='{"serviceUrl": ""}' "${code_server[@]}" \
  --bind-addr 127.0.0.1:0 --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override \
  "$work/workspace" >"$work/server.log" 2>&1 &
server_pid=$!

url=""
for _ in $(seq 1 300); do
  url="$(sed -n 's#.*HTTP server listening on \(http://[^ ]*\).*#\1#p' "$work/server.log" | head -n1)"
  [ -n "$url" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  log "code-server did not start"
  cat "$work/server.log" >&2
  exit 1
fi

NODE_PATH="$tools/node_modules" URL="$url" WORK="$work" BONA="$bona" CHROMIUM="$chromium" \
  node "$here/e2e.js"
