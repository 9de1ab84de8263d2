// SPDX-License-Identifier: MIT
// `dien eval MODEL`: metrics of a trained model on samples (default: a synthetic model's
// validation samples).
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "apps/dien/checks.h"
#include "apps/dien/commands.h"
#include "apps/dien/data_source.h"
#include "models/checkpoint.h"
#include "models/trainer.h"

namespace dien::cli {

namespace {

struct EvalArgs {
  std::string model, data, oov = "bucket", device = "cpu";
  int64_t batch_size = 1024;
  int threads = 0;
  bool json = false, allow_nonfinite = false;
};

void print_metric(const char* name, double v) {
  if (v == v) std::printf("%-9s %.6f\n", name, v);
}

void run_eval(const EvalArgs& a) {
  set_threads(a.threads);
  check_device(a.device);
  const std::string dir = resolve_checkpoint(a.model);
  std::unique_ptr<CtrModel> m = load_model(dir, CheckpointLoadOptions{a.allow_nonfinite});
  m->to(Device::parse(a.device));
  const nlohmann::json slot = read_checkpoint_config(dir)["data"];
  // Evaluation needs no aux-loss negatives (the auxiliary branch runs only in training).
  data::Dataset ds = a.data.empty() ? synthetic_validation(slot) : load_like_training(slot, a.data, a.oov, false, m->options().task);
  EvalResult r = evaluate(*m, ds, a.batch_size);
  if (a.json) {
    nlohmann::json j = r.to_json();
    j["model"] = dir;
    j["data"] = a.data.empty() ? "synthetic validation samples" : a.data;
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("model     %s\ndata      %s\nrows      %lld\n", dir.c_str(),
              a.data.empty() ? "synthetic validation samples" : a.data.c_str(), static_cast<long long>(r.rows));
  print_metric("auc", r.auc);
  print_metric("gauc", r.gauc);
  print_metric("logloss", r.logloss);
  print_metric("accuracy", r.accuracy);
  print_metric("mse", r.mse);
}

}  // namespace

void add_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* sub = app.add_subcommand("eval", "Evaluate a trained model: AUC, GAUC, logloss, accuracy, MSE.");
  sub->add_option("MODEL", a->model, "checkpoint directory, or a `dien train --out` directory (uses best/)")
      ->required();
  sub->add_option("--data", a->data,
                  "samples in the training run's format (default: the validation part of a synthetic run)")
      ->check(CLI::ExistingFile);
  sub->add_option("--oov", a->oov, "values outside the training vocabularies: bucket (unknown id) or error")
      ->check(CLI::IsMember({"bucket", "error"}))
      ->capture_default_str();
  sub->add_option("--batch-size", a->batch_size, "rows per forward pass")
      ->check(whole_in(1, kMaxBatch))
      ->capture_default_str();
  sub->add_option("--device", a->device, "cpu or cuda[:N]")->capture_default_str();
  sub->add_option("--threads", a->threads, "CPU threads (0: every usable core)")->check(at_least(0))->capture_default_str();
  sub->add_flag("--json", a->json, "one JSON object instead of the table");
  sub->add_flag("--allow-nonfinite-weights", a->allow_nonfinite, "load NaN or infinite weights instead of refusing the checkpoint (to inspect a run that diverged)");
  sub->callback([a] { run_eval(*a); });
}

}  // namespace dien::cli
