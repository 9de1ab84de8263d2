// SPDX-License-Identifier: MIT
#include "models/predictor.h"

#include <cstring>

#include "autograd/grad_mode.h"

namespace dien {

Predictor::Predictor(std::shared_ptr<const CtrModel> model, int threads) : model_(std::move(model)), threads_(threads) {
  if (!model_) fail("Predictor", "the model is null");
  if (threads < 0) fail("Predictor", "threads must be >= 0 (0: the library default), got ", threads);
}

std::shared_ptr<Workspace> Predictor::checkout() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!idle_.empty()) {
    std::shared_ptr<Workspace> ws = std::move(idle_.back());
    idle_.pop_back();
    return ws;
  }
  ++made_;
  return std::make_shared<Workspace>();
}

void Predictor::checkin(std::shared_ptr<Workspace> ws) const {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(ws));
}

void Predictor::predict(const data::Batch& batch, float* out, size_t capacity) const {
  const size_t n = static_cast<size_t>(batch.size());
  if (capacity < n) fail("Predictor::predict", "the output buffer holds ", capacity, " floats, the batch has ", n, " rows");
  if (n > 0 && !out) fail("Predictor::predict", "the output buffer is null");
  std::shared_ptr<Workspace> ws = checkout();
  struct Return {  // gives the workspace back even when predict throws
    const Predictor* self;
    std::shared_ptr<Workspace>& ws;
    ~Return() { self->checkin(std::move(ws)); }
  } give_back{this, ws};
  NoGradGuard no_grad;
  ThreadScope threads(threads_);
  WorkspaceScope scope(ws);
  Tensor p = model_->predict(batch);
  if (p.numel() != static_cast<int64_t>(n))
    fail("Predictor::predict", "the model returned ", p.describe(), " for a batch of ", n, " rows");
  if (p.device().is_cpu() && p.dtype() == DType::F32) {
    if (n) std::memcpy(out, p.raw_data(), n * sizeof(float));
  } else {
    std::vector<float> v = p.to(Device::cpu()).to(DType::F32).to_vector<float>();
    if (n) std::memcpy(out, v.data(), n * sizeof(float));
  }
}

std::vector<float> Predictor::predict(const data::Batch& batch) const {
  std::vector<float> out(static_cast<size_t>(batch.size()));
  predict(batch, out.data(), out.size());
  return out;
}

Workspace::Stats Predictor::workspace_stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Workspace::Stats total;
  for (const auto& ws : idle_) {
    Workspace::Stats s = ws->stats();
    total.fresh += s.fresh;
    total.reused += s.reused;
    total.returned += s.returned;
    total.cached_blocks += s.cached_blocks;
    total.cached_bytes += s.cached_bytes;
  }
  return total;
}

size_t Predictor::workspaces() const {
  std::lock_guard<std::mutex> lock(mu_);
  return made_;
}

}  // namespace dien
