// SPDX-License-Identifier: MIT
// `dien train`: reads or generates samples, trains a model, writes checkpoints and history.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "apps/dien/commands.h"
#include "apps/dien/data_source.h"
#include "apps/dien/fit_flags.h"
#include "apps/dien/model_flags.h"
#include "models/checkpoint.h"
#include "models/trainer.h"

namespace dien::cli {

namespace {

struct TrainArgs {
  DataFlags data;
  ModelFlags model;
  FitFlags fit;
  std::string out = "dien-model";
  bool resume = false;
  bool early_stopping = false;
  int patience = 2;
};

int64_t parameter_count(const CtrModel& m) {
  int64_t n = 0;
  for (const auto& [name, t] : m.named_parameters()) n += t.numel();
  return n;
}

void run_train(const TrainArgs& a) {
  set_threads(a.fit.threads);
  ModelOptions mo = a.model.resolve();
  if (!a.model.seed) mo.seed = a.fit.fit.seed;
  mo.device = a.fit.device;
  const bool negatives = mo.kind == "dien" && mo.use_negsampling;
  std::fprintf(stderr, "dien train: loading data...\n");
  TrainingData td = load_training_data(a.data, negatives);
  FeatureConfig fc = model_features(td.train.features, mo, td.exclude);
  std::unique_ptr<CtrModel> model = make_model(mo, fc);
  std::printf("data: %s: %lld training and %lld validation samples\n", td.description.c_str(),
              static_cast<long long>(td.train.rows()), static_cast<long long>(td.val.rows()));
  std::string what = mo.kind;
  if (mo.kind == "dien") what += " (" + mo.gru_type + (mo.use_negsampling ? ", auxiliary loss" : "") + ")";
  std::string left_out;
  for (const auto& e : td.exclude) left_out += (left_out.empty() ? "; features left out: " : ", ") + e;
  std::printf("model: %s, %lld parameters, device %s%s\n", what.c_str(),
              static_cast<long long>(parameter_count(*model)), mo.device.c_str(), left_out.c_str());
  std::fflush(stdout);

  FitOptions fo = a.fit.fit;
  fo.checkpoint_dir = a.out;
  fo.data = td.slot;
  fo.history_csv = (std::filesystem::path(a.out) / "history.csv").string();
  fo.history_json = (std::filesystem::path(a.out) / "history.json").string();
  fo.early_stopping = a.early_stopping;
  fo.patience = a.patience;
  fo.restore_best = a.early_stopping;
  if (a.resume) {
    const auto last = std::filesystem::path(a.out) / "last";
    if (!std::filesystem::exists(last / "trainer.json"))
      fail("dien train", "--resume: no checkpoint to resume in ", last.string());
    fo.resume_from = last.string();
  }
  std::filesystem::create_directories(a.out);
  TrainerState st = fit(*model, td.train, td.val, fo);
  if (!st.history.empty()) {
    const EpochRecord& last = st.history.back();
    if (td.val.rows() > 0) {
      std::printf("validation AUC: %.4f (logloss %.4f) after %d epochs; best %.4f at epoch %d\n", last.val_auc,
                  last.val_loss, last.epoch, st.best, st.best_epoch);
    }
  }
  std::printf("model saved in %s (best/ and last/); try: dien eval %s, dien info %s\n", a.out.c_str(),
              a.out.c_str(), a.out.c_str());
}

}  // namespace

void add_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* sub = app.add_subcommand(
      "train",
      "Train a model. With no arguments: generates synthetic data whose users' interests drift, and trains "
      "DIEN (AUGRU, auxiliary loss), printing loss and validation AUC per epoch.");
  args->data.add(*sub, true);
  args->model.add(*sub, true);
  args->fit.add(*sub);
  sub->add_option("--out", args->out, "output directory: best/ and last/ checkpoints, history.csv/.json")
      ->capture_default_str();
  sub->add_flag("--resume", args->resume, "continue the run in --out from its last/ checkpoint");
  sub->add_flag("--early-stopping", args->early_stopping,
                "stop when validation AUC has not improved for --patience epochs, restore the best weights");
  sub->add_option("--patience", args->patience, "epochs without improvement before stopping")->capture_default_str();
  sub->callback([args] { run_train(*args); });
}

}  // namespace dien::cli
