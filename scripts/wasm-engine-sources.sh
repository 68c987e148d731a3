#!/usr/bin/env bash
# Prints the sha256 of the sources the wasm engine is built from (every file under runtime/src
# but the builder and the host, which the engine does not contain; wasm-engine/src; both
# Cargo.toml files), in a fixed order. runtime/tests/
# wasm_engine_current.rs computes the same hash in Rust; scripts/build-wasm-engine.sh records it.
set -euo pipefail
cd "$(dirname "$0")/.."
{ find runtime/src wasm-engine/src -type f -name '*.rs' ! -name wasm_module.rs ! -name wasm_host.rs; echo runtime/Cargo.toml; echo wasm-engine/Cargo.toml; } \
  | LC_ALL=C sort | while read -r f; do printf '%s\n' "$f"; sha256sum < "$f" | cut -d' ' -f1; done \
  | sha256sum | cut -d' ' -f1
