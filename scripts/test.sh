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

step() { echo "== scripts/test.sh: $1 ($(date +%T))"; }

step "cargo test"
cargo test --no-fail-fast
# loom models of the mailbox, control block and hub ready list: src/core/ built alone
# (core-loom/, no Qt, no C++), with loom's primitives.
step "loom models"
cargo test -p qworker-core-loom loom_models
# A downstream app crate with its own cxx-qt bridge and QML module (examples/downstream).
step "downstream app self-test"
cargo run -p qworker-downstream
# 60 s of random starts, pauses, sends, quits and drops on a real event loop (debug build).
step "soak, 60 s"
cargo run --example soak -- --seconds 60
# default-features = false: no Qt Quick, no Qt Widgets linked (examples/lean).
step "lean app: linked libraries and run"
scripts/check-lean.sh
# The package builds from what it ships (cargo package verifies by building it).
step "cargo package"
cargo package -p qworker-macros -p qworker --allow-dirty
# The verify build shares this target directory, and cargo gives the packaged copy's build
# script the same unit as the workspace's: its dep-info then names the copy under
# target/package/, so a later edit of build.rs would go unnoticed. Forget those fingerprints.
grep -l "package/qworker-" "${CARGO_TARGET_DIR:-target}"/debug/.fingerprint/qworker-*/dep-build-script-* 2>/dev/null \
  | xargs -r dirname | xargs -r rm -rf
step "fmt, clippy"
cargo fmt --check
cargo clippy --workspace --all-targets -- -D warnings
# A plain C++ CMake application using qworker (examples/cpp_host): builds and runs its
# self-test. Last: its cargo build sets cxx-qt's export variables, which re-runs qworker's build
# script; earlier steps would then re-run it once more.
step "C++ host"
scripts/test-cpp-host.sh
echo "scripts/test.sh: all tests and lints passed"
