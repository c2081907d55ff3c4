#!/usr/bin/env bash
# Configures and builds one build type into build/<type>.
#   tools/build.sh [release|asan]      (default: release)
# release: -O2. asan: AddressSanitizer + UndefinedBehaviorSanitizer, -O1.
set -euo pipefail
cd "$(dirname "$0")/.."

type="${1:-release}"
case "$type" in
  release) cmake_type=Release ;;
  asan) cmake_type=Asan ;;
  *) echo "build.sh: unknown build type '$type' (expected release or asan)" >&2; exit 2 ;;
esac

cmake -S . -B "build/$type" -G Ninja -DCMAKE_BUILD_TYPE="$cmake_type" >/dev/null
ninja -C "build/$type"
