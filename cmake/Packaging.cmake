# What a system install needs beyond the binaries: the built web UI, the
# systemd units, the default configuration, the man pages; and the Debian
# packages CPack makes of it all (docs/operations.md):
#   headway           the binary, libheadway, web UI, units, /etc/headway, man pages
#   headway-dev       headers, the CMake package, the libheadway.so link
#   python3-headway   the Python module
# The `package` preset configures for the /usr prefix; `cpack -G DEB` in its
# build directory writes headway_<version>_amd64.deb and the others.

# Installed for /usr as Debian's own packages are (/etc, /lib/systemd/system);
# under any other prefix beneath it, so a test install stays in its prefix.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(HEADWAY_CONFIG_DIR /etc/headway)
  set(HEADWAY_UNIT_DIR /lib/systemd/system)
else()
  set(HEADWAY_CONFIG_DIR ${CMAKE_INSTALL_SYSCONFDIR}/headway)
  set(HEADWAY_UNIT_DIR ${CMAKE_INSTALL_LIBDIR}/systemd/system)
endif()

# The web UI, when `npm run build` in web/ has built it: where the server
# looks next to its binary (../share/headway/web).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/dist/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/headway/web
        COMPONENT runtime OPTIONAL
        PATTERN "*.map" EXCLUDE)

set(HEADWAY_BINARY ${CMAKE_INSTALL_FULL_BINDIR}/headway)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(HEADWAY_CONFIG_FILE ${HEADWAY_CONFIG_DIR}/headway.toml)
else()
  set(HEADWAY_CONFIG_FILE ${CMAKE_INSTALL_PREFIX}/${HEADWAY_CONFIG_DIR}/headway.toml)
endif()
foreach(unit headway-serve.service headway-worker@.service)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/systemd/${unit}.in
                 ${PROJECT_BINARY_DIR}/packaging/${unit} @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/packaging/${unit}
          DESTINATION ${HEADWAY_UNIT_DIR} COMPONENT runtime)
endforeach()
set(HEADWAY_WEB_ROOT ${CMAKE_INSTALL_FULL_DATADIR}/headway/web)
configure_file(${PROJECT_SOURCE_DIR}/packaging/headway.toml.in
               ${PROJECT_BINARY_DIR}/packaging/headway.toml @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/packaging/headway.toml
        DESTINATION ${HEADWAY_CONFIG_DIR} COMPONENT runtime)

# Man pages from the binary's own --help (help2man), so they never drift.
# Not in sanitizer builds: running the instrumented binary at build time
# would report its leaks and fail the build.
find_program(HELP2MAN help2man)
option(HEADWAY_BUILD_MAN "Make the man pages with help2man" ON)
if(HEADWAY_BUILD_MAN AND HELP2MAN AND NOT HEADWAY_SANITIZE)
  set(man_pages)
  foreach(page "headway|--help|live progress for long-running jobs"
               "headway-serve|serve --help|the headway stream server"
               "headway-worker|worker --help|run queued headway jobs")
    string(REPLACE "|" ";" fields "${page}")
    list(GET fields 0 name)
    list(GET fields 1 help_option)
    list(GET fields 2 description)
    set(out ${PROJECT_BINARY_DIR}/man/${name}.1)
    # The NAME section names the page (help2man would name the binary).
    file(WRITE ${PROJECT_BINARY_DIR}/man/${name}.h2m "[NAME]\n${name} \\- ${description}\n")
    add_custom_command(OUTPUT ${out}.gz
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND ${HELP2MAN} --no-info --no-discard-stderr
              --version-string=${PROJECT_VERSION} --help-option=${help_option}
              --include=${PROJECT_BINARY_DIR}/man/${name}.h2m --source=headway --section=1
              --output=${out} $<TARGET_FILE:headway_cli>
      COMMAND gzip -9nf ${out}
      DEPENDS headway_cli ${PROJECT_BINARY_DIR}/man/${name}.h2m
      COMMENT "help2man: ${name}.1"
      VERBATIM)
    list(APPEND man_pages ${out}.gz)
  endforeach()
  add_custom_target(headway_man ALL DEPENDS ${man_pages})
  install(FILES ${man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)
endif()

set(CPACK_PACKAGE_NAME headway)
set(CPACK_PACKAGE_VENDOR "headway")
set(CPACK_PACKAGE_CONTACT "headway maintainers <headway@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
if(TARGET headway_python)
  list(APPEND CPACK_COMPONENTS_ALL python)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# libheadway is in the headway package itself.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS
    ${PROJECT_BINARY_DIR}/_CPack_Packages/Linux/DEB/headway-${PROJECT_VERSION}-Linux/runtime/${CMAKE_INSTALL_FULL_LIBDIR})
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME headway)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS "redis-server")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "postgresql")
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "live progress for long-running jobs: server, worker and CLI
headway tracks the progress of long-running jobs and shows it live: jobs
report stage-weighted progress to Redis, and `headway serve` streams it over
SSE, WebSocket and REST to its web UI and the command line.

This package holds the headway binary, libheadway, the web UI, the systemd
units headway-serve.service and headway-worker@.service, and
/etc/headway/headway.toml.")
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/packaging)
file(WRITE ${PROJECT_BINARY_DIR}/packaging/conffiles "${HEADWAY_CONFIG_DIR}/headway.toml\n")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm
    ${PROJECT_BINARY_DIR}/packaging/conffiles)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME headway-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "headway (= ${PROJECT_VERSION})")
set(CPACK_DEBIAN_DEV_DESCRIPTION
    "headway Tracker library: headers and CMake package
find_package(headway CONFIG) and target_link_libraries(... headway::headway)
report a job's progress the way headway serve streams it.")

set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-headway)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS
    "headway (= ${PROJECT_VERSION}), python3 (>= ${HEADWAY_PYTHON_VERSION}~), python3 (<< ${HEADWAY_PYTHON_VERSION}.99)")
set(CPACK_DEBIAN_PYTHON_DESCRIPTION
    "headway Tracker for Python 3
`from headway import Tracker`: the C++ Tracker behind pybind11, reporting a
job's progress the way headway serve streams it.")
if(TARGET headway_python)
  file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/packaging/python3-headway)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/python3-headway.prerm.in
                 ${PROJECT_BINARY_DIR}/packaging/python3-headway/prerm @ONLY
                 FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                  WORLD_READ WORLD_EXECUTE)
  set(CPACK_DEBIAN_PYTHON_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/packaging/python3-headway/prerm)
endif()
include(CPack)
