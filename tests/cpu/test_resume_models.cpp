// SPDX-License-Identifier: MIT
// With the real models (DIEN with AUGRU, auxiliary loss, batch norm, PReLU and dropout in the
// DNN, so that buffers and the dropout stream matter; DIN with Dice): a checkpoint reloads to
// bit-identical predictions, and a run resumed after epoch 1 equals 2 epochs straight, bit for bit,
// with row-sparse embedding gradients (lazy Adam, the default) and with dense ones. The modes
// train differently; a resume continues in the saved mode and refuses another.
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
    FeatureConfig fc = d.features;
    if (kind == "din") {  // DIN pools every non-history varlen feature: leave the negatives out
      std::erase_if(fc.features, [](const FeatureSpec& f) { return f.name.rfind("neg_", 0) == 0; });
    }
    std::map<std::string, std::map<std::string, std::vector<float>>> straight_state;
    for (const std::string mode : {"sparse", "dense"}) {
      INFO(kind << ", embedding_grad " << mode);
      FitOptions o;
      o.epochs = 2;
      o.batch_size = 64;
      o.verbose = 0;
      if (mode == "dense") o.embedding_grad = "dense";  // sparse: the default ("")
      auto straight = make_model(options(kind), fc);
      TrainerState s2 = fit(*straight, train, val, o);
      REQUIRE(s2.embedding_grad == mode);
      straight_state[mode] = state(*straight);

      o.epochs = 1;
      o.checkpoint_dir = (root / (kind + "_" + mode)).string();
      auto first = make_model(options(kind), fc);
      fit(*first, train, val, o);
      REQUIRE(load_trainer_state(o.checkpoint_dir + "/last").embedding_grad == mode);
      // reload: bit-identical predictions
      auto reloaded = load_model(o.checkpoint_dir + "/last");
      REQUIRE(predict(*reloaded, val) == predict(*first, val));
      FitOptions r = o;
      r.epochs = 2;
      r.checkpoint_dir.clear();
      r.resume_from = o.checkpoint_dir + "/last";
      // another mode than the run's is refused
      r.embedding_grad = mode == "dense" ? "sparse" : "dense";
      REQUIRE_THROWS_AS(fit(*reloaded, train, val, r), Error);
      // resume (mode unset: the run's own): bit-identical to the uninterrupted run
      r.embedding_grad.clear();
      auto resumed = load_model(o.checkpoint_dir + "/last");
      TrainerState s = fit(*resumed, train, val, r);
      REQUIRE(s.epoch == 2);
      REQUIRE(s.embedding_grad == mode);
      REQUIRE(state(*resumed) == straight_state[mode]);
      REQUIRE(s.history.back().val_auc == s2.history.back().val_auc);
      REQUIRE(predict(*resumed, val) == predict(*straight, val));
    }
    // Lazy and dense Adam train differently (the embedding rows above all).
    REQUIRE(straight_state["sparse"] != straight_state["dense"]);
  }
  fs::remove_all(root);
}
