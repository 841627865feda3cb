#!/usr/bin/env bash
# A store that lasts (issue 17 point 5): a simulated month at 1,000 symbols
# through the host binary, with state.retention_days, against the same
# stream on a fixed 1 GiB map (what the host did before the map could grow:
# it stopped with "map full"). Prints minutes closed, wall time, the data
# file's size, the map's growths and bytes per stored symbol-minute.
#
#   bench/store_30d.sh [path/to/host]        (Release build: build-rel/bin/host)
#   DAYS=30 SYMBOLS=1000 RETENTION_DAYS=7 EPS=40 bench/store_30d.sh
set -euo pipefail
HOST=${1:-build-rel/bin/host}
DAYS=${DAYS:-30}
SYMBOLS=${SYMBOLS:-1000}
RETENTION_DAYS=${RETENTION_DAYS:-7}
EPS=${EPS:-40}  # events per second over all symbols: 2.4 per symbol-minute at 1,000 symbols
HOST=$(cd "$(dirname "$HOST")" && pwd)/$(basename "$HOST")
work=$(mktemp -d "${TMPDIR:-/tmp}/sh_store_30d.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

config() {  # name state_yaml duration_s
  cat > "$1.yaml" <<YAML
host: {mode: replay, state_dir: state_$1, output_dir: out_$1}
providers:
  - name: synth
    plugin: synthetic
    config: {symbol_count: $SYMBOLS, duration_s: $3, events_per_second: $EPS, seed: 7}
detectors:
  - {name: return_spike, plugin: return_spike, config: {}}
state: {durability: process, $2}
YAML
}

run() {  # name -> prints "exit wall_s"
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "$HOST" run --config "$1.yaml" > "$1.out" 2> "$1.err" || rc=$?
  t1=$(date +%s.%N)
  echo "$rc $(echo "$t1 - $t0" | bc)"
}

minutes() { grep -o '"minutes_closed": *[0-9]*' "out_$1/run_summary.json" 2>/dev/null | grep -o '[0-9]*$' || echo 0; }

secs=$((DAYS * 86400))
config grow "map_size_mb: 1024, retention_days: $RETENTION_DAYS" "$secs"
config fixed "map_size_mb: 1024, max_map_size_mb: 1024" "$secs"
config day "map_size_mb: 1024" 86400

read -r rc wall < <(run grow)
size=$(stat -c %s state_grow/data.mdb)
growths=$(grep -c "map grown" grow.err || true)
kept_minutes=$(awk -v d="$RETENTION_DAYS" 'BEGIN { printf "%d", d * 1440 }')
closed=$(minutes grow)
[ "$kept_minutes" -gt "$closed" ] && kept_minutes=$closed
echo "grow+retention: exit $rc, $closed minutes closed of $((DAYS * 1440)), ${wall} s wall," \
     "data.mdb $((size >> 20)) MB, $growths map growths," \
     "$(awk -v s="$size" -v m="$kept_minutes" -v n="$SYMBOLS" 'BEGIN { printf "%.0f", s / (m * n) }') bytes per stored symbol-minute ($RETENTION_DAYS days kept)"

read -r rc wall < <(run day)
size=$(stat -c %s state_day/data.mdb)
echo "one day, no retention: exit $rc, $(minutes day) minutes, data.mdb $((size >> 20)) MB," \
     "$(awk -v s="$size" -v n="$SYMBOLS" 'BEGIN { printf "%.0f", s / (1440 * n) }') bytes per symbol-minute"

read -r rc wall < <(run fixed)
closed=$(grep -o 'writing minute [0-9T:-]*Z' fixed.err | head -1 || true)
echo "baseline, fixed 1 GiB map: exit $rc after ${wall} s, $(minutes fixed) minutes closed" \
     "($(awk -v m="$(minutes fixed)" 'BEGIN { printf "%.2f", m / 1440 }') days); stopped ${closed:-never}"
