// SPDX-License-Identifier: MIT
// The vector kernels (kernels/cpu/isa/kernels_impl.inc) for the "avx2" instruction set, 8 floats a vector.
// CMakeLists.txt compiles this file with that instruction set's flags (and nothing else here).
#include <cstdint>

#include <immintrin.h>  // the reciprocal estimate (gnu_inline intrinsics: nothing out of line)

#include "kernels/cpu/isa/kernels.h"

#define DIEN_VEC_WIDTH 8
#define DIEN_ISA_NAME "avx2"
namespace dien::isa::avx2 {
#include "kernels/cpu/isa/kernels_impl.inc"
#include "kernels/cpu/isa/scan_impl.inc"
#include "kernels/cpu/isa/kernels_table.inc"
}  // namespace dien::isa::avx2
