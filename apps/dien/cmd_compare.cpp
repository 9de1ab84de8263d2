// SPDX-License-Identifier: MIT
// `dien compare`: base, DIN and the DIEN variants on the same data, seeds and budget.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "apps/dien/commands.h"
#include "apps/dien/data_source.h"
#include "apps/dien/fit_flags.h"
#include "apps/dien/model_flags.h"
#include "models/trainer.h"

namespace dien::cli {

namespace {

struct CompareArgs {
  DataFlags data;
  ModelFlags model;
  FitFlags fit;
  std::vector<std::string> models = {"base", "din", "dien-gru", "dien-aigru", "dien-agru", "dien-augru"};
  std::vector<uint64_t> seeds = {1};
  bool json = false;
};

struct Run {
  std::string model;
  uint64_t seed;
  double auc, logloss, gauc, seconds;
};

ModelOptions options_for(const CompareArgs& a, const std::string& name, uint64_t seed) {
  ModelOptions o;
  if (name == "base" || name == "din") {
    o = a.model.resolve(name);
    // A controlled comparison: DIN's attention unit is DIEN's (ReLU MLP, softmax over the
    // valid steps) unless the flags say otherwise. DeepCTR-Torch's DIN defaults (Dice, no
    // normalisation) learn much more slowly on the synthetic data (README).
    if (name == "din" && !a.model.att_activation) o.att_activation = "relu";
    if (name == "din" && !a.model.att_weight_normalization) o.att_weight_normalization = true;
  } else {
    o = a.model.resolve("dien");
    std::string g = name.substr(5);
    for (auto& c : g) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    o.gru_type = g;
  }
  o.seed = seed;
  o.device = a.fit.device;
  o.validate();
  return o;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}
double sd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

void run_compare(const CompareArgs& a) {
  set_threads(a.fit.threads);
  check_device(a.fit.device);
  for (const auto& m : a.models)
    if (m != "base" && m != "din" && m != "dien-gru" && m != "dien-aigru" && m != "dien-agru" && m != "dien-augru")
      fail("dien compare", "unknown model '", m, "' (base, din, dien-gru, dien-aigru, dien-agru, dien-augru)");
  bool negatives = false;
  for (const auto& m : a.models)
    if (m.rfind("dien", 0) == 0 && options_for(a, m, 1).use_negsampling) negatives = true;
  std::fprintf(stderr, "dien compare: loading data...\n");
  TrainingData td = load_training_data(a.data, negatives, a.models.empty() ? "binary" : options_for(a, a.models.front(), 1).task);
  if (td.val.rows() == 0) fail("dien compare", "no validation samples: give --val or --validation-split > 0");
  if (!a.json)
    std::printf("data: %s: %lld training and %lld validation samples; %d epochs, batch %lld, %s\n",
                td.description.c_str(), static_cast<long long>(td.train.rows()),
                static_cast<long long>(td.val.rows()), a.fit.fit.epochs, static_cast<long long>(a.fit.fit.batch_size),
                a.fit.fit.optimizer.c_str());
  if (!a.json) print_loss_legend(a.model.task && *a.model.task == "regression", negatives);
  std::vector<Run> runs;
  for (uint64_t seed : a.seeds) {
    for (const auto& name : a.models) {
      ModelOptions o = options_for(a, name, seed);
      std::unique_ptr<CtrModel> model = make_model(o, model_features(td.train.features, o, td.exclude));
      FitOptions fo = a.fit.fit;
      fo.seed = seed;
      fo.verbose = a.json ? 0 : 1;
      if (!a.json) std::printf("-- %s, seed %llu\n", name.c_str(), static_cast<unsigned long long>(seed));
      std::fflush(stdout);
      const auto t0 = std::chrono::steady_clock::now();
      TrainerState st = fit(*model, td.train, td.val, fo);
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const EpochRecord& last = st.history.back();
      Run r{name, seed, last.val_auc, last.val_loss, last.val_gauc, secs};
      runs.push_back(r);
      if (a.json) {
        nlohmann::json j{{"model", r.model},         {"seed", r.seed},       {"val_auc", r.auc},
                         {"val_logloss", r.logloss}, {"val_gauc", r.gauc},   {"seconds", r.seconds},
                         {"epochs", last.epoch},      {"train_rows", td.train.rows()},
                         {"val_rows", td.val.rows()}};
        std::printf("%s\n", j.dump().c_str());
        std::fflush(stdout);
      }
    }
  }
  if (a.json) return;
  std::printf("\n%-12s %-18s %-18s %-18s %s\n", "model", "val AUC", "val logloss", "val GAUC", "seconds");
  for (const auto& name : a.models) {
    std::vector<double> auc, ll, gauc, secs;
    for (const Run& r : runs)
      if (r.model == name) {
        auc.push_back(r.auc);
        ll.push_back(r.logloss);
        gauc.push_back(r.gauc);
        secs.push_back(r.seconds);
      }
    auto cell = [&](const std::vector<double>& v) {
      char b[64];
      if (v.size() > 1)
        std::snprintf(b, sizeof b, "%.4f ± %.4f", mean(v), sd(v));
      else
        std::snprintf(b, sizeof b, "%.4f", mean(v));
      return std::string(b);
    };
    std::printf("%-12s %-18s %-18s %-18s %.1f\n", name.c_str(), cell(auc).c_str(), cell(ll).c_str(),
                cell(gauc).c_str(), mean(secs));
  }
  if (a.seeds.size() > 1) std::printf("(mean ± sd over %zu seeds; seconds: mean per run)\n", a.seeds.size());
}

}  // namespace

void add_compare(CLI::App& app) {
  auto a = std::make_shared<CompareArgs>();
  CLI::App* sub = app.add_subcommand(
      "compare",
      "Train base, DIN and DIEN (GRU, AIGRU, AGRU, AUGRU) on the same data with the same seeds and budget; print "
      "validation AUC, logloss, GAUC and time per model (last epoch). Default data: synthetic. DIN uses DIEN's "
      "attention unit (relu, softmax) unless --att-activation / --att-weight-normalization say otherwise.");
  a->data.add(*sub, true);
  a->model.add(*sub, true);
  a->fit.fit.epochs = 2;  // six models within the 10-minute budget of a 2-core machine
  a->fit.add(*sub);
  sub->add_option("--models", a->models, "models to train")->capture_default_str();
  sub->add_option("--seeds", a->seeds, "seeds (initialisation and shuffling); mean ± sd over several")
      ->capture_default_str();
  sub->add_flag("--json", a->json,
                "one JSON object per run: model, seed, val_auc, val_logloss, val_gauc, seconds, epochs");
  sub->callback([a] { run_compare(*a); });
}

}  // namespace dien::cli
