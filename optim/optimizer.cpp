// SPDX-License-Identifier: MIT
// Optimizer base: parameter bookkeeping, the step loop, and state save/load. The update rules
// live in sgd.cpp, adam.cpp, adagrad.cpp and rmsprop.cpp.
#include "optim/optimizer.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "autograd/grad_mode.h"
#include "core/serialize.h"
#include "kernels/dispatch.h"

namespace dien {

Optimizer::Optimizer(NamedParameters params) : params_(std::move(params)) {
  std::set<std::string> seen;
  for (size_t i = 0; i < params_.size(); ++i) {
    const auto& [n, p] = params_[i];
    if (!p.defined()) fail("optimizer", "parameter '", n, "' is undefined");
    if (!is_floating(p.dtype())) fail("optimizer", "parameter '", n, "' is not floating: ", p.describe());
    if (!seen.insert(n).second) fail("optimizer", "parameter name '", n, "' appears twice");
    for (size_t j = 0; j < i; ++j)
      if (params_[j].second.impl() == p.impl())
        fail("optimizer", "parameters '", params_[j].first, "' and '", n, "' are the same tensor");
  }
}

void Optimizer::ensure_state() const {
  if (state_.size() == params_.size()) return;
  state_.resize(params_.size());
  size_t nbufs = buffer_names().size();
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& st = state_[i];
    if (st.bufs.size() == nbufs) continue;
    st.bufs.clear();
    for (size_t k = 0; k < nbufs; ++k) st.bufs.push_back(zeros_like(params_[i].second));
  }
}

void Optimizer::step() {
  NoGradGuard no_grad;
  ensure_state();
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor& p = params_[i].second;
    const TensorImpl& impl = *p.impl();
    if (!impl.grad && !impl.grad_rows) continue;
    ParamState& st = state_[i];
    ++st.step;
    if (impl.grad_rows && !impl.grad) {
      update_rows(p, *impl.grad_rows, st);
    } else {
      update(p, p.grad(), st);  // dense (with any row-sparse part added in: see optimizer.h)
    }
  }
}

// The lazy update: gather the touched rows of the parameter and of each buffer into [k, E]
// tensors, run the dense rule on them (so a touched row changes exactly as the same row of a
// dense update with the same state would), scatter them back. Untouched rows are not read.
void Optimizer::update_rows(Tensor& p, const RowSparseGrad& g, ParamState& st) {
  const int64_t k = static_cast<int64_t>(g.rows.size());
  if (k == 0) return;
  if (update_rows_in_place(p, g, st)) return;
  Backend& be = backend_for(p);
  auto gather = [&](const Tensor& t) {
    Tensor out = Tensor::empty(Shape{k, t.size(1)}, t.dtype(), t.device());
    be.embedding_forward(t, g.index, out);
    return out;
  };
  Tensor rows = gather(p);
  ParamState sub;
  sub.step = st.step;
  for (const Tensor& b : st.bufs) sub.bufs.push_back(gather(b));
  update(rows, g.values, sub);
  be.embedding_scatter(rows, g.index, p);
  for (size_t b = 0; b < st.bufs.size(); ++b) be.embedding_scatter(sub.bufs[b], g.index, st.bufs[b]);
}

void Optimizer::zero_grad() {
  for (auto& np : params_) np.second.zero_grad();
}

int64_t Optimizer::step_count(const std::string& name) const {
  for (size_t i = 0; i < params_.size(); ++i)
    if (params_[i].first == name) return i < state_.size() ? state_[i].step : 0;
  fail("optimizer", "no parameter named '", name, "'");
}

OptimizerState Optimizer::state_dict() const {
  ensure_state();
  OptimizerState s;
  std::vector<std::string> bufs = buffer_names();
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& n = params_[i].first;
    s.tensors[n + ".step"] = from_vector<int64_t>({state_[i].step}, Shape{});
    for (size_t k = 0; k < bufs.size(); ++k) s.tensors[n + "." + bufs[k]] = state_[i].bufs[k].detach();
  }
  s.hyper = hyper_parameters();
  s.hyper["optimizer"] = name();
  return s;
}

