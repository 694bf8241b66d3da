#!/bin/bash
# make demo — the plugin in a real client against the bundled Graph emulator.
#
# Starts build/fake-graph with the demo organisation (tests/fake-graph/demo-tenant.json, you are
# alice@contoso.com), makes a throwaway client profile whose account points at it, brings the
# colleagues to life (scripts/demo-colleagues.py: one-on-one partners answer you, someone talks in
# a group chat now and then, presence changes) and opens Finch in this terminal — or Pidgin with
# DEMO_CLIENT=pidgin when $DISPLAY is set. Sign-in shows a device code as Microsoft would; the
# emulator approves it by itself. Quitting the client stops everything and removes the profile.
#
# Environment:
#   BUILD=build               where the plugin and fake-graph were built
#   DEMO_CLIENT=finch|pidgin  the client (default finch; pidgin needs $DISPLAY)
#   DEMO_PROFILE_FILE=<file>  once everything is up, write into <file> the profile directory
#                             (line 1), "base <url>", "fake-graph <pid>", "colleagues <pid>"
#   DEMO_KEEP_PROFILE=1       keep the profile directory after quitting (its path is printed)
#   DEMO_PORT=<n>             the emulator's port (default: any free port)
#   DEMO_QUIET=1              no colleagues (an idle organisation)
#   DEMO_APPROVE_POLLS=<n>    the emulator approves the device code at the n-th poll (default 4,
#                             so that you see the code for a few seconds)
set -u
cd "$(dirname "$0")/.."
root=$PWD
BUILD=${BUILD:-build}
client=${DEMO_CLIENT:-finch}
tenant=$root/tests/fake-graph/demo-tenant.json
me=alice@contoso.com

die() { echo "demo: $*" >&2; exit 1; }

case "$client" in
  finch) command -v finch >/dev/null || die "finch is not installed (apt-get install finch)" ;;
  pidgin)
    command -v pidgin >/dev/null || die "pidgin is not installed (apt-get install pidgin)"
    [ -n "${DISPLAY:-}" ] || die "DEMO_CLIENT=pidgin needs a display (\$DISPLAY is not set)" ;;
  *) die "DEMO_CLIENT must be finch or pidgin, not '$client'" ;;
esac
[ -x "$BUILD/fake-graph" ] || die "$BUILD/fake-graph is missing: run 'make demo' (or make BUILD=$BUILD)"
[ -f "$BUILD/libteams-graph.so" ] || die "$BUILD/libteams-graph.so is missing: run 'make demo'"
[ -f "$tenant" ] || die "$tenant is missing"

profile=$(mktemp -d "${TMPDIR:-/tmp}/teams-graph-demo.XXXXXX") || die "mktemp failed"
fg_pid=""
col_pid=""
cleanup() {
  trap - EXIT INT TERM HUP
  [ -n "$col_pid" ] && kill "$col_pid" 2>/dev/null
  [ -n "$fg_pid" ] && kill "$fg_pid" 2>/dev/null
  for p in $col_pid $fg_pid; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$p" 2>/dev/null
  done
  wait 2>/dev/null
  if [ "${DEMO_KEEP_PROFILE:-}" = 1 ]; then
    echo "demo: profile kept in $profile"
  else
    rm -rf "$profile"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- the emulator ----
fg_args=(--port "${DEMO_PORT:-0}" --tenant "$tenant")
# --demo (when this emulator has it): the organisation comes alive with photos and history.
if "$BUILD/fake-graph" --help 2>&1 | grep -q -- '--demo'; then fg_args+=(--demo); fi
"$BUILD/fake-graph" "${fg_args[@]}" >"$profile/fake-graph.out" 2>"$profile/fake-graph.log" &
fg_pid=$!
base=""
for _ in $(seq 1 100); do
  base=$(head -n 1 "$profile/fake-graph.out" 2>/dev/null | tr -d '\r')
  case "$base" in http*) break ;; esac
  kill -0 "$fg_pid" 2>/dev/null || break
  sleep 0.1
