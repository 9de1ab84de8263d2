// SPDX-License-Identifier: MIT
// Lazy optimizer updates of row-sparse gradients (optim/optimizer.h): with gradients that come
// from real embedding lookups (repeated ids, an empty batch), every optimizer updates only the
// rows a step touched, by the torch.optim rule (naive references as in test_optim.cpp) applied to
// those rows with the parameter's step count; untouched rows and their state stay bit-identical;
// a touched row equals the same row of a dense update from the same state, bit for bit; Adagrad
// without weight decay and plain SGD equal their dense updates exactly; a parameter without the
// flag takes today's dense path unchanged; save/load of a lazy run continues bit-identically.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "autograd/grad_mode.h"
#include "optim/optimizer.h"
#include "kernels/dispatch.h"
#include "support/test_util.h"
#include "optim_reference.h"

using namespace dien;
using dien::test::rand_tensor;
using dien::test::values;

namespace {

// ---- naive references (double precision, formulas as in the torch.optim docs) ----------
using namespace dien::test::optim_ref;

RefUpdate ref_sgd(double lr, double momentum, double dampening, bool nesterov, double wd) {
  return [=](Vec& p, const Vec& g, Bufs& bufs, int t) {
    if (momentum == 0) {
      for (size_t i = 0; i < p.size(); ++i) p[i] -= lr * (g[i] + wd * p[i]);
      return;
    }
    Vec& buf = bufs["momentum_buffer"];
    if (buf.empty()) buf.assign(p.size(), 0);  // a row first touched after step 1: zero buffer
    for (size_t i = 0; i < p.size(); ++i) {
      double d = g[i] + wd * p[i];
      buf[i] = t == 1 ? d : momentum * buf[i] + (1 - dampening) * d;
      d = nesterov ? d + momentum * buf[i] : buf[i];
      p[i] -= lr * d;
    }
  };
}

using MakeOpt = std::function<std::unique_ptr<Optimizer>(NamedParameters)>;

struct Case {
  std::string label;
  MakeOpt make;
  RefUpdate ref;
  bool lazy_is_dense;  // the dense rule leaves a zero-gradient row (and its state) unchanged
};

template <class O, class Opts>
MakeOpt mk(Opts o) {
  return [o](NamedParameters p) { return std::make_unique<O>(std::move(p), o); };
}

std::vector<Case> cases() {
  return {
      {"sgd plain", mk<SGD>(SGDOptions{.lr = 0.1}), ref_sgd(0.1, 0, 0, false, 0), true},
      {"sgd weight decay", mk<SGD>(SGDOptions{.lr = 0.1, .weight_decay = 0.05}), ref_sgd(0.1, 0, 0, false, 0.05), false},
      {"sgd momentum dampening decay",
       mk<SGD>(SGDOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.3, .weight_decay = 0.02}),
       ref_sgd(0.05, 0.9, 0.3, false, 0.02), false},
      {"sgd nesterov", mk<SGD>(SGDOptions{.lr = 0.05, .momentum = 0.8, .nesterov = true}),
       ref_sgd(0.05, 0.8, 0, true, 0), false},
      {"adam defaults", mk<Adam>(AdamOptions{}), ref_adam(1e-3, 0.9, 0.999, 1e-8, 0), false},
      {"adam betas eps decay",
       mk<Adam>(AdamOptions{.lr = 0.02, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-3, .weight_decay = 0.05}),
       ref_adam(0.02, 0.8, 0.95, 1e-3, 0.05), false},
      {"adagrad lr decay", mk<Adagrad>(AdagradOptions{.lr = 0.1, .lr_decay = 0.05, .eps = 1e-3}),
       ref_adagrad(0.1, 0.05, 1e-3, 0), true},
      {"adagrad weight decay", mk<Adagrad>(AdagradOptions{.lr = 0.1, .weight_decay = 0.02}),
       ref_adagrad(0.1, 0, 1e-10, 0.02), false},
      {"rmsprop defaults", mk<RMSprop>(RMSpropOptions{}), ref_rmsprop(1e-2, 0.99, 1e-8, 0, 0), false},
      {"rmsprop momentum decay", mk<RMSprop>(RMSpropOptions{.lr = 0.01, .weight_decay = 0.01, .momentum = 0.7}),
       ref_rmsprop(0.01, 0.99, 1e-8, 0.7, 0.01), false},
  };
}

constexpr int64_t kV = 9, kE = 3;
// The ids each step looks up (repeats, a row touched again after a pause, an empty batch).
const std::vector<std::vector<int64_t>> kSteps = {{1, 4, 4, 7}, {0, 4, 8, 8, 8}, {2}, {}, {4, 1, 1}, {6, 0}};

