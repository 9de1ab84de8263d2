// SPDX-License-Identifier: MIT
// Command-line flags for every ModelOptions field (models/ctr_model.h). Only the flags a user
// gives override the defaults, which are DeepCTR-Torch's for the chosen --model, except that
// `dien train` defaults to AUGRU with negative sampling (the DIEN paper's model).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "models/ctr_model.h"

namespace dien::cli {

struct ModelFlags {
  std::string model = "dien";
  std::optional<std::string> gru_type, dnn_activation, att_activation, task, device, init, augru_form, gate_layout,
      attention, network, loss_reduction, l2_embedding_scope;
  std::optional<bool> use_negsampling, use_bn, att_weight_normalization, fused;
  std::optional<double> alpha, l2_reg_dnn, l2_reg_embedding, dnn_dropout, init_std;
  std::optional<uint64_t> seed;
  std::vector<int64_t> dnn_hidden_units, att_hidden_units;
  std::string options_file;  // JSON object of ModelOptions keys

  // Registers the flags on `app`; `paper_defaults` makes DIEN default to AUGRU + negsampling.
  void add(CLI::App& app, bool paper_defaults);
  // The resulting options for kind `model` (or for `kind_override` when non-empty).
  ModelOptions resolve(const std::string& kind_override = "") const;

 private:
  bool paper_defaults_ = false;
};

}  // namespace dien::cli
