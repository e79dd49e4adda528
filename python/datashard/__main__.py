"""`python3 -m datashard ARGS...` runs the datashard command-line tool with ARGS.

The tool is bin/datashard inside the package when installed (the wheel
carries it; `cmake --install` links it to the installed CLI), else the one
the extension was built with; DATASHARD_CLI overrides it.
"""

import os
import sys

from . import _datashard


def _candidates():
    override = os.environ.get("DATASHARD_CLI")
    if override:
        return [override]
    here = os.path.dirname(os.path.abspath(__file__))
    return [
        os.path.join(here, "bin", "datashard"),
        _datashard.CLI_PATH,
        os.path.join(here, "..", "..", "build", "datashard"),
    ]


def main():
    candidates = _candidates()
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            os.execv(path, [path] + sys.argv[1:])
    sys.stderr.write(
        "datashard: the command-line tool is not built (looked for "
        + ", ".join(os.path.normpath(p) for p in candidates)
        + "); build it with scripts/build.sh or set DATASHARD_CLI\n"
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
