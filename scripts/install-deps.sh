#!/usr/bin/env bash
# Installs the system packages qworker needs (Qt 6 from Debian/Ubuntu, Xvfb, cmake, g++).
# Idempotent: does nothing when everything is present. Non-interactive.
#   scripts/install-deps.sh          # build + tests + viewer
#   scripts/install-deps.sh --bench  # also what scripts/bench.py needs (python3; the C++
#                                    # baselines need only cmake, g++ and Qt, listed already)
set -euo pipefail

PACKAGES=(
  g++ cmake pkg-config
  qt6-base-dev qt6-base-dev-tools qt6-declarative-dev qt6-declarative-dev-tools
  qt6-qpa-plugins libgl-dev
  qml6-module-qtquick qml6-module-qtquick-window qml6-module-qtqml
  qml6-module-qtqml-models qml6-module-qtqml-workerscript
  qml6-module-qtquick-controls qml6-module-qtquick-templates qml6-module-qtquick-layouts
  xvfb xauth lld
)
for arg in "$@"; do
  case "$arg" in
    --bench) PACKAGES+=(python3) ;;
  esac
done

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
else
  echo "install-deps: this script knows Debian/Ubuntu (apt) only." >&2
  echo "Install Qt 6 (>= 6.4) with the Core, Gui, Widgets, Qml and Quick modules," >&2
  echo "QtQuick Controls, cmake, a C++17 compiler and (optionally) Xvfb, then put qmake6" >&2
  echo "on PATH or set QMAKE=/path/to/qmake6." >&2
  command -v qmake6 >/dev/null 2>&1 || command -v qmake >/dev/null 2>&1 || exit 1
  exit 0
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present."
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done."
