#!/usr/bin/env bash
# Builds Parcours and runs the whole test suite with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PARCOURS_BUILD_DIR:-build}"

bash scripts/build.sh
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)"
