// SPDX-License-Identifier: MIT
// What a training run has done so far: per-epoch records (the history) and the state fit()
// needs to continue bit-identically (epoch, step, shuffle generator, early-stopping counters).
// Saved as trainer.json in a checkpoint (models/checkpoint.h); the history also as CSV.
//
//   dien::TrainerState s = dien::fit(model, train, val, opts);
//   for (const dien::EpochRecord& e : s.history) std::cout << e.epoch << " " << e.val_auc << "\n";
//   dien::write_history_csv("history.csv", s.history);
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dien {

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// One epoch. Metrics are over the whole epoch's predictions (computed once at its end); a
// metric that does not apply or is undefined (AUC with one class, no validation data, GAUC
// without groups, AUC of a regression) is NaN, written as null in JSON and empty in CSV.
struct EpochRecord {
  int epoch = 0;               // 1-based
  int64_t global_step = 0;     // optimizer steps after this epoch
  double lr = kNoValue;
  double train_objective = kNoValue;  // mean over samples of the minimised loss (incl. aux, L2)
  double train_loss = kNoValue;  // log loss (binary) or MSE (regression) of the epoch's training
                                 // predictions (training mode, before each step's update)
  double train_auc = kNoValue;
  double val_loss = kNoValue;    // log loss (binary) or MSE (regression)
  double val_auc = kNoValue;
  double val_gauc = kNoValue;
  double val_accuracy = kNoValue;
  double seconds = 0;            // training + validation wall time of the epoch
  double samples_per_s = 0;      // training samples / training seconds

  nlohmann::json to_json() const;
  static EpochRecord from_json(const nlohmann::json& j);
};
// Same epoch, step, lr and metrics (NaN equals NaN); ignores the timings.
bool same_metrics(const EpochRecord& a, const EpochRecord& b);

struct TrainerState {
  int epoch = 0;                 // epochs completed
  int64_t global_step = 0;       // optimizer steps taken
  std::string optimizer;         // name of the optimizer that took them
  std::string embedding_grad = "sparse";  // sparse | dense (FitOptions::embedding_grad); a
                                 // trainer.json without it was written before row-sparse
                                 // gradients existed and reads as dense
  uint64_t shuffle_seed = 0;     // the shuffle generator (core/rng.h) after `epoch` epochs
  uint64_t shuffle_offset = 0;
  uint64_t default_seed = 0;     // the model's rng() (dropout) after `epoch` epochs
  uint64_t default_offset = 0;
  std::string monitor;           // val_auc | val_loss | "" (no validation)
  double best = kNoValue;        // best monitored value so far
  int best_epoch = 0;
  int epochs_without_improvement = 0;
  bool stopped_early = false;
  std::vector<EpochRecord> history;

  nlohmann::json to_json() const;
  static TrainerState from_json(const nlohmann::json& j);  // errors name the key
};

// The history as CSV (header + one row per epoch) or as a JSON array; both written atomically
// (temporary file + rename). Throws dien::Error naming the file on I/O failure.
void write_history_csv(const std::string& path, const std::vector<EpochRecord>& history);
void write_history_json(const std::string& path, const std::vector<EpochRecord>& history);

// Writes `text` to `path` with dien::write_file (core/file_write.h): atomically for a regular
// file (temporary file in the same folder, fsync, rename, fsync of the folder).
void write_file_atomic(const std::string& path, const std::string& text, const char* op);

}  // namespace dien
