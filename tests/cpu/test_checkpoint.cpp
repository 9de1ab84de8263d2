// SPDX-License-Identifier: MIT
// models/checkpoint.h: directory layout, bit-identical reload, resume equal to an uninterrupted
// run, atomic replacement, errors.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "checkpoint_test_util.h"
#include "models/checkpoint.h"
#include "models/trainer.h"
#include "support/test_util.h"
#include "tiny_ctr_model.h"

using namespace dien;
using dien::test::require_error;
using dien::test::TinyCtrModel;
namespace fs = std::filesystem;

namespace {

std::string temp_dir(const std::string& name) { return test::fresh_temp_dir("ckpt_" + name); }

std::map<std::string, std::vector<float>> params(const CtrModel& m) {
  std::map<std::string, std::vector<float>> out;
  for (const auto& [name, t] : m.named_parameters()) out[name] = t.to_vector<float>();
  return out;
}

FitOptions quiet(int epochs) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = 50;
  o.lr = 0.01;
  o.verbose = 0;
  return o;
}

}  // namespace

TEST_CASE("checkpoint: layout, data slot, and bit-identical predictions after load", "[checkpoint][cpu]") {
  std::string root = temp_dir("layout");
  auto train = test::tiny_dataset(600, 21), val = test::tiny_dataset(300, 22);
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  fit(m, train, quiet(1));
  nlohmann::json data{{"vocab", {{"user_id", {"a", "b"}}}}, {"reader", "amazon"}};
  save_checkpoint(root + "/c", m, nullptr, nullptr, data);
  for (const char* f : {"config.json", "model.safetensors"}) REQUIRE(fs::exists(root + "/c/" + f));
  REQUIRE(!has_optimizer_state(root + "/c"));
  REQUIRE(!has_trainer_state(root + "/c"));
  nlohmann::json c = read_checkpoint_config(root + "/c");
  REQUIRE(c["format"] == "dien-checkpoint");
  REQUIRE(c["version"] == kCheckpointVersion);
  REQUIRE(c["data"] == data);
  REQUIRE(c["model"] == m.config());
  REQUIRE(c["model"]["options"]["kind"] == "tiny");
  auto loaded = load_model(root + "/c", test::make_tiny_model);
  REQUIRE(params(*loaded) == params(m));
  REQUIRE(predict(*loaded, val) == predict(m, val));
  // Parameter names as saved: dotted module paths.
  auto names = params(m);
  REQUIRE(names.count("embedding_dict.user_id"));
  REQUIRE(names.count("out.weight"));
  fs::remove_all(root);
}

TEST_CASE("checkpoint: resuming after epoch 1 equals training 2 epochs straight", "[checkpoint][cpu]") {
  std::string root = temp_dir("resume");
  auto train = test::tiny_dataset(700, 23), val = test::tiny_dataset(200, 24);
  for (const char* opt : {"adam", "rmsprop"}) {
    INFO(opt);
    FitOptions o = quiet(2);
    o.optimizer = opt;
    TinyCtrModel straight(test::tiny_options(), test::tiny_features());
    TrainerState s2 = fit(straight, train, val, o);

    o.epochs = 1;
    o.checkpoint_dir = root + "/" + opt;
    TinyCtrModel first(test::tiny_options(), test::tiny_features());
    fit(first, train, val, o);
    REQUIRE(has_trainer_state(o.checkpoint_dir + "/last"));
    REQUIRE(has_optimizer_state(o.checkpoint_dir + "/last"));

    std::unique_ptr<CtrModel> resumed = load_model(o.checkpoint_dir + "/last", test::make_tiny_model);
    FitOptions r = quiet(2);
    r.optimizer = opt;
    r.resume_from = o.checkpoint_dir + "/last";
    TrainerState s = fit(*resumed, train, val, r);
    REQUIRE(s.epoch == 2);
    REQUIRE(s.global_step == s2.global_step);
    REQUIRE(s.shuffle_offset == s2.shuffle_offset);
    REQUIRE(params(*resumed) == params(straight));
    REQUIRE(s.history.size() == 2);
    for (size_t i = 0; i < 2; ++i) REQUIRE(same_metrics(s.history[i], s2.history[i]));
    REQUIRE(s.best == s2.best);
    REQUIRE(s.best_epoch == s2.best_epoch);

    // Another optimizer cannot continue this run.
    r.optimizer = std::string(opt) == "adam" ? "sgd" : "adam";
    require_error([&] { fit(*resumed, train, val, r); }, {"resume_from", "trained with", opt});
  }
  fs::remove_all(root);
}

