#!/usr/bin/env bash
# Installs everything datashard needs on Debian 12: build tools, libraries,
# the PostgreSQL and Redis servers its lock tests use, and the npm test
# oracles. Idempotent: safe to re-run; it skips what is already present.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build clang clang-format libclang-rt-14-dev pkg-config
  libzstd-dev libsnappy-dev zlib1g-dev nlohmann-json3-dev libsimdjson-dev libcli11-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql redis-server redis-tools libhiredis-dev
  libgtest-dev libbenchmark-dev librapidcheck-dev
  pybind11-dev python3-dev python3-pytest python3-numpy python3-pandas python3-flask chromium
  python3-pip python3-venv python3-build dpkg-dev file
  libgmock-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from another source that bundles npm; take Debian's only if absent.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm oracles (DuckDB, hyparquet, icebird, avsc) and puppeteer-core (drives Debian's
# chromium in the flighthub browser test), pinned by package-lock.json.
if [ -f tests/interop/package-lock.json ]; then
  lock_sum=$(sha256sum tests/interop/package-lock.json | cut -d' ' -f1)
  stamp=tests/interop/node_modules/.datashard-lock-sum
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
    (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_sum" > "$stamp"
  fi
fi
