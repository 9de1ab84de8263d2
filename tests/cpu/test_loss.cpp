// SPDX-License-Identifier: MIT
// Losses: BCE on probabilities (with its clamp), BCE on logits (stable at extreme logits) and
// MSE; elementwise kernels against naive formulas, the reductions of the ops, shape errors.
#include "cpu/reference_nn.h"
#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::poisoned;
using dien::test::rand_tensor;
using dien::test::values;
using namespace dien::test::nn;

namespace {

const std::vector<std::vector<int64_t>> kShapes = {{1}, {7}, {1, 1}, {4, 5}, {2, 1, 33}, {3, 2, 1, 5}};

std::vector<double> bce_ref(const std::vector<double>& p, const std::vector<double>& t, double eps) {
  std::vector<double> l(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    double pc = p[i] < eps ? eps : (p[i] > 1 - eps ? 1 - eps : p[i]);
    l[i] = -(t[i] * std::log(pc) + (1 - t[i]) * std::log(1 - pc));
  }
  return l;
}

// log(1 + e^x) - x t, written without the max/abs trick (inputs kept moderate).
std::vector<double> bce_logits_ref(const std::vector<double>& x, const std::vector<double>& t) {
  std::vector<double> l(x.size());
  for (size_t i = 0; i < x.size(); ++i) l[i] = std::log(1 + std::exp(x[i])) - x[i] * t[i];
  return l;
}

std::vector<double> reduce_ref(const std::vector<double>& l, Reduction r) {
  if (r == Reduction::None) return l;
  double s = 0;
  for (double v : l) s += v;
  return {r == Reduction::Sum ? s : s / static_cast<double>(l.size())};
}

}  // namespace

TEST_CASE("bce: kernels match the naive formulas inside the clamp", "[loss][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(from_range(kShapes));
  Shape s(dims);
  INFO("shape " << s.str() << " " << dtype_name(dt));
  Generator g(51);
  Tensor p = rand_tensor(s, g, dt, 0.02, 0.98), t = rand_tensor(s, g, dt, 0.0, 1.0, 0.0), gl = rand_tensor(s, g, dt);
  const double eps = 1e-7;
  Backend& be = backend_for(Device::cpu());
  Tensor l = poisoned(s, dt);
  be.bce_forward(p, t, eps, l);
  REQUIRE_CLOSE(l, bce_ref(values(p), values(t), eps), rtol_for(dt), atol_for(dt));
  Tensor gp = poisoned(s, dt);
  be.bce_backward(p, t, eps, gl, gp);
  auto pv = values(p), tv = values(t), gv = values(gl);
  std::vector<double> ref(pv.size());
  for (size_t i = 0; i < pv.size(); ++i) ref[i] = gv[i] * (-tv[i] / pv[i] + (1 - tv[i]) / (1 - pv[i]));
  REQUIRE_CLOSE(gp, ref, 10 * rtol_for(dt), atol_for(dt));
}

TEST_CASE("bce: probabilities 0 and 1 give a finite, clamped loss and zero gradient", "[loss][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  const double eps = dt == DType::F32 ? 1e-6 : 1e-12;
  Tensor p = from_vector<double>({0.0, 1.0, 0.0, 1.0, 1e-20}, {5}).to(dt);
  Tensor t = from_vector<double>({1.0, 0.0, 0.0, 1.0, 0.3}, {5}).to(dt);
  Backend& be = backend_for(Device::cpu());
  Tensor l = poisoned({5}, dt);
  be.bce_forward(p, t, eps, l);
  const double e32 = static_cast<double>(static_cast<float>(eps));
  const double lo = dt == DType::F32 ? e32 : eps;
  const double hi = dt == DType::F32 ? static_cast<double>(static_cast<float>(1 - eps)) : 1 - eps;
  // -log(eps) where the target disagrees, -log(1-eps) where it agrees, mixed for the tiny p.
  std::vector<double> want = {-std::log(lo), -std::log1p(-hi), -std::log1p(-lo), -std::log(hi),
                              -(0.3 * std::log(lo) + 0.7 * std::log1p(-lo))};
  REQUIRE_CLOSE(l, want, 1e-5, 1e-6);
  for (double v : values(l)) REQUIRE(std::isfinite(v));
  Tensor gp = poisoned({5}, dt);
  be.bce_backward(p, t, eps, ones({5}, dt), gp);
  REQUIRE_CLOSE(gp, std::vector<double>(5, 0.0), 0, 0);
  SECTION("the op too") {
    Tensor pr = p.detach().set_requires_grad();
    Tensor loss = bce(pr, t, Reduction::Sum, eps);
    REQUIRE(std::isfinite(loss.item()));
    loss.backward();
    REQUIRE_CLOSE(pr.grad(), std::vector<double>(5, 0.0), 0, 0);
  }
}

