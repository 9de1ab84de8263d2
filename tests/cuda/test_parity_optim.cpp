// SPDX-License-Identifier: MIT
// CPU-vs-CUDA parity of the optimizer kernels (kernels/cuda/optim.cu): each optimizer runs
// several steps on identical parameters and gradients on both devices, and after every step
// the parameters and every state_dict tensor (buffers and step counts) must agree, f32 with
// rtol 1e-5 and f64 with rtol 1e-12. A parameter without a gradient must stay untouched. The
// kernels are also called directly ([kernel]: they need no other CUDA kernel), from non-zero
// state and late step numbers (bias corrections, lr decay).
// Runs only where a GPU exists.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "optim/optimizer.h"
#include "tests/cuda/parity.h"

using namespace dien;
using dien::test::rand_tensor;

namespace {

const Device kGpu = Device::cuda(0);

// f32: the RMSprop momentum buffer adds terms of size ~10 that can cancel, so an ulp of
// difference (nvcc may fuse a*b+c where the CPU rounds twice) is ~1e-6 absolute: atol 1e-5,
// as in tests/cpu/test_optim.cpp.
double rtol_for(DType dt) { return dt == DType::F32 ? 1e-5 : 1e-12; }
double atol_for(DType dt) { return dt == DType::F32 ? 1e-5 : 1e-12; }

using MakeOpt = std::function<std::unique_ptr<Optimizer>(NamedParameters)>;

struct Case {
  std::string label;
  MakeOpt make;
};

template <class Opt, class Options>
MakeOpt maker(Options o) {
  return [o](NamedParameters p) { return std::make_unique<Opt>(std::move(p), o); };
}

std::vector<Case> all_cases() {
  return {
      {"sgd plain", maker<SGD>(SGDOptions{.lr = 0.1})},
      {"sgd weight decay", maker<SGD>(SGDOptions{.lr = 0.1, .weight_decay = 0.05})},
      {"sgd momentum", maker<SGD>(SGDOptions{.lr = 0.05, .momentum = 0.9})},
      {"sgd momentum dampening decay",
       maker<SGD>(SGDOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.3, .weight_decay = 0.02})},
      {"sgd nesterov decay",
       maker<SGD>(SGDOptions{.lr = 0.05, .momentum = 0.8, .weight_decay = 0.01, .nesterov = true})},
      {"adam defaults", maker<Adam>(AdamOptions{})},
      {"adam betas eps decay",
       maker<Adam>(AdamOptions{.lr = 0.02, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-3, .weight_decay = 0.05})},
      {"adagrad defaults", maker<Adagrad>(AdagradOptions{})},
      {"adagrad lr decay eps decay",
       maker<Adagrad>(AdagradOptions{.lr = 0.1, .lr_decay = 0.05, .weight_decay = 0.02, .eps = 1e-3})},
      {"rmsprop defaults", maker<RMSprop>(RMSpropOptions{})},
      {"rmsprop alpha eps decay",
       maker<RMSprop>(RMSpropOptions{.lr = 0.01, .alpha = 0.9, .eps = 1e-3, .weight_decay = 0.03})},
      {"rmsprop momentum decay", maker<RMSprop>(RMSpropOptions{.lr = 0.01, .weight_decay = 0.01, .momentum = 0.7})},
  };
}

// Steps the same optimizer on CPU parameters and on GPU copies with the same gradients, and
// compares parameters and state after every step.
void check_parity(const Case& c, DType dt, int64_t n, int steps) {
  INFO(c.label << " " << dtype_name(dt) << " n=" << n);
  const double rtol = rtol_for(dt), atol = atol_for(dt);
  Generator gen(3000 + n);
  Tensor wc = rand_tensor({n}, gen, dt), mc = rand_tensor({3, 5}, gen, dt), fc = rand_tensor({4}, gen, dt);
  Tensor wg = wc.to(kGpu), mg = mc.to(kGpu), fg = fc.to(kGpu);
  auto opt_c = c.make({{"w", wc}, {"m", mc}, {"frozen", fc}});
  auto opt_g = c.make({{"w", wg}, {"m", mg}, {"frozen", fg}});
  for (int t = 1; t <= steps; ++t) {
    INFO("step " << t);
    Tensor gw = rand_tensor({n}, gen, dt, -2.0, 2.0), gm = rand_tensor({3, 5}, gen, dt, -2.0, 2.0);
    wc.set_grad(gw);
    mc.set_grad(gm);
    wg.set_grad(gw.to(kGpu));
    mg.set_grad(gm.to(kGpu));
    opt_c->step();
    opt_g->step();
    REQUIRE(wg.device() == kGpu);
    REQUIRE_CLOSE(wg, wc, rtol, atol);
    REQUIRE_CLOSE(mg, mc, rtol, atol);
    REQUIRE_CLOSE(fg, fc, 0.0, 0.0);  // no gradient: untouched
    OptimizerState sc = opt_c->state_dict(), sg = opt_g->state_dict();
    REQUIRE(sc.tensors.size() == sg.tensors.size());
    REQUIRE(sc.hyper == sg.hyper);
    for (const auto& [key, tc] : sc.tensors) {
      INFO("state " << key);
      REQUIRE(sg.tensors.count(key) == 1);
      REQUIRE_CLOSE(sg.tensors.at(key), tc, rtol, atol);
    }
  }
}

}  // namespace

