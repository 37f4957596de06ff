#!/usr/bin/env bash
# BoringSSL's BoGo conformance runner against glasstls, through the shim in bogo/ (what is
# disabled and why: bogo/config.json, rebuilt by bogo/disabled.py). Fails on any FAILED test,
# and when fewer tests pass than the floor below (raise it as more pass).
#
#   scripts/bogo.sh                       # everything
#   BOGO_TESTS='Resume-*' scripts/bogo.sh # some tests (the runner's -test globs, ';'-separated)
set -euo pipefail
cd "$(dirname "$0")/.."

# The tests that passed when the floor was last raised.
MIN_PASSED=1656

bogo="${BOGO_DIR:-$(cd .. && pwd)/shared/bogo}"
if [ ! -x "$bogo/runner.test" ]; then
  echo "bogo: no runner at $bogo/runner.test (expected ../shared/bogo beside this checkout)" >&2
  exit 1
fi
cargo build --locked -q -p glasstls-bogo
shim="$PWD/target/debug/bogo-shim"
config="$PWD/bogo/config.json"
log="$PWD/target/bogo-results.txt"
unimplemented_log="$PWD/target/bogo-unimplemented.txt"
: > "$unimplemented_log"

status=0
(
  cd "$bogo/src/ssl/test/runner"
  BOGO_SHIM_UNIMPLEMENTED_LOG="$unimplemented_log" "$bogo/runner.test" \
    -shim-path "$shim" -shim-config "$config" -num-workers "${BOGO_WORKERS:-2}" \
    -pipe -allow-unimplemented ${BOGO_TESTS:+-test "$BOGO_TESTS"}
) > "$log" 2>&1 || status=$?

passed=$(grep -c '^PASSED' "$log" || true)
failed=$(grep -c '^FAILED' "$log" || true)
unimplemented=$(grep -c '^UNIMPLEMENTED' "$log" || true)
echo "bogo: $passed passed, $failed failed, $unimplemented unimplemented (of $((passed + failed + unimplemented)) run; log: target/bogo-results.txt)"
if [ "$failed" -gt 0 ]; then
  grep '^FAILED' "$log" | sed 's/^/bogo: /' >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "bogo: the runner exited with status $status:" >&2
  tail -20 "$log" >&2
  exit 1
fi
if [ -z "${BOGO_TESTS:-}" ] && [ "$passed" -lt "$MIN_PASSED" ]; then
  echo "bogo: only $passed tests passed, fewer than the $MIN_PASSED that passed before" >&2
  exit 1
fi
