// SPDX-License-Identifier: MIT
// Elementwise ops and reductions against naive loops, kernel poisoning, accumulate paths,
// and the error messages of misuse.
#include <cmath>

#include "core/threads.h"
#include "kernels/dispatch.h"
#include "kernels/cpu/isa/kernels.h"
#include "support/test_util.h"

using namespace dien;
using dien::test::rand_tensor;
using dien::test::require_error;
using dien::test::values;

namespace {

// Naive broadcast: value of operand (shape s, values v) at the multi-index of out shape o.
double at_bcast(const std::vector<double>& v, const Shape& s, const Shape& o, int64_t flat) {
  std::vector<int64_t> idx(o.size());
  for (int i = o.size() - 1; i >= 0; --i) {
    idx[i] = flat % o[i];
    flat /= o[i];
  }
  int64_t off = 0;
  for (int i = 0; i < s.size(); ++i) {
    int64_t oi = idx[o.size() - s.size() + i];
    off = off * s[i] + (s[i] == 1 ? 0 : oi);
  }
  return v[off];
}

std::vector<double> naive_binary(char op, const Tensor& a, const Tensor& b, const Shape& o) {
  auto va = values(a), vb = values(b);
  std::vector<double> r(o.numel());
  for (int64_t i = 0; i < o.numel(); ++i) {
    double x = at_bcast(va, a.shape(), o, i), y = at_bcast(vb, b.shape(), o, i);
    r[i] = op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y;
  }
  return r;
}

struct BcastCase {
  Shape a, b, out;
};

const std::vector<BcastCase> kBcastCases = {
    {{7}, {7}, {7}},                     // same shape
    {{3, 5}, {}, {3, 5}},                // scalar
    {{3, 5}, {5}, {3, 5}},               // row (bias)
    {{3, 5}, {3, 1}, {3, 5}},            // column
    {{1, 5}, {4, 1}, {4, 5}},            // outer
    {{2, 3, 4}, {2, 1, 4}, {2, 3, 4}},   // batch x feature
    {{2, 3, 4}, {1, 3, 1}, {2, 3, 4}},   // middle dim
    {{2, 1, 3, 1}, {5, 1, 4}, {2, 5, 3, 4}},
    {{1}, {33}, {33}},
    {{65, 1}, {1, 1}, {65, 1}},
};

}  // namespace

TEST_CASE("binary ops broadcast like NumPy and match a naive loop", "[elementwise][cpu]") {
  Generator g(11);
  for (DType dt : {DType::F32, DType::F64}) {
    double rtol = dt == DType::F32 ? 1e-6 : 1e-15;
    for (const auto& c : kBcastCases) {
      Tensor a = rand_tensor(c.a, g, dt), b = rand_tensor(c.b, g, dt, 0.5, 2.0);
      INFO("a " << a.describe() << " b " << b.describe());
      REQUIRE(add(a, b).shape() == c.out);
      REQUIRE_CLOSE(add(a, b), naive_binary('+', a, b, c.out), rtol, 0);
      REQUIRE_CLOSE(sub(a, b), naive_binary('-', a, b, c.out), rtol, 0);
      REQUIRE_CLOSE(mul(a, b), naive_binary('*', a, b, c.out), rtol, 0);
      REQUIRE_CLOSE(div(a, b), naive_binary('/', a, b, c.out), rtol, 0);
      // Operands swapped exercise the other broadcast side.
      REQUIRE_CLOSE(sub(b, a), naive_binary('-', b, a, c.out), rtol, 0);
      REQUIRE_CLOSE(div(b, a), naive_binary('/', b, a, c.out), rtol, 1e-12);
    }
  }
}

TEST_CASE("binary kernel writes every output element", "[elementwise][cpu]") {
  Generator g(12);
  Tensor a = rand_tensor({2, 5, 3, 4}, g), b = rand_tensor({5, 1, 4}, g);
  Tensor out = dien::test::poisoned({2, 5, 3, 4}, DType::F64);
  backend_for(Device::cpu()).binary_forward(BinaryOp::Mul, a, b, out);
  REQUIRE_CLOSE(out, naive_binary('*', a, b, out.shape()), 1e-15, 0);
}

