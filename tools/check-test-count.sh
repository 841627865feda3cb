#!/usr/bin/env bash
# Fails unless ctest runs every Catch2 test case exactly once.
#
# catch_discover_tests turns each name Catch lists into one ctest entry; a
# name it cannot carry (a ';' splits it) becomes entries that match no test,
# and Catch exits 0 on "No tests ran" unless told otherwise. This compares the
# two counts, and the discovery passes --warn NoTests so such an entry fails.
#
# usage: tools/check-test-count.sh BUILD_DIR   (default: build)
set -euo pipefail
build=${1:-build}
tests_bin="$build/tests/sh_tests"
[ -x "$tests_bin" ] || { echo "check-test-count: $tests_bin not built" >&2; exit 2; }

# (--list-test-names-only exits with the number of tests, not 0.)
names=$("$tests_bin" --list-test-names-only || true)
catch_count=$(printf '%s\n' "$names" | grep -c .)
# Entries discovered from sh_tests: every ctest entry except this check
# itself, the size check (tools/check-sizes.sh) and the plugins' own test
# executables (sh_add_plugin_test in plugins/<name>/, named plugin_test_<name>).
ctest_count=$(ctest --test-dir "$build" -N | grep -E '^ *Test +#[0-9]+:' \
  | grep -v ': host_src_size_limits$' | grep -v ': plugin_test_[a-z0-9_]*$' \
  | grep -vc ': every_test_case_runs_under_ctest$')
# A ';' splits a name into entries; a leading '-' makes it an option.
bad_names=$(printf '%s\n' "$names" | grep -c -E ';|^-' || true)

echo "check-test-count: Catch2 lists $catch_count test cases; ctest has $ctest_count entries for them"
status=0
if [ "$catch_count" -ne "$ctest_count" ]; then
  echo "check-test-count: FAIL: the counts differ (a test name ctest cannot carry?)" >&2
  status=1
fi
if [ "$bad_names" -ne 0 ]; then
  echo "check-test-count: FAIL: $bad_names test name(s) contain ';' (ctest splits it) or start with '-' (Catch reads an option):" >&2
  printf '%s\n' "$names" | grep -E ';|^-' >&2
  status=1
fi
exit $status
