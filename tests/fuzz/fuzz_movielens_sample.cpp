// SPDX-License-Identifier: MIT
// libFuzzer: the MovieLens sample reader (data/movielens_sample.h), vocabularies then load.
#include "data/movielens_sample.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = dien::fuzz::write_input("movielens_sample.txt", data, size);
  return dien::fuzz::expect_clean([&] {
    dien::data::MovieSampleVocabularies v = dien::data::MovieSampleVocabularies::build(path);
    dien::data::MovieSampleOptions o;
    o.maxlen = 8;
    dien::data::LoadedData d = dien::data::load_movie_sample(path, v, o);
  });
}
