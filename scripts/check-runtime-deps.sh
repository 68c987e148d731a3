#!/usr/bin/env bash
# The runtime is what admission components embed (docs/architecture.md): it must not depend on
# the compiler, the language server's or the webhook's machinery. Fails naming what crept in.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(cargo tree --locked -p bona-runtime -e normal --prefix none --format '{p}' | cut -d' ' -f1 | sort -u)
bad=$(printf '%s\n' "$tree" | grep -xE 'bona-compiler|bona-host|bona-lsp|bona-wasm|bona|salsa|lalrpop|lalrpop-util|logos|tokio|axum|hyper|wasmtime|codespan-reporting' || true)
if [ -n "$bad" ]; then
  echo "bona-runtime depends on what it must not:" >&2
  printf '  %s\n' $bad >&2
  exit 1
fi
echo "bona-runtime: $(printf '%s\n' "$tree" | wc -l) crates, none of the compiler, salsa, lalrpop, tokio, axum or wasmtime"
