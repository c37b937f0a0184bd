#!/usr/bin/env bash
# The whole test suite, headless: installs the Qt packages if missing, then runs every test
# (core unit + stress tests, Qt and QML tests on a real event loop, doc tests, the C++ host's
# self-test) and the lints.
# Each Qt test binary ends with a line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# No display needed: Qt renders offscreen unless the caller chose a platform (e.g. xcb under xvfb-run).
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

cargo test --no-fail-fast
# A plain C++ CMake application using qworker (examples/cpp_host): builds and runs its self-test.
scripts/test-cpp-host.sh
cargo fmt --check
cargo clippy --all-targets -- -D warnings
echo "scripts/test.sh: all tests and lints passed"
