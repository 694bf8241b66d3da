#!/bin/bash
# `make install DESTDIR=…` puts the plugin into `pkg-config --variable=plugindir purple` and the
# 16/22/48 px protocol icons into <datadir>/pixmaps/pidgin/protocols/<size>/, where Pidgin looks
# for them; `make uninstall` with the same DESTDIR removes them again. Prints TAP.
set -u
cd "$(dirname "$0")/../.."
root=$PWD

# Use the build directory the test runner built (TG_BUILD_DIR), as a path relative to the tree
# when it lies inside it, so make sees the same targets it built.
build=${TG_BUILD_DIR:-$root/build}
case "$build" in "$root"/*) build=${build#"$root"/} ;; esac

stage=$(mktemp -d "${TMPDIR:-/tmp}/tg-install.XXXXXX")
trap 'rm -rf "$stage" "$stage.log"' EXIT
trap 'exit 143' TERM HUP INT

plugindir=$(pkg-config --variable=plugindir purple)
datadir=$(pkg-config --variable=datadir purple)
pixdir=$datadir/pixmaps/pidgin/protocols
files=("$plugindir/libteams-graph.so")
for s in 16 22 48; do files+=("$pixdir/$s/teams-graph.png"); done

n=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check()  { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

echo "1..8"
if make -s --no-print-directory BUILD="$build" install DESTDIR="$stage" >"$stage.log" 2>&1; then
  ok "make install DESTDIR=… succeeds"
else
  not_ok "make install DESTDIR=… succeeds"; sed 's/^/# /' "$stage.log"
fi
rm -f "$stage.log"
for f in "${files[@]}"; do
  check "installed $f" '[ -s "$stage$f" ]'
done
# The installed plugin is the built one, byte for byte.
check "installed plugin equals $build/libteams-graph.so" \
  'cmp -s "$build/libteams-graph.so" "$stage$plugindir/libteams-graph.so"'
# The icons are PNGs of their nominal size (the 8-byte signature, then the IHDR width).
bad=""
for s in 16 22 48; do
  f=$stage$pixdir/$s/teams-graph.png
  w=$(od -An -tu1 -j16 -N4 "$f" 2>/dev/null | awk '{print $1*16777216+$2*65536+$3*256+$4}')
  sig=$(od -An -tx1 -N8 "$f" 2>/dev/null | tr -d ' \n')
  [ "$sig" = 89504e470d0a1a0a ] && [ "$w" = "$s" ] || bad="$bad $s"
done
check "icons are PNGs of 16, 22 and 48 px${bad:+ (wrong:$bad)}" '[ -z "$bad" ]'
if make -s --no-print-directory BUILD="$build" uninstall DESTDIR="$stage" >/dev/null 2>&1; then
  left=""
  for f in "${files[@]}"; do [ -e "$stage$f" ] && left="$left $f"; done
  check "make uninstall DESTDIR=… removes the plugin and icons${left:+ (left:$left)}" '[ -z "$left" ]'
else
  not_ok "make uninstall DESTDIR=… succeeds"
fi
