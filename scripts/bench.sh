#!/usr/bin/env bash
# Builds the benchmarks in bench/ in a Release build (build-bench/, or
# $PARCOURS_BENCH_DIR) and runs them; docs/performance.md says what they
# measure. Arguments go to the predicate benchmark: [PROFILES [REPETITIONS]];
# PARCOURS_REPLAY_ARGS to the replay benchmark (e.g. "--events 10000000
# --profiles 1000000"), PARCOURS_TIMERS_ARGS to the timer benchmark
# ("--instances 10000000"), PARCOURS_MEMORY_ARGS to the memory benchmark
# ("--program full").
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PARCOURS_BENCH_DIR:-build-bench}"

bash scripts/install-deps.sh

# LuaJIT is the engine the JIT is compared with; only the benchmarks need
# it, so scripts/install-deps.sh does not install it.
packages=(luajit libluajit-5.1-dev pkgconf)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
      grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "parcours: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DPARCOURS_BENCH=ON >/dev/null
cmake --build "$build_dir" -j "$(nproc)" --target parcours \
  parcours_bench_predicates parcours_bench_compile parcours_bench_replay \
  parcours_bench_timers parcours_bench_memory

echo
"$build_dir/bench/parcours_bench_predicates" "$@"
echo
"$build_dir/bench/parcours_bench_compile" "$build_dir/parcours"
echo
# shellcheck disable=SC2086 # the arguments are meant to be split
"$build_dir/bench/parcours_bench_replay" ${PARCOURS_REPLAY_ARGS:-}
echo
# shellcheck disable=SC2086 # the arguments are meant to be split
"$build_dir/bench/parcours_bench_timers" ${PARCOURS_TIMERS_ARGS:-}
echo
# shellcheck disable=SC2086 # the arguments are meant to be split
"$build_dir/bench/parcours_bench_memory" ${PARCOURS_MEMORY_ARGS:-}
