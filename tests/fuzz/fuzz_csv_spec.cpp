// SPDX-License-Identifier: MIT
// libFuzzer: a CSV column spec file (data/csv_reader.h, CsvSpec::load) and the features it makes.
#include "data/csv_reader.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = dien::fuzz::write_input("spec.json", data, size);
  return dien::fuzz::expect_clean([&] {
    dien::data::CsvSpec spec = dien::data::CsvSpec::load(path);
    dien::data::CsvVocabularies empty;
    for (const auto& c : spec.columns)
      if (c.role == "sparse" || c.role == "varlen") empty[c.table()];
    dien::FeatureConfig f = dien::data::csv_features(spec, empty);
  });
}
