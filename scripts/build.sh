#!/usr/bin/env bash
# Configures and builds datashard into build/ (or $DATASHARD_BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DDATASHARD_SANITIZE=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${DATASHARD_BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${DATASHARD_BUILD_TYPE:-RelWithDebInfo}" \
  -DDATASHARD_WERROR=ON -DPython_EXECUTABLE=/usr/bin/python3 "$@" >/dev/null
cmake --build "$BUILD_DIR"
