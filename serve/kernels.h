// SPDX-License-Identifier: MIT
// The serving kernels are the library's per-instruction-set vector kernels (kernels/cpu/isa/
// kernels.h), shared with the training scans; these names keep serve/'s code short.
#pragma once
#include "kernels/cpu/isa/kernels.h"

namespace dien::serve {
using isa::Act;
using isa::ActParams;
using isa::available_isas;
using isa::Cell;
using isa::Kernels;
using isa::select_kernels;
}  // namespace dien::serve
