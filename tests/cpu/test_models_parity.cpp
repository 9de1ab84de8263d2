// SPDX-License-Identifier: MIT
// Parity with the real DeepCTR-Torch 0.3.0: tests/fixtures/deepctr_*.safetensors hold a DeepCTR-
// Torch DIEN (each gru_type, negative sampling) or DIN with random weights, a batch and its eval
// predictions (tools/reference/make_dien_fixture.py). The state dict is loaded by name into our
// model (load_state_dict fails on any missing, unexpected or mis-shaped name, so this also checks
// that every parameter name is DeepCTR-Torch's) and predictions must agree to 1e-5.
#include <nlohmann/json.hpp>

#include "core/serialize.h"
#include "models/ctr_model.h"
#include "support/test_util.h"

using namespace dien;

namespace {

FeatureConfig fixture_features(bool dien) {
  FeatureConfig fc;
  fc.features = {FeatureSpec::sparse("user_id", 7, 3), FeatureSpec::sparse("item_id", 11, 4),
                 FeatureSpec::sparse("cate_id", 5, 2), FeatureSpec::dense("price", 1),
                 FeatureSpec::varlen("hist_item_id", 11, 4, 5, "seq_length", "item_id"),
                 FeatureSpec::varlen("hist_cate_id", 5, 2, 5, "seq_length", "cate_id")};
  if (dien) {
    fc.features.push_back(FeatureSpec::varlen("neg_hist_item_id", 11, 4, 5, "seq_length", "item_id"));
    fc.features.push_back(FeatureSpec::varlen("neg_hist_cate_id", 5, 2, 5, "seq_length", "cate_id"));
  } else {
    fc.features.push_back(FeatureSpec::varlen("tags", 6, 2, 3, "tags_len", "", "mean"));
  }
  fc.history_features = {"item_id", "cate_id"};
  return fc;
}

void check_fixture(const std::string& name, bool dien) {
  SafetensorsFile f = load_safetensors(std::string(DIEN_FIXTURE_DIR) + "/" + name + ".safetensors");
  ModelOptions opt = ModelOptions::from_json(nlohmann::json::parse(f.metadata.at("options")));
  auto model = make_model(opt, fixture_features(dien));
  std::map<std::string, Tensor> state;
  data::Batch batch;
  for (const auto& [k, t] : f.tensors) {
    if (k.rfind("state.", 0) == 0) state[k.substr(6)] = t;
    if (k.rfind("x.", 0) == 0) {
      if (k == "x.y")
        batch.y = t;
      else
        batch.x[k.substr(2)] = t;
    }
  }
  // Our names and shapes equal DeepCTR-Torch's exactly (no renaming).
  REQUIRE_NOTHROW(model->load_state_dict(state));
  Tensor p = model->predict(batch);
  REQUIRE(p.shape() == Shape{5});
  REQUIRE_CLOSE(p, f.tensors.at("y_pred"), 1e-5, 1e-5);
  if (dien) {
    ForwardResult r = model->run(batch, /*training=*/false, /*aux=*/true);  // eval semantics, aux asked for
    REQUIRE(r.aux_loss.defined());
    REQUIRE_CLOSE(r.aux_loss, f.tensors.at("aux_loss"), 1e-5, 1e-5);
    REQUIRE_CLOSE(sigmoid(r.logits), f.tensors.at("y_pred"), 1e-5, 1e-5);
  }
}

}  // namespace

TEST_CASE("DeepCTR-Torch parity: DIEN GRU (batch norm in the DNN)", "[models][parity]") {
  check_fixture("deepctr_dien_gru", true);
}
TEST_CASE("DeepCTR-Torch parity: DIEN AIGRU", "[models][parity]") { check_fixture("deepctr_dien_aigru", true); }
TEST_CASE("DeepCTR-Torch parity: DIEN AGRU (Dice attention)", "[models][parity]") {
  check_fixture("deepctr_dien_agru", true);
}
TEST_CASE("DeepCTR-Torch parity: DIEN AUGRU (paper form, PReLU DNN)", "[models][parity]") {
  check_fixture("deepctr_dien_augru", true);
}
TEST_CASE("DeepCTR-Torch parity: the authors' AUGRU form is not DeepCTR-Torch's", "[models][parity]") {
  SafetensorsFile f = load_safetensors(std::string(DIEN_FIXTURE_DIR) + "/deepctr_dien_augru.safetensors");
  ModelOptions opt = ModelOptions::from_json(nlohmann::json::parse(f.metadata.at("options")));
  opt.augru_form = "reference";
  auto model = make_model(opt, fixture_features(true));
  std::map<std::string, Tensor> state;
  data::Batch batch;
  for (const auto& [k, t] : f.tensors) {
    if (k.rfind("state.", 0) == 0) state[k.substr(6)] = t;
    if (k.rfind("x.", 0) == 0 && k != "x.y") batch.x[k.substr(2)] = t;
  }
  batch.y = f.tensors.at("x.y");
  model->load_state_dict(state);
  REQUIRE_FALSE(dien::test::all_close(model->predict(batch), f.tensors.at("y_pred"), 1e-3, 1e-3).ok);
}

TEST_CASE("DeepCTR-Torch parity: DIN (Dice attention, mean-pooled varlen)", "[models][parity]") {
  check_fixture("deepctr_din", false);
}
