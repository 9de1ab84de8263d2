// SPDX-License-Identifier: MIT
#include "apps/dien/model_flags.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "apps/dien/checks.h"
#include "core/error.h"
#include "core/json_limits.h"

namespace dien::cli {

void ModelFlags::add(CLI::App& app, bool paper_defaults) {
  paper_defaults_ = paper_defaults;
  const char* g = "Model (defaults: DeepCTR-Torch's for the chosen --model)";
  app.add_option("--model", model, "model: dien, din or base")
      ->check(CLI::IsMember({"dien", "din", "base"}))
      ->capture_default_str()
      ->group(g);
  app.add_option("--gru-type", gru_type,
                 std::string("DIEN interest evolution: GRU, AIGRU, AGRU or AUGRU (default ") +
                     (paper_defaults ? "AUGRU" : "GRU") + ")")
      ->check(CLI::IsMember({"GRU", "AIGRU", "AGRU", "AUGRU"}))
      ->group(g);
  app.add_option("--negsampling", use_negsampling,
                 std::string("DIEN auxiliary loss with sampled negatives: true/false (default ") +
                     (paper_defaults ? "true" : "false") + ")")
      ->group(g);
  app.add_option("--alpha", alpha, "weight of the auxiliary loss (default 1)")->group(g);
  app.add_option("--dnn-hidden-units", dnn_hidden_units, "DNN layer sizes (default 256 128)")
      ->check(whole_in(1, kMaxWidth))
      ->group(g);
  app.add_option("--dnn-activation", dnn_activation, "relu, sigmoid, prelu or dice (default relu)")
      ->check(CLI::IsMember({"relu", "sigmoid", "prelu", "dice"}))
      ->group(g);
  app.add_option("--use-bn", use_bn, "batch norm in the DNN (default false)")->group(g);
  app.add_option("--att-hidden-units", att_hidden_units, "attention MLP sizes (default 64 16)")
      ->check(whole_in(1, kMaxWidth))
      ->group(g);
  app.add_option("--att-activation", att_activation, "attention MLP activation (DIEN relu, DIN dice)")
      ->check(CLI::IsMember({"relu", "sigmoid", "prelu", "dice"}))
      ->group(g);
  app.add_option("--att-weight-normalization", att_weight_normalization,
                 "softmax over the attention scores (DIEN true, DIN false)")
      ->group(g);
  app.add_option("--l2-reg-dnn", l2_reg_dnn, "L2 on DNN weights (default 0)")->group(g);
  app.add_option("--l2-reg-embedding", l2_reg_embedding, "L2 on embeddings (default 1e-6)")->group(g);
  app.add_option("--dnn-dropout", dnn_dropout, "dropout rate in the DNN (default 0)")->group(g);
  app.add_option("--init", init, "initialisers: glorot (default) or deepctr (N(0, init_std^2) everywhere)")
      ->check(CLI::IsMember({"glorot", "deepctr"}))
      ->group(g);
  app.add_option("--init-std", init_std, "std of the deepctr initialiser (default 1e-4)")->group(g);
  app.add_option("--augru-form", augru_form, "reference (the authors' TF cell; default) or paper (the paper's Eq., DeepCTR-Torch's AUGRUCell)")
      ->check(CLI::IsMember({"reference", "paper"}))
      ->group(g);
  app.add_option("--gate-layout", gate_layout, "GRU gate layout: lbr (default) or rbl")
      ->check(CLI::IsMember({"lbr", "rbl"}))
      ->group(g);
  app.add_option("--attention", attention, "din (MLP, default) or bilinear (paper Eq. 8)")
      ->check(CLI::IsMember({"din", "bilinear"}))
      ->group(g);
  app.add_option("--network", network, "what the final DNN sees: deepctr (default) or authors")
      ->check(CLI::IsMember({"deepctr", "authors"}))
      ->group(g);
  app.add_option("--loss-reduction", loss_reduction, "mean (default) or sum (DeepCTR-Torch parity)")
      ->check(CLI::IsMember({"mean", "sum"}))
      ->group(g);
  app.add_option("--l2-embedding-scope", l2_embedding_scope, "batch (rows used, default) or all")
      ->check(CLI::IsMember({"batch", "all"}))
      ->group(g);
  app.add_option("--fused", fused, "fused kernels (default true) or the unfused compositions")->group(g);
  app.add_option("--task", task, "binary (default) or regression")
      ->check(CLI::IsMember({"binary", "regression"}))
      ->group(g);
  app.add_option("--model-seed", seed, "seed of the initialisation (default 1024)")->group(g);
  app.add_option("--model-options", options_file, "JSON file of model options (flags win)")
      ->check(CLI::ExistingFile)
      ->group(g);
}

ModelOptions ModelFlags::resolve(const std::string& kind_override) const {
  const std::string kind = kind_override.empty() ? model : kind_override;
  ModelOptions o = ModelOptions::defaults(kind);
  if (paper_defaults_ && kind == "dien") {
    o.gru_type = "AUGRU";
    o.use_negsampling = true;
  }
  if (!options_file.empty()) {
    const nlohmann::json j = read_json_file_limited(options_file, "dien --model-options");
    if (!j.is_object()) fail("dien", "--model-options ", options_file, ": expected a JSON object, got ", j.type_name());
    nlohmann::json base = o.to_json();
    for (auto it = j.begin(); it != j.end(); ++it) base[it.key()] = it.value();
    base["kind"] = kind;
    o = ModelOptions::from_json(base);
  }
  if (gru_type) o.gru_type = *gru_type;
  if (dnn_activation) o.dnn_activation = *dnn_activation;
  if (att_activation) o.att_activation = *att_activation;
  if (task) o.task = *task;
  if (device) o.device = *device;
  if (init) o.init = *init;
  if (augru_form) o.augru_form = *augru_form;
  if (gate_layout) o.gate_layout = *gate_layout;
  if (attention) o.attention = *attention;
  if (network) o.network = *network;
  if (loss_reduction) o.loss_reduction = *loss_reduction;
  if (l2_embedding_scope) o.l2_embedding_scope = *l2_embedding_scope;
  if (use_negsampling) o.use_negsampling = *use_negsampling;
  if (use_bn) o.use_bn = *use_bn;
  if (att_weight_normalization) o.att_weight_normalization = *att_weight_normalization;
  if (fused) o.fused = *fused;
  if (alpha) o.alpha = *alpha;
  if (l2_reg_dnn) o.l2_reg_dnn = *l2_reg_dnn;
  if (l2_reg_embedding) o.l2_reg_embedding = *l2_reg_embedding;
  if (dnn_dropout) o.dnn_dropout = *dnn_dropout;
  if (init_std) o.init_std = *init_std;
  if (seed) o.seed = *seed;
  if (!dnn_hidden_units.empty()) o.dnn_hidden_units = dnn_hidden_units;
  if (!att_hidden_units.empty()) o.att_hidden_units = att_hidden_units;
  o.validate();
  return o;
}

}  // namespace dien::cli
