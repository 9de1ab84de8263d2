// SPDX-License-Identifier: MIT
// The serving kernels (serve/kernels_impl.inc) for the "generic" instruction set, 4 floats a vector.
// CMakeLists.txt compiles this file with that instruction set's flags (and nothing else here).
#include <cstdint>

#include "serve/kernels.h"

#define DIEN_VEC_WIDTH 4
#define DIEN_ISA_NAME "generic"
namespace dien::serve::isa_generic {
#include "serve/kernels_impl.inc"
}  // namespace dien::serve::isa_generic
