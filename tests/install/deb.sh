#!/usr/bin/env bash
# Builds the Debian package from a build folder with cpack (which finds
# everything built), unpacks it into a scratch root with dpkg -x and runs
# what it carries from there: the CLI creates, appends to and scans a table;
# with PYTHON given, the Python module imports and `-m datashard` runs the CLI.
# LIBDIR and PYTHONDIR are the install folders, relative to the prefix.
# Usage: deb.sh BUILD_DIR LIBDIR [PYTHONDIR PYTHON]
set -euo pipefail
BUILD_DIR=$1 LIBDIR=$2 PYTHONDIR=${3:-} PYTHON=${4:-}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root

expect() {
  if [ "$1" != "$2" ]; then
    echo "FAIL: $3: got '$1', expected '$2'" >&2
    exit 1
  fi
}

cpack -G DEB --config "$BUILD_DIR/CPackConfig.cmake" -B "$WORK/out" >/dev/null
debs=("$WORK"/out/datashard_*.deb)
expect "${#debs[@]}" 1 "packages made"
deb=${debs[0]}
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libstdc++6 libzstd1 libsnappy1v5 libpq5 libhiredis; do
  case "$depends" in *"$lib"*) ;; *) expect "$depends" "... $lib ..." "Depends" ;; esac
done
dpkg -x "$deb" "$ROOT"
for file in usr/bin/datashard usr/include/datashard/table.h "usr/$LIBDIR/cmake/datashard/datashardConfig.cmake" \
  "usr/$LIBDIR/pkgconfig/datashard.pc" "usr/$LIBDIR/libdatashard.a" "usr/$LIBDIR/libdatashard.so"; do
  [ -e "$ROOT/$file" ] || expect "missing" "present" "$file in the package"
done

DS=$ROOT/usr/bin/datashard
"$DS" create "$WORK/events" --schema \
  '[{"id":1,"name":"record_id","type":"long","required":true},{"id":2,"name":"value","type":"string","required":true}]' \
  >/dev/null
printf '{"record_id": 1, "value": "A"}\n{"record_id": 2, "value": "B"}\n' | "$DS" append "$WORK/events" - >/dev/null
expect "$("$DS" scan "$WORK/events")" $'{"record_id":1,"value":"A"}\n{"record_id":2,"value":"B"}' "scan"

if [ -n "$PYTHON" ]; then
  case "$depends" in *"python3 (>= "*) ;; *) expect "$depends" "... python3 (>= ...) ..." "Depends" ;; esac
  SITE=$ROOT/usr/$PYTHONDIR
  expect "$(cd "$WORK" && env -u DATASHARD_CLI PYTHONPATH="$SITE" "$PYTHON" -c \
    'import datashard; print(datashard.__file__); print(datashard.open_table("events").count())')" \
    "$SITE/datashard/__init__.py"$'\n'2 "python module"
  usage=$(env -u DATASHARD_CLI PYTHONPATH="$SITE" "$PYTHON" -m datashard --help | grep '^Usage:')
  expect "$usage" "Usage: $SITE/datashard/bin/datashard [OPTIONS] SUBCOMMAND" "python3 -m datashard --help"
fi
echo "ok: $(basename "$deb") unpacks and runs"
