#!/usr/bin/env bash
# First command of the README: installs what datashard needs, builds it,
# installs the Python package into the repository's virtual environment .venv
# and runs the demo, which prints what it verified.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/build.sh
bash scripts/install_python.sh
bash scripts/demo.sh
