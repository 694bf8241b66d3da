#!/bin/bash
# Runs test programs and sums up their TAP output into one line: "N passed, N failed".
# GTest binaries are run with --tap; shell tests (tests/clients/*.sh) print TAP themselves.
# A program that crashes, hangs (per-program timeout) or exits non-zero without a
# "not ok" line counts as one more failure, so a broken test can never look green.
#   VALGRIND=1  run every binary under valgrind (errors fail the program)
set -u
passed=0; failed=0; skipped=0
timeout_s=${TEST_TIMEOUT:-300}
logdir=${BUILD:-build}/test-logs
mkdir -p "$logdir"
export TG_BUILD_DIR=$(cd "${BUILD:-build}" && pwd)
export G_DEBUG=fatal-criticals GIO_USE_PROXY_RESOLVER=dummy GSETTINGS_BACKEND=memory
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "$@"; do
  name=$(basename "$t")
  log="$logdir/$name.log"
  case "$t" in
    *.sh) cmd=(bash "$t") ;;
    *.py) cmd=(python3 "$t") ;;
    *) if [ "${VALGRIND:-}" = 1 ]; then
         cmd=(valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite
              --suppressions=tests/valgrind.supp --num-callers=30 "$t" --tap)
       else
         cmd=("$t" --tap)
       fi ;;
  esac
  timeout -k 10 "$timeout_s" "${cmd[@]}" >"$log" 2>&1
  rc=$?
  p=$(grep -cE '^ok [0-9]+' "$log" | head -1)
  s=$(grep -cE '^ok [0-9]+.*# ?SKIP' "$log" | head -1)
  f=$(grep -cE '^not ok [0-9]+' "$log" | head -1)
  p=$((p - s))
  extra=0
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then extra=1; fi
  passed=$((passed + p)); skipped=$((skipped + s)); failed=$((failed + f + extra))
  status=ok; [ $((f + extra)) -gt 0 ] && status=FAIL
  printf '%-4s %-40s %3d passed, %d failed, %d skipped%s\n' "$status" "$name" "$p" "$((f + extra))" "$s" \
    "$([ $extra -eq 1 ] && echo " (exit $rc; see $log)")"
  if [ "$status" = FAIL ]; then
    grep -E '^not ok|ERROR|ERROR:|AddressSanitizer|runtime error|==[0-9]+==' "$log" | head -20 | sed 's/^/     /'
  fi
  grep -E '^# SKIP|# SKIP' "$log" | head -3 | sed 's/^/     /'
done
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
