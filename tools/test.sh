#!/usr/bin/env bash
# Sets up the machine, builds, and runs the whole test suite. This is what CI runs.
#   tools/test.sh              release build and tests, then the ASan+UBSan build and tests
#   tools/test.sh --release    release only
#   tools/test.sh --asan       ASan+UBSan only
# KV_SEEDS=<n> raises the number of seeds the property tests run (long mode).
set -euo pipefail
cd "$(dirname "$0")/.."

modes=(release asan)
case "${1:-}" in
  "") ;;
  --release) modes=(release) ;;
  --asan) modes=(asan) ;;
  *) echo "test.sh: unknown option '$1' (expected --release or --asan)" >&2; exit 2 ;;
esac

./tools/setup.sh
for mode in "${modes[@]}"; do
  echo "== $mode: build"
  ./tools/build.sh "$mode"
  echo "== $mode: test"
  # ASan: leak checking is on; UBSan findings abort the test.
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1" \
    ctest --test-dir "build/$mode" --output-on-failure -j "$(nproc)" --timeout 900
done
echo "== all tests passed (${modes[*]})"
