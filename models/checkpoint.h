// SPDX-License-Identifier: MIT
// Checkpoints: a directory holding everything needed to serve a model or to resume training.
//
//   <dir>/config.json          {"format": "dien-checkpoint", "version": 1,
//                               "model": model.config() (options + features),
//                               "data": free-form object the caller fills (vocabularies, reader
//                                       settings; {} when none)}
//   <dir>/model.safetensors    the module's state_dict (parameters and buffers by dotted name)
//   <dir>/optimizer.safetensors  optimizer state (optim/optimizer.h); only when saved with one
//   <dir>/trainer.json         TrainerState (models/train_state.h); only when saved with one
//   <dir>/manifest.json        size and CRC-32 of each file above (models/checkpoint_manifest.h)
//
//   dien::save_checkpoint("ckpt/best", model, &opt, &state, data_json);
//   std::unique_ptr<dien::CtrModel> m = dien::load_model("ckpt/best");     // via make_model
//   dien::Tensor p = m->predict(batch);          // bit-identical to the saved model's
//   nlohmann::json data = dien::read_checkpoint_config("ckpt/best")["data"];
//
// A checkpoint is written whole into a temporary sibling directory (files fsync'd, manifest.json
// last, then the directory fsync'd), then swapped in with one atomic rename (renameat2
// RENAME_EXCHANGE where the directory exists) and the parent directory fsync'd, so a reader sees
// the old checkpoint or the new one, never a mix, and a crash never loses the previous one.
// Temporary directories left by saves that were killed (<dir>.tmp.<pid>.<n>[.old], of a process
// that no longer runs) are removed by the next save into the same parent directory.
//
// Loading checks before it uses anything: each file read against manifest.json (listed, present,
// size, CRC-32), config.json's format and version, every tensor's dtype against the model's or
// the optimizer's (never cast), and that weights and optimizer state are finite (unless
// CheckpointLoadOptions::allow_nonfinite_weights). A checkpoint without manifest.json (saved
// before dien wrote one) loads with a warning (core/warning.h), once per directory.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "optim/optimizer.h"
#include "models/checkpoint_manifest.h"
#include "models/ctr_model.h"
#include "models/train_state.h"

namespace dien {

inline constexpr int kCheckpointVersion = 1;

struct CheckpointLoadOptions {
  // Load NaN or infinite values in model.safetensors and optimizer.safetensors instead of
  // refusing them (to inspect a run that diverged). `dien --allow-nonfinite-weights`.
  bool allow_nonfinite_weights = false;
};

// Builds an untrained model from config.json's "model" object.
using ModelFactory = std::function<std::unique_ptr<CtrModel>(const nlohmann::json& model_config)>;

// Writes a checkpoint directory (see above). `optimizer` and `state` may be null; `data` must be
// an object or null. Throws dien::Error naming the directory and the step that failed.
void save_checkpoint(const std::string& dir, const CtrModel& model, const Optimizer* optimizer = nullptr,
                     const TrainerState* state = nullptr, const nlohmann::json& data = nlohmann::json::object());

// config.json, verified against the manifest and checked for format and version.
nlohmann::json read_checkpoint_config(const std::string& dir);
// A checkpoint directory for `path`: itself when it holds config.json, else its best/, else its
// last/ (a `dien train --out` directory). Throws dien::Error when there is none.
std::string resolve_checkpoint(const std::string& path);
// Present, or listed in the manifest (then a load reports it missing).
bool has_optimizer_state(const std::string& dir);
bool has_trainer_state(const std::string& dir);

// What verify_checkpoint found: no manifest (an older checkpoint, nothing verified), or the
// manifest's files, each verified.
struct CheckpointIntegrity {
  bool has_manifest = false;
  int manifest_version = 0;
  std::vector<ManifestEntry> files;
};
// Verifies every file the manifest lists (size and CRC-32); throws dien::Error naming the first
// damaged, truncated or missing one.
CheckpointIntegrity verify_checkpoint(const std::string& dir);

// A new model from config.json (through `factory`) with model.safetensors loaded into it, on the
// CPU (call model->to(device) to move it).
std::unique_ptr<CtrModel> load_model(const std::string& dir, const ModelFactory& factory,
                                     const CheckpointLoadOptions& options = {});
inline std::unique_ptr<CtrModel> load_model(const std::string& dir, const CheckpointLoadOptions& options = {}) {
  return load_model(dir, [](const nlohmann::json& j) { return make_model(j); }, options);
}
// model.safetensors into an existing model (names, shapes and dtypes must match).
void load_model_state(const std::string& dir, CtrModel& model, const CheckpointLoadOptions& options = {});
// optimizer.safetensors into an optimizer over the same parameters (same optimizer kind).
void load_optimizer_state(const std::string& dir, Optimizer& optimizer, const CheckpointLoadOptions& options = {});
TrainerState load_trainer_state(const std::string& dir);

}  // namespace dien
