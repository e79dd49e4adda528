#!/usr/bin/env bash
# The demo run by scripts/setup.sh: writes a Parquet file with the datashard
# CLI, reads it back with DuckDB and prints every check; exits non-zero on
# any mismatch. Needs a build (scripts/build.sh) and the npm oracles
# (scripts/bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${DATASHARD_BUILD_DIR:-build}
CLI="$PWD/$BUILD_DIR/datashard"
if [ ! -x "$CLI" ]; then
  echo "demo: $CLI not found; run scripts/build.sh first" >&2
  exit 1
fi
node tests/interop/parquet_demo.mjs "$CLI"
