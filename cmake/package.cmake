# `cpack -G DEB` in the build folder: one Debian package holding what
# `cmake --install` installs (CLI, library, headers, CMake and pkg-config
# files, Python package) under /usr, stripped. Run-time dependencies come from
# dpkg-shlibdeps; the -dev packages a program built against the library needs
# are suggested.
set(CPACK_PACKAGE_NAME datashard)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ACID Apache Iceberg v2 tables on a local filesystem")
set(CPACK_PACKAGE_DESCRIPTION
    "A C++20 library, command-line tool and Python module for Iceberg tables that many processes write and read at once, with optimistic concurrency and a lock manager.")
set(CPACK_PACKAGE_CONTACT "datashard developers")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS
    "pkg-config, libzstd-dev, libsnappy-dev, zlib1g-dev, libsqlite3-dev, libhiredis-dev")
# libpq is loaded when first used (dlopen), which dpkg-shlibdeps cannot see.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libpq5")
if(DATASHARD_BUILD_PYTHON)
  # The extension is built for one Python minor version.
  math(EXPR DATASHARD_PYTHON_NEXT_MINOR "${DATASHARD_PYTHON_VERSION_MINOR} + 1")
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", python3 (>= ${DATASHARD_PYTHON_VERSION_MAJOR}.${DATASHARD_PYTHON_VERSION_MINOR}), \
python3 (<< ${DATASHARD_PYTHON_VERSION_MAJOR}.${DATASHARD_PYTHON_NEXT_MINOR})")
endif()
include(CPack)
