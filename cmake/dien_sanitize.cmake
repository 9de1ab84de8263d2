# Sanitizer and fuzzing builds (tools/test.sh: build-asan with GCC runs the suite, build-fuzz with
# clang runs the fuzzers; docs/reliability.md).
#   -DDIEN_SANITIZE=address,undefined  every target (library, tests, apps) is instrumented; any
#                                     report aborts the process, so a test that trips one fails.
#   -DDIEN_FUZZ=ON                    (clang only) also builds the libFuzzer harnesses of
#                                     tests/fuzz (target dien_fuzzers) and instruments the library
#                                     for coverage.
set(DIEN_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address,undefined (empty: none)")
option(DIEN_FUZZ "Build the libFuzzer harnesses in tests/fuzz (needs clang)" OFF)

if(DIEN_SANITIZE)
  add_compile_options(-fsanitize=${DIEN_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  # Line numbers in reports, without full debug info.
  add_compile_options($<IF:$<CXX_COMPILER_ID:Clang>,-gline-tables-only,-g1>)
  add_link_options(-fsanitize=${DIEN_SANITIZE})
  if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
    # C programs (examples/embed) link libdien.so, whose C++ code needs UBSan's C++ runtime part.
    add_link_options("$<$<LINK_LANGUAGE:C>:-fsanitize-link-c++-runtime;-lstdc++>")
  endif()
  # The CPU allocator's cache of freed blocks poisons them (core/allocator_cpu.cpp), so a use
  # after free into a cached block is still reported.
  message(STATUS "dien: sanitizers ${DIEN_SANITIZE}")
endif()

if(DIEN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "dien: DIEN_FUZZ=ON needs clang (CXX=clang++), found ${CMAKE_CXX_COMPILER_ID}")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
  message(STATUS "dien: libFuzzer harnesses (tests/fuzz)")
endif()