done
case "$base" in
  http*) ;;
  *) cat "$profile/fake-graph.log" >&2; die "the emulator did not start" ;;
esac
base=${base%/}
# Approve the device code only after a few polls, so that the sign-in dialog can be read.
python3 - "$base" "${DEMO_APPROVE_POLLS:-4}" <<'PY' || die "the emulator does not answer at $base"
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/_fake/identity", method="POST",
                             data=json.dumps({"autoApprove": int(sys.argv[2])}).encode(),
                             headers={"Content-Type": "application/json"})
urllib.request.build_opener(urllib.request.ProxyHandler({})).open(req, timeout=10).read()
PY

# ---- the client profile: plugin, account (auto-login), logging ----
purple=$profile/purple
mkdir -p "$purple/plugins"
cp "$BUILD/libteams-graph.so" "$purple/plugins/"
xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e "s/'/\&apos;/g"; }
cat >"$purple/accounts.xml" <<EOF
<?xml version='1.0' encoding='UTF-8' ?>
<account version='1.0'>
 <account>
  <protocol>prpl-teams-graph</protocol>
  <name>$me</name>
  <alias>Alice (demo)</alias>
  <settings>
   <setting name='graph_url' type='string'>$(printf '%s' "$base/v1.0" | xml_escape)</setting>
   <setting name='login_url' type='string'>$(printf '%s' "$base" | xml_escape)</setting>
   <setting name='poll_interval' type='int'>2</setting>
  </settings>
  <settings ui='gnt-purple'>
   <setting name='auto-login' type='bool'>1</setting>
  </settings>
  <settings ui='gtk-gaim'>
   <setting name='auto-login' type='bool'>1</setting>
  </settings>
 </account>
</account>
EOF
cat >"$purple/prefs.xml" <<'EOF'
<?xml version='1.0' encoding='UTF-8' ?>
<pref version='1' name='/'>
 <pref name='purple'>
  <pref name='logging'>
   <pref name='log_ims' type='bool' value='1'/>
   <pref name='log_chats' type='bool' value='1'/>
   <pref name='log_system' type='bool' value='0'/>
   <pref name='format' type='string' value='txt'/>
  </pref>
 </pref>
 <pref name='pidgin'>
  <pref name='blist'>
   <pref name='show_offline_buddies' type='bool' value='1'/>
   <pref name='show_empty_groups' type='bool' value='0'/>
  </pref>
 </pref>
 <pref name='finch'>
  <pref name='blist'>
   <pref name='showoffline' type='bool' value='1'/>
   <pref name='emptygroups' type='bool' value='0'/>
  </pref>
 </pref>
</pref>
EOF

# ---- the colleagues ----
if [ "${DEMO_QUIET:-}" != 1 ]; then
  python3 "$root/scripts/demo-colleagues.py" --base "$base" --tenant "$tenant" --me "$me" \
    >"$profile/colleagues.log" 2>&1 &
  col_pid=$!
fi

if [ -n "${DEMO_PROFILE_FILE:-}" ]; then
  { printf '%s\n' "$profile"; echo "base $base"; echo "fake-graph $fg_pid"; [ -n "$col_pid" ] && echo "colleagues $col_pid"
  } >"$DEMO_PROFILE_FILE.tmp" && mv "$DEMO_PROFILE_FILE.tmp" "$DEMO_PROFILE_FILE"
fi

echo "demo: the Graph emulator runs at $base (you are $me); starting $client…"
echo "demo: sign-in shows a device code — the emulator approves it by itself."
if [ "$client" = pidgin ]; then
  # Pidgin reads protocol icons from its system directory only, never from a profile.
  icons=$(pkg-config --variable=datadir purple 2>/dev/null || echo /usr/share)/pixmaps/pidgin/protocols
  [ -f "$icons/16/teams-graph.png" ] ||
    echo "demo: the Teams icon shows in Pidgin's account list after 'make install' (into $icons)."
fi
sleep 1

# ---- the client, in the foreground; quitting it ends the demo ----
case "$client" in
  finch) finch -c "$purple" ;;
  pidgin) pidgin -c "$purple" ;;
esac
exit 0
