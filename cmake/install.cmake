# What `cmake --install` puts under the prefix: the CLI, the library (static
# and shared) with its public headers, a CMake package (find_package(datashard)
# gives datashard::datashard) and a pkg-config file, and the Python package
# where Debian's python3 looks. The component python_wheel, left out of a
# plain install, lays out the wheel the PEP 517 backend (python/backend/)
# zips. cmake/package.cmake makes a .deb of the plain install.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The shared library is linked from the static library's objects, which are
# position independent, so the sources compile once for both.
add_library(datashard_shared SHARED $<TARGET_OBJECTS:datashard_lib>)
set_target_properties(datashard_shared PROPERTIES
  OUTPUT_NAME datashard EXPORT_NAME datashard_shared
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
target_include_directories(datashard_shared PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                                   $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(datashard_shared PUBLIC cxx_std_20)
target_link_libraries(datashard_shared PUBLIC Threads::Threads PRIVATE ${DATASHARD_PRIVATE_LIBS})
set_target_properties(datashard_lib PROPERTIES EXPORT_NAME datashard_static)

install(TARGETS datashard_cli)
install(TARGETS datashard_lib datashard_shared EXPORT datashardTargets FILE_SET HEADERS)
# `--strip` (and CPack) strip executables and shared libraries only; the
# archive's debug sections would otherwise make up most of a package.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    set(archive [[${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:datashard_lib>]])
    cmake_path(ABSOLUTE_PATH archive BASE_DIRECTORY \"\${CMAKE_INSTALL_PREFIX}\")
    execute_process(COMMAND [[${CMAKE_STRIP}]] --strip-debug \"\$ENV{DESTDIR}\${archive}\"
                    COMMAND_ERROR_IS_FATAL ANY)
  endif()")

set(DATASHARD_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/datashard)
install(EXPORT datashardTargets NAMESPACE datashard:: DESTINATION ${DATASHARD_INSTALL_CMAKEDIR})
configure_package_config_file(cmake/datashardConfig.cmake.in ${PROJECT_BINARY_DIR}/datashardConfig.cmake
                              INSTALL_DESTINATION ${DATASHARD_INSTALL_CMAKEDIR} NO_SET_AND_CHECK_MACRO)
# Before 1.0 a minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/datashardConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/datashardConfig.cmake ${PROJECT_BINARY_DIR}/datashardConfigVersion.cmake
        DESTINATION ${DATASHARD_INSTALL_CMAKEDIR})

# The .pc file finds the prefix from its own folder, so the tree can move.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(DATASHARD_PC_PREFIX ${CMAKE_INSTALL_PREFIX})
else()
  file(RELATIVE_PATH DATASHARD_PC_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
  string(REGEX REPLACE "/$" "" DATASHARD_PC_PREFIX ${DATASHARD_PC_PREFIX})
  set(DATASHARD_PC_PREFIX "\${pcfiledir}/${DATASHARD_PC_PREFIX}")
endif()
configure_file(cmake/datashard.pc.in ${PROJECT_BINARY_DIR}/datashard.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/datashard.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(DATASHARD_BUILD_PYTHON)
  set(DATASHARD_INSTALL_PYTHONDIR lib/python3/dist-packages CACHE STRING
      "Folder, relative to the prefix, the Python package is installed into")
  set(DATASHARD_PYTHON_SOURCES ${PROJECT_SOURCE_DIR}/python/datashard/)
  install(DIRECTORY ${DATASHARD_PYTHON_SOURCES} DESTINATION ${DATASHARD_INSTALL_PYTHONDIR}/datashard
          FILES_MATCHING PATTERN "*.py" PATTERN __pycache__ EXCLUDE)
  install(TARGETS _datashard LIBRARY DESTINATION ${DATASHARD_INSTALL_PYTHONDIR}/datashard)
  # `python3 -m datashard` runs bin/datashard inside the package: here a
  # relative link to the CLI installed above.
  install(CODE "
    set(link_dir [[${DATASHARD_INSTALL_PYTHONDIR}/datashard/bin]])
    set(cli [[${CMAKE_INSTALL_BINDIR}/datashard]])
    cmake_path(ABSOLUTE_PATH link_dir BASE_DIRECTORY \"\${CMAKE_INSTALL_PREFIX}\")
    cmake_path(ABSOLUTE_PATH cli BASE_DIRECTORY \"\${CMAKE_INSTALL_PREFIX}\")
    file(RELATIVE_PATH target \"\${link_dir}\" \"\${cli}\")
    message(STATUS \"Installing: \$ENV{DESTDIR}\${link_dir}/datashard -> \${target}\")
    file(MAKE_DIRECTORY \"\$ENV{DESTDIR}\${link_dir}\")
    file(CREATE_LINK \"\${target}\" \"\$ENV{DESTDIR}\${link_dir}/datashard\" SYMBOLIC)
    list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\$ENV{DESTDIR}\${link_dir}/datashard\")")

  # The wheel: the package with the extension and the CLI inside it.
  install(DIRECTORY ${DATASHARD_PYTHON_SOURCES} DESTINATION datashard COMPONENT python_wheel EXCLUDE_FROM_ALL
          FILES_MATCHING PATTERN "*.py" PATTERN __pycache__ EXCLUDE)
  install(TARGETS _datashard LIBRARY DESTINATION datashard COMPONENT python_wheel EXCLUDE_FROM_ALL)
  install(TARGETS datashard_cli RUNTIME DESTINATION datashard/bin COMPONENT python_wheel EXCLUDE_FROM_ALL)
endif()

include(cmake/package.cmake)
