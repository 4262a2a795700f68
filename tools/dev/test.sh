#!/usr/bin/env bash
# Builds binq (installing what it needs) and runs every test suite with CTest.
# Tests labelled `gpu` skip, saying why, on machines without a CUDA device.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/dev/build.sh
# clang checks the ABSL_GUARDED_BY annotations that gcc ignores.
tools/dev/check_thread_safety.py "${BINQ_BUILD_DIR:-build}"
ctest --test-dir "${BINQ_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
