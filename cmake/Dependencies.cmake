# Every dependency is a Debian 12 package (scripts/install-deps.sh installs them).
#
# Start-up time matters (`migrate status` in CI, `health` from cron), and each
# shared library costs symbol lookups before main(): Debian builds them with
# BIND_NOW. So the libraries that allow it are compiled in: fmt and toml++
# header-only, hiredis from its static archive (zstd and libcurl are opened on first use), libstdc++ and
# libgcc statically (see Settings.cmake). libpq, libcurl and OpenSSL stay
# shared: they take security updates from the distribution.
find_package(PkgConfig REQUIRED)
find_package(CLI11 REQUIRED CONFIG)
find_package(nlohmann_json 3.11 REQUIRED CONFIG)
find_package(fmt 9 REQUIRED CONFIG)
find_package(doctest REQUIRED CONFIG)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(CURL REQUIRED libcurl>=7.88)
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)
pkg_check_modules(SSL REQUIRED IMPORTED_TARGET libssl)

# Found through pkg-config for the version check and include path only.
pkg_check_modules(TOMLPP REQUIRED tomlplusplus>=3.3)
add_library(golfops_tomlplusplus INTERFACE)
target_include_directories(golfops_tomlplusplus SYSTEM INTERFACE ${TOMLPP_INCLUDE_DIRS})
target_compile_definitions(golfops_tomlplusplus INTERFACE TOML_HEADER_ONLY=1)

function(golfops_static_library target package archive)
  pkg_check_modules(${target}_PC REQUIRED ${package})
  find_library(${target}_ARCHIVE NAMES ${archive} HINTS ${${target}_PC_LIBRARY_DIRS} REQUIRED)
  add_library(${target} STATIC IMPORTED)
  set_target_properties(${target} PROPERTIES IMPORTED_LOCATION ${${target}_ARCHIVE}
                                             INTERFACE_INCLUDE_DIRECTORIES "${${target}_PC_INCLUDE_DIRS}")
endfunction()
golfops_static_library(golfops_hiredis hiredis libhiredis.a)
# http-parser (Node.js' HTTP/1.1 parser, Debian's libhttp-parser-dev) reads
# the load generator's responses; it has no pkg-config file.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_ARCHIVE NAMES libhttp_parser.a REQUIRED)
add_library(golfops_http_parser STATIC IMPORTED)
set_target_properties(golfops_http_parser PROPERTIES IMPORTED_LOCATION ${HTTP_PARSER_ARCHIVE}
                                                     INTERFACE_INCLUDE_DIRECTORIES ${HTTP_PARSER_INCLUDE_DIR})
# zstd: headers only; core/zstd.cpp opens the shared library (multithreaded,
# unlike Debian's static archive) the first time something compresses.
pkg_check_modules(ZSTD REQUIRED libzstd)
add_library(golfops_zstd INTERFACE)
target_include_directories(golfops_zstd SYSTEM INTERFACE ${ZSTD_INCLUDE_DIRS})
