// SPDX-License-Identifier: MIT
// libFuzzer: the safetensors loader (core/serialize.h) on arbitrary bytes.
#include "core/serialize.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = dien::fuzz::write_input("t.safetensors", data, size);
  return dien::fuzz::expect_clean([&] {
    dien::SafetensorsFile f = dien::load_safetensors(path);
    double sum = 0;  // touch every loaded tensor's bytes: sizes must match what was read
    for (const auto& [name, t] : f.tensors)
      if (t.numel() > 0) sum += static_cast<double>(t.numel()) + name.size();
    (void)sum;
  });
}
