// SPDX-License-Identifier: MIT
// backend_for(device) -> the Backend that owns that device's memory and kernels.
#pragma once
#include "kernels/backend.h"

namespace dien {

Backend& backend_for(Device device);
inline Backend& backend_for(const Tensor& t) { return backend_for(t.device()); }

// Number of usable CUDA devices; 0 when built without CUDA or when no GPU/driver is present.
int cuda_device_count();

}  // namespace dien
