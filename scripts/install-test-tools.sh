#!/usr/bin/env bash
# Installs what Bona's test suite needs beyond the Rust toolchain, when it is missing:
#   openssl  — signature tests cross-check Bona's ECDSA verification against OpenSSL.
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