// One lookup step: loss = sum(embedding(w, ids) * c), so the gradient of row r is the sum of the
// c rows at r's positions. Returns that gradient densely (for the references).
Vec lookup_backward(Tensor& w, const std::vector<int64_t>& ids, const Tensor& c) {
  Tensor idt = from_vector<int64_t>(ids, Shape{static_cast<int64_t>(ids.size())});
  sum(embedding(w, idt) * c).backward();
  Vec g(kV * kE, 0.0);
  const Vec cv = values(c);
  for (size_t s = 0; s < ids.size(); ++s)
    for (int64_t k = 0; k < kE; ++k) g[ids[s] * kE + k] += cv[s * kE + k];
  return g;
}

bool same_row(const Vec& a, const Vec& b, int64_t r) {
  return std::memcmp(a.data() + r * kE, b.data() + r * kE, kE * sizeof(double)) == 0;
}

Vec row_of(const Vec& v, int64_t r) { return Vec(v.begin() + r * kE, v.begin() + (r + 1) * kE); }

void check_lazy(const Case& c, DType dt) {
  INFO(c.label << " " << dtype_name(dt));
  Generator gen(77);
  Tensor w0 = rand_tensor({kV, kE}, gen, dt);
  Tensor w = w0.clone().set_requires_grad();
  w.set_row_sparse_grad();
  Tensor wd = w0.clone().set_requires_grad();  // dense twin: same lookups, no flag
  auto opt = c.make({{"emb", w}});
  auto dense = c.make({{"emb", wd}});
  Tensor probe = w0.clone().set_requires_grad();  // "one dense step from the lazy state"
  auto probe_opt = c.make({{"emb", probe}});

  Vec ref_p = values(w0);
  std::map<int64_t, Bufs> ref_b;  // per row
  const double rtol = dt == DType::F32 ? 2e-5 : 1e-12, atol = dt == DType::F32 ? 1e-5 : 1e-13;
  for (size_t step = 0; step < kSteps.size(); ++step) {
    const int t = static_cast<int>(step) + 1;
    INFO("step " << t);
    const auto& ids = kSteps[step];
    Tensor coef = rand_tensor({static_cast<int64_t>(ids.size()), kE}, gen, dt, -2.0, 2.0);
    const Vec before = values(w);
    const OptimizerState st_before = opt->state_dict();
    std::map<std::string, Vec> bufs_before;
    for (const auto& [k, v] : st_before.tensors)
      if (v.ndim() == 2) bufs_before[k] = values(v);

    // The dense probe starts from the lazy run's parameter and state.
    {
      NoGradGuard ng;
      std::memcpy(probe.raw_data(), w.raw_data(), w.nbytes());
      OptimizerState copy = opt->state_dict();
      for (auto& [k, v] : copy.tensors) v = v.clone();
      probe_opt->load_state_dict(copy);
    }
    opt->zero_grad();
    const Vec g = lookup_backward(w, ids, coef);
    REQUIRE(w.grad_rows() != nullptr);
    REQUIRE(w.impl()->grad == nullptr);
    probe_opt->zero_grad();
    lookup_backward(probe, ids, coef);  // no flag: a dense gradient and the dense rule
    dense->zero_grad();
    lookup_backward(wd, ids, coef);
    REQUIRE(wd.grad_rows() == nullptr);

    opt->step();
    probe_opt->step();
    dense->step();
    REQUIRE(opt->step_count("emb") == t);  // an empty batch counts as a step too

    const std::set<int64_t> touched(ids.begin(), ids.end());
    const Vec after = values(w), probe_after = values(probe);
    for (int64_t r : touched) {
      Vec pr = row_of(ref_p, r);
      c.ref(pr, row_of(g, r), ref_b[r], t);
      std::copy(pr.begin(), pr.end(), ref_p.begin() + r * kE);
    }
    REQUIRE_CLOSE(w, ref_p, rtol, atol);
    const OptimizerState st = opt->state_dict();
    const OptimizerState pst = probe_opt->state_dict();
    for (int64_t r = 0; r < kV; ++r) {
      INFO("row " << r);
      if (touched.count(r)) {
        REQUIRE(same_row(after, probe_after, r));  // lazy row == dense rule on that row, bit for bit
      } else {
        REQUIRE(same_row(after, before, r));  // untouched: bit-identical
      }
      for (const auto& [k, v0] : bufs_before) {
        INFO("buffer " << k);
        const Vec now = values(st.tensors.at(k));
        if (touched.count(r)) {
          REQUIRE(same_row(now, values(pst.tensors.at(k)), r));
          const std::string bn = k.substr(k.find('.') + 1);
          REQUIRE_CLOSE(from_vector<double>(row_of(now, r)), ref_b[r].at(bn), rtol, atol);
        } else {
          REQUIRE(same_row(now, v0, r));
        }
      }
    }
    if (c.lazy_is_dense) REQUIRE(values(w) == values(wd));
  }
  if (!c.lazy_is_dense) REQUIRE(values(w) != values(wd));  // lazy semantics differ from dense
}

}  // namespace

