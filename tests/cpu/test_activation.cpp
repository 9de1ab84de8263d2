// SPDX-License-Identifier: MIT
// PReLU kernels and Dice: forward against naive loops, the backward kernel's overwrite and
// accumulate paths, running statistics of Dice, and error messages.
#include "cpu/reference_nn.h"
#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::poisoned;
using dien::test::rand_tensor;
using dien::test::values;
using namespace dien::test::nn;

namespace {

std::vector<double> prelu_ref(const std::vector<double>& x, const std::vector<double>& w, int64_t C) {
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    double wv = w.size() == 1 ? w[0] : w[i % C];
    y[i] = x[i] > 0 ? x[i] : wv * x[i];
  }
  return y;
}

}  // namespace

TEST_CASE("prelu: forward kernel matches a naive loop", "[activation][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(values<std::vector<int64_t>>({{1}, {7}, {1, 1}, {3, 5}, {2, 1, 33}, {2, 3, 1, 4}}));
  auto shared = GENERATE(false, true);
  Shape s(dims);
  INFO("shape " << s.str() << " " << dtype_name(dt) << (shared ? " shared w" : " per-channel w"));
  Generator g(11);
  Tensor x = rand_tensor(s, g, dt);
  Tensor w = rand_tensor({shared ? 1 : s.back()}, g, dt, 0.05, 0.5);
  Tensor y = poisoned(s, dt);
  backend_for(Device::cpu()).prelu_forward(x, w, y);
  REQUIRE_CLOSE(y, prelu_ref(values(x), values(w), s.back()), rtol_for(dt), atol_for(dt));
  SECTION("the op gives the same values") { REQUIRE_CLOSE(prelu(x, w), values(y), 0, 0); }
}

