#!/usr/bin/env bash
# Keeps the size limits of docs/ARCHITECTURE.md true (a ctest entry runs it):
#   host/src/pipeline/pipeline.cpp          under 400 lines (the loop stays a loop)
#   every file under host/src/              at most 800 lines
#   every function of the hot path          at most 80 lines, where the hot path
#     is what one minute close runs: pipeline/, conveyor/, detectors/,
#     decision/, events/, lua/ and every stage (*_stage.cpp); not the
#     load-time lua/rule_instrument.cpp (rewrites a rule's source once) nor
#     lua/rule_prelude.cpp (the prelude's Lua text, compiled once per rule)
# and the include directions that keep the stages apart:
#   a stage header (conveyor_stage.h, detection_stage.h, decision_stage.h,
#     output_stage.h, alert_stage.h, daily_report_stage.h, swap_stage.h) is
#     included only by its own .cpp (or a part of it, <stage>_<part>.cpp) and by
#     pipeline/pipeline.cpp (the list of stages): stages never include each other
#   nothing outside cli/ and main.cpp includes cli/
# A function is counted from the line that opens its body to the `}` in
# column 0 that closes it (clang-format puts it there); lines of its
# signature above are not counted.
#
# usage: tools/check-sizes.sh [REPO_ROOT]   (default: the script's repo)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
src="$root/host/src"
[ -d "$src" ] || { echo "check-sizes: $src not found" >&2; exit 2; }
status=0

pipeline_lines=$(wc -l < "$src/pipeline/pipeline.cpp")
echo "check-sizes: host/src/pipeline/pipeline.cpp has $pipeline_lines lines (limit: under 400)"
if [ "$pipeline_lines" -ge 400 ]; then
  echo "check-sizes: FAIL: pipeline.cpp has $pipeline_lines lines" >&2
  status=1
fi

sizes=$(cd "$src" && find . -type f \( -name '*.cpp' -o -name '*.h' \) -exec wc -l {} + |
  grep -v ' total$' | sed 's#\./##' | sort -rn)
largest=$(echo "$sizes" | sed -n 1p | awk '{print $2 " (" $1 " lines)"}')
echo "check-sizes: largest file under host/src: $largest (limit: 800)"
over=$(echo "$sizes" | awk '$1 > 800')
if [ -n "$over" ]; then
  echo "check-sizes: FAIL: files over 800 lines:" >&2
  echo "$over" >&2
  status=1
fi

hot=$(cd "$src" && { find pipeline conveyor detectors decision events lua -name '*.cpp';
      find . -name '*_stage.cpp' -o -name '*_stage_*.cpp' | sed 's#^\./##'; } |
      grep -v -e '^lua/rule_instrument\.cpp$' -e '^lua/rule_prelude\.cpp$')
longest=""
long_fns=""
for f in $(echo "$hot" | sort -u); do
  out=$(awk -v file="$f" '
    # Outside functions: a class body in a .cpp is skipped whole; any other
    # line ending in "{" (not a namespace) opens a function body, which the
    # next "}" in column 0 closes.
    !in_fn && !in_class && /^(class|struct|union|enum)[[:space:]].*\{[[:space:]]*$/ { in_class = 1; next }
    in_class { if ($0 ~ /^}/) in_class = 0; next }
    !in_fn && /\{[[:space:]]*$/ && $0 !~ /^(namespace|extern)[[:space:]]/ && $0 !~ /^[[:space:]]*\/\// {
      in_fn = 1; start = NR; next
    }
    in_fn && /^}/ { print NR - start - 1, file ":" start; in_fn = 0 }
  ' "$src/$f")
  [ -n "$out" ] && longest+="$out"$'\n'
done
top=$(echo -n "$longest" | sort -rn | sed -n 1p)
echo "check-sizes: longest hot-path function body: ${top#* } (${top%% *} lines; limit: 80)"
bad=$(echo -n "$longest" | awk '$1 > 80')
if [ -n "$bad" ]; then
  echo "check-sizes: FAIL: hot-path functions over 80 lines (lines, file:line of the opening brace):" >&2
  echo "$bad" | sort -rn >&2
  status=1
fi
stage_re='#include "(conveyor/conveyor_stage|detectors/detection_stage|decision/decision_stage|events/output_stage|control/swap_stage|ops/alert_stage|ops/daily_report_stage)\.h"'
stray=$(cd "$src" && grep -rEn "$stage_re" --include='*.cpp' --include='*.h' . | sed 's#^\./##' |
  grep -v '^pipeline/pipeline\.cpp:' |
  awk -F: '{ split($1, f, "."); inc = $0; sub(/.*#include "/, "", inc); sub(/\.h".*/, "", inc);
             if (f[1] != inc && index(f[1], inc "_") != 1) print }')
cli_users=$(cd "$src" && grep -rln '#include "cli/' --include='*.cpp' --include='*.h' . |
  sed 's#^\./##' | grep -v -e '^cli/' -e '^main\.cpp$' || true)
echo "check-sizes: stage headers included outside their stage and pipeline.cpp: ${stray:-none}; cli/ included outside cli/: ${cli_users:-none}"
if [ -n "$stray" ] || [ -n "$cli_users" ]; then
  echo "check-sizes: FAIL: include direction (see docs/ARCHITECTURE.md)" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "check-sizes: OK"
exit $status
