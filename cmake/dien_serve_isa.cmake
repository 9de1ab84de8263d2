# The serving kernels are compiled once per instruction set (serve/kernels_<isa>.cpp) and picked
# at run time (serve/kernels.cpp), so the default build runs AVX-512 or AVX2 code where the CPU
# has it. On other processors only the generic variant is built.
# Input/output: DIEN_SOURCES (the avx files are dropped off x86-64). Sets DIEN_SERVE_X86.
set(DIEN_SERVE_X86 OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set(DIEN_SERVE_X86 ON)
endif()
if(DIEN_SERVE_X86)
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/serve/kernels_avx2.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx2;-mfma;-ffp-contract=fast")
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/serve/kernels_avx512.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512vl;-mavx512dq;-mavx512bw;-mavx2;-mfma;-ffp-contract=fast")
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/serve/kernels.cpp PROPERTIES
    COMPILE_DEFINITIONS "DIEN_SERVE_X86=1")
else()
  list(FILTER DIEN_SOURCES EXCLUDE REGEX "serve/kernels_avx(2|512)\\.cpp$")
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/serve/kernels.cpp PROPERTIES
    COMPILE_DEFINITIONS "DIEN_SERVE_X86=0")
endif()
