#!/usr/bin/env bash
# Checks that the SDK's C ABI (sdk/include/strategy_host/abi.h) is still
# compatible with the released ABI 1.1 baseline (sdk/abi/abi-1.1.xml), with
# abidiff from libabigail (Debian: abigail-tools).
#
# abidiff compares the ABI of binaries, not headers, so this builds a small
# probe library from the header: one exported function per struct, scalar
# typedef, function-pointer typedef and (anonymous) enum of abi.h, each
# taking that type, plus one enum that holds the value of every integer macro
# but SH_ABI_MINOR. abidw writes its ABI (types, members, offsets,
# enumerator values) as XML; abidiff compares it with the baseline's.
#
# Allowed (a minor version): members appended at the end of a struct, new
# types, new enumerators and macros. Anything else fails: a member removed,
# retyped, moved or inserted before the end, a function-pointer member's
# signature changed, a changed enumerator or macro value, a removed type.
#
# usage: tools/check-abi.sh [INCLUDE_DIR]     check INCLUDE_DIR/strategy_host/abi.h
#                                             (default: sdk/include)
#        tools/check-abi.sh --write-baseline  regenerate sdk/abi/abi-1.1.xml from
#                                             sdk/abi/v1.1/strategy_host/abi.h
# Exit status: 0 compatible, 1 incompatible, 2 cannot check (tools missing,
# the probe does not build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
baseline="$root/sdk/abi/abi-1.1.xml"

write=0
inc="$root/sdk/include"
if [ "${1:-}" = "--write-baseline" ]; then
  write=1
  inc="$root/sdk/abi/v1.1"
elif [ -n "${1:-}" ]; then
  inc=$(cd "$1" && pwd)
