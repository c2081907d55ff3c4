#!/usr/bin/env bash
# Sets up the machine, builds, and runs the main job: a simulated Dynamo cluster under faults,
# judged by the checkers, with its report.
#   tools/demo.sh [kvsim cluster options...]     e.g. tools/demo.sh --seed 42 --duration 2m
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
./tools/build.sh release
exec ./build/release/tools/kvsim cluster "$@"
