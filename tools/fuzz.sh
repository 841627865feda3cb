#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each one on its
# committed corpus (fuzz/corpus/<target>/) for SECONDS, or to RUNS
# executions. New inputs that add coverage go to a scratch corpus, not the
# committed one (merge them by hand with -merge=1 when worth keeping).
#
#   tools/fuzz.sh [SECONDS] [RUNS]      default: 60 s each, no run limit
# Exit status: non-zero when any target crashed, leaked or hit a sanitizer
# report (the reproducer is written under build-fuzz/fuzz/artifacts/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
runs=${2:--1}
build=${SH_FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DSH_FUZZ=ON -DSH_BUILD_TESTS=OFF \
    -DSH_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
targets=(fuzz_csv_row fuzz_config fuzz_reload_message fuzz_lua_rule)
cmake --build "$build" --target "${targets[@]}"
mkdir -p "$build/fuzz/artifacts"
status=0
for t in "${targets[@]}"; do
  scratch="$build/fuzz/corpus-$t"
  mkdir -p "$scratch"
  log="$build/fuzz/$t.log"
  echo "fuzz: $t for ${seconds}s (runs limit $runs)"
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$t-" \
      "$scratch" "fuzz/corpus/$t" >"$log" 2>&1; then
    echo "fuzz: $t FAILED (see $log):" >&2
    tail -40 "$log" >&2
    status=1
  fi
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
  echo "fuzz: $t: ${execs:-?} executions, ${rate:-?}/s, $(ls "$build"/fuzz/artifacts/ | grep -c "^$t-" || true) crash artifacts"
done
exit $status
