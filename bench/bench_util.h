// SPDX-License-Identifier: MIT
// Benchmark helpers: a median-of-repeats timer that synchronises the GPU, and JSON-line output.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "kernels/dispatch.h"

namespace dien::bench {

// Runs f `warmup` times, then `reps` times, each timed to completion (GPU work synchronised);
// returns the median in milliseconds.
inline double median_ms(const std::function<void()>& f, bool gpu, int reps = 20, int warmup = 3) {
  for (int i = 0; i < warmup; ++i) f();
  if (gpu) cuda_synchronize();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    if (gpu) cuda_synchronize();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace dien::bench
