// SPDX-License-Identifier: MIT
// softmax and masked_softmax against naive loops in this file: plain and masked (masks of every
// dtype, fully masked rows, length-0 and length-T prefix masks), rows summing to one over the
// valid entries, stability for large inputs, the backward kernel, and misuse errors.
#include <cmath>

#include "kernels/dispatch.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::values;

namespace {

// Softmax over the last dim of x (rows x cols) with an optional validity vector (1 = valid).
std::vector<double> naive_softmax(const std::vector<double>& x, const std::vector<double>* mask, int64_t cols) {
  std::vector<double> y(x.size(), 0.0);
  const int64_t rows = cols ? static_cast<int64_t>(x.size()) / cols : 0;
  for (int64_t r = 0; r < rows; ++r) {
    double mx = -INFINITY;
    for (int64_t j = 0; j < cols; ++j)
      if (!mask || (*mask)[r * cols + j] != 0) mx = std::max(mx, x[r * cols + j]);
    if (mx == -INFINITY) continue;  // fully masked row stays 0
    double s = 0;
    for (int64_t j = 0; j < cols; ++j)
      if (!mask || (*mask)[r * cols + j] != 0) s += std::exp(x[r * cols + j] - mx);
    for (int64_t j = 0; j < cols; ++j)
      if (!mask || (*mask)[r * cols + j] != 0) y[r * cols + j] = std::exp(x[r * cols + j] - mx) / s;
  }
  return y;
}

// Mask over rows x cols mixing: row 0 fully masked, row 1 all valid, then prefix lengths
// (0, cols, random) and random patterns.
std::vector<double> mixed_mask(int64_t rows, int64_t cols, Generator& g) {
  std::vector<double> m(static_cast<size_t>(rows * cols), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    int kind = static_cast<int>(r % 5);
    int64_t len = kind == 0 ? 0 : kind == 1 ? cols : static_cast<int64_t>(g.uniform01() * (cols + 1));
    for (int64_t j = 0; j < cols; ++j)
      m[r * cols + j] = kind == 4 ? (g.uniform01() < 0.5 ? 1.0 : 0.0) : (j < len ? 1.0 : 0.0);
  }
  return m;
}

double rtol_for(DType dt) { return dt == DType::F32 ? 1e-5 : 1e-12; }
double atol_for(DType dt) { return dt == DType::F32 ? 1e-7 : 1e-15; }

const std::vector<Shape> kShapes = {{1}, {7}, {1, 1}, {7, 33}, {5, 65}, {33, 1}, {2, 1, 7}, {3, 5, 65}, {2, 2, 3, 7}};

}  // namespace

TEST_CASE("softmax: matches naive loops and rows sum to one", "[softmax][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(31);
  for (const Shape& s : kShapes) {
    INFO(dtype_name(dt) << " " << s.str());
    Tensor x = test::rand_tensor(s, g, dt, -4, 4);
    Tensor y = softmax(x);
    REQUIRE(y.shape() == s);
    REQUIRE_CLOSE(y, naive_softmax(values(x), nullptr, s.back()), rtol_for(dt), atol_for(dt));
    auto yv = values(y);
    for (int64_t r = 0; r < s.numel() / s.back(); ++r) {
      double sum = 0;
      for (int64_t j = 0; j < s.back(); ++j) sum += yv[r * s.back() + j];
      REQUIRE(std::fabs(sum - 1.0) < 10 * rtol_for(dt));
    }
  }
}

TEST_CASE("softmax: many rows (the threaded path) match naive loops", "[softmax][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(36);
  const Shape s{301, 129};  // 38829 elements: above the parallel grain
  Tensor x = test::rand_tensor(s, g, dt, -5, 5);
  std::vector<double> mv = mixed_mask(301, 129, g);
  REQUIRE_CLOSE(softmax(x), naive_softmax(values(x), nullptr, 129), rtol_for(dt), atol_for(dt));
  REQUIRE_CLOSE(masked_softmax(x, from_vector(mv, s)), naive_softmax(values(x), &mv, 129), rtol_for(dt),
                atol_for(dt));
}

TEST_CASE("softmax: stable for large inputs", "[softmax][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Tensor x = from_vector<double>({1000.0, 999.0, -1000.0, 1e4, 1e4 - 2.0, 3.0}, {2, 3}).to(dt);
  Tensor y = softmax(x);
  const double e = std::exp(-1.0), f = std::exp(-2.0);
  REQUIRE_CLOSE(y, std::vector<double>({1 / (1 + e), e / (1 + e), 0.0, 1 / (1 + f), f / (1 + f), 0.0}),
                rtol_for(dt), atol_for(dt));
  Tensor m = from_vector<double>({1, 1, 0, 0, 1, 1}, {2, 3});
  Tensor ym = masked_softmax(x, m);
  REQUIRE_CLOSE(ym, std::vector<double>({1 / (1 + e), e / (1 + e), 0.0, 0.0, 1.0, 0.0}), rtol_for(dt),
                atol_for(dt));
}

