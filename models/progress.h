// SPDX-License-Identifier: MIT
// The training progress line on stderr (internal to models/trainer.cpp): on a terminal one line
// redrawn in place (at most ten times a second), else a line each time another ~10% is done.
//   epoch 2/5 [=========>          ] 4608/9000  objective 0.5123  auc 0.7012  21034 samples/s
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>

namespace dien::detail {

class Progress {
 public:
  Progress(int epoch, int epochs, int64_t total, bool enabled);
  // `done` samples so far; `loss` the running mean objective.
  // `auc` is called only when the line is drawn (the running AUC of the epoch so far; NaN or
  // no function: not shown).
  void update(int64_t done, double loss, const std::function<double()>& auc = {});
  // Whether update(done, ...) would draw now: fit() reads the device's losses and predictions
  // only then (and every kDeviceReadEvery steps, and at the epoch's end).
  bool due(int64_t done) const;
  void finish();  // ends the in-place line

 private:
  void draw(int64_t done, double loss, double auc, bool newline);
  int epoch_, epochs_;
  int64_t total_;
  bool enabled_, tty_;
  int next_tenth_ = 1;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

}  // namespace dien::detail
