// SPDX-License-Identifier: MIT
// Grad mode: when off (NoGradGuard), ops record no graph and save no tensors.
#pragma once

namespace dien {

bool grad_enabled();
void set_grad_enabled(bool on);

// RAII: disables graph recording in this thread for the guard's lifetime.
class NoGradGuard {
 public:
  NoGradGuard() : prev_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace dien
