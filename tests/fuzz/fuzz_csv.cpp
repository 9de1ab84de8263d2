// SPDX-License-Identifier: MIT
// libFuzzer: the CSV reader (data/csv_reader.h) with a spec using every column role; the input is
// the data file. Vocabularies are built from it, then it is loaded.
#include <nlohmann/json.hpp>

#include "data/csv_reader.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dien::data::CsvSpec spec = dien::data::CsvSpec::from_json(nlohmann::json::parse(R"({
    "delimiter": ",", "header": true, "oov": "error",
    "columns": [
      {"name": "label", "role": "label"},
      {"name": "user_id", "role": "sparse", "embedding_dim": 4},
      {"name": "price", "role": "dense"},
      {"name": "hist_item_id", "role": "varlen", "separator": "|", "maxlen": 5,
       "length": "seq_length", "embedding_name": "item_id", "embedding_dim": 4, "truncate": true},
      {"name": "item_id", "role": "sparse", "embedding_dim": 4},
      {"name": "seq_length", "role": "length"},
      {"name": "comment", "role": "ignore"}],
    "history_features": ["item_id"], "group": "user_id"})"));
  std::string path = dien::fuzz::write_input("data.csv", data, size);
  return dien::fuzz::expect_clean([&] {
    dien::data::CsvVocabularies v = dien::data::build_csv_vocabularies(path, spec);
    dien::data::LoadedData d = dien::data::load_csv(path, spec, v);
  });
}
