#!/usr/bin/env bash
# The whole test suite: warning-free build, ctest (unit, integration,
# multi-process, interop), then the unit tests again and the fuzz targets
# under ASan+UBSan (clang).
# Starts the PostgreSQL and Redis servers the lock tests need if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)

bash scripts/bootstrap.sh
if [ -f scripts/services.sh ]; then
  # shellcheck disable=SC1091
  source scripts/services.sh
  datashard_services_start
fi

echo "== build (warnings are errors)"
bash scripts/build.sh
echo "== ctest"
(cd build && ctest --output-on-failure -j "$JOBS" --timeout 900)

echo "== unit tests and fuzz targets (a few seconds each) under AddressSanitizer + UndefinedBehaviorSanitizer"
bash scripts/build_asan.sh
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$JOBS" -L 'unit|fuzz' --timeout 900)
echo "== all tests passed"
