// SPDX-License-Identifier: MIT
// Initialisers: Glorot, orthogonal (modified Gram-Schmidt in double), normal, zeros.
#include "layers/init.h"

#include <cmath>
#include <vector>

#include "autograd/grad_mode.h"
#include "core/checked.h"
#include "kernels/dispatch.h"

namespace dien::init {

Tensor glorot_uniform(int64_t fan_out, int64_t fan_in, Generator& gen, DType dtype) {
  if (fan_out <= 0 || fan_in <= 0) fail("glorot_uniform", "fan_out and fan_in must be positive, got ", fan_out, ", ", fan_in);
  const double b = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform({fan_out, fan_in}, -b, b, gen, dtype);
}

Tensor orthogonal(int64_t rows, int64_t cols, Generator& gen, DType dtype) {
  if (rows <= 0 || cols <= 0) fail("orthogonal", "rows and cols must be positive, got ", rows, ", ", cols);
  // Work on the tall matrix A [m, n], m >= n; orthonormalise its n columns.
  const bool tall = rows >= cols;
  const int64_t m = tall ? rows : cols, n = tall ? cols : rows;
  std::vector<double> a = normal({m, n}, 0.0, 1.0, gen, DType::F64).to_vector<double>();
  auto at = [&](int64_t i, int64_t j) -> double& { return a[static_cast<size_t>(i * n + j)]; };
  for (int64_t j = 0; j < n; ++j) {
    for (int pass = 0; pass < 2; ++pass) {  // re-orthogonalise once for accuracy
      for (int64_t k = 0; k < j; ++k) {
        double d = 0;
        for (int64_t i = 0; i < m; ++i) d += at(i, k) * at(i, j);
        for (int64_t i = 0; i < m; ++i) at(i, j) -= d * at(i, k);
      }
    }
    double nrm = 0;
    for (int64_t i = 0; i < m; ++i) nrm += at(i, j) * at(i, j);
    nrm = std::sqrt(nrm);
    if (nrm < 1e-12) fail("orthogonal", "degenerate random matrix (column ", j, ")");
    // R's diagonal is +nrm by construction; the sign correction of Householder QR is implicit.
    for (int64_t i = 0; i < m; ++i) at(i, j) /= nrm;
  }
  std::vector<double> out(static_cast<size_t>(checked_mul(rows, cols, "orthogonal", "rows * cols")));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[static_cast<size_t>(r * cols + c)] = tall ? at(r, c) : at(c, r);
  return from_vector<double>(out, Shape{rows, cols}).to(dtype);
}

Tensor orthogonal_gates(int64_t gates, int64_t rows, int64_t cols, Generator& gen, DType dtype) {
  if (gates <= 0) fail("orthogonal_gates", "gates must be positive, got ", gates);
  // The gate blocks stack into [gates * rows, cols]; refuse sizes that overflow before drawing any.
  checked_numel({gates, rows, cols}, "orthogonal_gates", "weight");
  std::vector<Tensor> blocks;
  for (int64_t g = 0; g < gates; ++g) blocks.push_back(orthogonal(rows, cols, gen, DType::F64));
  std::vector<double> all;
  for (auto& b : blocks) {
    auto v = b.to_vector<double>();
    all.insert(all.end(), v.begin(), v.end());
  }
  const int64_t stacked = checked_mul(gates, rows, "orthogonal_gates", "gates * rows");
  return from_vector<double>(all, Shape{stacked, cols}).to(dtype);
}

Tensor normal(const Shape& shape, double std, Generator& gen, DType dtype) {
  if (!(std >= 0)) fail("init::normal", "std must be >= 0, got ", std);
  return dien::normal(shape, 0.0, std, gen, dtype);
}

Tensor zeros(const Shape& shape, DType dtype) { return dien::zeros(shape, dtype); }

void assign(const Tensor& dst, const Tensor& src) {
  if (!dst.defined() || !src.defined()) fail("init::assign", "undefined tensor");
  if (dst.numel() != src.numel())
    fail("init::assign", "element counts differ: dst ", dst.describe(), ", src ", src.describe());
  NoGradGuard ng;
  Tensor s = src.detach().to(dst.device());
  Tensor d = dst;
  Backend& be = backend_for(d);
  if (s.dtype() == d.dtype())
    be.copy_bytes(d.raw_data(), d.device(), s.raw_data(), s.device(), d.nbytes());
  else
    be.cast(s, d);
}

namespace {
// Rows of a GRU weight: three gate blocks of `hidden` rows each.
int64_t gate_rows(int64_t hidden) { return checked_mul(int64_t{3}, hidden, "init", "GRU weight rows 3 * hidden"); }
}  // namespace

Scheme parse_scheme(const std::string& s) {
  if (s == "glorot") return Scheme::Glorot;
  if (s == "deepctr") return Scheme::DeepCtr;
  fail("init", "unknown scheme '", s, "' (expected glorot or deepctr)");
}

Tensor Initializer::dense_weight(int64_t out, int64_t in) {
  if (scheme_ == Scheme::Glorot) return glorot_uniform(out, in, gen_, dtype_);
  return normal({out, in}, std_, gen_, dtype_);
}

Tensor Initializer::dense_bias(int64_t out, int64_t fan_in) {
  if (scheme_ == Scheme::Glorot) return init::zeros(Shape{out}, dtype_);
  const double b = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return uniform({out}, -b, b, gen_, dtype_);
}

Tensor Initializer::recurrent_ih(int64_t hidden, int64_t in) {
  if (scheme_ == Scheme::Glorot) {
    const double b = std::sqrt(6.0 / static_cast<double>(in + hidden));  // per gate block
    return uniform({gate_rows(hidden), in}, -b, b, gen_, dtype_);
  }
  return normal({gate_rows(hidden), in}, std_, gen_, dtype_);
}

Tensor Initializer::recurrent_hh(int64_t hidden) {
  if (scheme_ == Scheme::Glorot) return orthogonal_gates(3, hidden, hidden, gen_, dtype_);
  return normal({gate_rows(hidden), hidden}, std_, gen_, dtype_);
}

Tensor Initializer::recurrent_bias(int64_t hidden, bool cell_bias) {
  if (scheme_ == Scheme::Glorot || cell_bias) return init::zeros(Shape{gate_rows(hidden)}, dtype_);
  const double b = 1.0 / std::sqrt(static_cast<double>(hidden));
  return uniform({gate_rows(hidden)}, -b, b, gen_, dtype_);
}

Tensor Initializer::embedding(int64_t vocab, int64_t dim) {
  return normal({vocab, dim}, scheme_ == Scheme::Glorot ? 0.05 : std_, gen_, dtype_);
}

}  // namespace dien::init
