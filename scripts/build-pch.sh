#!/usr/bin/env bash
# Precompiles scripts/pch/qt_prelude.h for this repository's cargo builds (.cargo/config.toml
# includes that header in every C++ file): target/pch/qt_prelude.h.gch/, GCC's format.
# Does nothing when the precompiled header is newer than the header and than Qt's headers.
# scripts/test.sh runs it first; run it yourself before a cold `cargo build` to build faster.
#
# GCC uses a precompiled header only when the file's compiler and options fit (the same -std,
# optimisation and target options; -g may differ); else it includes the header as text.
set -euo pipefail
cd "$(dirname "$0")/.."

cxx="${CXX:-c++}"
if ! "$cxx" --version 2>/dev/null | grep -qi "free software foundation"; then
  echo "build-pch: $cxx is not GCC; no precompiled header (the header is included as text)."
  exit 0
fi
qmake="${QMAKE:-$(command -v qmake6 || command -v qmake || true)}"
if [ -z "$qmake" ]; then
  echo "build-pch: no qmake6 on PATH; no precompiled header." >&2
  exit 0
fi
qt="$("$qmake" -query QT_INSTALL_HEADERS)"
header=scripts/pch/qt_prelude.h
out=target/pch/qt_prelude.h.gch
# The flags cc-rs gives a C++ file on x86_64 Linux, with cxx-qt-build's -std=c++17: one file
# per profile (GCC tries each file in the .gch directory and uses the first that fits).
# dev: qworker's own C++ (debug info on); GCC uses it for the dependencies' files as well
# (built without -g: their objects come out the same). release: -O3, line tables
# (`debug = 1` in Cargo.toml), for the viewer and the benchmarks.
common=(-ffunction-sections -fdata-sections -fPIC)
frame=(-fno-omit-frame-pointer)
case "$(uname -m)" in
  x86_64) frame+=(-mno-omit-leaf-frame-pointer); common_tail=(-m64 -march=x86-64) ;;
  *) common_tail=() ;;
esac
build() {
  local name="$1"; shift
  local pch="$out/$name"
  if [ -f "$pch" ] && [ "$pch" -nt "$header" ] && [ "$pch" -nt "$qt/QtCore/qtcore-config.h" ]; then
    return 0
  fi
  # Written beside the .gch directory, then moved in: GCC tries every file in that directory,
  # and a half-written one (an interrupted run) must not be among them.
  local tmp="target/pch/$name.gch.tmp"
  "$cxx" "$@" "${common_tail[@]}" -std=c++17 -I "$qt" -I "$qt/QtCore" \
    -x c++-header "$header" -o "$tmp"
  mv "$tmp" "$pch"
  echo "build-pch: $pch"
}
mkdir -p "$out"
build dev -O0 "${common[@]}" -g -gdwarf-4 "${frame[@]}" &
dev=$!
build release -O3 "${common[@]}" -g1 -gdwarf-4 "${frame[@]}" &
release=$!
wait "$dev" && wait "$release"
