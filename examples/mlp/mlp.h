// SPDX-License-Identifier: MIT
// The MLP example, as a function shared by examples/mlp/main.cpp and its test: it generates a
// binary classification task whose label is a non-linear function of the features, trains a
// 2-layer MLP (Linear -> ReLU -> Linear) with Adam on BCE-with-logits, and reports train loss,
// validation loss and validation AUC per epoch.
//
// The data: x ~ N(0, 1)^D, score s(x) = 2 x0 x1 + 1.5 sin(2 x2) + (x3^2 - 1) + 0.8 x4 - 0.6 x5 x6,
// label = [s(x) + 0.5 n > 0] with n ~ N(0, 1). A linear model cannot see the products and the
// sine; an MLP can, up to the label noise.
#pragma once
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numeric>
#include <vector>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "optim/optimizer.h"
#include "layers/linear.h"
#include "models/metrics.h"

namespace dien::examples {

struct MlpConfig {
  int64_t n_train = 8000, n_val = 2000, dim = 16, hidden = 32, batch = 64;
  int epochs = 10;
  double lr = 3e-3;
  uint64_t seed = 1;
  bool verbose = true;  // one line per epoch on stdout
};

struct EpochStats {
  int epoch = 0;
  double train_loss = 0, val_loss = 0, val_auc = 0, seconds = 0, samples_per_s = 0;
};

struct Dataset {
  std::vector<float> x;  // [n, dim] row-major
  std::vector<float> y;  // [n]
  int64_t n = 0, dim = 0;
};

inline Dataset make_dataset(int64_t n, int64_t dim, Generator& gen) {
  if (dim < 7) fail("mlp", "the generated task needs dim >= 7, got ", dim);
  Dataset d;
  d.n = n;
  d.dim = dim;
  d.x = normal({n, dim}, 0, 1, gen).to_vector<float>();
  std::vector<float> noise = normal({n}, 0, 1, gen).to_vector<float>();
  d.y.resize(n);
  for (int64_t i = 0; i < n; ++i) {
    const float* r = &d.x[i * dim];
    double s = 2 * r[0] * r[1] + 1.5 * std::sin(2 * r[2]) + (r[3] * r[3] - 1) + 0.8 * r[4] - 0.6 * r[5] * r[6];
    d.y[i] = s + 0.5 * noise[i] > 0 ? 1.f : 0.f;
  }
  return d;
}

class Mlp : public Module {
 public:
  Mlp(int64_t dim, int64_t hidden, Generator& gen) {
    fc1_ = register_module("fc1", std::make_shared<Linear>(dim, hidden, true, gen));
    fc2_ = register_module("fc2", std::make_shared<Linear>(hidden, 1, true, gen));
  }
  Tensor logits(const Tensor& x) const { return fc2_->forward(relu(fc1_->forward(x))); }  // [N, 1]

 private:
  std::shared_ptr<Linear> fc1_, fc2_;
};

// Rows `idx[b..e)` of d as tensors x [e-b, dim], y [e-b, 1].
inline std::pair<Tensor, Tensor> gather_batch(const Dataset& d, const std::vector<int64_t>& idx, int64_t b,
                                              int64_t e) {
  std::vector<float> x(static_cast<size_t>((e - b) * d.dim)), y(static_cast<size_t>(e - b));
  for (int64_t i = b; i < e; ++i) {
    std::copy_n(&d.x[idx[i] * d.dim], d.dim, &x[(i - b) * d.dim]);
    y[i - b] = d.y[idx[i]];
  }
  return {from_vector(x, {e - b, d.dim}), from_vector(y, {e - b, 1})};
}

// Validation loss and AUC over the whole set (no graph is built).
inline std::pair<double, double> evaluate(const Mlp& m, const Dataset& d) {
  NoGradGuard ng;
  std::vector<int64_t> idx(d.n);
  std::iota(idx.begin(), idx.end(), 0);
  auto [x, y] = gather_batch(d, idx, 0, d.n);
  Tensor z = m.logits(x);
  double loss = bce_with_logits(z, y).item();
  std::vector<double> labels(d.y.begin(), d.y.end());
  auto zs = z.to_vector<float>();
  return {loss, metrics::roc_auc(labels, std::vector<double>(zs.begin(), zs.end()))};
}

inline std::vector<EpochStats> train_mlp(const MlpConfig& c) {
  Generator gen(c.seed);
  Dataset train = make_dataset(c.n_train, c.dim, gen), val = make_dataset(c.n_val, c.dim, gen);
  Mlp model(c.dim, c.hidden, gen);
  Adam opt(model.named_parameters(), AdamOptions{.lr = c.lr});
  std::vector<int64_t> order(train.n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<EpochStats> history;
  for (int epoch = 1; epoch <= c.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = train.n - 1; i > 0; --i)  // Fisher-Yates shuffle, seeded
      std::swap(order[i], order[gen.randint(static_cast<uint64_t>(i + 1))]);
    double loss_sum = 0;
    for (int64_t b = 0; b < train.n; b += c.batch) {
      int64_t e = std::min(train.n, b + c.batch);
      auto [x, y] = gather_batch(train, order, b, e);
      opt.zero_grad();
      Tensor loss = bce_with_logits(model.logits(x), y);
      loss.backward();
      opt.step();
      loss_sum += loss.item() * static_cast<double>(e - b);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto [vl, vauc] = evaluate(model, val);
    EpochStats s{epoch, loss_sum / static_cast<double>(train.n), vl, vauc, secs,
                 static_cast<double>(train.n) / secs};
    if (c.verbose)
      std::printf("epoch %2d  train_loss %.4f  val_loss %.4f  val_auc %.4f  %.2fs (%.0f samples/s)\n", epoch,
                  s.train_loss, s.val_loss, s.val_auc, s.seconds, s.samples_per_s);
    history.push_back(s);
  }
  return history;
}

}  // namespace dien::examples
