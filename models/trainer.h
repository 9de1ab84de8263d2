// SPDX-License-Identifier: MIT
// Training, evaluation and batch prediction of a CtrModel over a data::Dataset, with DeepCTR's
// fit() semantics (batch_size 256, validation_split = the last rows, optimizer by name).
//
//   dien::FitOptions o;
//   o.epochs = 3;
//   o.validation_split = 0.1;                 // or fit(model, train, val, o)
//   o.early_stopping = true;                  // monitor val_auc, patience 2
//   o.patience = 2;
//   o.checkpoint_dir = "runs/a";              // runs/a/last after each epoch, runs/a/best on improvement
//   dien::TrainerState s = dien::fit(model, train, o);
//   dien::EvalResult r = dien::evaluate(model, test);      // r.auc, r.logloss, r.gauc, ...
//   std::vector<float> p = dien::predict(model, test);     // probabilities, in row order
//   ...
//   o.epochs = 5;
//   o.resume_from = "runs/a/last";            // model, optimizer, shuffle order, history
//   dien::fit(*dien::load_model("runs/a/last"), train, o); // continues at epoch 4
//
// Each epoch: model.train(); the rows are shuffled with a Generator seeded by `seed` (one
// generator for the whole run, so on the CPU a seed fixes the result bit for bit); per batch,
// zero_grad, forward, model.loss(batch, r), backward, step. Training metrics are computed once
// over the epoch's collected predictions (not averaged per batch); validation runs through
// model.predict() (eval semantics, no graph). Progress goes to stderr (one line redrawn in place
// on a terminal, else a line every ~10% of the epoch), the epoch summary to stdout.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "optim/optimizer.h"
#include "data/dataset.h"
#include "models/ctr_model.h"
#include "models/train_state.h"

namespace dien {

namespace detail {
// On a GPU, fit() reads its steps' losses and predictions, and predict() its batches'
// predictions, this many at a time (besides at progress ticks and the end): one read, not one
// per step.
inline constexpr size_t kDeviceReadEvery = 64;
}  // namespace detail

struct FitOptions {
  int64_t batch_size = 256;
  int epochs = 1;                 // total epochs (a resumed run continues up to this number)
  bool shuffle = true;
  uint64_t seed = 1024;           // the shuffle generator's seed
  double validation_split = 0;    // fit(model, train, o): the last fraction of rows, taken before
                                  // shuffling (DeepCTR / Keras); ignored with a validation set
  std::string optimizer = "adam"; // adam | adagrad | sgd | rmsprop
  double lr = kNoValue;           // NaN: the optimizer's default (adam 1e-3, others 1e-2)
  // Gradients of the embedding tables (docs/gradients.md#row-sparse-embedding-gradients):
  //   sparse: row-sparse (only the rows a batch reads), and the optimizer updates only those
  //           rows (lazy Adam/Adagrad/RMSprop/SGD, optim/optimizer.h); no step costs O(V).
  //   dense:  a dense [V, E] gradient and every row updated every step (DeepCTR-Torch).
  //   "" (default): sparse for a new run; when resuming, the resumed run's mode. A mode that is
  //           set must equal the resumed run's. fit() flags the model's tables accordingly
  //           (set_embedding_grad, layers/embedding.h); the mode is saved in trainer.json.
  std::string embedding_grad;
  // On a GPU: order-fixed kernels instead of atomics (the embedding backward and the row-sparse
  // gradients' merges; dien::set_deterministic), so that two runs give the same bits. Turned on
  // for the process by fit(); the CPU kernels are deterministic either way.
  bool deterministic = false;

  std::string monitor = "val_auc";  // val_auc (higher is better) | val_loss (lower is better)
  bool early_stopping = false;
  int patience = 2;               // epochs without improvement before stopping (Keras semantics)
  double min_delta = 0;           // an improvement must exceed this
  bool restore_best = false;      // at the end, load the best epoch's weights into the model

  // When set: <dir>/last after every epoch (for resume) and <dir>/best when the monitored metric
  // improves (or every epoch without validation data). Both are full checkpoints.
  std::string checkpoint_dir;
  nlohmann::json data = nlohmann::json::object();  // copied into each checkpoint's config "data"
  std::string resume_from;        // a checkpoint with trainer.json: continue that run
  // Loading resume_from (and restore_best's best/ checkpoint) accepts NaN or infinite weights and
  // optimizer state instead of refusing them (CheckpointLoadOptions, models/checkpoint.h).
  bool allow_nonfinite_weights = false;

  std::string history_csv;        // rewritten after every epoch when set
  std::string history_json;

  int verbose = 1;                // 0: silent; 1: progress on stderr + epoch lines on stdout
  // Called after every epoch (after checkpoints are written); return false to stop training.
  std::function<bool(const EpochRecord&, const TrainerState&)> on_epoch_end;

  void validate() const;          // throws dien::Error naming the option
};

// An optimizer by name over `params` (lr NaN: the default above).
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, NamedParameters params, double lr = kNoValue);

// Trains with a validation split of `train` (FitOptions::validation_split, may be 0).
TrainerState fit(CtrModel& model, const data::Dataset& train, const FitOptions& options);
// Trains with a separate validation set (empty dataset or rows() == 0: none).
TrainerState fit(CtrModel& model, const data::Dataset& train, const data::Dataset& validation,
                 const FitOptions& options);

struct EvalResult {
  int64_t rows = 0;
  double logloss = kNoValue;   // binary
  double auc = kNoValue;       // binary; NaN when only one class is present
  double gauc = kNoValue;      // binary, when the data has groups and one group has both classes
  double accuracy = kNoValue;  // binary, threshold 0.5
  double mse = kNoValue;       // always (for binary: the Brier score)
  nlohmann::json to_json() const;  // NaN as null
};

// Metrics of predictions against labels; `task` is "binary" or "regression"; groups may be empty.
EvalResult evaluate_predictions(const std::vector<float>& labels, const std::vector<float>& preds,
                                const std::vector<int64_t>& groups, const std::string& task);
// model.predict over all rows, then evaluate_predictions.
EvalResult evaluate(const CtrModel& model, const data::Dataset& data, int64_t batch_size = 256);
// model.predict over all rows in order, in batches (no graph); probabilities for binary models.
std::vector<float> predict(const CtrModel& model, const data::Dataset& data, int64_t batch_size = 256);

}  // namespace dien
