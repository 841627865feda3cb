#!/usr/bin/env bash
# Keeps the size limits of docs/ARCHITECTURE.md true (a ctest entry runs it):
#   host/src/pipeline/pipeline.cpp          under 400 lines (the loop stays a loop)
#   every file under host/src/              at most 800 lines
#   every function of the hot path          at most 80 lines, where the hot path
#     is what one minute close runs: pipeline/, conveyor/, detectors/,
#     decision/, events/, lua/ and every stage (*_stage.cpp)
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

largest=$(find "$src" -type f \( -name '*.cpp' -o -name '*.h' \) -exec wc -l {} + |
  grep -v ' total$' | sort -rn | head -1)
echo "check-sizes: largest file under host/src: ${largest# *} (limit: 800)"
over=$(find "$src" -type f \( -name '*.cpp' -o -name '*.h' \) -exec wc -l {} + |
  grep -v ' total$' | awk '$1 > 800')
if [ -n "$over" ]; then
  echo "check-sizes: FAIL: files over 800 lines:" >&2
  echo "$over" >&2
  status=1
fi

hot=$(cd "$src" && find pipeline conveyor detectors decision events lua -name '*.cpp' 2>/dev/null;
      cd "$src" && find . -name '*_stage.cpp' | sed 's#^\./##')
longest=""
long_fns=""
for f in $(echo "$hot" | sort -u); do
  out=$(awk -v file="$f" '
    function is_start(line) {
      return line ~ /\{[[:space:]]*$/ && line !~ /^(namespace|class|struct|enum|union|extern)[[:space:]]/ &&
             line !~ /^[[:space:]]*\/\//
    }
    !in_fn && /^[^[:space:]#\/}]/ { sig = NR }
    !in_fn && is_start($0) && (substr($0, 1, 1) != " " || sig > 0) && depth0 {
      in_fn = 1; start = NR; name = sig_text; next
    }
    { }
    in_fn && /^}/ { n = NR - start - 1; print n, file ":" start; in_fn = 0; sig = 0 }
    BEGIN { depth0 = 1 }
  ' "$src/$f")
  [ -n "$out" ] && longest+="$out"$'\n'
done
top=$(echo -n "$longest" | sort -rn | head -1)
echo "check-sizes: longest hot-path function body: ${top#* } (${top%% *} lines; limit: 80)"
bad=$(echo -n "$longest" | awk '$1 > 80')
if [ -n "$bad" ]; then
  echo "check-sizes: FAIL: hot-path functions over 80 lines (lines, file:line of the opening brace):" >&2
  echo "$bad" | sort -rn >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "check-sizes: OK"
exit $status
