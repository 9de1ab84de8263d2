// SPDX-License-Identifier: MIT
// libFuzzer: a checkpoint's config.json (models/checkpoint.h): parsed, checked and turned into a
// model by load_model, which then fails on the missing model.safetensors or loads nothing more.
#include <filesystem>

#include "models/checkpoint.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = [] {
    std::string d = dien::fuzz::scratch_dir() + "/ckpt";
    std::filesystem::create_directories(d);
    return d;
  }();
  dien::fuzz::write_input("ckpt/config.json", data, size);
  return dien::fuzz::expect_clean([&] { auto model = dien::load_model(dir); });
}
