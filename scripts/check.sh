#!/usr/bin/env bash
# Runs every test tier and prints one closing line "N passed, N failed".
# Tiers: cmocka unit tests (release and ASan+UBSan builds, through CTest) and the node:test
# end-to-end suite against the ASan+UBSan rescindd (RESCIND_BIN), which also runs the CLI,
# the TUI (tmux) and headless Chromium.
set -uo pipefail
cd "$(dirname "$0")/.."
passed=0
failed=0
log=$(mktemp -d)

ctest_tier() {
  local dir=$1 name=$2
  if ! ls "$dir"/tests/unit/test_* >/dev/null 2>&1 && [ ! -f "$dir/CTestTestfile.cmake" ]; then return; fi
  (cd "$dir" && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$(nproc)") 2>&1 | tee "$log/$name.txt"
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log/$name.txt" | tail -1)
  if [ -n "$line" ]; then
    local total fail
    fail=$(sed -E 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
    passed=$((passed + total - fail))
    failed=$((failed + fail))
  elif grep -q 'No tests were found' "$log/$name.txt"; then
    :
  else
    failed=$((failed + 1))
  fi
}

ctest_tier build unit-release
ctest_tier build-asan unit-asan

export RESCIND_BIN=$PWD/build-asan/rescindd
export RESCIND_CLI=$PWD/build-asan/rescind
node --test --test-concurrency=1 --test-reporter=spec tests/e2e/ 2>&1 | tee "$log/e2e.txt"
e2e_rc=${PIPESTATUS[0]}
p=$(grep -E '^ℹ pass [0-9]+' "$log/e2e.txt" | tail -1 | awk '{print $3}')
f=$(grep -E '^ℹ fail [0-9]+' "$log/e2e.txt" | tail -1 | awk '{print $3}')
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
if [ "$e2e_rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then failed=$((failed + 1)); fi

rm -rf "$log"
echo
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
