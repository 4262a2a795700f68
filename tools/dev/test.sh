#!/usr/bin/env bash
# Builds binq (installing what it needs) and runs every test suite with CTest.
# Tests labelled `gpu` skip, saying why, on machines without a CUDA device.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/dev/build.sh
ctest --test-dir "${BINQ_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)"
