#!/usr/bin/env bash
# Configures and builds Parcours into build/ (or $PARCOURS_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PARCOURS_BUILD_DIR:-build}"

bash scripts/install-deps.sh
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
