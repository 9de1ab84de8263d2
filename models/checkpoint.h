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
//
//   dien::save_checkpoint("ckpt/best", model, &opt, &state, data_json);
//   std::unique_ptr<dien::CtrModel> m = dien::load_model("ckpt/best");     // via make_model
//   dien::Tensor p = m->predict(batch);          // bit-identical to the saved model's
//   nlohmann::json data = dien::read_checkpoint_config("ckpt/best")["data"];
//
// A checkpoint is written whole into a temporary sibling directory, then swapped in with one
// atomic rename (renameat2 RENAME_EXCHANGE where the directory exists), so a reader sees the old
// checkpoint or the new one, never a mix, and a crash never loses the previous one.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "optim/optimizer.h"
#include "models/ctr_model.h"
#include "models/train_state.h"

namespace dien {

inline constexpr int kCheckpointVersion = 1;

// Builds an untrained model from config.json's "model" object.
using ModelFactory = std::function<std::unique_ptr<CtrModel>(const nlohmann::json& model_config)>;

// Writes a checkpoint directory (see above). `optimizer` and `state` may be null; `data` must be
// an object or null. Throws dien::Error naming the directory and the step that failed.
void save_checkpoint(const std::string& dir, const CtrModel& model, const Optimizer* optimizer = nullptr,
                     const TrainerState* state = nullptr, const nlohmann::json& data = nlohmann::json::object());

// config.json, checked for format and version.
nlohmann::json read_checkpoint_config(const std::string& dir);
// A checkpoint directory for `path`: itself when it holds config.json, else its best/, else its
// last/ (a `dien train --out` directory). Throws dien::Error when there is none.
std::string resolve_checkpoint(const std::string& path);
bool has_optimizer_state(const std::string& dir);
bool has_trainer_state(const std::string& dir);

// A new model from config.json (through `factory`) with model.safetensors loaded into it, on the
// CPU (call model->to(device) to move it).
std::unique_ptr<CtrModel> load_model(const std::string& dir, const ModelFactory& factory);
inline std::unique_ptr<CtrModel> load_model(const std::string& dir) {
  return load_model(dir, [](const nlohmann::json& j) { return make_model(j); });
}
// model.safetensors into an existing model (names and shapes must match).
void load_model_state(const std::string& dir, CtrModel& model);
// optimizer.safetensors into an optimizer over the same parameters (same optimizer kind).
void load_optimizer_state(const std::string& dir, Optimizer& optimizer);
TrainerState load_trainer_state(const std::string& dir);

}  // namespace dien
