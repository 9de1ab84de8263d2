// SPDX-License-Identifier: MIT
// The backward engine: accumulation, shared subexpressions, no-grad, detach, graph freeing,
// long chains (no recursion), multi-output nodes.
#include "autograd/grad_mode.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::values;

TEST_CASE("engine: gradient of a simple expression", "[autograd][cpu]") {
  Tensor x = from_vector<double>({1.5, -2.0, 0.25}, {3}).set_requires_grad();
  Tensor y = sum(mul(x, x));  // d/dx = 2x
  y.backward();
  REQUIRE_CLOSE(x.grad(), std::vector<double>({3.0, -4.0, 0.5}), 0, 1e-15);
}

TEST_CASE("engine: gradients accumulate across backward calls until zero_grad", "[autograd][cpu]") {
  Tensor x = from_vector<double>({2.0, 3.0}, {2}).set_requires_grad();
  sum(mul(x, 3.0)).backward();
  sum(mul(x, 3.0)).backward();
  REQUIRE_CLOSE(x.grad(), std::vector<double>({6.0, 6.0}), 0, 0);
  x.zero_grad();
  REQUIRE_FALSE(x.grad().defined());
}

TEST_CASE("engine: a tensor used twice receives both gradients", "[autograd][cpu]") {
  Tensor x = from_vector<double>({0.5, -1.25}, {2}).set_requires_grad();
  Tensor e = exp(x);
  Tensor y = sum(add(mul(e, x), e));  // d/dx = e*x + e + e
  y.backward();
  auto xv = values(x);
  std::vector<double> want;
  for (double v : xv) want.push_back(std::exp(v) * v + 2 * std::exp(v));
  REQUIRE_CLOSE(x.grad(), want, 1e-14, 0);
}

TEST_CASE("engine: no graph under NoGradGuard, detach cuts history", "[autograd][cpu]") {
  Tensor x = from_vector<double>({1.0}, {1}).set_requires_grad();
  {
    NoGradGuard ng;
    Tensor y = mul(x, 2.0);
    REQUIRE_FALSE(y.requires_grad());
    REQUIRE(y.is_leaf());
  }
  Tensor d = mul(x, 2.0).detach();
  REQUIRE_FALSE(d.requires_grad());
  Tensor z = mul(x, 2.0);
  REQUIRE(z.requires_grad());
  REQUIRE_FALSE(z.is_leaf());
  REQUIRE(z.grad_fn()->name() == "affine");
}

TEST_CASE("engine: second backward without retain_graph fails, with it succeeds", "[autograd][cpu]") {
  Tensor x = from_vector<double>({0.3, 0.7}, {2}).set_requires_grad();
  Tensor y = sum(sigmoid(x));
  y.backward(Tensor(), /*retain_graph=*/true);
  y.backward();
  auto g1 = values(x.grad());
  dien::test::require_error([&] { y.backward(); }, {"second time", "retain_graph"});
  for (size_t i = 0; i < g1.size(); ++i) {
    double s = 1 / (1 + std::exp(-values(x)[i]));
    REQUIRE(std::fabs(g1[i] - 2 * s * (1 - s)) < 1e-14);
  }
}

TEST_CASE("engine: a chain of 20000 ops runs without recursion", "[autograd][cpu]") {
  Tensor x = from_vector<double>({1.0}, {1}).set_requires_grad();
  Tensor y = x;
  for (int i = 0; i < 20000; ++i) y = mul(y, 1.0001);
  sum(y).backward();
  REQUIRE(std::fabs(values(x.grad())[0] - std::pow(1.0001, 20000)) < 1e-9 * std::pow(1.0001, 20000));
}

TEST_CASE("engine: backward needs a scalar or an explicit gradient", "[autograd][cpu]") {
  Tensor x = from_vector<double>({1.0, 2.0}, {2}).set_requires_grad();
  Tensor y = mul(x, 2.0);
  dien::test::require_error([&] { y.backward(); }, {"backward", "[2]"});
  dien::test::require_error([&] { y.backward(ones({3}, DType::F64)); }, {"backward", "[3]", "[2]"});
  y.backward(from_vector<double>({1.0, 10.0}, {2}));
  REQUIRE_CLOSE(x.grad(), std::vector<double>({2.0, 20.0}), 0, 0);
}

TEST_CASE("engine: reshape and clone pass gradients through", "[autograd][cpu]") {
  Generator g(3);
  Tensor x = dien::test::rand_tensor({2, 3}, g).set_requires_grad();
  Tensor y = x.reshape({3, -1}).clone();
  REQUIRE(y.shape() == Shape({3, 2}));
  Tensor w = dien::test::rand_tensor({3, 2}, g);
  sum(mul(y, w)).backward();
  REQUIRE_CLOSE(x.grad(), values(w), 0, 0);
}

TEST_CASE("engine: f32 <-> f64 casts are differentiable", "[autograd][cpu]") {
  Tensor x = from_vector<float>({1.0f, 2.0f}, {2}).set_requires_grad();
  Tensor y = sum(mul(x.to(DType::F64), 3.0));
  y.backward();
  REQUIRE(x.grad().dtype() == DType::F32);
  REQUIRE_CLOSE(x.grad(), std::vector<double>({3.0, 3.0}), 0, 0);
}
