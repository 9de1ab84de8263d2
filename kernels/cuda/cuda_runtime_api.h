// SPDX-License-Identifier: MIT
// Host-side CUDA queries that the rest of dien may call (no CUDA headers leak out).
#pragma once

namespace dien::cuda {

// Number of CUDA devices usable now; 0 when the driver is missing or too old, or no GPU.
int device_count();

}  // namespace dien::cuda
