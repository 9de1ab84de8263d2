// SPDX-License-Identifier: MIT
// models/trainer.h on the tiny model of tiny_ctr_model.h: learning, whole-epoch metrics,
// determinism, validation split semantics, early stopping with restore_best, history files,
// optimizers by name, and option errors.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>

#include "models/metrics.h"
#include "models/checkpoint.h"
#include "models/trainer.h"
#include "support/test_util.h"
#include "tiny_ctr_model.h"

using namespace dien;
using dien::test::require_error;
using dien::test::TinyCtrModel;
namespace fs = std::filesystem;

namespace {

FitOptions quiet(int epochs) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = 64;
  o.lr = 0.02;
  o.verbose = 0;
  return o;
}

std::vector<float> flat_params(const CtrModel& m) {
  std::vector<float> out;
  for (const auto& [name, t] : m.named_parameters()) {
    auto v = t.to_vector<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

std::string temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("dien_test_trainer_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(p);
  return p.string();
}

std::vector<int64_t> range(int64_t b, int64_t e) {
  std::vector<int64_t> r(static_cast<size_t>(e - b));
  std::iota(r.begin(), r.end(), b);
  return r;
}

}  // namespace

TEST_CASE("trainer: fit learns; epoch metrics are whole-set metrics", "[trainer][cpu]") {
  auto train = test::tiny_dataset(3000, 1), val = test::tiny_dataset(1000, 2);
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  double auc_before = evaluate(m, val).auc;
  TrainerState s = fit(m, train, val, quiet(4));
  REQUIRE(s.epoch == 4);
  REQUIRE(s.history.size() == 4);
  REQUIRE(s.global_step == 4 * ((3000 + 63) / 64));
  REQUIRE(s.optimizer == "adam");
  const EpochRecord& last = s.history.back();
  INFO("auc before " << auc_before << ", after " << last.val_auc);
  REQUIRE(last.val_auc > 0.7);
  REQUIRE(last.val_auc > auc_before + 0.1);
  REQUIRE(last.train_loss < s.history.front().train_loss);
  // The last validation metrics are those of the final model over the whole validation set.
  std::vector<float> p = predict(m, val);
  std::vector<double> y(val.labels.begin(), val.labels.end()), pd(p.begin(), p.end());
  REQUIRE(last.val_auc == metrics::roc_auc(y, pd));
  REQUIRE(last.val_loss == metrics::log_loss(y, pd));
  REQUIRE(last.val_gauc == metrics::gauc(y, pd, val.groups));
  REQUIRE(last.val_accuracy == metrics::accuracy(y, pd));
  EvalResult r = evaluate(m, val, 100);  // batch size does not change the result
  REQUIRE(r.rows == 1000);
  REQUIRE(r.auc == last.val_auc);
  REQUIRE(r.gauc == last.val_gauc);
  REQUIRE(std::isfinite(r.mse));
  REQUIRE(std::isfinite(last.train_auc));
  REQUIRE(last.train_objective > last.train_loss);  // the objective adds the L2 term
  // predict() equals model.predict over the whole set at once.
  REQUIRE(p == m.predict(val.all()).to_vector<float>());
}

TEST_CASE("trainer: a seed fixes the run bit for bit on the CPU", "[trainer][cpu]") {
  auto train = test::tiny_dataset(1000, 3);
  auto run = [&](uint64_t seed) {
    TinyCtrModel m(test::tiny_options(), test::tiny_features());
    FitOptions o = quiet(2);
    o.seed = seed;
    TrainerState s = fit(m, train, o);
    REQUIRE(std::isnan(s.history.back().val_auc));  // no validation data
    return std::make_pair(flat_params(m), s.history.back().train_loss);
  };
  auto a = run(11), b = run(11), c = run(12);
  REQUIRE(a.first == b.first);
  REQUIRE(a.second == b.second);
  REQUIRE(a.first != c.first);  // another shuffle order
}

TEST_CASE("trainer: validation_split holds out the last rows, before shuffling", "[trainer][cpu]") {
  auto data = test::tiny_dataset(1000, 4);
  TinyCtrModel a(test::tiny_options(), test::tiny_features()), b(test::tiny_options(), test::tiny_features());
  FitOptions o = quiet(2);
  o.validation_split = 0.25;
  TrainerState sa = fit(a, data, o);
  o.validation_split = 0;
  TrainerState sb = fit(b, data.subset(range(0, 750)), data.subset(range(750, 1000)), o);
  REQUIRE(flat_params(a) == flat_params(b));
  REQUIRE(same_metrics(sa.history.back(), sb.history.back()));
  REQUIRE(sa.history.back().val_auc == evaluate(a, data.subset(range(750, 1000))).auc);
}

TEST_CASE("trainer: early stopping, restore_best, checkpoints, history files and the callback", "[trainer][cpu]") {
  auto train = test::tiny_dataset(1000, 5), val = test::tiny_dataset(400, 6);
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  std::string dir = temp_dir("early");
  FitOptions o = quiet(10);
  o.early_stopping = true;
  o.restore_best = true;
  o.patience = 2;
  o.min_delta = 1.0;  // no later epoch can beat epoch 1 by a whole AUC point
  o.checkpoint_dir = dir + "/ckpt";
  o.history_csv = dir + "/history.csv";
  o.history_json = dir + "/history.json";
  fs::create_directories(dir);
  std::vector<float> epoch1;
  int calls = 0;
  o.on_epoch_end = [&](const EpochRecord& r, const TrainerState& s) {
    ++calls;
    REQUIRE(s.history.size() == static_cast<size_t>(r.epoch));
    if (r.epoch == 1) epoch1 = flat_params(m);
    return true;
  };
  TrainerState s = fit(m, train, val, o);
  REQUIRE(calls == 3);
  REQUIRE(s.stopped_early);
  REQUIRE(s.epoch == 3);
  REQUIRE(s.best_epoch == 1);
  REQUIRE(s.epochs_without_improvement == 2);
  REQUIRE(s.best == s.history[0].val_auc);
  REQUIRE(flat_params(m) == epoch1);  // restored
  REQUIRE(load_trainer_state(dir + "/ckpt/best").epoch == 1);
  REQUIRE(load_trainer_state(dir + "/ckpt/last").epoch == 3);
  std::ifstream csv(o.history_csv);
  std::string line;
  int lines = 0;
  while (std::getline(csv, line)) ++lines;
  REQUIRE(lines == 4);  // header + 3 epochs
  std::ifstream js(o.history_json);
  auto h = nlohmann::json::parse(js);
  REQUIRE(h.size() == 3);
  REQUIRE(same_metrics(EpochRecord::from_json(h[2]), s.history[2]));
  // The callback can stop training.
  TinyCtrModel m2(test::tiny_options(), test::tiny_features());
  FitOptions o2 = quiet(5);
  o2.on_epoch_end = [](const EpochRecord& r, const TrainerState&) { return r.epoch < 2; };
  REQUIRE(fit(m2, train, val, o2).epoch == 2);
  fs::remove_all(dir);
}

TEST_CASE("trainer: val_loss monitor counts an epoch as better when the loss drops", "[trainer][cpu]") {
  auto train = test::tiny_dataset(2000, 7), val = test::tiny_dataset(500, 8);
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  FitOptions o = quiet(3);
  o.monitor = "val_loss";
  TrainerState s = fit(m, train, val, o);
  double best = s.history[0].val_loss;
  int best_epoch = 1;
  for (const auto& r : s.history)
    if (r.val_loss < best) best = r.val_loss, best_epoch = r.epoch;
  REQUIRE(s.best == best);
  REQUIRE(s.best_epoch == best_epoch);
}

TEST_CASE("trainer: every optimizer by name trains", "[trainer][cpu]") {
  auto train = test::tiny_dataset(500, 9);
  for (const char* name : {"adam", "adagrad", "sgd", "rmsprop"}) {
    INFO(name);
    TinyCtrModel m(test::tiny_options(), test::tiny_features());
    std::vector<float> before = flat_params(m);
    FitOptions o = quiet(1);
    o.optimizer = name;
    o.lr = kNoValue;  // the optimizer's default
    TrainerState s = fit(m, train, o);
    REQUIRE(s.optimizer == name);
    REQUIRE(flat_params(m) != before);
    REQUIRE(s.history[0].lr == (std::string(name) == "adam" ? 1e-3 : 1e-2));
  }
}

TEST_CASE("trainer: bad options are named", "[trainer][cpu]") {
  auto train = test::tiny_dataset(100, 10);
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  FitOptions o = quiet(1);
  o.optimizer = "adamw";
  require_error([&] { fit(m, train, o); }, {"unknown optimizer 'adamw'", "adam, adagrad, sgd, rmsprop"});
  o = quiet(1);
  o.validation_split = 1.0;
  require_error([&] { fit(m, train, o); }, {"validation_split", "[0, 1)"});
  o = quiet(1);
  o.early_stopping = true;
  require_error([&] { fit(m, train, o); }, {"early_stopping", "validation data"});
  o = quiet(1);
  o.monitor = "auc";
  require_error([&] { fit(m, train, o); }, {"monitor", "'auc'"});
  o = quiet(1);
  o.batch_size = 0;
  require_error([&] { fit(m, train, o); }, {"batch_size"});
  require_error([&] { evaluate_predictions({1, 0}, {0.5f, NAN}, {}, "binary"); }, {"prediction 1", "diverge"});
}

// A loss that is not finite stops the run, naming the epoch and the step that made it (on a GPU
// fit() reads the losses some steps later: tests/cuda/test_transfers.cpp checks it names the same).
TEST_CASE("trainer: a loss that is not finite names its step", "[trainer][cpu]") {
  auto train = test::tiny_dataset(640, 12);
  train.columns["price"].values[300] = NAN;  // row 300: step 5 of 64-row batches in order
  TinyCtrModel m(test::tiny_options(), test::tiny_features());
  FitOptions o = quiet(1);
  o.shuffle = false;
  require_error([&] { fit(m, train, o); }, {"epoch 1 step 5: the loss is NaN"});
}
