// SPDX-License-Identifier: MIT
// Eigen's float GEMM for the "avx512" instruction set (kernels/cpu/isa/eigen_gemm.inc); CMake
// compiles this file with that instruction set's flags.
#include <cstdint>

#define Eigen dien_eigen_avx512
#include <Eigen/Core>

#define DIEN_ISA_EIGEN_SGEMM 1
namespace dien::isa::avx512 {
#include "kernels/cpu/isa/eigen_gemm.inc"
}  // namespace dien::isa::avx512
