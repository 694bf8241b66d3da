#!/bin/bash
# `make demo` end to end, non-interactively: scripts/demo.sh runs under tmux with Finch
# (DEMO_CLIENT=finch), as a person would run it in a terminal. Asserts that the sign-in dialog
# shows the emulator's device code, that Finch reaches a connected buddy list holding the demo
# chats, that a colleague answers a message typed to Bob (seen in Finch's own log), and that
# quitting Finch (Alt+q) ends the demo leaving no emulator, colleagues or profile behind.
# Prints TAP; skipped only when finch or tmux are missing.
set -u
cd "$(dirname "$0")/../.."
root=$PWD
for b in finch tmux python3; do
  command -v "$b" >/dev/null || { echo "1..0 # SKIP $b not installed"; exit 0; }
done
build=${TG_BUILD_DIR:-$root/build}
case "$build" in "$root"/*) build=${build#"$root"/} ;; esac
note=""
# A sanitizer build's plugin cannot be loaded by Finch (preloading the ASan runtime into it
# hangs, real-clients.md): the demo then runs an uninstrumented build of the same tree.
if ldd "$build/libteams-graph.so" 2>/dev/null | grep -q 'libclang_rt\.asan'; then
  plain=${build%/}-plain
  if ! out=$(make -s --no-print-directory BUILD="$plain" SANITIZE= all 2>&1); then
    echo "1..1"; echo "not ok 1 - an uninstrumented build for Finch"; printf '%s\n' "$out" | tail -20 | sed 's/^/# /'
    exit 1
  fi
  build=$plain
  note="# the plugin is an AddressSanitizer build, which Finch cannot load; the demo runs the uninstrumented build $plain"
fi
case "$build" in /*) ;; *) build=$root/$build ;; esac

T=$(mktemp -d "${TMPDIR:-/tmp}/tg-demo-test.XXXXXX")
sock=$T/tmux.sock
pf=$T/profile-file
tm() { tmux -S "$sock" "$@"; }
profile="" fg_pid="" col_pid="" base="" finch_pid=""
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
cleanup() {
  tm kill-server 2>/dev/null
  for p in $finch_pid $col_pid $fg_pid; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do alive "$p" || break; sleep 0.2; done
    alive "$p" && kill -9 "$p" 2>/dev/null
  done
  [ -n "$profile" ] && case "$profile" in */teams-graph-demo.*) rm -rf "$profile" ;; esac
  rm -rf "$T"
}
trap cleanup EXIT
trap "exit 143" TERM HUP INT