TEST_CASE("cuda parity: optimizers match the CPU step by step (params and state)", "[optim][cuda]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto n = GENERATE(int64_t{1}, int64_t{7}, int64_t{40000});  // 40000: many blocks
  for (const Case& c : all_cases()) check_parity(c, dt, n, 5);
}

// The kernels alone (only host<->device copies besides them): several steps from a non-zero
// state, each with a fresh gradient, starting at a late step number (bias corrections, lr decay,
// SGD's first_step flag off and on).
TEST_CASE("cuda kernels: optimizer steps called directly match the CPU", "[optim][cuda][kernel]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto n = GENERATE(int64_t{1}, int64_t{455}, int64_t{40000});
  INFO(dtype_name(dt) << " n=" << n);
  const double rtol = rtol_for(dt), atol = atol_for(dt);
  Backend& cpu = backend_for(Device::cpu());
  Backend& gpu = backend_for(kGpu);
  using Step = std::function<void(Backend&, TensorList& state, const Tensor& grad, int64_t step)>;
  // state = {param, buffer 1, buffer 2 (a square average: positive)}.
  auto check = [&](const std::string& what, const Step& f) {
    INFO(what);
    Generator gen(3100 + n);
    const Shape s{n};
    TensorList on_c{rand_tensor(s, gen, dt), rand_tensor(s, gen, dt), rand_tensor(s, gen, dt, 0.1, 1.0)};
    TensorList on_g;
    for (const Tensor& t : on_c) on_g.push_back(t.to(kGpu));
    for (int64_t step = 1; step <= 5; ++step) {
      INFO("step " << step);
      Tensor g = rand_tensor(s, gen, dt, -2.0, 2.0);
      f(cpu, on_c, g, step);
      f(gpu, on_g, g.to(kGpu), step);
      for (size_t i = 0; i < on_c.size(); ++i) {
        INFO("state tensor " << i);
        REQUIRE_CLOSE(on_g[i], on_c[i], rtol, atol);
      }
    }
  };
  check("sgd momentum dampening decay", [](Backend& be, TensorList& t, const Tensor& g, int64_t step) {
    be.sgd_step(t[0], g, &t[1], 0.05, 0.9, 0.1, false, 0.01, step == 1);
  });
  check("sgd nesterov", [](Backend& be, TensorList& t, const Tensor& g, int64_t step) {
    be.sgd_step(t[0], g, &t[1], 0.05, 0.9, 0.0, true, 0.0, step == 1);
  });
  check("sgd plain", [](Backend& be, TensorList& t, const Tensor& g, int64_t) {
    be.sgd_step(t[0], g, nullptr, 0.1, 0.0, 0.0, false, 0.0, false);
  });
  check("adam from step 996", [](Backend& be, TensorList& t, const Tensor& g, int64_t step) {
    be.adam_step(t[0], g, t[1], t[2], 995 + step, 1e-3, 0.9, 0.999, 1e-8, 0.01);
  });
  check("adam betas eps", [](Backend& be, TensorList& t, const Tensor& g, int64_t step) {
    be.adam_step(t[0], g, t[1], t[2], step, 0.02, 0.8, 0.95, 1e-3, 0.0);
  });
  check("adagrad lr decay from step 13", [](Backend& be, TensorList& t, const Tensor& g, int64_t step) {
    be.adagrad_step(t[0], g, t[2], 12 + step, 0.1, 0.05, 1e-10, 0.02);
  });
  check("rmsprop with momentum", [](Backend& be, TensorList& t, const Tensor& g, int64_t) {
    be.rmsprop_step(t[0], g, t[2], &t[1], 0.01, 0.99, 1e-8, 0.7, 0.01);
  });
  check("rmsprop without momentum", [](Backend& be, TensorList& t, const Tensor& g, int64_t) {
    be.rmsprop_step(t[0], g, t[2], nullptr, 0.01, 0.9, 1e-3, 0.0, 0.03);
  });
}
