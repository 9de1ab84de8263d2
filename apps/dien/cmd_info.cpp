// SPDX-License-Identifier: MIT
// `dien info MODEL`: what a checkpoint holds.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "apps/dien/commands.h"
#include "core/json_limits.h"
#include "models/checkpoint.h"

namespace dien::cli {

namespace {

struct InfoArgs {
  std::string model;
  bool json = false, tensors = false, allow_nonfinite = false;
};

// "manifest.json (version 1): 4 files, sizes and CRC-32 verified", or why nothing was verified.
std::string integrity_line(const CheckpointIntegrity& v) {
  if (!v.has_manifest) return "no manifest.json (saved by an older dien): files not verified";
  return std::string(kManifestFile) + " (version " + std::to_string(v.manifest_version) + "): " +
         std::to_string(v.files.size()) + " files, sizes and CRC-32 verified";
}

void run_info(const InfoArgs& a) {
  const std::string dir = resolve_checkpoint(a.model);
  const CheckpointIntegrity integrity = verify_checkpoint(dir);
  const nlohmann::json cfg = read_checkpoint_config(dir);
  std::unique_ptr<CtrModel> m = load_model(dir, CheckpointLoadOptions{a.allow_nonfinite});
  if (a.json) {
    nlohmann::json j = cfg;
    j["integrity"] = {{"manifest", integrity.has_manifest}, {"verified", integrity.has_manifest}};
    if (integrity.has_manifest) {
      j["integrity"]["manifest_version"] = integrity.manifest_version;
      for (const ManifestEntry& e : integrity.files) j["integrity"]["files"].push_back(e.name);
    }
    if (j["data"].contains("vocabularies")) j["data"]["vocabularies"] = "(omitted)";
    if (has_trainer_state(dir)) j["trainer"] = load_trainer_state(dir).to_json();
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  const ModelOptions& o = m->options();
  int64_t params = 0;
  for (const auto& [n, t] : m->named_parameters()) params += t.numel();
  std::printf("checkpoint  %s\n", dir.c_str());
  std::printf("integrity   %s\n", integrity_line(integrity).c_str());
  std::string kind = o.kind;
  if (o.kind == "dien") kind += " (" + o.gru_type + (o.use_negsampling ? ", auxiliary loss" : "") + ")";
  std::printf("model       %s, task %s, %lld parameters\n", kind.c_str(), o.task.c_str(), static_cast<long long>(params));
  std::printf("options     %s\n", o.to_json().dump().c_str());
  std::printf("features\n");
  for (const auto& f : m->features().features) {
    std::printf("  %-20s %-13s", f.name.c_str(), feature_kind_name(f.kind));
    if (f.kind == FeatureKind::Dense) {
      std::printf(" dimension %lld\n", static_cast<long long>(f.dimension));
      continue;
    }
    std::printf(" vocabulary %-8lld dim %-3lld table %s", static_cast<long long>(f.vocabulary_size),
                static_cast<long long>(f.embedding_dim), f.table().c_str());
    if (f.kind == FeatureKind::VarLenSparse)
      std::printf("  maxlen %lld, length %s", static_cast<long long>(f.maxlen), f.length_name.c_str());
    std::printf("\n");
  }
  const nlohmann::json& d = cfg["data"];
  if (d.contains("format")) {
    std::printf("data        format %s", d["format"].get<std::string>().c_str());
    if (d.contains("synthetic")) std::printf(" (synthetic: %s)", d["synthetic"].dump().c_str());
    std::printf("\n");
  }
  if (has_trainer_state(dir)) {
    TrainerState st = load_trainer_state(dir);
    std::printf("training    %d epochs, %lld steps, optimizer %s; best %s %.4f at epoch %d\n", st.epoch,
                static_cast<long long>(st.global_step), st.optimizer.c_str(), st.monitor.c_str(), st.best,
                st.best_epoch);
    for (const EpochRecord& e : st.history)
      std::printf("  epoch %2d  train_loss %.4f  val_loss %.4f  val_auc %.4f  %.1fs\n", e.epoch, e.train_loss,
                  e.val_loss, e.val_auc, e.seconds);
  }
  // A `dien train --out` directory records the run's flags (run.json, what --resume reuses).
  const auto run_file = std::filesystem::path(a.model) / "run.json";
  if (std::filesystem::exists(run_file)) {
    try {
      const nlohmann::json r = read_json_file_limited(run_file.string(), "dien info");
      std::string flags;
      for (auto it = r.at("flags").begin(); it != r.at("flags").end(); ++it) {
        flags += " " + it.key();
        for (const auto& v : it.value()) flags += " " + v.get<std::string>();
      }
      std::printf("run flags  %s  (%s; `dien train --out %s --resume` reuses them)\n", flags.c_str(),
                  run_file.string().c_str(), a.model.c_str());
    } catch (const std::exception& e) {
      std::printf("run flags   (%s is not readable: %s)\n", run_file.string().c_str(), e.what());
    }
  }
  if (a.tensors) {
    std::printf("tensors\n");
    for (const auto& [n, t] : m->state_dict()) std::printf("  %-60s %s\n", n.c_str(), t.describe().c_str());
  }
}

}  // namespace

void add_info(CLI::App& app) {
  auto a = std::make_shared<InfoArgs>();
  CLI::App* sub = app.add_subcommand("info", "Show a checkpoint: model, options, features, data, training history.");
  sub->add_option("MODEL", a->model, "checkpoint directory, or a `dien train --out` directory (uses best/)")
      ->required();
  sub->add_flag("--json", a->json, "print config.json and the trainer state as JSON");
  sub->add_flag("--tensors", a->tensors, "list every parameter and buffer with its shape");
  sub->add_flag("--allow-nonfinite-weights", a->allow_nonfinite,
                "load NaN or infinite weights instead of refusing the checkpoint (to inspect a run that diverged)");
  sub->callback([a] { run_info(*a); });
}

}  // namespace dien::cli
