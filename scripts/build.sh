#!/usr/bin/env bash
# Configures and builds Parcours into build/ (or $PARCOURS_BUILD_DIR):
# every target, or only those named (`bash scripts/build.sh parcours`
# builds the command without the test programs).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PARCOURS_BUILD_DIR:-build}"

bash scripts/install-deps.sh
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
