// SPDX-License-Identifier: MIT
// libFuzzer: saved vocabulary files (JSON) of the three readers. The first byte picks the reader.
#include "data/csv_reader.h"
#include "data/movielens_sample.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string path = dien::fuzz::write_input("vocabularies.json", data + 1, size - 1);
  return dien::fuzz::expect_clean([&] {
    switch (data[0] % 3) {
      case 0: (void)dien::data::AmazonVocabularies::load(path); break;
      case 1: (void)dien::data::MovieSampleVocabularies::load(path); break;
      default: (void)dien::data::load_csv_vocabularies(path); break;
    }
  });
}
