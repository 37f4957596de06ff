#!/usr/bin/env bash
# Installs what the tests need (real peers: the openssl binary, GnuTLS, NSS's tstclnt, curl,
# redis-server, headless Chromium and a
# Korean font for its screenshots; libssl-dev
# for the benchmark's OpenSSL rows), smoke-runs the benchmark harness, runs every test, and runs
# BoringSSL's BoGo conformance suite.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v gnutls-serv >/dev/null 2>&1 || missing+=(gnutls-bin)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# NSS's tstclnt, an Encrypted Client Hello client (glasstls-cli/tests/ech.rs).
command -v tstclnt >/dev/null 2>&1 || missing+=(libnss3-tools)
# Python's venv, for curl_cffi (a BoringSSL client) below.
command -v python3 >/dev/null 2>&1 || missing+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
# Korean glyphs for the screenshots of the HTML trace (glasstls-cli/tests/trace_html.rs).
dpkg -s fonts-nanum >/dev/null 2>&1 || missing+=(fonts-nanum)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
# The fleet's shared session store (glasstls-cli/tests/fleet.rs starts its own on a free port).
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}"
fi

# A BoringSSL client with ECH: curl_cffi from PyPI, in a virtual environment of its own
# (glasstls-cli/tests/ech.rs).
if ! target/pyenv/bin/python -c "import curl_cffi" >/dev/null 2>&1; then
  python3 -m venv target/pyenv
  target/pyenv/bin/pip install -q curl_cffi
fi

# The benchmark harness, quickly and unoptimised: it checks that every library resumes when it
# should and loses no byte. Its numbers mean nothing in a debug build; see BENCHMARKS.md.
cargo run --locked -q -p glasstls-bench -- --quick > /dev/null

cargo test --workspace --locked

# BoringSSL's BoGo conformance suite (../shared/bogo), through the shim in bogo/.
bash scripts/bogo.sh
