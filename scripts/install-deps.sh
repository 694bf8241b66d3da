#!/bin/sh
# Installs the Debian packages this project needs when they are missing.
# Called by the Makefile; safe to run again (does nothing when all is there).
#   scripts/install-deps.sh build   - libraries and tools to build the plugin
#   scripts/install-deps.sh check   - plus what the tests drive (bitlbee, finch, tmux, valgrind, clang)
set -e
mode=${1:-build}
pkgs="build-essential pkg-config libpurple-dev libglib2.0-dev libsoup-3.0-dev libjson-glib-dev glib-networking"
if [ "$mode" = check ] || [ "$mode" = demo ]; then
  pkgs="$pkgs finch bitlbee-libpurple tmux valgrind clang libclang-rt-14-dev python3"
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq $missing >&2
