# The vector kernels (serving and the training scans) are compiled once per instruction set
# (kernels/cpu/isa/kernels_<isa>.cpp) and picked at run time (kernels/cpu/isa/select.cpp), so the
# default build runs AVX-512 or AVX2 code where the CPU has it. On other processors only the generic variant is built.
# Input/output: DIEN_SOURCES (the avx files are dropped off x86-64). Sets DIEN_ISA_X86.
set(DIEN_ISA_X86 OFF)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$" AND CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  set(DIEN_ISA_X86 ON)
endif()
if(DIEN_ISA_X86)
  # GCC 12 flags the AVX intrinsics Eigen uses (`__m512 __Y = __Y;`) as maybe-uninitialized: a
  # known false positive, silenced for Eigen's per-ISA GEMM only.
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/kernels/cpu/isa/eigen_gemm_avx2.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/kernels/cpu/isa/eigen_gemm_avx512.cpp PROPERTIES COMPILE_FLAGS -Wno-maybe-uninitialized)
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/kernels/cpu/isa/kernels_avx2.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/kernels/cpu/isa/eigen_gemm_avx2.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx2;-mfma;-ffp-contract=fast")
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/kernels/cpu/isa/kernels_avx512.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/kernels/cpu/isa/eigen_gemm_avx512.cpp PROPERTIES
    COMPILE_OPTIONS "-mavx512f;-mavx512vl;-mavx512dq;-mavx512bw;-mavx2;-mfma;-ffp-contract=fast")
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/kernels/cpu/isa/select.cpp PROPERTIES
    COMPILE_DEFINITIONS "DIEN_ISA_X86=1")
else()
  list(FILTER DIEN_SOURCES EXCLUDE REGEX "kernels/cpu/isa/(kernels|eigen_gemm)_avx(2|512)\\.cpp$")
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/kernels/cpu/isa/select.cpp PROPERTIES
    COMPILE_DEFINITIONS "DIEN_ISA_X86=0")
endif()
