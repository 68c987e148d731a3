#!/usr/bin/env bash
# Rebuilds wasm-engine/bona-engine.wasm: bona-runtime compiled for wasm32-unknown-unknown, the
# engine that `bona build --target wasm` fills with a policy set (docs/wasm-abi.md). Run it
# after changing anything under runtime/src, wasm/src/abi.rs or wasm-engine/, then commit both files it writes:
#
#   wasm-engine/bona-engine.wasm      the engine
#   wasm-engine/bona-engine.sources   sha256 of the sources it was built from; a test
#                                     (wasm/tests/engine_current.rs) fails when they
#                                     change and the engine was not rebuilt
#
# Needs the wasm32 standard library: `rustup target add wasm32-unknown-unknown` (done here
# when missing). Paths are remapped, so the bytes do not depend on where the checkout is.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

RUSTFLAGS="--remap-path-prefix=$ROOT=/bona --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}=/cargo" \
  cargo build --locked -q -p bona-wasm-engine --target wasm32-unknown-unknown --profile wasm-engine
cp "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-engine/bona_wasm_engine.wasm" \
  wasm-engine/bona-engine.wasm
scripts/wasm-engine-sources.sh > wasm-engine/bona-engine.sources
echo "wasm-engine/bona-engine.wasm: $(wc -c < wasm-engine/bona-engine.wasm) bytes, sources $(cut -c1-16 wasm-engine/bona-engine.sources)"
