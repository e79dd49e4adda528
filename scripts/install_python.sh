#!/usr/bin/env bash
# Installs the datashard Python package with pip into this repository's
# virtual environment .venv (or $DATASHARD_VENV; created from Debian's
# python3 when absent), the route README "Install" describes. pip reuses the
# CMake build folder build/ (or $DATASHARD_BUILD_DIR), so nothing compiles
# again; no network is used. Removes the datashard.pth files older versions
# of this script wrote for this clone into the interpreters' site-packages.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${DATASHARD_BUILD_DIR:-build}
VENV=${DATASHARD_VENV:-.venv}
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

for py in /usr/bin/python3 python3; do
  command -v "$py" >/dev/null 2>&1 || continue
  for dir in $("$py" -c 'import site, sysconfig; print(sysconfig.get_paths()["purelib"], site.getusersitepackages())'); do
    if [ -f "$dir/datashard.pth" ] && [ "$(cat "$dir/datashard.pth")" = "$(pwd -P)/python" ]; then
      rm -f "$dir/datashard.pth"
      echo "datashard: removed $dir/datashard.pth (the package now lives in $VENV)"
    fi
  done
done

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
DATASHARD_CMAKE_BUILD_DIR=$BUILD_DIR "$VENV/bin/python" -m pip install --quiet --no-build-isolation --no-index \
  --no-cache-dir .
echo "datashard: installed into $VENV; use $VENV/bin/python, or 'source $VENV/bin/activate' for python and datashard"
