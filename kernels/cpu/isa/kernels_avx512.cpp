// SPDX-License-Identifier: MIT
// The vector kernels (kernels/cpu/isa/kernels_impl.inc) for the "avx512" instruction set, 16 floats a vector.
// CMakeLists.txt compiles this file with that instruction set's flags (and nothing else here).
#include <cstdint>

#include <immintrin.h>  // the reciprocal estimate (gnu_inline intrinsics: nothing out of line)

#include "kernels/cpu/isa/kernels.h"

#define DIEN_VEC_WIDTH 16
#define DIEN_ISA_NAME "avx512"
namespace dien::isa::avx512 {
// eigen_gemm_avx512.cpp
void eigen_sgemm(const float* a, bool ta, const float* b, bool tb, float* c, int64_t M, int64_t N, int64_t K,
                 float alpha, float beta, int64_t lda, int64_t ldb, int64_t ldc);
#define DIEN_ISA_SGEMM eigen_sgemm
#include "kernels/cpu/isa/kernels_impl.inc"
#include "kernels/cpu/isa/scan_impl.inc"
#include "kernels/cpu/isa/kernels_table.inc"
}  // namespace dien::isa::avx512