TEST_CASE("unary ops match the C library", "[elementwise][cpu]") {
  Generator g(13);
  for (DType dt : {DType::F32, DType::F64}) {
    double rtol = dt == DType::F32 ? 2e-6 : 1e-14;
    for (Shape s : {Shape{1}, Shape{7}, Shape{3, 33}, Shape{2, 1, 65}}) {
      Tensor x = rand_tensor(s, g, dt, -4, 4);
      Tensor xp = rand_tensor(s, g, dt, 0.1, 4);
      auto v = values(x), vp = values(xp);
      std::vector<double> rn, re, rl, rs, rt, rr;
      for (size_t i = 0; i < v.size(); ++i) {
        rn.push_back(-v[i]);
        re.push_back(std::exp(v[i]));
        rl.push_back(std::log(vp[i]));
        rs.push_back(1 / (1 + std::exp(-v[i])));
        rt.push_back(std::tanh(v[i]));
        rr.push_back(v[i] > 0 ? v[i] : 0);
      }
      REQUIRE_CLOSE(neg(x), rn, 0, 0);
      REQUIRE_CLOSE(exp(x), re, rtol, 0);
      REQUIRE_CLOSE(log(xp), rl, rtol, 1e-7);
      REQUIRE_CLOSE(sigmoid(x), rs, rtol, 0);
      REQUIRE_CLOSE(tanh(x), rt, rtol, 0);
      REQUIRE_CLOSE(relu(x), rr, 0, 0);
    }
  }
}

TEST_CASE("sigmoid is finite and saturates at extreme inputs", "[elementwise][cpu]") {
  Tensor x = from_vector<float>({-1000.f, -88.f, 88.f, 1000.f}, {4});
  auto y = values(sigmoid(x));
  REQUIRE(y[0] == 0.0);
  REQUIRE(y[3] == 1.0);
  for (double v : y) REQUIRE(std::isfinite(v));
}

TEST_CASE("scalar maps: affine, add/mul/rsub by a scalar", "[elementwise][cpu]") {
  Generator g(14);
  Tensor x = rand_tensor({4, 3}, g);
  auto v = values(x);
  std::vector<double> a, s, m, r;
  for (double e : v) {
    a.push_back(2.5 * e - 0.75);
    s.push_back(e + 3.0);
    m.push_back(e * -1.5);
    r.push_back(1.0 - e);
  }
  REQUIRE_CLOSE(affine(x, 2.5, -0.75), a, 1e-15, 0);
  REQUIRE_CLOSE(x + 3.0, s, 1e-15, 0);
  REQUIRE_CLOSE(x * -1.5, m, 1e-15, 0);
  REQUIRE_CLOSE(1.0 - x, r, 1e-15, 0);
}

TEST_CASE("unary backward kernels: overwrite and accumulate", "[elementwise][cpu]") {
  Generator g(15);
  Tensor x = rand_tensor({5, 7}, g, DType::F64, 0.2, 2.0);
  Tensor gy = rand_tensor({5, 7}, g);
  Tensor y = log(x);
  auto vx = values(x), vg = values(gy);
  Tensor gx = dien::test::poisoned({5, 7}, DType::F64);
  Backend& be = backend_for(Device::cpu());
  be.unary_backward(UnaryOp::Log, x, y, gy, gx, 0.0);
  std::vector<double> want(vx.size()), twice(vx.size());
  for (size_t i = 0; i < vx.size(); ++i) {
    want[i] = vg[i] / vx[i];
    twice[i] = 2 * want[i];
  }
  REQUIRE_CLOSE(gx, want, 1e-15, 0);
  be.unary_backward(UnaryOp::Log, x, y, gy, gx, 1.0);
  REQUIRE_CLOSE(gx, twice, 1e-15, 0);
}

TEST_CASE("sum and mean over all elements and over one dimension", "[reduce][cpu]") {
  Generator g(16);
  for (DType dt : {DType::F32, DType::F64}) {
    double rtol = dt == DType::F32 ? 1e-5 : 1e-13;
    Tensor x = rand_tensor({3, 1, 5}, g, dt);
    auto v = values(x);
    double tot = 0;
    for (double e : v) tot += e;
    REQUIRE(sum(x).shape() == Shape{});
    REQUIRE_CLOSE(sum(x), std::vector<double>{tot}, rtol, 0);
    REQUIRE_CLOSE(mean(x), std::vector<double>{tot / 15}, rtol, 0);
    // dim 0 -> [1, 5]; dim -1 -> [3, 1]; dim 1 (size 1) -> [3, 5]
    std::vector<double> d0(5, 0.0), d2(3, 0.0);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 5; ++j) {
        d0[j] += v[i * 5 + j];
        d2[i] += v[i * 5 + j];
      }
    REQUIRE(sum(x, 0).shape() == Shape({1, 5}));
    REQUIRE(sum(x, 0, true).shape() == Shape({1, 1, 5}));
    REQUIRE_CLOSE(sum(x, 0), d0, rtol, 0);
    REQUIRE(sum(x, -1).shape() == Shape({3, 1}));
    REQUIRE_CLOSE(sum(x, -1), d2, rtol, 0);
    std::vector<double> m2 = d2;
    for (auto& e : m2) e /= 5;
    REQUIRE_CLOSE(mean(x, 2, true), m2, rtol, 0);
    REQUIRE_CLOSE(sum(x, 1), v, 0, 0);
  }
}