TEST_CASE("prelu: backward kernel overwrites gx and overwrites or accumulates gw", "[activation][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(values<std::vector<int64_t>>({{1, 1}, {5}, {4, 3}, {2, 7, 5}}));
  auto shared = GENERATE(false, true);
  auto beta = GENERATE(0.0, 1.0);
  Shape s(dims);
  const int64_t C = s.back(), wc = shared ? 1 : C;
  INFO("shape " << s.str() << " " << dtype_name(dt) << " wc=" << wc << " beta=" << beta);
  Generator g(12);
  Tensor x = rand_tensor(s, g, dt), gy = rand_tensor(s, g, dt);
  Tensor w = rand_tensor({wc}, g, dt, 0.05, 0.5);
  Tensor gw = beta == 0.0 ? poisoned({wc}, dt) : rand_tensor({wc}, g, dt);
  std::vector<double> gw0 = beta == 0.0 ? std::vector<double>(wc, 0.0) : values(gw);
  Tensor gx = poisoned(s, dt);
  backend_for(Device::cpu()).prelu_backward(x, w, gy, &gx, &gw, beta);

  auto xv = values(x), wv = values(w), gv = values(gy);
  std::vector<double> gx_ref(xv.size()), gw_ref = gw0;
  for (size_t i = 0; i < xv.size(); ++i) {
    int64_t c = wc == 1 ? 0 : static_cast<int64_t>(i) % C;
    gx_ref[i] = xv[i] > 0 ? gv[i] : wv[c] * gv[i];
    if (xv[i] <= 0) gw_ref[c] += gv[i] * xv[i];
  }
  REQUIRE_CLOSE(gx, gx_ref, rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(gw, gw_ref, rtol_for(dt), atol_for(dt));
}

TEST_CASE("prelu: backward kernel with only one of the outputs", "[activation][cpu]") {
  Generator g(13);
  Tensor x = rand_tensor({3, 4}, g), gy = rand_tensor({3, 4}, g), w = rand_tensor({4}, g, DType::F64, 0.1, 0.4);
  Tensor gx_full = poisoned({3, 4}, DType::F64), gw_full = poisoned({4}, DType::F64);
  backend_for(Device::cpu()).prelu_backward(x, w, gy, &gx_full, &gw_full, 0.0);
  Tensor gx = poisoned({3, 4}, DType::F64), gw = poisoned({4}, DType::F64);
  backend_for(Device::cpu()).prelu_backward(x, w, gy, &gx, nullptr, 0.0);
  backend_for(Device::cpu()).prelu_backward(x, w, gy, nullptr, &gw, 0.0);
  REQUIRE_CLOSE(gx, gx_full, 0, 0);
  REQUIRE_CLOSE(gw, gw_full, 0, 0);
}

TEST_CASE("prelu: misuse names the op and the shapes", "[activation][cpu]") {
  Generator g(14);
  Tensor x = rand_tensor({2, 4}, g, DType::F32);
  dien::test::require_error([&] { prelu(x, rand_tensor({3}, g, DType::F32)); },
                            {"prelu", "[4]", "[3] f32 cpu", "[2, 4] f32 cpu"});
  dien::test::require_error([&] { prelu(x, rand_tensor({1, 4}, g, DType::F32)); }, {"prelu", "[1, 4]"});
  dien::test::require_error([&] { prelu(x, rand_tensor({4}, g, DType::F64)); }, {"prelu", "f32", "f64"});
}

namespace {

// Dice on x viewed as [M, C]: BN without affine (batch stats in training, running in eval).
std::vector<double> dice_ref(const std::vector<double>& x, int64_t M, int64_t C, const std::vector<double>& alpha,
                             const BatchNormRef& bn) {
  std::vector<double> y(x.size());
  for (int64_t i = 0; i < M * C; ++i) {
    double p = 1.0 / (1.0 + std::exp(-bn.y[i]));
    y[i] = p * x[i] + (1 - p) * alpha[i % C] * x[i];
  }
  return y;
}

}  // namespace

TEST_CASE("dice: forward and running statistics match a naive reference", "[activation][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto dims = GENERATE(values<std::vector<int64_t>>({{2, 1}, {7, 3}, {33, 5}, {2, 3, 4}, {1, 5, 2}, {3, 1, 1}}));
  auto training = GENERATE(true, false);
  Shape s(dims);
  const int64_t C = s.back(), M = s.numel() / C;
  INFO("shape " << s.str() << " " << dtype_name(dt) << (training ? " training" : " eval"));
  Generator g(15);
  Tensor x = rand_tensor(s, g, dt, -2.0, 2.0), alpha = rand_tensor({C}, g, dt, -0.5, 0.5);
  Tensor rm = rand_tensor({C}, g, dt, -0.5, 0.5), rv = rand_tensor({C}, g, dt, 0.5, 1.5);
  auto rm0 = values(rm), rv0 = values(rv);
  const double momentum = 0.3, eps = 1e-8;
  Tensor y = dice(x, alpha, rm, rv, training, momentum, eps);
  REQUIRE(y.shape() == s);
  BatchNormRef bn = batch_norm_ref(values(x), M, C, nullptr, nullptr, rm0, rv0, training, momentum, eps);
  REQUIRE_CLOSE(y, dice_ref(values(x), M, C, values(alpha), bn), 10 * rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(rm, bn.running_mean, rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(rv, bn.running_var, rtol_for(dt), atol_for(dt));
}

TEST_CASE("dice: misuse names the op and the shapes", "[activation][cpu]") {
  Generator g(16);
  Tensor x = rand_tensor({4, 3}, g, DType::F32), a = rand_tensor({3}, g, DType::F32);
  Tensor rm = zeros({3}), rv = ones({3}), none;
  dien::test::require_error([&] { dice(x, rand_tensor({2}, g, DType::F32), rm, rv, true); },
                            {"dice", "alpha", "[3]", "[2] f32 cpu", "[4, 3] f32 cpu"});
  dien::test::require_error([&] { dice(rand_tensor({1, 3}, g, DType::F32), a, rm, rv, true); },
                            {"dice", "more than 1 value per channel", "[1, 3] f32 cpu"});
  dien::test::require_error([&] { dice(x, a, none, rv, false); }, {"dice", "eval", "running_mean", "[4, 3]"});
  dien::test::require_error([&] { dice(rand_tensor({3}, g, DType::F32), a, rm, rv, true); }, {"dice", "[3] f32 cpu"});
  Tensor rm_bad = zeros({4});
  dien::test::require_error([&] { dice(x, a, rm_bad, rv, true); }, {"dice", "running", "[4] f32 cpu"});
}
