// SPDX-License-Identifier: MIT
// Batch norm over x [N, C]: forward kernel (training and eval, with and without affine) and the
// running-statistics update against the PyTorch formulas; backward kernel against the explicit
// Jacobian of the normalisation; the op's errors.
#include "cpu/reference_nn.h"
#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::poisoned;
using dien::test::rand_tensor;
using dien::test::values;
using namespace dien::test::nn;

TEST_CASE("batch_norm: forward kernel and running update match the textbook formulas", "[batch_norm][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto nc = GENERATE(values<std::vector<int64_t>>({{2, 1}, {1, 3}, {5, 1}, {7, 3}, {33, 5}, {2, 65}}));
  auto training = GENERATE(true, false);
  auto affine = GENERATE(true, false);
  const int64_t N = nc[0], C = nc[1];
  if (training && N == 1) return;  // the op forbids it (tested below)
  INFO("[" << N << ", " << C << "] " << dtype_name(dt) << (training ? " training" : " eval")
           << (affine ? " affine" : " no affine"));
  Generator g(41);
  Tensor x = rand_tensor({N, C}, g, dt, -2.0, 3.0);
  Tensor gamma = rand_tensor({C}, g, dt, 0.5, 1.5), beta = rand_tensor({C}, g, dt);
  Tensor rm = rand_tensor({C}, g, dt), rv = rand_tensor({C}, g, dt, 0.5, 2.0);
  auto gv = values(gamma), bv = values(beta);
  const double momentum = 0.2, eps = 1e-5;
  BatchNormRef ref = batch_norm_ref(values(x), N, C, affine ? &gv : nullptr, affine ? &bv : nullptr, values(rm),
                                    values(rv), training, momentum, eps);
  Tensor y = poisoned({N, C}, dt), sm = poisoned({C}, dt), si = poisoned({C}, dt);
  backend_for(Device::cpu()).batch_norm_forward(x, affine ? &gamma : nullptr, affine ? &beta : nullptr, &rm, &rv,
                                                training, momentum, eps, y, sm, si);
  REQUIRE_CLOSE(y, ref.y, rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(sm, ref.mean, rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(si, ref.invstd, rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(rm, ref.running_mean, rtol_for(dt), atol_for(dt));  // unchanged in eval
  REQUIRE_CLOSE(rv, ref.running_var, rtol_for(dt), atol_for(dt));
}

TEST_CASE("batch_norm: training without running statistics", "[batch_norm][cpu]") {
  Generator g(42);
  Tensor x = rand_tensor({6, 4}, g);
  Tensor y = poisoned({6, 4}, DType::F64), sm = poisoned({4}, DType::F64), si = poisoned({4}, DType::F64);
  backend_for(Device::cpu()).batch_norm_forward(x, nullptr, nullptr, nullptr, nullptr, true, 0.1, 1e-5, y, sm, si);
  BatchNormRef ref = batch_norm_ref(values(x), 6, 4, nullptr, nullptr, {}, {}, true, 0.1, 1e-5);
  REQUIRE_CLOSE(y, ref.y, 1e-12, 1e-13);
  SECTION("the op agrees and each normalised column has mean 0 and biased variance ~1") {
    Tensor none;
    auto yv = values(batch_norm(x, Tensor(), Tensor(), none, none, true));
    for (int c = 0; c < 4; ++c) {
      double m = 0, v = 0;
      for (int n = 0; n < 6; ++n) m += yv[n * 4 + c] / 6;
      for (int n = 0; n < 6; ++n) v += (yv[n * 4 + c] - m) * (yv[n * 4 + c] - m) / 6;
      REQUIRE(std::fabs(m) < 1e-12);
      REQUIRE(std::fabs(v - 1) < 1e-3);  // var / (var + eps)
    }
  }
}

TEST_CASE("batch_norm: backward kernel matches the explicit Jacobian", "[batch_norm][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  auto nc = GENERATE(values<std::vector<int64_t>>({{2, 1}, {1, 4}, {7, 3}, {33, 5}}));
  auto training = GENERATE(true, false);
  auto affine = GENERATE(true, false);
  const int64_t N = nc[0], C = nc[1];
  if (training && N == 1) return;
  INFO("[" << N << ", " << C << "] " << dtype_name(dt) << (training ? " training" : " eval")
           << (affine ? " affine" : " no affine"));
  Generator g(43);
  Tensor x = rand_tensor({N, C}, g, dt, -2.0, 3.0), gy = rand_tensor({N, C}, g, dt);
  Tensor gamma = rand_tensor({C}, g, dt, 0.5, 1.5), rm = rand_tensor({C}, g, dt), rv = rand_tensor({C}, g, dt, 0.5, 2.0);
  Tensor y = poisoned({N, C}, dt), sm = poisoned({C}, dt), si = poisoned({C}, dt);
  Backend& be = backend_for(Device::cpu());
  be.batch_norm_forward(x, affine ? &gamma : nullptr, nullptr, &rm, &rv, training, 0.1, 1e-5, y, sm, si);
  Tensor gx = poisoned({N, C}, dt), ggamma = poisoned({C}, dt), gbeta = poisoned({C}, dt);
  be.batch_norm_backward(x, affine ? &gamma : nullptr, sm, si, gy, training, &gx, &ggamma, &gbeta);

  // Reference: xhat_i = (x_i - mean) invstd per column; in training
  // d xhat_i / d x_j = invstd (delta_ij - 1/N - xhat_i xhat_j / N), in eval invstd delta_ij.
  auto xv = values(x), gyv = values(gy), gmv = values(gamma), mv = values(sm), iv = values(si);
  std::vector<double> gx_ref(N * C, 0.0), gg_ref(C, 0.0), gb_ref(C, 0.0);
  for (int64_t c = 0; c < C; ++c) {
    double gam = affine ? gmv[c] : 1.0;
    std::vector<double> xhat(N);
    for (int64_t n = 0; n < N; ++n) xhat[n] = (xv[n * C + c] - mv[c]) * iv[c];
    for (int64_t i = 0; i < N; ++i) {
      gb_ref[c] += gyv[i * C + c];
      gg_ref[c] += gyv[i * C + c] * xhat[i];
      for (int64_t j = 0; j < N; ++j) {
        double d = training ? iv[c] * ((i == j) - 1.0 / N - xhat[i] * xhat[j] / N) : iv[c] * (i == j);
        gx_ref[j * C + c] += gyv[i * C + c] * gam * d;
      }
    }
  }
  // f32: the sums cancel (sum of gx is 0 in training), so compare with an absolute floor.
  double atol = dt == DType::F32 ? 2e-5 : 1e-12;
  REQUIRE_CLOSE(gx, gx_ref, rtol_for(dt), atol);
  REQUIRE_CLOSE(ggamma, gg_ref, rtol_for(dt), atol);
  REQUIRE_CLOSE(gbeta, gb_ref, rtol_for(dt), atol);

  SECTION("null outputs are skipped and the rest is unchanged") {
    Tensor gx2 = poisoned({N, C}, dt);
    be.batch_norm_backward(x, affine ? &gamma : nullptr, sm, si, gy, training, &gx2, nullptr, nullptr);
    REQUIRE_CLOSE(gx2, gx, 0, 0);
    Tensor gb2 = poisoned({C}, dt);
    be.batch_norm_backward(x, affine ? &gamma : nullptr, sm, si, gy, training, nullptr, nullptr, &gb2);
    REQUIRE_CLOSE(gb2, gbeta, 0, 0);
  }
}

TEST_CASE("batch_norm: the op updates running statistics and eval uses them", "[batch_norm][cpu]") {
  auto dt = GENERATE(DType::F32, DType::F64);
  Generator g(44);
  const int64_t N = 9, C = 3;
  Tensor x = rand_tensor({N, C}, g, dt, -1.0, 4.0);
  Tensor gamma = rand_tensor({C}, g, dt, 0.5, 1.5), beta = rand_tensor({C}, g, dt);
  Tensor rm = zeros({C}, dt), rv = ones({C}, dt);
  auto gv = values(gamma), bv = values(beta);
  BatchNormRef r1 = batch_norm_ref(values(x), N, C, &gv, &bv, values(rm), values(rv), true, 0.1, 1e-5);
  Tensor y = batch_norm(x, gamma, beta, rm, rv, true);
  REQUIRE_CLOSE(y, r1.y, rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(rm, r1.running_mean, rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(rv, r1.running_var, rtol_for(dt), atol_for(dt));
  // A second step compounds: running = 0.9 running + 0.1 batch again.
  BatchNormRef r2 = batch_norm_ref(values(x), N, C, &gv, &bv, values(rm), values(rv), true, 0.1, 1e-5);
  batch_norm(x, gamma, beta, rm, rv, true);
  REQUIRE_CLOSE(rm, r2.running_mean, rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(rv, r2.running_var, rtol_for(dt), atol_for(dt));
  // Eval normalises a single row with the running statistics and leaves them alone.
  Tensor x1 = rand_tensor({1, C}, g, dt);
  BatchNormRef re = batch_norm_ref(values(x1), 1, C, &gv, &bv, values(rm), values(rv), false, 0.1, 1e-5);
  auto rm_before = values(rm);
  REQUIRE_CLOSE(batch_norm(x1, gamma, beta, rm, rv, false), re.y, rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(rm, rm_before, 0, 0);
}

TEST_CASE("batch_norm: misuse names the op and the shapes", "[batch_norm][cpu]") {
  Generator g(45);
  Tensor x = rand_tensor({4, 3}, g, DType::F32), rm = zeros({3}), rv = ones({3}), none;
  dien::test::require_error([&] { batch_norm(x, ones({2}), Tensor(), rm, rv, true); },
                            {"batch_norm", "gamma", "[3]", "[2] f32 cpu", "[4, 3] f32 cpu"});
  dien::test::require_error([&] { batch_norm(x, Tensor(), ones({4}), rm, rv, true); }, {"batch_norm", "beta", "[4] f32 cpu"});
  Tensor rm_bad = zeros({5});
  dien::test::require_error([&] { batch_norm(x, Tensor(), Tensor(), rm_bad, rv, true); },
                            {"batch_norm", "running_mean", "[5] f32 cpu"});
  dien::test::require_error([&] { batch_norm(rand_tensor({1, 3}, g, DType::F32), Tensor(), Tensor(), rm, rv, true); },
                            {"batch_norm", "more than 1 value per channel when training", "[1, 3] f32 cpu"});
  dien::test::require_error([&] { batch_norm(x, Tensor(), Tensor(), none, none, false); },
                            {"batch_norm", "eval", "running_mean", "[4, 3] f32 cpu"});
  dien::test::require_error([&] { batch_norm(rand_tensor({2, 3, 4}, g, DType::F32), Tensor(), Tensor(), rm, rv, true); },
                            {"batch_norm", "[N, C]", "[2, 3, 4] f32 cpu"});
}