TEST_CASE("checkpoint: saving over a checkpoint replaces it whole and leaves no temporaries", "[checkpoint][cpu]") {
  std::string root = temp_dir("atomic");
  auto train = test::tiny_dataset(300, 25);
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  std::unique_ptr<Optimizer> opt = make_optimizer("adam", m.named_parameters());
  TrainerState st;
  st.epoch = 1;
  save_checkpoint(root + "/c", m, opt.get(), &st, {{"v", 1}});
  auto p1 = params(m);
  fit(m, train, quiet(1));
  st.epoch = 2;
  save_checkpoint(root + "/c", m, nullptr, &st, {{"v", 2}});
  REQUIRE(read_checkpoint_config(root + "/c")["data"]["v"] == 2);
  REQUIRE(load_trainer_state(root + "/c").epoch == 2);
  REQUIRE(!has_optimizer_state(root + "/c"));  // the old directory is gone, not merged
  REQUIRE(params(*load_model(root + "/c", test::make_tiny_model)) == params(m));
  REQUIRE(params(m) != p1);
  // A failed save leaves the previous checkpoint as it was.
  require_error([&] { save_checkpoint(root + "/c", m, nullptr, nullptr, nlohmann::json::array()); },
                {"save_checkpoint", "data must be a JSON object"});
  REQUIRE(load_trainer_state(root + "/c").epoch == 2);
  int entries = 0;
  for (const auto& e : fs::directory_iterator(root)) {
    INFO(e.path().string());
    REQUIRE(e.path().filename() == "c");
    ++entries;
  }
  REQUIRE(entries == 1);
  fs::remove_all(root);
}

TEST_CASE("checkpoint: loading errors name the directory and the problem", "[checkpoint][cpu]") {
  std::string root = temp_dir("errors");
  require_error([&] { load_model(root + "/none", test::make_tiny_model); }, {"read_checkpoint_config", "none/config.json"});
  fs::create_directories(root + "/bad");
  std::ofstream(root + "/bad/config.json") << "{\"format\": \"other\"}";
  require_error([&] { read_checkpoint_config(root + "/bad"); }, {"bad/config.json", "not a dien checkpoint"});
  std::ofstream(root + "/bad/config.json") << "{\"format\": \"dien-checkpoint\", \"version\": 99, \"model\": {}}";
  require_error([&] { read_checkpoint_config(root + "/bad"); }, {"unsupported version 99"});
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  save_checkpoint(root + "/ok", m);
  fs::remove(root + "/ok/model.safetensors");
  require_error([&] { load_model(root + "/ok", test::make_tiny_model); }, {"load_model", "ok", "model.safetensors"});
  require_error([&] { load_trainer_state(root + "/ok"); }, {"load_trainer_state", "no trainer.json"});
  // (A file added to a checkpoint with a manifest is refused as unlisted: test_checkpoint_integrity.cpp.)
  fs::remove(root + "/ok/manifest.json");
  test::CaptureWarnings quiet_warnings;
  std::ofstream(root + "/ok/trainer.json") << "{\"epoch\": 1}";
  require_error([&] { load_trainer_state(root + "/ok"); }, {"trainer.json", "missing key 'global_step'"});
  fs::remove_all(root);
}
