#!/usr/bin/env bash
# Prints the sha256 of the sources the wasm engine is built from (every file under runtime/src,
# sigstore/src (the runtime verifies with bona-sigstore) and wasm-engine/src; the ABI of wasm/src, not its builder or host, which are features the
# engine does not enable; the three Cargo.toml files), in a fixed order. wasm/tests/
# engine_current.rs computes the same hash in Rust; scripts/build-wasm-engine.sh records it.
set -euo pipefail
cd "$(dirname "$0")/.."
{ find runtime/src sigstore/src wasm-engine/src -type f -name '*.rs'; echo wasm/src/abi.rs; echo wasm/src/lib.rs; echo runtime/Cargo.toml; echo sigstore/Cargo.toml; echo wasm/Cargo.toml; echo wasm-engine/Cargo.toml; } \
  | LC_ALL=C sort | while read -r f; do printf '%s\n' "$f"; sha256sum < "$f" | cut -d' ' -f1; done \
  | sha256sum | cut -d' ' -f1
