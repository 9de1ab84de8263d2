// SPDX-License-Identifier: MIT
// With the real models (DIEN with AUGRU, auxiliary loss, batch norm, PReLU and dropout in the
// DNN, so that buffers and the dropout stream matter; DIN with Dice): a checkpoint reloads to
// bit-identical predictions, and a run resumed after epoch 1 equals 2 epochs straight, bit for bit.
#include <catch2/catch.hpp>
#include <filesystem>
#include <unistd.h>

#include "data/synthetic.h"
#include "models/checkpoint.h"
#include "models/trainer.h"

using namespace dien;
namespace fs = std::filesystem;

namespace {

std::map<std::string, std::vector<float>> state(const CtrModel& m) {
  std::map<std::string, std::vector<float>> out;
  for (const auto& [name, t] : m.state_dict())
    if (t.dtype() == DType::F32) out[name] = t.to_vector<float>();
  return out;
}

ModelOptions options(const std::string& kind) {
  ModelOptions o = ModelOptions::defaults(kind);
  o.dnn_hidden_units = {16, 8};
  o.att_hidden_units = {8, 4};
  o.use_bn = true;
  o.dnn_dropout = 0.2;
  if (kind == "dien") {
    o.gru_type = "AUGRU";
    o.use_negsampling = true;
    o.dnn_activation = "prelu";
  }
  return o;
}

}  // namespace

TEST_CASE("models: checkpoint reload and resume are bit-identical for DIEN and DIN", "[checkpoint][models]") {
  data::SyntheticOptions so;
  so.users = 120;
  so.items = 300;
  so.categories = 10;
  so.samples_per_user = 5;
  so.maxlen = 12;
  data::SyntheticData d = data::make_synthetic(so);
  std::vector<int64_t> tr, va;
  for (int64_t r = 0; r < d.dataset.rows(); ++r) (r % 5 == 0 ? va : tr).push_back(r);
  const data::Dataset train = d.dataset.subset(tr), val = d.dataset.subset(va);
  const fs::path root = fs::temp_directory_path() / ("dien_test_resume_models_" + std::to_string(::getpid()));
  for (const std::string kind : {"dien", "din"}) {
    INFO(kind);
    FeatureConfig fc = d.features;
    if (kind == "din") {  // DIN pools every non-history varlen feature: leave the negatives out
      std::erase_if(fc.features, [](const FeatureSpec& f) { return f.name.rfind("neg_", 0) == 0; });
    }
    FitOptions o;
    o.epochs = 2;
    o.batch_size = 64;
    o.verbose = 0;
    auto straight = make_model(options(kind), fc);
    TrainerState s2 = fit(*straight, train, val, o);

    o.epochs = 1;
    o.checkpoint_dir = (root / kind).string();
    auto first = make_model(options(kind), fc);
    fit(*first, train, val, o);
    // reload: bit-identical predictions
    auto reloaded = load_model(o.checkpoint_dir + "/last");
    REQUIRE(predict(*reloaded, val) == predict(*first, val));
    // resume: bit-identical to the uninterrupted run
    FitOptions r = o;
    r.epochs = 2;
    r.checkpoint_dir.clear();
    r.resume_from = o.checkpoint_dir + "/last";
    TrainerState s = fit(*reloaded, train, val, r);
    REQUIRE(s.epoch == 2);
    REQUIRE(state(*reloaded) == state(*straight));
    REQUIRE(s.history.back().val_auc == s2.history.back().val_auc);
    REQUIRE(predict(*reloaded, val) == predict(*straight, val));
  }
  fs::remove_all(root);
}