TEST_CASE("bce_with_logits: kernels match the naive formulas", "[loss][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(from_range(kShapes));
  Shape s(dims);
  INFO("shape " << s.str() << " " << dtype_name(dt));
  Generator g(52);
  Tensor x = rand_tensor(s, g, dt, -6.0, 6.0), t = rand_tensor(s, g, dt, 0.0, 1.0, 0.0), gl = rand_tensor(s, g, dt);
  Backend& be = backend_for(Device::cpu());
  Tensor l = poisoned(s, dt);
  be.bce_logits_forward(x, t, l);
  REQUIRE_CLOSE(l, bce_logits_ref(values(x), values(t)), rtol_for(dt), atol_for(dt));
  Tensor gx = poisoned(s, dt);
  be.bce_logits_backward(x, t, gl, gx);
  auto xv = values(x), tv = values(t), gv = values(gl);
  std::vector<double> ref(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) ref[i] = gv[i] * (1 / (1 + std::exp(-xv[i])) - tv[i]);
  REQUIRE_CLOSE(gx, ref, rtol_for(dt), atol_for(dt));
}

TEST_CASE("bce_with_logits: extreme logits stay finite and exact", "[loss][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  Tensor x = from_vector<double>({200.0, -200.0, 200.0, -200.0, 50.0}, {5}).to(dt);
  Tensor t = from_vector<double>({1.0, 0.0, 0.25, 0.25, 0.0}, {5}).to(dt);
  Backend& be = backend_for(Device::cpu());
  Tensor l = poisoned({5}, dt), gx = poisoned({5}, dt);
  be.bce_logits_forward(x, t, l);
  // log(1 + e^x) - x t = x (1 - t) + log(1 + e^-x) for large x; = -x t + log(1 + e^x) for very negative x.
  REQUIRE_CLOSE(l, std::vector<double>({0.0, 0.0, 150.0, 50.0, 50.0}), 1e-6, 1e-12);
  be.bce_logits_backward(x, t, ones({5}, dt), gx);
  REQUIRE_CLOSE(gx, std::vector<double>({0.0, 0.0, 0.75, -0.25, 1.0}), 1e-6, 1e-12);
}

TEST_CASE("losses: the ops reduce with None, Mean and Sum", "[loss][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(from_range(kShapes));
  auto r = GENERATE(Reduction::None, Reduction::Mean, Reduction::Sum);
  Shape s(dims);
  INFO("shape " << s.str() << " " << dtype_name(dt) << " reduction " << static_cast<int>(r));
  Generator g(53);
  Tensor p = rand_tensor(s, g, dt, 0.02, 0.98), x = rand_tensor(s, g, dt, -4.0, 4.0);
  Tensor t = rand_tensor(s, g, dt, 0.0, 1.0, 0.0), b = rand_tensor(s, g, dt);
  const double rtol = 10 * rtol_for(dt), atol = atol_for(dt);
  Tensor lb = bce(p, t, r), ll = bce_with_logits(x, t, r), lm = mse(x, b, r);
  REQUIRE(lb.shape() == (r == Reduction::None ? s : Shape{}));
  REQUIRE_CLOSE(lb, reduce_ref(bce_ref(values(p), values(t), 1e-7), r), rtol, atol);
  REQUIRE_CLOSE(ll, reduce_ref(bce_logits_ref(values(x), values(t)), r), rtol, atol);
  auto xv = values(x), bv = values(b);
  std::vector<double> sq(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) sq[i] = (xv[i] - bv[i]) * (xv[i] - bv[i]);
  REQUIRE_CLOSE(lm, reduce_ref(sq, r), rtol, atol);
}

TEST_CASE("losses: targets of bce get no gradient, mse differentiates both sides", "[loss][cpu]") {
  Generator g(54);
  Tensor p = rand_tensor({3, 2}, g, DType::F64, 0.1, 0.9).set_requires_grad();
  Tensor t = rand_tensor({3, 2}, g, DType::F64, 0.0, 1.0, 0.0).set_requires_grad();
  bce(p, t).backward();
  REQUIRE(p.grad().defined());
  REQUIRE_FALSE(t.grad().defined());
  Tensor a = rand_tensor({4}, g).set_requires_grad(), b = rand_tensor({4}, g).set_requires_grad();
  mse(a, b, Reduction::Sum).backward();
  auto av = values(a), bv = values(b);
  std::vector<double> ga, gb;
  for (size_t i = 0; i < av.size(); ++i) {
    ga.push_back(2 * (av[i] - bv[i]));
    gb.push_back(-2 * (av[i] - bv[i]));
  }
  REQUIRE_CLOSE(a.grad(), ga, 1e-14, 0);
  REQUIRE_CLOSE(b.grad(), gb, 1e-14, 0);
}

TEST_CASE("losses: a shape mismatch names the op and both shapes", "[loss][cpu]") {
  Generator g(55);
  Tensor a = rand_tensor({2, 3}, g, DType::F32, 0.1, 0.9), b = rand_tensor({3, 2}, g, DType::F32, 0.1, 0.9);
  for (auto* name : {"bce", "bce_with_logits", "mse"}) {
    std::string op = name;
    auto call = [&] {
      if (op == "bce") bce(a, b);
      else if (op == "bce_with_logits") bce_with_logits(a, b);
      else mse(a, b);
    };
    dien::test::require_error(call, {op + ":", "[2, 3] f32 cpu", "[3, 2] f32 cpu", "same shape"});
  }
  dien::test::require_error([&] { bce(a, rand_tensor({2, 3}, g, DType::F64)); }, {"bce", "f32", "f64"});
}
