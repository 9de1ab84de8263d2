// SPDX-License-Identifier: MIT
// libFuzzer: the raw-log readers of `dien prepare` (data/prepare.h). The first byte picks the
// reader; the rest is split at the first NUL byte into the two files of those that take two
// (S3-Rec sequences + attributes JSON, MovieLens ratings + movies).
#include <algorithm>

#include "data/prepare.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t* rest = data + 1;
  const uint8_t* end = data + size;
  const uint8_t* cut = std::find(rest, end, uint8_t{0});
  std::string a = dien::fuzz::write_input("a.txt", rest, static_cast<size_t>(cut - rest));
  const uint8_t* second = cut == end ? end : cut + 1;
  std::string b = dien::fuzz::write_input("b.txt", second, static_cast<size_t>(end - second));
  return dien::fuzz::expect_clean([&] {
    switch (data[0] % 3) {
      case 0: {
        dien::data::LogOptions o;
        o.path = a;
        (void)dien::data::read_interaction_log(o);
        break;
      }
      case 1: (void)dien::data::read_s3rec(a, b); break;
      default: (void)dien::data::read_movielens(a, b); break;
    }
  });
}
