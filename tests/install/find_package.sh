#!/usr/bin/env bash
# Installs a build folder into a temporary prefix and builds the outside
# project examples/find_package against it twice, as users would: through
# find_package(datashard) with the static library (whose dependencies the
# package finds), and through the pkg-config file with the shared library.
# Each program appends to and scans a table.
# Usage: find_package.sh BUILD_DIR SOURCE_DIR LIBDIR CMAKE_GENERATOR CXX_COMPILER
set -euo pipefail
BUILD_DIR=$1 SOURCE_DIR=$2 LIBDIR=$3 GENERATOR=$4 CXX=$5
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix
EXAMPLE=$WORK/example

expect() {
  if [ "$1" != "$2" ]; then
    echo "FAIL: $3: got '$1', expected '$2'" >&2
    exit 1
  fi
}

# --strip keeps the copy small: the build folder's archive carries debug info.
cmake --install "$BUILD_DIR" --prefix "$PREFIX" --strip >/dev/null

cmake -S "$SOURCE_DIR/examples/find_package" -B "$EXAMPLE" -G "$GENERATOR" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_PREFIX_PATH="$PREFIX" -Ddatashard_USE_STATIC_LIBS=ON >/dev/null
cmake --build "$EXAMPLE" >/dev/null
expect "$("$EXAMPLE/datashard_example" "$WORK/static_table")" "rows 3, named two 1" "static, new table"
expect "$("$EXAMPLE/datashard_example" "$WORK/static_table")" "rows 6, named two 2" "static, existing table"
if readelf -d "$EXAMPLE/datashard_example" | grep -q libdatashard; then
  echo "FAIL: the static example needs libdatashard at run time" >&2
  exit 1
fi

# The same program linked with what pkg-config says; the object file is the
# one CMake compiled, so only the headers' flags need a check of their own.
export PKG_CONFIG_PATH=$PREFIX/$LIBDIR/pkgconfig
# shellcheck disable=SC2046
echo '#include <datashard/table.h>' | "$CXX" -std=c++20 $(pkg-config --cflags datashard) -fsyntax-only -x c++ -
# shellcheck disable=SC2046
"$CXX" -o "$WORK/shared_example" "$EXAMPLE/CMakeFiles/datashard_example.dir/main.cc.o" $(pkg-config --libs datashard)
expect "$(readelf -d "$WORK/shared_example" | grep -o 'libdatashard[^]]*')" "libdatashard.so.0.1" "shared, NEEDED"
expect "$(LD_LIBRARY_PATH=$PREFIX/$LIBDIR "$WORK/shared_example" "$WORK/shared_table")" "rows 3, named two 1" \
  "shared, new table"
echo "ok: find_package (static) and pkg-config (shared) programs built against $PREFIX"