TEST_CASE("masked_softmax: matches naive loops for masks of every dtype", "[softmax][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  DType mdt = GENERATE(DType::F32, DType::F64, DType::I32, DType::I64);
  Generator g(32);
  for (const Shape& s : kShapes) {
    INFO(dtype_name(dt) << " mask " << dtype_name(mdt) << " " << s.str());
    const int64_t cols = s.back(), rows = s.numel() / cols;
    Tensor x = test::rand_tensor(s, g, dt, -4, 4);
    std::vector<double> mv = mixed_mask(rows, cols, g);
    // Valid entries are any nonzero value, not only 1.
    std::vector<double> mvals = mv;
    for (size_t i = 0; i < mvals.size(); ++i) mvals[i] *= (i % 3 == 0 ? 1.0 : i % 3 == 1 ? -2.0 : 7.0);
    Tensor mask = from_vector(mvals, s).to(mdt);
    Tensor y = masked_softmax(x, mask);
    REQUIRE(y.shape() == s);
    REQUIRE_CLOSE(y, naive_softmax(values(x), &mv, cols), rtol_for(dt), atol_for(dt));
    auto yv = values(y);
    for (int64_t r = 0; r < rows; ++r) {
      double sum = 0, valid = 0;
      for (int64_t j = 0; j < cols; ++j) {
        if (mv[r * cols + j] == 0) REQUIRE(yv[r * cols + j] == 0.0);  // masked: exactly 0
        sum += yv[r * cols + j];
        valid += mv[r * cols + j];
      }
      REQUIRE(std::fabs(sum - (valid > 0 ? 1.0 : 0.0)) < 10 * rtol_for(dt));
    }
  }
}

TEST_CASE("masked_softmax: all-valid mask equals softmax; length-0 rows give 0", "[softmax][cpu]") {
  Generator g(33);
  Tensor x = test::rand_tensor({4, 33}, g, DType::F64, -3, 3);
  REQUIRE_CLOSE(masked_softmax(x, ones({4, 33}, DType::I32)), softmax(x), 1e-15, 0);
  REQUIRE_CLOSE(masked_softmax(x, zeros({4, 33}, DType::I64)), std::vector<double>(4 * 33, 0.0), 0, 0);
}

TEST_CASE("softmax_backward: gx = y (gy - sum(gy y)) like naive loops", "[softmax][cpu]") {
  DType dt = GENERATE(DType::F32, DType::F64);
  Generator g(34);
  for (const Shape& s : kShapes) {
    INFO(dtype_name(dt) << " " << s.str());
    const int64_t cols = s.back(), rows = s.numel() / cols;
    Tensor x = test::rand_tensor(s, g, dt, -3, 3);
    std::vector<double> mv = mixed_mask(rows, cols, g);
    Tensor y = masked_softmax(x, from_vector(mv, s));
    Tensor gy = test::rand_tensor(s, g, dt, -2, 2);
    Tensor gx = test::poisoned(s, dt);
    backend_for(Device::cpu()).softmax_backward(y, gy, gx);
    auto yv = values(y), gv = values(gy);
    std::vector<double> ref(yv.size());
    for (int64_t r = 0; r < rows; ++r) {
      double dot = 0;
      for (int64_t j = 0; j < cols; ++j) dot += gv[r * cols + j] * yv[r * cols + j];
      for (int64_t j = 0; j < cols; ++j) ref[r * cols + j] = yv[r * cols + j] * (gv[r * cols + j] - dot);
    }
    REQUIRE_CLOSE(gx, ref, rtol_for(dt), 10 * atol_for(dt));
  }
}

TEST_CASE("softmax: misuse names the op and the shapes", "[softmax][cpu]") {
  Generator g(35);
  Tensor x = test::rand_tensor({2, 3}, g, DType::F32);
  test::require_error([&] { masked_softmax(x, ones({3, 2})); }, {"masked_softmax", "[2, 3]", "[3, 2]"});
  test::require_error([&] { masked_softmax(x, ones({2, 3, 1})); }, {"masked_softmax", "[2, 3]", "[2, 3, 1]"});
  test::require_error([&] { masked_softmax(x, Tensor()); }, {"masked_softmax", "mask"});
  test::require_error([&] { softmax(ones({2, 3}, DType::I32)); }, {"softmax", "[2, 3]", "i32"});
  test::require_error([&] { softmax(scalar_tensor(1.0)); }, {"softmax", "[]"});
}
