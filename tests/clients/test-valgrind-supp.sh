#!/bin/bash
# tests/valgrind.supp hides only the libraries' own leaks. tests/valgrind/soup-cycle.c runs one
# SoupServer life cycle released the way ours are: under valgrind with the suppressions it must be
# clean, and the same program forgetting one of its references (the server; a stolen connection)
# must still fail. Prints TAP.
set -u
cd "$(dirname "$0")/../.." || exit 1
build=${TG_BUILD_DIR:-$PWD/build}

if ! command -v valgrind >/dev/null; then
  echo "1..0 # SKIP valgrind is not installed"
  exit 0
fi
bin=$build/tests/valgrind/soup-cycle
log=$(mktemp "${TMPDIR:-/tmp}/tg-vgsupp.XXXXXX")
trap 'rm -f "$log"' EXIT
trap 'exit 143' TERM HUP INT
mkdir -p "$(dirname "$bin")"
echo "1..4"
# shellcheck disable=SC2046  # pkg-config prints several words on purpose
if ! cc -std=c11 -O2 -g -Wall -Wextra -Wno-unused-parameter -o "$bin" tests/valgrind/soup-cycle.c \
     $(pkg-config --cflags --libs libsoup-3.0) >"$log" 2>&1; then
  sed 's/^/# /' "$log"
  for i in 1 2 3 4; do echo "not ok $i - soup-cycle builds"; done
  exit 1
fi

export GIO_USE_PROXY_RESOLVER=dummy
n=0
# run MODE SUPPRESSIONS(yes|no): valgrind's exit code (97: definite leaks), the report in $log
run() {
  local supp=()
  [ "$2" = yes ] && supp=(--suppressions=tests/valgrind.supp)
  valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite \
    "${supp[@]}" --num-callers=30 "$bin" "$1" >"$log" 2>&1
}
expect() {   # expect DESCRIPTION WANTED_RC GOT_RC [PATTERN that the report must hold]
  n=$((n + 1))
  if [ "$3" -eq "$2" ] && { [ -z "${4:-}" ] || grep -q "$4" "$log"; }; then
    echo "ok $n - $1"
  else
    echo "not ok $n - $1 (valgrind exit $3, wanted $2)"
    grep -E 'definitely lost|by 0x|at 0x' "$log" | head -30 | sed 's/^/# /'
  fi
}

run clean yes; expect "a released SoupServer is clean with the suppressions" 0 $?
run forget-server yes
expect "an unref'd SoupServer we forgot still fails" 97 $? 'soup_server_new'
run forget-stream yes
expect "a stolen connection we forgot to unref still fails" 97 $? 'definitely lost'
run clean no; rc=$?
n=$((n + 1))
if [ $rc -eq 97 ]; then
  echo "ok $n - libsoup still leaks on its own (its entries in tests/valgrind.supp are needed)"
else
  echo "ok $n - # libsoup no longer leaks here: the libsoup entries in tests/valgrind.supp can go"
fi
