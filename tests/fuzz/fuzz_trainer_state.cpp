// SPDX-License-Identifier: MIT
// libFuzzer: trainer.json, the resume state of a checkpoint (models/train_state.h).
#include <filesystem>

#include "models/checkpoint.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = [] {
    std::string d = dien::fuzz::scratch_dir() + "/ckpt";
    std::filesystem::create_directories(d);
    return d;
  }();
  dien::fuzz::write_input("ckpt/trainer.json", data, size);
  return dien::fuzz::expect_clean([&] { dien::TrainerState s = dien::load_trainer_state(dir); });
}
