// SPDX-License-Identifier: MIT
// Where the `dien` command's samples come from: the built-in synthetic generator (the default),
// or a file in the DIEN Amazon format, the MovieLens-sample TSV, or a CSV/TSV with a JSON column
// spec. The vocabularies and reader settings of a training run are stored in the checkpoint's
// "data" slot, so eval and predict map a new file's raw ids exactly as training did.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/synthetic.h"
#include "models/ctr_model.h"
#include "data/features.h"

namespace dien::cli {

struct DataFlags {
  std::string data;             // training file; empty: synthetic data
  std::string val;              // validation file (same format)
  std::string format = "auto";  // auto | synthetic | amazon | movielens | csv
  std::string spec;             // csv: JSON column spec
  double validation_split = 0.2;
  int64_t maxlen = 0;           // 0: the format's default (amazon 100, movielens 50, synthetic 50)
  int64_t embedding_dim = 8;
  std::string negative_mode = "uniform";
  uint64_t data_seed = 1234;
  std::vector<std::string> exclude;  // features the model leaves out (e.g. user_id)
  // synthetic
  int64_t users = 10000, items = 3000, categories = 40, samples_per_user = 10;
  std::vector<std::string> synthetic;  // key=value overrides of data::SyntheticOptions

  void add(CLI::App& app, bool training);
};

struct TrainingData {
  data::Dataset train, val;
  std::vector<std::string> exclude;  // --exclude as resolved (synthetic default: user_id)
  nlohmann::json slot;  // goes into the checkpoint config's "data"
  std::string description;
};

// Applies --synthetic KEY=VALUE overrides.
void apply_synthetic_overrides(data::SyntheticOptions& o, const std::vector<std::string>& kv);

// Reads or generates the training (and validation) samples. `negatives`: sample the aux-loss
// negatives (DIEN with use_negsampling). `task`: "binary" (labels must be 0 or 1, checked as the
// file is read) or "regression" (any finite label).
TrainingData load_training_data(const DataFlags& f, bool negatives, const std::string& task);

// Reads `path` the way the run that wrote `slot` read its training data: same format, maxlen and
// vocabularies; values outside a vocabulary map to its unknown id (oov "bucket", counted and
// reported on stderr) or are an error naming file, line and column (oov "error"). `task`: the
// model's (labels as for load_training_data).
data::Dataset load_like_training(const nlohmann::json& slot, const std::string& path, const std::string& oov,
                                 bool negatives, const std::string& task);
// The validation samples of a synthetic training run, regenerated from the slot.
data::Dataset synthetic_validation(const nlohmann::json& slot);

// The features a model of `options` sees: the data's features minus `exclude`d ones (their
// hist_/neg_hist_ sequences too) and minus neg_hist_* unless DIEN uses negative sampling.
FeatureConfig model_features(const FeatureConfig& data_features, const ModelOptions& options,
                             const std::vector<std::string>& exclude);

}  // namespace dien::cli
