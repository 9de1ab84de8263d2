// SPDX-License-Identifier: MIT
// Main of the CUDA test executable. Without a usable CUDA device it prints
// "skipped: no CUDA device" and returns 77, which CTest reports as skipped (SKIP_RETURN_CODE);
// listing tests (test discovery at build time) always works. With a device, every GPU
// allocation is filled with NaN bytes first, so a kernel that leaves an element unwritten fails.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>

#include "kernels/dispatch.h"

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--list", 6) == 0) listing = true;
  if (!listing && dien::cuda_device_count() == 0) {
    std::printf("skipped: no CUDA device\n");
    return 77;
  }
  if (!listing) dien::cuda_set_poison_allocations(true);
  return Catch::Session().run(argc, argv);
}
