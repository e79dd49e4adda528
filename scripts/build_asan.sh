#!/usr/bin/env bash
# Configures and builds the sanitizer tree build-asan: clang 14 with
# AddressSanitizer + UndefinedBehaviorSanitizer, the unit tests and the
# libFuzzer targets of fuzz/ on the same library objects. Used by
# scripts/test.sh and scripts/fuzz; extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
DATASHARD_BUILD_DIR=build-asan DATASHARD_BUILD_TYPE=Debug \
  bash scripts/build.sh -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 \
  -DDATASHARD_SANITIZE=ON -DDATASHARD_BUILD_FUZZERS=ON -DDATASHARD_BUILD_PYTHON=OFF \
  -DDATASHARD_BUILD_BENCH=OFF -DDATASHARD_BUILD_INTEGRATION_TESTS=OFF "$@"
