#!/usr/bin/env bash
# Installs what the tests need (the openssl binary, used as a real peer) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v openssl >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq openssl
fi

cargo test --workspace --locked
