// SPDX-License-Identifier: MIT
// Predictor: the inference path. One loaded model serves predictions from several threads at once;
// each call builds no autograd graph, keeps no saved tensors, and takes its memory from a cached
// Workspace (core/workspace.h), so after the first calls of a given batch shape it stops
// allocating.
//
//   std::shared_ptr<const dien::CtrModel> m = dien::load_model("ckpt/best");
//   dien::Predictor pred(m);
//   std::vector<float> p = pred.predict(batch);      // from any thread, concurrently
//   pred.predict(batch, out.data(), out.size());     // into a caller buffer
//   dien::Workspace::Stats s = pred.workspace_stats();  // s.fresh stops growing after warm-up
//
// Threading: the model's weights are only read (CtrModel::predict is const and thread-safe).
// Each call checks a Workspace out of a pool (making a new one only when every pooled one is in
// use, so there are at most as many as concurrent callers), opens a WorkspaceScope and a
// NoGradGuard (both thread-local) on the calling thread, and returns the workspace to the pool
// when done. The model must not be modified (trained, moved) while predictors use it.
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "core/threads.h"
#include "core/workspace.h"
#include "data/dataset.h"
#include "models/ctr_model.h"

namespace dien {

class Predictor {
 public:
  // threads: intra-op threads of each call (core/threads.h); 1 by default, as a serving call
  // should (N request threads then run N single-threaded calls); 0: the library default.
  explicit Predictor(std::shared_ptr<const CtrModel> model, int threads = 1);

  // Probabilities (binary) or predictions (regression), one per row of `batch` (on the model's
  // device).
  std::vector<float> predict(const data::Batch& batch) const;
  // Same into out[0 .. batch.size()); throws dien::Error when capacity < batch.size().
  void predict(const data::Batch& batch, float* out, size_t capacity) const;

  const CtrModel& model() const { return *model_; }
  // Sum over the pooled workspaces (only those not in use at the moment of the call).
  Workspace::Stats workspace_stats() const;
  size_t workspaces() const;  // how many the pool has made

 private:
  std::shared_ptr<Workspace> checkout() const;
  void checkin(std::shared_ptr<Workspace> ws) const;

  std::shared_ptr<const CtrModel> model_;
  int threads_;
  mutable std::mutex mu_;
  mutable std::vector<std::shared_ptr<Workspace>> idle_;
  mutable size_t made_ = 0;
};

}  // namespace dien