TEST_CASE("sum_to is the adjoint of expand", "[reduce][cpu]") {
  Generator g(17);
  for (const auto& c : kBcastCases) {
    if (c.b.size() > c.out.size()) continue;
    Tensor small = rand_tensor(c.b, g), big = rand_tensor(c.out, g);
    // <expand(s), B> == <s, sum_to(B)>
    double lhs = sum(mul(expand(small, c.out), big)).item();
    double rhs = sum(mul(small, sum_to(big, c.b))).item();
    REQUIRE(std::fabs(lhs - rhs) <= 1e-12 * (1 + std::fabs(lhs)));
    REQUIRE_CLOSE(expand(small, c.out), naive_binary('+', small, zeros(c.out, DType::F64), c.out), 0, 0);
  }
}

TEST_CASE("sum_to kernel: poisoned output, then accumulate", "[reduce][cpu]") {
  Generator g(18);
  Tensor x = rand_tensor({2, 3, 4}, g);
  auto v = values(x);
  std::vector<double> want(3, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) want[j] += v[(i * 3 + j) * 4 + k];
  Tensor out = dien::test::poisoned({3, 1}, DType::F64);
  Backend& be = backend_for(Device::cpu());
  be.sum_to(x, out, 0.0);
  REQUIRE_CLOSE(out, want, 1e-14, 0);
  be.sum_to(x, out, 1.0);
  for (auto& w : want) w *= 2;
  REQUIRE_CLOSE(out, want, 1e-14, 0);
}

TEST_CASE("float sums of long rows: whole sums and row sums against double, any length", "[reduce][cpu]") {
  // The whole-sum and row-sum paths add in 16 (8) lanes; every tail length is covered, and the
  // float result stays within a few ulps of the double sum (a single running float sum over 10^5
  // values would drift far more).
  Generator g(19);
  for (int64_t n : {int64_t{1}, int64_t{15}, int64_t{16}, int64_t{17}, int64_t{100003}, int64_t{1} << 16}) {
    Tensor x = rand_tensor({n}, g, DType::F32);
    std::vector<float> v = x.to_vector<float>();
    double want = 0;
    for (float e : v) want += e;
    Tensor out = dien::test::poisoned({}, DType::F32);
    backend_for(Device::cpu()).sum_to(x, out, 0.0);
    REQUIRE(std::fabs(out.item() - want) <= 1e-5 * (1 + std::fabs(want)));
    // Row sums [3, n] -> [3, 1].
    Tensor m = rand_tensor({3, n}, g, DType::F32);
    std::vector<float> mv = m.to_vector<float>();
    Tensor rows = dien::test::poisoned({3, 1}, DType::F32);
    backend_for(Device::cpu()).sum_to(m, rows, 0.0);
    std::vector<float> got = rows.to_vector<float>();
    for (int64_t r = 0; r < 3; ++r) {
      double w = 0;
      for (int64_t i = 0; i < n; ++i) w += mv[static_cast<size_t>(r * n + i)];
      REQUIRE(std::fabs(got[static_cast<size_t>(r)] - w) <= 1e-5 * (1 + std::fabs(w)));
    }
  }
}

