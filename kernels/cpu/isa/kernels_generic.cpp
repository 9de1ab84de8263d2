// SPDX-License-Identifier: MIT
// The vector kernels (kernels/cpu/isa/kernels_impl.inc) for the "generic" instruction set, 4 floats a vector.
// CMakeLists.txt compiles this file with that instruction set's flags (and nothing else here).
#include <cstdint>

#include "kernels/cpu/isa/kernels.h"

#define DIEN_VEC_WIDTH 4
#define DIEN_ISA_NAME "generic"
namespace dien::isa::generic {
#define DIEN_ISA_SGEMM nullptr  // the baseline build's Eigen (kernels/cpu/matmul.cpp)
#include "kernels/cpu/isa/kernels_impl.inc"
#include "kernels/cpu/isa/scan_impl.inc"
#include "kernels/cpu/isa/kernels_table.inc"
}  // namespace dien::isa::generic
