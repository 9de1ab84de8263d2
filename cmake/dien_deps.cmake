# Third-party dependencies: Eigen 3.4, nlohmann-json and zlib from the system (Debian packages),
# or from .deps/ (filled by tools/pack-deps.sh for machines that lack them).
add_library(dien_deps INTERFACE)

set(DIEN_DEPS_DIR ${CMAKE_CURRENT_SOURCE_DIR}/.deps CACHE PATH "Fallback folder with vendored headers")

find_package(Eigen3 3.4 QUIET NO_MODULE)
if(TARGET Eigen3::Eigen)
  target_link_libraries(dien_deps INTERFACE Eigen3::Eigen)
  message(STATUS "dien: Eigen ${Eigen3_VERSION} from the system")
elseif(EXISTS ${DIEN_DEPS_DIR}/include/eigen3/Eigen/Core)
  target_include_directories(dien_deps SYSTEM INTERFACE ${DIEN_DEPS_DIR}/include/eigen3)
  message(STATUS "dien: Eigen from ${DIEN_DEPS_DIR}")
else()
  message(FATAL_ERROR "dien: Eigen 3.4 not found. Run tools/install-deps.sh (Debian: libeigen3-dev).")
endif()

find_package(nlohmann_json 3 QUIET)
if(TARGET nlohmann_json::nlohmann_json)
  target_link_libraries(dien_deps INTERFACE nlohmann_json::nlohmann_json)
elseif(EXISTS ${DIEN_DEPS_DIR}/include/nlohmann/json.hpp)
  target_include_directories(dien_deps SYSTEM INTERFACE ${DIEN_DEPS_DIR}/include)
  set(DIEN_JSON_FALLBACK_DIR ${DIEN_DEPS_DIR}/include)  # dienConfig.cmake falls back to it
else()
  message(FATAL_ERROR "dien: nlohmann-json not found. Run tools/install-deps.sh (Debian: nlohmann-json3-dev).")
endif()

# CLI11 (header-only; used by examples/ and apps/): /usr/include on Debian, else .deps/include.
if(NOT EXISTS /usr/include/CLI/CLI.hpp AND EXISTS ${DIEN_DEPS_DIR}/include/CLI/CLI.hpp)
  target_include_directories(dien_deps SYSTEM INTERFACE ${DIEN_DEPS_DIR}/include)
endif()

# zlib (CRC-32 of checkpoint files, core/checksum.cpp): the system's (Debian: zlib1g-dev), else the
# header and library tools/pack-deps.sh copied into .deps/.
find_package(ZLIB QUIET)
if(NOT ZLIB_FOUND AND EXISTS ${DIEN_DEPS_DIR}/include/zlib.h)
  set(ZLIB_ROOT ${DIEN_DEPS_DIR})
  find_package(ZLIB QUIET)
endif()
if(NOT ZLIB_FOUND)
  message(FATAL_ERROR "dien: zlib not found. Run tools/install-deps.sh (Debian: zlib1g-dev).")
endif()
target_link_libraries(dien_deps INTERFACE ZLIB::ZLIB)

find_package(OpenMP)
if(OpenMP_CXX_FOUND)  # DIEN_WITH_OPENMP=1|0 is a definition of the dien targets (CMakeLists.txt)
  target_link_libraries(dien_deps INTERFACE OpenMP::OpenMP_CXX)
endif()
find_package(Threads REQUIRED)
target_link_libraries(dien_deps INTERFACE Threads::Threads)
