#!/usr/bin/env bash
# Builds the C++ host example (examples/cpp_host: CMake + a cargo-built Rust static library)
# and runs its headless self-test, which ends with "N passed, N failed" and fails the script
# on any failure. Reuses its build directory, so a rerun only rebuilds what changed.
#   scripts/test-cpp-host.sh                      # build dir: target/cpp_host, Debug
#   QWORKER_CPP_BUILD_DIR=/tmp/b QWORKER_CPP_BUILD_TYPE=Release scripts/test-cpp-host.sh
# Debug is the default, and cargo builds in the repository's target/ (the tasks crate is a
# workspace member): the Rust side then reuses what `cargo test` built, cxx-qt-lib's C++
# included, instead of compiling it again in release (about 5 minutes cold on 2 cores).
# Only qworker's build script runs again (the export variables differ). A rerun with nothing
# changed: about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

scripts/install-deps.sh
build_dir="${QWORKER_CPP_BUILD_DIR:-$root/target/cpp_host}"
build_type="${QWORKER_CPP_BUILD_TYPE:-Debug}"
jobs="${QWORKER_CPP_JOBS:-$(nproc 2>/dev/null || echo 2)}"

# cargo builds where the tests built (CARGO_TARGET_DIR or target/), so nothing is built twice.
cargo_target="${CARGO_TARGET_DIR:-$root/target}"
# cargo finds qmake as `cargo test` did (QMAKE as set, or on PATH): qt-build-utils rebuilds
# cxx-qt-lib's C++ whenever QMAKE changes.
pass_qmake=OFF

generator=()
if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
  generator=(-G Ninja)
fi
cmake -S examples/cpp_host -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="$build_type" \
  -DQWORKER_CARGO_TARGET_DIR="$cargo_target" -DQWORKER_PASS_QMAKE="$pass_qmake"
cmake --build "$build_dir" --parallel "$jobs"

export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
"$build_dir/qworker_cpp_host" --selftest
echo "scripts/test-cpp-host.sh: the C++ host self-test passed"
