#!/usr/bin/env bash
# Sets up the machine, builds, and runs the main job: a simulated cluster scenario with its report.
#   tools/demo.sh [kvsim demo options...]     e.g. tools/demo.sh --seed 42 --duration 5m
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
./tools/build.sh release
exec ./build/release/tools/kvsim demo "$@"
