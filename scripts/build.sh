#!/usr/bin/env bash
# Configures and builds one CMake preset (default: dev). Usage: scripts/build.sh [PRESET]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-dev}
jobs=${HEADWAY_JOBS:-$(nproc)}
# HEADWAY_WERROR=ON (set by scripts/test.sh) turns every warning into an error.
cmake --preset "$preset" -DHEADWAY_WERROR="${HEADWAY_WERROR:-OFF}" >/dev/null
cmake --build --preset "$preset" -j "$jobs"
