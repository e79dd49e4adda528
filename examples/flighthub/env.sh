# Sourced by run and simulate: picks a Python that has Flask and puts the
# flighthub package and, in a source checkout with the module built, the
# repository's datashard package on PYTHONPATH. FLIGHTHUB_PYTHON overrides
# the interpreter.
flighthub_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_python="$flighthub_dir/../../python"
if [ -z "${FLIGHTHUB_PYTHON:-}" ]; then
  for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import flask' 2>/dev/null; then
      FLIGHTHUB_PYTHON="$candidate"
      break
    fi
  done
fi
if [ -z "${FLIGHTHUB_PYTHON:-}" ]; then
  echo "flighthub: no python3 with Flask found (Debian: apt-get install python3-flask; or set FLIGHTHUB_PYTHON)" >&2
  exit 2
fi
PYTHONPATH="$flighthub_dir${PYTHONPATH:+:$PYTHONPATH}"
if compgen -G "$repo_python/datashard/_datashard*.so" >/dev/null; then
  PYTHONPATH="$(cd "$repo_python" && pwd):$PYTHONPATH"
fi
export PYTHONPATH FLIGHTHUB_PYTHON
