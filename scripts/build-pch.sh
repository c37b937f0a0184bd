#!/usr/bin/env bash
# Precompiles scripts/pch/qt_prelude.h for this repository's cargo builds (.cargo/config.toml
# includes that header in every C++ file): target/pch/qt_prelude.h.gch/, GCC's format.
# Does nothing when the precompiled header is newer than the header and than Qt's headers.
# scripts/test.sh runs it first; run it yourself before a cold `cargo build` to build faster.
#
# GCC uses a precompiled header only when the file's compiler and options match; else it
# includes the header as text. Of the options cc-rs passes, GCC requires the same
# -std, -O level and target options: the one file here is made with what cargo's dev profile
# passes to qworker's own C++ (debug info on), and GCC uses it for the dependencies' files too
# (built without -g: the objects come out the same). Release builds include the header as text.
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
pch="$out/dev"
if [ -f "$pch" ] && [ "$pch" -nt "$header" ] && [ "$pch" -nt "$qt/QtCore/qtcore-config.h" ]; then
  exit 0
fi
mkdir -p "$out"
# The flags cc-rs gives a dev-profile C++ file of a workspace member on x86_64 Linux, and
# cxx-qt-build's -std=c++17.
flags=(-O0 -ffunction-sections -fdata-sections -fPIC -g -gdwarf-4 -fno-omit-frame-pointer)
case "$(uname -m)" in
  x86_64) flags+=(-mno-omit-leaf-frame-pointer -m64 -march=x86-64) ;;
esac
"$cxx" "${flags[@]}" -std=c++17 -I "$qt" -I "$qt/QtCore" -x c++-header "$header" -o "$pch.tmp"
mv "$pch.tmp" "$pch"
echo "build-pch: $pch"
