// SPDX-License-Identifier: MIT
// The interface every CTR model of dien implements (DIEN, DIN, the base model), and the
// options they share. The trainer (models/trainer.h), the predictor and the `dien` command only
// see this interface.
//
//   dien::ModelOptions opt = dien::ModelOptions::defaults("dien");   // DeepCTR-Torch's defaults
//   opt.gru_type = "AUGRU";
//   opt.use_negsampling = true;
//   std::unique_ptr<dien::CtrModel> m = dien::make_model(opt, feature_config);
//   dien::ForwardResult r = m->forward(batch);     // logits [B], aux loss
//   dien::Tensor loss = m->loss(batch, r);          // main + alpha * aux + L2, what fit() minimises
//   dien::Tensor p = m->predict(batch);             // probabilities [B], no graph
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/device.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "data/dataset.h"
#include "layers/module.h"
#include "data/features.h"

namespace dien {

// Every option of DeepCTR-Torch's DIEN and DIN constructors, with their defaults (see
// defaults()), plus dien's own. Unused options of a kind are ignored (and kept in the config).
struct ModelOptions {
  std::string kind = "dien";  // dien | din | base

  // ---- DeepCTR-Torch options (DIEN defaults; DIN's differ where noted in defaults()) ----
  std::string gru_type = "GRU";        // GRU | AIGRU | AGRU | AUGRU
  bool use_negsampling = false;
  double alpha = 1.0;                  // weight of the auxiliary loss
  bool use_bn = false;                 // batch norm in the DNN (DIN: dnn_use_bn)
  std::vector<int64_t> dnn_hidden_units = {256, 128};
  std::string dnn_activation = "relu";  // relu | sigmoid | prelu | dice
  std::vector<int64_t> att_hidden_units = {64, 16};  // DIN: att_hidden_size
  std::string att_activation = "relu";  // DIN default: dice
  bool att_weight_normalization = true;  // DIN default: false
  double l2_reg_dnn = 0;
  double l2_reg_embedding = 1e-6;
  double dnn_dropout = 0;
  double init_std = 1e-4;
  uint64_t seed = 1024;
  std::string task = "binary";  // binary | regression
  std::string device = "cpu";   // cpu | cuda | cuda:N

  // ---- dien's own ------------------------------------------------------------------------
  // init: "glorot" (default: Glorot-uniform dense weights, orthogonal recurrent weights, zero
  // biases, N(0, 0.05^2)... see layers/init.h) or "deepctr" (N(0, init_std^2) on every weight,
  // as DeepCTR-Torch; kept for parity, collapses on real data).
  std::string init = "glorot";
  // reference (default): the authors' TensorFlow VecAttGRUCell (u = (1-a) z, h = u h + (1-u) n;
  // RnnCell::AugruReference) | paper: the paper's Eq. (u = a z, h = (1-u) h + u n;
  // RnnCell::AugruPaper), which is what DeepCTR-Torch's AUGRUCell computes (set it for parity).
  // With softmax-normalised attention (a ~ 1/T) the paper form's update gate a z stays near 0,
  // so its state barely moves; the reference form is a plain GRU where attention is low. That
  // is why reference is the default (what was and was not measured: docs/model.md).
  std::string augru_form = "reference";
  std::string gate_layout = "lbr";       // lbr (cuDNN/PyTorch, linear before reset) | rbl
  std::string attention = "din";         // din (MLP local activation) | bilinear (paper Eq. 8)
  std::string network = "deepctr";       // deepctr | authors (see models/dien.h)
  std::string loss_reduction = "mean";   // mean | sum (DeepCTR-Torch sums the main loss)
  std::string l2_embedding_scope = "batch";  // batch (rows used) | all (whole tables, DeepCTR)
  bool fused = true;                     // fused scans/attention/aux loss, or the unfused twins

  static ModelOptions defaults(const std::string& kind);  // DeepCTR-Torch's defaults per kind
  void validate() const;  // throws dien::Error naming the option and its value
  nlohmann::json to_json() const;
  static ModelOptions from_json(const nlohmann::json& j);  // missing keys keep defaults(kind)
};

struct ForwardResult {
  Tensor logits;    // [B]: pre-sigmoid score (binary) or the prediction (regression)
  Tensor aux_loss;  // [] DIEN's auxiliary loss (unweighted); undefined when not computed (eval)
};

class CtrModel : public Module {
 public:
  CtrModel(ModelOptions options, FeatureConfig features)
      : options_(std::move(options)), features_(std::move(features)) {}

  const ModelOptions& options() const { return options_; }
  const FeatureConfig& features() const { return features_; }
  Device device() const;

  // The forward pass in training (batch statistics, dropout) or eval semantics, whatever the
  // module's mode; records a graph when grad mode is on. The batch must be on device(). With
  // training = false it changes nothing and is safe from several threads at once.
  // aux: also compute DIEN's auxiliary loss (reads the neg_hist_* columns); the other models
  // have none. Without it nothing reads labels or negative histories: prediction needs only the
  // features.
  virtual ForwardResult run(const data::Batch& batch, bool training, bool aux) const = 0;
  // The auxiliary branch runs exactly when training.
  ForwardResult run(const data::Batch& batch, bool training) const { return run(batch, training, training); }
  // run() in the module's mode (is_training()).
  virtual ForwardResult forward(const data::Batch& batch) { return run(batch, is_training()); }
  // What fit() minimises: main loss (BCE on logits for binary, MSE for regression; mean or sum
  // over the batch per loss_reduction) + alpha * aux_loss + the L2 terms.
  Tensor loss(const data::Batch& batch, const ForwardResult& r) const;
  // The L2 terms: l2_reg_embedding * sum of squares of the embedding rows the batch uses (or of
  // whole tables with l2_embedding_scope = all) + l2_reg_dnn * sum of squares of DNN weights.
  virtual Tensor regularization_loss(const data::Batch& batch) const = 0;
  // Probabilities (binary) or predictions (regression) [B] in eval semantics without recording
  // a graph, whatever the module's mode; safe to call from several threads at once.
  virtual Tensor predict(const data::Batch& batch) const;

  // The model's random stream (dropout masks in training). Seeded from options.seed; the trainer
  // saves and restores its position in checkpoints so that a resumed run is bit-identical.
  Generator& rng() const { return rng_; }

  // Moves every parameter and buffer to `device`.
  void to(Device device);
  // {"options": ..., "features": ...}: enough to rebuild the model with make_model().
  nlohmann::json config() const;

 protected:
  ModelOptions options_;
  FeatureConfig features_;
  mutable Generator rng_{options_.seed ^ 0x9e3779b97f4a7c15ull};
};

std::unique_ptr<CtrModel> make_model(const ModelOptions& options, const FeatureConfig& features);
std::unique_ptr<CtrModel> make_model(const nlohmann::json& config);  // from config()

}  // namespace dien