fi
header="$inc/strategy_host/abi.h"
[ -f "$header" ] || { echo "check-abi: no $header" >&2; exit 2; }
for tool in abidw abidiff c++; do
  command -v "$tool" >/dev/null || {
    echo "check-abi: $tool not found (tools/install-deps.sh installs abigail-tools)" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The probe's source, generated from the header so that a new type is covered
# without editing this script.
{
  echo '#include <strategy_host/abi.h>'
  echo '#define PROBE(name, type) extern "C" __attribute__((visibility("default"))) void sh_abi_probe_##name(type) {}'
  # typedef struct NAME { ...  -> the struct, by pointer
  sed -n 's/^typedef struct \(sh_[a-z0-9_]*\) {.*/PROBE(\1, \1 *)/p' "$header"
  # typedef int32_t NAME;  and function-pointer typedefs
  sed -n 's/^typedef [a-z0-9_]* \(sh_[a-z0-9_]*\);.*/PROBE(\1, \1)/p' "$header"
  sed -n 's/^typedef .*(\*\(sh_[a-z0-9_]*\))(.*/PROBE(\1, \1)/p' "$header"
  # enum { FIRST ...: the anonymous enum's type is decltype(FIRST) in C++
  awk '/^enum *\{/ { want = 1; sub(/^enum *\{/, "") }
       want && match($0, /SH_[A-Z0-9_]+/) {
         n = substr($0, RSTART, RLENGTH)
         printf "PROBE(enum_%s, decltype(%s) *)\n", n, n; want = 0 }' "$header"
  # Integer macros (not the minor version, which a minor release changes).
  echo 'enum sh_abi_probe_macros {'
  sed -n 's/^#define \(SH_[A-Z0-9_]*\) [^"_].*/  probe_\1 = (long long)(\1),/p' "$header" \
    | grep -v 'probe_SH_ABI_MINOR '
  echo '  probe_macros_end = -1 };  // fixed: a new macro must not move it'
  echo 'PROBE(macros, sh_abi_probe_macros *)'
} >"$work/probe.cpp"

# (Built in $work under a relative name, so the XML holds no temp path.)
if ! (cd "$work" && c++ -std=c++17 -g -O0 -shared -fPIC -fvisibility=hidden -I"$inc" \
      probe.cpp -o probe.so 2>cc.err); then
  echo "check-abi: the probe does not build from $header:" >&2
  cat "$work/cc.err" "$work/probe.cpp" >&2
  exit 2
fi
abidw --no-corpus-path --no-comp-dir-path --no-show-locs --no-architecture \
  --out-file "$work/current.xml" "$work/probe.so"

if [ $write -eq 1 ]; then
  cp "$work/current.xml" "$baseline"
  echo "check-abi: wrote $baseline from $header"
  exit 0
fi
[ -f "$baseline" ] || { echo "check-abi: no baseline $baseline" >&2; exit 2; }

set +e
abidiff --no-added-syms "$baseline" "$work/current.xml" >"$work/diff.txt" 2>&1
rc=$?
set -e
# abidiff's status is a bit field: 1 error, 2 usage error, 4 ABI change,
# 8 incompatible change (a probe function removed: a type or enum is gone).
if [ $rc -eq 0 ]; then
  echo "check-abi: $header has the ABI 1.1 layout unchanged"
  exit 0
fi
if [ $((rc & 3)) -ne 0 ]; then
  echo "check-abi: abidiff failed (status $rc):" >&2
  cat "$work/diff.txt" >&2
  exit 2
fi
# An ABI change (4) is allowed when every line of the report is one of those
# an append makes: a struct whose size grew with members inserted at or after
# its old end, new enumerators, and the lines that lead to them. Any other
# line (a member deleted, retyped or moved, a function-pointer member's
# signature changed, an enumerator's value changed, a typedef changed) fails.
# (abidiff's own suppression `has_data_member_inserted_at = end` is not used:
# libabigail 2.2 then also hides changes of the existing members.)
bad=$(awk '
  { line = $0; sub(/^ +/, "", line) }
  line ~ /^[0-9]+ enumerator insertions?:$/ { ins = 1; next }
  line ~ /^.[^ ]*::(probe_)?SH_[A-Z0-9_]+. value .-?[0-9]+.$/ && ins { next }
  { ins = 0 }
  line == "" { next }
  line ~ /^Functions changes summary: 0 Removed, [0-9]+ Changed/ { next }
  line ~ /^Variables changes summary: 0 Removed, [0-9]+ Changed/ { next }
  line ~ /^[0-9]+ functions? with some indirect sub-type changes?:$/ { next }
  line ~ /^\[C\] .function .* has some indirect sub-type changes:$/ { next }
  line ~ /^parameter [0-9]+ of type .* has sub-type changes:$/ { next }
  line ~ /^in pointed to type .*:$/ { next }
  line ~ /^in unqualified underlying type .*:$/ { next }
  line ~ /^underlying type .(struct|enum) sh_[a-z0-9_]*. changed:$/ { next }
  line ~ /^underlying type .enum __anonymous_enum__[0-9]*. changed:$/ { next }
  line ~ /^type of .* changed:$/ { next }
  line ~ /reported earlier$/ { next }
  line ~ /^[0-9]+ data member changes?( \([0-9]+ filtered\))?:$/ { next }
  line ~ /^type size hasn.t changed$/ { old = -1; next }
  line ~ /^type size changed from [0-9]+ to [0-9]+ \(in bits\)$/ {
    split(line, w, " "); old = w[5] + 0
    if (w[7] + 0 > old) next
  }
  line ~ /^[0-9]+ data member insertions?:$/ { next }
  line ~ /, at offset [0-9]+ \(in bits\)$/ && line !~ /offset changed/ {
    n = split(line, w, " "); off = w[n - 2] + 0
    if (old >= 0 && off >= old) next
  }
  { print "  " line }
' "$work/diff.txt")
if [ -z "$bad" ]; then
  echo "check-abi: $header is compatible with ABI 1.1 (appended changes only)"
  exit 0
fi
echo "check-abi: INCOMPATIBLE with ABI 1.1: a plugin built against 1.1 would break." >&2
echo "check-abi: only appending (members at the end of a struct, new enumerators, new types)" >&2
echo "check-abi: is a minor change; anything else needs SH_ABI_MAJOR 2. Not an append:" >&2
printf '%s\n' "$bad" >&2
echo "check-abi: abidiff's report:" >&2
cat "$work/diff.txt" >&2
exit 1
