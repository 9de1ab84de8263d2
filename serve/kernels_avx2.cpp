// SPDX-License-Identifier: MIT
// The serving kernels (serve/kernels_impl.inc) for the "avx2" instruction set, 8 floats a vector.
// CMakeLists.txt compiles this file with that instruction set's flags (and nothing else here).
#include <cstdint>

#include <immintrin.h>  // the reciprocal estimate (gnu_inline intrinsics: nothing out of line)

#include "serve/kernels.h"

#define DIEN_VEC_WIDTH 8
#define DIEN_ISA_NAME "avx2"
namespace dien::serve::isa_avx2 {
#include "serve/kernels_impl.inc"
}  // namespace dien::serve::isa_avx2
