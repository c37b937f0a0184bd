#!/usr/bin/env bash
# Installs what qworker needs (Debian/Ubuntu), builds the example viewer and runs it.
# With a display: the viewer window. Without one (no DISPLAY/WAYLAND_DISPLAY, e.g. a server
# or CI): every scenario runs headless on the offscreen platform, one PNG per scenario goes to
# out/viewer/ and one summary line per scenario is printed.
#   scripts/run-viewer.sh                    # window, or headless tour when there is no display
#   scripts/run-viewer.sh --headless         # the tour even with a display
#   scripts/run-viewer.sh --out shots/       # another folder for the screenshots
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if ! command -v cargo >/dev/null 2>&1; then
  echo "run-viewer: cargo not found; install Rust from https://rustup.rs first" >&2
  exit 1
fi
# The precompiled Qt headers (.cargo/config.toml): the first build's C++ in a third of the time.
scripts/build-pch.sh
# A release build: the scenarios compute on 512x512 images (the first build takes minutes).
cargo build --release --example viewer
exec cargo run --quiet --release --example viewer -- "$@"