TEST_CASE("optim lazy: every optimizer updates only the touched rows, as the reference", "[optim][cpu]") {
  const DType dt = GENERATE(DType::F32, DType::F64);
  for (const Case& c : cases()) check_lazy(c, dt);
}

TEST_CASE("optim lazy: without the flag the dense path is today's update, bit for bit", "[optim][cpu]") {
  Generator gen(78);
  Tensor w0 = rand_tensor({kV, kE}, gen, DType::F32);
  Tensor w = w0.clone().set_requires_grad();
  Adam opt({{"emb", w}}, {.lr = 0.01, .weight_decay = 0.01});
  Tensor p = w0.clone(), m = zeros({kV, kE}), v = zeros({kV, kE});
  for (int t = 1; t <= 3; ++t) {
    opt.zero_grad();
    Tensor c = rand_tensor({4, kE}, gen, DType::F32);
    lookup_backward(w, {1, 4, 4, 7}, c);
    REQUIRE(w.grad_rows() == nullptr);
    REQUIRE(w.grad().shape() == Shape({kV, kE}));
    backend_for(Device::cpu()).adam_step(p, w.grad(), m, v, t, 0.01, 0.9, 0.999, 1e-8, 0.01);
    opt.step();
    REQUIRE(values(w) == values(p));
  }
  // Every row moved (dense Adam decays untouched rows' moments and moves them).
  Vec a = values(w), b = values(w0);
  for (int64_t r = 0; r < kV; ++r) REQUIRE(!same_row(a, b, r));
}

TEST_CASE("optim lazy: save, load and continue equals uninterrupted lazy training bit for bit", "[optim][cpu]") {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dien_test_optim_lazy_" + std::to_string(::getpid()) + ".safetensors"))
                               .string();
  Generator gen(79);
  Tensor w0 = rand_tensor({kV, kE}, gen, DType::F32);
  std::vector<Tensor> coefs;
  for (const auto& ids : kSteps) coefs.push_back(rand_tensor({static_cast<int64_t>(ids.size()), kE}, gen, DType::F32));
  auto run = [&](Tensor& w, Optimizer& opt, size_t from, size_t to) {
    for (size_t s = from; s < to; ++s) {
      opt.zero_grad();
      lookup_backward(w, kSteps[s], coefs[s]);
      opt.step();
    }
  };
  Tensor a = w0.clone().set_requires_grad();
  a.set_row_sparse_grad();
  Adam oa({{"emb", a}}, {.lr = 0.05});
  run(a, oa, 0, kSteps.size());

  Tensor b = w0.clone().set_requires_grad();
  b.set_row_sparse_grad();
  {
    Adam ob({{"emb", b}}, {.lr = 0.05});
    run(b, ob, 0, 3);
    ob.save(path);
  }
  Adam oc({{"emb", b}}, {.lr = 0.05});
  oc.load(path);
  run(b, oc, 3, kSteps.size());
  REQUIRE(values(a) == values(b));
  REQUIRE(oc.step_count("emb") == static_cast<int64_t>(kSteps.size()));
  std::filesystem::remove(path);
}

TEST_CASE("optim lazy: the CPU's in-place Adam row kernel equals gather + adam_step + scatter, bit for bit",
          "[optim][cpu]") {
  // CpuBackend::adam_step_rows updates the rows where they are; Backend's default composition
  // (kernels/backend.cpp) gathers them, runs the dense kernel and scatters them back.
  for (DType dt : {DType::F32, DType::F64}) {
    Generator g(31);
    const int64_t V = 50, E = 18;
    Tensor p = rand_tensor({V, E}, g, dt), m = rand_tensor({V, E}, g, dt), v = rand_tensor({V, E}, g, dt, 0.1, 1.0);
    const std::vector<int64_t> rows{3, 0, 49, 17, 18, 25};
    Tensor idx = from_vector<int64_t>(rows, Shape{static_cast<int64_t>(rows.size())});
    Tensor gr = rand_tensor({static_cast<int64_t>(rows.size()), E}, g, dt, -2, 2);
    Tensor p2 = p.clone(), m2 = m.clone(), v2 = v.clone();
    Backend& be = backend_for(Device::cpu());
    be.adam_step_rows(p, idx, gr, m, v, 5, 0.01, 0.9, 0.999, 1e-8, 0.01);
    be.Backend::adam_step_rows(p2, idx, gr, m2, v2, 5, 0.01, 0.9, 0.999, 1e-8, 0.01);
    INFO(dtype_name(dt));
    REQUIRE(values(p) == values(p2));
    REQUIRE(values(m) == values(m2));
    REQUIRE(values(v) == values(v2));
  }
}