n=0 failed=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'; fi; }
screen() { tm capture-pane -p -t 0 2>/dev/null; }
# wait_for <seconds> <command…>: polls the command every 0.25 s until it succeeds (bounded).
wait_for() {
  local end=$((SECONDS + $1)); shift
  while ! "$@"; do [ $SECONDS -ge $end ] && return 1; sleep 0.25; done
}
ctl() { python3 -c '
import json, sys, urllib.request
o = urllib.request.build_opener(urllib.request.ProxyHandler({}))
print(json.dumps(json.load(o.open(sys.argv[1], timeout=5))))' "$base$1" 2>/dev/null; }

echo "1..7"
[ -n "$note" ] && echo "$note"
tm -f /dev/null new-session -d -x 140 -y 40 \
  "env -i HOME=$T TERM=screen-256color LANG=C.UTF-8 PATH=/usr/bin:/bin GIO_USE_PROXY_RESOLVER=dummy \
   BUILD='$build' DEMO_CLIENT=finch DEMO_PROFILE_FILE='$pf' '$root/scripts/demo.sh'"

# 1. The demo comes up: emulator, colleagues and profile are ready (demo.sh says so in $pf).
wait_for 30 test -s "$pf"
if [ -s "$pf" ]; then
  profile=$(sed -n 1p "$pf")
  base=$(awk '$1 == "base" {print $2}' "$pf")
  fg_pid=$(awk '$1 == "fake-graph" {print $2}' "$pf")
  col_pid=$(awk '$1 == "colleagues" {print $2}' "$pf")
fi
alive "$fg_pid" && alive "$col_pid" && [ -d "$profile/purple" ]
ok $? "the demo starts the emulator, the colleagues and a throwaway profile" "$(screen)"

# 2. The sign-in dialog shows the device code the emulator issued (as Microsoft would).
code=""
code_shown() {
  [ -n "$code" ] || code=$(ctl /_fake/user-code | python3 -c 'import json,sys; print(json.load(sys.stdin).get("userCode") or "")' 2>/dev/null)
  [ -n "$code" ] && screen | grep -qF "$code"
}
wait_for 30 code_shown
ok $? "Finch shows the sign-in with the device code ${code:-?}" "$(screen)"
finch_pid=$(pgrep -P "$(tm display-message -p -t 0 '#{pane_pid}' 2>/dev/null || echo 0)" -x finch 2>/dev/null | head -1)

# 3. Connected, with the demo chats in the buddy list: the one-on-ones under "Teams", the
#    group chats under "Teams Group Chats".
blist_ready() {
  local s; s=$(screen)
  grep -q "Bob Builder" <<<"$s" && grep -q "Grace Hopper" <<<"$s" && grep -q "Lunch crew" <<<"$s" &&
    grep -q "Teams Group Chats" <<<"$s" && ! grep -qF "${code:-@@none@@}" <<<"$s"
}
wait_for 40 blist_ready
ok $? "Finch is connected and its buddy list holds the demo chats" "$(screen)"

# 4. A colleague answers: a message typed into Bob's conversation gets a reply from Bob,
#    which lands in Finch's own text log.
bob_window() {
  local i=0 t
  IFS='│' read -ra titles <<<"$(screen | grep -v '^ *$' | tail -n 1)"
  for t in "${titles[@]}"; do
    i=$((i + 1))
    case "$t" in *"Bob Builder"*) win=$i; return 0 ;; esac
  done
  return 1
}
win=""
token=demo$RANDOM$RANDOM
answered() {
  local f
  f=$(grep -rlF "$token" "$profile/purple/logs" 2>/dev/null | head -1)
  [ -n "$f" ] && sed -n "/$token/,\$p" "$f" | tail -n +2 | grep -q "Bob Builder"
}
if wait_for 20 bob_window && [ "$win" -le 9 ]; then
  tm send-keys -t 0 "M-$win"
  sleep 0.5
  tm send-keys -t 0 -l "Are we still on for the review? ($token)"
  tm send-keys -t 0 Enter
  wait_for 30 answered
  ok $? "Bob answers a message typed in his conversation (M-$win), in Finch's log" \
    "$(screen; ls -R "$profile/purple/logs" 2>/dev/null | tail -5)"
else
  ok 1 "Bob answers a message typed in his conversation" "no Bob Builder window on the task bar:
$(screen)"
fi

# 5. Alt+q quits Finch, and with it the demo.
tm send-keys -t 0 M-q
wait_for 20 bash -c "! tmux -S '$sock' has-session 2>/dev/null"
ok $? "Alt+q quits Finch and the demo ends" "$(screen)"

# 6. Nothing is left running: emulator, colleagues, Finch.
gone() { [ -n "$finch_pid" ] && ! alive "$fg_pid" && ! alive "$col_pid" && ! alive "$finch_pid"; }
wait_for 10 gone
ok $? "no emulator, colleagues or Finch process is left" \
  "$(ps -o pid,stat,cmd -p "${fg_pid:-0},${col_pid:-0},${finch_pid:-0}" 2>/dev/null)"

# 7. The throwaway profile is gone.
[ -n "$profile" ] && [ ! -e "$profile" ]
ok $? "the throwaway profile $profile is removed"
[ $failed -eq 0 ]
