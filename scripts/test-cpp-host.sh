#!/usr/bin/env bash
# Builds the C++ host example (examples/cpp_host: CMake + a cargo-built Rust static library)
# and runs its headless self-test, which ends with "N passed, N failed" and fails the script
# on any failure. Reuses its build directory, so a rerun only rebuilds what changed.
#   scripts/test-cpp-host.sh                      # build dir: target/cpp_host, Release
#   QWORKER_CPP_BUILD_DIR=/tmp/b QWORKER_CPP_BUILD_TYPE=Debug scripts/test-cpp-host.sh
# Release is the default: its cold build was not slower than Debug's here (cxx-qt-lib's C++
# dominates either way) and its static library is 37 MB instead of 240 MB. First build:
# several minutes on 2 cores; a rerun with nothing changed: about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

scripts/install-deps.sh
build_dir="${QWORKER_CPP_BUILD_DIR:-$root/target/cpp_host}"
build_type="${QWORKER_CPP_BUILD_TYPE:-Release}"
jobs="${QWORKER_CPP_JOBS:-$(nproc 2>/dev/null || echo 2)}"

# The example has its own cargo target dir inside the build dir; an outer CARGO_TARGET_DIR
# (e.g. the crate's own) must not redirect it.
unset CARGO_TARGET_DIR

# The example's Rust crate is its own workspace, outside the crate's `cargo fmt --check`.
cargo fmt --check --manifest-path examples/cpp_host/tasks/Cargo.toml

generator=()
if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi
cmake -S examples/cpp_host -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="$build_type"
cmake --build "$build_dir" --parallel "$jobs"

export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
"$build_dir/qworker_cpp_host" --selftest
echo "scripts/test-cpp-host.sh: the C++ host self-test passed"
