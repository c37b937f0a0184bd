#!/usr/bin/env bash
# Builds examples/lean (qworker with default-features = false), checks that the program links
# neither Qt Quick nor Qt Widgets (ELF NEEDED entries), and runs it (it ends with
# "N passed, N failed"), then runs its W3 mode (10,000 function workers, each value checked;
# scripts/bench.py measures it in a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p qworker-lean
exe="${CARGO_TARGET_DIR:-target}/debug/qworker-lean"
needed=$(readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
echo "qworker-lean links: $(echo $needed)"
if echo "$needed" | grep -Eq 'libQt6(Quick|Widgets|QuickControls2)'; then
  echo "check-lean: a default-features = false build links Qt Quick or Qt Widgets" >&2
  exit 1
fi
QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" "$exe"
QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}" "$exe" W3