TEST_CASE("sum_to over a few very wide rows: column sums in double, in row order, threads change no bit",
          "[reduce][cpu]") {
  // [rows, no] -> [no] with no at least a whole panel (rows summed per column chunk, in double).
  Generator g(20);
  for (int64_t rows : {int64_t{1}, int64_t{2}, int64_t{5}}) {
    const int64_t no = 40000;
    Tensor x = rand_tensor({rows, 1, no}, g, DType::F32);
    std::vector<float> v = x.to_vector<float>();
    Tensor o1 = dien::test::poisoned({1, no}, DType::F32), o2 = dien::test::poisoned({1, no}, DType::F32);
    {
      ThreadScope one(1);
      backend_for(Device::cpu()).sum_to(x, o1, 0.0);
    }
    {
      ThreadScope two(2);
      backend_for(Device::cpu()).sum_to(x, o2, 0.0);
    }
    std::vector<float> a = o1.to_vector<float>(), b = o2.to_vector<float>();
    for (int64_t j = 0; j < no; ++j) {
      double w = 0;
      for (int64_t r = 0; r < rows; ++r) w += v[static_cast<size_t>(r * no + j)];
      REQUIRE(a[static_cast<size_t>(j)] == static_cast<float>(w));
      REQUIRE(b[static_cast<size_t>(j)] == a[static_cast<size_t>(j)]);
    }
  }
}

TEST_CASE("misuse of elementwise ops names the op, shapes and dtypes", "[elementwise][cpu]") {
  Tensor a = ones({2, 3}), b = ones({4, 5}), d = ones({2, 3}, DType::F64), i = ones({2, 3}, DType::I64);
  require_error([&] { add(a, b); }, {"add", "[2, 3]", "[4, 5]", "broadcast"});
  require_error([&] { mul(a, d); }, {"mul", "dtypes differ", "f32", "f64"});
  require_error([&] { sigmoid(i); }, {"sigmoid", "f32 or f64", "i64"});
  require_error([&] { sum(a, 2); }, {"sum", "dimension 2", "[2, 3]"});
  require_error([&] { sum_to(a, Shape{4}); }, {"sum_to", "[4]", "[2, 3]"});
  require_error([&] { expand(a, Shape{4, 3}); }, {"expand", "[2, 3]", "[4, 3]"});
  require_error([&] { div(Tensor(), a); }, {"div", "undefined"});
  require_error([&] { ones({1, 2, 3, 4, 5}); }, {"shape", "4 dimensions", "[1, 2, 3, 4, 5]"});
}

TEST_CASE("CUDA tensors without a CUDA device are a clear error", "[device][cpu]") {
  if (cuda_device_count() > 0) return;  // covered by the CUDA tests on a GPU machine
  require_error([&] { zeros({2}, DType::F32, Device::cuda(0)); }, {"device", "cuda:0"});
  require_error([&] { Device::parse("gpu"); }, {"device", "gpu"});
  REQUIRE(Device::parse("cuda:1") == Device::cuda(1));
}

// float sigmoid and tanh run on the vector kernels (kernels/cpu/isa/): every instruction set
// this CPU runs, against double precision, over the saturating ranges and a tail of n % width.
TEST_CASE("sigmoid/tanh f32 vector kernels: every instruction set against double", "[elementwise][cpu][isa]") {
  std::vector<float> x;
  for (int i = -2000; i <= 2000; ++i) x.push_back(static_cast<float>(i) * 0.0625f);  // -125 .. 125
  for (float v : {1e-30f, -1e-30f, 1e-7f, 0.f, -0.f, 88.f, -88.f, 89.f, -89.f, 1e30f, -1e30f}) x.push_back(v);
  x.push_back(0.3f);  // n odd: a partial last vector
  const char* isas[8];
  const int n_isa = std::min(8, isa::available_isas(isas, 8));
  for (int i = 0; i < n_isa; ++i) {
    const isa::Kernels& k = isa::select_kernels(isas[i]);
    for (int kind : {0, 1}) {
      INFO(isas[i] << (kind == 0 ? " sigmoid" : " tanh"));
      std::vector<float> y(x.size() + 1, std::nanf(""));
      k.sigmoid_tanh(kind, x.data(), y.data(), static_cast<int64_t>(x.size()));
      REQUIRE(std::isnan(y.back()));  // nothing written past n
      for (size_t j = 0; j < x.size(); ++j) {
        const double v = x[j];
        const double want = kind == 0 ? 1.0 / (1.0 + std::exp(-v)) : std::tanh(v);
        INFO("x = " << v);
        REQUIRE(std::isfinite(y[j]));
        REQUIRE(std::fabs(y[j] - want) <= 3e-7);
        if (kind == 0 && want > 1e-30) REQUIRE(std::fabs(y[j] - want) <= 2e-6 * want);
        if (kind == 1 && std::fabs(want) > 1e-30) REQUIRE(std::fabs(y[j] - want) <= 2e-6 * std::fabs(want));
      }
    }
  }
}