void Optimizer::load_state_dict(const OptimizerState& state) {
  auto it = state.hyper.find("optimizer");
  if (it == state.hyper.end()) fail(name(), "the state names no optimizer (no \"optimizer\" entry)");
  if (it->second != name())
    fail("optimizer", "cannot load a '", it->second, "' state into a '", name(), "' optimizer");

  const auto old_hyper = hyper_parameters();
  set_hyper_parameters(state.hyper);  // may change the buffer set (e.g. momentum on/off)
  try {
    NoGradGuard no_grad;
    std::vector<std::string> bufs = buffer_names();
    std::set<std::string> used;
    std::vector<ParamState> fresh(params_.size());
    auto get = [&](const std::string& pname, const std::string& key) -> const Tensor& {
      auto t = state.tensors.find(key);
      if (t == state.tensors.end())
        fail(name(), "parameter '", pname, "' has no state entry '", key, "' in the loaded state");
      used.insert(key);
      return t->second;
    };
    for (size_t i = 0; i < params_.size(); ++i) {
      const auto& [pname, p] = params_[i];
      const Tensor& step = get(pname, pname + ".step");
      if (step.numel() != 1 || step.dtype() != DType::I64 || step.item() < 0)
        fail(name(), "parameter '", pname, "': '", pname, ".step' must be one non-negative i64, got ",
             step.describe());
      fresh[i].step = step.to(Device::cpu()).to_vector<int64_t>()[0];
      for (const std::string& b : bufs) {
        const Tensor& t = get(pname, pname + "." + b);
        if (t.shape() != p.shape())
          fail(name(), "parameter '", pname, "' has shape ", p.shape().str(), " but its state '", b,
               "' in the loaded state has shape ", t.shape().str());
        if (t.dtype() != p.dtype())
          fail(name(), "parameter '", pname, "' is ", dtype_name(p.dtype()), " but its state '", b,
               "' in the loaded state is ", dtype_name(t.dtype()));
        Tensor copy = t.detach().to(p.device());
        // Never alias the caller's tensor.
        if (copy.impl()->storage == t.impl()->storage) copy = copy.clone();
        fresh[i].bufs.push_back(copy);
      }
    }
    for (const auto& [key, t] : state.tensors)
      if (!used.count(key))
        fail(name(), "the loaded state has an entry '", key, "' that matches no parameter of this optimizer");
    state_ = std::move(fresh);
  } catch (...) {
    set_hyper_parameters(old_hyper);
    throw;
  }
}

void Optimizer::save(const std::string& path) const {
  OptimizerState s = state_dict();
  save_safetensors(path, s.tensors, s.hyper);
}

void Optimizer::load(const std::string& path) {
  SafetensorsFile f = load_safetensors(path);
  try {
    load_state_dict({std::move(f.tensors), std::move(f.metadata)});
  } catch (const Error& e) {
    fail("optimizer load", path, ": ", e.what());
  }
}

std::string Optimizer::format_double(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

double Optimizer::read_double(const std::map<std::string, std::string>& h, const std::string& key) const {
  auto it = h.find(key);
  if (it == h.end()) fail(name(), "the loaded state lacks the hyper-parameter '", key, "'");
  const char* s = it->second.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || errno == ERANGE)
    fail(name(), "hyper-parameter '", key, "' = '", it->second, "' is not a number");
  return v;
}

bool Optimizer::read_bool(const std::map<std::string, std::string>& h, const std::string& key) const {
  auto it = h.find(key);
  if (it == h.end()) fail(name(), "the loaded state lacks the hyper-parameter '", key, "'");
  if (it->second == "true") return true;
  if (it->second == "false") return false;
  fail(name(), "hyper-parameter '", key, "' = '", it->second, "' is not true or false");
}

}  // namespace dien
