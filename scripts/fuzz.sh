#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang-19, ASan and UBSan (in
# build-fuzz/, or $PARCOURS_FUZZ_DIR) and runs them; docs/fuzzing.md says
# what each covers.
#
#   scripts/fuzz.sh [SECONDS] [TARGET]
#
# SECONDS (default 600) is the fuzzing time of each target; 0 only replays
# fuzz/regressions/. TARGET is `parse`, `events` or `all` (the default, one
# after the other). Exits 1 when a regression input still fails or the run
# found a crash, a timeout or an out-of-memory input; the inputs are then
# in build-fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${PARCOURS_FUZZ_DIR:-build-fuzz}"
seconds="${1:-600}"
target="${2:-all}"

if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [parse|events|all]" >&2
  exit 2
fi
case "$target" in
  parse | events) targets=("$target") ;;
  all) targets=(parse events) ;;
  *)
    echo "usage: scripts/fuzz.sh [SECONDS] [parse|events|all]" >&2
    exit 2
    ;;
esac

# --- Tools -------------------------------------------------------------------
# clang-19 comes with the project's packages; libFuzzer and the sanitizer
# runtimes for it are in a package of their own.
bash scripts/install-deps.sh
if ! dpkg-query -W -f='${Status}' libclang-rt-19-dev 2>/dev/null |
    grep -q "install ok installed"; then
  echo "parcours: installing libclang-rt-19-dev" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends libclang-rt-19-dev \
    >/dev/null
fi
# The check links an empty target, whatever folder layout the runtime uses.
probe="$(mktemp -d)"
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
  'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) {' \
  '  return 0;' '}' >"$probe/probe.cpp"
if ! clang++-19 -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" \
    -o "$probe/probe" 2>"$probe/log"; then
  echo "parcours: clang-19 cannot link a libFuzzer target:" >&2
  cat "$probe/log" >&2
  rm -rf "$probe"
  exit 2
fi
rm -rf "$probe"

# --- Build -------------------------------------------------------------------
# Every library is instrumented; only the fuzz targets link libFuzzer's
# main. -O1 without NDEBUG keeps the compiler's assertions on, and UBSan
# stops at its first report so that the fuzzer counts it as a crash.
sanitize="-fsanitize=fuzzer-no-link,address,undefined"
sanitize+=" -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CC=clang-19 CXX=clang++-19 cmake -S . -B "$build_dir" -G Ninja \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCMAKE_C_FLAGS="$sanitize" -DCMAKE_CXX_FLAGS="$sanitize" \
  -DPARCOURS_FUZZ=ON >/dev/null
build_targets=()
for name in "${targets[@]}"; do build_targets+=("${name}_fuzzer"); done
cmake --build "$build_dir" -j "$(nproc)" --target "${build_targets[@]}"

# --- Seeds -------------------------------------------------------------------
# The committed seeds plus, copied afresh each run, every `.journey` file of
# the examples and tests and the first lines of the example event files.
fill_seeds() {
  local name="$1" dir="$2"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp fuzz/corpus/"$name"/* "$dir"/
  case "$name" in
    parse)
      find examples tests -name '*.journey' -print0 |
        while IFS= read -r -d '' file; do
          cp "$file" "$dir/${file//\//_}"
        done
      ;;
    events)
      local example
      for file in examples/*/events-small.jsonl; do
        [ -f "$file" ] || continue
        example="$(basename "$(dirname "$file")")"
        head -n 40 "$file" | split -l 1 - "$dir/$example-"
      done
      ;;
  esac
}

# --- Replay regressions ------------------------------------------------------
# UBSan prints no stack trace unless asked.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
failed=0
for name in "${targets[@]}"; do
  binary="$build_dir/fuzz/${name}_fuzzer"
  for input in fuzz/regressions/"$name"/*; do
    [ -f "$input" ] || continue
    if ! "$binary" -timeout=10 -rss_limit_mb=4096 "$input" \
        >"$build_dir/replay.log" 2>&1; then
      echo "parcours: regression $input still fails:" >&2
      # The report's first line, then the top frames in Parcours code.
      grep -m 1 -E 'ERROR|runtime error|IR is invalid' \
        "$build_dir/replay.log" >&2 || true
      grep -E '^ +#[0-9]+ .* in (parcours|parcoursgrammar)::' \
        "$build_dir/replay.log" | head -n 3 | sed -E 's/ \(BuildId.*//' \
        >&2 || true
      failed=1
    fi
  done
done

# --- Fuzz --------------------------------------------------------------------
# Fork mode with one worker: one fuzzing process at a time (the machine is
# shared), and the run goes on past a crash so that one run collects them
# all.
for name in "${targets[@]}"; do
  [ "$seconds" -gt 0 ] || break
  binary="$build_dir/fuzz/${name}_fuzzer"
  corpus="$build_dir/corpus/$name"
  seeds="$build_dir/seeds/$name"
  artifacts="$build_dir/artifacts/$name/$(date +%Y%m%d-%H%M%S)"
  dict=fuzz/journey.dict
  [ "$name" = events ] && dict=fuzz/events.dict
  mkdir -p "$corpus" "$artifacts"
  fill_seeds "$name" "$seeds"

  echo "parcours: fuzzing $name for ${seconds}s" >&2
  "$binary" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -rss_limit_mb=4096 -dict="$dict" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$corpus" "$seeds" 2>&1 | tee "$build_dir/fuzz-$name.log" |
    grep -E '^(#[0-9]+: |INFO: fuzzed for|==[0-9]+==ERROR|SUMMARY|stat::)' ||
    true

  found=$(find "$artifacts" -type f | wc -l)
  if [ "$found" -gt 0 ]; then
    echo "parcours: $name: $found failing input(s) in $artifacts" >&2
    failed=1
  else
    rmdir "$artifacts"
    echo "parcours: $name: no crash in ${seconds}s" >&2
  fi
done
exit "$failed"
