#!/usr/bin/env bash
# Install the system libraries for offscreen GL and a real Qt window, where missing (Debian/Ubuntu, needs root).
set -euo pipefail
pkgs="xvfb xauth libegl1 libgl1 libgl1-mesa-dri libglx-mesa0 libosmesa6 libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libfontconfig1 libdbus-1-3 imagemagick"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -z "$missing" ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing system packages:$missing"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
