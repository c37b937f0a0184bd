#!/usr/bin/env bash
# The whole test suite, headless: installs the Qt packages if missing, then runs every test
# (core unit + stress tests, Qt and QML tests on a real event loop, doc tests, the C++ host's
# self-test) and the lints.
# Each Qt test binary ends with a line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# GCC's precompiled header of the Qt headers every C++ file includes (.cargo/config.toml):
# each of cxx-qt-lib's and qworker's C++ files then compiles in about a third of the time.
scripts/build-pch.sh
# No display needed: Qt renders offscreen unless the caller chose a platform (e.g. xcb under xvfb-run).
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

step() { echo "== scripts/test.sh: $1 ($(date +%T))"; }

# The C++ host's cargo build (the last step) runs with cxx-qt-build's export variables, which
# qworker's build script follows. The steps that build qworker the same way run with the same
# values, so that script (qworker's C++) runs once for all of them, not once more for the host.
# The host's CMakeLists.txt puts the export directory at <build dir>/cxxqt.
export QWORKER_CPP_BUILD_DIR="${QWORKER_CPP_BUILD_DIR:-$PWD/target/cpp_host}"
export CXX_QT_EXPORT_DIR="$QWORKER_CPP_BUILD_DIR/cxxqt"
export CXX_QT_EXPORT_CRATE_qworker=1
# For the builds of qworker with other features or from other sources (the lean app, the
# package): they must not write their own exports over the host's.
no_export() { env -u CXX_QT_EXPORT_DIR -u CXX_QT_EXPORT_CRATE_qworker "$@"; }

step "cargo test: build"
cargo test --no-fail-fast --no-run
# 60 s of random starts, pauses, sends, quits and drops on a real event loop (debug build;
# `cargo test` built the example). Its length is fixed, so it runs beside the next steps, at a
# lower priority (nice 10): the test binaries run on one core at a time and the compiles
# leave CPU idle, which the soak takes; what needs the CPU gets it first.
step "soak, 60 s, in the background (its output follows the downstream app)"
soak_log="target/soak.log"
nice -n 10 cargo run -q --example soak -- --seconds 60 >"$soak_log" 2>&1 &
soak_pid=$!
trap 'kill "$soak_pid" 2>/dev/null || true' EXIT
step "cargo test: run"
cargo test --no-fail-fast
# loom models of the mailbox, control block and hub ready list: src/core/ built alone
# (core-loom/, no Qt, no C++), with loom's primitives.
step "loom models"
cargo test -p qworker-core-loom loom_models
# A downstream app crate with its own cxx-qt bridge and QML module (examples/downstream).
step "downstream app self-test"
cargo run -p qworker-downstream
step "soak: result"
soak_ok=0
wait "$soak_pid" || soak_ok=$?
trap - EXIT
cat "$soak_log"
if [ "$soak_ok" != 0 ]; then
  echo "scripts/test.sh: the soak failed (exit code $soak_ok)" >&2
  exit 1
fi
# default-features = false: no Qt Quick, no Qt Widgets linked (examples/lean).
step "lean app: linked libraries and run"
no_export scripts/check-lean.sh
# The package builds from what it ships (cargo package verifies by building it), with every
# feature named rather than through `default`: the verify build shares this target directory,
# and with the workspace's feature set cargo would give the packaged copy's build script the
# same unit as the workspace's (its dep-info would then name the copy, and the next step
# would build qworker's C++ again).
step "cargo package"
no_export cargo package -p qworker-macros -p qworker --allow-dirty \
  --no-default-features --features qworker/image,qworker/widgets,qworker/testing
step "fmt, clippy"
cargo fmt --check
cargo clippy --workspace --all-targets -- -D warnings
# A plain C++ CMake application using qworker (examples/cpp_host): builds and runs its
# self-test. Its cargo build finds qworker's build-script run of the steps above (same export
# variables) and builds only the host's tasks crate.
step "C++ host"
scripts/test-cpp-host.sh
echo "scripts/test.sh: all tests and lints passed"
