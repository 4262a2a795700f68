#!/usr/bin/env bash
# Installs the dependencies (once), configures and builds binq into build/.
# Safe to run again: every step is incremental. Extra arguments go to CMake,
# e.g. tools/dev/build.sh -DBINQ_WITH_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/dev/install_deps.sh
BUILD_DIR="${BINQ_BUILD_DIR:-build}"
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ $# -gt 0 ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BINQ_BUILD_TYPE:-Release}" "$@"
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
