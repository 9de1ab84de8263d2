// SPDX-License-Identifier: MIT
// Optimizers over named parameters: SGD, Adam, Adagrad, RMSprop, with the update rules and
// defaults of torch.optim (the kernels are kernels/cpu/optim.cpp and their CUDA twins).
//
//   dien::Adam opt(model.named_parameters(), {.lr = 1e-3, .weight_decay = 1e-5});
//   for (...) {
//     opt.zero_grad();
//     dien::Tensor loss = ...;
//     loss.backward();
//     opt.step();                       // params without a gradient are skipped
//   }
//   opt.save("opt.safetensors");        // state tensors + hyper-parameters
//   ...
//   dien::Adam resumed(model.named_parameters(), {});
//   resumed.load("opt.safetensors");    // continues bit-identically
//
// Row-sparse gradients (Tensor::set_row_sparse_grad; embedding tables in fit()'s default
// embedding_grad = "sparse"): a parameter whose gradient is only row-sparse gets a LAZY update:
// the touched rows are gathered, updated by the dense rule below (with the parameter's step count
// t, which counts every step in which it had a gradient, i.e. the global step for an embedding
// table), and written back; untouched rows, and their buffers, are not read or changed. As
// TensorFlow's LazyAdamOptimizer and torch.optim.SparseAdam (which, unlike this, allows no weight
// decay). Compared with the dense rule on the densified gradient (DeepCTR-Torch):
//   adam:    the dense rule moves every row each step (its m and v decay, p moves by m/sqrt(v));
//            lazy rows freeze between their lookups. Weight decay only reaches touched rows.
//   adagrad: identical when weight_decay = 0 (a zero gradient leaves sum and p unchanged).
//   rmsprop: dense decays square_avg (and moves rows by momentum) every step; lazy does not.
//   sgd:     identical with momentum = 0 and weight_decay = 0. With momentum, untouched rows keep
//            their buffer and do not move; a row first touched after step 1 starts from a zero
//            buffer (buf = (1 - dampening) d, not d). Weight decay only reaches touched rows.
// A parameter holding both a dense and a row-sparse gradient gets the dense update of their sum.
// State tensors are dense in both modes, so save/load do not depend on the mode.
//
// State layout (state_dict / save): per parameter "<name>.step" (i64, shape []) and one tensor
// per buffer, "<name>.<buffer>" (exp_avg, exp_avg_sq, sum, square_avg, momentum_buffer), shaped
// like the parameter; hyper-parameters as strings ("optimizer" = "adam", "lr" = "0.001", ...),
// doubles printed with 17 significant digits so they read back exactly.
#pragma once
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace dien {

using NamedParameters = std::vector<std::pair<std::string, Tensor>>;

struct OptimizerState {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> hyper;
};

class Optimizer {
 public:
  // Parameters must be defined floating tensors with unique names.
  explicit Optimizer(NamedParameters params);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual const char* name() const = 0;  // "sgd", "adam", "adagrad", "rmsprop"

  // One update of every parameter that has a gradient (under NoGradGuard).
  void step();
  // Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  virtual double lr() const = 0;
  virtual void set_lr(double lr) = 0;

  const NamedParameters& parameters() const { return params_; }
  // Updates applied so far to parameter `name` (0 before its first step).
  int64_t step_count(const std::string& name) const;

  // Tensors share memory with the optimizer's state (like PyTorch); save() copies them out.
  OptimizerState state_dict() const;
  // Replaces the state and hyper-parameters. Throws dien::Error, leaving this optimizer
  // unchanged, when the state is for another optimizer or its parameter names or shapes do not
  // match (the message names the parameter and both shapes).
  void load_state_dict(const OptimizerState& state);
  void save(const std::string& path) const;
  void load(const std::string& path);

 protected:
  struct ParamState {
    int64_t step = 0;            // updates applied to this parameter
    std::vector<Tensor> bufs;    // one per buffer_names(), shaped like the parameter
  };
  // Names of the per-parameter buffers under the current hyper-parameters.
  virtual std::vector<std::string> buffer_names() const = 0;
  // Applies one update; st.step already counts it.
  virtual void update(Tensor& param, const Tensor& grad, ParamState& st) = 0;
  // The lazy update of the rows of a row-sparse gradient, in place, where the optimizer has a
  // kernel for it (returns false: Optimizer gathers the rows, update()s them and scatters them).
  virtual bool update_rows_in_place(Tensor& /*param*/, const RowSparseGrad& /*grad*/, ParamState& /*st*/) {
    return false;
  }
  virtual std::map<std::string, std::string> hyper_parameters() const = 0;
  // Parses and validates `h` (throws dien::Error naming the key), then applies it.
  virtual void set_hyper_parameters(const std::map<std::string, std::string>& h) = 0;

  // Helpers for the hyper-parameter maps.
  static std::string format_double(double v);
  double read_double(const std::map<std::string, std::string>& h, const std::string& key) const;
  bool read_bool(const std::map<std::string, std::string>& h, const std::string& key) const;

 private:
  // Allocates zeroed buffers (and step 0) for parameters that have none yet.
  void ensure_state() const;
  // The lazy update of a parameter whose gradient is row-sparse (see the file comment).
  void update_rows(Tensor& param, const RowSparseGrad& grad, ParamState& st);

  NamedParameters params_;
  mutable std::vector<ParamState> state_;
};

// ---- SGD (optim/sgd.cpp) ---------------------------------------------------
// d = g + weight_decay*p; with momentum: buf = d on the first step, else
// momentum*buf + (1-dampening)*d; d = nesterov ? d + momentum*buf : buf. p -= lr*d.
struct SGDOptions {
  double lr = std::numeric_limits<double>::quiet_NaN();  // required
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

class SGD final : public Optimizer {
 public:
  SGD(NamedParameters params, const SGDOptions& options);
  const char* name() const override { return "sgd"; }
  double lr() const override { return opt_.lr; }
  void set_lr(double lr) override;
  const SGDOptions& options() const { return opt_; }

 private:
  std::vector<std::string> buffer_names() const override;
  void update(Tensor& param, const Tensor& grad, ParamState& st) override;
  std::map<std::string, std::string> hyper_parameters() const override;
  void set_hyper_parameters(const std::map<std::string, std::string>& h) override;
  SGDOptions opt_;
};

// ---- Adam (optim/adam.cpp) -------------------------------------------------
// g += weight_decay*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps). (L2 decay, not AdamW; no amsgrad.)
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

class Adam final : public Optimizer {
 public:
  Adam(NamedParameters params, const AdamOptions& options = {});
  const char* name() const override { return "adam"; }
  double lr() const override { return opt_.lr; }
  void set_lr(double lr) override;
  const AdamOptions& options() const { return opt_; }

 private:
  std::vector<std::string> buffer_names() const override { return {"exp_avg", "exp_avg_sq"}; }
  void update(Tensor& param, const Tensor& grad, ParamState& st) override;
  bool update_rows_in_place(Tensor& param, const RowSparseGrad& grad, ParamState& st) override;
  std::map<std::string, std::string> hyper_parameters() const override;
  void set_hyper_parameters(const std::map<std::string, std::string>& h) override;
  AdamOptions opt_;
};

// ---- Adagrad (optim/adagrad.cpp) -------------------------------------------
// g += weight_decay*p; clr = lr / (1 + (t-1)*lr_decay); sum += g^2; p -= clr*g/(sqrt(sum)+eps).
struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  double eps = 1e-10;
};

class Adagrad final : public Optimizer {
 public:
  Adagrad(NamedParameters params, const AdagradOptions& options = {});
  const char* name() const override { return "adagrad"; }
  double lr() const override { return opt_.lr; }
  void set_lr(double lr) override;
  const AdagradOptions& options() const { return opt_; }

 private:
  std::vector<std::string> buffer_names() const override { return {"sum"}; }
  void update(Tensor& param, const Tensor& grad, ParamState& st) override;
  std::map<std::string, std::string> hyper_parameters() const override;
  void set_hyper_parameters(const std::map<std::string, std::string>& h) override;
  AdagradOptions opt_;
};

// ---- RMSprop (optim/rmsprop.cpp) -------------------------------------------
// g += weight_decay*p; a = alpha*a + (1-alpha)*g^2; avg = sqrt(a) + eps;
// momentum > 0: buf = momentum*buf + g/avg, p -= lr*buf; else p -= lr*g/avg. (Not centered.)
struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
};

class RMSprop final : public Optimizer {
 public:
  RMSprop(NamedParameters params, const RMSpropOptions& options = {});
  const char* name() const override { return "rmsprop"; }
  double lr() const override { return opt_.lr; }
  void set_lr(double lr) override;
  const RMSpropOptions& options() const { return opt_; }

 private:
  std::vector<std::string> buffer_names() const override;
  void update(Tensor& param, const Tensor& grad, ParamState& st) override;
  std::map<std::string, std::string> hyper_parameters() const override;
  void set_hyper_parameters(const std::map<std::string, std::string>& h) override;
  RMSpropOptions opt_;
};

}  // namespace dien
