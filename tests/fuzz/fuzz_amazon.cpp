// SPDX-License-Identifier: MIT
// libFuzzer: the Amazon-format reader (data/amazon_format.h): vocabularies built from the input,
// then the input loaded with negatives for the auxiliary loss.
#include "data/amazon_format.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = dien::fuzz::write_input("data.txt", data, size);
  return dien::fuzz::expect_clean([&] {
    dien::data::AmazonVocabularies v = dien::data::AmazonVocabularies::build(path);
    dien::data::AmazonOptions o;
    o.maxlen = 8;
    dien::data::LoadedData d = dien::data::load_amazon(path, v, o);
  });
}
